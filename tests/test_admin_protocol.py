"""sioapp's Admin UI server side against the official one, side by side.

The same scenario runs against ``instrument()`` of ``@socket.io/admin-ui`` under Node
socket.io (``tests/admin/official_server.mjs``) and against the same app in sioapp: an
admin connects with python-socketio's client as the UI does, a user comes, joins a
room, the admin sends every command. Both servers must send the same events with the
same shapes, and the same words where the UI reads them.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import socketio

from sioapp import Router, SioApp, Socket
from sioapp.testing import serve

HERE = Path(__file__).parent / "admin"
NODE = shutil.which("node")
ADMIN = {"username": "admin", "password": "s3cret"}
HASH = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode()
#: Values whose keys depend on the client (headers, query) or the app (data).
FREE_FORM = frozenset({"headers", "query", "data"})

pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(NODE is None, reason="node is not on PATH"),
    pytest.mark.skipif(
        not (HERE / "node_modules" / "@socket.io" / "admin-ui").is_dir(),
        reason="tests/admin/node_modules is missing: run `npm ci --prefix tests/admin`",
    ),
]


def chat(mode: str = "development", read_only: bool = False) -> SioApp:
    """The app of ``official_server.mjs``, in sioapp."""
    app = SioApp(docs_url=None)
    users = Router()

    @users.use
    async def named(socket: Socket) -> None:
        socket.data["name"] = socket.handshake.auth.get("name", "anonymous")

    @users.on("join")
    async def join(room: str, socket: Socket) -> dict[str, str]:
        await socket.join(room)
        socket.data["room"] = room
        await socket.to(room).emit("joined", socket.id)
        await socket.emit("welcome", room)
        return {"room": room}

    app.include_router(users)
    app.instrument(
        auth={"username": "admin", "password": HASH},
        mode=mode,  # type: ignore[arg-type]
        read_only=read_only,
        server_id="sioapp",
    )
    return app


@asynccontextmanager
async def official(mode: str = "development", read_only: bool = False) -> AsyncIterator[str]:
    """The official server side under Node; yields its URL."""
    assert NODE is not None
    process = await asyncio.create_subprocess_exec(
        NODE,
        "official_server.mjs",
        mode,
        "true" if read_only else "false",
        HASH,
        cwd=HERE,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 10)
        yield f"http://127.0.0.1:{json.loads(line)['port']}"
    finally:
        assert process.stdin is not None
        process.stdin.close()
        await asyncio.wait_for(process.wait(), 10)


class Heard:
    """Every event a client hears in a namespace, in order, and waiting for one."""

    def __init__(self, client: socketio.AsyncClient, namespace: str) -> None:
        self.events: list[list[Any]] = []
        self._new = asyncio.Event()
        client.on("*", self._hear, namespace=namespace)

    def _hear(self, event: str, *args: Any) -> None:
        self.events.append([event, *args])
        self._new.set()

    async def wait(self, event: str, match: Callable[..., bool] = lambda *args: True) -> list[Any]:
        """The arguments of the first ``event`` heard that ``match``es, once it is heard."""
        async with asyncio.timeout(10):
            while True:
                for name, *args in self.events:
                    if name == event and match(*args):
                        return args
                self._new.clear()
                await self._new.wait()

    def names(self) -> set[str]:
        return {name for name, *_ in self.events}


async def refusal(url: str, auth: dict[str, Any]) -> Any:
    """The ``connect_error`` payload an admin client with ``auth`` gets."""
    client = socketio.AsyncClient(reconnection=False)
    refused: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    client.on("connect_error", refused.set_result, namespace="/admin")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(url, namespaces=["/admin"], auth=auth, transports=["websocket"])
    await client.disconnect()
    return await asyncio.wait_for(refused, 5)


async def scenario(url: str, development: bool = True, read_only: bool = False) -> Heard:
    """An admin watches while a user comes, joins a room and gets each command."""
    admin = socketio.AsyncClient(reconnection=False)
    heard = Heard(admin, "/admin")
    user = socketio.AsyncClient(reconnection=False)
    announced: asyncio.Queue[Any] = asyncio.Queue()
    user.on("announce", announced.put_nowait)
    await admin.connect(url, namespaces=["/admin"], auth=ADMIN, transports=["polling", "websocket"])
    try:
        await heard.wait("config")
        if development:
            await heard.wait("all_sockets")
        assert await refusal(url, {**ADMIN, "password": "guess"}) == {
            "message": "invalid credentials"
        }
        await user.connect(url, auth={"name": "ann"}, transports=["websocket"])
        sid = user.get_sid("/")
        if development:
            await heard.wait("socket_connected", lambda socket, at: socket["id"] == sid)
        assert await user.call("join", "lobby") == {"room": "lobby"}
        if development:
            await heard.wait("socket_updated", lambda s: s.get("data", {}).get("room") == "lobby")
        await admin.emit("join", ("/", "vip", sid), namespace="/admin")
        if development and not read_only:
            await heard.wait("room_joined", lambda nsp, room, *rest: room == "vip")
        await admin.emit("leave", ("/", "vip", sid), namespace="/admin")
        if development and not read_only:
            await heard.wait("room_left", lambda nsp, room, *rest: room == "vip")
        await admin.emit("emit", ("/", "lobby", "announce", "hello"), namespace="/admin")
        if not read_only:
            assert await asyncio.wait_for(announced.get(), 5) == "hello"
        if development and not read_only:
            await heard.wait("event_sent", lambda nsp, id, args, at: args[0] == "announce")
        await admin.emit("_disconnect", ("/", False, sid), namespace="/admin")
        if not read_only:
            async with asyncio.timeout(5):
                while user.connected:
                    await asyncio.sleep(0.02)
        if development and not read_only:
            await heard.wait("socket_disconnected", lambda nsp, id, *rest: id == sid)
        if read_only:  # commands changed nothing
            assert await user.call("join", "lobby") == {"room": "lobby"}
            assert announced.empty()
        await heard.wait(
            "server_stats",
            lambda stats: any(e["type"] == "rawDisconnection" for e in stats["aggregatedEvents"]),
        )
    finally:
        await user.disconnect()
        await admin.disconnect()
    return heard


def shape(value: Any, key: str | None = None) -> Any:
    """``value`` with its data replaced by type names; free-form objects by ``object``."""
    if isinstance(value, dict):
        if key in FREE_FORM:
            return "object"
        return {name: shape(item, name) for name, item in value.items()}
    if isinstance(value, list):
        return sorted({json.dumps(shape(item), sort_keys=True) for item in value})
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def shapes(heard: Heard) -> dict[str, set[str]]:
    """Each event's shapes; the traffic counts by their kinds."""
    found: dict[str, set[str]] = defaultdict(set)
    for event, *args in heard.events:
        if event == "server_stats":
            (stats,) = args
            kinds = {(entry["type"], "subType" in entry) for entry in stats["aggregatedEvents"]}
            found["aggregatedEvents"] |= {json.dumps(kind) for kind in kinds}
            args = [{**stats, "aggregatedEvents": [shape(e) for e in stats["aggregatedEvents"]]}]
        found[event].add(json.dumps(shape(args), sort_keys=True))
    return found


def configs(heard: Heard) -> list[Any]:
    return [args for name, *args in heard.events if name == "config"]


@pytest.mark.parametrize("mode", ["development", "production"])
@pytest.mark.parametrize("read_only", [False, True], ids=["commands", "read-only"])
async def test_sioapp_sends_what_the_official_server_sends(mode: str, read_only: bool) -> None:
    development = mode == "development"
    async with official(mode, read_only) as url:
        theirs = await scenario(url, development, read_only)
    async with serve(chat(mode, read_only)) as url:
        ours = await scenario(url, development, read_only)
    assert configs(ours) == configs(theirs)
    refusals = {"exception"} if read_only else set()  # sioapp says why it did nothing
    assert ours.names() == theirs.names() | refusals
    expected = shapes(theirs)
    found = shapes(ours)
    for event in expected:
        assert found[event] == expected[event], event
    if not development:
        assert ours.names() == {"session", "config", "server_stats"} | refusals
    for name, *args in ours.events:
        if name == "exception":
            assert args[0]["error"]["code"] == "read_only"
