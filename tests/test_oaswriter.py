"""The OAS 3.1 writer turns OAS 3.0 schema dialect into JSON Schema 2020-12."""

from __future__ import annotations

import json

import nbconnect
from nbconnect.spec.writer import to_json_schema, to_openapi


def _keys(node):
    if isinstance(node, dict):
        for k, v in node.items():
            yield k
            yield from _keys(v)
    elif isinstance(node, list):
        for v in node:
            yield from _keys(v)


def test_nullable_from_a_30_spec_becomes_a_type_list():
    c = nbconnect.Connector("demo")
    c.import_spec(nbconnect.demo_spec_path())
    doc = to_openapi(c)
    props = doc["components"]["schemas"]["ProjectInput"]["properties"]
    assert props["description"]["type"] == ["string", "null"]
    assert "nullable" not in set(_keys(doc))
    # the connector itself keeps the spec's own words
    assert c.schemas["ProjectInput"]["properties"]["description"]["nullable"] is True


def test_conversion_rules():
    assert to_json_schema({"type": "integer", "minimum": 1, "exclusiveMinimum": True}) == \
        {"type": "integer", "exclusiveMinimum": 1}
    assert to_json_schema({"nullable": True, "$ref": "#/components/schemas/A"}) == \
        {"anyOf": [{"$ref": "#/components/schemas/A"}, {"type": "null"}]}
    assert to_json_schema({"$ref": "#/components/schemas/A"}, refs_to_defs=True) == \
        {"$ref": "#/$defs/A"}
    assert to_json_schema({"type": "string", "enum": ["a"], "nullable": True}) == \
        {"type": ["string", "null"], "enum": ["a", None]}
    # a 3.1 schema is unchanged, and example values are never rewritten
    s31 = {"type": ["string", "null"], "examples": [{"nullable": True}]}
    assert to_json_schema(s31) == s31
    assert json.dumps(to_json_schema({"properties": {"nullable": {"type": "boolean"}}})) == \
        '{"properties": {"nullable": {"type": "boolean"}}}'
