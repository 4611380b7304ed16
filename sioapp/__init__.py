"""sioapp: typed Socket.IO apps with validation, dependency injection and REST in one ASGI app."""

from sioapp.app import SioApp
from sioapp.broadcast import BroadcastAcks, BroadcastOperator
from sioapp.cluster import ClusterUnavailable
from sioapp.container import Container, CurrentUser
from sioapp.errors import (
    AuthValidationError,
    ConnectionRefused,
    EventError,
    PayloadValidationError,
)
from sioapp.handshake import Handshake
from sioapp.injection import RegistrationError
from sioapp.ratelimit import RateLimit
from sioapp.reasons import DisconnectReason
from sioapp.remote import RemoteSocket
from sioapp.routing import Router
from sioapp.server_events import ServerAcks
from sioapp.socket import Rooms, Socket, SocketDisconnected

__all__ = [
    "AuthValidationError",
    "BroadcastAcks",
    "BroadcastOperator",
    "ClusterUnavailable",
    "ConnectionRefused",
    "Container",
    "CurrentUser",
    "DisconnectReason",
    "EventError",
    "Handshake",
    "PayloadValidationError",
    "RateLimit",
    "RegistrationError",
    "RemoteSocket",
    "Rooms",
    "Router",
    "ServerAcks",
    "SioApp",
    "Socket",
    "SocketDisconnected",
]

__version__ = "0.1.0"
