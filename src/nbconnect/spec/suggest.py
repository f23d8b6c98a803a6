"""Suggestions an import makes: a base URL from ``servers`` and an auth config from
``securitySchemes``.

Both are suggestions: a server URL that cannot be a base URL (a variable without a default, a
relative URL read from a file, plain http to a remote host) or a security scheme nbconnect
cannot use gives a warning and no suggestion. The OpenAPI rules (server variables, relative
URLs, Security Scheme Objects, operation-level security) come from :mod:`nbconnect.spec.oas`;
this module holds nbconnect's choice among them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from ..errors import BaseUrlError, NbConnectError
from ..model import (
    ApiKeyAuth,
    AuthConfig,
    BasicAuth,
    BearerAuth,
    OAuth2ClientCredentials,
    OAuth2Code,
    OAuth2Password,
)
from . import oas
from .context import ImportContext
from .operations import Operation

__all__ = ["suggest_auth", "suggest_base_url"]

#: OAuth2 flows nbconnect can run, in the order it prefers them.
_OAUTH2_FLOWS = ("authorizationCode", "clientCredentials", "password")


def suggest_base_url(ctx: ImportContext) -> str | None:
    """The first server's URL with its variables filled, as a checked base URL, or None."""
    from ..model.urls import check_base_url

    server = oas.first_server(ctx.doc)
    if server is None:
        ctx.warn("The spec names no server; set the connector's base URL yourself.")
        return None
    url = server.get("url")
    if not isinstance(url, str) or not url.strip():
        ctx.warn("The spec's first server has no URL; set the base URL yourself.")
        return None
    filled, missing = oas.fill_server_url(url, server.get("variables"))
    if missing:
        ctx.warn(f"The server URL {url!r} has variable(s) {', '.join(missing)} without a "
                 "default; set the base URL yourself.")
        return None
    if not oas.has_scheme(filled):
        if ctx.source_url:
            filled = urljoin(ctx.source_url, filled)
        else:
            ctx.warn(f"The server URL {url!r} is relative and the spec was not read "
                     "from a URL; set the base URL yourself.")
            return None
    if filled.endswith("/") and filled.count("/") > 3:
        filled = filled.rstrip("/")
    try:
        return check_base_url(filled, what="spec's server URL")
    except BaseUrlError as exc:
        ctx.warn(f"Not using the server URL as the base URL: {exc.message}")
        return None


def suggest_auth(ctx: ImportContext, ops: list[Operation]) -> AuthConfig | None:
    """An auth config from the first usable security scheme, preferring those the global and
    the selected operations' security requirements name; scopes from those requirements."""
    schemes = oas.security_schemes(ctx.refs)
    if not schemes:
        return None
    global_sec = ctx.doc.get("security")
    op_reqs: list[Any] = []
    for op in ops:
        op_reqs += oas.effective_security(op.op, global_sec) or []
    candidates: list[str] = []
    if isinstance(global_sec, list):
        for req in global_sec:
            if isinstance(req, dict):
                candidates += [k for k in req if k in schemes]
    for req in op_reqs:
        if isinstance(req, dict):
            candidates += [k for k in req if k in schemes]
    candidates += list(schemes)
    for name in dict.fromkeys(candidates):
        scopes: list[str] = []
        for req in op_reqs:
            if isinstance(req, dict) and isinstance(req.get(name), list):
                scopes += [s for s in req[name] if isinstance(s, str)]
        config = _auth_from_scheme(ctx, schemes[name], list(dict.fromkeys(scopes)))
        if config is not None:
            return config
    return None


def _auth_from_scheme(ctx: ImportContext, scheme: oas.SecurityScheme,
                      scopes: list[str]) -> AuthConfig | None:
    name, kind = scheme.name, scheme.type
    try:
        if kind == "apiKey":
            return ApiKeyAuth(key=scheme.param_name, add_to=scheme.location)
        if kind == "http":
            if scheme.scheme == "basic":
                return BasicAuth()
            if scheme.scheme == "bearer":
                return BearerAuth()
            ctx.warn(f"Security scheme {name!r} uses HTTP {scheme.scheme or '?'} "
                     "authentication, which nbconnect does not support; pick an auth type "
                     "yourself.")
            return None
        if kind == "oauth2":
            return _oauth2(ctx, scheme, scopes)
    except NbConnectError as exc:
        ctx.warn(f"Security scheme {name!r} was not used: {exc.message}")
        return None
    ctx.warn(f"Security scheme {name!r} ({kind or '?'}) is not supported; pick an auth type "
             "yourself.")
    return None


def _oauth2(ctx: ImportContext, scheme: oas.SecurityScheme,
            scopes: list[str]) -> AuthConfig | None:
    scope = " ".join(scopes) or None
    for flow_name in _OAUTH2_FLOWS:
        flow = scheme.flow(flow_name)
        if flow is None:
            continue
        common: dict[str, Any] = {"token_url": flow.token_url or "",
                                  "refresh_url": flow.refresh_url, "scope": scope}
        try:
            if flow_name == "authorizationCode":
                return OAuth2Code(authorization_url=flow.authorization_url or "", **common)
            if flow_name == "clientCredentials":
                return OAuth2ClientCredentials(**common)
            return OAuth2Password(**common)
        except NbConnectError as exc:
            ctx.warn(f"The OAuth2 {flow_name} flow of security scheme {scheme.name!r} was "
                     f"not used: {exc.message}")
    if scheme.flow("implicit") is not None:
        ctx.warn(f"Security scheme {scheme.name!r} offers only the OAuth2 implicit flow, "
                 "which is not supported; pick an auth type yourself.")
    return None
