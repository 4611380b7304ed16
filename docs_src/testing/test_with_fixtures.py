"""The chat of the tutorial, tested through the fixtures of sioapp's pytest plugin."""

import asyncio
from typing import Any

import pytest
import socketio


async def test_join_acks_the_members(sioapp_client: Any) -> None:
    ann = await sioapp_client(auth={"token": "token-ann"})
    assert await ann.call("join", {"room": "lobby"}) == {"room": "lobby", "members": ["ann"]}


async def test_messages_reach_everyone_in_the_room(sioapp_client: Any) -> None:
    ann = await sioapp_client(auth={"token": "token-ann"})
    bob = await sioapp_client(auth={"token": "token-bob"})
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    bob.on("chat message", received.put)
    await ann.call("join", {"room": "lobby"})
    await bob.call("join", {"room": "lobby"})

    await ann.call("chat message", {"room": "lobby", "text": "hi"})

    message = await asyncio.wait_for(received.get(), timeout=5)
    assert message == {"room": "lobby", "name": "ann", "text": "hi"}


async def test_unknown_tokens_are_refused(sioapp_url: str) -> None:
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(sioapp_url, auth={"token": "forged"}, transports=["websocket"])
