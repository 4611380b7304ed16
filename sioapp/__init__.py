"""sioapp: typed Socket.IO apps with validation, dependency injection and REST in one ASGI app."""

from sioapp._app.app import SioApp
from sioapp._di.analysis import RegistrationError
from sioapp._di.container import Container, CurrentUser
from sioapp._protocol.broadcast import BroadcastAcks, BroadcastOperator, RemoteSocket, ServerAcks
from sioapp._protocol.errors import (
    AuthValidationError,
    ClusterUnavailable,
    ConnectionRefused,
    EmitValidationError,
    EventError,
    PayloadValidationError,
)
from sioapp._protocol.handshake import Handshake
from sioapp._protocol.reasons import DisconnectReason
from sioapp._protocol.recovery import ConnectionStateRecovery, ExpiredSession
from sioapp._protocol.socket import Rooms, Socket, SocketDisconnected
from sioapp._runtime.ratelimit import RateLimit
from sioapp._runtime.router import Router

__all__ = [
    "AuthValidationError",
    "BroadcastAcks",
    "BroadcastOperator",
    "ClusterUnavailable",
    "ConnectionRefused",
    "ConnectionStateRecovery",
    "Container",
    "CurrentUser",
    "DisconnectReason",
    "EmitValidationError",
    "EventError",
    "ExpiredSession",
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
