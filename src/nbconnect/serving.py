"""One background-server helper: an ASGI app under uvicorn on loopback, optionally over TLS.

:class:`BackgroundServer` binds a socket (``port=0`` picks a free port, known before
:meth:`~BackgroundServer.start` returns), serves an ASGI app with uvicorn in a daemon thread
and stops cleanly, freeing the port. With ``tls=True`` it serves https with a certificate
for 127.0.0.1, localhost and ::1 from a fresh trustme CA: :attr:`~BackgroundServer.verify`
is an ``ssl.SSLContext`` that trusts it, :attr:`~BackgroundServer.ca_pem_path` the CA as a
PEM file for other clients. :meth:`~BackgroundServer.serve_forever` runs the same server in
the foreground until Ctrl-C (for commands such as ``mock`` or ``webhooks serve``).

The mock API uses it, as will the webhook receiver and the MCP server. Importing this module
is light: uvicorn and trustme are imported when a server is prepared.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ServerStartError

__all__ = ["BackgroundServer"]


class BackgroundServer:
    """An ASGI app served by uvicorn on ``host:port`` in a background thread.

    ``name`` says what is served ("mock", "webhook receiver"); it names the thread, the
    temporary CA file and the error messages. ``lifespan`` is uvicorn's setting ("auto",
    "on" or "off"). Use ``start()``/``stop()`` or ``with BackgroundServer(app) as server:``.
    """

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0,
                 tls: bool = False, name: str = "server", lifespan: str = "auto") -> None:
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
            raise ServerStartError(f"The {name}'s port must be a number from 0 to 65535 (0 "
                                   f"picks a free one), not {port!r}.", option="port")
        self.app = app
        self.host = host
        self.requested_port = port
        self.tls = bool(tls)
        self.name = name
        self.lifespan = lifespan
        #: the bound port while running (or while serving in the foreground), else None
        self.port: int | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._tmp: str | None = None
        self._ca: Any = None
        self._ca_pem: Path | None = None
        self._context: ssl.SSLContext | None = None
        self._lock = threading.Lock()

    # -- state ---------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True between a successful ``start()`` and ``stop()``."""
        return self._server is not None

    @property
    def root_url(self) -> str:
        """``scheme://host:port`` of the running server."""
        if self.port is None:
            raise ServerStartError(f"The {self.name} is not running; call start() first.")
        host = self.host
        if host in ("0.0.0.0", "", "::"):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The server's URL (its root URL; subclasses may add a base path)."""
        return self.root_url

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """With TLS an ``ssl.SSLContext`` trusting the CA (even before start), else True."""
        if not self.tls:
            return True
        if self._context is None:
            ctx = ssl.create_default_context()
            self.ca.configure_trust(ctx)
            self._context = ctx
        return self._context

    @property
    def ssl_context(self) -> ssl.SSLContext | None:
        """The client ``ssl.SSLContext`` with TLS, else None."""
        verify = self.verify
        return verify if isinstance(verify, ssl.SSLContext) else None

    @property
    def ca(self) -> Any:
        """The ``trustme.CA`` that signs the server certificate (made on first use)."""
        if self._ca is None:
            import trustme

            self._ca = trustme.CA(organization_name=f"nbconnect {self.name}")
        return self._ca

    @property
    def ca_pem_path(self) -> Path | None:
        """The CA certificate as a PEM file while serving with TLS, else None."""
        return self._ca_pem

    def __repr__(self) -> str:
        return (f"BackgroundServer({self.name!r}, tls={self.tls}, "
                f"running={self.running})")

    # -- lifecycle -------------------------------------------------------------------

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            # accepted sockets inherit it: without it every keep-alive response waits
            # ~40 ms for the client's delayed ACK (Nagle)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.bind((self.host, self.requested_port))
            sock.listen(128)
        except OSError as exc:
            sock.close()
            what = f"port {self.requested_port}" if self.requested_port else "a free port"
            raise ServerStartError(f"The {self.name} cannot listen on {what} of {self.host} "
                                   f"({exc.strerror or exc}); pick another port (0 picks a "
                                   "free one).", option="port") from None
        sock.setblocking(False)
        return sock

    def _prepare(self) -> tuple[Any, socket.socket]:
        """(uvicorn.Server, bound socket); sets :attr:`port` and writes the TLS files."""
        import uvicorn

        sock = self._bind()
        self.port = sock.getsockname()[1]
        kwargs: dict[str, Any] = {}
        try:
            if self.tls:
                self._tmp = tempfile.mkdtemp(prefix=f"nbconnect-{_slug(self.name)}-")
                names = list(dict.fromkeys(["127.0.0.1", "localhost", "::1", self.host]))
                cert = self.ca.issue_cert(*[n for n in names if n not in ("0.0.0.0", "::", "")])
                pem = Path(self._tmp) / "server.pem"
                cert.private_key_and_cert_chain_pem.write_to_path(str(pem))
                ca_pem = Path(self._tmp) / f"{_slug(self.name)}-ca.pem"
                self.ca.cert_pem.write_to_path(str(ca_pem))
                self._ca_pem = ca_pem
                kwargs.update(ssl_certfile=str(pem), ssl_keyfile=str(pem))
            config = uvicorn.Config(self.app, log_config=None, log_level="warning",
                                    access_log=False, lifespan=self.lifespan,
                                    server_header=False, date_header=False,
                                    timeout_graceful_shutdown=1, **kwargs)
            server = uvicorn.Server(config)
        except BaseException:
            sock.close()
            self.port = None
            self._cleanup()
            raise
        return server, sock

    def start(self, timeout: float = 10.0) -> str:
        """Serve in a daemon thread; returns :attr:`url` once connections are accepted."""
        with self._lock:
            if self._server is not None:
                return self.url
            server, sock = self._prepare()
            errors: list[BaseException] = []

            def run() -> None:
                try:
                    server.run(sockets=[sock])
                except BaseException as exc:  # reported by start()
                    errors.append(exc)

            thread = threading.Thread(target=run, daemon=True,
                                      name=f"nbconnect-{_slug(self.name)}-{self.port}")
            thread.start()
            deadline = time.monotonic() + timeout
            while not server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    server.should_exit = True
                    thread.join(timeout=5)
                    with contextlib.suppress(OSError):
                        sock.close()
                    self.port = None
                    self._cleanup()
                    why = f" ({type(errors[0]).__name__})" if errors else ""
                    raise ServerStartError(f"The {self.name} did not start{why}; try again "
                                           "or pick another port.", option="port")
                time.sleep(0.005)
            self._server, self._thread, self._socket = server, thread, sock
            return self.url

    def stop(self) -> None:
        """Stop serving, join the thread and free the port (safe to call twice)."""
        with self._lock:
            server, thread = self._server, self._thread
            if server is None:
                return
            server.should_exit = True
            if thread is not None:
                thread.join(timeout=10)
                if thread.is_alive():
                    server.force_exit = True
                    thread.join(timeout=5)
            if self._socket is not None:
                with contextlib.suppress(OSError):
                    self._socket.close()
            self._server = self._thread = self._socket = None
            self.port = None
            self._cleanup()

    def serve_forever(self, *, ready: Callable[[], None] | None = None) -> None:
        """Serve in this thread until Ctrl-C; ``ready()`` runs once the port is bound."""
        server, sock = self._prepare()
        try:
            if ready is not None:
                ready()
            self._server = server
            with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C
                server.run(sockets=[sock])
        finally:
            with contextlib.suppress(OSError):
                sock.close()
            self._server = None
            self.port = None
            self._cleanup()

    def _cleanup(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
        self._tmp = None
        self._ca_pem = None

    def __enter__(self) -> BackgroundServer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            if self._server is not None and self._thread is not None:
                self._server.should_exit = True


def _slug(name: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split()) or "server"
