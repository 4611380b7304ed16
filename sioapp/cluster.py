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
raise :class:`ClusterUnavailable` at once. The subscription comes back by itself.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson
from pydantic_core import to_jsonable_python
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from socketio import AsyncRedisManager
from socketio.packet import Packet

from sioapp.broadcast import BroadcastAcks, BroadcastOperator
from sioapp.errors import EventError
from sioapp.manager import Frames, LocalManager
from sioapp.remote import RemoteSocket
from sioapp.server_events import ServerAcks

if TYPE_CHECKING:
    from sioapp.app import SioApp

__all__ = ["ClusterUnavailable", "RedisManager", "create_manager"]

logger = logging.getLogger("sioapp.cluster")

#: Environment variable read when ``SioApp(redis_url=...)`` is not given.
REDIS_URL_ENV = "SIOAPP_REDIS_URL"
#: Seconds between attempts to subscribe again, doubling up to the second value.
RETRY_DELAYS = (0.1, 2.0)

Message = dict[str, Any]


class ClusterUnavailable(EventError):
    """Other servers cannot be reached because Redis cannot.

    Raised by operations that need answers from other servers; a client whose
    handler let it through receives the error code ``cluster_unavailable``.
    """

    def __init__(self, message: str) -> None:
        super().__init__("cluster_unavailable", message)


def create_manager(redis_url: str | None, timeout: float) -> LocalManager:
    """A :class:`RedisManager` for ``redis_url`` (or ``$SIOAPP_REDIS_URL``), else one process."""
    if timeout <= 0:
        raise ValueError(f"cluster_timeout must be positive, got {timeout!r}")
    url = redis_url if redis_url is not None else os.environ.get(REDIS_URL_ENV, "")
    return RedisManager(url, timeout=timeout) if url else LocalManager()


def _dumps(message: Message) -> bytes:
    return orjson.dumps(message, default=to_jsonable_python, option=orjson.OPT_NON_STR_KEYS)


def _pack(value: Any) -> Message:
    """``value`` as JSON, its binary parts as base64 attachments."""
    if not Packet.data_is_binary(value):
        return {"data": value}
    data, attachments = Packet.deconstruct_binary(value)
    return {"data": data, "attachments": [base64.b64encode(item).decode() for item in attachments]}


def _unpack(packed: Message) -> Any:
    attachments = packed.get("attachments")
    if not attachments:
        return packed["data"]
    return Packet.reconstruct_binary(
        packed["data"], [base64.b64decode(item) for item in attachments]
    )


def _frames_out(frames: Frames) -> list[str]:
    """An encoded packet as JSON: its text frame, then its attachments in base64."""
    return [
        frame if isinstance(frame, str) else base64.b64encode(frame).decode() for frame in frames
    ]


def _frames_in(frames: list[str]) -> Frames:
    first, *attachments = frames
    return [first, *(base64.b64decode(item) for item in attachments)]


def _selection(op: BroadcastOperator) -> Message:
    return {
        "namespace": op.namespace,
        "rooms": sorted(op.rooms),
        "except_rooms": sorted(op.except_rooms),
    }


@dataclass(slots=True, eq=False)
class _Request:
    """A request waiting for ``expected`` replies."""

    expected: int
    replies: list[Any] = field(default_factory=list)
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def add(self, reply: Any) -> None:
        self.replies.append(reply)
        if len(self.replies) >= self.expected and not self.done.done():
            self.done.set_result(None)

    def fail(self, exc: BaseException) -> None:
        if not self.done.done():
            self.done.set_exception(exc)


class RedisManager(LocalManager, AsyncRedisManager):  # type: ignore[misc]
    """Shares every server-wide operation with the other servers through Redis.

    ``timeout`` bounds every request to other servers (``cluster_timeout``).
    """

    name = "sioapp-redis"
    redis: Any
    pubsub: Any

    def __init__(self, url: str, *, timeout: float = 5.0, channel: str = "socketio") -> None:
        super().__init__(
            url=url,
            channel=channel,
            redis_options={
                "socket_connect_timeout": min(timeout, 2.0),
                "socket_timeout": timeout,
                "retry": Retry(NoBackoff(), 0),
            },
        )
        self.timeout = timeout
        self.request_channel = f"{channel}#request"
        self.response_channel = f"{channel}#response#{self.host_id}"
        self.thread: asyncio.Future[None] | None = None
        self._subscribed = asyncio.Event()
        self._requests: dict[str, _Request] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._warned = False
        self._commands: dict[str, Callable[[Message], Awaitable[None]]] = {
            "broadcast": self._on_broadcast,
            "join": self._on_join,
            "leave": self._on_leave,
            "disconnect": self._on_disconnect,
            "fetch_sockets": self._on_fetch_sockets,
            "all_rooms": self._on_all_rooms,
            "server_event": self._on_server_event,
            "acks": self._on_acks,
        }

    @property
    def where(self) -> str:
        """The Redis address, without credentials."""
        parts = urlsplit(self.redis_url)
        return parts.netloc.rpartition("@")[2] + parts.path

    @property
    def app(self) -> SioApp:
        return self.server.app

    # ---- lifecycle -------------------------------------------------------------

    def initialize(self) -> None:
        """Connect and start listening, once; python-socketio calls it on the first client."""
        if self.thread is not None:
            return
        if self.redis is None:
            self._redis_connect()
        super().initialize()

    async def start(self) -> None:
        """Start listening and wait, up to the timeout, until this server counts as one."""
        self.initialize()
        try:
            await asyncio.wait_for(self._subscribed.wait(), self.timeout)
        except TimeoutError:
            logger.error(
                "Redis at %s is unreachable: serving this process only until it is back",
                self.where,
            )

    async def stop(self) -> None:
        """Stop listening: other servers no longer count this one nor wait for it."""
        thread, self.thread = self.thread, None
        if thread is not None:
            thread.cancel()
            await asyncio.gather(thread, return_exceptions=True)
        await self._drop_subscription()
        self._subscribed.clear()
        for request in self._requests.values():
            request.fail(ClusterUnavailable("this server is shutting down"))
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def close(self) -> None:
        """Stop listening and close the connections to Redis."""
        await self.stop()
        redis, self.redis = self.redis, None
        if redis is not None:
            await redis.aclose()

    # ---- Redis -----------------------------------------------------------------

    async def _listen(self) -> AsyncIterator[bytes]:
        """python-socketio's messages; sioapp's own channels are handled here.

        Subscribes again after any failure, for as long as the server runs.
        """
        main_channel = self.channel.encode()
        delay = RETRY_DELAYS[0]
        while True:
            self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await self.pubsub.subscribe(
                    self.channel, self.request_channel, self.response_channel
                )
                self._on_subscribed()
                delay = RETRY_DELAYS[0]
                async for message in self.pubsub.listen():
                    if message["type"] != "message":
                        continue
                    if message["channel"] == main_channel:
                        yield message["data"]
                    else:
                        await self._on_cluster_message(message["data"])
            except Exception as exc:
                self._on_lost(exc)
            finally:
                await self._drop_subscription()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_DELAYS[1])

    async def _drop_subscription(self) -> None:
        pubsub, self.pubsub = self.pubsub, None
        if pubsub is not None:
            try:
                await pubsub.aclose()
            except (RedisError, OSError):
                logger.debug("closing the Redis subscription failed", exc_info=True)

    def _on_subscribed(self) -> None:
        self._subscribed.set()
        self._warned = False
        logger.info("server %s listening on Redis at %s", self.host_id, self.where)

    def _on_lost(self, exc: Exception) -> None:
        if self._subscribed.is_set():
            logger.warning(
                "lost Redis at %s (%s); cross-server operations fail until it is back",
                self.where,
                exc,
            )
        else:
            logger.debug("Redis at %s still unreachable: %s", self.where, exc)
        self._subscribed.clear()
        for request in self._requests.values():
            request.fail(self._unavailable(exc))

    def _unavailable(self, exc: BaseException | None = None) -> ClusterUnavailable:
        why = f": {exc}" if exc is not None else ""
        return ClusterUnavailable(f"Redis at {self.where} is unreachable{why}")

    async def _post(self, channel: str, message: Message) -> None:
        """Publish ``message``; ClusterUnavailable when Redis cannot take it."""
        if self.redis is None:
            raise ClusterUnavailable("not connected to Redis: the app is not running")
        try:
            await self.redis.publish(channel, _dumps(message))
        except (RedisError, OSError) as exc:
            raise self._unavailable(exc) from exc

    async def _post_or_log(self, channel: str, message: Message, what: str) -> None:
        """Publish ``message``; log once per outage when Redis cannot take it."""
        try:
            await self._post(channel, message)
        except ClusterUnavailable as exc:
            log = logger.debug if self._warned else logger.warning
            self._warned = True
            log("%s reached this server only: %s", what, exc.message)

    async def _publish(self, data: Message) -> None:
        # python-socketio's own messages (emits to a sid, remote joins...).
        await self._post_or_log(self.channel, data, str(data.get("method")))

    def _require_subscription(self) -> None:
        """Fail fast while this server is cut off from the others."""
        if self.redis is None or not self._subscribed.is_set():
            raise self._unavailable()

    async def server_count(self) -> int:
        """How many servers listen, this one included (``PUBSUB NUMSUB``)."""
        self._require_subscription()
        try:
            counts = await self.redis.pubsub_numsub(self.request_channel)
        except (RedisError, OSError) as exc:
            raise self._unavailable(exc) from exc
        return int(counts[0][1]) if counts else 0

    # ---- talking to the other servers ------------------------------------------

    async def _tell(self, op: BroadcastOperator, kind: str, **body: Any) -> None:
        """Send a command to every other server, without waiting."""
        if op.local_only:
            return
        message = {**_selection(op), **body, "type": kind, "host_id": self.host_id}
        await self._post_or_log(self.request_channel, message, kind)

    async def _ask(
        self, op: BroadcastOperator, kind: str, timeout: float, **body: Any
    ) -> tuple[list[Any], int]:
        """Ask every other server; their replies, and how many did not answer in time."""
        others = await self.server_count() - 1
        if others <= 0:
            return [], 0
        request_id = uuid.uuid4().hex
        request = _Request(others)
        self._requests[request_id] = request
        message = {
            **_selection(op),
            **body,
            "type": kind,
            "host_id": self.host_id,
            "request_id": request_id,
        }
        try:
            await self._post(self.request_channel, message)
            await asyncio.wait((request.done,), timeout=timeout)
        finally:
            del self._requests[request_id]
        if request.done.done():
            request.done.result()
        missing = max(others - len(request.replies), 0)
        if missing:
            logger.warning(
                "%s: %d of %d server(s) did not answer within %s s",
                kind,
                missing,
                others,
                timeout,
            )
        return request.replies, missing

    def _request_timeout(self, op: BroadcastOperator) -> float:
        return self.timeout if op.ack_timeout is None else op.ack_timeout

    async def _reply(self, message: Message, reply: Any) -> None:
        response = {"type": "reply", "request_id": message["request_id"], "reply": reply}
        channel = f"{self.channel}#response#{message['host_id']}"
        await self._post_or_log(channel, response, f"reply to {message['type']}")

    async def _on_cluster_message(self, raw: bytes) -> None:
        try:
            message = orjson.loads(raw)
            if message["type"] == "reply":
                request = self._requests.get(message["request_id"])
                if request is not None:
                    request.add(message["reply"])
            elif message["host_id"] != self.host_id:
                await self._commands[message["type"]](message)
        except Exception:
            logger.exception("cannot handle cluster message %.200r", raw)

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _operator(self, message: Message) -> BroadcastOperator:
        return BroadcastOperator(
            self.app,
            message["namespace"],
            frozenset(message["rooms"]),
            frozenset(message["except_rooms"]),
        )

    # ---- what other servers ask of this one: the local half of each operation

    async def _on_broadcast(self, message: Message) -> None:
        await self.send_frames(
            message["namespace"],
            _frames_in(message["frames"]),
            message["rooms"],
            message["except_rooms"],
        )

    async def _on_join(self, message: Message) -> None:
        await LocalManager.add_sockets(self, self._operator(message), frozenset(message["join"]))

    async def _on_leave(self, message: Message) -> None:
        await LocalManager.del_sockets(self, self._operator(message), frozenset(message["leave"]))

    async def _on_disconnect(self, message: Message) -> None:
        await LocalManager.disconnect_sockets(self, self._operator(message), message["close"])

    async def _on_fetch_sockets(self, message: Message) -> None:
        op = self._operator(message)
        await self._reply(message, [socket.to_dict() for socket in self.local_sockets(op)])

    async def _on_all_rooms(self, message: Message) -> None:
        rooms = await LocalManager.all_rooms(self, self._operator(message))
        await self._reply(message, sorted(rooms))

    async def _on_server_event(self, message: Message) -> None:
        async def run() -> None:
            args = _unpack(message["args"])
            reply = await self.app.server_events.run(
                self.app, message["namespace"], message["event"], args
            )
            if "request_id" in message:
                await self._reply(message, _pack(reply))

        self._spawn(run())

    async def _on_acks(self, message: Message) -> None:
        async def run() -> None:
            acks = await LocalManager.broadcast_with_ack(
                self,
                self._operator(message),
                message["event"],
                _unpack(message["args"]),
                message["ack_timeout"],
            )
            await self._reply(
                message, {"responses": _pack(acks.responses), "timed_out": acks.timed_out}
            )

        self._spawn(run())

    # ---- server-wide operations, on every server --------------------------------

    async def enter_room(
        self, sid: str, namespace: str, room: str, eio_sid: str | None = None
    ) -> None:
        # A socket of this server joins here even while it connects or disconnects.
        if eio_sid is not None or self._owns(sid, namespace):
            self.basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        else:
            await super().enter_room(sid, namespace, room, eio_sid=eio_sid)

    async def leave_room(self, sid: str, namespace: str, room: str) -> None:
        if self._owns(sid, namespace):
            self.basic_leave_room(sid, namespace, room)
        else:
            await super().leave_room(sid, namespace, room)

    def _owns(self, sid: str, namespace: str) -> bool:
        return sid in self.rooms.get(namespace, {}).get(None, {})

    async def broadcast(self, op: BroadcastOperator, data: list[Any]) -> None:
        frames = self.encode_event(op.namespace, data)
        await self.send_frames(op.namespace, frames, op.rooms, op.except_rooms)
        await self._tell(op, "broadcast", frames=_frames_out(frames))

    async def fetch_sockets(self, op: BroadcastOperator) -> list[RemoteSocket]:
        if op.local_only:
            return await super().fetch_sockets(op)
        replies, _ = await self._ask(op, "fetch_sockets", self._request_timeout(op))
        sockets = await super().fetch_sockets(op)
        sockets.extend(
            RemoteSocket.from_dict(self.app, op.namespace, raw)
            for reply in replies
            for raw in reply
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
                args=_pack(data),
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
            responses.update(_unpack(reply["responses"]))
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
        await self._tell(op, "server_event", event=event, args=_pack(args))

    async def server_side_emit_with_ack(
        self, op: BroadcastOperator, event: str, args: list[Any]
    ) -> ServerAcks:
        if op.local_only:
            return await super().server_side_emit_with_ack(op, event, args)
        replies, missing = await self._ask(
            op, "server_event", self._request_timeout(op), event=event, args=_pack(args)
        )
        return ServerAcks([_unpack(reply) for reply in replies], missing)
