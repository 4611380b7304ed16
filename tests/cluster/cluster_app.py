"""The app each server process of the cluster tests runs (``tests.cluster.cluster_app:app``).

``SIOAPP_REDIS_URL`` joins it to the cluster, ``CLUSTER_TIMEOUT`` sets its
``cluster_timeout`` and ``CLUSTER_SERVER_NAME`` names it. Users connect to
``/``; a test drives server-wide operations from a chosen server through the
``/ops`` namespace, whose handlers return what the operation returned.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from pydantic import BaseModel, Field

from sioapp import BroadcastOperator, DisconnectReason, Router, SioApp, Socket

NAME = os.environ.get("CLUSTER_SERVER_NAME", "solo")

app = SioApp(
    title="cluster", cluster_timeout=float(os.environ.get("CLUSTER_TIMEOUT", "5")), docs_url=None
)

#: Server-side events this server received: ``[event, *args]``.
received: list[list[Any]] = []

users = Router()


@users.on("join")
async def join(rooms: list[str], socket: Socket) -> list[str]:
    await socket.join(rooms)
    return sorted(socket.rooms)


@users.on("set data")
async def set_data(data: dict[str, Any], socket: Socket) -> None:
    socket.data.update(data)


@users.on("keep handshake")
async def keep_handshake(socket: Socket) -> None:
    """Read-only values the framework hands out, kept where other servers read them."""
    socket.data["kept"] = {"auth": socket.handshake.auth, "rooms": socket.rooms}


@users.on("echo")
async def echo(value: Any) -> dict[str, Any]:
    return {"server": NAME, "value": value}


@users.on("shout")
async def shout(room: str, text: str, socket: Socket) -> None:
    await socket.to(room).emit("shout", socket.id, text)


@users.on_disconnect
async def gone(socket: Socket, reason: DisconnectReason) -> None:
    await app.to("watchers").emit("gone", socket.id, NAME, str(reason))


app.include_router(users)


class Target(BaseModel):
    """Which sockets an operation selects."""

    rooms: list[str] = []
    except_rooms: list[str] = []
    local: bool = False
    timeout: float | None = None


def select(target: Target) -> BroadcastOperator:
    op = app.of("/").to(target.rooms).except_(target.except_rooms)
    if target.timeout is not None:
        op = op.timeout(target.timeout)
    return op.local if target.local else op


class Described(BaseModel):
    id: str
    rooms: list[str]
    data: dict[str, Any]
    auth: dict[str, Any]
    local: bool


ops = Router(namespace="/ops")


@ops.on("fetch")
async def fetch(target: Target) -> list[Described]:
    sockets = await select(target).fetch_sockets()
    return sorted(
        (
            Described(
                id=s.id,
                rooms=sorted(s.rooms),
                data=s.data,
                auth=dict(s.handshake.auth),
                local=s.socket is not None,
            )
            for s in sockets
        ),
        key=lambda described: described.id,
    )


@ops.on("emit")
async def emit(target: Target, event: str, args: list[Any]) -> None:
    await select(target).emit(event, *args)


@ops.on("emit with ack")
async def emit_with_ack(target: Target, event: str) -> dict[str, Any]:
    acks = await select(target).emit_with_ack(event)
    return {
        "responses": acks.responses,
        "timed_out": sorted(acks.timed_out),
        "missing_servers": acks.missing_servers,
    }


@ops.on("sockets join")
async def sockets_join(target: Target, rooms: list[str]) -> None:
    await select(target).sockets_join(rooms)


@ops.on("sockets leave")
async def sockets_leave(target: Target, rooms: list[str]) -> None:
    await select(target).sockets_leave(rooms)


@ops.on("disconnect sockets")
async def disconnect_sockets(target: Target, close: bool) -> None:
    await select(target).disconnect_sockets(close=close)


@ops.on("all rooms")
async def all_rooms(target: Target) -> list[str]:
    return sorted(await select(target).all_rooms())


class RemoteCall(BaseModel):
    """A method call on the RemoteSocket of ``sid``, found with ``fetch_sockets``."""

    sid: str
    method: str = Field(pattern="^(emit|join|leave|disconnect)$")
    args: list[Any] = []


@ops.on("remote")
async def remote(call: RemoteCall) -> bool:
    """Whether the socket was found on this server (``True``) or another one."""
    (socket,) = [s for s in await app.fetch_sockets() if s.id == call.sid]
    await getattr(socket, call.method)(*call.args)
    return socket.socket is not None


@ops.on("server emit")
async def server_emit(event: str, args: list[Any]) -> None:
    await app.server_side_emit(event, *args)


@ops.on("server emit with ack")
async def server_emit_with_ack(event: str, args: list[Any], timeout: float | None) -> Any:
    sender = app.of("/") if timeout is None else app.timeout(timeout)
    acks = await sender.server_side_emit_with_ack(event, *args)
    return {"responses": acks.responses, "missing": acks.missing}


@ops.on("reverse blobs")
async def reverse_blobs(data: bytes) -> list[str]:
    """Each other server's ``blob`` reply, in hex (binary crosses Redis both ways)."""
    acks = await app.server_side_emit_with_ack("blob", data)
    return sorted(reply.hex() for reply in acks.responses)


@ops.on("received")
async def server_events_received() -> list[list[Any]]:
    return received


@ops.on("local emit")
async def local_emit(event: str, args: list[Any]) -> None:
    await app.local.emit(event, *args)


@ops.on("close")
async def close() -> None:
    """``app.close()`` as the lifespan runs it; the process stays up, out of the cluster."""
    await app.close()


app.include_router(ops)


@app.on_server_event("reload")
async def reload(config: dict[str, Any]) -> None:
    received.append(["reload", config])


@app.on_server_event("ping")
async def ping(delay: float = 0.0) -> dict[str, Any]:
    await asyncio.sleep(delay)
    received.append(["ping", delay])
    return {"server": NAME, "pid": os.getpid()}


@app.on_server_event("blob")
async def blob(data: bytes):  # type: ignore[no-untyped-def]
    # Unannotated: a ``-> bytes`` reply is dumped in JSON mode, which fails on non-UTF-8 bytes.
    return data[::-1]
