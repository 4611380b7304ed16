"""TestClient without the fixtures: two users of the tutorial's chat, in this process."""

from docs_src.tutorial.step5_leaving import app
from sioapp.testing import TestClient


async def test_private_messages() -> None:
    async with (
        TestClient(app, auth={"token": "token-ann"}) as ann,
        TestClient(app, auth={"token": "token-bob"}) as bob,
    ):
        await ann.emit("private message", bob.sid, "psst")

        assert await bob.receive("private message") == [ann.sid, "psst"]


async def test_the_room_hears_who_left() -> None:
    async with (
        TestClient(app, auth={"token": "token-ann"}) as ann,
        TestClient(app, auth={"token": "token-bob"}) as bob,
    ):
        await ann.call("join", {"room": "lobby"})
        await bob.call("join", {"room": "lobby"})

        await bob.disconnect()

        left = {"room": "lobby", "name": "bob", "reason": "client namespace disconnect"}
        assert await ann.receive("user left") == [left]
        assert [event for event, _ in ann.received] == ["welcome", "user joined", "user left"]
