"""The seams between sioapp and python-socketio hold for the installed python-socketio.

Each failure names the member and what sioapp does with it, so an upgrade that
changes one of them says so here, and not as a mysterious failure elsewhere.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from importlib.metadata import version
from types import ModuleType
from typing import Any

import pytest
import socketio
from socketio import async_manager, async_pubsub_manager, async_server, base_manager, base_server

from sioapp._cluster import link
from sioapp._cluster.link import ClusterLink
from sioapp._protocol import manager, server
from sioapp._protocol.manager import LocalManager
from sioapp._protocol.seam import SEAMS, Seam
from sioapp._protocol.server import SioServer
from sioapp._transport import Engine

INSTALLED = f"python-socketio {version('python-socketio')}"


def _owner(seam: Seam) -> type:
    module, name = seam.owner.split(":")
    owner: type = getattr(importlib.import_module(module), name)
    return owner


@pytest.mark.parametrize("seam", SEAMS, ids=lambda seam: f"{seam.owner}.{seam.member}")
def test_each_private_member_sioapp_touches_is_there_as_expected(seam: Seam) -> None:
    where = f"{INSTALLED}: {seam.owner}.{seam.member} (sioapp/_protocol/seam.py)"
    member = getattr(_owner(seam), seam.member, None)
    assert member is not None, f"{where} is gone; sioapp relies on it: {seam.use}"
    assert callable(member), f"{where} is no longer a method; sioapp {seam.use}"
    parameters = tuple(inspect.signature(member).parameters)
    assert parameters[: len(seam.parameters)] == seam.parameters, (
        f"{where} now takes {parameters}, sioapp expects {seam.parameters}: {seam.use}"
    )


def _private_names(cls: type, *instances: Any) -> set[str]:
    names = {name for name in dir(cls) if name.startswith("_") and not name.startswith("__")}
    for instance in instances:
        names |= {name for name in vars(instance) if name.startswith("_")}
    return names


def _used_private_names(module: ModuleType) -> set[str]:
    """Private names a module reaches through ``self`` or ``super()``."""
    source = inspect.getsource(module)
    return set(re.findall(r"\b(?:self|super\(\))\.(_[a-z]\w*)", source)) | set(
        re.findall(r"\bdef (_[a-z]\w*)", source)
    )


@pytest.mark.parametrize(
    ("ours", "module", "theirs", "instances"),
    [
        (SioServer, server, socketio.AsyncServer, lambda: [socketio.AsyncServer()]),
        (LocalManager, manager, socketio.AsyncManager, lambda: [socketio.AsyncManager()]),
        (
            ClusterLink,
            link,
            socketio.AsyncRedisManager,
            lambda: [socketio.AsyncRedisManager("redis://127.0.0.1:1")],
        ),
    ],
    ids=["server", "manager", "cluster"],
)
def test_no_other_private_member_is_touched(
    ours: type, module: ModuleType, theirs: type, instances: Any
) -> None:
    """sioapp's subclasses neither use nor shadow python-socketio's private names, but for
    the seams listed."""
    assert issubclass(ours, theirs)
    listed = {seam.member for seam in SEAMS}
    touched = _used_private_names(module) & _private_names(theirs, *instances())
    assert touched <= listed, (
        f"{INSTALLED}: {ours.__name__} touches private members of {theirs.__name__} that "
        f"sioapp/_protocol/seam.py does not list: {sorted(touched - listed)}"
    )


def _engine_members(module: ModuleType) -> set[str]:
    """The members ``module``'s code reaches on ``eio`` or ``self.eio`` (docstrings aside)."""
    found = set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if not isinstance(node, ast.Attribute):
            continue
        value = node.value
        if (isinstance(value, ast.Name) and value.id == "eio") or (
            isinstance(value, ast.Attribute) and value.attr == "eio"
        ):
            found.add(node.attr)
    return found


def test_python_socketio_calls_only_what_the_engine_has() -> None:
    """Every member python-socketio's server and managers call on their engine."""
    modules = (async_server, base_server, async_manager, base_manager, async_pubsub_manager)
    called = set().union(*(_engine_members(module) for module in modules))
    assert called, "python-socketio no longer reaches its engine through .eio"
    missing = sorted(name for name in called if not hasattr(Engine, name))
    assert not missing, f"{INSTALLED} calls {missing} on its engine, which sioapp's lacks"


def test_the_pins_are_exact() -> None:
    """python-socketio and python-engineio are pinned to one version each."""
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    pins = [d for d in project["project"]["dependencies"] if d.startswith("python-")]
    assert sorted(pins) == [
        f"python-engineio=={version('python-engineio')}",
        f"python-socketio=={version('python-socketio')}",
    ]
