"""What a handler's return value becomes on the wire: the ack's arguments."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, is_dataclass
from typing import Annotated, Any, get_args, get_origin, get_type_hints

from pydantic import BaseModel, TypeAdapter

from sioapp._protocol.codec import to_wire

__all__ = ["AckSerializer", "strip_annotated"]

#: Containers whose items, when not given, may be anything, ``bytes`` included.
_BARE_CONTAINERS = (tuple, list, dict, set, frozenset)


def strip_annotated(annotation: Any) -> Any:
    """``T`` of ``Annotated[T, ...]``; any other annotation as it is."""
    return get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation


def _holds_bytes(annotation: Any, seen: set[int]) -> bool:
    """Whether ``bytes`` may appear anywhere in ``annotation``, models' fields included:
    written out, or as ``Any`` or the items of a bare ``tuple``, ``list``, ``dict``..."""
    if id(annotation) in seen:
        return False
    seen.add(id(annotation))
    if annotation in (bytes, bytearray, Any) or annotation in _BARE_CONTAINERS:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return any(_holds_bytes(f.annotation, seen) for f in annotation.model_fields.values())
    if is_dataclass(annotation) and isinstance(annotation, type):
        hints = get_type_hints(annotation)
        return any(_holds_bytes(hint, seen) for hint in hints.values())
    return any(_holds_bytes(arg, seen) for arg in get_args(annotation))


@dataclass(frozen=True, slots=True)
class AckSerializer:
    """Turns a handler's return value into the list of ack arguments.

    ``annotation`` is the handler's return annotation (``inspect.Signature.empty`` if
    none); a tuple annotation (``tuple``, ``tuple[int, str]``, ``tuple[Any, ...]``)
    means several arguments.
    """

    adapter: TypeAdapter[Any] | None
    several: bool
    annotation: Any = inspect.Signature.empty
    #: The annotation when it is a model class: an instance of exactly it needs no validation.
    model: type[BaseModel] | None = None
    #: The annotation may hold ``bytes`` somewhere: they are sent as binary attachments.
    binary: bool = False

    @classmethod
    def build(cls, annotation: Any) -> AckSerializer:
        if annotation is inspect.Signature.empty or annotation is Any:
            return cls(adapter=None, several=False, annotation=annotation)
        if annotation is None or annotation is type(None):
            return cls(adapter=None, several=False, annotation=annotation)
        plain = strip_annotated(annotation)
        model = plain if isinstance(plain, type) and issubclass(plain, BaseModel) else None
        return cls(
            adapter=TypeAdapter(annotation),
            several=plain is tuple or get_origin(plain) is tuple,
            annotation=annotation,
            model=model,
            binary=_holds_bytes(annotation, set()),
        )

    def ack_args(self, result: Any) -> list[Any]:
        """``-> None`` (or no annotation) and ``None`` ack with no argument; a type that
        admits None acks ``null``."""
        if self.adapter is not None:
            if self.model is None or type(result) is not self.model:
                result = self.adapter.validate_python(result)
            if self.binary:
                dumped = to_wire(self.adapter.dump_python(result, by_alias=True))
            else:
                dumped = self.adapter.dump_python(result, mode="json", by_alias=True)
            return list(dumped) if self.several else [dumped]
        if result is None:
            return []
        if isinstance(result, tuple):
            return [to_wire(item) for item in result]
        return [to_wire(result)]
