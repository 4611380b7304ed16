"""Serving the contract beside the app's REST routes."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from fastapi import FastAPI, Response, params
from fastapi.responses import HTMLResponse

from sioapp.contract.assets import asset
from sioapp.contract.documents import documents
from sioapp.contract.source import Documented

__all__ = ["CLIENT_SCRIPT", "mount_docs"]

#: The browser Socket.IO client the page uses, served at ``{docs_url}/client.js``.
CLIENT_SCRIPT = "client.js"


def _policy() -> str:
    """The page's policy, with ``frame-ancestors``, which only a header can carry."""
    from sioapp.contract.page import content_security_policy  # imports jinja2: on first use

    return f"{content_security_policy()}; frame-ancestors 'none'"


def mount_docs(
    fastapi: FastAPI,
    app: Documented,
    docs_url: str,
    dependencies: Sequence[params.Depends] = (),
) -> None:
    """Serve the HTML page at ``docs_url``, the AsyncAPI document at ``{docs_url}.json`` and
    ``{docs_url}.yaml``, and the page's Socket.IO client at ``{docs_url}/client.js``, each
    behind the FastAPI ``dependencies``. The page's Content-Security-Policy is sent as a
    header too, where it also forbids framing the page."""
    path = "/" + docs_url.strip("/")
    if path == "/":
        raise ValueError(f"docs_url must be a path such as '/asyncapi', not {docs_url!r}")
    get = functools.partial(
        fastapi.router.get, include_in_schema=False, dependencies=list(dependencies)
    )

    @get(path)
    async def page() -> HTMLResponse:
        return HTMLResponse(documents(app).html, headers={"Content-Security-Policy": _policy()})

    @get(path + ".json")
    async def asyncapi_json() -> Response:
        return Response(documents(app).asyncapi_json, media_type="application/json")

    @get(path + ".yaml")
    async def asyncapi_yaml() -> Response:
        return Response(documents(app).asyncapi_yaml, media_type="application/yaml")

    @get(f"{path}/{CLIENT_SCRIPT}")
    async def client_script() -> Response:
        return Response(asset(CLIENT_SCRIPT), media_type="text/javascript")
