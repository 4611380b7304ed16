"""The UI's commands, carried out on every server: the sockets of a namespace, all of them
or those in a room (a socket's id is its room), join or leave a room, get an event, or
are disconnected.

What selects no socket is a no-op with an error: ``unknown_namespace`` for a namespace
this server does not serve, ``not_found`` for a room or socket id no socket is in; so is
an event the app may not send, ``invalid_event`` (a reserved name, or arguments that do
not match its ``router.emits`` declaration). The error goes back as the ack when the
command asked for one (the official UI never does), else as an ``exception`` event,
which the UI ignores.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from sioapp._protocol.broadcast import BroadcastOperator, Operations
from sioapp._protocol.errors import EmitValidationError, EventError

__all__ = ["INVALID_EVENT", "NOT_FOUND", "READ_ONLY", "UNKNOWN_NAMESPACE", "Commands"]

NOT_FOUND = "not_found"
UNKNOWN_NAMESPACE = "unknown_namespace"
INVALID_EVENT = "invalid_event"
READ_ONLY = "read_only"


class Commands:
    """Carries the UI's commands out through ``manager``; ``namespaces`` lists those served."""

    def __init__(self, manager: Operations, namespaces: Callable[[], Collection[str]]) -> None:
        self.manager = manager
        self.namespaces = namespaces

    async def _selected(self, namespace: str, selector: str | None) -> BroadcastOperator:
        """Every socket of ``namespace``, or those in room ``selector``, which some must be."""
        if namespace not in self.namespaces():
            raise EventError(UNKNOWN_NAMESPACE, f"This server has no namespace {namespace!r}")
        sockets = BroadcastOperator(self.manager, namespace)
        if not selector:
            return sockets
        sockets = sockets.in_(selector)
        if not await sockets.fetch_sockets():
            raise EventError(
                NOT_FOUND, f"No socket of {namespace!r} has the id {selector!r} or is in that room"
            )
        return sockets

    async def join(self, namespace: str, room: str, selector: str | None) -> None:
        """Make the selected sockets join ``room``."""
        await (await self._selected(namespace, selector)).sockets_join(room)

    async def leave(self, namespace: str, room: str, selector: str | None) -> None:
        """Make the selected sockets leave ``room``."""
        await (await self._selected(namespace, selector)).sockets_leave(room)

    async def disconnect(self, namespace: str, close: bool, selector: str | None) -> None:
        """Disconnect the selected sockets; ``close`` closes their whole connections."""
        await (await self._selected(namespace, selector)).disconnect_sockets(close)

    async def emit(self, namespace: str, selector: str | None, event: str, args: list[Any]) -> None:
        """Send ``event`` with ``args`` to the selected sockets."""
        sockets = await self._selected(namespace, selector)
        try:
            await sockets.emit(event, *args)
        except EmitValidationError as exc:  # arguments that do not match the app's declaration
            raise EventError(INVALID_EVENT, str(exc), exc.details) from None
        except ValueError as exc:  # a name Socket.IO reserves
            raise EventError(INVALID_EVENT, str(exc)) from None
