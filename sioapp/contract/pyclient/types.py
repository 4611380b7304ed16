"""Python type expressions for the JSON Schemas pydantic writes.

The subset covered: ``$ref``s, objects as ``dict`` of a type, arrays as ``list`` or
closed ``tuple``, ``anyOf``/``oneOf`` as unions, ``enum``/``const`` as ``Literal``,
primitives and their constraints as ``Annotated[..., Field(...)]``. Anything else is
``Any``, with a note saying what was not expressed.
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import dataclass, field
from typing import Any

from sioapp.contract.model import REF_PREFIX, JsonSchema

__all__ = ["Names", "PyType", "TypeWriter", "identifier", "literal", "plain_default"]

_PRIMITIVES = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "null": "None",
}
#: JSON Schema keyword → pydantic ``Field`` argument, by the type it constrains.
_CONSTRAINTS = {
    "string": {"minLength": "min_length", "maxLength": "max_length", "pattern": "pattern"},
    "number": {
        "minimum": "ge",
        "maximum": "le",
        "exclusiveMinimum": "gt",
        "exclusiveMaximum": "lt",
        "multipleOf": "multiple_of",
    },
    "array": {"minItems": "min_length", "maxItems": "max_length"},
    "object": {"minProperties": "min_length", "maxProperties": "max_length"},
}
_CONSTRAINTS["integer"] = _CONSTRAINTS["number"]


def identifier(name: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """``name`` as a Python identifier that is no keyword and not in ``taken``."""
    cleaned = re.sub(r"\W", "_", name, flags=re.ASCII) or "_"
    if cleaned[0].isdigit():
        cleaned = "_" + cleaned
    while keyword.iskeyword(cleaned) or cleaned in taken:
        cleaned += "_"
    return cleaned


def literal(value: Any) -> str:
    """A JSON value as a Python literal, strings in double quotes."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(str(k))}: {literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def plain_default(value: Any) -> bool:
    """Whether a default is written as a literal of any type that allows it: None, a
    boolean, a number, a string, or an empty list or dict."""
    return value is None or isinstance(value, bool | int | float | str) or value in ([], {})


class Names:
    """Unique names of one module: each asked-for name, made unique if already taken."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = set(taken)

    def __call__(self, name: str) -> str:
        unique = identifier(name, self.taken)
        self.taken.add(unique)
        return unique


@dataclass(frozen=True, slots=True)
class PyType:
    """A type expression, and what of the schema it leaves out."""

    text: str
    notes: tuple[str, ...] = ()


@dataclass(slots=True)
class _Writing:
    notes: list[str] = field(default_factory=list)

    def fallback(self, note: str) -> str:
        self.notes.append(note)
        return "Any"


class TypeWriter:
    """Writes type expressions; ``names`` are the module's names of the shared schemas."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def type(self, schema: JsonSchema | bool) -> PyType:
        writing = _Writing()
        text = self._type(schema, writing)
        return PyType(text, tuple(dict.fromkeys(writing.notes)))

    def _type(self, schema: JsonSchema | bool, writing: _Writing) -> str:
        if schema is True or schema == {}:
            return "Any"
        if schema is False:
            return writing.fallback("a schema that allows nothing")
        if "$ref" in schema:
            return self.names[str(schema["$ref"]).removeprefix(REF_PREFIX)]
        if "const" in schema or "enum" in schema:
            values = [schema["const"]] if "const" in schema else schema["enum"]
            if all(value is None or isinstance(value, str | int | float) for value in values):
                return f"Literal[{', '.join(literal(value) for value in values)}]"
            return writing.fallback("values that are not all strings or numbers")
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self._union([self._type(choice, writing) for choice in schema[key]])
        if "allOf" in schema:
            if len(schema["allOf"]) == 1:
                return self._type(schema["allOf"][0], writing)
            return writing.fallback("allOf of several schemas")
        kind = schema.get("type")
        if isinstance(kind, list):
            return self._union([self._type({**schema, "type": one}, writing) for one in kind])
        if "not" in schema:
            return writing.fallback("not")
        text = self._kind(kind, schema, writing)
        return text if text.startswith("tuple[") else self._constrained(text, kind, schema)

    @staticmethod
    def _union(texts: list[str]) -> str:
        unique = list(dict.fromkeys(texts))
        return "Any" if "Any" in unique else " | ".join(unique)

    def _kind(self, kind: Any, schema: JsonSchema, writing: _Writing) -> str:
        if kind == "array" or (kind is None and ("items" in schema or "prefixItems" in schema)):
            return self._array(schema, writing)
        if kind == "object" or (kind is None and "additionalProperties" in schema):
            return self._object(schema, writing)
        if kind in _PRIMITIVES:
            return _PRIMITIVES[kind]
        return "Any"

    def _array(self, schema: JsonSchema, writing: _Writing) -> str:
        prefix = schema.get("prefixItems")
        items = schema.get("items", True)
        if prefix is None:
            return f"list[{self._type(items, writing)}]"
        size = len(prefix)
        if schema.get("minItems", 0) == size and (items is False or schema.get("maxItems") == size):
            return (
                f"tuple[{', '.join(self._type(item, writing) for item in prefix)}]"
                if prefix
                else ("tuple[()]")
            )
        return writing.fallback("an array with optional or extra positional items")

    def _object(self, schema: JsonSchema, writing: _Writing) -> str:
        if schema.get("properties"):
            return writing.fallback("an object declared inline")
        extra = schema.get("additionalProperties", True)
        return f"dict[str, {self._type(extra, writing) if extra is not False else 'Any'}]"

    @staticmethod
    def _constrained(text: str, kind: Any, schema: JsonSchema) -> str:
        known = _CONSTRAINTS.get(kind, {}) if isinstance(kind, str) else {}
        arguments = [f"{known[key]}={literal(schema[key])}" for key in known if key in schema]
        if not arguments:
            return text
        return f"Annotated[{text}, Field({', '.join(arguments)})]"
