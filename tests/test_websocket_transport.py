"""sioapp's WebSocket transport: order under bursts, the writer's life, what a session keeps."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from sioapp import Router, SioApp, Socket
from sioapp._transport import Session
from sioapp.testing import serve

from .conftest import eventually


def build_app(**options: Any) -> tuple[SioApp, list[int]]:
    app = SioApp(**options)
    router = Router()
    notes: list[int] = []

    @router.on("note")
    async def note(n: int) -> None:
        notes.append(n)

    @router.on("echo")
    async def echo(n: int) -> int:
        return n

    @router.on("host")
    async def host(socket: Socket) -> str:
        return socket.handshake.headers["host"]

    app.include_router(router)
    return app, notes


@asynccontextmanager
async def served(app: SioApp) -> AsyncIterator[Callable[[], Any]]:
    """Serve ``app``; yields a function opening a raw WebSocket joined to "/"."""
    async with serve(app) as url:

        @asynccontextmanager
        async def joined() -> AsyncIterator[ClientConnection]:
            ws_url = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
            async with websockets.connect(ws_url, compression=None) as ws:
                assert str(await ws.recv()).startswith("0{")
                await ws.send("40")
                assert str(await ws.recv()).startswith("40{")
                yield ws

        yield joined


async def next_message(ws: ClientConnection) -> str:
    """The next frame that is not a PING (answered)."""
    while True:
        frame = str(await asyncio.wait_for(ws.recv(), 5))
        if frame != "2":
            return frame
        await ws.send("3")


def session_of(app: SioApp) -> Session:
    (session,) = app.server.eio.sessions.values()
    return session


async def test_a_burst_of_frames_is_handled_and_answered_in_order() -> None:
    app, notes = build_app()
    async with served(app) as joined, joined() as ws:
        for n in range(300):  # all written at once, read by the server in a few reads
            await ws.send(f'42["note",{n}]')
            await ws.send(f'42{n}["echo",{n}]')
        acks = [await next_message(ws) for _ in range(300)]
        assert acks == [f"43{n}[{n}]" for n in range(300)]
        assert notes == list(range(300))


async def test_the_writer_wakes_for_each_batch() -> None:
    app, _ = build_app()
    async with served(app) as joined, joined() as ws:
        for n in range(50):
            for _ in range(n % 3 + 1):  # batches of one to three packets
                await app.emit("tick", n)
            await asyncio.sleep(0.002)  # the writer drains the batch and waits for the next
        received = [await next_message(ws) for _ in range(sum(n % 3 + 1 for n in range(50)))]
        ticks = [json.loads(frame[2:])[1] for frame in received]
        assert ticks == [n for n in range(50) for _ in range(n % 3 + 1)]


async def test_an_idle_writer_stops_and_the_next_packet_starts_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sioapp._transport.heartbeat.WRITER_IDLE", 0.05)
    app, _ = build_app()
    async with served(app) as joined, joined() as ws:
        session = session_of(app)
        await eventually(lambda: session.writer is None)
        await app.emit("wake up")
        assert await next_message(ws) == '42["wake up"]'
        await ws.send('425["echo",7]')  # the reader never stopped
        assert await next_message(ws) == "435[7]"


async def test_pings_go_on_while_pongs_come_back() -> None:
    app, _ = build_app(ping_interval=0.05, ping_timeout=0.2)
    async with served(app) as joined, joined() as ws:
        for _ in range(10):
            assert await asyncio.wait_for(ws.recv(), 2) == "2"
            await ws.send("3")
        assert len(app.server.eio.sessions) == 1


async def test_a_closed_connection_leaves_no_task_behind() -> None:
    app, _ = build_app()
    async with served(app) as joined:
        async with joined() as ws:
            await ws.send('421["echo",1]')
            assert await next_message(ws) == "431[1]"
            session = session_of(app)
        engine = app.server.eio
        await eventually(lambda: not engine.sessions and session.reader is None)
        await eventually(lambda: session.writer is None)
        leftovers = [
            task
            for task in asyncio.all_tasks()
            if "Session." in getattr(task.get_coro(), "__qualname__", "")
        ]
        assert leftovers == []


async def test_a_websocket_session_keeps_only_its_asgi_scope() -> None:
    app, _ = build_app()
    async with served(app) as joined, joined() as ws:
        await ws.send('420["host"]')
        assert (await next_message(ws)).startswith('430["127.0.0.1:')
        (scope,) = app.server.environ.values()
        assert scope is session_of(app).scope
        assert scope["query_string"] == b"EIO=4&transport=websocket"


async def test_a_peer_that_stopped_reading_is_dropped_after_a_ping_timeout() -> None:
    app, _ = build_app(ping_interval=0.2, ping_timeout=0.2, max_outgoing_buffer=None)
    async with serve(app) as url:
        host, port = url.removeprefix("http://").split(":")
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect((host, int(port)))
        sock.setblocking(False)
        reader, writer = await asyncio.open_connection(sock=sock)
        writer.write(
            b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
            b"Host: " + host.encode() + b"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        assert b" 101 " in await reader.readline()
        engine = app.server.eio
        await eventually(lambda: len(engine.sessions) == 1)
        (session,) = engine.sessions.values()
        for _ in range(300):  # far more than the TCP buffers hold: the writer blocks
            await engine.send(session.sid, "x" * 10_000)
        # No PONG, and the CLOSE waits behind what cannot be sent: the heartbeat drops it.
        await eventually(lambda: not engine.sessions and session.reader is None, timeout=3)
        writer.close()
