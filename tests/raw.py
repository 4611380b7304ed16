"""A raw Engine.IO v4 / Socket.IO v5 client over WebSocket, for sending exact frames."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection


class RawClient:
    """Speaks the wire protocol frame by frame; answers pings unless told not to."""

    def __init__(self, ws: ClientConnection, answer_pings: bool = True) -> None:
        self.ws = ws
        self.answer_pings = answer_pings
        self.handshake: dict[str, Any] = {}

    @classmethod
    async def open(
        cls,
        url: str,
        query: str = "",
        headers: dict[str, str] | None = None,
        answer_pings: bool = True,
    ) -> RawClient:
        ws_url = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        ws = await websockets.connect(
            ws_url + (f"&{query}" if query else ""),
            additional_headers=headers,
            compression=None,
            max_size=None,
        )
        client = cls(ws, answer_pings)
        opening = await ws.recv()
        assert isinstance(opening, str) and opening.startswith("0"), opening
        client.handshake = json.loads(opening[1:])
        return client

    async def send(self, frame: str | bytes) -> None:
        await self.ws.send(frame)

    async def recv(self, timeout: float = 5.0) -> str | bytes:
        """The next frame that is not a ping."""
        while True:
            frame = await asyncio.wait_for(self.ws.recv(), timeout)
            if frame == "2":
                if self.answer_pings:
                    await self.ws.send("3")
                continue
            return frame

    async def connect(self, namespace: str = "/", auth: Any = None) -> str:
        """Send CONNECT and return the sid from the server's CONNECT reply."""
        prefix = "" if namespace == "/" else f"{namespace},"
        await self.send("40" + prefix + (json.dumps(auth) if auth is not None else ""))
        reply = await self.recv()
        assert isinstance(reply, str) and reply.startswith("40" + prefix), reply
        return str(json.loads(reply[2 + len(prefix) :])["sid"])

    async def closed(self, timeout: float = 5.0) -> bool:
        """Wait until the server closes the connection; True if it did."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    frame = await self.ws.recv()
                    if frame == "2" and self.answer_pings:
                        await self.ws.send("3")
                    elif frame == "1":  # Engine.IO CLOSE
                        return True
        except websockets.ConnectionClosed:
            return True
        except TimeoutError:
            return False

    async def close(self) -> None:
        await self.ws.close()
