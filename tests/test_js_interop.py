"""Interop with the official JavaScript client: socket.io-client v4 under Node.js.

Each test serves the app of ``tests/js_app.py`` with a real uvicorn and runs one
script of ``tests/js/`` against it, once over WebSocket only and once over
HTTP long-polling only. A script prints one JSON line per check.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest_asyncio

from sioapp import DisconnectReason

from .conftest import eventually
from .js_app import JsApp, create_app
from .node import requires_node, run_script

SOCKET_ID = re.compile(r"^[A-Za-z0-9_-]{20}$")

pytestmark = requires_node


@dataclass
class Served:
    url: str
    state: JsApp

    @property
    def port(self) -> int:
        port = urlsplit(self.url).port
        assert port is not None
        return port


@pytest_asyncio.fixture
async def server(served: Any) -> Served:
    state = create_app()
    return Served(await served(state.app), state)


async def disconnect_reasons(
    state: JsApp, sid: str, timeout: float = 5.0
) -> list[DisconnectReason]:
    """The reasons recorded for ``sid``, once its disconnect handler has run."""
    await eventually(lambda: state.reasons_of(sid), timeout)
    return state.reasons_of(sid)


def validation_details(error: dict[str, Any]) -> list[tuple[list[Any], str]]:
    """``(loc, type)`` of each detail of a validation error, checking its shape."""
    assert error["code"] == "validation_error"
    assert error["message"] == "Invalid event payload"
    for detail in error["details"]:
        assert set(detail) == {"loc", "msg", "type"}, "no input is echoed back"
        assert isinstance(detail["msg"], str) and detail["msg"]
    return [(detail["loc"], detail["type"]) for detail in error["details"]]


async def test_connect_and_client_disconnect(server: Served, transport: str) -> None:
    checks = await run_script("connect.mjs", server.url, transport)

    sid = checks["connected"]["id"]
    assert SOCKET_ID.match(sid)
    assert checks["connected"] == {"id": sid, "connected": True, "transport": transport}
    assert server.state.connected == [sid]
    # on_connect emits after CONNECT: the client sees "connect" first.
    assert checks["events"] == [["connect"], ["welcome", {"id": sid, "user": "alice"}]]
    assert checks["whoami"] == {
        "id": sid,
        "user": "alice",
        "data": {"user": "alice"},
        "rooms": [sid],
    }
    assert checks["join"] == {"room": "lobby", "members": 1, "user": "alice"}
    assert checks["rooms_after_join"] == sorted([sid, "lobby"])

    assert checks["disconnect"] == {"reason": "io client disconnect", "active": False}
    assert await disconnect_reasons(server.state, sid) == [
        DisconnectReason.CLIENT_NAMESPACE_DISCONNECT
    ]


async def test_handshake(server: Served, transport: str) -> None:
    started_ms = time.time() * 1000
    checks = await run_script("handshake.mjs", server.url, transport)
    finished_ms = time.time() * 1000
    handshake = checks["handshake"]

    assert handshake["auth"] == {"token": "alice-token", "color": "blue"}
    query = dict(handshake["query"])
    if transport == "polling":
        assert query.pop("t"), "the polling cache buster is part of the query"
    assert query == {"room": "lobby", "n": "1", "EIO": "4", "transport": transport}
    assert dict(parse_qsl(urlsplit(handshake["url"]).query)) == handshake["query"]
    assert handshake["url"].startswith("/socket.io/?")

    headers = handshake["headers"]
    assert headers["x-interop"] == "yes"
    assert headers["host"] == f"127.0.0.1:{server.port}"
    if transport == "websocket":
        assert headers["upgrade"].lower() == "websocket"

    assert handshake["address"] == "127.0.0.1"
    assert handshake["xdomain"] is False
    assert handshake["secure"] is False
    assert isinstance(handshake["issued"], int)
    assert started_ms - 1 <= handshake["issued"] <= finished_ms + 1
    # ``time`` is a Date string Node parses back, to the second.
    assert checks["time_parsed"] == handshake["issued"] // 1000 * 1000


async def test_events_and_acks(server: Served, transport: str) -> None:
    checks = await run_script("events.mjs", server.url, transport)
    sid = checks["id"]

    assert server.state.notes == [(sid, "first note")]
    assert checks["join_promise"] == {"room": "garden", "members": 1, "user": "bob"}
    assert checks["join_callback"] == {"room": "pond", "members": 1, "user": "bob"}
    assert checks["join_timeout"] == {"room": "lake", "members": 1, "user": "bob"}

    assert validation_details(checks["empty_room"]["error"]) == [
        (["req", "room"], "string_too_short")
    ]
    assert validation_details(checks["missing_room"]["error"]) == [(["req", "room"], "missing")]
    assert validation_details(checks["missing_argument"]["error"]) == [(["req"], "missing")]
    assert validation_details(checks["missing_second_argument"]["error"]) == [(["msg"], "missing")]
    assert checks["unknown_event"] == {
        "error": {
            "code": "unknown_event",
            "message": "No handler for this event",
            "details": [],
        }
    }

    exception = checks["exception_event"]
    assert set(exception) == {"event", "error"}
    assert exception["event"] == "join"
    assert validation_details(exception["error"]) == [(["req", "room"], "string_type")]

    assert checks["server_asks"] == 42
    assert checks["still_connected"] == {"connected": True, "id": sid}
    # Errors answered by an ack are not also sent as "exception" events.
    assert checks["events"] == [
        ["connect"],
        ["welcome", {"id": sid, "user": "bob"}],
        ["exception", exception],
        ["question", 21],
    ]


async def test_connect_error(server: Served, transport: str) -> None:
    checks = await run_script("refused.mjs", server.url, transport)

    refused = {
        "error": True,
        "message": "unknown user",
        "data": {"code": "unauthorized"},
        "active": False,
        "connected": False,
    }
    assert checks["bad_token"] == refused
    assert checks["no_auth"] == refused
    sid = checks["good_token"]["id"]
    assert checks["good_token"] == {"connected": True, "id": sid}
    assert server.state.connected == [sid], "refused sockets never reach on_connect"
    assert await disconnect_reasons(server.state, sid) == [
        DisconnectReason.CLIENT_NAMESPACE_DISCONNECT
    ]
    assert [recorded for recorded, _ in server.state.disconnects] == [sid]


async def test_private_messages_rooms_and_broadcasts(server: Served, transport: str) -> None:
    checks = await run_script("peers.mjs", server.url, transport)
    ids = checks["ids"]
    alice, bob, carol = ids["alice"], ids["bob"], ids["carol"]
    assert sorted(server.state.connected) == sorted(ids.values())

    assert checks["bob_private"] == [alice, "hi bob"]
    assert checks["alice_private"] == [bob, "hi alice"]
    assert checks["alice_join_red"] == {"room": "red", "members": 1, "user": "alice"}
    assert checks["bob_join_red"] == {"room": "red", "members": 2, "user": "bob"}
    assert checks["carol_join_blue"] == {"room": "blue", "members": 1, "user": "carol"}
    assert checks["rooms"] == {
        "alice": sorted([alice, "red"]),
        "bob": sorted([bob, "red"]),
        "carol": sorted([carol, "blue"]),
    }
    assert checks["announce_red"] is True
    assert checks["announce_all"] is True
    assert checks["relay_red"] is None

    received = checks["received"]
    assert received["alice"] == [
        ["connect"],
        ["welcome", {"id": alice, "user": "alice"}],
        ["private message", bob, "hi alice"],
        ["announcement", "to red", "red"],
        ["announcement", "to all"],
    ]
    assert received["bob"] == [
        ["connect"],
        ["welcome", {"id": bob, "user": "bob"}],
        ["private message", alice, "hi bob"],
        ["announcement", "to red", "red"],
        ["announcement", "to all"],
        ["relayed", "alice", "from alice"],
    ]
    assert received["carol"] == [
        ["connect"],
        ["welcome", {"id": carol, "user": "carol"}],
        ["announcement", "to all"],
        ["private message", alice, "to blue"],
    ]


async def test_server_disconnect_and_transport_close(server: Served, transport: str) -> None:
    checks = await run_script("disconnects.mjs", server.url, transport)

    kicked = checks["kicked"]
    assert kicked == {"id": kicked["id"], "reason": "io server disconnect", "active": False}
    assert await disconnect_reasons(server.state, kicked["id"]) == [
        DisconnectReason.SERVER_NAMESPACE_DISCONNECT
    ]

    dropped = checks["dropped"]
    assert dropped == {"id": dropped["id"], "reason": "forced close"}
    assert await disconnect_reasons(server.state, dropped["id"]) == [
        DisconnectReason.TRANSPORT_CLOSE
    ]


async def test_client_process_ends_after_disconnect(server: Served, transport: str) -> None:
    """Nothing stays pending after ``socket.disconnect()``: Node ends the client by itself,
    as it does against a Node Socket.IO server."""
    checks = await run_script("exit.mjs", server.url, transport)

    assert SOCKET_ID.match(checks["whoami"])
    assert checks["disconnect"] == "io client disconnect"
    assert checks["exit"]["natural"] is True, (
        f"the client process was still running {checks['exit']['afterMs']} ms after it disconnected"
    )
    assert checks["exit"]["afterMs"] < 2500  # well within the script's 5 s grace
