"""A Python client whose connection continues the trace it is in."""

from typing import Any

import socketio
from opentelemetry import propagate


# --8<-- [start:client]
async def connect(url: str, **auth: Any) -> socketio.AsyncClient:
    """Connect within the current span: the server's "socket.io connect" span is its child."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)  # {"traceparent": ...}, as a browser's OpenTelemetry would
    client = socketio.AsyncClient()
    await client.connect(url, auth={**auth, **carrier}, transports=["websocket"])
    return client


# --8<-- [end:client]
