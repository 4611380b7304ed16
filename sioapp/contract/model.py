"""The event contract as plain data: what every generator renders.

A `Contract` is built once from the app's registry (see ``build.py``); the
AsyncAPI, TypeScript and HTML generators only read it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

__all__ = [
    "REF_PREFIX",
    "Ack",
    "Argument",
    "Contract",
    "Direction",
    "Event",
    "Handshake",
    "JsonSchema",
    "Namespace",
]

JsonSchema = dict[str, Any]

#: Where every shared schema lives, in the AsyncAPI document as in the contract's ``$ref``s.
REF_PREFIX = "#/components/schemas/"


class Direction(enum.Enum):
    """Who emits the event; the value is the AsyncAPI action seen from the server."""

    CLIENT_TO_SERVER = "receive"
    SERVER_TO_CLIENT = "send"


@dataclass(frozen=True, slots=True)
class Argument:
    """One positional argument of an event."""

    name: str
    schema: JsonSchema
    required: bool = True


@dataclass(frozen=True, slots=True)
class Ack:
    """What the server acknowledges an event with.

    ``schema`` follows the payload convention: the schema of the only ack argument,
    or an array schema when the handler returns a tuple (``several``).
    """

    schema: JsonSchema
    several: bool
    example: list[Any] | None


@dataclass(frozen=True, slots=True)
class Event:
    """A client-to-server event handled by the app, or a server-to-client one it declares."""

    name: str
    direction: Direction
    arguments: tuple[Argument, ...] = ()
    rest: Argument | None = None
    ack: Ack | None = None
    summary: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    example: list[Any] | None = None

    @property
    def single(self) -> bool:
        """True when the event carries exactly one argument, documented as is."""
        return len(self.arguments) == 1 and self.rest is None

    @property
    def payload(self) -> JsonSchema | None:
        """The message payload: the only argument's schema, an array schema of several
        arguments (``prefixItems``, ``*args`` as ``items``), or None without arguments."""
        if not self.arguments and self.rest is None:
            return None
        if self.single:
            return self.arguments[0].schema
        schema: JsonSchema = {"type": "array"}
        if self.arguments:
            schema["prefixItems"] = [
                {"title": argument.name, **argument.schema} for argument in self.arguments
            ]
        schema["items"] = self.rest.schema if self.rest is not None else False
        required = sum(argument.required for argument in self.arguments)
        if required:
            schema["minItems"] = required
        return schema

    @property
    def payload_example(self) -> Any:
        """``example`` in the shape of `payload`."""
        if self.example is None:
            return None
        return self.example[0] if self.single else self.example


@dataclass(frozen=True, slots=True)
class Handshake:
    """What a client sends as ``auth`` when it connects to a namespace, as the typed ``auth``
    of its connection middleware declares it.

    ``schema`` is the schema of the one declared type, or an ``allOf`` when several
    middlewares declare one; ``example`` is a value they all accept, or None.
    """

    schema: JsonSchema
    example: Any = None


@dataclass(frozen=True, slots=True)
class Namespace:
    """The events of one namespace, in registration order, client-to-server first, and its
    handshake's auth when connection middleware declares its type."""

    name: str
    events: tuple[Event, ...]
    auth: Handshake | None = None

    def by_direction(self, direction: Direction) -> tuple[Event, ...]:
        return tuple(event for event in self.events if event.direction is direction)


#: The npm package of the parser clients need, by the app's ``serializer``.
PARSERS = {"json": "socket.io-parser", "msgpack": "socket.io-msgpack-parser"}
#: The parser socket.io-client uses unless told otherwise.
DEFAULT_PARSER = PARSERS["json"]


@dataclass(frozen=True, slots=True)
class Contract:
    """Everything the app's clients need to know, independent of any output format."""

    title: str
    version: str
    description: str
    servers: dict[str, str]
    socketio_path: str
    #: The npm package of the Socket.IO parser clients need (`PARSERS`).
    parser: str
    namespaces: tuple[Namespace, ...]
    schemas: dict[str, JsonSchema]
    error_reply: JsonSchema
    #: The ``connect_error`` of a refused handshake auth; None when no namespace types its auth.
    connect_error: JsonSchema | None = None
