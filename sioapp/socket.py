"""The server-side Socket: one per connection and namespace, as in Node Socket.IO v4."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from socketio import packet as sio_packet

from sioapp.broadcast import BroadcastOperator
from sioapp.events import event_and_args
from sioapp.handshake import Handshake
from sioapp.reasons import DisconnectReason

if TYPE_CHECKING:
    from sioapp.app import SioApp
    from sioapp.injection import Dependant

__all__ = ["Rooms", "Socket"]


class Rooms(frozenset[str]):
    """The rooms a socket is in, its own id included (a snapshot)."""


#: Attributes the framework owns; user code may set any other attribute.
_OWNED = frozenset(
    {"id", "nsp", "handshake", "rooms", "data", "connected", "disconnected", "app", "eio_sid"}
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
    _app: SioApp
    _packet_middlewares: list[Dependant]
    _reason: DisconnectReason | None

    def __init__(
        self, app: SioApp, sid: str, eio_sid: str, namespace: str, handshake: Handshake
    ) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "_app", app)
        setattr_(self, "_id", sid)
        setattr_(self, "_eio_sid", eio_sid)
        setattr_(self, "_nsp", namespace)
        setattr_(self, "_handshake", handshake)
        setattr_(self, "_data", {})
        setattr_(self, "_connected", False)
        setattr_(self, "_packet_middlewares", [])
        setattr_(self, "_reason", None)

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
    def app(self) -> SioApp:
        """The app serving this socket."""
        return self._app

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
    def rooms(self) -> Rooms:
        """The rooms this socket is in, its own id included; empty once disconnected."""
        if not self._connected:
            return Rooms()
        return Rooms(self._app.server.manager.rooms_of(self._id, self._nsp))

    async def join(self, rooms: str | Iterable[str]) -> None:
        """Join one room or several; nothing happens once the socket has disconnected
        (a handler may still be running when its client goes away)."""
        if not self._connected:
            return
        manager = self._app.server.manager
        for room in (rooms,) if isinstance(rooms, str) else rooms:
            await manager.enter_room(self._id, self._nsp, room)

    async def leave(self, room: str) -> None:
        """Leave ``room``."""
        await self._app.server.manager.leave_room(self._id, self._nsp, room)

    def _operator(self) -> BroadcastOperator:
        return BroadcastOperator(self._app, self._nsp, except_rooms=frozenset((self._id,)))

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
    def broadcast(self) -> BroadcastOperator:
        """Every socket of the namespace but this one."""
        return self._operator()

    async def emit(self, event: Any, *args: Any) -> None:
        """Send ``event`` with ``args`` to this client.

        ``event`` may be a model declared with ``@router.emits(name)`` instead of a name.
        """
        name, data = event_and_args(event, args)
        await self._app.server.send_packet(
            self._eio_sid, sio_packet.EVENT, self._nsp, [name, *data]
        )

    async def send(self, *args: Any) -> None:
        """Emit a ``message`` event, as Node's ``socket.send``."""
        await self.emit("message", *args)

    async def emit_with_ack(self, event: Any, *args: Any, timeout: float = 60.0) -> Any:
        """Send ``event`` and wait for the client's ack.

        Returns the ack's argument (a tuple when the client acked with several,
        ``None`` with none); raises `TimeoutError` after ``timeout`` seconds.
        """
        name, data = event_and_args(event, args)
        return await self.wait_for_ack(name, data, timeout)

    async def wait_for_ack(self, name: str, data: list[Any], timeout: float) -> Any:
        """Send an already encoded event asking for an ack, and wait for it."""
        manager = self._app.server.manager
        future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

        def on_ack(*ack: Any) -> None:
            if not future.done():
                future.set_result(ack)

        ack_id = manager._generate_ack_id(self._id, on_ack)
        await self._app.server.send_packet(
            self._eio_sid, sio_packet.EVENT, self._nsp, [name, *data], ack_id=ack_id
        )
        try:
            ack = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            manager.callbacks.get(self._id, {}).pop(ack_id, None)
            raise TimeoutError(
                f"socket {self._id} did not ack {name!r} within {timeout} s"
            ) from None
        if not ack:
            return None
        return ack[0] if len(ack) == 1 else ack

    def use(self, middleware: Callable[..., Any]) -> None:
        """Add packet middleware for this socket: ``fn(socket, event, args, next)``.

        ``await next()`` lets the packet continue; raising stops it, runs the
        error handlers and reports the error to the client.
        """
        self._packet_middlewares.append(self._app.packet_middleware(middleware))

    async def disconnect(self, close: bool = False) -> None:
        """Disconnect from this namespace; ``close=True`` closes the whole connection."""
        if not self._connected:
            return
        server = self._app.server
        if close:
            await server.close_connection(self._eio_sid, DisconnectReason.FORCED_CLOSE)
        else:
            object.__setattr__(self, "_reason", DisconnectReason.SERVER_NAMESPACE_DISCONNECT)
            await server.disconnect(self._id, self._nsp, ignore_queue=True)

    def to_dict(self) -> dict[str, Any]:
        """``{id, handshake, rooms, data}``, JSON-ready."""
        return {
            "id": self._id,
            "handshake": self._handshake.to_dict(),
            "rooms": sorted(self.rooms),
            "data": self._data,
        }
