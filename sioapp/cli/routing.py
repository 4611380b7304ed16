"""Which worker of ``sioapp run --workers N`` a request belongs to.

Each worker starts the ids of its sessions with its tag: two characters of the
URL-safe base64 alphabet, which number it. The worker holding a session is
read from the ``sid`` in the first line of any request for it (polling and
WebSocket alike), as Node's ``@socket.io/sticky`` reads it, with no table of
sessions to keep. A request without a ``sid``, or whose ``sid`` names no
worker, may go to any worker.
"""

from __future__ import annotations

from typing import Final

__all__ = ["LINE_LIMIT", "MAX_WORKERS", "owner", "request_line", "tag"]

_ALPHABET: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_VALUES: Final = {char: value for value, char in enumerate(_ALPHABET)}
_BASE: Final = len(_ALPHABET)
TAG_LENGTH: Final = 2
SID_LENGTH: Final = 20
#: How many workers two characters can number.
MAX_WORKERS: Final = _BASE**TAG_LENGTH
#: The longest request head ``sioapp run`` lets uvicorn read, as Node's default
#: ``--max-http-header-size``; no longer request line is looked at.
LINE_LIMIT: Final = 16 * 1024


def tag(worker: int) -> str:
    """The characters the session ids of ``worker`` (0 to MAX_WORKERS - 1) start with."""
    high, low = divmod(worker, _BASE)
    return _ALPHABET[high : high + 1].decode() + _ALPHABET[low : low + 1].decode()


def request_line(head: bytes) -> bytes | None:
    """The first line of ``head``, the start of a request; None while it may still come.

    A line longer than `LINE_LIMIT` is cut there: the server will refuse it.
    """
    end = head.find(b"\n", 0, LINE_LIMIT)
    if end >= 0:
        return head[:end]
    return head[:LINE_LIMIT] if len(head) >= LINE_LIMIT else None


def owner(line: bytes, workers: int) -> int | None:
    """The worker, of ``workers``, that the ``sid`` of request line ``line`` names."""
    target = line.split(b" ", 2)[1:2]
    query = target[0].partition(b"?")[2] if target else b""
    for field in query.split(b"&"):
        if field.startswith(b"sid="):
            sid = field[4:]
            if len(sid) != SID_LENGTH:
                return None
            high, low = _VALUES.get(sid[0]), _VALUES.get(sid[1])
            if high is None or low is None:
                return None
            worker = high * _BASE + low
            return worker if worker < workers else None
    return None
