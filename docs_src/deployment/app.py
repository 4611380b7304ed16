"""An app behind a reverse proxy on the same host, for browsers of one site."""

from sioapp import Handshake, Router, SioApp

app = SioApp(
    trusted_proxies=["127.0.0.1", "::1"],  # believe X-Forwarded-* from these peers only
    cors_allowed_origins=["https://chat.example.com"],  # the site's pages, nothing else
)
router = Router()


@router.on("where from")
async def where_from(handshake: Handshake) -> dict[str, object]:
    return {"address": handshake.address, "secure": handshake.secure}


app.include_router(router)
