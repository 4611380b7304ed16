"""The event contract of a `sioapp.SioApp`: AsyncAPI 3.0, TypeScript, Python and an HTML page.

Everything is generated from ``app.registry`` only, built on first use and cached
per app::

    from sioapp import contract

    document = contract.asyncapi(app)       # dict, AsyncAPI 3.0.0
    text = contract.asyncapi_yaml(app)      # the same document as YAML
    types = contract.typescript(app)        # for socket.io-client's Socket<...>
    client = contract.python_client(app)    # a typed python-socketio client module
    page = contract.html(app)               # a self-contained page with a "try it" panel

`sioapp.contract.diff` compares two contracts and says which changes break clients.
"""

from __future__ import annotations

import copy
from typing import Any

from sioapp.contract.documents import documents
from sioapp.contract.source import Documented

__all__ = ["asyncapi", "asyncapi_json", "asyncapi_yaml", "html", "python_client", "typescript"]


def asyncapi(app: Documented) -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document of ``app``, as a fresh dict."""
    return copy.deepcopy(documents(app).asyncapi)


def asyncapi_json(app: Documented) -> str:
    """The AsyncAPI document as indented JSON."""
    return documents(app).asyncapi_json.decode()


def asyncapi_yaml(app: Documented) -> str:
    """The AsyncAPI document as YAML."""
    return documents(app).asyncapi_yaml


def typescript(app: Documented) -> str:
    """TypeScript declarations: one interface per model, and per namespace
    ``ServerToClientEvents`` / ``ClientToServerEvents`` for socket.io-client."""
    return documents(app).typescript


def python_client(app: Documented) -> str:
    """A Python module: pydantic models and one typed client class per namespace, over
    python-socketio's ``AsyncClient``."""
    return documents(app).python


def html(app: Documented) -> str:
    """A self-contained HTML page documenting every event, with a "try it" panel."""
    return documents(app).html
