"""The preflight (nbconnect.mcp.preflight) against the client table (nbconnect.mcp.clients),
and the `mcp serve` / `mcp preflight` verbs through both faces."""

from __future__ import annotations

import json
from dataclasses import replace

import anyio
import pytest

import nbconnect
from nbconnect import Connector
from nbconnect.errors import McpServeError
from nbconnect.mcp.clients import CLIENTS, ClientLimits, Limit, client_limits
from nbconnect.mcp.preflight import check, fit, preflight, propose, reached
from nbconnect.mcp.tools import tools_for

KEY = "s3ntinel-mcp-preflight-key"


def demo() -> Connector:
    c = Connector("demo")
    c.import_spec(nbconnect.demo_spec_path())
    return c


def small(cap: int) -> ClientLimits:
    """The Claude entry with a smaller tool cap (to see proposals on the demo's 12 tools)."""
    return replace(CLIENTS["claude"], name="small", title="a small client",
                   max_tools=Limit(cap, "test"))


# ------------------------------------------------------------------ the table


def test_every_client_has_its_figures_with_sources() -> None:
    assert set(CLIENTS) == {"cursor", "vscode-copilot", "windsurf", "claude", "generic"}
    caps = {n: c.max_tools.value for n, c in CLIENTS.items()}
    assert caps == {"cursor": 40, "vscode-copilot": 128, "windsurf": 100, "claude": None,
                    "generic": None}
    for entry in CLIENTS.values():
        for figure in entry.to_dict().values():
            if isinstance(figure, dict):
                assert figure["source"], entry.name
    cursor = CLIENTS["cursor"]
    assert cursor.max_tools.certain and "docs.cursor.com" in cursor.max_tools.source
    assert "Combined server and tool name length" in cursor.name_max.source
    assert any("server name" in note for note in cursor.notes)
    assert "docs.windsurf.com" in CLIENTS["windsurf"].max_tools.source
    assert client_limits("Cursor") is CLIENTS["cursor"]
    with pytest.raises(McpServeError, match=r"No MCP client called 'zed'.*cursor"):
        client_limits("zed")


# ------------------------------------------------------------------ checks


def test_the_demo_fits_every_client() -> None:
    tools = tools_for(demo())
    for name in CLIENTS:
        assert check(tools, name) == [], name
        assert propose(tools, name) == []


def test_findings_for_names_counts_and_schema_shapes() -> None:
    tools = tools_for(demo())
    dotted = tools[0].renamed("projects.list")
    long = tools[1].renamed("x" * 70)
    union = replace(tools[2], input_schema={"anyOf": [{"type": "object"}, {"type": "null"}]})
    root_ref = replace(tools[3], output_schema={"$ref": "#/$defs/Project",
                                                "$defs": {"Project": {"type": "object"}}})
    bad_prop = replace(tools[4], input_schema={"type": "object",
                                               "properties": {"filter[status]": {}}})
    found = check([dotted, long, union, root_ref, bad_prop, *tools[5:]], "claude")
    codes = {(f.code, f.tool) for f in found}
    assert ("tool-name", "projects.list") in codes  # Claude Desktop refuses dots
    assert ("tool-name", "x" * 70) in codes
    assert ("input-union", union.name) in codes
    assert ("input-root", union.name) in codes
    assert ("output-root", root_ref.name) in codes
    assert ("property-name", bad_prop.name) in codes
    # the specification allows dots and 128 characters, and a top-level union
    generic = {(f.code, f.tool) for f in check([dotted, long, union], "generic")}
    assert ("tool-name", "projects.list") not in generic
    assert ("input-union", union.name) not in generic
    counted = check(tools, small(5))
    assert counted[0].code == "tool-count" and "12 tools, more than the 5" in counted[0].message


def test_proposals_are_tag_sets_that_fit_and_fit_applies_the_best() -> None:
    c = demo()
    tools = tools_for(c)
    proposals = propose(tools, small(8))
    for p in proposals:
        assert 0 < len(p.tools) <= 8
    best = proposals[0]
    # projects (5), then tasks (5) is too many, then search and users (1 each)
    assert set(best.tags) == {"projects", "search", "users"}
    fitted, notes = fit(c, tools, small(8))
    assert [t.name for t in fitted] == list(best.tools)
    assert notes[0].startswith("Serving the tags projects, search, users (7 of 12 tools)")
    assert check(fitted, small(8)) == []


def test_the_text_report_shows_a_few_findings_of_each_kind() -> None:
    from nbconnect.mcp.preflight import FINDINGS_SHOWN, PreflightReport
    from nbconnect.mcp.preflight import Finding as F

    findings = [F("tool-name", f"t{i}", f"tool name 't{i}.x' is bad.") for i in range(50)]
    findings.append(F("tool-count", None, "50 tools, more than the 40 Cursor takes."))
    report = PreflightReport("big", CLIENTS["cursor"], [f"t{i}" for i in range(50)],
                             findings, [])
    text = report.text()
    assert text.count("✗ tool name") == FINDINGS_SHOWN == 3
    assert "✗ ... and 47 more tool-name findings like these" in text
    assert "50 tools, more than the 40 Cursor takes." in text
    assert len(report.to_dict()["findings"]) == 51


def test_fit_makes_names_and_argument_names_safe_and_unique() -> None:
    c = demo()
    tools = tools_for(c)
    a = tools[0].renamed("projects.list")
    b = tools[1].renamed("projects_list")
    bad = replace(tools[2], input_schema={
        "type": "object", "properties": {"filter[x]": {"type": "string"}},
        "required": ["filter[x]"]})
    fitted, notes = fit(c, [a, b, bad], "claude")
    names = [t.name for t in fitted]
    assert len(set(names)) == 3 and all(CLIENTS["claude"].name_ok(n) for n in names)
    assert "Tool projects.list is served as projects_list" in notes[0]
    assert fitted[2].input_schema["required"] == ["filter_x_"]
    assert check(fitted, "claude") == []


def test_reached_sees_a_value_in_a_header_or_the_query() -> None:
    log = [(b"page=1", [(b"accept", b"*/*")]), (b"", [(b"authorization", b"Bearer tok-123")])]
    assert reached(log, "tok-123")
    assert reached([(b"q=tok-123", [])], "tok-123")
    assert not reached(log, "tok-999")
    assert not reached(log, "")


def test_preflight_calls_every_tool_and_the_client_header_stays_out() -> None:
    c = demo()
    before = c.to_dict()
    report = preflight(c, "cursor")
    assert report.fits and report.ok
    assert [x.tool for x in report.calls] == [e.id for e in c.endpoints]
    assert all(x.ok and 200 <= x.status < 300 for x in report.calls)
    assert report.api_requests == len(c.endpoints)
    assert report.client_header_reached_api is False
    assert report.connection_credential_sent is True
    text = report.text()
    assert "12 of 12 passed" in text and "never reached the API" in text
    assert "127.0.0.1" not in text and "http" not in text  # no ports: deterministic
    assert c.to_dict() == before  # the mock connection went on a copy


# ------------------------------------------------------------------ both faces


@pytest.fixture
def demo_on_a_mock(monkeypatch):
    from nbconnect.mock.server import MockServer
    from nbconnect.verbs.connection import add_connection
    from nbconnect.verbs.grammar import make_connection

    monkeypatch.setenv("PREFLIGHT_KEY", KEY)
    c = demo()
    with MockServer(c, credentials={"api-key": KEY}) as mock:
        add_connection(c, make_connection("mock", base_url=mock.url,
                                          secrets={"value": "env:PREFLIGHT_KEY"},
                                          auth=c.auth))
        yield c


def test_preflight_in_both_faces(face) -> None:
    c = demo()
    face.start(c)
    done = face.run("mcp preflight --client windsurf --json --include tasks")
    assert done.code == 0, done.out + done.err
    data = json.loads(done.out)
    assert data["client"] == "windsurf" and data["tool_count"] == 5 and data["ok"]
    assert data["limits"]["max_tools"]["value"] == 100
    assert data["client_header_reached_api"] is False
    done = face.run("mcp preflight --client claude --no-calls")
    assert done.code == 0
    text = done.out if face.name == "cli" else repr(done.result)
    assert "12 tools (limit none)" in text and "Fits" in text
    assert "Calls against" not in text


@pytest.mark.parametrize(("line", "pattern"), [
    ("mcp preflight --client zed", r"invalid choice: 'zed'"),
    ("mcp preflight --include nope", r"'nope' is neither a tag nor an endpoint id"),
    ("mcp serve --client zed", r"invalid choice: 'zed'"),
    ("mcp serve --include taks", r"did you mean tasks\?"),
    ("mcp serve --exclude tasks --exclude projects --exclude search --exclude users",
     r"leaves none"),
])
def test_bad_input_is_one_line_and_changes_nothing(face, line, pattern) -> None:
    c = demo()
    face.start(c)
    before = face.connector.to_dict()
    done = face.run(line)
    assert done.code == 2
    assert done.error and len(done.error.splitlines()) == 1
    import re

    assert re.search(pattern, done.error), done.error
    assert face.connector.to_dict() == before


def test_serve_in_the_notebook_runs_in_the_background(ip, demo_on_a_mock) -> None:
    from mcp import Client

    from nbconnect.mcp.serve import HttpMcpServer

    session = ip.magics_manager.registry["ConnectMagics"].session
    session.set_connector(demo_on_a_mock)
    from IPython.utils.capture import capture_output

    with capture_output() as cap:
        server = ip.run_cell("%connect mcp serve --include tasks --client claude").result
    assert isinstance(server, HttpMcpServer) and server.running
    assert f"5 tools at {server.url}" in cap.stdout
    assert repr(server) == "<MCP server 'demo': 5 tools, running>"

    async def main():
        async with Client(server.url) as client:
            return await client.call_tool("listTasks", {"projectId": "p_launch"})

    result = anyio.run(main)
    assert not result.is_error and result.structured_content["status"] == 200
    with capture_output() as cap:
        ip.run_cell("%connect mcp serve --stop")
    assert "MCP server stopped." in cap.stdout
    assert not server.running


def test_serving_a_connector_without_a_connection_warns(ip) -> None:
    from IPython.utils.capture import capture_output

    session = ip.magics_manager.registry["ConnectMagics"].session
    session.set_connector(demo())
    with capture_output() as cap:
        server = ip.run_cell("%connect mcp serve").result
    try:
        assert server.running
        assert "Connector 'demo' has no test connection, so every tool call will answer " \
               "an error" in cap.stdout + cap.stderr
    finally:
        ip.run_line_magic("connect", "mcp serve --stop")


def test_the_preflight_and_serve_form(ip, demo_on_a_mock) -> None:
    from mcp import Client

    from nbconnect.notebook.mcpview import McpServeForm

    session = ip.magics_manager.registry["ConnectMagics"].session
    session.set_connector(demo_on_a_mock)
    before = demo_on_a_mock.to_dict()
    form = ip.run_line_magic("connect", "mcp preflight --form")
    assert isinstance(form, McpServeForm)
    form.client.value, form.include.value = "cursor", "tasks"
    report = form.run_preflight()
    assert report.ok and len(report.tools) == 5 and "listTasks" in report.tools
    assert "for Cursor: 5 tools (limit 40)" in form.status.value
    assert "Authorization header never reached the API" in form.status.value
    server = form.serve()
    assert server.running and f"Serving 5 tools at <code>{server.url}" in form.status.value

    async def main():
        async with Client(server.url) as client:
            return await client.call_tool("listTasks", {"projectId": "p_launch"})

    result = anyio.run(main)
    assert not result.is_error and result.structured_content["status"] == 200
    form.stop()
    assert not server.running and form.status.value == "MCP server stopped."
    # bad input: one sentence, nothing served, the connector unchanged
    form.include.value = "no-such-tag"
    assert form.run_preflight() is None and form.serve() is None
    assert "no-such-tag" in form.status.value and form.server is None
    assert demo_on_a_mock.to_dict() == before


def test_preflight_replays_the_package_cassettes_in_both_faces(face, tmp_path,
                                                                monkeypatch) -> None:
    from nbconnect.mock.server import MockServer
    from nbconnect.testing.cassettes import CassetteStore, RecordingTransport
    from nbconnect.verbs.connection import add_connection
    from nbconnect.verbs.grammar import make_connection

    monkeypatch.setenv("PREFLIGHT_KEY", KEY)
    c = demo()
    pkg = tmp_path / "recorded"
    with MockServer(c, credentials={"api-key": KEY}) as mock:
        add_connection(c, make_connection("mock", base_url=mock.url,
                                          secrets={"value": "env:PREFLIGHT_KEY"},
                                          auth=c.auth))
        c.export(pkg)
        report = c.test(transport=RecordingTransport(None, CassetteStore.for_package(pkg, c)))
        assert report.ok
    # the mock is gone: only the cassettes can answer
    if face.name == "cli":
        face.package = pkg
    else:
        assert face.run(f"load {pkg}").code == 0
    done = face.run("mcp preflight --replay --json --client vscode-copilot")
    assert done.code == 0, done.out + done.err
    data = json.loads(done.out)
    assert data["replayed"] and data["ok"]
    assert [x["ok"] for x in data["calls"]] == [True] * 12
    assert data["api_requests"] == 12 and data["client_header_reached_api"] is False
    assert KEY not in done.out
    bad = face.run("mcp preflight --replay --no-calls")
    assert bad.code == 2 and "--replay" in bad.error


def test_replay_without_recordings_is_one_sentence(face, tmp_path) -> None:
    c = demo()
    c.export(tmp_path / "pkg")
    with pytest.raises(McpServeError, match=r"has no recorded exchanges to replay"):
        preflight(c, "cursor", cassettes=tmp_path / "pkg")
    pkg = tmp_path / "pkg"
    if face.name == "cli":
        face.package = pkg
    else:
        assert face.run(f"load {pkg}").code == 0
    before = face.run("show --json").out
    replayed = face.run("mcp preflight --client cursor --replay")
    assert replayed.code != 0 and "has no recorded exchanges to replay" in replayed.err
    assert face.run("show --json").out == before


def test_preflight_runs_under_a_running_event_loop() -> None:
    """A notebook's kernel runs cells inside an event loop: the calls get their own."""
    async def inside():
        return preflight(demo(), "generic", include=["users"])

    report = anyio.run(inside)
    assert report.ok and [x.tool for x in report.calls] == ["listUsers"]
