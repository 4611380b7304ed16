"""Who may use the Admin UI, and the sessions that spare it the password when it comes back.

``auth`` is a username and password, the password plain or a bcrypt hash as Node's
``instrument()`` takes it; or a callable given the client's handshake ``auth`` that
answers whether it may connect; or None, for no check at all.
"""

from __future__ import annotations

import asyncio
import hmac
import inspect
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from types import ModuleType
from typing import Any, Protocol

__all__ = ["INVALID_CREDENTIALS", "AdminAuth", "Check", "Sessions", "credentials_check"]

logger = logging.getLogger("sioapp")

#: The ``connect_error`` message of a refused admin: the UI shows its login form on it.
INVALID_CREDENTIALS = "invalid credentials"
#: How long a session lets the UI back in without the password, as the official Redis store.
SESSION_TTL = 24 * 3600.0

#: Decides from the handshake's ``auth`` whether a client may use the Admin UI.
AuthCheck = Callable[[Mapping[str, Any]], bool | Awaitable[bool]]
AdminAuth = Mapping[str, str] | AuthCheck | None

_BCRYPT_HASH = re.compile(r"\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}")
#: bcrypt reads the first 72 bytes of a password; Node's bcryptjs ignores the rest too.
_BCRYPT_LENGTH = 72


class Check(Protocol):
    """Whether the handshake's ``auth`` lets a client in."""

    async def __call__(self, given: Mapping[str, Any]) -> bool: ...


def _bcrypt() -> ModuleType:
    try:
        import bcrypt
    except ImportError as exc:
        raise ImportError(
            "the Admin UI password is a bcrypt hash, which needs the bcrypt package: "
            "pip install 'sioapp[admin]'"
        ) from exc
    return bcrypt


class _Password:
    """A username and a password, plain or bcrypt-hashed, compared in constant time."""

    def __init__(self, username: str, password: str) -> None:
        self.username = username.encode()
        self.secret = password.encode()
        #: The bcrypt module when the password is a hash.
        self.bcrypt = _bcrypt() if _BCRYPT_HASH.fullmatch(password) else None

    async def __call__(self, given: Mapping[str, Any]) -> bool:
        username, password = given.get("username"), given.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            return False
        same_name = hmac.compare_digest(username.encode(), self.username)
        if self.bcrypt is None:
            return hmac.compare_digest(password.encode(), self.secret) and same_name
        check = self.bcrypt.checkpw
        try:  # bcrypt takes tens of milliseconds on purpose: not on the event loop
            same = await asyncio.to_thread(check, password.encode()[:_BCRYPT_LENGTH], self.secret)
        except ValueError:
            logger.error("the Admin UI password hash is not one bcrypt can read")
            return False
        return bool(same) and same_name


class _Callable:
    """The app's own check, sync or async."""

    def __init__(self, check: AuthCheck) -> None:
        self.check = check

    async def __call__(self, given: Mapping[str, Any]) -> bool:
        result = self.check(given)
        if inspect.isawaitable(result):
            result = await result
        return bool(result)


def credentials_check(auth: AdminAuth) -> Check | None:
    """What checks a client's credentials, None when ``auth`` is None; `TypeError` or
    `ImportError` (bcrypt missing for a hashed password) when ``auth`` cannot be used."""
    if auth is None:
        logger.warning("the Admin UI asks for no credentials: anyone who reaches it may use it")
        return None
    if callable(auth):
        return _Callable(auth)
    if isinstance(auth, Mapping):
        username, password = auth.get("username"), auth.get("password")
        basic = auth.get("type", "basic") == "basic"  # Node's {"type": "basic", ...} too
        if (
            basic
            and set(auth) - {"type"} == {"username", "password"}
            and all(isinstance(value, str) and value for value in (username, password))
        ):
            return _Password(str(username), str(password))
    raise TypeError(
        'auth is {"username": ..., "password": ...} (non-empty strings, the password plain '
        "or a bcrypt hash), a callable given the client's handshake auth, or None"
    )


class Sessions:
    """Session ids handed to admins who got in, each valid for ``ttl`` seconds."""

    def __init__(self, ttl: float = SESSION_TTL, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self._clock = clock
        self._expiry: dict[str, float] = {}

    def open(self) -> str:
        """A new session id."""
        now = self._clock()
        self._expiry = {sid: expiry for sid, expiry in self._expiry.items() if expiry > now}
        session_id = secrets.token_hex(16)
        self._expiry[session_id] = now + self.ttl
        return session_id

    def valid(self, session_id: object) -> bool:
        """Whether ``session_id`` is a session this server opened and that has not expired."""
        if not isinstance(session_id, str):
            return False
        expiry = self._expiry.get(session_id)
        return expiry is not None and expiry > self._clock()
