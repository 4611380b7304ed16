"""Connection state recovery shared by every server, in Redis.

- Each namespace's event log is a Redis stream, ``{channel}#log#{namespace}``,
  capped at ``max_log_packets`` entries (``XADD MAXLEN ~``) and trimmed to
  ``log_age`` (``XTRIM MINID ~``); a stream id is an event's offset. A replay
  reads only what follows the client's offset (``XRANGE (offset +``): its cost
  is what it returns, whatever the length of the stream.
- A kept session is a key with a time to live, ``{channel}#session#{pid}``,
  listed with its deadline in the sorted set ``{channel}#sessions``. Whoever
  removes a pid from the set owns the session: a returning client resumes it,
  or, once its deadline passed, one server reports it expired.
- Each server checkpoints its live sessions into the hash
  ``{channel}#live#{host_id}`` and lists itself in the set ``{channel}#hosts``.
  A server whose Redis subscription is gone for `ORPHANED_AFTER` seconds died
  without a word: one script moves its hash to kept sessions, atomically, so
  however many servers try at once each session is kept once. A returning
  client whose session is not kept has the servers that died looked for at once.

Clients that drop together come back together and read the same events: the
store keeps the last entries it decoded (at most ``max_log_packets``), so each
is decoded once, not once per client.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection, Set
from typing import Any, Protocol

import orjson
from redis.exceptions import ResponseError

from sioapp._cluster.packing import pack, unpack
from sioapp._protocol.recovery import (
    ConnectionStateRecovery,
    LogEntry,
    Missed,
    SavedSession,
)
from sioapp._protocol.recovery.store import parse_offset

__all__ = ["ORPHANED_AFTER", "RedisStore"]

logger = logging.getLogger("sioapp._cluster.recovery")

#: Seconds a session key outlives its deadline, so that its expiry can still be reported.
_GRACE = 60.0
#: Expired sessions reported per sweep, at most.
_SWEEP_BATCH = 100
#: Seconds a server must have been gone from Redis before the sweep keeps its live
#: sessions: a server that lost Redis for a moment is not taken for dead.
ORPHANED_AFTER = 5.0


class Commands(Protocol):
    """How the store talks to Redis: the cluster link's pipelined commands."""

    channel: str
    host_id: str

    async def command(self, *command: Any) -> Any: ...

    async def listening(self, host_ids: Collection[str]) -> set[str]: ...


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _dumps(value: Any) -> bytes:
    """``value`` as JSON, integer keys as text: as a JSON client gets them."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class RedisStore:
    """A `RecoveryStore` in Redis, for every server of the app."""

    shared = True

    def __init__(self, redis: Commands, options: ConnectionStateRecovery) -> None:
        self.redis = redis
        self.options = options
        self._sessions = f"{redis.channel}#sessions"
        self._hosts = f"{redis.channel}#hosts"
        #: When each server that is gone from Redis was first seen gone.
        self._gone_since: dict[str, float] = {}
        #: The logs this server wrote to, which it trims.
        self._logs: set[str] = set()
        #: Entries decoded lately, by stream id, oldest first.
        self._decoded: dict[bytes | str, LogEntry] = {}

    def _log(self, namespace: str) -> str:
        return f"{self.redis.channel}#log#{namespace}"

    def _session(self, pid: str) -> str:
        return f"{self.redis.channel}#session#{pid}"

    def _live(self, host_id: str) -> str:
        return f"{self.redis.channel}#live#{host_id}"

    # ---- the log --------------------------------------------------------------------

    async def append(
        self, namespace: str, data: list[Any], rooms: Set[str], except_rooms: Set[str]
    ) -> str:
        key = self._log(namespace)
        self._logs.add(key)
        entry = _dumps({"d": pack(data), "r": sorted(rooms), "x": sorted(except_rooms)})
        cap = self.options.max_log_packets
        return _text(await self.redis.command("XADD", key, "MAXLEN", "~", cap, "*", "e", entry))

    async def _info(self, key: str) -> dict[str, Any] | None:
        try:
            info = await self.redis.command("XINFO", "STREAM", key)
        except ResponseError as exc:  # no such key: nothing was ever logged there
            if "no such key" in str(exc).lower():
                return None
            raise
        return {_text(name): value for name, value in info.items()}

    async def head(self, namespace: str) -> str:
        info = await self._info(self._log(namespace))
        return "0-0" if info is None else _text(info["last-generated-id"])

    async def missed(self, namespace: str, offset: str) -> Missed | None:
        position = parse_offset(offset)
        if position is None:
            return None
        key = self._log(namespace)
        info = await self._info(key)
        if info is None:
            return Missed([], position == (0, 0))
        if position > _position(info["last-generated-id"]):
            return None
        trimmed = int(info.get("entries-added", 0)) > int(info["length"])
        first = info.get("first-entry")
        complete = not (trimmed and first is not None and position < _position(first[0]))
        raw = await self.redis.command(
            "XRANGE", key, f"({offset}", "+", "COUNT", self.options.max_log_packets
        )
        return Missed([self._entry(entry_id, fields) for entry_id, fields in raw], complete)

    def _entry(self, entry_id: bytes | str, fields: dict[Any, Any]) -> LogEntry:
        entry = self._decoded.get(entry_id)
        if entry is None:
            entry = self._decoded[entry_id] = _entry(entry_id, fields)
            if len(self._decoded) > self.options.max_log_packets:
                del self._decoded[next(iter(self._decoded))]
        return entry

    async def trim(self) -> None:
        oldest = _now_ms() - int(self.options.log_age * 1000)
        for key in list(self._logs):
            await self.redis.command("XTRIM", key, "MINID", "~", oldest)

    # ---- sessions -------------------------------------------------------------------

    async def save(self, session: SavedSession, ttl: float) -> None:
        deadline = _now_ms() + int(ttl * 1000)
        value = _dumps({**session.to_json(), "deadline": deadline})
        await self.redis.command(
            "SET", self._session(session.pid), value, "PX", int((ttl + _GRACE) * 1000)
        )
        await self.redis.command("ZADD", self._sessions, deadline, session.pid)

    async def take(self, pid: str) -> SavedSession | None:
        if not await self.redis.command("ZREM", self._sessions, pid):
            # Never kept, taken already, reported expired, or live on a server that
            # died a moment ago: keep what such servers left, and look again, even
            # when another server has kept them meanwhile.
            gone = await self._gone()
            if gone:
                await self._adopt(gone, for_a_client=True)
            if not await self.redis.command("ZREM", self._sessions, pid):
                return None
        raw = await self.redis.command("GETDEL", self._session(pid))
        if raw is None:
            return None
        kept = orjson.loads(raw)
        if kept["deadline"] < _now_ms():  # too late: the sweep reports it
            await self.redis.command("SET", self._session(pid), raw, "PX", int(_GRACE * 1000))
            await self.redis.command("ZADD", self._sessions, kept["deadline"], pid)
            return None
        return SavedSession.from_json(kept)

    async def expired(self) -> list[SavedSession]:
        pids = await self.redis.command(
            "ZRANGEBYSCORE", self._sessions, "-inf", _now_ms(), "LIMIT", 0, _SWEEP_BATCH
        )
        sessions = []
        for pid in map(_text, pids):
            if not await self.redis.command("ZREM", self._sessions, pid):
                continue  # another server reports it
            raw = await self.redis.command("GETDEL", self._session(pid))
            if raw is not None:
                sessions.append(SavedSession.from_json(orjson.loads(raw)))
        return sessions

    # ---- checkpoints of live sessions ------------------------------------------------

    async def checkpoint(self, sessions: list[SavedSession]) -> None:
        fields = [item for s in sessions for item in (s.pid, _dumps(s.to_json()))]
        # Queued before anything a socket leaving meanwhile sends (its HDEL).
        await self.redis.command("HSET", self._live(self.redis.host_id), *fields)
        await self.redis.command("SADD", self._hosts, self.redis.host_id)

    async def forget(self, pid: str) -> None:
        await self.redis.command("HDEL", self._live(self.redis.host_id), pid)

    async def retire(self) -> None:
        await asyncio.gather(
            self.redis.command("SREM", self._hosts, self.redis.host_id),
            self.redis.command("DEL", self._live(self.redis.host_id)),
        )

    async def adopt_orphans(self) -> None:
        gone = await self._gone()
        now = time.monotonic()
        self._gone_since = {host: self._gone_since.get(host, now) for host in gone}
        await self._adopt(
            [host for host, since in self._gone_since.items() if now - since >= ORPHANED_AFTER]
        )

    async def _gone(self) -> list[str]:
        """The servers that checkpointed sessions and no longer listen on Redis."""
        hosts = {_text(host) for host in await self.redis.command("SMEMBERS", self._hosts)}
        hosts.discard(self.redis.host_id)
        return sorted(hosts - await self.redis.listening(hosts))

    async def _adopt(self, hosts: list[str], *, for_a_client: bool = False) -> None:
        """Keep the checkpointed sessions of the servers ``hosts``, gone, as sessions of
        sockets that left: in one script per server, so a client that looks for its
        session meanwhile finds it kept, or still live, never half moved."""
        ttl = self.options.max_disconnection_duration
        deadline = _now_ms() + int(ttl * 1000)
        for host in hosts:
            self._gone_since.pop(host, None)
            adopted = await self.redis.command(
                "EVAL",
                _ADOPT,
                3,
                self._live(host),
                self._sessions,
                self._hosts,
                self._session(""),
                deadline,
                int((ttl + _GRACE) * 1000),
                host,
            )
            if adopted:
                logger.warning(
                    "server %s is gone from Redis%s: %d of its sessions kept for recovery",
                    host,
                    ", and one of its clients is back" if for_a_client else "",
                    adopted,
                )


#: Moves a gone server's checkpoints (KEYS[1]) to kept sessions: each a key
#: ARGV[1] .. pid with the deadline ARGV[2] added to its JSON and a time to live of
#: ARGV[3] ms, listed in KEYS[2]; drops the server ARGV[4] from KEYS[3]. Returns how
#: many. A checkpoint is an orjson object, never empty, so its closing brace is last.
_ADOPT = """
local fields = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[3], ARGV[4])
for i = 1, #fields, 2 do
  local value = string.sub(fields[i + 1], 1, -2) .. ',"deadline":' .. ARGV[2] .. '}'
  redis.call('SET', ARGV[1] .. fields[i], value, 'PX', ARGV[3])
  redis.call('ZADD', KEYS[2], ARGV[2], fields[i])
end
return #fields / 2
"""


def _position(entry_id: Any) -> tuple[int, int]:
    position = parse_offset(_text(entry_id))
    return position if position is not None else (0, 0)


def _entry(entry_id: Any, fields: dict[Any, Any]) -> LogEntry:
    raw = orjson.loads(fields.get(b"e") or fields["e"])
    return LogEntry(
        offset=_text(entry_id),
        data=unpack(raw["d"]),
        rooms=frozenset(raw["r"]),
        except_rooms=frozenset(raw["x"]),
    )
