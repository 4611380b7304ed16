"""RemoteSocket: a socket as ``fetch_sockets()`` returns it, whichever server holds it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sioapp._protocol.broadcast import BroadcastOperator
from sioapp._protocol.codec import to_wire
from sioapp._protocol.handshake import Handshake

if TYPE_CHECKING:
    from sioapp._app.app import SioApp
    from sioapp._protocol.socket import Socket

__all__ = ["RemoteSocket"]


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
    and ``data`` its live dict.
    ``emit``, ``join``, ``leave`` and ``disconnect`` reach the socket wherever it
    is; on this server they act on it directly.
    """

    app: SioApp = field(repr=False)
    nsp: str
    id: str
    handshake: Handshake = field(repr=False)
    rooms: Set[str]
    data: dict[str, Any]
    socket: Socket | None = field(default=None, repr=False)
    """The socket itself when it is on this server."""

    @classmethod
    def of(cls, socket: Socket) -> RemoteSocket:
        """The RemoteSocket of a socket of this server."""
        return cls(
            socket.app, socket.nsp, socket.id, socket.handshake, socket.rooms, socket.data, socket
        )

    @classmethod
    def from_dict(cls, app: SioApp, namespace: str, raw: Mapping[str, Any]) -> RemoteSocket:
        """The RemoteSocket another server described with ``Socket.to_dict()``."""
        return cls(
            app,
            namespace,
            raw["id"],
            _handshake(raw["handshake"]),
            frozenset(raw["rooms"]),
            raw["data"],
        )

    def _elsewhere(self) -> BroadcastOperator:
        return BroadcastOperator(self.app, self.nsp, rooms=frozenset((self.id,)))

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
        """``{id, handshake, rooms, data}``, JSON-ready, as ``Socket.to_dict()``."""
        return {
            "id": self.id,
            "handshake": self.handshake.to_dict(),
            "rooms": sorted(self.rooms),
            "data": to_wire(self.data),
        }
