"""The contract pages behind a FastAPI dependency: HTTP basic auth for staff."""

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from sioapp import Router, SioApp

# --8<-- [start:protected]
basic = HTTPBasic()


def staff_only(credentials: Annotated[HTTPBasicCredentials, Depends(basic)]) -> None:
    if not secrets.compare_digest(credentials.password.encode(), b"open sesame"):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "Not staff", headers={"WWW-Authenticate": "Basic"}
        )


app = SioApp(title="Chat", docs_dependencies=[Depends(staff_only)])
# --8<-- [end:protected]
chat = Router()


@chat.on("ping")
async def ping() -> str:
    return "pong"


app.include_router(chat)
