"""Targeting a group of sockets: ``to``/``in_``/``except_`` chains, as Node's BroadcastOperator."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sioapp.events import event_and_args

if TYPE_CHECKING:
    from sioapp.app import SioApp
    from sioapp.socket import Socket

__all__ = ["BroadcastAcks", "BroadcastOperator"]

DEFAULT_ACK_TIMEOUT = 60.0

Rooms = str | Iterable[str]


def _room_set(rooms: Rooms) -> frozenset[str]:
    return frozenset((rooms,)) if isinstance(rooms, str) else frozenset(rooms)


@dataclass(frozen=True, slots=True)
class BroadcastAcks:
    """What ``emit_with_ack`` to a group got back: each socket's ack and who did not answer."""

    responses: dict[str, Any]
    timed_out: list[str]


@dataclass(frozen=True, slots=True)
class BroadcastOperator:
    """An immutable selection of sockets in one namespace; each method returns a new one."""

    app: SioApp
    namespace: str
    rooms: frozenset[str] = field(default_factory=frozenset)
    except_rooms: frozenset[str] = field(default_factory=frozenset)
    ack_timeout: float | None = None

    def to(self, rooms: Rooms) -> BroadcastOperator:
        """Target sockets in ``rooms`` too (union with rooms already targeted)."""
        return replace(self, rooms=self.rooms | _room_set(rooms))

    def in_(self, rooms: Rooms) -> BroadcastOperator:
        """Same as :meth:`to`."""
        return self.to(rooms)

    def except_(self, rooms: Rooms) -> BroadcastOperator:
        """Leave out sockets in ``rooms`` (a socket id is a room too)."""
        return replace(self, except_rooms=self.except_rooms | _room_set(rooms))

    def timeout(self, seconds: float) -> BroadcastOperator:
        """How long ``emit_with_ack`` waits for the acks."""
        return replace(self, ack_timeout=seconds)

    async def emit(self, event: Any, *args: Any) -> None:
        """Send ``event`` with ``args`` to every selected socket.

        ``event`` may be a model declared with ``@router.emits(name)`` instead of a name.
        """
        name, data = event_and_args(event, args)
        await self.app.server.manager.send_to_local(
            self.namespace, [name, *data], self.rooms, self.except_rooms
        )

    def sockets(self) -> list[Socket]:
        """The selected sockets of this process."""
        server = self.app.server
        return [
            server.sockets[sid]
            for sid, _ in server.manager.select(self.namespace, self.rooms, self.except_rooms)
            if sid in server.sockets
        ]

    async def fetch_sockets(self) -> list[Socket]:
        """The selected sockets."""
        return self.sockets()

    async def emit_with_ack(self, event: Any, *args: Any) -> BroadcastAcks:
        """Send to every selected socket and wait for each ack, up to the timeout."""
        name, data = event_and_args(event, args)
        timeout = DEFAULT_ACK_TIMEOUT if self.ack_timeout is None else self.ack_timeout
        targets = self.sockets()
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

    async def sockets_join(self, rooms: Rooms) -> None:
        """Make every selected socket join ``rooms``."""
        for socket in self.sockets():
            await socket.join(rooms)

    async def sockets_leave(self, rooms: Rooms) -> None:
        """Make every selected socket leave ``rooms``."""
        for socket in self.sockets():
            for room in _room_set(rooms):
                await socket.leave(room)

    async def disconnect_sockets(self, close: bool = False) -> None:
        """Disconnect every selected socket (``close=True`` closes the whole connection)."""
        for socket in self.sockets():
            await socket.disconnect(close=close)
