"""Each event's handler runs in a task of its own: events keep flowing while a handler
waits, handlers that do not wait run in the order of their events, and what a handler
does with its task (timeouts, cancellation) stays within it."""

from __future__ import annotations

import asyncio

from sioapp import Router, SioApp, Socket
from sioapp._di.container import current_socket

from .conftest import InProcess


def _app() -> tuple[SioApp, list[int]]:
    router = Router()
    gate = asyncio.Event()
    notes: list[int] = []

    @router.on("wait")
    async def wait(socket: Socket) -> str:
        await gate.wait()
        return current_socket().id  # the handler's context survives the wait

    @router.on("open")
    async def open_() -> str:
        gate.set()
        return "opened"

    @router.on("note")
    async def note(n: int) -> None:
        notes.append(n)

    @router.on("notes")
    async def notes_() -> list[int]:
        return notes

    @router.on("give up")
    async def give_up() -> str:
        try:
            async with asyncio.timeout(0.05):
                await asyncio.Event().wait()
        except TimeoutError:
            return "timed out"
        return "never"

    app = SioApp(title="event tasks", docs_url=None)
    app.include_router(router)
    return app, notes


async def test_a_waiting_handler_does_not_hold_back_the_events_after_it(
    in_process: InProcess,
) -> None:
    app, _ = _app()
    first, second = await in_process(app), await in_process(app)
    waiting = [asyncio.ensure_future(c.call("wait", timeout=5)) for c in (first, second)]
    assert await first.call("open", timeout=5) == "opened"
    assert await asyncio.gather(*waiting) == [first.sid, second.sid]


async def test_handlers_that_do_not_wait_run_in_the_order_of_their_events(
    in_process: InProcess,
) -> None:
    app, notes = _app()
    c = await in_process(app)
    for n in range(50):
        await c.emit("note", n)
    assert await c.call("notes", timeout=5) == list(range(50))
    assert notes == list(range(50))


async def test_a_timeout_inside_a_handler_cancels_that_handler_only(
    in_process: InProcess,
) -> None:
    app, _ = _app()
    c = await in_process(app)
    assert await c.call("give up", timeout=5) == "timed out"
    assert await c.call("open", timeout=5) == "opened"  # the connection still reads
    assert c.connected
