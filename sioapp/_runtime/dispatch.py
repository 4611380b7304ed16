"""Running an app's handlers for the Socket.IO server: connection middleware, events through
packet middleware, connect and disconnect handlers.

Every failure ends here as a log line, the error handlers and, for events, an
error sent to the client; none of them closes the connection.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sioapp._di.analysis import HandlerKind, RegistrationError, analyse
from sioapp._di.binding import bind
from sioapp._di.calling import Handler
from sioapp._di.container import EventResource, close_event_resources, event_resources
from sioapp._di.context import AppHandle, HandlerContext, current_context
from sioapp._protocol.errors import ConnectionRefused, EventError, error_payload
from sioapp._protocol.events import shown
from sioapp._protocol.observers import OK, Finish, Observers
from sioapp._protocol.reasons import DisconnectReason
from sioapp._protocol.socket import Socket
from sioapp._runtime.registry import EventHandler, NamespaceRegistry
from sioapp._runtime.router import Router

__all__ = ["EXCEPTION_EVENT", "UNKNOWN_EVENT", "Dispatcher", "refusal"]

logger = logging.getLogger("sioapp")

EXCEPTION_EVENT = "exception"
UNKNOWN_EVENT = "unknown_event"


def refusal(exc: BaseException) -> dict[str, Any]:
    """The CONNECT_ERROR payload for a refused connection."""
    if isinstance(exc, ConnectionRefused):
        body: dict[str, Any] = {"message": exc.message}
        if exc.data is not None:
            body["data"] = exc.data
        return body
    return {"message": "Internal error"}


class Dispatcher:
    """An app's handlers, by namespace, and how they run for the Socket.IO server.

    ``app`` is what handlers asking for the app receive; ``container`` the
    app's container, to which every handler is bound.
    """

    def __init__(self, app: AppHandle, container: Any) -> None:
        self.app = app
        self.container = container
        self.registry: dict[str, NamespaceRegistry] = {"/": NamespaceRegistry("/", container)}
        #: The app's own connection middleware and error handlers (every namespace).
        self.connect_middlewares: list[Handler] = []
        self.error_handlers: list[Handler] = []
        #: The container's per-event resources, closed after each event.
        self.event_resources: tuple[EventResource, ...] = event_resources(container)
        self._packet_middlewares: dict[Callable[..., Any], Handler] = {}
        #: Those watching the app (Admin UI, metrics, tracing), shared with its server.
        self.observers = Observers()

    # ---- registration --------------------------------------------------------------

    def include(self, router: Router, *, reserved_by: str | None = None) -> None:
        """Add ``router``'s handlers to its namespace.

        ``reserved_by`` names what makes a new namespace its own (the Admin UI): the
        app's connection middleware does not guard it, and no other router joins it.
        """
        namespace = router.namespace
        registry = self.registry.get(namespace)
        if registry is not None and (reserved_by or registry.reserved_by):
            owner = registry.reserved_by or "the app"
            raise RegistrationError(f"namespace {namespace!r} belongs to {owner}")
        if registry is None:
            registry = NamespaceRegistry(namespace, self.container, reserved_by=reserved_by)
            self.registry[namespace] = registry
        registry.include(router)

    def handler(self, fn: Callable[..., Any], kind: HandlerKind) -> Handler:
        """``fn`` analysed as a handler of ``kind`` and bound to the app's container."""
        return bind(analyse(fn, kind), self.container)

    def packet_middleware(self, fn: Callable[..., Any]) -> Handler:
        """``fn`` as packet middleware, analysed once per function."""
        handler = self._packet_middlewares.get(fn)
        if handler is None:
            handler = self._packet_middlewares[fn] = self.handler(fn, HandlerKind.PACKET_MIDDLEWARE)
        return handler

    # ---- what the Socket.IO server asks ------------------------------------------

    def serves(self, namespace: str) -> bool:
        """Whether ``namespace`` exists: some router was included for it, or it is "/"."""
        return namespace in self.registry

    async def connect(self, socket: Socket) -> dict[str, Any] | None:
        """Run connection middleware; the CONNECT_ERROR payload when one refuses, else None."""
        registry = self.registry[socket.nsp]
        ctx = HandlerContext(self.app, socket)
        token = current_context.set(ctx)
        try:
            app_wide = self.connect_middlewares if registry.reserved_by is None else ()
            for middleware in (*app_wide, *registry.connect_middlewares):
                await middleware.call(ctx)
        except ConnectionRefused as exc:
            logger.info("connection %s [%s] refused: %s", socket.id, socket.nsp, exc.message)
            return refusal(exc)
        except Exception as exc:
            logger.exception("connection middleware failed for %s [%s]", socket.id, socket.nsp)
            await self._run_error_handlers(ctx, self.error_handlers, exc)
            return refusal(exc)
        finally:
            if self.event_resources:
                await close_event_resources(self.event_resources)
            current_context.reset(token)
        return None

    async def connected(self, socket: Socket) -> None:
        """Run the ``on_connect`` handlers of a socket that got CONNECT."""
        ctx = HandlerContext(self.app, socket)
        await self._run_handlers(self.registry[socket.nsp].connect_handlers, ctx)

    async def disconnect(
        self,
        socket: Socket,
        reason: DisconnectReason,
        leaving: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """``on_disconnecting`` with the rooms intact, then ``leaving`` (connection state
        recovery keeps the session there), leave every room, then ``on_disconnect``."""
        registry = self.registry[socket.nsp]
        ctx = HandlerContext(self.app, socket, reason=reason)
        await self._run_handlers(registry.disconnecting_handlers, ctx)
        if leaving is not None:
            try:
                await leaving()
            except Exception:
                logger.exception("keeping the session of %s [%s] failed", socket.id, socket.nsp)
        for room in socket.rooms:
            await socket.leave(room)
        socket.left()
        await self._run_handlers(registry.disconnect_handlers, ctx)

    async def event(self, socket: Socket, event: str, args: list[Any], ack_id: int | None) -> None:
        """Handle one event: packet middleware, validation, the handler, then the ack."""
        registry = self.registry[socket.nsp]
        handler = registry.events.get(event)
        ctx = HandlerContext(self.app, socket, event, tuple(args))
        token = current_context.set(ctx)
        finish: Finish | None = None
        if self.observers.watched:
            finish = self.observers.event_received(socket, event, args)
        outcome, error = OK, None
        try:
            chain = registry.packet_middlewares
            if chain or socket.packet_middlewares:
                await self._through_middlewares(
                    ctx,
                    [*chain, *socket.packet_middlewares],
                    args,
                    lambda: self._answer(socket, handler, ctx, args, ack_id),
                )
            else:
                await self._answer(socket, handler, ctx, args, ack_id)
        except Exception as exc:
            outcome, error = await self._report(ctx, handler, exc, ack_id), exc
        finally:
            if self.event_resources:
                await close_event_resources(self.event_resources)
            current_context.reset(token)
            if finish is not None:
                finish(outcome, error)

    # ---- running -------------------------------------------------------------------

    async def _answer(
        self,
        socket: Socket,
        handler: EventHandler | None,
        ctx: HandlerContext,
        args: list[Any],
        ack_id: int | None,
    ) -> None:
        """Validate, run the handler and send its ack."""
        if handler is None:
            raise EventError(UNKNOWN_EVENT, "No handler for this event")
        result = await handler.handler.call(ctx, args)
        if ack_id is not None:
            await socket.ack(ack_id, handler.dependant.ack.ack_args(result))

    @staticmethod
    async def _through_middlewares(
        ctx: HandlerContext,
        chain: Sequence[Handler],
        args: list[Any],
        handle: Callable[[], Awaitable[None]],
    ) -> None:
        """Run packet middleware in order; each continues the packet with ``await next()``."""

        async def step(index: int) -> None:
            if index == len(chain):
                await handle()
                return
            called = False

            async def next_() -> None:
                nonlocal called
                if called:
                    raise RuntimeError("next() was already called")
                called = True
                await step(index + 1)

            await chain[index].call(ctx, leading=(ctx.socket, ctx.event, args, next_))
            if not called:
                logger.debug(
                    "packet middleware %s dropped %r", chain[index].name, shown(ctx.event or "")
                )

        await step(0)

    async def _report(
        self,
        ctx: HandlerContext,
        handler: EventHandler | None,
        exc: Exception,
        ack_id: int | None,
    ) -> str:
        """Log ``exc``, run the error handlers, tell the client; the error's code."""
        socket = ctx.socket
        assert socket is not None
        event = shown(ctx.event or "")
        if isinstance(exc, EventError):
            logger.warning(
                "event %r from %s [%s] failed: %s: %s",
                event,
                socket.id,
                socket.nsp,
                exc.code,
                exc.message,
            )
        else:
            logger.exception("event %r from %s [%s] raised", event, socket.id, socket.nsp)
        own = handler.error_handlers if handler is not None else ()
        await self._run_error_handlers(ctx, [*own, *self.error_handlers], exc)
        payload = error_payload(exc)
        if ack_id is not None:
            await socket.ack(ack_id, [payload])
        elif socket.connected:
            await socket.emit(EXCEPTION_EVENT, {"event": event, **payload})
        code: str = payload["error"]["code"]
        return code

    async def _run_handlers(self, handlers: Sequence[Handler], ctx: HandlerContext) -> None:
        """Run lifecycle handlers one after the other; a failure is logged and reported to
        the app's error handlers, and the next handler still runs."""
        token = current_context.set(ctx)
        try:
            for handler in handlers:
                try:
                    await handler.call(ctx)
                except Exception as exc:
                    logger.exception("%s %s failed", handler.kind.value, handler.name)
                    await self._run_error_handlers(ctx, self.error_handlers, exc)
                    ctx.exception = None
        finally:
            if self.event_resources:
                await close_event_resources(self.event_resources)
            current_context.reset(token)

    @staticmethod
    async def _run_error_handlers(
        ctx: HandlerContext, handlers: Sequence[Handler], exc: BaseException
    ) -> None:
        ctx.exception = exc
        for handler in handlers:
            if not isinstance(exc, handler.exception_type):
                continue
            try:
                await handler.call(ctx)
            except Exception:
                logger.exception("error handler %s failed", handler.name)
