"""The example chat's page in headless Chromium: two tabs chat, nothing leaves the host."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from example_project.app import app

from .contract.tools import CHROMIUM_ARGS, chromium_or_skip

pytestmark = pytest.mark.browser


async def test_two_tabs_chat_through_the_page(served: Any) -> None:
    executable = chromium_or_skip()
    from playwright.async_api import Page, async_playwright, expect

    url = await served(app)
    foreign: list[str] = []

    async def open_tab(browser: Any, name: str) -> Page:
        page: Page = await (await browser.new_context()).new_page()
        page.on(
            "request",
            lambda request: (
                foreign.append(request.url)
                if urlsplit(request.url).hostname != "127.0.0.1"
                else None
            ),
        )
        await page.goto(url + "/")
        await page.fill("#username", name)
        await page.click("#login-form button")
        await expect(page.locator("#status")).to_contain_text(f"Connected as {name}")
        await page.click("#join-form button")
        await expect(page.locator("#log")).to_contain_text("you joined lobby")
        return page

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            ann = await open_tab(browser, "ann")
            bob = await open_tab(browser, "bob")
            await expect(ann.locator("#log")).to_contain_text("bob joined lobby")

            await ann.fill("#message", "hello from ann")
            await ann.click("#send")
            await expect(bob.locator("#log")).to_contain_text("ann: hello from ann")
            await expect(ann.locator("#log")).to_contain_text("ann: hello from ann")

            await bob.fill("#message", "hi ann")
            await bob.press("#message", "Enter")
            await expect(ann.locator("#log")).to_contain_text("bob: hi ann")

            await bob.close()
            await expect(ann.locator("#log")).to_contain_text("left")
        finally:
            await browser.close()
    assert foreign == []
