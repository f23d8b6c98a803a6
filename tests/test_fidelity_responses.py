"""Issue 8, kind 2: every declared response kept, each status judged against its own schema,
OAS schema semantics (writeOnly/readOnly, nullable, decimal multipleOf, discriminator), the
same verdict with or without jsonschema's optional format packages, and no import cost.

Each spec is OpenAPI text; each test runs ``nbconnect``'s runner against a real loopback
server that records what it receives and answers what the test tells it to.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import nbconnect
from nbconnect.model import Connector
from nbconnect.spec.validation import validate_document
from nbconnect.spec.writer import to_openapi
from nbconnect.testing.runner import test_endpoint

CASES = Path(__file__).parent / "specs" / "fidelity"


class Recorder:
    """A loopback API: answers ``answers[(METHOD, path)] = (status, json)``, records requests."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], tuple[int, Any]] = {}
        self.seen: list[dict[str, Any]] = []

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        self.seen.append({"method": request.method, "path": request.url.path,
                          "body": json.loads(body) if body else None})
        status, data = self.answers.get((request.method, request.url.path), (404, {}))
        ctype = "application/json"
        if isinstance(data, tuple):
            ctype, data = data
        raw = data if isinstance(data, bytes) else json.dumps(data).encode()
        return Response(raw, status_code=status, media_type=ctype)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{p:path}", self.handle,
                                       methods=["GET", "POST", "PUT", "PATCH", "DELETE"])])


@pytest.fixture
def api(serve_app):
    rec = Recorder()
    rec.server = serve_app(rec.app())
    return rec


def connector(spec: str | Path, url: str) -> Connector:
    source = spec if isinstance(spec, Path) else spec.encode()
    r = nbconnect.import_spec(source)
    return Connector("t", base_url=url, endpoints=r.endpoints, schemas=r.schemas)


def run(api: Recorder, spec: str | Path, ep_id: str, method: str, path: str,
        status: int, data: Any) -> Any:
    api.answers[(method, path)] = (status, data)
    return test_endpoint(connector(spec, api.server.url), ep_id)


# --------------------------------------------------------------------------- every status


def test_case13_each_status_is_judged_against_its_own_schema(api):
    spec = CASES / "13-undocumented-2xx.yaml"
    r = run(api, spec, "putWidget", "PUT", "/widgets/5", 201, {"id": "not-a-number",
                                                               "name": "w"})
    assert not r.ok and "$.id" in r.reason and "expected integer" in r.reason
    assert run(api, spec, "putWidget", "PUT", "/widgets/5", 201, {"id": 5, "name": "w"}).ok
    assert run(api, spec, "putWidget", "PUT", "/widgets/5", 200, {"id": 5, "name": "w"}).ok


def test_case13_an_undeclared_2xx_fails_naming_the_declared_status(api):
    spec = CASES / "13-undocumented-2xx.yaml"
    r = run(api, spec, "createWidget", "POST", "/widgets", 200, {"id": 1, "name": "w"})
    assert not r.ok and "200 OK" in r.reason and "201" in r.reason
    assert run(api, spec, "createWidget", "POST", "/widgets", 201, {"id": 1, "name": "w"}).ok


RANGES = """
openapi: 3.0.3
info: {title: R, version: "1"}
paths:
  /jobs:
    post:
      operationId: startJob
      responses:
        "2XX":
          description: accepted
          content:
            application/json:
              schema: {type: object, required: [job], properties: {job: {type: integer}}}
        "4XX": {description: refused}
  /things:
    get:
      operationId: listThings
      responses:
        "200":
          description: ok
          content:
            application/json: {schema: {type: array, items: {type: string}}}
            text/csv: {schema: {type: string}}
        default:
          description: anything else
          content:
            application/json: {schema: {type: object, required: [note]}}
"""


def test_ranges_and_default_cover_statuses_with_their_own_schemas(api):
    assert run(api, RANGES, "startJob", "POST", "/jobs", 202, {"job": 3}).ok
    r = run(api, RANGES, "startJob", "POST", "/jobs", 202, {"job": "x"})
    assert not r.ok and "$.job" in r.reason
    # 203 is not 200: the default response (and its schema) covers it
    r = run(api, RANGES, "listThings", "GET", "/things", 203, ["a"])
    assert not r.ok and "expected object" in r.reason
    assert run(api, RANGES, "listThings", "GET", "/things", 203, {"note": "n"}).ok
    assert run(api, RANGES, "listThings", "GET", "/things", 200, ["a", "b"]).ok
    assert run(api, RANGES, "listThings", "GET", "/things", 200,
               ("text/csv", b"a,b\n")).ok


def test_every_response_survives_the_package_and_openapi_json(tmp_path, api):
    c = connector(RANGES, api.server.url)
    ep = c.endpoint("listThings") if hasattr(c, "endpoint") else c.endpoints[1]
    assert set(ep.declared_responses) == {"200", "default"}
    assert set(ep.declared_responses["200"]) == {"application/json", "text/csv"}
    out = nbconnect.export(c, tmp_path / "pkg")
    back = nbconnect.load(out)
    assert back == c
    assert nbconnect.export(back, tmp_path / "pkg2").joinpath("connector.yaml").read_bytes() \
        == out.joinpath("connector.yaml").read_bytes()
    doc = to_openapi(c)
    assert set(doc["paths"]["/jobs"]["post"]["responses"]) == {"2XX", "4XX"}
    again = nbconnect.import_spec(json.dumps(doc).encode())
    assert [e.declared_responses for e in again.endpoints] == \
        [e.declared_responses for e in c.endpoints]


def test_one_response_endpoints_keep_their_package_bytes():
    spec = CASES / "06-writeonly-required.yaml"
    (ep,) = nbconnect.import_spec(spec).endpoints
    assert ep.responses == {} and "responses" not in ep.to_dict()
    assert ep.declared_responses == {"201": {"application/json": {
        "$ref": "#/components/schemas/User"}}}


# --------------------------------------------------------------------------- OAS semantics


def test_case06_required_writeonly_is_not_required_in_a_response(api):
    spec = CASES / "06-writeonly-required.yaml"
    r = run(api, spec, "createUser", "POST", "/users", 201, {"id": 7, "name": "Alice"})
    assert r.ok, r.reason
    body = api.seen[-1]["body"]
    assert body["password"] == "s3cret-example" and "id" not in body
    r = run(api, spec, "createUser", "POST", "/users", 201, {"id": 7})
    assert not r.ok and "name" in r.reason


def test_required_readonly_is_not_required_in_a_request():
    from nbconnect.spec.oas.schema import self_contained
    from nbconnect.spec.oas.validator import validator

    spec = yaml.safe_load((CASES / "06-writeonly-required.yaml").read_text())
    schemas = spec["components"]["schemas"]
    schemas["User"]["required"] = ["id", "name", "password"]
    ref = {"$ref": "#/components/schemas/User"}
    request = validator(self_contained(ref, schemas, "request"))
    response = validator(self_contained(ref, schemas, "response"))
    assert request.is_valid({"name": "a", "password": "p"})
    assert not request.is_valid({"id": 1, "name": "a"})
    assert response.is_valid({"id": 1, "name": "a"})
    assert not response.is_valid({"name": "a", "password": "p"})


def test_writeonly_in_an_allof_branch_is_not_required_in_a_response(api):
    spec = """
openapi: 3.0.3
info: {title: U, version: "1"}
paths:
  /u:
    get:
      operationId: getU
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                allOf:
                  - {$ref: '#/components/schemas/Base'}
                  - {required: [secret, name]}
components:
  schemas:
    Base:
      type: object
      properties:
        name: {type: string}
        secret: {$ref: '#/components/schemas/Secret'}
    Secret: {type: string, writeOnly: true}
"""
    assert run(api, spec, "getU", "GET", "/u", 200, {"name": "a"}).ok
    assert not run(api, spec, "getU", "GET", "/u", 200, {"secret": "x"}).ok


def test_case07_decimal_multipleof_is_exact(api):
    spec = CASES / "07-multipleof-decimal.yaml"
    r = run(api, spec, "getProduct", "GET", "/products/1", 200, {"price": 19.99, "weight": 2.3})
    assert r.ok, r.reason
    r = run(api, spec, "getProduct", "GET", "/products/1", 200, {"price": 19.995,
                                                                 "weight": 2.3})
    assert not r.ok and "$.price" in r.reason and "multiple of 0.01" in r.reason
    from nbconnect.spec.oas.validator import is_multiple_of

    assert is_multiple_of(0.3, 0.1) and is_multiple_of(1e-7 * 3, 1e-7)
    assert is_multiple_of(10, 5) and not is_multiple_of(0.35, 0.1)


def test_oas30_nullable_is_kept(api):
    spec = """
openapi: 3.0.3
info: {title: N, version: "1"}
paths:
  /n:
    get:
      operationId: getN
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  a: {type: string, nullable: true}
                  b: {type: string}
                  c: {$ref: '#/components/schemas/C'}
components:
  schemas:
    C: {type: integer, nullable: true, enum: [1, 2]}
"""
    assert run(api, spec, "getN", "GET", "/n", 200, {"a": None, "b": "x", "c": None}).ok
    assert not run(api, spec, "getN", "GET", "/n", 200, {"b": None}).ok
    assert not run(api, spec, "getN", "GET", "/n", 200, {"c": 3}).ok


PETS = """
openapi: 3.0.3
info: {title: P, version: "1"}
paths:
  /pet:
    get:
      operationId: getPet
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                oneOf:
                  - {$ref: '#/components/schemas/Cat'}
                  - {$ref: '#/components/schemas/Dog'}
                discriminator:
                  propertyName: kind
                  mapping: {cat: '#/components/schemas/Cat'}
components:
  schemas:
    Cat:
      type: object
      required: [kind]
      properties: {kind: {type: string}, lives: {type: integer}}
    Dog:
      type: object
      required: [kind]
      properties: {kind: {type: string}, bark: {type: boolean}}
"""


def test_discriminator_mapping_picks_the_schema(api):
    # both branches accept a cat: plain oneOf would fail ("valid under each of")
    assert run(api, PETS, "getPet", "GET", "/pet", 200, {"kind": "cat", "lives": 9}).ok
    # the implicit mapping: the schema's own name
    assert run(api, PETS, "getPet", "GET", "/pet", 200, {"kind": "Dog", "bark": True}).ok
    r = run(api, PETS, "getPet", "GET", "/pet", 200, {"kind": "cat", "lives": "nine"})
    assert not r.ok and "$.lives" in r.reason
    r = run(api, PETS, "getPet", "GET", "/pet", 200, {"kind": "cow"})
    assert not r.ok and "$.kind" in r.reason


# --------------------------------------------------------------------------- same on every machine


def test_format_checks_do_not_depend_on_optional_packages():
    for version in ("3.0.3", "3.1.0"):
        doc = {"openapi": version, "info": {"title": "t", "version": "1"}, "paths": {"/a": {
            "get": {"parameters": [{"name": "q", "in": "query", "schema": {
                "type": "string", "format": "uri", "default": ""}}],
                "responses": {"200": {"description": "ok"}}}}}}
        assert validate_document(doc, version) == []
        doc["paths"]["/a"]["get"]["parameters"][0]["schema"] = {
            "type": "integer", "format": "int32", "default": 2 ** 40}
        assert validate_document(doc, version)  # OAS formats are still checked


def test_jsonschema_is_imported_without_the_format_packages_cost():
    code = """
import sys, time
from nbconnect.package.manifest import _manifest_validator
from nbconnect.spec.oas.validator import import_jsonschema
_manifest_validator()
import jsonschema
loaded = "rfc3987_syntax" in sys.modules
import importlib.util
has = importlib.util.find_spec("rfc3987_syntax") is not None
checker = jsonschema.FormatChecker()
print(loaded, has, "iri" in checker.checkers == has)
if has:
    assert not checker.conforms("http://exa mple", "iri") and checker.conforms("http://x", "iri")
    assert "rfc3987_syntax" in sys.modules
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[0].startswith("False") and out[1] == "ok"


def test_an_example_that_breaks_its_schema_is_a_warning_not_a_refusal():
    spec = """
openapi: 3.0.3
info: {title: E, version: "1"}
paths:
  /e:
    get:
      operationId: getE
      parameters:
        - {name: site, in: query, schema: {type: string, format: uri, default: ""}}
        - {name: n, in: query, schema: {type: integer}, example: many}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/E'}
components:
  schemas:
    E:
      type: object
      required: [id]
      properties: {id: {type: integer}}
      example: {id: "seven"}
"""
    r = nbconnect.import_spec(spec.encode())  # strict: accepted on every machine
    assert [e.id for e in r.endpoints] == ["getE"]
    bad = [w for w in r.warnings if "example does not match its schema" in w]
    assert len(bad) == 2
    assert any("parameters[1].example" in w for w in bad)
    assert any("components.schemas.E.example" in w and "'seven'" in w for w in bad)
