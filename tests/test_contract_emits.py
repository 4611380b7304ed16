"""Declaring server-to-client events: a model, a plain type, or named arguments."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from sioapp import RegistrationError, Router
from sioapp._protocol.events import event_and_args
from sioapp._runtime.router import EmittedEvent
from sioapp.cli.events import emitted_text


class Arbitrary:
    """A class pydantic knows nothing about."""


def test_the_three_forms_record_their_arguments_in_order() -> None:
    router = Router()

    @router.emits("chat message")
    class Message(BaseModel):
        """A message said in a room."""

        text: str

    assert router.emits("user has left", str) is None
    assert router.emits("private message", from_id=str, text=str) is None
    assert router.emitted == {
        "chat message": EmittedEvent(
            "chat message", (("message", Message),), router, "A message said in a room."
        ),
        "user has left": EmittedEvent("user has left", (("value", str),), router),
        "private message": EmittedEvent(
            "private message", (("from_id", str), ("text", str)), router
        ),
    }
    assert event_and_args(Message(text="hi"), ()) == ("chat message", [{"text": "hi"}])


def test_a_declared_type_is_not_emittable_as_an_instance() -> None:
    class Notice(BaseModel):
        text: str

    Router().emits("notice", Notice)
    with pytest.raises(TypeError, match="emits"):
        event_and_args(Notice(text="x"), ())


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((str, int), {}), ((str,), {"text": str})],
    ids=["several types", "a type and names"],
)
def test_ambiguous_shapes_are_refused_with_the_event_name(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    with pytest.raises(RegistrationError, match="emitted event 'odd': give one type, or name"):
        Router().emits("odd", *args, **kwargs)


def test_a_type_pydantic_cannot_describe_is_refused_at_registration() -> None:
    router = Router()
    with pytest.raises(RegistrationError, match="emitted event 'raw': argument 'arbitrary'"):
        router.emits("raw", Arbitrary)
    with pytest.raises(RegistrationError, match="emitted event 'pair': argument 'second'"):
        router.emits("pair", first=str, second=Arbitrary)
    with pytest.raises(RegistrationError, match="emitted event 'decorated'"):
        router.emits("decorated")(Arbitrary)
    assert router.emitted == {}


def test_reserved_names_are_refused_in_every_form() -> None:
    for args in ((), (str,)):
        with pytest.raises(ValueError, match="reserved"):
            Router().emits("disconnect", *args)
    with pytest.raises(ValueError, match="reserved"):
        Router().emits("connect", text=str)


def test_the_events_table_spells_the_arguments() -> None:
    router = Router()
    router.emits("user has left", str)
    router.emits("private message", from_id=str, text=list[str])
    assert [emitted_text(event) for event in router.emitted.values()] == [
        "str",
        "from_id: str, text: list[str]",
    ]
