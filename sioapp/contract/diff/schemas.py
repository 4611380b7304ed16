"""Comparing the old and new JSON Schemas of one place of the contract.

Each difference is weighed by its `Effect` on the values the schema allows, which
the place's `Role` turns into a `Level`. Fields and positional items added or
removed follow what clients do instead: a new optional input field and any new
output field are compatible, a removed output field breaks. Descriptions, examples
and defaults are information. ``$ref``s are followed into each document, a pair of
definitions is not compared again inside itself, so recursive models end.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sioapp.contract.diff.changes import Effect, Level, Role, level_of
from sioapp.contract.diff.document import Document

__all__ = ["Report", "SchemaComparison"]

#: ``report(level, path, message)``: one difference at ``path`` inside the compared schemas.
Report = Callable[[Level, str, str], None]
#: A JSON Schema: an object, or True (anything) / False (nothing).
Schema = Any
Bound = tuple[float, bool]

_DOCUMENTATION = ("description", "examples", "default")
#: (keyword, exclusive keyword, lower?) of every bound, named by the first keyword.
_BOUNDS = (
    ("minimum", "exclusiveMinimum", True),
    ("maximum", "exclusiveMaximum", False),
    ("minLength", None, True),
    ("maxLength", None, False),
    ("minItems", None, True),
    ("maxItems", None, False),
    ("minProperties", None, True),
    ("maxProperties", None, False),
)


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _values(schema: dict[str, Any]) -> list[Any] | None:
    """The only values ``schema`` allows (``enum``, ``const``), None when it lists none."""
    if "const" in schema:
        return [schema["const"]]
    enum = schema.get("enum")
    return list(enum) if isinstance(enum, list) else None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "array"}.get(type(value), "object")


def _types(schema: dict[str, Any]) -> set[str] | None:
    """The JSON types ``schema`` allows, None for any."""
    kind = schema.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {str(one) for one in kind}
    values = _values(schema)
    if values is not None:
        return {_json_type(value) for value in values}
    if "properties" in schema or "additionalProperties" in schema:
        return {"object"}
    if "items" in schema or "prefixItems" in schema:
        return {"array"}
    return None


def _covered(kind: str, kinds: set[str]) -> bool:
    return kind in kinds or (kind == "integer" and "number" in kinds)


def _spell(kinds: set[str] | list[str]) -> str:
    return " or ".join(sorted(kinds))


def _alternatives(schema: Schema) -> list[Schema]:
    """The choices of a union (``anyOf``, ``oneOf``, a list of types), else ``[schema]``."""
    if not isinstance(schema, dict):
        return [schema]
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            return list(schema[key])
    kind = schema.get("type")
    if isinstance(kind, list) and len(kind) > 1:
        return [{**schema, "type": one} for one in kind]
    return [schema]


def _parts(schema: Schema) -> list[Schema]:
    """The schemas an ``allOf`` of several requires, else ``[]``."""
    parts = schema.get("allOf") if isinstance(schema, dict) else None
    return list(parts) if isinstance(parts, list) and len(parts) > 1 else []


def _key(alternative: Schema) -> str:
    """What pairs the choices of two unions: the definition's name, the values or the type."""
    if not isinstance(alternative, dict):
        return _show(alternative)
    if "$ref" in alternative:
        return str(alternative["$ref"]).rsplit("/", 1)[-1]
    values = _values(alternative)
    if values is not None:
        return ", ".join(_show(value) for value in values)
    kinds = _types(alternative)
    return "any value" if kinds is None else _spell(kinds)


def _bound(
    schema: dict[str, Any], keyword: str, exclusive: str | None, lower: bool
) -> Bound | None:
    """(value, exclusive) of the tightest lower (or upper) bound, None without one."""
    found = [(schema[keyword], False)] if keyword in schema else []
    if exclusive is not None and exclusive in schema:
        found.append((schema[exclusive], True))
    if not found:
        return None
    return max(found) if lower else min(found, key=lambda bound: (bound[0], not bound[1]))


def _tighter(new: Bound, old: Bound, lower: bool) -> bool:
    if lower:
        return new > old
    return (new[0], not new[1]) < (old[0], not old[1])


def _bound_text(bound: Bound, keyword: str, lower: bool) -> str:
    value, exclusive = bound
    if keyword not in ("minimum", "maximum"):
        return _show(value)
    return (">" if lower else "<") + ("" if exclusive else "=") + " " + _show(value)


class SchemaComparison:
    """Compares the schemas of places whose data flows as ``role`` says, reporting every
    difference to ``report``."""

    def __init__(self, old: Document, new: Document, role: Role, report: Report) -> None:
        self.old = old
        self.new = new
        self.role = role
        self.report = report
        #: The pairs of definitions being compared, to stop at recursive models.
        self._within: set[tuple[str, str]] = set()

    def effect(self, effect: Effect, path: str, message: str) -> None:
        self.report(level_of(effect, self.role), path, message)

    def compare(self, old: Schema, new: Schema, path: str = "") -> None:
        """Report how ``new`` differs from ``old`` at ``path``."""
        if old is False or new is False:
            if old is not new:
                widens = old is False
                self.effect(
                    Effect.WIDENS if widens else Effect.NARROWS,
                    path,
                    "now allowed" if widens else "no longer allowed",
                )
            return
        if _parts(old) or _parts(new):
            self._all_of(old, new, path)
            return
        olds, news = _alternatives(old), _alternatives(new)
        if len(olds) == 1 and len(news) == 1:
            self._single(old, new, path)
            return
        self._documentation(self._follow(self.old, old), self._follow(self.new, new), path)
        old_keys = {_key(alternative): alternative for alternative in olds}
        new_keys = {_key(alternative): alternative for alternative in news}
        for key in old_keys:
            if key in new_keys:
                self.compare(old_keys[key], new_keys[key], path)
        lost = [key for key in old_keys if key not in new_keys]
        gained = [key for key in new_keys if key not in old_keys]
        if len(lost) == 1 and len(gained) == 1:
            self.compare(old_keys[lost[0]], new_keys[gained[0]], path)
            return
        for key in lost:
            self.effect(Effect.NARROWS, path, f"{key} no longer allowed")
        for key in gained:
            self.effect(Effect.WIDENS, path, f"{key} now allowed")

    @staticmethod
    def _follow(document: Document, schema: Schema) -> dict[str, Any]:
        """``schema`` with its reference followed, its own keywords kept; ``{}`` for True."""
        if not isinstance(schema, dict):
            return {}
        wrapped = schema.get("allOf")
        if isinstance(wrapped, list) and len(wrapped) == 1:  # a reference with siblings
            siblings = {key: value for key, value in schema.items() if key != "allOf"}
            return {**SchemaComparison._follow(document, wrapped[0]), **siblings}
        if "$ref" not in schema:
            return schema
        siblings = {key: value for key, value in schema.items() if key != "$ref"}
        target = document.resolve(schema)
        return {**target, **siblings} if isinstance(target, dict) else siblings

    def _single(self, old: Schema, new: Schema, path: str) -> None:
        old_schema, new_schema = self._follow(self.old, old), self._follow(self.new, new)
        if not all(isinstance(schema, dict) and "$ref" in schema for schema in (old, new)):
            self._resolved(old_schema, new_schema, path)
            return
        pair = (str(old["$ref"]), str(new["$ref"]))
        if pair in self._within:  # a recursive model, already being compared further up
            return
        self._within.add(pair)
        try:
            self._resolved(old_schema, new_schema, path)
        finally:
            self._within.discard(pair)

    def _resolved(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        self._documentation(old, new, path)
        if not self._types(old, new, path):
            return
        self._values(old, new, path)
        self._bounds(old, new, path)
        self._keywords(old, new, path)
        self._items(old, new, path)
        self._properties(old, new, path)

    def _documentation(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        for key in _DOCUMENTATION:
            if old.get(key) == new.get(key):
                continue
            if key not in new:
                message = f"{key} removed"
            elif key not in old:
                message = f"{key} added"
            elif key == "default":
                message = f"default changed from {_show(old[key])} to {_show(new[key])}"
            else:
                message = f"{key} changed"
            self.report(Level.INFO, path, message)

    def _types(self, old: dict[str, Any], new: dict[str, Any], path: str) -> bool:
        """Report a change of type; whether the schemas still share one to compare further."""
        old_kinds, new_kinds = _types(old), _types(new)
        if old_kinds is None or new_kinds is None:
            if new_kinds is not None:
                self.effect(Effect.NARROWS, path, f"now only {_spell(new_kinds)}")
            elif old_kinds is not None:
                self.effect(Effect.WIDENS, path, "any value now allowed")
            return old_kinds is None and new_kinds is None
        lost = [kind for kind in old_kinds if not _covered(kind, new_kinds)]
        gained = [kind for kind in new_kinds if not _covered(kind, old_kinds)]
        if lost and gained:
            message = f"type changed from {_spell(old_kinds)} to {_spell(new_kinds)}"
            self.effect(Effect.REPLACES, path, message)
        elif lost:
            self.effect(Effect.NARROWS, path, f"{_spell(lost)} no longer allowed")
        elif gained:
            self.effect(Effect.WIDENS, path, f"{_spell(gained)} now allowed")
        return len(lost) < len(old_kinds)

    def _values(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        old_values, new_values = _values(old), _values(new)
        if old_values is None and new_values is None:
            return
        if old_values is None or new_values is None:
            if new_values is None:
                self.effect(Effect.WIDENS, path, "no longer limited to listed values")
            else:
                self.effect(Effect.NARROWS, path, f"now limited to {_show(new_values)}")
            return
        lost = [value for value in old_values if value not in new_values]
        gained = [value for value in new_values if value not in old_values]
        if lost:
            self.effect(Effect.NARROWS, path, f"enum lost {_show(lost)[1:-1]}")
        if gained:
            self.effect(Effect.WIDENS, path, f"enum gained {_show(gained)[1:-1]}")

    def _bounds(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        for keyword, exclusive, lower in _BOUNDS:
            was, now = (
                _bound(old, keyword, exclusive, lower),
                _bound(new, keyword, exclusive, lower),
            )
            if was == now:
                continue
            if was is None and now is not None:
                shown = _bound_text(now, keyword, lower)
                self.effect(Effect.NARROWS, path, f"{keyword} {shown} added")
            elif now is None and was is not None:
                shown = _bound_text(was, keyword, lower)
                self.effect(Effect.WIDENS, path, f"{keyword} {shown} removed")
            elif was is not None and now is not None:
                narrows = _tighter(now, was, lower)
                change = "raised" if narrows == lower else "lowered"
                message = (
                    f"{keyword} {change} from {_bound_text(was, keyword, lower)} "
                    f"to {_bound_text(now, keyword, lower)}"
                )
                self.effect(Effect.NARROWS if narrows else Effect.WIDENS, path, message)

    def _keywords(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        """``pattern``, ``format``, ``multipleOf`` and ``uniqueItems``."""
        for keyword in ("pattern", "format", "multipleOf", "uniqueItems"):
            was, now = old.get(keyword), new.get(keyword)
            if was == now or (keyword == "uniqueItems" and not was and not now):
                continue
            if not was or not now:
                effect = Effect.WIDENS if not now else Effect.NARROWS
                message = f"{keyword} {_show(now or was)} {'removed' if not now else 'added'}"
            else:
                effect = Effect.REPLACES
                if keyword == "multipleOf" and was % now == 0:
                    effect = Effect.WIDENS
                elif keyword == "multipleOf" and now % was == 0:
                    effect = Effect.NARROWS
                message = f"{keyword} changed from {_show(was)} to {_show(now)}"
            self.effect(effect, path, message)

    def _all_of(self, old: Schema, new: Schema, path: str) -> None:
        """Schemas that must all match (``allOf``), paired by definition: one more narrows
        what is allowed, one less widens it."""
        old_parts = {_key(part): part for part in _parts(old) or [old]}
        new_parts = {_key(part): part for part in _parts(new) or [new]}
        for key, part in old_parts.items():
            if key in new_parts:
                self.compare(part, new_parts[key], path)
            else:
                self.effect(Effect.WIDENS, path, f"no longer needs to match {key}")
        for key in new_parts:
            if key not in old_parts:
                self.effect(Effect.NARROWS, path, f"must now also match {key}")

    def _items(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        """Positional items (``prefixItems``, a payload's arguments) and the others (``items``)."""
        old_prefix, new_prefix = old.get("prefixItems", []), new.get("prefixItems", [])
        old_rest, new_rest = old.get("items", True), new.get("items", True)
        for index in range(max(len(old_prefix), len(new_prefix))):
            where = f"{path}[{index}]"
            if index < len(old_prefix) and index < len(new_prefix):
                self.compare(old_prefix[index], new_prefix[index], where)
            elif index < len(new_prefix):  # old clients never sent or read it
                if self.role is Role.INPUT and old_rest is not False:
                    self.compare(old_rest, new_prefix[index], where)
                else:
                    self.report(Level.COMPATIBLE, where, "new item")
            elif self.role is Role.INPUT:  # old clients still send it
                self.compare(old_prefix[index], new_rest, where)
            else:
                self.report(Level.BREAKING, where, "item removed")
        if "items" in old or "items" in new:
            self.compare(old_rest, new_rest, f"{path}[]")

    def _properties(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        old_fields, new_fields = old.get("properties", {}), new.get("properties", {})
        old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
        old_extra = old.get("additionalProperties", True)
        new_extra = new.get("additionalProperties", True)
        for name in [*old_fields, *(name for name in new_fields if name not in old_fields)]:
            where = f"{path}.{name}"
            if name in old_fields and name in new_fields:
                self.compare(old_fields[name], new_fields[name], where)
                if (name in new_required) != (name in old_required):
                    required = name in new_required
                    effect = Effect.NARROWS if required else Effect.WIDENS
                    self.effect(effect, where, "now required" if required else "now optional")
            elif name in new_fields and self.role is Role.OUTPUT:
                self.report(Level.COMPATIBLE, where, "new field")
            elif name in new_fields:
                required = name in new_required
                level = Level.BREAKING if required else Level.COMPATIBLE
                self.report(level, where, f"new {'required' if required else 'optional'} field")
            elif self.role is Role.OUTPUT:
                self.report(Level.BREAKING, where, "field removed")
            elif new_extra is False:
                self.report(Level.BREAKING, where, "field removed, and unknown fields are refused")
            else:
                self.report(Level.COMPATIBLE, where, "field removed, ignored when sent")
        if isinstance(old_extra, dict) and isinstance(new_extra, dict):
            self.compare(old_extra, new_extra, f"{path}.*")
        elif old_extra is False and new_extra is not False:
            self.effect(Effect.WIDENS, path, "other fields now allowed")
        elif new_extra is False and old_extra is not False:
            self.effect(Effect.NARROWS, path, "other fields no longer allowed")
        elif old_extra != new_extra:  # any value, or only those of a schema
            self.compare(old_extra, new_extra, f"{path}.*")
