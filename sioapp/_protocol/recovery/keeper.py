"""The server's side of connection state recovery: ids, the event log, sessions kept and resumed.

What differs from Node's implementation, on purpose:

- a client that received no event yet is recovered (it resumes from where the
  log stood when it connected);
- the session outlives the event log: a client whose missed events are gone
  gets its id, rooms and data back, told so by ``socket.missed_events_lost``;
- a ``pid`` resumes a session only for the same identity (see
  `ConnectionStateRecovery.identity`), decided before anything of the session
  is restored or sent;
- a volatile event whose last argument is a string gets a trailing ``null``,
  so the client does not take that string for an offset;
- a session still connected when its client comes back (the server had not
  noticed the old transport was gone) is closed and handed over, so a late
  end of the old transport never touches the recovered socket;
- with a shared store (Redis), live sessions are checkpointed, at most
  `SWEEP_EVERY` seconds after they change: the clients of a server that dies
  without a word (killed, out of memory) are recovered by the others too.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping, Set
from dataclasses import dataclass
from typing import Any, Protocol

from sioapp._protocol.codec import to_wire
from sioapp._protocol.errors import ClusterUnavailable
from sioapp._protocol.handshake import Handshake
from sioapp._protocol.reasons import DisconnectReason
from sioapp._protocol.recovery.options import ConnectionStateRecovery, ExpiredSession
from sioapp._protocol.recovery.store import LogEntry, Missed, RecoveryStore, SavedSession

__all__ = ["RECOVERABLE", "Claim", "SessionKeeper"]

logger = logging.getLogger("sioapp")

#: The reasons a socket may leave with and still be recovered: it did not mean to leave.
RECOVERABLE = frozenset(
    {
        DisconnectReason.TRANSPORT_CLOSE,
        DisconnectReason.TRANSPORT_ERROR,
        DisconnectReason.PING_TIMEOUT,
        DisconnectReason.SERVER_SHUTTING_DOWN,
    }
)
#: The longest ``pid`` or ``offset`` a client may send back.
MAX_TOKEN = 64
#: Seconds between two looks for expired sessions and for events too old to keep.
SWEEP_EVERY = 1.0

ExpiryHandler = Callable[[ExpiredSession], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Claim:
    """A kept session a returning client may resume, and where its events resume."""

    session: SavedSession
    offset: str


class LiveSocket(Protocol):
    """What a checkpoint records of a live socket (a `sioapp.Socket`)."""

    @property
    def nsp(self) -> str: ...

    @property
    def rooms(self) -> Set[str]: ...

    @property
    def data(self) -> Mapping[str, Any]: ...

    @property
    def handshake(self) -> Handshake: ...


def _token(value: Any) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= MAX_TOKEN else None


class SessionKeeper:
    """Keeps what recovery needs: each live socket's private id, the event log (through
    ``store``), the sessions of sockets that left unexpectedly; resumes them."""

    def __init__(self, options: ConnectionStateRecovery, store: RecoveryStore) -> None:
        self.options = options
        self.store = store
        #: Live sockets: pid -> sid, and sid -> (pid, where the log stood at connect).
        self._sids: dict[str, str] = {}
        self._pids: dict[str, tuple[str, str]] = {}
        self._on_expired: list[ExpiryHandler] = []
        self._sweeper: asyncio.Task[None] | None = None
        #: The server's live sockets by sid, read when checkpointing them.
        self._sockets: Mapping[str, LiveSocket] = {}
        #: The sids of live sockets changed since their last checkpoint (shared stores).
        self._changed: set[str] = set()
        #: The pids of live sockets the store holds a checkpoint of.
        self._checkpointed: set[str] = set()

    def serve(self, sockets: Mapping[str, LiveSocket]) -> None:
        """Checkpoint the live sockets of ``sockets`` (the server's, by sid)."""
        self._sockets = sockets

    # ---- live sockets ----------------------------------------------------------

    async def opened(self, sid: str, namespace: str, resumed: SavedSession | None = None) -> str:
        """Socket ``sid`` connected, or resumed a session; its pid."""
        if resumed is not None:
            pid, since = resumed.pid, resumed.since
        else:
            pid, since = secrets.token_urlsafe(15), await self.store.head(namespace)
        self._sids[pid] = sid
        self._pids[sid] = (pid, since)
        self.changed(sid)
        return pid

    @property
    def checkpoints(self) -> bool:
        """Whether live sessions are checkpointed: the store outlives this server."""
        return self.store.shared

    def changed(self, sid: str) -> None:
        """Socket ``sid`` connected, or joined or left a room: checkpoint it at the next
        sweep."""
        if self.store.shared:
            self._changed.add(sid)

    def changed_after(self, handling: asyncio.Future[Any], sid: str) -> None:
        """Checkpoint socket ``sid`` once ``handling`` (one of its events) is done: the
        handler may have changed its ``data``."""
        if handling.done():
            self._changed.add(sid)
        else:
            handling.add_done_callback(lambda _: self._changed.add(sid))

    def live_sid(self, pid: str) -> str | None:
        """The sid of the socket still connected under ``pid``, if any."""
        return self._sids.get(pid)

    async def left(
        self,
        sid: str,
        namespace: str,
        reason: DisconnectReason,
        rooms: Set[str],
        data: Mapping[str, Any],
        auth: Mapping[str, Any],
    ) -> None:
        """Socket ``sid`` left: keep its session if it left unexpectedly."""
        known = self._pids.pop(sid, None)
        if known is None:
            return
        pid, since = known
        self._sids.pop(pid, None)
        self._changed.discard(sid)
        if pid in self._checkpointed:
            self._checkpointed.discard(pid)
            await self.store.forget(pid)
        if reason not in RECOVERABLE:
            return
        session = self._session(pid, sid, since, namespace, rooms, data, auth)
        if session is not None:
            await self.store.save(session, self.options.max_disconnection_duration)

    def _session(
        self,
        pid: str,
        sid: str,
        since: str,
        namespace: str,
        rooms: Set[str],
        data: Mapping[str, Any],
        auth: Mapping[str, Any],
    ) -> SavedSession | None:
        """What a socket leaves behind; None (and the error logged) when its identity
        cannot be told."""
        try:
            identity = self.options.identity_of(auth)
        except Exception:
            logger.exception("connection state recovery: identity of %s failed; not kept", sid)
            return None
        return SavedSession(
            pid=pid,
            sid=sid,
            namespace=namespace,
            rooms=tuple(sorted(room for room in rooms if room != sid)),
            data=to_wire(dict(data)),
            identity=identity,
            since=since,
        )

    async def _checkpoint(self) -> None:
        """Record the live sockets that changed since their last checkpoint."""
        changed, self._changed = self._changed, set()
        sessions = []
        for sid in changed:
            socket, known = self._sockets.get(sid), self._pids.get(sid)
            if socket is None or known is None:
                continue
            pid, since = known
            session = self._session(
                pid, sid, since, socket.nsp, socket.rooms, socket.data, socket.handshake.auth
            )
            if session is not None:
                sessions.append(session)
        if sessions:
            # Counted before the store is written to: a socket that leaves meanwhile
            # has its checkpoint forgotten after it is written.
            self._checkpointed.update(session.pid for session in sessions)
            await self.store.checkpoint(sessions)

    # ---- returning clients ----------------------------------------------------------

    async def claim(self, namespace: str, auth: Mapping[str, Any]) -> Claim | None:
        """The session the handshake ``auth`` may resume, taken from the store; None
        (and a debug line) for a malformed, unknown, expired or foreign ``pid``."""
        pid = _token(auth.get("pid"))
        offset = auth.get("offset")
        if pid is None or (offset is not None and _token(offset) is None):
            if "pid" in auth:
                logger.debug("connection state recovery: malformed pid or offset, not resumed")
            return None
        session = await self.store.take(pid)
        if session is None or session.namespace != namespace:
            logger.debug("connection state recovery: no session for this pid")
            if session is not None:
                await self.put_back(session)
            return None
        try:
            same = self.options.identity_of(auth) == session.identity
        except Exception:
            logger.exception("connection state recovery: identity of a returning client failed")
            same = False
        if not same:
            logger.debug("connection state recovery: pid of another identity, not resumed")
            await self.put_back(session)
            return None
        return Claim(session, offset if isinstance(offset, str) else session.since)

    async def put_back(self, session: SavedSession) -> None:
        """Keep ``session`` again, for a client that did not resume it after all."""
        await self.store.save(session, self.options.max_disconnection_duration)

    async def missed(self, claim: Claim) -> Missed | None:
        """The events the resuming socket missed; None when its offset is not the log's."""
        missed = await self.store.missed(claim.session.namespace, claim.offset)
        if missed is None:
            logger.debug("connection state recovery: unknown offset, not resumed")
        return missed

    # ---- the log --------------------------------------------------------------------

    async def log(
        self,
        namespace: str,
        data: list[Any],
        rooms: Set[str],
        except_rooms: Set[str],
        volatile: bool = False,
    ) -> list[Any]:
        """``data`` as sent: logged with its offset last, or, when volatile, with a
        trailing ``null`` if it ends with a string (so no client takes it for an offset)."""
        if volatile:
            return [*data, None] if data and isinstance(data[-1], str) else data
        offset = await self.store.append(namespace, data, rooms, except_rooms)
        return [*data, offset]

    async def replay(self, claim: Claim, missed: Missed) -> list[LogEntry]:
        """Every event to replay, in order: those found when the client was claimed, then
        those logged since."""
        start = missed.entries[-1].offset if missed.entries else claim.offset
        later = await self.store.missed(claim.session.namespace, start)
        return [*missed.entries, *(later.entries if later is not None else ())]

    @staticmethod
    def replayed(entry: LogEntry) -> list[Any]:
        """A logged event as it is sent again: with its offset last."""
        return [*entry.data, entry.offset]

    # ---- expiry ---------------------------------------------------------------------

    def on_expired(self, handler: ExpiryHandler) -> None:
        """Run ``handler`` for each kept session nobody resumed in time."""
        self._on_expired.append(handler)

    def start(self) -> None:
        """Look for expired sessions and stale events every `SWEEP_EVERY` seconds."""
        if self._sweeper is None:
            self._sweeper = asyncio.ensure_future(self._sweep())

    async def stop(self) -> None:
        """Stop sweeping; the store no longer holds checkpoints of this server."""
        sweeper, self._sweeper = self._sweeper, None
        if sweeper is None:
            return  # never started, or stopped already: the sweep writes the checkpoints
        sweeper.cancel()
        await asyncio.gather(sweeper, return_exceptions=True)
        self._changed.clear()
        self._checkpointed.clear()
        try:
            await self.store.retire()
        except ClusterUnavailable as exc:
            logger.warning("connection state recovery: checkpoints of this server left: %s", exc)
        except Exception:
            logger.exception("connection state recovery: dropping this server's checkpoints failed")

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_EVERY)
            try:
                await self._checkpoint()
                await self.store.adopt_orphans()
                await self.store.trim()
                for session in await self.store.expired():
                    await self._expired(session)
            except Exception:
                logger.exception("connection state recovery: sweeping the store failed")

    async def _expired(self, session: SavedSession) -> None:
        expired = ExpiredSession(session.sid, session.namespace, session.data)
        for handler in self._on_expired:
            try:
                await handler(expired)
            except Exception:
                logger.exception("on_session_expired handler %r failed", handler)
