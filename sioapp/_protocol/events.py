"""Event names: the reserved ones, names taken from ``@emits`` models, names shown safely."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sioapp._protocol.codec import to_wire

__all__ = [
    "EMITS_ATTRIBUTE",
    "RESERVED_EVENTS",
    "SERVER_RESERVED_EVENTS",
    "EmitCheck",
    "check_emittable",
    "check_server_event",
    "event_and_args",
    "shown",
]

#: Names Node Socket.IO reserves; they can be neither handled nor emitted.
RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)
#: Names Node reserves for server-side events.
SERVER_RESERVED_EVENTS = frozenset({"connect", "connection", "new_namespace"})
#: The longest part of a client's event name repeated in an error reply or a log line.
SHOWN_NAME_LENGTH = 100


def shown(name: str) -> str:
    """A client's event name cut to `SHOWN_NAME_LENGTH` characters, to repeat it safely."""
    if len(name) <= SHOWN_NAME_LENGTH:
        return name
    return f"{name[:SHOWN_NAME_LENGTH]}... ({len(name)} characters)"


def check_server_event(name: str) -> None:
    """Refuse names that are not strings or that Node reserves for server-side events."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"an event name must be a non-empty string, not {name!r}")
    if name in SERVER_RESERVED_EVENTS:
        raise ValueError(f'"{name}" is a reserved event name for server-side events')


#: Checks an event's arguments before it is sent, ``check(namespace, name, args)``: raises
#: when they do not match what the app declared.
EmitCheck = Callable[[str, str, tuple[Any, ...]], None]

#: Class attribute where ``@router.emits(name)`` records a model's event name.
EMITS_ATTRIBUTE = "__sioapp_event__"


def check_emittable(name: str) -> None:
    """Refuse names that are not strings or that Socket.IO reserves."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"an event name must be a non-empty string, not {name!r}")
    if name in RESERVED_EVENTS:
        raise ValueError(f'"{name}" is a reserved event name')


def event_and_args(
    event: Any, args: tuple[Any, ...], namespace: str = "/", check: EmitCheck | None = None
) -> tuple[str, list[Any]]:
    """``(name, wire arguments)`` for ``emit(event, *args)`` in ``namespace``.

    ``event`` is a name, or an instance of a model declared with ``@router.emits``,
    which is then the only argument. ``check``, if given, sees the arguments first.
    """
    if isinstance(event, str):
        check_emittable(event)
        name = event
    else:
        declared = getattr(type(event), EMITS_ATTRIBUTE, None)
        if declared is None:
            raise TypeError(
                f"cannot emit {type(event).__name__}: pass an event name, or declare the "
                "model with @router.emits(name)"
            )
        if args:
            raise TypeError(f"emitting a {type(event).__name__} takes no further arguments")
        name, args = declared, (event,)
    if check is not None:
        check(namespace, name, args)
    return name, [to_wire(arg) for arg in args]
