"""A real JupyterLab for the browser tests: prerequisites, one server start, helpers.

``running_lab(tmp)`` starts ``jupyter lab`` headless on a free loopback port with a token, a
temporary workspace, user settings and the :data:`OVERRIDES` app settings (so a cold lab
starts a notebook's kernel without the "Select Kernel" dialog, NOTES.md), waits for
``/api/status`` and yields a :class:`Lab`; it shuts the server down after. Used by
``tests/test_labextension.py`` and ``tests/browser/``; both drive Debian's
``/usr/bin/chromium`` through Python playwright with :data:`CHROMIUM_ARGS`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
BUILD_HINT = ("run scripts/build-labextension.sh and then `pip install -e .` so the built "
              "extension is installed into share/jupyter/labextensions/nbconnect")
#: Settings so a cold JupyterLab starts the notebook's kernel without the "Select Kernel"
#: dialog and does not fetch news (see NOTES.md).
OVERRIDES = {
    "@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": True},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
}
#: Resolves true once the current notebook's kernel is connected and idle.
KERNEL_READY = """async () => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.sessionContext) return false;
  await panel.sessionContext.ready;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""


@functools.cache
def labextension_list() -> str:
    """``jupyter labextension list`` as plain text (colours removed)."""
    proc = subprocess.run([sys.executable, "-m", "jupyterlab.labextensions", "list"],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "NO_COLOR": "1"})
    return re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)


def require_prerequisites() -> None:
    """Fail, naming the fix, when chromium, playwright or the built extension is missing."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; run scripts/install-system.sh "
                    "(apt-get install chromium) to run the JupyterLab browser test.")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("Python playwright is missing; install the test extra "
                    "(pip install -e '.[test]').")
    listing = labextension_list()
    if not re.search(r"nbconnect v\S+ enabled\s+OK \(python, nbconnect\)", listing):
        pytest.fail(f"The nbconnect lab extension is not installed; {BUILD_HINT}.\n"
                    f"`jupyter labextension list` said:\n{listing}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, token: str) -> tuple[int, bytes]:
    """(status, body) of a GET with the lab's token; an HTTP error is its status."""
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def write_notebook(path: Path, cells: list[str]) -> None:
    """A notebook of these code cells with the python3 kernelspec."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell(src) for src in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)


class Lab:
    """A running lab: ``base`` URL, ``token``, its ``root`` folder and ``log`` file."""

    def __init__(self, base: str, token: str, root: Path, log: Path) -> None:
        self.base, self.token, self.root, self.log = base, token, root, log

    def url(self, path: str) -> str:
        return f"{self.base}{path}?token={self.token}"


@contextlib.contextmanager
def running_lab(tmp: Path, *, env: Mapping[str, str] | None = None,
                start_timeout: float = 60) -> Iterator[Lab]:
    """Start ``jupyter lab`` with its root, settings and state under ``tmp`` (see the module
    docstring); ``env`` adds environment variables for the server and its kernels."""
    require_prerequisites()
    root, settings = tmp / "root", tmp / "app-settings"
    for d in (root, settings):
        d.mkdir()
    (settings / "overrides.json").write_text(json.dumps(OVERRIDES))
    token, port = secrets.token_hex(16), free_port()
    environ = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp / "config"),
               "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
               "JUPYTER_DATA_DIR": str(tmp / "data"), **(env or {})}
    log = tmp / "lab.log"
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
           f"--LabApp.user_settings_dir={tmp / 'user-settings'}",
           f"--LabApp.app_settings_dir={settings}",
           "--LabApp.expose_app_in_browser=True"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI containers run as root
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=environ,
                                cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{log.read_text()}")
            try:
                status, _ = get(f"{base}/api/status", token)
            except OSError:
                status = 0
            if status == 200:
                break
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer /api/status:\n{log.read_text()}")
            time.sleep(0.2)
        yield Lab(base, token, root, log)
    finally:
        try:
            req = urllib.request.Request(f"{base}/api/shutdown", method="POST",
                                         headers={"Authorization": f"token {token}"})
            urllib.request.urlopen(req, timeout=5).close()
        except OSError:
            pass
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
