"""Every auth type end to end through the ``%connect`` magics alone.

The same servers and secrets as tests/test_e2e_cli.py, driven from a real IPython shell:
``%connect import``, ``%connect auth``, ``%connect connection add`` (env references) and
``%connect test`` return a report that passes with the right secret and fails with the
API's refusal with a wrong one; nothing the shell shows holds the secret.
"""

from __future__ import annotations

import pytest
from IPython.utils.capture import capture_output
from tests.auth_app import Expected, make_auth_app
from tests.oauth_server import OAuthTestServer
from tests.test_e2e_cli import SENTINEL, SIMPLE, SPEC

from nbconnect.auth.oauth import clear_token_cache


@pytest.fixture
def ip(ip, tmp_path):
    (tmp_path / "spec.yaml").write_text(SPEC)
    return ip


def magic(ip, line: str):
    with capture_output() as cap:
        result = ip.run_cell(line)
    assert result.error_in_exec is None and result.error_before_exec is None, cap.stdout
    assert SENTINEL not in cap.stdout + cap.stderr
    return result.result


def _secret_free(report) -> None:
    assert SENTINEL not in repr(report) and SENTINEL not in report.to_json()


@pytest.mark.parametrize("kind", sorted(SIMPLE))
def test_simple_auth_types_through_magics(kind, ip, monkeypatch, serve_app):
    auth_args, conn_args, endpoint = SIMPLE[kind]
    srv = serve_app(make_auth_app(Expected(
        api_key=SENTINEL, username="ada", password=SENTINEL, token=SENTINEL,
        jwt_keys={"HS256": SENTINEL})))
    monkeypatch.setenv("E2E_SECRET", SENTINEL)
    magic(ip, "%connect new e2e")
    magic(ip, "%connect import spec.yaml")
    quoted = " ".join(f"'{a}'" for a in auth_args)
    magic(ip, f"%connect auth {quoted}")
    magic(ip, f"%connect connection add dev --base-url {srv.url} {' '.join(conn_args)}")
    report = magic(ip, f"%connect test {endpoint}")
    assert (report.passed, report.failed) == (1, 0)
    _secret_free(report)

    monkeypatch.setenv("E2E_SECRET", "not-" + SENTINEL[4:])
    report = magic(ip, f"%connect test {endpoint}")
    assert report.failed == 1 and report.results[0].status == 401
    assert "401 Unauthorized" in report.results[0].reason
    _secret_free(report)


@pytest.mark.parametrize("kind", ["oauth2-client-credentials", "oauth2-password"])
def test_oauth2_grants_through_magics(kind, ip, monkeypatch, serve_app):
    server = OAuthTestServer()
    server.add_client("app", SENTINEL, auth_methods=("client_secret_basic",))
    server.add_user("ada", SENTINEL + "-pw", "ada@example.com")
    srv = serve_app(server.app)
    clear_token_cache()
    monkeypatch.setenv("E2E_SECRET", SENTINEL)
    monkeypatch.setenv("E2E_PASSWORD", SENTINEL + "-pw")
    conn = "--secret client-secret=env:E2E_SECRET --set client-id=app"
    if kind == "oauth2-password":
        conn += " --secret password=env:E2E_PASSWORD --set username=ada"
    magic(ip, "%connect new e2e")
    magic(ip, "%connect import spec.yaml")
    magic(ip, f"%connect auth {kind} --token-url {srv.url}/token")
    magic(ip, f"%connect connection add dev --base-url {srv.url} {conn}")
    report = magic(ip, "%connect test me")
    assert report.passed == 1 and len(server.token_requests) == 1
    _secret_free(report)
