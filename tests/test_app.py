"""SioApp as an ASGI app: FastAPI beside Socket.IO, lifespan, server options, transport."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import websockets
from fastapi import FastAPI, Request

from sioapp import Router, SioApp
from sioapp.testing import TestServer

from .conftest import Connect, InProcess


def echo_router() -> Router:
    router = Router()

    @router.on("echo")
    async def echo(value: Any) -> Any:
        return value

    return router


async def test_rest_routes_and_socketio_share_one_asgi_app(served: Any, client: Connect) -> None:
    app = SioApp()
    app.include_router(echo_router())

    @app.fastapi.get("/api/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    url = await served(app)
    async with httpx.AsyncClient(base_url=url) as http:
        assert (await http.get("/api/health")).json() == {"status": "ok"}
        assert (await http.get("/missing")).status_code == 404
    c = await client(url)
    assert await c.call("echo", [1, 2]) == [1, 2]
    polling = await client(url, transports=["polling"])
    assert await polling.call("echo", "over polling") == "over polling"


async def test_user_supplied_fastapi_and_custom_socketio_path(in_process: InProcess) -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    api = FastAPI(lifespan=lifespan)

    @api.get("/ping")
    async def ping() -> str:
        return "pong"

    users_lifespan = api.router.lifespan_context
    app = SioApp(fastapi=api, socketio_path="realtime")
    app.include_router(echo_router())
    assert app.fastapi is api
    assert api.router.lifespan_context is users_lifespan  # not patched
    http = (await in_process.server(app)).http
    assert events == ["startup"]
    assert (await http.get("/ping")).json() == "pong"
    polling = {"EIO": "4", "transport": "polling"}
    assert (await http.get("/socket.io/", params=polling)).status_code == 404
    assert (await http.get("/realtime/", params=polling)).status_code == 200
    c = await in_process(app)  # which connects to app.socketio_path
    assert await c.call("echo", "ok") == "ok"


async def test_lifespan_runs_startup_and_shutdown_once() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    app = SioApp(lifespan=lifespan)
    async with TestServer(app):
        assert events == ["startup"]
    assert events == ["startup", "shutdown"]


async def test_lifespan_state_reaches_requests() -> None:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[dict[str, str]]:
        yield {"greeting": "hello"}

    app = SioApp(lifespan=lifespan)

    @app.fastapi.get("/greeting")
    async def greeting(request: Request) -> str:
        return str(request.state.greeting)

    async with TestServer(app) as server:
        assert (await server.http.get("/greeting")).json() == "hello"


@pytest.mark.slow  # a Python child process
def test_importing_sioapp_loads_no_optional_library() -> None:
    """redis (an extra), jinja2 and yaml (the contract page and YAML) load on first use."""
    blocked = ("redis", "jinja2", "yaml")
    script = textwrap.dedent(
        f"""
        import sys

        class Blocked:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {blocked!r}:
                    raise ImportError(f"{{name}} is blocked")

        sys.meta_path.insert(0, Blocked())
        import sioapp
        app = sioapp.SioApp()
        app.include_router(sioapp.Router())
        print(sorted(set({blocked!r}) & {{m.split(".")[0] for m in sys.modules}}))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_redis_is_asked_for_only_with_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sioapp._cluster.redis", None)  # as if redis were missing
    with pytest.raises(ImportError, match=r"pip install 'sioapp\[redis\]'"):
        SioApp(redis_url="redis://127.0.0.1:6379")
    SioApp()


def test_server_options_pass_through_by_name() -> None:
    app = SioApp(
        cors_allowed_origins=["http://example.test"],
        ping_interval=5,
        ping_timeout=3,
        max_http_buffer_size=2048,
        transports=["websocket"],
    )
    engine = app.server.eio
    assert engine.describe_origins() == "these origins: http://example.test"
    assert (engine.ping_interval, engine.ping_timeout) == (5, 3)
    assert engine.max_http_buffer_size == 2048
    assert engine.transports == {"websocket"}


@pytest.mark.parametrize("option", ["monitor_clients", "engineio_logger"])
def test_options_of_the_former_engine_are_refused(option: str) -> None:
    with pytest.raises(TypeError, match=option):
        SioApp(**{option: True})


def test_unknown_options_are_refused_with_the_valid_names() -> None:
    with pytest.raises(TypeError, match=r"ping_intervall.*ping_interval"):
        SioApp(ping_intervall=5)


def test_lifespan_and_fastapi_together_is_an_error() -> None:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield

    with pytest.raises(TypeError, match="lifespan"):
        SioApp(fastapi=FastAPI(), lifespan=lifespan)


async def test_websocket_per_message_deflate_is_not_negotiated(served: Any) -> None:
    app = SioApp()
    url = await served(app)
    ws_url = url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    async with websockets.connect(ws_url, compression="deflate") as ws:
        assert ws.response is not None
        assert "sec-websocket-extensions" not in ws.response.headers
        opening = await ws.recv()
        assert isinstance(opening, str) and opening.startswith("0{")


@pytest.mark.parametrize(
    ("option", "said"),
    [
        ({}, "the same origin only"),
        ({"cors_allowed_origins": "*"}, "every origin (cors_allowed_origins='*')"),
        (
            {"cors_allowed_origins": ["https://a.test", "https://b.test"]},
            "these origins: https://a.test, https://b.test",
        ),
        ({"cors_allowed_origins": []}, "CORS checks are off"),
    ],
)
async def test_startup_logs_which_origins_may_connect(
    option: dict[str, Any], said: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="sioapp"):
        async with TestServer(SioApp(**option)):
            pass
    lines = [r.getMessage() for r in caplog.records if "accepts" in r.getMessage()]
    assert len(lines) == 1 and said in lines[0], lines
