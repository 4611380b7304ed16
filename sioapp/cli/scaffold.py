"""Rendering a project template into a new directory, then writing its event contract.

A template is a folder of ``templates/<name>/`` (shipped in the wheel as
``sioapp/_templates``). Files ending in ``.jinja`` are rendered with Jinja2 and
lose the suffix; they see ``name``, ``package``, ``title`` and ``sioapp_version``,
and the ``quoted`` filter for string literals. A path part named ``__package__``
becomes the project's package name. Everything else is copied as is.

The project's ``asyncapi.json`` is then written by ``sioapp docs`` run in the new
directory, in a process of its own, as the project's test that checks it will read it.
"""

from __future__ import annotations

import enum
import json
import keyword
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, StrictUndefined

import sioapp
from sioapp.cli.console import CliError, UsageProblem

__all__ = ["CONTRACT_FILE", "Project", "Template", "render", "templates_root", "write_contract"]

PACKAGE_PLACEHOLDER = "__package__"
#: The checked-in event contract of a new project.
CONTRACT_FILE = "asyncapi.json"
JINJA_SUFFIX = ".jinja"
#: A project name: also a valid distribution name, and a package name once '-' is '_'.
NAME = re.compile(r"[A-Za-z]([A-Za-z0-9_-]*[A-Za-z0-9])?")
#: Names a project package may not take: they would shadow what its code imports.
RESERVED = frozenset({"sioapp", "socketio", "engineio", "tests", "test"})


def templates_root() -> Path:
    """The installed templates, or the source tree's in an editable install."""
    package = Path(sioapp.__file__).parent
    for candidate in (package / "_templates", package.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise CliError(f"sioapp's project templates are missing (looked in {package})")


class Template(enum.StrEnum):
    """The project templates: one folder each under ``templates/``."""

    MINIMAL = "minimal"
    CHAT = "chat"


@dataclass(frozen=True, slots=True)
class Project:
    """What a template is rendered with."""

    name: str
    title: str

    @property
    def package(self) -> str:
        return self.name.replace("-", "_")

    @classmethod
    def named(cls, name: str, title: str | None = None) -> Project:
        """A project called ``name``; refuses names that cannot be a Python package."""
        package = name.replace("-", "_")
        if NAME.fullmatch(name) is None or keyword.iskeyword(package):
            raise UsageProblem(
                f"{name!r} is not a valid project name: use ASCII letters, digits, '_' or '-', "
                "starting with a letter and ending with a letter or digit"
            )
        if package in RESERVED or package in sys.stdlib_module_names:
            raise UsageProblem(f"{name!r} would shadow the module {package!r}: choose another name")
        return cls(name=name, title=(title or "").strip() or package.replace("_", " ").title())

    def context(self) -> dict[str, str]:
        return {
            "name": self.name,
            "package": self.package,
            "title": self.title,
            "sioapp_version": sioapp.__version__,
        }


def quoted(text: str) -> str:
    """``text`` as a double-quoted string literal, valid in Python and in TOML."""
    return json.dumps(text, ensure_ascii=False)


def _target(directory: Path) -> None:
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise CliError(f"{directory} already exists and is not empty: choose another name or --dir")


def render(template: Template, project: Project, parent: Path) -> list[Path]:
    """Render ``template`` into ``parent/project.name``; the files written, sorted."""
    source = templates_root() / template.value
    if not source.is_dir():
        raise CliError(f"sioapp's {template.value!r} template is missing from {source.parent}")
    directory = parent / project.name
    _target(directory)
    environment = Environment(
        undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    environment.filters["quoted"] = quoted
    context = project.context()
    written: list[Path] = []
    for path in sorted(source.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        relative = Path(
            *(
                project.package if part == PACKAGE_PLACEHOLDER else part
                for part in path.relative_to(source).parts
            )
        )
        destination = directory / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if destination.name.endswith(JINJA_SUFFIX):
            destination = destination.with_name(destination.name.removesuffix(JINJA_SUFFIX))
            text = environment.from_string(path.read_text(encoding="utf-8")).render(context)
            destination.write_text(text, encoding="utf-8")
        else:
            shutil.copyfile(path, destination)
        written.append(destination)
    return sorted(written)


def write_contract(directory: Path) -> Path:
    """Write the event contract of the project in ``directory`` to its `CONTRACT_FILE`."""
    command = [sys.executable, "-m", "sioapp.cli", "docs", "--format", "json", "-o", CONTRACT_FILE]
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}  # leave no __pycache__ behind
    result = subprocess.run(
        command, cwd=directory, env=environment, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        why = (result.stderr.strip().splitlines() or ["no output"])[-1].removeprefix("Error: ")
        raise CliError(f"cannot write {directory / CONTRACT_FILE}: {why}")
    return directory / CONTRACT_FILE
