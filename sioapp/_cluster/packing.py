"""Event arguments as JSON for Redis: binary parts travel as base64 attachments."""

from __future__ import annotations

import base64
from typing import Any

from socketio.packet import Packet

__all__ = ["pack", "unpack"]

Message = dict[str, Any]


def pack(value: Any) -> Message:
    """``value`` as JSON, its binary parts as base64 attachments."""
    if not Packet.data_is_binary(value):
        return {"data": value}
    data, attachments = Packet.deconstruct_binary(value)
    return {"data": data, "attachments": [base64.b64encode(item).decode() for item in attachments]}


def unpack(packed: Message) -> Any:
    """What `pack` packed."""
    attachments = packed.get("attachments")
    if not attachments:
        return packed["data"]
    return Packet.reconstruct_binary(
        packed["data"], [base64.b64decode(item) for item in attachments]
    )
