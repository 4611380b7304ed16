"""sioapp: typed Socket.IO apps with validation, dependency injection and REST in one ASGI app."""

from sioapp.app import SioApp
from sioapp.broadcast import BroadcastAcks, BroadcastOperator
from sioapp.errors import ConnectionRefused, EventError, PayloadValidationError
from sioapp.handshake import Handshake
from sioapp.injection import RegistrationError
from sioapp.reasons import DisconnectReason
from sioapp.routing import Router
from sioapp.socket import Rooms, Socket

__all__ = [
    "BroadcastAcks",
    "BroadcastOperator",
    "ConnectionRefused",
    "DisconnectReason",
    "EventError",
    "Handshake",
    "PayloadValidationError",
    "RegistrationError",
    "Rooms",
    "SioApp",
    "Socket",
    "Router",
]

__version__ = "0.1.0"
