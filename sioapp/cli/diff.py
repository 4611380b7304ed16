"""``sioapp diff OLD NEW``: what changed between two event contracts, and whom it breaks."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Any

from sioapp import contract
from sioapp.cli.console import CliError, UsageProblem
from sioapp.cli.discovery import find_app
from sioapp.contract.diff import (
    Level,
    NotAContract,
    ReportFormat,
    diff,
    load_document,
    render_changes,
)

__all__ = ["DOCUMENT_SUFFIXES", "FailOn", "compare_sources"]

#: Files read as AsyncAPI documents; anything else names an app.
DOCUMENT_SUFFIXES = frozenset({".json", ".yaml", ".yml"})


class FailOn(enum.StrEnum):
    """The least serious level of change that makes ``sioapp diff`` exit with 1."""

    BREAKING = "breaking"
    COMPATIBLE = "compatible"
    INFO = "info"

    @property
    def level(self) -> Level:
        """The `Level` of the same name."""
        return Level[self.name]


def _document(source: str, cwd: Path) -> tuple[Any, str]:
    """The AsyncAPI document ``source`` names, and how to call it: a JSON or YAML file, or
    an app (``module:attr``, ``path/to/file.py[:attr]``)."""
    path = cwd / source
    if path.suffix in DOCUMENT_SUFFIXES or (path.is_file() and path.suffix != ".py"):
        return load_document(path), source
    try:
        found = find_app(source, cwd)
    except CliError as error:
        raise UsageProblem(str(error)) from error
    return contract.asyncapi(found.app), found.import_string


def _title(name: str, document: Any) -> str:
    info = document.get("info") if isinstance(document, dict) else None
    version = info.get("version") if isinstance(info, dict) else None
    return f"{name} ({version})" if version else name


def compare_sources(
    old: str, new: str, fmt: ReportFormat, fail_on: FailOn, cwd: Path
) -> tuple[str, int]:
    """The report of the changes from ``old`` to ``new``, and the exit status: 1 when one
    is at least as serious as ``fail_on``, else 0. Input that is neither an AsyncAPI 3.0
    document nor an importable app is a `UsageProblem` (exit status 2)."""
    try:
        old_document, old_name = _document(old, cwd)
        new_document, new_name = _document(new, cwd)
        changes = diff(old_document, new_document, origins=(old_name, new_name))
    except NotAContract as error:
        raise UsageProblem(str(error)) from error
    title = f"{_title(old_name, old_document)} → {_title(new_name, new_document)}"
    failing = any(change.level >= fail_on.level for change in changes)
    return render_changes(changes, fmt, title), int(failing)
