"""An AsyncAPI 3.0 document read as its clients see it: namespaces, events, acks and auth.

Events are read from the operations: the channel's ``address`` is the namespace, the
action the direction, each message's ``name`` the event, the reply's messages the
acks (by name). A ``receive`` operation whose message is named ``connect`` is the
namespace's handshake, as sioapp writes it (no event may take that name).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sioapp.contract.asyncapi import HANDSHAKE_MESSAGE, PARSER_EXTENSION
from sioapp.contract.model import DEFAULT_PARSER, Direction, JsonSchema

__all__ = [
    "Document",
    "EventShape",
    "NamespaceShape",
    "NotAContract",
    "load_document",
    "read_document",
]


class NotAContract(ValueError):
    """The input is not an AsyncAPI 3.0 document this diff can read."""


@dataclass(frozen=True, slots=True)
class EventShape:
    """One event: its arguments' schema (None without arguments) and its replies by name
    (None when it is not acknowledged)."""

    name: str
    direction: Direction
    payload: JsonSchema | None
    replies: dict[str, JsonSchema | None] | None
    summary: str | None = None
    description: str | None = None


@dataclass(slots=True)
class NamespaceShape:
    """The events of one namespace, by direction and name, and its handshake."""

    address: str
    events: dict[tuple[Direction, str], EventShape] = field(default_factory=dict)
    auth: JsonSchema | None = None
    connect_error: JsonSchema | None = None


@dataclass(slots=True)
class Document:
    """A parsed AsyncAPI document, ``origin`` naming it in messages."""

    raw: dict[str, Any]
    origin: str
    namespaces: dict[str, NamespaceShape] = field(default_factory=dict)

    @property
    def info(self) -> dict[str, Any]:
        info = self.raw.get("info")
        return info if isinstance(info, dict) else {}

    @property
    def parser(self) -> str:
        """The Socket.IO parser clients need; Socket.IO's default when the document
        does not say."""
        parser = self.raw.get(PARSER_EXTENSION)
        return parser if isinstance(parser, str) else DEFAULT_PARSER

    def resolve(self, node: Any) -> Any:
        """``node`` with its ``$ref`` followed (to a local JSON pointer), repeatedly."""
        seen: set[str] = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/") or ref in seen:
                raise NotAContract(f"{self.origin}: cannot follow the reference {ref!r}")
            seen.add(ref)
            node = self._pointer(ref)
        return node

    def _pointer(self, ref: str) -> Any:
        node: Any = self.raw
        try:
            for part in ref[2:].split("/"):
                key = part.replace("~1", "/").replace("~0", "~")
                node = node[int(key)] if isinstance(node, list) else node[key]
        except (KeyError, IndexError, ValueError, TypeError):
            raise NotAContract(f"{self.origin}: the reference {ref!r} leads nowhere") from None
        return node


def _messages(document: Document, holder: dict[str, Any]) -> list[dict[str, Any]]:
    found = [document.resolve(reference) for reference in holder.get("messages", [])]
    if not all(isinstance(message, dict) for message in found):
        raise TypeError("a message is not an object")
    return found


def _name(message: dict[str, Any]) -> str:
    name = message.get("name")
    if not isinstance(name, str):
        raise TypeError("a message has no name")
    return name


def _address(document: Document, channel: Any, key: str) -> str:
    """A channel's address, or its key when it has none."""
    address = document.resolve(channel).get("address")
    return address if isinstance(address, str) else key


def _operation(document: Document, operation: dict[str, Any]) -> None:
    reference = operation["channel"]["$ref"]
    address = _address(document, operation["channel"], reference.rsplit("/", 1)[-1])
    namespace = document.namespaces.setdefault(address, NamespaceShape(address))
    direction = Direction(operation["action"])
    reply = operation.get("reply")
    replies = (
        None
        if reply is None
        else {_name(message): message.get("payload") for message in _messages(document, reply)}
    )
    for message in _messages(document, operation):
        name = _name(message)
        if direction is Direction.CLIENT_TO_SERVER and name == HANDSHAKE_MESSAGE:
            namespace.auth = message.get("payload")
            namespace.connect_error = next(iter((replies or {}).values()), None)
            continue
        namespace.events[direction, name] = EventShape(
            name=name,
            direction=direction,
            payload=message.get("payload"),
            replies=replies,
            summary=operation.get("summary", message.get("summary")),
            description=operation.get("description", message.get("description")),
        )


def read_document(raw: Any, origin: str) -> Document:
    """``raw`` (parsed JSON or YAML) read as an AsyncAPI 3.0 document; `NotAContract` else."""
    version = raw.get("asyncapi") if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or not isinstance(version, str) or not version.startswith("3.0."):
        found = f"asyncapi: {version}" if version is not None else "no 'asyncapi' field"
        raise NotAContract(f"{origin} is not an AsyncAPI 3.0 document ({found})")
    document = Document(raw, origin)
    try:
        for key, channel in (raw.get("channels") or {}).items():
            address = _address(document, channel, key)
            document.namespaces.setdefault(address, NamespaceShape(address))
        for operation in (raw.get("operations") or {}).values():
            _operation(document, document.resolve(operation))
    except NotAContract:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise NotAContract(f"{origin} is not a valid AsyncAPI 3.0 document ({exc})") from None
    return document


def load_document(path: str | Path) -> Any:
    """The JSON or YAML file at ``path``, parsed; `NotAContract` when it is neither."""
    import yaml  # only when asked for: `import sioapp` does not import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return yaml.safe_load(text)
    except OSError as exc:
        raise NotAContract(f"cannot read {path}: {exc.strerror}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise NotAContract(f"{path} is neither JSON nor YAML ({type(exc).__name__})") from None
