"""Keeping a checked-in contract file current: a test fails, with the changes, until it is.

Breaking changes also need a new major version (``SioApp(version=...)``), so that
they are released on purpose.
"""

from __future__ import annotations

import re
from pathlib import Path

from sioapp.contract.diff.changes import Change, Level
from sioapp.contract.diff.compare import compare_documents
from sioapp.contract.diff.document import NotAContract, load_document, read_document
from sioapp.contract.diff.report import ReportFormat, render_changes
from sioapp.contract.documents import documents
from sioapp.contract.source import Documented

__all__ = ["assert_contract_file", "major"]

#: What updates the file, run from the project's directory.
UPDATE = "sioapp docs --format json -o {path}"


def major(version: object) -> int | None:
    """The major number of a version (``2`` for ``"2.1.0"`` or ``"v2"``), None without one."""
    found = re.match(r"v?(\d+)", str(version))
    return int(found[1]) if found else None


def _verdict(changes: list[Change], old_version: object, new_version: object) -> str:
    """What the changes mean, and what to do before updating the file."""
    worst = max((change.level for change in changes), default=Level.INFO)
    if worst is not Level.BREAKING:
        kind = "compatible" if worst is Level.COMPATIBLE else "documentation only"
        return f"The event contract changed; the changes are {kind}."
    old_major, new_major = major(old_version), major(new_version)
    if old_major is not None and new_major is not None and new_major > old_major:
        return (
            f"The event contract has breaking changes, acknowledged by the new major "
            f"version {new_version} (was {old_version})."
        )
    return (
        f"The event contract has breaking changes: clients built against version "
        f"{old_version} will fail. Undo them, or acknowledge them with a new major "
        f"version in SioApp(version=...) (now {new_version}), then update the file."
    )


def assert_contract_file(app: Documented, path: str | Path) -> None:
    """Fail, with the changes as the message, unless ``path`` holds ``app``'s AsyncAPI
    document (written by ``sioapp docs --format json -o PATH``).

    The message says whether the changes are compatible or break clients, and for
    breaking ones whether a new major version of the app acknowledges them.
    """
    __tracebackhide__ = True  # pytest shows the message, not this function
    path = Path(path)
    current = documents(app).asyncapi
    update = UPDATE.format(path=path.name)
    try:
        checked_in = load_document(path)
        old = read_document(checked_in, str(path))
    except NotAContract as error:
        raise AssertionError(f"{error}\nWrite it: {update}") from None
    if checked_in == current:
        return
    changes = compare_documents(old, read_document(current, "the app"))
    verdict = _verdict(changes, old.info.get("version"), current["info"]["version"])
    report = render_changes(changes, ReportFormat.TEXT, f"{path.name} → the app")
    raise AssertionError(f"{verdict}\nUpdate the checked-in file: {update}\n\n{report}")
