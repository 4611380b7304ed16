"""Engine.IO as Node's engine.io speaks it, checked with raw HTTP and raw WebSocket frames.

One test per behaviour the official engine.io / socket.io protocol suites check
and python-engineio alone gets wrong, plus the hardening around them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from sioapp import DisconnectReason, Router, SioApp, Socket
from sioapp._transport.session import Session
from sioapp.testing import serve

from .conftest import PATIENCE, eventually

PATH = "/socket.io/?EIO=4"


class Served:
    """An app on a real server, the reasons its sockets left with, and an HTTP client."""

    def __init__(self, app: SioApp, url: str, http: httpx.AsyncClient) -> None:
        self.app = app
        self.url = url
        self.http = http
        self.reasons: list[DisconnectReason] = []
        self.left = asyncio.Event()

    async def handshake(self) -> str:
        """Open a long-polling session; its Engine.IO sid."""
        response = await self.http.get(f"{PATH}&transport=polling")
        assert response.status_code == 200 and response.text.startswith("0"), response.text
        return str(json.loads(response.text[1:])["sid"])

    async def poll(self, sid: str) -> httpx.Response:
        return await self.http.get(f"{PATH}&transport=polling&sid={sid}")

    async def post(self, sid: str, body: str | bytes) -> httpx.Response:
        return await self.http.post(f"{PATH}&transport=polling&sid={sid}", content=body)

    async def joined(self) -> str:
        """A long-polling session with a socket in the main namespace."""
        sid = await self.handshake()
        assert (await self.post(sid, "40")).text == "ok"
        assert (await self.poll(sid)).text.startswith("40{")
        return sid

    def websocket(self, sid: str | None = None, **options: Any) -> Any:
        query = f"{PATH}&transport=websocket" + (f"&sid={sid}" if sid else "")
        return websockets.connect(
            self.url.replace("http", "ws", 1) + query, compression=None, **options
        )

    def session(self, sid: str) -> Session:
        """The engine's session ``sid``."""
        return self.app.server.eio.sessions[sid]

    async def reason(self) -> DisconnectReason:
        await asyncio.wait_for(self.left.wait(), 5)
        return self.reasons[-1]


Serve = Callable[..., Awaitable[Served]]


@pytest.fixture
async def serve_app() -> AsyncIterator[Serve]:
    """``served = await serve_app(**options)``: an echo app with these SioApp options."""
    async with AsyncExitStack() as stack:

        async def start(**options: Any) -> Served:
            app = SioApp(**options)
            router = Router()

            @router.on("echo")
            async def echo(value: Any) -> Any:
                return value

            @router.on_disconnect
            async def left(socket: Socket, reason: DisconnectReason) -> None:
                box.reasons.append(reason)
                box.left.set()

            app.include_router(router)
            url = await stack.enter_async_context(serve(app))
            http = await stack.enter_async_context(httpx.AsyncClient(base_url=url))
            box = Served(app, url, http)
            return box

        yield start


@pytest.fixture
async def served(serve_app: Serve) -> Served:
    return await serve_app()


async def recv(ws: ClientConnection, timeout: float = 5.0) -> str | bytes:
    """The next frame that is not a PING (PINGs are answered)."""
    while True:
        frame = await asyncio.wait_for(ws.recv(), timeout)
        if frame != "2":
            return frame
        await ws.send("3")


async def closed(ws: ClientConnection, timeout: float = 5.0) -> int | None:
    """Wait until the server closes ``ws``; the close code."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()
    except websockets.ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd is not None else None


async def upgrade(served: Served, sid: str) -> ClientConnection:
    ws: ClientConnection = await served.websocket(sid)
    await ws.send("2probe")
    assert await recv(ws) == "3probe"
    await ws.send("5")
    return ws


# ---- handshake ---------------------------------------------------------------


async def test_handshake_advertises_sub_second_ping_settings_in_ms(serve_app: Serve) -> None:
    served = await serve_app(ping_interval=0.3, ping_timeout=0.2)
    response = await served.http.get(f"{PATH}&transport=polling")
    assert json.loads(response.text[1:])["pingInterval"] == 300
    assert json.loads(response.text[1:])["pingTimeout"] == 200
    async with served.websocket() as ws:
        opening = json.loads(str(await ws.recv())[1:])
    assert (opening["pingInterval"], opening["pingTimeout"], opening["upgrades"]) == (300, 200, [])


async def test_handshake_pinginterval_includes_the_grace_period(serve_app: Serve) -> None:
    served = await serve_app(ping_interval=(0.25, 0.125))
    response = await served.http.get(f"{PATH}&transport=polling")
    assert json.loads(response.text[1:])["pingInterval"] == 375


async def test_missing_transport_is_a_bad_request(served: Served) -> None:
    assert (await served.http.get(PATH)).status_code == 400
    assert (await served.http.get(f"{PATH}&transport=abc")).status_code == 400
    url = served.url.replace("http", "ws", 1)
    for query in (PATH, f"{PATH}&transport=polling"):
        with pytest.raises(websockets.InvalidStatus):
            async with websockets.connect(url + query):
                pass


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
async def test_other_methods_are_bad_requests(served: Served, method: str) -> None:
    response = await served.http.request(method, f"{PATH}&transport=polling")
    assert response.status_code == 400
    sid = await served.handshake()
    response = await served.http.request(method, f"{PATH}&transport=polling&sid={sid}")
    assert response.status_code == 400
    assert (await served.post(sid, "40")).status_code == 200  # the session is unharmed


# ---- long-polling ------------------------------------------------------------


async def test_post_is_answered_ok(served: Served) -> None:
    sid = await served.joined()
    response = await served.post(sid, '42["echo",1]\x1e42["echo",2]')
    assert (response.status_code, response.text) == (200, "ok")


async def test_post_takes_more_packets_than_python_engineio_decodes(served: Served) -> None:
    sid = await served.joined()
    response = await served.post(sid, "\x1e".join(f'42{i}["echo",{i}]' for i in range(40)))
    assert (response.status_code, response.text) == (200, "ok")
    acks: list[str] = []
    while len(acks) < 40:
        acks += (await served.poll(sid)).text.split("\x1e")
    assert set(acks) == {f"43{i}[{i}]" for i in range(40)}


@pytest.mark.parametrize(
    "body",
    [
        "abc",
        "",
        '42["echo",1]\x1e9nine',
        "bnot base64!",
        "b4\u00e9",
        "4" + "[" * 50_000,
        b"4\xff\xfe",
    ],
    ids=[
        "garbage",
        "empty",
        "unknown-type",
        "bad-base64",
        "non-ascii-base64",
        "deep-json",
        "invalid-utf8",
    ],
)
async def test_invalid_packet_in_post_closes_the_session(
    served: Served, body: str | bytes, caplog: pytest.LogCaptureFixture
) -> None:
    sid = await served.joined()
    response = await served.post(sid, body)
    assert response.status_code == 400
    assert (await served.poll(sid)).status_code == 400
    assert await served.reason() == DisconnectReason.PARSE_ERROR
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]


async def test_oversized_post_is_refused_and_closes_the_session(serve_app: Serve) -> None:
    served = await serve_app(max_http_buffer_size=1000)
    sid = await served.joined()
    response = await served.post(sid, '42["echo","' + "x" * 2000 + '"]')
    assert response.status_code == 413
    assert (await served.poll(sid)).status_code == 400
    assert await served.reason() == DisconnectReason.TRANSPORT_ERROR


async def test_overlapping_posts_close_the_session(served: Served) -> None:
    sid = await served.joined()
    host, port = served.url.removeprefix("http://").split(":")
    _, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"POST {PATH}&transport=polling&sid={sid} HTTP/1.1\r\nHost: {host}\r\n"
        "Content-Length: 20\r\n\r\n42[".encode()
    )  # a body still on its way
    await writer.drain()
    session = served.session(sid)
    await eventually(lambda: session.posting)
    assert (await served.post(sid, '42["echo",1]')).status_code == 400
    assert await served.reason() == DisconnectReason.TRANSPORT_ERROR
    writer.close()
    await writer.wait_closed()


async def test_overlapping_polls_close_the_session(served: Served) -> None:
    sid = await served.joined()
    first = asyncio.create_task(served.poll(sid))
    session = served.session(sid)
    await eventually(lambda: session.polling)
    second = await served.poll(sid)
    assert second.status_code == 400
    response = await first
    assert (response.status_code, response.text) == (200, "1")  # CLOSE
    assert (await served.poll(sid)).status_code == 400
    assert await served.reason() == DisconnectReason.TRANSPORT_ERROR


async def test_unanswered_ping_closes_a_polling_session_on_time(serve_app: Serve) -> None:
    served = await serve_app(ping_interval=0.2, ping_timeout=0.2)
    started = asyncio.get_running_loop().time()
    sid = await served.joined()
    # no GET picks the PING up, so no PONG: closed once the PING has gone unanswered
    assert await served.reason() == DisconnectReason.PING_TIMEOUT
    assert asyncio.get_running_loop().time() - started >= 0.2 + 0.2
    assert (await served.poll(sid)).status_code == 400


async def test_close_packet_answers_the_pending_poll_with_noop(served: Served) -> None:
    sid = await served.joined()
    pending = asyncio.create_task(served.poll(sid))
    session = served.session(sid)
    await eventually(lambda: session.polling)
    assert (await served.post(sid, "1")).text == "ok"
    response = await asyncio.wait_for(pending, PATIENCE)  # not after a 25 s ping interval
    assert (response.status_code, response.text) == (200, "6")
    assert (await served.poll(sid)).status_code == 400
    assert await served.reason() == DisconnectReason.TRANSPORT_CLOSE


# ---- upgrade -----------------------------------------------------------------


async def test_upgrade_sends_no_stray_noop_on_the_websocket(served: Served) -> None:
    sid = await served.joined()
    ws = await served.websocket(sid)
    await ws.send("2probe")
    assert await recv(ws) == "3probe"
    response = await served.poll(sid)  # a poll during the upgrade ends at once
    assert (response.status_code, response.text) == (200, "6")
    await ws.send("5")
    await ws.send('421["echo","after upgrade"]')
    assert await recv(ws) == '431["after upgrade"]'  # first frame: no NOOP before it
    await ws.close()


async def test_http_requests_after_upgrade_are_refused(served: Served) -> None:
    sid = await served.joined()
    ws = await upgrade(served, sid)
    await ws.send('421["echo",1]')
    assert await recv(ws) == "431[1]"
    assert (await served.poll(sid)).status_code == 400
    assert (await served.post(sid, '42["echo",2]')).status_code == 400
    await ws.send('422["echo",3]')
    assert await recv(ws) == "432[3]"
    await ws.close()


async def test_a_poll_sent_after_the_upgrade_packet_is_refused(served: Served) -> None:
    """As the official suite's "should ignore HTTP requests with same sid after upgrade":
    the probe and the UPGRADE packet go back to back, without waiting for ``3probe``."""
    for _ in range(10):
        sid = await served.joined()
        ws = await served.websocket(sid)
        await ws.send("2probe")
        await ws.send("5")
        assert (await served.poll(sid)).status_code == 400
        assert await recv(ws) == "3probe"
        await ws.send('421["echo","upgraded"]')
        assert await recv(ws) == '431["upgraded"]'
        await ws.close()


@pytest.mark.parametrize("stage", ["upgrading", "upgraded"])
async def test_second_websocket_for_a_session_is_closed(served: Served, stage: str) -> None:
    sid = await served.joined()
    ws = await served.websocket(sid)
    await ws.send("2probe")
    assert await recv(ws) == "3probe"
    if stage == "upgraded":
        await ws.send("5")
    async with served.websocket(sid) as duplicate:  # accepted, then closed
        assert await closed(duplicate) == 1000
    if stage == "upgrading":
        await ws.send("5")
    await ws.send('421["echo","first one"]')
    assert await recv(ws) == '431["first one"]'
    await ws.close()


async def test_failed_upgrade_leaves_the_session_polling(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    sid = await served.joined()
    with caplog.at_level(logging.INFO, logger="sioapp"):
        async with served.websocket(sid):
            pass  # gone before its probe
        await eventually(lambda: "failed WebSocket upgrade, no PING probe" in caplog.text)
    assert (await served.post(sid, '421["echo","still polling"]')).text == "ok"
    assert (await served.poll(sid)).text == '431["still polling"]'
    ws = await upgrade(served, sid)  # and a later upgrade works
    await ws.send('422["echo",2]')
    assert await recv(ws) == "432[2]"
    await ws.close()


# ---- WebSocket frames ----------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    ["abc", "", "9", "4" + "[" * 50_000],
    ids=["garbage", "empty", "unknown-type", "deep-json"],
)
async def test_invalid_websocket_frame_closes_with_parse_error(
    served: Served, frame: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with served.websocket() as ws:
        await ws.recv()
        await ws.send("40")
        assert str(await recv(ws)).startswith("40{")
        await ws.send(frame)
        assert await closed(ws) == 1000
    assert await served.reason() == DisconnectReason.PARSE_ERROR
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]


async def test_invalid_frame_during_upgrade_drops_only_the_websocket(served: Served) -> None:
    sid = await served.joined()
    async with served.websocket(sid) as ws:
        await ws.send("abc")
        await closed(ws)
    assert (await served.post(sid, '421["echo",1]')).text == "ok"
    assert (await served.poll(sid)).text == "431[1]"
    assert served.reasons == []


async def test_oversized_websocket_frame_closes_with_transport_error(serve_app: Serve) -> None:
    served = await serve_app(max_http_buffer_size=1000)
    async with served.websocket(max_size=None) as ws:
        await ws.recv()
        await ws.send("40")
        await recv(ws)
        await ws.send('42["echo","' + "x" * 2000 + '"]')
        await closed(ws)
    assert await served.reason() == DisconnectReason.TRANSPORT_ERROR


async def test_unanswered_ping_closes_the_websocket_itself(serve_app: Serve) -> None:
    served = await serve_app(ping_interval=0.2, ping_timeout=0.2)
    async with served.websocket() as ws:
        await ws.recv()
        await ws.send("40")
        await ws.recv()
        assert await ws.recv() == "2"  # not answered
        assert await closed(ws, timeout=PATIENCE) is not None  # by the server, once timed out
    assert await served.reason() == DisconnectReason.PING_TIMEOUT


@pytest.mark.parametrize("joined", [False, True], ids=["engine only", "with a socket"])
async def test_close_packet_on_a_websocket_closes_it(served: Served, joined: bool) -> None:
    async with served.websocket() as ws:
        await ws.recv()  # the handshake
        if joined:
            await ws.send("40")
            assert str(await recv(ws)).startswith("40{")
        await ws.send("1")
        assert await closed(ws, timeout=2) is not None
    if joined:
        assert await served.reason() == DisconnectReason.TRANSPORT_CLOSE  # as in Node
    assert not served.app.server.eio.sessions
