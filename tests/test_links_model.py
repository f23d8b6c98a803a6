"""Parameter links as data and their definitions: nbconnect.model.links, links.paths,
links.static, links.dynamic, links.graph (no network here; calling links is
tests/test_links_options.py)."""

from __future__ import annotations

import json

import pytest

import nbconnect
from nbconnect.errors import LinkCycleError, LinkDefinitionError
from nbconnect.links.dynamic import dynamic_link, parse_inputs, path_warning, response_fields
from nbconnect.links.graph import dependency_order, link_graph
from nbconnect.links.paths import evaluate, pairs, parse_path, tree_form
from nbconnect.links.static import all_links, link_for, remove_link, set_link, static_link
from nbconnect.model.links import Link, LinkInput, find_cycle


@pytest.fixture
def demo() -> nbconnect.Connector:
    c = nbconnect.Connector("demo")
    c.import_spec(nbconnect.demo_spec_path())
    return c


# ------------------------------------------------------------------ paths


@pytest.mark.parametrize(("path", "form"), [
    ("items[*].id", "items[].id"), ("$.items[*].id", "items[].id"), ("[*].id", "[].id"),
    ("$[*].id", "[].id"), ("values[*].key", "values[].key"), ("a.b[0].c", "a.b[].c"),
    ('["odd.name"][*]', "odd.name[]"), ("items[].id", "items[].id")])
def test_paths_parse_and_take_the_tree_form(path: str, form: str) -> None:
    assert tree_form(path) == form


@pytest.mark.parametrize("bad", ["", "a..b", ".a", "a[x]", "a]", "x" * 400])
def test_bad_paths_are_one_sentence(bad: str) -> None:
    with pytest.raises(LinkDefinitionError) as info:
        parse_path(bad)
    assert info.value.message.endswith(".") and "\n" not in info.value.message


def test_paths_evaluate_and_pair_item_by_item() -> None:
    doc = {"items": [{"id": 1, "name": "a"}, {"id": 2}, {"name": "x"}], "meta": {"n": 3}}
    assert evaluate("items[*].id", doc) == [1, 2]
    assert evaluate("items[-1].name", doc) == ["x"]
    assert evaluate("meta.n", doc) == [3]
    assert evaluate("nope[*].id", doc) == []
    # the label pairs with its own item even when another item lacks one
    assert pairs("items[*].id", "items[*].name", doc) == [(1, "a"), (2, None)]
    assert pairs("[*].k", "[*].v", [{"k": "a", "v": "A"}]) == [("a", "A")]
    assert pairs("items[*].id", None, doc) == [(1, None), (2, None)]


# ------------------------------------------------------------------ the model


def test_link_round_trips_as_plain_data() -> None:
    static = Link("e", "p", values=(1, 2), labels=("one", "two"))
    dynamic = Link("e", "q", source="l", value_path="items[*].id", label_path="items[*].n",
                   inputs=(LinkInput("status", value="open"), LinkInput("org", param="p")))
    for link in (static, dynamic):
        assert Link.from_dict(json.loads(json.dumps(link.to_dict()))) == link
    assert dynamic.to_dict()["inputs"] == {"status": "open", "org": {"param": "p"}}
    assert dynamic.param_inputs() == ("p",)
    assert (static.kind, dynamic.kind) == ("static", "dynamic")


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"values": ("a", "b", "a")}, "duplicate values (a)"),
    ({"values": ()}, "is empty"),
    ({"values": ("a", "b"), "labels": ("A",)}, "2 values but 1 labels"),
    ({"values": ("a",), "source": "l", "value_path": "x"}, "not both"),
    ({}, "either a static list"),
    ({"source": "l"}, "needs the linked-parameter path"),
    ({"source": "l", "value_path": "a..b"}, "does not parse"),
    ({"values": ({"a": 1},)}, "holds a dict"),
])
def test_bad_links_are_refused(kwargs: dict, words: str) -> None:
    with pytest.raises(LinkDefinitionError, match=words.replace("(", r"\(").replace(")", r"\)")):
        Link("e", "p", **kwargs)


def test_one_and_true_are_different_static_values() -> None:
    assert Link("e", "p", values=(1, True, "1")).values == (1, True, "1")


def test_cycles_are_found_and_the_connector_refuses_them(demo) -> None:
    a = Link("getProject", "projectId", source="listProjects", value_path="items[*].id")
    b = Link("listProjects", "page", source="getProject", value_path="task_count")
    assert find_cycle([a]) is None
    assert find_cycle([a, b]) is not None
    demo.links = (a,)
    with pytest.raises(LinkCycleError, match=r"in a circle: .*getProject.*listProjects"):
        demo.links = (a, b)
    assert demo.links == (a,)
    # a link to its own endpoint, and chained inputs that read each other
    assert find_cycle([Link("e", "p", source="e", value_path="x")])
    assert find_cycle([Link("e", "p", source="l", value_path="x",
                            inputs=(LinkInput("k", param="q"),)),
                       Link("e", "q", source="l", value_path="x",
                            inputs=(LinkInput("k", param="p"),))])


def test_the_connector_keeps_links_in_its_dict_and_package(demo, tmp_path) -> None:
    set_link(demo, dynamic_link(demo, "getProject", "projectId", "listProjects",
                                "items[*].id", "items[*].name", {"archived": "false"}))
    set_link(demo, static_link(demo, "listProjects", "per_page", ["10", "20"],
                               ["ten", "twenty"]))
    assert demo.links[0].inputs == (LinkInput("archived", value=False),)  # typed
    assert demo.links[1].values == (10, 20)
    data = demo.to_dict()
    assert nbconnect.Connector.from_dict(data).links == demo.links
    nbconnect.export(demo, tmp_path / "pkg")
    text = (tmp_path / "pkg" / "connector.yaml").read_text()
    assert "links:" in text and "from: listProjects" in text
    assert nbconnect.load(tmp_path / "pkg").links == demo.links
    from nbconnect.package.format import validate

    assert validate(tmp_path / "pkg").links == demo.links


def test_a_manifest_with_a_bad_link_is_refused(demo, tmp_path) -> None:
    nbconnect.export(demo, tmp_path / "pkg")
    manifest = tmp_path / "pkg" / "connector.yaml"
    text = manifest.read_text()
    manifest.write_text(text + "links:\n- endpoint: getProject\n  param: projectId\n"
                               "  values: [a, a]\n")
    with pytest.raises(nbconnect.errors.PackageError, match="duplicate values"):
        nbconnect.load(tmp_path / "pkg")


# ------------------------------------------------------------------ definitions


def test_static_lists_come_from_enums_and_links_replace_them(demo) -> None:
    assert link_for(demo, "searchTasks", "sort").values == ("relevance", "due", "created")
    origins = {(lk.endpoint, lk.param): o for lk, o in all_links(demo)}
    assert origins[("searchTasks", "sort")] == "enum"
    _, replaced = set_link(demo, static_link(demo, "searchTasks", "sort", ["due"]))
    assert not replaced and link_for(demo, "searchTasks", "sort").values == ("due",)
    _, replaced = set_link(demo, static_link(demo, "searchTasks", "sort", ["created"]))
    assert replaced and len(demo.links) == 1
    assert remove_link(demo, "searchTasks", "sort").values == ("created",)
    assert link_for(demo, "searchTasks", "sort").values == ("relevance", "due", "created")


@pytest.mark.parametrize(("call", "words"), [
    (lambda c: static_link(c, "nope", "x", ["a"]), "'nope' is not an endpoint"),
    (lambda c: static_link(c, "getProject", "nope", ["a"]), "has no parameter 'nope'"),
    (lambda c: static_link(c, "searchTasks", "q", ["a", "b", "a"]), "duplicate values"),
    (lambda c: dynamic_link(c, "getProject", "projectId", "nope", "[*].id"),
     "linked endpoint 'nope' is not an endpoint"),
    (lambda c: dynamic_link(c, "getProject", "projectId", "listProjects", "items[*].id",
                            inputs=["nope=1"]), "has no parameter 'nope' to give"),
    (lambda c: dynamic_link(c, "listTasks", "projectId", "listProjects", "items[*].id",
                            inputs=["page=param:projectId"]), "the parameter being linked"),
    (lambda c: dynamic_link(c, "getTask", "taskId", "listTasks", "items[*].id",
                            inputs=["projectId=param:nope"]), "has no parameter 'nope'"),
    (lambda c: remove_link(c, "getProject", "projectId"), "has no link to remove"),
])
def test_bad_definitions_change_nothing(demo, call, words: str) -> None:
    set_link(demo, static_link(demo, "searchTasks", "q", ["invoice"]))
    before = demo.to_dict()
    with pytest.raises(LinkDefinitionError, match=words):
        call(demo)
    assert demo.to_dict() == before


def test_parse_inputs() -> None:
    assert parse_inputs(["a=1", "b=param:c"]) == (LinkInput("a", value="1"),
                                                  LinkInput("b", param="c"))
    assert parse_inputs({"a": {"param": "c"}, "b": 2}) == (LinkInput("a", param="c"),
                                                           LinkInput("b", value=2))
    with pytest.raises(LinkDefinitionError, match="not NAME=VALUE"):
        parse_inputs(["nothing"])


def test_a_path_matching_no_declared_field_is_a_warning(demo) -> None:
    assert "items[*].id" in response_fields(demo, "listProjects")
    assert "[*].display_name" in response_fields(demo, "listUsers", leaves=True)
    good = dynamic_link(demo, "searchTasks", "assignee", "listUsers", "[*].id",
                        "[*].display_name")
    assert path_warning(demo, good) is None
    bad = dynamic_link(demo, "getProject", "projectId", "listProjects", "itemz[*].id")
    warning = path_warning(demo, bad)
    assert "itemz[*].id matches no field of listProjects" in warning
    assert "items[*].id" in warning  # the closest fields are named


# ------------------------------------------------------------------ the graph


def test_dependency_order_puts_linked_endpoints_first(demo) -> None:
    set_link(demo, dynamic_link(demo, "getTask", "taskId", "listTasks", "items[*].id",
                                inputs=["projectId=param:projectId"]))
    set_link(demo, dynamic_link(demo, "getTask", "projectId", "listProjects", "items[*].id"))
    set_link(demo, dynamic_link(demo, "listTasks", "projectId", "listProjects",
                                "items[*].id"))
    order = dependency_order(demo)
    assert order.index("listProjects") < order.index("listTasks") < order.index("getTask")
    assert sorted(order) == sorted(e.id for e in demo.endpoints)
    assert dependency_order(demo, ["getTask", "searchTasks", "listTasks"]) == \
        ["listTasks", "getTask", "searchTasks"]


def test_the_graph_is_drawn_deterministically(demo) -> None:
    set_link(demo, dynamic_link(demo, "getTask", "taskId", "listTasks", "items[*].id",
                                inputs=["projectId=param:projectId"]))
    set_link(demo, dynamic_link(demo, "listTasks", "projectId", "listProjects",
                                "items[*].id"))
    graph = link_graph(demo)
    assert graph.layers[0][0] == "listProjects"
    assert [e[:3] for e in graph.edges] == [("listProjects", "listTasks", "projectId"),
                                           ("listTasks", "getTask", "taskId")]
    svg = graph.svg()
    assert svg.startswith("<svg") and svg.count('class="link"') == 2
    assert svg == link_graph(demo).svg()
    lanes = [line for line in svg.splitlines() if 'class="link"' in line and " L " in line]
    assert not lanes  # every edge joins neighbouring columns
    set_link(demo, dynamic_link(demo, "getTask", "projectId", "listProjects", "items[*].id"))
    skipping = link_graph(demo).svg()
    lanes = [line for line in skipping.splitlines() if 'class="link"' in line and " L " in line]
    assert skipping.count('class="link"') == 3 and len(lanes) == 1  # over the others
    assert "listProjects --[items[*].id]--> listTasks.projectId" in graph.text()
    assert repr(graph) == graph.text()
    assert link_graph(nbconnect.Connector("empty")).text() == "empty: no parameter links"


# ------------------------------------------------------------------ the Python API


def test_connector_link_and_unlink_are_the_python_api(demo) -> None:
    """Connector.link defines a static list or a dynamic link (a thin wrapper over
    links.static/links.dynamic); a bad one raises and changes nothing; unlink removes."""
    got = demo.link("searchTasks", "sort", values=["relevance", "due"],
                    labels=["Best match, first", "Due date"])
    assert got == Link("searchTasks", "sort", values=("relevance", "due"),
                       labels=("Best match, first", "Due date"))
    demo.link("getTask", "projectId", source="listProjects", value="items[*].id",
              label="items[*].name")
    chained = demo.link("getTask", "taskId", source="listTasks", value="items[*].id",
                        label="items[*].title", inputs={"projectId": "param:projectId"})
    assert chained.inputs == (LinkInput("projectId", param="projectId"),)
    assert link_for(demo, "getTask", "taskId") == chained
    before = demo.to_dict()
    for kwargs, words in [
            ({"values": ["a", "a"]}, "duplicate values"),
            ({"values": ["a"], "source": "listUsers", "value": "[*].id"}, "one of the two"),
            ({}, "one of the two"),
            ({"source": "listUsers"}, "value"),
            ({"values": ["a"], "inputs": {"x": 1}}, "go with source"),
            ({"source": "getTask", "value": "id", "inputs": ["projectId=param:nope"]}, "nope")]:
        with pytest.raises(LinkDefinitionError, match=words):
            demo.link("searchTasks", "sort", **kwargs)
    with pytest.raises(LinkCycleError):
        demo.link("listTasks", "projectId", source="getTask", value="project_id",
                  inputs={"taskId": 1, "projectId": "p_launch"})
    assert demo.to_dict() == before
    with pytest.warns(UserWarning, match="itemz.*matches no field of listProjects"):
        demo.link("getProject", "projectId", source="listProjects", value="itemz[*].id")
    removed = demo.unlink("getProject", "projectId")
    assert removed.value_path == "itemz[*].id"
    with pytest.raises(LinkDefinitionError, match="has no link to remove"):
        demo.unlink("getProject", "projectId")
    assert demo.to_dict() == before


def test_the_graph_draws_chained_inputs(demo) -> None:
    """A chained link (taskId's list needs projectId) is a dashed arrow in getTask's box,
    from projectId's row to taskId's, and a line of the text; fixed inputs are not chains."""
    demo.link("getTask", "taskId", source="listTasks", value="items[*].id",
              inputs={"projectId": "param:projectId", "status": "todo"})
    graph = link_graph(demo)
    assert graph.chains == (("getTask", "projectId", "taskId", "projectId"),)
    assert ("  getTask.projectId ..> getTask.taskId (listTasks is called with "
            "projectId=getTask.projectId)") in graph.text().splitlines()
    svg = graph.svg()
    assert svg.count('class="chain"') == 1 and svg == link_graph(demo).svg()
    assert ">projectId</text>" in svg  # the input's parameter is a row of the box
    assert "<title>listTasks is called with projectId=getTask.projectId</title>" in svg
    demo.link("getTask", "projectId", source="listProjects", value="items[*].id")
    svg = link_graph(demo).svg()
    assert svg.count(">projectId</text>") == 1 and svg.count('class="chain"') == 1
