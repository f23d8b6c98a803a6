"""Using links against real loopback servers: options (every page, cached), the check before
anything is sent, and test runs that take a real value from a linked list (dependency
order), with the paged API of tests/pagedapi.py (it also misbehaves) and the demo mock."""

from __future__ import annotations

import pytest
from tests.pagedapi import ITEMS, PagedAPI

import nbconnect
from nbconnect.errors import (
    LinkDefinitionError,
    LinkSourceError,
    LinkValueError,
    MissingParameterError,
)
from nbconnect.links import options as options_module
from nbconnect.links.check import allowed_text, prepare_values
from nbconnect.links.dynamic import dynamic_link
from nbconnect.links.options import options
from nbconnect.links.static import set_link, static_link
from nbconnect.model import Param

pytestmark = pytest.mark.usefixtures("fresh_link_cache")


@pytest.fixture(scope="module")
def api():
    with PagedAPI() as running:
        yield running


@pytest.fixture
def paged(api):
    """The paged API's connector plus ``pick`` (GET /link?pick=1 with a query ``item``)."""
    api.reset()
    c = api.connector()
    c.add_endpoint("GET", "/link?pick=1", name="Pick", id="pick",
                   params=(Param("item", type="integer", location="query", required=True),))
    return c


def test_options_follow_every_page(paged, api) -> None:
    set_link(paged, dynamic_link(paged, "pick", "item", "listPages", "items[*].id",
                                 "items[*].name"))
    found = paged.options("pick", "item")
    assert found == [(i["id"], i["name"]) for i in ITEMS]  # 23 items over 5 pages
    assert len(api.hits("/pages")) == 5
    assert (found.endpoint, found.param, found.kind) == ("pick", "item", "dynamic")


def test_options_are_cached_for_the_ttl(paged, api) -> None:
    set_link(paged, dynamic_link(paged, "pick", "item", "listPages", "items[*].id"))
    first = options(paged, "pick", "item")
    assert options(paged, "pick", "item") == first
    assert len(api.hits("/pages")) == 5  # the second answer came from the cache
    options(paged, "pick", "item", refresh=True)
    assert len(api.hits("/pages")) == 10
    options(paged, "pick", "item", ttl=0)  # no answer is young enough: called again
    assert len(api.hits("/pages")) == 15
    options(paged, "pick", "item")
    assert len(api.hits("/pages")) == 15


def test_the_default_ttl_is_a_limit(paged, api, monkeypatch) -> None:
    from nbconnect import limits
    from nbconnect.links import options as module

    assert module.DEFAULT_TTL == limits.LINK_OPTIONS_TTL == 300.0  # the old name still works
    set_link(paged, dynamic_link(paged, "pick", "item", "listPages", "items[*].id"))
    options(paged, "pick", "item")
    monkeypatch.setattr(limits, "LINK_OPTIONS_TTL", 0.0)  # read when asked, not at import
    options(paged, "pick", "item")
    assert len(api.hits("/pages")) == 10


def test_a_misbehaving_api_still_ends(paged, api) -> None:
    set_link(paged, dynamic_link(paged, "pick", "item", "listRepeat", "items[*].id"))
    assert [v for v, _ in options(paged, "pick", "item")] == [1, 2, 3, 4, 5]
    assert len(api.hits("/repeat")) == 2  # the repeated page stopped following


def test_a_failing_linked_endpoint_is_a_clear_error(paged) -> None:
    set_link(paged, dynamic_link(paged, "pick", "item", "listFail3", "items[*].id"))
    with pytest.raises(LinkSourceError, match=r"linked endpoint listFail3 failed \(.*500"):
        options(paged, "pick", "item")


def test_an_empty_list_and_a_path_matching_nothing_are_clear_errors(paged) -> None:
    set_link(paged, dynamic_link(paged, "pick", "item", "listUntilEmpty", "items[*].id",
                                 inputs=["page=99"]))
    with pytest.raises(LinkSourceError, match="returned an empty list"):
        options(paged, "pick", "item")
    set_link(paged, dynamic_link(paged, "pick", "item", "listPages", "itemz[*].id"))
    with pytest.raises(LinkSourceError, match=r"path itemz.*matches nothing in listPages"):
        options(paged, "pick", "item")


def test_a_value_not_in_the_list_fails_before_anything_is_sent(paged, api) -> None:
    set_link(paged, dynamic_link(paged, "pick", "item", "listPages", "items[*].id"))
    report = paged.test("pick", params={"item": 99})
    assert not report.ok
    reason = report.results[0].reason
    assert "The value '99' is not allowed for parameter item of endpoint pick" in reason
    assert "nothing was sent" in reason and "1, 2, 3, 4, 5 and 18 more (23 in all)" in reason
    assert api.hits("/link") == []
    report = paged.test("pick", params={"item": "23"})  # text matches its number
    assert report.ok, report.text()
    assert api.hits("/link") == [("/link", "item=23&pick=1")]


def test_a_test_without_a_value_takes_the_first_listed_one(paged, api) -> None:
    set_link(paged, dynamic_link(paged, "pick", "item", "listCursor", "data[*].id"))
    report = paged.test(["pick", "listCursor"])
    assert report.ok, report.text()
    assert api.hits("/link") == [("/link", "item=1&pick=1")]


def test_static_lists_are_checked_without_any_call(paged, api) -> None:
    set_link(paged, static_link(paged, "pick", "item", ["3", "4"], ["three", "four"]))
    assert options(paged, "pick", "item") == [(3, "three"), (4, "four")]
    report = paged.test("pick", params={"item": 5})
    assert "the allowed values are 3, 4 (2 in all)" in report.results[0].reason
    report = paged.test("pick")  # no value: the first listed one
    assert report.ok and api.hits("/link") == [("/link", "item=3&pick=1")]
    assert api.hits("/pages") == []


def test_a_parameter_without_a_link_or_enum_has_no_options(paged) -> None:
    with pytest.raises(LinkDefinitionError, match="has no link and no enum"):
        options(paged, "pick", "item")


def test_allowed_text_names_the_first_few_and_the_count() -> None:
    assert allowed_text([(1, "a")]) == "1 (1 in all)"
    assert allowed_text(list(range(12))) == "0, 1, 2, 3, 4 and 7 more (12 in all)"


# ------------------------------------------------------------------ the demo mock



def test_chained_links_and_test_all_in_dependency_order(demo_mock) -> None:
    c = demo_mock
    set_link(c, dynamic_link(c, "getTask", "projectId", "listProjects", "items[*].id",
                             "items[*].name"))
    set_link(c, dynamic_link(c, "getTask", "taskId", "listTasks", "items[*].id",
                             "items[*].title", ["projectId=param:projectId"]))
    # the chained list needs the project first
    with pytest.raises(MissingParameterError, match="depend on projectId"):
        c.options("getTask", "taskId")
    assert c.options("getTask", "taskId", projectId="p_launch") == [(7, "Send the invoice")]
    prepared = prepare_values(c, c.endpoint("getTask"), {})
    assert prepared == {"projectId": "p_launch", "taskId": 7}
    seen: list[str] = []
    report = c.test(["getTask", "listTasks", "listProjects"], concurrency=1,
                    progress=lambda done, total, result: seen.append(result.endpoint_id))
    assert report.ok, report.text()
    assert seen.index("listProjects") < seen.index("getTask")
    assert [r.endpoint_id for r in report.results] == ["getTask", "listTasks", "listProjects"]


def test_a_link_to_a_removed_endpoint_fails_clearly_when_used(demo_mock) -> None:
    c = demo_mock
    set_link(c, dynamic_link(c, "getProject", "projectId", "listProjects", "items[*].id"))
    c.remove_endpoint("listProjects")
    with pytest.raises(LinkDefinitionError, match="linked endpoint 'listProjects' is not"):
        c.options("getProject", "projectId")
    report = c.test("getProject")
    assert "linked endpoint 'listProjects' is not an endpoint" in report.results[0].reason
    from nbconnect.links.static import LinkList, all_links

    listed = LinkList(all_links(c), c.name)
    assert ("getProject", "projectId", "broken") in [(lk.endpoint, lk.param, origin)
                                                     for lk, origin in listed]
    assert "getProject   projectId  broken  from listProjects items[*].id" in listed.text()


def test_the_cache_is_per_connection_and_inputs(demo_mock, monkeypatch) -> None:
    c = demo_mock
    set_link(c, dynamic_link(c, "searchTasks", "assignee", "listUsers", "[*].id",
                             "[*].display_name"))
    calls: list[str] = []
    real = options_module._bodies

    def counting(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(options_module, "_bodies", counting)
    assert c.options("searchTasks", "assignee") == [("u_ada", "Ada Lovelace")]
    assert c.options("searchTasks", "assignee", connection="mock") == [("u_ada",
                                                                       "Ada Lovelace")]
    c.options("searchTasks", "assignee")
    assert calls == ["listUsers", "listUsers"]
    with pytest.raises(LinkValueError, match="'u_bob' is not allowed"):
        prepare_values(c, c.endpoint("searchTasks"), {"assignee": "u_bob", "q": "x"})


def test_a_body_field_can_be_linked(demo_mock) -> None:
    c = demo_mock
    set_link(c, dynamic_link(c, "createTask", "assignee", "listUsers", "[*].id"))
    report = c.test("createTask", params={"assignee": "u_bob"})
    assert "'u_bob' is not allowed for parameter assignee of endpoint createTask" in \
        report.results[0].reason
    assert c.test("createTask", params={"assignee": "u_ada"}).ok
    from nbconnect.spec.writer import to_openapi

    op = to_openapi(c)["paths"]["/projects/{projectId}/tasks"]["post"]
    assert op["x-nbconnect-links"] == [{"param": "assignee", "operationId": "listUsers",
                                        "value": "[*].id"}]


def test_concurrent_tests_needing_one_list_call_it_once(paged, api) -> None:
    for i in range(4):
        paged.add_endpoint("GET", f"/link?pick={i + 2}", name=f"Pick {i}", id=f"pick{i}",
                           params=(Param("item", type="integer", location="query",
                                         required=True),))
        set_link(paged, dynamic_link(paged, f"pick{i}", "item", "listPages", "items[*].id"))
    report = paged.test([f"pick{i}" for i in range(4)], concurrency=4)
    assert report.ok, report.text()
    assert len(api.hits("/pages")) == 5  # one walk through the five pages, not four


def test_a_linked_endpoint_answering_deeply_nested_json_is_a_clear_error(serve_app) -> None:
    """JSON nested deeper than the parser goes (a RecursionError inside json) is a
    LinkSourceError, for options and for a test that needs the list; nothing changes."""
    deep = b"[" * 200_000 + b"]" * 200_000

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": deep})

    srv = serve_app(app)
    c = nbconnect.Connector("deep", base_url=srv.url)
    c.add_endpoint("GET", "/deep", id="deep")
    c.add_endpoint("GET", "/things/{thingId}", id="getThing")
    c.connections = (nbconnect.Connection("live", base_url=srv.url, default=True),)
    c.link("getThing", "thingId", source="deep", value="[*]")
    before = c.to_dict()
    with pytest.raises(LinkSourceError, match="nested too deeply to read"):
        options(c, "getThing", "thingId")
    result = c.test("getThing").results[0]
    assert not result.ok and "nested too deeply" in result.reason
    assert c.to_dict() == before
