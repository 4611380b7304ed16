"""Comparing two contracts event by event, in the direction each one flows.

Client-to-server arguments and the handshake's auth are input: what old clients
send must stay accepted. Server-to-client arguments, acks and the refusal of an
invalid auth are output: what old clients read must stay readable.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import TypeVar

from sioapp.contract.diff.arguments import Arguments, arguments_of
from sioapp.contract.diff.changes import Change, Level, Role
from sioapp.contract.diff.document import Document, EventShape, NamespaceShape
from sioapp.contract.diff.schemas import SchemaComparison
from sioapp.contract.model import Direction, JsonSchema

__all__ = ["compare_documents"]

K = TypeVar("K")

_ROLES = {Direction.CLIENT_TO_SERVER: Role.INPUT, Direction.SERVER_TO_CLIENT: Role.OUTPUT}
_GONE = {
    Direction.CLIENT_TO_SERVER: "removed: old clients' emits are refused",
    Direction.SERVER_TO_CLIENT: "removed: old clients' listeners never run",
}


@dataclass(frozen=True, slots=True)
class _Place:
    """Where changes are found: the direction, namespace, event and part of the event."""

    direction: Direction | None
    namespace: str | None = None
    event: str | None = None
    part: str = "event"


def _union(old: Collection[K], new: Collection[K]) -> list[K]:
    """The keys of ``old``, then those only ``new`` has."""
    return [*old, *(key for key in new if key not in old)]


@dataclass(slots=True)
class _Comparison:
    old: Document
    new: Document
    changes: list[Change] = field(default_factory=list)

    def add(self, level: Level, place: _Place, message: str, path: str = "") -> None:
        self.changes.append(
            Change(level, place.direction, place.namespace, place.event, place.part, path, message)
        )

    def schemas(
        self, old: JsonSchema, new: JsonSchema, role: Role, place: _Place, path: str = ""
    ) -> None:
        def report(level: Level, inner: str, message: str) -> None:
            self.add(level, place, message, path + inner)

        SchemaComparison(self.old, self.new, role, report).compare(old, new)

    def info(self) -> None:
        place = _Place(None, part="info")
        for key in ("title", "version", "description"):
            was, now = self.old.info.get(key), self.new.info.get(key)
            if was != now:
                shown = "" if key == "description" else f" from {was} to {now}"
                self.add(Level.INFO, place, f"{key} changed{shown}")
        was, now = self.old.parser, self.new.parser
        if was != now:
            message = f"the parser changed from {was} to {now}: every client must switch"
            self.add(Level.BREAKING, _Place(None, part="parser"), message)

    def namespaces(self) -> None:
        for address in _union(self.old.namespaces, self.new.namespaces):
            place = _Place(Direction.CLIENT_TO_SERVER, address, part="namespace")
            if address not in self.new.namespaces:
                self.add(Level.BREAKING, place, "removed: old clients cannot connect to it")
            elif address not in self.old.namespaces:
                self.add(Level.COMPATIBLE, place, "new namespace")
            else:
                self.namespace(self.old.namespaces[address], self.new.namespaces[address])

    def namespace(self, old: NamespaceShape, new: NamespaceShape) -> None:
        self.handshake(old, new)
        for direction, name in _union(old.events, new.events):
            place = _Place(direction, old.address, name)
            key = (direction, name)
            if key not in new.events:
                self.add(Level.BREAKING, place, _GONE[direction])
            elif key not in old.events:
                self.add(Level.COMPATIBLE, place, "new event")
            else:
                self.event(place, old.events[key], new.events[key])

    def handshake(self, old: NamespaceShape, new: NamespaceShape) -> None:
        place = _Place(Direction.CLIENT_TO_SERVER, old.address, part="auth")
        if old.auth is None and new.auth is not None:
            self.add(
                Level.BREAKING, place, "now checked against a type: old clients may be refused"
            )
        elif old.auth is not None and new.auth is None:
            self.add(Level.COMPATIBLE, place, "no longer checked against a type")
        elif old.auth is not None and new.auth is not None:
            self.schemas(old.auth, new.auth, Role.INPUT, place)
        if old.connect_error is not None and new.connect_error is not None:
            refusal = _Place(Direction.SERVER_TO_CLIENT, old.address, part="connect_error")
            self.schemas(old.connect_error, new.connect_error, Role.OUTPUT, refusal)

    def event(self, place: _Place, old: EventShape, new: EventShape) -> None:
        for key in ("summary", "description"):
            if getattr(old, key) != getattr(new, key):
                self.add(Level.INFO, place, f"{key} changed")
        role = _ROLES[old.direction]
        self.arguments(
            arguments_of(old.payload),
            arguments_of(new.payload),
            role,
            replace(place, part="payload"),
        )
        self.replies(replace(place, direction=Direction.SERVER_TO_CLIENT, part="ack"), old, new)

    def arguments(self, old: Arguments, new: Arguments, role: Role, place: _Place) -> None:
        """An event's positional arguments, one by one: a single one on each side is
        compared as is (``payload.room``), others by position (``payload[1]``)."""
        if old.single and new.single:
            self.schemas(old.schemas[0], new.schemas[0], role, place)
            self.required(old.required[0], new.required[0], role, place, "")
            return
        for index in range(max(len(old.schemas), len(new.schemas))):
            path = f"[{index}]"
            if index < len(old.schemas) and index < len(new.schemas):
                self.schemas(old.schemas[index], new.schemas[index], role, place, path)
                self.required(old.required[index], new.required[index], role, place, path)
            elif index < len(new.schemas):
                required = role is Role.INPUT and new.required[index]
                level = Level.BREAKING if required else Level.COMPATIBLE
                kind = "required " if required else "optional " if role is Role.INPUT else ""
                self.add(level, place, f"new {kind}argument", path)
            elif role is Role.INPUT and new.rest is not None:  # now one of the *args
                self.schemas(old.schemas[index], new.rest, role, place, path)
            else:
                refused = (
                    " (old clients' extra arguments are refused)" if role is Role.INPUT else ""
                )
                self.add(Level.BREAKING, place, f"argument removed{refused}", path)
        self.rest(old.rest, new.rest, role, place)

    def required(self, old: bool, new: bool, role: Role, place: _Place, path: str) -> None:
        if role is Role.INPUT and old != new:
            level = Level.BREAKING if new else Level.COMPATIBLE
            self.add(
                level, place, "argument now required" if new else "argument now optional", path
            )

    def rest(
        self, old: JsonSchema | None, new: JsonSchema | None, role: Role, place: _Place
    ) -> None:
        """The ``*args``: any number of further arguments."""
        if old is not None and new is not None:
            self.schemas(old, new, role, place, "[*]")
        elif old is None and new is not None:
            level = Level.COMPATIBLE if role is Role.INPUT else Level.BREAKING
            self.add(level, place, "now takes any number of further arguments", "[*]")
        elif old is not None and new is None:
            level = Level.BREAKING if role is Role.INPUT else Level.COMPATIBLE
            self.add(level, place, "no longer takes further arguments", "[*]")

    def reply(self, old: JsonSchema | None, new: JsonSchema | None, place: _Place) -> None:
        """The arguments of a reply; None when there are none."""
        if old is not None and new is not None:
            self.schemas(old, new, Role.OUTPUT, place)
        elif old is None and new is not None:
            self.add(Level.COMPATIBLE, place, "now carries a value")
        elif old is not None and new is None:
            self.add(Level.BREAKING, place, "no longer carries a value")

    def replies(self, place: _Place, old: EventShape, new: EventShape) -> None:
        """The acks of an event, matched by message name: an ack, an error reply..."""
        if old.replies is None and new.replies is not None:
            self.add(Level.COMPATIBLE, place, "now acknowledged")
        elif old.replies is not None and new.replies is None:
            self.add(Level.BREAKING, place, "no longer acknowledged: old clients wait in vain")
        elif old.replies is not None and new.replies is not None:
            for name in _union(old.replies, new.replies):
                reply = place if name == old.name else replace(place, part=f"reply {name!r}")
                if name not in new.replies:
                    self.add(Level.COMPATIBLE, reply, "no longer sent")
                elif name not in old.replies:
                    self.add(Level.BREAKING, reply, "new reply old clients do not expect")
                else:
                    self.reply(old.replies[name], new.replies[name], reply)


def compare_documents(old: Document, new: Document) -> list[Change]:
    """Every change from ``old`` to ``new``, in document order."""
    comparison = _Comparison(old, new)
    comparison.info()
    comparison.namespaces()
    return comparison.changes
