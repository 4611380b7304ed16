"""Room bookkeeping and server-wide operations on the sockets of this process.

LocalManager adds what Node's in-memory adapter has to python-socketio's client
manager: each socket's rooms without a scan, selection by rooms *and* excluded
rooms, a broadcast that encodes the packet once and writes it to every
recipient without a task per recipient, and the local half of every
server-wide operation. With one process it is the whole story;
`sioapp._cluster.redis.RedisManager` extends each operation to other servers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Iterable, Set
from typing import Any, Protocol

from socketio import AsyncManager
from socketio import packet as sio_packet

from sioapp._protocol.broadcast import BroadcastAcks, BroadcastOperator, RemoteSocket, ServerAcks
from sioapp._protocol.events import EmitCheck
from sioapp._protocol.observers import Observers
from sioapp._protocol.recovery import (
    ConnectionStateRecovery,
    MemoryStore,
    RecoveryStore,
    SessionKeeper,
)
from sioapp._protocol.serializers import Serializer
from sioapp._protocol.socket import Socket
from sioapp._transport import Engine

__all__ = ["Frames", "LocalManager", "ManagedServer", "ServerEventHandler", "engine_frames"]

#: Runs a server-side event from another server: ``(namespace, event, args) -> reply``.
ServerEventHandler = Callable[[str, str, list[Any]], Awaitable[Any]]

_NO_ROOMS: frozenset[str] = frozenset()

#: An encoded Socket.IO packet as Engine.IO messages: its text, then its binary attachments
#: (JSON); or one binary message (msgpack).
Frames = list[str | bytes]


def engine_frames(encoded: str | bytes | list[str | bytes]) -> Frames:
    """The Engine.IO messages carrying a packet python-socketio encoded."""
    if isinstance(encoded, str):
        return ["4" + encoded]
    if isinstance(encoded, bytes):
        return [encoded]
    text, *attachments = encoded
    return ["4" + str(text), *attachments]


class ManagedServer(Protocol):
    """What the manager uses of the Socket.IO server it belongs to."""

    sockets: dict[str, Socket]
    eio: Engine
    packet_class: type[Any]
    serializer: Serializer


class LocalManager(AsyncManager):  # type: ignore[misc]
    """The manager of one process; also the local half of `RedisManager`."""

    server: ManagedServer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.socket_rooms: dict[tuple[str, str], set[str]] = {}
        #: Runs the server-side events other servers send (see `serve_server_events`).
        self.server_events: ServerEventHandler | None = None
        #: Checks the arguments of declared events before they are sent, if set.
        self.emit_check: EmitCheck | None = None
        #: Connection state recovery, when the app turned it on: broadcasts are logged.
        self.recovery: SessionKeeper | None = None
        #: Those watching the server (Admin UI, metrics, tracing); told of room changes.
        self.observers = Observers()

    def serve_server_events(self, handler: ServerEventHandler) -> None:
        """Run ``handler`` for each server-side event another server sends."""
        self.server_events = handler

    # ---- the reverse index (namespace, sid) -> rooms follows every membership change,
    # but for each socket's own room: most sockets are in no other, and need no entry

    def basic_enter_room(
        self, sid: str, namespace: str, room: str | None, eio_sid: str | None = None
    ) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        if room is not None and room != sid:
            joined = self.socket_rooms.setdefault((namespace, sid), set())
            if room not in joined:
                joined.add(room)
                if self.recovery is not None:
                    self.recovery.changed(sid)
                if self.observers.watched:
                    self.observers.room_joined(namespace, room, sid)

    def basic_leave_room(self, sid: str, namespace: str, room: str | None) -> None:
        super().basic_leave_room(sid, namespace, room)
        if room is None or room == sid:
            return
        rooms = self.socket_rooms.get((namespace, sid))
        if rooms is not None and room in rooms:
            rooms.discard(room)
            if not rooms:
                del self.socket_rooms[(namespace, sid)]
            if self.recovery is not None:
                self.recovery.changed(sid)
            if self.observers.watched:
                self.observers.room_left(namespace, room, sid)

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        for room in list(self.socket_rooms.get((namespace, sid), ())):
            self.basic_leave_room(sid, namespace, room)
        super().basic_disconnect(sid, namespace, **kwargs)
        self.socket_rooms.pop((namespace, sid), None)

    def get_rooms(self, sid: str, namespace: str) -> list[str]:
        rooms = [*self.joined_rooms(sid, namespace)]
        if sid in self.rooms.get(namespace, {}).get(sid, ()):
            rooms.append(sid)
        return rooms

    async def pre_connect(self, eio_sid: str, namespace: str, sid: str | None = None) -> str | None:
        """Register a socket of connection ``eio_sid`` as connecting to ``namespace``; its
        id, new or ``sid`` (a resumed session's), or None if the connection is in the
        namespace already or ``sid`` is taken."""
        if sid is None:
            new: str | None = await super().pre_connect(eio_sid, namespace)
            return new
        if self.sid_from_eio_sid(eio_sid, namespace) is not None or self.is_sid_room(
            namespace, sid
        ):
            return None
        self.basic_enter_room(sid, namespace, None, eio_sid=eio_sid)
        self.basic_enter_room(sid, namespace, sid, eio_sid=eio_sid)
        self.pending_connect.setdefault(namespace, []).append(sid)
        return sid

    def joined_rooms(self, sid: str, namespace: str) -> Set[str]:
        """The rooms ``sid`` joined, its own excepted: the manager's own set, not a copy."""
        return self.socket_rooms.get((namespace, sid), _NO_ROOMS)

    def room_count(self, namespace: str) -> int:
        """How many rooms of ``namespace`` have members on this server, the sockets' own
        rooms not counted."""
        by_room = self.rooms.get(namespace)
        if not by_room:
            return 0
        sockets = by_room.get(None, {})  # the room None holds every socket of the namespace
        return sum(1 for room in by_room if room is not None and room not in sockets)

    def select(
        self, namespace: str, rooms: Collection[str], except_rooms: Collection[str]
    ) -> list[tuple[str, str]]:
        """``(sid, eio_sid)`` of connected local sockets in any of ``rooms`` (all when
        empty) and in none of ``except_rooms``."""
        by_room = self.rooms.get(namespace)
        if not by_room:
            return []
        excluded: set[str] = set()
        for room in except_rooms:
            excluded.update(by_room.get(room, ()))
        pending = self.pending_disconnect.get(namespace, ())
        connecting = self.pending_connect.get(namespace, ())
        if pending or connecting:
            excluded.update(pending)
            excluded.update(connecting)
        if not rooms:
            members: Iterable[tuple[str, str]] = by_room.get(None, {}).items()
            return [(sid, eio) for sid, eio in members if sid not in excluded]
        selected: dict[str, str] = {}
        for room in rooms:
            for sid, eio in by_room.get(room, {}).items():
                if sid not in excluded:
                    selected[sid] = eio
        return list(selected.items())

    def local_sockets(self, op: BroadcastOperator) -> list[Socket]:
        """The sockets of this process that ``op`` selects."""
        sockets = self.server.sockets
        return [
            sockets[sid]
            for sid, _ in self.select(op.namespace, op.rooms, op.except_rooms)
            if sid in sockets
        ]

    # ---- sending

    def encode_event(self, namespace: str, data: list[Any]) -> Frames:
        """Encode one EVENT packet."""
        return engine_frames(
            self.server.packet_class(sio_packet.EVENT, namespace=namespace, data=data).encode()
        )

    async def send_frames(
        self,
        namespace: str,
        frames: Frames,
        rooms: Collection[str],
        except_rooms: Collection[str],
    ) -> list[tuple[str, str]]:
        """Queue an encoded packet for every selected local socket; their ``(sid, eio_sid)``.

        The packet is encoded once for all recipients, and queued for each one
        without an await per recipient.
        """
        recipients = self.select(namespace, rooms, except_rooms)
        if recipients:
            self.server.eio.send_many((eio_sid for _, eio_sid in recipients), frames)
        return recipients

    # ---- server-wide operations; RedisManager extends each one to the other servers

    async def start(self) -> None:
        """Join the other servers; one process has none."""

    async def stop(self) -> None:
        """Stop answering other servers; one process has none."""

    async def close(self) -> None:
        """Release connections to other servers; one process has none."""

    async def broadcast(self, op: BroadcastOperator, data: list[Any]) -> None:
        """Send the EVENT ``data`` to every socket ``op`` selects."""
        sent = self.observers.emitting(op.namespace, data) if self.observers.watched else None
        frames = self.encode_event(op.namespace, await self.logged(op, data))
        recipients = await self.send_frames(op.namespace, frames, op.rooms, op.except_rooms)
        if sent is not None:
            sent([sid for sid, _ in recipients])

    async def logged(self, op: BroadcastOperator, data: list[Any]) -> list[Any]:
        """``data`` as it is sent to ``op``'s sockets: with its offset when connection state
        recovery logs it."""
        if self.recovery is None:
            return data
        return await self.recovery.log(
            op.namespace, data, op.rooms, op.except_rooms, op.volatile_only
        )

    def recovery_store(self, options: ConnectionStateRecovery) -> RecoveryStore:
        """Where connection state recovery keeps sessions and events: this process."""
        return MemoryStore(options)

    async def fetch_sockets(self, op: BroadcastOperator) -> list[RemoteSocket]:
        """The sockets ``op`` selects."""
        return [RemoteSocket.of(socket, self) for socket in self.local_sockets(op)]

    async def add_sockets(self, op: BroadcastOperator, rooms: frozenset[str]) -> None:
        """Make the selected sockets join ``rooms``."""
        for socket in self.local_sockets(op):
            await socket.join(rooms)

    async def del_sockets(self, op: BroadcastOperator, rooms: frozenset[str]) -> None:
        """Make the selected sockets leave ``rooms``."""
        for socket in self.local_sockets(op):
            for room in rooms:
                await socket.leave(room)

    async def disconnect_sockets(self, op: BroadcastOperator, close: bool) -> None:
        """Disconnect the selected sockets (``close``: their whole connections)."""
        for socket in self.local_sockets(op):
            await socket.disconnect(close=close)

    async def broadcast_with_ack(
        self, op: BroadcastOperator, name: str, data: list[Any], timeout: float
    ) -> BroadcastAcks:
        """Send to every selected socket and wait for each ack, up to ``timeout``."""
        targets = self.local_sockets(op)
        results = await asyncio.gather(
            *(socket.wait_for_ack(name, data, timeout) for socket in targets),
            return_exceptions=True,
        )
        responses: dict[str, Any] = {}
        timed_out: list[str] = []
        for socket, result in zip(targets, results, strict=True):
            if isinstance(result, TimeoutError):
                timed_out.append(socket.id)
            elif isinstance(result, BaseException):
                raise result
            else:
                responses[socket.id] = result
        return BroadcastAcks(responses=responses, timed_out=timed_out)

    async def all_rooms(self, op: BroadcastOperator) -> set[str]:
        """Every room of the namespace, socket-id rooms included."""
        return {room for room in self.rooms.get(op.namespace, {}) if room is not None}

    async def server_side_emit(self, op: BroadcastOperator, event: str, args: list[Any]) -> None:
        """Send ``event`` to the handlers of the other servers; one process has none."""

    async def server_side_emit_with_ack(
        self, op: BroadcastOperator, event: str, args: list[Any]
    ) -> ServerAcks:
        """Send ``event`` to the other servers and collect one reply per server."""
        return ServerAcks(responses=[])

    async def server_count(self) -> int:
        """How many servers serve the app, this one included."""
        return 1
