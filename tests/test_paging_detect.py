"""Detecting how a list endpoint pages, from its spec (parameter names, response fields)
and one response (a Link header, a next-URL field) of a real loopback server."""

from __future__ import annotations

import json

import httpx2
import pytest
from tests.pagedapi import PagedAPI, spec

import nbconnect
from nbconnect.model.paging import PagingRule
from nbconnect.paging.detect import detect_paging, detect_rule


@pytest.fixture(scope="module")
def connector():
    c = nbconnect.Connector("paged")
    c.import_spec(json.dumps(spec("http://127.0.0.1:9")))
    return c


@pytest.mark.parametrize("endpoint,rule", [
    ("listCursor", PagingRule("cursor", param="cursor", field="next_cursor",
                              limit_param="limit", items="data")),
    ("listOffset", PagingRule("offset", param="offset", limit_param="limit",
                              total_field="total", items="results")),
    ("listPages", PagingRule("page", param="page", field="meta.next_page",
                             limit_param="per_page", total_field="meta.total", items="items")),
    ("listUntilEmpty", PagingRule("page", param="page", limit_param="per_page",
                                  items="items")),
    # a response that is the list itself: no items path
    ("listLink", PagingRule("page", param="page", limit_param="per_page")),
])
def test_detected_from_the_spec(connector, endpoint, rule):
    found = detect_rule(connector.endpoint(endpoint))
    assert found is not None and found.rule == rule
    assert found.source == "spec"
    assert found.evidence


def test_a_link_header_wins_over_the_spec(connector):
    headers = httpx2.Headers({"Link": '<https://a.test/link?page=2>; rel="next"'})
    found = detect_rule(connector.endpoint("listLink"), body=[{"id": 1}], headers=headers)
    assert found.rule == PagingRule("link")
    assert found.source == "response"
    assert found.evidence == ('the response has a Link header with rel="next"',)


def test_a_next_url_field_in_the_body(connector):
    body = {"results": [{"id": 1}], "next": "https://a.test/next-url?page=2"}
    found = detect_rule(connector.endpoint("listNextUrl"), body=body)
    assert found.rule == PagingRule("link", field="next", items="results")
    assert "the response field next holds the next page's URL" in found.evidence


def test_body_fields_the_declared_response_lacks_are_not_used(connector):
    # the rule must stay valid for the endpoint: only declared fields count
    body = {"items": [1], "meta": {"next_page": 2}, "links": {"next": "https://a.test/2"}}
    found = detect_rule(connector.endpoint("listPages"), body=body)
    assert found.rule.type == "page"


def test_hand_made_endpoints_are_detected_from_their_pages():
    ep = nbconnect.model.Endpoint("things", "GET", "/things?page_token=&max_results=")
    assert detect_rule(ep) is None  # no response field says where the token comes from
    found = detect_rule(ep, body={"things": [1], "nextPageToken": "t2"})
    assert found.rule == PagingRule("cursor", param="page_token", field="nextPageToken",
                                    limit_param="max_results", items="things")
    assert found.source == "spec and response"  # the parameter from one, the field the other


def test_nothing_to_detect(connector):
    ep = nbconnect.model.Endpoint("one", "GET", "/thing/{id}")
    assert detect_rule(ep) is None
    assert detect_rule(ep, body={"id": 1}, headers=httpx2.Headers()) is None


def test_the_demo_api_pages_by_page_number():
    demo = nbconnect.Connector("demo")
    from importlib import resources

    demo.import_spec(resources.files("nbconnect.demo").joinpath("demo-api.yaml").read_text())
    found = detect_rule(demo.endpoint("listProjects"))
    assert found.rule == PagingRule("page", param="page", field="meta.next_page",
                                    limit_param="per_page", total_field="meta.total",
                                    items="items")


def test_detect_paging_calls_the_endpoint_once():
    with PagedAPI() as api:
        c = api.connector()
        spec_only = detect_paging(c, "listLinkRelative")
        assert spec_only.rule.type == "page"
        assert api.hits() == []
        called = detect_paging(c, "listLinkRelative", call=True)
        assert called.rule == PagingRule("link")
        assert api.hits() == [("/link-relative", "")]
        assert c.endpoint("listLinkRelative").paging is None  # nothing stored
        c.base_url = "http://127.0.0.1:9"
        with pytest.raises(nbconnect.errors.PagingError, match="could not be called"):
            detect_paging(c, "listLink", call=True)


def test_a_dated_or_boolean_parameter_is_not_taken_for_an_offset_or_page():
    from nbconnect.model import Param

    ep = nbconnect.model.Endpoint("events", "GET", "/events", params=(
        Param("start", format="date"), Param("page", type="boolean")))
    assert detect_rule(ep) is None
    ep = nbconnect.model.Endpoint("events", "GET", "/events", params=(
        Param("start", type="integer"), Param("count", type="integer")))
    assert detect_rule(ep).rule == PagingRule("offset", param="start", limit_param="count")
