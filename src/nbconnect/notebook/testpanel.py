"""ipywidgets for testing endpoints: the progress bar of a test run and the test panel.

:class:`ProgressBar` is an ``IntProgress`` plus a label, fed by the runner's
``progress(done, total, result)`` callback. :class:`TestPanel` (``%connect test`` without
arguments) has a connection picker, an endpoint dropdown with inputs for the selected
endpoint's parameters (prefilled by the test-value policy, :mod:`nbconnect.testing.values`),
**Run test** and **Test all endpoints** buttons, a progress bar, an ``Output`` with the last
:class:`~nbconnect.testing.runner.TestReport` and a drill-down into one result (request,
status, content type, size, reason with the schema errors, the start of the body).

The report goes into the ``Output`` in ONE assignment of ``outputs`` (clearing and then
appending lost the report on every second click in JupyterLab). The panel observes its
connector (:mod:`.live`): a re-import or a change from code redraws the lists. It is shown
with a static fallback (:mod:`.fallback`) that keeps the last report in a saved notebook.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import ipywidgets as widgets

from ..errors import NbConnectError
from ..model import Connector
from .fallback import StaticFallback, output_of, status_html
from .live import live

__all__ = ["ProgressBar", "TestPanel"]

#: ``run(endpoint_ids or None, progress, **options)`` -> TestReport
RunFn = Callable[..., Any]
_DEFAULT_CONNECTION = "(default)"
_BODY_SHOWN = 2000


class ProgressBar(StaticFallback, widgets.HBox):
    """An ``IntProgress`` and a ``done / total`` label; call it as a progress callback."""

    def __init__(self, total: int = 0, description: str = "testing", **kwargs: Any) -> None:
        self.bar = widgets.IntProgress(value=0, min=0, max=max(total, 1),
                                       description=description, bar_style="info")
        self.label = widgets.Label(f"0 / {total}")
        super().__init__(children=(self.bar, self.label), **kwargs)

    def __repr__(self) -> str:
        return f"ProgressBar({self.bar.value}/{self.bar.max})"

    def fallback_html(self) -> str:
        pct = round(100 * self.bar.value / max(self.bar.max, 1))
        color = {"danger": "#c62828", "success": "#2e7d32"}.get(self.bar.bar_style, "#1976d2")
        return (f"<div class=\"nbconnect-progress\">{escape(self.bar.description)} "
                f"<span style=\"display:inline-block;width:200px;height:10px;"
                f"background:#ddd;vertical-align:middle\"><span style=\"display:block;"
                f"height:10px;width:{pct}%;background:{color}\"></span></span> "
                f"{escape(self.label.value)}</div>")

    def fallback_state(self) -> dict[str, Any]:
        return {"done": self.bar.value, "total": self.bar.max, "style": self.bar.bar_style}

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
        if done >= total:
            self.refresh_fallback()


def report_bundle(report: Any) -> dict[str, Any]:
    """``{mime: data}`` of a report: text/plain, text/html and the report JSON."""
    from .display import REPORT_MIME, report_html

    return {"text/plain": report.text(), "text/html": report_html(report),
            REPORT_MIME: report.to_dict()}


def request_lines(connector: Connector, endpoint_id: str, connection: str | None,
                  values: dict[str, Any] | None = None) -> list[str]:
    """The request a test of ``endpoint_id`` sends, as text lines (method and URL, then the
    headers; the auth header is added by the client and not shown), secrets redacted; built
    with :func:`nbconnect.testing.request.build_request` without sending anything."""
    from ..auth.secrets import redact
    from ..testing.request import build_request

    conns = connector.connections
    conn = next((c for c in conns if c.name == connection), None) if connection else \
        next((c for c in conns if c.default), conns[0] if conns else None)
    base = conn.base_url if conn is not None and conn.base_url else None
    try:
        req = build_request(connector, endpoint_id, values, base_url=base)
    except NbConnectError as exc:
        return [f"(the request could not be rebuilt: {exc})"]
    lines = [f"{req.method} {redact(str(req.url))}"]
    lines += [f"{k}: {redact(v)}" for k, v in req.headers.items()
              if k.lower() not in ("content-length", "host")]
    lines.append("(plus the auth of the connection, applied when it is sent)")
    return lines


def result_html(result: Any, connection: str | None = None,
                request: list[str] | None = None) -> str:
    """The drill-down of one TestResult: request, status, content type, size, reason
    (schema errors included) and the first bytes of the body, redacted."""
    from ..auth.secrets import redact
    from .display import _STYLE, _facts_html

    facts = [("request", f"{result.method} {result.path}"),
             ("connection", connection or "default"),
             ("result", "pass" if result.ok else "FAIL"),
             ("status", "" if result.status is None else str(result.status)),
             ("content type", result.content_type or ""),
             ("size", "" if result.size is None else f"{result.size:,} bytes")]
    reason = redact(result.reason) if result.reason else ""
    body = ""
    if result.body:
        text = result.body[:_BODY_SHOWN].decode("utf-8", "replace")
        more = " (truncated)" if result.truncated or len(result.body) > _BODY_SHOWN else ""
        body = (f"<div><b>body</b>{escape(more)}<pre style=\"white-space:pre-wrap;"
                f"max-height:20em;overflow:auto\">{escape(redact(text))}</pre></div>")
    if request:
        body = (f"<div><b>request sent</b><pre style=\"white-space:pre-wrap\">"
                f"{escape(chr(10).join(request))}</pre></div>") + body
    why = (f"<div><b>{'note' if result.ok else 'reason'}</b>"
           f"<pre style=\"white-space:pre-wrap\">{escape(reason)}</pre></div>" if reason else "")
    return (f"<div class=\"nbconnect-drill\">{_STYLE}<b>{escape(result.endpoint_id)}</b>"
            f"{_facts_html(facts)}{why}{body}</div>")


class TestPanel(StaticFallback, widgets.VBox):
    """Pick a connection and an endpoint, fill its parameters and **Run test**, or **Test all
    endpoints**; the report shows below, and a result's details under **details of**.

    ``run(endpoint_ids, progress, connection=..., params=...)`` does the testing (the
    session's test run, with record/replay and report saving). :attr:`report` is the last
    report.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, connector: Connector, run: RunFn, **kwargs: Any) -> None:
        self.connector = connector
        self._run = run
        self.report: Any = None
        self._last_one: str | None = None
        self._last_params: dict[str, str] | None = None
        #: how many runs gave a report (the message starts "Run N:", so a new report shows)
        self.runs = 0
        self.message, self.status_kind = "", "info"
        self.title = widgets.HTML()
        self.connection_dropdown = widgets.Dropdown(description="connection",
                                                    style={"description_width": "7em"})
        self.endpoint_dropdown = widgets.Dropdown(description="endpoint",
                                                  layout={"width": "40em"},
                                                  style={"description_width": "7em"})
        self.params_box = widgets.VBox()
        self.param_inputs: dict[str, widgets.Text] = {}
        self.run_button = widgets.Button(description="Run test", button_style="primary",
                                         icon="play", layout={"width": "auto"})
        self.all_button = widgets.Button(description="Test all endpoints", icon="forward",
                                         layout={"width": "auto"})
        self.progress = ProgressBar(len(connector.endpoints))
        self.status = widgets.HTML("")
        self.output = widgets.Output()
        self.result_dropdown = widgets.Dropdown(description="details of",
                                                style={"description_width": "7em"},
                                                layout={"width": "40em"})
        self.details = widgets.HTML("")
        self.run_button.on_click(self._run_one)
        self.all_button.on_click(self._run_all)
        self.endpoint_dropdown.observe(self._endpoint_changed, names="value")
        self.result_dropdown.observe(self._result_changed, names="value")
        self.live = live(connector)
        self.live.observe(self._connector_changed, names="revision")
        self._redraw()
        super().__init__(children=(
            self.title, self.connection_dropdown, self.endpoint_dropdown, self.params_box,
            widgets.HBox((self.run_button, self.all_button)),
            self.progress, self.status, self.output, self.result_dropdown, self.details,
        ), **kwargs)

    def __repr__(self) -> str:
        shown = "none" if self.report is None else \
            f"{self.report.passed} passed, {self.report.failed} failed"
        return f"TestPanel(connector={self.connector.name!r}, last report: {shown})"

    # -- the static fallback ---------------------------------------------------------------

    def fallback_html(self) -> str:
        from .display import report_html

        head = (f"<div>Test the endpoints of connector <b>{escape(self.connector.name)}</b>"
                "</div>")
        report = report_html(self.report) if self.report is not None else ""
        return (f"<div class=\"nbconnect-panel-fallback\">{head}"
                f"{status_html(self.message, self.status_kind)}{report}</div>")

    def fallback_state(self) -> dict[str, Any]:
        return {"connector": self.connector.name, "status": self.message,
                "report": None if self.report is None else self.report.to_dict()}

    # -- keeping up with the connector -----------------------------------------------------

    def _set_status(self, text: str, kind: str = "info") -> None:
        self.message, self.status_kind = text, kind
        self.status.value = status_html(text, kind)

    def _redraw(self) -> None:
        c = self.connector
        self.title.value = f"Test the endpoints of connector <b>{escape(c.name)}</b>"
        names = [x.name + (" (default)" if x.default else "") for x in c.connections]
        options = [(_DEFAULT_CONNECTION, "")] + [
            (label, x.name) for label, x in zip(names, c.connections, strict=True)]
        keep = self.connection_dropdown.value
        self.connection_dropdown.options = options
        self.connection_dropdown.value = keep if keep in {v for _, v in options} else ""
        eps = [(f"{ep.id}  ({ep.method} {ep.path})", ep.id) for ep in c.endpoints]
        keep = self.endpoint_dropdown.value
        self.endpoint_dropdown.options = eps
        ids = [v for _, v in eps]
        self.endpoint_dropdown.value = keep if keep in ids else (ids[0] if ids else None)
        self._endpoint_changed()
        empty = not eps
        self.run_button.disabled = self.all_button.disabled = empty
        if empty:
            self._set_status("The connector has no endpoints; import a spec or add one "
                             "first.")
        elif self.message.startswith("The connector has no endpoints"):
            self._set_status("")

    def _connector_changed(self, change: Any = None) -> None:
        self._redraw()
        what = self.live.last_change
        if self.report is not None and ("endpoints" in what or what == "import"):
            self._set_status("The endpoints changed since the report below; run the tests "
                             "again.")
        self.refresh_fallback()

    def _endpoint_changed(self, change: Any = None) -> None:
        from ..testing.values import NO_VALUE, param_value, value_text

        ep_id = self.endpoint_dropdown.value
        self.param_inputs = {}
        self._prefilled: dict[str, str] = {}
        if ep_id is None:
            self.params_box.children = ()
            return
        ep = self.connector.endpoint(ep_id)
        rows = []
        for p in ep.params:
            try:
                value = param_value(self.connector, ep, p)
            except NbConnectError:
                value = NO_VALUE
            shown = "" if value is NO_VALUE or value is None else value_text(value)
            box = widgets.Text(value=shown, description=p.name,
                               placeholder=f"{p.location}, {p.type}"
                                           + (", required" if p.required else ""),
                               style={"description_width": "10em"},
                               layout={"width": "32em"})
            box.tooltip = f"{p.location} parameter {p.name}"
            self.param_inputs[p.name] = box
            self._prefilled[p.name] = shown
            rows.append(box)
        self.params_box.children = tuple(rows)

    # -- running ---------------------------------------------------------------------------

    def _go(self, ids: list[str] | None, params: dict[str, str] | None = None) -> None:
        total = len(self.connector.endpoints) if ids is None else len(ids)
        self.progress.reset(total)
        self.run_button.disabled = self.all_button.disabled = True
        self._set_status(f"Testing {total} endpoint{'' if total == 1 else 's'}...")
        connection = self.connection_dropdown.value or None  # "": the default connection
        options: dict[str, Any] = {"connection": connection}
        if params:
            options["params"] = params
        try:
            report = self._run(ids, self.progress, **options)
        except NbConnectError as exc:
            self._set_status(f"Not tested: {_field_text(exc, self.param_inputs)}", "error")
            self.refresh_fallback()
            return
        finally:
            self.run_button.disabled = self.all_button.disabled = False
        self.report = report
        self.runs += 1
        self._set_status(f"Run {self.runs}: {report.passed} passed, {report.failed} failed"
                         + ("" if report.ok else ": failures are listed first"),
                         "ok" if report.ok else "error")
        # one assignment: never an empty Output between two reports
        self.output.outputs = (output_of(report_bundle(report)),)
        ordered = [r for r in report.results if not r.ok] + [r for r in report.results if r.ok]
        self.result_dropdown.options = [
            (f"{'FAIL' if not r.ok else 'pass'}  {r.endpoint_id}", r.endpoint_id)
            for r in ordered]
        self.result_dropdown.value = ordered[0].endpoint_id if ordered else None
        self._result_changed()
        self.refresh_fallback()

    def _result_changed(self, change: Any = None) -> None:
        if self.report is None or self.result_dropdown.value is None:
            self.details.value = ""
            return
        found = next((r for r in self.report.results
                      if r.endpoint_id == self.result_dropdown.value), None)
        if found is None:
            self.details.value = ""
            return
        values = self._last_params if found.endpoint_id == self._last_one else None
        request = request_lines(self.connector, found.endpoint_id, self.report.connection,
                                values) if found.endpoint_id in self.connector_ids() else None
        self.details.value = result_html(found, self.report.connection, request)

    def connector_ids(self) -> set[str]:
        return {ep.id for ep in self.connector.endpoints}

    def _run_one(self, _button: Any = None) -> None:
        if self.endpoint_dropdown.value is not None:
            # only what the user typed: prefilled values come from the same policy anyway
            params = {k: w.value for k, w in self.param_inputs.items()
                      if w.value.strip() and w.value != self._prefilled.get(k)}
            self._last_one, self._last_params = self.endpoint_dropdown.value, params
            self._go([self.endpoint_dropdown.value], params)

    def _run_all(self, _button: Any = None) -> None:
        self._go(None)

    def run_test(self) -> None:
        """Do what the **Run test** button does."""
        self.run_button.click()

    def test_all(self) -> None:
        """Do what the **Test all endpoints** button does."""
        self.all_button.click()


def _field_text(exc: NbConnectError, inputs: dict[str, Any]) -> str:
    """The error's sentence with the panel's own hint (its parameter boxes, its
    connection picker) where the CLI would name a ``--flag``."""
    text = str(exc).rstrip()
    if exc.option in ("param", "params"):
        return f"{text.rstrip('.')} (fill in the parameter boxes above)." if inputs else \
            f"{text.rstrip('.')} (this endpoint has no parameter boxes; save a test value " \
            "in the connector's test_values)."
    if exc.option == "connection":
        return f"{text.rstrip('.')} (pick another connection above)."
    return text
