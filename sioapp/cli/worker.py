"""A worker process of ``sioapp run --workers N``.

The supervisor accepts every connection, reads its first request line, and
hands the connection to the worker it belongs to, with the bytes it read
(`sioapp.cli.handoff`). The worker starts the ids of its sessions with its tag
(`sioapp.cli.routing`) and serves what it is handed directly: the supervisor
sees none of that connection's later traffic, WebSocket frames included.

A kept-alive connection may later carry a request for another worker's
session: browsers and proxies reuse their connections for any request to the
same host. When a request starts with such a line, the connection goes back to
the supervisor with that request, and on to the worker holding the session.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from sioapp._tasks import TaskSet
from sioapp.cli.handoff import Channel
from sioapp.cli.routing import owner, request_line, tag
from sioapp.cli.server import Server, served_app

__all__ = ["work"]


@dataclass(frozen=True, slots=True)
class WorkerRoute:
    """Which worker this is, of how many, and its channel to the supervisor."""

    worker: int
    workers: int
    channel: Channel

    def elsewhere(self, line: bytes) -> bool:
        """Whether request line ``line`` names a session of another worker."""
        named = owner(line, self.workers)
        return named is not None and named != self.worker


class RoutedProtocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol for a connection the supervisor handed over with
    ``head``, the bytes it had read: a later request that names another worker's
    session sends the connection back."""

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        route: WorkerRoute,
        head: bytes,
    ) -> None:
        super().__init__(config, server_state, app_state)
        self._route = route
        self._held = head  # the start of a request, until its first line is complete

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        head, self._held = self._held, b""
        super().data_received(head)  # the supervisor chose this worker for this request

    def data_received(self, data: bytes) -> None:
        if self._held or self._between_requests():
            data, self._held = self._held + data, b""
            line = request_line(data)
            if line is None:
                self._held = data
                return
            if self._route.elsewhere(line) and self._hand_back(data):
                return
        super().data_received(data)

    def _between_requests(self) -> bool:
        return self.conn.their_state is h11.IDLE and not self.conn.trailing_data[0]

    def _hand_back(self, data: bytes) -> bool:
        """Give the connection and ``data``, read from it, back to the supervisor."""
        sock = self.transport.get_extra_info("socket")
        if sock is None or self.transport.get_write_buffer_size():
            return False  # a response is still on its way: serve the request here
        if not self._route.channel.send(os.dup(sock.fileno()), data):
            return False
        self.transport.abort()  # this process's descriptor only: the connection stays open
        return True


class WorkerServer(Server):
    """Serves the connections handed over through ``end``, this worker's end of its
    channel to the supervisor, and says when it is ready to."""

    def __init__(
        self,
        config: uvicorn.Config,
        gc_threshold: int,
        end: socket.socket,
        worker: int,
        workers: int,
    ) -> None:
        super().__init__(config, gc_threshold)
        self._end = end
        self._worker = worker
        self._workers = workers
        self._route: WorkerRoute | None = None
        self._openings = TaskSet()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        app = served_app(self.config.loaded_app)
        if app is not None:
            app.server.eio.id_prefix = tag(self._worker)
        await super().startup([])
        if self.started:
            channel = Channel(self._end, self._take, self._orphaned)
            self._route = WorkerRoute(self._worker, self._workers, channel)
            channel.send(None, b"")  # ready

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._route is not None:
            self._route.channel.close()
        await super().shutdown(sockets)

    def _take(self, connection: socket.socket | None, head: bytes) -> None:
        if connection is None or self._route is None:
            return
        route = self._route

        def protocol() -> RoutedProtocol:
            return RoutedProtocol(self.config, self.server_state, self.lifespan.state, route, head)

        self._openings.spawn(_open(connection, protocol))

    def _orphaned(self) -> None:
        """The supervisor has gone: stop."""
        self.should_exit = True


async def _open(connection: socket.socket, protocol: Callable[[], RoutedProtocol]) -> None:
    try:
        await asyncio.get_running_loop().connect_accepted_socket(protocol, connection)
    except OSError:
        connection.close()


def work(
    config: uvicorn.Config, end: socket.socket, worker: int, workers: int, gc_threshold: int
) -> None:
    """The body of the process of worker ``worker`` (of ``workers``)."""
    config.configure_logging()
    WorkerServer(config, gc_threshold, end, worker, workers).run([])
