"""The generated documents of one app, built on first use and cached until its registry changes."""

from __future__ import annotations

import weakref
from functools import cached_property
from typing import Any

import orjson

from sioapp.contract.asyncapi import render_asyncapi
from sioapp.contract.build import build
from sioapp.contract.model import Contract
from sioapp.contract.pyclient import render_python
from sioapp.contract.source import Documented
from sioapp.contract.typescript import render_typescript

__all__ = ["Documents", "documents"]


class Documents:
    """Every output of one contract, each rendered once when first asked for."""

    def __init__(self, contract: Contract, fingerprint: tuple[Any, ...]) -> None:
        self.contract = contract
        self.fingerprint = fingerprint

    @cached_property
    def asyncapi(self) -> dict[str, Any]:
        return render_asyncapi(self.contract)

    @cached_property
    def asyncapi_json(self) -> bytes:
        return orjson.dumps(self.asyncapi, option=orjson.OPT_INDENT_2)

    @cached_property
    def asyncapi_yaml(self) -> str:
        import yaml  # only when asked for: `import sioapp` does not import yaml

        return yaml.safe_dump(self.asyncapi, sort_keys=False, allow_unicode=True)

    @cached_property
    def typescript(self) -> str:
        return render_typescript(self.contract)

    @cached_property
    def python(self) -> str:
        return render_python(self.contract)

    @cached_property
    def html(self) -> str:
        from sioapp.contract.page import render_html  # imports jinja2, only when asked for

        return render_html(self.contract)


_cache: weakref.WeakKeyDictionary[Documented, Documents] = weakref.WeakKeyDictionary()


def _fingerprint(app: Documented) -> tuple[Any, ...]:
    """What the contract depends on: app metadata, the app's connection middleware and the
    routers of each namespace."""
    namespaces = tuple(
        (name, tuple(id(router) for router in registry.routers), len(registry.events))
        for name, registry in app.registry.items()
    )
    return (
        app.title,
        app.version,
        app.description,
        tuple(app.servers.items()),
        app.socketio_path,
        len(app.connect_middlewares),
        namespaces,
    )


def documents(app: Documented) -> Documents:
    """The cached documents of ``app``, rebuilt when a router was included since."""
    fingerprint = _fingerprint(app)
    cached = _cache.get(app)
    if cached is None or cached.fingerprint != fingerprint:
        cached = Documents(build(app), fingerprint)
        _cache[app] = cached
    return cached
