"""Protocol conformance and hostile input: what Node's server refuses, sioapp refuses too.

Every bad frame closes only the connection that sent it; a well-behaved client
connected throughout keeps being served.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from sioapp import DisconnectReason, Router, SioApp, Socket

from .conftest import Connect
from .raw import RawClient


def build_app(**options: Any) -> tuple[SioApp, list[DisconnectReason], list[str]]:
    app = SioApp(**options)
    router = Router()
    reasons: list[DisconnectReason] = []
    handled: list[str] = []

    @router.on("echo")
    async def echo(value: Any) -> Any:
        handled.append("echo")
        return value

    @router.on_disconnect
    async def left(socket: Socket, reason: DisconnectReason) -> None:
        reasons.append(reason)

    app.include_router(router)
    return app, reasons, handled


async def test_unknown_namespace_gets_invalid_namespace(served: Any) -> None:
    app, _, _ = build_app()
    raw = await RawClient.open(await served(app))
    await raw.send("40/nowhere,")
    assert await raw.recv() == '44/nowhere,{"message":"Invalid namespace"}'
    await raw.connect()  # the connection itself stays usable
    await raw.close()


@pytest.mark.parametrize(
    "frame",
    [
        "4abc",  # unknown packet type
        "48",  # packet type out of range
        "42{}",  # event payload is not an array
        "42[]",  # no event name
        '42[1,"x"]',  # event name is not a string
        '42abc["echo"]',  # garbage before the payload
        '42["echo"',  # truncated JSON
        '43["x"]',  # ack without an id
        "42" + "9" * 120 + '["echo"]',  # absurd ack id
        '42["connect"]',  # reserved names are refused, as by Node's parser
        '42["disconnecting"]',
        '42["newListener","x"]',
        "44{}",  # clients never send CONNECT_ERROR
        "41{}",  # DISCONNECT carries nothing
        '451-["echo",{"_placeholder":true,"num":3}]',  # attachment index out of range
        b"\x00\x01binary frame with no binary packet pending",
    ],
)
async def test_malformed_packets_close_only_that_connection(
    served: Any, client: Connect, frame: str | bytes
) -> None:
    app, reasons, handled = build_app()
    url = await served(app)
    bystander = await client(url)
    raw = await RawClient.open(url)
    await raw.connect()
    await raw.send(frame)
    if frame.startswith(b"45" if isinstance(frame, bytes) else "45"):
        await raw.send(b"\x01")  # the one attachment the packet announced
    assert await raw.closed()
    assert reasons == [DisconnectReason.PARSE_ERROR]
    assert handled == []
    assert await bystander.call("echo", "still served") == "still served"


async def test_reserved_event_from_client_triggers_no_handler(served: Any) -> None:
    app, reasons, _ = build_app()
    raw = await RawClient.open(await served(app))
    await raw.connect()
    await raw.send('42["disconnect","spoofed reason"]')
    assert await raw.closed()
    assert reasons == [DisconnectReason.PARSE_ERROR]  # not "spoofed reason"


@pytest.mark.parametrize(
    "frame",
    ["40{bad json", "40[1,2]", '40"token"', "40123"],
)
async def test_malformed_connect_payload_is_a_parse_error(
    served: Any, client: Connect, frame: str
) -> None:
    app, _, _ = build_app()
    url = await served(app)
    bystander = await client(url)
    raw = await RawClient.open(url)
    await raw.send(frame)
    assert await raw.closed()
    assert await bystander.call("echo", 1) == 1


async def test_odd_query_strings_still_connect(served: Any) -> None:
    app, _, _ = build_app()
    url = await served(app)
    raw = await RawClient.open(url, query="a=%zz&b=%ff%fe&c&=x&d=" + "y" * 2000)
    await raw.connect()
    await raw.send('421["echo","ok"]')
    assert await raw.recv() == '431["ok"]'
    await raw.close()


async def test_huge_auth_payload_drops_that_client_only(served: Any, client: Connect) -> None:
    app, _, _ = build_app(max_http_buffer_size=10_000)
    url = await served(app)
    bystander = await client(url)
    raw = await RawClient.open(url)
    await raw.send("40" + json.dumps({"token": "x" * 50_000}))
    assert await raw.closed()
    assert await bystander.call("echo", "fine") == "fine"


async def test_connection_without_connect_is_closed_after_connect_timeout(served: Any) -> None:
    app, _, _ = build_app(connect_timeout=0.3)
    url = await served(app)
    raw = await RawClient.open(url)
    started = time.monotonic()
    assert await raw.closed(timeout=5)
    assert time.monotonic() - started > 0.25  # not before connect_timeout
    connected = await RawClient.open(url)
    await connected.connect()
    assert not await connected.closed(timeout=0.6)  # CONNECT in time: not closed
    await connected.close()
