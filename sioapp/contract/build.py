"""Reading the app's registry into a `Contract`.

Only the registry is read: handlers' analysed signatures, their return annotations,
the arguments of ``emits`` declarations, the typed ``auth`` of connection middleware,
routers' tags and docstrings. Every JSON Schema comes from one pydantic generation
pass, so models used in several places are defined once.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue
from pydantic_core import PydanticSerializationError, core_schema, to_jsonable_python

from sioapp._di.calling import Handler
from sioapp._runtime.registry import EventHandler, NamespaceRegistry
from sioapp._runtime.router import EmittedEvent
from sioapp.contract.examples import NO_EXAMPLE, example_of
from sioapp.contract.model import (
    PARSERS,
    REF_PREFIX,
    Ack,
    Argument,
    Contract,
    Direction,
    Event,
    Handshake,
    JsonSchema,
    Namespace,
)
from sioapp.contract.replies import EXCEPTION_EVENT, ConnectError, ErrorReply, ExceptionEvent
from sioapp.contract.source import Documented

__all__ = ["build"]

#: Where the contract says the app runs when ``Documented(servers=...)`` is not given.
DEFAULT_SERVERS = {"development": "http://localhost:8000"}


class _Generator(GenerateJsonSchema):
    """pydantic's generator, with ``{}`` (any value) for types JSON Schema cannot express."""

    def handle_invalid_for_json_schema(
        self, schema: core_schema.CoreSchema, error_info: str
    ) -> JsonSchemaValue:
        return {}


@dataclass(slots=True)
class _Typed:
    """A type whose schema comes from the shared pass, with its adapter to check examples."""

    adapter: TypeAdapter[Any]
    mode: JsonSchemaMode
    generated: JsonSchema | None = None

    @property
    def schema(self) -> JsonSchema:
        if self.generated is None:
            raise RuntimeError("the schemas have not been generated yet")
        return self.generated


class _Schemas:
    """Collects types, then generates all their schemas at once with shared definitions."""

    def __init__(self) -> None:
        self._typed: list[_Typed] = []
        self.definitions: dict[str, JsonSchema] = {}

    def add(self, annotation: Any, mode: JsonSchemaMode) -> _Typed:
        typed = _Typed(TypeAdapter(annotation), mode)
        self._typed.append(typed)
        return typed

    def generate(self) -> None:
        inputs = [(index, typed.mode, typed.adapter) for index, typed in enumerate(self._typed)]
        schemas, definitions = TypeAdapter.json_schemas(
            inputs, ref_template=REF_PREFIX + "{model}", schema_generator=_Generator
        )
        for index, typed in enumerate(self._typed):
            typed.generated = schemas[index, typed.mode]
        self.definitions = definitions.get("$defs", {})

    def example(self, *typed: _Typed) -> Any:
        """An example that the adapter of every ``typed`` accepts, or NO_EXAMPLE."""
        value = example_of(_all_of([each.schema for each in typed]), self.definitions)
        if value is NO_EXAMPLE:
            return NO_EXAMPLE
        try:
            for each in typed:
                each.adapter.validate_json(orjson.dumps(value))
        except (ValidationError, TypeError):
            return NO_EXAMPLE
        return value


def _all_of(schemas: list[JsonSchema]) -> JsonSchema:
    """The only schema of ``schemas``, or an ``allOf`` of them."""
    return schemas[0] if len(schemas) == 1 else {"allOf": schemas}


def _docs(doc: str | None) -> tuple[str | None, str | None]:
    """(summary, description): the first paragraph, then the rest, of a docstring."""
    text = inspect.cleandoc(doc or "")
    if not text:
        return None, None
    summary, _, rest = text.partition("\n\n")
    return " ".join(summary.split()), rest.strip() or None


@dataclass(slots=True)
class _Param:
    name: str
    typed: _Typed
    default: Any = inspect.Parameter.empty

    @property
    def required(self) -> bool:
        return self.default is inspect.Parameter.empty


@dataclass(slots=True)
class _Draft:
    """An event before its schemas exist."""

    name: str
    direction: Direction
    params: list[_Param]
    rest: _Param | None = None
    ack: _Typed | None = None
    several: bool = False
    doc: str | None = None
    tags: tuple[str, ...] = ()

    def finish(self, schemas: _Schemas) -> Event:
        arguments = tuple(_argument(param) for param in self.params)
        rest = _argument(self.rest) if self.rest is not None else None
        summary, description = _docs(self.doc)
        return Event(
            name=self.name,
            direction=self.direction,
            arguments=arguments,
            rest=rest,
            ack=self._ack(schemas),
            summary=summary,
            description=description,
            tags=self.tags,
            example=self._example(schemas),
        )

    def _example(self, schemas: _Schemas) -> list[Any] | None:
        values: list[Any] = []
        for param in self.params:
            value = schemas.example(param.typed)
            if value is NO_EXAMPLE:
                if param.required:
                    return None
                break
            values.append(value)
        else:
            if self.rest is not None:
                value = schemas.example(self.rest.typed)
                if value is not NO_EXAMPLE:
                    values.append(value)
        return values

    def _ack(self, schemas: _Schemas) -> Ack | None:
        if self.ack is None:
            return None
        value = schemas.example(self.ack)
        example = None
        if value is not NO_EXAMPLE:
            example = list(value) if self.several else [value]
        return Ack(schema=self.ack.schema, several=self.several, example=example)


def _argument(param: _Param) -> Argument:
    schema = dict(param.typed.schema)
    if not param.required:
        with contextlib.suppress(PydanticSerializationError):
            schema["default"] = to_jsonable_python(param.default)
    return Argument(param.name, schema, param.required)


def _handled(handler: EventHandler, schemas: _Schemas) -> _Draft:
    dependant = handler.dependant
    params: list[_Param] = []
    rest = None
    payload = dependant.payload
    if payload is not None:
        for name in payload.names:
            typed = schemas.add(payload.annotations[name], "validation")
            params.append(_Param(name, typed, payload.defaults.get(name, inspect.Parameter.empty)))
        if payload.rest is not None:
            rest = _Param(payload.rest, schemas.add(payload.rest_annotation, "validation"))
    annotation = dependant.ack.annotation
    acked = annotation not in (inspect.Signature.empty, None, type(None))
    return _Draft(
        name=handler.name,
        direction=Direction.CLIENT_TO_SERVER,
        params=params,
        rest=rest,
        ack=schemas.add(annotation, "serialization") if acked else None,
        several=dependant.ack.several,
        doc=dependant.fn.__doc__,
        tags=tuple(handler.router.tags),
    )


def _emitted(event: EmittedEvent, schemas: _Schemas) -> _Draft:
    return _Draft(
        name=event.name,
        direction=Direction.SERVER_TO_CLIENT,
        params=[
            _Param(name, schemas.add(annotation, "serialization"))
            for name, annotation in event.arguments
        ],
        doc=event.doc,
        tags=tuple(event.router.tags),
    )


def _exception(typed: _Typed) -> _Draft:
    return _Draft(
        name=EXCEPTION_EVENT,
        direction=Direction.SERVER_TO_CLIENT,
        params=[_Param("exception", typed)],
        doc=ExceptionEvent.__doc__,
    )


def _drafts(registry: NamespaceRegistry, schemas: _Schemas, exception: _Typed) -> list[_Draft]:
    drafts = [_handled(handler, schemas) for handler in registry.events.values()]
    drafts.extend(_emitted(event, schemas) for event in registry.emitted.values())
    if EXCEPTION_EVENT not in registry.emitted:
        drafts.append(_exception(exception))
    return drafts


def _auth_types(middlewares: Iterable[Handler]) -> list[Any]:
    """The distinct types connection middleware validates the handshake's ``auth`` as."""
    found: list[Any] = []
    for middleware in middlewares:
        for param in middleware.dependant.params:
            if param.auth_type is not None and param.auth_type not in found:
                found.append(param.auth_type)
    return found


def _handshake(typed: list[_Typed], schemas: _Schemas) -> Handshake | None:
    if not typed:
        return None
    example = schemas.example(*typed)
    return Handshake(
        schema=_all_of([each.schema for each in typed]),
        example=None if example is NO_EXAMPLE else example,
    )


def build(app: Documented) -> Contract:
    """The contract of ``app``, read from its registry."""
    schemas = _Schemas()
    error_reply = schemas.add(ErrorReply, "serialization")
    exception_event = schemas.add(ExceptionEvent, "serialization")
    drafts = {
        name: _drafts(registry, schemas, exception_event) for name, registry in app.registry.items()
    }
    auths = {
        name: [
            schemas.add(auth_type, "validation")
            for auth_type in _auth_types([*app.connect_middlewares, *registry.connect_middlewares])
        ]
        for name, registry in app.registry.items()
    }
    connect_error = schemas.add(ConnectError, "serialization") if any(auths.values()) else None
    schemas.generate()
    return Contract(
        title=app.title,
        version=app.version,
        description=app.description,
        servers=dict(app.servers) or DEFAULT_SERVERS,
        socketio_path=app.socketio_path,
        parser=PARSERS[app.serializer],
        namespaces=tuple(
            Namespace(
                name,
                tuple(draft.finish(schemas) for draft in namespace_drafts),
                _handshake(auths[name], schemas),
            )
            for name, namespace_drafts in drafts.items()
        ),
        schemas=schemas.definitions,
        error_reply=error_reply.schema,
        connect_error=connect_error.schema if connect_error is not None else None,
    )
