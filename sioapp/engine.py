"""The Engine.IO server under sioapp: python-engineio's, through python-socketio's class seam."""

from __future__ import annotations

import asyncio
from typing import Any

import engineio
from engineio import packet as eio_packet
from engineio.async_socket import AsyncSocket

__all__ = ["SioEngine"]


class SioEngine(engineio.AsyncServer):  # type: ignore[misc]
    """Forgets a connection's pending ping as soon as the connection is gone.

    python-engineio sleeps a whole ping interval in a task per connection; a
    closed connection would keep its task (and its socket) alive that long.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._ping_tasks: dict[str, asyncio.Task[Any]] = {}

    def start_background_task(self, target: Any, *args: Any, **kwargs: Any) -> Any:
        task = super().start_background_task(target, *args, **kwargs)
        owner = getattr(target, "__self__", None)
        if isinstance(owner, AsyncSocket) and target.__func__ is AsyncSocket._send_ping:
            sid = owner.sid
            self._ping_tasks[sid] = task
            task.add_done_callback(lambda _: self._forget_ping(sid, task))
        return task

    def _forget_ping(self, sid: str, task: asyncio.Task[Any]) -> None:
        if self._ping_tasks.get(sid) is task:
            del self._ping_tasks[sid]

    def cancel_ping(self, sid: str) -> None:
        """Stop the pending ping of a connection that has closed."""
        task = self._ping_tasks.pop(sid, None)
        if task is not None:
            task.cancel()

    def release_pending_poll(self, sid: str) -> None:
        """Answer a long-poll GET still waiting on a connection the client just closed.

        python-engineio aborts without queueing anything, so the request would hang
        for a whole ping interval; Node answers it at once with a NOOP.
        """
        connection = self.sockets.get(sid)
        if connection is not None:
            connection.queue.put_nowait(eio_packet.Packet(eio_packet.NOOP))
