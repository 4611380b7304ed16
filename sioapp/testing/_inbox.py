"""What a test client received: every event in order, and those no one has taken yet."""

from __future__ import annotations

import asyncio
from typing import Any, NamedTuple

__all__ = ["Inbox", "Received", "settled"]


class Received(NamedTuple):
    """An event the client received: its name and its arguments."""

    event: str
    args: list[Any]


async def settled(future: asyncio.Future[Any], timeout: float) -> bool:
    """Whether ``future`` is done within ``timeout`` seconds; it is not cancelled."""
    await asyncio.wait((future,), timeout=timeout)
    return future.done()


class Inbox:
    """Events as they arrive; each is taken once, by `take` or by whoever `put` says took it."""

    def __init__(self) -> None:
        #: Every event, in order, taken or not.
        self.received: list[Received] = []
        self._unread: list[Received] = []
        self._waiting: list[tuple[str | None, asyncio.Future[list[Any]]]] = []

    def put(self, item: Received, *, taken: bool = False) -> None:
        """Record ``item``; unless already ``taken``, hand it to the first `take` waiting
        for it, or keep it for the next."""
        self.received.append(item)
        if taken:
            return
        for index, (wanted, waiter) in enumerate(self._waiting):
            if wanted in (None, item.event):
                del self._waiting[index]
                waiter.set_result(item.args)
                return
        self._unread.append(item)

    def take_unread(self, event: str | None) -> list[Any] | None:
        """The arguments of the first event kept (named ``event``, if given), or None."""
        for index, item in enumerate(self._unread):
            if event in (None, item.event):
                del self._unread[index]
                return item.args
        return None

    async def take(self, event: str | None, timeout: float) -> list[Any]:
        """The arguments of the next event (named ``event``, if given) to arrive.

        `TimeoutError`, naming the events that did arrive, after ``timeout`` seconds.
        """
        waiter: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._waiting.append((event, waiter))
        if not await settled(waiter, timeout):
            self._waiting.remove((event, waiter))
            arrived = ", ".join(repr(item.event) for item in self.received) or "nothing"
            wanted = "event" if event is None else f"{event!r} event"
            raise TimeoutError(f"no {wanted} within {timeout} s; the client received {arrived}")
        return waiter.result()

    def fail(self, error: BaseException) -> None:
        """Make every `take` waiting raise ``error``."""
        for _, waiter in self._waiting:
            waiter.set_exception(error)
        self._waiting.clear()
