"""What waits to leave one session, with a bound for clients that stop reading."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from sioapp._transport.packets import CLOSE, Frame

__all__ = ["DEFAULT_MAX_OUTGOING_BUFFER", "EMPTY", "END", "OutgoingQueue", "QueueOwner"]

#: Bytes of outgoing packets a session may have pending before it is closed.
DEFAULT_MAX_OUTGOING_BUFFER = 10_000_000
#: What `OutgoingQueue.take` returns when nothing is queued.
EMPTY: Any = object()
#: Queued last: the writer sends what came before it, then stops for good.
END: Any = None
#: Packets taken from the front before the list drops them.
_COMPACT_AFTER = 64


class QueueOwner(Protocol):
    """The session a queue belongs to."""

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
    """One session's outgoing packets, in a fraction of `asyncio.Queue`'s memory.

    ``pending`` counts the bytes still queued plus those its writer (the WebSocket
    writer or a long-poll) took and has not come back from: a writer takes the
    next packet with `take` once it sent the previous one, or every queued packet
    with `take_all`. A packet that would take ``pending`` past ``limit`` is
    dropped, every later one too, and ``owner.overflowed`` runs once so that the
    session gets closed. A packet always fits in an empty buffer, whatever its
    size. CLOSE packets and `END` always pass.
    """

    __slots__ = ("_head", "_items", "_waiters", "limit", "overflowed", "owner", "queued", "taken")

    def __init__(self, owner: QueueOwner, limit: int | None) -> None:
        self.owner = owner
        self.limit = limit
        self.overflowed = False
        self.queued = 0
        self.taken = 0
        # Read from ``_head`` on; an empty list is a tenth of an empty deque.
        self._items: list[Frame | None] = []
        self._head = 0
        self._waiters: list[asyncio.Future[None]] = []

    @property
    def pending(self) -> int:
        """Bytes queued or taken by a writer that has not sent them yet."""
        return self.queued + self.taken

    def empty(self) -> bool:
        return self._head == len(self._items)

    def put(self, frame: Frame | None) -> None:
        """Queue ``frame`` (or `END`), unless the client stopped reading."""
        size = 0 if frame is None else len(frame) + 1
        if frame is not None and frame != CLOSE and not self._fits(size):
            return
        self.queued += size
        self._items.append(frame)
        if self._waiters:
            _wake(self._waiters)
        else:
            self.owner.packet_waiting()

    def take(self) -> Any:
        """The next packet for a writer that sent every packet it took before, or `EMPTY`."""
        items, head = self._items, self._head
        self.taken = 0
        if head == len(items):
            return EMPTY
        item = items[head]
        head += 1
        if head == len(items):
            items.clear()
            head = 0
        elif head >= _COMPACT_AFTER and head * 2 >= len(items):
            del items[:head]
            head = 0
        else:
            items[head - 1] = None
        self._head = head
        size = 0 if item is None else len(item) + 1
        self.queued -= size
        self.taken = size
        return item

    def take_all(self) -> list[Frame | None]:
        """Every queued packet, for a writer that sent every packet it took before."""
        items = self._items[self._head :]
        self._items = []
        self._head = 0
        self.taken = self.queued
        self.queued = 0
        return items

    def sent(self) -> None:
        """The writer sent what it took."""
        self.taken = 0

    async def wait(self) -> None:
        """Wait until a packet is queued or `wake` is called; at once if one is queued."""
        if self._head == len(self._items):
            await _wait(self._waiters)

    def wake(self) -> None:
        """End every `wait`."""
        _wake(self._waiters)

    def _fits(self, size: int) -> bool:
        if self.overflowed:
            return False
        limit = self.limit
        pending = self.queued + self.taken
        if limit is None or not pending or pending + size <= limit:
            return True
        self.overflowed = True
        self.owner.overflowed()
        return False
