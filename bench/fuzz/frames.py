"""Hypothesis strategies for hostile Engine.IO / Socket.IO clients, one session at a time.

A :class:`Session` is what one client does: how it reaches the server (a
WebSocket, long-polling, a polling session upgraded to a WebSocket, or a bare
HTTP request), then the frames it sends. Frames are valid packets, packets built
from hostile parts (wrong namespaces, reserved events, bogus ack ids, deep or
broken JSON, binary attachments that never come), packets mutated byte by byte
or truncated, oversized ones, and random text and bytes (invalid UTF-8 included).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from hypothesis import strategies as st

from bench.fuzz.target import MAX_PAYLOAD, MAX_ROOMS, ORIGIN

Frame = str | bytes
Kind = Literal["websocket", "polling", "upgrade", "http", "stall"]
#: Browser origins hostile requests come from: none, the accepted one, a foreign one.
ORIGINS = [None, None, ORIGIN, "http://evil.test"]


@dataclass(frozen=True)
class HttpRequest:
    method: str
    query: str
    body: bytes
    origin: str | None = None


@dataclass(frozen=True)
class Session:
    """One hostile client: how it connects, the frames it sends, whether it reads replies."""

    kind: Kind
    frames: tuple[Frame, ...]
    listen: bool
    request: HttpRequest | None = None


EVENTS = ["echo", "chat", "join", "size", "pair", "stats", "nope", "tick", "watch", ""]
RESERVED = ["connect", "connect_error", "disconnect", "disconnecting"]
RESERVED += ["newListener", "removeListener"]
NAMESPACES = ["", "", "", "/admin,", "/nope,", "/admin", "/,", "//,", "/admin/x,", "admin,"]
ACK_IDS = ["-1", "9" * 120, "1.5", "abc", "0x1", " 1", "00"]

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _nested(depth: int, opener: str, closed: bool) -> str:
    inner = "[" * depth if opener == "[" else '{"k":' * depth
    if not closed:
        return inner
    return inner + ("]" * depth if opener == "[" else "1" + "}" * depth)


# Well-formed nesting stays within what sioapp can also send back (255 levels for
# orjson) or goes past what it reads (1024); tests/test_fuzz.py pins the band between.
nested_json = st.builds(
    _nested,
    st.integers(1, 250) | st.integers(1025, 3000),
    st.sampled_from("[{"),
    st.just(True),
) | st.builds(_nested, st.integers(1, 3000), st.sampled_from("[{"), st.just(False))

json_texts = json_values.map(json.dumps) | nested_json | st.text(max_size=30)


@st.composite
def event_payloads(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(EVENTS + RESERVED) | st.text(max_size=10))
    args = draw(st.lists(json_texts, max_size=3))
    return "[" + ",".join([json.dumps(name), *args]) + "]"


@st.composite
def socketio_packets(draw: st.DrawFn) -> str:
    """A Socket.IO packet as text: type, attachments, namespace, ack id, payload."""
    kind = draw(st.sampled_from("0123456") | st.sampled_from(["7", "9", "a", " ", ""]))
    attachments = draw(st.just("") | st.integers(0, 3).map(lambda n: f"{n}-") | st.just("x-"))
    namespace = draw(st.sampled_from(NAMESPACES) | st.text(max_size=6).map(lambda t: f"/{t},"))
    ack = draw(st.just("") | st.integers(0, 2**53).map(str) | st.sampled_from(ACK_IDS))
    payload = draw(event_payloads() | json_texts | st.just(""))
    return kind + attachments + namespace + ack + payload


def _mutate(frame: Frame, edits: list[tuple[str, int, str]]) -> Frame:
    data = bytearray(frame.encode() if isinstance(frame, str) else frame)
    for edit, where, text in edits:
        at = where % (len(data) + 1)
        if edit == "truncate":
            del data[at:]
        elif edit == "delete":
            del data[at : at + 1]
        elif edit == "insert":
            data[at:at] = text.encode()
        elif edit == "double":
            data[at:at] = data[at : at + 8]
    if isinstance(frame, bytes):
        return bytes(data)
    return data.decode("utf-8", "replace")


_edits = st.lists(
    st.tuples(
        st.sampled_from(["truncate", "delete", "insert", "double"]),
        st.integers(0, 10_000),
        st.text(min_size=1, max_size=3),
    ),
    min_size=1,
    max_size=4,
)


@st.composite
def binary_event(draw: st.DrawFn) -> list[Frame]:
    """A binary EVENT or ACK and the attachments it announces, or not quite those."""
    count = draw(st.integers(1, 3))
    placeholders = ",".join(
        json.dumps({"_placeholder": True, "num": draw(st.integers(-1, count + 1))})
        for _ in range(count)
    )
    head = draw(st.sampled_from(["45", "46"]))
    ack = draw(st.sampled_from(["", "7", "abc"]))
    name = draw(st.sampled_from(['"size",', '"echo",', ""]))
    frames: list[Frame] = [f"{head}{count}-{ack}[{name}{placeholders}]"]
    sent = draw(st.sampled_from([count, count, count - 1, count + 1]))
    frames += draw(st.lists(st.binary(max_size=32), min_size=sent, max_size=sent))
    if draw(st.booleans()):
        frames.append(draw(st.sampled_from(["42", '42["echo",1]', "b" + "AQID"])))
    return frames


@st.composite
def attachment_flood(draw: st.DrawFn) -> list[Frame]:
    """A binary packet announcing far too many attachments, or for a namespace never
    joined, then large binary frames: the server must not keep them."""
    count = draw(st.sampled_from([101, 1_000, 99_999_999, 3]))
    namespace = draw(st.sampled_from(["", "/nonexistent,", "/admin,"]))
    head = f'45{count}-{namespace}["echo",{{"_placeholder":true,"num":0}}]'
    size = draw(st.integers(MAX_PAYLOAD // 2, MAX_PAYLOAD))
    return [head, *[b"\x00" * size] * draw(st.integers(1, 5))]


@st.composite
def room_flood(draw: st.DrawFn) -> list[Frame]:
    """More joins than the target allows one socket."""
    prefix = draw(st.text(max_size=4))
    return [f'42["join",{json.dumps(f"{prefix}{index}")}]' for index in range(MAX_ROOMS + 20)]


@st.composite
def long_name(draw: st.DrawFn) -> Frame:
    """An event with a huge unknown name: the error reply must not carry it back."""
    name = "x" * draw(st.integers(MAX_PAYLOAD // 2, MAX_PAYLOAD - 100))
    ack = draw(st.sampled_from(["", "7"]))
    return f"42{ack}" + json.dumps([name])


@st.composite
def oversized(draw: st.DrawFn) -> Frame:
    size = draw(st.integers(MAX_PAYLOAD - 20, 2 * MAX_PAYLOAD))
    if draw(st.booleans()):
        return b"\x00" * size
    return '42["echo","' + "x" * size + '"]'


engineio_frames: st.SearchStrategy[Frame] = (
    socketio_packets().map(lambda packet: "4" + packet)
    | st.sampled_from(["1", "2", "3", "5", "6", "0", "2probe", "3probe", "7", "", "4", "b"])
    | st.text(max_size=40)
    | st.binary(max_size=64).map(lambda raw: "b" + base64.b64encode(raw).decode())
    | st.binary(max_size=64)
)
mutated = st.builds(_mutate, engineio_frames, _edits)


def _event(name: str, ack: str, *args: Any) -> str:
    return f"42{ack}" + json.dumps([name, *args])


_acks = st.just("") | st.integers(0, 1000).map(str)
_rooms = st.text(max_size=12) | st.just("watch")
#: Packets a well-behaved client could send, so sessions live on and reach the handlers.
valid_events = (
    st.builds(_event, st.just("echo"), _acks, json_values)
    | st.builds(
        _event,
        st.just("chat"),
        _acks,
        st.fixed_dictionaries({"room": _rooms, "text": st.text(max_size=600)}),
    )
    | st.builds(_event, st.just("join"), _acks, _rooms)
    | st.builds(_event, st.just("pair"), _acks, json_values, json_values)
    | st.builds(_event, st.sampled_from(EVENTS), _acks)
    | st.sampled_from(["40/admin,", "41/admin,", '42/admin,["stats"]', '42/admin,5["stats"]'])
    | st.sampled_from(['42/admin,6["echo",1]', "41", "40", "3", '43["late ack"]', "431[1]"])
)
valid_binary = st.builds(
    lambda ack, data: [f'451-{ack}["size",{{"_placeholder":true,"num":0}}]', data],
    _acks,
    st.binary(max_size=100),
)
frame_groups = (
    valid_events.map(lambda frame: [frame])
    | valid_events.map(lambda frame: [frame])
    | valid_binary
    | engineio_frames.map(lambda frame: [frame])
    | mutated.map(lambda frame: [frame])
    | binary_event()
    | oversized().map(lambda frame: [frame])
    | attachment_flood()
    | room_flood()
    | long_name().map(lambda frame: [frame])
)
PRELUDES = ["40", "40", "40", "40/admin,", '40{"deny":true}', '40{"token":[1,2]}', "", "2probe"]


@st.composite
def frame_lists(draw: st.DrawFn) -> tuple[Frame, ...]:
    prelude = draw(st.sampled_from(PRELUDES))
    frames: list[Frame] = [prelude] if prelude else []
    for group in draw(st.lists(frame_groups, min_size=1, max_size=8)):
        frames += group
    return tuple(frames)


http_requests = st.builds(
    HttpRequest,
    st.sampled_from(["GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "HEAD"]),
    st.lists(
        st.sampled_from(["EIO=4", "EIO=3", "EIO=", "transport=polling", "transport=websocket"])
        | st.sampled_from(["transport=x", "sid=abc", "sid=", "j=1", "j=x", "t=1", "b64=1"])
        | st.text(max_size=10).map(lambda text: quote(text, safe="=%")),
        max_size=4,
    ).map("&".join),
    st.binary(max_size=64),
    st.sampled_from(ORIGINS),
)


def sessions() -> st.SearchStrategy[Session]:
    """One hostile client at a time, over every transport, and stalled requests."""
    clients = st.builds(
        Session,
        st.sampled_from(["websocket", "websocket", "polling", "upgrade"]),
        frame_lists(),
        st.booleans(),
    )
    bare = st.builds(Session, st.just("http"), st.just(()), st.just(False), http_requests)
    partial_bodies = st.binary(min_size=1, max_size=64).map(lambda body: (body,))
    stall = st.builds(Session, st.just("stall"), partial_bodies, st.just(False))
    return st.one_of(clients, clients, clients, bare, stall)


def polling_body(frames: tuple[Frame, ...]) -> bytes:
    """Frames as one long-polling POST body: binary ones base64-encoded, as v4 clients do."""
    parts = [
        "b" + base64.b64encode(frame).decode() if isinstance(frame, bytes) else frame
        for frame in frames
    ]
    return "\x1e".join(parts).encode()


def describe(session: Session) -> dict[str, Any]:
    """A short, JSON-ready account of a session for reports."""
    return {
        "kind": session.kind,
        "frames": [repr(frame[:80]) for frame in session.frames],
        "request": repr(session.request)[:200] if session.request else None,
    }
