"""The contract's shared schemas as pydantic models and type aliases.

Objects with properties become ``BaseModel`` classes (``extra="forbid"`` when the
schema forbids other properties); every other schema becomes a ``TypeAlias``.
Aliases that refer to nothing come first, then the classes (their annotations are
read lazily), then the other aliases, each after those it refers to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from sioapp.contract.model import REF_PREFIX, JsonSchema
from sioapp.contract.pyclient.types import TypeWriter, identifier, literal, plain_default

__all__ = ["class_name", "comment", "docstring", "model_lines"]

#: Names a field may not take: pydantic's own attributes.
_MODEL_ATTRIBUTES = frozenset(dir(BaseModel)) | {"model_config"}


def docstring(text: str, indent: str) -> list[str]:
    """``text`` as a docstring at ``indent``."""
    escaped = text.strip().replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if escaped.endswith('"'):  # it would close the docstring early
        escaped = escaped[:-1] + '\\"'
    lines = escaped.splitlines() or [""]
    if len(lines) == 1:
        return [f'{indent}"""{lines[0]}"""']
    return [
        f'{indent}"""{lines[0]}',
        *(f"{indent}{line}".rstrip() for line in lines[1:]),
        f'{indent}"""',
    ]


def comment(text: str, indent: str, mark: str = "#:") -> list[str]:
    return [f"{indent}{mark} {line}".rstrip() for line in text.strip().splitlines()]


def _refs(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str):
                yield value.removeprefix(REF_PREFIX)
            else:
                yield from _refs(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _refs(item)


def _is_model(schema: JsonSchema) -> bool:
    return schema.get("type") == "object" and bool(schema.get("properties"))


def _field(
    name: str, python: str, schema: JsonSchema, required: bool, writer: TypeWriter
) -> list[str]:
    """The declaration of the field ``name`` (on the wire) as ``python``."""
    typed = writer.type(schema)
    annotation = typed.text
    arguments = [] if python == name else [f"alias={literal(name)}"]
    default = ""
    if not required:
        value = schema.get("default")
        if "default" not in schema and annotation != "Any":
            annotation += " | None"
        if plain_default(value) and not arguments:
            default = f" = {literal(value)}"
        else:
            arguments.insert(0, f"default={literal(value)}")
    if arguments:
        default = f" = Field({', '.join(arguments)})"
    lines = comment(schema["description"], "    ") if schema.get("description") else []
    notes = f"  # Any: {'; '.join(typed.notes)}" if typed.notes else ""
    return [*lines, f"    {python}: {annotation}{default}{notes}"]


def _model(name: str, schema: JsonSchema, writer: TypeWriter) -> list[str]:
    lines = [f"class {name}(BaseModel):"]
    if schema.get("description"):
        lines += [*docstring(schema["description"], "    "), ""]
    required = set(schema.get("required", ()))
    taken = set(_MODEL_ATTRIBUTES)
    python_names = {}
    for key in schema["properties"]:
        python_names[key] = identifier(key.lstrip("_") or "field", taken)
        taken.add(python_names[key])
    config = []
    if schema.get("additionalProperties") is False:
        config.append('extra="forbid"')
    if any(python != key for key, python in python_names.items()):
        config.append("populate_by_name=True")
    if config:
        lines += [f"    model_config = ConfigDict({', '.join(config)})", ""]
    for key, field in schema["properties"].items():
        lines += _field(key, python_names[key], field, key in required, writer)
    return lines


def _alias(name: str, schema: JsonSchema, writer: TypeWriter) -> list[str]:
    typed = writer.type(schema)
    lines = comment(schema["description"], "") if schema.get("description") else []
    notes = f"  # Any: {'; '.join(typed.notes)}" if typed.notes else ""
    return [*lines, f"{name}: TypeAlias = {typed.text}{notes}"]


def _ordered_aliases(aliases: dict[str, JsonSchema]) -> list[str]:
    """Alias keys, each after the aliases it refers to (a cycle keeps its order)."""
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(key: str) -> None:
        if key in ordered or key in visiting:
            return
        visiting.add(key)
        for ref in _refs(aliases[key]):
            if ref in aliases:
                visit(ref)
        ordered.append(key)

    for key in aliases:
        visit(key)
    return ordered


def model_lines(
    schemas: dict[str, JsonSchema], names: dict[str, str]
) -> tuple[list[str], list[str]]:
    """The declarations of every shared schema, and the names of the classes."""
    writer = TypeWriter(names)
    models = {key: schema for key, schema in schemas.items() if _is_model(schema)}
    aliases = {key: schema for key, schema in schemas.items() if key not in models}
    plain = [key for key in aliases if not any(True for _ in _refs(aliases[key]))]
    lines: list[str] = []
    for key in plain:
        lines += [*_alias(names[key], aliases[key], writer), "", ""]
    for key, schema in models.items():
        lines += [*_model(names[key], schema, writer), "", ""]
    for key in _ordered_aliases({key: aliases[key] for key in aliases if key not in plain}):
        lines += [*_alias(names[key], aliases[key], writer), "", ""]
    return lines, [names[key] for key in models]


def class_name(key: str) -> str:
    """A schema key as a class name: ``Profile-Input`` → ``ProfileInput``."""
    words = re.split(r"\W+", key, flags=re.ASCII)
    return "".join(word[:1].upper() + word[1:] for word in words if word) or "Model"
