"""Disconnecting and disconnect handlers, every reason that can be provoked, and no leaks."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

from sioapp import DisconnectReason, Router, SioApp, Socket
from sioapp.testing import TestClient, TestServer

from .conftest import InProcess, eventually
from .raw import RawClient


class Journal:
    def __init__(self) -> None:
        self.disconnecting: list[tuple[str, DisconnectReason, list[str]]] = []
        self.disconnected: list[tuple[str, DisconnectReason, list[str], bool]] = []
        self.sockets: dict[str, Socket] = {}
        self.gone = asyncio.Event()

    async def reason_of(self, sid: str, timeout: float = 5.0) -> DisconnectReason:
        async with asyncio.timeout(timeout):
            while True:
                for entry in self.disconnected:
                    if entry[0] == sid:
                        return entry[1]
                self.gone.clear()
                await self.gone.wait()


def build_app(**options: Any) -> tuple[SioApp, Journal]:
    app = SioApp(**options)
    router = Router()
    journal = Journal()

    @router.on_connect
    async def connected(socket: Socket) -> None:
        journal.sockets[socket.id] = socket
        await socket.join(["lobby", "games"])

    @router.on_disconnecting
    async def leaving(socket: Socket, reason: DisconnectReason) -> None:
        journal.disconnecting.append((socket.id, reason, sorted(socket.rooms)))

    @router.on_disconnect
    async def left(socket: Socket, reason: DisconnectReason) -> None:
        members = [s.id for s in await app.in_("lobby").fetch_sockets()]
        journal.disconnected.append((socket.id, reason, sorted(socket.rooms), socket.id in members))
        journal.gone.set()

    @router.on("leave me")
    async def leave_me(socket: Socket, close: bool) -> None:
        await socket.disconnect(close=close)

    app.include_router(router)
    return app, journal


async def test_disconnecting_sees_full_rooms_then_disconnect_sees_none(
    in_process: InProcess,
) -> None:
    app, journal = build_app()
    c = await in_process(app)
    sid = c.sid
    assert sid is not None
    await c.emit("leave me", False)
    assert await journal.reason_of(sid) is DisconnectReason.SERVER_NAMESPACE_DISCONNECT
    assert journal.disconnecting == [
        (sid, DisconnectReason.SERVER_NAMESPACE_DISCONNECT, sorted([sid, "lobby", "games"]))
    ]
    assert journal.disconnected == [(sid, DisconnectReason.SERVER_NAMESPACE_DISCONNECT, [], False)]
    assert sid not in app.server.sockets
    assert not journal.sockets[sid].connected


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("client namespace disconnect", DisconnectReason.CLIENT_NAMESPACE_DISCONNECT),
        ("close websocket", DisconnectReason.TRANSPORT_CLOSE),
        ("engine.io close packet", DisconnectReason.TRANSPORT_CLOSE),
        ("socket.disconnect()", DisconnectReason.SERVER_NAMESPACE_DISCONNECT),
        ("socket.disconnect(close=True)", DisconnectReason.FORCED_CLOSE),
        ("malformed packet", DisconnectReason.PARSE_ERROR),
        ("reserved event", DisconnectReason.PARSE_ERROR),
        ("app.close()", DisconnectReason.SERVER_SHUTTING_DOWN),
    ],
)
async def test_disconnect_reasons(served: Any, action: str, expected: DisconnectReason) -> None:
    app, journal = build_app()
    raw = await RawClient.open(await served(app))
    sid = await raw.connect()
    frames = {
        "client namespace disconnect": "41",
        "engine.io close packet": "1",
        "socket.disconnect()": '42["leave me",false]',
        "socket.disconnect(close=True)": '42["leave me",true]',
        "malformed packet": "42{}",
        "reserved event": '42["disconnect","spoofed"]',
    }
    if action in frames:
        await raw.send(frames[action])
    elif action == "close websocket":
        await raw.close()
    else:
        await app.close()
    assert await journal.reason_of(sid) is expected
    assert len(journal.disconnected) == 1
    if expected in (
        DisconnectReason.PARSE_ERROR,
        DisconnectReason.FORCED_CLOSE,
        DisconnectReason.SERVER_SHUTTING_DOWN,
    ):
        assert await raw.closed()
    await raw.close()


async def test_ping_timeout(served: Any) -> None:
    app, journal = build_app(ping_interval=0.2, ping_timeout=0.2)
    raw = await RawClient.open(await served(app), answer_pings=False)
    sid = await raw.connect()
    assert await journal.reason_of(sid, timeout=5) is DisconnectReason.PING_TIMEOUT
    await raw.close()


async def test_shutdown_disconnects_everyone_with_server_shutting_down(
    in_process: InProcess,
) -> None:
    app, journal = build_app()
    connected = [await in_process(app) for _ in range(3)]
    await in_process.stop(app)
    assert sorted(entry[0] for entry in journal.disconnected) == sorted(c.sid for c in connected)
    assert {entry[1] for entry in journal.disconnected} == {DisconnectReason.SERVER_SHUTTING_DOWN}
    assert {c.disconnect_reason for c in connected} == {"transport close"}


async def test_a_thousand_connections_leave_nothing_behind() -> None:
    app, journal = build_app()
    server = app.server

    async def cycle(count: int) -> None:
        for _ in range(count):
            async with TestClient(app) as c:
                await c.emit("leave me", False)
                assert await c.wait_disconnected() == "io server disconnect"

    async with TestServer(app):
        await cycle(1)  # starts the engine's background service before the baseline
        await eventually(lambda: len(journal.disconnected) == 1 and not server.eio.sessions)
        tasks_before = {task.get_name() for task in asyncio.all_tasks()}
        await asyncio.gather(*(cycle(50) for _ in range(20)))
        await eventually(lambda: len(journal.disconnected) == 1001 and not server.eio.sessions)
        await leak_check(app, journal, tasks_before)


async def leak_check(app: SioApp, journal: Journal, tasks_before: set[str]) -> None:
    """Nothing of the sockets that came and went is left once the journal forgets them."""
    server = app.server
    journal.sockets.clear()
    journal.disconnecting.clear()
    journal.disconnected.clear()
    gc.collect()
    assert server.sockets == {}
    assert server.environ == {}
    assert server.manager.rooms == {}
    assert server.manager.socket_rooms == {}
    assert server.manager.callbacks == {}
    assert server._connect_timers == {}
    assert server._pending == {}
    assert not [obj for obj in gc.get_objects() if isinstance(obj, Socket) and obj.app is app]
    # the tasks of the last connections may still be ending
    await eventually(lambda: {task.get_name() for task in asyncio.all_tasks()} <= tasks_before)


async def test_join_after_the_client_left_does_nothing(in_process: InProcess) -> None:
    app, journal = build_app()
    c = await in_process(app)
    sid = c.sid
    assert sid is not None
    socket = journal.sockets[sid]
    await c.emit("leave me", False)
    await journal.reason_of(sid)
    await socket.join("late")  # a handler still running when its client went away
    await socket.leave("late")
    assert socket.rooms == set() and "late" not in app.server.manager.rooms.get("/", {})
