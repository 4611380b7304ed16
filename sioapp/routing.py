"""Routers collect handlers for one namespace; the app's registry merges them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sioapp.events import EMITS_ATTRIBUTE, RESERVED_EVENTS, check_emittable
from sioapp.injection import Dependant, HandlerKind, RegistrationError, analyse

__all__ = ["EmittedEvent", "EventHandler", "NamespaceRegistry", "Router"]

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T", bound=type)


def _check_namespace(namespace: str) -> str:
    if not isinstance(namespace, str) or not namespace.startswith("/"):
        raise ValueError(f"a namespace starts with '/', got {namespace!r}")
    return namespace


@dataclass(frozen=True, slots=True)
class EventHandler:
    """A client-to-server event and the handler that answers it."""

    name: str
    dependant: Dependant
    router: Router

    @property
    def summary(self) -> str | None:
        doc = (self.dependant.fn.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else None


@dataclass(frozen=True, slots=True)
class EmittedEvent:
    """A server-to-client event declared with ``@router.emits``."""

    name: str
    model: type
    router: Router


class Router:
    """Handlers for one namespace (``"/"`` by default).

    Several routers may share a namespace; ``app.include_router`` merges them.
    """

    def __init__(self, namespace: str = "/", *, tags: list[str] | None = None) -> None:
        self.namespace = _check_namespace(namespace)
        self.tags = list(tags or [])
        self.events: dict[str, EventHandler] = {}
        self.emitted: dict[str, EmittedEvent] = {}
        self.connect_middlewares: list[Dependant] = []
        self.packet_middlewares: list[Dependant] = []
        self.connect_handlers: list[Dependant] = []
        self.disconnecting_handlers: list[Dependant] = []
        self.disconnect_handlers: list[Dependant] = []
        self.error_handlers: list[Dependant] = []

    def __repr__(self) -> str:
        return f"Router(namespace={self.namespace!r}, events={sorted(self.events)})"

    def on(self, event: str) -> Callable[[F], F]:
        """Register the handler of the client-to-server ``event``.

        Payload parameters are validated; the return value is the ack.
        """
        if not isinstance(event, str) or not event:
            raise ValueError(f"an event name must be a non-empty string, not {event!r}")
        if event in RESERVED_EVENTS:
            raise ValueError(f'"{event}" is a reserved event name and cannot be handled')

        def register(fn: F) -> F:
            if event in self.events:
                raise RegistrationError(
                    f"event {event!r} already has a handler in this router: "
                    f"{self.events[event].dependant.name!r}"
                )
            self.events[event] = EventHandler(event, analyse(fn, HandlerKind.EVENT), self)
            return fn

        return register

    def _add(self, kind: HandlerKind, into: list[Dependant]) -> Callable[[F], F]:
        def register(fn: F) -> F:
            into.append(analyse(fn, kind))
            return fn

        return register

    def on_connect(self, fn: F) -> F:
        """Run ``fn`` when a socket has connected (after the client got CONNECT)."""
        return self._add(HandlerKind.CONNECT, self.connect_handlers)(fn)

    def on_disconnecting(self, fn: F) -> F:
        """Run ``fn`` when a socket is leaving, while ``socket.rooms`` is still complete."""
        return self._add(HandlerKind.DISCONNECT, self.disconnecting_handlers)(fn)

    def on_disconnect(self, fn: F) -> F:
        """Run ``fn`` after a socket has left every room."""
        return self._add(HandlerKind.DISCONNECT, self.disconnect_handlers)(fn)

    def on_error(self, fn: F) -> F:
        """Run ``fn`` for errors in this router's events (like Node's ``socket.on("error")``).

        A parameter annotated with an exception class receives the error and
        limits the handler to errors of that class.
        """
        return self._add(HandlerKind.ERROR, self.error_handlers)(fn)

    def use(self, fn: F) -> F:
        """Connection middleware for this namespace: raise ``ConnectionRefused`` to refuse.

        A parameter named ``auth`` receives the client's handshake auth validated as
        its annotation; invalid auth refuses the client before ``fn`` runs.
        """
        return self._add(HandlerKind.CONNECTION_MIDDLEWARE, self.connect_middlewares)(fn)

    def use_packets(self, fn: F) -> F:
        """Packet middleware for every socket of this namespace.

        Called as ``fn(socket, event, args, next)``, like ``socket.use``.
        """
        return self._add(HandlerKind.PACKET_MIDDLEWARE, self.packet_middlewares)(fn)

    def emits(self, event: str) -> Callable[[T], T]:
        """Declare a server-to-client ``event`` whose payload is the decorated model.

        ``await socket.emit(model_instance)`` then sends it under that name.
        """
        check_emittable(event)

        def declare(model: T) -> T:
            setattr(model, EMITS_ATTRIBUTE, event)
            self.emitted[event] = EmittedEvent(event, model, self)
            return model

        return declare


@dataclass
class NamespaceRegistry:
    """Everything the app knows about one namespace, merged from its routers."""

    namespace: str
    routers: list[Router] = field(default_factory=list)
    events: dict[str, EventHandler] = field(default_factory=dict)
    emitted: dict[str, EmittedEvent] = field(default_factory=dict)
    connect_middlewares: list[Dependant] = field(default_factory=list)
    packet_middlewares: list[Dependant] = field(default_factory=list)
    connect_handlers: list[Dependant] = field(default_factory=list)
    disconnecting_handlers: list[Dependant] = field(default_factory=list)
    disconnect_handlers: list[Dependant] = field(default_factory=list)

    def include(self, router: Router) -> None:
        """Merge ``router``; a duplicate event name is an error."""
        if router in self.routers:
            raise RegistrationError(f"{router!r} is already included")
        clashes = sorted(self.events.keys() & router.events.keys())
        if clashes:
            raise RegistrationError(
                f"namespace {self.namespace!r} already handles "
                + ", ".join(repr(name) for name in clashes)
            )
        self.routers.append(router)
        self.events.update(router.events)
        self.emitted.update(router.emitted)
        self.connect_middlewares.extend(router.connect_middlewares)
        self.packet_middlewares.extend(router.packet_middlewares)
        self.connect_handlers.extend(router.connect_handlers)
        self.disconnecting_handlers.extend(router.disconnecting_handlers)
        self.disconnect_handlers.extend(router.disconnect_handlers)

    def dependants(self) -> list[Dependant]:
        """Every analysed handler of this namespace."""
        found = [handler.dependant for handler in self.events.values()]
        for router in self.routers:
            found.extend(router.error_handlers)
        return [
            *found,
            *self.connect_middlewares,
            *self.packet_middlewares,
            *self.connect_handlers,
            *self.disconnecting_handlers,
            *self.disconnect_handlers,
        ]
