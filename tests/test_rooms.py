"""``socket.rooms`` is a live, read-only view: injected, fetched or read, it is never a copy."""

from __future__ import annotations

import time
from typing import Any

import pytest
from dependency_injector.wiring import Provide

from sioapp import Container, Rooms, Router, SioApp, Socket

from .conftest import InProcess


def build_app(**options: Any) -> SioApp:
    app = SioApp(**options)
    router = Router()

    @router.on("join then look")
    async def join_then_look(
        room: str,
        socket: Socket,
        rooms: Rooms,
        provided: Rooms = Provide[Container.rooms],
    ) -> dict[str, Any]:
        await socket.join(room)
        return {
            "injected": room in rooms,
            "provided": room in provided,
            "same view": rooms is socket.rooms and provided is socket.rooms,
            "rooms": sorted(rooms),
        }

    @router.on("join")
    async def join(room: str, socket: Socket, app: SioApp) -> int:
        await socket.join(room)
        return len(await app.in_(room).fetch_sockets())

    @router.on("join many")
    async def join_many(prefix: str, count: int, socket: Socket) -> int:
        await socket.join(f"{prefix}{index}" for index in range(count))
        return len(socket.rooms)

    @router.on("in")
    async def in_room(room: str, socket: Socket) -> bool:
        return room in socket.rooms

    @router.on("leave all")
    async def leave_all(socket: Socket) -> list[str]:
        for room in socket.rooms - {socket.id}:
            await socket.leave(room)
        for room in socket.rooms:  # iterating a view that changes is safe
            if room != socket.id:
                await socket.leave(room)
        return sorted(socket.rooms)

    @router.on("echo")
    async def echo(value: Any) -> Any:
        return value

    app.include_router(router)
    return app


async def test_injected_rooms_follow_joins(in_process: InProcess) -> None:
    c = await in_process(build_app())
    seen = await c.call("join then look", "x")
    assert seen == {
        "injected": True,
        "provided": True,
        "same view": True,
        "rooms": sorted([c.sid, "x"]),
    }


async def test_rooms_view_is_read_only_and_set_like(in_process: InProcess) -> None:
    c = await in_process(build_app())
    await c.call("join many", "r", 3)
    assert await c.call("leave all") == [c.sid]


def test_rooms_view_has_no_mutators() -> None:
    assert not hasattr(Rooms, "add") and not hasattr(Rooms, "discard")
    with pytest.raises(TypeError):
        hash(Rooms.__new__(Rooms))


async def test_joining_another_sockets_room_is_a_clean_error(
    in_process: InProcess, caplog: pytest.LogCaptureFixture
) -> None:
    app = build_app()
    victim, attacker = await in_process(app), await in_process(app)
    for _ in range(20):
        reply = await attacker.call("join", str(victim.sid))
        assert reply["error"]["code"] == "forbidden_room"
        assert str(victim.sid) not in reply["error"]["message"]
    assert not [r for r in caplog.records if r.exc_info], "no traceback is logged"
    assert await attacker.call("join", attacker.sid) == 1  # its own room: nothing to do


async def test_max_rooms_per_socket(in_process: InProcess) -> None:
    c = await in_process(build_app(max_rooms_per_socket=3))
    assert await c.call("join many", "a", 3) == 4  # three rooms and its own
    reply = await c.call("join many", "b", 1)
    assert reply["error"] == {
        "code": "too_many_rooms",
        "message": "A socket may join at most 3 rooms",
        "details": [],
    }
    assert await c.call("join many", "a", 3) == 4  # rejoining rooms it is in is fine
    assert not await c.call("in", "b0")


def test_max_rooms_per_socket_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_rooms_per_socket"):
        SioApp(max_rooms_per_socket=0)


async def test_many_rooms_do_not_slow_down_events(in_process: InProcess) -> None:
    """A socket in 20,000 rooms costs no more per event than one in none: its rooms are
    neither copied per event nor per fetched socket."""
    app = build_app()
    crowded, plain = await in_process(app), await in_process(app)
    assert await crowded.call("join many", "r", 20_000, timeout=30) == 20_001
    spent = {crowded: 0.0, plain: 0.0}
    for index in range(500):
        for c in (crowded, plain):  # interleaved, so both see the same machine load
            started = time.perf_counter()
            assert await c.call("join", f"{c.sid} {index}") == 1
            spent[c] += time.perf_counter() - started
    # Copying the rooms made the crowded socket's joins about 7 times slower.
    assert spent[crowded] < 2 * spent[plain] + 0.2, spent
