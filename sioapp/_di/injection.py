"""Signature analysis, done once per handler, and argument resolution, done per call.

Each parameter of a handler is exactly one of: an injected framework type
(recognised by annotation), a dependency-injector marker (``Provide[...]`` as
default or in ``Annotated``), the user (annotated with the container's
``user_type``), or a payload argument bound to the event's positional
arguments and validated by one pydantic ``TypeAdapter``. Markers and the user
type are resolved when the handler is bound to the app's container, at
registration.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, is_dataclass, replace
from typing import Annotated, Any, NotRequired, cast, get_args, get_origin, get_type_hints

from dependency_injector import providers
from dependency_injector.wiring import Closing, Provide, Provider, ProvidersMap
from pydantic import (
    BaseModel,
    PydanticSchemaGenerationError,
    PydanticUserError,
    TypeAdapter,
    ValidationError,
)
from typing_extensions import TypedDict

from sioapp._di.container import Container, user_type_of
from sioapp._di.context import HandlerContext
from sioapp._protocol.codec import to_wire
from sioapp._protocol.errors import AuthValidationError, PayloadValidationError, validation_details
from sioapp._protocol.reasons import DisconnectReason

__all__ = ["Dependant", "HandlerKind", "RegistrationError", "analyse"]

Getter = Callable[[HandlerContext], Any]

#: The marker a parameter annotated with the container's ``user_type`` stands for.
USER_MARKER = Provide[Container.user]

# dependency-injector declares its markers as instances to type checkers; they are classes.
PROVIDER_MARKER = cast(type, Provider)
CLOSING_MARKER = cast(type, Closing)


class RegistrationError(TypeError):
    """A handler that cannot be registered as written."""


class HandlerKind(enum.Enum):
    """What a handler is for; it decides which parameters may be injected."""

    EVENT = "event handler"
    CONNECT = "connect handler"
    CONNECTION_MIDDLEWARE = "connection middleware"
    DISCONNECT = "disconnect handler"
    ERROR = "error handler"
    PACKET_MIDDLEWARE = "packet middleware"


#: Parameters that packet middleware receives positionally, as in Node's ``socket.use``.
PACKET_MIDDLEWARE_ARGS = ("socket", "event", "args", "next")

#: The connection middleware parameter that receives the handshake's ``auth``, validated.
AUTH_PARAMETER = "auth"


def _framework_getters() -> dict[Any, Getter]:
    from sioapp._app.app import SioApp
    from sioapp._protocol.handshake import Handshake
    from sioapp._protocol.socket import Rooms, Socket

    return {
        Socket: lambda ctx: ctx.socket,
        Handshake: lambda ctx: ctx.socket.handshake,
        Rooms: lambda ctx: ctx.socket.rooms,
        SioApp: lambda ctx: ctx.app,
    }


def _auth_getter(annotation: Any) -> Getter:
    """The client's CONNECT payload validated as ``annotation``, or `AuthValidationError`."""
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)

    def validated_auth(ctx: HandlerContext) -> Any:
        assert ctx.socket is not None, "connection middleware always runs for a socket"
        try:
            return adapter.validate_python(dict(ctx.socket.handshake.auth))
        except ValidationError as exc:
            raise AuthValidationError(validation_details(exc)) from None

    return validated_auth


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


def _may_be_user_type(annotation: Any) -> bool:
    """Whether ``annotation`` could be a container's ``user_type``, known only at binding."""
    return isinstance(annotation, type) and annotation.__module__ not in ("builtins", "typing")


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
            fields[rest] = NotRequired[list[rest_annotation]]
        typed_dict = TypedDict(f"{owner}Payload", fields)  # type: ignore[misc]
        return cls(
            names=tuple(names),
            annotations=annotations,
            defaults=defaults,
            rest=rest,
            rest_annotation=rest_annotation,
            adapter=TypeAdapter(cast(Any, typed_dict)),
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
            raise PayloadValidationError.from_pydantic(exc) from None
        for name, default in self.defaults.items():
            values.setdefault(name, default)
        if self.rest is not None:
            values.setdefault(self.rest, [])
        return values


@dataclass(frozen=True, slots=True)
class PayloadFields:
    """A handler's payload parameters before validation is built, kept until binding
    because those annotated with the container's ``user_type`` leave the payload."""

    title: str
    names: tuple[str, ...]
    annotations: dict[str, Any]
    defaults: dict[str, Any]
    rest: str | None
    rest_annotation: Any

    def without(self, removed: set[str]) -> PayloadFields:
        """These fields minus the ``removed`` parameters."""
        names = tuple(name for name in self.names if name not in removed)
        return replace(
            self,
            names=names,
            annotations={name: self.annotations[name] for name in names},
            defaults={name: value for name, value in self.defaults.items() if name in names},
        )

    def build(self) -> Payload | None:
        """The payload validating these fields; None when there are none."""
        if not self.names and self.rest is None:
            return None
        return Payload.build(
            self.title,
            list(self.names),
            self.annotations,
            self.defaults,
            self.rest,
            self.rest_annotation,
        )

    def eager(self) -> Payload | None:
        """The payload, or None while a parameter pydantic cannot validate may be the user."""
        try:
            return self.build()
        except PydanticSchemaGenerationError:
            if any(_may_be_user_type(_strip_annotated(a)) for a in self.annotations.values()):
                return None
            raise


#: Containers whose items, when not given, may be anything, ``bytes`` included.
_BARE_CONTAINERS = (tuple, list, dict, set, frozenset)


def _holds_bytes(annotation: Any, seen: set[int]) -> bool:
    """Whether ``bytes`` may appear anywhere in ``annotation``, models' fields included:
    written out, or as ``Any`` or the items of a bare ``tuple``, ``list``, ``dict``..."""
    if id(annotation) in seen:
        return False
    seen.add(id(annotation))
    if annotation in (bytes, bytearray, Any) or annotation in _BARE_CONTAINERS:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return any(_holds_bytes(f.annotation, seen) for f in annotation.model_fields.values())
    if is_dataclass(annotation) and isinstance(annotation, type):
        hints = get_type_hints(annotation)
        return any(_holds_bytes(hint, seen) for hint in hints.values())
    return any(_holds_bytes(arg, seen) for arg in get_args(annotation))


@dataclass(frozen=True, slots=True)
class AckSerializer:
    """Turns a handler's return value into the list of ack arguments.

    ``annotation`` is the handler's return annotation (``inspect.Signature.empty`` if none).
    """

    adapter: TypeAdapter[Any] | None
    several: bool
    annotation: Any = inspect.Signature.empty
    #: The annotation when it is a model class: an instance of exactly it needs no validation.
    model: type[BaseModel] | None = None
    #: The annotation may hold ``bytes`` somewhere: they are sent as binary attachments.
    binary: bool = False

    @classmethod
    def build(cls, annotation: Any) -> AckSerializer:
        if annotation is inspect.Signature.empty or annotation is Any:
            return cls(adapter=None, several=False, annotation=annotation)
        if annotation is None or annotation is type(None):
            return cls(adapter=None, several=False, annotation=annotation)
        plain = _strip_annotated(annotation)
        several = plain is tuple or get_origin(plain) is tuple
        model = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
        return cls(
            adapter=TypeAdapter(annotation),
            several=several,
            annotation=annotation,
            model=model,
            binary=_holds_bytes(annotation, set()),
        )

    def ack_args(self, result: Any) -> list[Any]:
        """``-> None`` (or no annotation) and ``None`` ack with no argument; a type that
        admits None acks ``null``."""
        if self.adapter is not None:
            if self.model is None or type(result) is not self.model:
                result = self.adapter.validate_python(result)
            if self.binary:
                dumped = to_wire(self.adapter.dump_python(result, by_alias=True))
            else:
                dumped = self.adapter.dump_python(result, mode="json", by_alias=True)
            return list(dumped) if self.several else [dumped]
        if result is None:
            return []
        if isinstance(result, tuple):
            return [to_wire(item) for item in result]
        return [to_wire(result)]


@dataclass(slots=True)
class _Param:
    name: str
    positional: bool
    getter: Getter | None = None  # None: a payload argument, or not bound yet
    marker: Any = None
    awaitable: bool = False
    annotation: Any = None  # a class that may turn out to be the container's user type
    unbound: str | None = None  # why the parameter cannot be bound, unless it is the user


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
    container: Any = None
    providers: tuple[Any, ...] = ()
    payload_fields: PayloadFields | None = None

    @property
    def name(self) -> str:
        return getattr(self.fn, "__qualname__", repr(self.fn))

    @property
    def markers(self) -> list[tuple[str, Any]]:
        return [(p.name, p.marker) for p in self.params if p.marker is not None]

    def _user_params(self, container: Any) -> list[_Param]:
        user_type = user_type_of(container)
        return [
            p
            for p in self.params
            if p.getter is None and user_type is not None and p.annotation is user_type
        ]

    def bind(self, container: Any) -> None:
        """Resolve the user type and each ``Provide[...]`` marker on ``container``.

        A handler is bound once; binding it to a second container is an error
        when that would change what it receives.
        """
        if self.bound:
            if container is not self.container and (self.providers or self._user_params(container)):
                raise RegistrationError(
                    f"{self.kind.value} {self.name!r} is already bound to another app's "
                    "container: create the router once per app"
                )
            return
        users = {param.name for param in self._user_params(container)}
        for param in self.params:
            if param.unbound is not None and param.name not in users:
                raise RegistrationError(
                    f"{self.kind.value} {self.name!r}: parameter {param.name!r} {param.unbound}"
                )
        payload = self.payload
        if self.payload_fields is not None and (users or payload is None):
            try:
                payload = self.payload_fields.without(users).build()
            except PydanticSchemaGenerationError as exc:
                raise RegistrationError(
                    f"{self.kind.value} {self.name!r}: cannot validate its payload: "
                    + str(exc).splitlines()[0]
                ) from exc
        wanted = [
            (param, USER_MARKER if param.name in users else param.marker)
            for param in self.params
            if param.name in users or param.marker is not None
        ]
        providers_map = ProvidersMap(container) if wanted and container is not None else None
        resolved: list[tuple[_Param, Any, Any]] = []
        for param, marker in wanted:
            provider = (
                providers_map.resolve_provider(marker.provider, marker.modifier)
                if providers_map is not None
                else None
            )
            if provider is None:
                raise RegistrationError(
                    f"{self.kind.value} {self.name!r}: parameter {param.name!r} asks for "
                    f"{marker!r}, which is not a provider of the app's container"
                )
            resolved.append((param, marker, provider))
        for param, marker, provider in resolved:
            param.marker = marker
            param.getter, param.awaitable = _provider_getter(marker, provider)
        self.payload = payload
        self.providers = tuple(dict.fromkeys(provider for _, _, provider in resolved))
        self.container = container
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
    if isinstance(marker, PROVIDER_MARKER):
        # A Delegate provides the provider it wraps, as dependency-injector's ``@inject`` does.
        delegate = provider if isinstance(provider, providers.Delegate) else provider.provider
        target = delegate()
        return (lambda ctx: target), False
    return (lambda ctx: provider()), True


def analyse(fn: Callable[..., Any], kind: HandlerKind) -> Dependant:
    """Analyse ``fn``'s signature once, for a handler of ``kind``."""
    if not callable(fn):
        raise RegistrationError(f"{kind.value} {fn!r} is not callable")
    if not (inspect.isfunction(fn) or inspect.ismethod(fn) or isinstance(fn, type)):
        fn = type(fn).__call__.__get__(fn)  # an instance with __call__, e.g. RateLimit(...)
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
                raise refuse(
                    name,
                    f"must be positional: packet middleware receives "
                    f"({', '.join(PACKET_MIDDLEWARE_ARGS)})",
                )
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
        if isinstance(marker, CLOSING_MARKER):
            raise refuse(
                name,
                "uses Closing[...]: declare the resource as providers.ContextLocalResource "
                "instead, sioapp closes those at the end of each event",
            )
        if marker is not None:
            params.append(_Param(name, positional, marker=marker))
        elif plain in framework:
            params.append(_Param(name, positional, getter=framework[plain]))
        elif plain is DisconnectReason:
            if kind is not HandlerKind.DISCONNECT:
                raise refuse(name, "asks for the DisconnectReason outside a disconnect handler")
            params.append(_Param(name, positional, getter=lambda ctx: ctx.reason))
        elif kind is HandlerKind.CONNECTION_MIDDLEWARE and name == AUTH_PARAMETER:
            try:
                getter = _auth_getter(Any if annotation is parameter.empty else annotation)
            except PydanticUserError as exc:
                raise refuse(name, f"cannot be validated: {str(exc).splitlines()[0]}") from exc
            params.append(_Param(name, positional, getter=getter))
        elif _is_exception_type(plain):
            if kind is not HandlerKind.ERROR:
                raise refuse(name, "asks for an exception outside an error handler")
            exception_type = plain
            params.append(_Param(name, positional, getter=lambda ctx: ctx.exception))
        elif kind is HandlerKind.EVENT and parameter.kind is not parameter.KEYWORD_ONLY:
            payload_names.append(name)
            payload_annotations[name] = Any if annotation is parameter.empty else annotation
            if parameter.default is not parameter.empty:
                defaults[name] = parameter.default
            elif defaults:
                raise refuse(name, "has no default but follows one that has")
            params.append(_Param(name, positional, annotation=plain))
        else:
            why = (
                "is keyword-only, so no event argument can reach it"
                if kind is HandlerKind.EVENT
                else "cannot be bound: annotate it with an injectable type (Socket, Handshake, "
                "Rooms, SioApp"
                + (", DisconnectReason" if kind is HandlerKind.DISCONNECT else "")
                + ", the container's user_type) or give it a Provide[...] default"
                + (
                    "; the handshake's auth is the parameter named 'auth'"
                    if kind is HandlerKind.CONNECTION_MIDDLEWARE
                    else ""
                )
            )
            if not _may_be_user_type(plain):
                raise refuse(name, why)
            params.append(_Param(name, positional, annotation=plain, unbound=why))

    if leading and len(params) < leading:
        raise RegistrationError(
            f"{kind.value} {owner!r} must accept ({', '.join(PACKET_MIDDLEWARE_ARGS)})"
        )
    fields = None
    if payload_names or rest is not None:
        fields = PayloadFields(
            owner.replace(".", "_").replace("<", "").replace(">", ""),
            tuple(payload_names),
            payload_annotations,
            defaults,
            rest,
            rest_annotation,
        )
    return Dependant(
        fn=fn,
        kind=kind,
        params=params,
        payload=fields.eager() if fields is not None else None,
        payload_fields=fields,
        ack=AckSerializer.build(hints.get("return", inspect.Signature.empty)),
        rest=rest,
        leading=leading,
        is_async=inspect.iscoroutinefunction(fn),
        exception_type=exception_type,
    )
