"""Calling a bound handler: its arguments resolved for the event at hand, then the handler."""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass
from typing import Any

from sioapp._di.analysis import Dependant, Getter, HandlerKind
from sioapp._di.context import HandlerContext
from sioapp._di.payload import PayloadSpec

__all__ = ["Argument", "Handler"]


@dataclass(frozen=True, slots=True)
class Argument:
    """How one parameter gets its value: from ``getter``, or from the payload (None)."""

    name: str
    positional: bool
    getter: Getter | None = None
    #: The getter may return an awaitable (a provider's async resource).
    awaitable: bool = False


@dataclass(frozen=True, slots=True)
class Handler:
    """A handler bound to one app's container, ready to call for any event."""

    dependant: Dependant
    arguments: tuple[Argument, ...]
    payload: PayloadSpec | None
    container: Any

    @property
    def name(self) -> str:
        return self.dependant.name

    @property
    def kind(self) -> HandlerKind:
        return self.dependant.kind

    @property
    def exception_type(self) -> type[BaseException]:
        return self.dependant.exception_type

    async def call(
        self,
        ctx: HandlerContext,
        payload_args: tuple[Any, ...] | list[Any] = (),
        leading: tuple[Any, ...] = (),
    ) -> Any:
        """Validate the payload, resolve every other parameter for ``ctx``, run the handler."""
        dependant = self.dependant
        values = self.payload.validate(payload_args) if self.payload is not None else {}
        positional: list[Any] = list(leading)
        keywords: dict[str, Any] = {}
        for argument in self.arguments[len(leading) :]:
            getter = argument.getter
            if getter is None:
                value = values[argument.name]
            else:
                value = getter(ctx)
                if argument.awaitable and inspect.isawaitable(value):
                    value = await value
            if argument.positional:
                positional.append(value)
            else:
                keywords[argument.name] = value
        if dependant.rest is not None:
            positional.extend(values[dependant.rest])
        if dependant.is_async:
            return await dependant.fn(*positional, **keywords)
        return await asyncio.to_thread(dependant.fn, *positional, **keywords)
