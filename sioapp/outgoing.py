"""What waits to leave one Engine.IO connection, with a bound for clients that stop reading."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from engineio import packet as eio_packet

__all__ = ["DEFAULT_MAX_OUTGOING_BUFFER", "EMPTY", "OutgoingQueue", "QueueOwner"]

#: Bytes of outgoing packets a connection may have pending before it is closed.
DEFAULT_MAX_OUTGOING_BUFFER = 10_000_000
_SIZED = (str, bytes)
#: What `OutgoingQueue.take` returns when nothing is queued.
EMPTY: Any = object()
#: Packets taken from the front before the list drops them.
_COMPACT_AFTER = 64


def _size(item: Any) -> int:
    if item is None:
        return 0
    data = item.data
    return len(data) + 1 if isinstance(data, _SIZED) else 64


class QueueOwner(Protocol):
    """The connection a queue belongs to."""

    def packet_waiting(self) -> None:
        """A packet was queued and no writer waits for it."""

    def overflowed(self) -> None:
        """Packets are being dropped: the client stopped reading."""


async def _wait(waiters: list[asyncio.Future[None]]) -> None:
    """Wait until `_wake` wakes ``waiters``."""
    waiter = asyncio.get_running_loop().create_future()
    waiters.append(waiter)
    try:
        await waiter
    except BaseException:
        if waiter in waiters:
            waiters.remove(waiter)
        raise


def _wake(waiters: list[asyncio.Future[None]]) -> None:
    for waiter in waiters:
        if not waiter.done():
            waiter.set_result(None)
    waiters.clear()


class OutgoingQueue:
    """One connection's outgoing Engine.IO packets, with the part of `asyncio.Queue`'s
    interface python-engineio uses, in a fraction of `asyncio.Queue`'s memory.

    ``pending`` counts the bytes still queued plus those its writer (the WebSocket
    writer or a long-poll GET) took and has not come back from: a writer takes the
    next packet with `take` once it sent the previous one, or a batch with `get`
    and `get_nowait` and calls `get` again once it sent the batch. A packet counts
    its payload and type byte. A packet that would take ``pending`` past ``limit``
    is dropped, every later one too, and ``owner.overflowed`` runs once so that
    the connection gets closed. A packet always fits in an empty buffer, whatever its
    size. CLOSE packets and None (the end of the writer) always pass.

    The OPEN packet's data is updated with ``handshake``. A packet counts as done
    once taken, so `join` waits until the queue is empty.
    """

    __slots__ = (
        "_drained",
        "_head",
        "_items",
        "_waiters",
        "handshake",
        "limit",
        "overflowed",
        "owner",
        "queued",
        "taken",
    )

    def __init__(self, limit: int | None, handshake: dict[str, Any]) -> None:
        self.limit = limit
        self.handshake = handshake
        self.owner: QueueOwner | None = None
        self.overflowed = False
        self.queued = 0
        self.taken = 0
        # Read from ``_head`` on; an empty list is a tenth of an empty deque.
        self._items: list[Any] = []
        self._head = 0
        self._waiters: list[asyncio.Future[None]] = []
        self._drained: list[asyncio.Future[None]] | None = None

    @property
    def pending(self) -> int:
        """Bytes queued or taken by a writer that has not sent them yet."""
        return self.queued + self.taken

    def qsize(self) -> int:
        return len(self._items) - self._head

    def empty(self) -> bool:
        return self._head == len(self._items)

    def put_nowait(self, item: Any) -> None:
        size = _size(item)
        if item is not None:
            kind = item.packet_type
            if kind == eio_packet.OPEN and isinstance(item.data, dict):
                item.data.update(self.handshake)
            elif kind != eio_packet.CLOSE and not self._fits(size):
                return
        self.queued += size
        self._items.append(item)
        if self._waiters:
            _wake(self._waiters)
        elif self.owner is not None:
            self.owner.packet_waiting()

    async def put(self, item: Any) -> None:
        self.put_nowait(item)

    def get_nowait(self) -> Any:
        """The next packet of the writer's current batch."""
        items, head = self._items, self._head
        if head == len(items):
            raise asyncio.QueueEmpty
        item = items[head]
        head += 1
        if head == len(items):
            items.clear()
            head = 0
            if self._drained is not None:
                _wake(self._drained)
        elif head >= _COMPACT_AFTER and head * 2 >= len(items):
            del items[:head]
            head = 0
        else:
            items[head - 1] = None
        self._head = head
        size = _size(item)
        self.queued -= size
        self.taken += size
        return item

    async def get(self) -> Any:
        """The first packet of a new batch: the writer sent its previous one."""
        self.taken = 0
        while self._head == len(self._items):
            await _wait(self._waiters)
        return self.get_nowait()

    def take(self) -> Any:
        """The next packet for a writer that sent every packet it took before, or
        `EMPTY`."""
        self.taken = 0
        return self.get_nowait() if self._head != len(self._items) else EMPTY

    async def wait(self) -> None:
        """Wait until a packet is queued or `wake` is called; at once if a packet is
        queued."""
        if self._head == len(self._items):
            await _wait(self._waiters)

    def wake(self) -> None:
        """End every `wait`."""
        _wake(self._waiters)

    def task_done(self) -> None:
        """Nothing to do: a packet is done once taken."""

    async def join(self) -> None:
        """Wait until every queued packet was taken."""
        while self._head != len(self._items):
            if self._drained is None:
                self._drained = []
            await _wait(self._drained)

    def _fits(self, size: int) -> bool:
        if self.overflowed:
            return False
        limit = self.limit
        pending = self.queued + self.taken
        if limit is None or not pending or pending + size <= limit:
            return True
        self.overflowed = True
        if self.owner is not None:
            self.owner.overflowed()
        return False
