"""The contract as TypeScript declarations for socket.io-client.

Every schema in the contract becomes an interface (objects) or a type alias (enums
as unions of string literals, unions, arrays...). Each namespace gets
``ServerToClientEvents`` and ``ClientToServerEvents`` interfaces, prefixed by the
PascalCase namespace name except for the main namespace, shaped for
``Socket<ServerToClientEvents, ClientToServerEvents>``: an event with an ack takes
a last ``callback`` argument, which types ``emitWithAck`` too. A namespace whose
connection middleware types the handshake's ``auth`` gets an ``Auth`` type
(``AdminAuth`` for ``/admin``), for ``io(url, { auth })``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sioapp.contract.model import (
    DEFAULT_PARSER,
    REF_PREFIX,
    Argument,
    Contract,
    Direction,
    Event,
    Handshake,
    JsonSchema,
    Namespace,
)

__all__ = ["TsType", "TypeWriter", "events_prefix", "render_typescript"]

_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
# fmt: off
_RESERVED = frozenset({
    "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete",
    "do", "else", "enum", "export", "extends", "false", "finally", "for", "function", "if",
    "import", "in", "instanceof", "new", "null", "return", "super", "switch", "this", "throw",
    "true", "try", "typeof", "var", "void", "while", "with", "implements", "interface", "let",
    "package", "private", "protected", "public", "static", "yield", "await",
})
# fmt: on
_PRIMITIVES = {
    "string": "string",
    "integer": "number",
    "number": "number",
    "boolean": "boolean",
    "null": "null",
}


@dataclass(frozen=True, slots=True)
class TsType:
    """A TypeScript type expression; ``compound`` ones need parentheses inside ``[]``."""

    text: str
    compound: bool = False

    def atom(self) -> str:
        return f"({self.text})" if self.compound else self.text


def _union(types: list[TsType]) -> TsType:
    texts = list(dict.fromkeys(t.text for t in types))
    if len(texts) == 1:
        return types[0]
    return TsType(" | ".join(texts), compound=True)


def _property_key(name: str) -> str:
    return name if _IDENTIFIER.match(name) else json.dumps(name)


def _parameter(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_$]", "_", name)
    if not _IDENTIFIER.match(cleaned):
        cleaned = "_" + cleaned
    return cleaned + "_" if cleaned in _RESERVED else cleaned


def _comment(text: str | None, indent: str = "") -> list[str]:
    if not text:
        return []
    lines = text.replace("*/", "*\\/").splitlines()
    if len(lines) == 1:
        return [f"{indent}/** {lines[0]} */"]
    return [f"{indent}/**", *(f"{indent} * {line}".rstrip() for line in lines), f"{indent} */"]


def _type_name(key: str) -> str:
    """A schema key as a TypeScript name: ``Profile-Input`` → ``ProfileInput``."""
    words = re.split(r"[^A-Za-z0-9_$]+", key)
    name = words[0] + "".join(word[:1].upper() + word[1:] for word in words[1:])
    return name if _IDENTIFIER.match(name) else "_" + name


def events_prefix(namespace: str) -> str:
    """``""`` for the main namespace, else its PascalCase name (``/chat-room`` → ``ChatRoom``)."""
    words = re.findall(r"[A-Za-z0-9]+", namespace)
    prefix = "".join(word[:1].upper() + word[1:] for word in words)
    return "Ns" + prefix if prefix[:1].isdigit() else prefix


class TypeWriter:
    """Writes TypeScript type expressions for JSON Schemas of one contract."""

    def __init__(self, schemas: dict[str, JsonSchema]) -> None:
        self.names = {key: _type_name(key) for key in schemas}

    def type(self, schema: JsonSchema | bool) -> TsType:
        if schema is True or schema == {}:
            return TsType("unknown")
        if schema is False:
            return TsType("never")
        if "$ref" in schema:
            return TsType(self.names[schema["$ref"].removeprefix(REF_PREFIX)])
        if "const" in schema:
            return TsType(json.dumps(schema["const"]))
        if "enum" in schema:
            return _union([TsType(json.dumps(value)) for value in schema["enum"]])
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return _union([self.type(choice) for choice in schema[key]])
        if "allOf" in schema:
            parts = [self.type(part) for part in schema["allOf"]]
            if len(parts) == 1:
                return parts[0]
            return TsType(" & ".join(part.atom() for part in parts), compound=True)
        kind = schema.get("type")
        if isinstance(kind, list):
            return _union([self.type({**schema, "type": one}) for one in kind])
        if kind == "array":
            return self._array(schema)
        if kind == "object" or "properties" in schema:
            return TsType(self.object(schema))
        return TsType(_PRIMITIVES.get(str(kind), "unknown"))

    def _array(self, schema: JsonSchema) -> TsType:
        items = schema.get("items", True)
        prefix = schema.get("prefixItems")
        if prefix is None:
            return TsType(f"{self.type(items).atom()}[]")
        required = schema.get("minItems", 0)
        elements = [
            self.type(item).text if index < required else self.type(item).atom() + "?"
            for index, item in enumerate(prefix)
        ]
        closed = items is False or schema.get("maxItems") == len(prefix)
        if not closed:
            elements.append(f"...{self.type(items).atom()}[]")
        return TsType(f"[{', '.join(elements)}]")

    def members(self, schema: JsonSchema) -> list[tuple[str | None, str]]:
        """(doc comment, member) pairs of an object type."""
        properties: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", ()))
        members = [
            (
                field.get("description"),
                f"{_property_key(name)}{'' if name in required else '?'}: {self.type(field).text};",
            )
            for name, field in properties.items()
        ]
        extra = schema.get("additionalProperties", not properties)
        if extra is not False:
            value = "unknown" if properties or extra is True else self.type(extra).text
            members.append((None, f"[key: string]: {value};"))
        return members

    def object(self, schema: JsonSchema) -> str:
        members = [member for _, member in self.members(schema)]
        return "{ " + " ".join(members) + " }" if members else "{}"

    def declaration(self, key: str, schema: JsonSchema) -> list[str]:
        name = self.names[key]
        lines = _comment(schema.get("description"))
        if schema.get("type") == "object" and "properties" in schema:
            lines.append(f"export interface {name} {{")
            for doc, member in self.members(schema):
                lines.extend([*_comment(doc, "  "), f"  {member}"])
            lines.append("}")
        else:
            lines.append(f"export type {name} = {self.type(schema).text};")
        return lines

    def _parameter(self, argument: Argument, mark: str = "") -> str:
        return f"{_parameter(argument.name)}{mark}: {self.type(argument.schema).text}"

    def listener(self, event: Event, error_reply: str) -> str:
        """The event's function type: its arguments, then the ack callback if it has one."""
        required = [self._parameter(a) for a in event.arguments if a.required]
        optional = [a for a in event.arguments if not a.required]
        rest = (
            []
            if event.rest is None
            else [f"...{_parameter(event.rest.name)}: {self.type(event.rest.schema).atom()}[]"]
        )
        if event.ack is None:
            marked = [self._parameter(a, "?") for a in optional]
            return f"({', '.join([*required, *marked, *rest])}) => void"
        if event.ack.several:
            ack = self.type(event.ack.schema).text
            callback = f"callback: (...ack: {ack} | [error: {error_reply}]) => void"
        else:
            ack = self.type(event.ack.schema).text
            callback = f"callback: (ack: {ack} | {error_reply}) => void"
        if not optional and not rest:
            return f"({', '.join([*required, callback])}) => void"
        # A required callback cannot follow optional or rest parameters: one tuple per arity.
        given = [self._parameter(a) for a in optional]
        variants = [[*required, *given[:count]] for count in range(len(given))]
        variants.append([*required, *given, *rest])
        tuples = " | ".join(f"[{', '.join([*params, callback])}]" for params in variants)
        return f"(...args: {tuples}) => void"


_DIRECTIONS = (
    (Direction.SERVER_TO_CLIENT, "ServerToClientEvents", "the server emits"),
    (Direction.CLIENT_TO_SERVER, "ClientToServerEvents", "the client emits"),
)


def _auth_name(namespace: str, auth: Handshake, writer: TypeWriter) -> str:
    """The name of a namespace's auth type: ``Auth``, ``AdminAuth``..., or ``HandshakeAuth``
    when a model already takes that name for another type."""
    name = events_prefix(namespace) + "Auth"
    if name not in writer.names.values() or writer.type(auth.schema).text == name:
        return name
    return events_prefix(namespace) + "HandshakeAuth"


def _auth(namespace: Namespace, writer: TypeWriter) -> list[str]:
    """The declaration of the namespace's auth type, unless a model already is that type."""
    if namespace.auth is None:
        return []
    name = _auth_name(namespace.name, namespace.auth, writer)
    text = writer.type(namespace.auth.schema).text
    if text == name:
        return []
    return [
        f"/** The handshake's auth in namespace {namespace.name}: io(url, {{ auth }}). */",
        f"export type {name} = {text};",
        "",
    ]


def _header(contract: Contract, writer: TypeWriter) -> list[str]:
    title = " ".join(f"{contract.title} {contract.version}".split())
    auth = next((ns.auth for ns in contract.namespaces if ns.name == "/"), None)
    options = []
    lines = [
        f"// {title}: Socket.IO event types, generated by sioapp.",
        "//",
        '// import { io, type Socket } from "socket.io-client";',
    ]
    if contract.parser != DEFAULT_PARSER:
        lines.append(f'// import parser from "{contract.parser}";  // the server\'s parser')
        options.append("parser")
    if auth is not None:
        example = json.dumps(auth.example) if auth.example is not None else "{ ... }"
        lines.append(f"// const auth: {_auth_name('/', auth, writer)} = {example};")
        options.append("auth")
    given = f", {{ {', '.join(options)} }}" if options else ""
    lines.append(
        f"// const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url{given});"
    )
    return [*lines, ""]


def render_typescript(contract: Contract) -> str:
    """TypeScript declarations for the models and events of ``contract``."""
    writer = TypeWriter(contract.schemas)
    error_reply = writer.type(contract.error_reply).text
    lines = _header(contract, writer)
    for key, schema in contract.schemas.items():
        lines.extend([*writer.declaration(key, schema), ""])
    for namespace in contract.namespaces:
        prefix = events_prefix(namespace.name)
        for direction, suffix, who in _DIRECTIONS:
            events = namespace.by_direction(direction)
            lines.append(f"/** Events {who} in namespace {namespace.name}. */")
            lines.append(f"export interface {prefix}{suffix} {{" + ("" if events else "}"))
            for event in events:
                lines.extend(_comment(event.summary, "  "))
                listener = writer.listener(event, error_reply)
                lines.append(f"  {_property_key(event.name)}: {listener};")
            lines.extend(["}", ""] if events else [""])
        lines.extend(_auth(namespace, writer))
    return "\n".join(lines)
