"""Shared test fixtures: spec fixture paths, a test CA, and real local servers.

* ``specs_dir`` - ``tests/specs`` (the fixture specs).
* ``tls_ca`` - one ``trustme.CA`` for the session.
* ``shell`` / ``ip`` - a real IPython shell, and that shell with the extension loaded.
* ``face`` - one scenario through both faces: ``face.run("VERB ARGS")`` runs the line as
  ``nbconnect VERB PKG ARGS`` (param ``cli``) or ``%connect VERB ARGS`` (param ``magic``) and
  returns an :class:`Outcome` (exit code, result, output, error sentence, connector after).
* ``serve_app`` - ``serve_app(app, tls=False)`` starts ``app`` under uvicorn on
  127.0.0.1 (https with a certificate from ``tls_ca`` when ``tls=True``) and returns a
  :class:`tests.servers.RunningServer`; every server is stopped at the end of the test.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import nbconnect

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


# --------------------------------------------------------------------------- both faces


@dataclasses.dataclass
class Outcome:
    """What one verb line did in a face.

    ``code``: the exit code (the magic: 0, or 2 when it raised a UsageError); ``result``: what
    the magic returned (the CLI: the exit code); ``out``: what was printed; ``error``: the
    one-line error sentence without its face prefix (``nbconnect: error:`` / ``UsageError:``),
    "" when none; ``err``: the raw stderr; ``connector``: the connector afterwards (the CLI:
    the package loaded again, None when there is none).
    """

    code: int
    result: Any
    out: str
    error: str
    err: str
    connector: Any


class Face:
    """Runs verb lines (``"connection add dev --base-url URL"``, without PKG) through one face.

    The CLI inserts the package ``self.package`` where the verb wants it (``nbconnect VERB
    PKG ARGS``, ``import SPEC -o PKG``); the magic runs ``%connect LINE`` in a real IPython
    shell. A cell body goes to the magic as ``%%connect LINE`` and to the CLI as a file (the
    verb's ``--yaml FILE``, or the SPEC of ``import``).
    """

    def __init__(self, name: str, workdir: Path, capsys: Any = None, ip: Any = None) -> None:
        self.name = name
        self.workdir = workdir
        self.package = workdir / "pkg"
        self._capsys = capsys
        self._ip = ip

    def __repr__(self) -> str:
        return f"Face({self.name!r})"

    @property
    def session(self) -> Any:
        return self._ip.magics_manager.registry["ConnectMagics"].session

    def start(self, connector: Any) -> None:
        """Make ``connector`` the one the next lines work on (the CLI: the package PKG)."""
        if self.name == "cli":
            import nbconnect

            nbconnect.export(connector, self.package)
        else:
            self.session.set_connector(connector)

    @property
    def connector(self) -> Any:
        if self.name == "magic":
            return self.session.connector
        import nbconnect

        return nbconnect.load(self.package) if self.package.exists() else None

    def run(self, line: str, cell: str | None = None) -> Outcome:
        return self._cli(line, cell) if self.name == "cli" else self._magic(line, cell)

    def _cli(self, line: str, cell: str | None) -> Outcome:
        import shlex

        from nbconnect.errors import VerbUsageError
        from nbconnect.verbs import table

        words = shlex.split(line)
        try:
            verb, rest = table.find_verb(words, "cli", cell=cell is not None)
        except VerbUsageError:  # an unknown verb: the CLI says so itself
            return self._main(words)
        head = list(verb.words)
        rest = list(rest)
        if cell is not None:
            body = self.workdir / "cell-body.yaml"
            body.write_text(cell, encoding="utf-8")
            arg = verb.cell_arg
            assert arg is not None, f"{verb.name} takes no body"
            rest = [*arg.flags, str(body), *rest] if arg.flags else [str(body), *rest]
        if verb.package in ("load", "create"):
            argv = [*head, str(self.package), *rest]
        elif verb.package == "output":
            argv = [*head, *rest, "-o", str(self.package)]
        else:
            argv = [*head, *rest]
        return self._main(argv)

    def _main(self, argv: list[str]) -> Outcome:
        from nbconnect.cli import main

        self._capsys.readouterr()
        code = main(argv)
        out, err = self._capsys.readouterr()
        lines = err.splitlines()
        error = ""
        if code == 2 and lines and lines[0].startswith("nbconnect: error: "):
            error = lines[0][len("nbconnect: error: "):]
        return Outcome(code, code, out, error, err, self.connector)

    def _magic(self, line: str, cell: str | None) -> Outcome:
        from IPython.core.error import UsageError
        from IPython.utils.capture import capture_output

        source = f"%connect {line}" if cell is None else f"%%connect {line}\n{cell}"
        with capture_output() as cap:
            result = self._ip.run_cell(source)
        exc = result.error_in_exec
        error = ""
        if exc is not None:
            assert type(exc) is UsageError, cap.stderr
            lines = [x for x in cap.stderr.splitlines() if x.strip()]
            assert lines and lines[0].startswith("UsageError: "), cap.stderr
            error = lines[0][len("UsageError: "):]
        code = 0 if exc is None else 2
        return Outcome(code, result.result, cap.stdout, error, cap.stderr, self.connector)


@pytest.fixture(params=["cli", "magic"])
def face(request: pytest.FixtureRequest, tmp_path: Path,
         monkeypatch: pytest.MonkeyPatch) -> Face:
    """One scenario, run through the CLI and through the magic (see :class:`Face`)."""
    if request.param == "cli":
        monkeypatch.chdir(tmp_path)
        return Face("cli", tmp_path, capsys=request.getfixturevalue("capsys"))
    return Face("magic", tmp_path, ip=request.getfixturevalue("ip"))


@pytest.fixture
def fresh_link_cache() -> Iterator[None]:
    """An empty parameter-link options cache before and after the test."""
    from nbconnect.links.options import clear_cache

    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def demo_mock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The demo connector with a ``mock`` connection to its running mock API (the key is a
    reference to an environment variable)."""
    from nbconnect.mock.server import MockServer
    from nbconnect.verbs.connection import add_connection
    from nbconnect.verbs.grammar import make_connection

    monkeypatch.setenv("NBC_DEMO_MOCK_KEY", "demo-mock-key")
    c = nbconnect.Connector("demo")
    c.import_spec(nbconnect.demo_spec_path())
    with MockServer(c, credentials={"api-key": "demo-mock-key"}) as mock:
        add_connection(c, make_connection("mock", base_url=mock.url,
                                          secrets={"value": "env:NBC_DEMO_MOCK_KEY"},
                                          auth=c.auth))
        yield c
