"""Signature analysis, done once per handler when it is registered.

Each parameter of a handler is exactly one of: an injected framework type
(recognised by annotation: `Socket`, `Handshake`, `Rooms`, the app, the
`DisconnectReason`, the exception of an error handler, the validated ``auth``
of connection middleware), a dependency-injector marker (``Provide[...]`` as
default or in ``Annotated``), the user (annotated with the container's
``user_type``, known only when the handler is bound), or a payload argument
bound to the event's positional arguments. The result, a `Dependant`, belongs
to no container: `sioapp._di.binding` binds it to one app's.
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, cast, get_args, get_origin, get_type_hints

from dependency_injector.wiring import Closing
from pydantic import PydanticSchemaGenerationError, PydanticUserError, TypeAdapter, ValidationError

from sioapp._di.acks import AckSerializer, strip_annotated
from sioapp._di.context import AppHandle, HandlerContext
from sioapp._di.payload import PayloadSpec
from sioapp._protocol.errors import AuthValidationError, validation_details
from sioapp._protocol.handshake import Handshake
from sioapp._protocol.reasons import DisconnectReason
from sioapp._protocol.socket import Rooms, Socket

__all__ = [
    "AUTH_PARAMETER",
    "PACKET_MIDDLEWARE_ARGS",
    "Dependant",
    "Getter",
    "HandlerKind",
    "Param",
    "RegistrationError",
    "analyse",
]

Getter = Callable[[HandlerContext], Any]

# dependency-injector declares its markers as instances to type checkers; they are classes.
CLOSING_MARKER = cast(type, Closing)

#: Parameters that packet middleware receives positionally, as in Node's ``socket.use``.
PACKET_MIDDLEWARE_ARGS = ("socket", "event", "args", "next")

#: The connection middleware parameter that receives the handshake's ``auth``, validated.
AUTH_PARAMETER = "auth"

_FRAMEWORK: dict[Any, Getter] = {
    Socket: lambda ctx: ctx.socket,
    Handshake: lambda ctx: ctx.socket.handshake if ctx.socket is not None else None,
    Rooms: lambda ctx: ctx.socket.rooms if ctx.socket is not None else None,
}


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


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter: what it receives is known (``getter``), resolved at binding
    (``marker``, or the user), or a payload argument (neither)."""

    name: str
    positional: bool
    getter: Getter | None = None
    #: A dependency-injector marker, resolved on the app's container.
    marker: Any = None
    #: A class that may turn out to be the container's ``user_type``.
    annotation: Any = None
    #: Why the parameter cannot be bound, unless it is the user.
    unbound: str | None = None
    #: Connection middleware's ``auth``: the type the handshake's auth is validated as,
    #: None when any auth is accepted (no annotation, or ``Any``).
    auth_type: Any = None


@dataclass(frozen=True, slots=True)
class Dependant:
    """A handler with its signature analysed, ready to be bound to any app's container."""

    fn: Callable[..., Any]
    kind: HandlerKind
    params: tuple[Param, ...]
    #: The payload parameters; its adapter is built unless a parameter may be the user.
    payload: PayloadSpec | None
    ack: AckSerializer
    #: The ``*args`` parameter, if any.
    rest: str | None = None
    #: How many arguments are passed positionally first (packet middleware's four).
    leading: int = 0
    is_async: bool = True
    #: The errors an error handler wants, by its exception parameter's annotation.
    exception_type: type[BaseException] = BaseException

    @property
    def name(self) -> str:
        return getattr(self.fn, "__qualname__", repr(self.fn))


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


def may_be_user_type(annotation: Any) -> bool:
    """Whether ``annotation`` could be a container's ``user_type``, known only at binding."""
    return isinstance(annotation, type) and annotation.__module__ not in ("builtins", "typing")


def _unbound_reason(kind: HandlerKind) -> str:
    if kind is HandlerKind.EVENT:
        return "is keyword-only, so no event argument can reach it"
    reason = (
        "cannot be bound: annotate it with an injectable type (Socket, Handshake, Rooms, SioApp"
        + (", DisconnectReason" if kind is HandlerKind.DISCONNECT else "")
        + ", the container's user_type) or give it a Provide[...] default"
    )
    if kind is HandlerKind.CONNECTION_MIDDLEWARE:
        reason += "; the handshake's auth is the parameter named 'auth'"
    return reason


class _Analysis:
    """The analysis of one handler's signature."""

    def __init__(self, fn: Callable[..., Any], kind: HandlerKind) -> None:
        self.fn = fn
        self.kind = kind
        self.owner = getattr(fn, "__qualname__", type(fn).__name__)
        try:
            self.hints = get_type_hints(fn, include_extras=True)
        except Exception as exc:
            raise RegistrationError(
                f"{kind.value} {self.owner!r}: cannot resolve its annotations ({exc})"
            ) from exc
        self.signature = inspect.signature(fn)
        self.has_rest = any(p.kind is p.VAR_POSITIONAL for p in self.signature.parameters.values())
        self.leading = len(PACKET_MIDDLEWARE_ARGS) if kind is HandlerKind.PACKET_MIDDLEWARE else 0
        self.params: list[Param] = []
        self.payload_annotations: dict[str, Any] = {}
        self.defaults: dict[str, Any] = {}
        self.rest: str | None = None
        self.rest_annotation: Any = Any
        self.exception_type: type[BaseException] = BaseException

    def refuse(self, name: str, why: str) -> RegistrationError:
        return RegistrationError(f"{self.kind.value} {self.owner!r}: parameter {name!r} {why}")

    def run(self) -> Dependant:
        for index, parameter in enumerate(self.signature.parameters.values()):
            self._parameter(index, parameter)
        if self.leading and len(self.params) < self.leading:
            raise RegistrationError(
                f"{self.kind.value} {self.owner!r} must accept "
                f"({', '.join(PACKET_MIDDLEWARE_ARGS)})"
            )
        return Dependant(
            fn=self.fn,
            kind=self.kind,
            params=tuple(self.params),
            payload=self._payload(),
            ack=AckSerializer.build(self.hints.get("return", inspect.Signature.empty)),
            rest=self.rest,
            leading=self.leading,
            is_async=inspect.iscoroutinefunction(self.fn),
            exception_type=self.exception_type,
        )

    def _parameter(self, index: int, parameter: inspect.Parameter) -> None:
        name = parameter.name
        annotation = self.hints.get(name, inspect.Parameter.empty)
        if parameter.kind is parameter.VAR_KEYWORD:
            raise self.refuse(name, "(**kwargs) cannot be bound to an event")
        if index < self.leading:
            if parameter.kind not in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
                raise self.refuse(
                    name,
                    "must be positional: packet middleware receives "
                    f"({', '.join(PACKET_MIDDLEWARE_ARGS)})",
                )
            self.params.append(Param(name, positional=True))
            return
        if parameter.kind is parameter.VAR_POSITIONAL:
            if self.kind is not HandlerKind.EVENT:
                raise self.refuse(name, "(*args) is only meaningful in event handlers")
            self.rest = name
            self.rest_annotation = Any if annotation is parameter.empty else annotation
            return
        positional = self.has_rest and parameter.kind is not parameter.KEYWORD_ONLY
        if parameter.kind is parameter.POSITIONAL_ONLY and not self.has_rest:
            positional = True
        self.params.append(self._classified(parameter, annotation, positional))

    def _classified(self, parameter: inspect.Parameter, annotation: Any, positional: bool) -> Param:
        name, kind = parameter.name, self.kind
        plain = strip_annotated(annotation)
        marker = _marker_of(parameter, annotation)
        if isinstance(marker, CLOSING_MARKER):
            raise self.refuse(
                name,
                "uses Closing[...]: declare the resource as providers.ContextLocalResource "
                "instead, sioapp closes those at the end of each event",
            )
        if marker is not None:
            return Param(name, positional, marker=marker)
        if plain in _FRAMEWORK:
            return Param(name, positional, getter=_FRAMEWORK[plain])
        if isinstance(plain, type) and issubclass(plain, AppHandle):
            return Param(name, positional, getter=lambda ctx: ctx.app)
        if plain is DisconnectReason:
            if kind is not HandlerKind.DISCONNECT:
                raise self.refuse(
                    name, "asks for the DisconnectReason outside a disconnect handler"
                )
            return Param(name, positional, getter=lambda ctx: ctx.reason)
        if kind is HandlerKind.CONNECTION_MIDDLEWARE and name == AUTH_PARAMETER:
            auth_type = None if annotation in (parameter.empty, Any) else annotation
            try:
                getter = _auth_getter(Any if auth_type is None else auth_type)
            except PydanticUserError as exc:
                raise self.refuse(name, f"cannot be validated: {str(exc).splitlines()[0]}") from exc
            return Param(name, positional, getter=getter, auth_type=auth_type)
        if isinstance(plain, type) and issubclass(plain, BaseException):
            if kind is not HandlerKind.ERROR:
                raise self.refuse(name, "asks for an exception outside an error handler")
            self.exception_type = plain
            return Param(name, positional, getter=lambda ctx: ctx.exception)
        if kind is HandlerKind.EVENT and parameter.kind is not parameter.KEYWORD_ONLY:
            self.payload_annotations[name] = Any if annotation is parameter.empty else annotation
            if parameter.default is not parameter.empty:
                self.defaults[name] = parameter.default
            elif self.defaults:
                raise self.refuse(name, "has no default but follows one that has")
            return Param(name, positional, annotation=plain)
        if not may_be_user_type(plain):
            raise self.refuse(name, _unbound_reason(kind))
        return Param(name, positional, annotation=plain, unbound=_unbound_reason(kind))

    def _payload(self) -> PayloadSpec | None:
        if not self.payload_annotations and self.rest is None:
            return None
        spec = PayloadSpec(
            title=self.owner.replace(".", "_").replace("<", "").replace(">", ""),
            names=tuple(self.payload_annotations),
            annotations=self.payload_annotations,
            defaults=self.defaults,
            rest=self.rest,
            rest_annotation=self.rest_annotation,
        )
        try:
            return spec.build()
        except PydanticSchemaGenerationError:
            annotations = spec.annotations.values()
            if any(may_be_user_type(strip_annotated(a)) for a in annotations):
                return spec  # one of them may be the user; binding decides
            raise


def analyse(fn: Callable[..., Any], kind: HandlerKind) -> Dependant:
    """Analyse ``fn``'s signature once, for a handler of ``kind``."""
    if not callable(fn):
        raise RegistrationError(f"{kind.value} {fn!r} is not callable")
    if not (inspect.isfunction(fn) or inspect.ismethod(fn) or isinstance(fn, type)):
        fn = type(fn).__call__.__get__(fn)  # an instance with __call__, e.g. RateLimit(...)
    return _Analysis(fn, kind).run()
