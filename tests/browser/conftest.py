"""A JupyterLab server and a Chromium page for the widget browser tests (one lab per module).

Reuses the prerequisites and settings of tests/test_labextension.py (Debian's
/usr/bin/chromium, Python playwright, the built lab extension installed).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.test_labextension import (
    CHROMIUM,
    CHROMIUM_ARGS,
    OVERRIDES,
    Lab,
    _free_port,
    _get,
    _require_prerequisites,
)

#: Screenshots for the README land here (build/ is git-ignored).
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"

KERNEL_READY = """async () => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.sessionContext) return false;
  await panel.sessionContext.ready;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""


def write_notebook(path: Path, cells: list[str]) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell(src) for src in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    _require_prerequisites()
    tmp = tmp_path_factory.mktemp("lab")
    root, settings = tmp / "root", tmp / "app-settings"
    for d in (root, settings):
        d.mkdir()
    (settings / "overrides.json").write_text(json.dumps(OVERRIDES))
    token, port = secrets.token_hex(16), _free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"), "JUPYTER_DATA_DIR": str(tmp / "data"),
           "NBCONNECT_MOCK_KEY": "lab-widgets-key"}
    log = tmp / "lab.log"
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
           f"--LabApp.user_settings_dir={tmp / 'user-settings'}",
           f"--LabApp.app_settings_dir={settings}",
           "--LabApp.expose_app_in_browser=True"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{log.read_text()}")
            try:
                status, _ = _get(f"{base}/api/status", token)
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


@pytest.fixture(scope="module")
def browser(lab: Lab) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def open_notebook(browser: Any, lab: Lab, name: str) -> tuple[Any, list[str]]:
    """A new page with notebook ``name`` open and its kernel idle; (page, page errors)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # a workspace of its own per notebook: two open pages do not share the layout
    page.goto(lab.url(f"/lab/workspaces/{Path(name).stem}/tree/{name}"))
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    try:
        page.wait_for_function(KERNEL_READY, timeout=60_000, polling=250)
    except Exception:
        pytest.fail(f"the kernel did not start: {page.locator('.jp-Dialog').all_inner_texts()}"
                    f"\n{errors}\n{lab.log.read_text()[-3000:]}")
    return page, errors


def run_all(page: Any) -> None:
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")


def run_cell(page: Any, index: int) -> None:
    """Run cell ``index`` of the current notebook and wait until the kernel is idle again."""
    page.evaluate("""async (i) => {
      const panel = window.jupyterapp.shell.currentWidget;
      panel.content.activeCellIndex = i;
      await window.jupyterapp.commands.execute('notebook:run-cell');
    }""", index)
    page.wait_for_function(KERNEL_READY, timeout=60_000, polling=250)


def shot(page_or_locator: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    page_or_locator.screenshot(path=str(path))
    return path
