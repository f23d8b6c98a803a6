"""The test panel at the widget-state level (no browser): the report after every click, the
static fallback kept current, live lists after a re-import, connection picker, parameter
inputs and the drill-down. The browser side is tests/browser/test_lab_widgets.py."""

from __future__ import annotations

import os
import re
from html import escape
from typing import Any

from IPython.utils.capture import capture_output
from tests.test_magics_test import demo, ok, run  # noqa: F401  (demo is a fixture)

from nbconnect.notebook.display import REPORT_MIME
from nbconnect.notebook.fallback import VIEW_MIME, WIDGET_MIME
from nbconnect.notebook.testpanel import TestPanel
from nbconnect.testing.values import param_value, value_text


def _panel(ip: Any) -> TestPanel:
    panel, _ = ok(ip, "%connect test")
    assert isinstance(panel, TestPanel)
    return panel


def test_ten_clicks_show_the_report_every_time_in_one_assignment(ip, demo):  # noqa: F811
    panel = _panel(ip)
    changes: list[tuple[Any, ...]] = []
    panel.output.observe(lambda change: changes.append(change["new"]), names="outputs")
    for click in range(10):
        before = len(changes)
        panel.test_all()
        new = changes[before:]
        # exactly one change per click, and never an empty Output in between
        assert len(new) == 1, (click, new)
        (shown,) = new[0]
        assert shown["output_type"] == "display_data"
        assert set(shown["data"]) == {"text/plain", "text/html", REPORT_MIME}
        assert len(shown["data"][REPORT_MIME]["results"]) == 12
        assert "12 passed, 0 failed" in shown["data"]["text/plain"]
        assert len(panel.output.outputs) == 1


def test_panel_display_carries_a_fallback_kept_current(ip, demo):  # noqa: F811
    panel = _panel(ip)
    with capture_output() as cap:
        panel._ipython_display_()
        panel.test_all()
    first, *updates = cap.outputs
    assert set(first.data) == {"text/plain", "text/html", VIEW_MIME, WIDGET_MIME}
    assert first.data[WIDGET_MIME]["model_id"] == panel.model_id
    assert first.data[VIEW_MIME]["report"] is None
    assert first.transient == {"display_id": panel.display_id}
    last = updates[-1]
    assert last.update and last.transient == {"display_id": panel.display_id}
    assert "12 passed" in last.data["text/html"] and "12 passed" in last.data["text/plain"]
    assert last.data[VIEW_MIME]["view"] == "TestPanel"
    assert len(last.data[VIEW_MIME]["report"]["results"]) == 12
    # the magic's result shows through _ipython_display_: no second, widget-only output
    result, _out, _ = run(ip, "%connect test")
    fmt, _md = ip.display_formatter.format(result.result)
    assert fmt == {}


def test_a_reimport_from_code_updates_an_open_panel(ip, demo, tmp_path):  # noqa: F811
    panel = _panel(ip)
    panel.test_all()
    assert len(panel.endpoint_dropdown.options) == 12
    spec = tmp_path / "small.yaml"
    spec.write_text("openapi: 3.0.3\ninfo: {title: Small, version: '1'}\n"
                    "servers: [{url: 'https://small.example.com'}]\npaths:\n"
                    "  /ping:\n    get:\n      operationId: ping\n"
                    "      responses: {'200': {description: ok}}\n")
    ok(ip, "from nbconnect.notebook.magics import current_connector\n"
           f"current_connector().import_spec({str(spec)!r}, overwrite=True)")
    # the post_execute hook saw the change: the lists are the new ones
    assert [v for _, v in panel.endpoint_dropdown.options] == ["ping"]
    assert "endpoints changed" in panel.message


def test_connection_picker_parameter_inputs_and_drill_down(ip, demo):  # noqa: F811
    panel = _panel(ip)
    labels = [label for label, _ in panel.connection_dropdown.options]
    assert labels == ["(default)", "mock (default)"]
    panel.connection_dropdown.value = "mock"
    panel.endpoint_dropdown.value = "getTask"
    assert list(panel.param_inputs) == ["projectId", "taskId"]
    prefilled = panel.param_inputs["taskId"].value
    assert prefilled == value_text(param_value(panel.connector, "getTask", "taskId"))
    panel.run_test()
    assert panel.report.ok and panel.report.connection == "mock"
    panel.param_inputs["taskId"].value = "not-a-number"  # the typed value is sent
    panel.run_test()
    (result,) = panel.report.results
    assert not result.ok and result.status == 400, result
    assert panel.result_dropdown.value == "getTask"
    details = panel.details.value
    assert "/tasks/{taskId}" in details and "400" in details and "reason" in details
    # the request as sent, rebuilt: the typed value in the URL, no secret
    assert "request sent" in details and "/tasks/not-a-number" in details
    assert os.environ["NBCONNECT_MOCK_KEY"] not in details
    assert "nbconnect-status-error" in panel.status.value  # styled as an error


def test_messages_name_no_flag_and_errors_look_like_errors(ip):
    ok(ip, "%connect new shop")
    ok(ip, "%connect base-url https://shop.example.com")
    ok(ip, "%connect endpoint add GET /items/{id} --name 'Get item'")
    panel = _panel(ip)
    assert list(panel.param_inputs) == ["id"] and panel.param_inputs["id"].value == ""
    panel.run_test()
    shown = panel.message + panel.details.value
    assert "missing required parameter id" in panel.details.value
    assert not re.search(r"(?<![(-])--[a-z]|%connect|nbconnect [a-z]", shown), shown
    assert "nbconnect-status-error" in panel.status.value and 'role="alert"' in \
        panel.status.value
    # a connection that is not there: the panel points at its own picker
    from nbconnect.errors import ConnectionNotFoundError
    from nbconnect.notebook.testpanel import _field_text

    text = _field_text(ConnectionNotFoundError("No connection 'x'.", option="connection"), {})
    assert text == "No connection 'x' (pick another connection above)."


def test_identical_failure_reasons_are_grouped_once_in_the_report():
    from nbconnect.notebook.display import report_html
    from nbconnect.testing.runner import TestReport, TestResult

    same = "401 Unauthorized: the API refused the credentials; check the connection's key."
    results = (*(TestResult(f"ep{i}", "GET", f"/e{i}", False, 401, reason=same)
                 for i in range(12)),
               TestResult("odd", "GET", "/odd", False, 500, reason="500 Server Error"),
               TestResult("fine", "GET", "/fine", True, 200))
    html = report_html(TestReport(results, connector="c"))
    text = re.sub(r"<[^>]*>", "|", html)  # the text, without attributes
    assert text.count(escape(same)) == 1  # once, in the grouped list
    assert "<b>12 endpoints</b>" in html and html.count("reason 1 above") == 12
    assert text.count("500 Server Error") == 1  # a lone reason stays in its row
