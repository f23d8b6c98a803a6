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
from tests.browser.conftest import open_notebook, run_cell, shot
from tests.labserver import write_notebook

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
    "from nbconnect.testing.runner import TestReport, TestResult\n"
    "TestReport(tuple(TestResult(f'e{i}', 'GET', f'/e{i}', False, 401, reason='401: bad key')"
    " for i in range(3)) + (TestResult('odd', 'GET', '/odd', False, 500, reason='boom'),),"
    " connector='grouped')",
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


def test_identical_reasons_are_grouped_in_the_lab_report(page: Any) -> None:
    run_cell(page, 8)
    report = page.locator(".nbconnect-lab-report:has-text('grouped')").last
    report.wait_for()
    items = report.locator(".nbconnect-lab-reasons li")
    assert items.count() == 1 and "3 endpoints: 401: bad key" in items.inner_text()
    assert report.locator(".nbconnect-lab-reason-ref").count() == 3
    reasons = [t.strip() for t in report.locator("td.nbconnect-lab-col-reason").all_inner_texts()]
    assert reasons.count("boom") == 1
    shot(report, "report-grouped-reasons.png")


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


# --------------------------------------------------------------------------- the forms

FORM_CELLS = [
    "%load_ext nbconnect",
    "%connect new demo --demo",
    "%connect export demo-before",
    "%connect endpoint edit getTask",
    "%connect export demo-after",  # run after the form saved
    "%connect new big\n%connect import",
    "%connect auth",
    "%connect connection add",
]


def _big_spec() -> str:
    import yaml

    paths = {f"/t{t}/items{i}": {"get": {"operationId": f"t{t}Item{i}", "tags": [f"t{t}"],
                                         "responses": {"200": {"description": "ok"}}}}
             for t in range(6) for i in range(5)}
    return yaml.safe_dump({"openapi": "3.0.3", "info": {"title": "Big", "version": "2"},
                           "servers": [{"url": "https://big.example.com"}], "paths": paths})


def _form(page: Any, title: str) -> Any:
    return page.locator(f".widget-vbox:has(> .widget-html:has-text({title!r}))").last


@pytest.fixture(scope="module")
def forms_page(browser: Any, lab: Any) -> Iterator[Any]:
    (lab.root / "big.yaml").write_text(_big_spec())
    write_notebook(lab.root / "forms.ipynb", FORM_CELLS)
    page, errors = open_notebook(browser, lab, "forms.ipynb")
    for i in range(4):
        run_cell(page, i)
    page.errors = errors
    yield page
    page.close()


def _package_lines(root: Any) -> dict[str, list[str]]:
    return {str(f.relative_to(root)): f.read_text().splitlines()
            for f in sorted(root.rglob("*")) if f.is_file()}


def test_the_endpoint_form_edits_one_field_and_nothing_else(forms_page: Any, lab: Any) -> None:
    import difflib

    page = forms_page
    form = _form(page, "Edit endpoint getTask of connector")
    form.wait_for()
    shot(form, "endpoint-form.png")
    name = form.locator(".widget-text:has(label:text-is('display name')) input")
    name.fill("Fetch one task")
    name.press("Enter")
    form.get_by_role("button", name="Save").click()
    form.get_by_text("Saved endpoint getTask").wait_for()
    run_cell(page, 4)
    before = _package_lines(lab.root / "demo-before")
    after = _package_lines(lab.root / "demo-after")
    assert set(before) == set(after) and before
    changed = [line for f in before for line in difflib.unified_diff(
        before[f], after[f], lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert len(changed) == 2 * sum(before[f] != after[f] for f in before) and changed, changed
    assert all("Get a task" in line or "Fetch one task" in line for line in changed), changed


def test_the_spec_form_imports_two_tags_of_a_bigger_spec(forms_page: Any, lab: Any) -> None:
    page = forms_page
    run_cell(page, 5)
    form = _form(page, "Import an OpenAPI 3.x spec")
    with page.expect_file_chooser() as chooser:
        form.locator(".widget-upload").click()
    chooser.value.set_files(str(lab.root / "big.yaml"))
    form.get_by_text("30 operations, 6 tags").wait_for()
    form.get_by_text("t1 (5)").click()
    form.get_by_text("t4 (5)").click()
    form.get_by_text("10 of 30 operations selected").wait_for()
    shot(form, "spec-form.png")
    form.get_by_role("button", name="Import").click()
    form.get_by_text("Imported: connector 'big' now has 10 endpoints.").wait_for()
    rows = form.locator("table.nbconnect-table tbody tr")
    assert rows.count() == 10


def test_auth_and_connection_forms_show_whole_labels_and_wrapped_errors(forms_page: Any) -> None:
    page = forms_page
    run_cell(page, 6)
    auth = _form(page, "Auth of connector")
    auth.locator("select").first.select_option("oauth2-client-credentials")
    select_width = auth.locator("select").first.evaluate("e => e.scrollWidth <= e.clientWidth")
    assert select_width, "the auth type is cut off"
    shot(auth, "auth-form.png")
    run_cell(page, 7)
    conn = _form(page, "New test connection of connector")
    conn.locator(".widget-text:has(label:text-is('name')) input").fill("dev")
    conn.locator(".widget-text:has(label:text-is('base URL')) input").fill(
        "http://auth.example.com/a/long/path/that/must/wrap/instead/of/being/cut/off")
    conn.get_by_role("button", name="Submit").click()
    alert = conn.locator("[role=alert]")
    alert.wait_for()
    text = alert.inner_text()
    assert "plain http" in text and "--" not in text
    # the whole sentence is visible: wrapped, not clipped
    assert alert.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    assert alert.evaluate("e => getComputedStyle(e).color") != alert.evaluate(
        "e => getComputedStyle(e.parentElement.closest('.jp-OutputArea-output')).color")
    shot(conn, "connection-form.png")
    assert not page.errors, page.errors
