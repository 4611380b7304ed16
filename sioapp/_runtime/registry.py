"""What one app knows of each namespace: its routers' handlers, bound to the app's container."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sioapp._di.analysis import Dependant, RegistrationError
from sioapp._di.binding import bind
from sioapp._di.calling import Handler
from sioapp._di.payload import PayloadSpec
from sioapp._runtime.router import EmittedEvent, Router

__all__ = ["EventHandler", "NamespaceRegistry", "documented"]


@dataclass(frozen=True, slots=True)
class EventHandler:
    """A client-to-server event of an app, the handler answering it, and the error
    handlers of its router."""

    name: str
    handler: Handler
    router: Router
    error_handlers: tuple[Handler, ...] = ()

    @property
    def dependant(self) -> Dependant:
        """The handler's analysed signature."""
        return self.handler.dependant

    @property
    def payload(self) -> PayloadSpec | None:
        """What the event's arguments are validated as."""
        return self.handler.payload

    @property
    def summary(self) -> str | None:
        """The first line of the handler's docstring."""
        doc = (self.dependant.fn.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else None


@dataclass
class NamespaceRegistry:
    """Everything an app knows about one namespace, merged from its routers, each handler
    bound to the app's ``container``."""

    namespace: str
    container: Any
    routers: list[Router] = field(default_factory=list)
    events: dict[str, EventHandler] = field(default_factory=dict)
    emitted: dict[str, EmittedEvent] = field(default_factory=dict)
    connect_middlewares: list[Handler] = field(default_factory=list)
    packet_middlewares: list[Handler] = field(default_factory=list)
    connect_handlers: list[Handler] = field(default_factory=list)
    disconnecting_handlers: list[Handler] = field(default_factory=list)
    disconnect_handlers: list[Handler] = field(default_factory=list)
    #: What owns the namespace (the Admin UI), if something does: the app's connection
    #: middleware does not guard it, and no other router may be included in it.
    reserved_by: str | None = None

    @property
    def in_schema(self) -> bool:
        """Whether the event contract shows this namespace: some router of it is included in
        the schema, or it has none ("/" with no handlers)."""
        return not self.routers or any(router.include_in_schema for router in self.routers)

    def documented(self) -> NamespaceRegistry:
        """This namespace as the event contract shows it: without the routers, and their
        events, that are not included in the schema."""
        if all(router.include_in_schema for router in self.routers):
            return self
        return replace(
            self,
            routers=[router for router in self.routers if router.include_in_schema],
            events={
                name: event for name, event in self.events.items() if event.router.include_in_schema
            },
            emitted={
                name: event
                for name, event in self.emitted.items()
                if event.router.include_in_schema
            },
        )

    def include(self, router: Router) -> None:
        """Merge ``router``, binding its handlers; a duplicate event name is an error."""
        if router in self.routers:
            raise RegistrationError(f"{router!r} is already included")
        clashes = sorted(self.events.keys() & router.events.keys())
        if clashes:
            raise RegistrationError(
                f"namespace {self.namespace!r} already handles "
                + ", ".join(repr(name) for name in clashes)
            )
        events = {name: self._bind(dependant) for name, dependant in router.events.items()}
        errors = tuple(self._bind(dependant) for dependant in router.error_handlers)
        lists = [
            self._bound(router.connect_middlewares),
            self._bound(router.packet_middlewares),
            self._bound(router.connect_handlers),
            self._bound(router.disconnecting_handlers),
            self._bound(router.disconnect_handlers),
        ]
        self.routers.append(router)
        for name, handler in events.items():
            self.events[name] = EventHandler(name, handler, router, errors)
        self.emitted.update(router.emitted)
        self.connect_middlewares.extend(lists[0])
        self.packet_middlewares.extend(lists[1])
        self.connect_handlers.extend(lists[2])
        self.disconnecting_handlers.extend(lists[3])
        self.disconnect_handlers.extend(lists[4])

    def _bind(self, dependant: Dependant) -> Handler:
        return bind(dependant, self.container)

    def _bound(self, dependants: list[Dependant]) -> list[Handler]:
        return [self._bind(dependant) for dependant in dependants]


def documented(registries: Mapping[str, NamespaceRegistry]) -> dict[str, NamespaceRegistry]:
    """The namespaces the event contract shows, each without the events of routers that are
    not included in the schema."""
    return {
        name: registry.documented() for name, registry in registries.items() if registry.in_schema
    }
