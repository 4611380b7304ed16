"""The contract pages, and FastAPI's own API docs, behind one dependency: staff only."""

import secrets
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from sioapp import Router, SioApp

# --8<-- [start:protected]
basic = HTTPBasic()


def staff_only(credentials: Annotated[HTTPBasicCredentials, Depends(basic)]) -> None:
    if not secrets.compare_digest(credentials.password.encode(), b"open sesame"):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "Not staff", headers={"WWW-Authenticate": "Basic"}
        )


app = SioApp(
    title="Chat",
    docs_dependencies=[Depends(staff_only)],
    # ... and FastAPI's own /docs, /redoc and /openapi.json, which it does not guard: off.
    fastapi=FastAPI(title="Chat", docs_url=None, redoc_url=None, openapi_url=None),
)
# --8<-- [end:protected]


# --8<-- [start:api_docs]
@app.fastapi.get("/openapi.json", include_in_schema=False, dependencies=[Depends(staff_only)])
async def openapi() -> dict[str, Any]:
    return app.fastapi.openapi()


@app.fastapi.get("/docs", include_in_schema=False, dependencies=[Depends(staff_only)])
async def api_docs() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title="Chat API")


# --8<-- [end:api_docs]
chat = Router()


@chat.on("ping")
async def ping() -> str:
    return "pong"


app.include_router(chat)
