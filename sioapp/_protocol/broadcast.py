"""Targeting a group of sockets: ``to``/``in_``/``except_`` chains, as Node's BroadcastOperator.

Every operation reaches the selected sockets on every server when the app runs
with Redis; ``.local`` keeps it on this process.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sioapp._protocol.codec import to_wire
from sioapp._protocol.events import event_and_args
from sioapp._runtime.server_events import check_server_event

if TYPE_CHECKING:
    from sioapp._app.app import SioApp
    from sioapp._protocol.manager import LocalManager
    from sioapp._protocol.remote import RemoteSocket
    from sioapp._runtime.server_events import ServerAcks

__all__ = ["BroadcastAcks", "BroadcastOperator"]

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
class BroadcastOperator:
    """An immutable selection of sockets in one namespace; each method returns a new one."""

    app: SioApp
    namespace: str
    rooms: frozenset[str] = field(default_factory=frozenset)
    except_rooms: frozenset[str] = field(default_factory=frozenset)
    ack_timeout: float | None = None
    local_only: bool = False

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
    def _manager(self) -> LocalManager:
        manager: LocalManager = self.app.server.manager
        return manager

    async def emit(self, event: Any, *args: Any) -> None:
        """Send ``event`` with ``args`` to every selected socket.

        ``event`` may be a model declared with ``@router.emits(name)`` instead of a name.
        """
        name, data = event_and_args(event, args)
        await self._manager.broadcast(self, [name, *data])

    async def emit_with_ack(self, event: Any, *args: Any) -> BroadcastAcks:
        """Send to every selected socket and wait for each ack, up to the timeout."""
        name, data = event_and_args(event, args)
        timeout = DEFAULT_ACK_TIMEOUT if self.ack_timeout is None else self.ack_timeout
        return await self._manager.broadcast_with_ack(self, name, data, timeout)

    async def fetch_sockets(self) -> list[RemoteSocket]:
        """The selected sockets, from every server."""
        return await self._manager.fetch_sockets(self)

    async def sockets_join(self, rooms: Rooms) -> None:
        """Make every selected socket join ``rooms``."""
        await self._manager.add_sockets(self, _room_set(rooms))

    async def sockets_leave(self, rooms: Rooms) -> None:
        """Make every selected socket leave ``rooms``."""
        await self._manager.del_sockets(self, _room_set(rooms))

    async def disconnect_sockets(self, close: bool = False) -> None:
        """Disconnect every selected socket (``close=True`` closes the whole connection)."""
        await self._manager.disconnect_sockets(self, close)

    async def all_rooms(self) -> set[str]:
        """Every room of the namespace on every server, socket-id rooms included."""
        return await self._manager.all_rooms(self)

    async def server_side_emit(self, event: str, *args: Any) -> None:
        """Run ``event``'s ``@app.on_server_event`` handler on every other server."""
        await self._manager.server_side_emit(self, *self._server_event(event, args))

    async def server_side_emit_with_ack(self, event: str, *args: Any) -> ServerAcks:
        """Run ``event``'s handler on every other server and collect their return values.

        Waits up to the timeout; servers that did not answer by then are counted
        in ``ServerAcks.missing``.
        """
        return await self._manager.server_side_emit_with_ack(self, *self._server_event(event, args))

    def _server_event(self, event: str, args: tuple[Any, ...]) -> tuple[str, list[Any]]:
        check_server_event(event)
        if self.rooms or self.except_rooms:
            raise ValueError("server-side events go to servers, not to rooms")
        return event, [to_wire(arg) for arg in args]
