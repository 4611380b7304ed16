"""Whom to believe about the client's address and scheme: the peers named trusted proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

__all__ = ["TrustedProxies"]


class TrustedProxies:
    """The peers whose ``X-Forwarded-For``/``X-Forwarded-Proto``/``X-Forwarded-Host``
    headers are believed."""

    def __init__(self, proxies: Iterable[str] = ()) -> None:
        self._networks = [ipaddress.ip_network(proxy, strict=False) for proxy in proxies]

    def trusts(self, address: str) -> bool:
        """Whether the peer at ``address`` is a trusted proxy."""
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
