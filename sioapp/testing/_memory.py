"""An ASGI server in memory: an app's lifespan and its WebSockets, as ASGI messages in one loop.

Each runs the app's ASGI callable in a task of its own, in a fresh context, as
an ASGI server does; nothing opens a socket.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sioapp._transport.packets import Frame

__all__ = ["ASGI_VERSION", "MemoryWebSocket", "lifespan"]

ASGI_VERSION = {"version": "3.0", "spec_version": "2.4"}
#: The close code of a WebSocket whose app returned or failed without closing it.
_ABNORMAL_CLOSURE = 1006


def _run(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> asyncio.Task[None]:
    """Serve ``scope`` in a task of its own, in a fresh context, as an ASGI server does."""

    async def serve() -> None:
        await app(scope, receive, send)

    return asyncio.get_running_loop().create_task(serve(), context=contextvars.Context())


async def _step(
    task: asyncio.Task[None],
    messages: asyncio.Queue[Message],
    replies: asyncio.Queue[Message],
    step: str,
) -> None:
    """Send ``lifespan.{step}`` and wait for its completion; raise the app's failure."""
    messages.put_nowait({"type": f"lifespan.{step}"})
    reply = asyncio.ensure_future(replies.get())
    await asyncio.wait((reply, task), return_when=asyncio.FIRST_COMPLETED)
    if not reply.done():
        reply.cancel()
        task.result()  # the app's exception, when it raised one
        raise RuntimeError(f"the app ended its lifespan without answering lifespan.{step}")
    if reply.result()["type"] != f"lifespan.{step}.complete":
        await task
        raise RuntimeError(f"the app's lifespan {step} failed: {reply.result().get('message')}")


@asynccontextmanager
async def lifespan(app: ASGIApp) -> AsyncIterator[dict[str, Any]]:
    """Run ``app``'s lifespan: startup on entry, shutdown on exit; yields the lifespan state.

    A failing startup or shutdown raises the app's own exception.
    """
    messages: asyncio.Queue[Message] = asyncio.Queue()
    replies: asyncio.Queue[Message] = asyncio.Queue()
    state: dict[str, Any] = {}
    scope = {"type": "lifespan", "asgi": ASGI_VERSION, "state": state}
    task = _run(app, scope, messages.get, replies.put)
    await _step(task, messages, replies, "startup")
    try:
        yield state
    finally:
        await _step(task, messages, replies, "shutdown")
        await task


class MemoryWebSocket:
    """One WebSocket between this process and ``app``, which serves it in a task of its own.

    What the app sends reaches ``on_frame`` (each message, text or bytes) and
    ``on_close`` (the close code, once, when the app closes the WebSocket or
    ends) as the app sends it. What arrives after the client closed is dropped,
    as a closed socket drops it.
    """

    def __init__(
        self,
        app: ASGIApp,
        scope: Scope,
        on_frame: Callable[[Frame], None],
        on_close: Callable[[int], None],
    ) -> None:
        self.closed = False
        self._on_frame = on_frame
        self._on_close = on_close
        self._incoming: asyncio.Queue[Message] = asyncio.Queue()
        self._incoming.put_nowait({"type": "websocket.connect"})
        self.task = _run(app, scope, self._incoming.get, self._send)
        self.task.add_done_callback(lambda _: self._app_closed(_ABNORMAL_CLOSURE))

    def send(self, frame: Frame) -> None:
        """Send one message to the app."""
        if not self.closed:
            key = "text" if isinstance(frame, str) else "bytes"
            self._incoming.put_nowait({"type": "websocket.receive", key: frame})

    def close(self, code: int = 1000) -> None:
        """Close the WebSocket from the client's side."""
        if not self.closed:
            self.closed = True
            self._incoming.put_nowait({"type": "websocket.disconnect", "code": code})

    async def finished(self, timeout: float) -> None:
        """Wait until the app has done serving the WebSocket; raise what it raised.

        `TimeoutError` if it still serves it ``timeout`` seconds later.
        """
        await asyncio.wait((self.task,), timeout=timeout)
        if not self.task.done():
            raise TimeoutError(f"the app still serves the WebSocket {timeout} s after it closed")
        if not self.task.cancelled():
            self.task.result()

    async def _send(self, message: Message) -> None:
        if self.closed:
            return
        kind = message["type"]
        if kind == "websocket.send":
            text = message.get("text")
            self._on_frame(message["bytes"] if text is None else text)
        elif kind == "websocket.close":
            self._app_closed(int(message.get("code", 1000)))

    def _app_closed(self, code: int) -> None:
        if not self.closed:
            self.closed = True
            self._incoming.put_nowait({"type": "websocket.disconnect", "code": code})
            self._on_close(code)
