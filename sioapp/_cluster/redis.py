"""Many servers through Redis: python-socketio's AsyncRedisManager plus requests and replies.

python-socketio already forwards, on ``{channel}``, emits to single sockets and
the joins, leaves and disconnects of sockets of other servers. RedisManager
keeps that and adds, as Node's ``@socket.io/redis-adapter``:

* ``{channel}#request``, where every server listens: broadcasts that carry
  their except-rooms, ``sockets_join``/``sockets_leave``/``disconnect_sockets``,
  server-side events, and requests (``fetch_sockets``, ``all_rooms``, acks).
  ``PUBSUB NUMSUB`` of this channel is the number of servers.
* ``{channel}#response#{host_id}``, the replies to this server's requests. A
  request waits for one reply per other server, up to its timeout, then
  returns what arrived and how many servers were missing.

Losing Redis never stops local traffic. Operations that only send deliver on
this server and log that the others were missed; operations that need answers
raise `ClusterUnavailable` at once. The subscription comes back by itself.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any

from sioapp._cluster.link import ClusterLink, Message
from sioapp._cluster.packing import pack, unpack
from sioapp._cluster.recovery import RedisStore
from sioapp._protocol.broadcast import BroadcastAcks, BroadcastOperator, RemoteSocket, ServerAcks
from sioapp._protocol.manager import Frames, LocalManager
from sioapp._protocol.recovery import ConnectionStateRecovery, RecoveryStore

__all__ = ["RedisManager"]

logger = logging.getLogger("sioapp._cluster.redis")

#: What starts a binary frame in a message, as in a long-polling payload: text frames
#: start with their Engine.IO type digit.
_BINARY = "b"


def _frames_out(frames: Frames) -> list[str]:
    """An encoded packet as JSON: text frames as they are, binary ones (JSON's attachments,
    msgpack's packets) as ``b`` + base64."""
    return [
        frame if isinstance(frame, str) else _BINARY + base64.b64encode(frame).decode()
        for frame in frames
    ]


def _frames_in(frames: list[str]) -> Frames:
    return [base64.b64decode(frame[1:]) if frame.startswith(_BINARY) else frame for frame in frames]


class RedisManager(ClusterLink):
    """Shares every server-wide operation with the other servers through Redis.

    ``timeout`` bounds every request to other servers (``cluster_timeout``).
    """

    name = "sioapp-redis"

    def __init__(self, url: str, *, timeout: float = 5.0, channel: str = "socketio") -> None:
        super().__init__(url, timeout=timeout, channel=channel)
        self._commands.update(
            broadcast=self._on_broadcast,
            join=self._on_join,
            leave=self._on_leave,
            disconnect=self._on_disconnect,
            fetch_sockets=self._on_fetch_sockets,
            all_rooms=self._on_all_rooms,
            server_event=self._on_server_event,
            acks=self._on_acks,
        )
        #: The servers whose broadcasts were dropped for another serializer than this one's.
        self._other_serializers: set[str] = set()

    # ---- what other servers ask of this one: the local half of each operation

    async def _on_broadcast(self, message: Message) -> None:
        frames = _frames_in(message["frames"])
        if isinstance(frames[0], bytes) != self.server.serializer.binary:
            if message["host_id"] not in self._other_serializers:
                self._other_serializers.add(message["host_id"])
                logger.error(
                    "broadcasts from server %s are not encoded with %s, which this server "
                    "speaks: they are dropped; every server of an app needs the same serializer",
                    message["host_id"],
                    self.server.serializer.name,
                )
            return
        await self.send_frames(
            message["namespace"], frames, message["rooms"], message["except_rooms"]
        )

    async def _on_join(self, message: Message) -> None:
        await LocalManager.add_sockets(self, self._operator(message), frozenset(message["join"]))

    async def _on_leave(self, message: Message) -> None:
        await LocalManager.del_sockets(self, self._operator(message), frozenset(message["leave"]))

    async def _on_disconnect(self, message: Message) -> None:
        await LocalManager.disconnect_sockets(self, self._operator(message), message["close"])

    async def _on_fetch_sockets(self, message: Message) -> None:
        sockets = await LocalManager.fetch_sockets(self, self._operator(message))
        await self._reply(message, [socket.to_dict() for socket in sockets])

    async def _on_all_rooms(self, message: Message) -> None:
        rooms = await LocalManager.all_rooms(self, self._operator(message))
        await self._reply(message, sorted(rooms))

    async def _on_server_event(self, message: Message) -> None:
        handler = self.server_events
        if handler is None:
            return

        async def run() -> None:
            args = unpack(message["args"])
            reply = await handler(message["namespace"], message["event"], args)
            if "request_id" in message:
                await self._reply(message, pack(reply))

        self._tasks.spawn(run())

    async def _on_acks(self, message: Message) -> None:
        async def run() -> None:
            acks = await LocalManager.broadcast_with_ack(
                self,
                self._operator(message),
                message["event"],
                unpack(message["args"]),
                message["ack_timeout"],
            )
            await self._reply(
                message, {"responses": pack(acks.responses), "timed_out": acks.timed_out}
            )

        self._tasks.spawn(run())

    # ---- server-wide operations, on every server --------------------------------

    def recovery_store(self, options: ConnectionStateRecovery) -> RecoveryStore:
        """Where connection state recovery keeps sessions and events: Redis, so that any
        server resumes a session."""
        return RedisStore(self, options)

    async def broadcast(self, op: BroadcastOperator, data: list[Any]) -> None:
        sent = self.observers.emitting(op.namespace, data) if self.observers.watched else None
        frames = self.encode_event(op.namespace, await self.logged(op, data))
        recipients = await self.send_frames(op.namespace, frames, op.rooms, op.except_rooms)
        await self._tell(op, "broadcast", frames=_frames_out(frames))
        if sent is not None:
            sent([sid for sid, _ in recipients])

    async def fetch_sockets(self, op: BroadcastOperator) -> list[RemoteSocket]:
        if op.local_only:
            return await super().fetch_sockets(op)
        replies, _ = await self._ask(op, "fetch_sockets", self._request_timeout(op))
        sockets = await super().fetch_sockets(op)
        sockets.extend(
            RemoteSocket.from_dict(self, op.namespace, raw) for reply in replies for raw in reply
        )
        return sockets

    async def add_sockets(self, op: BroadcastOperator, rooms: frozenset[str]) -> None:
        await super().add_sockets(op, rooms)
        await self._tell(op, "join", join=sorted(rooms))

    async def del_sockets(self, op: BroadcastOperator, rooms: frozenset[str]) -> None:
        await super().del_sockets(op, rooms)
        await self._tell(op, "leave", leave=sorted(rooms))

    async def disconnect_sockets(self, op: BroadcastOperator, close: bool) -> None:
        await super().disconnect_sockets(op, close)
        await self._tell(op, "disconnect", close=close)

    async def broadcast_with_ack(
        self, op: BroadcastOperator, name: str, data: list[Any], timeout: float
    ) -> BroadcastAcks:
        if op.local_only:
            return await super().broadcast_with_ack(op, name, data, timeout)
        self._require_subscription()
        remote = asyncio.ensure_future(
            self._ask(
                op,
                "acks",
                timeout + self.timeout,
                event=name,
                args=pack(data),
                ack_timeout=timeout,
            )
        )
        try:
            local = await super().broadcast_with_ack(op, name, data, timeout)
        except BaseException:
            remote.cancel()
            raise
        replies, missing = await remote
        responses = dict(local.responses)
        timed_out = list(local.timed_out)
        for reply in replies:
            responses.update(unpack(reply["responses"]))
            timed_out.extend(reply["timed_out"])
        return BroadcastAcks(responses, timed_out, missing_servers=missing)

    async def all_rooms(self, op: BroadcastOperator) -> set[str]:
        if op.local_only:
            return await super().all_rooms(op)
        replies, _ = await self._ask(op, "all_rooms", self._request_timeout(op))
        rooms = await super().all_rooms(op)
        for reply in replies:
            rooms.update(reply)
        return rooms

    async def server_side_emit(self, op: BroadcastOperator, event: str, args: list[Any]) -> None:
        await self._tell(op, "server_event", event=event, args=pack(args))

    async def server_side_emit_with_ack(
        self, op: BroadcastOperator, event: str, args: list[Any]
    ) -> ServerAcks:
        if op.local_only:
            return await super().server_side_emit_with_ack(op, event, args)
        replies, missing = await self._ask(
            op, "server_event", self._request_timeout(op), event=event, args=pack(args)
        )
        return ServerAcks([unpack(reply) for reply in replies], missing)
