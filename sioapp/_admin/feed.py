"""The admins' feed: what this server reports, broadcast to the admin namespace in order."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import deque
from typing import Any

from sioapp._protocol.broadcast import BroadcastOperator

__all__ = ["Feed"]

logger = logging.getLogger("sioapp")

#: How many reports may wait to be broadcast before new ones are dropped.
DEFAULT_LIMIT = 10_000


class Feed:
    """Reports queued by observers, which may not wait, and broadcast one after the other
    by a task that runs while there are some: to the admins of every server.

    Nothing is queued while nobody may listen: no admin on this server and no other
    server. Beyond ``limit`` waiting reports, new ones are dropped and counted.
    """

    def __init__(self, admins: BroadcastOperator, limit: int = DEFAULT_LIMIT) -> None:
        #: The admin namespace, on every server.
        self.admins = admins
        self.limit = limit
        #: The admin sockets of this server.
        self.local_admins: set[str] = set()
        #: Whether other servers run, whose admins hear this one too.
        self.other_servers = False
        #: Reports dropped since the count was last read.
        self.dropped = 0
        self.closed = False
        self._queue: deque[tuple[str, tuple[Any, ...]]] = deque()
        self._pump: asyncio.Task[None] | None = None

    @property
    def listened(self) -> bool:
        """Whether some admin may hear what is reported."""
        return bool(self.local_admins) or self.other_servers

    def push(self, event: str, *args: Any) -> None:
        """Queue ``event`` with ``args`` for the admins, if some may hear it."""
        if self.closed or not self.listened:
            return
        if len(self._queue) >= self.limit:
            self.dropped += 1
            return
        self._queue.append((event, args))
        if self._pump is None:
            loop = asyncio.get_running_loop()
            self._pump = loop.create_task(self._drain(), context=contextvars.Context())

    async def _drain(self) -> None:
        queue = self._queue
        try:
            while queue:
                event, args = queue.popleft()
                try:
                    await self.admins.emit(event, *args)
                except Exception:
                    logger.exception("the Admin UI could not report %s", event)
        finally:
            self._pump = None

    def open(self) -> None:
        """Report again after `close`."""
        self.closed = False

    async def close(self) -> None:
        """Drop what waits and stop reporting."""
        self.closed = True
        self._queue.clear()
        pump = self._pump
        if pump is not None:
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)
