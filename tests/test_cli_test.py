"""``nbconnect test``, ``nbconnect mock``, ``nbconnect export --format`` and ``nbconnect
connection login``: in-process through ``main([...])`` and as real subprocesses, against
the real mock API and an authlib OAuth2 server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest
from tests.oauth_server import OAuthTestServer
from tests.servers import free_port, serve

import nbconnect
from nbconnect.auth import oauth
from nbconnect.cli import main
from nbconnect.mock.server import MockServer
from nbconnect.verbs.grammar import add_connection, make_connection

BIN = Path(sys.executable).parent
KEY = "s3ntinel-T1-cli-key-41d7"
CLIENT_SECRET = "s3ntinel-T1-cli-client-secret-90b2"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def pkg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The demo connector as a package with a connection 'mock' to a running mock."""
    monkeypatch.setenv("T1_CLI_KEY", KEY)
    monkeypatch.setenv("T1_CLI_WRONG", "wrong-" + KEY[::-1])
    connector = nbconnect.Connector("demo")
    connector.import_spec(nbconnect.demo_spec_path())
    with MockServer(connector, credentials={"api-key": KEY}) as mock:
        add_connection(connector, make_connection(
            "mock", base_url=mock.url, secrets={"value": "env:T1_CLI_KEY"},
            auth=connector.auth, default=True))
        add_connection(connector, make_connection(
            "wrong", base_url=mock.url, secrets={"value": "env:T1_CLI_WRONG"},
            auth=connector.auth))
        path = nbconnect.export(connector, tmp_path / "demo")
        yield path, mock


def test_test_passes_exit_0_and_saves_the_report(capsys, pkg) -> None:
    path, _ = pkg
    code, out, err = run(capsys, "test", str(path))
    assert code == 0, err
    assert out.startswith("demo: 12 passed, 0 failed (connection mock)")
    saved = json.loads((path / "tests" / "last-report.json").read_text())
    assert saved["passed"] == 12 and saved["failed"] == 0
    assert KEY not in (path / "tests" / "last-report.json").read_text()


def test_test_json_shape_and_params(capsys, pkg) -> None:
    path, _ = pkg
    code, out, _ = run(capsys, "test", str(path), "--endpoint", "getTask", "--param",
                       "taskId=7", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"connector", "connection", "passed", "failed", "results"}
    (result,) = data["results"]
    assert set(result) == {"endpoint_id", "method", "path", "ok", "status", "latency_ms",
                           "size", "reason", "content_type"}
    assert (result["endpoint_id"], result["ok"], result["status"]) == ("getTask", True, 200)


def test_test_failures_exit_1_with_reasons(capsys, pkg) -> None:
    path, _ = pkg
    code, out, _ = run(capsys, "test", str(path), "--connection", "wrong",
                       "--endpoint", "listUsers", "--endpoint", "getTask")
    assert code == 1
    assert "0 passed, 2 failed" in out and "401" in out and "credentials" in out
    assert KEY not in out and KEY[::-1] not in out
    saved = json.loads((path / "tests" / "last-report.json").read_text())
    assert saved["failed"] == 2


def test_test_of_a_missing_package_exit_2(capsys, tmp_path) -> None:
    code, _, err = run(capsys, "test", str(tmp_path / "none"))
    assert code == 2 and "nbconnect: error:" in err


def test_record_then_replay_offline_in_a_subprocess(capsys, pkg) -> None:
    path, mock = pkg
    code, recorded, _ = run(capsys, "test", str(path), "--record")
    assert code == 0
    assert len(list((path / "cassettes").glob("*.json"))) == 12
    for file in (path / "cassettes").glob("*.json"):
        assert KEY not in file.read_text()
    mock.stop()
    # replay needs no secret: the variable the connection refers to is not set at all
    env = {k: v for k, v in os.environ.items() if k != "T1_CLI_KEY"}
    proc = subprocess.run([str(BIN / "nbconnect"), "test", str(path), "--replay"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == recorded
    proc = subprocess.run([str(BIN / "nbconnect"), "test", str(path), "--replay",
                           "--endpoint", "getTask", "--param", "taskId=99"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 1 and "no recorded exchange" in proc.stdout
    # a live test with the mock gone fails with its reason, exit 1
    code, out, _ = run(capsys, "test", str(path), "--endpoint", "listUsers")
    assert code == 1 and "connection refused" in out


def test_record_into_a_zip_is_refused(capsys, pkg, tmp_path) -> None:
    path, _ = pkg
    zipped = nbconnect.export(nbconnect.load(path), tmp_path / "demo.zip", zip=True)
    before = zipped.read_bytes()
    code, _, err = run(capsys, "test", str(zipped), "--record")
    assert code == 2 and ".zip" in err
    assert zipped.read_bytes() == before


def test_export_postman_and_openapi(capsys, pkg, tmp_path) -> None:
    path, _ = pkg
    code, out, _ = run(capsys, "export", str(path), "--format", "postman", "-o",
                       str(tmp_path / "c.json"))
    assert code == 0 and "as postman" in out
    coll = json.loads((tmp_path / "c.json").read_text())
    assert coll["info"]["schema"].endswith("/v2.1.0/collection.json")
    assert coll["auth"]["type"] == "apikey"
    code, _, _ = run(capsys, "export", str(path), "--format", "openapi", "-o",
                     str(tmp_path / "o.json"))
    assert code == 0
    doc = json.loads((tmp_path / "o.json").read_text())
    assert doc["openapi"].startswith("3.1") and len([
        op for item in doc["paths"].values() for op in item]) == 12
    for name in ("c.json", "o.json"):
        assert KEY not in (tmp_path / name).read_text()
    code, _, err = run(capsys, "export", str(path), "--format", "yaml", "-o", "x")
    assert code == 2 and "invalid choice" in err
    code, _, err = run(capsys, "export", str(path), "--format", "openapi", "-o",
                       str(tmp_path / "missing" / "o.json"))
    assert code == 2 and "does not exist" in err


def test_mock_serves_in_a_subprocess_and_stops_on_sigint(tmp_path) -> None:
    port = free_port()
    proc = subprocess.Popen([str(BIN / "nbconnect"), "mock", str(nbconnect.demo_spec_path()),
                             "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/v1" in first
        deadline = time.monotonic() + 20
        while True:
            try:
                r = httpx2.get(f"http://127.0.0.1:{port}/v1/users",
                               headers={"X-API-Key": "anything"})
                break
            except httpx2.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert r.status_code == 200 and isinstance(r.json(), (list, dict))
        assert httpx2.get(f"http://127.0.0.1:{port}/v1/users").status_code == 401
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Mock stopped." in out and "Traceback" not in err


def test_mock_bad_port_exit_2(capsys) -> None:
    code, _, err = run(capsys, "mock", str(nbconnect.demo_spec_path()), "--port", "70000")
    assert code == 2 and "0 to 65535" in err


def test_help_lists_the_new_verbs(capsys) -> None:
    code, out, _ = run(capsys, "help")
    assert code == 0
    for verb in ("test", "mock", "export"):
        assert verb in out
    code, out, _ = run(capsys, "help", "test")
    assert "--replay" in out and "--param" in out


def test_connection_login_pasted_against_the_authlib_server(capsys, tmp_path,
                                                            monkeypatch) -> None:
    oauth.clear_token_cache()
    server = OAuthTestServer()
    server.add_user("ada", "pw-unused", "ada@example.com")
    server.add_client("app", CLIENT_SECRET)
    monkeypatch.setenv("T1_CLI_SECRET", CLIENT_SECRET)
    with serve(server.app) as srv:
        connector = nbconnect.Connector("login")
        connector.auth = nbconnect.model.OAuth2Code(
            token_url=srv.url + "/token", authorization_url=srv.url + "/authorize",
            identity_endpoint="/api/me", identity_param="email",
            redirect_url="http://127.0.0.1/callback")
        add_connection(connector, make_connection(
            "dev", base_url=srv.url, secrets={"client_secret": "env:T1_CLI_SECRET"},
            settings={"client_id": "app"}, auth=connector.auth))
        path = nbconnect.export(connector, tmp_path / "login")

        def fake_input(prompt: str = "") -> str:
            printed = capsys.readouterr().out
            url = printed.strip().splitlines()[-1]
            with httpx2.Client() as browser:  # plays the browser: approve, see the redirect
                return browser.get(url).headers["location"]

        monkeypatch.setattr("builtins.input", fake_input)
        code = main(["connection", "login", str(path), "dev", "--paste"])
        out, err = capsys.readouterr()
    oauth.clear_token_cache()
    assert code == 0, err
    assert out.strip() == "logged in as ada@example.com"
    assert server.grants() == ["authorization_code"]
    assert CLIENT_SECRET not in out + err


def test_connection_login_refuses_other_auth_types(capsys, pkg) -> None:
    path, _ = pkg
    code, _, err = run(capsys, "connection", "login", str(path), "mock")
    assert code == 2 and "oauth2-code" in err
