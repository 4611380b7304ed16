"""What the framework knows while it runs one handler."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sioapp._app.app import SioApp
    from sioapp._protocol.reasons import DisconnectReason
    from sioapp._protocol.socket import Socket

__all__ = ["HandlerContext", "current_context"]


@dataclass(slots=True)
class HandlerContext:
    """The socket, event and outcome a handler is running for."""

    app: SioApp
    socket: Socket | None = None
    event: str | None = None
    args: tuple[Any, ...] = ()
    reason: DisconnectReason | None = None
    exception: BaseException | None = None


current_context: ContextVar[HandlerContext] = ContextVar("sioapp_handler_context")
