"""The details of the HTTP request that opened a connection, as in Node's ``socket.handshake``."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["Handshake", "TrustedProxies"]

QueryValue = str | list[str]


class TrustedProxies:
    """The peers whose ``X-Forwarded-For``/``X-Forwarded-Proto`` headers are believed."""

    def __init__(self, proxies: Iterable[str] = ()) -> None:
        self._networks = [ipaddress.ip_network(proxy, strict=False) for proxy in proxies]

    def trusts(self, address: str) -> bool:
        if not self._networks:
            return False
        try:
            peer = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(peer in network for network in self._networks)

    def client_address(self, peer: str, forwarded_for: str) -> str:
        """The first untrusted address walking ``X-Forwarded-For`` from the nearest hop."""
        chain = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        address = peer
        while chain and self.trusts(address):
            address = chain.pop()
        return address


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
    def from_environ(
        cls, environ: Mapping[str, Any], auth: Any, trusted_proxies: TrustedProxies
    ) -> Handshake:
        """Build the handshake from python-engineio's ASGI environ and the CONNECT payload."""
        scope: Mapping[str, Any] = environ.get("asgi.scope", {})
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
        query_string = str(environ.get("QUERY_STRING", ""))
        return cls(
            headers=MappingProxyType(headers),
            query=MappingProxyType(_query(query_string)),
            auth=MappingProxyType(dict(auth) if isinstance(auth, dict) else {}),
            time=_node_date_string(datetime.fromtimestamp(now, UTC)),
            issued=int(now * 1000),
            url=str(environ.get("RAW_URI", "")),
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
