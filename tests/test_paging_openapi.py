"""The paging rule in ``openapi.json``: written as the operation extension
``x-nbconnect-paging`` and read back when an nbconnect-exported spec is imported, so export
then import keeps every endpoint's rule; a rule that does not fit is left out with a warning
(the import goes on)."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest
from tests.pagedapi import spec

import nbconnect
from nbconnect.model.paging import PAGING_EXTENSION, PagingRule
from nbconnect.spec.writer import to_openapi

RULES = {
    "listLink": PagingRule("link"),
    "listNextUrl": PagingRule("link", field="next", items="results"),
    "listCursor": PagingRule("cursor", param="cursor", field="next_cursor",
                             limit_param="limit", limit=10),
    "listOffset": PagingRule("offset", param="offset", limit_param="limit", limit=5,
                             total_field="total", start=0),
    "listPages": PagingRule("page", param="page", field="meta.next_page",
                            total_field="meta.total", items="items", start=1),
}


@pytest.fixture
def ruled():
    connector = nbconnect.Connector("paged")
    connector.import_spec(json.dumps(spec("http://127.0.0.1:9")))
    for ep_id, rule in RULES.items():
        connector.replace_endpoint(dataclasses.replace(connector.endpoint(ep_id), paging=rule))
    return connector


def test_the_rule_is_an_operation_extension(ruled):
    doc = to_openapi(ruled)
    assert doc["paths"]["/cursor"]["get"][PAGING_EXTENSION] == {
        "type": "cursor", "param": "cursor", "field": "next_cursor", "limit_param": "limit",
        "limit": 10}
    assert doc["paths"]["/link"]["get"][PAGING_EXTENSION] == {"type": "link"}
    assert PAGING_EXTENSION not in doc["paths"]["/repeat"]["get"]  # no rule: no extension


def test_export_then_import_keeps_every_rule(ruled, tmp_path):
    nbconnect.export(ruled, tmp_path / "pkg")
    result = nbconnect.import_spec(tmp_path / "pkg" / "openapi.json")
    back = {ep.id: ep.paging for ep in result.endpoints if ep.paging is not None}
    assert back == RULES
    assert not [w for w in result.warnings if PAGING_EXTENSION in w]
    again = nbconnect.Connector("again")
    again.import_spec(tmp_path / "pkg" / "openapi.json")
    assert again.endpoint("listPages").paging == RULES["listPages"]
    assert to_openapi(again)["paths"] == to_openapi(ruled)["paths"]


@pytest.mark.parametrize("value,words", [
    ({"type": "cursor", "param": "cursr", "field": "next_cursor"},
     ["request parameter 'cursr'", "did you mean cursor?"]),
    ({"type": "sideways"}, ["Paging type 'sideways' is not known"]),
    ({"type": "cursor", "param": "cursor", "field": "meta.next"}, ["response field 'meta.next'"]),
    ("cursor", ["must be a mapping"]),
    ({"type": "page", "param": "page", "colour": "red"}, ["unknown field(s) colour"]),
])
def test_a_rule_that_does_not_fit_is_left_out_with_a_warning(ruled, value, words):
    doc = copy.deepcopy(to_openapi(ruled))
    doc["paths"]["/cursor"]["get"][PAGING_EXTENSION] = value
    result = nbconnect.import_spec(json.dumps(doc))
    ep = next(e for e in result.endpoints if e.id == "listCursor")
    assert ep.paging is None  # imported, without the rule
    assert next(e for e in result.endpoints if e.id == "listPages").paging == RULES["listPages"]
    warning = next(w for w in result.warnings if PAGING_EXTENSION in w)
    assert "/cursor" in warning and "was not kept" in warning
    for word in words:
        assert word in warning
