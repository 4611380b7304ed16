"""The server side of the official Socket.IO Admin UI for one app (`SioApp.instrument`)."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from typing import Any, Protocol

from sioapp._admin.auth import AdminAuth, Sessions, credentials_check
from sioapp._admin.commands import Commands
from sioapp._admin.feed import Feed
from sioapp._admin.namespace import SESSION_ATTRIBUTE, admin_router
from sioapp._admin.observer import AdminObserver
from sioapp._admin.options import Options
from sioapp._admin.serialize import serialize
from sioapp._admin.stats import EventBuffer, server_stats
from sioapp._protocol.broadcast import BroadcastOperator, RemoteSocket
from sioapp._protocol.errors import ClusterUnavailable
from sioapp._protocol.server import SioServer
from sioapp._protocol.socket import Socket
from sioapp._runtime.dispatch import Dispatcher

__all__ = ["AdminUI", "Instrumented"]

logger = logging.getLogger("sioapp")


class Instrumented(Protocol):
    """What the Admin UI needs of an app (a `sioapp.SioApp`)."""

    @property
    def dispatcher(self) -> Dispatcher: ...

    @property
    def server(self) -> SioServer: ...


class AdminUI:
    """Serves the admin namespace of ``app``, reports the server to the admins there and
    sends each of them this server's ``server_stats`` every ``stats_interval`` seconds.
    See `SioApp.instrument` for the options."""

    def __init__(
        self,
        app: Instrumented,
        *,
        auth: AdminAuth,
        mode: str,
        read_only: bool,
        namespace: str,
        server_id: str | None,
        stats_interval: float,
    ) -> None:
        self.options = options = Options.checked(
            namespace=namespace,
            mode=mode,
            read_only=read_only,
            server_id=server_id,
            stats_interval=stats_interval,
        )
        check = credentials_check(auth)
        self._dispatcher = dispatcher = app.dispatcher
        self._server = server = app.server
        self.feed = Feed(BroadcastOperator(server.manager, options.namespace))
        self.buffer = EventBuffer()
        router = admin_router(
            options.namespace,
            check=check,
            sessions=Sessions(),
            welcome=self.welcome,
            commands=None if options.read_only else Commands(server.manager, self.namespaces),
        )
        dispatcher.include(router, reserved_by="the Admin UI")
        dispatcher.observers.add(
            AdminObserver(
                namespace=options.namespace,
                development=options.development,
                feed=self.feed,
                buffer=self.buffer,
                server=server,
                namespaces=self.namespaces,
            )
        )
        self._started = time.monotonic()
        self._reporter: asyncio.Task[None] | None = None

    def namespaces(self) -> list[str]:
        """The namespaces this server serves, the admin namespace included."""
        return list(self._dispatcher.registry)

    # ---- lifetime -----------------------------------------------------------------

    def start(self) -> None:
        """Start reporting ``server_stats``; the app's startup calls it."""
        self.feed.open()
        if self._reporter is None:
            loop = asyncio.get_running_loop()
            self._reporter = loop.create_task(self._report(), context=contextvars.Context())

    async def stop(self) -> None:
        """Stop reporting; the app's shutdown calls it."""
        reporter, self._reporter = self._reporter, None
        if reporter is not None:
            reporter.cancel()
            await asyncio.gather(reporter, return_exceptions=True)
        await self.feed.close()

    async def _report(self) -> None:
        """Every ``stats_interval`` seconds, this server's ``server_stats`` to every admin."""
        admins = self.feed.admins
        while True:
            await self._count_servers()
            aggregated = self.buffer.take()
            if self.feed.listened:
                try:
                    await admins.emit("server_stats", self.stats(aggregated))
                except Exception:
                    logger.exception("the Admin UI could not report server_stats")
            if self.feed.dropped:
                logger.warning(
                    "the Admin UI dropped %d reports: they came faster than they could be sent",
                    self.feed.dropped,
                )
                self.feed.dropped = 0
            await asyncio.sleep(self.options.stats_interval)

    async def _count_servers(self) -> None:
        """Whether other servers run, whose admins must hear this one."""
        try:
            self.feed.other_servers = await self._server.manager.server_count() > 1
        except ClusterUnavailable:  # the cluster layer logs it; this server's admins still hear
            self.feed.other_servers = False

    def stats(self, aggregated: list[dict[str, Any]]) -> dict[str, Any]:
        """This server's ``server_stats`` payload, with the ``aggregated`` traffic."""
        return server_stats(
            self.options.server_id,
            self._started,
            self._server.eio.client_counts(),
            aggregated,
            self.namespaces(),
            self._server.sockets.values(),
        )

    # ---- a new admin --------------------------------------------------------------

    async def welcome(self, socket: Socket) -> None:
        """Greet an admin that connected: its new session if it gave credentials, the
        ``config``, and in development mode every socket of every server."""
        self.start()  # when the app's startup did not run
        session = getattr(socket, SESSION_ATTRIBUTE, None)
        if session is not None:
            await socket.emit("session", session)
        await socket.emit("config", {"supportedFeatures": self.options.features})
        if self.options.development:
            await socket.emit("all_sockets", await self.all_sockets())

    async def all_sockets(self) -> list[dict[str, Any]]:
        """Every socket of every namespace, on every server that answers."""
        found = await asyncio.gather(*(self._fetch(name) for name in self.namespaces()))
        return [serialize(socket) for sockets in found for socket in sockets]

    async def _fetch(self, namespace: str) -> list[RemoteSocket]:
        sockets = BroadcastOperator(self._server.manager, namespace)
        try:
            return await sockets.fetch_sockets()
        except ClusterUnavailable:
            logger.warning("the Admin UI lists the sockets of this server only: %s", namespace)
            return await sockets.local.fetch_sockets()
