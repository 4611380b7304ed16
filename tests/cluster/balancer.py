"""A TCP load balancer for the cluster tests, as a layer-4 balancer with health checks.

Each new connection goes to the next backend in turn; a backend that refuses
it is skipped (the next one is tried) and left out of the turn for a while, as
a failed health check would. Bytes are piped both ways until either side
closes, then both are closed.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from types import TracebackType

__all__ = ["Balancer"]

HOST = "127.0.0.1"
CHUNK = 65536
#: Seconds a backend that refused a connection is left out of the turn.
RECHECK = 1.0


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


class Balancer:
    """Round robin over ``backends`` (ports of 127.0.0.1), on a free port of its own.

    ``routed`` counts the connections each backend took, ``refused`` those it refused.
    """

    def __init__(self, backends: Sequence[int]) -> None:
        self.backends = list(backends)
        self.routed: Counter[int] = Counter()
        self.refused: Counter[int] = Counter()
        self._next = 0
        self._down_until: dict[int, float] = {}
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        assert self._server is not None, "the balancer is not started"
        port = self._server.sockets[0].getsockname()[1]
        return f"http://{HOST}:{port}"

    async def __aenter__(self) -> Balancer:
        self._server = await asyncio.start_server(self._accept, HOST, 0)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for writer in self._writers:
            writer.close()
        await asyncio.gather(*self._links)

    def _turn(self) -> list[int]:
        """The backends to try for a new connection, healthy ones first, in turn."""
        now = time.monotonic()
        up = [port for port in self.backends if self._down_until.get(port, 0.0) <= now]
        down = [port for port in self.backends if port not in up]
        start = self._next % max(len(up), 1)
        self._next += 1
        return up[start:] + up[:start] + down

    async def _backend(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """A connection to the next backend in turn that accepts one."""
        for port in self._turn():
            try:
                connection = await asyncio.open_connection(HOST, port)
            except OSError:
                self.refused[port] += 1
                self._down_until[port] = time.monotonic() + RECHECK
                continue
            self.routed[port] += 1
            return connection
        return None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._links.add(task)
        self._writers.add(writer)
        try:
            backend = await self._backend()
            if backend is None:
                return
            backend_reader, backend_writer = backend
            self._writers.add(backend_writer)
            try:
                await asyncio.gather(_pipe(reader, backend_writer), _pipe(backend_reader, writer))
            finally:
                self._writers.discard(backend_writer)
                backend_writer.close()
        finally:
            self._writers.discard(writer)
            writer.close()
            self._links.discard(task)
