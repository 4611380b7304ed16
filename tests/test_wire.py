"""The WebSocket wire of ``sioapp run``: the engine reads and writes WebSockets directly.

Every real-server test runs on the wire already (`sioapp.testing.serve` serves as
``sioapp run`` does); these pin what only the wire does: frames of every length
class, several frames in one write, reading paused and resumed under a flood,
the fall back to plain ASGI when uvicorn changes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Generator
from importlib.metadata import version
from typing import Any, cast

import pytest
import websockets
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode

from sioapp import Router, SioApp, Socket
from sioapp._transport import uvicorn_wire
from sioapp._transport.uvicorn_wire import WireProtocol, seam_problems, websocket_protocol
from sioapp._transport.wire import websocket_frames
from sioapp.testing import connect, serve

from .conftest import eventually

INSTALLED = f"uvicorn {version('uvicorn')}"


def build() -> SioApp:
    app = SioApp(max_http_buffer_size=200_000)
    router = Router()

    @router.on("echo")
    async def echo(value: Any) -> Any:
        return value

    @router.on("burst")
    async def burst(count: int, socket: Socket) -> None:
        for seq in range(count):
            await socket.emit("seq", seq)

    app.include_router(router)
    return app


def test_the_uvicorn_seam_holds() -> None:
    assert seam_problems() == [], f"{INSTALLED}: see sioapp/_transport/uvicorn_wire.py"
    assert websocket_protocol() is WireProtocol


def test_a_uvicorn_that_changed_gets_plain_asgi(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(uvicorn_wire._SEAM_METHODS, "handle_text", ["self", "frame"])
    assert seam_problems() == [
        "WebSocketsSansIOProtocol.handle_text('self', 'event') takes other arguments"
    ]
    with caplog.at_level(logging.WARNING, "sioapp"):
        assert websocket_protocol.__wrapped__() == "auto"
    assert "serving WebSockets through plain ASGI" in caplog.text


def test_a_name_uvicorn_takes_for_itself_is_a_seam_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(WebSocketsSansIOProtocol, "ready", True, raising=False)
    assert seam_problems() == ["WebSocketsSansIOProtocol now has a member ready of its own"]


def _parse(data: bytes) -> Frame:
    """The one whole frame ``data`` holds, read by websockets' own parser."""
    offset = 0

    def read_exact(size: int) -> Generator[None, None, bytes]:
        nonlocal offset
        chunk, offset = data[offset : offset + size], offset + size
        return chunk
        yield  # a generator, as websockets' parser wants

    parser = Frame.parse(read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        assert offset == len(data), "bytes after the frame"
        return cast(Frame, done.value)
    raise AssertionError("the frame is incomplete")


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 70_000])
def test_frames_have_the_length_encoding_of_their_size(size: int) -> None:
    for message, opcode in (("x" * size, Opcode.TEXT), (b"\x01" * size, Opcode.BINARY)):
        data = websocket_frames([message])
        frame = _parse(data)
        assert (frame.opcode, frame.fin, len(frame.data)) == (opcode, True, size)


async def test_sessions_use_the_wire_and_plain_asgi_when_asked() -> None:
    app = build()
    for ws, wired in ((None, True), ("websockets-sansio", False)):
        options = {} if ws is None else {"ws": ws}
        async with serve(app, **options) as url, connect(url) as client:
            assert await client.call("echo", "hi") == "hi"
            (session,) = app.server.eio.sessions.values()
            assert (session.wire is not None) is wired


async def test_messages_of_every_size_cross_the_wire_both_ways() -> None:
    app = build()
    async with serve(app) as url, connect(url) as client:
        for size in (1, 125, 126, 65_535, 65_536, 150_000):
            text = ("é" * 5000 + "x" * size)[:size]  # é: 2 bytes out, 6 characters in
            assert await client.call("echo", text) == text
            blob = bytes(range(256)) * (size // 256) + b"\x00" * (size % 256)
            assert await client.call("echo", blob) == blob


async def test_a_flood_pauses_reading_and_loses_nothing() -> None:
    """Far more than the wire buffers before it pauses reading: every message arrives,
    in order, and the connection stays up."""
    app = build()
    async with serve(app) as url, connect(url) as client:
        payload = "x" * 4000
        count = 3 * uvicorn_wire.PAUSE_READING_AT // len(payload)
        acks = await asyncio.gather(
            *(client.call("echo", [seq, payload], timeout=20) for seq in range(count))
        )
        assert [seq for seq, _ in acks] == list(range(count))
        assert await client.call("echo", "still up") == "still up"


async def test_what_a_handler_emits_arrives_whole_and_in_order() -> None:
    app = build()
    received: list[int] = []
    done = asyncio.Event()
    count = 5000

    async with serve(app) as url, connect(url) as client:

        @client.on("seq")  # type: ignore[misc]
        def seq(value: int) -> None:
            received.append(value)
            if value == count - 1:
                done.set()

        await client.emit("burst", count)
        await asyncio.wait_for(done.wait(), 20)
    assert received == list(range(count))


async def test_a_closed_session_whose_client_reads_nothing_is_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The server closes a session while its client has stopped reading: what waits is
    not all handed to the socket, END never goes out, and the WebSocket is dropped after
    ``ping_timeout``."""
    app = SioApp(ping_timeout=0.3, max_outgoing_buffer=None)
    router = Router()
    backlog: list[int] = []

    @router.on("flood then leave")
    async def flood(socket: Socket) -> None:
        for _ in range(100):
            await socket.emit("blob", b"\x00" * 256_000)
        backlog.append(app.server.eio.sessions[socket.eio_sid].queue.pending)
        await socket.disconnect(close=True)

    app.include_router(router)
    async with serve(app) as url:
        ws_url = url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
        # max_queue=1: the client stops reading once one message waits to be read
        async with websockets.connect(ws_url, max_size=None, max_queue=1) as raw:
            await raw.recv()  # OPEN
            await raw.send("40")
            await raw.recv()  # CONNECT
            with caplog.at_level(logging.INFO, "sioapp"):
                await raw.send('42["flood then leave"]')
                await eventually(lambda: "the client read nothing more" in caplog.text)
            with pytest.raises(websockets.ConnectionClosed):
                while True:  # what the kernel held, then the end of the connection
                    await raw.recv()
    assert backlog[0] > 10_000_000  # most of the 25 MB waited in the queue, not the socket
