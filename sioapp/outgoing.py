"""What waits to leave one Engine.IO connection, with a bound for clients that stop reading."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from engineio import packet as eio_packet

__all__ = ["DEFAULT_MAX_OUTGOING_BUFFER", "OutgoingQueue"]

#: Bytes of outgoing packets a connection may have pending before it is closed.
DEFAULT_MAX_OUTGOING_BUFFER = 10_000_000
_SIZED = (str, bytes)


class OutgoingQueue(asyncio.Queue[Any]):
    """One connection's outgoing Engine.IO packets, as python-engineio queues them.

    ``pending`` counts the bytes still queued plus those of the batch the
    connection's writer (the WebSocket writer or a long-poll GET) took last and
    has not come back from: a writer returns to the queue only once its batch is
    out. A packet counts its payload and type byte. A packet that would take
    ``pending`` past ``limit`` is dropped, every later one too, and
    ``on_overflow`` runs once so that the connection gets closed. A packet always
    fits in an empty buffer, whatever its size. CLOSE packets always pass.

    The OPEN packet's data is updated with ``handshake``.
    """

    def __init__(self, limit: int | None, handshake: dict[str, Any]) -> None:
        super().__init__()
        self.limit = limit
        self.handshake = handshake
        self.on_overflow: Callable[[], None] | None = None
        self.overflowed = False
        self.queued = 0
        self.taken = 0
        self._sizes: deque[int] = deque()

    @property
    def pending(self) -> int:
        """Bytes queued or taken by a writer that has not sent them yet."""
        return self.queued + self.taken

    def get(self) -> Coroutine[Any, Any, Any]:
        self.taken = 0  # the writer is back: its previous batch is out
        return super().get()

    def put_nowait(self, item: Any) -> None:
        size = 0
        if item is not None:
            data = item.data
            size = len(data) + 1 if isinstance(data, _SIZED) else 64
            kind = item.packet_type
            if kind == eio_packet.OPEN and isinstance(data, dict):
                data.update(self.handshake)
            elif kind != eio_packet.CLOSE and not self._fits(size):
                return
        self.queued += size
        self._sizes.append(size)
        super().put_nowait(item)

    def _fits(self, size: int) -> bool:
        if self.overflowed:
            return False
        pending = self.queued + self.taken
        if self.limit is None or not pending or pending + size <= self.limit:
            return True
        self.overflowed = True
        if self.on_overflow is not None:
            self.on_overflow()
        return False

    def _get(self) -> Any:
        size = self._sizes.popleft()
        self.queued -= size
        self.taken += size
        return super()._get()
