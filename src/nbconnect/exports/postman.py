"""Export a connector as a Postman collection v2.1 that Postman and newman can run.

:func:`to_postman` gives the collection as plain data; :func:`write_postman` writes it.

* One request per endpoint, in folders named after each endpoint's first tag (endpoints
  without tags stay at the top level), in connector order.
* URLs are ``{{baseUrl}}`` plus the path, with ``:name`` path variables (a parameter that
  opens a segment, alone or before a dot); a parameter elsewhere in a segment
  (``{name}.{ext}``: ``ext``) is a collection variable ``{{endpointId.ext}}``, so every
  path value stays editable. Query entries hold the runner's percent-encoded text in
  the parameter's style (newman sends those bytes as they are); form fields are given
  decoded (Postman encodes them as the runner does); multipart parts carry their
  Content-Type. Every value
  (path, query, header and cookie parameters, the body) is the one ``nbconnect test``
  sends: chosen and written by :mod:`nbconnect.testing.values` (saved test value, link,
  default, example, first enum value; one text form), so newman sends what the runner
  sends. Parameters the runner leaves out are listed disabled.
* The auth config becomes Postman's auth: ``apikey`` (``key``/``value``/``in``),
  ``basic``, ``bearer``, ``oauth2`` (grant type, token URL, client id, scope, an
  ``{{accessToken}}`` to paste or set) and JWT as ``bearer`` with ``{{jwtToken}}``. An API
  key sent as a cookie becomes a ``Cookie`` header.
* Collection variables: ``baseUrl`` and one variable per secret field, always with an
  EMPTY value (``apiKey``, ``password``, ``bearerToken``, ``jwtToken``, ``clientSecret``,
  ``accessToken``): secrets are given at run time, e.g.
  ``newman run c.json --env-var apiKey=...``. Non-secret settings (``username``,
  ``clientId``) take the default connection's values.
* Each request carries a test script that passes on a 2xx status.
* What a collection cannot express is named (:func:`postman_warnings`, logged by
  :func:`write_postman` on the ``nbconnect.export`` logger, and in the request's
  description): Postman's form-data has no per-part headers, so a multipart part's Encoding
  Object ``headers`` (OAS 3.0.3 §4.7.14) are not sent by newman.

The output is deterministic: no random ids (``_postman_id`` is a UUID5 of the connector
name), no timestamps.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..errors import EndpointDefinitionError, ExportError
from ..model import (
    ApiKeyAuth,
    AuthConfig,
    BasicAuth,
    BearerAuth,
    Connection,
    Connector,
    Endpoint,
    JwtAuth,
    OAuth2ClientCredentials,
    OAuth2Code,
    OAuth2Password,
    Param,
)
from ..model.servers import server_path
from ..testing.values import (
    NO_VALUE,
    BodyValue,
    EndpointValues,
    cookie_pairs,
    form_fields,
    header_value,
    multipart_parts,
    path_text,
    query_pairs,
)

__all__ = ["SCHEMA_URL", "SECRET_VARIABLES", "postman_warnings", "to_postman", "write_postman"]

SCHEMA_URL = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
#: the collection variable that stands for each secret field (always exported empty)
SECRET_VARIABLES = {
    "value": "apiKey",
    "password": "password",
    "token": "bearerToken",
    "secret": "jwtToken",
    "client_secret": "clientSecret",
}
_OAUTH_GRANTS = {
    OAuth2ClientCredentials: "client_credentials",
    OAuth2Password: "password_credentials",
    OAuth2Code: "authorization_code_with_pkce",
}
_CLIENT_AUTH = {"basic": "header", "basic-form-encoded": "header", "body": "body"}
_TEST_SCRIPT = [
    'pm.test("status is 2xx", function () {',
    "    pm.expect(pm.response.code).to.be.within(200, 299);",
    "});",
]


# --------------------------------------------------------------------------- auth


def _kv(pairs: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    return [{"key": k, "value": v, "type": "string"} for k, v in pairs]


def _server_variables(connector: Connector) -> dict[str, str]:
    """A collection variable per endpoint server (``baseUrl2``, ``baseUrl3``, ...)."""
    servers = dict.fromkeys(e.server for e in connector.endpoints if e.server)
    return {server: f"baseUrl{i}" for i, server in enumerate(servers, start=2)}


def _secret_variable(field: str) -> str:
    """The collection variable of a secret field (``value_2`` -> ``apiKey2``)."""
    if field in SECRET_VARIABLES:
        return SECRET_VARIABLES[field]
    return "apiKey" + field.rpartition("_")[2]


def _api_keys(config: ApiKeyAuth) -> list[dict[str, str]]:
    """Every key of an API-key auth that sends several at once, as extra request parts
    (Postman's apikey auth holds one): headers, one Cookie header, and query entries
    (``"in": "query"``, moved into each request's query)."""
    out: list[dict[str, str]] = []
    cookies: list[str] = []
    for key, add_to, field in config.keys:
        value = "{{" + _secret_variable(field) + "}}"
        if add_to == "cookie":
            cookies.append(f"{key}={value}")
        else:
            out.append({"key": key, "value": value, **({"in": "query"}
                                                       if add_to == "query" else {})})
    if cookies:
        out.append({"key": "Cookie", "value": "; ".join(cookies)})
    return out


def _auth(config: AuthConfig | None) -> tuple[dict[str, Any] | None, list[dict[str, str]]]:
    """Postman's ``auth`` object for ``config`` and extra headers every request needs."""
    if config is None:
        return None, []
    if isinstance(config, ApiKeyAuth) and config.extra_keys:
        return {"type": "noauth"}, _api_keys(config)
    if isinstance(config, ApiKeyAuth):
        if config.add_to == "cookie":
            return {"type": "noauth"}, [{"key": "Cookie", "value": f"{config.key}={{{{apiKey}}}}"}]
        return {"type": "apikey", "apikey": _kv([("key", config.key), ("value", "{{apiKey}}"),
                                                 ("in", config.add_to)])}, []
    if isinstance(config, BasicAuth):
        return {"type": "basic", "basic": _kv([("username", "{{username}}"),
                                               ("password", "{{password}}")])}, []
    if isinstance(config, BearerAuth):
        return {"type": "bearer", "bearer": _kv([("token", "{{bearerToken}}")])}, []
    if isinstance(config, JwtAuth):
        if config.add_to == "query":
            return {"type": "apikey", "apikey": _kv([("key", config.query_name),
                                                     ("value", "{{jwtToken}}"),
                                                     ("in", "query")])}, []
        if config.header_name:
            return {"type": "apikey", "apikey": _kv([("key", config.header_name),
                                                     ("value", "{{jwtToken}}"),
                                                     ("in", "header")])}, []
        return {"type": "bearer", "bearer": _kv([("token", "{{jwtToken}}")])}, []
    grant = _OAUTH_GRANTS.get(type(config))
    if grant is None:  # pragma: no cover - every auth type is mapped
        raise ExportError(f"Auth type {config.type!r} has no Postman mapping.")
    pairs: list[tuple[str, Any]] = [
        ("grant_type", grant),
        ("accessTokenUrl", config.token_url),
        ("clientId", "{{clientId}}"),
        ("clientSecret", "{{clientSecret}}"),
    ]
    if config.scope:
        pairs.append(("scope", config.scope))
    if isinstance(config, OAuth2Password):
        pairs += [("username", "{{username}}"), ("password", "{{password}}")]
    if isinstance(config, OAuth2Code):
        pairs += [("authUrl", config.authorization_url), ("challengeAlgorithm", "S256")]
        if config.redirect_url:
            pairs.append(("redirect_uri", config.redirect_url))
    pairs += [("client_authentication", _CLIENT_AUTH.get(config.client_auth, "header")),
              ("addTokenTo", "header"), ("headerPrefix", "Bearer"),
              ("tokenName", "nbconnect"), ("accessToken", "{{accessToken}}")]
    return {"type": "oauth2", "oauth2": _kv(pairs)}, []


def _default_connection(connector: Connector) -> Connection | None:
    conns = tuple(connector.connections)
    for conn in conns:
        if conn.default:
            return conn
    return conns[0] if len(conns) == 1 else None


def _variables(connector: Connector) -> list[dict[str, Any]]:
    conn = _default_connection(connector)
    base = connector.base_url or (conn.base_url if conn is not None else "") or ""
    out: list[dict[str, Any]] = [{"key": "baseUrl", "value": base, "type": "string"}]
    for server, var in _server_variables(connector).items():
        ids = ", ".join(e.id for e in connector.endpoints if e.server == server)
        out.append({"key": var, "value": server, "type": "string", "description":
                    f"The own server of {ids} (the spec's path or operation servers); "
                    f"against a mock, the mock's origin plus {server_path(server) or '/'}."})
    config = connector.auth
    if config is None:
        return out
    settings = dict(conn.settings) if conn is not None else {}

    def add(key: str, value: str, description: str) -> None:
        out.append({"key": key, "value": value, "type": "string",
                    "description": description})

    for name in config.setting_fields:
        if name == "username":
            add("username", settings.get("username", ""), "User name (a connection setting).")
        elif name == "client_id":
            client_id = settings.get("client_id") or getattr(config, "client_id", None) or ""
            add("clientId", client_id, "OAuth2 client id (a connection setting).")
    for field in config.secret_fields:
        var = _secret_variable(field)
        add(var, "", f"Secret '{field}': never exported; give it at run time, e.g. "
            f"newman run ... --env-var {var}=VALUE.")
    if config.type.startswith("oauth2-"):
        add("accessToken", "", "OAuth2 access token: never exported; get one from the token "
            "URL and give it at run time (--env-var accessToken=VALUE).")
    return out


# --------------------------------------------------------------------------- requests


def _header_text(param: Param, value: Any) -> str | None:
    """The header's text as the runner writes it, or None when there is none or the
    runner refuses it (a line break: that test fails)."""
    if value is NO_VALUE:
        return None
    try:
        return header_value(param, value)
    except EndpointDefinitionError:
        return None


def _wanted(param: Param) -> bool:
    """A required parameter the runner cannot leave out: listed enabled even when empty,
    so it is the first thing to fill in."""
    return param.required and not param.nullable


def _body(ep: Endpoint, body: BodyValue) -> dict[str, Any]:
    """Postman's ``body`` for the runner's body (Postman sets the multipart boundary and
    percent-encodes form fields, so they are given decoded)."""
    if body.kind == "form":
        return {"mode": "urlencoded", "urlencoded": [
            {"key": k, "value": v} for k, v in form_fields(ep, body)]}
    if body.kind == "multipart":
        out = []
        for part in multipart_parts(ep, body):
            entry = {"key": part.name, "value": part.data.decode("utf-8", "replace"),
                     "type": "text"}
            if part.content_type is not None:
                entry["contentType"] = part.content_type
            out.append(entry)
        return {"mode": "formdata", "formdata": out}
    if body.kind == "raw":
        text = body.value.decode("utf-8", "replace") if isinstance(body.value, bytes) \
            else body.value
        return {"mode": "raw", "raw": text, "options": {"raw": {"language": "text"}}}
    return {"mode": "raw", "raw": json.dumps(body.value, indent=2, ensure_ascii=False),
            "options": {"raw": {"language": "json"}}}


def _path(ep: Endpoint, shown: dict[str, str], variables: list[dict[str, Any]]
          ) -> tuple[list[str], list[dict[str, Any]]]:
    """The URL's path segments and path variables. A parameter that opens a segment and
    ends it (or is followed by ``.``, where Postman's ``:name`` ends) is a path variable
    ``:name``; any other parameter inside a segment (``{name}.{ext}``: ``ext``) is a
    collection variable ``{{endpoint.name}}`` added to ``variables``. Values are the
    runner's text (written in the parameter's style, percent-encoded)."""
    segments: list[str] = []
    path_vars: list[dict[str, Any]] = []
    for seg in ep.request_path.strip("/").split("/") if ep.request_path != "/" else []:
        opener = re.match(r"\{([^{}]+)\}(?=\.|$)", seg)
        if opener and opener.group(1) in shown:
            name = opener.group(1)
            seg = f":{name}" + seg[opener.end():]
            path_vars.append({"key": name, "value": shown[name]})
        for name, text in shown.items():
            if "{" + name + "}" in seg:
                key = f"{ep.id}.{name}"
                seg = seg.replace("{" + name + "}", "{{" + key + "}}")
                variables.append({"key": key, "value": text, "type": "string",
                                  "description": f"Path parameter {name} of {ep.id}."})
        segments.append(seg)
    return segments, path_vars


def _request_item(connector: Connector, ep: Endpoint, extra_headers: list[dict[str, str]],
                  variables: list[dict[str, Any]]) -> dict[str, Any]:
    values = EndpointValues(connector, ep)
    sent = {p.name: values.sent(p, strict=False) for p in ep.params}
    shown = {p.name: "" if sent[p.name] is NO_VALUE else path_text(p, sent[p.name])
             for p in ep.path_params}
    segments, path_vars = _path(ep, shown, variables)
    query: list[dict[str, Any]] = []
    headers: list[dict[str, Any]] = []
    cookies: list[str] = []
    for param in ep.params:
        value = sent[param.name]
        if param.location == "query":
            pairs = [(quote(param.name, safe=""), "")] if value is NO_VALUE else \
                query_pairs(param, value)
            for key, text in pairs:
                entry: dict[str, Any] = {"key": key, "value": text}
                if value is NO_VALUE and not _wanted(param):
                    entry["disabled"] = True
                if param.description:
                    entry["description"] = param.description
                query.append(entry)
        elif param.location in ("header", "cookie"):
            text = _header_text(param, value)
            if param.location == "cookie":
                if text is not None:
                    cookies += [f"{k}={v}" for k, v in cookie_pairs(param, value)]
                continue
            entry = {"key": param.name, "value": text or ""}
            if text is None and not _wanted(param):
                entry["disabled"] = True
            headers.append(entry)
    extra = [dict(h) for h in extra_headers if h.get("in") != "query"]
    query += [{"key": h["key"], "value": h["value"]} for h in extra_headers
              if h.get("in") == "query"]  # further API keys sent in the query
    if cookies:
        cookie = next((h for h in extra if h["key"] == "Cookie"), None)
        if cookie is not None:
            cookie["value"] = "; ".join([*cookies, cookie["value"]])
        else:
            extra.append({"key": "Cookie", "value": "; ".join(cookies)})
    headers += extra
    body: dict[str, Any] | None = None
    chosen = values.body(strict=False)
    if chosen is not None:
        body = _body(ep, chosen)
        if chosen.kind != "multipart":  # Postman sets the multipart boundary itself
            headers.append({"key": "Content-Type", "value": chosen.content_type})
    route = "/".join(segments)
    host = "{{" + _server_variables(connector).get(ep.server or "", "baseUrl") + "}}"
    raw = host + "/" + route
    enabled = [q for q in query if not q.get("disabled")]
    if enabled:
        raw += "?" + "&".join(f"{q['key']}={q['value']}" for q in enabled)
    url: dict[str, Any] = {"raw": raw, "host": [host], "path": segments}
    if query:
        url["query"] = query
    if path_vars:
        url["variable"] = path_vars
    request: dict[str, Any] = {"method": ep.method, "header": headers, "url": url}
    if body is not None:
        request["body"] = body
    notes = [ep.description] if ep.description else []
    if chosen is not None and chosen.kind == "multipart":
        notes += _part_header_warnings(ep)
    if notes:
        request["description"] = "\n\n".join(notes)
    return {
        "name": ep.name or ep.id,
        "event": [{"listen": "test", "script": {"type": "text/javascript",
                                                "exec": list(_TEST_SCRIPT)}}],
        "request": request,
        "response": [],
    }


def to_postman(connector: Connector) -> dict[str, Any]:
    """``connector`` as a Postman collection v2.1 (plain data, deterministic, no secret
    values)."""
    if not isinstance(connector, Connector):
        raise ExportError(f"to_postman needs a Connector, not {type(connector).__name__}.")
    auth, extra_headers = _auth(connector.auth)
    top: list[dict[str, Any]] = []
    folders: dict[str, dict[str, Any]] = {}
    path_variables: list[dict[str, Any]] = []
    for ep in connector.endpoints:
        item = _request_item(connector, ep, extra_headers, path_variables)
        if ep.tags:
            folder = folders.get(ep.tags[0])
            if folder is None:
                folder = {"name": ep.tags[0], "item": []}
                folders[ep.tags[0]] = folder
                top.append(folder)
            folder["item"].append(item)
        else:
            top.append(item)
    info: dict[str, Any] = {
        "_postman_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"nbconnect:{connector.name}")),
        "name": connector.name,
        "schema": SCHEMA_URL,
    }
    if connector.description:
        info["description"] = connector.description
    out: dict[str, Any] = {"info": info, "item": top}
    if auth is not None:
        out["auth"] = auth
    out["variable"] = _variables(connector) + path_variables
    return out


def _part_header_warnings(ep: Endpoint) -> list[str]:
    return [f"Postman cannot set headers on a form-data part: the {field.name!r} part is "
            f"sent without its {', '.join(h.name for h in field.part_headers)} header(s) "
            f"(endpoint {ep.id}); nbconnect test sends them."
            for field in ep.body if field.part_headers]


def postman_warnings(connector: Connector) -> list[str]:
    """One sentence per thing of ``connector`` a Postman collection cannot express (each
    multipart field whose Encoding Object has ``headers``, naming the endpoint)."""
    return [w for ep in connector.endpoints
            if (ep.body_content_type or "").split(";")[0].strip().lower() ==
            "multipart/form-data" for w in _part_header_warnings(ep)]


def write_postman(connector: Connector, path: str | os.PathLike[str]) -> Path:
    """Write :func:`to_postman` as JSON to ``path`` (atomically); return the path. Each of
    :func:`postman_warnings` is logged as a warning (logger ``nbconnect.export``)."""
    data = (json.dumps(to_postman(connector), indent=2, ensure_ascii=False) + "\n").encode()
    target = Path(os.fspath(path)).expanduser()
    if target.is_dir():
        raise ExportError(f"{target} is a directory; give a file path such as "
                             f"{target / (connector.name + '.postman_collection.json')}.")
    from ..package.format import write_atomic

    written = write_atomic(target, data)
    if any(field.part_headers for ep in connector.endpoints for field in ep.body):
        import logging

        for warning in postman_warnings(connector):
            logging.getLogger("nbconnect.export").warning("%s", warning)
    return written
