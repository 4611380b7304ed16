"""Packets sent live to a socket while its missed events were replayed, without duplicates."""

from __future__ import annotations

from collections.abc import Callable, Set

from sioapp._transport.packets import Frame

__all__ = ["offset_of", "without_replayed"]

_EVENTS = ("42", "45")  # an Engine.IO message carrying a Socket.IO EVENT or BINARY_EVENT


def offset_of(frame: Frame) -> str | None:
    """The offset an encoded event ends with (``...,"<offset>"]``), if it is one."""
    if not isinstance(frame, str) or frame[:2] not in _EVENTS or not frame.endswith('"]'):
        return None
    start = frame.rfind(',"')
    return frame[start + 2 : -2] if start != -1 else None


def _attachments(frame: str) -> int:
    """How many binary frames follow a BINARY_EVENT's text frame."""
    if frame[:2] != "45":
        return 0
    count, dash, _ = frame[2:].partition("-")
    return int(count) if dash and count.isdigit() else 0


def without_replayed(
    frames: list[Frame],
    offsets: Set[str],
    offset_in: Callable[[Frame], str | None] = offset_of,
) -> list[Frame]:
    """``frames`` less the events whose offset is in ``offsets``, with their attachments;
    ``offset_in`` reads an encoded event's offset (the serializer's own)."""
    if not offsets:
        return frames
    kept: list[Frame] = []
    skip = 0
    for frame in frames:
        if skip:
            skip -= 1
            continue
        if offset_in(frame) in offsets:
            skip = _attachments(frame) if isinstance(frame, str) else 0
            continue
        kept.append(frame)
    return kept
