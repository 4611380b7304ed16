"""Files shipped with the contract package: the page's scripts and style sheet."""

from __future__ import annotations

import functools
from importlib.resources import files

__all__ = ["asset"]


@functools.cache
def asset(name: str) -> str:
    """The text of ``static/{name}``, read once."""
    return (files("sioapp.contract") / "static" / name).read_text(encoding="utf-8")
