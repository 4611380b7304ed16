"""Real processes for the cluster tests: a throwaway redis-server and uvicorn app servers.

Each app server is ``uvicorn tests.cluster.cluster_app:app`` on a free port,
joined to the Redis server through ``SIOAPP_REDIS_URL``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

import pytest
import socketio

from sioapp.testing import free_port

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20.0


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Return once something accepts connections on ``port``; fail if ``process`` exits."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{process.args} did not listen on {port}:\n{log.read_text()}")


class Process:
    """A child process whose output goes to a log file."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self._output: IO[bytes] | None = None

    def _spawn(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self._output = self.log.open("ab")
        self.process = subprocess.Popen(
            args, stdout=self._output, stderr=subprocess.STDOUT, cwd=REPO, env=env
        )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def wait(self, timeout: float = 10.0) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def stop(self) -> None:
        """Terminate (kill after 10 s) and reap the process."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGCONT)
                self.process.terminate()
                try:
                    self.process.wait(10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            self.process = None
        if self._output is not None:
            self._output.close()
            self._output = None


class RedisServer(Process):
    """redis-server on a free port of 127.0.0.1, without persistence, files in ``directory``."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory / "redis.log")
        self.directory = directory
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (or start again, on the same port)."""
        self._spawn(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ]
        )
        assert self.process is not None
        wait_for_port(self.port, self.process, self.log)


class AppServer(Process):
    """One ``uvicorn tests.cluster.cluster_app:app`` process joined to ``redis``."""

    def __init__(self, name: str, redis: RedisServer, directory: Path, timeout: float) -> None:
        super().__init__(directory / f"server-{name}.log")
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "SIOAPP_REDIS_URL": redis.url,
            "CLUSTER_TIMEOUT": str(timeout),
            "CLUSTER_SERVER_NAME": name,
        }

    def spawn(self) -> None:
        self._spawn(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "tests.cluster.cluster_app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--lifespan",
                "on",
            ],
            env=self.env,
        )

    def wait_started(self) -> None:
        assert self.process is not None
        wait_for_port(self.port, self.process, self.log)


class Cluster:
    """A Redis server and app servers named ``a``, ``b``, ``c``..."""

    def __init__(self, directory: Path, size: int, timeout: float) -> None:
        self.redis = RedisServer(directory)
        self.servers = [
            AppServer(chr(ord("a") + index), self.redis, directory, timeout)
            for index in range(size)
        ]

    def __getitem__(self, name: str) -> AppServer:
        (server,) = [server for server in self.servers if server.name == name]
        return server

    def start(self) -> None:
        self.redis.start()
        for server in self.servers:
            server.spawn()
        for server in self.servers:
            server.wait_started()

    def stop(self) -> None:
        for process in [*self.servers, self.redis]:
            process.stop()

    def logs(self) -> str:
        return "\n".join(
            f"--- {process.log.name}\n{process.log.read_text(errors='replace')}"
            for process in [*self.servers, self.redis]
            if process.log.exists()
        )


StartCluster = Callable[..., Cluster]


@pytest.fixture
def start_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartCluster]:
    """``cluster = start_cluster(size=3, timeout=5.0)``: stopped after the test.

    The processes' logs go to stderr, which pytest shows when the test fails.
    """
    with ExitStack() as stack:

        def start(size: int = 3, timeout: float = 5.0) -> Cluster:
            cluster = Cluster(tmp_path_factory.mktemp("cluster"), size, timeout)
            stack.callback(lambda: sys.stderr.write(cluster.logs()))
            stack.callback(cluster.stop)
            cluster.start()
            return cluster

        yield start


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server on a free port, not started yet; stopped after the test."""
    server = RedisServer(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def shared_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Three servers for a whole test module; tests keep to their own rooms."""
    cluster = Cluster(tmp_path_factory.mktemp("cluster"), 3, 5.0)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        sys.stderr.write(cluster.logs())


async def wait_disconnected(c: socketio.AsyncClient, timeout: float = 5.0) -> None:
    """Return once ``c`` is disconnected."""
    async with asyncio.timeout(timeout):
        while c.connected:
            await asyncio.sleep(0.02)


async def call(ops: socketio.AsyncClient, event: str, *args: Any, timeout: float = 15) -> Any:
    """Run an ``/ops`` operation on the server ``ops`` is connected to; its result."""
    result = await ops.call(event, args, namespace="/ops", timeout=timeout)
    assert not (isinstance(result, dict) and "error" in result), result
    return result
