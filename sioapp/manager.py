"""Room bookkeeping on top of python-socketio's client manager.

Adds what Node's in-memory adapter has: each socket's rooms without a scan,
selection by rooms *and* excluded rooms, and a broadcast that encodes the packet
once and writes it to every recipient without a task per recipient.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from engineio import packet as eio_packet
from socketio import AsyncManager
from socketio import packet as sio_packet

__all__ = ["LocalManager"]


class LocalManager(AsyncManager):  # type: ignore[misc]
    """The in-memory manager used when the app runs as one process."""

    def __init__(self) -> None:
        super().__init__()
        self.socket_rooms: dict[tuple[str, str], set[str]] = {}

    # The reverse index (namespace, sid) -> rooms follows every membership change.
    def basic_enter_room(
        self, sid: str, namespace: str, room: str | None, eio_sid: str | None = None
    ) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        if room is not None:
            self.socket_rooms.setdefault((namespace, sid), set()).add(room)

    def basic_leave_room(self, sid: str, namespace: str, room: str | None) -> None:
        super().basic_leave_room(sid, namespace, room)
        if room is None:
            return
        rooms = self.socket_rooms.get((namespace, sid))
        if rooms is not None:
            rooms.discard(room)
            if not rooms:
                del self.socket_rooms[(namespace, sid)]

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        for room in list(self.socket_rooms.get((namespace, sid), ())):
            self.basic_leave_room(sid, namespace, room)
        super().basic_disconnect(sid, namespace, **kwargs)
        self.socket_rooms.pop((namespace, sid), None)

    def get_rooms(self, sid: str, namespace: str) -> list[str]:
        return list(self.socket_rooms.get((namespace, sid), ()))

    def rooms_of(self, sid: str, namespace: str) -> frozenset[str]:
        """The rooms ``sid`` is in, its own id included."""
        return frozenset(self.socket_rooms.get((namespace, sid), ()))

    def select(
        self, namespace: str, rooms: Collection[str], except_rooms: Collection[str]
    ) -> list[tuple[str, str]]:
        """``(sid, eio_sid)`` of connected local sockets in any of ``rooms`` (all when
        empty) and in none of ``except_rooms``."""
        by_room = self.rooms.get(namespace)
        if not by_room:
            return []
        excluded: set[str] = set()
        for room in except_rooms:
            excluded.update(by_room.get(room, ()))
        pending = self.pending_disconnect.get(namespace, ())
        connecting = self.pending_connect.get(namespace, ())
        if pending or connecting:
            excluded.update(pending)
            excluded.update(connecting)
        if not rooms:
            members: Iterable[tuple[str, str]] = by_room.get(None, {}).items()
            return [(sid, eio) for sid, eio in members if sid not in excluded]
        selected: dict[str, str] = {}
        for room in rooms:
            for sid, eio in by_room.get(room, {}).items():
                if sid not in excluded:
                    selected[sid] = eio
        return list(selected.items())

    async def send_to_local(
        self,
        namespace: str,
        data: list[Any],
        rooms: Collection[str],
        except_rooms: Collection[str],
    ) -> int:
        """Encode one EVENT packet once and queue it for every selected local socket."""
        recipients = self.select(namespace, rooms, except_rooms)
        if not recipients:
            return 0
        encoded = self.server.packet_class(
            sio_packet.EVENT, namespace=namespace, data=data
        ).encode()
        frames = encoded if isinstance(encoded, list) else [encoded]
        packets = [eio_packet.Packet(eio_packet.MESSAGE, frame) for frame in frames]
        send = self.server.eio.send_packet
        for _, eio_sid in recipients:
            for pkt in packets:
                await send(eio_sid, pkt)
        return len(recipients)
