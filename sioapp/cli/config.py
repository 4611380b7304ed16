"""Project settings from the ``[tool.sioapp]`` table of ``pyproject.toml``.

::

    [tool.sioapp]
    app = "chat.app:app"    # what `sioapp run`, `docs` and `events` use without an APP argument
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from sioapp.cli.console import CliError

__all__ = ["PYPROJECT", "ProjectConfig", "load_config"]

PYPROJECT = "pyproject.toml"
KNOWN_KEYS = frozenset({"app"})


@dataclass(frozen=True, slots=True)
class ProjectConfig:
    """``[tool.sioapp]`` of one project; every field is optional."""

    app: str | None = None


def load_config(directory: Path) -> ProjectConfig:
    """The settings in ``directory/pyproject.toml``; defaults when it has none."""
    path = directory / PYPROJECT
    if not path.is_file():
        return ProjectConfig()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CliError(f"{path} is not valid TOML: {exc}") from exc
    table = document.get("tool", {}).get("sioapp", {})
    if not isinstance(table, dict):
        raise CliError(f"{path}: [tool.sioapp] must be a table")
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        raise CliError(
            f"{path}: unknown key(s) in [tool.sioapp]: {', '.join(unknown)} "
            f"(known: {', '.join(sorted(KNOWN_KEYS))})"
        )
    app = table.get("app")
    if app is not None and (not isinstance(app, str) or not app.strip()):
        raise CliError(f'{path}: [tool.sioapp] app must be a string such as "package.app:app"')
    return ProjectConfig(app=app.strip() if app is not None else None)
