"""Ann and Bob chat through the finished app, using python-socketio's client.

Start the app with `sioapp run docs_src.tutorial.step5_leaving:app`, then run
`python -m docs_src.tutorial.client`.
"""

import asyncio
import sys
from typing import Any

import socketio


async def chat(url: str) -> list[str]:
    """Run the conversation; returns what Bob saw, one line per event."""
    ann = socketio.AsyncClient()
    bob = socketio.AsyncClient()
    seen: list[str] = []
    names: dict[str, str] = {}
    ann_left = asyncio.Event()

    @bob.on("user joined")
    async def user_joined(event: dict[str, Any]) -> None:
        seen.append(f"{event['name']} joined {event['room']}")

    @bob.on("chat message")
    async def chat_message(message: dict[str, Any]) -> None:
        seen.append(f"[{message['room']}] {message['name']}: {message['text']}")

    @bob.on("private message")
    async def private_message(sender: str, text: str) -> None:
        seen.append(f"private from {names[sender]}: {text}")

    @bob.on("user left")
    async def user_left(event: dict[str, Any]) -> None:
        seen.append(f"{event['name']} left {event['room']} ({event['reason']})")
        ann_left.set()

    await bob.connect(url, auth={"token": "token-bob"}, transports=["websocket"])
    await ann.connect(url, auth={"token": "token-ann"}, transports=["websocket"])

    # --8<-- [start:join]
    print(await bob.call("join", {"room": "lobby"}))  # {'room': 'lobby', 'members': ['bob']}
    print(await ann.call("join", {"room": "lobby"}))  # {'room': 'lobby', 'members': ['ann', 'bob']}
    # --8<-- [end:join]
    names.update((user["id"], user["name"]) for user in await bob.call("users"))
    await ann.call("chat message", {"room": "lobby", "text": "hi all"})
    await ann.call("private message", (bob.get_sid(), "psst"))

    await ann.disconnect()
    await asyncio.wait_for(ann_left.wait(), 5)
    await bob.disconnect()
    return seen


async def main(url: str) -> None:
    for line in await chat(url):
        print(line)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"))
