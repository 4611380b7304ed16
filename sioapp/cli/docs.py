"""The event contract in each output format, and a small server for its page."""

from __future__ import annotations

import enum
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from sioapp import contract
from sioapp._app.app import SioApp

__all__ = ["DocsFormat", "docs_site", "render"]


class DocsFormat(enum.StrEnum):
    """What ``sioapp docs`` writes."""

    JSON = "json"
    YAML = "yaml"
    HTML = "html"
    TS = "ts"
    PYTHON = "python"


RENDERERS: dict[DocsFormat, Callable[[SioApp], str]] = {
    DocsFormat.JSON: contract.asyncapi_json,
    DocsFormat.YAML: contract.asyncapi_yaml,
    DocsFormat.HTML: contract.html,
    DocsFormat.TS: contract.typescript,
    DocsFormat.PYTHON: contract.python_client,
}


def render(app: SioApp, fmt: DocsFormat) -> str:
    """The contract of ``app`` as ``fmt``, ending with a newline."""
    text = RENDERERS[fmt](app)
    return text if text.endswith("\n") else text + "\n"


def docs_site(app: SioApp) -> Starlette:
    """An ASGI app serving only the contract: the page at ``/``, the AsyncAPI document
    at ``/asyncapi.json`` and ``/asyncapi.yaml``. The page is self-contained; its
    "try it" panel talks to the app's own server."""
    page = contract.html(app)
    document = contract.asyncapi_json(app)
    yaml_document = contract.asyncapi_yaml(app)

    async def show_page(request: Request) -> Response:
        return HTMLResponse(page)

    async def show_json(request: Request) -> Response:
        return Response(document, media_type="application/json")

    async def show_yaml(request: Request) -> Response:
        return Response(yaml_document, media_type="application/yaml")

    return Starlette(
        routes=[
            Route("/", show_page),
            Route("/asyncapi.json", show_json),
            Route("/asyncapi.yaml", show_yaml),
        ]
    )
