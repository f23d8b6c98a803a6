"""The MCP client core from Python: checking servers in both revisions, bad peers, tool calls
and their results, the model and the package (no secret values), against real SDK servers."""

from __future__ import annotations

from typing import Any

import pytest
from tests.mcpservers import (
    PNG_1X1,
    HangingServer,
    McpTestServer,
    html_server,
    json_server,
)

import nbconnect
from nbconnect.errors import (
    McpConfigError,
    McpConnectError,
    McpProtocolError,
    McpServerNotFoundError,
    McpToolError,
    PackageError,
)
from nbconnect.model.mcpserver import McpServer


@pytest.fixture(scope="module")
def servers() -> Any:
    with McpTestServer("2026-07-28") as modern, McpTestServer("2025-11-25") as legacy:
        yield {"2026-07-28": modern, "2025-11-25": legacy}


def _connector(url: str, **options: Any) -> Any:
    c = nbconnect.Connector(name="demo")
    c.mcp.add("tools", url, **options)
    return c


@pytest.mark.parametrize("revision", ["2026-07-28", "2025-11-25"])
def test_check_negotiates_each_revision(servers: Any, revision: str) -> None:
    c = _connector(servers[revision].url)
    result = c.mcp.check("tools")
    assert result.check.protocol == revision
    assert (result.check.server_name, result.check.server_version) == ("demo-tools", "1.2.3")
    assert "tools" in result.check.capabilities
    assert c.mcp["tools"].checked == result.check
    schemas = {t["name"]: t["input_schema"] for t in result.tools}
    assert schemas["echo"]["properties"]["text"]["type"] == "string"
    assert schemas["pixel"].get("properties") == {}
    assert "output_schema" in result.check.tool("add")


@pytest.mark.parametrize("revision", ["2026-07-28", "2025-11-25"])
def test_tool_results_text_json_and_images(servers: Any, revision: str) -> None:
    c = _connector(servers[revision].url)
    c.mcp.check("tools")
    added = c.mcp["tools"].call("add", a=20, b=22)
    assert added.value == 42 and added.texts == ["42"]
    echoed = c.mcp["tools"].call("echo", text="hé")
    assert echoed.value == "hé"
    weather = c.mcp["tools"].call("weather", city="Oslo")
    assert weather.json == {"city": "Oslo", "temperature_c": 21, "sky": "clear"}
    pixel = c.mcp["tools"].call("pixel")
    assert pixel.images == [("image/png", PNG_1X1)]
    assert pixel.to_dict()["images"][0]["mime_type"] == "image/png"


def test_round_trip_through_the_package(servers: Any, tmp_path: Any) -> None:
    c = _connector(servers["2026-07-28"].url)
    c.mcp.add("keyed", servers["2026-07-28"].url, auth="header", header="Authorization",
              secret="env:MCP_TOKEN")
    c.mcp.add("oauthy", servers["2026-07-28"].url, auth="oauth", client_id="app",
              client_secret="keyring:mcp-app", scopes=("read", "write"))
    c.mcp.check("tools")
    c.export(tmp_path / "pkg")
    again = nbconnect.load(tmp_path / "pkg")
    assert again == c
    assert again.mcp["tools"].checked.tool_names == ["add", "echo", "weather", "pixel"]
    assert again.mcp["oauthy"].scopes == ("read", "write")
    assert again.mcp["tools"].call("add", a=1, b=1).value == 2


def test_a_literal_secret_in_a_manifest_is_refused_without_echo(tmp_path: Any) -> None:
    c = nbconnect.Connector(name="demo")
    c.mcp.add("keyed", "https://mcp.example.com/mcp", auth="header", header="X-Key",
              secret="env:KEY")
    c.export(tmp_path / "pkg")
    manifest = tmp_path / "pkg" / "connector.yaml"
    text = manifest.read_text().replace("secret: env:KEY", "secret: sk_live_literal_value_42")
    manifest.write_text(text)
    with pytest.raises(PackageError) as info:
        nbconnect.load(tmp_path / "pkg")
    assert "sk_live_literal_value_42" not in info.value.full_text()
    text = text.replace("auth: header", "auth: oauth").replace("header: X-Key\n", "")
    text = text.replace("secret: sk_live_literal_value_42", "client_id: app\n"
                        "  client_secret: sk_live_literal_value_42")
    manifest.write_text(text)
    with pytest.raises(PackageError) as info:
        nbconnect.load(tmp_path / "pkg")
    assert "sk_live_literal_value_42" not in info.value.full_text()


@pytest.mark.parametrize(("options", "needle"), [
    ({"url": "ftp://x.example/mcp"}, "absolute http(s)"),
    ({"url": "http://mcp.example.com/mcp"}, "plain http"),
    ({"url": "https://u:p@mcp.example.com/mcp"}, "credentials"),
    ({"auth": "header", "header": "X-Key"}, "reference to the header's value"),
    ({"auth": "header", "secret": "env:K"}, "header name"),
    ({"auth": "header", "header": "X Key", "secret": "env:K"}, "header name"),
    ({"auth": "none", "dcr": True}, "OAuth settings"),
    ({"auth": "oauth", "client_secret": "env:S"}, "no client id"),
    ({"auth": "oauth", "client_metadata_url": "http://a.example/c.json"}, "https"),
    ({"auth": "oauth", "redirect_url": "https://app.example/cb"}, "loopback"),
    ({"auth": "kerberos"}, "not one of"),
])
def test_bad_definitions_are_refused_and_nothing_changes(options: dict[str, Any],
                                                         needle: str) -> None:
    c = nbconnect.Connector(name="demo")
    c.mcp.add("first", "https://mcp.example.com/mcp")
    before = c.to_dict()
    values = {"url": "https://mcp.example.com/mcp", **options}
    with pytest.raises(McpConfigError) as info:
        c.mcp.add("second", **values)
    assert needle in str(info.value)
    assert c.to_dict() == before


def test_names_are_unique_and_looked_up_with_a_hint() -> None:
    c = nbconnect.Connector(name="demo")
    c.mcp.add("tools", "https://mcp.example.com/mcp")
    with pytest.raises(McpConfigError):
        c.mcp.add("tools", "https://other.example.com/mcp")
    with pytest.raises(McpServerNotFoundError) as info:
        c.mcp["tool"]
    assert "did you mean tools?" in str(info.value)
    assert "tool" not in c.mcp and "tools" in c.mcp
    assert repr(c.mcp["tools"]) == ("McpServer(name='tools', url='https://mcp.example.com/mcp',"
                                    " auth='none', never checked)")


# --------------------------------------------------------------------------- bad peers


def _check_fails(url: str, error: type, needle: str, **options: Any) -> None:
    c = _connector(url)
    before = c.to_dict()
    with pytest.raises(error) as info:
        c.mcp.check("tools", **options)
    assert needle in str(info.value)
    assert c.to_dict() == before


def test_unreachable_url() -> None:
    from tests.servers import free_port

    _check_fails(f"http://127.0.0.1:{free_port()}/mcp", McpConnectError, "cannot be reached")


def test_html_page() -> None:
    with html_server() as srv:
        _check_fails(srv.url + "/mcp", McpConnectError, "answers an HTML page, not MCP")


def test_json_that_is_not_mcp() -> None:
    with json_server() as srv:
        _check_fails(srv.url + "/mcp", McpConnectError, "JSON that is not MCP")


def test_handshake_timeout() -> None:
    with HangingServer() as srv:
        _check_fails(srv.url, McpConnectError, "did not answer the MCP handshake within 1.5 "
                     "seconds", timeout=1.5)


def test_unsupported_protocol_version() -> None:
    with McpTestServer("none") as srv:
        _check_fails(srv.url, McpProtocolError, "speaks no protocol revision this client "
                     "knows (it speaks 2099-01-01)")


def test_a_server_asking_for_authorization_without_oauth_configured() -> None:
    from tests.mcpservers import McpOAuthSetup

    from nbconnect.errors import McpAuthError

    with McpOAuthSetup() as setup:
        _check_fails(setup.url, McpAuthError, "asks for authorization (HTTP 401) through the "
                     f"authorization server {setup.issuer}; use oauth authentication with "
                     "dynamic client registration")
    with McpOAuthSetup(dcr=False) as setup:
        _check_fails(setup.url, McpAuthError, "use oauth authentication with the client id "
                     f"of a client registered by hand at {setup.issuer}")
    with McpOAuthSetup(prm=False) as setup:
        _check_fails(setup.url, McpAuthError, "publishes no protected resource metadata")


def test_call_checks_come_first(servers: Any) -> None:
    c = _connector(servers["2026-07-28"].url)
    with pytest.raises(McpToolError) as info:
        c.mcp["tools"].call("add", a=1, b=2)
    assert "never checked" in str(info.value)
    c.mcp.check("tools")
    with pytest.raises(McpToolError) as info:
        c.mcp["tools"].call("substract", a=1, b=2)
    assert "no tool 'substract'" in str(info.value)
    with pytest.raises(McpToolError) as info:
        c.mcp["tools"].call("add", a=1)
    assert "Field required" in str(info.value) or "required" in str(info.value)


def test_arguments_are_typed_by_the_input_schema() -> None:
    from nbconnect.mcp.calls import parse_arguments

    tool = {"input_schema": {"properties": {
        "n": {"type": "integer"}, "s": {"type": "string"}, "f": {"type": "number"},
        "b": {"type": "boolean"}, "o": {"type": "object"}, "u": {"type": ["integer", "null"]}}}}
    args = parse_arguments(["n=3", "s=3", "f=2.5", "b=true", 'o={"k": 1}', "u=null",
                            "x=[1]", "n2=word"], tool)
    assert args == {"n": 3, "s": "3", "f": 2.5, "b": True, "o": {"k": 1}, "u": None,
                    "x": [1], "n2": "word"}
    assert parse_arguments(["n=abc"], tool) == {"n": "abc"}  # the server says what is wrong
    with pytest.raises(McpToolError):
        parse_arguments(["novalue"], tool)


def test_server_data_is_plain_and_validated() -> None:
    server = McpServer("t", "http://localhost:9/mcp", auth="oauth", dcr=True,
                       scopes="read write")
    assert server.scopes == ("read", "write")
    assert McpServer.from_dict(server.to_dict()) == server
    with pytest.raises(McpConfigError) as info:
        McpServer.from_dict({"name": "t", "url": "https://a.example/mcp", "colour": "red"})
    assert "unknown keys colour" in str(info.value)


def test_a_wrong_header_value_is_named(servers: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.mcpservers import McpOAuthSetup

    from nbconnect.errors import McpAuthError

    monkeypatch.setenv("WRONG_MCP_TOKEN", "Bearer not-a-token-0123456789")
    with McpOAuthSetup() as setup:
        c = nbconnect.Connector(name="demo")
        c.mcp.add("keyed", setup.url, auth="header", header="Authorization",
                  secret="env:WRONG_MCP_TOKEN")
        with pytest.raises(McpAuthError) as info:
            c.mcp.check("keyed")
        assert "refused the Authorization header (HTTP 401); check the value " \
               "env:WRONG_MCP_TOKEN refers to" in str(info.value)
        assert "not-a-token-0123456789" not in info.value.full_text()


def test_oauth_on_a_server_that_asks_for_nothing(servers: Any) -> None:
    c = _connector(servers["2026-07-28"].url, auth="oauth", dcr=True)
    result = c.mcp.check("tools", open_url=lambda url: pytest.fail("no browser"))
    assert result.notes == ["MCP server 'tools' asked for no authorization; no client was "
                            "needed."]
    assert [s.found for s in result.discovery.steps] == ["no authorization asked for"]
    assert not c.mcp["tools"].registered


def test_a_tool_slower_than_the_timeout() -> None:
    import anyio
    from mcp.server.mcpserver import MCPServer

    slow = MCPServer("slow-tools", version="1")

    @slow.tool(description="Sleep, then answer.")
    async def nap(seconds: float) -> str:
        await anyio.sleep(seconds)
        return "awake"

    with McpTestServer(server=slow) as srv:
        c = _connector(srv.url)
        c.mcp.check("tools")
        from nbconnect.mcp.calls import call_tool

        with pytest.raises(McpConnectError) as info:
            call_tool(c.mcp["tools"], "nap", {"seconds": 5}, timeout=1)
        assert "did not answer within 1 seconds; allow a longer timeout" in str(info.value)
        assert call_tool(c.mcp["tools"], "nap", {"seconds": 0}).value == "awake"


def test_a_server_whose_revision_changed_since_its_check(servers: Any) -> None:
    from dataclasses import replace

    c = _connector(servers["2026-07-28"].url)
    c.mcp.check("tools")
    moved = replace(c.mcp["tools"], url=servers["2025-11-25"].url)  # now 2025-11-25 only
    assert moved.call("add", a=1, b=2).value == 3
    c.mcp.add("old", servers["2025-11-25"].url)
    c.mcp.check("old")
    upgraded = replace(c.mcp["old"], url=servers["2026-07-28"].url)
    assert upgraded.call("add", a=2, b=2).value == 4


def test_oauth_discovery_against_bad_peers() -> None:
    from tests.servers import free_port

    with HangingServer() as srv:
        c = _connector(srv.url, auth="oauth", dcr=True)
        with pytest.raises(McpConnectError) as info:
            c.mcp.check("tools", timeout=1.5)
        assert "did not answer within 1.5 seconds" in str(info.value)
    c = _connector(f"http://127.0.0.1:{free_port()}/mcp", auth="oauth", dcr=True)
    with pytest.raises(McpConnectError) as info:
        c.mcp.check("tools")
    assert "cannot be reached (ConnectError)" in str(info.value)


def test_a_header_secret_is_sent_and_never_shown(monkeypatch: pytest.MonkeyPatch,
                                                 caplog: Any, capsys: Any) -> None:
    import logging

    value = "Bearer hdr-s3cret-Zq81-never-shown-0123456789"
    seen: list[str] = []

    def wrap(app: Any) -> Any:
        async def recorder(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                seen.extend(v.decode() for k, v in scope["headers"] if k == b"authorization")
            await app(scope, receive, send)
        return recorder

    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("HDR_MCP_TOKEN", value)
    with McpTestServer(wrap=wrap) as srv:
        c = _connector(srv.url, auth="header", header="Authorization", secret="env:HDR_MCP_TOKEN")
        result = c.mcp.check("tools")
        answer = c.mcp["tools"].call("echo", text="x")
    assert set(seen) == {value}
    out, err = capsys.readouterr()
    shown = "\n".join([repr(result), repr(answer), repr(c.mcp["tools"]), str(c.to_dict()),
                       out, err, caplog.text])
    assert "hdr-s3cret-Zq81" not in shown


def test_an_unset_header_secret_is_named(servers: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from nbconnect.errors import SecretError

    monkeypatch.delenv("NOT_SET_MCP_TOKEN", raising=False)
    c = _connector(servers["2026-07-28"].url, auth="header", header="X-Api-Key",
                   secret="env:NOT_SET_MCP_TOKEN")
    before = c.to_dict()
    with pytest.raises(SecretError) as info:
        c.mcp.check("tools")
    assert "Environment variable NOT_SET_MCP_TOKEN is not set" in str(info.value)
    assert "(MCP server 'tools' field 'secret' refers to env:NOT_SET_MCP_TOKEN)" in \
        str(info.value)
    assert c.to_dict() == before
