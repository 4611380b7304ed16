"""Who may connect: users log in over REST and present their token to Socket.IO."""

from __future__ import annotations

import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class User:
    username: str


class UserStore:
    """Tokens handed out by ``POST /api/login`` (in memory: one per username)."""

    def __init__(self) -> None:
        self._by_token: dict[str, User] = {}

    def login(self, username: str) -> str:
        token = secrets.token_urlsafe(24)
        self._by_token[token] = User(username)
        return token

    def by_token(self, token: object) -> User | None:
        return self._by_token.get(token) if isinstance(token, str) else None
