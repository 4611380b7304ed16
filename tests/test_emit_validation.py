"""Declared server-to-client events are checked against their declaration when emitted."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from sioapp import EmitValidationError, Router, SioApp, Socket

from .conftest import InProcess, events


class Score(BaseModel):
    player: str
    points: int


def build_app(**options: Any) -> SioApp:
    app = SioApp(**options)
    router = Router()
    router.emits("user has left", str)
    router.emits("private message", from_id=str, text=str)
    router.emits("score")(Score)
    admin = Router("/admin")
    admin.emits("user has left", int)

    @router.on("emit")
    async def emit(name: str, args: list[Any], socket: Socket) -> str:
        try:
            await socket.emit(name, *args)
        except EmitValidationError as exc:
            return str(exc)
        return "sent"

    @router.on("broadcast")
    async def broadcast(name: str, args: list[Any], app: SioApp) -> str:
        try:
            await app.emit(name, *args)
        except EmitValidationError as exc:
            return str(exc)
        return "sent"

    app.include_router(router)
    app.include_router(admin)
    return app


@pytest.mark.parametrize(
    ("name", "args", "outcome"),
    [
        ("user has left", ["abc"], "sent"),
        ("user has left", [5], "emitting 'user has left': argument value: Input should be a"),
        ("private message", ["a", "hi"], "sent"),
        ("private message", ["a", 3], "emitting 'private message': argument text: Input"),
        ("private message", ["a"], "takes 2 argument(s) (from_id, text), not 1"),
        ("score", [{"player": "ann", "points": 3}], "sent"),
        ("score", [{"player": "ann"}], "argument score.points: Field required"),
        ("undeclared", [1, {"any": "thing"}], "sent"),
    ],
)
async def test_emits_are_checked_against_their_declaration(
    in_process: InProcess, name: str, args: list[Any], outcome: str
) -> None:
    c = await in_process(build_app())
    for event in ("emit", "broadcast"):
        reply = await c.call(event, name, args)
        assert outcome in reply if outcome != "sent" else reply == "sent", reply


async def test_a_refused_broadcast_reaches_nobody(in_process: InProcess) -> None:
    app = build_app()
    sender, listener = await in_process(app), await in_process(app)
    assert (await sender.call("broadcast", "user has left", [5])).startswith("emitting")
    assert await sender.call("broadcast", "user has left", ["after"]) == "sent"
    assert await listener.receive("user has left") == ["after"]
    assert events(listener, "user has left") == [["after"]]  # the refused one never came


def test_a_model_instance_is_checked_once_and_cheaply() -> None:
    app = build_app()
    check = app.server.manager.emit_check
    assert check is not None
    check("/", "score", (Score(player="ann", points=1),))
    with pytest.raises(EmitValidationError) as refused:
        check("/", "score", ("not a score",))
    assert refused.value.event == "score"
    assert refused.value.details[0]["loc"][0] == "score"
    check("/admin", "user has left", (5,))  # declared differently in that namespace


async def test_checks_can_be_turned_off(in_process: InProcess) -> None:
    c = await in_process(build_app(validate_emits=False))
    assert await c.call("emit", "user has left", [5]) == "sent"
