"""Who may connect: users log in over REST and present their token to Socket.IO."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

#: How long a token lasts, in seconds: a day.
TOKEN_LIFETIME = 24 * 60 * 60.0
#: How many tokens the store keeps; logging in beyond it forgets the oldest.
MAX_TOKENS = 10_000


@dataclass(frozen=True)
class User:
    username: str


@dataclass(frozen=True)
class _Issued:
    user: User
    expires: float


class UserStore:
    """Tokens handed out by ``POST /api/login``, in memory.

    A token is usable for ``lifetime`` seconds; at most ``capacity`` tokens are kept,
    the oldest forgotten first. ``clock`` tells the time in seconds.
    """

    def __init__(
        self,
        lifetime: float = TOKEN_LIFETIME,
        capacity: int = MAX_TOKENS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lifetime = lifetime
        self.capacity = capacity
        self._clock = clock
        self._issued: dict[str, _Issued] = {}  # in the order they were issued

    def login(self, username: str) -> str:
        """A new token for ``username``."""
        token = secrets.token_urlsafe(24)
        self._issued[token] = _Issued(User(username), self._clock() + self.lifetime)
        while len(self._issued) > self.capacity:
            del self._issued[next(iter(self._issued))]
        return token

    def by_token(self, token: object) -> User | None:
        """The user of a known, unexpired token; None for anything else."""
        if not isinstance(token, str) or token not in self._issued:
            return None
        issued = self._issued[token]
        if issued.expires <= self._clock():
            del self._issued[token]
            return None
        return issued.user
