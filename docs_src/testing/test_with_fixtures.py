"""The chat of the tutorial, tested in this process through sioapp's pytest fixtures."""

import pytest

from sioapp import ConnectionRefused
from sioapp.pytest_plugin import TestClientFactory


async def test_join_acks_the_members(sioapp_test_client: TestClientFactory) -> None:
    ann = await sioapp_test_client(auth={"token": "token-ann"})
    assert await ann.call("join", {"room": "lobby"}) == {"room": "lobby", "members": ["ann"]}


async def test_messages_reach_everyone_in_the_room(sioapp_test_client: TestClientFactory) -> None:
    ann = await sioapp_test_client(auth={"token": "token-ann"})
    bob = await sioapp_test_client(auth={"token": "token-bob"})
    await ann.call("join", {"room": "lobby"})
    await bob.call("join", {"room": "lobby"})

    await ann.emit("chat message", {"room": "lobby", "text": "hi"})

    message = {"room": "lobby", "name": "ann", "text": "hi"}
    assert await bob.receive("chat message") == [message]
    assert await ann.receive("chat message") == [message]


async def test_unknown_tokens_are_refused(sioapp_test_client: TestClientFactory) -> None:
    with pytest.raises(ConnectionRefused) as refused:
        await sioapp_test_client(auth={"token": "forged"})
    assert refused.value.message == "unknown user"
    assert refused.value.data == {"code": "unauthorized"}
