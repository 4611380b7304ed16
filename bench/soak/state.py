"""What the server under soak holds: its ``/stats`` and its open sockets from /proc."""

from __future__ import annotations

import asyncio
import json
import os
import urllib.request
from dataclasses import asdict, dataclass, fields
from pathlib import Path

STATS_TIMEOUT = 10.0


@dataclass(frozen=True)
class ServerState:
    """Counts that must come back to where they were once every client has gone."""

    tasks: int
    sockets: int
    engine_sockets: int
    rooms: int
    #: File descriptors of the server process that are sockets (listening one included).
    os_sockets: int

    def grown_since(self, baseline: ServerState) -> dict[str, int]:
        """Each count above ``baseline``'s, with how much."""
        mine, theirs = asdict(self), asdict(baseline)
        return {name: mine[name] - theirs[name] for name in mine if mine[name] > theirs[name]}


def os_sockets(pid: int) -> int:
    """How many of ``pid``'s file descriptors are sockets."""
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            count += os.readlink(fd).startswith("socket:")
        except FileNotFoundError:  # closed while listing
            continue
    return count


def _get_json(url: str) -> dict[str, int]:
    with urllib.request.urlopen(url, timeout=STATS_TIMEOUT) as response:
        stats: dict[str, int] = json.load(response)
    return stats


async def read_state(url: str, pid: int) -> ServerState:
    """The server's ``/stats`` and its socket count; sockets are counted first, so the
    stats request's own connection is not among them."""
    sockets = os_sockets(pid)
    stats = await asyncio.to_thread(_get_json, f"{url}/stats")
    names = {field.name for field in fields(ServerState)} - {"os_sockets"}
    return ServerState(os_sockets=sockets, **{name: int(stats[name]) for name in names})
