"""Bad input to a msgpack server closes that connection with ``parse error``, as bad JSON
does; the server, and every other client, go on."""

from __future__ import annotations

import logging
from typing import Any

import msgpack
import pytest

from sioapp import DisconnectReason

from .conftest import Connect
from .msgpack_app import create_app
from .raw import RawClient


def packet(**fields: Any) -> bytes:
    packed: bytes = msgpack.packb(fields)
    return packed


def nested(levels: int) -> Any:
    """A string in ``levels`` arrays."""
    value: Any = "bottom"
    for _ in range(levels):
        value = [value]
    return value


BAD_INPUT: dict[str, str | bytes] = {
    "not msgpack": b"\xc1",
    "truncated": packet(type=2, nsp="/", data=["echo", 1])[:-1],
    "trailing bytes": packet(type=2, nsp="/", data=["echo", 1]) + b"\x00",
    "invalid UTF-8": b"\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x92\xa4echo\xa1\xff",
    "not a map": msgpack.packb([2, "/", ["echo"]]),
    "no type": packet(nsp="/", data=["echo"]),
    "type as text": packet(type="2", nsp="/", data=["echo"]),
    "type true": packet(type=True, nsp="/", data=["echo"]),
    "binary event type": packet(type=5, nsp="/", data=["echo"]),
    "unknown type": packet(type=9, nsp="/", data=["echo"]),
    "connect error from a client": packet(type=4, nsp="/", data={"message": "x"}),
    "no namespace": packet(type=2, data=["echo"]),
    "namespace not a string": packet(type=2, nsp=1, data=["echo"]),
    "namespace without a slash": packet(type=2, nsp="admin", data=["echo"]),
    "event data not a list": packet(type=2, nsp="/", data="echo"),
    "event without a name": packet(type=2, nsp="/", data=[]),
    "event name not a string": packet(type=2, nsp="/", data=[1, 2]),
    "reserved event name": packet(type=2, nsp="/", data=["disconnecting"]),
    "ack id as text": packet(type=2, nsp="/", data=["echo"], id="1"),
    "ack id nil": packet(type=2, nsp="/", data=["echo"], id=None),
    "ack id true": packet(type=2, nsp="/", data=["echo"], id=True),
    "ack id a float": packet(type=2, nsp="/", data=["echo"], id=1.5),
    "negative ack id": packet(type=2, nsp="/", data=["echo"], id=-1),
    "ack id beyond JavaScript": packet(type=2, nsp="/", data=["echo"], id=2**53),
    "ack without an id": packet(type=3, nsp="/", data=[1]),
    "ack data not a list": packet(type=3, nsp="/", data=1, id=0),
    "disconnect with data": packet(type=1, nsp="/", data=["bye"]),
    "disconnect with an id": packet(type=1, nsp="/", id=3),
    "integer map key": packet(type=2, nsp="/", data=["echo", {1: "one"}]),
    "binary map key": packet(type=2, nsp="/", data=["echo", {b"key": "one"}]),
    "extension type 5": packet(type=2, nsp="/", data=["echo", msgpack.ExtType(5, b"x")]),
    "nested too deep": packet(type=2, nsp="/", data=["echo", nested(254)]),
    "a text message": '42["echo",1]',
}


async def _connected(url: str) -> RawClient:
    raw = await RawClient.open(url)
    await raw.send(packet(type=0, nsp="/"))
    reply = msgpack.unpackb(await raw.recv())
    assert reply["type"] == 0 and reply["nsp"] == "/" and "sid" in reply["data"], reply
    return raw


@pytest.mark.parametrize("frame", BAD_INPUT.values(), ids=BAD_INPUT.keys())
async def test_bad_input_is_a_parse_error(
    served: Any, client: Connect, frame: str | bytes, caplog: pytest.LogCaptureFixture
) -> None:
    reasons: list[DisconnectReason] = []
    url = await served(create_app(reasons=reasons))
    bystander = await client(url, serializer="msgpack")
    raw = await _connected(url)
    with caplog.at_level(logging.WARNING, logger="sioapp"):
        await raw.send(frame)
        assert await raw.closed()
    assert reasons == [DisconnectReason.PARSE_ERROR]
    assert any("parse error" in record.getMessage() for record in caplog.records)
    assert await bystander.call("echo", (b"\x00still", 1)) == [b"\x00still", 1]
    again = await _connected(url)
    await again.send(packet(type=2, nsp="/", data=["echo", "up"], id=7))
    assert msgpack.unpackb(await again.recv()) == {"type": 3, "data": [["up"]], "nsp": "/", "id": 7}


GOOD_INPUT: dict[str, tuple[bytes, Any]] = {
    "largest ack id": (packet(type=2, nsp="/", data=["echo", 1], id=2**53 - 1), [[1]]),
    "deepest nesting": (packet(type=2, nsp="/", data=["echo", nested(253)], id=0), [[nested(253)]]),
    "extra fields, as socket.io-client sends": (
        packet(type=2, data=["echo", 2], options={"compress": True}, nsp="/", id=1),
        [[2]],
    ),
    "undefined, as notepack.io writes it": (
        b"\x84\xa4type\x02\xa3nsp\xa1/\xa2id\x02\xa4data\x93\xa4echo\xd4\x00\x00"
        b"\x82\xa4kept\x01\xa4gone\xd4\x00\x00",
        [[None, {"kept": 1}]],
    ),
}


@pytest.mark.parametrize(("frame", "ack"), GOOD_INPUT.values(), ids=GOOD_INPUT.keys())
async def test_valid_input_at_the_limits_is_read(served: Any, frame: bytes, ack: Any) -> None:
    reasons: list[DisconnectReason] = []
    raw = await _connected(await served(create_app(reasons=reasons)))
    await raw.send(frame)
    reply = msgpack.unpackb(await raw.recv())
    assert reply["type"] == 3 and reply["data"] == ack, reply
    assert reasons == []
