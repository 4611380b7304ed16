"""What a contract change is: where, which way data flows there, and how much it matters."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sioapp.contract.model import Direction

__all__ = ["Change", "Effect", "Level", "Role", "level_of"]


class Level(enum.IntEnum):
    """How much a change matters to clients built against the old contract, least first."""

    INFO = 0
    COMPATIBLE = 1
    BREAKING = 2

    @property
    def label(self) -> str:
        return self.name.lower()


class Role(enum.Enum):
    """What the server does with the data a schema describes."""

    #: It accepts it (client-to-server arguments, the handshake's auth): old clients
    #: keep sending what the old schema allowed.
    INPUT = "input"
    #: It sends it (server-to-client arguments, acks): old clients keep reading it
    #: as the old schema said.
    OUTPUT = "output"


class Effect(enum.Enum):
    """What a change does to the set of values a schema allows."""

    NARROWS = "narrows"
    WIDENS = "widens"
    #: Some values are gained and others lost, as when a type is replaced.
    REPLACES = "replaces"


def level_of(effect: Effect, role: Role) -> Level:
    """Narrowing what the server accepts breaks old clients, and so does widening what it
    sends; the other way round, old clients do not notice."""
    if effect is Effect.REPLACES:
        return Level.BREAKING
    breaks = Effect.NARROWS if role is Role.INPUT else Effect.WIDENS
    return Level.BREAKING if effect is breaks else Level.COMPATIBLE


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two contracts.

    ``namespace`` and ``event`` are None for the document itself; ``event`` is None for
    a namespace's handshake too (``part`` ``"auth"``). ``part`` says what of the event
    changed (``payload``, ``ack``...) and ``path`` where inside it (``.room``, ``[1]``).
    """

    level: Level
    direction: Direction | None
    namespace: str | None
    event: str | None
    part: str
    path: str
    message: str

    @property
    def place(self) -> str:
        """What of the event changed and where in it: ``payload.room``."""
        return self.part + self.path
