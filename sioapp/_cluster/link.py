"""The link between servers: one Redis connection pool, a subscription that heals, ordered
publishing, and requests that wait for one reply per other server up to a timeout."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError, ResponseError
from socketio import AsyncRedisManager

from sioapp._cluster.outbox import Outbox
from sioapp._protocol.broadcast import BroadcastOperator
from sioapp._protocol.codec import to_wire
from sioapp._protocol.errors import ClusterUnavailable
from sioapp._protocol.manager import LocalManager
from sioapp._tasks import TaskSet

__all__ = ["ClusterLink", "Message"]

logger = logging.getLogger("sioapp._cluster.redis")

#: Seconds between attempts to subscribe again, doubling up to the second value.
RETRY_DELAYS = (0.1, 2.0)

Message = dict[str, Any]


def _dumps(message: Message) -> bytes:
    return orjson.dumps(message, default=to_wire, option=orjson.OPT_NON_STR_KEYS)


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


class ClusterLink(LocalManager, AsyncRedisManager):  # type: ignore[misc]
    """python-socketio's Redis manager, plus sioapp's channels and requests.

    Subclasses fill ``_commands`` with what to do for each kind of message.
    """

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
        self.response_channel = self._response_channel(self.host_id)
        self.thread: asyncio.Future[None] | None = None
        self._subscribed = asyncio.Event()
        self._requests: dict[str, _Request] = {}
        self._tasks = TaskSet()
        self._warned = False
        self._outbox = Outbox()
        #: What to do with each kind of message from another server.
        self._commands: dict[str, Callable[[Message], Awaitable[None]]] = {}

    @property
    def where(self) -> str:
        """The Redis address, without credentials."""
        parts = urlsplit(self.redis_url)
        return parts.netloc.rpartition("@")[2] + parts.path

    # ---- lifecycle -------------------------------------------------------------

    def initialize(self) -> None:
        """Connect and start listening, once; python-socketio calls it on the first client."""
        if self.thread is not None:
            return
        if self.redis is None:
            self._redis_connect()
            self._outbox.redis = self.redis
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
        await self._outbox.drain()
        redis, self.redis = self.redis, None
        self._outbox.redis = None
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
        try:
            await self._outbox.send("PUBLISH", channel, _dumps(message))
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

    async def command(self, *command: Any) -> Any:
        """Run one Redis command, pipelined with whatever else is being sent; its reply.
        Raises `ClusterUnavailable` when Redis cannot be reached, and Redis's own error
        when it refuses the command."""
        try:
            return await self._outbox.send(*command)
        except ResponseError:
            raise
        except (RedisError, OSError) as exc:
            raise self._unavailable(exc) from exc

    async def server_count(self) -> int:
        """How many servers listen, this one included (``PUBSUB NUMSUB``)."""
        self._require_subscription()
        try:
            counts = await self._outbox.send("PUBSUB NUMSUB", self.request_channel)
        except (RedisError, OSError) as exc:
            raise self._unavailable(exc) from exc
        return int(counts[0][1]) if counts else 0

    async def listening(self, host_ids: Collection[str]) -> set[str]:
        """Which of the servers ``host_ids`` listen on Redis now (``PUBSUB NUMSUB`` of
        their response channels): a server that died has no subscription left."""
        if not host_ids:
            return set()
        channels = {self._response_channel(host): host for host in host_ids}
        counts = await self.command("PUBSUB NUMSUB", *channels)
        return {
            channels[channel.decode() if isinstance(channel, bytes) else channel]
            for channel, count in counts
            if int(count) > 0
        }

    def _response_channel(self, host_id: str) -> str:
        """Where server ``host_id`` gets the replies to its requests."""
        return f"{self.channel}#response#{host_id}"

    # ---- talking to the other servers ------------------------------------------

    async def _tell(self, op: BroadcastOperator, kind: str, **body: Any) -> None:
        """Send a command to every other server; no answer is awaited."""
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

    def _operator(self, message: Message) -> BroadcastOperator:
        return BroadcastOperator(
            self,
            message["namespace"],
            frozenset(message["rooms"]),
            frozenset(message["except_rooms"]),
        )

    # ---- a socket of this server joins and leaves here, even while it connects or
    # disconnects (python-socketio would send the change to the other servers then)

    async def enter_room(
        self, sid: str, namespace: str, room: str, eio_sid: str | None = None
    ) -> None:
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
