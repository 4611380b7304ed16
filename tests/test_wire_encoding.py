"""Socket.IO packets on the wire: sioapp's orjson packet against python-socketio's own."""

from __future__ import annotations

import json
from typing import Any

import pytest
from socketio import packet as sio_packet
from socketio.packet import Packet

from sioapp._protocol.codec import OrjsonPacket

PAYLOADS: list[Any] = [
    ["echo", {"text": "hé ☃ \u2028", "seq": 7, "tags": ["a", "b"], "none": None}],
    ["numbers", 0, -1, 2**63 - 1, 1.5, True, False],
    ["nested", [[[]]], {"a": {"b": {"c": [1, {"d": "e"}]}}}],
    ["blob", {"raw": b"\xff\x00", "parts": [b"ab", "text"]}, bytearray(b"top")],
]


class StdlibPacket(Packet):  # type: ignore[misc]
    """python-socketio's packet with the standard json module: the reference."""

    json = json


def _fields(frames: str | list[Any]) -> tuple[Any, ...]:
    """What a receiver reads from encoded frames."""
    text, *attachments = [frames] if isinstance(frames, str) else frames
    pkt = StdlibPacket(encoded_packet=text)
    for attachment in attachments:
        pkt.add_attachment(attachment)
    return pkt.packet_type, pkt.namespace, pkt.id, pkt.data, len(attachments)


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize(("namespace", "ack_id"), [("/", None), ("/admin", None), ("/", 12)])
def test_packets_read_the_same_as_python_socketio_ones(
    payload: list[Any], namespace: str, ack_id: int | None
) -> None:
    kind = sio_packet.EVENT if ack_id is None else sio_packet.ACK
    ours = OrjsonPacket(kind, data=payload, namespace=namespace, id=ack_id)
    reference = StdlibPacket(kind, data=payload, namespace=namespace, id=ack_id)
    assert ours.packet_type == reference.packet_type
    assert _fields(ours.encode()) == _fields(reference.encode())


def test_a_payload_without_bytes_is_one_compact_text_frame() -> None:
    pkt = OrjsonPacket(sio_packet.CONNECT, data={"sid": "x"}, namespace="/chat")
    assert pkt.encode() == '0/chat,{"sid":"x"}'
    assert OrjsonPacket(sio_packet.EVENT, data=["é"], id=3).encode() == '23["é"]'
    assert OrjsonPacket(sio_packet.DISCONNECT, namespace="/").encode() == "1"


def test_bytes_take_python_socketio_s_attachment_path() -> None:
    frames = OrjsonPacket(sio_packet.EVENT, data=["blob", {"raw": b"\x01"}]).encode()
    assert frames == ['51-["blob",{"raw":{"_placeholder":true,"num":0}}]', b"\x01"]
    with pytest.raises(ValueError, match="binary"):
        OrjsonPacket(sio_packet.CONNECT_ERROR, data={"data": b"\x01"})


def test_what_json_cannot_hold_fails_when_encoded_as_before() -> None:
    for payload in (["set", {1, 2}], ["huge", 2**64]):
        pkt = OrjsonPacket(sio_packet.EVENT, data=payload)
        assert pkt.packet_type == sio_packet.EVENT
        with pytest.raises(TypeError):
            pkt.encode()


@pytest.mark.parametrize(
    "text", ['2["hi",1]', '2/chat,7["x"]', '51-["b",{"_placeholder":true,"num":0}]', "0", ""]
)
def test_incoming_packets_decode_as_python_socketio_decodes_them(text: str) -> None:
    ours, reference = OrjsonPacket(encoded_packet=text), StdlibPacket(encoded_packet=text)
    assert (ours.packet_type, ours.namespace, ours.id, ours.data, ours.attachment_count) == (
        reference.packet_type,
        reference.namespace,
        reference.id,
        reference.data,
        reference.attachment_count,
    )
