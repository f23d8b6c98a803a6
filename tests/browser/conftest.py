"""A JupyterLab server and a Chromium page for the widget browser tests (one lab per module).

Starts the lab with tests/labserver.py, as tests/test_labextension.py does (Debian's
/usr/bin/chromium, Python playwright, the built lab extension installed).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.labserver import CHROMIUM, CHROMIUM_ARGS, KERNEL_READY, Lab, running_lab

#: Screenshots for the README land here (build/ is git-ignored).
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with running_lab(tmp_path_factory.mktemp("lab"),
                     env={"NBCONNECT_MOCK_KEY": "lab-widgets-key"}) as running:
        yield running


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
