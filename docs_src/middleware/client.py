"""A refused connection, as a python-socketio client sees it."""

import contextlib
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


async def invalid_auth(url: str) -> list[Any]:
    # --8<-- [start:invalid_auth]
    client = socketio.AsyncClient(reconnection=False)
    errors: list[Any] = []
    client.on("connect_error", errors.append)
    with contextlib.suppress(socketio.exceptions.ConnectionError):
        await client.connect(url, auth={"token": "too short"}, transports=["websocket"])
    assert errors == [
        {
            "message": "Invalid auth",
            "data": {
                "code": "validation_error",
                "details": [
                    {
                        "loc": ["token"],
                        "msg": "String should have at least 16 characters",
                        "type": "string_too_short",
                    }
                ],
            },
        }
    ]
    # --8<-- [end:invalid_auth]
    return errors
