"""Sockets and moments as the Admin UI reads them, in the official server's shapes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from sioapp._protocol.codec import to_wire
from sioapp._protocol.handshake import Handshake

__all__ = ["ADMIN_KEY", "Described", "admin_info", "public_data", "serialize", "timestamp"]

#: The key of ``socket.data`` where, in development mode, each server keeps what other
#: servers need to show its sockets (the connection's id and transport), as Node does.
ADMIN_KEY = "_admin"
#: How much of the connection's id the UI shows as the client's id, as the official server.
CLIENT_ID_LENGTH = 12


class Described(Protocol):
    """A socket of this server or of another one (`sioapp.Socket`, `sioapp.RemoteSocket`)."""

    @property
    def id(self) -> str: ...

    @property
    def nsp(self) -> str: ...

    @property
    def handshake(self) -> Handshake: ...

    @property
    def rooms(self) -> Iterable[str]: ...

    @property
    def data(self) -> Mapping[str, Any]: ...


def timestamp() -> str:
    """Now as JavaScript writes a ``Date`` in JSON: ``2026-12-07T19:04:46.123Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def admin_info(eio_sid: str, transport: str) -> dict[str, str]:
    """What ``socket.data[ADMIN_KEY]`` holds for a socket of connection ``eio_sid``."""
    return {"clientId": eio_sid[:CLIENT_ID_LENGTH], "transport": transport}


def public_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """``socket.data`` without what the Admin UI keeps there, JSON-ready."""
    return {key: to_wire(value) for key, value in data.items() if key != ADMIN_KEY}


def _rooms(socket: Described) -> list[str]:
    """The socket's own room first, as in Node's set, then the others in order."""
    own = socket.id
    return [own, *sorted(room for room in socket.rooms if room != own)]


def serialize(socket: Described) -> dict[str, Any]:
    """The socket as the UI lists it. The handshake leaves ``auth`` out, as the official
    server does: it holds passwords and tokens, an admin's own included."""
    admin = socket.data.get(ADMIN_KEY)
    known = {
        key: admin[key]
        for key in ("clientId", "transport")
        if isinstance(admin, Mapping) and isinstance(admin.get(key), str)
    }
    handshake = socket.handshake
    return {
        "id": socket.id,
        **known,
        "nsp": socket.nsp,
        "data": public_data(socket.data),
        "handshake": {
            "address": handshake.address,
            "headers": dict(handshake.headers),
            "query": to_wire(handshake.query),
            "issued": handshake.issued,
            "secure": handshake.secure,
            "time": handshake.time,
            "url": handshake.url,
            "xdomain": handshake.xdomain,
        },
        "rooms": _rooms(socket),
    }
