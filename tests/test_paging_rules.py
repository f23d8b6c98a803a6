"""Paging rules: the plain-data rule on the endpoint (model/paging.py) and what a rule says
about one page (paging/rules.py: the Link header, items, the next step)."""

from __future__ import annotations

import dataclasses
import json

import httpx2
import pytest
from tests.pagedapi import spec

import nbconnect
from nbconnect.errors import PagingError
from nbconnect.model.paging import PagingRule, checked_paging
from nbconnect.paging import rules as R


@pytest.fixture
def connector():
    c = nbconnect.Connector("paged")
    c.import_spec(json.dumps(spec("http://127.0.0.1:9")))
    return c


# --------------------------------------------------------------------------- Link header


def test_link_header_rfc8288_examples():
    # RFC 8288 §3.5's examples, and several links in one field
    assert R.parse_link_header('<http://example.com/TheBook/chapter2>; rel="previous"; '
                               'title="previous chapter"') == [
        ("http://example.com/TheBook/chapter2", {"rel": "previous",
                                                 "title": "previous chapter"})]
    assert R.parse_link_header('</>; rel="http://example.net/foo"') == [
        ("/", {"rel": "http://example.net/foo"})]
    assert R.parse_link_header('</TheBook/chapter2>; rel="previous"; '
                               'title*=UTF-8\'de\'letztes%20Kapitel, </TheBook/chapter4>; '
                               'rel="next"; title*=UTF-8\'de\'n%c3%a4chstes%20Kapitel')[1][0] \
        == "/TheBook/chapter4"


def test_link_next_reads_rel_lists_case_and_several_fields():
    headers = httpx2.Headers([("Link", '<https://a.test/x?page=9>; rel="last"'),
                              ("Link", '<https://a.test/x?page=2>; REL="Prev NEXT"')])
    assert R.link_next(headers) == "https://a.test/x?page=2"
    assert R.link_next({"link": '<https://a.test/?p=1>; rel="prev"'}) is None
    assert R.link_next(httpx2.Headers()) is None
    # a comma inside a quoted parameter does not split the link
    assert R.link_next({"Link": '<https://a.test/n>; title="a, b"; rel=next'}) == \
        "https://a.test/n"


def test_malformed_link_parts_are_skipped():
    assert R.parse_link_header('garbage, <https://a.test/2>; rel=next') == [
        ("https://a.test/2", {"rel": "next"})]
    assert R.parse_link_header("") == []


# --------------------------------------------------------------------------- items


@pytest.mark.parametrize("body,expected", [
    ([1, 2], [1, 2]),
    ({"data": [1], "meta": {"tags": ["x"]}}, [1]),
    ({"things": [3, 4], "total": 2}, [3, 4]),
    ({"page": {"entries": [5]}}, [5]),
    ({"a": [1], "b": [2]}, None),
    ("text", None),
])
def test_find_items_by_shape(body, expected):
    assert R.find_items(body) == expected


def test_find_items_by_the_rules_path():
    rule = PagingRule("page", param="page", items="payload.rows")
    assert R.find_items({"payload": {"rows": [7]}, "data": [1]}, rule) == [7]
    assert R.find_items({"payload": {}}, rule) is None


# --------------------------------------------------------------------------- next step


def _step(rule, body=None, headers=None, current=None, number=1, collected=None):
    items = R.find_items(body, rule) if body is not None else None
    collected = len(items or []) if collected is None else collected
    return R.next_step(rule, body=body, headers=headers or {}, items=items, current=current,
                       collected=collected, number=number)


def test_next_step_for_each_type():
    link = PagingRule("link")
    assert _step(link, [1], {"Link": '<https://a.test/2>; rel="next"'}).url == \
        "https://a.test/2"
    assert _step(link, [1]).reason == R.NO_NEXT
    body_link = PagingRule("link", field="links.next")
    assert _step(body_link, {"data": [1], "links": {"next": "/p2"}}).url == "/p2"
    assert _step(body_link, {"data": [1], "links": {"next": None}}).reason == R.NO_NEXT
    cursor = PagingRule("cursor", param="cursor", field="meta.next")
    assert _step(cursor, {"data": [1], "meta": {"next": "abc"}}).value == "abc"
    assert _step(cursor, {"data": [1], "meta": {"next": ""}}).reason == R.NO_NEXT
    assert _step(cursor, {"data": [1], "meta": {"next": {"x": 1}}}).reason == R.ERROR
    offset = PagingRule("offset", param="offset", total_field="total")
    assert _step(offset, {"results": [1, 2], "total": 9}, current=4).value == 6
    assert _step(offset, {"results": [1, 2], "total": 2}).reason == R.NO_NEXT
    page = PagingRule("page", param="page")
    assert _step(page, {"items": [1]}).value == 2
    assert _step(page, {"items": [1]}, current="3").value == 4
    numbered = PagingRule("page", param="page", field="meta.next_page")
    assert _step(numbered, {"items": [1], "meta": {"next_page": 5}}).value == 5
    assert _step(numbered, {"items": [1], "meta": {"next_page": None}}).reason == R.NO_NEXT


def test_an_empty_page_stops_every_type():
    for rule in (PagingRule("link"), PagingRule("page", param="page"),
                 PagingRule("cursor", param="c", field="next")):
        stop = _step(rule, {"items": [], "next": "x"},
                     {"Link": '<https://a.test/2>; rel="next"'}, number=4)
        assert (stop.reason, stop.message) == (R.EMPTY_PAGE, "page 4 had no items.")


def test_page_key_ignores_metadata_but_not_items():
    a = R.page_key({"items": [1], "t": 1}, [1], b"a")
    assert a == R.page_key({"items": [1], "t": 2}, [1], b"b")
    assert a != R.page_key({"items": [2]}, [2], b"a")
    assert R.page_key(None, None, b"x") != R.page_key(None, None, b"y")


# --------------------------------------------------------------------------- the rule


@pytest.mark.parametrize("fields,option", [
    ({"type": "scroll"}, "type"),
    ({"type": "cursor", "field": "next"}, "param"),
    ({"type": "cursor", "param": "cursor"}, "field"),
    ({"type": "link", "param": "page"}, "param"),
    ({"type": "offset", "param": "offset", "field": "next"}, "field"),
    ({"type": "page", "param": "page", "limit": 0, "limit_param": "per_page"}, "limit"),
    ({"type": "page", "param": "page", "limit": 5}, "limit_param"),
    ({"type": "page", "param": "page", "start": -1}, "start"),
    ({"type": "cursor", "param": "c", "field": "a..b"}, "field"),
    ({"type": "cursor", "param": "c", "field": "a[0]"}, "field"),
])
def test_malformed_rules_are_refused(fields, option):
    with pytest.raises(PagingError) as info:
        PagingRule.from_dict(fields)
    assert info.value.option == option
    assert str(info.value).endswith(".")


def test_unknown_rule_fields_are_refused():
    with pytest.raises(PagingError, match="unknown field"):
        PagingRule.from_dict({"type": "page", "param": "page", "pagesize": 3})


def test_a_rule_naming_a_missing_parameter_or_field_changes_nothing(connector):
    before = connector.to_dict()
    ep = connector.endpoint("listCursor")
    with pytest.raises(PagingError) as info:
        connector.replace_endpoint(dataclasses.replace(
            ep, paging=PagingRule("cursor", param="cursr", field="next_cursor")))
    assert "'cursr'" in str(info.value) and "did you mean cursor?" in str(info.value)
    with pytest.raises(PagingError) as info:
        connector.replace_endpoint(dataclasses.replace(
            ep, paging={"type": "cursor", "param": "cursor", "field": "meta.next"}))
    assert "response field 'meta.next'" in str(info.value)
    assert info.value.option == "field"
    assert connector.to_dict() == before


def test_fields_are_not_checked_without_a_declared_response():
    ep = nbconnect.model.Endpoint("list", "GET", "/things?cursor=",
                                  paging={"type": "cursor", "param": "cursor",
                                          "field": "anything.goes"})
    assert ep.paging.field == "anything.goes"
    assert checked_paging(ep.paging, ep) == ep.paging


def test_the_rule_round_trips_through_the_package(connector, tmp_path):
    rule = PagingRule("page", param="page", field="meta.next_page", limit_param="per_page",
                      limit=10, total_field="meta.total", start=1, items="items")
    ep = connector.endpoint("listPages")
    connector.replace_endpoint(dataclasses.replace(ep, paging=rule))
    connector.export(tmp_path / "pkg")
    again = nbconnect.load(tmp_path / "pkg")
    assert again.endpoint("listPages").paging == rule
    assert again.to_dict() == connector.to_dict()
    manifest = (tmp_path / "pkg" / "connector.yaml").read_text()
    assert "next_page" in manifest


def test_a_package_with_a_bad_rule_is_refused(connector, tmp_path):
    connector.export(tmp_path / "pkg")
    path = tmp_path / "pkg" / "connector.yaml"
    text = path.read_text()
    assert "operationId" not in text  # the manifest is ours, not the spec
    bad = text.replace("  path: /pages\n", "  path: /pages\n  paging: {type: page, param: pg}\n",
                       1)
    assert bad != text
    path.write_text(bad)
    with pytest.raises(nbconnect.errors.PackageError, match="'pg'"):
        nbconnect.load(tmp_path / "pkg")
