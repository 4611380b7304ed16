"""The ASGI channel of one Engine.IO WebSocket, checked frame by frame and abortable."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.types import Message, Receive, Send

__all__ = ["WebSocketGuard"]

_GONE: Message = {"type": "websocket.disconnect", "code": 1006}
#: An Engine.IO NOOP: it only ends a long-poll GET; Node never sends one on a WebSocket.
_NOOP = "6"


class WebSocketGuard:
    """Sits between uvicorn and python-engineio's WebSocket handler.

    Each incoming frame goes through ``inspect`` first; a frame it refuses never
    reaches the handler, which sees the peer leave instead. `abort` ends
    the connection even when the client stopped reading: the tasks blocked on
    the channel are cancelled and every later call fails at once. NOOP packets,
    which python-engineio queues to end a long-poll, are not sent: after an
    upgrade one could otherwise reach the WebSocket.
    """

    def __init__(
        self,
        receive: Receive,
        send: Send,
        inspect: Callable[[WebSocketGuard, str | bytes], Awaitable[bool]],
        sid: str | None = None,
    ) -> None:
        self._receive = receive
        self._send = send
        self._inspect = inspect
        #: The Engine.IO session, once known.
        self.sid = sid
        self.aborted = False
        self._reader: asyncio.Task[Any] | None = None
        self._writer: asyncio.Task[Any] | None = None

    async def receive(self) -> Message:
        if self.aborted:
            return _GONE
        self._reader = asyncio.current_task()
        try:
            event = await self._receive()
        finally:
            self._reader = None
        if event["type"] == "websocket.receive":
            data = event.get("bytes")
            if data is None:
                data = event.get("text")
            if data is None or not await self._inspect(self, data):
                return _GONE
        return event

    async def send(self, message: Message) -> None:
        if self.aborted:
            raise ConnectionAbortedError("the connection was aborted")
        if message.get("text") == _NOOP:
            return
        self._writer = asyncio.current_task()
        try:
            await self._send(message)
        finally:
            self._writer = None

    def abort(self) -> None:
        """Stop the connection now, whatever is blocked on it."""
        self.aborted = True
        current = asyncio.current_task()
        for task in (self._reader, self._writer):
            if task is not None and task is not current:
                task.cancel()
