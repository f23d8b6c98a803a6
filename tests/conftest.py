"""Shared test fixtures: spec fixture paths, a test CA, and real local servers.

* ``specs_dir`` - ``tests/specs`` (the fixture specs).
* ``tls_ca`` - one ``trustme.CA`` for the session.
* ``shell`` / ``ip`` - a real IPython shell, and that shell with the extension loaded.
* ``serve_app`` - ``serve_app(app, tls=False)`` starts ``app`` under uvicorn on
  127.0.0.1 (https with a certificate from ``tls_ca`` when ``tls=True``) and returns a
  :class:`tests.servers.RunningServer`; every server is stopped at the end of the test.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.servers import RunningServer, serve

SPECS = Path(__file__).parent / "specs"


@pytest.fixture(scope="session")
def specs_dir() -> Path:
    return SPECS


@pytest.fixture(scope="session")
def tls_ca() -> Any:
    import trustme

    return trustme.CA()


@pytest.fixture
def serve_app(tls_ca: Any) -> Iterator[Callable[..., RunningServer]]:
    with contextlib.ExitStack() as stack:

        def start(app: Any, *, tls: bool = False) -> RunningServer:
            return stack.enter_context(serve(app, tls=tls_ca if tls else None))

        yield start


# --------------------------------------------------------------------------- IPython


@pytest.fixture(scope="session")
def shell() -> Any:
    """A real IPython shell (history in memory, so inputs never reach disk)."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    cfg = Config()
    cfg.HistoryManager.hist_file = ":memory:"
    return InteractiveShell.instance(config=cfg)


@pytest.fixture
def ip(shell: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The shell with the extension freshly loaded in an empty working directory; after
    the test, any mock the session started is stopped, the extension unloaded and the
    ``%config NbConnect`` values dropped."""
    import nbconnect

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NBCONNECT_MOCK_KEY", raising=False)
    nbconnect.load_ipython_extension(shell)
    yield shell
    magics = shell.magics_manager.registry.get("ConnectMagics")
    if magics is not None:
        magics.session.stop_mock()
    nbconnect.unload_ipython_extension(shell)
    shell.config.pop("NbConnect", None)
