"""A handler's payload parameters, validated together by one pydantic adapter."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, NotRequired, cast

from pydantic import TypeAdapter, ValidationError
from typing_extensions import TypedDict

from sioapp._protocol.errors import PayloadValidationError

__all__ = ["PayloadSpec"]


@dataclass(frozen=True, slots=True)
class PayloadSpec:
    """The payload parameters of a handler, in order, and what validates them.

    The event's positional arguments bind to ``names`` in order; beyond them, to
    ``rest`` (a ``*args`` parameter) if there is one. One ``TypeAdapter`` over a
    TypedDict of the parameters validates them all at once; it is built with the
    spec (`build`), or later (`validator`) when a parameter might still turn out
    not to be part of the payload.
    """

    title: str
    names: tuple[str, ...]
    annotations: dict[str, Any]
    defaults: dict[str, Any]
    rest: str | None = None
    rest_annotation: Any = Any
    adapter: TypeAdapter[dict[str, Any]] | None = field(default=None, compare=False)

    @property
    def empty(self) -> bool:
        """Whether there is no payload parameter at all."""
        return not self.names and self.rest is None

    def build(self) -> PayloadSpec:
        """This spec with its adapter; pydantic's error when a type cannot be validated."""
        if self.adapter is not None:
            return self
        fields: dict[str, Any] = {
            name: NotRequired[self.annotations[name]] if name in self.defaults else annotation
            for name, annotation in self.annotations.items()
        }
        if self.rest is not None:
            fields[self.rest] = NotRequired[list[self.rest_annotation]]  # type: ignore[name-defined]
        typed_dict = TypedDict(f"{self.title}Payload", fields)  # type: ignore[misc]
        return replace(self, adapter=TypeAdapter(cast(Any, typed_dict)))

    def without(self, removed: set[str]) -> PayloadSpec:
        """This spec minus the ``removed`` parameters, without an adapter yet."""
        names = tuple(name for name in self.names if name not in removed)
        return replace(
            self,
            names=names,
            annotations={name: self.annotations[name] for name in names},
            defaults={name: value for name, value in self.defaults.items() if name in names},
            adapter=None,
        )

    def validate(self, args: tuple[Any, ...] | list[Any]) -> dict[str, Any]:
        """Bind ``args`` to the parameters in order and validate them (spec built)."""
        assert self.adapter is not None, "validate a built spec"
        count = len(self.names)
        if len(args) > count and self.rest is None:
            raise PayloadValidationError.extra_arguments(count, len(args))
        data = dict(zip(self.names, args, strict=False))
        if self.rest is not None and len(args) > count:
            data[self.rest] = list(args[count:])
        try:
            values = self.adapter.validate_python(data)
        except ValidationError as exc:
            raise PayloadValidationError.from_pydantic(exc) from None
        for name, default in self.defaults.items():
            values.setdefault(name, default)
        if self.rest is not None:
            values.setdefault(self.rest, [])
        return values
