"""An event's payload schema read back as its positional arguments.

sioapp documents one argument as its own schema and several as an array whose
``prefixItems`` carry the arguments' names as titles (``items``: the ``*args``, or
False). On the wire both are positional arguments, so changes are compared
argument by argument: one argument becoming two is a new argument, not a new type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sioapp.contract.model import JsonSchema

__all__ = ["Arguments", "arguments_of"]


@dataclass(frozen=True, slots=True)
class Arguments:
    """Each argument's schema and whether it is required, and the ``*args`` (None: none)."""

    schemas: tuple[Any, ...]
    required: tuple[bool, ...]
    rest: Any = None

    @property
    def single(self) -> bool:
        return len(self.schemas) == 1 and self.rest is None


def _is_list(payload: JsonSchema) -> bool:
    prefix = payload.get("prefixItems")
    return (
        payload.get("type") == "array"
        and isinstance(prefix, list)
        and all(isinstance(item, dict) and "title" in item for item in prefix)
        and "items" in payload
    )


def arguments_of(payload: JsonSchema | None) -> Arguments:
    """The arguments of a message ``payload``; None for an event without arguments."""
    if payload is None:
        return Arguments((), ())
    if not _is_list(payload):
        return Arguments((payload,), ("default" not in payload,))
    prefix = payload["prefixItems"]
    needed = payload.get("minItems", 0)
    rest = payload["items"]
    return Arguments(
        tuple(prefix),
        tuple(index < needed for index in range(len(prefix))),
        None if rest is False else rest,
    )
