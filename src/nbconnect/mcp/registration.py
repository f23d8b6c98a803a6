"""Which OAuth client an MCP server's authorization goes through, and keeping a registered one.

:func:`plan_client` decides from the server's settings and what discovery found, in the MCP
authorization spec's order of preference:

1. a **pre-registered client** the user entered (client id, and a reference to its secret);
2. a **client ID metadata document** (the client id is an https URL the authorization server
   fetches) when the user gave one and the server advertises
   ``client_id_metadata_document_supported``;
3. **dynamic client registration** (RFC 7591) when the user enabled it and the server offers
   a ``registration_endpoint``.

When none is possible it raises :class:`~nbconnect.errors.McpRegistrationError` saying to
register a client by hand and where (the authorization server's issuer). The registration
itself is the ``mcp`` SDK's (``OAuthClientProvider``); :func:`keep_registered_client` stores
the secret of a client it registered as a secret reference (the OS keyring, else an
environment variable of this process) so only the reference reaches the connector.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from ..errors import McpRegistrationError, SecretError

__all__ = ["ClientPlan", "keep_registered_client", "plan_client", "secret_env_name"]

#: what nbconnect calls itself when it registers (RFC 7591 client_name)
CLIENT_NAME = "nbconnect"


@dataclass
class ClientPlan:
    """How the client is obtained: ``kind`` is ``pre-registered``, ``metadata-document``
    or ``dynamic``; ``client_info`` is the SDK's ``OAuthClientInformationFull`` for the first
    two (None: the SDK registers one); ``note`` says it in a sentence."""

    kind: str
    client_info: Any
    note: str


def _auth_method(discovery: Any, has_secret: bool) -> str:
    if not has_secret:
        return "none"
    meta = discovery.server_metadata if discovery is not None else None
    offered = (meta.token_endpoint_auth_methods_supported or []) if meta is not None else []
    if offered and "client_secret_basic" not in offered and "client_secret_post" in offered:
        return "client_secret_post"
    return "client_secret_basic"


def plan_client(server: Any, discovery: Any, redirect_uri: str, *,
                secret: Any = None) -> ClientPlan:
    """The :class:`ClientPlan` for ``server`` (an :class:`~nbconnect.model.mcpserver.McpServer` with
    oauth auth) given ``discovery`` (:class:`~nbconnect.mcp.discovery.Discovery`) and the
    loopback ``redirect_uri``; ``secret`` is the resolved client secret (a
    :class:`~nbconnect.auth.secrets.Secret`) of a pre-registered client, if any.

    Raises :class:`~nbconnect.errors.McpRegistrationError` when no client can be had.
    """
    from mcp.shared.auth import OAuthClientInformationFull

    issuer = discovery.issuer if discovery is not None else None
    where = issuer or "the authorization server"
    if server.client_id:
        value = secret.reveal() if secret is not None else None
        info = OAuthClientInformationFull(
            client_id=server.client_id, client_secret=value, redirect_uris=[redirect_uri],
            token_endpoint_auth_method=_auth_method(discovery, value is not None),
            grant_types=["authorization_code", "refresh_token"], response_types=["code"],
            scope=" ".join(server.scopes) or None)
        kind = ("the client registered earlier (dynamic registration)" if server.registered
                else "the pre-registered client")
        return ClientPlan("pre-registered", info,
                          f"Using {kind} {server.client_id} at {where}.")
    if server.client_metadata_url:
        if discovery is not None and discovery.client_id_metadata_documents:
            from mcp.client.auth.utils import create_client_info_from_metadata_url

            info = create_client_info_from_metadata_url(server.client_metadata_url,
                                                        redirect_uris=[redirect_uri])
            return ClientPlan("metadata-document", info,
                              f"Using the client ID metadata document "
                              f"{server.client_metadata_url} as the client id at {where}.")
        if not server.dcr:
            raise McpRegistrationError(
                f"The authorization server {where} does not accept client ID metadata "
                f"documents; register a client by hand at {where} and give its client id "
                "(and a reference to its secret), or enable dynamic client registration.",
                option="client_id")
    endpoint = discovery.registration_endpoint if discovery is not None else None
    if server.dcr and endpoint:
        return ClientPlan("dynamic", None,
                          f"Registering a client dynamically at {endpoint} (RFC 7591).")
    if server.dcr:
        raise McpRegistrationError(
            f"The authorization server {where} offers no dynamic client registration "
            "(no registration_endpoint in its metadata); register a client by hand at "
            f"{where} with the redirect URL {_redirect_hint(server)} and give its client id "
            "(and a reference to its secret).", option="client_id")
    if endpoint:
        raise McpRegistrationError(
            f"The MCP server needs an OAuth client and {where} offers dynamic client "
            f"registration at {endpoint}; enable dynamic registration, or give the client id "
            "of a client registered by hand.", option="dcr")
    raise McpRegistrationError(
        f"The MCP server needs an OAuth client and {where} offers no dynamic client "
        f"registration; register a client by hand at {where} with the redirect URL "
        f"{_redirect_hint(server)} and give its client id (and a reference to its secret).",
        option="client_id")


def _redirect_hint(server: Any) -> str:
    return server.redirect_url or "http://127.0.0.1/callback (any port, RFC 8252)"


def keyring_available() -> bool:
    """True when an OS keyring backend is usable here (not keyring's fail or null one)."""
    try:
        import keyring
        from keyring.backends import fail, null
    except ImportError:
        return False
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken backend configuration counts as none
        return False
    return not isinstance(backend, fail.Keyring | null.Keyring)


def client_metadata(server: Any, redirect_uri: str) -> Any:
    """The SDK's ``OAuthClientMetadata`` nbconnect registers with (RFC 7591 §2): a native
    client on a loopback redirect, authorization code + refresh token. It asks for a client
    secret (``client_secret_basic``) only where an OS keyring can keep it; elsewhere it
    registers a public client (``none``: PKCE protects the code, RFC 8252 §8.4), so no
    secret is lost when the process ends."""
    from mcp.shared.auth import OAuthClientMetadata

    if server.client_id:
        method = "client_secret_basic" if server.client_secret else "none"
    else:
        method = "client_secret_basic" if keyring_available() else "none"
    return OAuthClientMetadata(
        client_name=CLIENT_NAME, redirect_uris=[redirect_uri],
        grant_types=["authorization_code", "refresh_token"], response_types=["code"],
        token_endpoint_auth_method=method, scope=" ".join(server.scopes) or None)


def secret_env_name(server_name: str) -> str:
    """``NBCONNECT_MCP_<NAME>_CLIENT_SECRET``: where a registered secret is kept when no
    keyring is available (this process only)."""
    return "NBCONNECT_MCP_" + re.sub(r"[^A-Za-z0-9]", "_", server_name).upper() + \
        "_CLIENT_SECRET"


def keep_registered_client(server: Any, info: Any) -> tuple[Any, list[str]]:
    """``server`` with the client the SDK registered (``info``: its
    ``OAuthClientInformationFull``): the client id, ``registered=True`` and the client
    secret as a reference (``keyring:nbconnect-mcp-NAME-client-secret``, or
    ``env:NBCONNECT_MCP_NAME_CLIENT_SECRET`` set for this process when no keyring works).
    Returns (the new server, notes)."""
    from dataclasses import replace

    from ..auth.secrets import Secret, store_in_keyring

    notes: list[str] = [f"Registered client {info.client_id} (RFC 7591)."]
    ref = None
    if not info.client_secret:
        notes.append("It is a public client (no secret; PKCE protects its authorizations).")
    if info.client_secret:
        value = Secret(info.client_secret, "client_secret")
        try:
            ref = store_in_keyring(f"nbconnect-mcp-{server.name}-client-secret", value)
            notes.append(f"Its secret is in the OS keyring ({ref}).")
        except SecretError:
            env = secret_env_name(server.name)
            os.environ[env] = value.reveal()
            ref = f"env:{env}"
            notes.append(f"Its secret is held in {env} for this process only (no OS "
                         "keyring here); set that variable to reuse the client later.")
    return replace(server, client_id=info.client_id, client_secret=ref,
                   registered=True), notes
