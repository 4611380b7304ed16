"""Typed event handlers: payload binding, validation, acks and the error contract."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel, Field

from sioapp import EventError, PayloadValidationError, RegistrationError, Router, SioApp, Socket

from .conftest import InProcess


class Join(BaseModel):
    room: str = Field(min_length=1, max_length=64)


class Joined(BaseModel):
    room: str
    members: int


@dataclass
class Point:
    x: int
    y: int


def build_app() -> tuple[SioApp, list[tuple[str, Any]]]:
    app = SioApp(title="handlers")
    router = Router()
    seen: list[tuple[str, Any]] = []

    @router.on("join")
    async def join(req: Join, socket: Socket) -> Joined:
        await socket.join(req.room)
        return Joined(room=req.room, members=1)

    @router.on("add")
    async def add(a: int, b: int) -> int:
        return a + b

    @router.on("greet")
    async def greet(name: str, punctuation: str = "!") -> str:
        return f"hello {name}{punctuation}"

    @router.on("sum")
    async def total(label: str, *numbers: float) -> tuple[str, float]:
        return label, sum(numbers)

    @router.on("anything")
    async def anything(value, socket: Socket):  # type: ignore[no-untyped-def]
        return value

    @router.on("maybe")
    async def maybe(found: bool) -> Joined | None:
        return Joined(room="r", members=1) if found else None

    @router.on("thumbnail")
    async def thumbnail(size: int) -> tuple[bytes, dict[str, bytes | int]]:
        return b"\xff" * size, {"raw": b"\x00\x01", "size": size}

    @router.on("nothing")
    async def nothing() -> None:
        seen.append(("nothing", None))

    @router.on("sync")
    def sync_handler(x: int) -> dict[str, Any]:
        time.sleep(0.01)
        return {"doubled": x * 2, "thread": True}

    @router.on("point")
    async def point(x: int, y: int) -> Point:
        return Point(x=x, y=y)

    @router.on("dict as model")
    async def dict_as_model(room: str) -> Joined:
        return {"room": room, "members": "3"}  # type: ignore[return-value]

    @router.on("fail")
    async def fail(kind: str) -> None:
        if kind == "event":
            raise EventError("not_in_room", "You are not in that room", details=[{"room": "x"}])
        raise RuntimeError("secret detail that must not leak")

    @router.on_error
    async def router_errors(exc: Exception, socket: Socket) -> None:
        seen.append(("router", type(exc).__name__))

    @router.on_error
    async def only_event_errors(exc: EventError) -> None:
        seen.append(("router-event-error", exc.code))

    @router.on_error
    async def payload_errors(exc: PayloadValidationError) -> None:
        seen.append(("payload", exc.details[0]["type"]))

    @app.on_error
    async def app_errors(exc: Exception) -> None:
        seen.append(("app", type(exc).__name__))

    app.include_router(router)
    return app, seen


@pytest.fixture
def app_and_seen() -> tuple[SioApp, list[tuple[str, Any]]]:
    return build_app()


async def test_model_argument_and_model_ack(in_process: InProcess, app_and_seen: Any) -> None:
    app, _ = app_and_seen
    c = await in_process(app)
    assert await c.call("join", {"room": "lobby"}) == {"room": "lobby", "members": 1}


async def test_positional_arguments_bind_in_order(in_process: InProcess, app_and_seen: Any) -> None:
    app, _ = app_and_seen
    c = await in_process(app)
    assert await c.call("add", 2, 3) == 5
    assert await c.call("add", "2", 3) == 5  # lax mode, as FastAPI
    assert await c.call("greet", "ann") == "hello ann!"
    assert await c.call("greet", "ann", "?") == "hello ann?"


async def test_var_positional_takes_the_rest_and_tuple_ack_gives_several_args(
    in_process: InProcess, app_and_seen: Any
) -> None:
    app, _ = app_and_seen
    c = await in_process(app)
    assert await c.call("sum", "total", 1, 2, 3.5) == ("total", 6.5)
    assert await c.call("sum", "none") == ("none", 0)


async def test_unannotated_payload_takes_any_json(in_process: InProcess, app_and_seen: Any) -> None:
    app, _ = app_and_seen
    c = await in_process(app)
    value = {"nested": [1, "two", None, {"three": 3.0}]}
    assert await c.call("anything", value) == value


async def test_none_return_acks_with_no_arguments(in_process: InProcess, app_and_seen: Any) -> None:
    app, seen = app_and_seen
    c = await in_process(app)
    assert await c.call("nothing") is None
    assert ("nothing", None) in seen


async def test_optional_return_acks_null_not_nothing(
    in_process: InProcess, app_and_seen: Any
) -> None:
    app, _ = app_and_seen
    c = await in_process(app)
    assert await c.call_args("maybe", False) == [None]
    assert await c.call_args("nothing") == []
    assert await c.call("maybe", True) == {"room": "r", "members": 1}


async def test_bytes_in_the_return_type_are_sent_as_binary(
    in_process: InProcess, app_and_seen: Any
) -> None:
    app, _ = app_and_seen
    c = await in_process(app)
    assert await c.call("thumbnail", 2) == (b"\xff\xff", {"raw": b"\x00\x01", "size": 2})


async def test_sync_handler_runs_off_the_event_loop(
    in_process: InProcess, app_and_seen: Any
) -> None:
    app, _ = app_and_seen
    c = await in_process(app)
    results = await asyncio.gather(*(c.call("sync", n) for n in range(5)))
    assert [r["doubled"] for r in results] == [0, 2, 4, 6, 8]


async def test_dataclass_and_dict_returns_are_serialised_by_the_annotation(
    in_process: InProcess, app_and_seen: Any
) -> None:
    app, _ = app_and_seen
    c = await in_process(app)
    assert await c.call("point", 1, 2) == {"x": 1, "y": 2}
    assert await c.call("dict as model", "r") == {"room": "r", "members": 3}


async def test_invalid_payload_gets_validation_error_ack_without_input_values(
    in_process: InProcess, app_and_seen: Any
) -> None:
    app, seen = app_and_seen
    c = await in_process(app)
    reply = await c.call("join", {"room": "x" * 65, "secret": "do-not-echo"})
    error = reply["error"]
    assert error["code"] == "validation_error"
    assert error["details"] == [
        {
            "loc": ["req", "room"],
            "msg": "String should have at most 64 characters",
            "type": "string_too_long",
        }
    ]
    assert "do-not-echo" not in str(reply) and "xxxx" not in str(reply)
    assert ("router-event-error", "validation_error") in seen
    # the connection is still usable
    assert await c.call("add", 1, 1) == 2


async def test_missing_and_extra_arguments_are_validation_errors(
    in_process: InProcess, app_and_seen: Any
) -> None:
    app, seen = app_and_seen
    c = await in_process(app)
    missing = await c.call("add", 1)
    assert missing["error"]["details"] == [
        {"loc": ["b"], "msg": "Field required", "type": "missing"}
    ]
    extra = await c.call("add", 1, 2, 3)
    assert extra["error"]["code"] == "validation_error"
    assert extra["error"]["details"][0]["loc"] == [2]
    assert ("payload", "missing") in seen and ("payload", "extra_forbidden") in seen


async def test_event_error_gives_its_own_code(in_process: InProcess, app_and_seen: Any) -> None:
    app, seen = app_and_seen
    c = await in_process(app)
    reply = await c.call("fail", "event")
    assert reply == {
        "error": {
            "code": "not_in_room",
            "message": "You are not in that room",
            "details": [{"room": "x"}],
        }
    }
    assert seen[-3:] == [
        ("router", "EventError"),
        ("router-event-error", "not_in_room"),
        ("app", "EventError"),
    ]


async def test_unexpected_exception_is_internal_error_and_logged_with_traceback(
    in_process: InProcess, app_and_seen: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app, seen = app_and_seen
    c = await in_process(app)
    with caplog.at_level(logging.ERROR, logger="sioapp"):
        reply = await c.call("fail", "crash")
    assert reply == {
        "error": {"code": "internal_error", "message": "Internal server error", "details": []}
    }
    assert "secret detail" not in str(reply)
    logged = [r for r in caplog.records if r.exc_info]
    assert logged and "secret detail" in str(logged[-1].exc_info[1])
    assert ("router", "RuntimeError") in seen and ("app", "RuntimeError") in seen
    assert ("router-event-error", "RuntimeError") not in seen
    assert await c.call("add", 2, 2) == 4


async def test_error_without_ack_arrives_as_exception_event(
    in_process: InProcess, app_and_seen: Any
) -> None:
    app, _ = app_and_seen
    c = await in_process(app)
    await c.emit("join", {"room": ""})
    (payload,) = await c.receive("exception")
    assert payload["event"] == "join"
    assert payload["error"]["code"] == "validation_error"
    assert payload["error"]["details"][0]["loc"] == ["req", "room"]


async def test_unknown_event_is_reported(in_process: InProcess, app_and_seen: Any) -> None:
    app, _ = app_and_seen
    c = await in_process(app)
    reply = await c.call("no such event", 1)
    assert reply["error"]["code"] == "unknown_event"
    await c.emit("no such event")
    (payload,) = await c.receive("exception")
    assert payload == {"event": "no such event", **reply}


def test_reserved_event_names_cannot_be_handled() -> None:
    router = Router()
    for name in (
        "connect",
        "connect_error",
        "disconnect",
        "disconnecting",
        "newListener",
        "removeListener",
    ):
        with pytest.raises(ValueError, match="reserved"):
            router.on(name)


def test_duplicate_event_in_a_namespace_fails_at_include_time() -> None:
    app = SioApp()
    first, second, other_ns = Router(), Router(), Router(namespace="/admin")

    @first.on("ping")
    async def ping_a() -> None: ...

    @second.on("ping")
    async def ping_b() -> None: ...

    @other_ns.on("ping")
    async def ping_c() -> None: ...

    app.include_router(first)
    app.include_router(other_ns)  # another namespace may reuse the name
    with pytest.raises(RegistrationError, match="'ping'"):
        app.include_router(second)


def test_duplicate_event_in_one_router_fails_at_decoration() -> None:
    router = Router()

    @router.on("ping")
    async def ping_a() -> None: ...

    with pytest.raises(RegistrationError, match="ping_a"):

        @router.on("ping")
        async def ping_b() -> None: ...


def test_unbindable_parameters_fail_at_registration_naming_handler_and_parameter() -> None:
    router = Router()
    with pytest.raises(RegistrationError, match=r"'.*only_kw'.*parameter 'value'"):

        @router.on("kw")
        async def only_kw(*, value: int) -> None: ...

    with pytest.raises(RegistrationError, match=r"'.*kwargs_handler'.*parameter 'extra'"):

        @router.on("kwargs")
        async def kwargs_handler(**extra: Any) -> None: ...

    with pytest.raises(RegistrationError, match=r"'.*connect_with_payload'.*parameter 'token'"):

        @router.on_connect
        async def connect_with_payload(token: str) -> None: ...


def test_namespace_must_start_with_a_slash() -> None:
    with pytest.raises(ValueError, match="namespace"):
        Router(namespace="admin")
