"""Where recovery keeps its state: the sessions of sockets that left, and the event log.

An offset names one logged event, ``"<ms>-<n>"`` as Redis stream ids do: the
millisecond it was logged and a sequence number, so offsets sort by time. A
store keeps each namespace's log in that order, bounded by count and by age.
"""

from __future__ import annotations

import re
from collections.abc import Set
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["LogEntry", "Missed", "RecoveryStore", "SavedSession", "parse_offset"]

_OFFSET = re.compile(r"\A(\d{1,15})-(\d{1,15})\Z")


def parse_offset(offset: object) -> tuple[int, int] | None:
    """``(ms, n)`` of an offset, or None when it is not one."""
    if not isinstance(offset, str):
        return None
    match = _OFFSET.match(offset)
    return (int(match[1]), int(match[2])) if match else None


@dataclass(frozen=True, slots=True)
class SavedSession:
    """What a socket that left unexpectedly leaves behind, under its private id ``pid``."""

    pid: str
    sid: str
    namespace: str
    rooms: tuple[str, ...]
    data: dict[str, Any]
    #: Who the client was (`ConnectionStateRecovery.identity_of` its handshake auth).
    identity: Any
    #: The log's newest offset when the socket connected: where a client that received
    #: no event resumes.
    since: str

    def to_json(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "sid": self.sid,
            "namespace": self.namespace,
            "rooms": list(self.rooms),
            "data": self.data,
            "identity": self.identity,
            "since": self.since,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> SavedSession:
        return cls(
            raw["pid"],
            raw["sid"],
            raw["namespace"],
            tuple(raw["rooms"]),
            raw["data"],
            raw["identity"],
            raw["since"],
        )


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One logged event: its offset, its name and arguments, and whom it was sent to."""

    offset: str
    data: list[Any]
    rooms: frozenset[str]
    except_rooms: frozenset[str]

    def reaches(self, sid: str, rooms: Set[str]) -> bool:
        """Whether a socket ``sid`` in ``rooms`` (its own included) was a recipient."""
        if self.except_rooms and not self.except_rooms.isdisjoint(rooms):
            return False
        return not self.rooms or not self.rooms.isdisjoint(rooms)


@dataclass(frozen=True, slots=True)
class Missed:
    """The events logged after an offset; ``complete`` is False when some were dropped
    from the log already (the entries then start after the gap)."""

    entries: list[LogEntry]
    complete: bool


class RecoveryStore(Protocol):
    """Sessions and event logs, in this process or shared by every server.

    A ``shared`` store outlives any one server, so live sessions are checkpointed
    into it: when a server dies without a word (killed, out of memory, its machine
    gone), the others find its checkpoints and keep them as sessions of sockets that
    left. A store of one process dies with it, and checkpoints nothing.
    """

    shared: bool

    async def append(
        self, namespace: str, data: list[Any], rooms: Set[str], except_rooms: Set[str]
    ) -> str:
        """Log an event of ``namespace``; its offset."""

    async def head(self, namespace: str) -> str:
        """The newest offset of ``namespace``'s log ("0-0" when nothing was logged)."""

    async def missed(self, namespace: str, offset: str) -> Missed | None:
        """The events logged after ``offset``; None when ``offset`` is none of this log's."""

    async def save(self, session: SavedSession, ttl: float) -> None:
        """Keep ``session`` for ``ttl`` seconds."""

    async def take(self, pid: str) -> SavedSession | None:
        """The session kept under ``pid``, which is then no longer kept; None if there is
        none (never saved, expired, or taken already)."""

    async def expired(self) -> list[SavedSession]:
        """The kept sessions whose time ran out, each returned once, by one server only."""

    async def trim(self) -> None:
        """Drop logged events older than the log's age."""

    async def checkpoint(self, sessions: list[SavedSession]) -> None:
        """Record ``sessions`` of live sockets of this server, as they are now."""

    async def forget(self, pid: str) -> None:
        """The live socket checkpointed under ``pid`` left this server."""

    async def adopt_orphans(self) -> None:
        """Keep the checkpoints of servers gone for good as sessions of sockets that left."""

    async def retire(self) -> None:
        """This server stops: it has no live sockets left to checkpoint."""
