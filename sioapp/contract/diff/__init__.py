"""How one event contract differs from another, and how much each change matters to the
clients built against the old one.

Both sides are AsyncAPI 3.0 documents, as sioapp writes them::

    from sioapp.contract.diff import diff, load_document

    changes = diff(load_document("asyncapi.json"), contract.asyncapi(app))
    breaking = [change for change in changes if change.level is Level.BREAKING]
"""

from __future__ import annotations

from typing import Any

from sioapp.contract.diff.changes import Change, Level
from sioapp.contract.diff.checked import assert_contract_file
from sioapp.contract.diff.compare import compare_documents
from sioapp.contract.diff.document import NotAContract, load_document, read_document
from sioapp.contract.diff.report import ReportFormat, render_changes, summary

__all__ = [
    "Change",
    "Level",
    "NotAContract",
    "ReportFormat",
    "assert_contract_file",
    "diff",
    "load_document",
    "render_changes",
    "summary",
]


def diff(old: Any, new: Any, *, origins: tuple[str, str] = ("OLD", "NEW")) -> list[Change]:
    """Every change from the AsyncAPI 3.0 document ``old`` to ``new`` (parsed JSON or YAML),
    in document order; `NotAContract` when one of them is not such a document, named by
    ``origins`` in the message."""
    return compare_documents(read_document(old, origins[0]), read_document(new, origins[1]))
