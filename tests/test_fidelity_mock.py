"""Issue 8, kind 4: a mock that obeys its own spec.

Every value the mock serves validates against the schema it came from, judged by the runner
(``nbconnect test`` against the mock, :mod:`nbconnect.testing.judging`): patterns with length
bounds, allOf branches that narrow bounds and enums, uniqueItems with minItems,
minProperties, decimal multipleOf, writeOnly left out of responses. A schema no value can
satisfy is named at mock start. ``generate=True`` gives required parameters that have no
value anywhere a value from the mock's generator. The specs are OpenAPI 3.0.3 / 3.1 text;
the spec-fidelity cases 06, 07 and 08 are copied in ``tests/specs/fidelity/``.
"""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml

import nbconnect
from nbconnect.mock.server import MockServer
from nbconnect.model import Connection

SPECS = Path(__file__).parent / "specs" / "fidelity"


def _connector(spec: Any, url: str) -> nbconnect.Connector:
    connector = nbconnect.Connector("fidelity")
    text = spec if isinstance(spec, str | Path) else json.dumps(spec)
    connector.import_spec(text)
    connector.connections = (Connection("mock", base_url=url, default=True),)
    return connector


def _run(spec: Any, **options: Any) -> Any:
    """Mock the spec, import it, test every endpoint against the mock."""
    with MockServer(spec) as mock:
        connector = _connector(spec, mock.url)
        return connector.test(connection="mock", progress=lambda *a: None, **options)


def _failures(report: Any) -> list[str]:
    return [f"{r.endpoint_id}: {r.reason}" for r in report.results if not r.ok]


def _spec(schemas: dict[str, Any], version: str = "3.0.3") -> dict[str, Any]:
    """One GET operation per named schema, answering 200 with that schema."""
    paths = {f"/{name}": {"get": {"operationId": f"get_{name}", "responses": {"200": {
        "description": "ok", "content": {"application/json": {"schema": schema}}}}}}
        for name, schema in schemas.items()}
    return {"openapi": version, "info": {"title": "Kinds", "version": "1"},
            "servers": [{"url": "https://api.example.com/v1"}], "paths": paths}


def _bodies(spec: dict[str, Any]) -> dict[str, Any]:
    with MockServer(spec) as mock, httpx2.Client(base_url=mock.url) as client:
        return {key[1:]: client.get(key).json() for key in spec["paths"]}


# --------------------------------------------------------------------------- the cases


def test_case_08_pattern_and_length_bounds_together() -> None:
    spec = SPECS / "08-mock-pattern-minlength.yaml"
    schema = yaml.safe_load(spec.read_text())["paths"]["/vouchers/latest"]["get"][
        "responses"]["200"]["content"]["application/json"]["schema"]
    with MockServer(spec) as mock:
        body = httpx2.get(mock.url + "/vouchers/latest").json()
    for name, prop in schema["properties"].items():
        value = body[name]
        assert re.search(prop["pattern"], value), (name, value)
        assert len(value) >= prop.get("minLength", 0), (name, value)
        assert len(value) <= prop.get("maxLength", 10**6), (name, value)
    report = _run(spec)
    assert _failures(report) == [] and len(report.results) == 1


def test_case_07_decimal_multiple_of() -> None:
    spec = SPECS / "07-multipleof-decimal.yaml"
    with MockServer(spec) as mock:
        body = httpx2.get(mock.url + "/products/1").json()
    for name, step in (("price", "0.01"), ("weight", "0.1")):
        assert Decimal(repr(body[name])) % Decimal(step) == 0, (name, body[name])
        quotient = body[name] / float(step)  # as JSON Schema validators compute it
        assert int(quotient) == quotient, (name, body[name])
    assert body["weight"] >= 0.3
    assert _failures(_run(spec)) == []


def test_case_06_write_only_left_out_of_the_response() -> None:
    spec = SPECS / "06-writeonly-required.yaml"
    with MockServer(spec) as mock:
        created = httpx2.post(mock.url + "/users", json={"name": "Alice", "password": "x"})
    assert created.status_code == 201
    assert "password" not in created.json() and created.json()["name"] == "Alice"
    assert _failures(_run(spec)) == []


# --------------------------------------------------------------------------- the kind


def test_all_of_narrows_bounds_enums_and_keeps_every_pattern() -> None:
    spec = _spec({
        "bounds": {"allOf": [{"type": "integer", "minimum": 1, "maximum": 100},
                             {"minimum": 10}, {"maximum": 12}]},
        "enums": {"allOf": [{"type": "string", "enum": ["a", "b", "c"]},
                            {"enum": ["c", "b"]}]},
        "patterns": {"allOf": [{"type": "string", "pattern": "^[a-z0-9]+$"},
                               {"pattern": "[0-9]"}, {"minLength": 4, "maxLength": 5}]},
        "lengths": {"type": "object", "required": ["s"], "properties": {"s": {"allOf": [
            {"type": "string", "minLength": 2}, {"minLength": 7}, {"maxLength": 7}]}}},
        "steps": {"allOf": [{"type": "number", "multipleOf": 0.5}, {"multipleOf": 0.3},
                            {"minimum": 1}]},
    })
    bodies = _bodies(spec)
    assert 10 <= bodies["bounds"] <= 12
    assert bodies["enums"] in ("b", "c")
    assert re.fullmatch(r"[a-z0-9]*[0-9][a-z0-9]*", bodies["patterns"])
    assert 4 <= len(bodies["patterns"]) <= 5
    assert len(bodies["lengths"]["s"]) == 7
    assert Decimal(repr(bodies["steps"])) % Decimal("1.5") == 0
    assert _failures(_run(spec)) == []


def test_unique_items_with_min_items() -> None:
    spec = _spec({
        "codes": {"type": "array", "uniqueItems": True, "minItems": 4,
                  "items": {"type": "string", "pattern": "^[A-Z]{2}-[0-9]{2}$"}},
        "numbers": {"type": "array", "uniqueItems": True, "minItems": 3,
                    "items": {"type": "integer", "minimum": 5, "maximum": 9}},
        "enum": {"type": "array", "uniqueItems": True, "minItems": 3,
                 "items": {"type": "string", "enum": ["x", "y", "z"]}},
        "flags": {"type": "array", "uniqueItems": True, "minItems": 2,
                  "items": {"type": "boolean"}},
        "dates": {"type": "array", "uniqueItems": True, "minItems": 3,
                  "items": {"type": "string", "format": "date"}},
        "objects": {"type": "array", "uniqueItems": True, "minItems": 3, "items": {
            "type": "object", "required": ["id"], "properties": {
                "id": {"type": "integer", "multipleOf": 0.5, "minimum": 1}}}},
    })
    bodies = _bodies(spec)
    for name, minimum in (("codes", 4), ("numbers", 3), ("enum", 3), ("flags", 2),
                          ("dates", 3), ("objects", 3)):
        items = [json.dumps(v, sort_keys=True) for v in bodies[name]]
        assert len(items) >= minimum and len(set(items)) == len(items), (name, bodies[name])
    assert all(re.fullmatch(r"[A-Z]{2}-[0-9]{2}", c) for c in bodies["codes"])
    assert _failures(_run(spec)) == []


def test_min_properties() -> None:
    spec = _spec({
        "optional": {"type": "object", "minProperties": 2, "properties": {
            "a": {"type": "string"}, "b": {"type": "integer"}, "c": {"type": "boolean"}}},
        "map": {"type": "object", "minProperties": 3,
                "additionalProperties": {"type": "integer", "minimum": 2}},
        "free": {"type": "object", "minProperties": 2},
    }, version="3.1.0")
    bodies = _bodies(spec)
    assert len(bodies["optional"]) >= 2 and set(bodies["optional"]) <= {"a", "b", "c"}
    assert len(bodies["map"]) >= 3 and all(v >= 2 for v in bodies["map"].values())
    assert len(bodies["free"]) >= 2
    assert _failures(_run(spec)) == []


def test_write_only_left_out_everywhere_in_a_response() -> None:
    secret = {"type": "string", "writeOnly": True, "pattern": "^s3cret$"}
    spec = _spec({"nested": {"type": "object", "required": ["id", "owner", "keys"],
                             "properties": {
        "id": {"type": "integer"},
        "owner": {"type": "object", "required": ["name", "token"],
                  "properties": {"name": {"type": "string"}, "token": secret}},
        "keys": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["pin"], "properties": {
                "pin": secret, "label": {"type": "string"}}}}}}}, version="3.1.0")
    # the spec's own examples may carry them: the mock serves the example without them
    example = {"id": 1, "owner": {"name": "Ada", "token": "s3cret"},
               "keys": [{"pin": "s3cret", "label": "front"}]}
    spec["paths"]["/example"] = copy.deepcopy(spec["paths"]["/nested"])
    spec["paths"]["/example"]["get"]["operationId"] = "get_example"
    spec["paths"]["/example"]["get"]["responses"]["200"]["content"]["application/json"][
        "example"] = example
    bodies = _bodies(spec)
    assert "s3cret" not in json.dumps(bodies)
    assert "token" not in bodies["nested"]["owner"] and "pin" not in bodies["nested"]["keys"][0]
    assert bodies["example"] == {"id": 1, "owner": {"name": "Ada"}, "keys": [{"label": "front"}]}
    assert _failures(_run(spec)) == []


def test_a_schema_no_value_satisfies_is_named_at_start(caplog: pytest.LogCaptureFixture
                                                       ) -> None:
    spec = _spec({
        "fine": {"type": "integer"},
        "never": {"type": "object", "required": ["kind"], "properties": {"kind": {"allOf": [
            {"type": "string", "enum": ["a", "b"]}, {"enum": ["c"]}]}}},
        "upside": {"type": "array", "minItems": 3, "maxItems": 2,
                   "items": {"type": "string"}},
        "short": {"type": "string", "pattern": "^[0-9]{3}$", "minLength": 5},
    })
    with caplog.at_level("WARNING", logger="nbconnect.mock"):
        server = MockServer(spec)
    problems = sorted(server.info.problems)
    assert len(problems) == 3
    assert problems[0].startswith("GET /never (200): no value satisfies the response schema "
                                  "(kind: its enum values")
    assert problems[1].startswith("GET /short (200)") and "^[0-9]{3}$" in problems[1]
    assert problems[2].startswith("GET /upside (200)") and "minItems 3" in problems[2]
    assert sorted(r.getMessage() for r in caplog.records) == problems


# --------------------------------------------------------------------------- generation


GENERATE = {
    "openapi": "3.0.3", "info": {"title": "Generate", "version": "1"},
    "servers": [{"url": "https://api.example.com"}],
    "paths": {
        "/orders/{orderId}": {"get": {
            "operationId": "getOrder",
            "parameters": [
                {"name": "orderId", "in": "path", "required": True,
                 "schema": {"type": "integer"}},
                {"name": "when", "in": "query", "required": True,
                 "schema": {"type": "string", "format": "date"}},
                {"name": "X-Request-Id", "in": "header", "required": True,
                 "schema": {"type": "string", "format": "uuid"}},
                {"name": "kind", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {
                "schema": {"type": "object", "properties": {"id": {"type": "integer"}}}}}}}}},
        "/orders": {"post": {
            "operationId": "createOrder",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["item", "quantity"], "properties": {
                    "id": {"type": "integer", "readOnly": True},
                    "item": {"type": "string"},
                    "quantity": {"type": "integer", "minimum": 1}}}}}},
            "responses": {"201": {"description": "created"}}}},
        "/notes": {"post": {
            "operationId": "addNote",
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "properties": {"text": {"type": "string"},
                                                 "pinned": {"type": "boolean"}}}}}},
            "responses": {"201": {"description": "created"}}}},
    },
}


def test_generate_fills_required_parameters_that_have_no_value() -> None:
    without = _run(GENERATE)
    assert {r.endpoint_id: r.ok for r in without.results} == {
        "getOrder": False, "createOrder": False, "addNote": False}
    assert "missing required parameter" in without.results[0].reason
    report = _run(GENERATE, generate=True)
    assert _failures(report) == []


def test_generated_values_come_from_the_mocks_generator() -> None:
    from nbconnect.mock.values import generate_value
    from nbconnect.testing.generation import generated_values

    with MockServer(GENERATE) as mock:
        connector = _connector(GENERATE, mock.url)
    get, create = connector.endpoint("getOrder"), connector.endpoint("createOrder")
    values = generated_values(connector, get)
    assert set(values) == {"orderId", "when", "X-Request-Id"}
    assert values["orderId"] == 1 and values["when"] == "2026-01-01"
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                        values["X-Request-Id"])
    assert generated_values(connector, get) == values  # deterministic
    again = generated_values(connector, get, {"orderId": 9})
    assert again == {k: v for k, v in values.items() if k != "orderId"}
    body = generated_values(connector, create)
    assert set(body) == {"item", "quantity"} and body["quantity"] == 1
    # a body none of whose fields has a value gets the generator's fields
    assert set(generated_values(connector, connector.endpoint("addNote"))) == {"text",
                                                                             "pinned"}
    # a request leaves readOnly properties out, a response writeOnly ones
    schema = {"type": "object", "required": ["id", "pw"], "properties": {
        "id": {"type": "integer", "readOnly": True},
        "pw": {"type": "string", "writeOnly": True, "minLength": 8}}}
    assert set(generate_value(schema, direction="request")) == {"pw"}
    assert set(generate_value(schema)) == {"id"}


def test_aws_header_fragments_choose_the_operation() -> None:
    def op(name: str) -> dict[str, Any]:
        return {"post": {"operationId": name, "parameters": [
            {"name": "X-Amz-Target", "in": "header", "required": True,
             "schema": {"type": "string", "enum": [f"Svc.{name}"]}}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {
                "schema": {"type": "object", "required": ["op"], "properties": {
                    "op": {"type": "string", "enum": [name]}}}}}}}}}

    spec = {"openapi": "3.0.0", "info": {"title": "Aws", "version": "1"},
            "servers": [{"url": "https://svc.example.com"}],
            "paths": {"/#X-Amz-Target=Svc.First": op("First"),
                      "/#X-Amz-Target=Svc.Second": op("Second")}}
    with MockServer(spec) as mock:
        second = httpx2.post(mock.url + "/", headers={"X-Amz-Target": "Svc.Second"})
    assert second.status_code == 200 and second.json() == {"op": "Second"}
    report = _run(spec, generate=True)
    assert _failures(report) == [] and len(report.results) == 2


#: vtex's SetMultipleCustomFieldValues: a required free-form JSON object body (OAS 3.0.3
#: §4.7.13: ``required`` request body; the schema says ``type: object`` and nothing more)
FREE_FORM: dict[str, Any] = {
    "openapi": "3.0.3", "info": {"title": "Free form", "version": "1"},
    "servers": [{"url": "https://api.example.com/v1"}],
    "components": {"schemas": {"Fields": {"type": "object",
                                          "additionalProperties": {"type": "string"}}}},
    "paths": {
        "/custom/{app}": {"put": {
            "operationId": "setFields",
            "parameters": [{"name": "app", "in": "path", "required": True,
                            "schema": {"type": "string"}, "example": "shop"}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "additionalProperties": True}}}},
            "responses": {"204": {"description": "set"}}}},
        "/custom": {"post": {
            "operationId": "setByRef",
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Fields"}}}},
            "responses": {"204": {"description": "set"}}}},
    },
}


def test_a_required_free_form_body_is_sent_and_accepted(tmp_path: Path,
                                                        serve_app: Any) -> None:
    """The runner sends ``{}`` (valid for the schema) where it sent no body, which the mock
    rightly refused as a missing required body; newman sends the same."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route
    from tests.newman import run_newman

    from nbconnect.exports.postman import write_postman

    seen: list[tuple[str, str, bytes]] = []

    async def record(request: Request) -> Response:
        seen.append((request.method, request.headers.get("content-type", ""),
                     await request.body()))
        return Response(status_code=204)

    server = serve_app(Starlette(routes=[Route("/{p:path}", record, methods=["PUT",
                                                                            "POST"])]))
    connector = _connector(FREE_FORM, server.url)
    assert [r.ok for r in connector.test(progress=lambda *a: None).results] == [True, True]
    # the runner tests concurrently: the order of arrival is not fixed
    assert sorted((m, json.loads(b)) for m, c, b in seen) == [("POST", {}), ("PUT", {})]
    assert all(c.startswith("application/json") for _, c, _ in seen)
    seen.clear()
    collection = write_postman(connector, tmp_path / "free.postman_collection.json")
    run_newman(collection, tmp_path, {"baseUrl": server.url})
    assert sorted((m, json.loads(b)) for m, _, b in seen) == [("POST", {}), ("PUT", {})]
    # against the mock: accepted, and a request with no body is still refused
    assert _failures(_run(FREE_FORM)) == []
    with MockServer(FREE_FORM) as mock:
        assert httpx2.put(mock.url + "/custom/shop").status_code == 400


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_one_of_options_that_overlap_are_told_apart(version: str) -> None:
    """files-3.1's ``owner``: ``oneOf: [User, Group]``, two objects with no required member,
    so every value of one is a value of the other unless a member only one of them
    constrains breaks it (JSON Schema §10.2.1.3: valid against exactly one)."""
    user = {"type": "object", "properties": {"login": {"type": "string"},
                                             "email": {"type": "string", "format": "email"}}}
    group = {"type": "object", "properties": {"slug": {"type": "string"},
                                              "members": {"type": "integer"}}}
    spec = _spec({"owner": {"oneOf": [user, group]},
                  "amount": {"oneOf": [{"type": "number"}, {"type": "integer"}]},
                  "owners": {"type": "array", "items": {"oneOf": [user, group]}}}, version)
    bodies = _bodies(spec)
    assert set(bodies["owner"]) >= {"login", "email"}  # still the first option's value
    assert bodies["amount"] != int(bodies["amount"])  # a number that is not an integer
    assert _failures(_run(spec)) == []
