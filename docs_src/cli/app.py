"""A small app to try the command line with: `sioapp run docs_src.cli.app:app`."""

import logging

from sioapp import DisconnectReason, Router, SioApp, Socket

logger = logging.getLogger(__name__)

app = SioApp(title="Echo")
router = Router()


@router.on("echo")
async def echo(text: str) -> str:
    """Send `text` back."""
    return text


@router.on_disconnect
async def gone(socket: Socket, reason: DisconnectReason) -> None:
    logger.warning("%s left: %s", socket.id, reason)


app.include_router(router)
