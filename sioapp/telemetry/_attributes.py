"""Span names and attributes: OpenTelemetry's messaging conventions where they fit, sioapp's
own otherwise."""

from __future__ import annotations

__all__ = [
    "CONNECT_SPAN",
    "DESTINATION",
    "EMIT_SPAN",
    "ERROR_TYPE",
    "EVENT",
    "OPERATION_NAME",
    "OPERATION_TYPE",
    "OUTCOME",
    "RECEIVE_SPAN",
    "RECIPIENTS",
    "SOCKET_ID",
    "SYSTEM",
    "SYSTEM_NAME",
]

#: A client joining a namespace: its connection middleware and ``on_connect`` handlers.
CONNECT_SPAN = "socket.io connect"
#: An event handled, followed by the event's name (or ``<unknown>``).
RECEIVE_SPAN = "socket.io receive"
#: An event sent to sockets, followed by the event's name.
EMIT_SPAN = "socket.io emit"

SYSTEM = "messaging.system"
SYSTEM_NAME = "socket.io"
#: ``process`` for an event handled, ``send`` for an event emitted.
OPERATION_TYPE = "messaging.operation.type"
#: ``connect``, ``receive`` or ``emit``, as in the span's name.
OPERATION_NAME = "messaging.operation.name"
#: The namespace.
DESTINATION = "messaging.destination.name"
#: Why an event failed (invalid payload, crash): the error code the client got.
ERROR_TYPE = "error.type"

#: The event's name, as the client sent it (cut to 100 characters).
EVENT = "sioapp.event"
#: The socket's id, as the client sees it.
SOCKET_ID = "sioapp.socket_id"
#: ``ok``, the error code the client got, or ``refused`` for a connection.
OUTCOME = "sioapp.outcome"
#: How many sockets of this server an emitted event was queued for.
RECIPIENTS = "sioapp.recipients"
