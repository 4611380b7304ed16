"""``SioApp(serializer="msgpack")`` in process: choosing it, the packets it writes and reads,
typed handlers validating as with JSON, and `TestClient` following the app's serializer."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

import msgpack
import pytest
from pydantic import BaseModel, Field
from socketio import packet as sio

import sioapp._protocol
from sioapp import Router, SioApp, Socket
from sioapp._protocol.msgpack_codec import MsgpackPacket, offset_of
from sioapp._protocol.recovery.replay import without_replayed
from sioapp._transport.packets import Frame
from sioapp.testing import TestClient

# ---- choosing the serializer ---------------------------------------------------------


def test_json_is_the_default_and_msgpack_is_chosen_by_name() -> None:
    assert SioApp().serializer == "json"
    assert SioApp(serializer="msgpack").serializer == "msgpack"


def test_an_unknown_serializer_is_refused() -> None:
    with pytest.raises(ValueError, match=r'serializer must be "json" or "msgpack", not \'cbor\''):
        SioApp(serializer="cbor")  # type: ignore[arg-type]


def test_msgpack_without_its_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "msgpack", None)  # as if msgpack were not installed
    monkeypatch.delitem(sys.modules, "sioapp._protocol.msgpack_codec")
    monkeypatch.delattr(sioapp._protocol, "msgpack_codec")
    with pytest.raises(ImportError, match=r'pip install "sioapp\[msgpack\]"'):
        SioApp(serializer="msgpack")
    assert SioApp().serializer == "json"


# ---- the packets, as socket.io-msgpack-parser writes them ------------------------------


@pytest.mark.parametrize(
    ("kind", "data", "namespace", "ack_id", "expected"),
    [
        (sio.CONNECT, {"sid": "x"}, "/", None, {"type": 0, "data": {"sid": "x"}, "nsp": "/"}),
        (sio.DISCONNECT, None, "/admin", None, {"type": 1, "nsp": "/admin"}),
        (
            sio.EVENT,
            ["news", b"\x00\xff"],
            "/",
            None,
            {"type": 2, "data": ["news", b"\x00\xff"], "nsp": "/"},
        ),
        (sio.ACK, [1.5, None], "/", 7, {"type": 3, "data": [1.5, None], "nsp": "/", "id": 7}),
        (
            sio.CONNECT_ERROR,
            {"message": "no"},
            "/",
            None,
            {"type": 4, "data": {"message": "no"}, "nsp": "/"},
        ),
    ],
)
def test_each_packet_is_one_msgpack_map(
    kind: int, data: Any, namespace: str, ack_id: int | None, expected: dict[str, Any]
) -> None:
    encoded = MsgpackPacket(kind, data=data, namespace=namespace, id=ack_id).encode()
    assert isinstance(encoded, bytes)
    assert msgpack.unpackb(encoded) == expected
    assert list(msgpack.unpackb(encoded)) == list(expected), "the keys in Node's order"
    decoded = MsgpackPacket(encoded_packet=encoded)
    assert (decoded.packet_type, decoded.data, decoded.namespace, decoded.id) == (
        kind,
        data,
        namespace,
        ack_id,
    )


def _date(milliseconds: int) -> bytes:
    """A packet whose only argument is a JavaScript Date, as notepack.io writes it."""
    head = b"\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x92\xa4echo"
    return head + b"\xd7\x00" + milliseconds.to_bytes(8, "big", signed=True)


@pytest.mark.parametrize(
    ("milliseconds", "text"),
    [
        (0, "1970-01-01T00:00:00.000Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (1_709_209_815_250, "2024-02-29T12:30:15.250Z"),
        (-62_135_596_800_000, "0001-01-01T00:00:00.000Z"),
    ],
)
def test_a_javascript_date_reads_as_its_json_text(milliseconds: int, text: str) -> None:
    assert MsgpackPacket(encoded_packet=_date(milliseconds)).data == ["echo", text]


def test_a_date_python_cannot_hold_is_refused() -> None:
    with pytest.raises(ValueError, match="Date"):
        MsgpackPacket(encoded_packet=_date(-62_135_596_800_001))


def test_an_array_buffer_the_size_of_a_date_stays_bytes() -> None:
    frame = b"\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x93\xa4echo"
    frame += b"\xc7\x08\x00" + bytes(range(8)) + b"\xc7\x01\x00\x00"
    assert MsgpackPacket(encoded_packet=frame).data == ["echo", bytes(range(8)), b"\x00"]


def test_replayed_events_are_told_by_their_offset() -> None:
    def event(*args: Any) -> bytes:
        encoded: bytes = MsgpackPacket(sio.EVENT, data=list(args), namespace="/").encode()
        return encoded

    replayed, live = event("news", b"\x01", "5-0"), event("news", "fresh", "6-0")
    other = MsgpackPacket(sio.ACK, data=["5-0"], namespace="/", id=1).encode()
    assert offset_of(replayed) == "5-0" and offset_of(other) is None
    assert offset_of(b"\xc1") is None and offset_of("42[]") is None
    held: list[Frame] = [replayed, other, live]
    assert without_replayed(held, {"5-0"}, offset_of) == [other, live]


# ---- typed handlers validate as with JSON -------------------------------------------


class Profile(BaseModel):
    name: str = Field(min_length=1)
    age: int
    score: float = 0.0
    avatar: bytes | None = None
    born: datetime | None = None
    tags: list[str] = []
    counts: dict[str, int] = {}


def typed_app(serializer: Any) -> SioApp:
    app = SioApp(serializer=serializer, docs_url=None)
    router = Router()

    @router.on("profile")
    async def profile(p: Profile) -> Profile:
        return p

    @router.on("pair")
    async def pair(count: int, ratio: float) -> list[Any]:
        return [count, type(count).__name__, ratio, type(ratio).__name__]

    @router.on("blob")
    async def blob(data: bytes, label: str = "none") -> dict[str, Any]:
        return {"size": len(data), "label": label, "data": data}

    @router.on("anything")
    async def anything(value):  # type: ignore[no-untyped-def]
        return value

    app.include_router(router)
    return app


PROFILE = {"name": "ann", "age": 31, "score": 2.5, "tags": ["a"], "counts": {"x": 1}}

CALLS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "valid model": ("profile", (PROFILE,)),
    "integer for a float": ("profile", ({**PROFILE, "score": 3},)),
    "whole float for an int": ("profile", ({**PROFILE, "age": 31.0},)),
    "fraction for an int": ("profile", ({**PROFILE, "age": 31.5},)),
    "text for an int": ("profile", ({**PROFILE, "age": "31"},)),
    "wrong text for an int": ("profile", ({**PROFILE, "age": "old"},)),
    "bool for an int": ("profile", ({**PROFILE, "age": True},)),
    "empty name": ("profile", ({**PROFILE, "name": ""},)),
    "missing field": ("profile", ({"name": "ann"},)),
    "bytes field": ("profile", ({**PROFILE, "avatar": b"\x89PNG\x00"},)),
    "date as text": ("profile", ({**PROFILE, "born": "1990-05-01T10:00:00Z"},)),
    "wrong list item": ("profile", ({**PROFILE, "tags": ["a", 2]},)),
    "wrong map value": ("profile", ({**PROFILE, "counts": {"x": "many"}},)),
    "null for a model": ("profile", (None,)),
    "list for a model": ("profile", ([1, 2],)),
    "no argument": ("profile", ()),
    "two numbers": ("pair", (2, 0.5)),
    "ints for both": ("pair", (2, 1)),
    "floats for both": ("pair", (2.0, 1.0)),
    "missing second": ("pair", (2,)),
    "extra argument": ("pair", (2, 0.5, "extra")),
    "binary argument": ("blob", (b"\x00\x01\x02", "raw")),
    "text for bytes": ("blob", ("abc",)),
    "number for bytes": ("blob", (12,)),
    "nested data": ("anything", ({"a": [1, 2.5, None, True, "é", {"b": b"\xff"}]},)),
    "large integer": ("anything", (2**63 - 1,)),
    "negative integer": ("anything", (-(2**63),)),
}


@pytest.mark.parametrize(("event", "args"), CALLS.values(), ids=CALLS.keys())
async def test_typed_handlers_answer_msgpack_as_they_answer_json(
    event: str, args: tuple[Any, ...]
) -> None:
    answers = []
    for serializer in ("json", "msgpack"):
        async with TestClient(typed_app(serializer)) as client:
            answers.append(await client.call(event, *args))
    assert answers[0] == answers[1]


# ---- TestClient speaks the app's serializer --------------------------------------------


def client_app() -> SioApp:
    app = SioApp(serializer="msgpack", docs_url=None)
    router = Router()

    @router.on("join")
    async def join(room: str, socket: Socket) -> list[str]:
        await socket.join(room)
        return sorted(socket.rooms - {socket.id})

    @router.on("share")
    async def share(room: str, blob: bytes, socket: Socket) -> None:
        await socket.to(room).emit("shared", {"blob": blob, "from": socket.id})

    @router.on("ask")
    async def ask(number: int, socket: Socket) -> Any:
        return await socket.emit_with_ack("double", number, timeout=5)

    @router.on("leave me")
    async def leave_me(socket: Socket) -> None:
        await socket.disconnect()

    app.include_router(router)
    return app


async def test_test_clients_speak_msgpack_with_a_msgpack_app() -> None:
    app = client_app()
    async with TestClient(app) as ann, TestClient(app) as bob:
        bob.on("double", lambda number: number * 2)
        assert await ann.call("join", "garden") == ["garden"]
        await bob.emit("share", "garden", b"\x00\x01")
        assert await ann.receive("shared") == [{"blob": b"\x00\x01", "from": bob.sid}]
        assert await bob.call("ask", 21) == 42
        await ann.emit("leave me")
        assert await ann.wait_disconnected() == "io server disconnect"
