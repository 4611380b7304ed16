"""One process, or many through Redis: the manager an app gets."""

from __future__ import annotations

import os

from sioapp._protocol.manager import LocalManager

__all__ = ["REDIS_URL_ENV", "create_manager"]

#: Environment variable read when ``SioApp(redis_url=...)`` is not given.
REDIS_URL_ENV = "SIOAPP_REDIS_URL"


def create_manager(redis_url: str | None, timeout: float) -> LocalManager:
    """A Redis manager for ``redis_url`` (or ``$SIOAPP_REDIS_URL``), else one process.

    Redis is an extra (``pip install 'sioapp[redis]'``): it is imported only here,
    and only when a URL is set.
    """
    if timeout <= 0:
        raise ValueError(f"cluster_timeout must be positive, got {timeout!r}")
    url = redis_url if redis_url is not None else os.environ.get(REDIS_URL_ENV, "")
    if not url:
        return LocalManager()
    try:
        from sioapp._cluster.redis import RedisManager
    except ImportError as exc:
        raise ImportError(
            f"redis_url needs the redis package: pip install 'sioapp[redis]' ({exc})"
        ) from exc
    return RedisManager(url, timeout=timeout)
