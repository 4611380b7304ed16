"""Server-wide operations across three server processes sharing one redis-server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import socketio

from ..conftest import Connect, Inbox
from .conftest import Cluster, call, wait_disconnected

pytestmark = [pytest.mark.redis, pytest.mark.timeout(60)]

Users = dict[str, socketio.AsyncClient]


async def connect_users(cluster: Cluster, client: Connect, placement: dict[str, str]) -> Users:
    """One client per user name, connected to the server named beside it."""
    return {
        user: await client(cluster[server].url, auth={"user": user})
        for user, server in placement.items()
    }


def sids(users: Users) -> dict[str, str]:
    return {user: str(c.get_sid("/")) for user, c in users.items()}


async def joined(users: Users, rooms: dict[str, list[str]]) -> None:
    for user, names in rooms.items():
        await users[user].call("join", names)


async def test_fetch_sockets_returns_the_sockets_of_every_server(
    shared_cluster: Cluster, client: Connect
) -> None:
    users = await connect_users(
        shared_cluster, client, {"u1": "a", "u2": "b", "u3": "c", "u4": "c"}
    )
    ids = sids(users)
    await joined(users, {"u1": ["f-r1"], "u2": ["f-r1", "f-r2"], "u3": ["f-r2"]})
    await users["u2"].call("set data", {"team": "blue"})
    await users["u1"].call("keep handshake")
    ops = await client(shared_cluster["b"].url, namespace="/ops")

    everyone = {s["id"]: s for s in await call(ops, "fetch", {})}
    assert set(ids.values()) <= set(everyone)
    assert everyone[ids["u2"]] == {
        "id": ids["u2"],
        "rooms": sorted([ids["u2"], "f-r1", "f-r2"]),
        "data": {"team": "blue"},
        "auth": {"user": "u2"},
        "local": True,
    }
    assert everyone[ids["u1"]] == {
        "id": ids["u1"],
        "rooms": sorted([ids["u1"], "f-r1"]),
        "data": {"kept": {"auth": {"user": "u1"}, "rooms": sorted([ids["u1"], "f-r1"])}},
        "auth": {"user": "u1"},
        "local": False,
    }

    async def fetched(**target: Any) -> set[str]:
        return {s["id"] for s in await call(ops, "fetch", target)}

    assert await fetched(rooms=["f-r1"]) == {ids["u1"], ids["u2"]}
    assert await fetched(rooms=["f-r1", "f-r2"]) == {ids["u1"], ids["u2"], ids["u3"]}
    assert await fetched(rooms=["f-r1", "f-r2"], except_rooms=["f-r2"]) == {ids["u1"]}
    assert await fetched(rooms=[ids["u4"]]) == {ids["u4"]}
    assert await fetched(rooms=["f-r1", "f-r2"], local=True) == {ids["u2"]}


async def test_emit_reaches_rooms_on_every_server_except_the_excluded_ones(
    shared_cluster: Cluster, client: Connect
) -> None:
    placement = {"u1": "a", "u2": "a", "u3": "b", "u4": "b", "u5": "c", "u6": "c"}
    users = await connect_users(shared_cluster, client, placement)
    ids = sids(users)
    await joined(
        users,
        {
            "u1": ["e-r1", "e-all"],
            "u2": ["e-r1", "e-x", "e-all"],
            "u3": ["e-r1", "e-r2", "e-all"],
            "u4": ["e-r1", "e-all"],
            "u5": ["e-r2", "e-x", "e-all"],
            "u6": ["e-all"],
        },
    )
    boxes = {user: Inbox(c, "news", "shout", "local", "marker") for user, c in users.items()}
    ops = await client(shared_cluster["c"].url, namespace="/ops")

    async def received(event: str, sender: socketio.AsyncClient) -> dict[str, list[Any]]:
        """Who got ``event``, once a later marker to everyone has arrived everywhere."""
        await call(sender, "emit", {"rooms": ["e-all"]}, "marker", [])
        got: dict[str, list[Any]] = {}
        for user, box in boxes.items():
            await box.next("marker")
            while not box.empty(event):
                got.setdefault(user, []).append(await box.next(event))
        return got

    target = {"rooms": ["e-r1", "e-r2"], "except_rooms": ["e-x", ids["u4"]]}
    await call(ops, "emit", target, "news", [1, {"a": "b"}])
    assert await received("news", ops) == {"u1": [(1, {"a": "b"})], "u3": [(1, {"a": "b"})]}

    await users["u1"].call("shout", ("e-r1", "hi"))
    shouts = await received("shout", ops)
    assert shouts == {user: [(ids["u1"], "hi")] for user in ("u2", "u3", "u4")}

    ops_b = await client(shared_cluster["b"].url, namespace="/ops")
    await call(ops_b, "emit", {"rooms": ["e-all"], "local": True}, "local", ["only b"])
    assert await received("local", ops_b) == {"u3": [("only b",)], "u4": [("only b",)]}

    await call(ops, "emit", {"rooms": ["e-r2"]}, "news", [b"\x00\xffbinary"])
    assert await received("news", ops) == {
        "u3": [(b"\x00\xffbinary",)],
        "u5": [(b"\x00\xffbinary",)],
    }


async def test_sockets_join_leave_and_disconnect_across_servers(
    shared_cluster: Cluster, client: Connect
) -> None:
    users = await connect_users(shared_cluster, client, {"j1": "a", "j2": "b", "j3": "c"})
    ids = sids(users)
    await joined(users, {"j1": ["j-src"], "j2": ["j-src"], "j3": ["j-src", "j-keep"]})
    ops_a = await client(shared_cluster["a"].url, namespace="/ops")
    ops_c = await client(shared_cluster["c"].url, namespace="/ops")

    async def members(room: str) -> set[str]:
        return {s["id"] for s in await call(ops_c, "fetch", {"rooms": [room]})}

    await call(ops_a, "sockets join", {"rooms": ["j-src"], "except_rooms": ["j-keep"]}, ["j-new"])
    assert await members("j-new") == {ids["j1"], ids["j2"]}

    await call(ops_a, "sockets leave", {"rooms": ["j-src"]}, ["j-src"])
    assert await members("j-src") == set()
    assert await members("j-keep") == {ids["j3"]}

    await call(ops_a, "disconnect sockets", {"rooms": ["j-new"]}, True)
    await wait_disconnected(users["j1"])
    await wait_disconnected(users["j2"])
    assert users["j3"].connected
    assert await members("j-new") == set()


async def test_remote_sockets_act_wherever_the_socket_is(
    shared_cluster: Cluster, client: Connect
) -> None:
    users = await connect_users(shared_cluster, client, {"here": "a", "there": "b"})
    ids = sids(users)
    boxes = {user: Inbox(c, "direct") for user, c in users.items()}
    ops_a = await client(shared_cluster["a"].url, namespace="/ops")
    ops_c = await client(shared_cluster["c"].url, namespace="/ops")

    async def rooms_of(user: str) -> list[str]:
        (found,) = await call(ops_c, "fetch", {"rooms": [ids[user]]})
        return list(found["rooms"])

    for user, local in (("here", True), ("there", False)):
        remote = {"sid": ids[user]}
        emit = {**remote, "method": "emit", "args": ["direct", 7]}
        assert await call(ops_a, "remote", emit) is local
        await call(ops_a, "remote", {**remote, "method": "join", "args": ["rs"]})
        assert await boxes[user].next("direct") == (7,)
        assert await rooms_of(user) == sorted([ids[user], "rs"])
        await call(ops_a, "remote", {**remote, "method": "leave", "args": ["rs"]})
        assert await rooms_of(user) == [ids[user]]
        await call(ops_a, "remote", {**remote, "method": "disconnect"})
        await wait_disconnected(users[user])


async def test_server_side_events_reach_the_other_servers(
    shared_cluster: Cluster, client: Connect
) -> None:
    ops = {name: await client(shared_cluster[name].url, namespace="/ops") for name in "abc"}

    await call(ops["a"], "server emit", "reload", [{"v": 2}])
    for name in "bc":
        async with asyncio.timeout(5):
            while ["reload", {"v": 2}] not in await call(ops[name], "received"):
                await asyncio.sleep(0.02)
    assert ["reload", {"v": 2}] not in await call(ops["a"], "received")

    acks = await call(ops["a"], "server emit with ack", "ping", [], None)
    assert acks["missing"] == 0
    assert sorted(reply["server"] for reply in acks["responses"]) == ["b", "c"]

    acks = await call(ops["b"], "server emit with ack", "ping", ["soon"], None)
    assert [reply["error"]["code"] for reply in acks["responses"]] == ["validation_error"] * 2

    acks = await call(ops["b"], "server emit with ack", "nobody listens", [], None)
    assert [reply["error"]["code"] for reply in acks["responses"]] == ["unknown_event"] * 2

    assert await call(ops["c"], "reverse blobs", b"\x01\x02\xff") == ["ff0201"] * 2


async def test_all_rooms_and_acks_from_every_server(
    shared_cluster: Cluster, client: Connect
) -> None:
    users = await connect_users(shared_cluster, client, {"k1": "a", "k2": "b", "k3": "c"})
    ids = sids(users)
    await joined(users, {"k1": ["k-a"], "k2": ["k-b"], "k3": ["k-c"]})
    ops_b = await client(shared_cluster["b"].url, namespace="/ops")

    rooms = set(await call(ops_b, "all rooms", {}))
    assert {"k-a", "k-b", "k-c", *ids.values()} <= rooms
    local = set(await call(ops_b, "all rooms", {"local": True}))
    assert {"k-b", ids["k2"]} <= local
    assert not {"k-a", "k-c", ids["k1"], ids["k3"]} & local

    for user in ("k1", "k2"):
        users[user].on("question", lambda user=user: f"answer from {user}")

    async def too_late() -> str:
        await asyncio.sleep(1.5)
        return "too late"

    users["k3"].on("question", too_late)
    acks = await call(
        ops_b, "emit with ack", {"rooms": ["k-a", "k-b", "k-c"], "timeout": 0.5}, "question"
    )
    assert acks == {
        "responses": {ids["k1"]: "answer from k1", ids["k2"]: "answer from k2"},
        "timed_out": [ids["k3"]],
        "missing_servers": 0,
    }
