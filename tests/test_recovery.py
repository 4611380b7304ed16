"""Connection state recovery: a returning client keeps its id, rooms, data and missed events."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from sioapp import (
    ConnectionRefused,
    ConnectionStateRecovery,
    DisconnectReason,
    ExpiredSession,
    Router,
    SioApp,
    Socket,
)

from .conftest import Connect
from .node import requires_node, run_script
from .raw import RawClient


def build_app(redis_url: str | None = None, **options: Any) -> tuple[SioApp, list[dict[str, Any]]]:
    options.setdefault("max_disconnection_duration", 5)
    recovery = ConnectionStateRecovery(**options)
    app = SioApp(connection_state_recovery=recovery, redis_url=redis_url, docs_url=None)
    router = Router()
    connects: list[dict[str, Any]] = []

    @router.on("leave me")
    async def leave_me(socket: Socket) -> None:
        await socket.disconnect()

    @router.on_connect
    async def connected(socket: Socket) -> None:
        connects.append(
            {
                "id": socket.id,
                "recovered": socket.recovered,
                "lost": socket.missed_events_lost,
            }
        )

    @router.on("join")
    async def join(room: str, socket: Socket) -> bool:
        await socket.join(room)
        return True

    @router.on("remember")
    async def remember(key: str, value: Any, socket: Socket) -> bool:
        socket.data[key] = value
        return True

    @router.on("say")
    async def say(room: str, text: str, app: SioApp) -> bool:
        await app.to(room).emit("news", text)
        return True

    @router.on("shout volatile")
    async def shout_volatile(room: str, text: str, app: SioApp) -> bool:
        await app.to(room).volatile.emit("news", text)
        return True

    @router.on("whisper")
    async def whisper(to: str, text: str, socket: Socket) -> bool:
        await socket.to(to).emit("private", text)
        return True

    @router.on("status")
    async def status(socket: Socket) -> dict[str, Any]:
        return {
            "recovered": socket.recovered,
            "missed_events_lost": socket.missed_events_lost,
            "rooms": sorted(socket.rooms - {socket.id}),
            "data": socket.data,
        }

    app.include_router(router)
    return app, connects


@requires_node[0]
@requires_node[1]
async def test_socket_io_client_is_recovered_with_its_defaults(served: Any, transport: str) -> None:
    app, connects = build_app()
    checks = await run_script("recovery.mjs", await served(app), transport)
    assert checks["first"] == {"recovered": False}
    assert checks["left"] == "forced close"  # what the client calls closing its own transport
    assert checks["back"] == {"recovered": True, "sameId": True}
    assert checks["status"] == {
        "recovered": True,
        "missed_events_lost": False,
        "rooms": ["lobby"],
        "data": {"colour": "blue"},
    }
    assert checks["heard"] == [
        ["before", "string"],
        ["while away 1", "string"],
        ["while away 2", "string"],
        ["while away 3", "string"],
        ["private psst", "string"],
        ["after", "string"],
    ]
    ann = connects[0]["id"]
    assert [c for c in connects if c["id"] == ann] == [
        {"id": ann, "recovered": False, "lost": False},
        {"id": ann, "recovered": True, "lost": False},
    ]


class Returning:
    """A raw client that remembers its pid and the last offset it received."""

    def __init__(self, url: str, auth: dict[str, Any] | None = None) -> None:
        self.url = url
        self.auth = auth or {}
        self.pid: str | None = None
        self.offset: str | None = None
        self.raw: RawClient

    async def connect(self, **extra: Any) -> tuple[str, dict[str, Any]]:
        """Connect (resuming when a pid is known); the sid and the CONNECT reply."""
        self.raw = await RawClient.open(self.url)
        auth = {**self.auth, **extra}
        if self.pid is not None and "pid" not in extra:
            auth["pid"] = self.pid
            if self.offset is not None:
                auth["offset"] = self.offset
        await self.raw.send("40" + json.dumps(auth))
        reply = json.loads(str(await self.raw.recv())[2:])
        self.pid = reply.get("pid", self.pid)
        return str(reply["sid"]), reply

    async def call(self, *event: Any) -> Any:
        await self.raw.send("42900" + json.dumps(list(event)))
        while True:
            frame = str(await self.raw.recv())
            if frame.startswith("43900"):
                return json.loads(frame[5:])
            self._note(frame)

    def _note(self, frame: str) -> list[Any]:
        data: list[Any] = json.loads(frame[2:])
        if isinstance(data[-1], str) and "-" in data[-1]:
            self.offset = data[-1]
        return data

    async def events(self, count: int) -> list[list[Any]]:
        """The next ``count`` events, each without its offset."""
        return [self._note(str(await self.raw.recv()))[:-1] for _ in range(count)]

    async def quiet(self) -> bool:
        """Whether nothing more arrives for a moment."""
        try:
            await self.raw.recv(timeout=0.3)
        except TimeoutError:
            return True
        return False


async def away(url: str, client: Connect, returning: Returning, *texts: str) -> None:
    """Drop ``returning``'s transport, then say ``texts`` in the lobby through another client."""
    await returning.raw.close()
    other = await client(url)
    for text in texts:
        await other.call("say", ("lobby", text))


async def test_a_client_that_received_nothing_yet_is_recovered(
    served: Any, client: Connect
) -> None:
    app, connects = build_app()
    url = await served(app)
    ann = Returning(url)
    sid, reply = await ann.connect()
    assert set(reply) == {"sid", "pid"}
    assert await ann.call("join", "lobby") == [True]
    assert ann.offset is None
    await away(url, client, ann, "one", "two")
    again, _ = await ann.connect()  # a pid and no offset, as socket.io-client sends it then
    assert again == sid
    assert await ann.events(2) == [["news", "one"], ["news", "two"]]
    assert connects[-1] == {"id": sid, "recovered": True, "lost": False}


async def test_another_identity_gets_a_fresh_socket_and_nothing_of_the_session(
    served: Any, client: Connect
) -> None:
    app, _ = build_app()
    url = await served(app)
    ann = Returning(url, {"token": "ann"})
    sid, _ = await ann.connect()
    await ann.call("join", "lobby")
    await ann.call("remember", "secret", 42)
    await away(url, client, ann, "for ann only")
    eve = Returning(url, {"token": "eve"})
    eve_sid, _ = await eve.connect(pid=ann.pid, offset="0-0")
    assert eve_sid != sid
    assert await eve.call("status") == [
        {"recovered": False, "missed_events_lost": False, "rooms": [], "data": {}}
    ]
    assert await eve.quiet(), "not one missed packet reaches another identity"
    again, _ = await ann.connect()  # the session is still there for its owner
    assert again == sid
    assert await ann.events(1) == [["news", "for ann only"]]


async def test_an_identity_can_be_part_of_the_auth(served: Any, client: Connect) -> None:
    app, _ = build_app(identity=lambda auth: auth.get("user"))
    url = await served(app)
    ann = Returning(url, {"user": "ann", "token": "first"})
    sid, _ = await ann.connect()
    await ann.call("join", "lobby")
    await away(url, client, ann, "hello")
    ann.auth["token"] = "refreshed"
    assert (await ann.connect())[0] == sid
    assert await ann.events(1) == [["news", "hello"]]


@pytest.mark.parametrize(
    "auth",
    [
        {"pid": 123},
        {"pid": "x" * 500},
        {"pid": None},
        {"pid": "unknown-pid"},
        {"pid": "PID", "offset": "not an offset"},
        {"pid": "PID", "offset": 7},
        {"pid": "PID", "offset": "99999999999999-0"},
    ],
)
async def test_a_bad_pid_or_offset_gives_a_new_connection(
    served: Any, client: Connect, auth: dict[str, Any]
) -> None:
    app, _ = build_app()
    url = await served(app)
    ann = Returning(url)
    sid, _ = await ann.connect()
    await ann.call("join", "lobby")
    await away(url, client, ann, "missed")
    if auth.get("pid") == "PID":
        auth = {**auth, "pid": ann.pid}
    fresh = Returning(url)
    fresh_sid, reply = await fresh.connect(**auth)
    assert fresh_sid != sid and reply["pid"] != ann.pid
    assert await fresh.quiet()
    assert (await ann.connect())[0] == sid  # the session was not consumed


async def test_when_the_missed_events_are_gone_the_session_still_comes_back(
    served: Any, client: Connect
) -> None:
    app, connects = build_app(max_log_packets=2)
    url = await served(app)
    ann = Returning(url)
    sid, _ = await ann.connect()
    await ann.call("join", "lobby")
    await ann.call("remember", "colour", "blue")
    await away(url, client, ann, *[f"news {n}" for n in range(5)])
    assert (await ann.connect())[0] == sid
    assert await ann.call("status") == [
        {
            "recovered": False,
            "missed_events_lost": True,
            "rooms": ["lobby"],
            "data": {"colour": "blue"},
        }
    ]
    assert connects[-1] == {"id": sid, "recovered": False, "lost": True}


@pytest.mark.parametrize("leaving", ["41", '42["leave me"]'])
async def test_only_unexpected_disconnects_keep_a_session(
    served: Any, client: Connect, leaving: str
) -> None:
    app, _ = build_app()
    url = await served(app)
    ann = Returning(url)
    sid, _ = await ann.connect()
    await ann.raw.send(leaving)  # the client's own disconnect, or the server's
    if leaving != "41":
        assert await ann.raw.recv() == "41"
    await ann.raw.close()
    assert (await ann.connect())[0] != sid


async def test_expired_sessions_are_reported(served: Any) -> None:
    app, _ = build_app(max_disconnection_duration=0.2)
    expired: asyncio.Queue[ExpiredSession] = asyncio.Queue()
    app.on_session_expired(expired.put_nowait)
    url = await served(app)
    ann = Returning(url)
    sid, _ = await ann.connect()
    await ann.call("remember", "cart", [1, 2])
    await ann.raw.close()
    session = await asyncio.wait_for(expired.get(), 5)
    assert session == ExpiredSession(sid, "/", {"cart": [1, 2]})
    assert (await ann.connect())[0] != sid  # too late


async def test_middleware_runs_first_unless_skipped(served: Any, client: Connect) -> None:
    app, _ = build_app(skip_middlewares=False, identity=lambda auth: auth.get("user"))
    seen: list[bool] = []

    @app.use
    async def gate(socket: Socket) -> None:
        seen.append(socket.recovered)
        if socket.handshake.auth.get("banned"):
            raise ConnectionRefused("banned")

    url = await served(app)
    ann = Returning(url, {"user": "ann"})
    sid, _ = await ann.connect()
    await ann.call("join", "lobby")
    await away(url, client, ann, "hi")
    refused_try = await RawClient.open(url)
    await refused_try.send("40" + json.dumps({"user": "ann", "pid": ann.pid, "banned": True}))
    refused = str(await refused_try.recv())
    assert refused.startswith("44"), refused
    assert (await ann.connect())[0] == sid  # the session was kept for a welcome try
    assert await ann.events(1) == [["news", "hi"]]
    # ann, the client saying "hi", the refused try (recovered, then refused), ann again
    assert seen == [False, False, True, True]


async def test_a_late_end_of_the_old_transport_never_touches_the_recovered_socket(
    served: Any,
) -> None:
    app, _ = build_app()
    reasons: list[DisconnectReason] = []
    router = Router()

    @router.on_disconnect
    async def gone(reason: DisconnectReason) -> None:
        reasons.append(reason)

    app.include_router(router)
    url = await served(app)
    ann = Returning(url)
    sid, _ = await ann.connect()
    await ann.call("join", "lobby")
    old = ann.raw
    again, _ = await ann.connect()  # a new connection while the old one still looks alive
    assert again == sid
    assert reasons == [DisconnectReason.TRANSPORT_CLOSE]  # the old one was handed over
    await old.close()  # the old transport ends late
    assert await ann.call("status") == [
        {"recovered": True, "missed_events_lost": False, "rooms": ["lobby"], "data": {}}
    ]
    assert reasons == [DisconnectReason.TRANSPORT_CLOSE]


def test_options_are_checked() -> None:
    with pytest.raises(TypeError):
        ConnectionStateRecovery(max_disconnection=5)  # type: ignore[call-arg]
    for bad in ({"max_disconnection_duration": 0}, {"max_log_packets": 0}, {"max_log_age": -1}):
        with pytest.raises(ValueError):
            ConnectionStateRecovery(**bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        SioApp(connection_state_recovery={"max_disconnection_duration": 5})  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="connection_state_recovery"):
        SioApp().on_session_expired(lambda session: None)
