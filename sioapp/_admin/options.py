"""What `SioApp.instrument` is given, checked once: the admin namespace, the mode, the rights."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Literal, get_args

__all__ = ["Mode", "Options"]

Mode = Literal["development", "production"]

#: What the server lets the UI do, in the official package's words and order.
_COMMANDS = ("EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT")
AGGREGATED_EVENTS = "AGGREGATED_EVENTS"
ALL_EVENTS = "ALL_EVENTS"


def default_server_id() -> str:
    """``host#pid``: apps often run as several processes of one host, each a server."""
    return f"{socket.gethostname()}#{os.getpid()}"


@dataclass(frozen=True, slots=True)
class Options:
    """The Admin UI's settings; see `SioApp.instrument`."""

    namespace: str
    mode: Mode
    read_only: bool
    server_id: str
    stats_interval: float

    @classmethod
    def checked(
        cls,
        *,
        namespace: str,
        mode: str,
        read_only: bool,
        server_id: str | None,
        stats_interval: float,
    ) -> Options:
        """The options, or `ValueError` naming the one that is wrong."""
        if not isinstance(namespace, str) or not namespace.startswith("/") or namespace == "/":
            raise ValueError(
                f"the admin namespace starts with '/' and is not '/', got {namespace!r}"
            )
        if mode not in get_args(Mode):
            raise ValueError(f"mode is 'development' or 'production', got {mode!r}")
        if not stats_interval > 0:
            raise ValueError(
                f"server_stats_interval is a positive number of seconds, got {stats_interval!r}"
            )
        if server_id is not None and (not isinstance(server_id, str) or not server_id):
            raise ValueError(f"server_id is a non-empty string or None, got {server_id!r}")
        return cls(
            namespace=namespace,
            mode=mode,  # type: ignore[arg-type]  # checked above
            read_only=bool(read_only),
            server_id=server_id or default_server_id(),
            stats_interval=float(stats_interval),
        )

    @property
    def development(self) -> bool:
        """Whether every socket, room change and event is reported, not only the counts."""
        return self.mode == "development"

    @property
    def features(self) -> list[str]:
        """The ``supportedFeatures`` of the ``config`` event, as the official server lists
        them: the commands unless read-only, the counts, and every event in development."""
        features = [] if self.read_only else list(_COMMANDS)
        features.append(AGGREGATED_EVENTS)
        if self.development:
            features.append(ALL_EVENTS)
        return features
