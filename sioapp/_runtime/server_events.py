"""Events between servers: ``server_side_emit`` and ``@app.on_server_event``, as Node's
``serverSideEmit``."""

from __future__ import annotations

import logging
from typing import Any, get_type_hints

from sioapp._di.analysis import RegistrationError
from sioapp._di.calling import Handler
from sioapp._di.container import close_event_resources
from sioapp._di.context import HandlerContext, current_context
from sioapp._protocol.errors import EventError, error_payload
from sioapp._protocol.events import shown
from sioapp._protocol.handshake import Handshake
from sioapp._protocol.socket import Rooms, Socket
from sioapp._runtime.dispatch import UNKNOWN_EVENT, Dispatcher

__all__ = ["ServerEvents"]

logger = logging.getLogger("sioapp")

_SOCKET_TYPES = (Socket, Rooms, Handshake)


class ServerEvents:
    """An app's ``@app.on_server_event`` handlers, one per namespace and event, run in the
    app's ``dispatcher``'s context."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.handlers: dict[tuple[str, str], Handler] = {}

    def add(self, namespace: str, event: str, handler: Handler) -> None:
        """Register ``handler`` for ``event``; a second handler for it is an error."""
        hints = get_type_hints(handler.dependant.fn, include_extras=False)
        socket_bound = sorted(
            name for name, hint in hints.items() if hint in _SOCKET_TYPES and name != "return"
        )
        if socket_bound:
            raise RegistrationError(
                f"server event handler {handler.name!r}: parameter(s) {', '.join(socket_bound)} "
                "ask for a socket, and server-side events come from servers, not sockets"
            )
        existing = self.handlers.get((namespace, event))
        if existing is not None:
            raise RegistrationError(
                f"server event {event!r} of namespace {namespace!r} already has a handler: "
                f"{existing.name!r}"
            )
        self.handlers[(namespace, event)] = handler

    async def run(self, namespace: str, event: str, args: list[Any]) -> Any:
        """Run the handler of ``event``; its reply, or the error payload when it fails."""
        handler = self.handlers.get((namespace, event))
        ctx = HandlerContext(self.dispatcher.app, event=event, args=tuple(args))
        token = current_context.set(ctx)
        try:
            if handler is None:
                raise EventError(UNKNOWN_EVENT, "No server-side handler for this event")
            ack = handler.dependant.ack.ack_args(await handler.call(ctx, args))
        except Exception as exc:
            if isinstance(exc, EventError):
                logger.warning(
                    "server event %r [%s] failed: %s", shown(event), namespace, exc.message
                )
            else:
                logger.exception("server event %r [%s] raised", shown(event), namespace)
            return error_payload(exc)
        finally:
            await close_event_resources(self.dispatcher.event_resources)
            current_context.reset(token)
        if not ack:
            return None
        return ack[0] if len(ack) == 1 else ack
