"""RateLimit: refused events get ``rate_limited``; repeated abuse disconnects."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from sioapp import DisconnectReason, RateLimit, Router, SioApp, Socket

from .conftest import InProcess, eventually
from .raw import RawClient


def build_app(limit: RateLimit) -> tuple[SioApp, list[str], list[DisconnectReason]]:
    app = SioApp()
    router = Router()
    handled: list[str] = []
    reasons: list[DisconnectReason] = []
    router.use_packets(limit)

    @router.use
    async def identify(socket: Socket, auth: dict[str, str]) -> None:
        if "user" in auth:
            socket.user = auth["user"]

    @router.on("ping")
    async def ping(n: int) -> int:
        handled.append(f"ping {n}")
        return n

    @router.on_disconnect
    async def gone(socket: Socket, reason: DisconnectReason) -> None:
        reasons.append(reason)

    app.include_router(router)
    return app, handled, reasons


async def test_events_over_the_limit_are_refused_then_allowed_again(
    in_process: InProcess,
) -> None:
    app, handled, _ = build_app(RateLimit(per_second=10, burst=3, disconnect_after=None))
    c, other = await in_process(app), await in_process(app)
    replies = [await c.call("ping", n) for n in range(5)]
    assert replies[:3] == [0, 1, 2]
    for refused in replies[3:]:
        assert refused["error"]["code"] == "rate_limited"
        assert 0 < refused["error"]["details"][0]["retry_after"] <= 0.1
    assert handled == ["ping 0", "ping 1", "ping 2"]
    assert await other.call("ping", 7) == 7  # each socket has its own bucket
    await asyncio.sleep(0.15)  # time passing refills the bucket: what is under test
    assert await c.call("ping", 9) == 9


async def test_repeated_abuse_disconnects(in_process: InProcess) -> None:
    app, _, reasons = build_app(RateLimit(per_second=1, burst=1, disconnect_after=3))
    c = await in_process(app)
    assert await c.call("ping", 1) == 1
    for n in range(2):
        assert (await c.call("ping", n))["error"]["code"] == "rate_limited"
    await c.emit("ping", 3)
    assert await c.wait_disconnected() == "io server disconnect"
    await eventually(lambda: reasons)  # the server's handlers may run after the packet left
    assert reasons == [DisconnectReason.SERVER_NAMESPACE_DISCONNECT]


async def test_connecting_again_gives_no_fresh_allowance(served: Any) -> None:
    app, handled, _ = build_app(RateLimit(per_second=0.01, burst=2, disconnect_after=None))
    raw = await RawClient.open(await served(app))
    for attempt in range(3):  # the namespace left and joined again on one connection
        await raw.connect()
        for n in range(2):
            await raw.send(f"42{n + 1}" + json.dumps(["ping", attempt]))
            reply = json.loads(str(await raw.recv())[3:])[0]
            assert (reply == attempt) == (attempt == 0), reply
        await raw.send("41")
    assert handled == ["ping 0", "ping 0"]


async def test_a_users_sockets_share_one_allowance(in_process: InProcess) -> None:
    app, _, _ = build_app(RateLimit(per_second=0.01, burst=2, disconnect_after=None))
    first = await in_process(app, auth={"user": "ann"})
    second = await in_process(app, auth={"user": "ann"})
    stranger = await in_process(app, auth={"user": "bob"})
    assert await first.call("ping", 1) == 1
    assert await second.call("ping", 2) == 2
    assert (await second.call("ping", 3))["error"]["code"] == "rate_limited"
    assert (await first.call("ping", 4))["error"]["code"] == "rate_limited"
    assert await stranger.call("ping", 5) == 5


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="per_second"):
        RateLimit(per_second=0)
    with pytest.raises(ValueError, match="burst"):
        RateLimit(per_second=1, burst=0)
