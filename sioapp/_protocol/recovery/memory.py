"""The recovery store of one process: sessions and event logs in memory, bounded."""

from __future__ import annotations

import bisect
import time
from collections.abc import Set
from typing import Any

from sioapp._protocol.recovery.options import ConnectionStateRecovery
from sioapp._protocol.recovery.store import LogEntry, Missed, SavedSession, parse_offset

__all__ = ["MemoryStore"]

Position = tuple[int, int]


def _format(position: Position) -> str:
    return f"{position[0]}-{position[1]}"


class _Log:
    """One namespace's logged events in order; what is after an offset is found by
    bisection, so a replay costs what it returns, not the size of the log."""

    __slots__ = ("dropped", "entries", "positions", "start")

    def __init__(self) -> None:
        self.positions: list[Position] = []
        self.entries: list[LogEntry] = []
        self.start = 0
        #: The newest position dropped from the log.
        self.dropped: Position = (0, 0)

    def __len__(self) -> int:
        return len(self.positions) - self.start

    def append(self, position: Position, entry: LogEntry) -> None:
        self.positions.append(position)
        self.entries.append(entry)

    def drop_first(self) -> None:
        self.dropped = self.positions[self.start]
        self.start += 1
        if self.start >= 64 and self.start * 2 > len(self.positions):
            del self.positions[: self.start], self.entries[: self.start]
            self.start = 0

    def first(self) -> Position | None:
        return self.positions[self.start] if len(self) else None

    def last(self) -> Position | None:
        return self.positions[-1] if len(self) else None

    def after(self, position: Position) -> list[LogEntry]:
        index = bisect.bisect_right(self.positions, position, lo=self.start)
        return self.entries[index:]


class MemoryStore:
    """A `RecoveryStore` for one process; the log of each namespace keeps at most
    ``max_log_packets`` events, none older than ``log_age``. It dies with its process,
    so it checkpoints nothing."""

    shared = False

    def __init__(self, options: ConnectionStateRecovery) -> None:
        self.options = options
        self._logs: dict[str, _Log] = {}
        self._last: Position = (0, 0)
        self._sessions: dict[str, tuple[float, SavedSession]] = {}

    def _next(self) -> Position:
        ms = time.time_ns() // 1_000_000
        last_ms, last_n = self._last
        self._last = (ms, 0) if ms > last_ms else (last_ms, last_n + 1)
        return self._last

    async def append(
        self, namespace: str, data: list[Any], rooms: Set[str], except_rooms: Set[str]
    ) -> str:
        position = self._next()
        offset = _format(position)
        log = self._logs.get(namespace)
        if log is None:
            log = self._logs[namespace] = _Log()
        log.append(position, LogEntry(offset, data, frozenset(rooms), frozenset(except_rooms)))
        if len(log) > self.options.max_log_packets:
            log.drop_first()
        return offset

    async def head(self, namespace: str) -> str:
        log = self._logs.get(namespace)
        if log is None:
            return _format((0, 0))
        return _format(log.last() or log.dropped)

    async def missed(self, namespace: str, offset: str) -> Missed | None:
        position = parse_offset(offset)
        if position is None or position > self._last:
            return None
        log = self._logs.get(namespace)
        if log is None:
            return Missed([], True)
        return Missed(log.after(position), position >= log.dropped)

    async def save(self, session: SavedSession, ttl: float) -> None:
        self._sessions[session.pid] = (time.monotonic() + ttl, session)

    async def take(self, pid: str) -> SavedSession | None:
        kept = self._sessions.pop(pid, None)
        if kept is None or kept[0] < time.monotonic():
            if kept is not None:
                self._sessions[pid] = kept  # expired: `expired` reports it
            return None
        return kept[1]

    async def expired(self) -> list[SavedSession]:
        now = time.monotonic()
        gone = [pid for pid, (deadline, _) in self._sessions.items() if deadline < now]
        return [self._sessions.pop(pid)[1] for pid in gone]

    async def trim(self) -> None:
        oldest = (time.time_ns() // 1_000_000 - int(self.options.log_age * 1000), 0)
        for log in self._logs.values():
            while (first := log.first()) is not None and first < oldest:
                log.drop_first()

    async def checkpoint(self, sessions: list[SavedSession]) -> None:
        pass

    async def forget(self, pid: str) -> None:
        pass

    async def adopt_orphans(self) -> None:
        pass

    async def retire(self) -> None:
        pass
