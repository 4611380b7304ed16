"""``sioapp.contract.diff``: one row per rule, each a pair of small apps and the change found.

Client-to-server arguments and the handshake's auth are input (narrowing breaks old
clients), server-to-client arguments and acks output (widening breaks them).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, create_model

from sioapp import Router, SioApp, contract
from sioapp.contract.diff import Change, Level, NotAContract, diff
from sioapp.contract.model import Direction

from .contract.sample_app import create_app

IN, OUT = Direction.CLIENT_TO_SERVER, Direction.SERVER_TO_CLIENT
BREAKING, COMPATIBLE, INFO = Level.BREAKING, Level.COMPATIBLE, Level.INFO
NO_ACK: Any = inspect.Signature.empty

Build = Callable[[Router], None]


def model(title: str, /, *, forbid: bool = False, **fields: Any) -> type[BaseModel]:
    """A model called ``title``; each field a type, or (type, default or ``Field``)."""
    config = ConfigDict(extra="forbid") if forbid else None
    specs = {key: spec if isinstance(spec, tuple) else (spec, ...) for key, spec in fields.items()}
    return create_model(title, __config__=config, **specs)


def on(event: str, returns: Any = NO_ACK, *, star: Any = None, **params: Any) -> Build:
    """Handle ``event`` with payload parameters ``params`` (a type, or (type, default)),
    then ``*rest`` of type ``star`` when given."""

    def build(router: Router) -> None:
        async def handler(*args: Any) -> Any:
            return None

        parameters = [
            inspect.Parameter(
                name,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                annotation=spec[0] if isinstance(spec, tuple) else spec,
                default=spec[1] if isinstance(spec, tuple) else inspect.Parameter.empty,
            )
            for name, spec in params.items()
        ]
        if star is not None:
            parameters.append(
                inspect.Parameter("rest", inspect.Parameter.VAR_POSITIONAL, annotation=star)
            )
        handler.__signature__ = inspect.Signature(parameters, return_annotation=returns)  # type: ignore[attr-defined]
        handler.__annotations__ = {p.name: p.annotation for p in parameters}
        if returns is not NO_ACK:
            handler.__annotations__["return"] = returns
        router.on(event)(handler)

    return build


def emits(event: str, *types: Any, **named: Any) -> Build:
    """Declare the server-to-client ``event``."""
    return lambda router: router.emits(event, *types, **named) and None


def typed_auth(annotation: Any) -> Callable[..., Any]:
    """Connection middleware whose ``auth`` is ``annotation``."""

    async def authenticate(auth: Any) -> None:
        return None

    authenticate.__annotations__ = {"auth": annotation}
    return authenticate


def make(
    *builds: Build, auth: Any = None, app_auth: Any = None, namespace: str = "/", doc: str = ""
) -> SioApp:
    """An app with ``builds`` in ``namespace``; ``auth`` typed by the namespace's middleware,
    ``app_auth`` by the app's."""
    app = SioApp(description=doc)
    router = Router(namespace)
    for build in builds:
        build(router)
    if auth is not None:
        router.use(typed_auth(auth))
    if app_auth is not None:
        app.use(typed_auth(app_auth))
    app.include_router(router)
    return app


def changes_between(old: SioApp, new: SioApp) -> list[Change]:
    return diff(contract.asyncapi(old), contract.asyncapi(new))


def room(**field: Any) -> type[BaseModel]:
    return model("Join", room=(str, Field(**field)))


def join(**fields: Any) -> Build:
    return on("join", req=model("Join", **fields))


def said(**fields: Any) -> Build:
    return emits("said", model("Said", **fields))


def acked(returns: Any) -> Build:
    return on("ping", returns)


class Circle(BaseModel):
    kind: Literal["circle"]
    radius: float


class Square(BaseModel):
    kind: Literal["square"]
    side: float


@dataclass(frozen=True)
class Rule:
    old: SioApp
    new: SioApp
    level: Level
    direction: Direction | None
    place: str
    message: str


RULES: dict[str, Rule] = {
    # ---- events
    "client-to-server event removed": Rule(
        make(join(room=str), on("ping")), make(join(room=str)), BREAKING, IN, "event", "removed"
    ),
    "client-to-server event added": Rule(
        make(join(room=str)), make(join(room=str), on("ping")), COMPATIBLE, IN, "event", "new"
    ),
    "server-to-client event removed": Rule(
        make(said(text=str), emits("left", str)),
        make(said(text=str)),
        BREAKING,
        OUT,
        "event",
        "removed",
    ),
    "server-to-client event added": Rule(
        make(said(text=str)),
        make(said(text=str), emits("left", str)),
        COMPATIBLE,
        OUT,
        "event",
        "new",
    ),
    "namespace removed": Rule(
        make(on("ping"), namespace="/admin"), make(), BREAKING, IN, "namespace", "removed"
    ),
    "namespace added": Rule(
        make(), make(on("ping"), namespace="/admin"), COMPATIBLE, IN, "namespace", "new"
    ),
    # ---- input: what the server accepts
    "input: new required field": Rule(
        make(join(room=str)),
        make(join(room=str, key=str)),
        BREAKING,
        IN,
        "payload.key",
        "new required field",
    ),
    "input: new optional field": Rule(
        make(join(room=str)),
        make(join(room=str, key=(str, ""))),
        COMPATIBLE,
        IN,
        "payload.key",
        "new optional field",
    ),
    "input: maxLength lowered": Rule(
        make(on("join", req=room(max_length=64))),
        make(on("join", req=room(max_length=32))),
        BREAKING,
        IN,
        "payload.room",
        "maxLength lowered from 64 to 32",
    ),
    "input: maxLength raised": Rule(
        make(on("join", req=room(max_length=32))),
        make(on("join", req=room(max_length=64))),
        COMPATIBLE,
        IN,
        "payload.room",
        "maxLength raised from 32 to 64",
    ),
    "input: minLength added": Rule(
        make(on("join", req=room())),
        make(on("join", req=room(min_length=1))),
        BREAKING,
        IN,
        "payload.room",
        "minLength 1 added",
    ),
    "input: field becomes required": Rule(
        make(join(room=(str, "lobby"))),
        make(join(room=str)),
        BREAKING,
        IN,
        "payload.room",
        "now required",
    ),
    "input: field becomes optional": Rule(
        make(join(room=str)),
        make(join(room=(str, "lobby"))),
        COMPATIBLE,
        IN,
        "payload.room",
        "now optional",
    ),
    "input: enum loses a value": Rule(
        make(join(color=Literal["red", "blue"])),
        make(join(color=Literal["red"])),
        BREAKING,
        IN,
        "payload.color",
        'lost "blue"',
    ),
    "input: enum gains a value": Rule(
        make(join(color=Literal["red"])),
        make(join(color=Literal["red", "blue"])),
        COMPATIBLE,
        IN,
        "payload.color",
        'gained "blue"',
    ),
    "input: type changed": Rule(
        make(join(room=str)),
        make(join(room=int)),
        BREAKING,
        IN,
        "payload.room",
        "type changed from string to integer",
    ),
    "input: integer widened to number": Rule(
        make(join(size=int)),
        make(join(size=float)),
        COMPATIBLE,
        IN,
        "payload.size",
        "number now allowed",
    ),
    "input: null no longer accepted": Rule(
        make(join(topic=str | None)),
        make(join(topic=str)),
        BREAKING,
        IN,
        "payload.topic",
        "null no longer allowed",
    ),
    "input: null now accepted": Rule(
        make(join(topic=str)),
        make(join(topic=str | None)),
        COMPATIBLE,
        IN,
        "payload.topic",
        "null now allowed",
    ),
    "input: a union loses a member": Rule(
        make(on("draw", shape=Circle | Square)),
        make(on("draw", shape=Circle)),
        BREAKING,
        IN,
        "payload",
        "Square no longer allowed",
    ),
    "input: a union gains a member": Rule(
        make(on("draw", shape=Circle)),
        make(on("draw", shape=Circle | Square)),
        COMPATIBLE,
        IN,
        "payload",
        "Square now allowed",
    ),
    "input: pattern added": Rule(
        make(on("join", req=room())),
        make(on("join", req=room(pattern="^[a-z]+$"))),
        BREAKING,
        IN,
        "payload.room",
        "pattern",
    ),
    "input: minimum raised": Rule(
        make(on("join", req=model("Join", size=(int, Field(ge=0))))),
        make(on("join", req=model("Join", size=(int, Field(gt=0))))),
        BREAKING,
        IN,
        "payload.size",
        "minimum raised from >= 0 to > 0",
    ),
    "input: unknown fields now refused": Rule(
        make(join(room=str)),
        make(on("join", req=model("Join", forbid=True, room=str))),
        BREAKING,
        IN,
        "payload",
        "other fields no longer allowed",
    ),
    "input: field removed, others ignored": Rule(
        make(join(room=str, key=str)),
        make(join(room=str)),
        COMPATIBLE,
        IN,
        "payload.key",
        "ignored",
    ),
    "input: field removed, others refused": Rule(
        make(on("join", req=model("Join", forbid=True, room=str, key=str))),
        make(on("join", req=model("Join", forbid=True, room=str))),
        BREAKING,
        IN,
        "payload.key",
        "refused",
    ),
    "input: new required argument": Rule(
        make(on("say", text=str)),
        make(on("say", text=str, room=str)),
        BREAKING,
        IN,
        "payload[1]",
        "new required argument",
    ),
    "input: new optional argument": Rule(
        make(on("say", to=str, text=str)),
        make(on("say", to=str, text=str, room=(str, "x"))),
        COMPATIBLE,
        IN,
        "payload[2]",
        "new optional argument",
    ),
    "input: argument removed": Rule(
        make(on("say", to=str, text=str, room=str)),
        make(on("say", to=str, text=str)),
        BREAKING,
        IN,
        "payload[2]",
        "argument removed (old clients' extra arguments are refused)",
    ),
    "input: an optional argument becomes required": Rule(
        make(on("say", text=(str, "hi"))),
        make(on("say", text=str)),
        BREAKING,
        IN,
        "payload",
        "argument now required",
    ),
    "input: more arguments accepted (*args)": Rule(
        make(on("sum", first=int)),
        make(on("sum", first=int, star=int)),
        COMPATIBLE,
        IN,
        "payload[*]",
        "now takes any number of further arguments",
    ),
    "input: no more *args": Rule(
        make(on("sum", first=int, star=int)),
        make(on("sum", first=int)),
        BREAKING,
        IN,
        "payload[*]",
        "no longer takes further arguments",
    ),
    "input: arguments where there were none": Rule(
        make(on("ping")),
        make(on("ping", text=str)),
        BREAKING,
        IN,
        "payload[0]",
        "new required argument",
    ),
    "input: optional arguments where there were none": Rule(
        make(on("ping")),
        make(on("ping", text=(str, "hi"))),
        COMPATIBLE,
        IN,
        "payload[0]",
        "new optional argument",
    ),
    "input: a nested model's field, through $ref": Rule(
        make(join(owner=model("Owner", name=(str, Field(max_length=9))))),
        make(join(owner=model("Owner", name=(str, Field(max_length=3))))),
        BREAKING,
        IN,
        "payload.owner.name",
        "maxLength lowered from 9 to 3",
    ),
    # ---- output: what the server sends
    "output: field removed": Rule(
        make(said(text=str, by=str)),
        make(said(text=str)),
        BREAKING,
        OUT,
        "payload.by",
        "field removed",
    ),
    "output: field added": Rule(
        make(said(text=str)),
        make(said(text=str, by=str)),
        COMPATIBLE,
        OUT,
        "payload.by",
        "new field",
    ),
    "output: field type changed": Rule(
        make(said(at=int)),
        make(said(at=str)),
        BREAKING,
        OUT,
        "payload.at",
        "type changed",
    ),
    "output: field may be missing": Rule(
        make(said(by=str)),
        make(said(by=(str, "nobody"))),
        BREAKING,
        OUT,
        "payload.by",
        "now optional",
    ),
    "output: enum gains a value": Rule(
        make(said(level=Literal[1])),
        make(said(level=Literal[1, 2])),
        BREAKING,
        OUT,
        "payload.level",
        "gained 2",
    ),
    "output: enum loses a value": Rule(
        make(said(level=Literal[1, 2])),
        make(said(level=Literal[1])),
        COMPATIBLE,
        OUT,
        "payload.level",
        "lost 2",
    ),
    "output: integer widened to number": Rule(
        make(emits("tick", int)),
        make(emits("tick", float)),
        BREAKING,
        OUT,
        "payload",
        "number now allowed",
    ),
    "output: argument added": Rule(
        make(emits("whisper", text=str)),
        make(emits("whisper", text=str, by=str)),
        COMPATIBLE,
        OUT,
        "payload[1]",
        "new argument",
    ),
    "output: argument removed": Rule(
        make(emits("whisper", text=str, by=str)),
        make(emits("whisper", text=str)),
        BREAKING,
        OUT,
        "payload[1]",
        "argument removed",
    ),
    # ---- acks: output too
    "ack added": Rule(
        make(acked(NO_ACK)), make(acked(str)), COMPATIBLE, OUT, "ack", "now acknowledged"
    ),
    "ack removed": Rule(
        make(acked(str)), make(acked(NO_ACK)), BREAKING, OUT, "ack", "no longer acknowledged"
    ),
    "ack field removed": Rule(
        make(acked(model("Pong", at=int, by=str))),
        make(acked(model("Pong", at=int))),
        BREAKING,
        OUT,
        "ack.by",
        "field removed",
    ),
    "ack field added": Rule(
        make(acked(model("Pong", at=int))),
        make(acked(model("Pong", at=int, by=str))),
        COMPATIBLE,
        OUT,
        "ack.by",
        "new field",
    ),
    "ack type changed": Rule(
        make(acked(int)), make(acked(str)), BREAKING, OUT, "ack", "type changed"
    ),
    "ack may now be null": Rule(
        make(acked(int)), make(acked(int | None)), BREAKING, OUT, "ack", "null now allowed"
    ),
    # ---- the handshake's auth: input
    "auth now typed": Rule(
        make(),
        make(auth=model("Credentials", token=str)),
        BREAKING,
        IN,
        "auth",
        "now checked against a type",
    ),
    "auth no longer typed": Rule(
        make(auth=model("Credentials", token=str)),
        make(),
        COMPATIBLE,
        IN,
        "auth",
        "no longer checked",
    ),
    "auth: new required field": Rule(
        make(auth=model("Credentials", token=str)),
        make(auth=model("Credentials", token=str, tenant=str)),
        BREAKING,
        IN,
        "auth.tenant",
        "new required field",
    ),
    "auth: new optional field": Rule(
        make(auth=model("Credentials", token=str)),
        make(auth=model("Credentials", token=str, tenant=(str, "main"))),
        COMPATIBLE,
        IN,
        "auth.tenant",
        "new optional field",
    ),
    "auth: one more middleware's type to match": Rule(
        make(app_auth=model("Credentials", token=str)),
        make(app_auth=model("Credentials", token=str), auth=model("Role", role=(str, "admin"))),
        BREAKING,
        IN,
        "auth",
        "must now also match Role",
    ),
    "auth: one middleware's type less": Rule(
        make(app_auth=model("Credentials", token=str), auth=model("Role", role=(str, "admin"))),
        make(app_auth=model("Credentials", token=str)),
        COMPATIBLE,
        IN,
        "auth",
        "no longer needs to match Role",
    ),
    # ---- documentation
    "description changed": Rule(
        make(doc="old"), make(doc="new"), INFO, None, "info", "description"
    ),
    "field description changed": Rule(
        make(join(room=(str, Field(description="old")))),
        make(join(room=(str, Field(description="new")))),
        INFO,
        IN,
        "payload.room",
        "description changed",
    ),
    "default changed": Rule(
        make(join(room=(str, "lobby"))),
        make(join(room=(str, "hall"))),
        INFO,
        IN,
        "payload.room",
        'default changed from "lobby" to "hall"',
    ),
}


@pytest.mark.parametrize("rule", list(RULES.values()), ids=list(RULES))
def test_each_rule(rule: Rule) -> None:
    changes = changes_between(rule.old, rule.new)
    worst = max(change.level for change in changes)
    assert worst is rule.level, changes
    found = [change for change in changes if change.level is worst]
    assert [(c.direction, c.place) for c in found] == [(rule.direction, rule.place)], found
    assert rule.message in found[0].message, found[0]


def test_the_same_contract_has_no_change() -> None:
    assert changes_between(create_app(), create_app()) == []


def test_recursive_models_are_compared_once() -> None:
    def tree(length: int) -> SioApp:
        class Node(BaseModel):
            name: str = Field(max_length=length)
            children: list[Node] = []

        return make(on("plant", root=Node))

    [change] = [c for c in changes_between(tree(9), tree(3)) if c.level is not INFO]
    assert (change.level, change.place) == (BREAKING, "payload.name")


def test_documents_that_are_not_asyncapi_3_are_refused() -> None:
    current = contract.asyncapi(create_app())
    for wrong, message in (
        ([], "OLD is not an AsyncAPI 3.0 document (no 'asyncapi' field)"),
        ({"asyncapi": "2.6.0"}, "OLD is not an AsyncAPI 3.0 document (asyncapi: 2.6.0)"),
        (
            {"asyncapi": "3.0.0", "operations": {"x": {"action": "fly"}}},
            "OLD is not a valid AsyncAPI 3.0 document",
        ),
    ):
        with pytest.raises(NotAContract, match=message.replace("(", r"\(").replace(")", r"\)")):
            diff(wrong, current)


def test_a_model_used_in_several_places_is_reported_at_each() -> None:
    def owners(length: int) -> SioApp:
        owner = model("Owner", name=(str, Field(max_length=length)))
        return make(join(home=owner, work=owner))

    breaking = [c for c in changes_between(owners(9), owners(3)) if c.level is BREAKING]
    assert [c.place for c in breaking] == ["payload.home.name", "payload.work.name"]
