"""SioApp: one ASGI app serving typed Socket.IO handlers beside FastAPI routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from sioapp.broadcast import BroadcastOperator
from sioapp.handshake import TrustedProxies
from sioapp.injection import Dependant, HandlerKind, analyse
from sioapp.reasons import DisconnectReason
from sioapp.routing import NamespaceRegistry, Router
from sioapp.server import SioServer
from sioapp.socket import Socket

__all__ = ["SioApp"]

logger = logging.getLogger("sioapp")

F = TypeVar("F", bound=Callable[..., Any])

#: python-socketio / python-engineio server options SioApp passes through by name.
SERVER_OPTIONS = frozenset(
    {
        "allow_upgrades",
        "compression_threshold",
        "cookie",
        "cors_allowed_origins",
        "cors_credentials",
        "engineio_logger",
        "http_compression",
        "logger",
        "max_http_buffer_size",
        "monitor_clients",
        "ping_interval",
        "ping_timeout",
        "transports",
    }
)

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]


class SioApp:
    """A Socket.IO server with typed handlers, mounted beside a FastAPI app.

    ``app`` is an ASGI application: ``uvicorn module:app`` serves the REST routes
    of ``app.fastapi`` and Socket.IO at ``/{socketio_path}/``. Keyword arguments
    not listed here are python-socketio's server options (``cors_allowed_origins``,
    ``ping_interval``, ``ping_timeout``, ``max_http_buffer_size``, ``transports``...).
    """

    def __init__(
        self,
        *,
        title: str = "sioapp",
        version: str = "0.1.0",
        description: str = "",
        container: Any = None,
        fastapi: FastAPI | None = None,
        lifespan: Lifespan | None = None,
        socketio_path: str = "socket.io",
        trusted_proxies: Iterable[str] = (),
        connect_timeout: float = 45.0,
        **server_options: Any,
    ) -> None:
        unknown = sorted(set(server_options) - SERVER_OPTIONS)
        if unknown:
            raise TypeError(
                f"unknown SioApp option(s) {', '.join(unknown)}; server options are "
                + ", ".join(sorted(SERVER_OPTIONS))
            )
        if fastapi is not None and lifespan is not None:
            raise TypeError("pass lifespan to your FastAPI app, not to SioApp, when giving fastapi=")
        self.title = title
        self.version = version
        self.description = description
        self.container = container
        self.trusted_proxies = TrustedProxies(trusted_proxies)
        self.socketio_path = "/" + socketio_path.strip("/") + "/"
        self.registry: dict[str, NamespaceRegistry] = {"/": NamespaceRegistry("/")}
        self.connect_middlewares: list[Dependant] = []
        self.error_handlers: list[Dependant] = []
        self._packet_middlewares: dict[Callable[..., Any], Dependant] = {}
        self.server = SioServer(self, connect_timeout=connect_timeout, **server_options)
        self.fastapi = fastapi if fastapi is not None else FastAPI(
            title=title, version=version, description=description, lifespan=lifespan
        )
        self._wrap_lifespan(self.fastapi.router.lifespan_context)

    # ---- ASGI --------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self._is_socketio(scope["path"]):
            await self.server.eio.handle_request(scope, receive, send)
        else:
            await self.fastapi(scope, receive, send)

    def _is_socketio(self, path: str) -> bool:
        return path.startswith(self.socketio_path) or path + "/" == self.socketio_path

    def _wrap_lifespan(self, inner: Lifespan) -> None:
        @asynccontextmanager
        async def lifespan(fastapi: FastAPI) -> AsyncIterator[Any]:
            async with inner(fastapi) as state:
                try:
                    yield state
                finally:
                    await self.close()

        self.fastapi.router.lifespan_context = lifespan

    async def close(self) -> None:
        """Disconnect every client with ``server shutting down`` and stop background tasks,
        as Node's ``io.close()``."""
        await self.server.close_all(DisconnectReason.SERVER_SHUTTING_DOWN)
        if self.server.eio.service_task_handle is not None:
            await self.server.shutdown()

    # ---- registration ------------------------------------------------------

    def include_router(self, router: Router) -> None:
        """Add ``router``'s handlers to its namespace; duplicate events are an error."""
        registry = self.registry.setdefault(router.namespace, NamespaceRegistry(router.namespace))
        registry.include(router)
        for dependant in registry.dependants():
            if not dependant.bound:
                dependant.bind(self.container)

    def _analysed(self, fn: Callable[..., Any], kind: HandlerKind) -> Dependant:
        dependant = analyse(fn, kind)
        dependant.bind(self.container)
        return dependant

    def use(self, fn: F) -> F:
        """Connection middleware for every namespace (Node's ``io.use``).

        Runs before ``on_connect`` handlers; raise ``ConnectionRefused`` to refuse.
        """
        self.connect_middlewares.append(self._analysed(fn, HandlerKind.CONNECT))
        return fn

    def on_error(self, fn: F) -> F:
        """Run ``fn`` for every error of every namespace, after the routers' own handlers."""
        self.error_handlers.append(self._analysed(fn, HandlerKind.ERROR))
        return fn

    def packet_middleware(self, fn: Callable[..., Any]) -> Dependant:
        """``fn`` analysed as packet middleware, once per function."""
        dependant = self._packet_middlewares.get(fn)
        if dependant is None:
            dependant = self._analysed(fn, HandlerKind.PACKET_MIDDLEWARE)
            self._packet_middlewares[fn] = dependant
        return dependant

    # ---- server-wide operations --------------------------------------------

    def of(self, namespace: str) -> BroadcastOperator:
        """Every socket of ``namespace``."""
        return BroadcastOperator(self, namespace)

    def to(self, rooms: str | Iterable[str]) -> BroadcastOperator:
        """Sockets of the main namespace in ``rooms``."""
        return self.of("/").to(rooms)

    def in_(self, rooms: str | Iterable[str]) -> BroadcastOperator:
        """Same as :meth:`to`."""
        return self.to(rooms)

    def except_(self, rooms: str | Iterable[str]) -> BroadcastOperator:
        """Sockets of the main namespace not in ``rooms``."""
        return self.of("/").except_(rooms)

    def timeout(self, seconds: float) -> BroadcastOperator:
        """The main namespace, with an ack timeout for ``emit_with_ack``."""
        return self.of("/").timeout(seconds)

    async def emit(self, event: Any, *args: Any) -> None:
        """Send ``event`` to every socket of the main namespace."""
        await self.of("/").emit(event, *args)

    async def fetch_sockets(self) -> list[Socket]:
        """Every socket of the main namespace."""
        return await self.of("/").fetch_sockets()
