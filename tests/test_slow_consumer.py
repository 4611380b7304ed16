"""A client that stops reading is disconnected once too much waits for it; the others are served."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

from sioapp import DisconnectReason, Router, SioApp, Socket
from sioapp.testing import serve

from .conftest import eventually

MESSAGE = "x" * 1000


def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 1e6


def build_app(**options: Any) -> tuple[SioApp, list[DisconnectReason]]:
    app = SioApp(**options)
    router = Router()
    reasons: list[DisconnectReason] = []

    @router.on_disconnect
    async def left(socket: Socket, reason: DisconnectReason) -> None:
        reasons.append(reason)

    app.include_router(router)
    return app, reasons


async def join(ws: ClientConnection) -> None:
    assert str(await ws.recv()).startswith("0")
    await ws.send("40")
    assert str(await ws.recv()).startswith("40")


@asynccontextmanager
async def stalled_client(url: str) -> AsyncIterator[ClientConnection]:
    """A WebSocket client that joins, then reads nothing: tiny TCP window, one-frame queue."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    sock.setblocking(False)
    ws_url = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
    async with websockets.connect(
        ws_url, sock=sock, compression=None, max_size=None, max_queue=1, close_timeout=0.1
    ) as ws:
        await join(ws)
        yield ws


class Reader:
    """A healthy WebSocket client: counts the ``news`` events, checking their order."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.count = 0
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            frame = await self.ws.recv()
            if frame == "2":
                await self.ws.send("3")
            elif isinstance(frame, str) and frame.startswith('42["news"'):
                assert json.loads(frame[2:])[1] == self.count
                self.count += 1


async def flood(app: SioApp, reader: Reader, total: int, watched: Any) -> int:
    """Broadcast ``total`` messages at the pace ``reader`` keeps (at most 50 ahead); the
    peak pending bytes of the ``watched`` queue."""
    peak = 0
    for seq in range(total):
        while seq - reader.count > 50:
            await asyncio.sleep(0.001)
        await app.emit("news", seq, MESSAGE)
        peak = max(peak, watched.pending)
    return peak


async def test_stalled_websocket_is_dropped_and_memory_stays_bounded() -> None:
    app, reasons = build_app(max_outgoing_buffer=1_000_000)
    async with serve(app) as url:
        ws_url = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        async with websockets.connect(ws_url, compression=None) as healthy:
            await join(healthy)
            reader = Reader(healthy)
            async with stalled_client(url):
                engine = app.server.eio
                stalled = list(engine.sessions.values())[-1]  # the last to connect
                before = resident_mb()
                peak = await flood(app, reader, 20_000, stalled.queue)  # 20 MB to each client
                grown = resident_mb() - before
                await eventually(lambda: reader.count == 20_000, timeout=10)
                assert reasons == [DisconnectReason.TRANSPORT_ERROR]
                assert peak <= 1_000_000
                assert grown < 16, f"resident memory grew {grown:.1f} MB"
                assert stalled.closed and len(engine.sessions) == 1  # the healthy one is left
                await eventually(lambda: stalled.reader is None)  # WebSocket dropped
            assert reader.count == 20_000
            reader.task.cancel()


async def test_without_a_limit_the_stalled_client_piles_up() -> None:
    app, reasons = build_app(max_outgoing_buffer=None)
    async with serve(app) as url:
        ws_url = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        async with websockets.connect(ws_url, compression=None) as healthy:
            await join(healthy)
            reader = Reader(healthy)
            async with stalled_client(url):
                stalled = list(app.server.eio.sessions.values())[-1]  # the last to connect
                peak = await flood(app, reader, 10_000, stalled.queue)
                assert peak > 5_000_000 and reasons == []
            reader.task.cancel()


async def test_stalled_long_polling_client_is_dropped() -> None:
    app, reasons = build_app(max_outgoing_buffer=200_000)
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as http:
        path = "/socket.io/?EIO=4&transport=polling"
        sid = json.loads((await http.get(path)).text[1:])["sid"]
        await http.post(f"{path}&sid={sid}", content="40")
        assert (await http.get(f"{path}&sid={sid}")).text.startswith("40")
        ws_url = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        async with websockets.connect(ws_url, compression=None) as healthy:
            await join(healthy)
            reader = Reader(healthy)
            stalled = app.server.eio.sessions[sid]
            peak = await flood(app, reader, 1000, stalled.queue)  # the poller never comes back
            await eventually(lambda: reader.count == 1000, timeout=10)
            assert peak <= 200_000
            assert reasons == [DisconnectReason.TRANSPORT_ERROR]
            assert (await http.get(f"{path}&sid={sid}")).status_code == 400
            reader.task.cancel()
