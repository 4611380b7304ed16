"""Handshake ``auth`` declared with a type on connection middleware is validated."""

from __future__ import annotations

from typing import Any

import pytest
import socketio
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from sioapp import AuthValidationError, ConnectionRefused, RegistrationError, Router, SioApp, Socket

from .conftest import InProcess


class Credentials(BaseModel):
    token: str = Field(min_length=6)
    device: str = "web"


class Role(TypedDict):
    role: str


def build_app() -> tuple[SioApp, list[Any]]:
    app = SioApp()
    admin = Router(namespace="/admin")
    chat = Router()
    seen: list[Any] = []

    @app.use
    async def authenticate(auth: Credentials, socket: Socket) -> None:
        seen.append(auth)
        if auth.token != "secret":
            raise ConnectionRefused("unknown user")
        socket.data["device"] = auth.device

    @admin.use
    async def admins_only(auth: Role) -> None:
        seen.append(auth)

    @chat.on_connect
    async def connected(socket: Socket) -> None:
        seen.append(f"on_connect {socket.data['device']}")

    @chat.on("device")
    async def device(socket: Socket) -> str:
        return str(socket.data["device"])

    app.include_router(chat)
    app.include_router(admin)
    return app, seen


def invalid(*details: dict[str, Any]) -> dict[str, Any]:
    return {"message": "Invalid auth", "data": {"code": "validation_error", "details": [*details]}}


async def test_valid_auth_reaches_middleware_as_the_declared_type(
    in_process: InProcess,
) -> None:
    app, seen = build_app()
    c = await in_process(app, auth={"token": "secret", "device": "phone"})
    assert await c.call("device") == "phone"
    assert seen[0] == Credentials(token="secret", device="phone")
    assert seen[1] == "on_connect phone"

    await in_process(app, namespace="/admin", auth={"token": "secret", "role": "owner"})
    assert seen[2:] == [Credentials(token="secret"), {"role": "owner"}]


async def test_invalid_auth_is_refused_before_any_handler_runs(in_process: InProcess) -> None:
    app, seen = build_app()
    cases: list[tuple[dict[str, Any] | None, dict[str, Any]]] = [
        (None, invalid({"loc": ["token"], "msg": "Field required", "type": "missing"})),
        (
            {"token": "hunter2-but-a-list", "device": ["x"]},
            invalid(
                {"loc": ["device"], "msg": "Input should be a valid string", "type": "string_type"}
            ),
        ),
        (
            {"token": "short"},
            invalid(
                {
                    "loc": ["token"],
                    "msg": "String should have at least 6 characters",
                    "type": "string_too_short",
                }
            ),
        ),
    ]
    for auth, expected in cases:
        with pytest.raises(ConnectionRefused) as refused:
            await in_process(app, auth=auth)
        reply = {"message": refused.value.message, "data": refused.value.data}
        assert reply == expected
        assert "hunter2" not in str(reply)  # no input value is echoed
    assert seen == []  # no middleware body, no on_connect handler
    assert not app.server.sockets

    # the namespace's own middleware validates its own type, after the app's
    with pytest.raises(ConnectionRefused) as refused:
        await in_process(app, namespace="/admin", auth={"token": "secret"})
    assert {"message": refused.value.message, "data": refused.value.data} == invalid(
        {"loc": ["role"], "msg": "Field required", "type": "missing"}
    )
    assert seen == [Credentials(token="secret")]

    # valid auth connects
    c = await in_process(app, auth={"token": "secret"})
    assert c.sid in app.server.sockets


async def test_python_client_sees_the_validation_error_as_connect_error(served: Any) -> None:
    app, _ = build_app()
    url = await served(app)
    sio = socketio.AsyncClient(reconnection=False)
    errors: list[Any] = []
    sio.on("connect_error", errors.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await sio.connect(url, auth={"token": 123456}, transports=["websocket"], wait_timeout=5)
    assert errors == [
        invalid({"loc": ["token"], "msg": "Input should be a valid string", "type": "string_type"})
    ]


async def test_unannotated_auth_is_the_raw_mapping(in_process: InProcess) -> None:
    app = SioApp()
    received: list[Any] = []

    @app.use
    async def record(auth) -> None:  # type: ignore[no-untyped-def]
        received.append(auth)

    await in_process(app, auth={"anything": [1, 2]})
    assert received == [{"anything": [1, 2]}]


def test_auth_is_only_for_connection_middleware() -> None:
    app = SioApp()
    router = Router()

    @router.on_connect
    async def connected(auth: Credentials) -> None:
        raise AssertionError("never registered")

    with pytest.raises(RegistrationError, match="'auth' cannot be bound"):
        app.include_router(router)


class Opaque:
    """A class pydantic has no schema for."""


def test_auth_of_a_type_pydantic_cannot_validate_is_refused_at_registration() -> None:
    app = SioApp()
    with pytest.raises(RegistrationError, match="parameter 'auth' cannot be validated"):

        @app.use
        async def check(auth: Opaque) -> None:
            raise AssertionError("never registered")


def test_the_error_keeps_its_details() -> None:
    error = AuthValidationError([{"loc": ["token"], "msg": "Field required", "type": "missing"}])
    assert isinstance(error, ConnectionRefused)
    assert error.message == "Invalid auth"
    assert error.data == {"code": "validation_error", "details": error.details}
