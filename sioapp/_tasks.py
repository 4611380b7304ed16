"""Background tasks kept alive until they finish: the event loop holds only weak references."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterator
from typing import Any

__all__ = ["TaskSet"]


class TaskSet:
    """The tasks an object started and that are still running."""

    __slots__ = ("_tasks",)

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Awaitable[Any]) -> None:
        """Run ``work`` in a task of its own, kept until it is done."""
        self.keep(asyncio.ensure_future(work))

    def keep(self, task: asyncio.Task[Any]) -> None:
        """Hold ``task`` until it is done."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def __iter__(self) -> Iterator[asyncio.Task[Any]]:
        return iter(list(self._tasks))

    def __len__(self) -> int:
        return len(self._tasks)
