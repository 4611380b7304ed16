"""SioApp: one ASGI app serving typed Socket.IO handlers beside FastAPI routes."""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

from fastapi import FastAPI, params
from starlette.types import Receive, Scope, Send

from sioapp._admin import AdminAuth, AdminUI, Mode
from sioapp._app.cluster import create_manager
from sioapp._app.lifespan import serve_lifespan
from sioapp._app.shortcuts import MainNamespace
from sioapp._di.analysis import HandlerKind
from sioapp._di.calling import Handler
from sioapp._di.container import (
    Container,
    attach,
    event_resources,
    init_resources,
    shutdown_resources,
    wire_routes,
)
from sioapp._di.context import AppHandle
from sioapp._metrics import mount_metrics
from sioapp._protocol.broadcast import BroadcastOperator
from sioapp._protocol.events import check_server_event
from sioapp._protocol.observers import Observers
from sioapp._protocol.reasons import DisconnectReason
from sioapp._protocol.recovery import ConnectionStateRecovery, ExpiredSession, SessionKeeper
from sioapp._protocol.serializers import SerializerName, serializer_named
from sioapp._protocol.server import SioServer
from sioapp._runtime.dispatch import Dispatcher
from sioapp._runtime.emits import EmitChecker
from sioapp._runtime.registry import NamespaceRegistry, documented
from sioapp._runtime.router import Router
from sioapp._runtime.server_events import ServerEvents
from sioapp._transport import TrustedProxies
from sioapp.contract.routes import mount_docs

__all__ = ["SioApp"]

logger = logging.getLogger("sioapp")

F = TypeVar("F", bound=Callable[..., Any])

#: Server options SioApp passes through to its Socket.IO server and engine, by name.
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


class SioApp(AppHandle, MainNamespace):
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

    ``validate_emits`` (on by default) checks the arguments of every server-to-client
    event declared with ``router.emits`` against its declaration, once per emit
    whatever the number of recipients: `sioapp.EmitValidationError` names the
    event and the argument that does not match. Events not declared are not checked.

    ``connection_state_recovery`` (a `sioapp.ConnectionStateRecovery`, off by default)
    keeps the sockets that leave unexpectedly, so a client that comes back soon gets
    the same id, its rooms, its data and the events it missed; with ``redis_url`` the
    sessions and the event log live in Redis and any server resumes them.

    ``serializer`` is how packets travel: ``"json"`` (the default, Socket.IO's own
    parser) or ``"msgpack"``, the wire format of ``socket.io-msgpack-parser``, which
    clients must then use too; it needs msgpack (``pip install 'sioapp[msgpack]'``).

    ``max_rooms_per_socket`` bounds the rooms one socket may join, its own room
    not counted: ``socket.join`` past it raises `EventError` ``too_many_rooms``
    (``None``, the default, sets no bound).

    ``servers`` names the URLs clients reach the app at, for the event contract
    (``{"production": "https://chat.example.com"}``). The contract is served at
    ``docs_url`` (an HTML page), ``{docs_url}.json`` and ``{docs_url}.yaml``;
    ``docs_url=None`` serves none of them; ``docs_dependencies`` (FastAPI
    ``Depends(...)``, as in a route's ``dependencies=``) guard all of them, and
    only them: FastAPI's own ``/docs``, ``/redoc`` and ``/openapi.json`` stay open.
    To close those too, pass ``fastapi=FastAPI(docs_url=None, redoc_url=None,
    openapi_url=None)``, and serve them again behind the same dependencies if they
    are wanted (``FastAPI(dependencies=...)`` does not guard them).

    ``metrics_url`` (off by default; ``"/metrics"`` is usual) serves this server's
    metrics in Prometheus' text format: sockets, connections and disconnections,
    events handled and their duration, packets emitted, rooms and the outgoing
    buffer; ``metrics_dependencies`` guard it as ``docs_dependencies`` guard the
    contract. It needs prometheus-client (``pip install 'sioapp[metrics]'``).
    """

    #: The Admin UI's server side, once `instrument` was called.
    _admin: AdminUI | None = None

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
        metrics_url: str | None = None,
        metrics_dependencies: Sequence[params.Depends] = (),
        max_rooms_per_socket: int | None = None,
        validate_emits: bool = True,
        connection_state_recovery: ConnectionStateRecovery | None = None,
        serializer: SerializerName = "json",
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
        if connection_state_recovery is not None and not isinstance(
            connection_state_recovery, ConnectionStateRecovery
        ):
            raise TypeError(
                "connection_state_recovery must be a sioapp.ConnectionStateRecovery or None"
            )
        if max_rooms_per_socket is not None and max_rooms_per_socket < 1:
            raise ValueError("max_rooms_per_socket must be a positive number of rooms, or None")
        if fastapi is not None and lifespan is not None:
            raise TypeError(
                "pass lifespan to your FastAPI app, not to SioApp, when giving fastapi="
            )
        self.title = title
        self.version = version
        self.description = description
        self.drain_timeout = drain_timeout
        self.servers = dict(servers or {})
        self.container = attach(container if container is not None else Container(), self)
        self.trusted_proxies = TrustedProxies(trusted_proxies)
        self.socketio_path = "/" + socketio_path.strip("/") + "/"
        self.dispatcher = Dispatcher(self, self.container)
        self.server_events = ServerEvents(self.dispatcher)
        manager = create_manager(redis_url, cluster_timeout)
        manager.serve_server_events(self.server_events.run)
        manager.observers = self.dispatcher.observers
        if validate_emits:
            manager.emit_check = EmitChecker(self.dispatcher.registry)
        #: Connection state recovery, when on.
        self.recovery = (
            SessionKeeper(
                connection_state_recovery, manager.recovery_store(connection_state_recovery)
            )
            if connection_state_recovery is not None
            else None
        )
        self.server = SioServer(
            self,
            self.dispatcher,
            manager=manager,
            connect_timeout=connect_timeout,
            trusted_proxies=self.trusted_proxies,
            max_rooms_per_socket=max_rooms_per_socket,
            recovery=self.recovery,
            serializer=serializer_named(serializer),
            **server_options,
        )
        self.fastapi = (
            fastapi
            if fastapi is not None
            else FastAPI(title=title, version=version, description=description, lifespan=lifespan)
        )
        if docs_url is not None:
            mount_docs(self.fastapi, self, docs_url, docs_dependencies)
        if metrics_url is not None:
            mount_metrics(self.fastapi, self, metrics_url, metrics_dependencies)

    @property
    def serializer(self) -> SerializerName:
        """How packets travel: ``"json"`` or ``"msgpack"`` (``socket.io-msgpack-parser``)."""
        return self.server.serializer.name

    @property
    def observers(self) -> Observers:
        """Those watching this app: the Admin UI, metrics, tracing."""
        return self.dispatcher.observers

    @property
    def registry(self) -> dict[str, NamespaceRegistry]:
        """The namespaces' handlers, by namespace: what the event contract is read from.
        Routers made with ``include_in_schema=False`` are left out, and so are namespaces
        that have only such routers (the Admin UI's)."""
        return documented(self.dispatcher.registry)

    @property
    def connect_middlewares(self) -> list[Handler]:
        """The connection middleware of every namespace (``app.use``), in order."""
        return self.dispatcher.connect_middlewares

    # ---- ASGI --------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await serve_lifespan(self._lifetime, scope, receive, send)
        elif kind in ("http", "websocket") and self._is_socketio(scope["path"]):
            await self.server.eio.handle_request(scope, receive, send)
        else:
            await self.fastapi(scope, receive, send)

    def _is_socketio(self, path: str) -> bool:
        return path.startswith(self.socketio_path) or path + "/" == self.socketio_path

    @asynccontextmanager
    async def _lifetime(self) -> AsyncIterator[Any]:
        """The app's life under a server: the container's resources, then the FastAPI app's
        own lifespan, then serving; on the way out, `close` before the FastAPI lifespan
        ends."""
        await init_resources(self.container)
        self.dispatcher.event_resources = event_resources(self.container)
        try:
            wire_routes(self.container, self.fastapi)
            await self.start()
            async with self.fastapi.router.lifespan_context(self.fastapi) as state:
                try:
                    yield state
                finally:
                    await self.close()
        finally:
            await shutdown_resources(self.container)

    async def start(self) -> None:
        """Log which origins may connect and join the other servers when running with
        Redis; the lifespan calls it."""
        logger.info("Socket.IO at %s accepts %s", self.socketio_path, self.accepted_origins())
        await self.server.manager.start()
        if self._admin is not None:
            self._admin.start()
        if self.recovery is not None:
            self.recovery.start()

    def accepted_origins(self) -> str:
        """Which browser origins may connect, in words."""
        return self.server.eio.describe_origins()

    async def close(self) -> None:
        """Let running event handlers finish, then disconnect every client with
        ``server shutting down`` and stop background tasks, as Node's ``io.close()``.

        Other servers stop counting this one first; its handlers can still reach
        them. Handlers still running after ``drain_timeout`` seconds are cancelled.
        """
        if self._admin is not None:
            await self._admin.stop()
        await self.server.manager.stop()
        cancelled = await self.server.drain(self.drain_timeout)
        if cancelled:
            logger.warning(
                "%d event handler(s) still running after drain_timeout=%ss: cancelled",
                cancelled,
                self.drain_timeout,
            )
        await self.server.close_all(DisconnectReason.SERVER_SHUTTING_DOWN)
        if self.recovery is not None:
            await self.recovery.stop()
        await self.server.shutdown()
        await self.server.manager.close()

    # ---- registration ------------------------------------------------------

    def include_router(self, router: Router) -> None:
        """Add ``router``'s handlers to its namespace, bound to this app's container;
        duplicate events are an error. A router may be included in several apps."""
        self.dispatcher.include(router)

    def use(self, fn: F) -> F:
        """Connection middleware for every namespace (Node's ``io.use``).

        Runs before ``on_connect`` handlers; raise ``ConnectionRefused`` to refuse.
        A parameter named ``auth`` receives the client's handshake auth validated as
        its annotation; invalid auth refuses the client before ``fn`` runs.
        """
        handler = self.dispatcher.handler(fn, HandlerKind.CONNECTION_MIDDLEWARE)
        self.dispatcher.connect_middlewares.append(handler)
        return fn

    def on_error(self, fn: F) -> F:
        """Run ``fn`` for every error of every namespace, after the routers' own handlers."""
        self.dispatcher.error_handlers.append(self.dispatcher.handler(fn, HandlerKind.ERROR))
        return fn

    def on_session_expired(self, fn: F) -> F:
        """Run ``fn(session)`` for each session connection state recovery kept and nobody
        resumed within ``max_disconnection_duration``: ``session`` is an
        `sioapp.ExpiredSession` (the socket's id, namespace and ``data``), so the app
        can free what it kept for that user. ``fn`` may be async."""
        if self.recovery is None:
            raise RuntimeError("on_session_expired needs connection_state_recovery")

        async def run(session: ExpiredSession) -> None:
            result = fn(session)
            if inspect.isawaitable(result):
                await result

        self.recovery.on_expired(run)
        return fn

    def on_server_event(self, event: str, *, namespace: str = "/") -> Callable[[F], F]:
        """Handle ``event`` sent by another server with ``server_side_emit``.

        Payload parameters are validated as in ``@router.on``; the return value
        answers ``server_side_emit_with_ack``. ``connect``, ``connection`` and
        ``new_namespace`` are reserved, as in Node.
        """

        def register(fn: F) -> F:
            handler = self.dispatcher.handler(fn, HandlerKind.EVENT)
            self.server_events.add(namespace, event, handler)
            return fn

        check_server_event(event)
        return register

    def instrument(
        self,
        *,
        auth: AdminAuth,
        mode: Mode = "development",
        read_only: bool = False,
        namespace: str = "/admin",
        server_id: str | None = None,
        server_stats_interval: float = 2.0,
    ) -> None:
        """Serve the official Socket.IO Admin UI (``@socket.io/admin-ui``), as Node's
        ``instrument(io, ...)``: the UI connects to ``namespace`` of this app.

        ``auth`` is ``{"username": ..., "password": ...}``, the password plain or a
        bcrypt hash (``pip install 'sioapp[admin]'``); or a callable given the client's
        handshake ``auth`` that returns (or awaits) whether it may connect; or None for
        no check. A client refused gets ``connect_error`` "invalid credentials"; one let
        in gets a session, with which the UI reconnects for a day without the password.
        The namespace is the Admin UI's own: the app's connection middleware does not
        guard it and the event contract leaves it out.

        In ``"development"`` mode the UI sees every socket of every server, room change
        and event; in ``"production"`` mode only the counts of each server's
        ``server_stats``, sent every ``server_stats_interval`` seconds under
        ``server_id`` (``host#pid`` by default). ``read_only`` refuses the UI's
        commands (join, leave, emit, disconnect). With ``redis_url`` every server calls
        ``instrument`` alike, and the UI sees and commands the whole cluster. The UI's
        page is served elsewhere (``https://admin.socket.io``, or its files in the npm
        package): allow its origin with ``cors_allowed_origins``.
        """
        if self._admin is not None:
            raise RuntimeError("instrument() was called already for this app")
        self._admin = AdminUI(
            self,
            auth=auth,
            mode=mode,
            read_only=read_only,
            namespace=namespace,
            server_id=server_id,
            stats_interval=server_stats_interval,
        )

    # ---- server-wide operations --------------------------------------------

    def of(self, namespace: str) -> BroadcastOperator:
        """Every socket of ``namespace``."""
        return BroadcastOperator(self.server.manager, namespace)
