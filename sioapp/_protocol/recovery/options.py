"""What an app asks of connection state recovery, and what it hears of sessions that expired."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sioapp._protocol.codec import to_wire

__all__ = ["RECOVERY_KEYS", "ConnectionStateRecovery", "ExpiredSession"]

#: What socket.io-client adds to its handshake auth to recover a session.
RECOVERY_KEYS = frozenset({"pid", "offset"})


def _auth_without_recovery(auth: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in auth.items() if key not in RECOVERY_KEYS}


@dataclass(frozen=True, slots=True)
class ConnectionStateRecovery:
    """Connection state recovery, as Node's ``connectionStateRecovery`` option.

    A socket that left unexpectedly (``transport close``, ``transport error``,
    ``ping timeout``, ``server shutting down``) is kept for
    ``max_disconnection_duration`` seconds: a client that comes back within it
    with the private session id (``pid``) the server gave it gets the same id,
    its rooms, its ``data`` and every event it missed.

    - ``skip_middlewares``: a recovered client skips connection middleware, as in
      Node (custom attributes such as ``socket.user`` are then not set again:
      keep what handlers need in ``socket.data``); ``False`` runs it first.
    - ``identity``: whose session a ``pid`` may resume, from the handshake
      ``auth``. By default the ``auth`` (less ``pid`` and ``offset``) must equal
      the one the session began with; ``identity=lambda auth: auth["token"]``
      compares tokens only. Another identity's ``pid`` gets a fresh socket and
      nothing of the session.
    - ``max_log_packets`` and ``max_log_age`` (seconds, ``max_disconnection_duration``
      when ``None``) bound the log of events kept to be replayed. A client whose
      missed events are gone still gets its id, rooms and data back, with
      ``socket.recovered`` False and ``socket.missed_events_lost`` True.
    """

    max_disconnection_duration: float = 120.0
    skip_middlewares: bool = True
    identity: Callable[[Mapping[str, Any]], Any] | None = None
    max_log_packets: int = 10_000
    max_log_age: float | None = None

    def __post_init__(self) -> None:
        if not _positive(self.max_disconnection_duration):
            raise ValueError("max_disconnection_duration must be a positive number of seconds")
        if not isinstance(self.skip_middlewares, bool):
            raise TypeError("skip_middlewares must be True or False")
        if self.identity is not None and not callable(self.identity):
            raise TypeError("identity must be a callable taking the handshake auth, or None")
        if isinstance(self.max_log_packets, bool) or not isinstance(self.max_log_packets, int):
            raise TypeError("max_log_packets must be a whole number")
        if self.max_log_packets < 1:
            raise ValueError("max_log_packets must be at least 1")
        if self.max_log_age is not None and not _positive(self.max_log_age):
            raise ValueError("max_log_age must be a positive number of seconds, or None")

    @property
    def log_age(self) -> float:
        """Seconds an event stays in the log."""
        return self.max_disconnection_duration if self.max_log_age is None else self.max_log_age

    def identity_of(self, auth: Mapping[str, Any]) -> Any:
        """Who a handshake ``auth`` says the client is, JSON-ready."""
        if self.identity is None:
            return to_wire(_auth_without_recovery(auth))
        return to_wire(self.identity(_auth_without_recovery(auth)))


def _positive(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


@dataclass(frozen=True, slots=True)
class ExpiredSession:
    """A kept session nobody recovered in time: the socket's id, namespace and ``data``."""

    id: str
    namespace: str
    data: dict[str, Any]
