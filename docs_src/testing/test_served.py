"""The chat served by uvicorn on a free port, reached by real python-socketio clients."""

import asyncio

from docs_src.tutorial.step5_leaving import app
from sioapp.pytest_plugin import ClientFactory
from sioapp.testing import connect, serve


async def test_private_messages() -> None:
    async with (
        serve(app) as url,
        connect(url, auth={"token": "token-ann"}) as ann,
        connect(url, auth={"token": "token-bob"}) as bob,
    ):
        received: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        bob.on("private message", lambda sender, text: received.put_nowait((sender, text)))

        await ann.emit("private message", (bob.get_sid(), "psst"))

        assert await asyncio.wait_for(received.get(), timeout=5) == (ann.get_sid(), "psst")


async def test_over_long_polling(sioapp_client: ClientFactory) -> None:
    ann = await sioapp_client(auth={"token": "token-ann"}, transports=["polling"])
    assert await ann.call("join", {"room": "lobby"}) == {"room": "lobby", "members": ["ann"]}
