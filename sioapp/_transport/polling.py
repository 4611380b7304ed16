"""HTTP long-polling: a GET waits for what the server has to send, a POST carries what the
client sends, each answered as Node's engine.io answers it.

- A GET returns every queued packet at once, or waits for the first one. A GET
  while another is pending, or a POST while another is being read, closes the
  session (``transport error``); so does a GET whose client leaves before the
  answer.
- A GET while the session upgrades returns NOOP at once; after the upgrade,
  polling requests are refused.
- A POST body longer than ``max_http_buffer_size`` gets 413 and closes the
  session (``transport error``); a body that is not a payload of packets gets
  400 and closes it (``parse error``); otherwise the answer is ``ok`` once each
  packet has been handled, in order. A body still arriving when the session
  ends, or after ``ping_interval + ping_timeout``, is given up on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.types import Receive, Send

from sioapp._transport.http import (
    BodyTooLarge,
    Refusal,
    Request,
    compress,
    read_body,
    refuse,
    respond,
)
from sioapp._transport.packets import NOOP, ParseError, decode_payload, encode_payload
from sioapp._transport.session import CloseReason, Session, TransportHost

__all__ = ["serve_poll", "serve_post"]

logger = logging.getLogger("sioapp")

_TEXT = "text/plain; charset=UTF-8"
_HTML = "text/html; charset=UTF-8"


async def _until_gone(receive: Receive) -> None:
    """Return when the client of a GET has left."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def serve_poll(
    engine: TransportHost,
    session: Session,
    request: Request,
    receive: Receive,
    send: Send,
    headers: list[tuple[str, str]],
) -> None:
    """Answer a long-polling GET with what is queued, as soon as there is something."""
    if session.polling:
        logger.info("%s: overlapping long-poll, closing", session.sid)
        await engine.close(session.sid, CloseReason.TRANSPORT_ERROR)
        await refuse(send, Refusal.BAD_REQUEST, headers)
        return
    if session.upgrading:
        await _answer(engine, request, send, NOOP, headers)
        return
    session.polling = True
    try:
        if session.queue.empty():
            gone = asyncio.ensure_future(_until_gone(receive))
            queued = asyncio.ensure_future(session.queue.wait())
            try:
                await asyncio.wait((gone, queued), return_when=asyncio.FIRST_COMPLETED)
            finally:
                gone.cancel()
                queued.cancel()
            if session.queue.empty():
                logger.info("%s: long-poll left before its answer, closing", session.sid)
                await engine.close(session.sid, CloseReason.TRANSPORT_ERROR)
                return
        frames = [frame for frame in session.queue.take_all() if frame is not None]
        await _answer(engine, request, send, encode_payload(frames), headers)
    finally:
        session.polling = False
        session.queue.sent()


async def _answer(
    engine: TransportHost,
    request: Request,
    send: Send,
    payload: str,
    headers: list[tuple[str, str]],
) -> None:
    body = payload.encode()
    if engine.http_compression:
        body, encoding = compress(
            body, request.headers.get("accept-encoding", ""), engine.compression_threshold
        )
        headers = [*headers, *encoding]
    await respond(send, 200, body, _TEXT, headers)


async def serve_post(
    engine: TransportHost,
    session: Session,
    receive: Receive,
    send: Send,
    headers: list[tuple[str, str]],
) -> None:
    """Handle the packets of a long-polling POST, in order, then answer ``ok``."""
    sid = session.sid
    if session.posting:
        logger.info("%s: overlapping POST, closing", sid)
        await engine.close(sid, CloseReason.TRANSPORT_ERROR)
        await refuse(send, Refusal.BAD_REQUEST, headers)
        return
    session.posting = True
    try:
        body = await session.until_closed(
            read_body(receive, engine.max_http_buffer_size, engine.request_timeout)
        )
    except BodyTooLarge:
        logger.info("%s: POST body over %s bytes, closing", sid, engine.max_http_buffer_size)
        await engine.close(sid, CloseReason.TRANSPORT_ERROR)
        await respond(send, 413, b"Payload Too Large", _TEXT, headers)
        return
    finally:
        session.posting = False
    if body is None:
        if not session.closed:
            logger.info("%s: POST body not received in time, closing", sid)
            await engine.close(sid, CloseReason.TRANSPORT_ERROR)
        with contextlib.suppress(Exception):  # the client may be gone
            await refuse(send, Refusal.BAD_REQUEST, headers)
        return
    try:
        frames = decode_payload(body)
    except ParseError as exc:
        logger.info("%s: invalid POST payload (%s), closing", sid, exc)
        await engine.close(sid, CloseReason.PARSE_ERROR)
        await refuse(send, Refusal.BAD_REQUEST, headers)
        return
    for frame in frames:
        if session.closed:
            break
        await engine.receive(session, frame)
    if session.closed and session.close_reason != CloseReason.TRANSPORT_CLOSE:
        await refuse(send, Refusal.BAD_REQUEST, headers)  # what it sent broke the session
    else:
        await respond(send, 200, b"ok", _HTML, headers)
