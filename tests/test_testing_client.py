"""`sioapp.testing.TestClient` and `TestServer`: what the behaviour tests do not share.

The Socket.IO behaviour itself is checked against a real server in test_behaviour.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fastapi import Request

from sioapp import Router, SioApp, Socket
from sioapp.testing import Received, TestClient, TestServer

Factory = Any


def build_app(**options: Any) -> tuple[SioApp, list[str]]:
    log: list[str] = []

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[dict[str, Any]]:
        log.append("startup")
        yield {"greeting": "hello"}
        log.append("shutdown")

    app = SioApp(lifespan=lifespan, **options)
    router = Router()
    release = asyncio.Event()

    @router.on("echo")
    async def echo(*args: Any) -> Any:
        return args[0] if args else None

    @router.on("shout")
    async def shout(text: str, socket: Socket) -> None:
        await socket.emit("shouted", text.upper())

    @router.on("stall")
    async def stall() -> None:
        await release.wait()

    @router.on("handshake")
    async def handshake(socket: Socket) -> dict[str, Any]:
        return {
            "header": socket.handshake.headers.get("x-team"),
            "query": socket.handshake.query.get("room"),
        }

    @router.on("kick")
    async def kick(socket: Socket) -> None:
        await socket.disconnect()

    @router.on("ask")
    async def ask(socket: Socket) -> Any:
        return await socket.emit_with_ack("question", "why?", timeout=5)

    @router.on_disconnect
    async def gone() -> None:
        release.set()

    @app.fastapi.get("/greeting")
    async def greeting(request: Request) -> str:
        return str(request.state.greeting)

    app.include_router(router)
    return app, log


# ---- connecting and the app's life ------------------------------------------------------


async def test_clients_of_an_app_share_one_lifespan() -> None:
    app, log = build_app()
    async with TestClient(app) as first:
        async with TestClient(app) as second:
            assert log == ["startup"]
            assert first.sid != second.sid
        assert log == ["startup"]
        assert await first.call("echo", 1) == 1
    assert log == ["startup", "shutdown"]


async def test_a_test_server_keeps_the_app_up_between_clients() -> None:
    app, log = build_app()
    async with TestServer(app) as server:
        assert server.running
        async with TestClient(app) as first:
            await first.call("echo", 1)
        async with TestClient(app) as second:
            await second.call("echo", 2)
        assert log == ["startup"]
    assert log == ["startup", "shutdown"]
    assert not server.running


async def test_an_app_runs_in_one_test_server_at_a_time() -> None:
    app, _ = build_app()
    async with TestClient(app):
        with pytest.raises(RuntimeError, match="already runs in a TestServer"):
            async with TestServer(app):
                pass
    server = TestServer(app)
    async with server:
        pass
    with pytest.raises(RuntimeError, match="runs once"):
        async with server:
            pass


async def test_a_failing_startup_raises_the_apps_exception() -> None:
    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        raise LookupError("no database")
        yield

    with pytest.raises(LookupError, match="no database"):
        async with TestClient(SioApp(lifespan=lifespan)):
            pass


async def test_clients_entered_together_start_the_app_once() -> None:
    app, log = build_app()
    clients = [TestClient(app) for _ in range(3)]
    await asyncio.gather(*(client.__aenter__() for client in clients))
    assert log == ["startup"]
    for client in reversed(clients):
        await client.__aexit__(None, None, None)
    assert log == ["startup", "shutdown"]


async def test_headers_and_query_reach_the_handshake() -> None:
    app, _ = build_app()
    async with TestClient(app, headers={"X-Team": "blue"}, query={"room": "lobby"}) as client:
        assert await client.call("handshake") == {"header": "blue", "query": "lobby"}


async def test_the_rest_side_gets_the_lifespan_state() -> None:
    app, _ = build_app()
    async with TestServer(app) as server:
        assert (await server.http.get("/greeting")).json() == "hello"
        async with TestClient(app) as client:
            assert (await client.http.get("/greeting")).json() == "hello"
            assert client.http is not server.http  # each client has its own cookies


async def test_the_heartbeat_is_answered() -> None:
    app, _ = build_app(ping_interval=0.02, ping_timeout=0.02)
    async with TestClient(app) as client:
        with pytest.raises(TimeoutError, match="still connected"):
            await client.wait_disconnected(timeout=0.2)  # ten PINGs answered meanwhile
        assert await client.call("echo", "alive") == "alive"


# ---- acks and events --------------------------------------------------------------------


async def test_acks_with_no_one_or_several_arguments() -> None:
    app, _ = build_app()
    async with TestClient(app) as client:
        assert await client.call("echo") is None
        assert await client.call("echo", [1, 2]) == [1, 2]
        client.on("question", lambda question: ("because", question))
        assert await client.call("ask") == ("because", "why?")


async def test_a_call_without_ack_times_out() -> None:
    app, _ = build_app()
    async with TestClient(app) as client:
        with pytest.raises(TimeoutError, match=r"no ack for 'stall' within 0\.05 s"):
            await client.call("stall", timeout=0.05)


async def test_events_are_received_once_in_order_and_all_recorded() -> None:
    app, _ = build_app()
    async with TestClient(app) as client:
        await client.emit("shout", "a")
        await client.emit("echo", "no ack")
        await client.emit("shout", "b")
        assert await client.receive() == ["A"]
        assert await client.receive("shouted") == ["B"]
        assert client.received == [Received("shouted", ["A"]), ("shouted", ["B"])]


async def test_a_receive_that_times_out_names_what_arrived() -> None:
    app, _ = build_app()
    async with TestClient(app) as client:
        await client.call("shout", "hey")
        message = r"no 'whispered' event within 0\.05 s; the client received 'shouted'$"
        with pytest.raises(TimeoutError, match=message):
            await client.receive("whispered", timeout=0.05)


async def test_handlers_take_their_events_and_their_failures_surface() -> None:
    app, _ = build_app()
    client = TestClient(app)
    with pytest.raises(ZeroDivisionError):
        async with client:

            @client.on("shouted")
            async def fail(text: str) -> None:
                raise ZeroDivisionError(text)

            await client.call("shout", "boom")
    assert client.received == [("shouted", ["BOOM"])]


# ---- misuse -----------------------------------------------------------------------------


async def test_a_client_outside_async_with_says_so() -> None:
    app, _ = build_app()
    client = TestClient(app)
    for attempt in (client.emit("echo"), client.call("echo"), client.receive()):
        with pytest.raises(RuntimeError, match="inside `async with TestClient"):
            await attempt
    with pytest.raises(RuntimeError, match="inside `async with TestClient"):
        _ = client.http
    async with client:
        pass
    with pytest.raises(RuntimeError, match="connects once"):
        async with client:
            pass


async def test_a_client_of_a_stopped_app_says_so() -> None:
    app, _ = build_app()
    client = TestClient(app)
    async with TestServer(app):
        await client.__aenter__()
    assert (client.disconnected, client.disconnect_reason) == (True, "transport close")
    with pytest.raises(ConnectionError, match=r"\(transport close\): its app has stopped"):
        await client.emit("echo")
    with pytest.raises(RuntimeError, match="the app has stopped"):
        _ = client.http
    await client.__aexit__(None, None, None)


async def test_waiting_callers_learn_of_a_disconnect_at_once() -> None:
    app, _ = build_app()
    async with TestClient(app) as client:
        stalled = asyncio.ensure_future(client.call("stall"))
        waiting = asyncio.ensure_future(client.receive("never"))
        await client.emit("kick")
        assert await client.wait_disconnected() == "io server disconnect"
        for caller in (stalled, waiting):
            with pytest.raises(ConnectionError, match=r"\(io server disconnect\)$"):
                await caller


# ---- the pytest plugin ------------------------------------------------------------------


@pytest.fixture
def sioapp_app() -> SioApp:
    return build_app()[0]


async def test_the_fixtures(sioapp_test_server: TestServer, sioapp_test_client: Factory) -> None:
    assert (await sioapp_test_server.http.get("/greeting")).json() == "hello"
    first, second = await sioapp_test_client(), await sioapp_test_client()
    await first.disconnect()
    assert await second.call("echo", "still up") == "still up"
    assert sioapp_test_server.running


def test_a_client_left_open_does_not_outlive_its_event_loop() -> None:
    app, log = build_app()

    async def leave_open() -> None:
        await TestClient(app).__aenter__()

    async def connect_again() -> Any:
        async with TestClient(app) as client:
            return await client.call("echo", "fresh")

    asyncio.run(leave_open())
    assert asyncio.run(connect_again()) == "fresh"
    assert log == ["startup", "startup", "shutdown"]  # the second loop ran the app anew
