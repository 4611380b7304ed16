"""Binding an analysed handler to one app's container, when the app includes it.

The container's ``user_type`` decides which parameters receive the user, and
each ``Provide[...]`` marker is resolved to the container's own provider, so
that ``container.x.override(...)`` reaches the handler. Binding makes a new
`Handler` and leaves the `Dependant` as it was: a router may be included in
several apps, each with its own container.
"""

from __future__ import annotations

from typing import Any

from dependency_injector import providers
from dependency_injector.wiring import Provide, Provider, ProvidersMap
from pydantic import PydanticSchemaGenerationError

from sioapp._di.analysis import Dependant, Getter, Param, RegistrationError
from sioapp._di.calling import Argument, Handler
from sioapp._di.container import Container, user_type_of
from sioapp._di.payload import PayloadSpec

__all__ = ["bind"]

#: The marker a parameter annotated with the container's ``user_type`` stands for.
USER_MARKER = Provide[Container.user]

# dependency-injector declares its markers as instances to type checkers; they are classes.
_PROVIDER_MARKER: type = Provider  # type: ignore[assignment]


def _provider_getter(marker: Any, provider: Any) -> tuple[Getter, bool]:
    if isinstance(marker, _PROVIDER_MARKER):
        # A Delegate provides the provider it wraps, as dependency-injector's ``@inject`` does.
        delegate = provider if isinstance(provider, providers.Delegate) else provider.provider
        target = delegate()
        return (lambda ctx: target), False
    return (lambda ctx: provider()), True


def _payload(dependant: Dependant, users: set[str]) -> PayloadSpec | None:
    """The payload once the parameters receiving the user have left it."""
    spec = dependant.payload
    if spec is None:
        return None
    if users:
        spec = spec.without(users)
    if spec.empty:
        return None
    try:
        return spec.build()
    except PydanticSchemaGenerationError as exc:
        raise RegistrationError(
            f"{dependant.kind.value} {dependant.name!r}: cannot validate its payload: "
            + str(exc).splitlines()[0]
        ) from exc


def bind(dependant: Dependant, container: Any) -> Handler:
    """``dependant`` bound to ``container`` (a `sioapp.Container` instance)."""
    user_type = user_type_of(container)
    users = {
        param.name
        for param in dependant.params
        if param.getter is None and user_type is not None and param.annotation is user_type
    }
    for param in dependant.params:
        if param.unbound is not None and param.name not in users:
            raise RegistrationError(
                f"{dependant.kind.value} {dependant.name!r}: parameter {param.name!r} "
                + param.unbound
            )
    payload = _payload(dependant, users)
    providers_map = ProvidersMap(container)
    arguments = tuple(
        _argument(dependant, param, providers_map, param.name in users)
        for param in dependant.params
    )
    return Handler(dependant, arguments, payload, container)


def _argument(
    dependant: Dependant, param: Param, providers_map: ProvidersMap, is_user: bool
) -> Argument:
    marker = USER_MARKER if is_user else param.marker
    if marker is None:
        return Argument(param.name, param.positional, param.getter)
    provider = providers_map.resolve_provider(marker.provider, marker.modifier)
    if provider is None:
        raise RegistrationError(
            f"{dependant.kind.value} {dependant.name!r}: parameter {param.name!r} asks for "
            f"{marker!r}, which is not a provider of the app's container"
        )
    getter, awaitable = _provider_getter(marker, provider)
    return Argument(param.name, param.positional, getter, awaitable)
