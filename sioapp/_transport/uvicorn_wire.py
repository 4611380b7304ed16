"""uvicorn's sans-I/O WebSocket protocol, offering the engine a `Wire`.

``sioapp run`` hands `WireProtocol` to uvicorn as its WebSocket protocol
class (uvicorn's ``ws`` setting). Every WebSocket still starts as uvicorn
serves it, through ASGI: FastAPI's WebSocket routes never see a difference.
The Engine.IO endpoint attaches to the `Wire` the scope offers; from then on
a message is appended to a list the engine reads, with reading paused only
when the engine falls behind, and the engine's frames are written straight
to the socket.

This is the seam with uvicorn: it subclasses
``uvicorn.protocols.websockets.websockets_sansio_impl.WebSocketsSansIOProtocol``
and relies on these members of it, which `seam_problems` checks:

- ``handle_connect(event)``: builds ``self.scope`` and starts the app's task;
- ``send_receive_event_to_app()``: called for each complete message, with its
  parts in ``self.frames`` and its kind in ``self.curr_msg_data_type``;
- ``connection_lost(exc)``, ``handle_close(event)``, ``resume_writing()``;
- ``self.queue``: an `asyncio.Queue` of the ASGI events ``receive`` returns, which
  may hold messages received before the engine attached;
- ``self.scope``, ``self.transport``, ``self.writable`` (an Event, clear while writes are
  refused), ``self.close_sent``, ``self.read_paused`` (reading paused; its
  closing handshake resumes it).

When a uvicorn release changes them, `seam_problems` names what changed and
``sioapp run`` serves WebSockets with uvicorn's own protocol, through ASGI.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from sioapp._transport.packets import Frame
from sioapp._transport.wire import WIRE_EXTENSION

__all__ = ["WireProtocol", "seam_problems", "websocket_protocol"]

logger = logging.getLogger("sioapp")

#: Bytes of messages the engine has not read yet past which reading pauses.
PAUSE_READING_AT = 64 * 1024

_SEAM_METHODS = {
    "handle_connect": ["self", "event"],
    "send_receive_event_to_app": ["self"],
    "connection_lost": ["self", "exc"],
    "handle_close": ["self", "event"],
    "resume_writing": ["self"],
}
#: The attributes `WireProtocol` adds (its methods are found by `seam_problems`): none of
#: them may be uvicorn's.
_OWN_ATTRIBUTES = ("_inbox", "_inbox_bytes", "_attached", "_ended", "_waiter", "_writable")
_SEAM_ATTRIBUTES = (
    "scope",
    "queue",
    "transport",
    "writable",
    "close_sent",
    "read_paused",
    "frames",
    "curr_msg_data_type",
)


class WireProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol, and the `Wire` of the WebSocket it serves."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._inbox: deque[Frame] = deque()
        self._inbox_bytes = 0
        self._attached = False
        self._ended = False
        self._waiter: asyncio.Future[None] | None = None
        self._writable: Callable[[], None] | None = None

    # ---- uvicorn's side --------------------------------------------------------

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None and not self.close_sent:
            scope["extensions"][WIRE_EXTENSION] = self

    def send_receive_event_to_app(self) -> None:
        if not self._attached:
            super().send_receive_event_to_app()
            return
        parts = self.frames
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        if self.close_sent:
            self.frames = []
            return
        if self.curr_msg_data_type == "text":
            try:
                message: Frame = data.decode()
            except UnicodeDecodeError:
                self._attached = False  # uvicorn closes the WebSocket with 1007
                super().send_receive_event_to_app()
                self.end()
                return
        else:
            message = bytes(data)
        self.frames = []
        self._keep(message)
        if self._inbox_bytes >= PAUSE_READING_AT and not self.read_paused:
            self.read_paused = True
            self.transport.pause_reading()
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self.end()

    def handle_close(self, event: Any) -> None:
        super().handle_close(event)
        self.end()

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._writable is not None:
            self._writable()

    # ---- the engine's side: the Wire ---------------------------------------------

    def attach(self, writable: Callable[[], None]) -> None:
        self._attached = True
        self._writable = writable
        pending = self.queue  # messages that came before, behind the upgrade's last one
        while not pending.empty():
            event = pending.get_nowait()
            if event["type"] != "websocket.receive":
                self._ended = True
                continue
            message: Frame | None = event.get("text")
            if message is None:
                message = event.get("bytes")
            if message is not None:
                self._keep(message)
        self._resume_reading()

    @property
    def ready(self) -> bool:
        return self.writable.is_set() and self.open

    @property
    def open(self) -> bool:
        return not self.close_sent and not self.transport.is_closing()

    def write(self, data: bytes) -> None:
        self.transport.write(data)

    async def next_message(self) -> Frame | None:
        inbox = self._inbox
        while not inbox:
            if self._ended:
                return None
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        message = inbox.popleft()
        self._inbox_bytes -= len(message)
        if self.read_paused:
            self._resume_reading()
        return message

    def end(self) -> None:
        self._ended = True
        self._wake()

    def abort(self) -> None:
        self.transport.abort()

    def _keep(self, message: Frame) -> None:
        self._inbox.append(message)
        self._inbox_bytes += len(message)

    def _resume_reading(self) -> None:
        if self.read_paused and self._inbox_bytes < PAUSE_READING_AT and not self.close_sent:
            self.read_paused = False
            self.transport.resume_reading()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


def seam_problems() -> list[str]:
    """What `WireProtocol` relies on in uvicorn and no longer finds; empty when all is there."""
    problems = []
    for name, parameters in _SEAM_METHODS.items():
        method = getattr(WebSocketsSansIOProtocol, name, None)
        if method is None:
            problems.append(f"WebSocketsSansIOProtocol.{name} is gone")
            continue
        found = list(inspect.signature(method).parameters)
        if found != parameters:
            problems.append(f"WebSocketsSansIOProtocol.{name}{tuple(found)} takes other arguments")
    source = inspect.getsource(WebSocketsSansIOProtocol)
    for attribute in _SEAM_ATTRIBUTES:
        if f"self.{attribute} =" not in source and f"self.{attribute}:" not in source:
            problems.append(f"WebSocketsSansIOProtocol no longer sets self.{attribute}")
    added = [name for name in vars(WireProtocol) if not name.startswith("__")]
    for name in [*added, *_OWN_ATTRIBUTES]:
        if name in _SEAM_METHODS:
            continue
        if hasattr(WebSocketsSansIOProtocol, name) or f"self.{name} " in source:
            problems.append(f"WebSocketsSansIOProtocol now has a member {name} of its own")
    return problems


@functools.cache
def websocket_protocol() -> type[asyncio.Protocol] | str:
    """uvicorn's ``ws`` setting for serving sioapp: `WireProtocol`, or uvicorn's own
    protocol (``"auto"``), with a warning, when the seam no longer holds."""
    problems = seam_problems()
    if problems:
        logger.warning(
            "this uvicorn release changed what sioapp's WebSocket protocol relies on (%s): "
            "serving WebSockets through plain ASGI",
            "; ".join(problems),
        )
        return "auto"
    return WireProtocol
