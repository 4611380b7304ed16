"""The Admin UI's server side in process: who gets in, what admins hear, what they may do.

The payload shapes are pinned against the official Node server in
``test_admin_protocol.py``; the official UI itself runs in ``test_admin_browser.py``.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import sys
from typing import Any

import bcrypt
import pytest

from sioapp import ConnectionRefused, RegistrationError, Router, SioApp, Socket, contract
from sioapp.testing import TestClient, TestServer

ADMIN = {"username": "admin", "password": "s3cret"}
DEVELOPMENT_FEATURES = [
    "EMIT",
    "JOIN",
    "LEAVE",
    "DISCONNECT",
    "MJOIN",
    "MLEAVE",
    "MDISCONNECT",
    "AGGREGATED_EVENTS",
    "ALL_EVENTS",
]
MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


class Moment:
    """Equal to any moment written as JavaScript writes a ``Date`` in JSON."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and MOMENT.fullmatch(other) is not None

    def __repr__(self) -> str:
        return "<a JavaScript date>"


NOW = Moment()


def chat(**instrument: Any) -> SioApp:
    """A small chat, instrumented with ``instrument`` (the admin's password by default)."""
    app = SioApp(docs_url=None)
    users = Router()
    users.emits("welcome", str)

    @users.use
    async def named(socket: Socket) -> None:
        socket.data["name"] = socket.handshake.auth.get("name", "anonymous")

    @users.on("join")
    async def join(room: str, socket: Socket) -> dict[str, str]:
        await socket.join(room)
        socket.data["room"] = room
        await socket.emit("welcome", room)
        return {"room": room}

    @users.on("leave")
    async def leave(room: str, socket: Socket) -> None:
        await socket.leave(room)

    app.include_router(users)
    app.instrument(**({"auth": ADMIN, "server_stats_interval": 0.05} | instrument))
    return app


def admin(app: SioApp, **auth: Any) -> TestClient:
    return TestClient(app, namespace="/admin", auth=auth or ADMIN)


def names(client: TestClient) -> list[str]:
    return [received.event for received in client.received]


# ---- who gets in ------------------------------------------------------------------


async def test_an_admin_gets_a_session_the_config_and_every_socket() -> None:
    app = chat()
    async with TestServer(app), TestClient(app, auth={"name": "ann"}) as ann, admin(app) as root:
        (session,) = await root.receive("session")
        assert re.fullmatch(r"[0-9a-f]{32}", session)
        assert await root.receive("config") == [{"supportedFeatures": DEVELOPMENT_FEATURES}]
        (sockets,) = await root.receive("all_sockets")
    by_id = {each["id"]: each for each in sockets}
    assert set(by_id) == {ann.sid, root.sid}
    listed = by_id[ann.sid]
    assert list(listed) == ["id", "clientId", "transport", "nsp", "data", "handshake", "rooms"]
    assert listed["nsp"] == "/"
    assert listed["transport"] == "websocket"
    assert re.fullmatch(r"[\w-]{12}", listed["clientId"])
    assert listed["data"] == {"name": "ann"}  # without what the Admin UI keeps there
    assert listed["rooms"] == [ann.sid]
    handshake = listed["handshake"]
    assert sorted(handshake) == [
        "address",
        "headers",
        "issued",
        "query",
        "secure",
        "time",
        "url",
        "xdomain",
    ]
    assert "auth" not in by_id[root.sid]["handshake"]  # the admin's password stays home
    assert by_id[root.sid]["nsp"] == "/admin"


@pytest.mark.parametrize(
    "auth",
    [
        {"username": "admin", "password": "wrong"},
        {"username": "root", "password": "s3cret"},
        {"username": "admin"},
        {"username": "admin", "password": 7},
        {"sessionId": "0123456789abcdef0123456789abcdef"},
        {},
    ],
)
async def test_wrong_credentials_get_invalid_credentials_and_see_nothing(
    auth: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    app = chat()
    caplog.set_level(logging.INFO, "sioapp")
    async with TestServer(app):
        refused = TestClient(app, namespace="/admin", auth=auth)
        with pytest.raises(ConnectionRefused) as error:
            async with refused:
                pass
        async with TestClient(app) as ann:  # the server and its users carry on
            assert await ann.call("join", "lobby") == {"room": "lobby"}
    assert error.value.message == "invalid credentials"
    assert error.value.data is None
    assert refused.received == []
    assert "[/admin] refused: invalid credentials" in caplog.text


async def test_a_session_lets_the_ui_back_in_without_the_password() -> None:
    app = chat()
    async with TestServer(app):
        async with admin(app) as first:
            (session,) = await first.receive("session")
        async with TestClient(app, namespace="/admin", auth={"sessionId": session}) as again:
            assert await again.receive("config") == [{"supportedFeatures": DEVELOPMENT_FEATURES}]
        assert "session" not in names(again)


async def test_a_hashed_password_is_checked_with_bcrypt() -> None:
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode()
    app = chat(auth={"username": "admin", "password": hashed})
    async with TestServer(app):
        async with admin(app) as root:
            await root.receive("config")
        with pytest.raises(ConnectionRefused, match="invalid credentials"):
            async with admin(app, username="admin", password=hashed):
                pass


def test_a_hashed_password_without_bcrypt_is_refused_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "bcrypt", None)  # as if it were not installed
    hashed = "$2b$04$" + "a" * 53
    with pytest.raises(ImportError, match=re.escape("pip install 'sioapp[admin]'")):
        chat(auth={"username": "admin", "password": hashed})
    chat(auth=ADMIN)  # a plain password needs nothing


async def test_a_callable_checks_the_handshake_auth_itself() -> None:
    seen: list[dict[str, Any]] = []

    async def only_tokens(auth: dict[str, Any]) -> bool:
        seen.append(dict(auth))
        return auth.get("token") == "t0ken"

    app = chat(auth=only_tokens)
    async with TestServer(app):
        async with TestClient(app, namespace="/admin", auth={"token": "t0ken"}) as root:
            assert (await root.receive("session"))[0]
        with pytest.raises(ConnectionRefused, match="invalid credentials"):
            async with TestClient(app, namespace="/admin", auth={"token": "guess"}):
                pass
    assert seen == [{"token": "t0ken"}, {"token": "guess"}]


async def test_auth_none_lets_anyone_in(caplog: pytest.LogCaptureFixture) -> None:
    app = chat(auth=None)
    assert "asks for no credentials" in caplog.text
    async with TestServer(app), TestClient(app, namespace="/admin") as anyone:
        assert await anyone.receive("config") == [{"supportedFeatures": DEVELOPMENT_FEATURES}]
    assert "session" not in names(anyone)


async def test_the_apps_connection_middleware_does_not_guard_the_admin_namespace() -> None:
    app = SioApp(docs_url=None)

    @app.use
    async def tokens_only(socket: Socket) -> None:
        if socket.handshake.auth.get("token") != "t0ken":
            raise ConnectionRefused("unknown user")

    app.instrument(auth=ADMIN)
    async with TestServer(app):
        with pytest.raises(ConnectionRefused, match="unknown user"):
            async with TestClient(app):
                pass
        async with admin(app) as root:
            await root.receive("config")


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"auth": {"username": "admin"}}, TypeError, "auth is"),
        ({"auth": {"username": "admin", "password": ""}}, TypeError, "auth is"),
        ({"auth": "s3cret"}, TypeError, "auth is"),
        ({"mode": "staging"}, ValueError, "mode is"),
        ({"namespace": "/"}, ValueError, "admin namespace"),
        ({"namespace": "admin"}, ValueError, "admin namespace"),
        ({"server_stats_interval": 0}, ValueError, "server_stats_interval"),
        ({"server_id": ""}, ValueError, "server_id"),
    ],
)
def test_options_that_cannot_work_are_refused_at_once(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        chat(**options)


def test_the_admin_namespace_is_its_own() -> None:
    app = chat()
    with pytest.raises(RuntimeError, match="called already"):
        app.instrument(auth=ADMIN)
    with pytest.raises(RegistrationError, match="'/admin' belongs to the Admin UI"):
        app.include_router(Router("/admin"))
    taken = SioApp(docs_url=None)
    taken.include_router(Router("/ops"))
    with pytest.raises(RegistrationError, match="'/ops' belongs to the app"):
        taken.instrument(auth=ADMIN, namespace="/ops")


# ---- what admins hear -------------------------------------------------------------


async def test_development_mode_reports_sockets_rooms_and_events_as_they_happen() -> None:
    app = chat()
    async with TestServer(app), admin(app) as root:
        await root.receive("all_sockets")
        assert await root.receive("room_joined") == ["/admin", root.sid, root.sid, NOW]
        assert (await root.receive("socket_connected"))[0]["id"] == root.sid
        async with TestClient(app, auth={"name": "ann"}) as ann:
            sid = ann.sid
            assert await root.receive("room_joined") == ["/", sid, sid, NOW]
            (connected, moment) = await root.receive("socket_connected")
            assert (connected["id"], connected["data"], moment) == (sid, {"name": "ann"}, NOW)
            await ann.call("join", "lobby")
            assert await root.receive("event_received") == [
                "/",
                sid,
                ["join", "lobby"],
                NOW,
            ]
            assert await root.receive("room_joined") == ["/", "lobby", sid, NOW]
            assert await root.receive("event_sent") == [
                "/",
                sid,
                ["welcome", "lobby"],
                NOW,
            ]
            assert await root.receive("socket_updated") == [
                {"id": sid, "nsp": "/", "data": {"name": "ann", "room": "lobby"}}
            ]
            await ann.call("leave", "lobby")
            assert await root.receive("room_left") == ["/", "lobby", sid, NOW]
        assert await root.receive("room_left") == ["/", sid, sid, NOW]
        assert await root.receive("socket_disconnected") == [
            "/",
            sid,
            "client namespace disconnect",
            NOW,
        ]
    # the leave event changed no data: no second update
    assert names(root).count("socket_updated") == 1


async def test_production_mode_sends_no_per_event_traffic() -> None:
    app = chat(mode="production")
    async with TestServer(app), admin(app) as root:
        features = DEVELOPMENT_FEATURES[:-1]
        assert await root.receive("config") == [{"supportedFeatures": features}]
        async with TestClient(app, auth={"name": "ann"}) as ann:
            await ann.call("join", "lobby")
            (stats,) = await root.receive("server_stats")
            while stats["clientsCount"] < 2:
                (stats,) = await root.receive("server_stats")
            assert "_admin" not in ann_socket_data(app, ann)
        (stats,) = await root.receive("server_stats")
    assert set(names(root)) == {"session", "config", "server_stats"}


def ann_socket_data(app: SioApp, client: TestClient) -> dict[str, Any]:
    assert client.sid is not None
    return app.server.sockets[client.sid].data


async def test_server_stats_count_this_servers_clients_namespaces_and_traffic() -> None:
    app = chat()
    async with TestServer(app), admin(app) as root, TestClient(app) as ann:
        await ann.call("join", "lobby")
        (stats,) = await root.receive("server_stats")
        seen: set[str] = {event["type"] for event in stats["aggregatedEvents"]}
        while not {"rawConnection", "packetsIn", "bytesIn"} <= seen or stats["clientsCount"] < 2:
            (stats,) = await root.receive("server_stats")
            seen |= {event["type"] for event in stats["aggregatedEvents"]}
    assert stats["serverId"] == f"{socket.gethostname()}#{os.getpid()}"
    assert (stats["hostname"], stats["pid"]) == (socket.gethostname(), os.getpid())
    assert stats["uptime"] > 0
    assert (stats["clientsCount"], stats["pollingClientsCount"]) == (2, 0)
    assert stats["namespaces"] == [
        {"name": "/", "socketsCount": 1},
        {"name": "/admin", "socketsCount": 1},
    ]
    for event in stats["aggregatedEvents"]:
        assert event["timestamp"] % 1000 == 0
        assert event["count"] > 0
        assert list(event) in (
            ["timestamp", "type", "count"],
            ["timestamp", "type", "subType", "count"],
        )


async def test_a_disconnection_is_counted_with_its_reason() -> None:
    app = chat(server_id="eu-1")
    async with TestServer(app), admin(app) as root:
        async with TestClient(app):
            pass
        found: list[dict[str, Any]] = []
        while not found:
            (stats,) = await root.receive("server_stats")
            assert stats["serverId"] == "eu-1"
            found = [e for e in stats["aggregatedEvents"] if e["type"] == "rawDisconnection"]
    assert found[0]["subType"] == "transport close"


# ---- what admins may do -----------------------------------------------------------


async def test_commands_reach_the_sockets_they_name() -> None:
    app = chat()
    async with TestServer(app), admin(app) as root, TestClient(app) as ann, TestClient(app) as bob:
        await ann.call("join", "lobby")
        await bob.call("join", "lobby")
        assert await root.call("join", "/", "vip", ann.sid) is None
        assert app.server.sockets[str(ann.sid)].rooms == {ann.sid, "lobby", "vip"}
        assert await root.call("join", "/", "everyone") is None
        assert "everyone" in app.server.sockets[str(bob.sid)].rooms
        assert await root.call("leave", "/", "lobby", bob.sid) is None
        assert "lobby" not in app.server.sockets[str(bob.sid)].rooms
        assert await root.call("emit", "/", "lobby", "announce", "hi", 2) is None
        assert await ann.receive("announce") == ["hi", 2]
        assert await root.call("emit", "/", None, "all", {"x": 1}) is None
        assert await bob.receive("all") == [{"x": 1}]
        assert "announce" not in [each.event for each in bob.received]
        assert await root.call("_disconnect", "/", False, ann.sid) is None
        assert await ann.wait_disconnected() == "io server disconnect"
        assert bob.connected
        assert await root.call("_disconnect", "/", True, "everyone") is None
        assert await bob.wait_disconnected() == "transport close"


async def test_commands_on_unknown_sockets_rooms_or_namespaces_are_no_ops_with_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = chat()
    async with TestServer(app), admin(app) as root, TestClient(app) as ann:
        await ann.call("join", "lobby")
        nobody = await root.call("_disconnect", "/", False, "nobody")
        assert nobody["error"]["code"] == "not_found"
        assert "'nobody'" in nobody["error"]["message"]
        elsewhere = await root.call("join", "/chat", "vip", ann.sid)
        assert elsewhere["error"]["code"] == "unknown_namespace"
        reserved = await root.call("emit", "/", "lobby", "disconnect")
        assert reserved["error"]["code"] == "invalid_event"
        mismatched = await root.call("emit", "/", None, "welcome", 3)  # declared: one str
        assert mismatched["error"]["code"] == "invalid_event"
        assert mismatched["error"]["details"][0]["type"] == "string_type"
        malformed = await root.call("join", 3, "vip")
        assert malformed["error"]["code"] == "validation_error"
        await root.emit("leave", "/", "lobby", "nobody")  # no ack asked: an exception event
        (exception,) = await root.receive("exception")
        assert (exception["event"], exception["error"]["code"]) == ("leave", "not_found")
        assert ann.connected
        assert app.server.sockets[str(ann.sid)].rooms == {ann.sid, "lobby"}
    assert "event '_disconnect' from" in caplog.text


async def test_read_only_refuses_every_command() -> None:
    app = chat(read_only=True)
    async with TestServer(app), admin(app) as root, TestClient(app) as ann:
        features = ["AGGREGATED_EVENTS", "ALL_EVENTS"]
        assert await root.receive("config") == [{"supportedFeatures": features}]
        for command in (
            ("join", "/", "vip", ann.sid),
            ("leave", "/", ann.sid, ann.sid),
            ("emit", "/", None, "announce"),
            ("_disconnect", "/", True),
        ):
            refused = await root.call(*command)
            assert refused["error"] == {
                "code": "read_only",
                "message": "This Admin UI is read-only",
                "details": [],
            }
        assert ann.connected
        assert app.server.sockets[str(ann.sid)].rooms == {ann.sid}


# ---- the contract -----------------------------------------------------------------


def test_the_admin_namespace_never_appears_in_the_contract() -> None:
    app = chat()
    hidden = Router(include_in_schema=False)

    @hidden.on("debug")
    async def debug() -> None:
        """Not for the contract."""

    hidden.emits("debugged", str)
    app.include_router(hidden)
    assert list(app.registry) == ["/"]
    assert sorted(app.registry["/"].events) == ["join", "leave"]
    document = contract.asyncapi(app)
    assert all("admin" not in name for name in document["channels"])
    operations = " ".join(document["operations"])
    assert "debug" not in operations and "join" in operations
    declarations = contract.typescript(app)
    assert "debug" not in declarations and "_disconnect" not in declarations
    assert "join" in declarations
