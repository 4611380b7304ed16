"""Errors: raised on purpose, failed validation, and bugs; each one reaches the client."""

import logging

from pydantic import BaseModel, Field

from sioapp import EventError, PayloadValidationError, Router, SioApp, Socket

logger = logging.getLogger(__name__)

app = SioApp()
rooms = Router()


class Join(BaseModel):
    room: str = Field(min_length=1, max_length=64)


# --8<-- [start:raise]
@rooms.on("join")
async def join(req: Join, socket: Socket) -> list[str]:
    if req.room.startswith("admin"):
        raise EventError("forbidden", "Only admins may join this room", details=[req.room])
    await socket.join(req.room)
    return sorted(socket.rooms - {socket.id})


@rooms.on("crash")
async def crash() -> None:
    raise RuntimeError("database password is hunter2")  # never sent to the client


# --8<-- [end:raise]


# --8<-- [start:on_error]
@rooms.on_error
async def count_failures(socket: Socket) -> None:
    """No exception parameter: runs for every error of this router's events."""
    socket.data["failures"] = socket.data.get("failures", 0) + 1


@rooms.on_error
async def audit_validation(exc: PayloadValidationError, socket: Socket) -> None:
    """Runs only for invalid payloads."""
    logger.info("%s sent an invalid payload: %s", socket.id, exc.details)


@app.on_error
async def report_bugs(exc: Exception, socket: Socket) -> None:
    """App-wide, after the routers' own handlers; here, anything but an EventError."""
    if not isinstance(exc, EventError):
        logger.info("bug report for %s: %r", socket.id, exc)


# --8<-- [end:on_error]


@rooms.on("failures")
async def failures(socket: Socket) -> int:
    return int(socket.data.get("failures", 0))


app.include_router(rooms)
