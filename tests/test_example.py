"""The example chat's whole contract, through python-socketio clients and REST."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import socketio

from example_project.app import app

from .conftest import Connect, Inbox

EVENTS = ("user has joined", "chat message", "private message", "user has left", "exception")


@pytest.fixture
async def url(served: Any) -> str:
    return str(await served(app))


async def login(url: str, username: str) -> str:
    async with httpx.AsyncClient(base_url=url) as http:
        response = await http.post("/api/login", json={"username": username})
        response.raise_for_status()
        return str(response.json()["token"])


async def user(url: str, client: Connect, inbox: type[Inbox], name: str) -> tuple[Any, Inbox]:
    sio = socketio.AsyncClient(reconnection=False)
    box = inbox(sio, *EVENTS)
    await client(url, client=sio, auth={"token": await login(url, name)})
    return sio, box


async def test_rest_health_and_login_validation(url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        assert (await http.get("/api/health")).json() == {"status": "ok"}
        for bad in ("", "x" * 33, "has space", "semi;colon"):
            assert (await http.post("/api/login", json={"username": bad})).status_code == 422
        assert (await http.post("/api/login", json={})).status_code == 422
        page = await http.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]


async def test_unknown_token_or_malformed_auth_is_refused(url: str) -> None:
    sio = socketio.AsyncClient(reconnection=False)
    errors: list[Any] = []
    sio.on("connect_error", errors.append)
    for auth in ({"token": "forged"}, None, {"token": 42}):
        with pytest.raises(socketio.exceptions.ConnectionError):
            await sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=5)
    invalid = {"message": "Invalid auth", "data": {"code": "validation_error", "details": []}}
    assert errors == [
        {"message": "unknown user", "data": {"code": "unauthorized"}},
        invalid
        | {
            "data": {
                "code": "validation_error",
                "details": [{"loc": ["token"], "msg": "Field required", "type": "missing"}],
            }
        },
        invalid
        | {
            "data": {
                "code": "validation_error",
                "details": [
                    {
                        "loc": ["token"],
                        "msg": "Input should be a valid string",
                        "type": "string_type",
                    }
                ],
            }
        },
    ]


async def test_chat_contract(url: str, client: Connect, inbox: type[Inbox]) -> None:
    ann, ann_box = await user(url, client, inbox, "ann")
    bob, bob_box = await user(url, client, inbox, "bob")

    me = await ann.call("whoami")
    assert me == {"id": ann.get_sid(), "username": "ann", "rooms": [ann.get_sid()]}

    assert await ann.call("join", {"room": "lobby"}) == {"room": "lobby", "members": 1}
    assert await bob.call("join", {"room": "lobby"}) == {"room": "lobby", "members": 2}
    assert await ann_box.next("user has joined") == ({"room": "lobby", "username": "bob"},)
    assert (await ann.call("whoami"))["rooms"] == sorted([ann.get_sid(), "lobby"])

    assert await ann.call("chat message", {"room": "lobby", "text": "hello"}) == {"ok": True}
    expected = ({"room": "lobby", "username": "ann", "text": "hello"},)
    assert await ann_box.next("chat message") == expected
    assert await bob_box.next("chat message") == expected

    refused = await bob.call("chat message", {"room": "kitchen", "text": "hi"})
    assert refused["error"]["code"] == "not_in_room"
    invalid = await bob.call("chat message", {"room": "lobby", "text": ""})
    assert invalid["error"]["code"] == "validation_error"
    assert invalid["error"]["details"][0]["loc"] == ["msg", "text"]

    await ann.emit("private message", (bob.get_sid(), "psst"))
    assert await bob_box.next("private message") == (ann.get_sid(), "psst")

    async with httpx.AsyncClient(base_url=url) as http:
        online = (await http.get("/api/online")).json()
    assert sorted(online, key=lambda entry: entry["username"]) == [
        {"id": ann.get_sid(), "username": "ann", "rooms": sorted([ann.get_sid(), "lobby"])},
        {"id": bob.get_sid(), "username": "bob", "rooms": sorted([bob.get_sid(), "lobby"])},
    ]

    assert await bob.call("leave", {"room": "lobby"}) == {"room": "lobby"}
    assert await bob.call("join", {"room": "lobby"}) == {"room": "lobby", "members": 2}
    ann_sid = ann.get_sid()
    await ann.disconnect()
    assert await bob_box.next("user has left") == ({"id": ann_sid},)
