"""Issue 8, kind 1: parameters are serialized as the OpenAPI Specification says, everywhere.

Written from OAS 3.0.3 §4.7.12.1 (Style Values, and the Style Examples table with
``color`` = ``"blue"`` / ``["blue", "black", "brown"]`` / ``{"R": 100, "G": 200, "B": 150}``)
and §4.7.14 (Encoding Object):

* the table, row by row, for the writing rules (:mod:`nbconnect.spec.oas.style`);
* a spec with one operation per style, explode and value kind in every location, imported
  and tested by ``nbconnect test`` against a real loopback server that records the raw
  bytes it receives;
* the spec-fidelity cases 01, 01b, 02 and 11 (``tests/specs/fidelity/``);
* the style kept in the model, the package (round trip, defaults not written), the exported
  ``openapi.json`` and the Postman collection, and newman sending the same bytes as the
  runner to the recording server;
* the mock reading parameters by the same rules (400 with the reason when they do not
  match);
* form and multipart bodies with the Encoding Object.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml
from tests.newman import NEWMAN, run_newman

import nbconnect
from nbconnect.errors import EndpointDefinitionError
from nbconnect.exports.postman import write_postman
from nbconnect.model import Connector, Param
from nbconnect.serving import BackgroundServer
from nbconnect.spec.writer import to_openapi

CASES = Path(__file__).resolve().parent / "specs" / "fidelity"

STRING = "blue"
ARRAY = ["blue", "black", "brown"]
OBJECT = {"R": 100, "G": 200, "B": 150}
VALUES = {"string": STRING, "array": ARRAY, "object": OBJECT}

#: OAS 3.0.3 §4.7.12.1.2 Style Examples: (style, explode) -> (empty, string, array, object);
#: None where the table says n/a
TABLE: dict[tuple[str, bool], tuple[str | None, str | None, str | None, str | None]] = {
    ("matrix", False): (";color", ";color=blue", ";color=blue,black,brown",
                        ";color=R,100,G,200,B,150"),
    ("matrix", True): (";color", ";color=blue", ";color=blue;color=black;color=brown",
                       ";R=100;G=200;B=150"),
    ("label", False): (".", ".blue", ".blue.black.brown", ".R.100.G.200.B.150"),
    ("label", True): (".", ".blue", ".blue.black.brown", ".R=100.G=200.B=150"),
    ("form", False): ("color=", "color=blue", "color=blue,black,brown",
                      "color=R,100,G,200,B,150"),
    ("form", True): ("color=", "color=blue", "color=blue&color=black&color=brown",
                     "R=100&G=200&B=150"),
    ("simple", False): (None, "blue", "blue,black,brown", "R,100,G,200,B,150"),
    ("simple", True): (None, "blue", "blue,black,brown", "R=100,G=200,B=150"),
    # the table shows these two without "color=" (the value only); in a query they are
    # the value of color, as case 01 says (ids=1|2)
    ("spaceDelimited", False): (None, None, "color=blue%20black%20brown",
                                "color=R%20100%20G%20200%20B%20150"),
    ("pipeDelimited", False): (None, None, "color=blue|black|brown",
                               "color=R|100|G|200|B|150"),
    ("deepObject", True): (None, None, None, "color[R]=100&color[G]=200&color[B]=150"),
}
KINDS = ("empty", "string", "array", "object")
LOCATION_OF = {"matrix": "path", "label": "path", "simple": "path", "form": "query",
               "spaceDelimited": "query", "pipeDelimited": "query", "deepObject": "query"}


def _rows() -> list[Any]:
    out = []
    for (kind_style, explode), cells in TABLE.items():
        for kind, expected in zip(KINDS, cells, strict=True):
            if expected is not None:
                out.append(pytest.param(kind_style, explode, kind, expected,
                                        id=f"{kind_style}-{explode}-{kind}"))
    return out


def _style() -> Any:
    """The serialization rules (imported here, so on code without them each test fails on
    its own)."""
    from nbconnect.spec.oas import style

    return style


def _written(kind_style: str, explode: bool, value: Any) -> str:
    style = _style()
    if LOCATION_OF[kind_style] == "path":
        return style.path_text("color", value, kind_style, explode)
    return style.query_string(style.query_pairs("color", value, kind_style, explode))


@pytest.mark.parametrize(("kind_style", "explode", "kind", "expected"), _rows())
def test_the_style_examples_table_row_by_row(kind_style, explode, kind, expected):
    value = "" if kind == "empty" else VALUES[kind]
    assert _written(kind_style, explode, value) == expected


@pytest.mark.parametrize(("kind_style", "explode", "kind", "expected"), _rows())
def test_what_is_written_reads_back(kind_style, explode, kind, expected):
    """The mock's reading undoes the writing (item values stay text)."""
    style = _style()
    if kind == "empty":
        return
    value = VALUES[kind]
    shape = {"string": "string", "array": "array", "object": "object"}[kind]
    want: Any = {k: str(v) for k, v in OBJECT.items()} if kind == "object" else value
    if LOCATION_OF[kind_style] == "path":
        got = style.read_path("color", expected, shape, kind_style, explode)
    else:
        from urllib.parse import parse_qsl

        got = style.read_query("color", parse_qsl(expected), shape, kind_style, explode)
    assert got == (want, None)


def test_headers_are_simple_and_cookies_form():
    style = _style()
    assert style.header_text(ARRAY) == "blue,black,brown"
    assert style.header_text(OBJECT) == "R,100,G,200,B,150"
    assert style.header_text(OBJECT, explode=True) == "R=100,G=200,B=150"
    assert style.cookie_pairs("color", ARRAY, explode=False) == [("color", "blue,black,brown")]
    assert style.cookie_pairs("color", ARRAY) == [("color", "blue"), ("color", "black"),
                                                  ("color", "brown")]
    assert style.cookie_pairs("color", OBJECT) == [("R", "100"), ("G", "200"), ("B", "150")]
    assert style.cookie_pairs("color", "a b;c") == [("color", "a%20b%3Bc")]


def test_items_are_percent_encoded_but_delimiters_are_not():
    style = _style()
    assert style.path_text("c", ["a,b", "c/d"]) == "a%2Cb,c%2Fd"
    assert style.query_pairs("c", ["a,b", "c d"], "form", False) == [("c", "a%2Cb,c%20d")]
    assert style.query_pairs("c", ["x|y", "z"], "pipeDelimited", False) == [("c", "x%7Cy|z")]
    assert style.query_pairs("c", "a/b?c", allow_reserved=True) == [("c", "a/b?c")]
    assert style.query_pairs("c", "a/b?c") == [("c", "a%2Fb%3Fc")]
    assert style.query_pairs("c", "a#b&c", allow_reserved=True) == [("c", "a%23b%26c")]
    assert style.query_pairs("f", {"a": {"b": 1}, "t": ["x", "y"]}, "deepObject", True) == [
        ("f[a][b]", "1"), ("f[t]", "x"), ("f[t]", "y")]


# --------------------------------------------------------------------------- the model


def test_the_model_keeps_styles_checks_them_and_leaves_defaults_out():
    p = Param("ids", type="array", location="query", style="pipeDelimited")
    assert p.serialization == ("pipeDelimited", False)
    assert p.to_dict()["style"] == "pipeDelimited" and "explode" not in p.to_dict()
    assert Param.from_dict(p.to_dict()) == p
    # the defaults written out are the defaults left implicit: same Param, same dict
    assert Param("q", location="query", style="form", explode=True) == Param("q")
    assert Param("h", location="header", style="simple", explode=False).to_dict() == \
        {"name": "h", "type": "string", "in": "header"}
    assert Param("id", location="path", style="matrix", explode=True).serialization == \
        ("matrix", True)
    for location, bad in (("header", "form"), ("path", "form"), ("query", "matrix"),
                          ("cookie", "simple")):
        with pytest.raises(EndpointDefinitionError, match="not allowed"):
            Param("x", location=location, style=bad)
    with pytest.raises(EndpointDefinitionError, match="explode"):
        Param("x", explode="yes")  # type: ignore[arg-type]
    c = Param("filter", type="object", location="query", content_type="application/json")
    assert Param.from_dict(c.to_dict()) == c and c.to_dict()["contentType"] == \
        "application/json"


# --------------------------------------------------------------------------- loopback


class Recorder:
    """A tiny ASGI app that records the raw path, query, headers and body of each request
    and answers 200 ``{}``."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                done = message["type"] == "lifespan.shutdown"
                await send({"type": message["type"] + ".complete"})
                if done:
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.seen.append({"path": scope["raw_path"].decode("latin-1"),
                          "query": scope["query_string"].decode("latin-1"),
                          "headers": {k.decode().lower(): v.decode("latin-1")
                                      for k, v in scope["headers"]},
                          "body": body})
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b"{}"})


def _schema(kind: str) -> dict[str, Any]:
    return {"string": {"type": "string"},
            "array": {"type": "array", "items": {"type": "string"}},
            "object": {"type": "object", "properties": {k: {"type": "integer"}
                                                        for k in OBJECT}}}[kind]


def _styles_spec() -> tuple[dict[str, Any], dict[str, tuple[str, str, str]]]:
    """One operation per (location, style, explode, kind) of the table; the expected raw
    path, query and header/cookie text of each."""
    paths: dict[str, Any] = {}
    expected: dict[str, tuple[str, str, str]] = {}
    for (kind_style, explode), cells in TABLE.items():
        for kind, text in zip(KINDS[1:], cells[1:], strict=True):
            if text is None:
                continue
            locations = [LOCATION_OF[kind_style]]
            if kind_style == "simple":
                locations.append("header")
            if kind_style == "form":
                locations.append("cookie")
            for loc in locations:
                op_id = f"{loc}_{kind_style}_{str(explode).lower()}_{kind}"
                key = f"/{op_id}/{{color}}" if loc == "path" else f"/{op_id}"
                name = "X-Color" if loc == "header" else "color"
                param = {"name": name, "in": loc, "required": True, "style": kind_style,
                         "explode": explode, "schema": _schema(kind),
                         "example": VALUES[kind]}
                paths[key] = {"get": {"operationId": op_id, "parameters": [param],
                                      "responses": {"200": {"description": "ok"}}}}
                if loc == "path":
                    expected[op_id] = (f"/{op_id}/{text}", "", "")
                elif loc == "query":
                    expected[op_id] = (f"/{op_id}", text, "")
                elif loc == "header":
                    expected[op_id] = (f"/{op_id}", "", text)
                else:
                    cookie = "; ".join(text.split("&")) if explode else text
                    expected[op_id] = (f"/{op_id}", "", cookie)
    spec = {"openapi": "3.0.3", "info": {"title": "Styles", "version": "1"},
            "servers": [{"url": "https://styles.example.com"}], "paths": paths}
    return spec, expected


def _run(c: Connector, recorder: Recorder) -> dict[str, dict[str, Any]]:
    """``nbconnect test`` on every endpoint against the recorder: what it received, by id."""
    from urllib.parse import urlsplit

    with BackgroundServer(recorder, name="recorder") as srv:
        c.base_url = srv.url + urlsplit(c.base_url or "").path.rstrip("/")
        c.test(concurrency=1)
    seen = {}
    for entry, ep in zip(recorder.seen, c.endpoints, strict=True):
        seen[ep.id] = entry
    return seen


def test_nbconnect_test_sends_every_style_of_the_table_in_every_location():
    spec, expected = _styles_spec()
    c = Connector("styles")
    c.import_spec(json.dumps(spec))
    assert len(c.endpoints) == len(expected) > 30
    seen = _run(c, Recorder())
    for op_id, (path, query, text) in expected.items():
        got = seen[op_id]
        assert (got["path"], got["query"]) == (path, query), op_id
        if op_id.startswith("header"):
            assert got["headers"]["x-color"] == text, op_id
        if op_id.startswith("cookie"):
            assert got["headers"]["cookie"] == text, op_id


def _case(name: str) -> Connector:
    c = Connector(name.split("-")[0])
    c.import_spec(CASES / name)
    return c


def test_case_01_query_array_styles_are_sent_and_kept():
    c = _case("01-query-array-style.yaml")
    seen = _run(c, Recorder())["search"]
    assert seen["query"] == "tags=red,green&ids=1|2&colors=a&colors=b"
    params = {p["name"]: p for p in to_openapi(c)["paths"]["/search"]["get"]["parameters"]}
    assert (params["tags"]["style"], params["tags"]["explode"]) == ("form", False)
    assert (params["ids"]["style"], params["ids"]["explode"]) == ("pipeDelimited", False)
    assert "style" not in params["colors"]  # the defaults stay implicit


def test_case_01b_path_array_and_header_array_and_object():
    seen = _run(_case("01b-path-array-header-object.yaml"), Recorder())["getUsers"]
    assert seen["path"] == "/users/3,4,5"
    assert seen["headers"]["x-tags"] == "a,b"
    assert seen["headers"]["x-point"] == "x,1,y,2"


def test_case_02_deep_object():
    seen = _run(_case("02-query-deepobject.yaml"), Recorder())["listTickets"]
    assert seen["query"] == "filter[status]=open&filter[owner]=me"


def test_content_parameters_are_sent_as_their_media_type():
    spec = {"openapi": "3.0.3", "info": {"title": "Content", "version": "1"},
            "paths": {"/find/{sel}": {"get": {"operationId": "find", "parameters": [
                {"name": "sel", "in": "path", "required": True, "content": {
                    "application/json": {"schema": {"type": "object"},
                                         "example": {"a": 1}}}},
                {"name": "q", "in": "query", "content": {
                    "application/json": {"schema": {"type": "object"},
                                         "example": {"name": "x y", "n": [1, 2]}}}},
                {"name": "X-Filter", "in": "header", "content": {
                    "application/json": {"schema": {"type": "array"},
                                         "examples": {"two": {"value": ["a", "b"]}}}}}],
                "responses": {"200": {"description": "ok"}}}}}}
    c = Connector("content")
    c.import_spec(json.dumps(spec))
    q = c.endpoint("find").param("q")
    assert q.content_type == "application/json"
    seen = _run(c, Recorder())["find"]
    assert seen["path"] == "/find/%7B%22a%22%3A1%7D"
    assert seen["query"] == "q=%7B%22name%22%3A%22x%20y%22%2C%22n%22%3A%5B1%2C2%5D%7D"
    assert seen["headers"]["x-filter"] == '["a","b"]'
    written = to_openapi(c)["paths"]["/find/{sel}"]["get"]["parameters"][1]
    assert "schema" not in written and list(written["content"]) == ["application/json"]


# --------------------------------------------------------------------------- round trips


def test_styles_survive_the_package_and_the_openapi_round_trip(tmp_path):
    spec, _ = _styles_spec()
    c = Connector("styles")
    c.import_spec(json.dumps(spec))
    c.export(tmp_path / "pkg")
    again = nbconnect.load(tmp_path / "pkg")
    assert again.endpoints == c.endpoints
    first = (tmp_path / "pkg" / "connector.yaml").read_bytes()
    again.export(tmp_path / "pkg2")
    assert (tmp_path / "pkg2" / "connector.yaml").read_bytes() == first
    doc = to_openapi(c)
    c2 = Connector("styles")
    c2.import_spec(json.dumps(doc))
    assert [e.params for e in c2.endpoints] == [e.params for e in c.endpoints]
    # a connector whose styles are all defaults writes no style field at all
    plain = Connector("plain", base_url="https://api.example.com")
    plain.add_endpoint("GET", "/x/{id}", id="x", params=[
        Param("id", location="path", style="simple"), Param("q", style="form", explode=True)])
    plain.export(tmp_path / "plain")
    text = (tmp_path / "plain" / "connector.yaml").read_text()
    assert "style" not in text and "explode" not in text


def test_a_style_the_location_does_not_allow_is_a_problem_of_the_spec():
    spec = {"openapi": "3.0.3", "info": {"title": "Bad", "version": "1"},
            "paths": {"/x": {"get": {"operationId": "x", "parameters": [
                {"name": "X-A", "in": "header", "style": "form",
                 "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}}}}}}
    c = Connector("bad")
    c.import_spec(json.dumps(spec), lenient=True)
    assert c.endpoint("x").param("X-A").style is None


# --------------------------------------------------------------------------- postman


def _newman(collection: Path, tmp_path: Path, env: dict[str, str]) -> None:
    run_newman(collection, tmp_path, env)

_COMPARED = ("x-color", "x-tags", "x-point", "cookie", "x-filter")


def _same_bytes(c: Connector, tmp_path: Path) -> dict[str, dict[str, Any]]:
    """newman on the exported collection and ``nbconnect test`` send the same path, query
    and parameter headers to the recording server; what newman sent, by endpoint id."""
    runner = Recorder()
    seen = _run(c, runner)
    collection = write_postman(c, tmp_path / f"{c.name}.postman_collection.json")
    postman = Recorder()
    with BackgroundServer(postman, name="recorder") as srv:
        _newman(collection, tmp_path, {"baseUrl": c.base_url.replace(
            c.base_url.split("/")[2], srv.url.split("/")[2])})
    assert len(postman.seen) == len(c.endpoints)
    for ep, got in zip(c.endpoints, postman.seen, strict=True):
        want = seen[ep.id]
        assert (got["path"], got["query"]) == (want["path"], want["query"]), ep.id
        for name in _COMPARED:
            assert got["headers"].get(name) == want["headers"].get(name), (ep.id, name)
    return {ep.id: got for ep, got in zip(c.endpoints, postman.seen, strict=True)}


def test_newman_sends_the_bytes_nbconnect_test_sends_for_every_style(tmp_path):
    spec, expected = _styles_spec()
    c = Connector("styles")
    c.import_spec(json.dumps(spec))
    sent = _same_bytes(c, tmp_path)
    for op_id, (path, query, _) in expected.items():
        assert (sent[op_id]["path"], sent[op_id]["query"]) == (path, query), op_id


@pytest.mark.parametrize("case", ["01-query-array-style.yaml",
                                  "01b-path-array-header-object.yaml",
                                  "02-query-deepobject.yaml", "11-postman-path-vars.yaml"])
def test_newman_sends_the_bytes_nbconnect_test_sends_for_the_cases(case, tmp_path):
    c = _case(case)
    sent = _same_bytes(c, tmp_path)
    if case.startswith("11"):  # ... from values that stay editable variables
        data = json.loads((tmp_path / f"{c.name}.postman_collection.json").read_text())
        assert data["item"][0]["request"]["url"]["path"][-1] == ":fileName.{{getFile.ext}}"
    got = {ep_id: (e["path"], e["query"], e["headers"].get("x-tags"), e["headers"].get(
        "x-point")) for ep_id, e in sent.items()}
    assert got == CASE_SENT[case]


#: what the cases' README says is sent: (path, query, X-Tags, X-Point) by operation
CASE_SENT = {
    "01-query-array-style.yaml": {
        "search": ("/search", "tags=red,green&ids=1|2&colors=a&colors=b", None, None)},
    "01b-path-array-header-object.yaml": {
        "getUsers": ("/users/3,4,5", "", "a,b", "x,1,y,2")},
    "02-query-deepobject.yaml": {
        "listTickets": ("/tickets", "filter[status]=open&filter[owner]=me", None, None)},
    "11-postman-path-vars.yaml": {
        "getFile": ("/v1/users/42/files/report.pdf", "", None, None),
        "getExport": ("/v1/exports/pdf", "", None, None)},
}
#: how the old code spelled the cases: the mock now refuses each (400)
OLD_SPELLING = {
    "01-query-array-style.yaml": ("/search?tags=red&tags=green&ids=1&ids=2&colors=a", {}),
    "01b-path-array-header-object.yaml": ("/users/%5B3%2C4%2C5%5D", {}),
    "02-query-deepobject.yaml": (
        "/tickets?filter=%7B%22status%22%3A%22open%22%2C%22owner%22%3A%22me%22%7D", {}),
}


def test_case_11_path_values_stay_editable_variables(tmp_path):
    c = _case("11-postman-path-vars.yaml")
    seen = _run(c, Recorder())
    assert seen["getFile"]["path"] == "/v1/users/42/files/report.pdf"
    assert seen["getExport"]["path"] == "/v1/exports/pdf"
    data = json.loads(write_postman(c, tmp_path / "c.json").read_text())
    get_file = data["item"][0]["request"]["url"]
    assert get_file["path"] == ["users", ":userId", "files", ":fileName.{{getFile.ext}}"]
    assert get_file["variable"] == [{"key": "userId", "value": "42"},
                                    {"key": "fileName", "value": "report"}]
    assert {"key": "getFile.ext", "value": "pdf"}.items() <= next(
        v for v in data["variable"] if v["key"] == "getFile.ext").items()
    assert data["item"][1]["request"]["url"]["variable"] == [{"key": "format", "value": "pdf"}]


# --------------------------------------------------------------------------- the mock


def _mock_get(spec: dict[str, Any] | Path, path: str, headers: dict[str, str] | None = None
              ) -> httpx2.Response:
    from nbconnect.mock.server import MockServer

    with MockServer(spec) as mock:
        return httpx2.get(mock.root_url + path, headers=headers or {})


def test_the_mock_reads_every_style_and_refuses_a_wrong_spelling():
    from nbconnect.mock.server import MockServer

    spec, expected = _styles_spec()
    with MockServer(spec) as mock, httpx2.Client(base_url=mock.root_url) as client:
        for op_id, (path, query, text) in expected.items():
            headers = {}
            if op_id.startswith("header"):
                headers["X-Color"] = text
            if op_id.startswith("cookie"):
                headers["Cookie"] = text
            url = path + ("?" + query if query else "")
            r = client.get(url, headers=headers)
            assert r.status_code == 200, (op_id, url, r.text)
        # JSON text where a style is expected: refused with the reason
        for url, headers in (
                ("/query_deepObject_true_object?color=%7B%22R%22%3A1%7D", {}),
                ("/path_matrix_false_array/blue,black", {}),
                ("/path_label_true_object/R=1.G=x", {}),
                ("/query_form_true_object?R=x&G=1&B=2", {}),
                ("/header_simple_false_object", {"X-Color": "R,1,G"})):
            r = client.get(url, headers=headers)
            assert r.status_code == 400, (url, r.text)
            assert "color" in r.json()["message"].lower(), r.text


def test_the_mock_accepts_the_cases_as_the_runner_sends_them():
    from nbconnect.mock.server import MockServer

    for case in ("01-query-array-style.yaml", "01b-path-array-header-object.yaml",
                 "02-query-deepobject.yaml", "11-postman-path-vars.yaml"):
        c = _case(case)
        with MockServer(CASES / case) as mock:
            c.base_url = mock.url
            report = c.test()
        statuses = [r.status for r in report]
        assert all(s is not None and 200 <= s < 300 for s in statuses), (case, report.text())
    with MockServer(CASES / "02-query-deepobject.yaml") as mock:
        r = httpx2.get(mock.url + "/tickets?filter=open")
        assert r.status_code == 400 and "filter[key]=value" in r.json()["message"]
    with MockServer(CASES / "01-query-array-style.yaml") as mock:
        r = httpx2.get(mock.url + "/search?ids=1,2")
        assert r.status_code == 400 and "'ids'" in r.json()["message"]


def test_newman_and_the_runner_get_the_same_statuses_from_the_mock(tmp_path):
    from nbconnect.mock.server import MockServer

    spec, _ = _styles_spec()
    path = tmp_path / "styles.yaml"
    path.write_text(yaml.safe_dump(spec))
    c = Connector("styles")
    c.import_spec(path)
    with MockServer(path) as mock:
        c.base_url = mock.url
        report = c.test(concurrency=2)
        collection = write_postman(c, tmp_path / "styles.postman_collection.json")
        out = tmp_path / "newman.json"
        proc = subprocess.run([str(NEWMAN), "run", str(collection), "-r", "json",
                               "--reporter-json-export", str(out), "--env-var",
                               f"baseUrl={mock.url}", "--disable-unicode"],
                              capture_output=True, text=True, timeout=180)
        # a negative control: JSON text where a style is expected is refused
        r = httpx2.get(mock.url + "/query_deepObject_true_object?color=%7B%7D")
        assert r.status_code == 400, r.text
    assert out.exists(), proc.stderr[-2000:]
    codes = [e["response"]["code"] for e in json.loads(out.read_text())["run"]["executions"]]
    assert codes == [r.status for r in report] == [200] * len(c.endpoints), report.text()


# --------------------------------------------------------------------------- bodies

#: OAS 3.0.3 §4.7.14: a form body and a multipart body, with and without Encoding Objects
BODY_SPEC: dict[str, Any] = {
    "openapi": "3.0.3", "info": {"title": "Bodies", "version": "1"},
    "paths": {
        "/form": {"post": {"operationId": "form", "requestBody": {"content": {
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "properties": {
                    "id": {"type": "string", "example": "f81d"},
                    "address": {"type": "object", "example": {"street": "1 Main St",
                                                              "zip": "9"}},
                    "tags": {"type": "array", "items": {"type": "string"},
                             "example": ["a", "b"]},
                    "ids": {"type": "array", "items": {"type": "integer"},
                            "example": [1, 2]},
                    "point": {"type": "object", "example": {"x": 1, "y": 2}},
                    "filter": {"type": "object", "example": {"s": "open", "o": "me"}}}},
                "encoding": {
                    "ids": {"style": "pipeDelimited"},
                    "point": {"style": "form", "explode": True},
                    "filter": {"style": "deepObject", "explode": True}}}}},
            "responses": {"200": {"description": "ok"}}}},
        "/upload": {"post": {"operationId": "upload", "requestBody": {"content": {
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {
                    "note": {"type": "string", "example": "x y"},
                    "meta": {"type": "object", "example": {"k": 1}},
                    "files": {"type": "array", "items": {"type": "string",
                                                         "format": "binary"},
                              "example": ["one", "two"]},
                    "pic": {"type": "string", "format": "binary", "example": "PNG"},
                    "tags": {"type": "array", "items": {"type": "string"},
                             "example": ["a", "b"]}}},
                "encoding": {"pic": {"contentType": "image/png, image/jpeg"}}}}},
            "responses": {"200": {"description": "ok"}}}},
    },
}


def _parts(body: bytes, ctype: str) -> list[tuple[str, str | None, str | None, str]]:
    """(name, Content-Type, filename, text) of each part of a multipart body."""
    import re

    boundary = ctype.split("boundary=", 1)[1].encode()
    out = []
    for part in body.split(b"--" + boundary)[1:-1]:
        head, _, data = part[2:-2].partition(b"\r\n\r\n")
        text = head.decode()
        name = re.search(r'name="([^"]*)"', text)
        filename = re.search(r'filename="([^"]*)"', text)
        part_type = re.search(r"(?im)^content-type: *(.+)$", text)
        assert name is not None
        out.append((name.group(1), part_type.group(1).strip() if part_type else None,
                    filename.group(1) if filename else None, data.decode()))
    return out


def _bodies() -> Connector:
    c = Connector("bodies", base_url="https://api.example.com")
    c.import_spec(json.dumps(BODY_SPEC))
    return c


def test_form_and_multipart_bodies_follow_the_encoding_object():
    c = _bodies()
    form = {p.name: p for p in c.endpoint("form").body}
    assert form["ids"].style == "pipeDelimited" and form["filter"].explode is True
    seen = _run(c, Recorder())
    assert seen["form"]["headers"]["content-type"] == "application/x-www-form-urlencoded"
    # no encoding: an object as JSON, an array of primitives as repeated fields; with one:
    # the style (pipeDelimited, form exploded, deepObject)
    assert seen["form"]["body"].decode() == (
        "id=f81d&address=%7B%22street%22%3A%221%20Main%20St%22%2C%22zip%22%3A%229%22%7D"
        "&tags=a&tags=b&ids=1%7C2&x=1&y=2&filter%5Bs%5D=open&filter%5Bo%5D=me")
    upload = seen["upload"]
    assert _parts(upload["body"], upload["headers"]["content-type"]) == [
        ("note", None, None, "x y"),
        ("meta", "application/json", None, '{"k":1}'),
        ("files", "application/octet-stream", "files", "one"),
        ("files", "application/octet-stream", "files", "two"),
        ("pic", "image/png", "pic", "PNG"),
        ("tags", None, None, "a"), ("tags", None, None, "b")]


def test_encodings_survive_the_package_and_openapi_json(tmp_path):
    c = _bodies()
    c.export(tmp_path / "pkg")
    assert nbconnect.load(tmp_path / "pkg").endpoints == c.endpoints
    media = to_openapi(c)["paths"]["/form"]["post"]["requestBody"]["content"][
        "application/x-www-form-urlencoded"]
    assert media["encoding"] == {"ids": {"style": "pipeDelimited"},
                                 "point": {"style": "form", "explode": True},
                                 "filter": {"style": "deepObject", "explode": True}}
    upload = to_openapi(c)["paths"]["/upload"]["post"]["requestBody"]["content"][
        "multipart/form-data"]
    assert upload["encoding"] == {"pic": {"contentType": "image/png, image/jpeg"}}
    again = Connector("again")
    again.import_spec(json.dumps(to_openapi(c)))
    assert [e.body for e in again.endpoints] == [e.body for e in c.endpoints]


def test_newman_sends_the_form_body_nbconnect_test_sends(tmp_path):
    c = _bodies()
    seen = _run(c, Recorder())
    collection = write_postman(c, tmp_path / "bodies.postman_collection.json")
    postman = Recorder()
    with BackgroundServer(postman, name="recorder") as srv:
        _newman(collection, tmp_path, {"baseUrl": srv.url})
    by_path = {s["path"]: s for s in postman.seen}
    assert by_path["/form"]["body"] == seen["form"]["body"]
    got = by_path["/upload"]
    mine = _parts(seen["upload"]["body"], seen["upload"]["headers"]["content-type"])
    theirs = _parts(got["body"], got["headers"]["content-type"])
    # Postman cannot attach bytes from a collection: file parts go as text parts
    assert [(n, t, d) for n, t, _, d in theirs] == [(n, t, d) for n, t, _, d in mine]


def test_the_mock_reads_form_and_multipart_bodies_by_the_encoding_object():
    from nbconnect.mock.api import MockAPI
    from nbconnect.mock.bodies import check_body

    c = _bodies()
    seen = _run(c, Recorder())
    api = MockAPI(BODY_SPEC, credentials=None, seed=0)
    ops = {o.key: o for o in api.operations}
    form, upload = ops["/form"].pointer, ops["/upload"].pointer

    def check(pointer: str, entry: dict[str, Any]) -> str | None:
        return check_body(api.validators, pointer, entry["headers"]["content-type"],
                          entry["body"])

    assert check(form, seen["form"]) is None
    assert check(upload, seen["upload"]) is None
    ctype = "application/x-www-form-urlencoded"
    wrong = b"ids=1,2"  # pipeDelimited written with commas
    assert "'ids'" in (check_body(api.validators, form, ctype, wrong) or "")
    wrong = b"address=street"  # an object that is not JSON
    assert "'address'" in (check_body(api.validators, form, ctype, wrong) or "")
    wrong = b"filter=open"  # deepObject written as a plain field
    assert "deepObject" in (check_body(api.validators, form, ctype, wrong) or "")
    assert check_body(api.validators, form, "application/json", b"{}") is None
    # the mock app answers by the same rules
    from nbconnect.mock.server import MockServer

    with MockServer(BODY_SPEC) as mock:
        c.base_url = mock.url
        report = c.test()
        assert [r.status for r in report] == [200, 200], report.text()
        r = httpx2.post(mock.url + "/form", content=b"ids=1,2",
                        headers={"Content-Type": ctype})
        assert r.status_code == 400 and "'ids'" in r.json()["message"], r.text


@pytest.mark.parametrize("case", ["01-query-array-style.yaml",
                                  "01b-path-array-header-object.yaml",
                                  "02-query-deepobject.yaml", "11-postman-path-vars.yaml",
                                  "bodies"])
def test_newman_gets_the_statuses_nbconnect_test_gets_from_the_mock(case, tmp_path):
    from nbconnect.mock.server import MockServer

    if case == "bodies":
        source: Any = tmp_path / "bodies.json"
        source.write_text(json.dumps(BODY_SPEC))
        c = _bodies()
    else:
        source, c = CASES / case, _case(case)
    with MockServer(source) as mock:
        from urllib.parse import urlsplit

        c.base_url = mock.root_url + urlsplit(c.base_url or "").path.rstrip("/")
        report = c.test()
        collection = write_postman(c, tmp_path / "case.postman_collection.json")
        out = tmp_path / "newman.json"
        proc = subprocess.run([str(NEWMAN), "run", str(collection), "-r", "json",
                               "--reporter-json-export", str(out), "--env-var",
                               f"baseUrl={c.base_url}", "--disable-unicode"],
                              capture_output=True, text=True, timeout=180)
        # a negative control: the spelling the old code sent is refused, with the reason
        if case == "bodies":
            r = httpx2.post(c.base_url + "/form", content=b"ids=1,2",
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
        elif case in OLD_SPELLING:
            url, headers = OLD_SPELLING[case]
            r = httpx2.get(c.base_url + url, headers=headers)
        else:  # 11: the old export wrote report.pdf in place, not as variables
            r = None
            data = json.loads(collection.read_text())
            assert data["item"][0]["request"]["url"]["path"][-1] == \
                ":fileName.{{getFile.ext}}"
        if r is not None:
            assert r.status_code == 400, r.text
            assert "parameter" in r.text or "field" in r.text, r.text
    assert out.exists(), proc.stderr[-2000:]
    codes = [e["response"]["code"] for e in json.loads(out.read_text())["run"]["executions"]]
    assert codes == [r.status for r in report], report.text()
    assert all(200 <= code < 300 for code in codes), report.text()


def test_the_mock_reads_nested_items_as_the_json_the_runner_writes():
    """An array of objects in a form query (Mastodon's ``timeline``): each item is compact
    JSON (nothing in the style table says more), and the mock reads it back."""
    from nbconnect.mock.server import MockServer

    spec = {"openapi": "3.0.3", "info": {"title": "Nested", "version": "1"},
            "paths": {"/markers": {"get": {"operationId": "markers", "parameters": [
                {"name": "timeline", "in": "query", "required": True,
                 "schema": {"type": "array", "items": {"type": "object"}},
                 "example": [{"a": 1}, {}]}],
                "responses": {"200": {"description": "ok"}}}}}}
    c = Connector("nested")
    c.import_spec(json.dumps(spec))
    seen = _run(c, Recorder())["markers"]
    assert seen["query"] == "timeline=%7B%22a%22%3A1%7D&timeline=%7B%7D"
    with MockServer(spec) as mock:
        c.base_url = mock.url
        assert [r.status for r in c.test()] == [200]
        assert httpx2.get(mock.url + "/markers?timeline=x").status_code == 400
