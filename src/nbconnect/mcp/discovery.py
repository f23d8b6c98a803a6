"""Authorization discovery of a remote MCP server, step by step (MCP authorization spec).

:func:`discover` walks what an MCP client does before it can authorize, and records every
request as a :class:`Step` so a failing setup can be debugged:

1. an unauthenticated request to the server; a ``401`` carries ``WWW-Authenticate`` whose
   ``resource_metadata`` parameter points at the protected resource metadata (RFC 9728 §5.1);
2. the protected resource metadata, at that URL or else at the ``/.well-known/
   oauth-protected-resource`` locations (path-aware, then root; RFC 9728 §3); its
   ``resource`` must name this server (RFC 9728 §3.3, RFC 8707);
3. the authorization server's metadata at every well-known location (RFC 8414 §3 path-aware
   and root, OpenID Connect Discovery 1.0 both ways); its ``issuer`` must be the
   authorization server the resource named (RFC 8414 §3.3);
4. what it offers: a registration endpoint (RFC 7591), client ID metadata documents, PKCE
   ``S256`` (RFC 7636).

The candidate URLs, the metadata models and the resource/issuer rules are the ``mcp`` SDK's
own (``mcp.client.auth.utils``, ``mcp.shared.auth``), the same ones its
``OAuthClientProvider`` uses when it authorizes; this module only makes each step visible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import McpAuthError, McpConnectError, clip

__all__ = ["Discovery", "Step", "discover"]

_PROBE = {"jsonrpc": "2.0", "id": 0, "method": "ping"}


@dataclass(frozen=True)
class Step:
    """One discovery request: what was looked for, where, and what came back."""

    what: str
    url: str
    status: int | None
    found: str

    def line(self) -> str:
        if self.status is None:
            return f"{self.what}: {self.url}: {self.found}"
        return f"{self.what}: {self.url} -> HTTP {self.status}: {self.found}"


@dataclass
class Discovery:
    """What :func:`discover` found: the steps, and the metadata (SDK models) when found.

    ``requires_auth`` is False when the server answered without asking for credentials;
    ``resource_metadata`` is the RFC 9728 document, ``server_metadata`` the RFC 8414 one.
    """

    url: str
    steps: list[Step] = field(default_factory=list)
    requires_auth: bool = True
    resource_metadata: Any = None
    server_metadata: Any = None
    scope: str | None = None

    @property
    def issuer(self) -> str | None:
        return str(self.server_metadata.issuer) if self.server_metadata is not None else None

    @property
    def registration_endpoint(self) -> str | None:
        meta = self.server_metadata
        return str(meta.registration_endpoint) if meta is not None and \
            meta.registration_endpoint else None

    @property
    def client_id_metadata_documents(self) -> bool:
        meta = self.server_metadata
        return bool(meta is not None and meta.client_id_metadata_document_supported)

    @property
    def authorization_server(self) -> str | None:
        prm = self.resource_metadata
        if prm is not None and prm.authorization_servers:
            return str(prm.authorization_servers[0])
        return self.issuer

    def lines(self) -> list[str]:
        """The steps, one line each, numbered."""
        return [f"{i}. {s.line()}" for i, s in enumerate(self.steps, 1)]

    def text(self) -> str:
        return "\n".join(self.lines())


def _get(client: Any, what: str, url: str, found: Discovery, method: str = "GET",
         **kwargs: Any) -> Any:
    import httpx2

    try:
        response = client.request(method, url, **kwargs)
    except httpx2.HTTPError as exc:
        found.steps.append(Step(what, url, None, f"no answer ({type(exc).__name__})"))
        return None
    return response


def _json_model(model: Any, response: Any) -> tuple[Any, str]:
    """(the parsed model or None, why not)."""
    from pydantic import ValidationError

    if response is None:
        return None, "no answer"
    if response.status_code != 200:
        return None, "not here"
    ctype = response.headers.get("content-type", "")
    if "json" not in ctype:
        return None, f"not JSON ({clip(ctype, 40) or 'no content type'})"
    try:
        return model.model_validate_json(response.content), ""
    except ValidationError as exc:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())) or "document"
        return None, f"not valid metadata ({where}: {clip(first.get('msg', ''), 60)})"


def discover(url: str, *, timeout: float = 10.0, verify: Any = True,
             headers: dict[str, str] | None = None) -> Discovery:
    """Run the discovery steps against the MCP server at ``url``; returns a
    :class:`Discovery` whose ``steps`` say what each request found.

    Raises :class:`~nbconnect.errors.McpConnectError` when the server cannot be reached,
    and :class:`~nbconnect.errors.McpAuthError` (its ``details`` are the steps) when a
    ``401`` leads to no metadata at all, when the resource metadata names another resource
    (RFC 9728 §3.3), or when the authorization server metadata names another issuer (RFC
    8414 §3.3). Nothing is registered or authorized here.
    """
    import httpx2
    from mcp.client.auth.utils import (
        build_oauth_authorization_server_metadata_discovery_urls,
        build_protected_resource_metadata_discovery_urls,
        extract_resource_metadata_from_www_auth,
        extract_scope_from_www_auth,
        issuers_match,
    )
    from mcp.shared.auth import OAuthMetadata, ProtectedResourceMetadata
    from mcp.shared.auth_utils import check_resource_allowed, resource_url_from_server_url
    from mcp_types.version import LATEST_PROTOCOL_VERSION

    found = Discovery(url)
    version = {"MCP-Protocol-Version": LATEST_PROTOCOL_VERSION}
    from .remote import tls_verify

    with httpx2.Client(timeout=timeout, verify=tls_verify(verify),
                       follow_redirects=False) as client:
        probe = _get(client, "MCP request without credentials", url, found, "POST",
                     json=_PROBE, headers={**(headers or {}), **version,
                                           "Accept": "application/json, text/event-stream"})
        if probe is None and "Timeout" in found.steps[-1].found:
            raise McpConnectError(f"The MCP server at {url} did not answer within "
                                  f"{timeout:g} seconds; check that it is running, or allow "
                                  "a longer timeout.", found.lines(), option="timeout")
        if probe is None:
            raise McpConnectError(f"The MCP server at {url} cannot be reached "
                                  f"({found.steps[-1].found.removeprefix('no answer (')[:-1]}); "
                                  "check the URL and that the server is running.",
                                  found.lines(), option="url")
        if probe.status_code != 401:
            found.requires_auth = False
            found.steps.append(Step("MCP request without credentials", url,
                                    probe.status_code, "no authorization asked for"))
            return found
        www_url = extract_resource_metadata_from_www_auth(probe)
        found.scope = extract_scope_from_www_auth(probe)
        challenge = probe.headers.get("www-authenticate")
        found.steps.append(Step(
            "MCP request without credentials", url, 401,
            f"WWW-Authenticate resource_metadata={www_url}" if www_url else
            ("WWW-Authenticate without resource_metadata" if challenge else
             "no WWW-Authenticate header")))

        prm = None
        for candidate in build_protected_resource_metadata_discovery_urls(www_url, url):
            response = _get(client, "protected resource metadata (RFC 9728)", candidate,
                            found, headers=version)
            prm, why = _json_model(ProtectedResourceMetadata, response)
            if response is not None:
                found.steps.append(Step(
                    "protected resource metadata (RFC 9728)", candidate,
                    response.status_code,
                    why or f"resource={prm.resource}, authorization_servers="
                           f"{[str(a) for a in prm.authorization_servers]}"))
            if prm is not None:
                break
        if prm is not None:
            expected = resource_url_from_server_url(url)
            if not check_resource_allowed(requested_resource=expected,
                                          configured_resource=str(prm.resource)):
                found.steps.append(Step("resource check (RFC 9728 §3.3)", str(prm.resource),
                                        None, f"does not match {expected}"))
                raise McpAuthError(
                    f"The MCP server's protected resource metadata names the resource "
                    f"{prm.resource}, not {expected}, so a token for it could be replayed "
                    "elsewhere; check the server URL or ask its operator to fix the "
                    "metadata.", found.lines(), option="url")
            found.resource_metadata = prm
            found.steps.append(Step("resource check (RFC 9728 §3.3)", str(prm.resource), None,
                                    f"matches {expected}"))

        auth_server = str(prm.authorization_servers[0]) if prm is not None else None
        for candidate in build_oauth_authorization_server_metadata_discovery_urls(
                auth_server, url):
            response = _get(client, "authorization server metadata (RFC 8414)", candidate,
                            found, headers=version)
            asm, why = _json_model(OAuthMetadata, response)
            if response is not None:
                found.steps.append(Step(
                    "authorization server metadata (RFC 8414)", candidate,
                    response.status_code, why or f"issuer={asm.issuer}"))
            if asm is not None:
                _check_issuer(found, asm, auth_server, url, issuers_match)
                break

    if found.resource_metadata is None and found.server_metadata is None:
        raise McpAuthError(
            f"The MCP server at {url} asks for authorization (HTTP 401) but publishes no "
            "protected resource metadata (RFC 9728) and no authorization server metadata "
            "was found; use header authentication with a token from its operator, or ask "
            "them to publish the metadata.", found.lines(), option="auth")
    if found.server_metadata is None:
        raise McpAuthError(
            f"The authorization server {auth_server} named by the MCP server publishes no "
            "metadata at any well-known location (RFC 8414, OpenID Connect Discovery); "
            "ask the server's operator to publish it.", found.lines(), option="auth")
    return found


def _check_issuer(found: Discovery, asm: Any, auth_server: str | None, url: str,
                  issuers_match: Any) -> None:
    from urllib.parse import urlsplit

    if auth_server is None:  # the legacy path: the server's own origin is the issuer
        parts = urlsplit(url)
        expected = f"{parts.scheme}://{parts.netloc}"
    else:
        expected = auth_server
    if not issuers_match(str(asm.issuer), expected):
        found.steps.append(Step("issuer check (RFC 8414 §3.3)", str(asm.issuer), None,
                                f"does not match {expected}"))
        raise McpAuthError(
            f"The authorization server metadata names the issuer {asm.issuer}, not "
            f"{expected} where it was fetched, so it cannot be trusted (RFC 8414 §3.3); "
            "ask the server's operator to fix the metadata.", found.lines(), option="auth")
    found.server_metadata = asm
    offers = []
    if asm.registration_endpoint:
        offers.append(f"registration_endpoint={asm.registration_endpoint}")
    if asm.client_id_metadata_document_supported:
        offers.append("client ID metadata documents")
    methods = asm.code_challenge_methods_supported or []
    offers.append("PKCE S256" if "S256" in methods else "no PKCE S256 advertised")
    found.steps.append(Step("issuer check (RFC 8414 §3.3)", str(asm.issuer), None,
                            f"matches; offers {', '.join(offers)}"))
