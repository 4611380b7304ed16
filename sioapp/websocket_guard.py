"""The ASGI channel of one Engine.IO WebSocket, checked frame by frame and abortable."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from starlette.types import Message, Receive, Send

__all__ = ["FrameJudge", "WebSocketGuard"]

_GONE: Message = {"type": "websocket.disconnect", "code": 1006}


class FrameJudge(Protocol):
    """What a guard asks about incoming frames."""

    def check_frame(self, data: str | bytes) -> str | None:
        """Why ``data`` is refused, or None."""

    async def refuse_frame(self, guard: WebSocketGuard, reason: str, data: str | bytes) -> None:
        """Deal with a frame refused for ``reason``."""


class WebSocketGuard:
    """Sits between uvicorn and the Engine.IO WebSocket handler.

    ``judge`` looks at each incoming frame first; a frame it refuses never reaches
    the handler, which sees the peer leave instead. `abort` ends the connection even when the
    client stopped reading: the task reading and the writer task are cancelled
    and every later call fails at once.
    """

    __slots__ = (
        "_judge",
        "_reader",
        "_receive",
        "_send",
        "_sender",
        "_writer",
        "aborted",
        "sid",
    )

    def __init__(
        self,
        receive: Receive,
        send: Send,
        judge: FrameJudge,
        sid: str | None = None,
    ) -> None:
        self._receive = receive
        self._send = send
        self._judge = judge
        #: The Engine.IO session, once known.
        self.sid = sid
        self.aborted = False
        self._reader: asyncio.Task[Any] | None = None
        self._sender: asyncio.Task[Any] | None = None
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
            if data is None:
                return _GONE
            refusal = self._judge.check_frame(data)
            if refusal is not None:
                await self._judge.refuse_frame(self, refusal, data)
                return _GONE
        return event

    async def send(self, message: Message) -> None:
        if self.aborted:
            raise ConnectionAbortedError("the connection was aborted")
        self._sender = asyncio.current_task()
        try:
            await self._send(message)
        finally:
            self._sender = None

    def adopt_writer(self) -> Send:
        """The raw channel to send on, for the current task: the connection's writer,
        which `abort` cancels whenever it runs."""
        if self.aborted:
            raise ConnectionAbortedError("the connection was aborted")
        self._writer = asyncio.current_task()
        return self._send

    def release_writer(self) -> None:
        """The current task, adopted as the writer, is done."""
        if self._writer is asyncio.current_task():
            self._writer = None

    def abort(self) -> None:
        """Stop the connection now, whatever is blocked on it."""
        self.aborted = True
        current = asyncio.current_task()
        for task in (self._reader, self._sender, self._writer):
            if task is not None and task is not current:
                task.cancel()
