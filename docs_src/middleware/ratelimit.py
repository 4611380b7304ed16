"""A chat whose clients may send 5 events a second, 10 in a burst."""

from sioapp import RateLimit, Router, SioApp

app = SioApp()
chat = Router()

# --8<-- [start:ratelimit]
chat.use_packets(RateLimit(per_second=5, burst=10, disconnect_after=20))
# --8<-- [end:ratelimit]


@chat.on("say")
async def say(text: str) -> str:
    return text


app.include_router(chat)
