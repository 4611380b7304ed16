"""Shutting down: running handlers drain within ``drain_timeout``, then clients are told
``server shutting down``."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest
import socketio

from sioapp import DisconnectReason, Router, SioApp
from sioapp.testing import serve


def build_app(drain_timeout: float) -> tuple[SioApp, dict[str, Any]]:
    app = SioApp(drain_timeout=drain_timeout)
    router = Router()
    state: dict[str, Any] = {"started": asyncio.Event(), "outcomes": [], "reasons": []}

    @router.on("work")
    async def work(seconds: float) -> str:
        state["started"].set()
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            state["outcomes"].append("cancelled")
            raise
        state["outcomes"].append("finished")
        return f"worked {seconds}"

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


async def client_of(url: str) -> tuple[socketio.AsyncClient, list[tuple[float, str]]]:
    """A client and the timeline of what it received: acks and its disconnect."""
    client = socketio.AsyncClient(reconnection=False)
    timeline: list[tuple[float, str]] = []

    @client.event
    async def disconnect(reason: str) -> None:
        timeline.append((time.monotonic(), f"disconnect: {reason}"))

    await client.connect(url, transports=["websocket"], wait_timeout=5)
    return client, timeline


async def test_running_handlers_finish_and_answer_before_clients_are_disconnected() -> None:
    app, state = build_app(drain_timeout=5.0)
    async with serve(app) as url:
        client, timeline = await client_of(url)
        acks: list[Any] = []

        async def record(*args: Any) -> None:
            acks.extend(args)
            timeline.append((time.monotonic(), f"ack: {args[0]}"))

        await client.emit("work", 0.6, callback=record)
        await asyncio.wait_for(state["started"].wait(), 5)
        closing = asyncio.create_task(app.close())
        await asyncio.sleep(0.1)
        # events arriving while the server drains are still answered
        assert await client.call("quick", 7, timeout=5) == 7
        await asyncio.wait_for(closing, 5)
    async with asyncio.timeout(5):
        while not any(entry.startswith("disconnect") for _, entry in timeline):
            await asyncio.sleep(0.02)
    assert [entry for _, entry in timeline] == [
        "ack: worked 0.6",
        "disconnect: server disconnect",
    ]
    assert state["outcomes"] == ["finished"]
    assert state["reasons"] == [DisconnectReason.SERVER_SHUTTING_DOWN]
    await client.disconnect()


async def test_handlers_still_running_after_the_drain_timeout_are_cancelled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, state = build_app(drain_timeout=0.3)
    async with serve(app) as url:
        client, timeline = await client_of(url)
        await client.emit("work", 60)
        await asyncio.wait_for(state["started"].wait(), 5)
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="sioapp"):
            await app.close()
        elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 2.0
    assert state["outcomes"] == ["cancelled"]
    assert "1 event handler(s) still running after drain_timeout=0.3s: cancelled" in caplog.text
    async with asyncio.timeout(5):
        while not timeline:
            await asyncio.sleep(0.02)
    assert [entry for _, entry in timeline] == ["disconnect: server disconnect"]
    assert state["reasons"] == [DisconnectReason.SERVER_SHUTTING_DOWN]
    await client.disconnect()


async def test_a_handler_may_close_the_app_without_waiting_for_itself() -> None:
    app, state = build_app(drain_timeout=5.0)
    async with serve(app) as url:
        client, timeline = await client_of(url)
        started = time.monotonic()
        await client.emit("shut down")
        async with asyncio.timeout(3):
            while not timeline:
                await asyncio.sleep(0.02)
        assert time.monotonic() - started < 1.0
    assert [entry for _, entry in timeline] == ["disconnect: server disconnect"]
    assert state["reasons"] == [DisconnectReason.SERVER_SHUTTING_DOWN]
    await client.disconnect()


def test_drain_timeout_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="drain_timeout"):
        SioApp(drain_timeout=-1)
