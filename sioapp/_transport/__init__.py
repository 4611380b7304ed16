"""sioapp's Engine.IO v4 server: the transport layer, under python-socketio's Socket.IO layer."""

from sioapp._transport.engine import Engine
from sioapp._transport.outgoing import DEFAULT_MAX_OUTGOING_BUFFER
from sioapp._transport.proxies import TrustedProxies
from sioapp._transport.session import CloseReason, Session, Transport

__all__ = [
    "DEFAULT_MAX_OUTGOING_BUFFER",
    "CloseReason",
    "Engine",
    "Session",
    "Transport",
    "TrustedProxies",
]
