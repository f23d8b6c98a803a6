"""The mock API on loopback: :class:`MockServer` in a background thread, :func:`serve` in front.

Both run :func:`~nbconnect.mock.app.mock_app` with the generic helper
:class:`nbconnect.serving.BackgroundServer` (uvicorn, plain http or https with a trustme
certificate). :func:`mock_app` is re-exported here, so ``from nbconnect.mock.server import
MockServer, mock_app, serve`` keeps working. What the mock does with a request is described in
:mod:`nbconnect.mock.app`.
"""

from __future__ import annotations

import ssl
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import MockError, ServerStartError, clip
from ..serving import BackgroundServer
from .app import MockInfo, mock_app

__all__ = ["MockServer", "mock_app", "serve"]


class MockServer:
    """The mock API under uvicorn on loopback, in a background thread.

    ``start()`` returns :attr:`url`: ``scheme://host:port`` plus the spec's base path
    (the demo's ``/v1``), ready to be a connection's base URL; ``stop()`` shuts it down
    and frees the port; ``with MockServer(spec) as mock:`` does both. ``port=0`` picks a
    free port. With ``tls=True`` it serves https with a certificate for 127.0.0.1 and
    localhost from a fresh trustme CA: :attr:`verify` is an ``ssl.SSLContext`` that
    trusts it (``verify=mock.verify`` in httpx2), :attr:`ca_pem_path` the CA as a PEM
    file for other clients (``curl --cacert``, ``NODE_EXTRA_CA_CERTS`` for newman) and
    :attr:`trust_hint` says so in one sentence.
    """

    def __init__(self, source: Any, *, host: str = "127.0.0.1", port: int = 0,
                 tls: bool = False, credentials: Mapping[str, Any] | None = None,
                 seed: int = 0) -> None:
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
            raise MockError(f"The mock's port must be a number from 0 to 65535 (0 picks "
                            f"a free one), not {clip(repr(port), 40)}.", option="port")
        self.app = mock_app(source, credentials=credentials, seed=seed)
        self.info: MockInfo = self.app.state.mock
        self.title = self.info.title
        self.host = host
        self.requested_port = port
        self.tls = bool(tls)
        self.server = BackgroundServer(self.app, host=host, port=port, tls=self.tls,
                                       name="mock", lifespan="off")

    # -- state ---------------------------------------------------------------------

    @property
    def port(self) -> int | None:
        """The port served on while running, else None."""
        return self.server.port

    @property
    def running(self) -> bool:
        return self.server.running

    @property
    def root_url(self) -> str:
        """``scheme://host:port`` (no base path); token endpoints live under it."""
        if self.server.port is None:
            raise MockError("The mock server is not running; call start() first.")
        return self.server.root_url

    @property
    def url(self) -> str:
        """The base URL of the mocked API (root URL plus the spec's base path)."""
        return self.root_url + self.info.base_path

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """An ``ssl.SSLContext`` trusting the mock's CA with TLS, else ``True``."""
        return self.server.verify

    @property
    def ca_pem_path(self) -> Path | None:
        """The CA certificate as a PEM file while running with TLS, else None."""
        return self.server.ca_pem_path

    @property
    def trust_hint(self) -> str:
        """One sentence telling a client how to trust the mock."""
        if not self.tls:
            return ("The mock serves plain http on loopback, so there is no certificate to "
                    "trust.")
        ca = self.ca_pem_path
        where = str(ca) if ca else "mock.ca_pem_path (once started)"
        return (f"The mock's certificate comes from a private test CA: trust it with "
                f"verify=mock.verify in Python, or with the CA file {where} (curl --cacert "
                "FILE, SSL_CERT_FILE=FILE, NODE_EXTRA_CA_CERTS=FILE for newman).")

    def __repr__(self) -> str:
        return f"MockServer({self.title!r}, tls={self.tls}, running={self.running})"

    # -- lifecycle -------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> str:
        """Start serving in a background thread; returns :attr:`url`."""
        import openapi_schema_validator  # noqa: F401 - loaded now, not on the first request

        try:
            self.server.start(timeout)
        except ServerStartError as exc:
            raise MockError(exc.message, option=exc.option) from None
        return self.url

    def stop(self) -> None:
        """Stop serving and free the port (safe to call twice)."""
        self.server.stop()

    def serve_forever(self, *, out: Any = None) -> None:
        """Serve in this thread until interrupted (Ctrl-C), printing the URL first."""
        import openapi_schema_validator  # noqa: F401 - loaded now, not on the first request

        out = out if out is not None else sys.stdout

        def announce() -> None:
            ops = len(self.info.operations)
            print(f"Mock of {self.title!r} ({ops} operation{'s' if ops != 1 else ''}) at "
                  f"{self.url}", file=out)
            for path in self.info.token_paths:
                print(f"OAuth2 token endpoint: {self.root_url}{path}", file=out)
            print(self.trust_hint, file=out)
            print("Press Ctrl-C to stop.", file=out, flush=True)

        try:
            self.server.serve_forever(ready=announce)
        except ServerStartError as exc:
            raise MockError(exc.message, option=exc.option) from None
        print("Mock stopped.", file=out, flush=True)

    def __enter__(self) -> MockServer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def serve(source: Any, *, host: str = "127.0.0.1", port: int = 0, tls: bool = False,
          credentials: Mapping[str, Any] | None = None, seed: int = 0,
          out: Any = None) -> None:
    """Run the mock of ``source`` in the foreground (``nbconnect mock``) until Ctrl-C.

    Prints the base URL, any OAuth2 token endpoint and how to trust the certificate.
    """
    MockServer(source, host=host, port=port, tls=tls, credentials=credentials,
               seed=seed).serve_forever(out=out)
