"""The notebook face of testing: ``%connect test``, ``%connect mock``, record/replay, the
test panel and progress bar, report display, and ``%connect connection login``, driven
through a real IPython shell against the real mock API and an authlib OAuth2 server."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
from typing import Any

import httpx2
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from tests.oauth_server import OAuthTestServer
from tests.servers import serve

from nbconnect.auth import oauth
from nbconnect.notebook import commands as commands_mod
from nbconnect.notebook.display import REPORT_MIME, report_html
from nbconnect.notebook.magics import ConnectMagics
from nbconnect.notebook.testpanel import ProgressBar, TestPanel
from nbconnect.testing.runner import TestReport, TestResult

SENTINEL = "s3ntinel-T1-wrong-key-5c1e"
CLIENT_SECRET = "s3ntinel-T1-client-secret-88a1"


def session(shell) -> commands_mod.Session:
    magics = shell.magics_manager.registry[ConnectMagics.__name__]
    return magics.session


def run(ip, cell: str):
    with capture_output() as cap:
        result = ip.run_cell(cell)
    return result, cap.stdout, cap.stderr


def ok(ip, cell: str) -> Any:
    result, out, err = run(ip, cell)
    assert result.error_in_exec is None, err + out
    return result.result, out


def one_line_error(ip, cell: str, pattern: str) -> str:
    result, out, err = run(ip, cell)
    assert type(result.error_in_exec) is UsageError, out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in out + err, err
    assert re.search(pattern, lines[0]), lines[0]
    return lines[0]


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.fixture
def demo(ip):
    ok(ip, "%connect new demo --demo")
    mock, out = ok(ip, "%connect mock")
    assert "connection 'mock' points at it" in out
    return mock


# --------------------------------------------------------------------------- test + mock


def test_demo_mock_test_all_passes_offline_and_exports_without_secrets(ip, demo, tmp_path):
    key = os.environ["NBCONNECT_MOCK_KEY"]
    conn = session(ip).connector.connections[0]
    assert (conn.name, conn.base_url, dict(conn.secrets)) == (
        "mock", demo.url, {"value": "env:NBCONNECT_MOCK_KEY"})
    # the mock requires that generated key: anything else is refused
    assert httpx2.get(demo.url + "/projects", headers={"X-API-Key": "nope"}).status_code == 401
    assert httpx2.get(demo.url + "/projects", headers={"X-API-Key": key}).status_code == 200
    report, _ = ok(ip, "%connect test --all")
    assert isinstance(report, TestReport)
    assert (report.passed, report.failed, report.connection) == (12, 0, "mock")
    ok(ip, "%connect export pkg")
    for file in (tmp_path / "pkg").rglob("*"):
        if file.is_file():
            assert key not in file.read_text()
    assert not (tmp_path / "pkg" / "tests").exists()  # tested before the export
    ok(ip, "%connect test getTask")
    saved = json.loads((tmp_path / "pkg" / "tests" / "last-report.json").read_text())
    assert saved["passed"] == 1 and saved["results"][0]["endpoint_id"] == "getTask"
    assert "latency_ms" not in saved["results"][0]


def test_one_endpoint_with_params(ip, demo):
    report, _ = ok(ip, "%connect test getTask --param taskId=7 --param projectId=p_x")
    assert [r.endpoint_id for r in report.results] == ["getTask"] and report.ok
    # 7 is read as a YAML int: the mock checks the path parameter is an integer
    report, _ = ok(ip, "%connect test getTask --param taskId=abc")
    assert not report.ok and report.results[0].status == 400
    # no ENDPOINT means every endpoint, as in the CLI (only a bare `%connect test` opens the panel)
    report, _ = ok(ip, "%connect test --connection mock")
    assert len(report.results) == 12
    # the bad-input errors are in tests/test_cli_and_magics.py, run through both faces


def test_failing_endpoint_shows_its_reason_and_no_secret(ip, demo, monkeypatch):
    monkeypatch.setenv("T1_WRONG_KEY", SENTINEL)
    ok(ip, f"%connect connection add wrong --base-url {demo.url} --secret value=env:T1_WRONG_KEY")
    report, _ = ok(ip, "%connect test getTask listUsers --connection wrong")
    assert report.failed == 2
    reason = report.results[0].reason
    assert reason.startswith("401") and "credentials" in reason
    text = report.text()
    assert "FAIL  getTask" in text and "401" in text
    data, _ = ip.display_formatter.format(report)
    assert set(data) >= {"text/plain", "text/html", REPORT_MIME}
    assert data[REPORT_MIME]["failed"] == 2
    for shown in (data["text/html"], data["text/plain"], json.dumps(data[REPORT_MIME])):
        assert SENTINEL not in shown
    assert "credentials" in data["text/html"] and "nbconnect-fail" in data["text/html"]


def test_report_html_failures_first_sortable_and_text_deterministic(ip, demo):
    report, _ = ok(ip, "%connect test --all --param taskId=abc")
    html = report_html(report)
    rows = re.findall(r"<tr><td data-v=\"([01])\"", html)
    assert rows[0] == "0" and rows[-1] == "1" and "0" not in rows[rows.index("1"):]
    assert "onclick=" in html and "nbconnect-bar" in html and "<script" not in html
    again, _ = ok(ip, "%connect test --all --param taskId=abc")
    assert repr(report) == repr(again) == report.text()
    assert "ms" not in report.text()


def test_record_then_replay_with_mock_stopped(ip, demo, tmp_path):
    one_line_error(ip, "%connect test --all --record", r"export it first")
    ok(ip, "%connect export pkg")
    recorded, _ = ok(ip, "%connect test --all --record")
    assert recorded.ok
    cassettes = sorted(p.stem for p in (tmp_path / "pkg" / "cassettes").glob("*.json"))
    assert len(cassettes) == 12
    key = os.environ["NBCONNECT_MOCK_KEY"]
    for file in (tmp_path / "pkg" / "cassettes").glob("*.json"):
        assert key not in file.read_text()
    port = demo.port
    _, out = ok(ip, "%connect mock stop")
    assert "Mock stopped." in out and port_is_free(port)
    _, out = ok(ip, "%connect mock stop")
    assert "No mock is running." in out
    replayed, _ = ok(ip, "%connect test --all --replay")
    assert replayed == recorded and replayed.text() == recorded.text()
    missed, _ = ok(ip, "%connect test getTask --replay --param taskId=99")
    assert not missed.ok and "no recorded exchange" in missed.results[0].reason
    ok(ip, "%connect export pkg.zip --zip")
    one_line_error(ip, "%connect test --all --record", r"\.zip")


def test_panel_buttons_run_tests_and_progress_reaches_total(ip, demo):
    panel, _ = ok(ip, "%connect test")
    assert isinstance(panel, TestPanel)
    assert len(panel.endpoint_dropdown.options) == 12
    panel.endpoint_dropdown.value = "getTask"
    panel.run_test()
    assert [r.endpoint_id for r in panel.report.results] == ["getTask"]
    assert panel.progress.bar.value == 1
    panel.test_all()
    assert panel.report.passed == 12
    assert (panel.progress.bar.value, panel.progress.bar.max) == (12, 12)
    assert panel.progress.label.value == "12 / 12"
    assert panel.progress.bar.bar_style == "success"
    assert "12 passed, 0 failed" in panel.message
    shown = panel.output.outputs[-1]["data"]
    assert "text/html" in shown and "12 passed" in shown["text/plain"]
    assert session(ip).last_report is panel.report


def test_progress_bar_counts_and_marks_failures():
    bar = ProgressBar(3)
    bar(1, 3, None)
    assert (bar.bar.value, bar.label.value) == (1, "1 / 3")
    bar(2, 3, TestResult("getTask", "GET", "/t", False, reason="500"))
    bar(3, 3, None)
    assert bar.bar.value == 3 and bar.bar.bar_style == "danger"


def test_mock_is_stopped_on_new_and_load(ip, demo, tmp_path):
    port = demo.port
    ok(ip, "%connect export pkg")
    ok(ip, "%connect load pkg")
    assert not demo.running and port_is_free(port)
    mock, _ = ok(ip, "%connect mock pkg --tls")
    assert mock.tls and mock.url.startswith("https://127.0.0.1:")
    report, _ = ok(ip, "%connect test listProjects")  # the TLS mock is trusted for the test
    assert report.ok
    ok(ip, "%connect new other")
    assert not mock.running


def test_mock_key_reference_and_refusals(ip, monkeypatch):
    ok(ip, "%connect new demo --demo")
    monkeypatch.setenv("T1_MOCK", SENTINEL)
    mock, _ = ok(ip, "%connect mock --key env:T1_MOCK")
    conn = session(ip).connector.connections[0]
    assert dict(conn.secrets) == {"value": "env:T1_MOCK"}
    assert httpx2.get(mock.url + "/users", headers={"X-API-Key": SENTINEL}).status_code == 200
    line = one_line_error(ip, f"%connect mock --key {SENTINEL}x", r"reference")
    assert SENTINEL not in line
    one_line_error(ip, "%connect mock stop --tls", r"takes no options")


def test_mock_for_bearer_and_oauth2_client_credentials(ip):
    ok(ip, "%connect new demo --demo")
    ok(ip, "%connect auth bearer")
    mock, _ = ok(ip, "%connect mock")
    assert dict(session(ip).connector.connections[0].secrets) == {
        "token": "env:NBCONNECT_MOCK_KEY"}
    report, _ = ok(ip, "%connect test listUsers")
    assert report.ok
    ok(ip, "%connect auth oauth2-client-credentials --token-url https://auth.example.com/token")
    _, out = ok(ip, "%connect mock")
    assert "token URL" in out and "pointing at the mock" in out
    assert not mock.running


def test_help_lists_test_and_mock(ip):
    _, out = ok(ip, "%connect help")
    assert "test ENDPOINT" in out and "mock [SPEC_OR_PKG]" in out and "login" in out
    _, out = ok(ip, "%connect help test")
    assert "--record" in out and "--param" in out


# --------------------------------------------------------------------------- login


@pytest.fixture
def oauth_server():
    oauth.clear_token_cache()
    server = OAuthTestServer()
    server.add_user("ada", "pw-unused", "ada@example.com")
    server.add_client("app", CLIENT_SECRET)
    with serve(server.app) as srv:
        yield server, srv
    oauth.clear_token_cache()


def browser(url: str) -> None:
    with httpx2.Client(follow_redirects=True) as b:
        assert b.get(url).status_code == 200


def test_connection_login_with_the_loopback_listener(ip, oauth_server, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    server, srv = oauth_server
    monkeypatch.setenv("T1_CLIENT_SECRET", CLIENT_SECRET)
    shown = commands_mod._show_link

    def show_and_click(url: str) -> None:
        shown(url)
        browser(url)

    monkeypatch.setattr(commands_mod, "_show_link", show_and_click)
    ok(ip, "%connect new login-demo")
    ok(ip, f"%connect auth oauth2-code --token-url {srv.url}/token --authorization-url "
           f"{srv.url}/authorize --identity-endpoint /api/me --identity-param email")
    ok(ip, f"%connect connection add dev --base-url {srv.url} "
           "--secret client-secret=env:T1_CLIENT_SECRET --set client-id=app")
    info, out = ok(ip, "%connect connection login dev --timeout 10")
    assert "logged in as ada@example.com" in out
    assert "Open this URL in a browser" in out
    assert info.identity == "ada@example.com"
    assert server.grants() == ["authorization_code"]
    client_logs = "\n".join(r.getMessage() for r in caplog.records  # server's own logs out
                             if not r.name.startswith("authlib.oauth2.rfc"))
    assert CLIENT_SECRET not in out + client_logs
    assert info.reveal_access_token() not in out + client_logs


def test_connection_login_pasted_and_refused_for_other_types(ip, oauth_server, monkeypatch):
    server, srv = oauth_server
    monkeypatch.setenv("T1_CLIENT_SECRET", CLIENT_SECRET)
    landed: dict[str, str] = {}

    def show_and_follow_once(url: str) -> None:
        with httpx2.Client() as b:
            landed["url"] = b.get(url).headers["location"]

    monkeypatch.setattr(commands_mod, "_show_link", show_and_follow_once)
    monkeypatch.setattr("builtins.input", lambda prompt="": landed["url"])
    ok(ip, "%connect new login-demo")
    ok(ip, f"%connect auth oauth2-code --token-url {srv.url}/token --authorization-url "
           f"{srv.url}/authorize --identity-endpoint /api/me --identity-param email "
           "--redirect-url http://127.0.0.1/callback")
    ok(ip, f"%connect connection add dev --base-url {srv.url} "
           "--secret client-secret=env:T1_CLIENT_SECRET --set client-id=app")
    _, out = ok(ip, "%connect connection login --paste")
    assert "logged in as ada@example.com" in out
    assert server.grants() == ["authorization_code"]
    ok(ip, "%connect auth api-key --key X-Key")
    one_line_error(ip, "%connect connection login dev", r"oauth2-code")
