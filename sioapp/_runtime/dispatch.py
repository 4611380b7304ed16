"""Running handlers: connection middleware, events through packet middleware, disconnects.

Every failure ends here as a log line, the error handlers and, for events, an
error sent to the client; none of them closes the connection.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from socketio import packet as sio_packet

from sioapp._di.container import close_event_resources
from sioapp._di.context import HandlerContext, current_context
from sioapp._protocol.errors import ConnectionRefused, EventError, error_payload

if TYPE_CHECKING:
    from sioapp._app.app import SioApp
    from sioapp._di.injection import Dependant
    from sioapp._protocol.reasons import DisconnectReason
    from sioapp._protocol.socket import Socket
    from sioapp._runtime.routing import EventHandler, NamespaceRegistry

__all__ = ["refusal", "run_connect", "run_disconnect", "run_event", "shown"]

logger = logging.getLogger("sioapp")

EXCEPTION_EVENT = "exception"
UNKNOWN_EVENT = "unknown_event"
#: The longest part of a client's event name repeated in an error reply or a log line.
SHOWN_NAME_LENGTH = 100


def shown(name: str) -> str:
    """A client's event name cut to `SHOWN_NAME_LENGTH` characters, to repeat it safely."""
    if len(name) <= SHOWN_NAME_LENGTH:
        return name
    return f"{name[:SHOWN_NAME_LENGTH]}... ({len(name)} characters)"


async def _run_error_handlers(
    ctx: HandlerContext, handlers: Sequence[Dependant], exc: BaseException
) -> None:
    ctx.exception = exc
    for handler in handlers:
        if not isinstance(exc, handler.exception_type):
            continue
        try:
            await handler.call(ctx)
        except Exception:
            logger.exception("error handler %s failed", handler.name)


def _error_handlers(app: SioApp, handler: EventHandler | None) -> list[Dependant]:
    own = handler.router.error_handlers if handler is not None else []
    return [*own, *app.error_handlers]


async def _report(
    ctx: HandlerContext, handler: EventHandler | None, exc: Exception, ack_id: int | None
) -> None:
    socket = ctx.socket
    assert socket is not None
    if isinstance(exc, EventError):
        logger.warning(
            "event %r from %s [%s] failed: %s: %s",
            shown(ctx.event or ""),
            socket.id,
            socket.nsp,
            exc.code,
            exc.message,
        )
    else:
        logger.exception(
            "event %r from %s [%s] raised", shown(ctx.event or ""), socket.id, socket.nsp
        )
    await _run_error_handlers(ctx, _error_handlers(ctx.app, handler), exc)
    payload = error_payload(exc)
    if ack_id is not None:
        await ctx.app.server.send_packet(
            socket.eio_sid, sio_packet.ACK, socket.nsp, [payload], ack_id=ack_id
        )
    elif socket.connected:
        await ctx.app.server.send_packet(
            socket.eio_sid,
            sio_packet.EVENT,
            socket.nsp,
            [EXCEPTION_EVENT, {"event": shown(ctx.event or ""), **payload}],
        )


async def _through_middlewares(
    ctx: HandlerContext,
    chain: Sequence[Dependant],
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


async def _answer(
    app: SioApp,
    socket: Socket,
    handler: EventHandler | None,
    ctx: HandlerContext,
    args: list[Any],
    ack_id: int | None,
) -> None:
    """Validate, run the handler and send its ack."""
    if handler is None:
        raise EventError(UNKNOWN_EVENT, "No handler for this event")
    dependant = handler.dependant
    result = await dependant.call(ctx, args)
    if ack_id is not None:
        await app.server.send_packet(
            socket.eio_sid, sio_packet.ACK, socket.nsp, dependant.ack.ack_args(result), ack_id
        )


async def run_event(
    app: SioApp, socket: Socket, event: str, args: list[Any], ack_id: int | None
) -> None:
    """Handle one event: packet middleware, validation, the handler, then the ack."""
    registry = app.registry[socket.nsp]
    handler = registry.events.get(event)
    ctx = HandlerContext(app, socket, event, tuple(args))
    token = current_context.set(ctx)
    try:
        chain = registry.packet_middlewares
        if chain or socket._packet_middlewares:
            await _through_middlewares(
                ctx,
                [*chain, *socket._packet_middlewares],
                args,
                lambda: _answer(app, socket, handler, ctx, args, ack_id),
            )
        else:
            await _answer(app, socket, handler, ctx, args, ack_id)
    except Exception as exc:
        await _report(ctx, handler, exc, ack_id)
    finally:
        await close_event_resources(ctx)
        current_context.reset(token)


def refusal(exc: BaseException) -> dict[str, Any]:
    """The CONNECT_ERROR payload for a refused connection."""
    if isinstance(exc, ConnectionRefused):
        body: dict[str, Any] = {"message": exc.message}
        if exc.data is not None:
            body["data"] = exc.data
        return body
    return {"message": "Internal error"}


async def run_connect(
    app: SioApp, registry: NamespaceRegistry, socket: Socket
) -> dict[str, Any] | None:
    """Run connection middleware; the CONNECT_ERROR payload when one refuses, else None."""
    ctx = HandlerContext(app, socket)
    token = current_context.set(ctx)
    try:
        for middleware in (*app.connect_middlewares, *registry.connect_middlewares):
            await middleware.call(ctx)
    except ConnectionRefused as exc:
        logger.info("connection %s [%s] refused: %s", socket.id, socket.nsp, exc.message)
        return refusal(exc)
    except Exception as exc:
        logger.exception("connection middleware failed for %s [%s]", socket.id, socket.nsp)
        await _run_error_handlers(ctx, app.error_handlers, exc)
        return refusal(exc)
    finally:
        await close_event_resources(ctx)
        current_context.reset(token)
    return None


async def run_handlers(app: SioApp, handlers: Sequence[Dependant], ctx: HandlerContext) -> None:
    """Run lifecycle handlers one after the other; a failure is logged and reported to
    the app's error handlers, and the next handler still runs."""
    token = current_context.set(ctx)
    try:
        for handler in handlers:
            try:
                await handler.call(ctx)
            except Exception as exc:
                logger.exception("%s %s failed", handler.kind.value, handler.name)
                await _run_error_handlers(ctx, app.error_handlers, exc)
                ctx.exception = None
    finally:
        await close_event_resources(ctx)
        current_context.reset(token)


async def run_disconnect(
    app: SioApp, registry: NamespaceRegistry, socket: Socket, reason: DisconnectReason
) -> None:
    """``on_disconnecting`` with the rooms intact, leave every room, then ``on_disconnect``."""
    ctx = HandlerContext(app, socket, reason=reason)
    await run_handlers(app, registry.disconnecting_handlers, ctx)
    manager = app.server.manager
    for room in socket.rooms:
        await manager.leave_room(socket.id, socket.nsp, room)
    socket.left()
    await run_handlers(app, registry.disconnect_handlers, ctx)
