"""A refused connection, as a python-socketio client sees it."""

from typing import Any

import socketio


async def refused(url: str) -> list[Any]:
    # --8<-- [start:refused]
    client = socketio.AsyncClient(reconnection=False)
    errors: list[Any] = []
    client.on("connect_error", errors.append)
    try:
        await client.connect(url, auth={"token": "wrong"}, transports=["websocket"])
    except socketio.exceptions.ConnectionError as exc:
        print(exc)  # One or more namespaces failed to connect: /
    assert errors == [{"message": "unknown user", "data": {"code": "unauthorized"}}]
    # --8<-- [end:refused]
    return errors
