"""The Engine.IO endpoint judges every request the same way and holds nothing forever."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest

from sioapp import DisconnectReason, Router, SioApp, Socket
from sioapp.testing import serve

from .conftest import eventually

PATH = "/socket.io/?EIO=4&transport=polling"


class Journal:
    def __init__(self) -> None:
        self.connected: list[str] = []
        self.reasons: list[DisconnectReason] = []
        self.left = asyncio.Event()


def build_app(**options: Any) -> tuple[SioApp, Journal]:
    app = SioApp(**options)
    router = Router()
    journal = Journal()

    @router.on_connect
    async def connected(socket: Socket) -> None:
        journal.connected.append(socket.id)

    @router.on_disconnect
    async def left(socket: Socket, reason: DisconnectReason) -> None:
        journal.reasons.append(reason)
        journal.left.set()

    app.include_router(router)
    return app, journal


@pytest.fixture
async def http() -> AsyncIterator[Any]:
    """``client = await http(app)``: serve ``app``; an HTTP client for it."""
    async with AsyncExitStack() as stack:

        async def start(app: SioApp) -> httpx.AsyncClient:
            url = await stack.enter_async_context(serve(app))
            return await stack.enter_async_context(httpx.AsyncClient(base_url=url))

        yield start


async def websocket_status(client: httpx.AsyncClient, host: str) -> int:
    """The status of a WebSocket handshake sent with ``Host: host``."""
    address, port = str(client.base_url).removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(address, int(port))
    writer.write(
        f"GET {PATH.replace('polling', 'websocket')} HTTP/1.1\r\nHost: {host}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    status = int((await reader.readline()).split()[1])
    writer.close()
    return status


async def handshake(http: httpx.AsyncClient) -> str:
    return str(json.loads((await http.get(PATH)).text[1:])["sid"])


async def test_a_post_from_a_foreign_origin_is_refused(http: Any) -> None:
    app, journal = build_app()
    client = await http(app)
    sid = await handshake(client)
    foreign = {"Origin": "http://elsewhere.test"}
    refused = await client.post(f"{PATH}&sid={sid}", content="40", headers=foreign)
    assert (refused.status_code, refused.json()) == (403, {"code": 4, "message": "Forbidden"})
    assert "elsewhere" not in refused.text and sid not in refused.text
    options = await client.options(f"{PATH}&sid={sid}", headers=foreign)
    assert options.status_code == 403
    assert journal.connected == []  # the CONNECT was never read
    assert (await client.post(f"{PATH}&sid={sid}", content="40")).text == "ok"


async def test_errors_name_no_session_and_no_origin(http: Any) -> None:
    client = await http(build_app()[0])
    unknown = await client.get(f"{PATH}&sid=not-a-session-id")
    assert (unknown.status_code, unknown.json()) == (
        400,
        {"code": 1, "message": "Session ID unknown"},
    )
    old = await client.get("/socket.io/?EIO=3&transport=polling")
    assert old.json() == {"code": 5, "message": "Unsupported protocol version"}
    assert (await client.get("/socket.io/?EIO=4&transport=carrier-pigeon")).json()["code"] == 0
    assert (await client.post(PATH, content="40")).json()["code"] == 2  # a handshake is a GET
    assert (await client.get(PATH + "&j=0")).status_code == 400  # JSONP is not served


@pytest.mark.parametrize("allowed", [None, ["http://chat.example.test"]])
async def test_a_loopback_server_answers_only_to_loopback_names(
    http: Any, allowed: list[str] | None
) -> None:
    """A page of a name that now resolves to 127.0.0.1 (DNS rebinding) makes same-origin
    requests: no Origin, or an Origin matching its own Host."""
    client = await http(build_app(cors_allowed_origins=allowed)[0])
    rebound = {"Host": "evil.test:8000"}
    assert (await client.get(PATH, headers=rebound)).status_code == 403
    same_origin = {"Host": "evil.test:8000", "Origin": "http://evil.test:8000"}
    assert (await client.get(PATH, headers=same_origin)).status_code == 403
    assert await websocket_status(client, "evil.test:8000") == 403
    assert await websocket_status(client, "localhost") == 101
    for host in ("localhost:8000", "127.0.0.1:8000", "[::1]:8000", "chat.localhost"):
        assert (await client.get(PATH, headers={"Host": host})).status_code == 200, host
    if allowed:  # the host of an accepted origin is a name the server answers to
        listed = {"Host": "chat.example.test", "Origin": "http://chat.example.test"}
        assert (await client.get(PATH, headers=listed)).status_code == 200


async def test_every_origin_means_every_host(http: Any) -> None:
    client = await http(build_app(cors_allowed_origins="*")[0])
    response = await client.get(PATH, headers={"Host": "evil.test", "Origin": "http://x.test"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://x.test"


async def test_a_trusted_proxy_may_forward_any_host(http: Any) -> None:
    client = await http(build_app(trusted_proxies=["127.0.0.1"])[0])
    forwarded = {
        "Host": "chat.example.test",
        "Origin": "https://chat.example.test",
        "X-Forwarded-Proto": "https",
    }
    assert (await client.get(PATH, headers=forwarded)).status_code == 200


async def test_a_stalled_post_ends_with_its_session(http: Any) -> None:
    app, _ = build_app(ping_interval=0.2, ping_timeout=0.2)
    client = await http(app)
    sid = await handshake(client)
    host, port = str(client.base_url).removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"POST {PATH}&sid={sid} HTTP/1.1\r\nHost: {host}\r\n"
        "Content-Length: 900000\r\n\r\n4".encode()
    )  # announces 900 KB, sends one byte, then nothing
    await writer.drain()
    async with asyncio.timeout(5):  # the session's ping timeout ends it, and the POST
        status = await reader.readline()
    assert b" 400 " in status
    assert (await client.get(f"{PATH}&sid={sid}")).status_code == 400
    writer.close()


async def test_a_poll_whose_client_leaves_closes_the_session(http: Any) -> None:
    app, journal = build_app()
    client = await http(app)
    sid = await handshake(client)
    await client.post(f"{PATH}&sid={sid}", content="40")
    assert (await client.get(f"{PATH}&sid={sid}")).text.startswith("40")
    host, port = str(client.base_url).removeprefix("http://").split(":")
    _, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"GET {PATH}&sid={sid} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    await writer.drain()
    await eventually(lambda: app.server.eio.sessions[sid].polling)
    writer.close()
    await asyncio.wait_for(journal.left.wait(), 5)
    assert journal.reasons == [DisconnectReason.TRANSPORT_ERROR]
    assert (await client.get(f"{PATH}&sid={sid}")).status_code == 400
