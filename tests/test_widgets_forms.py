"""The forms at the widget-state level: the overwrite confirmation lists what changes and
restarts a running mock; form messages are styled, wrapped and name the form's own fields;
each form keeps its last state in its static fallback."""

from __future__ import annotations

from IPython.utils.capture import capture_output
from tests.test_magics_test import demo, ok, session  # noqa: F401  (demo is a fixture)

from nbconnect.notebook.fallback import VIEW_MIME
from nbconnect.notebook.forms import ConnectionForm
from nbconnect.notebook.testpanel import TestPanel
from nbconnect.notebook.widgets import OverwriteConfirmation

SMALL = """\
openapi: 3.0.3
info: {title: Small, version: '1', description: A small API}
servers: [{url: 'https://small.example.com'}]
paths:
  /ping:
    get:
      operationId: ping
      responses: {'200': {description: ok}}
  /tasks:
    get:
      operationId: listTasks
      responses: {'200': {description: ok}}
"""


def test_reimport_lists_the_changes_restarts_the_mock_and_updates_the_panel(
        ip, demo, tmp_path):  # noqa: F811
    panel, _ = ok(ip, "%connect test")
    assert isinstance(panel, TestPanel)
    old_mock = session(ip).mock
    spec = tmp_path / "small.yaml"
    spec.write_text(SMALL)
    dialog, _ = ok(ip, f"%connect import {spec}")
    assert isinstance(dialog, OverwriteConfirmation)
    changes = dict(dialog.changes)
    assert changes["1 added"] == "ping"
    assert changes["11 removed"].startswith("listProjects, createProject")
    assert changes["1 replaced"].startswith("listTasks")
    c = panel.connector
    assert changes["base URL"] == f"kept: {c.base_url}; the spec says https://small.example.com"
    assert changes["description"] == "kept (the connector's own)" if c.description else \
        changes["description"] == "set from the spec"
    assert changes["auth"].startswith("kept: api-key")
    assert "11 removed" in dialog.message_html.value
    assert dialog.restart_box.value and dialog.restart_box.layout.display is None
    with capture_output() as cap:
        dialog._ipython_display_()
        dialog.confirm()
    assert dialog.outcome == "imported", dialog.message
    assert "The mock was restarted at http://127.0.0.1:" in dialog.message, dialog.message
    new_mock = session(ip).mock
    assert new_mock is not old_mock and not old_mock.running and new_mock.running
    # the open panel lists the new endpoints, and the mock serves them
    assert [v for _, v in panel.endpoint_dropdown.options] == ["ping", "listTasks"]
    panel.endpoint_dropdown.value = "listTasks"
    panel.run_test()
    assert panel.report.results[0].status == 200, panel.report.results
    # the fallback of the dialog holds its outcome
    last = cap.outputs[-1]
    assert last.update and "Imported: connector" in last.data["text/html"]
    assert last.data[VIEW_MIME]["outcome"] == "imported"


def test_no_mock_no_restart_box(ip, tmp_path):
    ok(ip, "%connect new shop")
    spec = tmp_path / "small.yaml"
    spec.write_text(SMALL)
    ok(ip, f"%connect import {spec}")
    dialog, _ = ok(ip, f"%connect import {spec}")
    assert dialog.restart_box.layout.display == "none" and not dialog.restart_box.value
    dialog.cancel()
    assert dialog.message == "Cancelled: connector 'shop' is unchanged."


def test_connection_form_errors_name_its_own_boxes(ip):
    ok(ip, "%connect new shop")
    ok(ip, "%connect auth api-key --key X-Key")
    form, _ = ok(ip, "%connect connection add")
    assert isinstance(form, ConnectionForm)
    form.name_text.value = "dev"
    form.base_url_text.value = "http://auth.example.com/a/very/long/path/so/the/text/wraps"
    form.references["value"].value = "env:SHOP_KEY"
    form.submit()
    assert form.outcome == "failed"
    assert "plain http" in form.message and "--" not in form.message
    assert "%connect" not in form.message
    html = form.status.value
    assert 'role="alert"' in html and "nbconnect-status-error" in html
    assert "white-space:normal" in html  # wraps instead of being cut off
    form.base_url_text.value = "https://api.example.com"
    form.references["value"].value = ""
    form.submit()
    assert form.outcome == "failed" and "--" not in form.message
    assert "type the value in the value box, or a reference" in form.message
    assert form.connector.connections == ()


def test_mock_and_export_show_no_raw_reprs(ip):
    ok(ip, "%connect new demo --demo")
    with capture_output() as cap:
        result = ip.run_cell("%connect mock")
    shown = cap.stdout + "".join(str(o.data) for o in cap.outputs)
    assert "connection 'mock' points at it" in shown and "MockServer(" not in shown
    assert type(result.result).__name__ == "MockServer"  # the magic still returns it
    with capture_output() as cap:
        ip.run_cell("_")  # a later cell shows the object as usual
    assert "MockServer('demo'" in cap.stdout + "".join(str(o.data) for o in cap.outputs)
    with capture_output() as cap:
        result = ip.run_cell("%connect export build/x")
    assert "PosixPath" not in cap.stdout and "build/x" in cap.stdout
    from pathlib import Path

    assert result.result == Path("build/x") and isinstance(result.result, Path)
    ok(ip, "%connect mock stop")


def test_reimport_with_overwrite_restarts_the_running_mock_keeping_its_key(ip, tmp_path):
    import os

    os.environ["NBC12_KEY"] = "nbc12-key-value"
    ok(ip, "%connect new demo --demo")
    old, _ = ok(ip, "%connect mock --key env:NBC12_KEY")
    spec = tmp_path / "small.yaml"
    spec.write_text(SMALL)
    _, out = ok(ip, f"%connect import {spec} --overwrite")
    new = session(ip).mock
    assert "The mock was restarted at" in out and new is not old and not old.running
    mock_conn = next(c for c in session(ip).connector.connections if c.name == "mock")
    assert dict(mock_conn.secrets)["value"] == "env:NBC12_KEY"
    assert mock_conn.base_url.startswith(new.url.rsplit("/", 1)[0])
    report, _ = ok(ip, "%connect test listTasks")
    assert report.ok, report.text()
    ok(ip, "%connect mock stop")


def test_auth_and_connection_forms_follow_an_auth_change_from_code(ip):
    from nbconnect.notebook.forms import AuthForm

    ok(ip, "%connect new shop")
    conn_form, _ = ok(ip, "%connect connection add")
    auth_form, _ = ok(ip, "%connect auth")
    assert isinstance(auth_form, AuthForm) and conn_form.passwords == {}
    ok(ip, "from nbconnect.notebook.magics import current_connector\n"
           "from nbconnect.model.authconfig import BearerAuth\n"
           "current_connector().auth = BearerAuth()")
    assert list(conn_form.passwords) == ["token"] and "auth: bearer" in conn_form.title.value
    assert auth_form.type_dropdown.value == "bearer"
    assert "changed elsewhere" in auth_form.message
    # the auth form's own save updates the connection form at once
    auth_form.type_dropdown.value = "basic"
    auth_form.save()
    assert auth_form.outcome == "saved", auth_form.message
    assert "auth: basic" in conn_form.title.value
