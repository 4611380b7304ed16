"""The example chat's contract, pinned through the official JavaScript client.

Every assertion names the part of the contract it pins: a change to any of them is a
change to the contract that example_project documents.
"""

from __future__ import annotations

from typing import Any

from example_project.app import app

from .node import requires_node, run_script

pytestmark = requires_node

Checks = dict[str, Any]
UNAUTHORIZED = {"message": "unknown user", "data": {"code": "unauthorized"}}
ROOM_NAME = ("validation_error", [["req", "room"]])


def error(reply: dict[str, Any]) -> tuple[str, list[Any]]:
    """``(code, locs)`` of an error reply, once its shape is the error contract's."""
    body = reply["error"]
    assert set(body) == {"code", "message", "details"}, "example contract: error shape"
    assert isinstance(body["message"], str) and body["message"], "example contract: error message"
    return body["code"], [detail["loc"] for detail in body["details"]]


def pin_rest(checks: Checks) -> None:
    assert checks["health"] == {"status": 200, "body": {"status": "ok"}}, (
        "example contract: GET /api/health"
    )
    assert checks["bad logins"] == [422] * 6, "example contract: POST /api/login refuses bad names"
    assert checks["token"] == "string", "example contract: POST /api/login gives a token"
    assert checks["online without token"] == 401, "example contract: /api/online needs a token"
    assert checks["online with unknown token"] == 401, (
        "example contract: /api/online needs a known token"
    )


def pin_connecting(checks: Checks) -> None:
    assert checks["refused"] == dict.fromkeys(
        ("unknown", "missing", "not a string", "empty"), UNAUTHORIZED
    ), "example contract: no usable token is an unknown user"
    extra = checks["extra auth key"]
    assert extra["message"] == "Invalid auth", "example contract: extra auth keys are invalid"
    assert extra["data"]["code"] == "validation_error", (
        "example contract: extra auth keys are a validation error"
    )
    assert [d["loc"] for d in extra["data"]["details"]] == [["admin"]], (
        "example contract: the extra auth key is named"
    )


def pin_rooms(checks: Checks, ann: str) -> None:
    assert checks["whoami"] == {"id": ann, "username": "ann", "rooms": [ann]}, (
        "example contract: whoami ack"
    )
    assert checks["ann joins"] == {"room": "lobby", "members": 1}, "example contract: join ack"
    assert checks["bob joins"] == {"room": "lobby", "members": 2}, (
        "example contract: join ack counts the members"
    )
    assert checks["ann hears"] == [{"room": "lobby", "username": "bob"}], (
        "example contract: user has joined"
    )
    assert checks["ann's rooms"] == sorted([ann, "lobby"]), (
        "example contract: whoami rooms are sorted"
    )
    assert error(checks["empty room name"]) == ROOM_NAME, (
        "example contract: a room name has 1 character or more"
    )
    assert error(checks["long room name"]) == ROOM_NAME, (
        "example contract: a room name has 64 characters or fewer"
    )
    assert error(checks["socket id as room"]) == ("forbidden_room", []), (
        "example contract: a socket id is not a room to join"
    )
    assert checks["fifty rooms"] is True, "example contract: a socket may join 50 rooms"
    assert error(checks["fifty-first room"]) == ("too_many_rooms", []), (
        "example contract: a socket may not join more than 50 rooms"
    )
    assert checks["a room already joined"] == {"room": "room 1", "members": 1}, (
        "example contract: joining a room again is not one more room"
    )
    assert checks["bob leaves"] == {"room": "lobby"}, "example contract: leave ack"


def pin_chat_messages(checks: Checks) -> None:
    assert checks["sent"] == {"ok": True}, "example contract: chat message ack"
    said = [{"room": "lobby", "username": "ann", "text": "hello"}]
    assert checks["chat"] == {"ann": said, "bob": said}, (
        "example contract: chat message reaches the room, sender included"
    )
    assert error(checks["not in room"]) == ("not_in_room", []), (
        "example contract: chat message to a room you are not in"
    )
    [exception] = checks["not in room, no ack"]
    assert exception["event"] == "chat message", "example contract: exception names the event"
    assert error(exception) == ("not_in_room", []), (
        "example contract: an error without ack is an exception event"
    )
    assert error(checks["too long"]) == ("validation_error", [["msg", "text"]]), (
        "example contract: chat message text has 2000 characters or fewer"
    )


def pin_private_messages(checks: Checks, ann: str, cy: str) -> None:
    assert checks["private"] == [ann, "psst"], "example contract: private message (from_id, text)"
    assert error(checks["private to a room"]) == ("unknown_recipient", []), (
        "example contract: private message goes to a socket id, not a room"
    )
    [refused] = checks["private to a room, no ack"]
    assert refused["event"] == "private message", "example contract: exception names the event"
    assert error(refused) == ("unknown_recipient", []), (
        "example contract: private message to a room, without ack"
    )
    assert checks["private after"] == [cy, "only you"], (
        "example contract: a refused private message reaches nobody"
    )
    assert error(checks["private without text"]) == ("validation_error", [["text"]]), (
        "example contract: private message takes two arguments"
    )


def pin_presence(checks: Checks, ids: dict[str, str]) -> None:
    online = checks["online"]
    assert online["status"] == 200, "example contract: /api/online with a token"
    rooms = {"ann": ["lobby"], "bob": ["lobby"], "cy": [f"room {n}" for n in range(1, 51)]}
    assert sorted(online["body"], key=lambda entry: entry["username"]) == [
        {"id": ids[name], "username": name, "rooms": sorted([ids[name], *rooms[name]])}
        for name in ("ann", "bob", "cy")
    ], "example contract: /api/online lists every socket with its sorted rooms"
    assert checks["left"] == [ids["ann"]], (
        "example contract: user has left is the socket id, a plain string"
    )


async def test_example_contract_from_javascript(served: Any, transport: str) -> None:
    checks = await run_script("example.mjs", await served(app), transport)
    ids = checks["ids"]
    pin_rest(checks)
    pin_connecting(checks)
    pin_rooms(checks, ids["ann"])
    pin_chat_messages(checks)
    pin_private_messages(checks, ids["ann"], ids["cy"])
    pin_presence(checks, ids)
