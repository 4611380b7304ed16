"""Example values made up from JSON Schemas, for the docs page and AsyncAPI ``examples``.

The builder checks every example against the handler's own pydantic adapter and
drops the ones the server would refuse (patterns, custom validators...).
"""

from __future__ import annotations

from typing import Any

from sioapp.contract.model import REF_PREFIX, JsonSchema

__all__ = ["NO_EXAMPLE", "example_of"]

#: Returned when no example can be made (a required recursion, ``not``...).
NO_EXAMPLE: Any = object()

_STRING_FORMATS = {
    "date-time": "2024-01-01T12:00:00Z",
    "date": "2024-01-01",
    "time": "12:00:00",
    "duration": "PT1H",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
}


def example_of(schema: JsonSchema | bool, schemas: dict[str, JsonSchema]) -> Any:
    """A value valid against ``schema`` in most cases, or `NO_EXAMPLE`.

    ``schemas`` resolves ``$ref``s to ``#/components/schemas/...``.
    """
    return _Maker(schemas).make(schema, frozenset())


class _Maker:
    def __init__(self, schemas: dict[str, JsonSchema]) -> None:
        self.schemas = schemas

    def make(self, schema: JsonSchema | bool, seen: frozenset[str]) -> Any:
        if schema is True:
            return {}
        if schema is False:
            return NO_EXAMPLE
        for key in ("examples", "enum"):
            if schema.get(key):
                return schema[key][0]
        for key in ("default", "const"):
            if key in schema:
                return schema[key]
        if "$ref" in schema:
            name = schema["$ref"].removeprefix(REF_PREFIX)
            if name in seen:  # a required recursion has no finite example
                return NO_EXAMPLE
            return self.make(self.schemas[name], seen | {name})
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self._first_choice(schema[key], seen)
        if "allOf" in schema:
            return self._merged(schema["allOf"], seen)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        return self._typed(kind, schema, seen)

    def _first_choice(self, choices: list[JsonSchema], seen: frozenset[str]) -> Any:
        ordered = sorted(choices, key=lambda choice: choice.get("type") == "null")
        for choice in ordered:
            value = self.make(choice, seen)
            if value is not NO_EXAMPLE:
                return value
        return NO_EXAMPLE

    def _merged(self, parts: list[JsonSchema], seen: frozenset[str]) -> Any:
        values = [self.make(part, seen) for part in parts]
        if not values or any(value is NO_EXAMPLE for value in values):
            return NO_EXAMPLE
        if len(values) == 1 or not all(isinstance(value, dict) for value in values):
            return values[0]
        merged: dict[str, Any] = {}
        for value in values:
            merged.update(value)
        return merged

    def _typed(self, kind: Any, schema: JsonSchema, seen: frozenset[str]) -> Any:
        if kind == "object" or (kind is None and "properties" in schema):
            return self._object(schema, seen)
        if kind == "array":
            return self._array(schema, seen)
        if kind == "string":
            return _string(schema)
        if kind in ("integer", "number"):
            return _number(schema, integer=kind == "integer")
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return NO_EXAMPLE if "not" in schema else {}

    def _object(self, schema: JsonSchema, seen: frozenset[str]) -> Any:
        required = set(schema.get("required", ()))
        result: dict[str, Any] = {}
        for name, field in schema.get("properties", {}).items():
            value = self.make(field, seen)
            if value is NO_EXAMPLE:
                if name in required:
                    return NO_EXAMPLE
                continue
            result[name] = value
        extra = schema.get("additionalProperties")
        if not result and isinstance(extra, dict):
            value = self.make(extra, seen)
            if value is not NO_EXAMPLE:
                result["key"] = value
        return result

    def _array(self, schema: JsonSchema, seen: frozenset[str]) -> Any:
        result = [self.make(item, seen) for item in schema.get("prefixItems", ())]
        if any(value is NO_EXAMPLE for value in result):
            return NO_EXAMPLE
        items = schema.get("items")
        if isinstance(items, dict):
            value = self.make(items, seen)
            needed = schema.get("minItems", 0) - len(result)
            if value is not NO_EXAMPLE:
                result.extend([value] * max(needed, 1))
            elif needed > 0:
                return NO_EXAMPLE
        return result


def _string(schema: JsonSchema) -> str:
    value = _STRING_FORMATS.get(schema.get("format", ""), "string")
    shortest, longest = schema.get("minLength", 0), schema.get("maxLength")
    if len(value) < shortest:
        value = value + "x" * (shortest - len(value))
    if longest is not None and len(value) > longest:
        value = value[:longest]
    return value


def _number(schema: JsonSchema, *, integer: bool) -> int | float:
    step = 1 if integer else 0.5
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    value: float = 1 if low is None else low + (step if "exclusiveMinimum" in schema else 0)
    if high is not None and value > high:
        value = high - (step if "exclusiveMaximum" in schema else 0)
    multiple = schema.get("multipleOf")
    if multiple:
        value = multiple * max(1, round(value / multiple))
    return int(value) if integer else float(value)
