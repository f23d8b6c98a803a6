"""Security Scheme Objects parsed into plain values (type, in, name, scheme, flows).

Part of the OpenAPI toolkit :mod:`nbconnect.spec.oas` (import names from there).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .refs import Resolver, join_pointer

# --------------------------------------------------------------------------- security

#: OAuth Flows Object fields, in the order nbconnect prefers them (OAS 3.0.3 §4.7.28 / 3.1
#: §4.8.26).
OAUTH_FLOW_NAMES: tuple[str, ...] = ("authorizationCode", "clientCredentials", "password",
                                     "implicit")


@dataclass(frozen=True)
class OAuthFlow:
    """One OAuth Flow Object (OAS 3.0.3 §4.7.29 / 3.1 §4.8.27).

    ``name`` is the flow's field in the OAuth Flows Object (``implicit``, ``password``,
    ``clientCredentials``, ``authorizationCode``); URLs are the strings as written, or None
    when absent, empty or not a string; ``scopes`` maps scope name -> description.
    """

    name: str
    authorization_url: str | None = None
    token_url: str | None = None
    refresh_url: str | None = None
    scopes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SecurityScheme:
    """One Security Scheme Object (OAS 3.0.3 §4.7.27 / 3.1 §4.8.25), parsed.

    ``name`` is its key in ``components.securitySchemes``; ``type`` is the ``type`` field
    as written (``apiKey``, ``http``, ``oauth2``, ``openIdConnect``, 3.1 ``mutualTLS``; ""
    if missing). For ``apiKey``: ``location`` (``in``: query, header or cookie) and
    ``param_name`` (``name``), None when missing or not strings. For ``http``: ``scheme``
    (the RFC 7235 scheme name, stripped and lower-cased: ``basic``, ``bearer``, ...; "" if
    missing) and ``bearer_format``. For ``oauth2``: ``flows`` (in the document's order).
    For ``openIdConnect``: ``open_id_connect_url``.
    """

    name: str
    type: str
    location: str | None = None
    param_name: str | None = None
    scheme: str = ""
    bearer_format: str | None = None
    flows: tuple[OAuthFlow, ...] = ()
    open_id_connect_url: str | None = None
    description: str = ""

    def flow(self, name: str) -> OAuthFlow | None:
        """The flow called ``name`` (e.g. ``"clientCredentials"``), or None."""
        return next((f for f in self.flows if f.name == name), None)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_security_scheme(name: str, scheme: Mapping[str, Any]) -> SecurityScheme:
    """Parse one (already dereferenced) Security Scheme Object; see :class:`SecurityScheme`.

    Never raises: fields of the wrong type come back as None / "" / ``()``.
    """
    kind = scheme.get("type")
    flows: list[OAuthFlow] = []
    raw_flows = scheme.get("flows")
    if isinstance(raw_flows, dict):
        for flow_name, flow in raw_flows.items():
            if not isinstance(flow, dict):
                continue
            scopes = flow.get("scopes")
            flows.append(OAuthFlow(
                name=str(flow_name), authorization_url=_text(flow.get("authorizationUrl")),
                token_url=_text(flow.get("tokenUrl")), refresh_url=_text(flow.get("refreshUrl")),
                scopes=tuple((str(k), str(v)) for k, v in scopes.items())
                if isinstance(scopes, dict) else ()))
    http = scheme.get("scheme")
    return SecurityScheme(
        name=str(name), type=kind if isinstance(kind, str) else "",
        location=scheme.get("in") if isinstance(scheme.get("in"), str) else None,
        param_name=scheme.get("name") if isinstance(scheme.get("name"), str) else None,
        scheme=http.strip().lower() if isinstance(http, str) else "",
        bearer_format=_text(scheme.get("bearerFormat")), flows=tuple(flows),
        open_id_connect_url=_text(scheme.get("openIdConnectUrl")),
        description=scheme.get("description") if isinstance(scheme.get("description"),
                                                            str) else "")


def security_schemes(resolver: Resolver) -> dict[str, SecurityScheme]:
    """Every usable entry of ``components.securitySchemes``, parsed, in document order.

    OAS 3.0.3 §4.7.7 / 3.1 §4.8.7 (Components Object): entries are Security Scheme Objects
    or Reference Objects; references are followed with ``resolver`` (local only), and an
    entry that is not a mapping after that is left out.
    """
    doc = resolver.doc
    components = doc.get("components") if isinstance(doc, dict) else None
    raw = components.get("securitySchemes") if isinstance(components, dict) else None
    out: dict[str, SecurityScheme] = {}
    if not isinstance(raw, dict):
        return out
    for name, entry in raw.items():
        scheme = resolver.deref(entry, join_pointer(["components", "securitySchemes",
                                                     str(name)])).value
        if isinstance(scheme, dict):
            out[str(name)] = parse_security_scheme(str(name), scheme)
    return out
