"""The Admin UI example of the Observability page, run as the page describes it."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

import bcrypt
import httpx
import pytest
import socketio

from sioapp import contract

from .conftest import Connect
from .test_admin_protocol import Heard

UI_ORIGIN = "http://ui.example"


def load(monkeypatch: pytest.MonkeyPatch, password: str) -> ModuleType:
    monkeypatch.setenv("ADMIN_PASSWORD", password)
    monkeypatch.setenv("ADMIN_UI_ORIGIN", UI_ORIGIN)
    sys.modules.pop("docs_src.observability.admin", None)
    return importlib.import_module("docs_src.observability.admin")


async def test_the_example_lets_the_admin_watch_and_command(
    monkeypatch: pytest.MonkeyPatch, served: Any, client: Connect
) -> None:
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode()
    app = load(monkeypatch, hashed).app
    url = await served(app)
    ann = await client(url, auth={"name": "ann"})
    assert await ann.call("join", "lobby") == ["lobby"]
    watcher = socketio.AsyncClient(reconnection=False)
    heard = Heard(watcher, "/admin")
    admin = await client(
        url,
        namespace="/admin",
        auth={"username": "admin", "password": "s3cret"},
        client=watcher,
        headers={"Origin": UI_ORIGIN},
    )
    (sockets,) = await heard.wait("all_sockets")
    (listed,) = [each for each in sockets if each["id"] == ann.get_sid("/")]
    assert (listed["data"], sorted(listed["rooms"])) == (
        {"name": "ann"},
        sorted([listed["id"], "lobby"]),
    )
    await admin.emit("_disconnect", ("/", False, "lobby"), namespace="/admin")
    await heard.wait("socket_disconnected", lambda nsp, sid, reason, at: sid == listed["id"])
    assert "/admin" not in str(contract.asyncapi(app)["channels"])


async def test_the_example_serves_the_ui_origin_only(
    monkeypatch: pytest.MonkeyPatch, served: Any
) -> None:
    url = await served(load(monkeypatch, "s3cret").app)
    handshake = url + "/socket.io/?EIO=4&transport=polling"
    async with httpx.AsyncClient() as http:
        allowed = await http.get(handshake, headers={"Origin": UI_ORIGIN})
        other = await http.get(handshake, headers={"Origin": "http://elsewhere.example"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == UI_ORIGIN
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert other.status_code == 403
