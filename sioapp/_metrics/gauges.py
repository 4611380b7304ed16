"""What is read when metrics are collected rather than counted as it happens: sockets and
rooms by namespace, bytes waiting to be sent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from sioapp._protocol.manager import LocalManager
from sioapp._protocol.observers import Observers
from sioapp._protocol.server import SioServer
from sioapp._runtime.dispatch import Dispatcher
from sioapp._runtime.registry import NamespaceRegistry

__all__ = ["Gauges", "Measured", "served"]


class Measured(Protocol):
    """The app whose metrics are taken."""

    @property
    def observers(self) -> Observers:
        """Those the app's server tells what it does."""

    @property
    def dispatcher(self) -> Dispatcher:
        """What runs the app's handlers, with every namespace served and its handlers."""

    @property
    def server(self) -> SioServer:
        """The app's Socket.IO server."""


def served(app: Measured) -> Mapping[str, NamespaceRegistry]:
    """Every namespace ``app`` serves, with its handlers, those left out of the event
    contract too: a live view, that follows routers included later."""
    return app.dispatcher.registry


class Gauges:
    """Reads the state of ``app``'s server each time it is asked: nothing per packet."""

    def __init__(self, app: Measured) -> None:
        self.app = app

    def connected_sockets(self) -> dict[str, int]:
        """Sockets connected to this server, by namespace (every namespace served)."""
        counts = dict.fromkeys(served(self.app), 0)
        for socket in self.app.server.sockets.values():
            if socket.connected:
                counts[socket.nsp] = counts.get(socket.nsp, 0) + 1
        return counts

    def rooms(self) -> dict[str, int]:
        """Rooms with members on this server, sockets' own rooms not counted, by namespace."""
        manager: LocalManager = self.app.server.manager
        return {namespace: manager.room_count(namespace) for namespace in served(self.app)}

    def outgoing_buffer_bytes(self) -> int:
        """Bytes queued for this server's connections and not yet sent."""
        return self.app.server.eio.outgoing_bytes()
