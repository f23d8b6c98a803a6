"""The remote-server ``mcp`` verbs through both faces (``face``): add, list, remove, check,
call, ``%%connect mcp``, and their bad input, against real SDK servers on loopback."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.mcpservers import McpOAuthSetup, McpTestServer

import nbconnect


@pytest.fixture(scope="module", params=["2026-07-28", "2025-11-25"])
def mcp_server(request: pytest.FixtureRequest) -> Any:
    with McpTestServer(request.param) as server:
        yield server


@pytest.fixture(scope="module")
def modern() -> Any:
    with McpTestServer("2026-07-28") as server:
        yield server


def _start(face: Any) -> Any:
    connector = nbconnect.Connector(name="demo")
    face.start(connector)
    return connector


def test_add_check_call_in_both_revisions(face: Any, mcp_server: Any) -> None:
    _start(face)
    added = face.run(f"mcp add tools {mcp_server.url}")
    assert added.code == 0, added.err
    assert added.connector.mcp["tools"].checked is None
    checked = face.run("mcp check tools")
    assert checked.code == 0, checked.err
    server = checked.connector.mcp["tools"]
    assert server.checked.protocol == mcp_server.revision
    assert server.checked.server_name == "demo-tools"
    assert server.checked.server_version == "1.2.3"
    assert server.checked.tool_names == ["add", "echo", "weather", "pixel"]
    add = server.checked.tool("add")
    assert add["input_schema"]["properties"]["a"]["type"] == "integer"
    shown = checked.out if face.name == "cli" else repr(checked.result)
    assert f"protocol {mcp_server.revision}" in shown
    assert "add" in shown and "a: integer, b: integer" in shown
    called = face.run("mcp call tools add --arg a=2 --arg b=40")
    assert called.code == 0, called.err
    shown = called.out if face.name == "cli" else repr(called.result)
    assert shown.strip() == "42"


def test_call_results_json_and_image(face: Any, modern: Any) -> None:
    _start(face)
    face.run(f"mcp add tools {modern.url}")
    assert face.run("mcp check tools").code == 0
    weather = face.run("mcp call tools weather --arg city=Paris --json")
    assert weather.code == 0, weather.err
    data = json.loads(weather.out)
    assert data["json"] == {"city": "Paris", "temperature_c": 21, "sky": "clear"}
    pixel = face.run("mcp call tools pixel")
    assert pixel.code == 0, pixel.err
    shown = pixel.out if face.name == "cli" else repr(pixel.result)
    assert "[image image/png, " in shown
    if face.name == "magic":
        html = pixel.result._repr_mimebundle_()["text/html"]
        assert "data:image/png;base64," in html


def test_check_json_lists_tools_with_schemas(face: Any, modern: Any) -> None:
    _start(face)
    face.run(f"mcp add tools {modern.url}")
    out = face.run("mcp check tools --json")
    assert out.code == 0, out.err
    data = json.loads(out.out)
    assert data["protocol"] == "2026-07-28"
    assert data["server_name"] == "demo-tools"
    assert "tools" in data["capabilities"]
    assert [t["name"] for t in data["tools"]] == ["add", "echo", "weather", "pixel"]
    assert data["tools"][1]["input_schema"]["required"] == ["text"]


def test_list_and_remove(face: Any, modern: Any) -> None:
    _start(face)
    face.run(f"mcp add tools {modern.url}")
    face.run(f"mcp add other {modern.url} --auth header --header X-Api-Key "
             "--secret env:OTHER_KEY")
    listed = face.run("mcp list --json")
    assert [s["name"] for s in json.loads(listed.out)] == ["tools", "other"]
    table = face.run("mcp list")
    shown = table.out if face.name == "cli" else repr(table.result)
    assert "header X-Api-Key: env:OTHER_KEY" in shown and "never" in shown
    removed = face.run("mcp remove other")
    assert removed.code == 0
    assert list(removed.connector.mcp) == ["tools"]


def test_cell_body_adds_servers(face: Any, modern: Any) -> None:
    _start(face)
    body = (f"- name: tools\n  url: {modern.url}\n"
            f"- name: secured\n  url: {modern.url}\n  auth: oauth\n  dcr: true\n"
            "  scopes: read write\n")
    out = face.run("mcp", cell=body)
    assert out.code == 0, out.err
    servers = out.connector.mcp
    assert list(servers) == ["tools", "secured"]
    assert servers["secured"].dcr and servers["secured"].scopes == ("read", "write")


def test_header_auth_reaches_the_server(face: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def wrap(app: Any) -> Any:
        async def recorder(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                seen.extend(v.decode() for k, v in scope["headers"] if k == b"x-api-key")
            await app(scope, receive, send)
        return recorder

    monkeypatch.setenv("MCP_KEY_FOR_TEST", "k-1234567890-secret")
    with McpTestServer(wrap=wrap) as srv:
        _start(face)
        face.run(f"mcp add keyed {srv.url} --header X-Api-Key --secret env:MCP_KEY_FOR_TEST")
        out = face.run("mcp check keyed")
        assert out.code == 0, out.err
    assert seen and set(seen) == {"k-1234567890-secret"}
    package = face.workdir / "pkg"
    if face.name == "cli":
        assert "k-1234567890-secret" not in (package / "connector.yaml").read_text()
    assert "k-1234567890-secret" not in out.out + out.err


# --------------------------------------------------------------------------- bad input


def test_literal_secret_is_refused_and_never_echoed(face: Any, modern: Any) -> None:
    _start(face)
    out = face.run(f"mcp add t {modern.url} --header X-Api-Key --secret sk_live_4242abcd")
    assert out.code == 2
    assert "reference" in out.error and "sk_live_4242abcd" not in out.out + out.err
    assert len(out.connector.mcp) == 0


def test_call_on_a_server_never_checked(face: Any, modern: Any) -> None:
    _start(face)
    face.run(f"mcp add tools {modern.url}")
    out = face.run("mcp call tools add --arg a=1 --arg b=2")
    assert out.code == 2
    assert "never checked" in out.error and "check the server first" in out.error


def test_invalid_tool_input_shows_the_servers_error(face: Any, modern: Any) -> None:
    _start(face)
    face.run(f"mcp add tools {modern.url}")
    face.run("mcp check tools")
    before = face.connector.to_dict()
    out = face.run("mcp call tools add --arg a=notanumber --arg b=2")
    assert out.code == 2
    assert "Tool 'add' of MCP server 'tools' failed" in out.error
    assert "valid integer" in out.error
    assert face.connector.to_dict() == before
    unknown = face.run("mcp call tools ad")
    assert unknown.code == 2 and "did you mean add?" in unknown.error


def test_unreachable_server_leaves_the_connector_as_it_was(face: Any) -> None:
    from tests.servers import free_port

    _start(face)
    face.run(f"mcp add gone http://127.0.0.1:{free_port()}/mcp")
    before = face.connector.to_dict()
    out = face.run("mcp check gone")
    assert out.code == 2
    assert "cannot be reached" in out.error
    assert face.connector.to_dict() == before


def test_oauth_with_dcr_through_the_faces(face: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from nbconnect.notebook.commands import Session
    from nbconnect.verbs.workspace import Workspace

    with McpOAuthSetup() as setup:
        agent = setup.agent
        monkeypatch.setattr(Workspace, "show_link", lambda self, url: agent(url))
        monkeypatch.setattr(Session, "show_link", lambda self, url: agent(url))
        _start(face)
        face.run(f"mcp add secured {setup.url} --auth oauth --dcr")
        checked = face.run("mcp check secured")
        assert checked.code == 0, checked.err
        server = checked.connector.mcp["secured"]
        assert server.registered and server.client_id in setup.auth_server.clients
        # no OS keyring here: a public client, so no secret can be lost with the process
        assert server.client_secret is None
        assert setup.registrations[0]["token_endpoint_auth_method"] == "none"
        shown = checked.out if face.name == "cli" else repr(checked.result)
        assert "protected resource metadata (RFC 9728)" in shown
        assert "issuer check (RFC 8414 §3.3)" in shown
        called = face.run("mcp call secured add --arg a=1 --arg b=1")
        assert called.code == 0, called.err
        tokens = list(setup.auth_server.tokens)
        texts = checked.out + checked.err + called.out + called.err
        if face.name == "cli":
            texts += (face.workdir / "pkg" / "connector.yaml").read_text()
        for value in tokens:
            assert value not in texts


def test_the_form_adds_and_checks_a_server(ip: Any, modern: Any) -> None:
    from nbconnect.notebook.mcpview import McpForm

    session = ip.magics_manager.registry["ConnectMagics"].session
    session.set_connector(nbconnect.Connector(name="demo"))
    form = ip.run_line_magic("connect", "mcp add")
    assert isinstance(form, McpForm)
    form.name.value, form.url.value = "tools", modern.url
    form.submit(check=True)
    assert form.outcome == "checked", form.status.value
    assert session.connector.mcp["tools"].checked.protocol == "2026-07-28"
    html = form.output.outputs[0]["data"]["text/html"]
    assert html.count("<details>") >= 4 and "&quot;integer&quot;" in html
    # a pasted value in a secret field is cleared and refused; nothing is added
    again = McpForm(session.connector)
    again.name.value, again.url.value, again.auth.value = "keyed", modern.url, "header"
    again.header.value, again.secret.value = "X-Api-Key", "pasted-value-9876543210"
    again.submit()
    assert again.outcome == "failed" and again.secret.value == ""
    assert "pasted-value-9876543210" not in again.status.value
    assert list(session.connector.mcp) == ["tools"]
    # a bad URL: one message, nothing added
    bad = McpForm(session.connector)
    bad.name.value, bad.url.value = "bad", "ftp://nowhere.example/mcp"
    bad.submit()
    assert bad.outcome == "failed" and "absolute http(s)" in bad.status.value
    assert list(session.connector.mcp) == ["tools"]
    # oauth: its fields appear with the choice, and are stored as given
    oauth = McpForm(session.connector)
    oauth.auth.value = "oauth"
    assert oauth.dcr in oauth.fields.children and oauth.header not in oauth.fields.children
    oauth.name.value, oauth.url.value = "secured", modern.url
    oauth.dcr.value, oauth.scopes.value = True, "read write"
    oauth.metadata_url.value = "https://app.example/oauth/client.json"
    oauth.submit()
    stored = session.connector.mcp["secured"]
    assert (stored.auth, stored.dcr, stored.scopes) == ("oauth", True, ("read", "write"))
    assert stored.client_metadata_url == "https://app.example/oauth/client.json"


def test_views_show_tools_with_expandable_schemas(ip: Any, modern: Any) -> None:
    session = ip.magics_manager.registry["ConnectMagics"].session
    session.set_connector(nbconnect.Connector(name="demo"))
    ip.run_line_magic("connect", f"mcp add tools {modern.url}")
    view = ip.run_line_magic("connect", "mcp check tools")
    bundle = view._repr_mimebundle_()
    assert bundle["text/plain"].startswith("MCP server tools: demo-tools 1.2.3, protocol "
                                           "2026-07-28")
    assert "<details><summary>a: integer, b: integer</summary>" in bundle["text/html"]
    listed = ip.run_line_magic("connect", "mcp list")._repr_mimebundle_()
    assert "2026-07-28, 4 tools" in listed["text/plain"] and "<table" in listed["text/html"]


def test_python_results_display_in_the_notebook(ip: Any, modern: Any) -> None:
    c = nbconnect.Connector(name="demo")
    c.mcp.add("tools", modern.url)
    result = c.mcp.check("tools")
    data, _ = ip.display_formatter.format(result)
    assert data["text/plain"].startswith("MCP server tools: demo-tools 1.2.3")
    assert "<details>" in data["text/html"]
    pixel = c.mcp["tools"].call("pixel")
    data, _ = ip.display_formatter.format(pixel)
    assert "data:image/png;base64," in data["text/html"]
    assert data["text/plain"] == "ToolResult(server='tools', tool='pixel', images=['image/png'])"


def test_show_json_lists_the_mcp_servers(face: Any, modern: Any) -> None:
    _start(face)
    face.run(f"mcp add tools {modern.url}")
    face.run(f"mcp add other {modern.url} --auth header --header X-Api-Key "
             "--secret env:OTHER_KEY")
    shown = face.run("show --json")
    assert shown.code == 0, shown.err
    servers = json.loads(shown.out)["mcp"]
    assert [s["name"] for s in servers] == ["tools", "other"]
    assert servers[1] == {"name": "other", "url": modern.url, "auth": "header",
                          "header": "X-Api-Key", "secret": "env:OTHER_KEY"}


def test_mcp_server_is_a_model_name() -> None:
    from nbconnect.model import McpServer, McpServers
    from nbconnect.model.mcpserver import McpServer as Defined

    assert McpServer is Defined and McpServers.__name__ == "McpServers"


def test_an_authorization_never_approved_waits_auth_timeout(face: Any,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    from nbconnect.notebook.commands import Session
    from nbconnect.verbs.workspace import Workspace

    with McpOAuthSetup() as setup:
        links: list[str] = []
        monkeypatch.setattr(Workspace, "show_link", lambda self, url: links.append(url))
        monkeypatch.setattr(Session, "show_link", lambda self, url: links.append(url))
        _start(face)
        face.run(f"mcp add secured {setup.url} --auth oauth --dcr")
        checked = face.run("mcp check secured --auth-timeout 2")
        assert checked.code != 0 and len(links) == 1
        assert "No authorization redirect arrived within 2 seconds" in checked.err
        assert "--auth-timeout" in checked.err if face.name == "cli" else True
        assert checked.connector.mcp["secured"].checked is None


def test_the_call_form_calls_a_tool(ip: Any, modern: Any) -> None:
    from nbconnect.notebook.mcpview import McpCallForm

    session = ip.magics_manager.registry["ConnectMagics"].session
    session.set_connector(nbconnect.Connector(name="demo"))
    empty = ip.run_line_magic("connect", "mcp call")
    assert isinstance(empty, McpCallForm) and "check one first" in empty.status.value
    assert empty.call() is None and "Choose a checked MCP server" in empty.status.value
    ip.run_line_magic("connect", f"mcp add tools {modern.url}")
    ip.run_line_magic("connect", "mcp check tools")
    form = ip.run_line_magic("connect", "mcp call")
    assert form.server.value == "tools"
    assert list(form.tool.options) == ["add", "echo", "weather", "pixel"]
    assert list(form.arguments) == ["a", "b"] and form.arguments["a"].description == "a *"
    form.arguments["a"].value, form.arguments["b"].value = "2", "40"
    assert form.call().value == 42
    assert "42" in form.output.outputs[0]["data"]["text/plain"]
    form.tool.value = "weather"
    assert list(form.arguments) == ["city"]
    form.arguments["city"].value = "Lima"
    assert form.call().json["city"] == "Lima"
    # the server's refusal: one sentence, nothing changes
    before = session.connector.to_dict()
    form.tool.value = "add"
    form.arguments["a"].value, form.arguments["b"].value = "x", "1"
    assert form.call() is None and "failed" in form.status.value
    assert session.connector.to_dict() == before
