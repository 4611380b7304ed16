"""What a client gets back when the server refuses a chat message."""

import socketio


async def write_without_joining(cy: socketio.AsyncClient) -> None:
    # --8<-- [start:not_in_room]
    reply = await cy.call("chat message", {"room": "lobby", "text": "let me in"})
    assert reply == {
        "error": {
            "code": "not_in_room",
            "message": "Join 'lobby' before writing to it",
            "details": [],
        }
    }
    # --8<-- [end:not_in_room]
