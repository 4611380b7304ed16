"""Finding the SioApp a command works on.

APP is ``module:attr``, ``module`` (its SioApp is found), ``path/to/file.py`` or
``path/to/file.py:attr``. Without APP, ``[tool.sioapp] app`` in the current
directory's ``pyproject.toml`` names it; otherwise the first existing one of
``app.py``, ``main.py``, ``<package>/app.py``, ``<package>/main.py`` is imported
and its module-level SioApp used (the one named ``app`` when there are several).
"""

from __future__ import annotations

import importlib
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from sioapp._app.app import SioApp
from sioapp.cli.config import load_config
from sioapp.cli.console import CliError

__all__ = ["AppTarget", "candidates", "find_app", "parse_spec"]

DEFAULT_FILES = ("app.py", "main.py")
PREFERRED_NAME = "app"


@dataclass(frozen=True, slots=True)
class AppTarget:
    """A SioApp found in a module, and how another process imports it again."""

    module: str
    attr: str
    root: Path
    app: SioApp

    @property
    def import_string(self) -> str:
        """``module:attr``, for uvicorn's worker and reload processes."""
        return f"{self.module}:{self.attr}"


@dataclass(frozen=True, slots=True)
class _Location:
    module: str
    attr: str | None
    root: Path


def _module_of_file(path: Path) -> _Location:
    """The dotted name of the Python file ``path`` and the directory to import it from."""
    path = path.resolve()
    if not path.is_file():
        raise CliError(f"no such file: {path}")
    parts = [] if path.name == "__init__.py" else [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    if not parts or not all(part.isidentifier() for part in parts):
        raise CliError(f"{path} cannot be imported as a module")
    return _Location(".".join(parts), None, folder)


def parse_spec(spec: str, cwd: Path) -> tuple[str, str | None, Path]:
    """``(module, attr or None, import root)`` for an APP argument."""
    location, _, attr = spec.partition(":")
    if not location or (spec.count(":") > 1) or (":" in spec and not attr.isidentifier()):
        raise CliError(f"APP must be module:attr or path/to/file.py[:attr], not {spec!r}")
    if location.endswith(".py") or "/" in location:
        found = _module_of_file(cwd / location)
        return found.module, attr or None, found.root
    if not all(part.isidentifier() for part in location.split(".")):
        raise CliError(f"{location!r} is neither a module name nor a .py file")
    return location, attr or None, cwd


def candidates(cwd: Path) -> list[Path]:
    """The files discovery looks at without APP or configuration, in order."""
    found = [cwd / name for name in DEFAULT_FILES]
    packages = sorted(
        child
        for child in cwd.iterdir()
        if child.is_dir() and child.name.isidentifier() and (child / "__init__.py").is_file()
    )
    found.extend(package / name for package in packages for name in DEFAULT_FILES)
    return found


def _where(exc: BaseException, root: Path) -> str:
    """``file:line`` of the innermost frame of ``exc`` in the user's files, else the innermost."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno}"
    frames = traceback.extract_tb(exc.__traceback__)
    own = [frame for frame in frames if Path(frame.filename).is_relative_to(root)]
    chosen = own or frames
    return f"{chosen[-1].filename}:{chosen[-1].lineno}" if chosen else "?"


def _import(module: str, root: Path) -> ModuleType:
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (module == exc.name or module.startswith(exc.name + ".")):
            raise CliError(f"cannot find module {module!r} (imported from {root})") from exc
        raise CliError(
            f"error while importing {module!r}: {type(exc).__name__}: {exc} ({_where(exc, root)})"
        ) from exc
    except Exception as exc:
        raise CliError(
            f"error while importing {module!r}: {type(exc).__name__}: {exc} ({_where(exc, root)})"
        ) from exc


def _pick(module: ModuleType, attr: str | None) -> tuple[str, SioApp]:
    name = module.__name__
    if attr is not None:
        if not hasattr(module, attr):
            raise CliError(f"module {name!r} has no attribute {attr!r}")
        value = getattr(module, attr)
        if not isinstance(value, SioApp):
            raise CliError(f"{name}:{attr} is a {type(value).__name__}, not a SioApp")
        return attr, value
    apps: dict[int, str] = {}
    for key, value in vars(module).items():
        if isinstance(value, SioApp) and not key.startswith("_"):
            apps.setdefault(id(value), key)
    names = list(apps.values())
    if PREFERRED_NAME in names or len(names) == 1:
        chosen = PREFERRED_NAME if PREFERRED_NAME in names else names[0]
        return chosen, getattr(module, chosen)
    if not names:
        raise CliError(f"module {name!r} has no module-level SioApp")
    raise CliError(
        f"module {name!r} has several SioApps ({', '.join(names)}): pass APP as {name}:<attr>"
    )


def find_app(spec: str | None, cwd: Path) -> AppTarget:
    """Import and return the app named by ``spec``, the configuration, or discovery."""
    spec = spec or load_config(cwd).app
    if spec is not None:
        module, attr, root = parse_spec(spec, cwd)
    else:
        files = candidates(cwd)
        existing = next((path for path in files if path.is_file()), None)
        if existing is None:
            raise CliError(
                f"no app found in {cwd}: looked for app.py, main.py, <package>/app.py and "
                '<package>/main.py; pass APP (module:attr) or set [tool.sioapp] app = "..." '
                "in pyproject.toml"
            )
        location = _module_of_file(existing)
        module, attr, root = location.module, None, location.root
    chosen, app = _pick(_import(module, root), attr)
    return AppTarget(module=module, attr=chosen, root=root, app=app)
