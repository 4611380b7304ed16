"""Sockets selected by rooms, wherever they are: Node's BroadcastOperator and RemoteSocket.

A `BroadcastOperator` is a ``to``/``in_``/``except_`` chain; every operation
reaches the selected sockets on every server when the app runs with Redis,
and ``.local`` keeps it on this process. ``fetch_sockets()`` returns
`RemoteSocket`s. Both hold the manager that carries the operations out
(`Operations`), never the app.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Protocol

from sioapp._protocol.codec import to_wire
from sioapp._protocol.events import EmitCheck, check_server_event, event_and_args
from sioapp._protocol.handshake import Handshake

__all__ = [
    "BroadcastAcks",
    "BroadcastOperator",
    "LocalSocket",
    "Operations",
    "RemoteSocket",
    "ServerAcks",
]

DEFAULT_ACK_TIMEOUT = 60.0

Rooms = str | Iterable[str]


def _room_set(rooms: Rooms) -> frozenset[str]:
    return frozenset((rooms,)) if isinstance(rooms, str) else frozenset(rooms)


@dataclass(frozen=True, slots=True)
class BroadcastAcks:
    """What ``emit_with_ack`` to a group got back: each socket's ack and who did not answer.

    ``missing_servers`` counts the other servers that did not report in time;
    their sockets are in neither ``responses`` nor ``timed_out``.
    """

    responses: dict[str, Any]
    timed_out: list[str]
    missing_servers: int = 0


@dataclass(frozen=True, slots=True)
class ServerAcks:
    """What ``server_side_emit_with_ack`` got back.

    ``responses`` holds one reply per server that answered in time (the return
    value of its handler, or the ``{"error": ...}`` payload when the handler
    failed or does not exist there); ``missing`` counts the servers that did not
    answer within the timeout.
    """

    responses: list[Any]
    missing: int = 0

    @property
    def complete(self) -> bool:
        """Whether every other server answered."""
        return self.missing == 0


class Operations(Protocol):
    """What carries out a `BroadcastOperator`'s operations: the manager of this process,
    which reaches the other servers when there are some."""

    @property
    def emit_check(self) -> EmitCheck | None:
        """What checks the arguments of declared events before they are sent."""

    async def broadcast(self, op: BroadcastOperator, data: list[Any]) -> None: ...

    async def broadcast_with_ack(
        self, op: BroadcastOperator, name: str, data: list[Any], timeout: float
    ) -> BroadcastAcks: ...

    async def fetch_sockets(self, op: BroadcastOperator) -> list[RemoteSocket]: ...

    async def add_sockets(self, op: BroadcastOperator, rooms: frozenset[str]) -> None: ...

    async def del_sockets(self, op: BroadcastOperator, rooms: frozenset[str]) -> None: ...

    async def disconnect_sockets(self, op: BroadcastOperator, close: bool) -> None: ...

    async def all_rooms(self, op: BroadcastOperator) -> set[str]: ...

    async def server_side_emit(
        self, op: BroadcastOperator, event: str, args: list[Any]
    ) -> None: ...

    async def server_side_emit_with_ack(
        self, op: BroadcastOperator, event: str, args: list[Any]
    ) -> ServerAcks: ...


@dataclass(frozen=True, slots=True)
class BroadcastOperator:
    """An immutable selection of sockets in one namespace; each method returns a new one."""

    manager: Operations = field(repr=False)
    namespace: str
    rooms: frozenset[str] = field(default_factory=frozenset)
    except_rooms: frozenset[str] = field(default_factory=frozenset)
    ack_timeout: float | None = None
    local_only: bool = False
    volatile_only: bool = False

    def to(self, rooms: Rooms) -> BroadcastOperator:
        """Target sockets in ``rooms`` too (union with rooms already targeted)."""
        return replace(self, rooms=self.rooms | _room_set(rooms))

    def in_(self, rooms: Rooms) -> BroadcastOperator:
        """Same as `to`."""
        return self.to(rooms)

    def except_(self, rooms: Rooms) -> BroadcastOperator:
        """Leave out sockets in ``rooms`` (a socket id is a room too)."""
        return replace(self, except_rooms=self.except_rooms | _room_set(rooms))

    def timeout(self, seconds: float) -> BroadcastOperator:
        """How long ``emit_with_ack`` waits for acks, and requests to other servers for
        answers (default: the app's ``cluster_timeout``)."""
        return replace(self, ack_timeout=seconds)

    @property
    def local(self) -> BroadcastOperator:
        """The same selection, on this server only."""
        return replace(self, local_only=True)

    @property
    def volatile(self) -> BroadcastOperator:
        """The same selection, for events that may be lost: never logged for connection
        state recovery, never replayed (Node's ``volatile``)."""
        return replace(self, volatile_only=True)

    async def emit(self, event: Any, *args: Any) -> None:
        """Send ``event`` with ``args`` to every selected socket.

        ``event`` may be a model declared with ``@router.emits(name)`` instead of a name.
        """
        name, data = event_and_args(event, args, self.namespace, self.manager.emit_check)
        await self.manager.broadcast(self, [name, *data])

    async def emit_with_ack(self, event: Any, *args: Any) -> BroadcastAcks:
        """Send to every selected socket and wait for each ack, up to the timeout."""
        name, data = event_and_args(event, args, self.namespace, self.manager.emit_check)
        timeout = DEFAULT_ACK_TIMEOUT if self.ack_timeout is None else self.ack_timeout
        return await self.manager.broadcast_with_ack(self, name, data, timeout)

    async def fetch_sockets(self) -> list[RemoteSocket]:
        """The selected sockets, from every server."""
        return await self.manager.fetch_sockets(self)

    async def sockets_join(self, rooms: Rooms) -> None:
        """Make every selected socket join ``rooms``."""
        await self.manager.add_sockets(self, _room_set(rooms))

    async def sockets_leave(self, rooms: Rooms) -> None:
        """Make every selected socket leave ``rooms``."""
        await self.manager.del_sockets(self, _room_set(rooms))

    async def disconnect_sockets(self, close: bool = False) -> None:
        """Disconnect every selected socket (``close=True`` closes the whole connection)."""
        await self.manager.disconnect_sockets(self, close)

    async def all_rooms(self) -> set[str]:
        """Every room of the namespace on every server, socket-id rooms included."""
        return await self.manager.all_rooms(self)

    async def server_side_emit(self, event: str, *args: Any) -> None:
        """Run ``event``'s ``@app.on_server_event`` handler on every other server."""
        await self.manager.server_side_emit(self, *self._server_event(event, args))

    async def server_side_emit_with_ack(self, event: str, *args: Any) -> ServerAcks:
        """Run ``event``'s handler on every other server and collect their return values.

        Waits up to the timeout; servers that did not answer by then are counted
        in ``ServerAcks.missing``.
        """
        return await self.manager.server_side_emit_with_ack(self, *self._server_event(event, args))

    def _server_event(self, event: str, args: tuple[Any, ...]) -> tuple[str, list[Any]]:
        check_server_event(event)
        if self.rooms or self.except_rooms:
            raise ValueError("server-side events go to servers, not to rooms")
        return event, [to_wire(arg) for arg in args]


class LocalSocket(Protocol):
    """What a `RemoteSocket` uses of a socket of this server (a `sioapp.Socket`)."""

    @property
    def id(self) -> str: ...

    @property
    def nsp(self) -> str: ...

    @property
    def handshake(self) -> Handshake: ...

    @property
    def rooms(self) -> Set[str]: ...

    @property
    def data(self) -> dict[str, Any]: ...

    @property
    def connected(self) -> bool: ...

    async def emit(self, event: Any, *args: Any) -> None: ...

    async def join(self, rooms: str | Iterable[str]) -> None: ...

    async def leave(self, room: str) -> None: ...

    async def disconnect(self, close: bool = False) -> None: ...


def _handshake(raw: Mapping[str, Any]) -> Handshake:
    return Handshake(
        headers=MappingProxyType(raw["headers"]),
        query=MappingProxyType(raw["query"]),
        auth=MappingProxyType(raw["auth"]),
        time=raw["time"],
        issued=raw["issued"],
        url=raw["url"],
        address=raw["address"],
        xdomain=raw["xdomain"],
        secure=raw["secure"],
    )


@dataclass(frozen=True, slots=True, eq=False)
class RemoteSocket:
    """A socket of this server or of another one, as Node's ``RemoteSocket``.

    ``handshake``, ``rooms`` and ``data`` are what the owning server had when the
    socket was fetched; for a socket of this server ``rooms`` is its live view
    and ``data`` its live dict. ``emit``, ``join``, ``leave`` and ``disconnect``
    reach the socket wherever it is; on this server they act on it directly.
    """

    manager: Operations = field(repr=False)
    nsp: str
    id: str
    handshake: Handshake = field(repr=False)
    rooms: Set[str]
    data: dict[str, Any]
    socket: LocalSocket | None = field(default=None, repr=False)
    """The socket itself when it is on this server."""

    @classmethod
    def of(cls, socket: LocalSocket, manager: Operations) -> RemoteSocket:
        """The RemoteSocket of a socket of this server."""
        return cls(
            manager, socket.nsp, socket.id, socket.handshake, socket.rooms, socket.data, socket
        )

    @classmethod
    def from_dict(cls, manager: Operations, namespace: str, raw: Mapping[str, Any]) -> RemoteSocket:
        """The RemoteSocket another server described with `to_dict`."""
        return cls(
            manager,
            namespace,
            raw["id"],
            _handshake(raw["handshake"]),
            frozenset(raw["rooms"]),
            raw["data"],
        )

    def _elsewhere(self) -> BroadcastOperator:
        return BroadcastOperator(self.manager, self.nsp, rooms=frozenset((self.id,)))

    async def emit(self, event: Any, *args: Any) -> None:
        """Send ``event`` with ``args`` to this client."""
        if self.socket is None:
            await self._elsewhere().emit(event, *args)
        elif self.socket.connected:
            await self.socket.emit(event, *args)

    async def join(self, rooms: str | Iterable[str]) -> None:
        """Make the socket join one room or several."""
        if self.socket is None:
            await self._elsewhere().sockets_join(rooms)
        elif self.socket.connected:
            await self.socket.join(rooms)

    async def leave(self, room: str) -> None:
        """Make the socket leave ``room``."""
        if self.socket is None:
            await self._elsewhere().sockets_leave(room)
        elif self.socket.connected:
            await self.socket.leave(room)

    async def disconnect(self, close: bool = False) -> None:
        """Disconnect the socket; ``close=True`` closes its whole connection."""
        if self.socket is None:
            await self._elsewhere().disconnect_sockets(close)
        else:
            await self.socket.disconnect(close=close)

    def to_dict(self) -> dict[str, Any]:
        """``{id, handshake, rooms, data}``, JSON-ready, as sent to other servers."""
        return {
            "id": self.id,
            "handshake": self.handshake.to_dict(),
            "rooms": sorted(self.rooms),
            "data": to_wire(self.data),
        }
