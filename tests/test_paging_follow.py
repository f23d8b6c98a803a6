"""Following pages against a real loopback server (tests/pagedapi.py): every way of paging
and every way following ends (no-next, empty-page, repeated-page, repeated-cursor,
max-pages, time-limit, error), secrets kept out of what it shows, bad options refused before
sending, every page kept as a sample for pull."""

from __future__ import annotations

import dataclasses
import json

import pytest
from tests.pagedapi import ITEMS, PagedAPI

import nbconnect
from nbconnect.errors import EndpointDefinitionError, PagingError
from nbconnect.model import ApiKeyAuth, Connection
from nbconnect.model.paging import PagingRule
from nbconnect.paging.follow import follow, iter_pages


@pytest.fixture(scope="module")
def api():
    with PagedAPI() as running:
        yield running


@pytest.fixture
def paged(api):
    api.reset()
    return api.connector()


def _with_rule(connector, endpoint_id, rule):
    ep = connector.endpoint(endpoint_id)
    connector.replace_endpoint(dataclasses.replace(ep, paging=rule))


@pytest.mark.parametrize("endpoint,rule,path", [
    ("listLink", PagingRule("link"), "/link"),
    ("listLinkRelative", PagingRule("link"), "/link-relative"),
    ("listNextUrl", PagingRule("link", field="next", items="results"), "/next-url"),
    ("listCursor", PagingRule("cursor", param="cursor", field="next_cursor"), "/cursor"),
    ("listOffset", PagingRule("offset", param="offset", limit_param="limit", limit=5,
                              total_field="total"), "/offset"),
    ("listPages", PagingRule("page", param="page", field="meta.next_page"), "/pages"),
])
def test_every_type_collects_every_item_and_stops_on_no_next(paged, api, endpoint, rule, path):
    _with_rule(paged, endpoint, rule)
    result = paged.call(endpoint, all_pages=True)
    assert result.items == ITEMS
    assert (result.pages, result.stop_reason, result.ok) == (5, "no-next", True)
    assert result.stop_message.startswith("page 5 had no") or "total of 23" in \
        result.stop_message
    assert len(api.hits(path)) == 5
    assert not result.detected and result.rule == rule


def test_an_empty_page_ends_it(paged, api):
    _with_rule(paged, "listUntilEmpty", PagingRule("page", param="page"))
    result = paged.call("listUntilEmpty", all_pages=True)
    assert (result.pages, len(result.items), result.stop_reason) == (6, 23, "empty-page")
    assert result.stop_message == "page 6 had no items."
    assert len(api.hits("/until-empty")) == 6


def test_the_same_page_over_and_over_ends_it(paged, api):
    # /repeat ignores ?page= and always offers a next page: an endless loop elsewhere
    _with_rule(paged, "listRepeat", PagingRule("page", param="page", field="meta.next_page"))
    result = paged.call("listRepeat", all_pages=True, max_pages=50)
    assert (result.pages, result.stop_reason) == (1, "repeated-page")
    assert result.items == ITEMS[:5]
    assert "page 2 repeated page 1" in result.stop_message
    assert len(api.hits("/repeat")) == 2


def test_a_rule_that_never_advances_is_a_stop_reason_not_a_loop(paged, api):
    # the API ignores the offset parameter the rule advances
    _with_rule(paged, "listOffsetStuck", PagingRule("offset", param="offset",
                                                    items="results"))
    result = paged.call("listOffsetStuck", all_pages=True)
    assert result.stop_reason == "repeated-page"
    assert len(api.hits("/offset-stuck")) == 2


def test_the_same_cursor_again_ends_it(paged, api):
    _with_rule(paged, "listSameCursor", PagingRule("cursor", param="cursor",
                                                   field="next_cursor"))
    result = paged.call("listSameCursor", all_pages=True)
    assert (result.pages, result.stop_reason) == (2, "repeated-cursor")
    assert result.items == ITEMS[:10]
    assert 'cursor "c0ffee", that page 1 already gave' in result.stop_message
    assert len(api.hits("/same-cursor")) == 2


def test_an_api_that_never_ends_stops_at_the_bound(paged, api):
    _with_rule(paged, "listForever", PagingRule("cursor", param="cursor",
                                                field="next_cursor"))
    result = paged.call("listForever", all_pages=True, max_pages=7)
    assert (result.pages, len(result.items), result.stop_reason) == (7, 35, "max-pages")
    assert result.stop_message == "stopped after 7 pages (the max-pages bound); the API " \
                                  "has more."
    assert len(api.hits("/forever")) == 7
    api.reset()
    default = paged.call("listForever", all_pages=True)
    assert (default.pages, default.stop_reason) == (100, "max-pages")
    assert len(api.hits("/forever")) == 100


def test_a_failing_page_ends_it_with_what_came_before(paged, api):
    _with_rule(paged, "listFail3", PagingRule("page", param="page", field="meta.next_page"))
    result = paged.call("listFail3", all_pages=True)
    assert (result.pages, len(result.items), result.stop_reason, result.ok) == \
        (2, 10, "error", False)
    assert result.status == 500
    assert result.stop_message.startswith("page 3 answered HTTP 500")


def test_a_next_link_to_another_host_is_not_followed(paged, api):
    _with_rule(paged, "listForeign", PagingRule("link"))
    result = paged.call("listForeign", all_pages=True)
    assert (result.pages, result.stop_reason) == (1, "error")
    assert "another host (https://elsewhere.example/steal?page=2)" in result.stop_message
    assert "no credential leaves" in result.stop_message


def test_a_refused_connection_is_an_error_stop(paged):
    from tests.servers import free_port

    paged.base_url = f"http://127.0.0.1:{free_port()}"
    result = paged.call("listPages", all_pages=True)
    assert (result.pages, result.stop_reason) == (0, "error")
    assert result.stop_message == "page 1 failed: connection refused."


def test_without_all_pages_one_page_and_the_reason_says_more_exist(paged, api):
    _with_rule(paged, "listPages", PagingRule("page", param="page", field="meta.next_page"))
    one = paged.call("listPages", per_page=10)
    assert (one.pages, len(one.items), one.stop_reason) == (1, 10, "max-pages")
    assert one.data["meta"] == {"page": 1, "per_page": 10, "total": 23, "next_page": 2}
    last = paged.call("listPages", page=5)
    assert (last.pages, last.stop_reason) == (1, "no-next")
    assert api.hits("/pages") == [("/pages", "per_page=10"), ("/pages", "page=5")]


def test_a_page_size_and_start_from_the_rule_and_the_call(paged, api):
    _with_rule(paged, "listOffset", PagingRule("offset", param="offset", limit_param="limit",
                                               limit=10, total_field="total"))
    result = paged.call("listOffset", all_pages=True, offset=10)
    assert result.items == ITEMS[10:]
    assert [q for _, q in api.hits("/offset")] == ["offset=10&limit=10", "offset=20&limit=10"]


def test_no_stored_rule_is_detected_from_spec_and_first_page(paged):
    result = paged.call("listLink", all_pages=True)
    assert result.detected and result.rule == PagingRule("link")
    assert (result.pages, result.items) == (5, ITEMS)


def test_no_rule_at_all_fetches_one_page(api):
    c = nbconnect.Connector("bare", base_url=api.url)
    c.add_endpoint("GET", "/until-empty", name="things")
    result = c.call("things", all_pages=True)
    assert (result.pages, result.stop_reason) == (1, "no-next")
    assert "has no paging rule" in result.stop_message
    assert result.items == ITEMS[:5]


def test_iter_pages_is_lazy_and_fills_its_result(paged, api):
    _with_rule(paged, "listCursor", PagingRule("cursor", param="cursor", field="next_cursor"))
    run = iter_pages(paged, "listCursor", params={"limit": 10})
    assert api.hits("/cursor") == []  # nothing sent before the first page is asked for
    first = next(run)
    assert (first.number, first.status, len(first.items)) == (1, 200, 10)
    assert repr(first) == f"Page(1, status=200, items=10, size={first.size})"
    assert run.result.pages == 1 and run.result.stop_reason == ""
    pages = [first, *run]
    assert [p.number for p in pages] == [1, 2, 3]
    assert run.result.stop_reason == "no-next" and len(run.result.items) == 23
    assert repr(run.result) == "PagingResult('listCursor', pages=3, items=23, " \
                               "stop_reason='no-next')"


def test_closing_early_sends_nothing_more(paged, api):
    _with_rule(paged, "listForever", PagingRule("cursor", param="cursor", field="next_cursor"))
    with iter_pages(paged, "listForever") as run:
        next(run)
        next(run)
    assert len(api.hits("/forever")) == 2


@pytest.mark.parametrize("bound", [0, -1, True, "3", 10_001])
def test_bad_max_pages_is_refused_before_sending(paged, api, bound):
    before = paged.to_dict()
    with pytest.raises(PagingError) as info:
        paged.call("listPages", all_pages=True, max_pages=bound)
    assert info.value.option == "max_pages"
    assert "max-pages bound must be a whole number from 1 to 10000" in str(info.value)
    assert api.hits() == [] and paged.to_dict() == before


def test_bad_parameters_and_rules_are_refused_before_sending(paged, api):
    with pytest.raises(EndpointDefinitionError, match="no parameter 'pag'"):
        paged.call("listPages", pag=2)
    with pytest.raises(PagingError, match="'offset'"):
        follow(paged, "listPages", rule={"type": "offset", "param": "offset"})
    with pytest.raises(nbconnect.errors.EndpointNotFoundError):
        paged.call("nope")
    assert api.hits() == []


def test_secrets_stay_out_of_pages_results_and_messages(paged, api, monkeypatch):
    secret = "s3cr3t-paging-key-0123456789"
    monkeypatch.setenv("PAGED_KEY", secret)
    paged.auth = ApiKeyAuth(key="api_key", add_to="query")
    paged.connections = (Connection("dev", api.url, secrets={"value": "env:PAGED_KEY"}),)
    _with_rule(paged, "listLink", PagingRule("link"))
    pages = list(iter_pages(paged, "listLink", connection="dev"))
    # the key went with every request, the next links carried it back, it is shown nowhere
    assert all(f"api_key={secret}" in q for _, q in api.hits("/link"))
    assert len(pages) == 5
    assert not any(secret in p.url for p in pages)
    _with_rule(paged, "listForeign", PagingRule("link"))
    result = paged.call("listForeign", connection="dev", all_pages=True)
    assert secret not in result.to_json() and secret not in result.stop_message


def test_a_missing_required_value_raises_before_sending(api):
    api.reset()
    c = nbconnect.Connector("bare", base_url=api.url)
    c.add_endpoint("GET", "/items/:itemId", name="item")
    with pytest.raises(nbconnect.errors.MissingParameterError, match="itemId"):
        iter_pages(c, "item")
    assert api.hits() == []



def test_a_next_page_number_that_names_the_page_itself_ends_it(paged, api):
    # /stuck-next says the next page is the one just fetched: no second request is made
    _with_rule(paged, "listStuckNext", PagingRule("page", param="page",
                                                  field="meta.next_page"))
    result = paged.call("listStuckNext", all_pages=True)
    assert (result.pages, result.stop_reason) == (1, "repeated-cursor")
    assert "page 1 gave the page number 1, the first page was fetched with" in \
        result.stop_message
    assert len(api.hits("/stuck-next")) == 1
    api.reset()
    later = paged.call("listStuckNext", all_pages=True, page=3)
    assert (later.pages, later.stop_reason) == (1, "repeated-cursor")


def test_every_page_over_tls():
    with PagedAPI(tls=True) as secure:
        assert secure.url.startswith("https://127.0.0.1:")
        c = secure.connector()
        result = c.call("listLinkRelative", all_pages=True, verify=secure.verify)
        assert (result.pages, result.items) == (5, ITEMS)
        refused = c.call("listLinkRelative", all_pages=True)  # the system CAs do not know it
        assert (refused.stop_reason, refused.pages) == ("error", 0)
        assert "certificate verify failed" in refused.stop_message


# --------------------------------------------------------------------------- the time limit


def test_a_time_limit_on_the_whole_follow_ends_an_api_that_never_ends(paged, api):
    _with_rule(paged, "listSlow", PagingRule("cursor", param="cursor", field="next_cursor"))
    result = paged.call("listSlow", all_pages=True, total_timeout=1.0, delay=0.25)
    assert result.stop_reason == "time-limit" and result.ok
    assert 1 <= result.pages < 100 and len(result.items) == 5 * result.pages
    assert result.stop_message.startswith("the time limit of 1 s on following every page "
                                          f"was reached at page {result.pages + 1} (")
    assert len(api.hits("/slow")) in (result.pages, result.pages + 1)
    assert "time-limit" in result.summary()


def test_a_page_that_hangs_past_the_time_limit_ends_it(paged, api):
    _with_rule(paged, "listSlow", PagingRule("cursor", param="cursor", field="next_cursor"))
    result = follow(paged, "listSlow", params={"delay": 3}, total_timeout=0.4, timeout=20)
    assert (result.stop_reason, result.pages, result.items) == ("time-limit", 0, [])
    assert result.stop_message == ("the time limit of 0.4 s on following every page was "
                                   "reached at page 1 (it was awaited); 0 pages were fetched.")


@pytest.mark.parametrize("limit", [0, -1.5, float("nan"), float("inf"), True, "10"])
def test_a_bad_time_limit_is_refused_before_sending(paged, api, limit):
    before = paged.to_dict()
    with pytest.raises(PagingError) as info:
        paged.call("listPages", all_pages=True, total_timeout=limit)
    assert info.value.option == "total_timeout"
    assert "time limit on following every page must be a positive number" in str(info.value)
    assert api.hits() == [] and paged.to_dict() == before


def test_the_paging_limits_live_in_limits_and_keep_their_old_names():
    from nbconnect import limits
    from nbconnect.model import paging as model_paging
    from nbconnect.paging import follow as follow_module
    from nbconnect.paging.rules import STOP_REASONS, STOP_SENTENCES

    assert model_paging.DEFAULT_MAX_PAGES == limits.DEFAULT_MAX_PAGES == 100
    assert model_paging.MAX_PAGES == limits.MAX_PAGES
    assert follow_module.MAX_PAGE_BYTES == limits.MAX_PAGE_BYTES
    assert follow_module.MAX_TOTAL_BYTES == limits.MAX_PAGING_TOTAL_BYTES
    assert "time-limit" in STOP_REASONS and set(STOP_SENTENCES) == set(STOP_REASONS)


# --------------------------------------------------------------------------- samples for pull


def test_every_page_is_kept_as_a_sample_and_pull_merges_them(paged, api):
    from nbconnect.pull.samples import stored

    _with_rule(paged, "listPages", PagingRule("page", param="page", field="meta.next_page"))
    result = paged.call("listPages", all_pages=True)
    assert result.pages == 5
    assert len(stored(paged, "listPages").bodies) == 5
    pulled = paged.pull("listPages")
    assert pulled.samples == 5
    # next_page is a number on pages 1-4 and null on page 5: only a merge of every page
    # makes it nullable
    assert pulled.field("meta.next_page").nullable
    assert pulled.field("meta.next_page").type == "integer"


def test_pages_kept_as_samples_are_bounded_as_a_test_run_keeps_them(paged, api):
    from nbconnect import limits
    from nbconnect.pull.samples import stored

    _with_rule(paged, "listForever", PagingRule("cursor", param="cursor", field="next_cursor"))
    paged.call("listForever", all_pages=True, max_pages=limits.MAX_PULL_SAMPLES + 5)
    kept = stored(paged, "listForever").bodies
    assert len(kept) == limits.MAX_PULL_SAMPLES  # the oldest went first
    assert '"item 26"' in kept[0] and "next_cursor" in kept[-1]
    follow(paged, "listPages", keep_samples=False)
    assert stored(paged, "listPages") is None


# --------------------------------------------------------------------------- size bounds


def test_a_page_over_the_size_bound_is_an_error_stop(paged, api, monkeypatch):
    from nbconnect import limits

    _with_rule(paged, "listPages", PagingRule("page", param="page", field="meta.next_page"))
    monkeypatch.setattr(limits, "MAX_PAGE_BYTES", 100)
    result = paged.call("listPages", all_pages=True)
    assert (result.stop_reason, result.pages, result.ok) == ("error", 0, False)
    assert result.stop_message == ("page 1 failed: the page is over 100 bytes (the page size "
                                   "bound).")


def test_all_pages_together_over_their_bound_is_an_error_stop(paged, api, monkeypatch):
    from nbconnect.paging import follow as follow_module

    _with_rule(paged, "listPages", PagingRule("page", param="page", field="meta.next_page"))
    first = paged.call("listPages")
    one_page = len(json.dumps(first.data, separators=(",", ":")))
    monkeypatch.setattr(follow_module, "MAX_TOTAL_BYTES", 2 * one_page + one_page // 2)
    result = paged.call("listPages", all_pages=True)
    assert (result.stop_reason, result.pages, len(result.items)) == ("error", 2, 10)
    assert "(the bound on all pages together)" in result.stop_message


def test_a_page_nested_deeper_than_the_parser_goes_is_not_a_crash() -> None:
    """A JSON page of 200,000 nested arrays: json raises RecursionError, which ended
    ``call --all-pages`` with a traceback; now the page is not usable JSON and following stops."""
    from tests.servers import serve

    deep = b"[" * 200_000 + b"]" * 200_000

    async def app(scope, receive, send):  # a bare ASGI app: one deep page everywhere
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": deep})

    with serve(app) as server:
        connector = nbconnect.Connector("deep", base_url=server.url)
        connector.add_endpoint("GET", "/deep", id="deep")
        connector.connections = (Connection("live", base_url=server.url, default=True),)
        result = connector.call("deep", all_pages=True)
    assert result.stop_reason == "error" and not result.ok
    assert "nested too deeply to read" in result.stop_message
    assert result.items == []
