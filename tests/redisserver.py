"""A real Redis for tests: Debian's ``/usr/bin/redis-server`` on a free loopback port.

Usage::

    from tests.redisserver import RedisServer

    with RedisServer(tmp_path) as srv:       # appendonly, appendfsync always
        log = open_event_log(srv.url)        # redis://127.0.0.1:PORT/0

The server runs in a temporary directory with ``--save ""`` (no RDB snapshots) and an
append-only file fsynced on every write (``--appendfsync always``), so an acknowledged
write survives a crash of the client. :meth:`RedisServer.restart` stops it and starts it
again on the same port and directory (the AOF is replayed). The ``redis_server`` fixture of
the webhook receiver tests wraps it; the benchmark uses it too.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["REDIS_SERVER", "RedisServer"]

REDIS_SERVER = "/usr/bin/redis-server"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """``redis-server`` on 127.0.0.1, in ``directory`` (a fresh temporary one by default)."""

    def __init__(self, directory: Path | None = None, *, appendfsync: str = "always") -> None:
        self._own = directory is None
        self.directory = Path(directory or tempfile.mkdtemp(prefix="nbconnect-redis-"))
        self.appendfsync = appendfsync
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 30.0) -> RedisServer:
        """Start the server and wait until it answers PING."""
        import redis

        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.directory), "--save", "", "--appendonly", "yes",
             "--appendfsync", self.appendfsync, "--protected-mode", "yes",
             "--daemonize", "no", "--logfile", str(self.directory / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)
        try:
            while True:
                if self.process.poll() is not None:
                    log = (self.directory / "redis.log")
                    text = log.read_text(errors="replace")[-400:] if log.exists() else ""
                    raise RuntimeError(f"redis-server exited: {text}")
                with contextlib.suppress(redis.exceptions.RedisError):
                    if client.ping():
                        return self
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not answer PING in time")
                time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s)."""
        proc, self.process = self.process, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def restart(self) -> None:
        """Stop and start again on the same port and directory."""
        self.stop()
        self.start()

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
        if self._own:
            shutil.rmtree(self.directory, ignore_errors=True)
