"""Contract changes written as text, as JSON, or as Markdown for a pull-request comment."""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence

from sioapp.contract.diff.changes import Change, Level
from sioapp.contract.model import Direction

__all__ = ["ReportFormat", "counts", "render_changes", "summary"]

ARROWS = {Direction.CLIENT_TO_SERVER: "client→server", Direction.SERVER_TO_CLIENT: "server→client"}


class ReportFormat(enum.StrEnum):
    """How `render_changes` writes changes."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"


def counts(changes: Sequence[Change]) -> dict[str, int]:
    """How many changes of each level, most serious first."""
    return {
        level.label: sum(change.level is level for change in changes) for level in reversed(Level)
    }


def summary(changes: Sequence[Change]) -> str:
    """``3 changes: 1 breaking, 2 compatible``, or ``no changes``."""
    if not changes:
        return "no changes"
    found = ", ".join(f"{count} {label}" for label, count in counts(changes).items() if count)
    return f"{len(changes)} change{'s' if len(changes) > 1 else ''}: {found}"


def _where(change: Change) -> str:
    """``/ "join" payload.room``: namespace, event and the place in it."""
    event = json.dumps(change.event, ensure_ascii=False) if change.event is not None else None
    return " ".join(part for part in (change.namespace, event, change.place) if part)


def _text(changes: Sequence[Change], title: str) -> str:
    lines = [f"{title}: {summary(changes)}"]
    for change in changes:
        direction = ARROWS.get(change.direction, "") if change.direction else ""
        lines.append(
            f"  {change.level.label:<10} {direction:<13} {_where(change)}: {change.message}"
        )
    return "\n".join(lines) + "\n"


def _json(changes: Sequence[Change], title: str) -> str:
    document = {
        "title": title,
        "counts": counts(changes),
        "changes": [
            {
                "level": change.level.label,
                "direction": ARROWS[change.direction] if change.direction else None,
                "namespace": change.namespace,
                "event": change.event,
                "where": change.place,
                "message": change.message,
            }
            for change in changes
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str | None) -> str:
    if not text:
        return ""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _markdown(changes: Sequence[Change], title: str) -> str:
    found = ", ".join(
        f"**{count} {label}**" if label == Level.BREAKING.label else f"{count} {label}"
        for label, count in counts(changes).items()
        if count
    )
    lines = [f"### {_cell(title)}", "", found or "No changes.", ""]
    if changes:
        lines += [
            "| Level | Direction | Namespace | Event | Where | Change |",
            "|---|---|---|---|---|---|",
        ]
        for change in changes:
            level = change.level.label
            cells = [
                f"**{level}**" if change.level is Level.BREAKING else level,
                ARROWS[change.direction] if change.direction else "",
                _code(change.namespace),
                _code(change.event),
                _code(change.place),
                change.message,
            ]
            lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def render_changes(changes: Sequence[Change], fmt: ReportFormat, title: str) -> str:
    """``changes`` as ``fmt``, the most serious first, under ``title`` (what was compared
    with what)."""
    writers = {ReportFormat.TEXT: _text, ReportFormat.JSON: _json, ReportFormat.MARKDOWN: _markdown}
    return writers[fmt](sorted(changes, key=lambda change: -change.level), title)
