"""The events table of ``sioapp events``, read from the app's registry."""

from __future__ import annotations

import inspect
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from rich.table import Table
from rich.text import Text

from sioapp._app.app import SioApp
from sioapp._di.analysis import Dependant
from sioapp._runtime.router import EmittedEvent

__all__ = ["emitted_text", "events_table", "payload_text", "type_text"]

CLIENT_TO_SERVER = "→ server"
SERVER_TO_CLIENT = "→ client"
NOTHING = "—"


def type_text(annotation: Any) -> str:
    """A short Python spelling of a type annotation: ``Joined``, ``list[str] | None``."""
    if annotation is inspect.Parameter.empty or annotation is Any:
        return "Any"
    if annotation is None or annotation is type(None):
        return "None"
    origin = get_origin(annotation)
    arguments = get_args(annotation)
    if origin is Annotated:
        return type_text(arguments[0])
    if origin is Union or origin is types.UnionType:
        return " | ".join(type_text(argument) for argument in arguments)
    if origin is Literal:
        return f"Literal[{', '.join(repr(argument) for argument in arguments)}]"
    if origin is not None:
        inner = ", ".join("..." if a is Ellipsis else type_text(a) for a in arguments)
        return f"{type_text(origin)}[{inner}]" if arguments else type_text(origin)
    if isinstance(annotation, type):
        return annotation.__qualname__
    return repr(annotation).removeprefix("typing.")


def payload_text(dependant: Dependant) -> str:
    """The payload parameters of a handler, as its signature spells them."""
    payload = dependant.payload
    if payload is None:
        return NOTHING
    parts = [
        f"{name}: {type_text(payload.annotations[name])}"
        + (" = …" if name in payload.defaults else "")
        for name in payload.names
    ]
    if payload.rest is not None:
        parts.append(f"*{payload.rest}: {type_text(payload.rest_annotation)}")
    return ", ".join(parts)


def emitted_text(event: EmittedEvent) -> str:
    """The arguments of a declared event: the type of the only one, or each by name."""
    if len(event.arguments) == 1:
        return type_text(event.arguments[0][1])
    return ", ".join(f"{name}: {type_text(annotation)}" for name, annotation in event.arguments)


def _ack_text(dependant: Dependant) -> str:
    annotation = dependant.ack.annotation
    if annotation is inspect.Signature.empty or annotation is None or annotation is type(None):
        return NOTHING
    return type_text(annotation)


def _summary(doc: str | None) -> str:
    text = inspect.cleandoc(doc or "")
    return text.splitlines()[0] if text else ""


def events_table(app: SioApp) -> Table:
    """Every namespace's handled and declared events with their payload and ack types."""
    table = Table(title=f"{app.title} {app.version}", title_justify="left")
    for column in ("Namespace", "Event", "Direction"):
        table.add_column(column, no_wrap=True)
    table.add_column("Payload", overflow="fold")
    table.add_column("Ack", overflow="fold")
    table.add_column("Summary", ratio=1)
    for namespace, registry in app.registry.items():
        for name, handler in registry.events.items():
            dependant = handler.dependant
            _row(
                table,
                namespace,
                name,
                CLIENT_TO_SERVER,
                payload_text(dependant),
                _ack_text(dependant),
                _summary(dependant.fn.__doc__),
            )
        for name, emitted in registry.emitted.items():
            _row(
                table,
                namespace,
                name,
                SERVER_TO_CLIENT,
                emitted_text(emitted),
                NOTHING,
                _summary(emitted.doc),
            )
    return table


def _row(table: Table, *cells: str) -> None:
    """Add ``cells`` as plain text: type names such as ``tuple[int, str]`` are not markup."""
    table.add_row(*(Text(cell) for cell in cells))
