"""The WebSocket transport: a session opened on a WebSocket, or upgraded from long-polling.

The request's own task reads the frames and hands each message to the
Socket.IO layer in order, without a task or a timer per frame; the session's
writer task sends what is queued. A frame that is not an Engine.IO packet
closes the session with ``parse error``, one over ``max_http_buffer_size``
with ``transport error``, a CLOSE packet with ``transport close``.

An upgrade follows Node's engine.io: the client probes with ``2probe``, the
server answers ``3probe`` and ends the pending long-poll with NOOP, the client
sends UPGRADE (``5``). Anything else, or nothing within the upgrade timeout,
drops only the WebSocket: the session goes on polling. A second WebSocket for a
session already upgrading or upgraded is accepted and closed at once, as in Node.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from starlette.types import Receive, Send

from sioapp._transport.packets import PING, PONG, UPGRADE, Frame
from sioapp._transport.session import CloseReason, Session, TransportHost

__all__ = ["asgi_messages", "read_frames", "upgrade"]

logger = logging.getLogger("sioapp")

_PROBE = PING + "probe"
_PROBED = PONG + "probe"


async def upgrade(engine: TransportHost, session: Session, receive: Receive, send: Send) -> bool:
    """Upgrade a long-polling ``session`` to this WebSocket; whether it worked."""
    session.start_upgrade()
    next_message = asgi_messages(receive)
    upgraded = False
    try:
        async with asyncio.timeout(engine.upgrade_timeout):
            if await next_message() != _PROBE:
                logger.info("%s: failed WebSocket upgrade, no PING probe", session.sid)
                return False
            await send({"type": "websocket.send", "text": _PROBED})
            if await next_message() != UPGRADE:
                logger.info("%s: failed WebSocket upgrade, no UPGRADE packet", session.sid)
                return False
        upgraded = not session.closed
        return upgraded
    except TimeoutError:
        logger.info("%s: WebSocket upgrade timed out", session.sid)
        return False
    finally:
        session.end_upgrade(upgraded)


def asgi_messages(receive: Receive) -> Callable[[], Awaitable[Frame | None]]:
    """The messages of a WebSocket served through ASGI, one per call; None once it ends."""

    async def next_message() -> Frame | None:
        message = await receive()
        if message["type"] != "websocket.receive":
            return None
        data: Frame | None = message.get("text")
        return message.get("bytes") if data is None else data

    return next_message


async def read_frames(
    engine: TransportHost, session: Session, next_message: Callable[[], Awaitable[Frame | None]]
) -> CloseReason | None:
    """Hand the client's messages to the engine in order until the session or the
    WebSocket ends; the reason to close the session with, if it is still open."""
    limit = engine.max_http_buffer_size
    deliver = engine.deliver
    sid = session.sid
    while True:
        data = await next_message()
        if data is None:
            return None if session.closed else CloseReason.TRANSPORT_CLOSE
        if len(data) > limit:
            logger.info("%s: WebSocket frame over %s bytes, closing", sid, limit)
            return CloseReason.TRANSPORT_ERROR
        if isinstance(data, bytes):
            await deliver(sid, data)
        elif data[:1] == "4":
            await deliver(sid, data[1:])
        elif not await engine.receive(session, data):
            return None if session.closed else CloseReason.PARSE_ERROR
        if session.closed:
            return None
