"""Baseline: python-socketio's AsyncServer with hand-written handlers and nothing on top."""

from __future__ import annotations

from typing import Any

import socketio

from bench.servers import serializer
from bench.servers.uvicorn_main import serve

sio = socketio.AsyncServer(
    async_mode="asgi", serializer="msgpack" if serializer() == "msgpack" else "default"
)
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


def _is_news(msg: Any) -> bool:
    return (
        isinstance(msg, dict)
        and isinstance(msg.get("text"), str)
        and type(msg.get("seq")) is int
        and type(msg.get("sent")) in (int, float)
    )


@sio.on("echo")  # type: ignore[untyped-decorator]
async def echo(sid: str, msg: Any) -> Any:
    """Return the message as the ack, or an error when it is not an echo."""
    return msg if _is_echo(msg) else {"error": "invalid echo"}


@sio.on("join")  # type: ignore[untyped-decorator]
async def join(sid: str, msg: Any) -> Any:
    """Join the room the message names; ack true."""
    if not isinstance(msg, dict) or not isinstance(msg.get("room"), str):
        return {"error": "invalid join"}
    await sio.enter_room(sid, msg["room"])
    return True


@sio.on("broadcast")  # type: ignore[untyped-decorator]
async def broadcast(sid: str, msg: Any) -> Any:
    """Send the message as ``news`` to every member of its room; ack true once queued."""
    if not (isinstance(msg, dict) and isinstance(msg.get("room"), str) and _is_news(msg["news"])):
        return {"error": "invalid broadcast"}
    await sio.emit("news", msg["news"], room=msg["room"])
    return True


if __name__ == "__main__":
    serve(app, "bench.servers.raw_server:app")
