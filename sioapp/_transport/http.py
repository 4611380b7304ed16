"""Plain HTTP for the Engine.IO server: reading requests, writing responses, Node's error codes."""

from __future__ import annotations

import asyncio
import enum
import gzip
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.types import Receive, Send

__all__ = [
    "BodyTooLarge",
    "Refusal",
    "Request",
    "compress",
    "read_body",
    "refuse",
    "respond",
]

Headers = list[tuple[str, str]]


class Refusal(enum.Enum):
    """Why a request is refused, with the code and message Node's engine.io answers."""

    UNKNOWN_TRANSPORT = (0, "Transport unknown")
    UNKNOWN_SID = (1, "Session ID unknown")
    BAD_HANDSHAKE_METHOD = (2, "Bad handshake method")
    BAD_REQUEST = (3, "Bad request")
    FORBIDDEN = (4, "Forbidden")
    UNSUPPORTED_PROTOCOL_VERSION = (5, "Unsupported protocol version")

    @property
    def status(self) -> int:
        return 403 if self is Refusal.FORBIDDEN else 400


@dataclass(frozen=True, slots=True)
class Request:
    """What the engine reads of one HTTP or WebSocket request."""

    method: str
    headers: Mapping[str, str]
    query: Mapping[str, str]

    @classmethod
    def of(cls, scope: Mapping[str, Any]) -> Request:
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope.get("headers", ()):
            headers[raw_name.decode("latin-1").lower()] = raw_value.decode("latin-1")
        query_string = scope.get("query_string", b"").decode("utf-8", "replace")
        query = {key: values[0] for key, values in parse_qs(query_string).items()}
        return cls(str(scope.get("method", "GET")), headers, query)


async def respond(
    send: Send,
    status: int,
    body: bytes,
    content_type: str,
    headers: Iterable[tuple[str, str]] = (),
) -> None:
    """Send a whole response."""
    raw_headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        *((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


async def refuse(send: Send, refusal: Refusal, headers: Iterable[tuple[str, str]] = ()) -> None:
    """Answer with Node's error: the status, and ``{"code", "message"}``."""
    code, message = refusal.value
    body = orjson.dumps({"code": code, "message": message})
    await respond(send, refusal.status, body, "application/json", headers)


def compress(body: bytes, accept_encoding: str, threshold: int) -> tuple[bytes, Headers]:
    """``body`` gzip- or deflate-compressed when the client takes it and it is at least
    ``threshold`` bytes long, with the header saying so."""
    if len(body) < threshold:
        return body, []
    accepted = {part.split(";")[0].strip().lower() for part in accept_encoding.split(",")}
    if "gzip" in accepted:
        return gzip.compress(body, compresslevel=6, mtime=0), [("Content-Encoding", "gzip")]
    if "deflate" in accepted:
        return zlib.compress(body), [("Content-Encoding", "deflate")]
    return body, []


class BodyTooLarge(ValueError):
    """A request body over the limit."""


async def read_body(receive: Receive, limit: int, timeout: float) -> bytes | None:
    """The request body, up to ``limit`` bytes (`BodyTooLarge` beyond), within ``timeout``
    seconds; None when the client left or the time ran out."""
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return None
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    raise BodyTooLarge(f"over {limit} bytes")
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return b"".join(chunks)
    except TimeoutError:
        return None
