"""Server-wide operations in one process, server-side event rules, and cluster configuration."""

from __future__ import annotations

from typing import Any

import pytest

from sioapp import (
    ClusterUnavailable,
    RegistrationError,
    RemoteSocket,
    Router,
    ServerAcks,
    SioApp,
    Socket,
)
from sioapp._cluster.redis import RedisManager
from sioapp._protocol.manager import LocalManager

from .conftest import InProcess


def build_app() -> SioApp:
    app = SioApp(docs_url=None)
    router = Router()

    @router.on("join")
    async def join(rooms: list[str], socket: Socket) -> None:
        await socket.join(rooms)
        socket.data["rooms joined"] = len(rooms)

    app.include_router(router)
    return app


async def test_one_process_fetches_remote_sockets_that_act_directly(
    in_process: InProcess,
) -> None:
    app = build_app()
    first, second = await in_process(app, auth={"n": 1}), await in_process(app, auth={"n": 2})
    await first.call("join", ["r1", "r2"])
    await second.call("join", ["r2"])

    (fetched,) = await app.in_("r1").fetch_sockets()
    assert isinstance(fetched, RemoteSocket)
    assert fetched.id == first.sid and fetched.nsp == "/"
    assert fetched.rooms == {fetched.id, "r1", "r2"}
    assert fetched.handshake.auth == {"n": 1}
    assert fetched.socket is not None and fetched.data is fetched.socket.data
    assert fetched.data == {"rooms joined": 2}
    assert fetched.to_dict() == {
        "id": fetched.id,
        "handshake": fetched.handshake.to_dict(),
        "rooms": sorted([fetched.id, "r1", "r2"]),
        "data": {"rooms joined": 2},
    }
    assert [s.id for s in await app.in_("r2").except_("r1").fetch_sockets()] == [second.sid]
    assert {s.id for s in await app.local.fetch_sockets()} == {
        first.sid,
        second.sid,
    }

    await fetched.emit("hello", "you")
    assert await first.receive("hello") == ["you"]
    await fetched.join("r3")
    await fetched.leave("r1")
    assert fetched.socket.rooms == {fetched.id, "r2", "r3"}
    assert await app.all_rooms() == {"r2", "r3", first.sid, second.sid}

    await app.in_("r2").sockets_join(["r4", "r5"])
    await app.in_("r4").sockets_leave("r5")
    assert await app.all_rooms() == {"r2", "r3", "r4", first.sid, second.sid}

    await app.local.except_("r3").emit("hello", "not for r3")
    await fetched.emit("hello", "after")
    assert await second.receive("hello") == ["not for r3"]
    assert await first.receive("hello") == ["after"]

    await app.in_("r3").disconnect_sockets()
    assert [s.id for s in await app.fetch_sockets()] == [second.sid]
    await fetched.emit("hello", "to nobody")
    await fetched.disconnect()
    assert await first.wait_disconnected() == "io server disconnect"


async def test_one_process_has_no_other_servers_to_tell(in_process: InProcess) -> None:
    app = build_app()
    seen: list[Any] = []

    @app.on_server_event("reload")
    async def reload(config: dict[str, Any]) -> None:
        seen.append(config)

    await in_process.server(app)
    await app.server_side_emit("reload", {"v": 1})
    acks = await app.timeout(0.1).server_side_emit_with_ack("reload", {"v": 2})
    assert acks == ServerAcks(responses=[], missing=0) and acks.complete
    assert seen == []
    assert await app.server.manager.server_count() == 1


@pytest.mark.parametrize("name", ["connect", "connection", "new_namespace", ""])
async def test_reserved_and_empty_server_event_names_are_refused(name: str) -> None:
    app = build_app()
    with pytest.raises(ValueError, match=r"reserved|non-empty"):
        app.on_server_event(name)
    with pytest.raises(ValueError, match=r"reserved|non-empty"):
        await app.server_side_emit(name)
    with pytest.raises(ValueError, match=r"reserved|non-empty"):
        await app.of("/admin").server_side_emit_with_ack(name)


async def test_server_event_handlers_are_checked_at_registration() -> None:
    app = build_app()

    @app.on_server_event("reload")
    async def reload() -> None: ...

    with pytest.raises(RegistrationError, match="already has a handler"):
        app.on_server_event("reload")(reload)
    app.on_server_event("reload", namespace="/admin")(reload)

    async def needs_a_socket(socket: Socket) -> None: ...

    with pytest.raises(RegistrationError, match="servers, not sockets"):
        app.on_server_event("other")(needs_a_socket)
    with pytest.raises(ValueError, match="not to rooms"):
        await app.to("room").server_side_emit("reload")


def test_redis_comes_from_the_argument_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SIOAPP_REDIS_URL", raising=False)
    assert type(SioApp(docs_url=None).server.manager) is LocalManager

    monkeypatch.setenv("SIOAPP_REDIS_URL", "redis://127.0.0.1:1/0")
    manager = SioApp(docs_url=None).server.manager
    assert isinstance(manager, RedisManager)
    assert manager.timeout == 5.0 and manager.where == "127.0.0.1:1/0"

    manager = SioApp(
        redis_url="redis://user:secret@127.0.0.1:2/3", cluster_timeout=0.5, docs_url=None
    ).server.manager
    assert isinstance(manager, RedisManager)
    assert manager.timeout == 0.5 and manager.where == "127.0.0.1:2/3"
    assert type(SioApp(redis_url="", docs_url=None).server.manager) is LocalManager
    with pytest.raises(ValueError, match="cluster_timeout"):
        SioApp(redis_url="redis://127.0.0.1:1/0", cluster_timeout=0)


def test_cluster_unavailable_is_an_error_clients_understand() -> None:
    error = ClusterUnavailable("Redis at somewhere is unreachable")
    assert (error.code, error.message) == ("cluster_unavailable", str(error))
