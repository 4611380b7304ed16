"""The Admin UI over real HTTP: a socket that connects over long-polling, then upgrades."""

from __future__ import annotations

import json

import httpx
import socketio
import websockets

from sioapp.testing import serve

from .test_admin_protocol import ADMIN, Heard, chat


async def test_an_upgrade_to_websocket_is_reported() -> None:
    app = chat()
    async with serve(app) as url:
        admin = socketio.AsyncClient(reconnection=False)
        heard = Heard(admin, "/admin")
        await admin.connect(url, namespaces=["/admin"], auth=ADMIN, transports=["websocket"])
        try:
            await heard.wait("all_sockets")
            polling = url + "/socket.io/?EIO=4&transport=polling"
            async with httpx.AsyncClient() as http:
                sid = json.loads((await http.get(polling)).text[1:])["sid"]
                await http.post(f"{polling}&sid={sid}", content='40{"name":"bob"}')
                connected = (await http.get(f"{polling}&sid={sid}")).text
                socket_id = json.loads(connected[2:])["sid"]
                listed, _ = await heard.wait("socket_connected", lambda s, at: s["nsp"] == "/")
                assert (listed["id"], listed["transport"]) == (socket_id, "polling")
                (stats,) = await heard.wait("server_stats", lambda s: s["clientsCount"] == 2)
                assert stats["pollingClientsCount"] == 1
                upgrade = url.replace("http", "ws", 1) + (
                    f"/socket.io/?EIO=4&transport=websocket&sid={sid}"
                )
                async with websockets.connect(upgrade) as ws:
                    await ws.send("2probe")
                    assert await ws.recv() == "3probe"
                    await ws.send("5")
                    assert await heard.wait("socket_updated", lambda s: "transport" in s) == [
                        {"id": socket_id, "nsp": "/", "transport": "websocket"}
                    ]
                    (stats,) = await heard.wait(
                        "server_stats",
                        lambda s: s["clientsCount"] == 2 and s["pollingClientsCount"] == 0,
                    )
        finally:
            await admin.disconnect()
