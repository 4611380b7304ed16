"""The official Socket.IO Admin UI, its built files from npm, in headless Chromium against
the Observability page's example app: it logs in, lists the sockets and rooms of the app,
follows a socket that connects, disconnects it, and comes back with its session. With
``SIOAPP_SCREENSHOTS=1`` it also renews the Observability page's screenshot. Nothing
leaves the host: what the UI asks of CDNs is served from npm or refused."""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import bcrypt
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from sioapp.testing import free_port, serve

from .conftest import Connect
from .contract.tools import CHROMIUM_ARGS, chromium_or_skip

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
NODE_MODULES = Path(__file__).parent / "admin" / "node_modules"
UI = NODE_MODULES / "@socket.io" / "admin-ui" / "ui" / "dist"
ICONS = NODE_MODULES / "@mdi" / "font"
#: Where the UI's page asks for the Material Design icons.
ICONS_CDN = "https://cdn.jsdelivr.net/npm/@mdi/font@latest/"
#: The Observability page's screenshot, renewed when `SCREENSHOTS_ENV` is ``1``.
SCREENSHOT = REPO / "docs" / "images" / "admin-ui.png"
SCREENSHOTS_ENV = "SIOAPP_SCREENSHOTS"


def static(directory: Path) -> Starlette:
    return Starlette(routes=[Mount("/", StaticFiles(directory=directory, html=True))])


async def offline(route: Any) -> None:
    """Let requests to this host through; serve the icons from npm; refuse the rest."""
    url = route.request.url
    if urlsplit(url).hostname == "127.0.0.1":
        await route.continue_()
    elif url.startswith(ICONS_CDN):
        await route.fulfill(path=ICONS / urlsplit(url).path.removeprefix(urlsplit(ICONS_CDN).path))
    else:
        await route.abort()


async def test_the_official_ui_shows_what_is_connected(
    monkeypatch: pytest.MonkeyPatch, served: Any, client: Connect
) -> None:
    executable = chromium_or_skip()
    if not UI.is_dir() or not ICONS.is_dir():
        pytest.skip("tests/admin/node_modules is missing: run `npm ci --prefix tests/admin`")
    from playwright.async_api import async_playwright, expect

    ui_port = free_port()
    ui = f"http://127.0.0.1:{ui_port}"
    monkeypatch.setenv("ADMIN_UI_ORIGIN", ui)
    monkeypatch.setenv("ADMIN_PASSWORD", bcrypt.hashpw(b"s3cret", bcrypt.gensalt(4)).decode())
    sys.modules.pop("docs_src.observability.admin", None)
    app = importlib.import_module("docs_src.observability.admin").app
    url = await served(app)
    ann = await client(url, auth={"name": "ann"})
    bob = await client(url, auth={"name": "bob"})
    await ann.call("join", "lobby")
    await bob.call("join", "lobby")
    await bob.call("join", "kitchen")

    async with AsyncExitStack() as stack:
        await stack.enter_async_context(serve(static(UI), port=ui_port))
        playwright = await stack.enter_async_context(async_playwright())
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        stack.push_async_callback(browser.close)
        page = await browser.new_page(viewport={"width": 1280, "height": 720})
        await page.route("**/*", offline)

        await page.goto(ui + "/")
        await page.get_by_label("Server URL").fill(url)
        await page.get_by_label("Username").fill("admin")
        await page.get_by_label("Password").fill("wrong")
        await page.get_by_role("button", name="Connect").click()
        await expect(page.get_by_text("Invalid credentials")).to_be_visible()
        await page.get_by_label("Password").fill("s3cret")
        await page.get_by_role("button", name="Connect").click()
        await expect(page.get_by_label("Server URL")).to_be_hidden()

        await page.goto(ui + "/#/sockets/")
        for each in (ann, bob):
            await expect(page.get_by_role("cell", name=each.get_sid("/"))).to_be_visible()
        cat = await client(url, auth={"name": "cat"})  # arrives while the page is open
        await expect(page.get_by_role("cell", name=cat.get_sid("/"))).to_be_visible()
        if os.environ.get(SCREENSHOTS_ENV) == "1":
            await page.screenshot(path=SCREENSHOT)
        cat_left: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        cat.on("disconnect", cat_left.set_result)
        cat_row = page.get_by_role("row").filter(
            has=page.get_by_role("cell", name=cat.get_sid("/"))
        )
        await cat_row.get_by_role("button").click()  # "disconnect this socket"
        assert await asyncio.wait_for(cat_left, 5) == "server disconnect"

        await page.goto(ui + "/#/rooms/")
        for room, members in (("lobby", "2"), ("kitchen", "1")):
            row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=room))
            await expect(row.get_by_role("cell", name=members, exact=True)).to_be_visible()

        await page.reload()  # the UI comes back with its session, without the form
        await page.goto(ui + "/#/sockets/")
        await expect(page.get_by_role("cell", name=ann.get_sid("/"))).to_be_visible()
        await expect(page.get_by_label("Server URL")).to_be_hidden()
