"""The notebook widgets in a real JupyterLab (headless Chromium): the test panel's report after
every click, a re-import updating an open panel, left-aligned tables, and a saved notebook
reopened after a kernel shutdown showing every view's last state (no "model not found").

Heavy: one JupyterLab and one Chromium for the module; run it alone
(``pytest -p no:cacheprovider tests/browser/test_lab_widgets.py``). Screenshots go to
build/screenshots/.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from tests.browser.conftest import open_notebook, run_cell, shot, write_notebook

SMALL_SPEC = """\
openapi: 3.0.3
info: {title: Small, version: '1'}
servers: [{url: 'http://127.0.0.1:9/small'}]
paths:
  /ping:
    get:
      operationId: ping
      responses: {'200': {description: ok}}
"""

CELLS = [
    "%load_ext nbconnect",
    "%connect new demo --demo",
    "%connect mock",
    "%connect test",
    "%connect endpoints",
    "%connect import small.yaml --overwrite",  # run by the re-import test only
    "%connect import small.yaml",  # the overwrite confirmation, cancelled in the browser
    "from nbconnect.notebook.testpanel import ProgressBar\n"
    "bar = ProgressBar(3, description='demo')\ndisplay(bar)\nfor i in (1, 2, 3): bar(i, 3)",
]
PANEL = ".widget-vbox:has(> .widget-html:has-text('Test the endpoints of connector'))"


@pytest.fixture(scope="module")
def page(browser: Any, lab: Any) -> Iterator[Any]:
    (lab.root / "small.yaml").write_text(SMALL_SPEC)
    write_notebook(lab.root / "widgets.ipynb", CELLS)
    page, errors = open_notebook(browser, lab, "widgets.ipynb")
    page.evaluate("""async () => {
      const panel = window.jupyterapp.shell.currentWidget;
      for (let i = 0; i < 5; i++) {
        panel.content.activeCellIndex = i;
        await window.jupyterapp.commands.execute('notebook:run-cell');
      }
    }""")
    page.locator(PANEL).get_by_role("button", name="Test all endpoints").wait_for(
        timeout=60_000)
    page.errors = errors
    yield page
    page.close()


def test_test_all_ten_times_shows_the_report_every_time(page: Any) -> None:
    panel = page.locator(PANEL)
    button = panel.get_by_role("button", name="Test all endpoints")
    counts = []
    for i in range(1, 11):
        button.click()
        panel.get_by_text(f"Run {i}: 12 passed, 0 failed").wait_for(timeout=60_000)
        rows = panel.locator(".widget-output .nbconnect-lab-report tbody tr")
        try:
            rows.nth(11).wait_for(timeout=10_000)
        except Exception:
            pytest.fail(panel.inner_html()[-4000:])
        counts.append(rows.count())
    assert counts == [12] * 10
    # the drill-down shows one result
    assert "request" in panel.locator(".nbconnect-drill").inner_text()
    shot(panel, "test-panel.png")


def test_tables_are_left_aligned(page: Any) -> None:
    tds = page.locator(".jp-OutputArea-output table.nbconnect-table td")
    tds.first.wait_for()
    aligns = tds.evaluate_all("els => els.slice(0, 20).map(e => getComputedStyle(e).textAlign)")
    assert aligns and set(aligns) == {"left"}, aligns


def test_a_reimport_updates_the_open_panel(page: Any) -> None:
    panel = page.locator(PANEL)
    options = panel.locator("select").nth(1).locator("option")
    assert options.count() == 12
    run_cell(page, 5)
    panel.get_by_text("The endpoints changed since the report below").wait_for(
        timeout=30_000)
    texts = options.all_inner_texts()
    assert len(texts) == 1 and texts[0].startswith("ping"), texts
    shot(panel, "test-panel-after-reimport.png")


def test_the_overwrite_confirmation_and_a_progress_bar(page: Any) -> None:
    run_cell(page, 6)
    dialog = page.locator(".widget-vbox:has(> .widget-html:has-text('This will overwrite'))")
    dialog.get_by_role("button", name="Upload & overwrite").wait_for()
    assert "replaced" in dialog.inner_text()
    shot(dialog, "overwrite-confirmation.png")
    dialog.get_by_role("button", name="Cancel").click()
    dialog.get_by_text("Cancelled: connector 'demo' is unchanged.").wait_for()
    run_cell(page, 7)
    page.locator(".widget-hprogress, .widget-progress").first.wait_for()


def test_reload_after_kernel_shutdown_shows_the_last_state(page: Any, lab: Any) -> None:
    page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function("""() => {
      const p = window.jupyterapp.shell.currentWidget;
      return p && !p.context.model.dirty;
    }""", timeout=30_000)
    saved = json.loads((lab.root / "widgets.ipynb").read_text())
    panel_out = saved["cells"][3]["outputs"]
    (bundle,) = [o["data"] for o in panel_out if "application/vnd.nbconnect.view+json"
                 in o.get("data", {})]
    html = "".join(bundle["text/html"])
    assert "The endpoints changed since the report below" in html
    assert "demo: 12 passed, 0 failed" in html  # the last report
    # every kernel of the server goes down
    req = urllib.request.Request(lab.url("/api/kernels"))
    with urllib.request.urlopen(req, timeout=10) as resp:
        kernels = json.loads(resp.read())
    for k in kernels:
        urllib.request.urlopen(urllib.request.Request(
            lab.url(f"/api/kernels/{k['id']}"), method="DELETE"), timeout=20).close()
    page.reload()
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    fallbacks = page.locator(".nbconnect-widget-fallback")
    fallbacks.first.wait_for(timeout=60_000)
    page.wait_for_timeout(4000)  # ipywidgets gives up on a model after 2 s
    text = page.locator(".jp-NotebookPanel").inner_text()
    assert "model not found" not in text and "Error displaying widget" not in text
    panel = fallbacks.filter(has_text="Test the endpoints of connector")
    assert panel.count() == 1
    assert "The endpoints changed since the report below" in panel.inner_text()
    assert panel.locator("table.nbconnect-report tbody tr, .nbconnect-lab-report tbody tr"
                         ).count() == 12
    assert fallbacks.filter(has_text="Cancelled: connector 'demo' is unchanged.").count() == 1
    progress = fallbacks.locator(".nbconnect-progress")
    assert progress.count() == 1 and "3 / 3" in progress.inner_text()
    shot(page, "reopened-notebook.png")
    assert not page.errors, page.errors
