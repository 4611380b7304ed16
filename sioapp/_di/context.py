"""What the framework knows while it runs one handler."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sioapp._protocol.reasons import DisconnectReason
from sioapp._protocol.socket import Socket

__all__ = ["AppHandle", "HandlerContext", "current_context"]


class AppHandle:
    """The base of `sioapp.SioApp`: a handler parameter annotated with it (or a subclass)
    receives the app the handler runs in."""


@dataclass(slots=True)
class HandlerContext:
    """The app, socket, event and outcome a handler is running for."""

    app: AppHandle
    socket: Socket | None = None
    event: str | None = None
    args: tuple[Any, ...] = ()
    reason: DisconnectReason | None = None
    exception: BaseException | None = None


current_context: ContextVar[HandlerContext] = ContextVar("sioapp_handler_context")
