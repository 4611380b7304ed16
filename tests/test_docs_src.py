"""Every example of the documentation, run as the page describes it.

Examples whose page shows a python-socketio client, or the network, run against a real
server; the others are reached in process, through `sioapp.testing.TestClient`.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import socketio
import websockets

from sioapp import ConnectionRefused, DisconnectReason, RegistrationError, Router, Socket
from sioapp.testing import TestServer, connect, free_port

from .conftest import Connect, InProcess, events, eventually
from .raw import RawClient

REPO = Path(__file__).resolve().parents[1]

pytest_plugins = ["pytester"]


@pytest.fixture
def load() -> Any:
    """``module = load("docs_src.x.y")``: a fresh import, so each test gets its own app."""

    def fresh(name: str) -> ModuleType:
        sys.modules.pop(name, None)
        return importlib.import_module(name)

    return fresh


# ---- home -------------------------------------------------------------------


async def test_home_example(load: Any, in_process: InProcess) -> None:
    app = load("docs_src.home.app").app
    alice, bob = await in_process(app), await in_process(app)
    assert await alice.call("join", {"room": "lobby"}) == {"room": "lobby", "members": 1}
    assert await bob.call("join", {"room": "lobby"}) == {"room": "lobby", "members": 2}
    await alice.emit("private message", bob.sid, "hi bob")
    assert await bob.receive("private message") == [alice.sid, "hi bob"]
    assert (await alice.http.get("/api/online")).json() == 2


async def test_same_origin_is_the_cors_default(load: Any, served: Any) -> None:
    url = await served(load("docs_src.home.app").app)
    ws_url = url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    async with websockets.connect(ws_url, additional_headers={"Origin": url}) as ws:
        assert str(await ws.recv()).startswith("0{")
    with pytest.raises(websockets.InvalidStatus, match="403"):
        await websockets.connect(ws_url, additional_headers={"Origin": "http://elsewhere.test"})
    async with httpx.AsyncClient(base_url=url) as http:
        polling = {"EIO": "4", "transport": "polling"}
        foreign = await http.get(
            "/socket.io/", params=polling, headers={"Origin": "http://elsewhere.test"}
        )
        assert (foreign.status_code, foreign.json()) == (403, {"code": 4, "message": "Forbidden"})
        assert (await http.get("/socket.io/", params=polling, headers={"Origin": url})).is_success


# ---- handlers ---------------------------------------------------------------


async def test_handler_payloads(load: Any, served: Any, client: Connect) -> None:
    app = load("docs_src.handlers.payloads").app
    c = await client(await served(app))
    await load("docs_src.handlers.client").try_payloads(c)


async def test_handler_argument_errors(load: Any, in_process: InProcess) -> None:
    app = load("docs_src.handlers.payloads").app
    c = await in_process(app)
    missing = await c.call("add", 1)
    assert missing["error"]["details"] == [
        {"loc": ["b"], "msg": "Field required", "type": "missing"}
    ]
    extra = await c.call("add", 1, 2, 3)
    assert extra["error"]["code"] == "validation_error"
    assert [detail["loc"] for detail in extra["error"]["details"]] == [[2]]
    assert (await c.call("sum", "x", "not a number"))["error"]["details"][0]["loc"] == [
        "numbers",
        0,
    ]


def test_registration_mistakes_named_on_the_handlers_page() -> None:
    router = Router()
    with pytest.raises(RegistrationError, match="'value' is keyword-only"):
        router.on("a")(keyword_only)
    with pytest.raises(RegistrationError, match="'extra'"):
        router.on("b")(keywords)
    with pytest.raises(RegistrationError, match="'token' cannot be bound"):
        router.on_connect(connect_with_payload)
    router.on("d")(keywords_injected)
    with pytest.raises(RegistrationError, match="'d'"):
        router.on("d")(keywords_injected)
    for name in (
        "connect",
        "connect_error",
        "disconnect",
        "disconnecting",
        "newListener",
        "removeListener",
    ):
        with pytest.raises(ValueError, match="reserved"):
            router.on(name)
    assert issubclass(RegistrationError, TypeError)


async def keyword_only(*, value: int) -> None: ...


async def keywords(**extra: Any) -> None: ...


async def connect_with_payload(token: str) -> None: ...


async def keywords_injected(*, socket: Socket) -> None: ...


async def test_handler_acks(load: Any, served: Any, client: Connect) -> None:
    app = load("docs_src.handlers.acks").app
    c = await client(await served(app))
    await load("docs_src.handlers.client").try_acks(c)


# ---- tutorial ---------------------------------------------------------------

STEPS = ["step1_auth", "step2_join", "step3_messages", "step4_private", "step5_leaving"]


@pytest.mark.parametrize("step", STEPS)
async def test_tutorial_authentication(load: Any, in_process: InProcess, step: str) -> None:
    app = load(f"docs_src.tutorial.{step}").app
    with pytest.raises(ConnectionRefused) as refused:
        await in_process(app, auth={"token": "nope"})
    assert (refused.value.message, refused.value.data) == (
        "unknown user",
        {"code": "unauthorized"},
    )

    welcomed = await in_process(app, auth={"token": "token-ann"})
    assert await welcomed.receive("welcome") == ["ann"]


@pytest.mark.parametrize("step", STEPS[1:])
async def test_tutorial_join(load: Any, in_process: InProcess, step: str) -> None:
    app = load(f"docs_src.tutorial.{step}").app
    bob = await in_process(app, auth={"token": "token-bob"})
    assert await bob.call("join", {"room": "lobby"}) == {"room": "lobby", "members": ["bob"]}
    ann = await in_process(app, auth={"token": "token-ann"})
    assert await ann.call("join", {"room": "lobby"}) == {
        "room": "lobby",
        "members": ["ann", "bob"],
    }
    assert await bob.receive("user joined") == [{"room": "lobby", "name": "ann"}]
    assert events(ann, "user joined") == []  # socket.to() leaves the sender out
    reply = await ann.call("join", {"room": ""})
    assert reply["error"]["code"] == "validation_error"
    assert reply["error"]["details"][0]["loc"] == ["req", "room"]


@pytest.mark.parametrize("step", STEPS[2:])
async def test_tutorial_chat_messages(
    load: Any, served: Any, client: Connect, inbox: Any, step: str
) -> None:
    app = load(f"docs_src.tutorial.{step}").app
    url = await served(app)
    ann = await client(url, auth={"token": "token-ann"})
    bob = await client(url, auth={"token": "token-bob"})
    cy = await client(url, auth={"token": "token-cy"})
    boxes = [inbox(c, "chat message") for c in (ann, bob, cy)]
    await ann.call("join", {"room": "lobby"})
    await bob.call("join", {"room": "lobby"})
    assert await ann.call("chat message", {"room": "lobby", "text": "hi"}) is None
    message = ({"room": "lobby", "name": "ann", "text": "hi"},)
    assert await boxes[0].next("chat message") == message  # the sender too
    assert await boxes[1].next("chat message") == message
    await load("docs_src.tutorial.client_errors").write_without_joining(cy)
    errors = inbox(cy, "exception")
    await cy.emit("chat message", {"room": "lobby", "text": "no ack asked"})
    (error,) = await errors.next("exception")
    assert error["event"] == "chat message" and error["error"]["code"] == "not_in_room"
    assert boxes[2].empty("chat message")
    assert all(box.empty("chat message") for box in boxes)


@pytest.mark.parametrize("step", STEPS[3:])
async def test_tutorial_private_messages(load: Any, in_process: InProcess, step: str) -> None:
    app = load(f"docs_src.tutorial.{step}").app
    ann = await in_process(app, auth={"token": "token-ann"})
    bob = await in_process(app, auth={"token": "token-bob"})
    online = await ann.call("users")
    assert sorted(online, key=lambda user: user["name"]) == [
        {"id": ann.sid, "name": "ann"},
        {"id": bob.sid, "name": "bob"},
    ]
    await ann.emit("private message", bob.sid, "psst")
    assert await bob.receive("private message") == [ann.sid, "psst"]
    reply = await ann.call("private message", bob.sid)
    assert reply["error"]["details"] == [
        {"loc": ["text"], "msg": "Field required", "type": "missing"}
    ]
    assert events(ann, "private message") == []
    await bob.call("join", {"room": "lobby"})
    to_room = await ann.call("private message", "lobby", "hi all")
    assert to_room["error"]["code"] == "unknown_recipient"
    await ann.emit("private message", bob.sid, "after")
    assert await bob.receive("private message") == [ann.sid, "after"]  # not "hi all"


async def test_tutorial_leaving(
    load: Any, served: Any, client: Connect, inbox: Any, caplog: pytest.LogCaptureFixture
) -> None:
    module = load("docs_src.tutorial.step5_leaving")
    url = await served(module.app)
    bob = await client(url, auth={"token": "token-bob"})
    box = inbox(bob, "user left")
    await bob.call("join", {"room": "lobby"})
    await bob.call("join", {"room": "games"})
    with caplog.at_level(logging.INFO, logger=module.__name__):
        async with connect(url, auth={"token": "token-ann"}) as ann:
            await ann.call("join", {"room": "lobby"})
            await ann.call("join", {"room": "games"})
            await ann.call("join", {"room": "ann only"})
        notices = [(await box.next("user left"))[0] for _ in range(2)]
    assert sorted(notices, key=lambda notice: notice["room"]) == [
        {"room": "games", "name": "ann", "reason": "transport close"},
        {"room": "lobby", "name": "ann", "reason": "transport close"},
    ]
    assert box.empty("user left")
    assert "ann left (transport close)" in caplog.messages


async def test_tutorial_apps_list_their_events(load: Any) -> None:
    async with TestServer(load("docs_src.tutorial.step5_leaving").app) as server:
        page = await server.http.get("/asyncapi")
    assert page.status_code == 200
    for event in ("join", "chat message", "private message", "users", "user left"):
        assert event in page.text
    assert "(from_id: string, text: string) =&gt; void" in page.text


async def test_tutorial_client_script(
    load: Any, served: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    url = await served(load("docs_src.tutorial.step5_leaving").app)
    await load("docs_src.tutorial.client").main(url)
    expected = (REPO / "docs_src" / "tutorial" / "client_output.txt").read_text()
    assert capsys.readouterr().out == expected


# ---- errors -----------------------------------------------------------------


async def test_errors_reach_the_client_as_ack_or_exception_event(
    load: Any, served: Any, client: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    module = load("docs_src.errors.app")
    examples = load("docs_src.errors.client")
    c = await client(await served(module.app))
    with caplog.at_level(logging.INFO):
        await examples.with_ack(c)
        await examples.without_ack(c)
    # the router's handlers ran for its four failed events, not for the unknown one
    assert await c.call("failures") == 4
    ours = [r.getMessage() for r in caplog.records if r.name == module.__name__]
    assert ours == [
        f"{c.get_sid()} sent an invalid payload: "
        "[{'loc': ['req', 'room'], 'msg': 'String should have at least 1 character', "
        "'type': 'string_too_short'}]",
        f"bug report for {c.get_sid()}: RuntimeError('database password is hunter2')",
    ]
    framework = [r for r in caplog.records if r.name == "sioapp"]
    warned = [r.getMessage() for r in framework if r.levelno == logging.WARNING]
    assert (
        f"event 'join' from {c.get_sid()} [/] failed: forbidden: Only admins may join "
        "this room" in warned
    )
    (crash,) = [r for r in framework if r.levelno == logging.ERROR]
    assert crash.getMessage() == f"event 'crash' from {c.get_sid()} [/] raised"
    assert crash.exc_info is not None and "hunter2" in str(crash.exc_info[1])


# ---- the Socket -------------------------------------------------------------


async def test_socket_attributes(load: Any, served: Any, client: Connect) -> None:
    app = load("docs_src.socket.attributes").app
    url = await served(app)
    c = await client(url + "/?room=lobby", auth={"name": "ann"})
    info = await c.call("whoami")
    sid = c.get_sid()
    assert info["id"] == sid and len(sid) == 20
    assert info["namespace"] == "/"
    assert info["user"] == "ann" and info["data"] == {"name": "ann"}
    assert info["rooms"] == [sid]
    assert info["auth"] == {"name": "ann"}
    assert info["query"]["room"] == "lobby" and info["query"]["transport"] == "websocket"
    assert info["user-agent"].startswith("Python/")
    assert info["address"] == "127.0.0.1"
    assert info["url"].startswith("/socket.io/?")
    assert info["time"].endswith("GMT+0000 (Coordinated Universal Time)")
    assert abs(info["issued"] / 1000 - time.time()) < 60
    assert info["xdomain"] is False and info["secure"] is False
    assert await c.call("join", ["red", "blue"]) == sorted([sid, "red", "blue"])
    assert await c.call("leave", "red") == sorted([sid, "blue"])
    (remote,) = await app.fetch_sockets()
    assert remote.id == sid and remote.data == {"name": "ann"}
    guest = await client(url)
    assert (await guest.call("whoami"))["user"] == "guest"


async def test_socket_targeting(load: Any, in_process: InProcess) -> None:
    app = load("docs_src.socket.targeting").app
    me, red, blue, both, none = [await in_process(app) for _ in range(5)]
    await red.call("join", ["red"])
    await blue.call("join", ["blue"])
    await both.call("join", ["red", "blue"])
    await me.call("join", ["red"])
    everyone = {"me": me, "red": red, "blue": blue, "both": both, "none": none}

    async def reached(target: str) -> set[str]:
        await me.call("shout", target)
        await me.call("shout", "everyone")  # a marker: everything before it has arrived
        got = set()
        for name, c in everyone.items():
            first = await c.receive("shout")
            if first == [target]:
                got.add(name)
                assert await c.receive("shout") == ["everyone"]
            else:
                assert first == ["everyone"]
        return got

    assert await reached("red") == {"red", "both"}
    assert await reached("red or blue") == {"red", "blue", "both"}
    assert await reached("red but not blue") == {"red"}
    assert await reached("everyone else") == {"red", "blue", "both", "none"}
    assert await reached("red, me included") == {"me", "red", "both"}
    assert await reached("not red") == {"blue", "none"}
    await me.call("notify me")
    assert await me.receive("notice") == [{"text": "just you"}]


async def test_socket_acks(load: Any, served: Any, client: Connect) -> None:
    app = load("docs_src.socket.acks").app
    url = await served(app)
    answering = socketio.AsyncClient(reconnection=False)

    @answering.on("question")
    async def answer(question: str) -> str:
        return f"yes to {question}"

    await client(url, client=answering)
    assert await answering.call("poll me", "tea?") == "yes to tea?"
    await answering.call("join", "room")
    mute = await RawClient.open(url)
    mute_sid = await mute.connect()
    await mute.send('42["join","room"]')
    started = time.monotonic()
    await mute.send('421["poll me","coffee?"]')
    question = str(await mute.recv())
    assert re.fullmatch(r'42\d+\["question","coffee\?"\]', question)  # asks for an ack

    assert await mute.recv() == '431["no answer"]'
    assert time.monotonic() - started > 0.9  # the handler waited for its 1 s timeout
    assert await answering.call("poll room", ("room", "cake?")) == {
        "answers": ["yes to cake?"],
        "silent": 1,
    }
    assert mute_sid in app.server.sockets
    await mute.close()


# ---- middleware -------------------------------------------------------------


async def test_connection_middleware(
    load: Any, served: Any, client: Connect, capsys: pytest.CaptureFixture[str]
) -> None:
    app = load("docs_src.middleware.connection").app
    url = await served(app)
    assert await load("docs_src.middleware.client").refused(url) == [
        {"message": "unknown user", "data": {"code": "unauthorized"}}
    ]
    assert capsys.readouterr().out == "One or more namespaces failed to connect: /\n"

    raw = await RawClient.open(url)
    await raw.send('40{"token":"token-bob"}')
    assert str(await raw.recv()).startswith('40{"sid":')  # CONNECT first,
    assert await raw.recv() == '42["welcome","bob"]'  # then what on_connect emits
    await raw.send('40/admin,{"token":"token-bob"}')
    assert await raw.recv() == '44/admin,{"message":"admins only"}'
    await raw.close()

    ann = await client(url, namespace="/admin", auth={"token": "token-ann"})
    assert await ann.call("ping", namespace="/admin") == "pong"

    broken = await RawClient.open(url, query="maintenance=1")
    await broken.send('40{"token":"token-ann"}')
    assert await broken.recv() == '44{"message":"Internal error"}'
    await broken.close()


async def test_typed_auth(load: Any, served: Any, client: Connect) -> None:
    url = await served(load("docs_src.middleware.auth").app)
    errors = await load("docs_src.middleware.client").invalid_auth(url)
    assert errors[0]["data"]["code"] == "validation_error"
    ann = await client(url, auth={"token": "s3cr3t-token-ann", "client_version": 2})
    assert await ann.call("whoami") == {"name": "ann", "client_version": 2}


async def test_packet_middleware(load: Any, in_process: InProcess) -> None:
    app = load("docs_src.middleware.packets").app
    c = await in_process(app)
    assert await c.call("say", "  hi  ") == "hi"  # trimmed by socket.use
    await c.emit("ping")  # dropped: no handler ran, no error came back
    assert await c.call("events") == 3  # say, ping, events: all counted
    await c.call("mute")
    assert await c.call("say", "hello") == {
        "error": {"code": "muted", "message": "You are muted", "details": []}
    }
    assert await c.call("unmute") is None
    assert await c.call("say", "back") == "back"
    assert await c.call("events") == 7  # the refused "say" never reached socket.use


async def test_rate_limit(load: Any, in_process: InProcess) -> None:
    app = load("docs_src.middleware.ratelimit").app
    c = await in_process(app)
    replies = await asyncio.gather(*(c.call("say", str(n)) for n in range(12)))
    said = [reply for reply in replies if isinstance(reply, str)]
    refused = [reply["error"]["code"] for reply in replies if isinstance(reply, dict)]
    assert len(said) >= 10 and refused == ["rate_limited"] * (12 - len(said))
    assert refused


# ---- disconnects ------------------------------------------------------------


async def test_disconnect_handlers_and_reasons(
    load: Any, served: Any, client: Connect, inbox: Any
) -> None:
    module = load("docs_src.disconnects.app")
    app, journal = module.app, module.journal
    url = await served(app)
    watcher = await client(url)
    gone = inbox(watcher, "gone")

    leaving = await client(url)
    leaving_sid = leaving.get_sid()
    await leaving.emit("leave")
    assert await gone.next("gone") == (leaving_sid,)
    assert journal == [
        "disconnecting (server namespace disconnect) from ['games', 'lobby']",
        "disconnected (server namespace disconnect), rooms [], 1 online",
    ]

    raw = await RawClient.open(url)
    sid = await raw.connect()
    await raw.send("41")  # what socket.io-client's socket.disconnect() sends
    assert await gone.next("gone") == (sid,)
    assert journal[-1] == "disconnected (client namespace disconnect), rooms [], 1 online"

    other = Router(namespace="/other")
    app.include_router(other)
    raw = await RawClient.open(url)
    first = await raw.connect()
    second = await raw.connect("/other")
    await raw.send('42["quit"]')
    assert await raw.closed()
    assert await gone.next("gone") == (first,)
    assert journal[-1] == "disconnected (forced close), rooms [], 1 online"
    assert second not in app.server.sockets  # close=True ended every namespace of it


# ---- REST beside realtime ---------------------------------------------------


async def test_rest_routes_and_lifespan(load: Any, in_process: InProcess) -> None:
    module = load("docs_src.rest.app")
    app, events = module.app, module.events
    watcher = Router()

    @watcher.on_disconnect
    async def gone(reason: DisconnectReason) -> None:
        events.append(f"disconnect: {reason}")

    app.include_router(watcher)
    http = (await in_process.server(app)).http
    assert events == ["startup"]
    c = await in_process(app)
    await c.call("join", "lobby")
    assert (await http.get("/api/online")).json() == [c.sid]
    response = await http.post("/api/announce", json={"room": "lobby", "text": "hi"})
    assert response.status_code == 202 and response.json() == {"receivers": 1}
    missing = await http.post("/api/announce", json={"room": "lobby"})
    assert missing.status_code == 422
    assert await c.receive("announcement") == ["hi"]
    await in_process.stop(app)
    assert events == ["startup", "disconnect: server shutting down", "shutdown"]


async def test_own_fastapi_path_and_options(load: Any, in_process: InProcess) -> None:
    app = load("docs_src.rest.own_fastapi").app
    http = (await in_process.server(app)).http
    assert (await http.get("/health")).json() == {"status": "ok"}
    polling = {"EIO": "4", "transport": "polling"}
    assert (await http.get("/socket.io/", params=polling)).status_code == 404
    opened = await http.get("/realtime/", params=polling)
    assert opened.status_code == 200
    assert '"pingInterval":10000' in opened.text and '"maxPayload":100000' in opened.text
    c = await in_process(app)  # at app.socketio_path
    assert await c.call("echo", "hi") == "hi"


# ---- testing ----------------------------------------------------------------


@pytest.mark.slow  # a whole pytest session, with its own configuration
def test_testing_examples_pass(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess(
        str(REPO / "docs_src" / "testing"), "-p", "no:cacheprovider", "-W", "error"
    )
    result.stdout.fnmatch_lines(["configfile: pyproject.toml"])  # docs_src/testing's own
    result.assert_outcomes(passed=10)


# ---- deployment -------------------------------------------------------------


async def wait_for_port(port: int, process: asyncio.subprocess.Process) -> None:
    async with asyncio.timeout(30):
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                assert process.returncode is None, f"{process} exited"
                await asyncio.sleep(0.05)
            else:
                writer.close()
                await writer.wait_closed()
                return


@asynccontextmanager
async def running(
    *command: str, port: int, env: dict[str, str] | None = None
) -> AsyncIterator[str]:
    """``command`` (listening on ``port``) until the block ends; yields its base URL."""
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        if process.returncode is None:
            process.terminate()
        _, stderr = await process.communicate()
    assert process.returncode in (0, -signal.SIGTERM), stderr.decode()


def uvicorn_process(target: str, *options: str) -> Any:
    """``uvicorn target *options`` on a free port, as the documentation runs it."""
    port = free_port()
    return running(
        sys.executable,
        "-m",
        "uvicorn",
        target,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *options,
        port=port,
    )


@pytest.mark.slow  # uvicorn in a child process
async def test_deployment_behind_a_proxy() -> None:
    async with uvicorn_process(
        "docs_src.deployment.app:app", "--ws-per-message-deflate", "false", "--no-proxy-headers"
    ) as url:
        forwarded = {
            "Origin": "https://chat.example.com",
            "X-Forwarded-For": "203.0.113.7",
            "X-Forwarded-Proto": "https",
        }
        raw = await RawClient.open(url, headers=forwarded)
        await raw.connect()
        await raw.send('421["where from"]')
        assert await raw.recv() == '431[{"address":"203.0.113.7","secure":true}]'
        await raw.close()

        ws_url = url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
        async with websockets.connect(ws_url, compression="deflate") as ws:
            assert ws.response is not None
            assert "sec-websocket-extensions" not in ws.response.headers

        async with httpx.AsyncClient(base_url=url) as http:
            polling = {"EIO": "4", "transport": "polling"}
            elsewhere = {"Origin": "https://elsewhere.example"}
            assert (await http.get("/socket.io/", params=polling)).status_code == 200
            refused = await http.get("/socket.io/", params=polling, headers=elsewhere)
            assert refused.status_code == 403
        with pytest.raises(websockets.InvalidStatus, match="403"):
            await websockets.connect(ws_url, additional_headers=elsewhere)


# ---- server-wide operations -------------------------------------------------


async def test_server_wide_operations(load: Any, in_process: InProcess) -> None:
    app = load("docs_src.server.operations").app
    ann = await in_process(app, auth={"name": "ann"})
    bob = await in_process(app, auth={"name": "bob"})
    admin = await in_process(app, namespace="/admin")
    await ann.call("join", "red")
    await bob.call("join", "blue")
    call = admin.call

    everyone = await call("list")
    assert sorted(everyone, key=lambda s: s["name"]) == [
        {"id": ann.sid, "name": "ann", "rooms": ["red"]},
        {"id": bob.sid, "name": "bob", "rooms": ["blue"]},
    ]
    assert await call("list", "blue") == [{"id": bob.sid, "name": "bob", "rooms": ["blue"]}]
    assert await call("whisper", "bob", "psst") == 1
    assert await bob.receive("whisper") == ["psst"]
    await ann.call("join", "red")  # anything sent to ann before this ack has arrived by now
    assert events(ann, "whisper") == []

    assert await call("move", "red", "blue") == sorted([ann.sid, bob.sid, "blue"])
    assert {s["name"] for s in await call("list", "blue")} == {"ann", "bob"}

    await call("announce", "hello")
    for c in (ann, bob, admin):
        assert await c.receive("announcement") == ["hello"]

    await call("close room", "blue")
    for c in (ann, bob):
        assert await c.wait_disconnected() == "io server disconnect"
    await eventually(lambda: app.server.sockets.keys() == {admin.sid})


# ---- dependency injection ---------------------------------------------------


async def test_dependency_injection(load: Any, in_process: InProcess) -> None:
    module = load("docs_src.dependencies.app")
    ann = await in_process(module.app, auth={"token": "token-ann"})
    assert await ann.call("greet", "world") == f"hello world, you are {ann.sid}"
    assert await ann.call("whoami") == "ann"
    assert await ann.call("whoami again") == "ann"
    assert await ann.call("save", "first") == 0
    assert await ann.call("save", "second") == 1
    # each closes right after its ack has been sent
    await eventually(lambda: all(tx.closed for tx in module.transactions))
    assert len(module.transactions) == 2
    assert (await ann.http.get("/api/users")).json() == ["ann", "bob"]
    with pytest.raises(ConnectionRefused):
        await in_process(module.app, auth={"token": "forged"})


# ---- many servers -----------------------------------------------------------


@pytest.mark.redis
@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
async def test_cluster_with_two_workers(client: Connect, inbox: Any, tmp_path: Path) -> None:
    redis_port, port = free_port(), free_port()
    redis = running(
        "redis-server",
        "--port",
        str(redis_port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(tmp_path),
        port=redis_port,
    )
    sioapp_run = running(
        sys.executable,
        "-m",
        "sioapp.cli",
        "run",
        "docs_src.cluster.app:app",
        "--port",
        str(port),
        "--workers",
        "2",
        "--log-level",
        "warning",
        "--redis-url",
        f"redis://127.0.0.1:{redis_port}/0",
        port=port,
    )
    async with redis, sioapp_run as url:
        clients = [await client(url)]
        async with asyncio.timeout(20):  # both workers joined the cluster and hold sockets
            while len(stats := await clients[0].call("cluster stats")) < 2 or not all(
                entry["sockets"] for entry in stats
            ):
                if len(stats) == 2:
                    clients.append(await client(url))
                await asyncio.sleep(0.05)
        assert len({entry["server"] for entry in stats}) == 2
        assert sum(entry["sockets"] for entry in stats) == len(clients)
        for c in clients:
            await c.call("join", "lobby")
        assert {await c.call("online") for c in clients} == {len(clients)}
        boxes = [inbox(c, "said") for c in clients]
        await clients[0].call("say", ("lobby", "hello everyone"))
        for box in boxes:
            assert await box.next("said") == (clients[0].get_sid(), "hello everyone")


# ---- event documentation ----------------------------------------------------


async def test_contract_served_and_exported(
    load: Any, served: Any, client: Connect, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from sioapp import contract
    from sioapp.cli.main import app as cli

    app = load("docs_src.contract.app").app
    expected = (REPO / "docs_src" / "contract" / "events.ts").read_text()
    assert contract.typescript(app).strip() == expected.strip(), (
        "regenerate: sioapp docs docs_src.contract.app:app --format ts "
        "-o docs_src/contract/events.ts"
    )
    monkeypatch.chdir(REPO)
    written = tmp_path / "events.ts"
    command = ["docs", "docs_src.contract.app:app", "--format", "ts", "-o", str(written)]
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 0, result.output
    assert written.read_text() == expected

    url = await served(app)
    async with httpx.AsyncClient(base_url=url) as http:
        page = await http.get("/asyncapi")
        assert page.status_code == 200 and "user joined" in page.text
        document = (await http.get("/asyncapi.json")).json()
        assert document["asyncapi"] == "3.0.0"
        assert document["info"] == {
            "title": "Chat",
            "version": "1.0.0",
            "description": "Rooms and messages.",
        }
        assert document["servers"]["production"]["host"] == "chat.example.com"
        join = document["channels"]["root"]["messages"]["on.join"]
        assert join["summary"] == "Join a room."
        assert join["description"] == "Everyone already in the room receives `user joined`."
        assert "asyncapi: 3.0.0" in (await http.get("/asyncapi.yaml")).text
    c = await client(url)
    assert await c.call("add", 2) == 2
    assert await c.call("join", {"room": "lobby"}) == {"room": "lobby", "members": 1}


async def test_contract_behind_a_dependency(load: Any, served: Any, client: Connect) -> None:
    url = await served(load("docs_src.contract.protected").app)
    paths = ["/asyncapi", "/asyncapi.json", "/asyncapi.yaml", "/asyncapi/client.js"]
    async with httpx.AsyncClient(base_url=url) as http:
        for path in [*paths, "/docs", "/openapi.json"]:
            assert (await http.get(path)).status_code == 401
            assert (await http.get(path, auth=("ann", "guess"))).status_code == 401
            assert (await http.get(path, auth=("ann", "open sesame"))).status_code == 200
        for path in ("/redoc", "/docs/oauth2-redirect"):
            assert (await http.get(path, auth=("ann", "open sesame"))).status_code == 404
        api = (await http.get("/openapi.json", auth=("ann", "open sesame"))).json()
        assert api["info"]["title"] == "Chat"
    c = await client(url)  # Socket.IO itself is not behind it
    assert await c.call("ping") == "pong"


async def test_contract_emits_are_checked(
    load: Any, served: Any, client: Connect, inbox: Any
) -> None:
    url = await served(load("docs_src.contract.emits").app)
    scorer, player = await client(url), await client(url)
    scores = inbox(player, "score")
    reply = await scorer.call("bonus", "ann")
    assert reply["error"]["code"] == "internal_error"  # an EmitValidationError, logged
    assert await scorer.call("score", ("ann", 3)) is None
    assert await scores.next("score") == ("ann", 3)  # the refused one never went out
    assert scores.empty("score")


async def test_contract_handshake(load: Any, served: Any, client: Connect) -> None:
    from sioapp import contract

    app = load("docs_src.contract.handshake").app
    types = contract.typescript(app)
    assert "export type Auth = Credentials;" in types
    assert "// const auth: Auth = " in types
    document = contract.asyncapi(app)
    handshake = document["channels"]["root"]["messages"]["connect"]
    assert handshake["payload"] == {"$ref": "#/components/schemas/Credentials"}
    assert document["operations"]["root.connect"]["reply"]["messages"] == [
        {"$ref": "#/channels/root/messages/ConnectError"}
    ]
    url = await served(app)
    assert await (await client(url, auth={"token": "let-me-in"})).call("ping") == "pong"
    for auth, refused in (
        ({}, ("Invalid auth", "validation_error")),
        ({"token": "guess"}, ("unknown token", "unauthorized")),
    ):
        sio = socketio.AsyncClient(reconnection=False)
        errors: list[Any] = []
        sio.on("connect_error", errors.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client(url, client=sio, auth=auth)
        assert (errors[0]["message"], errors[0]["data"]["code"]) == refused


async def test_contract_python_client(
    served: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from typer.testing import CliRunner

    from sioapp.cli.main import app as cli

    monkeypatch.chdir(REPO)
    written = tmp_path / "chat_client.py"
    command = ["docs", "docs_src.contract.app:app", "--format", "python", "-o", str(written)]
    assert CliRunner().invoke(cli, command).exit_code == 0
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("chat_client", "docs_src.contract.python_client", "docs_src.contract.app"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    example = importlib.import_module("docs_src.contract.python_client")
    url = await served(importlib.import_module("docs_src.contract.app").app)
    capsys.readouterr()
    await example.main(url)
    assert capsys.readouterr().out.splitlines() == [
        "2 members in lobby",
        "alice heard of a new member in lobby",
        "5",
        "validation_error ['req', 'room']",
    ]


def test_contract_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from sioapp.cli.main import app as cli

    monkeypatch.chdir(REPO)
    command = ["diff", "docs_src.changes.v1:app", "docs_src.changes.v2:app"]
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 1, result.output  # a breaking change
    assert result.stdout == (REPO / "docs_src" / "changes" / "diff.txt").read_text(), (
        "regenerate: sioapp diff docs_src.changes.v1:app docs_src.changes.v2:app "
        "> docs_src/changes/diff.txt"
    )


# ---- command line -----------------------------------------------------------


@pytest.mark.slow  # `sioapp new` writes the contract from a child process
def test_cli_new_and_events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from sioapp.cli.main import app as cli

    monkeypatch.chdir(REPO)
    runner = CliRunner()
    created = runner.invoke(
        cli, ["new", "my-chat", "--template", "chat", "--no-input", "--dir", str(tmp_path)]
    )
    assert created.exit_code == 0, created.output
    project = tmp_path / "my-chat"
    for name in ("my_chat/app.py", "my_chat/container.py", "my_chat/events.py", "README.md"):
        assert (project / name).is_file()
    assert list((project / "tests").glob("test_*.py"))
    assert '[tool.sioapp]\napp = "my_chat.app:app"' in (project / "pyproject.toml").read_text()

    listed = runner.invoke(cli, ["events", "docs_src.cli.app:app"])
    assert listed.exit_code == 0, listed.output
    assert "echo" in listed.output and "Send `text` back." in listed.output


async def reason_at_shutdown(*command: str, port: int) -> tuple[str, int | None]:
    """Serve with ``command``, connect, stop with SIGTERM: the reason the app logged,
    and the exit status."""
    process = await asyncio.create_subprocess_exec(
        *command, cwd=REPO, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        await wait_for_port(port, process)
        async with connect(f"http://127.0.0.1:{port}") as c:
            assert await c.call("echo", "hi") == "hi"
            process.terminate()
            _, stderr = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    (line,) = [line for line in stderr.decode().splitlines() if " left: " in line]
    return line.split(" left: ")[1], process.returncode


@pytest.mark.slow  # `sioapp run` and uvicorn in child processes
async def test_cli_run_disconnects_clients_before_stopping() -> None:
    port = free_port()
    reason = await reason_at_shutdown(
        sys.executable,
        "-m",
        "sioapp.cli",
        "run",
        "docs_src.cli.app:app",
        "--port",
        str(port),
        port=port,
    )
    assert reason == ("server shutting down", 0)
    port = free_port()
    plain = await reason_at_shutdown(
        sys.executable,
        "-m",
        "uvicorn",
        "docs_src.cli.app:app",
        "--port",
        str(port),
        "--ws-per-message-deflate",
        "false",
        "--no-proxy-headers",
        port=port,
    )
    assert plain[0] == "transport close"


@pytest.mark.slow  # `sioapp run` in child processes
async def test_home_commands_serve_the_apps(client: Connect) -> None:
    port = free_port()
    example = running(
        sys.executable,
        "-m",
        "sioapp.cli",
        "run",
        "example_project.app:app",
        "--port",
        str(port),
        port=port,
    )
    async with example as url, httpx.AsyncClient(base_url=url) as http:
        assert (await http.get("/api/health")).json() == {"status": "ok"}
        page = await http.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    port = free_port()
    home = running(
        sys.executable,
        "-m",
        "sioapp.cli",
        "run",
        "docs_src.home.app:app",
        "--port",
        str(port),
        port=port,
    )
    async with home as url:
        c = await client(url)
        assert await c.call("join", {"room": "lobby"}) == {"room": "lobby", "members": 1}
