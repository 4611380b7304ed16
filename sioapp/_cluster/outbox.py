"""Redis commands sent in order and pipelined: whatever is queued while one round trip is
under way leaves together in the next one, over a single connection."""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["Outbox"]

Command = tuple[Any, ...]


class Outbox:
    """Queues commands for ``redis`` (a ``redis.asyncio.Redis``) and sends them in order.

    However many coroutines send at once, one connection of the pool is used, so
    a burst of broadcasts neither exhausts the pool nor overtakes itself.
    """

    def __init__(self) -> None:
        self.redis: Any = None
        self._queue: list[tuple[Command, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def send(self, *command: Any) -> Any:
        """Queue ``command`` and return its reply; raise what Redis or the connection raised."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((command, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())
        return await future

    async def drain(self) -> None:
        """Wait until every queued command was sent or failed."""
        while self._flusher is not None and not self._flusher.done():
            await self._flusher

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                if self.redis is None:
                    raise ConnectionError("not connected to Redis")
                pipeline = self.redis.pipeline(transaction=False)
                for command, _ in batch:
                    pipeline.execute_command(*command)
                # Each command's error goes to its sender only, not to the whole batch.
                replies = await pipeline.execute(raise_on_error=False)
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for (_, future), reply in zip(batch, replies, strict=True):
                    if future.done():
                        continue
                    if isinstance(reply, Exception):
                        future.set_exception(reply)
                    else:
                        future.set_result(reply)
