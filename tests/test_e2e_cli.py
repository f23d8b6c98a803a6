"""Every auth type end to end through the command line only.

A package is imported from a spec, its auth and a connection are set with `nbconnect auth`
and `nbconnect connection add` (secrets as `env:` references), and `nbconnect test` calls
the real local servers: tests/auth_app.py for API key, Basic, Bearer and JWT, and the
authlib-built OAuth2 server for the OAuth2 grants. The right secret passes (exit 0), a
wrong one fails with the API's 401 as the reason (exit 1), and the secret value is in no
output and no file of the package.
"""

from __future__ import annotations

import json

import pytest
from tests.auth_app import Expected, make_auth_app
from tests.oauth_server import OAuthTestServer

from nbconnect.cli import main

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

# type -> (auth args, connection args, endpoint, what the server checks)
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


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def _package(tmp_path, capsys) -> str:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    pkg = str(tmp_path / "pkg")
    code, _, err = _cli(capsys, "import", str(spec), "-o", pkg)
    assert code == 0, err
    return pkg


def _assert_no_secret(pkg, *texts: str) -> None:
    from pathlib import Path

    for text in texts:
        assert SENTINEL not in text
    for path in Path(pkg).rglob("*"):
        if path.is_file():
            assert SENTINEL.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("kind", sorted(SIMPLE))
def test_simple_auth_types_through_the_cli(kind, tmp_path, capsys, monkeypatch, serve_app):
    auth_args, conn_args, endpoint = SIMPLE[kind]
    srv = serve_app(make_auth_app(Expected(
        api_key=SENTINEL, username="ada", password=SENTINEL, token=SENTINEL,
        jwt_keys={"HS256": SENTINEL})))
    pkg = _package(tmp_path, capsys)
    monkeypatch.setenv("E2E_SECRET", SENTINEL)
    outputs = []
    for args in (["auth", pkg, *auth_args],
                 ["connection", "add", pkg, "dev", "--base-url", srv.url, *conn_args]):
        code, out, err = _cli(capsys, *args)
        assert code == 0, err
        outputs += [out, err]

    code, out, err = _cli(capsys, "test", pkg, "--endpoint", endpoint, "--json")
    assert code == 0, out + err
    report = json.loads(out)
    assert report["passed"] == 1 and report["results"][0]["status"] == 200

    monkeypatch.setenv("E2E_SECRET", "not-" + SENTINEL[4:])
    code, out2, err2 = _cli(capsys, "test", pkg, "--endpoint", endpoint)
    assert code == 1
    assert "401 Unauthorized" in out2
    _assert_no_secret(pkg, *outputs, out, err, out2, err2)


@pytest.mark.parametrize("kind", ["oauth2-client-credentials", "oauth2-password"])
def test_oauth2_grants_through_the_cli(kind, tmp_path, capsys, monkeypatch, serve_app):
    server = OAuthTestServer()
    server.add_client("app", SENTINEL, auth_methods=("client_secret_basic",))
    server.add_user("ada", SENTINEL + "-pw", "ada@example.com")
    srv = serve_app(server.app)
    pkg = _package(tmp_path, capsys)
    monkeypatch.setenv("E2E_SECRET", SENTINEL)
    monkeypatch.setenv("E2E_PASSWORD", SENTINEL + "-pw")
    conn = ["--secret", "client-secret=env:E2E_SECRET", "--set", "client-id=app"]
    if kind == "oauth2-password":
        conn += ["--secret", "password=env:E2E_PASSWORD", "--set", "username=ada"]
    for args in (["auth", pkg, kind, "--token-url", srv.url + "/token"],
                 ["connection", "add", pkg, "dev", "--base-url", srv.url, *conn]):
        code, _, err = _cli(capsys, *args)
        assert code == 0, err

    code, out, err = _cli(capsys, "test", pkg, "--endpoint", "me")
    assert code == 0, out + err
    assert len(server.token_requests) == 1

    monkeypatch.setenv("E2E_SECRET", "wrong-client-secret")
    from nbconnect.auth.oauth import clear_token_cache

    clear_token_cache()
    code, out2, err2 = _cli(capsys, "test", pkg, "--endpoint", "me")
    assert code == 1  # the token request fails inside the test: a failed endpoint
    assert "The token endpoint refused the request: invalid_client" in out2
    _assert_no_secret(pkg, out, err, out2, err2)
