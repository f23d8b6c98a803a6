"""One typed error for whatever a connection to a remote MCP server raised.

The ``mcp`` SDK reports failures as exception groups of transport errors, JSON-RPC errors
(``MCPError``) and its OAuth errors; the connection's trace (:class:`~nbconnect.mcp.remote.
Trace`: method, URL, status and content type of each exchange) tells the rest. :func:`translate`
turns them into one :mod:`nbconnect.errors` leaf whose sentence names the problem and the fix:
unreachable, a timeout (of the handshake or of a call), HTML or other JSON instead of MCP, no
shared protocol revision, authorization needed or refused. :func:`oauth_error` does the same
for the SDK's OAuth errors (registration refused, token endpoint errors), and
:func:`explain_401` adds what discovery finds to a 401 from a server set up without OAuth.
Anything else is a bug and is re-raised as it is, never disguised as a peer's answer.
"""

from __future__ import annotations

from typing import Any

from ..errors import (
    McpAuthError,
    McpConnectError,
    McpError,
    McpProtocolError,
    McpRegistrationError,
    NbConnectError,
    clip,
)
from ..model.mcpserver import McpServer

__all__ = ["explain_401", "leaves", "oauth_error", "translate"]

#: JSON-RPC code the SDK gives a request that got no answer in time
_REQUEST_TIMEOUT = -32001


def leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions inside ``exc``, exception groups flattened (anyio task groups nest
    them)."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in leaves(inner)]
    return [exc]


def translate(exc: BaseException, server: McpServer, trace: Any,
              timeout: float) -> NbConnectError:
    """One typed error for what the connection to ``server`` raised (``trace``: its
    exchanges and whether the handshake was done; ``timeout`` in seconds, for the message).
    Raises ``exc`` itself when it is not a peer's answer (a bug)."""
    import httpx2
    from mcp.shared.exceptions import MCPError
    from pydantic import ValidationError

    found = leaves(exc)
    for leaf in found:
        if isinstance(leaf, NbConnectError):
            return leaf
    known = (MCPError, httpx2.HTTPError, RuntimeError, ValidationError, ValueError, OSError,
             TimeoutError)
    if not all(isinstance(leaf, known) for leaf in found):
        raise exc  # a bug, not a peer's answer: never disguised as one
    url = server.url
    last = trace.last_to(url)
    name = server.name
    for leaf in found:
        timed_out = isinstance(leaf, TimeoutError | httpx2.TimeoutException) or (
            isinstance(leaf, MCPError) and leaf.code == _REQUEST_TIMEOUT)
        if timed_out and trace.connected:
            return McpConnectError(f"MCP server {name!r} did not answer within {timeout:g} "
                                   "seconds; allow a longer timeout for slow tools.",
                                   option="timeout")
        if timed_out:
            return McpConnectError(f"MCP server {name!r} at {url} did not answer the MCP "
                                   f"handshake within {timeout:g} seconds; check that it is an "
                                   "MCP server and running, or allow a longer timeout.",
                                   option="timeout")
        if isinstance(leaf, httpx2.ConnectError | httpx2.NetworkError | OSError):
            return McpConnectError(f"MCP server {name!r} at {url} cannot be reached "
                                   f"({type(leaf).__name__}); check the URL and that the "
                                   "server is running.", option="url")
    if last is not None and last[2] == 401 and server.auth == "oauth":
        return McpAuthError(f"MCP server {name!r} refused the token just authorized (HTTP "
                            "401); check the scopes and that its authorization server issues "
                            "tokens for this resource.", option="scope")
    if last is not None and last[2] == 401:
        return McpAuthError(f"MCP server {name!r} asks for authorization (HTTP 401); use oauth "
                            "authentication (with dynamic registration or a client id) or "
                            "header authentication with a token.", option="auth")
    if last is not None and last[2] == 403:
        return McpAuthError(f"MCP server {name!r} refused the credentials (HTTP 403); check "
                            "the token or the scopes.", option="auth")
    if last is not None and last[3] == "text/html":
        return McpConnectError(f"{url} answers an HTML page, not MCP; give the server's "
                               "Streamable HTTP endpoint (often ending in /mcp).", option="url")
    if last is not None and last[2] == 404:
        return McpConnectError(f"{url} answers HTTP 404; give the server's Streamable HTTP "
                               "endpoint (often ending in /mcp).", option="url")
    for leaf in found:
        if (isinstance(leaf, MCPError) and leaf.code == -32022) or \
                (isinstance(leaf, RuntimeError) and "protocol version" in str(leaf)):
            from mcp_types.version import KNOWN_PROTOCOL_VERSIONS

            data = getattr(getattr(leaf, "error", None), "data", None)
            theirs = data.get("supported") if isinstance(data, dict) else None
            said = f" (it speaks {', '.join(map(str, theirs))})" if theirs else ""
            return McpProtocolError(
                f"MCP server {name!r} speaks no protocol revision this client knows"
                f"{said}; this client speaks {', '.join(KNOWN_PROTOCOL_VERSIONS)}; upgrade "
                "the client or the server.")
    if last is not None and last[3] == "application/json":
        return McpConnectError(f"{url} answers JSON that is not MCP (JSON-RPC); give the "
                               "server's Streamable HTTP endpoint.", option="url")
    first = found[0] if found else exc
    return McpConnectError(f"MCP server {name!r} at {url} failed the MCP exchange "
                           f"({type(first).__name__}: {clip(first, 120)}); check that the URL "
                           "is an MCP Streamable HTTP endpoint.", option="url")


def explain_401(server: McpServer, error: NbConnectError, *, verify: Any,
                timeout: float) -> NbConnectError:
    """The 401 of a server without oauth auth, with what discovery finds (its steps as
    details) and the auth setting that would work."""
    from .discovery import discover

    try:
        found = discover(server.url, timeout=timeout, verify=verify)
    except McpError as exc:  # no usable metadata: that sentence says what to do
        return exc
    if not found.requires_auth:
        return error
    how = ("oauth authentication with dynamic client registration" if
           found.registration_endpoint else
           "oauth authentication with the client id of a client registered by hand at "
           f"{found.issuer}")
    return McpAuthError(f"MCP server {server.name!r} asks for authorization (HTTP 401) "
                        f"through the authorization server {found.issuer}; use {how}.",
                        found.lines(), option="auth")


def oauth_error(exc: BaseException, discovery: Any) -> McpError | None:
    """One typed error for the SDK's OAuth errors in ``exc`` (``discovery``: what discovery
    found, to name the authorization server), or None when there is none."""
    from mcp.client.auth import OAuthFlowError, OAuthRegistrationError, OAuthTokenError

    where = discovery.issuer if discovery is not None else "the authorization server"
    for leaf in leaves(exc):
        if isinstance(leaf, NbConnectError):
            return None
        if isinstance(leaf, OAuthRegistrationError):
            return McpRegistrationError(
                f"The authorization server {where} refused to register a client "
                f"({clip(leaf, 160)}); register a client by hand at {where} and give its "
                "client id (and a reference to its secret).", option="client_id")
        if isinstance(leaf, OAuthTokenError):
            return McpAuthError(f"The token endpoint of {where} refused the authorization "
                                f"({clip(leaf, 160)}); check the client id and secret, then "
                                "authorize again.", option="client_id")
        if isinstance(leaf, OAuthFlowError):
            return McpAuthError(f"The OAuth authorization with {where} failed "
                                f"({clip(leaf, 160)}); check the server's metadata and the "
                                "client, then authorize again.", option="auth")
    return None
