"""A chat whose Prometheus metrics are served at /metrics, to the scraper that has the token."""

import os
import secrets

from fastapi import Depends, Header, HTTPException

from sioapp import Router, SioApp, Socket

# --8<-- [start:app]
SCRAPE_TOKEN = os.environ["SCRAPE_TOKEN"]  # Prometheus sends it as a bearer token


def scraper(authorization: str = Header("")) -> None:
    if not secrets.compare_digest(authorization, f"Bearer {SCRAPE_TOKEN}"):
        raise HTTPException(status_code=401, detail="Unknown scraper")


app = SioApp(metrics_url="/metrics", metrics_dependencies=[Depends(scraper)])
# --8<-- [end:app]
chat = Router()


@chat.on("join")
async def join(room: str, socket: Socket) -> bool:
    await socket.join(room)
    return True


@chat.on("say")
async def say(room: str, text: str, socket: Socket) -> bool:
    await socket.to(room).emit("said", socket.id, text)
    return True


app.include_router(chat)
