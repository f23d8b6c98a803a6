"""The runner against real local servers: request building, pass/fail reasons, retries,
the body bound, concurrency, reports and saving them, and secrets kept out of all of it.

Servers are uvicorn on 127.0.0.1 (``tests/bad_servers.py`` misbehaves on purpose; TLS
from a trustme CA), plus a raw socket that closes connections without answering.
"""

from __future__ import annotations

import json
import logging
import re
import zipfile

import httpx2
import pytest
from tests.bad_servers import ITEMS, bad_app, closing_server
from tests.servers import free_port

import nbconnect
from nbconnect.errors import BaseUrlError, EndpointError, NbConnectError, PackageError
from nbconnect.model import ApiKeyAuth, Connection, Connector, Endpoint, Param
from nbconnect.package.format import save_report
from nbconnect.testing import runner
from nbconnect.testing.runner import (
    MissingParameterError,
    TestReport,
    TestResult,
    build_request,
    response_json_schema,
    test_endpoint,
    test_endpoints,
)

SENTINEL = "s3ntinel-Secret-Value-93xq"

ITEM = {"type": "object", "required": ["id"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string", "nullable": True}}}
PAGE = {"type": "object", "required": ["items"],
        "properties": {"items": {"type": "array",
                                 "items": {"$ref": "#/components/schemas/Item"}}}}


def ep(ep_id: str, path: str, method: str = "GET", **kw) -> Endpoint:
    kw.setdefault("response_status", "200")
    kw.setdefault("response_content_type", "application/json")
    kw.setdefault("response_schema", PAGE)
    return Endpoint(id=ep_id, method=method, path=path, source="openapi", **kw)


def connector(url: str, *endpoints: Endpoint, **kw) -> Connector:
    return Connector("bad", base_url=url, endpoints=endpoints, schemas={"Item": ITEM}, **kw)


@pytest.fixture
def app():
    return bad_app(api_key=SENTINEL)


@pytest.fixture
def server(serve_app, app):
    return serve_app(app)


def one(c: Connector, ep_id: str, **kw) -> TestResult:
    return test_endpoint(c, ep_id, **kw)


# --------------------------------------------------------------------------- pass / fail


def test_good_endpoint_passes_with_status_size_and_type(server):
    c = connector(server.url, ep("items", "/items"))
    r = one(c, "items")
    assert r.ok and r.status == 200 and r.reason == ""
    assert r.size == len(json.dumps(ITEMS, separators=(",", ":")))
    assert r.content_type == "application/json"
    assert json.loads(r.body) == ITEMS and not r.truncated
    assert r.latency_ms is not None and r.latency_ms >= 0
    assert "latency" not in repr(r) and repr(r).startswith("TestResult('items', GET /items, ok")


def test_schema_violation_names_the_json_path(server):
    c = connector(server.url, ep("bad", "/bad-schema"))
    r = one(c, "bad")
    assert not r.ok and r.status == 200
    assert r.reason == ("response does not match the declared schema at $.items[3].id: "
                        "expected integer, got string")


def test_500_and_its_message(server):
    r = one(connector(server.url, ep("e", "/error")), "e")
    assert not r.ok and r.status == 500
    assert r.reason == "500 Internal Server Error — the API failed on its side: database on fire"


def test_401_names_the_credential_to_check(server, monkeypatch):
    monkeypatch.setenv("NBC_RUNNER_KEY", "k-wrong-value")
    auth = ApiKeyAuth(key="X-API-Key", add_to="header")
    conn = Connection(name="local", base_url=server.url, secrets={"value": "env:NBC_RUNNER_KEY"})
    c = connector(server.url, ep("s", "/secure"), auth=auth, connections=(conn,))
    r = one(c, "s")
    assert not r.ok and r.status == 401
    assert r.reason == ("401 Unauthorized — the API rejected the credentials (check the "
                        "connection's api key)")
    monkeypatch.setenv("NBC_RUNNER_KEY", SENTINEL)
    assert one(c, "s").ok


def test_401_without_auth_says_to_set_one(server):
    r = one(connector(server.url, ep("s", "/secure")), "s")
    assert r.reason.startswith("401 Unauthorized — the API rejected the credentials (the "
                               "connector has no auth method")


def test_timeout_reason_uses_the_configured_timeout(server):
    c = connector(server.url, ep("slow", "/slow?delay=3"))
    r = one(c, "slow", timeout=0.3)
    assert not r.ok and r.status is None and r.reason == "timed out after 0.3 s"


def test_default_timeout_is_ten_seconds():
    assert runner.DEFAULT_TIMEOUT == 10.0
    req = build_request(connector("https://api.example.com", ep("x", "/x")), "x")
    assert req.extensions["timeout"]["read"] == 10.0


def test_tls_untrusted_certificate(serve_app, app):
    srv = serve_app(app, tls=True)
    c = connector(srv.url, ep("items", "/items"))
    r = one(c, "items")  # the default trust store does not know the test CA
    assert not r.ok and r.reason == "TLS: certificate verify failed for 127.0.0.1"
    assert one(c, "items", verify=srv.client_ssl_context()).ok


def test_connection_refused():
    c = connector(f"http://127.0.0.1:{free_port()}", ep("items", "/items"))
    r = one(c, "items")
    assert not r.ok and r.reason == "connection refused" and r.status is None


def test_connection_closed_without_answer():
    with closing_server() as url:
        r = one(connector(url, ep("items", "/items")), "items")
    assert not r.ok
    assert r.reason == "the server closed the connection without a complete response"


def test_connection_dropped_mid_body(server):
    r = one(connector(server.url, ep("cut", "/cut")), "cut")
    assert not r.ok and r.reason in (
        "the server closed the connection without a complete response",
        "the connection broke while reading the response")


def test_wrong_content_type(server):
    r = one(connector(server.url, ep("w", "/wrong-type")), "w")
    assert not r.ok and r.reason == "expected an application/json response, got text/html"


def test_declared_json_that_is_not_json(server):
    r = one(connector(server.url, ep("n", "/not-json")), "n")
    assert not r.ok and r.reason.startswith("the response is not valid JSON")


def test_non_json_passes_on_2xx_and_matching_type(server):
    csv = ep("csv", "/csv", response_content_type="text/csv", response_schema=None)
    want_json = ep("csv2", "/csv?v=2", response_content_type="application/json",
                   response_schema=None)
    empty = ep("empty", "/empty", response_status="204", response_content_type=None,
               response_schema=None)
    c = connector(server.url, csv, want_json, empty)
    assert one(c, "csv").ok and one(c, "csv").content_type == "text/csv"
    assert not one(c, "csv2").ok
    r = one(c, "empty")
    assert r.ok and r.status == 204 and r.size == 0


def test_redirect_is_not_followed(server):
    r = one(connector(server.url, ep("m", "/moved")), "m")
    assert not r.ok and r.status == 302
    assert r.reason.startswith("302 Found — the API redirected to https://elsewhere.example/x")


def test_plain_http_to_a_remote_host_says_https_is_required(server):
    c = connector(server.url, ep("items", "/items"))
    with pytest.raises(BaseUrlError, match="use https"):
        build_request(c, "items", base_url="http://api.example.com")
    object.__setattr__(c, "base_url", "http://api.example.com/v1")  # bypass validation
    r = one(c, "items")
    assert not r.ok and "plain http to api.example.com" in r.reason and "https" in r.reason


def test_missing_required_parameter():
    c = connector("https://api.example.com", ep("getPet", "/pets/{petId}"))
    r = one(c, "getPet")
    assert not r.ok and r.status is None
    assert r.reason == ("missing required parameter petId (give it a default in the "
                        "endpoint, or a test value for petId)")
    with pytest.raises(MissingParameterError) as info:
        build_request(c, "getPet")
    assert info.value.option == "param"


def test_unknown_param_name_is_a_typed_error():
    c = connector("https://api.example.com", ep("getPet", "/pets/{petId}"))
    with pytest.raises(EndpointError, match="did you mean petId"):
        test_endpoint(c, "getPet", params={"petid": 1})


# --------------------------------------------------------------------------- retries


def test_429_retry_after_is_honoured_then_passes(server, app):
    c = connector(server.url, ep("l", "/limited?key=a&times=2&after=0"))
    r = one(c, "l")
    assert r.ok and app.counts["/limited"] == 3


def test_429_gives_up_after_two_retries(server, app):
    c = connector(server.url, ep("l", "/limited?key=b&times=5&after=0"))
    r = one(c, "l")
    assert not r.ok and r.status == 429 and app.counts["/limited"] == 3
    assert r.reason.startswith("429 Too Many Requests — the API is rate limiting")
    assert r.reason.endswith("(still 429 after 2 retries)")


def test_retries_are_configurable(server, app):
    c = connector(server.url, ep("l", "/limited?key=c&times=1&after=0"))
    assert not one(c, "l", retries=0).ok
    assert app.counts["/limited"] == 1


def test_503_with_retry_after_is_retried(server, app):
    r = one(connector(server.url, ep("u", "/unavailable")), "u")
    assert not r.ok and r.status == 503 and app.counts["/unavailable"] == 3


def test_retry_after_over_the_bound_fails_at_once(server, app):
    r = one(connector(server.url, ep("l", "/limited-long")), "l")
    assert not r.ok and app.counts["/limited-long"] == 1
    assert "asked to wait 60 s, more than the 5 s retry bound" in r.reason
    c = connector(server.url, ep("l", "/limited?key=d&times=1&after=1"))
    assert not one(c, "l", retry_wait=0.5).ok and app.counts["/limited"] == 1


# --------------------------------------------------------------------------- body bound


def test_big_body_keeps_a_bounded_sample_and_counts_the_full_size(server):
    r = one(connector(server.url, ep("h", "/huge?mb=5")), "h")
    assert r.ok and r.size > 5_000_000
    assert len(r.body) == runner.BODY_SAMPLE_BYTES == 1_000_000 and r.truncated
    assert r.reason.startswith("schema not checked: the body")
    small = one(connector(server.url, ep("i", "/items")), "i", sample_bytes=10)
    assert small.ok and len(small.body) == 10 and small.size > 10


# --------------------------------------------------------------------------- building


def echo(server, path: str, method: str = "GET", *, base: str = "", params=None, **kw):
    c = connector(server.url + base, ep("echo", path, method, response_schema=None, **kw))
    r = one(c, "echo", params=params)
    assert r.ok, r.reason
    return json.loads(r.body)


def test_path_values_are_one_encoded_segment(server):
    got = echo(server, "/echo/{a}/{b}/{c}", params={"a": "../x", "b": "a/b", "c": ".."})
    assert got["raw_path"] == "/echo/..%2Fx/a%2Fb/%2E%2E"


def test_query_defaults_from_the_path_and_fragment_never_sent(server):
    got = echo(server, "/echo/q?fixed=1&other=a%2Fb#frag",
               params={"fixed": "2"})
    assert got["raw_path"] == "/echo/q"
    assert sorted(got["query"]) == [["fixed", "2"], ["other", "a/b"]]


def test_query_values_are_encoded(server):
    p = (Param("q", location="query", required=True), Param("tags", type="array",
                                                             location="query"))
    c = connector(server.url, ep("echo", "/echo/s", params=p, response_schema=None))
    r = one(c, "echo", params={"q": "../x&y=1", "tags": ["a/b", "c d"]})
    got = json.loads(r.body)
    assert got["query"] == [["q", "../x&y=1"], ["tags", "a/b"], ["tags", "c d"]]


@pytest.mark.parametrize("base", ["/echo", "/echo/"])
def test_base_url_with_and_without_trailing_slash(server, base):
    got = echo(server, "/v/{x}", base=base, params={"x": 1})
    assert got["raw_path"] == "/echo/v/1"


def test_build_request_joins_base_urls():
    e = ep("getPet", "/pets/{petId}")
    for base, want in (("https://api.example.com/v2/", "https://api.example.com/v2/pets/7"),
                       ("https://api.example.com/v2", "https://api.example.com/v2/pets/7"),
                       ("https://api.example.com", "https://api.example.com/pets/7")):
        c = connector(base, e)
        req = build_request(c, e, {"petId": 7})
        assert str(req.url) == want
        assert req.extensions["nbconnect.endpoint"] == "getPet"


def test_headers_and_cookies(server):
    p = (Param("X-Trace", location="header", example="t-1"),
         Param("session", location="cookie", default="a b"))
    c = connector(server.url, ep("echo", "/echo/h", params=p, response_schema=None))
    got = json.loads(one(c, "echo").body)
    assert got["headers"]["x-trace"] == "t-1"
    assert got["headers"]["cookie"] == "session=a%20b"
    with pytest.raises(EndpointError, match="line break"):
        build_request(c, "echo", {"X-Trace": "a\r\nX-Evil: 1"})


def test_json_body_from_the_body_tree(server):
    body = (Param("title", location="body", required=True, example="Send"),
            Param("count", type="integer", location="body"),
            Param("owner", type="object", location="body", required=True, children=(
                Param("id", type="integer", location="body", required=True, example=3),
                Param("note", location="body"))),
            Param("labels", type="array", items="string", location="body",
                  example=["x"]),
            Param("optional", location="body"))
    c = connector(server.url, ep("echo", "/echo/b", "POST", body=body,
                                 body_content_type="application/json", response_schema=None))
    got = json.loads(one(c, "echo", params={"count": "5"}).body)
    assert got["headers"]["content-type"] == "application/json"
    assert json.loads(got["body"]) == {"title": "Send", "count": 5, "owner": {"id": 3},
                                       "labels": ["x"]}
    got = json.loads(one(c, "echo", params={"owner.id": 9}).body)
    assert json.loads(got["body"])["owner"] == {"id": 9}


def test_body_required_field_missing_fails():
    body = (Param("owner", type="object", location="body", required=True, children=(
        Param("id", type="integer", location="body", required=True),)),)
    c = connector("https://api.example.com", ep("mk", "/x", "POST", body=body))
    r = one(c, "mk")
    assert r.reason == ("missing required parameter owner.id (give it a default in the "
                        "endpoint, or a test value for owner.id)")


def test_request_schema_example_is_the_body_base(server):
    body = (Param("name", location="body", required=True),)
    c = connector(server.url, ep("echo", "/echo/b", "POST", body=body, response_schema=None,
                                 request_schema={"$ref": "#/components/schemas/In"}))
    c.schemas = {**c.schemas, "In": {"type": "object", "example": {"name": "n1", "x": 2}}}
    got = json.loads(one(c, "echo").body)
    assert json.loads(got["body"]) == {"name": "n1", "x": 2}


def test_form_and_multipart_bodies(server):
    body = (Param("a", type="integer", location="body", example=1),
            Param("b", location="body", example="x y"))
    form = ep("form", "/echo/f", "POST", body=body, response_schema=None,
              body_content_type="application/x-www-form-urlencoded")
    files = (*body, Param("file", location="body", format="binary", example="raw"))
    multi = ep("multi", "/echo/m", "POST", body=files, response_schema=None,
               body_content_type="multipart/form-data")
    c = connector(server.url, form, multi)
    got = json.loads(one(c, "form").body)
    assert got["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert got["body"] == "a=1&b=x%20y"  # percent-encoded, as newman sends it
    got = json.loads(one(c, "multi").body)
    assert got["headers"]["content-type"].startswith("multipart/form-data; boundary=")
    assert 'name="b"\r\n\r\nx y' in got["body"]
    assert 'name="file"; filename="file"' in got["body"] and "raw" in got["body"]


def test_value_precedence():
    p = (Param("a", location="query", default="default", example="example", enum=("e1",)),
         Param("b", location="query", example="example", enum=("e1",)),
         Param("c", location="query", enum=("e1", "e2")),
         Param("d", location="query", default="default"),
         Param("e", location="query"))
    c = connector("https://api.example.com", ep("x", "/x", params=p))
    c.test_values = {"x": {"a": "saved", "d": "saved"}}
    req = build_request(c, "x", {"a": "given"})
    assert list(req.url.params.multi_items()) == [("a", "given"), ("b", "example"),
                                                  ("c", "e1"), ("d", "saved")]
    req = build_request(c, "x")
    assert req.url.params["a"] == "saved"


def test_the_transport_sees_the_endpoint_id(server):
    seen = []

    class Spy(httpx2.HTTPTransport):
        def handle_request(self, request):
            seen.append(request.extensions.get("nbconnect.endpoint"))
            return super().handle_request(request)

    c = connector(server.url, ep("items", "/items"), ep("e", "/error"))
    report = test_endpoints(c, transport=Spy(), progress=lambda *a: None)
    assert sorted(seen) == ["e", "items"] and report.passed == 1


# --------------------------------------------------------------------------- schemas


def test_oas30_nullable_and_31_type_lists():
    import jsonschema

    e30 = ep("a", "/a", response_schema={"$ref": "#/components/schemas/Item"})
    schema = response_json_schema(connector("https://x.example", e30), e30)
    v = jsonschema.Draft202012Validator(schema)
    assert v.is_valid({"id": 1, "name": None}) and not v.is_valid({"id": None})
    e31 = ep("b", "/b", response_schema={"type": "object", "properties": {
        "n": {"type": ["integer", "null"]},
        "r": {"$ref": "#/components/schemas/Item", "nullable": True},
        "x": {"type": "number", "minimum": 1, "exclusiveMinimum": True}}})
    v = jsonschema.Draft202012Validator(response_json_schema(connector("https://x.example",
                                                                       e31), e31))
    assert v.is_valid({"n": None, "r": None, "x": 2}) and not v.is_valid({"n": "1"})
    assert not v.is_valid({"x": 1}) and not v.is_valid({"r": {"id": "1"}})


def test_a_property_named_nullable_is_not_a_keyword():
    e = ep("a", "/a", response_schema={"type": "object", "required": ["nullable"],
                                       "properties": {"nullable": {"type": "boolean"}}})
    schema = response_json_schema(connector("https://x.example", e), e)
    assert schema["properties"]["nullable"] == {"type": "boolean"}


# --------------------------------------------------------------------------- test all


def test_all_keeps_order_continues_after_failures_and_reports_progress(server):
    paths = ["/items", "/error", "/items", "/bad-schema", "/wrong-type", "/items",
             "/slow?delay=0.2", "/items", "/cut", "/items", "/empty", "/csv"]
    eps = [ep(f"e{i:02d}", p if "?" in p else f"{p}?n={i}",
              **({"response_schema": None, "response_content_type": None}
                 if p in ("/empty", "/csv") else {}),
              # an undeclared 2xx fails (issue 8): /empty answers 204, so it declares 204
              **({"response_status": "204"} if p == "/empty" else {}))
           for i, p in enumerate(paths)]
    c = connector(server.url, *eps)
    calls = []
    report = test_endpoints(c, concurrency=4, progress=lambda d, t, r: calls.append((d, t, r)))
    assert [r.endpoint_id for r in report.results] == [e.id for e in eps]
    assert [d for d, _, _ in calls] == list(range(1, 13)) and {t for _, t, _ in calls} == {12}
    assert {r.endpoint_id for _, _, r in calls} == {e.id for e in eps}
    assert report.failed == 4 and report.passed == 8 and not report.ok
    assert [r.endpoint_id for r in report.failures()] == ["e01", "e03", "e04", "e08"]
    some = test_endpoints(c, ["e03", "e00"], progress=lambda *a: None)
    assert [r.endpoint_id for r in some.results] == ["e03", "e00"]


def test_all_per_endpoint_and_shared_params(server):
    e1 = ep("a", "/echo/{x}", response_schema=None)
    e2 = ep("b", "/echo/b/{x}", response_schema=None)
    c = connector(server.url, e1, e2)
    report = test_endpoints(c, params={"x": "shared", "b": {"x": "own"}},
                            progress=lambda *a: None)
    assert json.loads(report.result("a").body)["raw_path"] == "/echo/shared"
    assert json.loads(report.result("b").body)["raw_path"] == "/echo/b/own"


def test_bad_concurrency_is_a_typed_error(server):
    c = connector(server.url, ep("items", "/items"))
    for bad in (0, -1, 1.5, True):
        with pytest.raises(NbConnectError, match="concurrency"):
            test_endpoints(c, concurrency=bad)


def test_default_concurrency_is_set():
    assert runner.DEFAULT_CONCURRENCY == 20


# --------------------------------------------------------------------------- reports


def _mixed(server) -> Connector:
    return connector(server.url, ep("items", "/items"), ep("error", "/error"),
                     ep("bad", "/bad-schema"))


def test_report_json_and_text_are_deterministic(server):
    c = _mixed(server)
    a = test_endpoints(c, progress=lambda *x: None)
    b = test_endpoints(c, progress=lambda *x: None)
    assert a == b and a.to_json(latency=False) == b.to_json(latency=False)
    assert repr(a) == repr(b) == a.text() == str(a)
    assert a.text().splitlines()[0] == "bad: 1 passed, 2 failed"
    assert not re.search(r"\d\s?ms\b", a.text())
    data = json.loads(a.to_json())
    assert data["passed"] == 1 and data["failed"] == 2
    assert set(data["results"][0]) == {"endpoint_id", "method", "path", "ok", "status",
                                       "latency_ms", "size", "reason", "content_type"}
    assert "latency_ms" not in json.loads(a.to_json(latency=False))["results"][0]
    assert isinstance(a, TestReport) and a.to_dict()["results"][1]["status"] == 500


def test_save_report_into_a_directory_and_a_zip(server, tmp_path):
    c = _mixed(server)
    report = test_endpoints(c, progress=lambda *x: None)
    pkg = c.export(tmp_path / "pkg")
    written = save_report(pkg, report)
    assert written == pkg / "tests" / "last-report.json"
    assert written.read_text() == report.to_json(latency=False) + "\n"
    c.export(pkg)  # a later export keeps the report
    assert written.is_file() and nbconnect.load(pkg) == c
    z = c.export(tmp_path / "pkg.zip")
    save_report(z, report)
    with zipfile.ZipFile(z) as zf:
        assert json.loads(zf.read("tests/last-report.json")) == json.loads(
            report.to_json(latency=False))
    assert nbconnect.load(z) == c
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "x.txt").write_text("x")
    with pytest.raises(PackageError, match="not a connector package"):
        save_report(plain, report)
    assert sorted(p.name for p in plain.iterdir()) == ["x.txt"]


# --------------------------------------------------------------------------- secrets


@pytest.mark.parametrize("add_to", ["header", "query"])
def test_sentinel_secret_never_shows(server, monkeypatch, caplog, tmp_path, add_to):
    monkeypatch.setenv("NBC_RUNNER_SECRET", SENTINEL)
    auth = ApiKeyAuth(key="X-API-Key" if add_to == "header" else "api_key", add_to=add_to)
    conn = Connection(name="ci", base_url=server.url, secrets={"value": "env:NBC_RUNNER_SECRET"})
    c = connector(server.url, ep("s", "/secure"), ep("e", "/error"),
                  ep("echo", "/echo/x", response_schema=None), ep("m", "/moved"),
                  auth=auth, connections=(conn,))
    logging.getLogger("httpx2").setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    report = test_endpoints(c, progress=lambda *x: None)
    assert report.result("echo").ok  # the secret really went out
    sent = report.result("echo").body.decode()
    assert SENTINEL in sent  # ... (the echo body is kept in memory only)
    if add_to == "header":
        assert report.result("s").ok
    pkg = c.export(tmp_path / "pkg")
    save_report(pkg, report)
    texts = [report.to_json(), report.text(), repr(report),
             *(repr(r) for r in report.results), *(r.reason for r in report.results),
             (pkg / "tests" / "last-report.json").read_text(), caplog.text,
             *(r.getMessage() for r in caplog.records)]
    for text in texts:
        assert SENTINEL not in text


def test_init_does_not_import_the_runner_dependencies():
    import subprocess
    import sys

    code = ("import sys, nbconnect.testing.runner; bad = [m for m in ('httpx2', 'jsonschema') "
            "if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


# --------------------------------------------------------------------------- demo API


@pytest.fixture
def demo(monkeypatch):
    from nbconnect.mock.server import MockServer

    monkeypatch.setenv("NBC_DEMO_KEY", SENTINEL)
    c = Connector("tasks")
    c.import_spec(nbconnect.demo_spec_path())
    servers = []

    def start(tls: bool = False):
        mock = MockServer(nbconnect.demo_spec_path(), credentials={"apiKey": SENTINEL},
                          tls=tls)
        mock.start()
        servers.append(mock)
        c.connections = (Connection(name="mock", base_url=mock.url,
                                    secrets={"value": "env:NBC_DEMO_KEY"}),)
        return c, mock

    yield start
    for mock in servers:
        mock.stop()


@pytest.mark.parametrize("tls", [False, True])
def test_every_demo_endpoint_passes_against_the_mock(demo, tls):
    c, mock = demo(tls)
    report = test_endpoints(c, verify=mock.verify, progress=lambda *a: None)
    assert report.ok and report.passed == 12, report.text()
    assert report.connection == "mock"
    assert [r.status for r in report.results if r.method == "DELETE"] == [204, 204]
    assert report.result("createTask").status == 201


def test_demo_wrong_key_and_a_stricter_schema_fail(demo, monkeypatch):
    c, _mock = demo()
    monkeypatch.setenv("NBC_DEMO_KEY", "k-wrong-key")
    r = test_endpoint(c, "getTask")
    assert r.status == 401 and r.reason.startswith("401 Unauthorized — the API rejected")
    monkeypatch.setenv("NBC_DEMO_KEY", SENTINEL)
    users = c.endpoint("listUsers")
    import dataclasses

    c.replace_endpoint(dataclasses.replace(users, response_schema={
        "type": "array", "items": {"type": "integer"}}))
    r = test_endpoint(c, "listUsers")
    assert r.reason == ("response does not match the declared schema at $[0]: expected "
                        "integer, got object")
    r = test_endpoint(c, "searchTasks", params={"q": "invoice", "per_page": "0"})
    assert not r.ok and r.status == 400  # the mock checks minimum: 1
