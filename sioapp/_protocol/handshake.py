"""The details of the HTTP request that opened a connection, as in Node's ``socket.handshake``."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sioapp._transport import TrustedProxies

__all__ = ["Handshake"]

QueryValue = str | list[str]


def _node_date_string(moment: datetime) -> str:
    # Node's Date.prototype.toString() for UTC, e.g. "Thu Nov 26 2026 13:24:47 GMT+0000 (UTC)".
    return moment.strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")


def _headers(scope: Mapping[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def _query(query_string: str) -> dict[str, QueryValue]:
    parsed = parse_qs(query_string, keep_blank_values=True)
    return {key: values[0] if len(values) == 1 else values for key, values in parsed.items()}


@dataclass(frozen=True, slots=True)
class Handshake:
    """Immutable details of the connection's first request.

    ``time`` is a Node-style date string, ``issued`` the same moment in unix
    milliseconds, ``auth`` the payload of the client's CONNECT packet.
    """

    headers: Mapping[str, str]
    query: Mapping[str, QueryValue]
    auth: Mapping[str, Any]
    time: str
    issued: int
    url: str
    address: str
    xdomain: bool
    secure: bool

    @classmethod
    def from_scope(
        cls, scope: Mapping[str, Any], auth: Any, trusted_proxies: TrustedProxies
    ) -> Handshake:
        """Build the handshake from the ASGI scope of the connection's first request and
        the CONNECT payload."""
        headers = _headers(scope)
        client = scope.get("client") or ("", 0)
        address = str(client[0])
        scheme = str(scope.get("scheme", "http"))
        if trusted_proxies.trusts(address):
            proto = headers.get("x-forwarded-proto")
            if proto:
                scheme = proto.split(",")[-1].strip().lower()
            address = trusted_proxies.client_address(address, headers.get("x-forwarded-for", ""))
        origin = headers.get("origin")
        xdomain = (
            bool(origin) and urlsplit(origin).netloc.lower() != headers.get("host", "").lower()
        )
        now = time.time()
        query_string = scope.get("query_string", b"").decode("latin-1")
        path = scope.get("raw_path") or scope.get("path", "").encode()
        return cls(
            headers=MappingProxyType(headers),
            query=MappingProxyType(_query(query_string)),
            auth=MappingProxyType(dict(auth) if isinstance(auth, dict) else {}),
            time=_node_date_string(datetime.fromtimestamp(now, UTC)),
            issued=int(now * 1000),
            url=path.decode("latin-1") + ("?" + query_string if query_string else ""),
            address=address,
            xdomain=xdomain,
            secure=scheme in ("https", "wss"),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy, as sent to other servers by ``fetch_sockets()``."""
        return {
            "headers": dict(self.headers),
            "query": dict(self.query),
            "auth": dict(self.auth),
            "time": self.time,
            "issued": self.issued,
            "url": self.url,
            "address": self.address,
            "xdomain": self.xdomain,
            "secure": self.secure,
        }
