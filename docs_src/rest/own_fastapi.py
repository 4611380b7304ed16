"""Bring your own FastAPI app, move the endpoint, tune the server."""

from fastapi import FastAPI

from sioapp import Router, SioApp

api = FastAPI(title="Chat API")


@api.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


app = SioApp(
    fastapi=api,
    socketio_path="realtime",  # clients connect with path "/realtime"
    ping_interval=10,
    ping_timeout=5,
    max_http_buffer_size=100_000,
    cors_allowed_origins=["https://chat.example.com"],
)
chat = Router()


@chat.on("echo")
async def echo(text: str) -> str:
    return text


app.include_router(chat)
