"""The servers under test. Each kind serves every workload's events on the port it is given.

A Python kind is a module of this package with an ASGI ``app`` and a ``__main__``
that serves it under uvicorn; the Node kind is bench/node/server.mjs.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from bench.paths import NODE_DIR


@dataclass(frozen=True)
class ServerKind:
    """How to start one server implementation."""

    name: str
    description: str
    argv: tuple[str, ...]

    def command(self, host: str, port: int) -> list[str]:
        """The command line serving on ``host:port``."""
        return [*self.argv, "--host", host, "--port", str(port)]


def _python(module: str) -> tuple[str, ...]:
    return (sys.executable, "-m", module)


SERVERS: dict[str, ServerKind] = {
    kind.name: kind
    for kind in (
        ServerKind(
            "raw",
            "python-socketio AsyncServer + ASGIApp, hand-written handlers",
            _python("bench.servers.raw_server"),
        ),
        ServerKind(
            "sioapp",
            "sioapp: typed handlers validated by pydantic",
            _python("bench.servers.sioapp_server"),
        ),
        ServerKind(
            "node",
            "Node socket.io server, same handlers",
            ("node", str(NODE_DIR / "server.mjs")),
        ),
    )
}

#: The kinds every other one is compared with: raw python-socketio first, then Node.
REFERENCES = ("raw", "node")
