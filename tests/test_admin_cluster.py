"""The Admin UI of a cluster: two server processes of the Observability page's example
app share a redis-server; an admin connected to one sees and commands the sockets of both,
and gets both servers' ``server_stats``."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import pytest
import socketio

from sioapp.testing import free_port

from .cluster.conftest import Process, RedisServer, wait_for_port
from .conftest import Connect
from .test_admin_protocol import Heard

pytestmark = [pytest.mark.redis, pytest.mark.timeout(60)]

ADMIN = {"username": "admin", "password": "s3cret"}


class ExampleServer(Process):
    """``uvicorn docs_src.observability.admin:app`` joined to ``redis``."""

    def __init__(self, name: str, redis: RedisServer, directory: Path) -> None:
        super().__init__(directory / f"server-{name}.log")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "SIOAPP_REDIS_URL": redis.url,
            "ADMIN_PASSWORD": bcrypt.hashpw(b"s3cret", bcrypt.gensalt(4)).decode(),
        }

    def start(self) -> None:
        self._spawn(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "docs_src.observability.admin:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            env=self.env,
        )
        assert self.process is not None
        wait_for_port(self.port, self.process, self.log)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[ExampleServer, ExampleServer]]:
    redis = RedisServer(tmp_path)
    pair = (ExampleServer("a", redis, tmp_path), ExampleServer("b", redis, tmp_path))
    try:
        redis.start()
        for server in pair:
            server.start()
        yield pair
    finally:
        for process in (*pair, redis):
            process.stop()
        for server in pair:
            sys.stderr.write(server.log.read_text(errors="replace"))


async def test_an_admin_of_one_server_sees_and_commands_the_whole_cluster(
    servers: tuple[ExampleServer, ExampleServer], client: Connect
) -> None:
    a, b = servers
    ann = await client(a.url, auth={"name": "ann"})
    bob = await client(b.url, auth={"name": "bob"})
    await ann.call("join", "lobby")
    await bob.call("join", "kitchen")
    watcher = socketio.AsyncClient(reconnection=False)
    heard = Heard(watcher, "/admin")
    admin = await client(a.url, namespace="/admin", auth=ADMIN, client=watcher)

    (sockets,) = await heard.wait("all_sockets")
    by_id = {each["id"]: each for each in sockets}
    remote = by_id[bob.get_sid("/")]  # bob is on the other server
    assert (remote["data"], remote["transport"], sorted(remote["rooms"])) == (
        {"name": "bob"},
        "websocket",
        sorted([remote["id"], "kitchen"]),
    )
    assert len(remote["clientId"]) == 12
    assert by_id[ann.get_sid("/")]["data"] == {"name": "ann"}

    servers_seen: dict[str, int] = {}
    while len(servers_seen) < 2:
        (stats,) = await heard.wait("server_stats", lambda s: s["serverId"] not in servers_seen)
        servers_seen[stats["serverId"]] = stats["pid"]
    assert sorted(servers_seen.values()) == sorted(
        server.process.pid for server in servers if server.process is not None
    )

    cat = await client(b.url, auth={"name": "cat"})  # reported by the other server
    cat_id = cat.get_sid("/")
    await heard.wait("socket_connected", lambda socket, at: socket["id"] == cat_id)
    await cat.call("join", "kitchen")
    await heard.wait("event_received", lambda nsp, sid, args, at: args == ["join", "kitchen"])

    await admin.emit("join", ("/", "vip", bob.get_sid("/")), namespace="/admin")
    await heard.wait("room_joined", lambda nsp, room, sid, at: room == "vip")
    missing = await admin.call("_disconnect", ("/", False, "nobody"), namespace="/admin")
    assert missing["error"]["code"] == "not_found"
    in_kitchen = {bob.get_sid("/"), cat_id}
    await admin.emit("_disconnect", ("/", False, "kitchen"), namespace="/admin")
    for sid in in_kitchen:
        await heard.wait("socket_disconnected", lambda nsp, gone, *rest, sid=sid: gone == sid)
    assert ann.connected
