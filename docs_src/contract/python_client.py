"""A client of docs_src/contract/app.py, through the module generated with
``sioapp docs docs_src.contract.app:app --format python -o chat_client.py``."""

import asyncio

from chat_client import Client, EventError, Join, UserJoined


async def main(url: str) -> None:
    alice, bob = Client(), Client()
    await alice.connect(url)
    await bob.connect(url)
    arrivals: asyncio.Queue[UserJoined] = asyncio.Queue()
    alice.on_user_joined(arrivals.put)  # a typed handler: it receives a UserJoined

    await alice.join(Join(room="lobby"))
    room = await bob.join(Join(room="lobby"))  # the ack, validated: a Joined
    print(f"{room.members} members in {room.room}")
    print(f"alice heard of a new member in {(await arrivals.get()).room}")
    print(await bob.add(2, 3))
    try:
        await bob.join(Join.model_construct(room=""))  # skips the client's own validation
    except EventError as error:  # the server's error reply
        print(error.code, error.details[0].loc)
    await alice.disconnect()
    await bob.disconnect()
