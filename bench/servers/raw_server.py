"""Baseline: python-socketio's AsyncServer with hand-written handlers and nothing on top."""

from __future__ import annotations

from typing import Any

import socketio

from bench.servers.uvicorn_main import serve

sio = socketio.AsyncServer(async_mode="asgi")
app = socketio.ASGIApp(sio)


def _is_echo(msg: Any) -> bool:
    if not isinstance(msg, dict):
        return False
    tags = msg.get("tags")
    return (
        isinstance(msg.get("text"), str)
        and type(msg.get("seq")) is int
        and isinstance(tags, list)
        and all(isinstance(tag, str) for tag in tags)
    )


@sio.on("echo")  # type: ignore[untyped-decorator]
async def echo(sid: str, msg: Any) -> Any:
    """Return the message as the ack, or an error when it is not an echo."""
    return msg if _is_echo(msg) else {"error": "invalid echo"}


if __name__ == "__main__":
    serve(app)
