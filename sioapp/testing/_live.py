"""Serving an app for real: uvicorn on a free port, and real python-socketio clients."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import socketio
import uvicorn

from sioapp._app.app import SioApp

__all__ = ["connect", "free_port", "serve"]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def serve(
    app: Any, host: str = "127.0.0.1", port: int | None = None, **uvicorn_options: Any
) -> AsyncIterator[str]:
    """Run ``app`` under uvicorn in this event loop; yields its base URL.

    On exit a `SioApp` disconnects its clients with ``server shutting
    down`` and uvicorn shuts down cleanly.
    """
    config = uvicorn.Config(
        app,
        host=host,
        port=port or free_port(host),
        log_level=uvicorn_options.pop("log_level", "warning"),
        ws_per_message_deflate=False,
        proxy_headers=False,  # SioApp(trusted_proxies=...) decides whom to believe
        lifespan="on",
        **uvicorn_options,
    )
    server = uvicorn.Server(config)
    server.config.install_signal_handlers = False  # type: ignore[attr-defined]
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.01)
        yield f"http://{host}:{config.port}"
    finally:
        if isinstance(app, SioApp):
            await app.close()
        server.should_exit = True
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
