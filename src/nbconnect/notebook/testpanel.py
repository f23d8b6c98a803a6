"""ipywidgets for testing endpoints: the progress bar of a test run and the test panel.

:class:`ProgressBar` is an ``IntProgress`` plus a label, fed by the runner's
``progress(done, total, result)`` callback. :class:`TestPanel` (``%connect test`` without
arguments) has an endpoint dropdown, **Run test** and **Test all endpoints** buttons, a
progress bar and an ``Output`` that shows the last :class:`~nbconnect.testing.runner.TestReport`.
The buttons run the tests in the kernel (the cell waits for them, as the magic does).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import ipywidgets as widgets

from ..errors import NbConnectError
from ..model import Connector

__all__ = ["ProgressBar", "TestPanel"]

#: ``run(endpoint_ids or None, progress)`` -> TestReport
RunFn = Callable[[Any, Any], Any]


class ProgressBar(widgets.HBox):
    """An ``IntProgress`` and a ``done / total`` label; call it as a progress callback."""

    def __init__(self, total: int = 0, description: str = "testing", **kwargs: Any) -> None:
        self.bar = widgets.IntProgress(value=0, min=0, max=max(total, 1),
                                       description=description, bar_style="info")
        self.label = widgets.Label(f"0 / {total}")
        super().__init__(children=(self.bar, self.label), **kwargs)

    def __repr__(self) -> str:
        return f"ProgressBar({self.bar.value}/{self.bar.max})"

    def reset(self, total: int) -> None:
        self.bar.max = max(total, 1)
        self.bar.value = 0
        self.bar.bar_style = "info"
        self.label.value = f"0 / {total}"

    def __call__(self, done: int, total: int, result: Any = None) -> None:
        if self.bar.max != max(total, 1):
            self.bar.max = max(total, 1)
        self.bar.value = done
        failed = result is not None and not getattr(result, "ok", True)
        if failed:
            self.bar.bar_style = "danger"
        elif done >= total and self.bar.bar_style != "danger":
            self.bar.bar_style = "success"
        self.label.value = f"{done} / {total}"


class TestPanel(widgets.VBox):
    """Pick an endpoint and **Run test**, or **Test all endpoints**; the report shows below.

    ``run(endpoint_ids, progress)`` does the testing (the session's test run, with its
    connection, record/replay and report saving). :attr:`report` is the last report.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, connector: Connector, run: RunFn, **kwargs: Any) -> None:
        self.connector = connector
        self._run = run
        self.report: Any = None
        options = [(f"{ep.id}  ({ep.method} {ep.path})", ep.id) for ep in connector.endpoints]
        self.endpoint_dropdown = widgets.Dropdown(options=options, description="endpoint",
                                                  layout={"width": "40em"})
        self.run_button = widgets.Button(description="Run test", button_style="primary",
                                         icon="play")
        self.all_button = widgets.Button(description="Test all endpoints", icon="forward")
        self.progress = ProgressBar(len(connector.endpoints))
        self.status = widgets.Label("")
        self.output = widgets.Output()
        self.run_button.on_click(self._run_one)
        self.all_button.on_click(self._run_all)
        if not options:
            self.run_button.disabled = self.all_button.disabled = True
            self.status.value = ("The connector has no endpoints; import a spec or add one "
                                 "first.")
        super().__init__(children=(
            widgets.HTML(f"Test the endpoints of connector <b>{escape(connector.name)}</b>"),
            self.endpoint_dropdown,
            widgets.HBox((self.run_button, self.all_button)),
            self.progress, self.status, self.output,
        ), **kwargs)

    def __repr__(self) -> str:
        shown = "none" if self.report is None else \
            f"{self.report.passed} passed, {self.report.failed} failed"
        return f"TestPanel(connector={self.connector.name!r}, last report: {shown})"

    def _go(self, ids: list[str] | None) -> None:
        total = len(self.connector.endpoints) if ids is None else len(ids)
        self.progress.reset(total)
        self.run_button.disabled = self.all_button.disabled = True
        self.status.value = f"Testing {total} endpoint{'' if total == 1 else 's'}..."
        try:
            report = self._run(ids, self.progress)
        except NbConnectError as exc:
            self.status.value = f"Not tested: {exc}"
            return
        finally:
            self.run_button.disabled = self.all_button.disabled = False
        self.report = report
        self.status.value = (f"{report.passed} passed, {report.failed} failed"
                             + ("" if report.ok else ": failures are listed first"))
        self.output.clear_output()
        self.output.append_display_data(report)

    def _run_one(self, _button: Any = None) -> None:
        if self.endpoint_dropdown.value is not None:
            self._go([self.endpoint_dropdown.value])

    def _run_all(self, _button: Any = None) -> None:
        self._go(None)

    def run_test(self) -> None:
        """Do what the **Run test** button does."""
        self.run_button.click()

    def test_all(self) -> None:
        """Do what the **Test all endpoints** button does."""
        self.all_button.click()
