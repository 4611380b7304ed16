"""The admin namespace's handlers: who may connect, what a new admin gets, its commands.

The namespace is the Admin UI's own: the app's connection middleware does not guard it
and it is left out of the event contract.
"""

from __future__ import annotations

from typing import Any, Protocol

from sioapp._admin.auth import INVALID_CREDENTIALS, Check, Sessions
from sioapp._admin.commands import READ_ONLY, Commands
from sioapp._protocol.errors import ConnectionRefused, EventError
from sioapp._protocol.socket import Socket
from sioapp._runtime.router import Router

__all__ = ["SESSION_ATTRIBUTE", "Welcome", "admin_router"]

#: The socket attribute holding the session opened for an admin that gave credentials.
SESSION_ATTRIBUTE = "admin_ui_session"
COMMANDS = ("emit", "join", "leave", "_disconnect")


class Welcome(Protocol):
    """What greets an admin that connected."""

    async def __call__(self, socket: Socket) -> None: ...


def admin_router(
    namespace: str,
    *,
    check: Check | None,
    sessions: Sessions,
    welcome: Welcome,
    commands: Commands | None,
) -> Router:
    """The handlers of ``namespace``; ``commands`` None makes it read-only."""
    router = Router(namespace, include_in_schema=False)
    if check is not None:
        _guard(router, check, sessions)

    @router.on_connect
    async def greet(socket: Socket) -> None:
        await welcome(socket)

    if commands is None:
        for name in COMMANDS:
            router.on(name)(_refuse)
    else:
        _command(router, commands)
    return router


def _guard(router: Router, check: Check, sessions: Sessions) -> None:
    @router.use
    async def authenticate(socket: Socket) -> None:
        """Let in a client that has a session, or credentials that pass ``check`` (it then
        gets a session); refuse any other with the message the UI knows."""
        given = socket.handshake.auth
        if sessions.valid(given.get("sessionId")):
            return
        if await check(given):
            setattr(socket, SESSION_ATTRIBUTE, sessions.open())
            return
        raise ConnectionRefused(INVALID_CREDENTIALS)


async def _refuse(*args: Any) -> None:
    """A command to a read-only Admin UI."""
    raise EventError(READ_ONLY, "This Admin UI is read-only")


def _command(router: Router, commands: Commands) -> None:
    @router.on("join")
    async def join(namespace: str, room: str, selector: str | None = None) -> None:
        """Make the sockets of ``namespace`` (those in room ``selector``) join ``room``."""
        await commands.join(namespace, room, selector)

    @router.on("leave")
    async def leave(namespace: str, room: str, selector: str | None = None) -> None:
        """Make the sockets of ``namespace`` (those in room ``selector``) leave ``room``."""
        await commands.leave(namespace, room, selector)

    @router.on("_disconnect")
    async def disconnect(namespace: str, close: bool = False, selector: str | None = None) -> None:
        """Disconnect the sockets of ``namespace`` (those in room ``selector``)."""
        await commands.disconnect(namespace, close, selector)

    @router.on("emit")
    async def emit(namespace: str, selector: str | None, event: str, *args: Any) -> None:
        """Send ``event`` to the sockets of ``namespace`` (those in room ``selector``)."""
        await commands.emit(namespace, selector, event, list(args))
