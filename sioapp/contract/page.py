"""The contract as one self-contained HTML page with a "try it" panel.

Style, scripts and data are inlined, and a Content-Security-Policy admits only
those inline blocks (by hash) and WebSocket connections, so the page makes no
other request and works offline, saved as a file too. Docstrings show their
inline code, emphasis and paragraphs (see ``prose.py``); all text is escaped.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader
from markupsafe import Markup, escape

from sioapp.contract.assets import asset
from sioapp.contract.asyncapi import channel_keys, message_keys
from sioapp.contract.model import (
    DEFAULT_PARSER,
    REF_PREFIX,
    Contract,
    Direction,
    Event,
    JsonSchema,
    Namespace,
)
from sioapp.contract.prose import inline, paragraphs
from sioapp.contract.typescript import TypeWriter

__all__ = ["content_security_policy", "render_html"]

_SCRIPTS = ("client.js", "docs.js")
_STYLE = "docs.css"
_REF = re.compile("&#34;" + re.escape(REF_PREFIX) + "([A-Za-z0-9_.-]+)&#34;")
_DIRECTIONS = (
    (Direction.CLIENT_TO_SERVER, "Client → server", "emit"),
    (Direction.SERVER_TO_CLIENT, "Server → client", "on"),
)


@dataclass(frozen=True, slots=True)
class _Item:
    anchor: str
    event: Event
    signature: str


@dataclass(frozen=True, slots=True)
class _Group:
    direction: Direction
    title: str
    verb: str
    items: list[_Item]


@dataclass(frozen=True, slots=True)
class _Section:
    anchor: str
    namespace: Namespace
    groups: list[_Group]


@functools.cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("sioapp.contract", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["json"] = _json
    environment.filters["schema"] = _schema_html
    environment.filters["inline"] = inline
    environment.filters["paragraphs"] = paragraphs
    return environment


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _schema_html(schema: JsonSchema | bool) -> Markup:
    """Indented JSON of ``schema``, its ``$ref``s linked to the schema section."""
    escaped = str(escape(_json(schema)))
    return Markup(_REF.sub(lambda ref: f'<a href="#schema-{ref[1]}">{ref[0]}</a>', escaped))


def _type_html(writer: TypeWriter, schema: JsonSchema) -> Markup:
    """The TypeScript type of ``schema``, linked to its definition when it is one model."""
    text = escape(writer.type(schema).text)
    reference = schema.get("$ref", "")
    if not reference.startswith(REF_PREFIX):
        return Markup("<code>{}</code>").format(text)
    return Markup('<a href="#schema-{}"><code>{}</code></a>').format(
        reference.removeprefix(REF_PREFIX), text
    )


def _anchor(schema: JsonSchema) -> str:
    """The schema section's anchor of a ``$ref`` schema."""
    return str(schema.get("$ref", "")).removeprefix(REF_PREFIX)


def _inline(text: str) -> Markup:
    """``text`` for an inline ``<script>`` or ``<style>``, which it must not close."""
    if re.search(r"</(script|style)|<!--", text, re.IGNORECASE):
        raise ValueError("an inline asset may not contain '</script', '</style' or '<!--'")
    return Markup(text)


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _sections(contract: Contract, writer: TypeWriter, error_reply: str) -> list[_Section]:
    sections = []
    for namespace, channel in zip(contract.namespaces, channel_keys(contract), strict=True):
        items = [
            _Item(f"{channel}.{key}", event, writer.listener(event, error_reply))
            for event, key in zip(namespace.events, message_keys(namespace), strict=True)
        ]
        groups = [
            _Group(direction, title, verb, [i for i in items if i.event.direction is direction])
            for direction, title, verb in _DIRECTIONS
        ]
        sections.append(_Section(channel, namespace, groups))
    return sections


def _auth_example(namespace: Namespace) -> Any:
    """What the auth editor starts with in ``namespace``: its example, else ``{}``."""
    if namespace.auth is None or namespace.auth.example is None:
        return {}
    return namespace.auth.example


def _page_data(contract: Contract) -> str:
    """What the page's script needs, as JSON safe inside a ``<script>`` element."""
    data = {
        "servers": contract.servers,
        "path": contract.socketio_path,
        "namespaces": [
            {
                "name": namespace.name,
                "events": [
                    {"name": event.name, "example": event.example or []}
                    for event in namespace.by_direction(Direction.CLIENT_TO_SERVER)
                ],
                "auth": _auth_example(namespace),
            }
            for namespace in contract.namespaces
        ],
    }
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@functools.cache
def content_security_policy() -> str:
    """The page's policy: its own inline scripts and style (by hash), WebSocket connections
    and nothing else. A ``<meta>`` tag carries it, so the saved page keeps it too."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src " + " ".join(_digest(asset(script)) for script in _SCRIPTS),
            "style-src " + _digest(asset(_STYLE)),
            "img-src data:",
            "connect-src 'self' ws: wss:",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def render_html(contract: Contract) -> str:
    """The documentation page of ``contract``."""
    writer = TypeWriter(contract.schemas)
    error_reply = writer.type(contract.error_reply).text
    return (
        _environment()
        .get_template("page.html")
        .render(
            contract=contract,
            default_parser=DEFAULT_PARSER,
            sections=_sections(contract, writer, error_reply),
            type_of=functools.partial(_type_html, writer),
            error_anchor=_anchor(contract.error_reply),
            connect_error_anchor=_anchor(contract.connect_error or {}),
            policy=content_security_policy(),
            style=_inline(asset(_STYLE)),
            scripts=[_inline(asset(script)) for script in _SCRIPTS],
            data=Markup(_page_data(contract)),
        )
    )
