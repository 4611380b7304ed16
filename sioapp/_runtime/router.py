"""Routers collect the handlers of one namespace; apps include them (see ``registry.py``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from pydantic import PydanticSchemaGenerationError, TypeAdapter

from sioapp._di.analysis import Dependant, HandlerKind, RegistrationError, analyse
from sioapp._protocol.events import EMITS_ATTRIBUTE, RESERVED_EVENTS, check_emittable

__all__ = ["EmittedEvent", "Router"]

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T", bound=type)


def _check_namespace(namespace: str) -> str:
    if not isinstance(namespace, str) or not namespace.startswith("/"):
        raise ValueError(f"a namespace starts with '/', got {namespace!r}")
    return namespace


@dataclass(frozen=True, slots=True)
class EmittedEvent:
    """A server-to-client event declared with ``router.emits``: its positional
    arguments as ``(name, type)`` pairs, in order, and its docstring."""

    name: str
    arguments: tuple[tuple[str, Any], ...]
    router: Router
    doc: str | None = None


def _argument_name(annotation: Any) -> str:
    """The name of an event's only argument: ``userJoined`` for a class ``UserJoined`` of
    the app's own, ``value`` for built-in and generic types."""
    if inspect.isclass(annotation) and annotation.__module__ != "builtins":
        name = annotation.__name__
        return name[:1].lower() + name[1:]
    return "value"


def _described(event: str, name: str, annotation: Any) -> tuple[str, Any]:
    """``(name, annotation)``, once pydantic has shown it can describe ``annotation``."""
    try:
        TypeAdapter(annotation)
    except PydanticSchemaGenerationError as exc:
        raise RegistrationError(
            f"emitted event {event!r}: argument {name!r} is {annotation!r}, "
            "a type pydantic cannot describe"
        ) from exc
    return name, annotation


class Router:
    """Handlers for one namespace (``"/"`` by default).

    Several routers may share a namespace; ``app.include_router`` merges them.
    A router may be included in several apps: each binds its handlers to its
    own container. ``include_in_schema=False`` leaves its events out of the event
    contract (as FastAPI's option of the same name); a namespace whose routers all
    say so is left out entirely.
    """

    def __init__(
        self, namespace: str = "/", *, tags: list[str] | None = None, include_in_schema: bool = True
    ) -> None:
        self.namespace = _check_namespace(namespace)
        self.tags = list(tags or [])
        self.include_in_schema = include_in_schema
        self.events: dict[str, Dependant] = {}
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
                    f"{self.events[event].name!r}"
                )
            self.events[event] = analyse(fn, HandlerKind.EVENT)
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

    @overload
    def emits(self, event: str, /) -> Callable[[T], T]: ...

    @overload
    def emits(self, event: str, payload: Any, /) -> None: ...

    @overload
    def emits(self, event: str, /, **arguments: Any) -> None: ...

    def emits(self, event: str, /, *payload: Any, **arguments: Any) -> Callable[[T], T] | None:
        """Declare the server-to-client ``event``, for the contract.

        - ``@router.emits(event)`` on a model: the model is its only argument, and
          ``await socket.emit(instance)`` sends it under that name;
        - ``router.emits(event, T)``: one argument of type ``T``;
        - ``router.emits(event, from_id=str, text=str)``: positional arguments, in order.
        """
        check_emittable(event)
        if len(payload) > 1 or (payload and arguments):
            raise RegistrationError(
                f"emitted event {event!r}: give one type, or name every argument "
                "(emits(event, T) or emits(event, first=T1, second=T2))"
            )
        if payload or arguments:
            named = [(_argument_name(t), t) for t in payload] + list(arguments.items())
            self._declare(event, named, None)
            return None

        def declare(model: T) -> T:
            self._declare(event, [(_argument_name(model), model)], model.__dict__.get("__doc__"))
            setattr(model, EMITS_ATTRIBUTE, event)
            return model

        return declare

    def _declare(self, event: str, arguments: list[tuple[str, Any]], doc: str | None) -> None:
        described = tuple(_described(event, name, annotation) for name, annotation in arguments)
        self.emitted[event] = EmittedEvent(event, described, self, doc)
