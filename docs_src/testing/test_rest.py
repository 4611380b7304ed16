"""REST and realtime in one test: the app's REST routes through ``http``."""

from docs_src.rest.app import app
from sioapp.testing import TestClient, TestServer


async def test_an_announcement_reaches_the_room() -> None:
    async with TestClient(app) as ann:
        await ann.call("join", "lobby")

        reply = await ann.http.post("/api/announce", json={"room": "lobby", "text": "hi"})

        assert reply.json() == {"receivers": 1}
        assert await ann.receive("announcement") == ["hi"]


async def test_rest_before_and_after_connecting() -> None:
    async with TestServer(app) as server:
        assert (await server.http.get("/api/online")).json() == []
        async with TestClient(app) as ann:
            assert (await server.http.get("/api/online")).json() == [ann.sid]
