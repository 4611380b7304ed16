"""Signature analysis, done once per handler, and argument resolution, done per call.

Each parameter of a handler is exactly one of: an injected framework type
(recognised by annotation), a dependency-injector marker (``Provide[...]`` as
default or in ``Annotated``), or a payload argument bound to the event's
positional arguments and validated by one pydantic ``TypeAdapter``.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, NotRequired, get_args, get_origin, get_type_hints

from dependency_injector import providers
from dependency_injector.wiring import Provider, ProvidersMap
from pydantic import TypeAdapter, ValidationError
from typing_extensions import TypedDict

from sioapp.context import HandlerContext
from sioapp.errors import PayloadValidationError
from sioapp.reasons import DisconnectReason
from sioapp.serialization import to_wire

__all__ = ["Dependant", "HandlerKind", "RegistrationError", "analyse"]

Getter = Callable[[HandlerContext], Any]


class RegistrationError(TypeError):
    """A handler that cannot be registered as written."""


class HandlerKind(enum.Enum):
    """What a handler is for; it decides which parameters may be injected."""

    EVENT = "event handler"
    CONNECT = "connect handler"
    DISCONNECT = "disconnect handler"
    ERROR = "error handler"
    PACKET_MIDDLEWARE = "packet middleware"


#: Parameters that packet middleware receives positionally, as in Node's ``socket.use``.
PACKET_MIDDLEWARE_ARGS = ("socket", "event", "args", "next")


def _framework_getters() -> dict[Any, Getter]:
    from sioapp.app import SioApp
    from sioapp.socket import Handshake, Rooms, Socket

    return {
        Socket: lambda ctx: ctx.socket,
        Handshake: lambda ctx: ctx.socket.handshake,  # type: ignore[union-attr]
        Rooms: lambda ctx: ctx.socket.rooms,  # type: ignore[union-attr]
        SioApp: lambda ctx: ctx.app,
    }


def _marker_of(parameter: inspect.Parameter, annotation: Any) -> Any:
    candidates: tuple[Any, ...] = (parameter.default,)
    if get_origin(annotation) is Annotated:
        candidates = get_args(annotation)[1:] + candidates
    for candidate in candidates:
        if getattr(candidate, "__IS_MARKER__", False):
            return candidate
    return None


def _strip_annotated(annotation: Any) -> Any:
    return get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation


def _is_exception_type(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseException)


@dataclass(frozen=True, slots=True)
class Payload:
    """The handler's payload parameters and the adapter that validates them together."""

    names: tuple[str, ...]
    annotations: dict[str, Any]
    defaults: dict[str, Any]
    rest: str | None
    rest_annotation: Any
    adapter: TypeAdapter[dict[str, Any]]

    @classmethod
    def build(
        cls,
        owner: str,
        names: list[str],
        annotations: dict[str, Any],
        defaults: dict[str, Any],
        rest: str | None,
        rest_annotation: Any,
    ) -> Payload:
        fields: dict[str, Any] = {
            name: NotRequired[annotations[name]] if name in defaults else annotations[name]
            for name in names
        }
        if rest is not None:
            fields[rest] = NotRequired[list[rest_annotation]]  # type: ignore[valid-type]
        typed_dict = TypedDict(f"{owner}Payload", fields)  # type: ignore[operator]
        return cls(
            names=tuple(names),
            annotations=annotations,
            defaults=defaults,
            rest=rest,
            rest_annotation=rest_annotation,
            adapter=TypeAdapter(typed_dict),
        )

    def validate(self, args: tuple[Any, ...] | list[Any]) -> dict[str, Any]:
        """Bind ``args`` to the parameters in order and validate them."""
        count = len(self.names)
        if len(args) > count and self.rest is None:
            raise PayloadValidationError.extra_arguments(count, len(args))
        data = dict(zip(self.names, args, strict=False))
        if self.rest is not None and len(args) > count:
            data[self.rest] = list(args[count:])
        try:
            values = self.adapter.validate_python(data)
        except ValidationError as exc:
            raise PayloadValidationError(exc) from None
        for name, default in self.defaults.items():
            values.setdefault(name, default)
        if self.rest is not None:
            values.setdefault(self.rest, [])
        return values


@dataclass(frozen=True, slots=True)
class AckSerializer:
    """Turns a handler's return value into the list of ack arguments."""

    adapter: TypeAdapter[Any] | None
    several: bool

    @classmethod
    def build(cls, annotation: Any) -> AckSerializer:
        if annotation is inspect.Signature.empty or annotation is Any:
            return cls(adapter=None, several=False)
        if annotation is None or annotation is type(None):
            return cls(adapter=None, several=False)
        several = get_origin(_strip_annotated(annotation)) is tuple
        return cls(adapter=TypeAdapter(annotation), several=several)

    def ack_args(self, result: Any) -> list[Any]:
        if result is None:
            return []
        if self.adapter is not None:
            dumped = self.adapter.dump_python(self.adapter.validate_python(result), mode="json")
            return list(dumped) if self.several else [dumped]
        if isinstance(result, tuple):
            return [to_wire(item) for item in result]
        return [to_wire(result)]


@dataclass(slots=True)
class _Param:
    name: str
    positional: bool
    getter: Getter | None = None  # None: a payload argument
    marker: Any = None
    awaitable: bool = False


@dataclass(slots=True)
class Dependant:
    """A handler with its signature analysed; ``bind`` resolves its markers to a container."""

    fn: Callable[..., Any]
    kind: HandlerKind
    params: list[_Param]
    payload: Payload | None
    ack: AckSerializer
    rest: str | None
    leading: int = 0
    is_async: bool = True
    exception_type: type[BaseException] = BaseException
    bound: bool = field(default=False)

    @property
    def name(self) -> str:
        return getattr(self.fn, "__qualname__", repr(self.fn))

    @property
    def markers(self) -> list[tuple[str, Any]]:
        return [(p.name, p.marker) for p in self.params if p.marker is not None]

    def bind(self, container: Any) -> None:
        """Resolve each ``Provide[...]`` marker to the provider on ``container``."""
        if not self.markers:
            self.bound = True
            return
        providers_map = ProvidersMap(container) if container is not None else None
        for param in self.params:
            if param.marker is None:
                continue
            provider = (
                providers_map.resolve_provider(param.marker.provider, param.marker.modifier)
                if providers_map is not None
                else None
            )
            if provider is None:
                raise RegistrationError(
                    f"{self.kind.value} {self.name!r}: parameter {param.name!r} asks for "
                    f"{param.marker!r}, which is not a provider of the app's container"
                )
            param.getter, param.awaitable = _provider_getter(param.marker, provider)
        self.bound = True

    async def call(
        self,
        ctx: HandlerContext,
        payload_args: tuple[Any, ...] | list[Any] = (),
        leading: tuple[Any, ...] = (),
    ) -> Any:
        """Resolve every parameter for ``ctx`` and run the handler."""
        values = self.payload.validate(payload_args) if self.payload is not None else {}
        positional: list[Any] = list(leading)
        keywords: dict[str, Any] = {}
        for param in self.params[len(leading) :]:
            if param.getter is None:
                value = values[param.name]
            else:
                value = param.getter(ctx)
                if param.awaitable and inspect.isawaitable(value):
                    value = await value
            if param.positional:
                positional.append(value)
            else:
                keywords[param.name] = value
        if self.rest is not None:
            positional.extend(values[self.rest])
        if self.is_async:
            return await self.fn(*positional, **keywords)
        return await asyncio.to_thread(self.fn, *positional, **keywords)


def _provider_getter(marker: Any, provider: Any) -> tuple[Getter, bool]:
    if isinstance(marker, Provider):
        target = provider if isinstance(provider, providers.Delegate) else provider.provider
        return (lambda ctx: target), False
    return (lambda ctx: provider()), True


def analyse(fn: Callable[..., Any], kind: HandlerKind) -> Dependant:
    """Analyse ``fn``'s signature once, for a handler of ``kind``."""
    if not callable(fn):
        raise RegistrationError(f"{kind.value} {fn!r} is not callable")
    owner = getattr(fn, "__qualname__", type(fn).__name__)
    try:
        hints = get_type_hints(fn, include_extras=True)
    except Exception as exc:
        raise RegistrationError(
            f"{kind.value} {owner!r}: cannot resolve its annotations ({exc})"
        ) from exc
    signature = inspect.signature(fn)
    framework = _framework_getters()
    has_rest = any(p.kind is p.VAR_POSITIONAL for p in signature.parameters.values())
    leading = len(PACKET_MIDDLEWARE_ARGS) if kind is HandlerKind.PACKET_MIDDLEWARE else 0

    params: list[_Param] = []
    payload_names: list[str] = []
    payload_annotations: dict[str, Any] = {}
    defaults: dict[str, Any] = {}
    rest: str | None = None
    rest_annotation: Any = Any
    exception_type: type[BaseException] = BaseException

    def refuse(name: str, why: str) -> RegistrationError:
        return RegistrationError(f"{kind.value} {owner!r}: parameter {name!r} {why}")

    for index, parameter in enumerate(signature.parameters.values()):
        name = parameter.name
        annotation = hints.get(name, inspect.Parameter.empty)
        plain = _strip_annotated(annotation)
        if parameter.kind is parameter.VAR_KEYWORD:
            raise refuse(name, "(**kwargs) cannot be bound to an event")
        if index < leading:
            if parameter.kind not in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
                raise refuse(name, f"must be positional: packet middleware receives "
                             f"({', '.join(PACKET_MIDDLEWARE_ARGS)})")
            params.append(_Param(name, positional=True))
            continue
        if parameter.kind is parameter.VAR_POSITIONAL:
            if kind is not HandlerKind.EVENT:
                raise refuse(name, "(*args) is only meaningful in event handlers")
            rest, rest_annotation = name, (Any if annotation is parameter.empty else annotation)
            continue
        positional = has_rest and parameter.kind is not parameter.KEYWORD_ONLY
        if parameter.kind is parameter.POSITIONAL_ONLY and not has_rest:
            positional = True
        marker = _marker_of(parameter, annotation)
        if marker is not None:
            params.append(_Param(name, positional, marker=marker))
        elif plain in framework:
            params.append(_Param(name, positional, getter=framework[plain]))
        elif plain is DisconnectReason:
            if kind is not HandlerKind.DISCONNECT:
                raise refuse(name, "asks for the DisconnectReason outside a disconnect handler")
            params.append(_Param(name, positional, getter=lambda ctx: ctx.reason))
        elif _is_exception_type(plain):
            if kind is not HandlerKind.ERROR:
                raise refuse(name, "asks for an exception outside an error handler")
            exception_type = plain
            params.append(_Param(name, positional, getter=lambda ctx: ctx.exception))
        elif kind is HandlerKind.EVENT:
            if parameter.kind is parameter.KEYWORD_ONLY:
                raise refuse(name, "is keyword-only, so no event argument can reach it")
            payload_names.append(name)
            payload_annotations[name] = Any if annotation is parameter.empty else annotation
            if parameter.default is not parameter.empty:
                defaults[name] = parameter.default
            elif defaults:
                raise refuse(name, "has no default but follows one that has")
            params.append(_Param(name, positional))
        else:
            raise refuse(
                name,
                "cannot be bound: annotate it with an injectable type (Socket, Handshake, "
                "Rooms, SioApp" + (", DisconnectReason" if kind is HandlerKind.DISCONNECT else "")
                + ") or give it a Provide[...] default",
            )

    if leading and len(params) < leading:
        raise RegistrationError(
            f"{kind.value} {owner!r} must accept ({', '.join(PACKET_MIDDLEWARE_ARGS)})"
        )
    payload = None
    if payload_names or rest is not None:
        payload = Payload.build(
            owner.replace(".", "_").replace("<", "").replace(">", ""),
            payload_names,
            payload_annotations,
            defaults,
            rest,
            rest_annotation,
        )
    return Dependant(
        fn=fn,
        kind=kind,
        params=params,
        payload=payload,
        ack=AckSerializer.build(hints.get("return", inspect.Signature.empty)),
        rest=rest,
        leading=leading,
        is_async=inspect.iscoroutinefunction(fn),
        exception_type=exception_type,
    )
