"""What the server tells those who watch it: the Admin UI, metrics, tracing.

An `Observer` hears sockets connect and leave, rooms change, events arrive and
go out. The server calls its observers only when it has some, so an app that
watches nothing pays one truth test per step. Observers run on the event loop,
in line with the traffic: they must be quick and must not block; one that
raises is logged and the others still run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from sioapp._protocol.reasons import DisconnectReason
from sioapp._protocol.socket import Socket

__all__ = ["OK", "REFUSED", "Finish", "Observer", "Observers", "Sent"]

logger = logging.getLogger("sioapp")

#: The outcome of an event handled, or a connection accepted, without error.
OK = "ok"
#: The outcome of a connection that connection middleware refused.
REFUSED = "refused"
#: Ends an observed step with its outcome, ``"ok"`` or the error code the client got, and
#: the exception that caused it, if any.
Finish = Callable[[str, BaseException | None], None]
#: Ends an observed emit with the ids of the sockets of this server it reached.
Sent = Callable[[Sequence[str]], None]


class Observer:
    """Hears what the server does; every method here does nothing, override those you need.

    Sockets are those of this server; ``namespace``, ``room`` and ``sid`` are
    strings as the client sees them.
    """

    def connecting(self, socket: Socket) -> Finish | None:
        """A client asks to join a namespace; the returned callable runs once connection
        middleware and ``on_connect`` handlers are done, with ``"ok"`` or ``"refused"``."""
        return None

    def socket_connected(self, socket: Socket) -> None:
        """``socket`` got CONNECT (a resumed session too: see ``socket.recovered``)."""

    def socket_disconnected(self, socket: Socket, reason: DisconnectReason) -> None:
        """``socket`` has left, its rooms and its disconnect handlers done."""

    def room_joined(self, namespace: str, room: str, sid: str) -> None:
        """Socket ``sid`` entered ``room`` (its own room too, when it connects)."""

    def room_left(self, namespace: str, room: str, sid: str) -> None:
        """Socket ``sid`` left ``room``."""

    def event_received(self, socket: Socket, event: str, args: Sequence[Any]) -> Finish | None:
        """``socket`` sent ``event``; the returned callable runs when it is handled, in the
        handler's task, with ``"ok"`` or the error code the client got."""
        return None

    def emitting(self, namespace: str, data: Sequence[Any]) -> Sent | None:
        """This server sends the event ``data`` (its name, then its arguments) to sockets of
        ``namespace``; the returned callable runs once it is queued for them."""
        return None


class Observers:
    """The observers of one app, called together; false while there are none."""

    def __init__(self) -> None:
        self._all: tuple[Observer, ...] = ()

    def __bool__(self) -> bool:
        return bool(self._all)

    def __iter__(self) -> Any:
        return iter(self._all)

    def add(self, observer: Observer) -> None:
        """Start telling ``observer``."""
        self._all = (*self._all, observer)

    def remove(self, observer: Observer) -> None:
        """Stop telling ``observer``; nothing happens if it was not added."""
        self._all = tuple(each for each in self._all if each is not observer)

    def connecting(self, socket: Socket) -> Finish:
        return _finish_all([_ask(each.connecting, socket) for each in self._all])

    def socket_connected(self, socket: Socket) -> None:
        for each in self._all:
            _tell(each.socket_connected, socket)

    def socket_disconnected(self, socket: Socket, reason: DisconnectReason) -> None:
        for each in self._all:
            _tell(each.socket_disconnected, socket, reason)

    def room_joined(self, namespace: str, room: str, sid: str) -> None:
        for each in self._all:
            _tell(each.room_joined, namespace, room, sid)

    def room_left(self, namespace: str, room: str, sid: str) -> None:
        for each in self._all:
            _tell(each.room_left, namespace, room, sid)

    def event_received(self, socket: Socket, event: str, args: Sequence[Any]) -> Finish:
        return _finish_all([_ask(each.event_received, socket, event, args) for each in self._all])

    def emitting(self, namespace: str, data: Sequence[Any]) -> Sent:
        sent = [_ask(each.emitting, namespace, data) for each in self._all]
        callbacks = [each for each in sent if each is not None]

        def done(sids: Sequence[str]) -> None:
            for callback in callbacks:
                _tell(callback, sids)

        return done


def _tell(method: Callable[..., Any], *args: Any) -> None:
    try:
        method(*args)
    except Exception:
        logger.exception("observer %s failed", getattr(method, "__qualname__", method))


def _ask(method: Callable[..., Any], *args: Any) -> Any:
    try:
        return method(*args)
    except Exception:
        logger.exception("observer %s failed", getattr(method, "__qualname__", method))
        return None


def _finish_all(finishes: list[Finish | None]) -> Finish:
    callbacks = [each for each in finishes if each is not None]

    def finish(outcome: str, error: BaseException | None) -> None:
        for callback in reversed(callbacks):  # nested like context managers
            _tell(callback, outcome, error)

    return finish
