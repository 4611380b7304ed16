"""The servers under test. Each kind serves every workload's events on the port it is given.

A Python kind is a module of this package with an ASGI ``app`` and a ``__main__``
that serves it under uvicorn; the Node kind is bench/node/server.mjs. Each reads
which serializer to speak from `SERIALIZER_ENV` (``json`` when unset).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass

from bench.paths import NODE_DIR


@dataclass(frozen=True)
class ServerKind:
    """How to start one server implementation."""

    name: str
    description: str
    argv: tuple[str, ...]
    #: What packets are encoded with: ``json``, or ``msgpack`` (socket.io-msgpack-parser).
    serializer: str = "json"
    #: What serves a Python server: one of `SERVED_BY`.
    served: str = "sioapp"

    def command(self, host: str, port: int) -> list[str]:
        """The command line serving on ``host:port``."""
        return [*self.argv, "--host", host, "--port", str(port)]

    def speaking(self, serializer: str) -> ServerKind:
        """This kind with ``serializer``; named ``<kind>+msgpack`` for msgpack."""
        if serializer == "json":
            return self
        return dataclasses.replace(self, name=f"{self.name}+{serializer}", serializer=serializer)

    def serving(self, served: str) -> ServerKind:
        """This kind served by ``served`` (one of `SERVED_BY`)."""
        return dataclasses.replace(self, served=served)

    @property
    def environment(self) -> dict[str, str]:
        """The environment of the server process."""
        return {**os.environ, SERIALIZER_ENV: self.serializer, SERVED_BY_ENV: self.served}


#: The environment variable telling a server which serializer to speak.
SERIALIZER_ENV = "BENCH_SERIALIZER"
#: What ``--serializer`` chooses from; every server kind speaks each.
SERIALIZERS = ("json", "msgpack")


def serializer() -> str:
    """The serializer this server process speaks, from `SERIALIZER_ENV`."""
    name = os.environ.get(SERIALIZER_ENV, "json")
    if name not in SERIALIZERS:
        raise SystemExit(
            f"bench: {SERIALIZER_ENV} is one of {', '.join(SERIALIZERS)}, not {name!r}"
        )
    return name


#: The environment variable telling a Python server what serves it.
SERVED_BY_ENV = "BENCH_SERVED_BY"
#: What ``--server`` chooses from: ``sioapp run``'s default (its WebSockets read and
#: written by sioapp's engine; plain uvicorn for raw python-socketio, which has no such
#: wire), uvicorn with one of its WebSocket implementations, hypercorn or granian.
SERVED_BY = ("sioapp", "websockets-sansio", "websockets", "wsproto", "hypercorn", "granian")


def served_by() -> str:
    """What serves this server process, from `SERVED_BY_ENV`."""
    name = os.environ.get(SERVED_BY_ENV, "sioapp")
    if name not in SERVED_BY:
        raise SystemExit(f"bench: {SERVED_BY_ENV} is one of {', '.join(SERVED_BY)}, not {name!r}")
    return name


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
        ServerKind(
            "sioapp-unchecked",
            "sioapp with SioApp(validate_emits=False): what checking declared emits costs",
            (*_python("bench.servers.sioapp_server"), "--no-validate-emits"),
        ),
    )
}

#: The kinds ``--servers`` runs unless told otherwise; the others are asked for by name.
DEFAULT_SERVERS = ("raw", "sioapp", "node")

#: The kinds every other one is compared with: raw python-socketio first, then Node.
REFERENCES = ("raw", "node")
