"""Shutting down: running handlers drain within ``drain_timeout``, then clients are told
``server shutting down``."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest

from sioapp import DisconnectReason, Router, SioApp

from .conftest import PATIENCE, InProcess


def build_app(drain_timeout: float) -> tuple[SioApp, dict[str, Any]]:
    app = SioApp(drain_timeout=drain_timeout)
    router = Router()
    state: dict[str, Any] = {
        "started": asyncio.Event(),
        "release": asyncio.Event(),
        "outcomes": [],
        "reasons": [],
    }

    @router.on("work")
    async def work() -> str:
        """Works until the test releases it."""
        state["started"].set()
        try:
            await state["release"].wait()
        except asyncio.CancelledError:
            state["outcomes"].append("cancelled")
            raise
        state["outcomes"].append("finished")
        return "worked"

    @router.on("quick")
    async def quick(n: int) -> int:
        await asyncio.sleep(0)
        return n

    @router.on("shut down")
    async def shut_down() -> str:
        await app.close()
        return "closed"

    @router.on_disconnect
    async def gone(reason: DisconnectReason) -> None:
        state["reasons"].append(reason)

    app.include_router(router)
    return app, state


async def test_running_handlers_finish_and_answer_before_clients_are_disconnected(
    in_process: InProcess,
) -> None:
    app, state = build_app(drain_timeout=PATIENCE)
    c = await in_process(app)
    work = asyncio.create_task(c.call("work"))
    await asyncio.wait_for(state["started"].wait(), PATIENCE)
    closing = asyncio.create_task(app.close())
    # Events arriving while the server drains are still answered. The close, scheduled
    # before the server reads this event, waits for "work" by then.
    assert await c.call("quick", 7) == 7
    assert not closing.done()
    state["release"].set()
    assert (
        await work == "worked"
    )  # a call fails once the client is disconnected: the ack came first
    await asyncio.wait_for(closing, PATIENCE)
    assert await c.wait_disconnected() == "transport close"
    assert state["outcomes"] == ["finished"]
    assert state["reasons"] == [DisconnectReason.SERVER_SHUTTING_DOWN]


async def test_handlers_still_running_after_the_drain_timeout_are_cancelled(
    in_process: InProcess, caplog: pytest.LogCaptureFixture
) -> None:
    app, state = build_app(drain_timeout=0.3)
    c = await in_process(app)
    await c.emit("work")  # never released
    await asyncio.wait_for(state["started"].wait(), PATIENCE)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="sioapp"):
        await asyncio.wait_for(app.close(), PATIENCE)
    assert time.monotonic() - started >= 0.3  # the handler had drain_timeout to finish
    assert state["outcomes"] == ["cancelled"]
    assert "1 event handler(s) still running after drain_timeout=0.3s: cancelled" in caplog.text
    assert await c.wait_disconnected() == "transport close"
    assert state["reasons"] == [DisconnectReason.SERVER_SHUTTING_DOWN]


async def test_a_handler_may_close_the_app_without_waiting_for_itself(
    in_process: InProcess,
) -> None:
    app, state = build_app(drain_timeout=60)
    c = await in_process(app)
    await c.emit("shut down")
    # waiting for itself, the handler would keep the client for drain_timeout
    assert await c.wait_disconnected(timeout=PATIENCE) == "transport close"
    assert state["reasons"] == [DisconnectReason.SERVER_SHUTTING_DOWN]


def test_drain_timeout_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="drain_timeout"):
        SioApp(drain_timeout=-1)
