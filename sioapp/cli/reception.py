"""The supervisor's side of the port: accepting connections and reading, from each, enough
to know where it goes.

A new connection is held until its first request line has come (or
`FIRST_LINE_TIMEOUT` has passed), then handed on with the bytes read. Only
the sockets themselves are used, on the event loop: no transport or protocol
object per connection, one read when the request has come with the
connection, as it usually has.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sioapp.cli.routing import LINE_LIMIT, request_line

__all__ = ["Reception"]

logger = logging.getLogger("uvicorn.error")

#: Seconds a new connection has to send its first request line; one that sent
#: nothing by then is closed, a partial line goes on as it is.
FIRST_LINE_TIMEOUT: Final = 10.0
#: Connections accepted at most each time the listening socket is ready.
ACCEPT_BATCH: Final = 64


@dataclass(slots=True)
class _Waiting:
    """A connection whose first request line has not come in full yet."""

    connection: socket.socket
    head: bytes = b""
    #: Set once the connection waits for its bytes: when it must have sent them.
    timer: asyncio.TimerHandle | None = None


class Reception:
    """Accepts the connections of ``listener`` and holds each until its first request
    line tells where it goes, then passes it to ``route`` with the bytes read."""

    def __init__(self, listener: socket.socket, route: Callable[[int, bytes], None]) -> None:
        listener.setblocking(False)
        self._listener = listener
        self._route = route
        self._waiting: dict[int, _Waiting] = {}
        self._retry: asyncio.TimerHandle | None = None
        self._loop = asyncio.get_running_loop()

    def open(self, backlog: int) -> None:
        """Start listening."""
        self._listener.listen(backlog)
        self._resume()

    def close(self) -> None:
        """Stop accepting, and close the connections still waiting."""
        self._loop.remove_reader(self._listener.fileno())
        if self._retry is not None:
            self._retry.cancel()
        for fd in list(self._waiting):
            self._forget(fd).connection.close()

    def _accept(self) -> None:
        for _ in range(ACCEPT_BATCH):
            try:
                connection, _ = self._listener.accept()
            except (BlockingIOError, ConnectionAbortedError):
                return
            except OSError as error:  # out of file descriptors or memory
                logger.error("cannot accept connections (%s); trying again in 1 s", error)
                self._loop.remove_reader(self._listener.fileno())
                self._retry = self._loop.call_later(1.0, self._resume)
                return
            connection.setblocking(False)
            if connection.family in (socket.AF_INET, socket.AF_INET6):
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            fd = connection.fileno()
            self._waiting[fd] = _Waiting(connection)
            self._read(fd)  # the request has often come by now

    def _resume(self) -> None:
        self._retry = None
        self._loop.add_reader(self._listener.fileno(), self._accept)

    def _read(self, fd: int) -> None:
        waiting = self._waiting[fd]
        try:
            data = waiting.connection.recv(LINE_LIMIT)
        except BlockingIOError:
            data = None
        except OSError:
            data = b""
        if data == b"":  # the client left
            self._forget(fd).connection.close()
            return
        if data:
            waiting.head += data
            if request_line(waiting.head) is not None:
                self._pass_on(fd)
                return
        if waiting.timer is None:
            waiting.timer = self._loop.call_later(FIRST_LINE_TIMEOUT, self._timed_out, fd)
            self._loop.add_reader(fd, self._read, fd)

    def _timed_out(self, fd: int) -> None:
        if self._waiting[fd].head:
            self._pass_on(fd)
        else:
            self._forget(fd).connection.close()

    def _pass_on(self, fd: int) -> None:
        waiting = self._forget(fd)
        self._route(waiting.connection.detach(), waiting.head)

    def _forget(self, fd: int) -> _Waiting:
        waiting = self._waiting.pop(fd)
        if waiting.timer is not None:
            waiting.timer.cancel()
            self._loop.remove_reader(fd)
        return waiting
