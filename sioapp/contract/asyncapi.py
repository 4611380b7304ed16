"""The contract as an AsyncAPI 3.0.0 document.

One channel per namespace (its address is the namespace); each client-to-server
event is a ``receive`` operation whose ack, when the handler declares a return
type, is the operation's ``reply`` (the ack message or the shared error reply);
each ``emits`` event is a ``send`` operation. Channel message keys are ``on.<event>``,
``on.<event>.ack`` and ``emits.<event>``; messages carry the event name as ``name``.

A namespace whose connection middleware types the handshake's ``auth`` has one more
``receive`` operation, ``connect`` (no event may take that name): its message is the
``auth`` the client connects with, its reply the ``connect_error`` of an auth that
does not match.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from sioapp.contract.model import (
    DEFAULT_PARSER,
    PARSERS,
    Ack,
    Contract,
    Direction,
    Event,
    Handshake,
    Namespace,
)
from sioapp.contract.replies import CONNECT_ERROR_EXAMPLE, ERROR_EXAMPLE

__all__ = [
    "ASYNCAPI_VERSION",
    "CONNECT_ERROR_MESSAGE",
    "ERROR_MESSAGE",
    "HANDSHAKE_MESSAGE",
    "PARSER_EXTENSION",
    "channel_keys",
    "message_keys",
    "render_asyncapi",
]

ASYNCAPI_VERSION = "3.0.0"
#: Key of the error reply in ``components.messages`` and in every channel that has replies.
ERROR_MESSAGE = "ErrorReply"
#: Key and name of the handshake's auth message in a channel, and of its operation.
HANDSHAKE_MESSAGE = "connect"
#: Key of the refused handshake's ``connect_error`` in ``components.messages`` and channels.
CONNECT_ERROR_MESSAGE = "ConnectError"

#: The root key naming the Socket.IO parser (npm package) clients need.
PARSER_EXTENSION = "x-socketio-parser"
#: ``defaultContentType`` by parser: how arguments are encoded on the wire.
CONTENT_TYPES = {PARSERS["json"]: "application/json", PARSERS["msgpack"]: "application/msgpack"}

_WS_SCHEMES = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}


class _Keys:
    """Unique keys made of the characters AsyncAPI allows in component names."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def __call__(self, name: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "_"
        key, counter = base, 1
        while key in self._taken:
            counter += 1
            key = f"{base}_{counter}"
        self._taken.add(key)
        return key


def _server(url: str, contract: Contract) -> dict[str, Any]:
    parts = urlsplit(url)
    if parts.scheme not in _WS_SCHEMES or not parts.netloc:
        raise ValueError(f"a server is an http(s) or ws(s) URL, not {url!r}")
    description = "Socket.IO 5 (Engine.IO 4) endpoint."
    if contract.parser != DEFAULT_PARSER:
        description = (
            f"Socket.IO 5 (Engine.IO 4) endpoint, with the {contract.parser} parser: "
            f'clients pass `parser: require("{contract.parser}")`.'
        )
    return {
        "host": parts.netloc,
        "protocol": _WS_SCHEMES[parts.scheme],
        "pathname": parts.path.rstrip("/") + contract.socketio_path,
        "description": description,
    }


def _documentation(event: Event) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if event.summary:
        found["summary"] = event.summary
    if event.description:
        found["description"] = event.description
    return found


def _message(event: Event) -> dict[str, Any]:
    message: dict[str, Any] = {"name": event.name, "title": event.name, **_documentation(event)}
    payload = event.payload
    if payload is not None:
        message["payload"] = payload
        if event.example is not None:
            message["examples"] = [{"name": "example", "payload": event.payload_example}]
    return message


def _ack_message(name: str, ack: Ack) -> dict[str, Any]:
    message: dict[str, Any] = {
        "name": name,
        "title": f"{name} (ack)",
        "summary": f"The ack of {name!r} when the handler succeeds.",
        "payload": ack.schema,
    }
    if ack.example is not None:
        example = ack.example if ack.several else ack.example[0]
        message["examples"] = [{"name": "example", "payload": example}]
    return message


def message_keys(namespace: Namespace) -> list[str]:
    """The channel message key of each event of ``namespace``, in order."""
    keys = {direction: _Keys() for direction in Direction}
    return [
        ("on." if event.direction is Direction.CLIENT_TO_SERVER else "emits.")
        + keys[event.direction](event.name)
        for event in namespace.events
    ]


def channel_keys(contract: Contract) -> list[str]:
    """The channel key of each namespace of ``contract``: ``root`` for the main namespace."""
    keys = _Keys()
    return [
        keys("root" if namespace.name == "/" else namespace.name)
        for namespace in contract.namespaces
    ]


def _handshake_message(auth: Handshake) -> dict[str, Any]:
    message: dict[str, Any] = {
        "name": HANDSHAKE_MESSAGE,
        "title": "Handshake auth",
        "summary": "What the client sends as `auth` when it connects: `io(url, { auth })`.",
        "payload": auth.schema,
    }
    if auth.example is not None:
        message["examples"] = [{"name": "example", "payload": auth.example}]
    return message


def _handshake_operation(
    channel_ref: dict[str, str], message_ref: Callable[[str], dict[str, str]]
) -> dict[str, Any]:
    return {
        "action": Direction.CLIENT_TO_SERVER.value,
        "channel": channel_ref,
        "title": HANDSHAKE_MESSAGE,
        "summary": "Connect to the namespace with the handshake's auth.",
        "description": "Connection middleware validates `auth` as its type: an auth that does "
        "not match is refused with the reply's `connect_error`. Middleware may also refuse "
        "clients for reasons of its own, with messages the contract cannot know.",
        "messages": [message_ref(HANDSHAKE_MESSAGE)],
        "reply": {"channel": channel_ref, "messages": [message_ref(CONNECT_ERROR_MESSAGE)]},
    }


def _channel(namespace: Namespace, key: str, operations: dict[str, Any]) -> dict[str, Any]:
    channel_ref = {"$ref": f"#/channels/{key}"}
    messages: dict[str, Any] = {}

    def message_ref(message_key: str) -> dict[str, str]:
        return {"$ref": f"#/channels/{key}/messages/{message_key}"}

    if namespace.auth is not None:
        messages[HANDSHAKE_MESSAGE] = _handshake_message(namespace.auth)
        messages[CONNECT_ERROR_MESSAGE] = {"$ref": f"#/components/messages/{CONNECT_ERROR_MESSAGE}"}
        operations[f"{key}.{HANDSHAKE_MESSAGE}"] = _handshake_operation(channel_ref, message_ref)

    for event, message_key in zip(namespace.events, message_keys(namespace), strict=True):
        messages[message_key] = _message(event)
        operation: dict[str, Any] = {
            "action": event.direction.value,
            "channel": channel_ref,
            "title": event.name,
            **_documentation(event),
            "messages": [message_ref(message_key)],
        }
        if event.tags:
            operation["tags"] = [{"name": tag} for tag in event.tags]
        if event.ack is not None:
            messages[f"{message_key}.ack"] = _ack_message(event.name, event.ack)
            messages[ERROR_MESSAGE] = {"$ref": f"#/components/messages/{ERROR_MESSAGE}"}
            operation["reply"] = {
                "channel": channel_ref,
                "messages": [message_ref(f"{message_key}.ack"), message_ref(ERROR_MESSAGE)],
            }
        operations[f"{key}.{message_key}"] = operation
    return {
        "address": namespace.name,
        "title": "Main namespace" if namespace.name == "/" else f"Namespace {namespace.name}",
        "messages": messages,
    }


def _component_messages(contract: Contract) -> dict[str, Any]:
    messages: dict[str, Any] = {
        ERROR_MESSAGE: {
            "name": "error",
            "title": "Error reply",
            "summary": "The ack of any event that failed.",
            "payload": contract.error_reply,
            "examples": [
                {"name": "validation error", "payload": ERROR_EXAMPLE.model_dump(mode="json")}
            ],
        }
    }
    if contract.connect_error is not None:
        messages[CONNECT_ERROR_MESSAGE] = {
            "name": "connect_error",
            "title": "Invalid auth",
            "summary": "The refusal of a handshake whose auth does not match its type.",
            "payload": contract.connect_error,
            "examples": [{"name": "invalid auth", "payload": CONNECT_ERROR_EXAMPLE}],
        }
    return messages


def render_asyncapi(contract: Contract) -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document of ``contract``, as plain JSON-ready data."""
    info: dict[str, Any] = {"title": contract.title, "version": contract.version}
    if contract.description:
        info["description"] = contract.description
    operations: dict[str, Any] = {}
    channels = {
        key: _channel(namespace, key, operations)
        for namespace, key in zip(contract.namespaces, channel_keys(contract), strict=True)
    }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": info,
        "defaultContentType": CONTENT_TYPES[contract.parser],
        PARSER_EXTENSION: contract.parser,
        "servers": {name: _server(url, contract) for name, url in contract.servers.items()},
        "channels": channels,
        "operations": operations,
        "components": {"schemas": contract.schemas, "messages": _component_messages(contract)},
    }
