"""Why a socket left: the reason strings of the Node Socket.IO server."""

from enum import StrEnum

__all__ = ["DisconnectReason"]


class DisconnectReason(StrEnum):
    """The reason given to ``on_disconnecting`` and ``on_disconnect`` handlers."""

    SERVER_NAMESPACE_DISCONNECT = "server namespace disconnect"
    CLIENT_NAMESPACE_DISCONNECT = "client namespace disconnect"
    SERVER_SHUTTING_DOWN = "server shutting down"
    PING_TIMEOUT = "ping timeout"
    TRANSPORT_CLOSE = "transport close"
    TRANSPORT_ERROR = "transport error"
    PARSE_ERROR = "parse error"
    FORCED_CLOSE = "forced close"
