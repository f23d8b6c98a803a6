"""Shared test fixtures: spec fixture paths, a test CA, and real local servers.

* ``specs_dir`` - ``tests/specs`` (the fixture specs).
* ``tls_ca`` - one ``trustme.CA`` for the session.
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
