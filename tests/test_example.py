"""The example chat's whole contract, through python-socketio clients and REST."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import socketio

from example_project.app import app
from example_project.users import User, UserStore
from sioapp import contract

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


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def user(url: str, client: Connect, inbox: type[Inbox], name: str) -> tuple[Any, Inbox, str]:
    sio = socketio.AsyncClient(reconnection=False)
    box = inbox(sio, *EVENTS)
    token = await login(url, name)
    await client(url, client=sio, auth={"token": token})
    return sio, box, token


async def test_rest_health_and_login_validation(url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        assert (await http.get("/api/health")).json() == {"status": "ok"}
        for bad in ("", "x" * 33, "has space", "semi;colon"):
            assert (await http.post("/api/login", json={"username": bad})).status_code == 422
        assert (await http.post("/api/login", json={})).status_code == 422
        assert (await http.get("/api/online")).status_code == 401
        forged = await http.get("/api/online", headers=bearer("forged"))
        assert forged.status_code == 401 and forged.headers["www-authenticate"] == "Bearer"
        page = await http.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]


async def test_no_usable_token_is_an_unknown_user_and_extra_keys_are_invalid(url: str) -> None:
    sio = socketio.AsyncClient(reconnection=False)
    errors: list[Any] = []
    sio.on("connect_error", errors.append)
    token = await login(url, "ann")
    unusable = ({"token": "forged"}, None, {}, {"token": 42}, {"token": ""}, {"token": None})
    for auth in (*unusable, {"token": token, "admin": True}):
        with pytest.raises(socketio.exceptions.ConnectionError):
            await sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=5)
    unknown = {"message": "unknown user", "data": {"code": "unauthorized"}}
    extra = {"loc": ["admin"], "msg": "Extra inputs are not permitted", "type": "extra_forbidden"}
    assert errors == [
        *[unknown] * len(unusable),
        {"message": "Invalid auth", "data": {"code": "validation_error", "details": [extra]}},
    ]


def test_the_contract_documents_every_event_the_server_sends() -> None:
    types = contract.typescript(app)
    sent = types.split("export interface ServerToClientEvents {\n", 1)[1].split("\n}", 1)[0]
    members = [line.strip() for line in sent.splitlines() if not line.strip().startswith("/")]
    assert members == [
        '"user has left": (value: string) => void;',
        '"private message": (from_id: string, text: string) => void;',
        '"user has joined": (userJoined: UserJoined) => void;',
        '"chat message": (message: Message) => void;',
        "exception: (exception: ExceptionEvent) => void;",
    ], "example contract: the server-to-client events and their arguments"


def test_tokens_expire_and_the_store_keeps_the_newest() -> None:
    now = [0.0]
    users = UserStore(lifetime=60, capacity=2, clock=lambda: now[0])
    ann, bob = users.login("ann"), users.login("bob")
    assert users.by_token(ann) == User("ann")
    now[0] = 59.9
    cy = users.login("cy")  # a third token: the oldest, ann's, is forgotten
    assert [users.by_token(token) for token in (ann, bob, cy)] == [None, User("bob"), User("cy")]
    now[0] = 60.0
    assert users.by_token(bob) is None  # issued 60 s ago
    assert users.by_token(cy) == User("cy")
    for unusable in ("", None, 42, ["a list"]):
        assert users.by_token(unusable) is None


async def test_chat_contract(url: str, client: Connect, inbox: type[Inbox]) -> None:
    ann, ann_box, ann_token = await user(url, client, inbox, "ann")
    bob, bob_box, _ = await user(url, client, inbox, "bob")

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

    to_room = await ann.call("private message", ("lobby", "to everyone?"))
    assert to_room["error"]["code"] == "unknown_recipient"
    await ann.emit("private message", (bob.get_sid(), "psst"))
    assert await bob_box.next("private message") == (ann.get_sid(), "psst")

    async with httpx.AsyncClient(base_url=url) as http:
        online = (await http.get("/api/online", headers=bearer(ann_token))).json()
    assert sorted(online, key=lambda entry: entry["username"]) == [
        {"id": ann.get_sid(), "username": "ann", "rooms": sorted([ann.get_sid(), "lobby"])},
        {"id": bob.get_sid(), "username": "bob", "rooms": sorted([bob.get_sid(), "lobby"])},
    ]

    assert await bob.call("leave", {"room": "lobby"}) == {"room": "lobby"}
    assert await bob.call("join", {"room": "lobby"}) == {"room": "lobby", "members": 2}
    ann_sid = ann.get_sid()
    await ann.disconnect()
    assert await bob_box.next("user has left") == (ann_sid,)
