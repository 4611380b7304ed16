"""Attacks from hostile clients get bounded outcomes: memory, time, and what is sent back."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from sioapp import DisconnectReason, Router, SioApp, Socket, SocketDisconnected

from .conftest import Connect
from .raw import RawClient


class Outcomes(list[Any]):
    """What the app's ``emit_with_ack`` calls ended with; `wait` for ``count`` of them."""

    def __init__(self) -> None:
        super().__init__()
        self._grew = asyncio.Event()

    def append(self, outcome: Any) -> None:
        super().append(outcome)
        self._grew.set()

    async def wait(self, count: int) -> None:
        while len(self) < count:
            self._grew.clear()
            await self._grew.wait()


def build_app(**options: Any) -> tuple[SioApp, list[DisconnectReason], Outcomes]:
    app = SioApp(**options)
    router = Router()
    reasons: list[DisconnectReason] = []
    outcomes = Outcomes()

    @router.on("echo")
    async def echo(*args: Any) -> tuple[Any, ...]:
        return args

    @router.on("ask back")
    async def ask_back(socket: Socket) -> None:
        try:
            outcomes.append(await socket.emit_with_ack("question", timeout=30))
        except SocketDisconnected as exc:
            outcomes.append(exc)

    @router.on_disconnect
    async def gone(socket: Socket, reason: DisconnectReason) -> None:
        reasons.append(reason)
        if socket.data.get("ask after leaving"):
            try:
                await socket.emit_with_ack("question", timeout=30)
            except SocketDisconnected as exc:
                outcomes.append(exc)

    @router.on("ask after leaving")
    async def ask_after_leaving(socket: Socket) -> None:
        socket.data["ask after leaving"] = True

    app.include_router(router)
    return app, reasons, outcomes


async def test_binary_packet_before_connect_is_refused(served: Any, client: Connect) -> None:
    app, _, _ = build_app()
    url = await served(app)
    bystander = await client(url)
    raw = await RawClient.open(url)
    await raw.send('4599999999-/nonexistent,["x",{"_placeholder":true,"num":0}]')
    assert await raw.closed(), "an absurd attachment count closes the connection"
    raw = await RawClient.open(url)
    await raw.send('451-/nonexistent,["x",{"_placeholder":true,"num":0}]')
    assert await raw.closed(), "attachments for a namespace not joined close the connection"
    assert await bystander.call("echo", 1) == 1


async def test_too_many_attachments_is_a_parse_error(served: Any) -> None:
    app, reasons, _ = build_app()
    raw = await RawClient.open(await served(app))
    await raw.connect()
    placeholders = [{"_placeholder": True, "num": index} for index in range(101)]
    await raw.send("45101-" + json.dumps(["echo", *placeholders]))
    assert await raw.closed()
    assert reasons == [DisconnectReason.PARSE_ERROR]


async def test_attachments_are_bounded_in_total(served: Any, client: Connect) -> None:
    app, reasons, _ = build_app(max_http_buffer_size=1_000)
    url = await served(app)
    raw = await RawClient.open(url)
    await raw.connect()
    placeholders = [{"_placeholder": True, "num": index} for index in range(3)]
    await raw.send("453-" + json.dumps(["echo", *placeholders]))
    await raw.send(b"\x00" * 600)
    await raw.send(b"\x00" * 600)  # 1,200 bytes for one packet: over the 1,000 allowed
    assert await raw.closed()
    assert reasons == [DisconnectReason.PARSE_ERROR]
    within = await client(url)
    assert await within.call("echo", (b"\x01" * 400, b"\x02" * 400)) == (
        b"\x01" * 400,
        b"\x02" * 400,
    )


async def test_unknown_event_names_are_not_echoed(
    served: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app, _, _ = build_app()
    raw = await RawClient.open(await served(app))
    await raw.connect()
    name = "x" * 900_000
    with caplog.at_level(logging.DEBUG, logger="sioapp"):
        await raw.send("421" + json.dumps([name]))
        reply = await raw.recv()
        await raw.send("42" + json.dumps([name]))
        event = await raw.recv()
    assert isinstance(reply, str) and len(reply) < 1_000, len(reply)
    error = json.loads(reply[3:])[0]["error"]
    assert error["code"] == "unknown_event" and "x" not in error["message"]
    assert isinstance(event, str) and len(event) < 1_000, len(event)
    exception = json.loads(event[2:])
    assert exception[0] == "exception" and len(exception[1]["event"]) < 200
    assert max(len(record.getMessage()) for record in caplog.records) < 1_000


@pytest.mark.parametrize(("ack_id", "refused"), [(2**53 - 1, False), (2**53, True)])
async def test_ack_ids_fit_javascript_numbers(served: Any, ack_id: int, refused: bool) -> None:
    app, reasons, _ = build_app()
    raw = await RawClient.open(await served(app))
    await raw.connect()
    await raw.send(f"42{ack_id}" + json.dumps(["echo", 1]))
    if refused:
        assert await raw.closed()
        assert reasons == [DisconnectReason.PARSE_ERROR]
    else:
        assert await raw.recv() == f"43{ack_id}[1]"


async def test_an_ack_awaited_from_a_socket_that_leaves_fails_at_once(served: Any) -> None:
    app, reasons, outcomes = build_app()
    raw = await RawClient.open(await served(app))
    await raw.connect()
    await raw.send('42["ask back"]')
    question = await raw.recv()
    assert isinstance(question, str) and question.startswith('421["question"')
    await raw.send('421["ask after leaving"]')
    assert await raw.recv() == "431[]"
    await raw.close()
    async with asyncio.timeout(5):  # well before the 30 s the handlers would wait
        await outcomes.wait(2)
    assert [type(outcome) for outcome in outcomes] == [SocketDisconnected] * 2
    assert reasons == [DisconnectReason.TRANSPORT_CLOSE]
