"""The garbage collector set for a long-running server while an app serves.

Every connection adds a few hundred long-lived objects (tasks, queues,
frames); with Python's defaults the collector scans them, and everything
imported at startup, again and again while clients connect: about 30 % of
the CPU time of 2,000 clients connecting. Freezing what exists at startup and
collecting the youngest generation less often removes most of that work.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["DEFAULT_GC_THRESHOLD", "tuned_gc"]

#: Allocations between two collections of the youngest generation while an app serves
#: (Python's default is 700).
DEFAULT_GC_THRESHOLD = 10_000

_lock = threading.Lock()
_serving = 0
_saved: tuple[int, int, int] = gc.get_threshold()


@contextmanager
def tuned_gc(threshold: int) -> Iterator[None]:
    """While the block runs, the objects alive when it starts are left out of collections
    (``gc.freeze()``) and the youngest generation is collected every ``threshold``
    allocations.

    The settings are the process's: apps serving at the same time share them, and
    Python's are back (``gc.unfreeze()``, the previous thresholds) once the last one
    stops.
    """
    global _serving, _saved
    with _lock:
        if _serving == 0:
            _saved = gc.get_threshold()
        _serving += 1
        gc.freeze()
        gc.set_threshold(threshold, *_saved[1:])
    try:
        yield
    finally:
        with _lock:
            _serving -= 1
            if _serving == 0:
                gc.unfreeze()
                gc.set_threshold(*_saved)
