"""Which browser pages may talk to the server: the Origin check, CORS headers and the Host check.

``cors_allowed_origins`` works as in python-socketio:

- ``None`` (the default): the server's own origin only, judged from ``Host``
  (and ``X-Forwarded-Proto``/``X-Forwarded-Host`` from a trusted proxy);
- ``"*"``: every origin; ``[]``: no check and no CORS headers at all;
- an origin or a list of them, or a callable given the origin that answers True
  to accept it.

A request without an ``Origin`` header (not from a browser page, or a
same-origin GET) is accepted. Every request is judged the same way: handshakes,
long-polling GETs and POSTs, preflights and WebSockets.

Same origin judged from ``Host`` alone is what a DNS rebinding attack abuses:
a page of ``evil.example`` whose name now points at ``127.0.0.1`` makes
same-origin requests that carry ``Host: evil.example``. So, unless every
origin is accepted, a server reached on a loopback address answers only to a
loopback ``Host`` (``localhost``, ``*.localhost``, ``127.0.0.0/8``, ``[::1]``),
to the host of an accepted origin, or to a trusted proxy.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from sioapp._transport.proxies import TrustedProxies

__all__ = ["AllowedOrigins", "OriginPolicy"]

AllowedOrigins = str | Iterable[str] | Callable[[str], bool] | None

_METHODS = "OPTIONS, GET, POST"


def _is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _hostname(host_header: str) -> str:
    """``example.com`` of ``example.com:8000``, ``::1`` of ``[::1]:8000``."""
    return urlsplit("//" + host_header).hostname or ""


class OriginPolicy:
    """Decides, for each request, whether it may go on and which CORS headers it gets."""

    def __init__(
        self, allowed: AllowedOrigins, credentials: bool, trusted_proxies: TrustedProxies
    ) -> None:
        self.allowed = allowed
        self.credentials = credentials
        self.trusted_proxies = trusted_proxies
        self._every = allowed == "*"
        self._off = not callable(allowed) and allowed is not None and not allowed
        self._listed: frozenset[str] = frozenset()
        if isinstance(allowed, str):
            self._listed = frozenset((allowed,) if allowed != "*" else ())
        elif allowed is not None and not callable(allowed):
            self._listed = frozenset(allowed)
        self._listed_hosts = frozenset(urlsplit(o).hostname or "" for o in self._listed)

    def describe(self) -> str:
        """Which origins are accepted, in words."""
        if self.allowed is None:
            return "the same origin only (set cors_allowed_origins to allow others)"
        if self._every:
            return "every origin (cors_allowed_origins='*')"
        if callable(self.allowed):
            return "the origins its cors_allowed_origins callable allows"
        if self._off:
            return "every origin: CORS checks are off (cors_allowed_origins=[])"
        return "these origins: " + ", ".join(sorted(self._listed))

    def refuses(self, scope: Mapping[str, Any], headers: Mapping[str, str]) -> bool:
        """Whether the request must be refused for its ``Origin`` or ``Host``."""
        if self._every or self._off:
            return False
        from_proxy = self.trusted_proxies.trusts(str((scope.get("client") or ("",))[0]))
        if not self._host_accepted(scope, headers, from_proxy):
            return True
        origin = headers.get("origin")
        return origin is not None and not self._origin_accepted(origin, scope, headers, from_proxy)

    def _host_accepted(
        self, scope: Mapping[str, Any], headers: Mapping[str, str], from_proxy: bool
    ) -> bool:
        server = scope.get("server")
        if from_proxy or not server or not _is_loopback(str(server[0])):
            return True
        host = _hostname(headers.get("host", ""))
        return _is_loopback(host) or host in self._listed_hosts

    def _origin_accepted(
        self, origin: str, scope: Mapping[str, Any], headers: Mapping[str, str], from_proxy: bool
    ) -> bool:
        if callable(self.allowed):
            return bool(self.allowed(origin))
        if self.allowed is not None:
            return origin in self._listed
        return origin == self._own_origin(scope, headers, from_proxy)

    @staticmethod
    def _own_origin(scope: Mapping[str, Any], headers: Mapping[str, str], from_proxy: bool) -> str:
        scheme = "https" if scope.get("scheme") in ("https", "wss") else "http"
        host = headers.get("host", "")
        if from_proxy:
            proto = headers.get("x-forwarded-proto")
            if proto:
                scheme = "https" if proto.split(",")[0].strip() in ("https", "wss") else "http"
            host = headers.get("x-forwarded-host", host).split(",")[0].strip()
        return f"{scheme}://{host}"

    def cors_headers(self, headers: Mapping[str, str], preflight: bool) -> list[tuple[str, str]]:
        """The CORS headers of a response to an accepted request."""
        origin = headers.get("origin")
        if origin is None or self._off:
            return []
        cors = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
        if self.credentials:
            cors.append(("Access-Control-Allow-Credentials", "true"))
        if preflight:
            cors.append(("Access-Control-Allow-Methods", _METHODS))
            requested = headers.get("access-control-request-headers")
            if requested:
                cors.append(("Access-Control-Allow-Headers", requested))
        return cors
