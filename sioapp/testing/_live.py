"""Serving an app for real: uvicorn on a free port, and real python-socketio clients."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import socketio
import uvicorn

from sioapp._app.app import SioApp
from sioapp._transport.uvicorn_wire import websocket_protocol

__all__ = ["connect", "free_port", "serve"]

#: Seconds between two ticks of uvicorn's main loop, as uvicorn's own.
_TICK = 0.1


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class _Server(uvicorn.Server):
    """uvicorn's server, which tells when it has started and begins to shut down as soon
    as it is told to, rather than at its next tick: a test starts and stops one each.

    It relies on these members of ``uvicorn.Server``: ``startup``, ``shutdown``,
    ``main_loop``, ``on_tick``, ``should_exit``, ``force_exit``, ``server_state``,
    ``servers`` and ``lifespan``; tests/test_testing_serve.py fails when one changes.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.up = asyncio.Event()
        self._stopping = asyncio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets)
        except SystemExit:  # uvicorn ends its process when it cannot start: not this one
            self.should_exit = True
        finally:
            self.up.set()  # started, or failed to

    def stop(self) -> None:
        self.should_exit = True
        self._stopping.set()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's shutdown; when no connection or task is left to wait for, without
        the pause it leaves them to end."""
        state = self.server_state
        if state.connections or state.tasks or self.force_exit:
            await super().shutdown(sockets)
            return
        for listener in self.servers:
            listener.close()
        for listener in self.servers:
            await listener.wait_closed()
        await self.lifespan.shutdown()

    async def main_loop(self) -> None:
        """uvicorn's loop (`on_tick` every `_TICK` seconds until it says to exit), which
        wakes up at once when stopped."""
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864_000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), _TICK)


@asynccontextmanager
async def serve(
    app: Any, host: str = "127.0.0.1", port: int | None = None, **uvicorn_options: Any
) -> AsyncIterator[str]:
    """Run ``app`` under uvicorn in this event loop; yields its base URL.

    WebSockets are served as ``sioapp run`` serves them; ``ws="auto"`` (or another
    of uvicorn's ``ws`` settings) serves them through plain ASGI instead.

    On exit a `SioApp` disconnects its clients with ``server shutting
    down`` and uvicorn shuts down cleanly. `RuntimeError` if uvicorn cannot start
    the app (its lifespan startup fails, the port is taken), after it logged why.
    """
    config = uvicorn.Config(
        app,
        host=host,
        port=port or free_port(host),
        log_level=uvicorn_options.pop("log_level", "warning"),
        ws=uvicorn_options.pop("ws", websocket_protocol()),
        ws_per_message_deflate=False,
        proxy_headers=False,  # SioApp(trusted_proxies=...) decides whom to believe
        lifespan="on",
        **uvicorn_options,
    )
    server = _Server(config)
    server.config.install_signal_handlers = False  # type: ignore[attr-defined]
    task = asyncio.create_task(server.serve())
    try:
        up = asyncio.ensure_future(server.up.wait())
        await asyncio.wait((task, up), return_when=asyncio.FIRST_COMPLETED)
        up.cancel()
        if not server.started:
            await task  # raises what stopped it, if anything did
            raise RuntimeError(f"uvicorn could not serve on {host}:{config.port}: see its log")
        yield f"http://{host}:{config.port}"
    finally:
        if isinstance(app, SioApp):
            await app.close()
        server.stop()
        await task


@asynccontextmanager
async def connect(
    url: str,
    *,
    namespace: str = "/",
    auth: Any = None,
    transports: list[str] | None = None,
    socketio_path: str = "socket.io",
    client: socketio.AsyncClient | None = None,
    **client_options: Any,
) -> AsyncIterator[socketio.AsyncClient]:
    """A connected python-socketio ``AsyncClient``, disconnected on exit.

    Pass ``client`` to connect one whose handlers are already registered.
    """
    if client is None:
        client = socketio.AsyncClient(reconnection=False, **client_options)
    await client.connect(
        url,
        namespaces=[namespace],
        auth=auth,
        transports=transports or ["websocket"],
        socketio_path=socketio_path,
        wait_timeout=5,
    )
    try:
        yield client
    finally:
        await client.disconnect()
