"""What a client receives when an event fails."""

import asyncio
from typing import Any

import socketio


async def with_ack(client: socketio.AsyncClient) -> None:
    # --8<-- [start:ack]
    assert await client.call("join", {"room": "admins"}) == {
        "error": {
            "code": "forbidden",
            "message": "Only admins may join this room",
            "details": ["admins"],
        }
    }
    assert await client.call("join", {"room": ""}) == {
        "error": {
            "code": "validation_error",
            "message": "Invalid event payload",
            "details": [
                {
                    "loc": ["req", "room"],
                    "msg": "String should have at least 1 character",
                    "type": "string_too_short",
                }
            ],
        }
    }
    assert await client.call("crash") == {
        "error": {"code": "internal_error", "message": "Internal server error", "details": []}
    }
    assert await client.call("no such event") == {
        "error": {
            "code": "unknown_event",
            "message": "No handler for this event",
            "details": [],
        }
    }
    assert await client.call("join", {"room": "lobby"}) == ["lobby"]  # still connected
    # --8<-- [end:ack]


async def without_ack(client: socketio.AsyncClient) -> dict[str, Any]:
    # --8<-- [start:exception]
    errors: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    client.on("exception", errors.put_nowait)

    await client.emit("join", {"room": "admins"})  # no ack asked
    error = await errors.get()
    assert error == {
        "event": "join",
        "error": {
            "code": "forbidden",
            "message": "Only admins may join this room",
            "details": ["admins"],
        },
    }
    # --8<-- [end:exception]
    return error
