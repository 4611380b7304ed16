"""The server-wide operations of the main namespace, on the app itself, as on Node's ``io``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from sioapp._protocol.broadcast import BroadcastOperator, RemoteSocket, ServerAcks

__all__ = ["MainNamespace"]


class MainNamespace(ABC):
    """``app.emit(...)`` for ``app.of("/").emit(...)``, and so on for every operation."""

    @abstractmethod
    def of(self, namespace: str) -> BroadcastOperator:
        """Every socket of ``namespace``."""

    def to(self, rooms: str | Iterable[str]) -> BroadcastOperator:
        """Sockets of the main namespace in ``rooms``."""
        return self.of("/").to(rooms)

    def in_(self, rooms: str | Iterable[str]) -> BroadcastOperator:
        """Same as `to`."""
        return self.to(rooms)

    def except_(self, rooms: str | Iterable[str]) -> BroadcastOperator:
        """Sockets of the main namespace not in ``rooms``."""
        return self.of("/").except_(rooms)

    def timeout(self, seconds: float) -> BroadcastOperator:
        """The main namespace, with a timeout for ``emit_with_ack`` acks and for answers
        from other servers."""
        return self.of("/").timeout(seconds)

    @property
    def local(self) -> BroadcastOperator:
        """The main namespace on this server only."""
        return self.of("/").local

    async def emit(self, event: Any, *args: Any) -> None:
        """Send ``event`` to every socket of the main namespace."""
        await self.of("/").emit(event, *args)

    async def fetch_sockets(self) -> list[RemoteSocket]:
        """Every socket of the main namespace, on every server."""
        return await self.of("/").fetch_sockets()

    async def sockets_join(self, rooms: str | Iterable[str]) -> None:
        """Make every socket of the main namespace join ``rooms``."""
        await self.of("/").sockets_join(rooms)

    async def sockets_leave(self, rooms: str | Iterable[str]) -> None:
        """Make every socket of the main namespace leave ``rooms``."""
        await self.of("/").sockets_leave(rooms)

    async def disconnect_sockets(self, close: bool = False) -> None:
        """Disconnect every socket of the main namespace."""
        await self.of("/").disconnect_sockets(close)

    async def all_rooms(self) -> set[str]:
        """Every room of the main namespace on every server, socket-id rooms included."""
        return await self.of("/").all_rooms()

    async def server_side_emit(self, event: str, *args: Any) -> None:
        """Run ``event``'s ``@app.on_server_event`` handler on every other server."""
        await self.of("/").server_side_emit(event, *args)

    async def server_side_emit_with_ack(self, event: str, *args: Any) -> ServerAcks:
        """Run ``event``'s handler on every other server and collect their return values,
        up to ``cluster_timeout`` (or ``app.timeout(s)``)."""
        return await self.of("/").server_side_emit_with_ack(event, *args)
