"""Checking what the server emits against what the app declared with ``router.emits``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError

from sioapp._protocol.errors import EmitValidationError, validation_details
from sioapp._runtime.registry import NamespaceRegistry
from sioapp._runtime.router import EmittedEvent

__all__ = ["EmitChecker"]


class EmitChecker:
    """Validates the arguments of declared server-to-client events, once per emit.

    Events nobody declared pass unchecked. Each declaration's validator is built
    on its first emit: one pydantic ``TypeAdapter`` over the tuple of its
    arguments, so a model instance passes as it is.
    """

    def __init__(self, registry: Mapping[str, NamespaceRegistry]) -> None:
        self.registry = registry
        self._adapters: dict[EmittedEvent, TypeAdapter[Any]] = {}

    def __call__(self, namespace: str, name: str, args: tuple[Any, ...]) -> None:
        registry = self.registry.get(namespace)
        declared = registry.emitted.get(name) if registry is not None else None
        if declared is None:
            return
        names = [argument for argument, _ in declared.arguments]
        if len(args) != len(names):
            raise EmitValidationError(
                name,
                [
                    {
                        "loc": [],
                        "msg": f"takes {len(names)} argument(s) ({', '.join(names)}), "
                        f"not {len(args)}",
                        "type": "arguments",
                    }
                ],
            )
        try:
            self._adapter(declared).validate_python(args)
        except ValidationError as exc:
            details = validation_details(exc)
            for detail in details:  # the argument's name instead of its index
                loc = detail["loc"]
                if loc and isinstance(loc[0], int) and loc[0] < len(names):
                    loc[0] = names[loc[0]]
            raise EmitValidationError(name, details) from None

    def _adapter(self, declared: EmittedEvent) -> TypeAdapter[Any]:
        adapter = self._adapters.get(declared)
        if adapter is None:
            types = tuple(annotation for _, annotation in declared.arguments)
            adapter = self._adapters[declared] = TypeAdapter(tuple[types])  # type: ignore[valid-type]
        return adapter
