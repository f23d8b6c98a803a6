"""No secret of the MCP work shows anywhere: after dynamic client registration, a check, a
remote tool call and a served tool call through the notebook face (magics, the add form,
``mcp serve`` in the background), the registered client's secret, the access and refresh
tokens and the API key are searched for in every output, log, view, widget state, the
exported package and the session's connector data."""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

import anyio
import pytest
from tests.mcpservers import McpOAuthSetup

import nbconnect
from nbconnect.mcp import tokens


@pytest.fixture
def memory_keyring() -> Any:
    """An OS keyring in memory, so registration makes a confidential client whose secret
    exists (the strongest case for this test)."""
    import keyring
    from tests.test_secrets import MemoryKeyring

    old = keyring.get_keyring()
    store = MemoryKeyring()
    keyring.set_keyring(store)
    yield store
    keyring.set_keyring(old)
    tokens.clear_tokens()


def _served_call(url: str, header: str) -> Any:
    """Call ``getTask`` on the served connector with the SDK's client over Streamable HTTP,
    the client sending its own Authorization header."""
    import httpx2
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def go() -> Any:
        async with httpx2.AsyncClient(headers={"Authorization": header}, timeout=60) as http, \
                streamable_http_client(url, http_client=http) as (read, write, *_), \
                ClientSession(read, write) as session:
            await session.initialize()
            return await session.call_tool("getTask", {"projectId": "p_launch", "taskId": 7})

    return anyio.run(go)


def test_no_secret_in_any_output_package_or_state(ip: Any, tmp_path: Any, capsys: Any,
                                                  caplog: Any, monkeypatch: Any,
                                                  memory_keyring: Any) -> None:
    from ipywidgets.widgets.widget import _instances

    from nbconnect.mock.server import MockServer
    from nbconnect.notebook.commands import Session
    from nbconnect.notebook.mcpview import McpForm
    from nbconnect.verbs.connection import add_connection
    from nbconnect.verbs.grammar import make_connection

    caplog.set_level(logging.DEBUG)
    api_key = "sk-" + secrets.token_hex(12)
    client_header = "Bearer client-" + secrets.token_hex(12)
    monkeypatch.setenv("MCP_SECRETS_KEY", api_key)
    c = nbconnect.Connector(name="demo")
    c.import_spec(nbconnect.demo_spec_path())
    session = ip.magics_manager.registry["ConnectMagics"].session
    shown: list[str] = []
    with McpOAuthSetup() as setup, MockServer(c, credentials={"api-key": api_key}) as mock:
        monkeypatch.setattr(Session, "show_link", lambda self, url: setup.agent(url))
        add_connection(c, make_connection("mock", base_url=mock.url,
                                          secrets={"value": "env:MCP_SECRETS_KEY"},
                                          auth=c.auth))
        session.set_connector(c)
        form = McpForm(session.connector, open_url=setup.agent)
        form.name.value, form.url.value, form.auth.value = "secured", setup.url, "oauth"
        form.dcr.value = True
        form.submit(check=True)
        assert form.outcome == "checked", form.status.value
        server = session.connector.mcp["secured"]
        assert server.registered and server.client_secret  # a confidential client
        results = {}
        for line in ("mcp check secured", "mcp call secured add --arg a=1 --arg b=2",
                     "mcp list", "show --json", "mcp serve"):
            results[line] = result = ip.run_line_magic("connect", line)
            shown.append(repr(result))
            bundle = getattr(result, "_repr_mimebundle_", None)
            if bundle is not None:
                shown.append(json.dumps(bundle(), default=str))
        answer = _served_call(results["mcp serve"].url, client_header)
        assert not answer.is_error, answer
        assert answer.structured_content["status"] == 200
        shown.append(answer.model_dump_json())
        ip.run_line_magic("connect", "mcp serve --stop")
        registered = setup.auth_server.clients[server.client_id].client_secret
        held = tokens.stored_tokens(server.url, server.client_id)
        values = {"client secret": registered, "access token": held.access_token,
                  "refresh token": held.refresh_token, "API key": api_key}
        assert all(values.values())
        session.connector.export(tmp_path / "pkg")
        shown += [p.read_text(errors="replace") for p in (tmp_path / "pkg").rglob("*")
                  if p.is_file()]
        shown.append(json.dumps(session.connector.to_dict(), default=str))
        shown.append(json.dumps(form.output.outputs, default=str) + form.status.value)
        for widget in list(_instances.values()):  # every live widget's state
            shown.append(json.dumps(widget.get_state(), default=str))
        out, err = capsys.readouterr()
        shown += [out, err]
        assert (f"Using the client registered earlier (dynamic registration) "
                f"{server.client_id} at {setup.issuer}.") in out
        # every log record but the test authorization server's own (authlib logs the
        # tokens it issues)
        shown += [r.getMessage() for r in caplog.records if not r.name.startswith("authlib")]
        assert any(r.name.startswith("mcp") for r in caplog.records)
        # the API saw the connection's key and never the MCP client's header
        everything = "\n".join(shown)
        assert "getTask" in everything and "/mcp" in everything
        for what, value in values.items():
            assert value not in everything, what
        assert client_header not in everything
