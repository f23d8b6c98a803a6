"""Every auth type end to end, through the command line and through the ``%connect`` magics
(one scenario, the ``face`` fixture; it was tests/test_e2e_cli.py and tests/test_e2e_magics.py).

A connector is imported from a spec, its auth and a connection are set with ``auth`` and
``connection add`` (secrets as ``env:`` references), and ``test`` calls the real local
servers: tests/auth_app.py for API key, Basic, Bearer and JWT, and the authlib-built OAuth2
server for the OAuth2 grants. The right secret passes, a wrong one fails with the API's
refusal as the reason (the CLI exits 1), and the secret value is in no output and no file
of the package.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from tests.auth_app import Expected, make_auth_app
from tests.oauth_server import OAuthTestServer

from nbconnect.auth.oauth import clear_token_cache

SENTINEL = "e2e-Sentinel-5f3b9c0d2a7e41b8a6c4d9e0f1a2b3c4"

SPEC = """\
openapi: 3.0.3
info: {title: Auth E2E, version: '1'}
paths:
  /api-key/header: {get: {operationId: keyHeader, responses: {'200': {description: ok}}}}
  /api-key/query: {get: {operationId: keyQuery, responses: {'200': {description: ok}}}}
  /api-key/cookie: {get: {operationId: keyCookie, responses: {'200': {description: ok}}}}
  /basic: {get: {operationId: basic, responses: {'200': {description: ok}}}}
  /bearer: {get: {operationId: bearer, responses: {'200': {description: ok}}}}
  /jwt/HS256: {get: {operationId: jwt, responses: {'200': {description: ok}}}}
  /api/me: {get: {operationId: me, responses: {'200': {description: ok}}}}
"""

# type -> (auth args, connection args, endpoint)
SIMPLE = {
    "api-key-header": (["api-key", "--key", "X-API-Key", "--add-to", "header"],
                       ["--secret", "value=env:E2E_SECRET"], "keyHeader"),
    "api-key-query": (["api-key", "--key", "api_key", "--add-to", "query"],
                      ["--secret", "value=env:E2E_SECRET"], "keyQuery"),
    "api-key-cookie": (["api-key", "--key", "session", "--add-to", "cookie"],
                       ["--secret", "value=env:E2E_SECRET"], "keyCookie"),
    "basic": (["basic"], ["--secret", "password=env:E2E_SECRET", "--set", "username=ada"],
              "basic"),
    "bearer": (["bearer"], ["--secret", "token=env:E2E_SECRET"], "bearer"),
    "jwt": (["jwt", "--algorithm", "HS256", "--payload",
             '{"sub": "ada", "iat": "now", "exp": "+300s"}'],
            ["--secret", "secret=env:E2E_SECRET"], "jwt"),
}


def _ok(face, line: str):
    done = face.run(line)
    assert done.code == 0, done.out + done.err
    assert SENTINEL not in done.out + done.err
    return done


def _imported(face, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    _ok(face, f"import {spec}")


def _assert_no_secret(face, *texts: str) -> None:
    for text in texts:
        assert SENTINEL not in text
    if face.name == "cli":
        for path in face.package.rglob("*"):
            if path.is_file():
                assert SENTINEL.encode() not in path.read_bytes(), path
    else:
        assert SENTINEL not in repr(face.session.last_report)
        assert SENTINEL not in face.session.last_report.to_json()


@pytest.mark.parametrize("kind", sorted(SIMPLE))
def test_simple_auth_types(face, kind, tmp_path, monkeypatch, serve_app):
    auth_args, conn_args, endpoint = SIMPLE[kind]
    srv = serve_app(make_auth_app(Expected(
        api_key=SENTINEL, username="ada", password=SENTINEL, token=SENTINEL,
        jwt_keys={"HS256": SENTINEL})))
    _imported(face, tmp_path)
    monkeypatch.setenv("E2E_SECRET", SENTINEL)
    outputs = []
    for line in (f"auth {shlex.join(auth_args)}",
                 f"connection add dev --base-url {srv.url} {shlex.join(conn_args)}"):
        done = _ok(face, line)
        outputs += [done.out, done.err]

    done = _ok(face, f"test {endpoint} --json")
    report = json.loads(done.out)
    assert report["passed"] == 1 and report["results"][0]["status"] == 200

    monkeypatch.setenv("E2E_SECRET", "not-" + SENTINEL[4:])
    failed = face.run(f"test --endpoint {endpoint} --json")
    assert failed.code == (1 if face.name == "cli" else 0)
    (result,) = json.loads(failed.out)["results"]
    assert not result["ok"] and result["status"] == 401
    assert "401 Unauthorized" in result["reason"]
    _assert_no_secret(face, *outputs, done.out, done.err, failed.out, failed.err)


@pytest.mark.parametrize("kind", ["oauth2-client-credentials", "oauth2-password"])
def test_oauth2_grants(face, kind, tmp_path, monkeypatch, serve_app):
    server = OAuthTestServer()
    server.add_client("app", SENTINEL, auth_methods=("client_secret_basic",))
    server.add_user("ada", SENTINEL + "-pw", "ada@example.com")
    srv = serve_app(server.app)
    clear_token_cache()
    _imported(face, tmp_path)
    monkeypatch.setenv("E2E_SECRET", SENTINEL)
    monkeypatch.setenv("E2E_PASSWORD", SENTINEL + "-pw")
    conn = "--secret client-secret=env:E2E_SECRET --set client-id=app"
    if kind == "oauth2-password":
        conn += " --secret password=env:E2E_PASSWORD --set username=ada"
    _ok(face, f"auth {kind} --token-url {srv.url}/token")
    _ok(face, f"connection add dev --base-url {srv.url} {conn}")

    done = _ok(face, "test me --json")
    assert json.loads(done.out)["passed"] == 1
    assert len(server.token_requests) == 1

    monkeypatch.setenv("E2E_SECRET", "wrong-client-secret")
    clear_token_cache()
    failed = face.run("test me")
    assert failed.code == (1 if face.name == "cli" else 0)  # a failed endpoint, not an error
    text = failed.out if face.name == "cli" else failed.result.text()
    assert "The token endpoint refused the request: invalid_client" in text
    _assert_no_secret(face, done.out, done.err, failed.out, failed.err)
    clear_token_cache()
