"""``RateLimit``: built-in packet middleware that bounds how fast one socket may send events."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sioapp._protocol.errors import EventError
from sioapp._protocol.socket import Socket

__all__ = ["RateLimit"]

RATE_LIMITED = "rate_limited"


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float
    refusals: int = 0


def _holder(socket: Socket) -> Hashable:
    """Whose allowance an event spends: the user's, when connection middleware set a
    hashable ``socket.user``, else the whole connection's."""
    user = getattr(socket, "user", None)
    if isinstance(user, Hashable) and user is not None:
        try:
            return ("user", hash(user), user)
        except TypeError:  # a frozen dataclass holding a list, say
            pass
    return ("connection", socket.eio_sid)


class RateLimit:
    """A token bucket per connection: ``per_second`` events on average, ``burst`` at once.

    The bucket belongs to the connection, so leaving a namespace and connecting to
    it again (on the same connection) gives no fresh allowance; when connection
    middleware set ``socket.user`` (a hashable value), the user's sockets share
    one bucket, whichever connections they use. An event over the limit is
    refused with the error code ``rate_limited`` (its handler does not run);
    after ``disconnect_after`` refusals in a row the socket is disconnected
    (``None`` never disconnects). Use it as packet middleware::

        router.use_packets(RateLimit(per_second=5, burst=10))
    """

    def __init__(
        self, per_second: float, burst: int | None = None, *, disconnect_after: int | None = 20
    ) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self.per_second = per_second
        self.burst = burst if burst is not None else max(1, int(per_second))
        if self.burst < 1:
            raise ValueError("burst must be at least 1")
        self.disconnect_after = disconnect_after
        self._buckets: dict[Hashable, _Bucket] = {}
        #: Seconds after which an idle bucket is full again, and may be forgotten.
        self._refill = self.burst / per_second
        self._next_sweep = 0.0

    def _forget_full(self, now: float) -> None:
        """Drop the buckets idle long enough to be full: a new one would be the same."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + max(self._refill, 1.0)
        idle = [key for key, b in self._buckets.items() if now - b.updated >= self._refill]
        for key in idle:
            del self._buckets[key]

    async def __call__(
        self, socket: Socket, event: str, args: list[Any], next: Callable[[], Awaitable[None]]
    ) -> None:
        now = time.monotonic()
        self._forget_full(now)
        holder = _holder(socket)
        bucket = self._buckets.get(holder)
        if bucket is None:
            bucket = self._buckets[holder] = _Bucket(tokens=float(self.burst), updated=now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.per_second)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.refusals = 0
            await next()
            return
        bucket.refusals += 1
        if self.disconnect_after is not None and bucket.refusals >= self.disconnect_after:
            await socket.disconnect()
        retry_after = (1 - bucket.tokens) / self.per_second
        raise EventError(
            RATE_LIMITED,
            f"Too many events: at most {self.per_second:g} per second",
            details=[{"retry_after": round(retry_after, 3)}],
        )
