"""Real local servers for tests: run an ASGI app under uvicorn on 127.0.0.1 in a thread.

Usage::

    from tests.servers import serve, RequestLog

    log = RequestLog(app)                     # optional: records every request
    with serve(log, tls=ca) as srv:           # ca: a trustme.CA, or None for plain http
        httpx2.get(srv.url + "/spec.yaml", verify=srv.client_ssl_context())
        assert log.paths == ["/spec.yaml"]

``serve`` picks a free port, waits until uvicorn accepts connections, and stops the
server (with a short graceful-shutdown timeout) when the block ends. With ``tls`` the
server presents a certificate for 127.0.0.1/localhost issued by the given trustme CA;
``srv.client_ssl_context()`` returns an ``ssl.SSLContext`` that trusts that CA (pass it
as ``verify=``). The ``conftest.py`` fixtures ``tls_ca`` and ``serve_app`` wrap this.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["RequestLog", "RunningServer", "free_port", "serve"]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class RequestLog:
    """ASGI middleware that records each HTTP request as ``(method, path, headers)``."""

    def __init__(self, app: Any = None) -> None:
        self.app = app
        self.requests: list[tuple[str, str, dict[str, str]]] = []

    @property
    def paths(self) -> list[str]:
        return [path for _, path, _ in self.requests]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            self.requests.append((scope["method"], scope["path"], headers))
        if self.app is not None:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await send({"type": "http.response.start", "status": 404,
                    "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"not found"})


@dataclass
class RunningServer:
    """A running uvicorn server: ``url`` (no trailing slash), ``host``, ``port``."""

    url: str
    host: str
    port: int
    ca: Any = None
    _server: Any = field(default=None, repr=False)

    def client_ssl_context(self) -> ssl.SSLContext:
        """An SSL context that trusts the server's test CA (use as ``verify=``)."""
        ctx = ssl.create_default_context()
        if self.ca is not None:
            self.ca.configure_trust(ctx)
        return ctx


@contextlib.contextmanager
def serve(app: Any, *, tls: Any = None, host: str = "127.0.0.1",
          port: int | None = None, startup_timeout: float = 10.0) -> Iterator[RunningServer]:
    """Run ``app`` under uvicorn on ``host`` in a daemon thread for the ``with`` block.

    ``tls`` is a ``trustme.CA`` (serve https with a certificate it issues) or ``None``.
    """
    import uvicorn

    port = port or free_port(host)
    with tempfile.TemporaryDirectory(prefix="nbconnect-tls-") as tmp:
        kwargs: dict[str, Any] = {}
        if tls is not None:
            cert = tls.issue_cert(host, "localhost", "127.0.0.1")
            pem = Path(tmp) / "server.pem"
            cert.private_key_and_cert_chain_pem.write_to_path(str(pem))
            kwargs.update(ssl_certfile=str(pem), ssl_keyfile=str(pem))
        config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                                lifespan="off", timeout_graceful_shutdown=1,
                                access_log=False, **kwargs)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
        thread.start()
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on {host}:{port}")
            time.sleep(0.01)
        scheme = "https" if tls is not None else "http"
        try:
            yield RunningServer(f"{scheme}://{host}:{port}", host, port, tls, server)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
