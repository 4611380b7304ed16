"""Every private member of python-socketio that sioapp touches, in one place.

python-socketio is the Socket.IO layer (its packet codec, its managers and
pub/sub template); sioapp extends it through these seams only. Each entry says
what sioapp does with the member and the parameters it relies on; the test
suite (``tests/test_seams.py``) checks every entry against the installed
version, and that python-socketio calls on its engine only members sioapp's
engine has. Upgrading python-socketio: bump the exact pin in pyproject.toml,
run that test and the conformance tests (docs/guides/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SEAMS", "Seam"]


@dataclass(frozen=True, slots=True)
class Seam:
    """A private member of a python-socketio class that sioapp overrides or calls."""

    #: ``module:Class`` in python-socketio.
    owner: str
    member: str
    #: What sioapp does with it.
    use: str
    #: The parameters sioapp relies on, ``self`` included.
    parameters: tuple[str, ...]


SEAMS: tuple[Seam, ...] = (
    Seam(
        "socketio:AsyncServer",
        "_engineio_server_class",
        "overridden by SioServer: python-socketio builds sioapp's engine instead of its own",
        ("self",),
    ),
    Seam(
        "socketio.async_pubsub_manager:AsyncPubSubManager",
        "_publish",
        "overridden by ClusterLink: python-socketio's own messages leave through sioapp's "
        "ordered, pipelined outbox",
        ("self", "data"),
    ),
    Seam(
        "socketio.async_pubsub_manager:AsyncPubSubManager",
        "_listen",
        "overridden by ClusterLink: one subscription carries python-socketio's channel and "
        "sioapp's request and response channels, and heals after Redis comes back",
        ("self",),
    ),
    Seam(
        "socketio:AsyncRedisManager",
        "_redis_connect",
        "called by ClusterLink: creates the Redis client with sioapp's options",
        ("self",),
    ),
)
