"""What the UI charts: each server's ``server_stats``, with its traffic counted per second."""

from __future__ import annotations

import os
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from sioapp._protocol.socket import Socket

__all__ = ["EventBuffer", "server_stats"]


class EventBuffer:
    """Connections, disconnections, messages and bytes counted per second, type and
    subtype (a disconnection's reason), until the next report takes them."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._counts: dict[tuple[int, str, str | None], int] = {}

    def add(self, kind: str, sub_type: str | None = None, count: int = 1) -> None:
        key = (int(self._clock()) * 1000, kind, sub_type)
        counts = self._counts
        counts[key] = counts.get(key, 0) + count

    def take(self) -> list[dict[str, Any]]:
        """The counts since the last call, as the official ``aggregatedEvents``: a
        ``subType`` only where there is one."""
        counts, self._counts = self._counts, {}
        return [
            {"timestamp": second, "type": kind}
            | ({"subType": sub_type} if sub_type is not None else {})
            | {"count": count}
            for (second, kind, sub_type), count in counts.items()
        ]


def server_stats(
    server_id: str,
    started: float,
    clients: tuple[int, int],
    aggregated: list[dict[str, Any]],
    namespaces: Iterable[str],
    sockets: Iterable[Socket],
) -> dict[str, Any]:
    """The ``server_stats`` payload of this server: ``clients`` is how many connections it
    has and how many of them poll, ``started`` the `time.monotonic` it started at."""
    per_namespace = Counter(each.nsp for each in sockets if each.connected)
    total, polling = clients
    return {
        "serverId": server_id,
        "hostname": socket.gethostname(),
        "pid": os.getpid(),
        "uptime": time.monotonic() - started,
        "clientsCount": total,
        "pollingClientsCount": polling,
        "aggregatedEvents": aggregated,
        "namespaces": [{"name": name, "socketsCount": per_namespace[name]} for name in namespaces],
    }
