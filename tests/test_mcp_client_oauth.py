"""OAuth-protected remote MCP servers from Python: discovery step by step, client registration
(dynamic, pre-registered, client ID metadata document), authorization code + PKCE through the
loopback listener with httpx2 as the user's browser, refresh, and every bad case. The servers
are real: the SDK's MCP server behind a bearer check, and an authlib authorization server."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from tests.mcpservers import McpOAuthSetup

import nbconnect
from nbconnect.errors import McpAuthError, McpRegistrationError
from nbconnect.mcp import tokens


class Browser:
    """The user's browser: records every authorization URL, then approves (or denies,
    as the authorization server decides)."""

    def __init__(self, setup: McpOAuthSetup) -> None:
        self.setup = setup
        self.urls: list[str] = []

    def __call__(self, url: str) -> None:
        self.urls.append(url)
        self.setup.agent(url)

    @property
    def params(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.urls[-1]).query)


def _no_browser(url: str) -> None:
    raise AssertionError("the browser was not expected to open")


def _connector(setup: McpOAuthSetup, **options: Any) -> Any:
    c = nbconnect.Connector(name="demo")
    c.mcp.add("secured", setup.url, auth="oauth", **options)
    return c


@pytest.mark.parametrize("revision", ["2026-07-28", "2025-11-25"])
def test_check_to_tool_call_with_dcr_and_pkce(revision: str) -> None:
    with McpOAuthSetup(revision) as setup:
        c = _connector(setup, dcr=True, scopes=("read",))
        browser = Browser(setup)
        result = c.mcp.check("secured", open_url=browser)
        assert result.check.protocol == revision
        steps = [(s.what, s.status) for s in result.discovery.steps]
        assert steps == [
            ("MCP request without credentials", 401),
            ("protected resource metadata (RFC 9728)", 200),
            ("resource check (RFC 9728 §3.3)", None),
            ("authorization server metadata (RFC 8414)", 200),
            ("issuer check (RFC 8414 §3.3)", None)]
        assert "registration_endpoint=" in result.discovery.steps[-1].found
        # one registration (RFC 7591) of a native client on a loopback redirect
        assert len(setup.registrations) == 1
        registered = setup.registrations[0]
        assert registered["redirect_uris"][0].startswith("http://127.0.0.1:")
        assert registered["client_name"] == "nbconnect"
        # authorization code + PKCE S256 + state + the resource parameter (RFC 8707)
        params = browser.params
        assert params["code_challenge_method"] == ["S256"]
        assert len(params["code_challenge"][0]) == 43 and params["state"]
        assert params["resource"] == [setup.url]
        assert params["client_id"] == [c.mcp["secured"].client_id]
        assert setup.auth_server.grants() == ["authorization_code"]
        server = c.mcp["secured"]
        assert server.registered and server.checked.tool_names[0] == "add"
        # the token is reused: no second authorization for the call
        from nbconnect.mcp.calls import call_tool

        assert call_tool(server, "add", {"a": 2, "b": 3}, open_url=_no_browser).value == 5
        assert len(browser.urls) == 1
        assert all(auth.startswith("Bearer ") for path, auth in setup.mcp_requests
                   if path == "/mcp" and auth)


def test_an_expired_token_is_refreshed_without_the_browser() -> None:
    from nbconnect.mcp.calls import call_tool

    with McpOAuthSetup() as setup:
        c = _connector(setup, dcr=True)
        c.mcp.check("secured", open_url=Browser(setup))
        server = c.mcp["secured"]
        old = tokens.stored_tokens(server.url, server.client_id).access_token
        setup.auth_server.advance(7200)  # the server's clock: the access token is expired
        assert tokens.expire_tokens(server.url, server.client_id)
        assert call_tool(server, "echo", {"text": "hi"}, open_url=_no_browser).value == "hi"
        assert setup.auth_server.grants() == ["authorization_code", "refresh_token"]
        new = tokens.stored_tokens(server.url, server.client_id).access_token
        assert new != old


def test_openid_discovery_location_is_tried_too() -> None:
    with McpOAuthSetup(oidc=True) as setup:
        c = _connector(setup, dcr=True)
        result = c.mcp.check("secured", open_url=Browser(setup))
        found = [(s.url.replace(setup.issuer, "AS"), s.status) for s in result.discovery.steps
                 if s.what.startswith("authorization server metadata")]
        assert found == [("AS/.well-known/oauth-authorization-server", 404),
                         ("AS/.well-known/openid-configuration", 200)]
        assert c.mcp["secured"].call("add", a=1, b=2).value == 3


def test_pre_registered_client_is_used_without_registration(monkeypatch: Any) -> None:
    monkeypatch.setenv("MCP_APP_SECRET", "s3cr3t-app-client-value-0123456789")
    with McpOAuthSetup(dcr=False) as setup:
        setup.auth_server.add_client("app", "s3cr3t-app-client-value-0123456789",
                                     auth_methods=("client_secret_basic",),
                                     redirect_uris=("http://127.0.0.1/callback",))
        c = _connector(setup, client_id="app", client_secret="env:MCP_APP_SECRET")
        result = c.mcp.check("secured", open_url=Browser(setup))
        assert setup.registrations == []
        assert result.notes == [f"Using the pre-registered client app at {setup.issuer}."]
        assert setup.auth_server.token_requests[0]["basic"] is True
        assert not c.mcp["secured"].registered


def test_client_id_metadata_document() -> None:
    url = "https://app.example/oauth/nbconnect.json"
    with McpOAuthSetup(dcr=False, cimd=True) as setup:
        setup.accept_metadata_document(url)
        c = _connector(setup, client_metadata_url=url)
        result = c.mcp.check("secured", open_url=Browser(setup))
        assert setup.registrations == []
        assert "client ID metadata document" in result.notes[0]
        assert "client ID metadata documents" in result.discovery.steps[-1].found
        assert result.check.tool_names[0] == "add"


@pytest.fixture
def memory_keyring() -> Any:
    import keyring
    from tests.test_secrets import MemoryKeyring

    old = keyring.get_keyring()
    store = MemoryKeyring()
    keyring.set_keyring(store)
    yield store
    keyring.set_keyring(old)
    tokens.clear_tokens()


def test_without_a_keyring_dcr_registers_a_public_client() -> None:
    with McpOAuthSetup() as setup:
        c = _connector(setup, dcr=True)
        result = c.mcp.check("secured", open_url=Browser(setup))
        assert setup.registrations[0]["token_endpoint_auth_method"] == "none"
        assert c.mcp["secured"].client_secret is None
        assert "public client" in result.notes[-1]
        assert setup.auth_server.token_requests[0]["basic"] is False


def test_tokens_and_registered_secret_never_show(tmp_path: Any, capsys: Any, caplog: Any,
                                                 memory_keyring: Any) -> None:
    import logging

    from nbconnect.auth.redaction import redact

    caplog.set_level(logging.DEBUG)
    with McpOAuthSetup() as setup:
        c = _connector(setup, dcr=True)
        result = c.mcp.check("secured", open_url=Browser(setup))
        server = c.mcp["secured"]
        answer = server.call("weather", city="Lima")
        c.export(tmp_path / "pkg")
        secret = setup.auth_server.clients[server.client_id].client_secret
        token = tokens.stored_tokens(server.url, server.client_id)
        values = [secret, token.access_token, token.refresh_token]
        from nbconnect.mcp.text import check_json, check_text

        shown = "\n".join([repr(result), repr(server), repr(answer), check_text(result),
                           str(check_json(result)), repr(c)])
        shown += "".join(p.read_text() for p in (tmp_path / "pkg").rglob("*") if p.is_file())
        out, err = capsys.readouterr()
        logged = "\n".join(r.getMessage() for r in caplog.records if
                           r.name.startswith(("nbconnect", "mcp", "httpx")))
        shown += out + err + logged
        assert "POST" in logged or "HTTP Request" in logged  # the client's logging was seen
        for value in values:
            assert value and value not in shown
            assert value not in redact(f"x {value} y")


# --------------------------------------------------------------------------- bad input


def _fails(setup: McpOAuthSetup, error: type, needle: str, **options: Any) -> Any:
    c = _connector(setup, **options)
    before = c.to_dict()
    with pytest.raises(error) as info:
        c.mcp.check("secured", open_url=Browser(setup))
    assert needle in str(info.value), str(info.value)
    assert c.to_dict() == before
    return info.value


def test_registration_not_offered() -> None:
    with McpOAuthSetup(dcr=False) as setup:
        exc = _fails(setup, McpRegistrationError, f"register a client by hand at "
                     f"{setup.issuer}", dcr=True)
        assert "no registration_endpoint" in str(exc)


def test_registration_offered_but_not_enabled() -> None:
    with McpOAuthSetup() as setup:
        _fails(setup, McpRegistrationError, f"offers dynamic client registration at "
               f"{setup.issuer}/register; enable dynamic registration")
        assert setup.registrations == []


def test_registration_refused() -> None:
    with McpOAuthSetup(refuse_registration=True) as setup:
        _fails(setup, McpRegistrationError, "refused to register a client", dcr=True)


def test_authorization_denied() -> None:
    with McpOAuthSetup(deny=True) as setup:
        _fails(setup, McpAuthError, "refused the authorization: access_denied", dcr=True)


def test_401_with_no_discoverable_metadata() -> None:
    with McpOAuthSetup(prm=False) as setup:
        exc = _fails(setup, McpAuthError, "publishes no protected resource metadata",
                     dcr=True)
        assert [d.split(":")[0] for d in exc.details] == [
            "1. MCP request without credentials", "2. protected resource metadata (RFC 9728)",
            "3. protected resource metadata (RFC 9728)",
            "4. authorization server metadata (RFC 8414)"]
        assert setup.registrations == []


def test_resource_that_does_not_match() -> None:
    with McpOAuthSetup(resource="https://elsewhere.example/mcp") as setup:
        exc = _fails(setup, McpAuthError, "names the resource https://elsewhere.example/mcp",
                     dcr=True)
        assert "does not match" in exc.details[-1]


def test_issuer_that_does_not_match() -> None:
    with McpOAuthSetup(issuer="https://evil.example") as setup:
        exc = _fails(setup, McpAuthError, "names the issuer https://evil.example", dcr=True)
        assert "does not match" in exc.details[-1]
        assert setup.registrations == []


def test_metadata_document_not_supported() -> None:
    with McpOAuthSetup(dcr=False) as setup:
        _fails(setup, McpRegistrationError, "does not accept client ID metadata documents",
               client_metadata_url="https://app.example/oauth/nbconnect.json")


def test_keyring_keeps_the_client_secret_and_tokens_for_a_later_process(
        tmp_path: Any, memory_keyring: Any) -> None:
    from nbconnect.mcp.calls import call_tool

    store = memory_keyring
    with McpOAuthSetup() as setup:
        c = _connector(setup, dcr=True)
        c.mcp.check("secured", open_url=Browser(setup))
        server = c.mcp["secured"]
        assert server.client_secret == "keyring:nbconnect-mcp-secured-client-secret"
        secret = setup.auth_server.clients[server.client_id].client_secret
        assert store.get_password("nbconnect", "nbconnect-mcp-secured-client-secret") \
            == secret
        c.export(tmp_path / "pkg")
        tokens.clear_tokens()  # a later process: only the package and the keyring
        later = nbconnect.load(tmp_path / "pkg").mcp["secured"]
        assert call_tool(later, "add", {"a": 1, "b": 2}, open_url=_no_browser).value == 3
        tokens.clear_tokens()
        tokens_kept = [k for (_, k) in store.store if k.startswith("nbconnect-mcp-token-")]
        assert len(tokens_kept) == 1
        assert all(secret not in p.read_text() for p in (tmp_path / "pkg").rglob("*.yaml"))


def test_a_fresh_token_the_server_still_refuses() -> None:
    with McpOAuthSetup(reject_tokens=True) as setup:
        browser = Browser(setup)
        c = _connector(setup, dcr=True)
        with pytest.raises(McpAuthError) as info:
            c.mcp.check("secured", open_url=browser)
        assert "asked for a new authorization right after one" in str(info.value)
        assert len(browser.urls) == 1  # the user is asked once
        assert not c.mcp["secured"].registered
