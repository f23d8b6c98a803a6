"""Storing, editing and clearing an endpoint's paging rule (nbconnect.paging.store), the one
path of the paging verb and the paging form: a refused rule leaves the connector unchanged."""

from __future__ import annotations

import json

import pytest
from tests.pagedapi import spec

import nbconnect
from nbconnect.errors import EndpointNotFoundError, PagingError
from nbconnect.model.paging import PagingRule
from nbconnect.paging.store import edit_paging, set_paging


@pytest.fixture
def paged():
    connector = nbconnect.Connector("paged")
    connector.import_spec(json.dumps(spec("http://127.0.0.1:9")))
    return connector


def test_set_edit_and_clear(paged):
    rule = set_paging(paged, "listCursor", {"type": "cursor", "param": "cursor",
                                            "field": "next_cursor"})
    assert rule == PagingRule("cursor", param="cursor", field="next_cursor")
    assert paged.endpoint("listCursor").paging == rule
    edited = edit_paging(paged, "listCursor", limit_param="limit", limit=25)
    assert edited == PagingRule("cursor", param="cursor", field="next_cursor",
                                limit_param="limit", limit=25)
    assert edit_paging(paged, "listCursor", limit=None, limit_param=None) == rule
    assert set_paging(paged, "listCursor", PagingRule("cursor", param="cursor",
                                                      field="next_cursor", items="data")).items \
        == "data"
    assert set_paging(paged, "listCursor", None) is None
    assert paged.endpoint("listCursor").paging is None


@pytest.mark.parametrize("call,error,words", [
    (lambda c: set_paging(c, "listCursor", {"type": "cursor", "param": "cursr",
                                            "field": "next_cursor"}),
     PagingError, ["'cursr'", "did you mean cursor?"]),
    (lambda c: set_paging(c, "listCursor", {"type": "cursor", "param": "cursor",
                                            "field": "next_cursor", "limit": 0,
                                            "limit_param": "limit"}),
     PagingError, ["at least 1, not 0"]),
    (lambda c: set_paging(c, "nope", {"type": "link"}), EndpointNotFoundError, ["nope"]),
    (lambda c: edit_paging(c, "listPages", limit=5), PagingError, ["no paging rule to edit"]),
    (lambda c: edit_paging(c, "listLink", param="page"), PagingError,
     ["sends no parameter of its own"]),
])
def test_a_refused_rule_changes_nothing(paged, call, error, words):
    set_paging(paged, "listLink", {"type": "link"})
    before = paged.to_dict()
    with pytest.raises(error) as info:
        call(paged)
    for word in words:
        assert word in str(info.value)
    assert paged.to_dict() == before
