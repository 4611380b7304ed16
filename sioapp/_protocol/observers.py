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

    # ---- the Engine.IO connections under the sockets: ``sid`` is a connection's id,
    # ``socket.eio_sid`` of its sockets.

    def client_opened(self, sid: str, transport: str) -> None:
        """A client opened an Engine.IO connection over ``transport`` (``polling`` or
        ``websocket``)."""

    def client_upgraded(self, sid: str, transport: str) -> None:
        """Connection ``sid`` moved to ``transport`` (from long-polling to ``websocket``)."""

    def client_closed(self, sid: str, reason: str) -> None:
        """Connection ``sid`` ended for ``reason``, one of Node's engine.io close reasons."""

    def messages_received(self, count: int, size: int) -> None:
        """``count`` Engine.IO messages of ``size`` bytes in all came in from clients."""

    def messages_sent(self, count: int, size: int) -> None:
        """``count`` Engine.IO messages of ``size`` bytes in all were queued for clients
        (a broadcast counts one per recipient)."""


#: The hooks of the Engine.IO layer, which it calls only when some observer has one of them.
_ENGINE_HOOKS = frozenset(
    {"client_opened", "client_upgraded", "client_closed", "messages_received", "messages_sent"}
)
_HOOKS = tuple(name for name in vars(Observer) if not name.startswith("_"))


class Observers:
    """The observers of one app, called together; false while there are none. The engine
    tells them of its connections and traffic too (they are its `EngineWatcher`).

    Each hook calls only the observers that override it: a hook nobody has costs one
    call, whatever else is watched.
    """

    def __init__(self) -> None:
        self._all: tuple[Observer, ...] = ()
        self._hears: dict[str, tuple[Callable[..., Any], ...]] = dict.fromkeys(_HOOKS, ())
        #: Whether there are observers: an attribute, as cheap a test as there is.
        self.watched = False
        #: Whether some observer has a hook of the Engine.IO layer.
        self.engine_watched = False

    def __bool__(self) -> bool:
        return self.watched

    def __iter__(self) -> Any:
        return iter(self._all)

    def add(self, observer: Observer) -> None:
        """Start telling ``observer``."""
        self._update((*self._all, observer))

    def remove(self, observer: Observer) -> None:
        """Stop telling ``observer``; nothing happens if it was not added."""
        self._update(tuple(each for each in self._all if each is not observer))

    def _update(self, observers: tuple[Observer, ...]) -> None:
        self._all = observers
        self._hears = {
            hook: tuple(
                getattr(each, hook)
                for each in observers
                if getattr(type(each), hook) is not getattr(Observer, hook)
            )
            for hook in _HOOKS
        }
        self.watched = bool(observers)
        self.engine_watched = any(self._hears[hook] for hook in _ENGINE_HOOKS)

    def connecting(self, socket: Socket) -> Finish:
        return _finish_all([_ask(hook, socket) for hook in self._hears["connecting"]])

    def socket_connected(self, socket: Socket) -> None:
        _tell_all(self._hears["socket_connected"], socket)

    def socket_disconnected(self, socket: Socket, reason: DisconnectReason) -> None:
        _tell_all(self._hears["socket_disconnected"], socket, reason)

    def room_joined(self, namespace: str, room: str, sid: str) -> None:
        _tell_all(self._hears["room_joined"], namespace, room, sid)

    def room_left(self, namespace: str, room: str, sid: str) -> None:
        _tell_all(self._hears["room_left"], namespace, room, sid)

    def event_received(self, socket: Socket, event: str, args: Sequence[Any]) -> Finish:
        hooks = self._hears["event_received"]
        return _finish_all([_ask(hook, socket, event, args) for hook in hooks])

    def emitting(self, namespace: str, data: Sequence[Any]) -> Sent:
        sent = [_ask(hook, namespace, data) for hook in self._hears["emitting"]]
        callbacks = [each for each in sent if each is not None]

        def done(sids: Sequence[str]) -> None:
            _tell_all(callbacks, sids)

        return done

    def client_opened(self, sid: str, transport: str) -> None:
        _tell_all(self._hears["client_opened"], sid, transport)

    def client_upgraded(self, sid: str, transport: str) -> None:
        _tell_all(self._hears["client_upgraded"], sid, transport)

    def client_closed(self, sid: str, reason: str) -> None:
        _tell_all(self._hears["client_closed"], sid, reason)

    def messages_received(self, count: int, size: int) -> None:
        _tell_all(self._hears["messages_received"], count, size)

    def messages_sent(self, count: int, size: int) -> None:
        _tell_all(self._hears["messages_sent"], count, size)


def _tell_all(hooks: Sequence[Callable[..., Any]], *args: Any) -> None:
    for hook in hooks:
        _tell(hook, *args)


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
