"""The dependency-injector container a SioApp owns, and its lifetime beside the app's.

``Container`` provides the socket, rooms, handshake and user of the handler
running in the current context, the app itself and a ``Configuration``. Apps
subclass it to add their services; every marker in a handler is resolved to
the app's container instance, so overriding one of its providers changes what
handlers and REST routes receive.
"""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import Awaitable, Iterator
from types import ModuleType
from typing import Annotated, Any, ClassVar, cast

from dependency_injector import containers, providers
from dependency_injector.wiring import Provide
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant as RouteDependant
from fastapi.routing import APIRoute, APIWebSocketRoute

from sioapp._di.context import AppHandle, current_context
from sioapp._protocol.errors import EventError
from sioapp._protocol.handshake import Handshake
from sioapp._protocol.socket import Rooms, Socket

__all__ = [
    "Container",
    "CurrentUser",
    "attach",
    "close_event_resources",
    "current_socket",
    "current_user",
    "event_resources",
    "init_resources",
    "shutdown_resources",
    "user_type_of",
    "wire_routes",
]

logger = logging.getLogger("sioapp")

UNAUTHORIZED = "unauthorized"

EventResource = providers.ContextLocalResource[Any]


def current_socket() -> Socket:
    """The socket of the handler running in this context."""
    ctx = current_context.get(None)
    if ctx is None or ctx.socket is None:
        raise RuntimeError(
            "there is no current socket: Container.socket, rooms, handshake and user "
            "are only available while sioapp runs a handler"
        )
    return ctx.socket


def current_rooms() -> Rooms:
    """The rooms of the current socket."""
    return current_socket().rooms


def current_handshake() -> Handshake:
    """The handshake of the current socket."""
    return current_socket().handshake


def current_user() -> Any:
    """``socket.user`` as set by connection middleware.

    Raises ``EventError("unauthorized")`` when the socket has no user, so the
    client gets the error contract's ``unauthorized`` code.
    """
    user = getattr(current_socket(), "user", None)
    if user is None:
        raise EventError(UNAUTHORIZED, "This event needs an authenticated user")
    return user


class Container(containers.DeclarativeContainer):
    """The base of every app's container.

    ``socket``, ``rooms``, ``handshake`` and ``user`` resolve, each time they
    are called, to the handler running in the current context, also when they
    feed other providers (``providers.Factory(Service, socket=Container.socket)``);
    ``app`` is the SioApp the container serves; ``config`` is a
    ``providers.Configuration``.

    Subclass it to add services and pass an instance to the app::

        class AppContainer(sioapp.Container):
            user_type = User
            users = providers.Singleton(UserStore)

        app = SioApp(container=AppContainer())

    ``user_type``, when set, makes a handler parameter annotated with exactly
    that class receive ``user``, as ``Provide[Container.user]`` would.
    ``providers.Resource`` providers live from app startup to shutdown;
    ``providers.ContextLocalResource`` providers live for one event and are
    closed after it, also when the handler raised.
    """

    user_type: ClassVar[type | None] = None

    app: providers.Dependency[Any] = providers.Dependency()
    config = providers.Configuration()
    socket = providers.Callable(current_socket)
    rooms = providers.Callable(current_rooms)
    handshake = providers.Callable(current_handshake)
    user = providers.Callable(current_user)


CurrentUser = Annotated[Any, Provide[Container.user]]
"""A handler parameter annotated ``CurrentUser`` receives ``socket.user``."""


def _declaration(container: Any) -> Any:
    return getattr(container, "declarative_parent", None)


def attach(container: Any, app: AppHandle) -> Container:
    """Check that ``container`` is a `Container` instance and make ``app`` its app."""
    declaration = _declaration(container)
    if not (isinstance(declaration, type) and issubclass(declaration, Container)):
        raise TypeError(
            f"container must be an instance of sioapp.Container or of a subclass, not {container!r}"
        )
    if container.app.default is not None:
        raise ValueError("this container already serves another SioApp: give each app its own")
    container.app.set_default(providers.Object(app))
    return cast(Container, container)


def user_type_of(container: Any) -> type | None:
    """The ``user_type`` declared on ``container``'s class, if any."""
    declaration = _declaration(container)
    return getattr(declaration, "user_type", None) if declaration is not None else None


async def _settle(result: Awaitable[Any] | None) -> None:
    if inspect.isawaitable(result):
        await result


async def init_resources(container: Container) -> None:
    """Initialise the app-wide ``providers.Resource`` providers (not the per-event ones)."""
    await _settle(container.init_resources(providers.Resource))


async def shutdown_resources(container: Container) -> None:
    """Shut down the app-wide ``providers.Resource`` providers, dependents first."""
    await _settle(container.shutdown_resources(providers.Resource))


def event_resources(container: Container) -> tuple[EventResource, ...]:
    """The container's per-event resources: its ``ContextLocalResource`` providers."""
    return tuple(container.traverse(types=[providers.ContextLocalResource]))


def _needed_by(resource: EventResource, others: list[EventResource]) -> bool:
    return any(resource in set(other.traverse()) for other in others if other is not resource)


async def close_event_resources(resources: tuple[EventResource, ...]) -> None:
    """Shut down the per-event resources the current event initialised, dependents first.

    Every ``ContextLocalResource`` among ``resources`` (the app's, see
    `event_resources`), or overriding one, that was initialised in this
    context is closed; a failure is logged and the others still close.
    """
    if not resources:
        return
    if any(resource.last_overriding is not None for resource in resources):
        found = providers.traverse(*resources, types=[providers.ContextLocalResource])
        resources = tuple(cast(Iterator[EventResource], found))
    opened = [resource for resource in resources if resource.initialized]
    while opened:
        ready = [resource for resource in opened if not _needed_by(resource, opened)] or opened
        for resource in ready:
            try:
                await _settle(resource.shutdown())
            except Exception:
                logger.exception("closing the per-event resource %s failed", resource)
        opened = [resource for resource in opened if resource.initialized]


def _callables(dependant: RouteDependant) -> Iterator[Any]:
    if dependant.call is not None and not getattr(dependant.call, "__IS_MARKER__", False):
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _callables(sub)


def _is_own(module: str) -> bool:
    return module == "sioapp" or module.startswith("sioapp.")


def _route_modules(fastapi: FastAPI) -> list[ModuleType]:
    """The modules defining the app's routes and the dependencies they declare,
    sioapp's own modules excepted."""
    modules: dict[str, ModuleType] = {}
    for route in fastapi.routes:
        if not isinstance(route, APIRoute | APIWebSocketRoute):
            continue
        for call in _callables(route.dependant):
            name = getattr(call, "__module__", None)
            module = sys.modules.get(name) if isinstance(name, str) else None
            if module is not None and not _is_own(module.__name__):
                modules.setdefault(module.__name__, module)
    return list(modules.values())


def wire_routes(container: Container, fastapi: FastAPI) -> None:
    """Wire ``container`` into the modules of ``fastapi``'s routes, so ``@inject``
    endpoints with ``Depends(Provide[...])`` receive the app's providers."""
    modules = _route_modules(fastapi)
    if modules:
        container.wire(modules=modules)
