"""The HTML page: self-contained, escaped, and working in headless Chromium."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest_asyncio
from fastapi.responses import HTMLResponse

from sioapp import Router, SioApp, contract
from sioapp.contract.prose import inline, paragraphs

from .contract.sample_app import TOKEN, create_app
from .contract.tools import CHROMIUM_ARGS, chromium_or_skip

Served = Callable[[SioApp], Awaitable[str]]


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of inline scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline: dict[str, list[str]] = {"script": [], "style": []}
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in self.inline and dict(attrs).get("type") is None:
            self._open = tag
            self.inline[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self.inline[self._open][-1] += data


def parse(page: str) -> Tags:
    tags = Tags()
    tags.feed(page)
    return tags


def test_the_page_loads_nothing_and_its_policy_admits_only_its_own_blocks() -> None:
    tags = parse(contract.html(create_app()))
    for tag, attrs in tags.tags:
        assert "src" not in attrs, tag
        href = attrs.get("href")
        assert href is None or href.startswith(("#", "data:")), (tag, href)
    [policy] = [
        a["content"] for t, a in tags.tags if a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert policy is not None
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["connect-src"] == "'self' ws: wss:"
    for kind, directive in (("script", "script-src"), ("style", "style-src")):
        hashes = {
            "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"
            for text in tags.inline[kind]
        }
        assert set(directives[directive].split()) == hashes


def test_the_page_has_a_section_per_event_and_schema() -> None:
    app = create_app()
    document = contract.asyncapi(app)
    tags = parse(contract.html(app))
    ids = {attrs["id"] for _, attrs in tags.tags if attrs.get("id")}
    assert set(document["operations"]) <= ids
    assert {f"schema-{name}" for name in document["components"]["schemas"]} <= ids
    buttons = {
        (a["data-namespace"], a["data-event"])
        for t, a in tags.tags
        if t == "button" and "data-event" in a
    }
    assert buttons == {
        (namespace, event)
        for namespace, registry in app.registry.items()
        for event in registry.events
    }


def test_user_text_is_escaped() -> None:
    app = SioApp(title="<b>Chat</b>", description="</script><script>alert(1)</script>")
    router = Router()

    @router.on("<img src=x onerror=alert(1)>")
    async def hostile(text: str) -> None:
        """Say </script> & <b>bold</b>."""

    app.include_router(router)
    page = contract.html(app)
    assert "<b>" not in page and "<img" not in page
    assert page.count("<script>") == 2
    assert "Say &lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;." in page
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in page  # the page's data, as JSON


def test_docstrings_render_inline_code_emphasis_and_paragraphs_only() -> None:
    assert inline("Use ``members`` or `rooms`, *now* and **always**.") == (
        "Use <code>members</code> or <code>rooms</code>, <em>now</em> and <strong>always</strong>."
    )
    assert inline("*args, **kwargs and 2 * 3 * 4 stay text") == (
        "*args, **kwargs and 2 * 3 * 4 stay text"
    )
    assert inline("`<script>` & <b>*x*</b> ``a * b``") == (
        "<code>&lt;script&gt;</code> &amp; &lt;b&gt;<em>x</em>&lt;/b&gt; <code>a * b</code>"
    )
    assert paragraphs("One\n  line.\n\n \nTwo *lines*\nhere.\n") == (
        "<p>One line.</p><p>Two <em>lines</em> here.</p>"
    )
    assert paragraphs("- a list\n- [a link](x)") == "<p>- a list - [a link](x)</p>"
    assert paragraphs("") == ""


class Browser:
    """A Chromium page that records every request and every console error."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("websocket", lambda socket: self.requests.append(socket.url))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )

    def hosts(self) -> set[str]:
        return {urlsplit(url).hostname or urlsplit(url).scheme for url in self.requests}


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Callable[[], Awaitable[Browser]]]:
    executable = chromium_or_skip()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)

        async def page() -> Browser:
            opened = await chromium.new_page(viewport={"width": 1400, "height": 900})
            opened.set_default_timeout(5000)
            await opened.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if urlsplit(route.request.url).hostname in ("127.0.0.1", None)
                    else route.abort()
                ),
            )
            return Browser(opened)

        yield page
        await chromium.close()


async def test_try_it_connects_emits_and_shows_acks_and_events(
    served: Served, browser: Callable[[], Awaitable[Browser]]
) -> None:
    app = create_app()
    url = await served(app)
    tab = await browser()
    page = tab.page
    await page.goto(f"{url}/asyncapi")
    for namespace, registry in app.registry.items():
        section = page.locator(f'section[data-namespace="{namespace}"]')
        for name in [*registry.events, *registry.emitted, "exception"]:
            await section.locator(f'article[data-event="{name}"]').first.wait_for()
    assert await page.locator("article.event").count() == len(contract.asyncapi(app)["operations"])
    assert await page.get_attribute("#downloads a >> nth=0", "href") == "/asyncapi.json"

    await page.fill("#try-auth", '{"token": "wrong"}')
    await page.click("#try-connect")
    await page.wait_for_selector('#try-status[data-state="error"]')
    assert await page.inner_text("#try-status") == "Refused: unknown token"
    assert '"unauthorized"' in await page.inner_text('#try-log li[data-kind="connect_error"]')

    await page.fill("#try-auth", f'{{"token": "{TOKEN}"}}')
    await page.click("#try-connect")
    await page.wait_for_selector('#try-status[data-state="connected"]')
    await page.click('article[data-event="join"] button.try')
    assert re.sub(r"\s", "", await page.input_value("#try-args")) == '[{"room":"string"}]'
    await page.fill("#try-args", '[{"room": "lobby"}]')
    await page.click("#try-emit")
    ack = await page.inner_text('#try-log li[data-kind="ack"]')
    assert '"room": "lobby"' in ack and '"members": 1' in ack
    assert '"room": "lobby"' in await page.inner_text('#try-log li[data-kind="event"]')

    await page.click('article[data-event="ban"] button.try')
    assert await page.inner_text("#try-status") == "Not connected"
    await page.click("#try-connect")
    await page.wait_for_selector('#try-status[data-state="connected"]')
    await page.click("#try-emit")
    await page.wait_for_selector('#try-log li[data-kind="ack"] >> text=untilMinute')

    assert tab.hosts() == {"127.0.0.1"}, tab.requests
    assert any(request.startswith("ws://127.0.0.1") for request in tab.requests)
    assert tab.errors == []


async def test_the_saved_page_works_offline(
    tmp_path: Path, browser: Callable[[], Awaitable[Browser]]
) -> None:
    app = create_app()
    saved = tmp_path / "events.html"
    saved.write_text(contract.html(app))
    tab = await browser()
    await tab.page.goto(saved.as_uri())
    await tab.page.locator('article[data-event="user joined"]').wait_for()
    assert await tab.page.locator("article.event").count() == len(
        contract.asyncapi(app)["operations"]
    )
    assert await tab.page.input_value("#try-url") == "http://127.0.0.1:8000"
    assert await tab.page.is_hidden("#downloads")
    assert tab.hosts() == {"file"}, tab.requests
    assert tab.errors == []


async def test_the_auth_editor_starts_from_each_namespace_example(
    served: Served, browser: Callable[[], Awaitable[Browser]]
) -> None:
    url = await served(create_app())
    tab = await browser()
    page = tab.page
    await page.goto(f"{url}/asyncapi")

    async def auth() -> Any:
        return json.loads(await page.input_value("#try-auth"))

    handshake = page.locator('section[data-namespace="/admin"] article[data-event="connect"]')
    assert "Credentials & AdminRole" in await handshake.inner_text()
    assert await auth() == {"token": ""}
    await handshake.locator("button.try-auth").click()
    assert await page.input_value("#try-namespace") == "/admin"
    assert await auth() == {"token": "", "role": "admin"}
    await page.click("#try-connect")  # the example auth is well-formed, but not a known token
    await page.wait_for_selector('#try-status[data-state="error"]')
    assert await page.inner_text("#try-status") == "Refused: unknown token"

    await page.fill("#try-auth", f'{{"token": "{TOKEN}", "role": "owner"}}')
    await page.select_option("#try-namespace", "/")
    assert await auth() == {"token": TOKEN, "role": "owner"}  # what the user wrote stays
    await page.select_option("#try-namespace", "/admin")
    await page.click("#try-connect")
    await page.wait_for_selector('#try-status[data-state="error"]')
    assert await page.inner_text("#try-status") == "Refused: Invalid auth"
    refusal = await page.inner_text('#try-log li[data-kind="connect_error"] >> nth=0')
    assert '"validation_error"' in refusal and '"role"' in refusal
    assert tab.errors == []


async def test_docstrings_render_and_hostile_text_stays_text(
    tmp_path: Path, browser: Callable[[], Awaitable[Browser]]
) -> None:
    app = SioApp(
        title="<script>window.owned = 1</script>",
        description="Rooms in `lobby`.\n\n<script>window.owned = 2</script>",
    )
    router = Router()
    router.emits("private message", from_id=str, text=str)

    @router.on("join")
    async def join(room: str) -> None:
        """Join ``room`` *now*.

        Everyone in it gets `user joined`;
        **never** <script>window.owned = 3</script>.

        A second paragraph.
        """

    app.include_router(router)
    saved = tmp_path / "events.html"
    saved.write_text(contract.html(app))
    tab = await browser()
    page = tab.page
    await page.goto(saved.as_uri())
    event = page.locator('article[data-event="join"]')
    assert await event.locator(".summary").inner_html() == "Join <code>room</code> <em>now</em>."
    assert await event.locator(".text p").all_inner_texts() == [
        "Everyone in it gets user joined; never <script>window.owned = 3</script>.",
        "A second paragraph.",
    ]
    assert await event.locator(".text code").inner_text() == "user joined"
    assert await event.locator(".text strong").inner_text() == "never"
    assert await page.locator(".description p").all_inner_texts() == [
        "Rooms in lobby.",
        "<script>window.owned = 2</script>",
    ]
    assert (await page.title()).startswith("<script>window.owned = 1</script>")
    signature = page.locator('article[data-event="private message"] .signature')
    assert await signature.inner_text() == "(from_id: string, text: string) => void"
    assert await page.locator("body script").count() == 3  # the data and the two assets
    assert await page.evaluate("window.owned") is None
    assert tab.errors == []


async def test_pages_of_the_app_can_reuse_the_client_script(
    served: Served, browser: Callable[[], Awaitable[Browser]]
) -> None:
    app = create_app()

    @app.fastapi.get("/chat", response_class=HTMLResponse)
    async def chat() -> str:
        return '<!doctype html><script src="/asyncapi/client.js"></script>'

    url = await served(app)
    tab = await browser()
    await tab.page.goto(f"{url}/chat")
    result = await tab.page.evaluate(
        """async ([token]) => {
          const connected = (socket) => new Promise((resolve, reject) => {
            socket.on("connect", resolve);
            socket.on("connect_error", reject);
          });
          const chat = sioapp.io(location.origin, { auth: { token } });
          const joined = new Promise((resolve) => chat.on("user joined", resolve));
          const early = chat.emitWithAck("sum", 1, 2, 3);  // buffered until connected
          await connected(chat);
          const stats = await new Promise((done) => chat.emit("stats", (...ack) => done(ack)));
          const join = await chat.emitWithAck("join", { room: "lobby" });
          const admin = sioapp.io(location.origin, { namespace: "/admin", auth: { token } });
          await connected(admin);
          const ban = await admin.emitWithAck("ban", { userId: "x", minutes: 2 });
          const invalid = await admin.emitWithAck("ban", { userId: "x", minutes: 0 });
          const refused = await connected(sioapp.io(location.origin, { auth: {} })).catch(
            (error) => [error.message, error.data],
          );
          const reason = new Promise((resolve) => admin.on("disconnect", resolve));
          admin.disconnect();
          return {
            sum: await early, id: chat.id, stats, join, event: await joined, ban,
            invalid: invalid.error.details[0].loc, refused, reason: await reason,
            connected: admin.connected,
          };
        }""",
        [TOKEN],
    )
    assert result == {
        "sum": 6,
        "id": result["id"],
        "stats": [1, result["id"]],
        "join": {"room": "lobby", "members": 1},
        "event": {"room": "lobby", "user": result["id"]},
        "ban": {"userId": "x", "untilMinute": 2},
        "invalid": ["req", "minutes"],
        "refused": ["unknown token", {"code": "unauthorized"}],
        "reason": "io client disconnect",
        "connected": False,
    }
    assert len(result["id"]) == 20
    assert tab.hosts() == {"127.0.0.1"}
    assert tab.errors == []
