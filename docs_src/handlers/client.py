"""What a python-socketio client sends, and what it gets back, for each handler."""

import asyncio

import socketio


async def try_payloads(client: socketio.AsyncClient) -> None:
    # --8<-- [start:model]
    assert await client.call("join", {"room": "lobby"}) == "lobby"
    # --8<-- [end:model]
    # --8<-- [start:positional]
    assert await client.call("add", (2, 3)) == 5  # a tuple sends several arguments
    assert await client.call("add", ("2", 3)) == 5  # "2" is a valid int, as in FastAPI
    assert await client.call("greet", "ann") == "hello ann!"
    assert await client.call("greet", ("ann", "?")) == "hello ann?"
    # --8<-- [end:positional]
    # --8<-- [start:rest]
    assert await client.call("sum", ("total", 1, 2, 3.5)) == "total: 6.5"
    assert await client.call("sum", "none") == "none: 0"
    # --8<-- [end:rest]
    # --8<-- [start:any]
    assert await client.call("echo", {"any": ["json", 1, None]}) == {"any": ["json", 1, None]}
    # --8<-- [end:any]
    # --8<-- [start:sync]
    squares = await asyncio.gather(*(client.call("slow square", n) for n in range(4)))
    assert squares == [0, 1, 4, 9]
    # --8<-- [end:sync]
    # --8<-- [start:injected]
    where = await client.call("where am i")
    assert where == {"id": client.get_sid(), "namespace": "/", "title": "Handlers"}
    # --8<-- [end:injected]


async def try_acks(client: socketio.AsyncClient) -> None:
    # --8<-- [start:acks]
    assert await client.call("model") == {"room": "lobby", "members": 3}
    assert await client.call("dict as model") == {"room": "lobby", "members": 3}
    assert await client.call("dataclass") == {"x": 1, "y": 2}
    assert await client.call("two values") == ("lobby", 3)  # two ack arguments
    assert await client.call("nothing") is None  # an ack without arguments
    assert await client.call("unannotated") == {"today": "2026-11-26"}
    assert await client.call("any") == ("a", 1)  # an unannotated tuple: several arguments
    # --8<-- [end:acks]
