"""The server-side Socket: one per connection and namespace, as in Node Socket.IO v4.

A socket reaches the rest of the server only through its `SocketHost` (the
Socket.IO server) and the `RoomKeeper` it names (the manager).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterable, Iterator, Set
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from socketio import packet as sio_packet

from sioapp._protocol.broadcast import BroadcastOperator, Operations
from sioapp._protocol.errors import EventError
from sioapp._protocol.events import event_and_args
from sioapp._protocol.handshake import Handshake
from sioapp._protocol.reasons import DisconnectReason

__all__ = ["RoomKeeper", "Rooms", "Socket", "SocketDisconnected", "SocketHost"]

_T = TypeVar("_T")

FORBIDDEN_ROOM = "forbidden_room"
TOO_MANY_ROOMS = "too_many_rooms"


class RoomKeeper(Operations, Protocol):
    """Where sockets' rooms are kept: the manager."""

    def joined_rooms(self, sid: str, namespace: str) -> Set[str]:
        """The rooms ``sid`` joined, its own excepted: a live set, not a copy."""

    def is_sid_room(self, namespace: str, room: str) -> bool:
        """Whether ``room`` is the own room of a socket of this server."""

    async def enter_room(self, sid: str, namespace: str, room: str) -> None: ...

    async def leave_room(self, sid: str, namespace: str, room: str) -> None: ...


class SocketHost(Protocol):
    """What a socket asks of the server it belongs to."""

    @property
    def app(self) -> Any:
        """The application the server serves (a `sioapp.SioApp`)."""

    @property
    def manager(self) -> RoomKeeper: ...

    @property
    def max_rooms_per_socket(self) -> int | None: ...

    async def send_packet(
        self, eio_sid: str, packet_type: int, namespace: str, data: Any, ack_id: int | None = None
    ) -> None:
        """Encode and queue one Socket.IO packet for one connection."""

    async def send_event(
        self, socket_id: str, eio_sid: str, namespace: str, data: list[Any]
    ) -> None:
        """Send an event (name and arguments, wire-ready) to one socket, logged for
        recovery when recovery is on."""

    async def close_connection(self, eio_sid: str, reason: DisconnectReason) -> None:
        """Close a whole Engine.IO connection."""

    async def disconnect(
        self, sid: str, namespace: str | None = None, ignore_queue: bool = False
    ) -> None:
        """Disconnect socket ``sid`` from ``namespace``."""

    def packet_middleware(self, fn: Callable[..., Any]) -> Any:
        """``fn`` made ready to run as packet middleware."""


class SocketDisconnected(ConnectionError):
    """An ack was asked of a socket that is disconnected, or that left while it waited."""


class Rooms(Set[str]):
    """The rooms a socket is in, its own id included, as Node's ``socket.rooms``.

    A live, read-only view: it follows every join and leave without being copied,
    and is empty once the socket has disconnected. Set operations
    (``socket.rooms - {socket.id}``) return plain frozensets; iterating walks a
    copy, so a loop may leave the rooms it visits.
    """

    __slots__ = ("_socket",)

    def __init__(self, socket: Socket) -> None:
        self._socket = socket

    def _others(self) -> Set[str]:
        socket = self._socket
        if not socket._connected:
            return frozenset()
        return socket._host.manager.joined_rooms(socket._id, socket._nsp)

    def __contains__(self, room: object) -> bool:
        socket = self._socket
        return socket._connected and (room == socket._id or room in self._others())

    def __iter__(self) -> Iterator[str]:
        if not self._socket._connected:
            return iter(())
        return iter((self._socket._id, *self._others()))

    def __len__(self) -> int:
        return len(self._others()) + 1 if self._socket._connected else 0

    def __repr__(self) -> str:
        return f"Rooms({sorted(self)!r})"

    @classmethod
    def _from_iterable(cls, items: Iterable[_T]) -> frozenset[_T]:
        return frozenset(items)


#: Attributes the framework owns; user code may set any other attribute.
_OWNED = frozenset(
    {
        "id",
        "nsp",
        "handshake",
        "rooms",
        "data",
        "connected",
        "disconnected",
        "app",
        "eio_sid",
        "packet_middlewares",
        "recovered",
        "missed_events_lost",
        "volatile",
    }
)


class Socket:
    """A client's connection to one namespace.

    ``id`` is the 20-character id the client sees, ``rooms`` includes it,
    ``data`` is JSON-serialisable data other servers see through
    ``fetch_sockets()``. Any attribute not owned by the framework may be set,
    e.g. ``socket.user = user`` in connection middleware.
    """

    _id: str
    _eio_sid: str
    _nsp: str
    _handshake: Handshake
    _data: dict[str, Any]
    _connected: bool
    _host: SocketHost
    _packet_middlewares: list[Any]
    _rooms: Rooms
    _acks: dict[int, asyncio.Future[tuple[Any, ...]]]
    _ack_ids: Iterator[int]
    _recovered: bool
    _missed_lost: bool

    def __init__(
        self, host: SocketHost, sid: str, eio_sid: str, namespace: str, handshake: Handshake
    ) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "_host", host)
        setattr_(self, "_id", sid)
        setattr_(self, "_eio_sid", eio_sid)
        setattr_(self, "_nsp", namespace)
        setattr_(self, "_handshake", handshake)
        setattr_(self, "_data", {})
        setattr_(self, "_connected", False)
        setattr_(self, "_packet_middlewares", [])
        setattr_(self, "_rooms", Rooms(self))
        setattr_(self, "_acks", {})
        setattr_(self, "_ack_ids", itertools.count(1))
        setattr_(self, "_recovered", False)
        setattr_(self, "_missed_lost", False)

    if TYPE_CHECKING:
        # Attributes set by user code (``socket.user = ...``) type-check as Any.
        def __getattr__(self, name: str) -> Any: ...

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _OWNED or name.startswith("_") or hasattr(type(self), name):
            raise AttributeError(f"Socket.{name} belongs to the framework and cannot be set")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if name in _OWNED or name.startswith("_") or hasattr(type(self), name):
            raise AttributeError(f"Socket.{name} belongs to the framework and cannot be deleted")
        object.__delattr__(self, name)

    def __repr__(self) -> str:
        return f"<Socket id={self._id!r} nsp={self._nsp!r} connected={self._connected}>"

    @property
    def id(self) -> str:
        """The Socket.IO id, equal to ``socket.id`` on the client."""
        return self._id

    @property
    def eio_sid(self) -> str:
        """The id of the underlying Engine.IO connection."""
        return self._eio_sid

    @property
    def nsp(self) -> str:
        """The namespace name."""
        return self._nsp

    @property
    def app(self) -> Any:
        """The `sioapp.SioApp` serving this socket."""
        return self._host.app

    @property
    def handshake(self) -> Handshake:
        """Details of the request that opened the connection."""
        return self._handshake

    @property
    def data(self) -> dict[str, Any]:
        """JSON-serialisable data, shared with ``fetch_sockets()``."""
        return self._data

    @property
    def connected(self) -> bool:
        """Whether the socket is connected to its namespace."""
        return self._connected

    @property
    def disconnected(self) -> bool:
        """The opposite of `connected`."""
        return not self._connected

    @property
    def recovered(self) -> bool:
        """Whether connection state recovery gave this socket back its id, rooms, data and
        every event it missed (see `sioapp.ConnectionStateRecovery`)."""
        return self._recovered

    @property
    def missed_events_lost(self) -> bool:
        """Whether this socket got its id, rooms and data back but some events it missed
        were gone from the log: the app should send it what it needs again."""
        return self._missed_lost

    def resumed(self, data: dict[str, Any], complete: bool) -> None:
        """The socket resumes a kept session: its ``data``, and whether every missed event
        is replayed (``complete``)."""
        self._data.update(data)
        object.__setattr__(self, "_recovered", complete)
        object.__setattr__(self, "_missed_lost", not complete)

    @property
    def rooms(self) -> Rooms:
        """The rooms this socket is in, its own id included: a live, read-only view,
        empty once disconnected."""
        return self._rooms

    async def join(self, rooms: str | Iterable[str]) -> None:
        """Join one room or several; nothing happens once the socket has disconnected
        (a handler may still be running when its client goes away).

        Raises `EventError` ``forbidden_room`` for another socket's id, and
        ``too_many_rooms`` past the app's ``max_rooms_per_socket``.
        """
        if not self._connected:
            return
        manager = self._host.manager
        limit = self._host.max_rooms_per_socket
        for room in (rooms,) if isinstance(rooms, str) else rooms:
            if room == self._id or room in self._rooms:
                continue
            if manager.is_sid_room(self._nsp, room):
                raise EventError(FORBIDDEN_ROOM, "A socket's own room cannot be joined")
            if limit is not None and len(self._rooms) > limit:
                raise EventError(TOO_MANY_ROOMS, f"A socket may join at most {limit} rooms")
            await manager.enter_room(self._id, self._nsp, room)

    async def leave(self, room: str) -> None:
        """Leave ``room``."""
        await self._host.manager.leave_room(self._id, self._nsp, room)

    def _operator(self) -> BroadcastOperator:
        return BroadcastOperator(self._host.manager, self._nsp, except_rooms=frozenset((self._id,)))

    def to(self, rooms: str | Iterable[str]) -> BroadcastOperator:
        """Target ``rooms``, this socket excluded."""
        return self._operator().to(rooms)

    def in_(self, rooms: str | Iterable[str]) -> BroadcastOperator:
        """Same as `to`."""
        return self.to(rooms)

    def except_(self, rooms: str | Iterable[str]) -> BroadcastOperator:
        """Target every socket of the namespace but those in ``rooms`` and this one."""
        return self._operator().except_(rooms)

    @property
    def volatile(self) -> BroadcastOperator:
        """This socket, for events that may be lost: never logged for recovery, never
        replayed (Node's ``socket.volatile``)."""
        return BroadcastOperator(
            self._host.manager, self._nsp, rooms=frozenset((self._id,)), volatile_only=True
        )

    @property
    def broadcast(self) -> BroadcastOperator:
        """Every socket of the namespace but this one."""
        return self._operator()

    async def emit(self, event: Any, *args: Any) -> None:
        """Send ``event`` with ``args`` to this client.

        ``event`` may be a model declared with ``@router.emits(name)`` instead of a name.
        """
        name, data = event_and_args(event, args, self._nsp, self._host.manager.emit_check)
        await self._host.send_event(self._id, self._eio_sid, self._nsp, [name, *data])

    async def send(self, *args: Any) -> None:
        """Emit a ``message`` event, as Node's ``socket.send``."""
        await self.emit("message", *args)

    async def emit_with_ack(self, event: Any, *args: Any, timeout: float = 60.0) -> Any:
        """Send ``event`` and wait for the client's ack.

        Returns the ack's argument (a tuple when the client acked with several,
        ``None`` with none); raises `TimeoutError` after ``timeout`` seconds, and
        `SocketDisconnected` at once when the socket is disconnected or leaves
        while waiting.
        """
        name, data = event_and_args(event, args, self._nsp, self._host.manager.emit_check)
        return await self.wait_for_ack(name, data, timeout)

    async def wait_for_ack(self, name: str, data: list[Any], timeout: float) -> Any:
        """Send an event whose arguments are wire-ready, asking for an ack; wait for it."""
        if not self._connected:
            raise SocketDisconnected(f"socket {self._id} is disconnected")
        ack_id = next(self._ack_ids)
        future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = future
        try:
            await self._host.send_packet(
                self._eio_sid, sio_packet.EVENT, self._nsp, [name, *data], ack_id=ack_id
            )
            ack = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"socket {self._id} did not ack {name!r} within {timeout} s"
            ) from None
        finally:
            self._acks.pop(ack_id, None)
        if not ack:
            return None
        return ack[0] if len(ack) == 1 else ack

    async def ack(self, ack_id: int, args: list[Any]) -> None:
        """Answer the client's ack request ``ack_id`` with ``args``: what the event's
        handler returned, or an error."""
        await self._host.send_packet(self._eio_sid, sio_packet.ACK, self._nsp, args, ack_id)

    def receive_ack(self, ack_id: int, args: list[Any]) -> None:
        """The client acked ``ack_id`` with ``args``; an unknown id is ignored."""
        future = self._acks.pop(ack_id, None)
        if future is not None and not future.done():
            future.set_result(tuple(args))

    def arrived(self) -> None:
        """The socket has connected: the client got CONNECT."""
        object.__setattr__(self, "_connected", True)

    def left(self) -> None:
        """The socket has disconnected: acks still awaited fail at once."""
        object.__setattr__(self, "_connected", False)
        acks = self._acks
        object.__setattr__(self, "_acks", {})
        for future in acks.values():
            if not future.done():
                future.set_exception(SocketDisconnected(f"socket {self._id} disconnected"))

    @property
    def packet_middlewares(self) -> list[Any]:
        """The packet middleware added with `use`, in order, ready to run."""
        return self._packet_middlewares

    def use(self, middleware: Callable[..., Any]) -> None:
        """Add packet middleware for this socket: ``fn(socket, event, args, next)``.

        ``await next()`` lets the packet continue; raising stops it, runs the
        error handlers and reports the error to the client.
        """
        self._packet_middlewares.append(self._host.packet_middleware(middleware))

    async def disconnect(self, close: bool = False) -> None:
        """Disconnect from this namespace; ``close=True`` closes the whole connection."""
        if not self._connected:
            return
        server = self._host
        if close:
            await server.close_connection(self._eio_sid, DisconnectReason.FORCED_CLOSE)
        else:
            await server.disconnect(self._id, self._nsp, ignore_queue=True)
