"""Issue 8, kind 3: nothing dropped silently.

Where a spec says more than the connector model holds, the connector holds it or the import
names it in a warning; the exported package never describes another API than the spec did.
Written from the OpenAPI 3.0.3 / 3.1 text (Server Object and path/operation ``servers``,
Security Requirement Object: the schemes of one requirement are all needed, the
requirements of a list are alternatives) and run against real loopback servers that record
what they receive, and against the mock of the spec and of the exported package.
Cases 05 and 19 of ``tests/specs/fidelity`` behave as ``../shared/cases/spec-fidelity``
says.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from tests.newman import run_newman
from tests.servers import RequestLog

import nbconnect
from nbconnect.errors import SpecParseError
from nbconnect.mock.server import MockServer
from nbconnect.model import ApiKeyAuth, Connection
from nbconnect.spec.importer import import_document
from nbconnect.spec.writer import to_openapi

CASES = Path(__file__).parent / "specs" / "fidelity"
CASE_05 = CASES / "05-path-level-servers.yaml"
CASE_19 = CASES / "19-security-and-pair.yaml"
APP_ID = "app-id-s3ntinel-7f1c2d"
APP_KEY = "app-key-s3ntinel-9e8b7a"


def _recorder(objects: tuple[str, ...] = ()) -> RequestLog:
    """A loopback app that records each request and answers ``[]`` (``{}`` on ``objects``)."""
    async def anything(request: Request) -> JSONResponse:
        return JSONResponse({} if request.url.path in objects else [])

    app = Starlette(routes=[Route("/{path:path}", anything, methods=["GET", "POST"])])
    return RequestLog(app)


def _connector(source: Any, name: str = "c") -> nbconnect.Connector:
    c = nbconnect.Connector(name)
    c.import_spec(source)
    return c


def _files_text(root: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(root.rglob("*")) if p.is_file())


# --------------------------------------------------------------------------- servers


def test_case05_each_endpoint_keeps_its_own_server() -> None:
    from nbconnect.testing.request import build_request

    c = _connector(CASE_05)
    assert c.base_url == "https://api.example.com/v1"
    servers = {e.id: e.server for e in c.endpoints}
    assert servers == {"listItems": None, "listFiles": "https://eu.uploads.example.com/v2",
                       "getReport": "https://reports.example.com"}
    urls = {e.id: str(build_request(c, e).url) for e in c.endpoints}
    assert urls == {"listItems": "https://api.example.com/v1/items",
                    "listFiles": "https://eu.uploads.example.com/v2/files",
                    "getReport": "https://reports.example.com/reports"}


def test_case05_package_and_openapi_json_keep_the_servers(tmp_path: Path) -> None:
    c = _connector(CASE_05)
    c.export(tmp_path / "a")
    c.export(tmp_path / "b")
    assert nbconnect.load(tmp_path / "a") == c
    for name in ("connector.yaml", "openapi.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    yaml_text = (tmp_path / "a" / "connector.yaml").read_text()
    assert yaml_text.count("server:") == 2  # endpoints at the base URL carry no field
    doc = json.loads((tmp_path / "a" / "openapi.json").read_text())
    assert doc["servers"] == [{"url": "https://api.example.com/v1"}]
    assert doc["paths"]["/files"]["get"]["servers"] == [
        {"url": "https://eu.uploads.example.com/v2"}]
    assert doc["paths"]["/reports"]["get"]["servers"] == [{"url": "https://reports.example.com"}]
    assert "servers" not in doc["paths"]["/items"]["get"]
    # the exported document imports back to the same endpoints
    again = import_document(doc)
    assert {e.id: e.server for e in again.endpoints} == {e.id: e.server for e in c.endpoints}


def test_runner_calls_each_endpoint_at_its_server(serve_app: Any) -> None:
    main, other = _recorder(), _recorder(objects=("/reports",))
    main_srv, other_srv = serve_app(main), serve_app(other)
    spec = CASE_05.read_text() \
        .replace("https://api.example.com/v1", f"{main_srv.url}/v1") \
        .replace("https://{region}.uploads.example.com/v2",
                 "http://{region}:" + str(other_srv.port) + "/v2") \
        .replace("default: eu, enum: [eu, us]", "default: 127.0.0.1, enum: [127.0.0.1]") \
        .replace("https://reports.example.com", f"http://localhost:{other_srv.port}")
    c = _connector(spec)
    report = c.test()
    assert report.ok, report
    assert main.paths == ["/v1/items"]
    assert sorted(other.paths) == ["/reports", "/v2/files"]


@pytest.mark.parametrize("kind", ["spec", "package"])
def test_mock_serves_endpoint_servers_and_the_runner_finds_them(kind: str,
                                                                tmp_path: Path) -> None:
    c = _connector(CASE_05)
    source: Any = CASE_05
    if kind == "package":
        c.export(tmp_path / "pkg")
        source = tmp_path / "pkg"
    with MockServer(source) as mock:
        c.connections = (Connection("mock", mock.url),)
        report = c.test(connection="mock")
        assert report.ok, report
        with httpx2.Client(base_url=mock.root_url) as client:
            assert client.get("/v2/files").status_code == 200
            assert client.get("/reports").status_code == 200
            assert client.get("/v1/items").status_code == 200
            assert client.get("/v1/files").status_code == 404


def test_unusable_endpoint_server_is_named() -> None:
    spec = CASE_05.read_text().replace("https://reports.example.com",
                                       "http://reports.example.com")
    r = nbconnect.import_spec(spec)
    assert {e.id: e.server for e in r.endpoints}["getReport"] is None
    assert any("getReport" in w and "http://reports.example.com" in w
               and "base URL instead" in w for w in r.warnings)


# --------------------------------------------------------------------------- several keys


def _key_pair_connector(base_url: str, monkeypatch: pytest.MonkeyPatch) -> nbconnect.Connector:
    monkeypatch.setenv("D_APP_ID", APP_ID)
    monkeypatch.setenv("D_APP_KEY", APP_KEY)
    c = _connector(CASE_19)
    c.connections = (Connection("live", base_url, secrets={"value": "env:D_APP_ID",
                                                           "value_2": "env:D_APP_KEY"}),)
    return c


def test_case19_import_holds_both_keys() -> None:
    r = nbconnect.import_spec(CASE_19)
    assert r.auth == ApiKeyAuth(key="X-App-Id", add_to="header",
                                extra_keys=(("X-App-Key", "header"),))
    assert r.auth.secret_fields == ("value", "value_2")
    assert r.warnings == []


def test_case19_runner_sends_both_keys(serve_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    log = _recorder()
    srv = serve_app(log)
    c = _key_pair_connector(srv.url, monkeypatch)
    assert c.test().ok
    (_, path, headers), = log.requests
    assert path == "/reports"
    assert headers["x-app-id"] == APP_ID and headers["x-app-key"] == APP_KEY


@pytest.mark.parametrize("kind", ["spec", "package"])
def test_case19_mocks_need_both_keys(kind: str, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    c = _key_pair_connector("https://api.example.com", monkeypatch)
    source: Any = CASE_19
    if kind == "package":
        c.export(tmp_path / "pkg")
        source = tmp_path / "pkg"
        text = _files_text(tmp_path / "pkg")
        assert APP_ID not in text and APP_KEY not in text
        assert "env:D_APP_KEY" in text
        doc = json.loads((tmp_path / "pkg" / "openapi.json").read_text())
        assert doc["security"] == [{"api-key": [], "api-key-2": []}]
        assert nbconnect.load(tmp_path / "pkg") == c
    with MockServer(source) as mock, httpx2.Client(base_url=mock.url) as client:
        both = {"X-App-Id": APP_ID, "X-App-Key": APP_KEY}
        assert client.get("/reports", headers=both).status_code == 200
        assert client.get("/reports", headers={"X-App-Id": APP_ID}).status_code == 401
        assert client.get("/reports", headers={"X-App-Key": APP_KEY}).status_code == 401
        c.connections = (Connection("mock", mock.url,
                                    secrets=dict(c.connections[0].secrets)),)
        report = c.test(connection="mock")
        assert report.ok, report
        assert APP_ID not in repr(report) and APP_KEY not in repr(report)


def test_api_key_auth_round_trip_and_checks() -> None:
    auth = ApiKeyAuth("X-App-Id", extra_keys=[{"key": "app_key", "add_to": "query"}])
    assert auth.keys == (("X-App-Id", "header", "value"), ("app_key", "query", "value_2"))
    assert nbconnect.model.auth_from_dict(auth.to_dict()) == auth
    assert ApiKeyAuth().to_dict() == {"type": "api-key", "key": "X-API-Key", "add_to": "header"}
    with pytest.raises(nbconnect.errors.AuthConfigError) as err:
        ApiKeyAuth("X-App-Id", extra_keys=["x-app-id"])
    assert "twice" in err.value.message


def test_other_scheme_combinations_are_named() -> None:
    spec = """
openapi: 3.0.3
info: {title: Mixed, version: "1"}
servers: [{url: "https://api.example.com"}]
security: [{key: []}]
paths:
  /a: {get: {operationId: getA, responses: {"200": {description: ok}}}}
  /b:
    get:
      operationId: getB
      security: [{oauth: [read]}]
      responses: {"200": {description: ok}}
  /c:
    get:
      operationId: getC
      security: [{key: [], oauth: [read]}]
      responses: {"200": {description: ok}}
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Key}
    oauth:
      type: oauth2
      flows: {clientCredentials: {tokenUrl: "https://a.example.com/t", scopes: {read: r}}}
"""
    r = nbconnect.import_spec(spec)
    assert r.auth == ApiKeyAuth(key="X-Key")
    text = "\n".join(r.warnings)
    assert "'key' (apiKey), 'oauth' (oauth2) at once" in text
    assert any("getB" in w and "'oauth'" in w for w in r.warnings)
    assert any("getC" in w and "'key' + 'oauth'" in w for w in r.warnings)
    assert not any("getA" in w for w in r.warnings)


# --------------------------------------------------------------------------- routes


def test_routes_that_differ_only_in_parameter_names_are_both_imported() -> None:
    def op(op_id: str, name: str) -> dict[str, Any]:
        return {"operationId": op_id, "parameters": [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "ok"}}}

    doc = {"openapi": "3.0.3", "info": {"title": "Google-ish", "version": "v1"},
           "servers": [{"url": "https://pubsub.example.com"}],
           "paths": {"/v1/admin/{name}/topics": {"get": op("getTopics", "name")},
                     "/v1/admin/{parent}/topics": {"post": op("createTopic", "parent")}}}
    r = nbconnect.import_spec(json.dumps(doc))  # strict
    assert [e.id for e in r.endpoints] == ["getTopics", "createTopic"]
    assert any("/v1/admin/{name}/topics" in w and "/v1/admin/{parent}/topics" in w
               for w in r.warnings)
    c = nbconnect.Connector("g")
    c.apply_import(r)
    assert set(to_openapi(c)["paths"]) == {"/v1/admin/{name}/topics",
                                           "/v1/admin/{parent}/topics"}


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(("fmt", "literal"), [
    ("json", "9" * 5000), ("json", "-" + "9" * 5000),
    ("yaml", "9" * 5000), ("yaml", "-" + "9" * 5000), ("yaml", "0x" + "f" * 4000)])
def test_hostile_numbers_end_in_one_sentence(fmt: str, literal: str) -> None:
    if fmt == "json":
        text = ('{"openapi": "3.0.3", "info": {"title": "x", "version": "1"}, "paths": {},\n'
                f'"x-big": {literal}}}')
    else:
        text = f'openapi: 3.0.3\ninfo: {{title: x, version: "1"}}\npaths: {{}}\nx-big: {literal}\n'
    with pytest.raises(SpecParseError) as err:
        nbconnect.import_spec(text)
    message = err.value.message
    assert "integer" in message and "digits" in message and "line" in message
    assert message.count(". ") == 0 and message.endswith(".")
    assert len(message) < 300


@pytest.mark.parametrize("text", [
    '{"openapi": "3.0.3", "info": {"title": "x", "version": "1"},\n"paths": {}, "x": 1e999}',
    'openapi: 3.0.3\ninfo: {title: x, version: "1"}\npaths: {}\nx: -1.0e999\n'])
def test_numbers_that_overflow_to_infinity_end_in_one_sentence(text: str) -> None:
    with pytest.raises(SpecParseError) as err:
        nbconnect.import_spec(text)
    assert "too large for a floating-point number" in err.value.message
    assert "line" in err.value.message


def test_long_but_allowed_integers_still_import() -> None:
    text = ('openapi: 3.0.3\ninfo: {title: x, version: "1"}\npaths: {}\n'
            f'x-big: {"9" * 400}\nx-inf: .inf\n')
    assert nbconnect.import_spec(text).endpoints == ()


# --------------------------------------------------------------------------- other parts


DROPS = """
openapi: 3.1.0
info: {title: Drops, version: "1"}
servers: [{url: "https://api.example.com"}]
webhooks:
  newPet:
    post:
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses: {"200": {description: ok}}
paths:
  /a:
    parameters:
      - {name: session, in: cookie, schema: {type: string}}
    get:
      operationId: getA
      parameters:
        - {name: X-Trace, in: header, schema: {type: string}}
      callbacks:
        onDone:
          "{$request.query.cb}":
            post:
              responses: {"200": {description: ok}}
      responses:
        "200":
          description: ok
          headers: {X-Rate: {schema: {type: integer}}}
          links: {self: {operationId: getA}}
          content: {application/json: {schema: {type: object}}}
    head:
      operationId: headA
      responses: {"200": {description: ok}}
  /b:
    post:
      operationId: postB
      requestBody:
        content:
          application/json: {schema: {type: object}}
          application/xml: {schema: {type: object}}
      responses: {"200": {description: ok}}
"""


def test_parts_a_connector_does_not_hold_are_named() -> None:
    r = nbconnect.import_spec(DROPS)
    a = r.endpoints[0]
    assert [(p.name, p.location) for p in a.params] == [("session", "cookie"),
                                                        ("X-Trace", "header")]
    text = "\n".join(r.warnings)
    assert "Callbacks" in text and "getA (onDone)" in text
    assert "webhooks (newPet)" in text
    assert "links" in text and "headers" in text
    assert "postB (sends application/json; not application/xml)" in text
    assert "1 HEAD/OPTIONS/TRACE operation (HEAD /a)" in text


# --------------------------------------------------------------------------- Postman


def _newman(collection: Path, env: dict[str, str], tmp_path: Path) -> list[int]:
    """The statuses newman gets running ``collection`` (exit code 0 asserted)."""
    proc, data = run_newman(collection, tmp_path, env, timeout=120)
    assert proc.returncode == 0, (data["run"]["failures"], proc.stderr[-1000:])
    return [e["response"]["code"] for e in data["run"]["executions"]]


def test_newman_gets_what_nbconnect_test_gets_against_the_mocks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nbconnect.exports.postman import write_postman

    c05 = _connector(CASE_05, "servers")
    c19 = _key_pair_connector("https://api.example.com", monkeypatch)
    write_postman(c05, tmp_path / "05.json")
    write_postman(c19, tmp_path / "19.json")
    col19 = (tmp_path / "19.json").read_text()
    assert APP_ID not in col19 and APP_KEY not in col19
    with MockServer(CASE_05) as mock:
        c05.connections = (Connection("mock", mock.url),)
        report = c05.test(connection="mock")
        statuses = _newman(tmp_path / "05.json", {
            "baseUrl": mock.url, "baseUrl2": mock.root_url + "/v2",
            "baseUrl3": mock.root_url}, tmp_path)
        assert statuses == [r.status for r in report.results] == [200, 200, 200]
    with MockServer(CASE_19) as mock:
        c19.connections = (Connection("mock", mock.url, secrets=dict(
            c19.connections[0].secrets)),)
        report = c19.test(connection="mock")
        statuses = _newman(tmp_path / "19.json", {
            "baseUrl": mock.url, "apiKey": APP_ID, "apiKey2": APP_KEY}, tmp_path)
        assert statuses == [r.status for r in report.results] == [200]


def test_recorded_cassettes_of_a_key_pair_hold_no_key(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from nbconnect.testing.cassettes import CASSETTE_DIR, CassetteStore, RecordingTransport
    from nbconnect.testing.runner import test_endpoints

    c = _key_pair_connector("https://api.example.com", monkeypatch)
    pkg = tmp_path / "pkg"
    with MockServer(CASE_19, credentials={"appId": APP_ID, "appKey": APP_KEY}) as mock:
        c.connections = (Connection("mock", mock.url, secrets=dict(c.connections[0].secrets)),)
        c.export(pkg)
        report = test_endpoints(c, transport=RecordingTransport(None, CassetteStore.for_package(
            pkg)), progress=lambda *a: None)
    assert report.ok, report
    text = _files_text(pkg)
    assert (pkg / CASSETTE_DIR).is_dir()
    assert APP_ID not in text and APP_KEY not in text


def test_public_operations_are_named_when_the_connector_sends_auth() -> None:
    spec = CASE_19.read_text().replace("      operationId: listReports\n",
                                       "      operationId: listReports\n      security: []\n")
    r = nbconnect.import_spec(spec)
    assert any("listReports" in w and "security: []" in w for w in r.warnings)


def test_cassettes_mask_every_key_of_a_key_pair_by_name() -> None:
    from nbconnect.testing.cassettes import sensitive_names

    auth = ApiKeyAuth("X-App-Id", extra_keys=[("X-App-Key", "header"), ("sig", "query")])
    assert sensitive_names(auth) == (("sig",), ("X-App-Id", "X-App-Key"))


def test_a_missing_second_key_is_named() -> None:
    from nbconnect.auth.flows import build_auth

    auth = ApiKeyAuth("X-App-Id", extra_keys=[("X-App-Key", "header")])
    with pytest.raises(nbconnect.errors.AuthConfigError) as err:
        build_auth(auth, {"value": APP_ID})
    assert "'value_2' (the X-App-Key header key)" in err.value.message
    assert APP_ID not in err.value.message
    flow = build_auth(auth, {"value": APP_ID, "value_2": APP_KEY})
    assert APP_ID not in repr(flow) and APP_KEY not in repr(flow)
