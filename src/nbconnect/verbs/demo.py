"""The ``demo`` verb: run the quickstart notebook headless on the bundled demo API.

``nbconnect demo [--output DIR]`` (and ``%connect demo`` in a notebook, which does the same)
copies ``00-quickstart.ipynb`` into DIR (default ``nbconnect-demo``), executes it there in a
fresh Python kernel and says where the executed notebook and the connector package it
exported are. Everything runs on this machine (the quickstart serves the demo API from the
bundled mock on 127.0.0.1), so no network is needed.

The notebook is executed by nbclient's ``jupyter execute`` in a child process, so the core
imports no Jupyter package; the kernel runs with DIR as its working directory, which puts the
package at ``DIR/build/demo-connector``. DIR must be new, empty, or a folder an earlier run
wrote (it holds the marker file ``.nbconnect-demo``); such a folder is replaced as a whole.

A cell that raises does not stop the run: the executed notebook keeps the error output, and
the result names the first failing cell (the CLI exits 1). What prevents a run at all (nbclient
or ipykernel missing, an occupied folder, a kernel that never starts, the time limit) raises
:class:`~nbconnect.errors.DemoError`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DemoError
from .table import Arg, Verb, register

__all__ = ["DEFAULT_OUTPUT", "DEMO_TIMEOUT", "MARKER", "QUICKSTART", "DemoResult",
           "demo_text", "quickstart_path", "run_demo"]

#: The notebook the demo runs.
QUICKSTART = "00-quickstart.ipynb"
#: Where the demo writes when no folder is given (relative to the working directory).
DEFAULT_OUTPUT = "nbconnect-demo"
#: The file that marks a folder written by the demo (so a later run may replace it).
MARKER = ".nbconnect-demo"
#: Seconds the whole run may take (kernel start included) before it is stopped.
DEMO_TIMEOUT = 300.0
#: Where the quickstart's ``export`` cell writes the package, relative to the run's folder.
PACKAGE_DIR = Path("build") / "demo-connector"
_REPORT_MIME = "application/vnd.nbconnect.report+json"
#: Seconds a stopped run has to shut its kernel down before it is killed.
_STOP_GRACE = 20.0
#: Python packages the child process needs to execute a notebook.
_NEEDED = ("nbclient", "ipykernel")


@dataclass
class CellError:
    """One failing cell: its position among the code cells (1-based), the exception's name
    and message, and the first line of its source."""

    cell: int
    name: str
    message: str
    source: str


@dataclass(repr=False)
class DemoResult:
    """A finished run: the executed notebook, the package (None when the notebook did not
    export it), the code cells run, the failing cells, the biggest test report's counts
    (passed, failed; None without a report) and the wall time in seconds."""

    notebook: Path
    package: Path | None
    cells: int
    errors: list[CellError] = field(default_factory=list)
    tests: tuple[int, int] | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when no cell failed and the package was written."""
        return not self.errors and self.package is not None

    def __repr__(self) -> str:
        return demo_text(self)


def quickstart_path() -> Path:
    """The quickstart notebook: the copy shipped in the wheel (``nbconnect/demo/``) or the
    source checkout's ``notebooks/``.

    Raises :class:`DemoError` when neither exists.
    """
    here = Path(__file__).resolve().parents[1]
    for candidate in (here / "demo" / QUICKSTART, here.parents[1] / "notebooks" / QUICKSTART):
        if candidate.is_file():
            return candidate
    raise DemoError(f"The quickstart notebook {QUICKSTART} is not installed with nbconnect; "
                    "run the demo from a source checkout or reinstall nbconnect.")


def _check_runtime() -> None:
    missing = [name for name in _NEEDED if importlib.util.find_spec(name) is None]
    if missing:
        raise DemoError(f"Running the quickstart headless needs {' and '.join(missing)}; "
                        f"install {'them' if len(missing) > 1 else 'it'} with pip install "
                        f"{' '.join(missing)}.")


def _prepare(output: Path) -> None:
    """Make ``output`` an empty folder holding only the marker (replacing an earlier run)."""
    if output.exists() and not output.is_dir():
        raise DemoError(f"{output} is a file; give the demo a folder to write to.",
                        option="output")
    if output.is_dir() and any(output.iterdir()):
        if not (output / MARKER).is_file():
            raise DemoError(f"{output} already holds files the demo did not write; pick a new "
                            "or empty folder.", option="output")
        shutil.rmtree(output)
    output.mkdir(parents=True, exist_ok=True)
    (output / MARKER).write_text("Written by the nbconnect demo; the next run replaces this "
                                 "folder.\n", encoding="utf-8")


def _first_line(source: Any) -> str:
    text = "".join(source) if isinstance(source, list) else str(source)
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _read_outputs(notebook: Path) -> tuple[int, list[CellError], tuple[int, int] | None]:
    """(code cells, failing cells, the biggest report's (passed, failed)) of an executed
    notebook (nbformat 4 JSON)."""
    data = json.loads(notebook.read_text(encoding="utf-8"))
    cells, errors, tests = 0, [], None
    for cell in data.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        cells += 1
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors.append(CellError(cells, str(out.get("ename", "")),
                                        str(out.get("evalue", "")),
                                        _first_line(cell.get("source", ""))))
            report = (out.get("data") or {}).get(_REPORT_MIME)
            if isinstance(report, dict) and isinstance(report.get("passed"), int):
                counts = (report["passed"], int(report.get("failed") or 0))
                if tests is None or sum(counts) >= sum(tests):
                    tests = counts
    return cells, errors, tests


def _tail(text: str, n: int = 8) -> list[str]:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-n:]


def _stop(child: subprocess.Popen[str]) -> None:
    """Stop ``child`` the way Ctrl-C would (nbclient then shuts its kernel down), killing it
    when it does not stop within :data:`_STOP_GRACE` seconds."""
    if child.poll() is not None:
        return
    child.send_signal(signal.SIGINT)
    try:
        child.communicate(timeout=_STOP_GRACE)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()


def _execute(command: list[str], cwd: Path, env: dict[str, str],
             timeout: float) -> tuple[int, str]:
    """Run ``command`` within ``timeout`` seconds; (exit status, stderr). An interrupt or
    the timeout stops the child and its kernel first."""
    child = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _, stderr = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(child)
        raise DemoError(f"The quickstart did not finish within {timeout:g} s; give it more "
                        "time (the machine may be busy).", option="timeout") from None
    except BaseException:  # KeyboardInterrupt: stop the kernel too
        _stop(child)
        raise
    return child.returncode, stderr or ""


def run_demo(output: str | os.PathLike[str] = DEFAULT_OUTPUT, *,
             notebook: str | os.PathLike[str] | None = None,
             timeout: float = DEMO_TIMEOUT) -> DemoResult:
    """Execute the quickstart (or ``notebook``) in ``output`` and return where things are.

    ``output`` is a folder that is new, empty or written by an earlier run (replaced);
    ``timeout`` is in seconds for the whole run. The executed notebook is
    ``output/<notebook name>``, the package ``output/build/demo-connector``.

    Raises :class:`DemoError` when nbclient or ipykernel is missing, ``output`` holds other
    files, the timeout is not positive, or the kernel cannot run the notebook to its end
    (it did not start, the time ran out); a failing cell is in the result instead.
    """
    if not timeout > 0:
        raise DemoError(f"The time limit must be a positive number of seconds, not "
                        f"{timeout!r}.", option="timeout")
    source = Path(notebook) if notebook is not None else quickstart_path()
    if not source.is_file():
        raise DemoError(f"The notebook {source} does not exist; check the path.")
    _check_runtime()
    out = Path(output).expanduser().absolute()
    _prepare(out)
    target = out / source.name
    shutil.copyfile(source, target)
    # the kernel spec of this environment (this Python) before a user-wide one
    env = {**os.environ, "JUPYTER_PREFER_ENV_PATH": "1", "JUPYTER_PLATFORM_DIRS": "1",
           "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    cell_timeout = max(1, int(timeout))
    command = [sys.executable, "-m", "jupyter", "execute", "--inplace", "--allow-errors",
               f"--timeout={cell_timeout}", f"--startup_timeout={cell_timeout}",
               str(target)]
    start = time.monotonic()
    returncode, stderr = _execute(command, out, env, timeout)
    seconds = time.monotonic() - start
    if returncode != 0:
        raise DemoError(f"The notebook could not be run to its end (exit status "
                        f"{returncode}); the lines below say why.", _tail(stderr))
    cells, errors, tests = _read_outputs(target)
    package = out / PACKAGE_DIR
    return DemoResult(notebook=target, package=package if package.is_dir() else None,
                      cells=cells, errors=errors, tests=tests, seconds=seconds)


def demo_text(result: DemoResult) -> str:
    """What the demo says: how the run went, then where the notebook and the package are."""
    head = f"Ran the quickstart: {result.cells} code cells in {result.seconds:.1f} s"
    if result.tests is not None:
        head += f"; tests: {result.tests[0]} passed, {result.tests[1]} failed"
    lines = [head + "."]
    for err in result.errors[:3]:
        lines.append(f"Cell {err.cell} ({err.source}) failed: {err.name}: {err.message}")
    lines.append(f"Executed notebook: {result.notebook}")
    lines.append(f"Connector package: {result.package}" if result.package is not None else
                 "Connector package: not written (the export cell did not run).")
    return "\n".join(lines)


# --------------------------------------------------------------------------- the verb


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("the time limit must be over 0 seconds")
    return value


def run_demo_verb(workspace: Any, args: argparse.Namespace) -> DemoResult:
    """Run the quickstart headless (the same in both faces: a child process does the work)."""
    output = args.output or DEFAULT_OUTPUT
    workspace.say(f"Running the quickstart on the bundled demo API in {output} "
                  "(a fresh kernel; this takes a few seconds)...")
    return run_demo(output, timeout=args.timeout)


register(
    Verb(("demo",), "run the quickstart notebook headless and say where its results are",
         "Execute the quickstart notebook on the bundled demo API (offline: the mock "
         "serves it on 127.0.0.1) in a fresh kernel, in DIR (default nbconnect-demo; a new "
         "or empty folder, or one an earlier demo wrote, which is replaced), then print "
         "where the executed notebook and the exported connector package are. Needs "
         "nbclient and ipykernel. Exit status 1 when a cell failed (the executed notebook "
         "shows it).", run_demo_verb, package="none",
         synopsis="demo [--output DIR]", text=lambda r, a, w: demo_text(r),
         exit_code=lambda r: 0 if r.ok else 1,
         args=(Arg("output", ("-o", "--output"), "DIR",
                   help=f"the folder to write to (default {DEFAULT_OUTPUT})"),
               Arg("timeout", ("--timeout",), "SECONDS", type=_positive_seconds,
                   default=DEMO_TIMEOUT,
                   help=f"stop after this many seconds (default {DEMO_TIMEOUT:g})"))),
)
