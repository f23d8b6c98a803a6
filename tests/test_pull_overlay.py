"""exports/overlay and pull/drift + pull/accept units: the smallest Overlay actions for each
kind of accepted change (3.0 and 3.1 dialects, $ref and allOf routing, recursion, no schema),
and drift's added/missing/changed rules."""

from __future__ import annotations

import pytest

import nbconnect
from nbconnect.errors import ExportError
from nbconnect.exports.overlay import to_overlay
from nbconnect.model import Endpoint, Param


def imported(schema, schemas=None):
    """A connector with one imported endpoint GET /things declaring ``schema``."""
    c = nbconnect.Connector("o", base_url="https://api.example.com")
    c.schemas = dict(schemas or {})
    ep = Endpoint(id="things", method="GET", path="/things", source="openapi",
                  response_status="200", response_content_type="application/json",
                  response_schema=schema)
    c.endpoints = (ep,)
    return c


def response_params(c, sample):
    """Make the endpoint's declared Param tree what an import of its schema would give."""
    from nbconnect.pull.accept import pulled_params
    from nbconnect.pull.pulling import pull

    result = pull(c, "things", [sample])
    ep = c.endpoint("things")
    import dataclasses

    c.replace_endpoint(dataclasses.replace(ep, response=pulled_params(result)))


def test_an_added_property_and_a_type_change_through_a_ref_in_31():
    schemas = {"Thing": {"type": "object", "required": ["id"],
                         "properties": {"id": {"type": "integer"},
                                        "name": {"type": "string", "maxLength": 9}}}}
    c = imported({"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}, schemas)
    response_params(c, [{"id": 1, "name": "a"}])
    c.pull("things", [[{"id": 1.5, "name": None, "extra": True}]], accept=True)
    actions = to_overlay(c)["actions"]
    targets = [(a["target"], a.get("update"), a.get("remove")) for a in actions]
    assert targets == [
        ("$.components.schemas['Thing'].properties['id']", {"type": "number"}, None),
        ("$.components.schemas['Thing'].properties['name']", {"type": ["string", "null"]},
         None),
        ("$.components.schemas['Thing'].properties", {"extra": {"type": "boolean"}}, None),
        ("$.components.schemas['Thing'].required", None, True),
        ("$.components.schemas['Thing']", {"required": ["id", "extra"]}, None),
    ]


def test_the_30_dialect_writes_nullable():
    schemas = {"Thing": {"type": "object", "properties": {
        "name": {"type": "string"}, "note": {"type": "string", "nullable": True}}}}
    c = imported({"$ref": "#/components/schemas/Thing"}, schemas)
    response_params(c, {"name": "a", "note": "b"})
    c.pull("things", [{"name": None, "note": None}], accept=True)
    (action,) = to_overlay(c)["actions"]
    assert action["target"] == "$.components.schemas['Thing'].properties['name']"
    assert action["update"] == {"type": "string", "nullable": True}
    (action,) = to_overlay(c, dialect="3.1")["actions"]
    assert action["update"] == {"type": ["string", "null"]}
    with pytest.raises(ExportError, match=r"not 3\.0 or 3\.1"):
        to_overlay(c, dialect="2.0")


def test_an_inline_schema_and_a_declared_none():
    c = imported({"type": "object", "properties": {"a": {"type": "integer"}}})
    response_params(c, {"a": 1})
    c.pull("things", [{"a": 1, "b": "x"}], accept=True)
    schema = "$.paths['/things'].get.responses['200'].content['application/json'].schema"
    assert [(a["target"], a["update"]) for a in to_overlay(c)["actions"]] == [
        (f"{schema}.properties", {"b": {"type": "string"}}),
        (schema, {"required": ["b"]})]  # the declared one had no required list
    c2 = imported(None)
    c2.pull("things", [{"a": 1}], accept=True)
    (action,) = to_overlay(c2)["actions"]
    assert action["target"] == "$.paths['/things'].get.responses['200']"
    assert action["update"]["content"]["application/json"]["schema"]["properties"] == {
        "a": {"type": "integer"}}


def test_a_recursive_schema_is_compared_once_and_nothing_new_is_refused():
    schemas = {"Node": {"type": "object", "properties": {
        "id": {"type": "integer"},
        "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}}}
    c = imported({"$ref": "#/components/schemas/Node"}, schemas)
    response_params(c, {"id": 1, "children": [{"id": 2, "children": []}]})
    with pytest.raises(ExportError, match="nothing for an Overlay to say"):
        to_overlay(c)
    c.pull("things", [{"id": 1, "children": [{"id": 2, "children": []}], "x": 1}],
           accept=True)
    actions = to_overlay(c)["actions"]
    assert [(a["target"], a["update"]) for a in actions] == [
        ("$.components.schemas['Node'].properties", {"x": {"type": "integer"}}),
        ("$.components.schemas['Node']", {"required": ["x"]})]


def test_drift_rules():
    from nbconnect.pull.drift import drift
    from nbconnect.pull.pulling import pull

    c = nbconnect.Connector("d", base_url="https://api.example.com")
    c.add_endpoint("GET", "/x", id="x", response=(
        Param("id", type="number", location="response", required=True),
        Param("name", type="string", location="response"),
        Param("meta", type="object", location="response", children=(
            Param("page", type="integer", location="response"),
            Param("gone", type="string", location="response"))),
        Param("never", type="object", location="response", children=(
            Param("deep", type="string", location="response"),)),
        Param("anything", type="any", location="response")))
    result = pull(c, "x", [{"id": 1, "name": None, "meta": {"page": "1", "new": {"a": 1}},
                            "anything": [1], "extra": 2}])
    d = drift(result.fields, c.endpoint("x").response)
    assert d.added == (("meta.new", "object"), ("extra", "integer"))  # topmost only
    assert d.missing == (("meta.gone", "string"), ("never", "object"))  # not never.deep
    assert d.changed == (("name", "string", "unknown", False, True),
                         ("meta.page", "integer", "string", False, False))
    assert "  ~ name: declared string, returned unknown, nullable" in d.lines()


def test_accept_widens_and_keeps_what_samples_cannot_show():
    c = nbconnect.Connector("w", base_url="https://api.example.com")
    c.add_endpoint("GET", "/x", id="x", response=(
        Param("n", type="number", location="response", required=True,
              description="a count", enum=None),
        Param("s", type="string", location="response", nullable=True, format="uuid",
              example="declared"),
        Param("opt", type="string", location="response"),
        Param("kind", type="string", location="response", enum=("a", "b"))))
    c.pull("x", [{"n": 1, "s": "not-a-uuid", "opt": "x", "kind": "a", "new": None}],
           accept=True)
    got = {p.name: p for p in c.endpoint("x").response}
    assert got["n"].type == "number" and got["n"].description == "a count"
    assert got["s"].nullable and got["s"].format == "uuid" and got["s"].example == "declared"
    assert not got["opt"].required  # present once does not make it required
    assert got["kind"].enum == ("a", "b")
    assert got["new"].type == "any" and got["new"].nullable


def _apply_overlay(document, overlay):
    """A small Overlay 1.0 applier (§4.4 update: objects merged recursively, arrays appended;
    remove) for the simple JSONPath targets the export writes (names and indexes)."""
    import re

    def merge(target, update):
        if isinstance(target, dict) and isinstance(update, dict):
            for key, value in update.items():
                target[key] = merge(target[key], value) if key in target else value
            return target
        if isinstance(target, list):
            return [*target, *(update if isinstance(update, list) else [update])]
        return update

    for action in overlay["actions"]:
        target = action["target"]
        assert target.startswith("$")
        steps = [m.group(1) or m.group(2) or int(m.group(3)) for m in re.finditer(
            r"\.([A-Za-z_][\w-]*)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]", target[1:])]
        node = document
        for step in steps[:-1]:
            node = node[step]
        if action.get("remove"):
            del node[steps[-1]]
        else:
            node[steps[-1]] = merge(node[steps[-1]], action["update"])
    return document


def test_the_overlay_applied_to_the_spec_leaves_no_drift():
    """The round trip the Overlay is for: the spec's owner applies it, a fresh import of the
    fixed spec pulls the same responses with no drift (but the field the user dropped)."""
    import json

    import yaml

    spec = yaml.safe_load(nbconnect.demo_spec_path().read_text())
    c = nbconnect.Connector("demo")
    c.import_spec(nbconnect.demo_spec_path())
    pages = [[{"id": "u_2", "display_name": "Bo", "email": "bo@example.com", "team": None,
               "score": 1, "created": "2024-01-02T03:04:05Z", "api_token": "tok-1"}],
             [{"id": "u_3", "display_name": "Cy", "email": "cy@example.com", "team": "red",
               "score": 1.5}]]
    assert c.pull("listUsers", pages).drift.added
    c.pull("listUsers", pages, accept=True, drop=["[*].api_token"])
    overlay = to_overlay(c)
    assert overlay["overlay"].startswith("1.0")
    fixed = _apply_overlay(json.loads(json.dumps(spec)), overlay)
    again = nbconnect.Connector("fixed")
    again.import_spec(yaml.safe_dump(fixed).encode())
    drift = again.pull("listUsers", pages).drift.to_dict()
    assert drift == {"added": [{"path": "[*].api_token", "type": "string"}], "missing": [],
                     "changed": []}
    assert fixed["components"]["schemas"]["User"]["properties"]["team"] == \
        {"type": "string", "nullable": True}  # the spec's own 3.0 dialect
