"""Serving a connector as MCP tools (nbconnect.mcp.tools, nbconnect.mcp.serve): the tool
definitions, argument coercion, calls through the runner against the mock API, and the SDK's
own client in process and over Streamable HTTP."""

from __future__ import annotations

import json

import anyio
import pytest

import nbconnect
from nbconnect import Connector
from nbconnect.errors import McpServeError
from nbconnect.mcp.preflight import _Recorder
from nbconnect.mcp.serve import ToolServer, build_server, start_http
from nbconnect.mcp.tools import coerce_arguments, safe_name, select_tools, tool_for, tools_for

KEY = "s3ntinel-mcp-serve-key"


def demo() -> Connector:
    c = Connector("demo")
    c.import_spec(nbconnect.demo_spec_path())
    return c


@pytest.fixture
def on_mock(monkeypatch):
    """(connector with a default connection 'mock' to a running mock API, request log)."""
    from nbconnect.mock.server import MockServer
    from nbconnect.verbs.connection import add_connection
    from nbconnect.verbs.grammar import make_connection

    monkeypatch.setenv("MCP_SERVE_KEY", KEY)
    c = demo()
    log: list = []
    mock = MockServer(c, credentials={"api-key": KEY})
    mock.app.add_middleware(_Recorder, log=log)
    with mock:
        add_connection(c, make_connection("mock", base_url=mock.url,
                                          secrets={"value": "env:MCP_SERVE_KEY"}, auth=c.auth))
        yield c, log


# ------------------------------------------------------------------ tool definitions


def test_one_tool_per_endpoint_named_by_id_with_object_schemas() -> None:
    c = demo()
    tools = tools_for(c)
    assert [t.name for t in tools] == [e.id for e in c.endpoints]
    for t in tools:
        mcp = t.to_mcp()
        assert mcp["inputSchema"]["type"] == "object"
        assert mcp["outputSchema"]["type"] == "object"
        assert "$ref" not in mcp["outputSchema"]
        assert "anyOf" not in mcp["inputSchema"] and "oneOf" not in mcp["inputSchema"]
        json.dumps(mcp)  # JSON data all through
    get_task = tool_for(c, "getTask")
    assert get_task.description.startswith("Get a task (GET /projects/{projectId}/tasks/")
    schema = get_task.input_schema
    assert set(schema["required"]) == {"projectId", "taskId"}
    assert schema["properties"]["projectId"]["pattern"] == "^p_[a-z0-9]+$"
    assert schema["properties"]["taskId"]["type"] == "integer"
    out = get_task.output_schema
    assert out["properties"]["body"]["$ref"] == "#/$defs/Task"
    # only the component schemas the tool reaches, not all ten
    assert set(out["$defs"]) == {"Task", "TaskInput", "Status"}
    assert get_task.to_mcp()["annotations"]["readOnlyHint"] is True
    assert tool_for(c, "deleteTask").to_mcp()["annotations"]["destructiveHint"] is True


def test_several_2xx_schemas_make_an_any_of_body_and_none_makes_any_body() -> None:
    from dataclasses import replace

    c = demo()
    ep = c.endpoint("getTask")
    job = {"type": "object", "properties": {"job": {"type": "string"}}}
    c.replace_endpoint(replace(ep, responses={
        "200": {"application/json": ep.response_schema},
        "202": {"application/json": job}, "404": {}}))
    body = tool_for(c, "getTask").output_schema["properties"]["body"]
    assert body["anyOf"][0]["$ref"] == "#/$defs/Task"
    assert body["anyOf"][1]["properties"] == {"job": {"type": "string"}}
    assert tool_for(c, "deleteTask").output_schema["properties"]["body"].keys() == \
        {"description"}  # 204: no schema, any body


def test_body_fields_are_arguments_and_a_clash_gets_a_prefix() -> None:
    c = demo()
    create = tool_for(c, "createTask")
    props = create.input_schema["properties"]
    assert {"projectId", "title", "status", "labels"} <= set(props)
    assert props["status"]["enum"] == ["todo", "doing", "done"]
    assert set(create.input_schema["required"]) == {"projectId", "title"}
    c.add_endpoint("POST", "/things/:name", name="Clash")
    ep = c.endpoint("clash")
    from dataclasses import replace

    from nbconnect.model import Param

    c.replace_endpoint(replace(ep, body=(Param("name", location="body", required=True),)))
    clash = tool_for(c, "clash")
    assert set(clash.input_schema["properties"]) == {"name", "body_name"}


def test_static_links_are_enums_and_dynamic_links_are_described() -> None:
    from nbconnect.model.links import Link

    c = demo()
    c.links = (Link("listTasks", "status", values=("todo", "done")),
               Link("getTask", "projectId", source="listProjects", value_path="items[*].id"))
    tasks = tool_for(c, "listTasks")
    assert tasks.input_schema["properties"]["status"]["enum"] == ["todo", "done"]
    get_task = tool_for(c, "getTask")
    assert "projectId: take a value from tool listProjects at items[*].id" in \
        get_task.description


def test_tool_calls_apply_the_link_checks(on_mock) -> None:
    from nbconnect.model.links import Link

    c, log = on_mock
    c.links = (Link("listTasks", "status", values=("todo", "done")),
               Link("getTask", "projectId", source="listProjects", value_path="items[*].id"))
    served = ToolServer(c)
    sent = len(log)
    refused = served.call("listTasks", {"projectId": "p_launch", "status": "doing"})
    assert refused.is_error and refused.text.startswith("The value 'doing' is not allowed")
    assert len(log) == sent  # nothing was sent
    assert not served.call("listTasks", {"projectId": "p_launch", "status": "todo"}).is_error
    assert not served.call("getTask", {"projectId": "p_launch", "taskId": 7}).is_error
    other = served.call("getTask", {"projectId": "p_other", "taskId": 7})
    assert other.is_error and "allowed values are p_launch" in other.text


def test_safe_name_keeps_allowed_characters_and_cuts_with_a_hash() -> None:
    assert safe_name("repos.get-content", "A-Za-z0-9_") == "repos_get_content"
    long_a, long_b = "x" * 80 + "a", "x" * 80 + "b"
    a, b = safe_name(long_a, max_length=64), safe_name(long_b, max_length=64)
    assert len(a) == len(b) == 64 and a != b


def test_selection_by_tag_or_id_and_bad_words() -> None:
    c = demo()
    before = c.to_dict()
    assert {e.id for e in select_tools(c, ["tasks"])} == \
        {"listTasks", "createTask", "getTask", "replaceTask", "deleteTask"}
    assert [e.id for e in select_tools(c, ["search", "listUsers"])] == \
        ["searchTasks", "listUsers"]
    assert "deleteTask" not in {e.id for e in select_tools(c, exclude=["deleteTask"])}
    with pytest.raises(McpServeError, match=r"'taks' is neither a tag nor an endpoint id.*"
                                            r"did you mean tasks\?"):
        select_tools(c, ["taks"])
    with pytest.raises(McpServeError, match="leaves none"):
        select_tools(c, ["users"], ["listUsers"])
    assert c.to_dict() == before


def test_string_arguments_are_coerced_to_the_declared_scalar_type() -> None:
    c = demo()
    get_task = tool_for(c, "getTask")
    assert coerce_arguments(get_task, {"projectId": "p_1", "taskId": "7"}) == \
        {"projectId": "p_1", "taskId": 7}
    listing = tool_for(c, "listProjects")
    assert coerce_arguments(listing, {"archived": "true", "page": "2"}) == \
        {"archived": True, "page": 2}
    # ambiguous text stays text (the API judges it)
    assert coerce_arguments(listing, {"page": "two"}) == {"page": "two"}
    create = tool_for(c, "createTask")
    assert coerce_arguments(create, {"projectId": "p", "title": "t",
                                     "labels": '["a", "b"]'})["labels"] == ["a", "b"]
    with pytest.raises(McpServeError, match="no argument 'taskid'"):
        coerce_arguments(get_task, {"projectId": "p", "taskid": 1})
    with pytest.raises(McpServeError, match="needs the argument 'taskId'"):
        coerce_arguments(get_task, {"projectId": "p"})


# ------------------------------------------------------------------ calls


def test_calls_go_through_the_connection_and_answer_structured_content(on_mock) -> None:
    c, log = on_mock
    served = ToolServer(c)
    ok = served.call("getTask", {"projectId": "p_launch", "taskId": "7"})
    assert not ok.is_error and ok.status == 200
    assert ok.structured["status"] == 200
    assert ok.structured["content_type"] == "application/json"
    assert ok.structured["body"]["id"] == 7
    assert json.loads(ok.text)["id"] == 7
    headers = dict(log[-1][1])
    assert headers[b"x-api-key"] == KEY.encode()  # the connection's own credential
    bad = served.call("getTask", {"projectId": "1", "taskId": 7})
    assert bad.is_error and bad.status == 400 and bad.structured is None
    assert bad.text.startswith("HTTP 400") and "projectId" in bad.text
    missing = served.call("getTask", {"projectId": "p_launch"})
    assert missing.is_error and "needs the argument 'taskId'" in missing.text
    unknown = served.call("getTsk", {})
    assert unknown.is_error and "did you mean getTask?" in unknown.text
    served.close()
    for result in (ok, bad, missing, unknown):
        assert KEY not in repr(result) and KEY not in json.dumps(result.to_mcp())


def test_a_body_over_the_bound_is_an_error_result(on_mock) -> None:
    c, _log = on_mock
    result = ToolServer(c, max_body_bytes=100).call("getTask", {"projectId": "p_launch",
                                                                "taskId": 7})
    assert result.is_error and result.structured is None
    assert "more than the 100 a tool result holds" in result.text


def test_only_what_the_caller_gave_is_sent(on_mock) -> None:
    c, log = on_mock
    c.test_values = {"listProjects": {"page": 3, "archived": True}}
    served = ToolServer(c)
    assert not served.call("listProjects", {}).is_error
    assert log[-1][0] == b""  # no saved test value, default or example in the query
    assert not served.call("listProjects", {"per_page": "5"}).is_error
    assert log[-1][0] == b"per_page=5"
    served.close()
    assert c.test_values == {"listProjects": {"page": 3, "archived": True}}


def test_a_prompt_secret_is_refused_with_the_variable_to_set(on_mock, monkeypatch) -> None:
    from nbconnect.verbs.connection import add_connection
    from nbconnect.verbs.grammar import make_connection

    c, _log = on_mock
    mock_url = c.connections[0].base_url
    add_connection(c, make_connection("asks", base_url=mock_url, secrets={"value": "prompt"},
                                      auth=c.auth))
    result = ToolServer(c, connection="asks").call("listUsers", {})
    assert result.is_error
    assert "NBCONNECT_SECRET_" in result.text


def test_the_sdk_client_lists_and_calls_in_process_and_over_http(on_mock) -> None:
    from mcp import Client

    c, _log = on_mock
    served = ToolServer(c, include=["tasks"])

    async def session(target):
        async with Client(target) as client:
            listed = await client.list_tools()
            result = await client.call_tool("getTask", {"projectId": "p_launch",
                                                        "taskId": 7})
            return [t.name for t in listed.tools], result

    names, result = anyio.run(session, build_server(served))
    assert names == ["listTasks", "createTask", "getTask", "replaceTask", "deleteTask"]
    assert result.structured_content["body"]["project_id"] == "p_launch"
    with start_http(served) as server:
        assert server.url.endswith("/mcp")
        assert "127.0.0.1" not in repr(server)
        names, result = anyio.run(session, server.url)
    assert len(names) == 5 and not result.is_error
    assert result.structured_content["status"] == 200


def test_a_paged_endpoint_follows_its_pages_when_asked(on_mock) -> None:
    from dataclasses import replace

    from nbconnect.model.paging import PagingRule

    c, log = on_mock
    ep = c.endpoint("listProjects")
    c.replace_endpoint(replace(ep, paging=PagingRule("page", param="page",
                                                     field="meta.next_page", items="items")))
    tool = tool_for(c, "listProjects")
    assert {"all_pages", "max_pages"} <= set(tool.input_schema["properties"])
    assert "all_pages" in tool.output_schema["properties"]
    served = ToolServer(c)
    one = served.call("listProjects", {})
    assert not one.is_error and "all_pages" not in one.structured
    sent = len(log)
    many = served.call("listProjects", {"all_pages": "true", "max_pages": "5"})
    assert not many.is_error, many.text
    pages = many.structured["all_pages"]
    # page 1 points at page 1 again: following stops on the repeat (nbconnect.paging)
    assert pages["stop_reason"] in ("repeated-page", "repeated-cursor")
    assert pages["pages"] == 1 and len(pages["items"]) == 2
    assert sent < len(log) <= sent + 2
    assert not tool_for(c, "getTask").input_schema["properties"].get("all_pages")


def test_a_keyring_reference_is_answered_by_its_nbconnect_secret_variable(on_mock,
                                                                          monkeypatch) -> None:
    from nbconnect.verbs.connection import add_connection
    from nbconnect.verbs.grammar import make_connection

    c, log = on_mock
    add_connection(c, make_connection("ci", base_url=c.connections[0].base_url,
                                      secrets={"value": "keyring:tasks-key"}, auth=c.auth))
    monkeypatch.setenv("NBCONNECT_SECRET_TASKS_KEY", KEY)
    result = ToolServer(c, connection="ci").call("listUsers", {})
    assert not result.is_error, result.text
    assert dict(log[-1][1])[b"x-api-key"] == KEY.encode()


def test_serving_for_a_client_applies_the_fix() -> None:
    from dataclasses import replace

    from nbconnect.mcp.clients import CLIENTS, Limit

    c = demo()
    eight = replace(CLIENTS["claude"], name="eight", title="an 8-tool client",
                    max_tools=Limit(8, "test"))
    served = ToolServer(c, client=eight)
    assert [t.name for t in served.tools] == ["listProjects", "createProject", "getProject",
                                             "updateProject", "deleteProject", "searchTasks",
                                             "listUsers"]
    assert served.notes == ["Serving the tags projects, search, users (7 of 12 tools) to "
                            "fit an 8-tool client's 8-tool limit."]
    assert "getTask" not in {t.name for t in served.tools}
    assert served.call("getTask", {}).is_error


def test_a_long_chain_of_refs_needs_no_deep_recursion(tmp_path) -> None:
    """1,500 schemas each pointing at the next: the tool's output schema keeps them all,
    walked without recursion (Python's limit is 1,000 frames)."""
    schemas = {f"S{i}": {"type": "object", "properties": {
        "id": {"type": "integer"}, "next": {"$ref": f"#/components/schemas/S{i + 1}"}}}
        for i in range(1500)}
    schemas["S1500"] = {"type": "object"}
    spec = {"openapi": "3.0.3", "info": {"title": "chain", "version": "1"},
            "servers": [{"url": "https://api.example.com"}],
            "paths": {"/first": {"get": {"operationId": "first", "responses": {"200": {
                "description": "ok", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/S0"}}}}}}}},
            "components": {"schemas": schemas}}
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    c = Connector("chain")
    c.import_spec(path, lenient=True)  # the spec validator itself runs out of stack here
    tool = tool_for(c, "first")
    assert len(tool.output_schema["$defs"]) == 1501
    json.dumps(tool.to_mcp())
