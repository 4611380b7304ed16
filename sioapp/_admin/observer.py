"""What the Admin UI hears of the server, turned into the official server's reports.

In both modes the engine's traffic is counted for ``server_stats``; in development
mode every socket, room change and event is reported as it happens, and a socket
whose ``data`` a connect handler or an event handler changed is reported again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import orjson

from sioapp._admin.feed import Feed
from sioapp._admin.serialize import ADMIN_KEY, admin_info, public_data, serialize, timestamp
from sioapp._admin.stats import EventBuffer
from sioapp._protocol.observers import OK, Finish, Observer, Sent
from sioapp._protocol.reasons import DisconnectReason
from sioapp._protocol.server import SioServer
from sioapp._protocol.socket import Socket

__all__ = ["AdminObserver"]


def _snapshot(data: Mapping[str, Any]) -> bytes | None:
    """``data`` frozen for comparison; None when it cannot be."""
    try:
        return orjson.dumps(data, default=repr, option=orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return None


class AdminObserver(Observer):
    """Reports this server to the admins through ``feed`` and counts its traffic in
    ``buffer``; ``namespace`` is the admin namespace, ``namespaces`` lists those served."""

    def __init__(
        self,
        *,
        namespace: str,
        development: bool,
        feed: Feed,
        buffer: EventBuffer,
        server: SioServer,
        namespaces: Callable[[], Iterable[str]],
    ) -> None:
        self.namespace = namespace
        self.development = development
        self.feed = feed
        self.buffer = buffer
        self.server = server
        self.namespaces = namespaces
        #: The ``data`` each socket was reported with on connect, until its connect
        #: handlers are done.
        self._connecting: dict[str, bytes | None] = {}

    # ---- sockets ------------------------------------------------------------------

    def socket_connected(self, socket: Socket) -> None:
        if not self.development:
            return
        socket.data[ADMIN_KEY] = admin_info(socket.eio_sid, self._transport(socket.eio_sid))
        if self.feed.listened:
            self.feed.push("socket_connected", serialize(socket), timestamp())
            self._connecting[socket.id] = _snapshot(socket.data)

    def connecting(self, socket: Socket) -> Finish | None:
        admin = socket.nsp == self.namespace
        if admin:  # it hears what happens from its own room on, as in Node
            self.feed.local_admins.add(socket.id)
        elif not self.development:
            return None

        def connected(outcome: str, error: BaseException | None) -> None:
            reported = self._connecting.pop(socket.id, None)
            if outcome != OK:
                self.feed.local_admins.discard(socket.id)
            elif reported is not None:
                self._report_data(socket, reported)

        return connected

    def socket_disconnected(self, socket: Socket, reason: DisconnectReason) -> None:
        self._connecting.pop(socket.id, None)
        if self.development:
            self.feed.push("socket_disconnected", socket.nsp, socket.id, str(reason), timestamp())
        self.feed.local_admins.discard(socket.id)

    def room_joined(self, namespace: str, room: str, sid: str) -> None:
        if self.development:
            self.feed.push("room_joined", namespace, room, sid, timestamp())

    def room_left(self, namespace: str, room: str, sid: str) -> None:
        if self.development:
            self.feed.push("room_left", namespace, room, sid, timestamp())

    # ---- events -------------------------------------------------------------------

    def event_received(self, socket: Socket, event: str, args: Sequence[Any]) -> Finish | None:
        if not self.development or socket.nsp == self.namespace or not self.feed.listened:
            return None
        self.feed.push("event_received", socket.nsp, socket.id, [event, *args], timestamp())
        before = _snapshot(socket.data)

        def handled(outcome: str, error: BaseException | None) -> None:
            if before is not None:
                self._report_data(socket, before)

        return handled

    def emitting(self, namespace: str, data: Sequence[Any]) -> Sent | None:
        if not self.development or namespace == self.namespace or not self.feed.listened:
            return None
        sent_data = list(data)

        def sent(sids: Sequence[str]) -> None:
            moment = timestamp()
            for sid in sids:
                self.feed.push("event_sent", namespace, sid, sent_data, moment)

        return sent

    def _report_data(self, socket: Socket, before: bytes) -> None:
        """Report ``socket`` again if its ``data`` changed since ``before``."""
        if socket.connected and _snapshot(socket.data) != before:
            self.feed.push(
                "socket_updated",
                {"id": socket.id, "nsp": socket.nsp, "data": public_data(socket.data)},
            )

    # ---- connections --------------------------------------------------------------

    def client_opened(self, sid: str, transport: str) -> None:
        self.buffer.add("rawConnection")

    def client_closed(self, sid: str, reason: str) -> None:
        self.buffer.add("rawDisconnection", str(reason))

    def client_upgraded(self, sid: str, transport: str) -> None:
        if not self.development:
            return
        for socket in self._sockets_of(sid):
            admin = socket.data.get(ADMIN_KEY)
            if isinstance(admin, dict):
                admin["transport"] = str(transport)
            self.feed.push(
                "socket_updated", {"id": socket.id, "nsp": socket.nsp, "transport": str(transport)}
            )

    def messages_received(self, count: int, size: int) -> None:
        self.buffer.add("packetsIn", count=count)
        self.buffer.add("bytesIn", count=size)

    def messages_sent(self, count: int, size: int) -> None:
        self.buffer.add("packetsOut", count=count)
        self.buffer.add("bytesOut", count=size)

    def _transport(self, eio_sid: str) -> str:
        try:
            return self.server.eio.transport(eio_sid)
        except KeyError:  # the connection closed meanwhile
            return "polling"

    def _sockets_of(self, eio_sid: str) -> Iterator[Socket]:
        manager, sockets = self.server.manager, self.server.sockets
        for namespace in self.namespaces():
            sid = manager.sid_from_eio_sid(eio_sid, namespace)
            socket = sockets.get(sid) if sid is not None else None
            if socket is not None:
                yield socket
