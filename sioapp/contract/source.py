"""What the contract is read from: an app's description and its registry (a `sioapp.SioApp`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from sioapp._di.calling import Handler
from sioapp._runtime.registry import NamespaceRegistry

__all__ = ["Documented"]


class Documented(Protocol):
    """An app the contract describes; `sioapp.SioApp` is one."""

    @property
    def title(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def servers(self) -> Mapping[str, str]:
        """Where clients reach the app, by name."""

    @property
    def socketio_path(self) -> str: ...

    @property
    def serializer(self) -> str:
        """How packets travel: ``"json"`` or ``"msgpack"``."""

    @property
    def registry(self) -> Mapping[str, NamespaceRegistry]:
        """Every namespace's handlers."""

    @property
    def connect_middlewares(self) -> Sequence[Handler]:
        """The connection middleware of every namespace (``app.use``)."""
