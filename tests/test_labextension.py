"""The JupyterLab extension renders test reports: a real ``jupyter lab`` driven by Chromium.

Starts JupyterLab headless on a loopback port with a token, opens a notebook that tests the
bundled demo connector against the mock API, runs all cells in Chromium (Python playwright
on Debian's ``/usr/bin/chromium``) and checks what our mime renderer
(``application/vnd.nbconnect.report+json`` -> ``.nbconnect-lab-report``) put on the page.

Prerequisites (the test fails, naming the fix, when one is missing):
``scripts/install-system.sh``, then ``scripts/build-labextension.sh`` followed by
``pip install -e .`` so the built extension lands in ``share/jupyter/labextensions``.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version
from tests.labserver import (
    BUILD_HINT,
    CHROMIUM,
    CHROMIUM_ARGS,
    KERNEL_READY,
    Lab,
    labextension_list,
    running_lab,
    write_notebook,
)

import nbconnect

REPORT_MIME = "application/vnd.nbconnect.report+json"
#: A failure whose strings are markup: the renderer must show them as text.
EVIL_REASON = '<img src=x onerror="window.__nbcPwned = 1">boom'
EVIL_PATH = "/b/<i>italic</i>"

CELLS = [
    "%load_ext nbconnect",
    """\
import os

import nbconnect
from nbconnect.mock.server import MockServer
from nbconnect.model import Connection, Connector

os.environ["NBC_LAB_KEY"] = "lab-demo-key"
mock = MockServer(nbconnect.demo_spec_path(), credentials={"apiKey": "lab-demo-key"})
url = mock.start()
api = Connector("tasks")
api.import_spec(nbconnect.demo_spec_path())
api.connections = (Connection(name="mock", base_url=url,
                              secrets={"value": "env:NBC_LAB_KEY"}),)""",
    """\
report = api.test(progress=lambda *args: None)
mock.stop()
report""",
    f"""\
from nbconnect.testing.runner import TestReport, TestResult

TestReport((TestResult("fine", "GET", "/a", True, 200, latency_ms=5.0, size=2),
            TestResult("broken", "GET", {EVIL_PATH!r}, False, 500, latency_ms=9.0, size=0,
                       reason={EVIL_REASON!r})),
           connector="evil")""",
]


# --------------------------------------------------------------------------- prerequisites


def test_labextension_is_listed_enabled_ok() -> None:
    listing = labextension_list()
    m = re.search(r"^\s*nbconnect v(\S+) enabled\s+OK \(python, nbconnect\)\s*$", listing,
                  re.M)
    assert m, f"{BUILD_HINT}\n{listing}"
    # the lab extension's version is the Python package's (npm spells 0.1.0.dev0 0.1.0-dev0)
    assert Version(m.group(1)) == Version(nbconnect.__version__), listing
    share = Path(sys.prefix) / "share/jupyter/labextensions/nbconnect"
    meta = json.loads((share / "package.json").read_text())
    assert meta["jupyterlab"]["mimeExtension"] is True
    assert json.loads((share / "install.json").read_text())["packageName"] == "nbconnect"
    entry = meta["jupyterlab"]["_build"]["load"]
    assert (share / entry).is_file()


# --------------------------------------------------------------------------- the lab server


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with running_lab(tmp_path_factory.mktemp("lab"), start_timeout=45) as running:
        write_notebook(running.root / "report.ipynb", CELLS)
        yield running


# --------------------------------------------------------------------------- the browser


def _texts(locator: Any) -> list[str]:
    return [t.strip() for t in locator.all_text_contents()]


def test_report_renders_sorts_and_escapes(lab: Lab, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    shot = Path(os.environ.get("NBCONNECT_LAB_SCREENSHOT", tmp_path / "report.png"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(10_000)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(lab.url("/lab/tree/report.ipynb"))
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=30_000)
            try:
                page.wait_for_function(KERNEL_READY, timeout=30_000, polling=200)
            except Exception:
                pytest.fail(f"the notebook's kernel did not start (a Select Kernel dialog? "
                            f"{page.locator('.jp-Dialog').all_inner_texts()})\npage errors: "
                            f"{errors}\nlab log:\n{lab.log.read_text()[-3000:]}")
            assert not page.locator(".jp-Dialog").count(), "a dialog blocks the notebook"
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            reports = page.locator(".nbconnect-lab-report")
            try:
                reports.nth(1).wait_for(timeout=30_000)
            except Exception:
                outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
                pytest.fail(f"the report renderer did not show two reports; outputs: "
                            f"{outputs}\npage errors: {errors}\nlab log:\n"
                            f"{lab.log.read_text()[-3000:]}")

            # The demo report: our renderer, not the text/html fallback.
            demo = reports.nth(0)
            mimes = page.evaluate("""() => {
              const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
              return Object.keys(cells.get(2).outputs.get(0).data).sort();
            }""")
            assert mimes == [REPORT_MIME, "text/html", "text/plain"], mimes
            assert "jp-OutputArea-output" in (demo.get_attribute("class") or "")
            # JupyterLab chose our renderer over the text/html fallback (.nbconnect-report).
            assert page.locator(".jp-OutputArea-output .nbconnect-report").count() == 0
            assert demo.locator(".nbconnect-lab-report-summary").text_content() == (
                "12 passed, 0 failed")
            assert demo.locator(".nbconnect-lab-report-context").text_content() == (
                "tasks · connection mock")
            rows = demo.locator("tbody tr")
            assert rows.count() == 12
            assert _texts(demo.locator(".nbconnect-lab-badge")) == ["pass"] * 12
            ms = _texts(demo.locator(".nbconnect-lab-ms"))
            assert all(re.fullmatch(r"\d+\.\d ms", m) for m in ms), ms
            widths = [demo.locator(".nbconnect-lab-bar-fill").nth(i).evaluate(
                "e => parseFloat(e.style.width)") for i in range(12)]
            assert all(2 <= w <= 100 for w in widths) and max(widths) == 100, widths
            endpoints = _texts(demo.locator("td.nbconnect-lab-col-endpoint"))
            assert endpoints[:3] == ["listProjects", "createProject", "getProject"]
            codes = [int(c) for c in _texts(demo.locator("td.nbconnect-lab-col-status"))]
            assert codes != sorted(codes)  # run order: 200, 201, 200, ...

            status_th = demo.locator("th[data-column=status]")
            status_th.click()
            assert status_th.get_attribute("aria-sort") == "ascending"
            after = [int(c) for c in _texts(demo.locator("td.nbconnect-lab-col-status"))]
            assert after == sorted(codes)
            by_endpoint = _texts(demo.locator("td.nbconnect-lab-col-endpoint"))
            # Ties keep the run order.
            assert [e for e in by_endpoint if e in ("createProject", "createTask")] == [
                "createProject", "createTask"]
            assert by_endpoint[-2:] == ["deleteProject", "deleteTask"]
            status_th.click()
            assert status_th.get_attribute("aria-sort") == "descending"
            after = [int(c) for c in _texts(demo.locator("td.nbconnect-lab-col-status"))]
            assert after == sorted(codes, reverse=True)
            demo.locator("th[data-column=endpoint]").click()
            assert _texts(demo.locator("td.nbconnect-lab-col-endpoint")) == sorted(
                endpoints, key=str.lower)
            assert status_th.get_attribute("aria-sort") is None
            status_th.click()  # back to ascending status for the screenshot

            # The hand-made report: failures first, markup shown as text.
            evil = reports.nth(1)
            assert evil.locator(".nbconnect-lab-report-summary").text_content() == (
                "1 passed, 1 failed")
            assert _texts(evil.locator("td.nbconnect-lab-col-endpoint")) == ["broken", "fine"]
            assert _texts(evil.locator(".nbconnect-lab-badge")) == ["FAIL", "pass"]
            first = evil.locator("tbody tr").nth(0)
            assert first.locator("td.nbconnect-lab-col-reason").text_content() == EVIL_REASON
            assert first.locator("td.nbconnect-lab-col-path").text_content() == EVIL_PATH
            assert evil.locator("img, i").count() == 0
            assert page.evaluate("window.__nbcPwned") is None

            demo.scroll_into_view_if_needed()
            page.screenshot(path=str(shot))
            evil_shot = shot.with_name(shot.stem + "-failures.png")
            evil.screenshot(path=str(evil_shot))
            assert shot.stat().st_size > 10_000 and evil_shot.stat().st_size > 1_000
            assert not errors, errors
        finally:
            browser.close()
