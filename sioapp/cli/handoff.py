"""Handing accepted connections between processes: the socket itself, and the bytes already
read from it, over a Unix socket pair.

Each connection travels as one frame on a stream socket pair: a kind byte, the
length of the bytes read from the connection, then those bytes. The connection's
socket rides on the frame's first byte (``SCM_RIGHTS``), so the receiver gets
its own file descriptor for it, while the sender closes its own. A frame of the
other kind carries no socket: a notice (a worker saying it is ready).
"""

from __future__ import annotations

import asyncio
import collections
import os
import socket
import struct
from collections.abc import Callable
from typing import Final

__all__ = ["Channel", "Received", "pair"]

_HEADER: Final = struct.Struct("!cI")  # kind, length of the bytes that follow
_CONNECTION: Final = b"C"
_NOTICE: Final = b"N"
#: Bytes read from the pair at once; descriptors come at most one per read.
_READ_SIZE: Final = 64 * 1024
_MAX_FDS: Final = 8

#: Called with each connection that arrives (None for a notice) and its bytes.
Received = Callable[[socket.socket | None, bytes], None]


def pair() -> tuple[socket.socket, socket.socket]:
    """Two connected ends, one for each process."""
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)


class Channel:
    """One end of a pair, served on the running event loop.

    `send` passes connections on, in order; connections that arrive go to
    ``received``; ``closed`` is called once the other end has gone.
    """

    def __init__(self, end: socket.socket, received: Received, closed: Callable[[], None]) -> None:
        end.setblocking(False)
        self._end = end
        self._received = received
        self._closed = closed
        self._unsent: collections.deque[tuple[memoryview, int | None]] = collections.deque()
        self._writing = False  # waiting for room in the pair's buffer
        self._buffer = bytearray()
        self._fds: collections.deque[int] = collections.deque()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(end.fileno(), self._read)

    @property
    def open(self) -> bool:
        return self._end.fileno() >= 0

    def send(self, fd: int | None, data: bytes) -> bool:
        """Pass on the connection ``fd`` (this process's descriptor, which the channel
        closes once sent) with the bytes read from it, or a notice without ``fd``;
        False, and ``fd`` closed, if the channel is closed."""
        if not self.open:
            if fd is not None:
                os.close(fd)
            return False
        kind = _NOTICE if fd is None else _CONNECTION
        self._unsent.append((memoryview(_HEADER.pack(kind, len(data)) + data), fd))
        if not self._writing:
            self._flush()
        return True

    def close(self) -> None:
        """Stop at once: what is unsent or half-received is dropped, its connections closed."""
        if not self.open:
            return
        self._loop.remove_reader(self._end.fileno())
        if self._writing:
            self._loop.remove_writer(self._end.fileno())
        self._end.close()
        for _, fd in self._unsent:
            if fd is not None:
                os.close(fd)
        self._unsent.clear()
        while self._fds:
            os.close(self._fds.popleft())

    def _gone(self) -> None:
        """The other end has gone."""
        self.close()
        self._closed()

    # ---- sending -----------------------------------------------------------------

    def _flush(self) -> None:
        """Send what the pair's buffer takes; wait for room for the rest."""
        while self._unsent:
            rest, fd = self._unsent[0]
            try:
                sent = socket.send_fds(self._end, [rest], [] if fd is None else [fd])
            except BlockingIOError:
                break
            except OSError:
                self._gone()
                return
            if fd is not None:
                os.close(fd)  # the other end has its own descriptor now
            if sent < len(rest):
                self._unsent[0] = (rest[sent:], None)
            else:
                self._unsent.popleft()
        writing = bool(self._unsent)
        if writing and not self._writing:
            self._loop.add_writer(self._end.fileno(), self._flush)
        elif self._writing and not writing:
            self._loop.remove_writer(self._end.fileno())
        self._writing = writing

    # ---- receiving ---------------------------------------------------------------

    def _read(self) -> None:
        try:
            data, fds, _, _ = socket.recv_fds(self._end, _READ_SIZE, _MAX_FDS)
        except BlockingIOError:
            return
        except OSError:
            data, fds = b"", []
        self._fds.extend(fds)
        if not data:
            self._gone()
            return
        self._buffer += data
        while len(self._buffer) >= _HEADER.size:
            kind, length = _HEADER.unpack_from(self._buffer)
            end = _HEADER.size + length
            if len(self._buffer) < end:
                return
            payload = bytes(self._buffer[_HEADER.size : end])
            del self._buffer[:end]
            connection = socket.socket(fileno=self._fds.popleft()) if kind == _CONNECTION else None
            self._received(connection, payload)
            if not self.open:
                return
