"""SioApp: one ASGI app serving typed Socket.IO handlers beside FastAPI routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    asynccontextmanager,
    nullcontext,
)
from typing import Any, TypeVar

from fastapi import FastAPI, params
from starlette.types import Receive, Scope, Send

from sioapp._cluster.redis import create_manager
from sioapp._di.container import (
    Container,
    attach,
    event_resources,
    init_resources,
    shutdown_resources,
    wire_routes,
)
from sioapp._di.injection import Dependant, HandlerKind, analyse
from sioapp._protocol.broadcast import BroadcastOperator
from sioapp._protocol.reasons import DisconnectReason
from sioapp._protocol.remote import RemoteSocket
from sioapp._protocol.server import SioServer
from sioapp._runtime.routing import NamespaceRegistry, Router
from sioapp._runtime.server_events import ServerAcks, ServerEvents, check_server_event
from sioapp._transport import TrustedProxies
from sioapp.cli.gc import DEFAULT_GC_THRESHOLD, tuned_gc

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
        "http_compression",
        "logger",
        "max_http_buffer_size",
        "max_outgoing_buffer",
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
    ``max_outgoing_buffer`` (bytes, 10 MB by default, ``None`` for no limit) bounds
    what may wait to be sent to one connection: a client that stops reading is
    disconnected with ``transport error`` beyond it.

    ``container`` is an instance of `sioapp.Container` or of a subclass
    (a plain ``Container()`` when omitted), owned by this app only: handlers'
    markers resolve to its providers, its ``providers.Resource`` providers start
    and stop with the app, and at startup it is wired into the modules that
    define ``app.fastapi``'s routes and their dependencies, so ``@inject``
    endpoints with ``Depends(Provide[...])`` share its providers.

    ``redis_url`` (or the ``SIOAPP_REDIS_URL`` environment variable) makes every
    server-wide operation reach the app's other processes through Redis; without
    it the app is one process. ``cluster_timeout`` bounds each request to other
    servers (``fetch_sockets``, ``all_rooms``, ``server_side_emit_with_ack``).

    ``drain_timeout`` is how long shutdown waits for event handlers still running
    (their acks still reach the clients) before it cancels them and disconnects
    every client with ``server shutting down``.

    ``max_rooms_per_socket`` bounds the rooms one socket may join, its own room
    not counted: ``socket.join`` past it raises `EventError` ``too_many_rooms``
    (``None``, the default, sets no bound).

    ``gc_threshold`` tunes Python's garbage collector while the app serves: the
    objects alive at startup are frozen out of collections and the youngest
    generation is collected every ``gc_threshold`` allocations (Python's default
    is 700); it spares the collector most of its work as clients connect.
    ``None`` leaves the collector alone.

    ``servers`` names the URLs clients reach the app at, for the event contract
    (``{"production": "https://chat.example.com"}``). The contract is served at
    ``docs_url`` (an HTML page), ``{docs_url}.json`` and ``{docs_url}.yaml``;
    ``docs_url=None`` serves none of them; ``docs_dependencies`` (FastAPI
    ``Depends(...)``, as in a route's ``dependencies=``) guard all of them, and
    only them: FastAPI's own ``/docs``, ``/redoc`` and ``/openapi.json`` stay open.
    To close those too, pass ``fastapi=FastAPI(docs_url=None, redoc_url=None,
    openapi_url=None)``, and serve them again behind the same dependencies if they
    are wanted (``FastAPI(dependencies=...)`` does not guard them).
    """

    def __init__(
        self,
        *,
        title: str = "sioapp",
        version: str = "0.1.0",
        description: str = "",
        container: Container | None = None,
        fastapi: FastAPI | None = None,
        lifespan: Lifespan | None = None,
        socketio_path: str = "socket.io",
        trusted_proxies: Iterable[str] = (),
        connect_timeout: float = 45.0,
        drain_timeout: float = 10.0,
        redis_url: str | None = None,
        cluster_timeout: float = 5.0,
        servers: Mapping[str, str] | None = None,
        docs_url: str | None = "/asyncapi",
        docs_dependencies: Sequence[params.Depends] = (),
        gc_threshold: int | None = DEFAULT_GC_THRESHOLD,
        max_rooms_per_socket: int | None = None,
        **server_options: Any,
    ) -> None:
        unknown = sorted(set(server_options) - SERVER_OPTIONS)
        if unknown:
            raise TypeError(
                f"unknown SioApp option(s) {', '.join(unknown)}; server options are "
                + ", ".join(sorted(SERVER_OPTIONS))
            )
        if drain_timeout < 0:
            raise ValueError("drain_timeout must be a number of seconds, 0 or more")
        if gc_threshold is not None and gc_threshold < 1:
            raise ValueError("gc_threshold must be a positive number of allocations, or None")
        if max_rooms_per_socket is not None and max_rooms_per_socket < 1:
            raise ValueError("max_rooms_per_socket must be a positive number of rooms, or None")
        if fastapi is not None and lifespan is not None:
            raise TypeError(
                "pass lifespan to your FastAPI app, not to SioApp, when giving fastapi="
            )
        self.title = title
        self.version = version
        self.description = description
        self.gc_threshold = gc_threshold
        self.drain_timeout = drain_timeout
        self.max_rooms_per_socket = max_rooms_per_socket
        self.container = attach(container if container is not None else Container(), self)
        #: The container's ``ContextLocalResource`` providers, closed after each event.
        self.event_resources = event_resources(self.container)
        self.trusted_proxies = TrustedProxies(trusted_proxies)
        self.socketio_path = "/" + socketio_path.strip("/") + "/"
        self.registry: dict[str, NamespaceRegistry] = {"/": NamespaceRegistry("/")}
        self.connect_middlewares: list[Dependant] = []
        self.error_handlers: list[Dependant] = []
        self._packet_middlewares: dict[Callable[..., Any], Dependant] = {}
        self.server_events = ServerEvents()
        self.server = SioServer(
            self,
            manager=create_manager(redis_url, cluster_timeout),
            connect_timeout=connect_timeout,
            trusted_proxies=self.trusted_proxies,
            **server_options,
        )
        self.fastapi = (
            fastapi
            if fastapi is not None
            else FastAPI(title=title, version=version, description=description, lifespan=lifespan)
        )
        self._wrap_lifespan(self.fastapi.router.lifespan_context)
        self.servers = dict(servers or {})
        if docs_url is not None:
            from sioapp.contract.routes import mount_docs

            mount_docs(self, docs_url, docs_dependencies)

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
            await init_resources(self.container)
            self.event_resources = event_resources(self.container)
            try:
                wire_routes(self.container, fastapi)
                await self.start()
                async with inner(fastapi) as state:
                    with self._serving_gc():
                        try:
                            yield state
                        finally:
                            await self.close()
            finally:
                await shutdown_resources(self.container)

        self.fastapi.router.lifespan_context = lifespan

    def _serving_gc(self) -> AbstractContextManager[None]:
        if self.gc_threshold is None:
            return nullcontext()
        return tuned_gc(self.gc_threshold)

    async def start(self) -> None:
        """Log which origins may connect and join the other servers when running with
        Redis; the lifespan calls it."""
        logger.info("Socket.IO at %s accepts %s", self.socketio_path, self.accepted_origins())
        await self.server.manager.start()

    def accepted_origins(self) -> str:
        """Which browser origins may connect, in words."""
        return self.server.eio.describe_origins()

    async def close(self) -> None:
        """Let running event handlers finish, then disconnect every client with
        ``server shutting down`` and stop background tasks, as Node's ``io.close()``.

        Other servers stop counting this one first; its handlers can still reach
        them. Handlers still running after ``drain_timeout`` seconds are cancelled.
        """
        await self.server.manager.stop()
        cancelled = await self.server.drain(self.drain_timeout)
        if cancelled:
            logger.warning(
                "%d event handler(s) still running after drain_timeout=%ss: cancelled",
                cancelled,
                self.drain_timeout,
            )
        await self.server.close_all(DisconnectReason.SERVER_SHUTTING_DOWN)
        await self.server.shutdown()
        await self.server.manager.close()

    # ---- registration ------------------------------------------------------

    def include_router(self, router: Router) -> None:
        """Add ``router``'s handlers to its namespace; duplicate events are an error."""
        registry = self.registry.setdefault(router.namespace, NamespaceRegistry(router.namespace))
        registry.include(router)
        for dependant in registry.dependants():
            dependant.bind(self.container)

    def _analysed(self, fn: Callable[..., Any], kind: HandlerKind) -> Dependant:
        dependant = analyse(fn, kind)
        dependant.bind(self.container)
        return dependant

    def use(self, fn: F) -> F:
        """Connection middleware for every namespace (Node's ``io.use``).

        Runs before ``on_connect`` handlers; raise ``ConnectionRefused`` to refuse.
        A parameter named ``auth`` receives the client's handshake auth validated as
        its annotation; invalid auth refuses the client before ``fn`` runs.
        """
        self.connect_middlewares.append(self._analysed(fn, HandlerKind.CONNECTION_MIDDLEWARE))
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
        """Same as `to`."""
        return self.to(rooms)

    def except_(self, rooms: str | Iterable[str]) -> BroadcastOperator:
        """Sockets of the main namespace not in ``rooms``."""
        return self.of("/").except_(rooms)

    def timeout(self, seconds: float) -> BroadcastOperator:
        """The main namespace, with a timeout for ``emit_with_ack`` acks and for answers
        from other servers."""
        return self.of("/").timeout(seconds)

    async def emit(self, event: Any, *args: Any) -> None:
        """Send ``event`` to every socket of the main namespace."""
        await self.of("/").emit(event, *args)

    async def fetch_sockets(self) -> list[RemoteSocket]:
        """Every socket of the main namespace, on every server."""
        return await self.of("/").fetch_sockets()

    @property
    def local(self) -> BroadcastOperator:
        """The main namespace on this server only."""
        return self.of("/").local

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

    def on_server_event(self, event: str, *, namespace: str = "/") -> Callable[[F], F]:
        """Handle ``event`` sent by another server with ``server_side_emit``.

        Payload parameters are validated as in ``@router.on``; the return value
        answers ``server_side_emit_with_ack``. ``connect``, ``connection`` and
        ``new_namespace`` are reserved, as in Node.
        """

        def register(fn: F) -> F:
            self.server_events.add(namespace, event, self._analysed(fn, HandlerKind.EVENT))
            return fn

        check_server_event(event)
        return register

    async def server_side_emit(self, event: str, *args: Any) -> None:
        """Run ``event``'s ``@app.on_server_event`` handler on every other server."""
        await self.of("/").server_side_emit(event, *args)

    async def server_side_emit_with_ack(self, event: str, *args: Any) -> ServerAcks:
        """Run ``event``'s handler on every other server and collect their return values,
        up to ``cluster_timeout`` (or ``app.timeout(s)``)."""
        return await self.of("/").server_side_emit_with_ack(event, *args)
