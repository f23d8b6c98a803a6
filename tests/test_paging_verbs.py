"""The paging verbs through both faces (``face`` fixture): ``paging ENDPOINT`` shows, sets,
edits, detects and clears a rule; ``call ENDPOINT [--all-pages]`` calls the real loopback
paged API (tests/pagedapi.py); bad input is one sentence and changes nothing."""

from __future__ import annotations

import json

import pytest
from tests.pagedapi import ITEMS, PagedAPI

from nbconnect.model.paging import PagingRule


@pytest.fixture(scope="module")
def api():
    with PagedAPI() as running:
        yield running


@pytest.fixture
def started(face, api):
    api.reset()
    face.start(api.connector())
    return face


def test_paging_shows_sets_edits_and_clears(started):
    face = started
    done = face.run("paging listCursor")
    assert done.code == 0, done.err
    if face.name == "cli":
        assert done.out == "listCursor: no paging rule\n"
    else:
        assert done.result is None
    done = face.run("paging listCursor --type cursor --param cursor --field next_cursor")
    assert done.code == 0, done.err
    if face.name == "cli":
        assert "listCursor: cursor: param cursor <- field next_cursor -> " in done.out
    else:
        assert done.result == PagingRule("cursor", param="cursor", field="next_cursor")
    assert done.connector.endpoint("listCursor").paging == PagingRule(
        "cursor", param="cursor", field="next_cursor")
    done = face.run("paging listCursor --limit-param limit --limit 10 --items data")
    assert done.code == 0, done.err
    assert done.connector.endpoint("listCursor").paging == PagingRule(
        "cursor", param="cursor", field="next_cursor", limit_param="limit", limit=10,
        items="data")
    done = face.run("paging listCursor --json")
    assert json.loads(done.out)["paging"]["limit"] == 10
    done = face.run("paging listCursor --clear")
    assert done.code == 0, done.err
    assert done.connector.endpoint("listCursor").paging is None


def test_paging_detects_from_the_spec_and_from_a_response(started, api):
    face = started
    done = face.run("paging listPages --detect")
    assert done.code == 0, done.err
    assert "detected from the spec: the request parameter page is a page number" in done.out
    assert done.connector.endpoint("listPages").paging.field == "meta.next_page"
    assert api.hits() == []
    done = face.run("paging listLink --detect --call")
    assert done.code == 0, done.err
    assert 'detected from the response: the response has a Link header with rel="next"' \
        in done.out
    assert done.connector.endpoint("listLink").paging == PagingRule("link")
    assert api.hits() == [("/link", "")]
    if face.name == "cli":  # the response looked at is a sample for pull too
        assert (face.package / "samples" / "listLink.json").is_file()


@pytest.mark.parametrize("line,words", [
    ("paging listCursor --type cursor --param cursr --field next_cursor",
     ["request parameter 'cursr'", "did you mean cursor?", "(--param)"]),
    ("paging listCursor --type cursor --param cursor --field meta.next",
     ["response field 'meta.next'", "(--field)"]),
    ("paging listCursor --type cursor --param cursor",
     ["needs the response field that gives the next cursor", "(--field)"]),
    ("paging listCursor --field next_cursor", ["has no paging rule to edit"]),
    ("paging listOne --detect", ["No endpoint 'listOne'"]),
    ("paging listCursor --clear --type page", ["give it alone"]),
    ("paging listCursor --call", ["give --detect too"]),
    ("call listPages --all-pages --max-pages 0",
     ["max-pages bound must be a whole number from 1 to 10000, not 0", "(--max-pages)"]),
    ("call listPages --max-pages 3", ["give --all-pages too"]),
    ("call listPages --param pag=2", ["no parameter 'pag'"]),
])
def test_bad_input_is_one_sentence_and_changes_nothing(started, api, line, words):
    face = started
    before = face.connector.to_dict()
    done = face.run(line)
    assert done.code == 2
    for word in words:
        assert word in done.error
    assert face.connector.to_dict() == before
    assert api.hits() == []


def test_call_follows_every_page(started, api):
    face = started
    assert face.run("paging listPages --detect").code == 0
    done = face.run("call listPages --all-pages")
    assert done.code == 0, done.err
    if face.name == "cli":
        text = done.out
        assert "... and 3 more (--json prints every item)" in text
    else:
        assert done.result.items == ITEMS and done.result.stop_reason == "no-next"
        text = face._ip.display_formatter.format(done.result)[0]["text/plain"]
        assert text.endswith("... and 3 more")
    assert text.startswith("listPages: 5 pages, 23 items; stopped: no-next (the total "
                           "of 23 items was reached on page 5).")
    assert '  {"id": 1, "name": "item 1"}' in text
    assert len(api.hits("/pages")) == 5


def test_call_json_one_page_and_a_bound(started, api):
    face = started
    done = face.run("call listPages --param per_page=2 --json")
    assert done.code == 0, done.err
    data = json.loads(done.out)
    assert (data["pages"], data["item_count"], data["stop_reason"]) == (1, 2, "max-pages")
    assert data["items"] == ITEMS[:2]
    done = face.run("call listForever --all-pages --max-pages 4 --json")
    data = json.loads(done.out)
    assert (data["pages"], data["stop_reason"], data["detected"]) == (4, "max-pages", True)
    assert len(api.hits("/forever")) == 4


def test_call_that_stops_on_an_error_fails_in_the_cli(started):
    face = started
    done = face.run("call listFail3 --all-pages")
    if face.name == "cli":
        assert done.code == 1
        assert "stopped: error (page 3 answered HTTP 500" in done.out
    else:
        assert done.result.ok is False and done.result.pages == 2
        assert done.result.stop_message.startswith("page 3 answered HTTP 500")


def test_misbehaving_apis_end_in_both_faces(started):
    face = started
    for endpoint, reason in (("listRepeat", "repeated-page"),
                             ("listSameCursor", "repeated-cursor"),
                             ("listUntilEmpty", "empty-page")):
        done = face.run(f"call {endpoint} --all-pages --json")
        assert done.code == 0, done.err
        assert json.loads(done.out)["stop_reason"] == reason


def test_help_lists_the_paging_verbs(face):
    done = face.run("help")
    assert done.code == 0, done.err
    assert "paging" in done.out and "call" in done.out
    done = face.run("help call")
    for flag in ("--all-pages", "--max-pages", "--param", "--connection", "--json"):
        assert flag in done.out


def test_call_with_a_time_limit_ends_an_api_that_never_ends(started, api):
    face = started
    assert face.run("paging listSlow --type cursor --param cursor --field next_cursor").code == 0
    done = face.run("call listSlow --all-pages --timeout-total 0.8 --param delay=0.2 --json")
    assert done.code == 0, done.err
    data = json.loads(done.out)
    assert data["stop_reason"] == "time-limit" and data["ok"] is True
    assert 1 <= data["pages"] < 100
    assert data["stop_message"].startswith("the time limit of 0.8 s on following every page")
    done = face.run("call listSlow --all-pages --timeout-total 0")
    assert done.code == 2 and "timeout must be a positive number of seconds" in done.error
    done = face.run("help call")
    assert "--timeout-total" in done.out and "time-limit" in done.out


def test_pull_after_call_all_pages_merges_every_page(started, api):
    face = started
    assert face.run("paging listPages --detect").code == 0
    assert face.run("call listPages --all-pages").code == 0
    done = face.run("pull listPages --json")
    assert done.code == 0, done.err
    data = json.loads(done.out)
    assert data["samples"] == 5
    next_page = next(f for f in data["fields"] if f["path"] == "meta.next_page")
    assert next_page["nullable"] is True and next_page["type"] == "integer"
    if face.name == "cli":  # kept in the package's samples/, for a later process
        assert (face.package / "samples" / "listPages.json").is_file()
