"""Suggestions an import makes: a base URL from ``servers``, each endpoint's own server (path-
and operation-level ``servers``) and an auth config from ``securitySchemes``.

Both are suggestions: a server URL that cannot be a base URL (a variable without a default, a
relative URL read from a file, plain http to a remote host) or a security scheme nbconnect
cannot use gives a warning and no suggestion. The OpenAPI rules (server variables, relative
URLs, Security Scheme Objects, operation-level security) come from :mod:`nbconnect.spec.oas`;
this module holds nbconnect's choice among them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urljoin

from ..errors import BaseUrlError, NbConnectError
from ..model import (
    ApiKeyAuth,
    AuthConfig,
    BasicAuth,
    BearerAuth,
    Endpoint,
    OAuth2ClientCredentials,
    OAuth2Code,
    OAuth2Password,
)
from . import oas
from .context import ImportContext
from .operations import Operation

__all__ = ["endpoint_servers", "suggest_auth", "suggest_base_url"]

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
    bad = oas.server_variable_problems(url, server.get("variables"))
    if bad:
        ctx.warn(f"The server URL {url!r} cannot be built: {'; '.join(bad)}; set the base "
                 "URL yourself.")
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


def endpoint_servers(ctx: ImportContext, ops: Mapping[str, Operation],
                     endpoints: Sequence[Endpoint], base_url: str | None
                     ) -> tuple[Endpoint, ...]:
    """``endpoints`` with their own server where the spec gives one (OAS 3.0.3 §4.7.9 /
    3.1 §4.8.9: an operation's ``servers`` override its Path Item's, which override the
    document's). ``ops`` maps endpoint id -> operation. The first such server is checked
    by the base-URL rule; one that cannot be used is named in a warning (that endpoint is
    then called at the connector's base URL), and one equal to ``base_url`` is not kept."""
    from ..model.urls import check_base_url

    out: list[Endpoint] = []
    for ep in endpoints:
        op = ops.get(ep.id)
        servers = None
        if op is not None:
            servers = op.op.get("servers") if "servers" in op.op else op.item.get("servers")
        server = servers[0] if isinstance(servers, list) and servers else None
        if not isinstance(server, dict) or op is None:
            out.append(ep)
            continue
        where = f"The {op.label} has its own server"
        url = server.get("url")
        filled, missing = oas.fill_server_url(url if isinstance(url, str) else "",
                                              server.get("variables"))
        problem = None
        if not filled:
            problem = "without a URL"
        elif missing:
            problem = f"{url!r} with variable(s) {', '.join(missing)} without a default"
        elif oas.server_variable_problems(url, server.get("variables")):
            problem = f"{url!r}, whose " + "; ".join(
                oas.server_variable_problems(url, server.get("variables")))
        elif not oas.has_scheme(filled):
            if ctx.source_url:
                filled = urljoin(ctx.source_url, filled)
            else:
                problem = f"{url!r}, relative, and the spec was not read from a URL"
        if problem is None:
            if filled.endswith("/") and filled.count("/") > 3:
                filled = filled.rstrip("/")
            try:
                filled = check_base_url(filled, what=f"server URL of the {op.label}")
            except BaseUrlError as exc:
                problem = f"{url!r}, which cannot be used ({exc.message.rstrip('.')})"
        if problem is not None:
            ctx.warn(f"{where}, {problem}; that endpoint is called at the connector's base "
                     "URL instead.")
            out.append(ep)
        elif base_url is not None and filled.rstrip("/") == base_url.rstrip("/"):
            out.append(ep)
        else:
            out.append(dataclasses.replace(ep, server=filled))
    return tuple(out)


def suggest_auth(ctx: ImportContext, ops: list[Operation]) -> AuthConfig | None:
    """An auth config from the first usable security scheme, preferring those the global and
    the selected operations' security requirements name; scopes from those requirements.

    A requirement that needs several apiKey schemes at once (an app id and an app key)
    becomes one :class:`~nbconnect.model.ApiKeyAuth` that sends every key. Whatever the
    connector's one auth method cannot send is named in a warning: a requirement that
    combines other schemes, and the operations none of whose requirements it meets.
    """
    schemes = oas.security_schemes(ctx.refs)
    if not schemes:
        return None
    global_sec = ctx.doc.get("security")
    per_op = [(op, oas.effective_security(op.op, global_sec)) for op in ops]
    op_reqs: list[Any] = []
    for _, reqs in per_op:
        op_reqs += reqs or []
    requirements: list[tuple[str, ...]] = []
    for req in [*(global_sec if isinstance(global_sec, list) else []), *op_reqs]:
        if isinstance(req, dict):
            names = tuple(k for k in req if k in schemes)
            if names and names not in requirements:
                requirements.append(names)
    config, used = _all_keys(ctx, schemes, requirements)
    if config is None:
        candidates = [n for req in requirements for n in req] + list(schemes)
        for name in dict.fromkeys(candidates):
            scopes: list[str] = []
            for req in op_reqs:
                if isinstance(req, dict) and isinstance(req.get(name), list):
                    scopes += [s for s in req[name] if isinstance(s, str)]
            config = _auth_from_scheme(ctx, schemes[name], list(dict.fromkeys(scopes)))
            if config is not None:
                used = (name,)
                break
    for req in requirements:
        if len(req) > 1 and req != used:
            kinds = ", ".join(f"{n!r} ({schemes[n].type or '?'})" for n in req)
            ctx.warn(f"A security requirement needs the schemes {kinds} at once, which "
                     "one connector auth method cannot send together (only apiKey schemes "
                     "combine).")
    if config is not None:
        _warn_unmet(ctx, per_op, set(used), schemes)
    return config


def _all_keys(ctx: ImportContext, schemes: dict[str, oas.SecurityScheme],
              requirements: list[tuple[str, ...]]) -> tuple[AuthConfig | None, tuple[str, ...]]:
    """An ApiKeyAuth for the first requirement that needs several apiKey schemes at once."""
    for req in requirements:
        if len(req) < 2 or any(schemes[n].type != "apiKey" for n in req):
            continue
        keys = [(schemes[n].param_name, schemes[n].location) for n in req]
        try:
            return ApiKeyAuth(key=keys[0][0], add_to=keys[0][1],  # type: ignore[arg-type]
                              extra_keys=tuple(keys[1:])), req  # type: ignore[arg-type]
        except NbConnectError as exc:
            ctx.warn(f"The security schemes {', '.join(map(repr, req))} (needed together) "
                     f"were not used: {exc.message}")
    return None, ()


def _warn_unmet(ctx: ImportContext, per_op: list[tuple[Operation, Any]], used: set[str],
                schemes: dict[str, oas.SecurityScheme]) -> None:
    """Name the operations none of whose security requirements the chosen auth meets."""
    unmet: dict[str, list[str]] = {}
    public: list[str] = []
    for op, reqs in per_op:
        if isinstance(reqs, list) and not reqs and "security" in op.op:
            public.append(op.label)
        if not reqs:
            continue
        options = [tuple(k for k in req if k in schemes) for req in reqs if isinstance(req, dict)]
        if not options or any(set(o) <= used for o in options):
            continue
        needs = " or ".join(" + ".join(map(repr, o)) for o in options if o)
        unmet.setdefault(needs or "?", []).append(op.label)
    sent = " + ".join(map(repr, sorted(used)))
    if public:
        shown = ", ".join(public[:5]) + (f" and {len(public) - 5} more" if len(public) > 5
                                         else "")
        ctx.warn(f"{shown} need{'s' if len(public) == 1 else ''} no credentials (security: "
                 "[]), but the connector sends its auth to every endpoint and its exported "
                 "openapi.json asks for it there too.")
    for needs, labels in unmet.items():
        shown = ", ".join(labels[:5]) + (f" and {len(labels) - 5} more" if len(labels) > 5
                                         else "")
        ctx.warn(f"The connector's auth sends the security scheme {sent}, but {shown} "
                 f"need{'s' if len(labels) == 1 else ''} {needs}; calls to "
                 f"{'it' if len(labels) == 1 else 'them'} will be refused unless the API "
                 "also accepts the connector's auth.")


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
