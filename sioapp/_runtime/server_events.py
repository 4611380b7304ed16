"""Events between servers: ``server_side_emit`` and ``@app.on_server_event``, as Node's
``serverSideEmit``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, get_type_hints

from sioapp._di.container import close_event_resources
from sioapp._di.context import HandlerContext, current_context
from sioapp._di.injection import Dependant, RegistrationError
from sioapp._protocol.errors import EventError, error_payload
from sioapp._protocol.handshake import Handshake
from sioapp._runtime.dispatch import UNKNOWN_EVENT

if TYPE_CHECKING:
    from sioapp._app.app import SioApp

__all__ = ["SERVER_RESERVED_EVENTS", "ServerAcks", "ServerEvents", "check_server_event"]

logger = logging.getLogger("sioapp")

#: Names Node reserves for server-side events.
SERVER_RESERVED_EVENTS = frozenset({"connect", "connection", "new_namespace"})


def check_server_event(name: str) -> None:
    """Refuse names that are not strings or that Node reserves for server-side events."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"an event name must be a non-empty string, not {name!r}")
    if name in SERVER_RESERVED_EVENTS:
        raise ValueError(f'"{name}" is a reserved event name for server-side events')


@dataclass(frozen=True, slots=True)
class ServerAcks:
    """What ``server_side_emit_with_ack`` got back.

    ``responses`` holds one reply per server that answered in time (the return
    value of its handler, or the ``{"error": ...}`` payload when the handler
    failed or does not exist there); ``missing`` counts the servers that did not
    answer within the timeout.
    """

    responses: list[Any]
    missing: int = 0

    @property
    def complete(self) -> bool:
        """Whether every other server answered."""
        return self.missing == 0


class ServerEvents:
    """The ``@app.on_server_event`` handlers, one per namespace and event."""

    def __init__(self) -> None:
        self.handlers: dict[tuple[str, str], Dependant] = {}

    def add(self, namespace: str, event: str, dependant: Dependant) -> None:
        """Register ``dependant`` for ``event``; a second handler for it is an error."""
        hints = get_type_hints(dependant.fn, include_extras=False)
        socket_bound = sorted(
            name for name, hint in hints.items() if _socket_type(hint) and name != "return"
        )
        if socket_bound:
            raise RegistrationError(
                f"server event handler {dependant.name!r}: parameter(s) {', '.join(socket_bound)} "
                "ask for a socket, and server-side events come from servers, not sockets"
            )
        existing = self.handlers.get((namespace, event))
        if existing is not None:
            raise RegistrationError(
                f"server event {event!r} of namespace {namespace!r} already has a handler: "
                f"{existing.name!r}"
            )
        self.handlers[(namespace, event)] = dependant

    async def run(self, app: SioApp, namespace: str, event: str, args: list[Any]) -> Any:
        """Run the handler of ``event``; its reply, or the error payload when it fails."""
        handler = self.handlers.get((namespace, event))
        ctx = HandlerContext(app, event=event, args=tuple(args))
        token = current_context.set(ctx)
        try:
            if handler is None:
                raise EventError(UNKNOWN_EVENT, f"No server-side handler for event {event!r}")
            ack = handler.ack.ack_args(await handler.call(ctx, args))
        except Exception as exc:
            if isinstance(exc, EventError):
                logger.warning("server event %r [%s] failed: %s", event, namespace, exc.message)
            else:
                logger.exception("server event %r [%s] raised", event, namespace)
            return error_payload(exc)
        finally:
            await close_event_resources(ctx)
            current_context.reset(token)
        if not ack:
            return None
        return ack[0] if len(ack) == 1 else ack


def _socket_type(hint: Any) -> bool:
    from sioapp._protocol.socket import Rooms, Socket

    return hint in (Socket, Rooms, Handshake)
