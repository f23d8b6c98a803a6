"""Connector -> OpenAPI 3.1 document (the ``openapi.json`` of a connector package).

:func:`to_openapi` describes a connector's endpoints as an OAS 3.1 document: one
``paths`` entry per endpoint path (the ``?query`` part becomes query parameters with
defaults; a ``#fragment`` stays in the key, as some real specs have it), operationId =
endpoint id, parameters with JSON Schemas, request bodies and responses from the
endpoint's declared schemas (every declared status, range and ``default``) or, for
hand-made endpoints, from its parameter trees,
``components.schemas`` = ``Connector.schemas`` and a security scheme from the auth
config. :func:`param_schema` turns one :class:`~nbconnect.model.Param` tree into a JSON
Schema. Output is plain JSON data built in a fixed order: same connector, same document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from ..errors import EndpointDefinitionError
from ..model import (
    ApiKeyAuth,
    AuthConfig,
    BasicAuth,
    BearerAuth,
    Connector,
    Endpoint,
    JwtAuth,
    OAuth2ClientCredentials,
    OAuth2Code,
    OAuth2Password,
    Param,
    parse_path,
)
from ..model.paging import PAGING_EXTENSION
from .oas.schema import to_json_schema

__all__ = ["OPENAPI_VERSION", "param_schema", "params_object_schema", "security_scheme",
           "to_json_schema",
           "to_openapi"]

OPENAPI_VERSION = "3.1.0"
_JSON_TYPES = ("string", "integer", "number", "boolean", "object", "array", "null")
_SCHEMA_REF = "#/components/schemas/"


def _type_schema(type_: str | None, nullable: bool = False) -> dict[str, Any]:
    if type_ not in _JSON_TYPES:  # "any" or unknown: no type constraint
        return {}
    if nullable and type_ != "null":
        return {"type": [type_, "null"]}
    return {"type": type_}


def param_schema(param: Param, *, schemas: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON Schema (OAS 3.1 dialect) of one parameter and its subtree.

    ``nullable`` becomes a type list (``["string", "null"]``); an ``object`` gets
    ``properties``/``required`` from its children; an ``array`` gets ``items`` (an object
    of the children for arrays of objects, else the ``items`` type). ``example`` becomes
    ``examples: [example]``. When ``schemas`` (``Connector.schemas``) is given and holds
    the schema a recursive structure was cut at, that level refers to it by ``$ref``.
    """
    if param.recursive and schemas is not None and param.recursive in schemas:
        out: dict[str, Any] = {"$ref": _SCHEMA_REF + param.recursive}
        if param.description:
            out["description"] = param.description
        return out
    out = _type_schema(param.type, param.nullable)
    if param.format:
        out["format"] = param.format
    if param.description:
        out["description"] = param.description
    if param.enum is not None:
        enum = list(param.enum)
        if param.nullable and None not in enum:
            enum.append(None)
        out["enum"] = enum
    if param.default is not None:
        out["default"] = param.default
    if param.example is not None:
        out["examples"] = [param.example]
    if param.type == "array":
        if param.children:
            out["items"] = params_object_schema(param.children, schemas=schemas)
        else:
            out["items"] = _type_schema(param.items)
    elif param.children:
        out.update(params_object_schema(param.children, schemas=schemas))
    return out


def params_object_schema(params: Iterable[Param], *,
                         schemas: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An ``object`` schema whose properties are ``params`` (a body or response tree)."""
    params = tuple(params)
    out: dict[str, Any] = {"type": "object",
                           "properties": {p.name: param_schema(p, schemas=schemas)
                                          for p in params}}
    required = [p.name for p in params if p.required]
    if required:
        out["required"] = required
    return out


def security_scheme(auth: AuthConfig) -> dict[str, Any]:
    """The OAS ``securitySchemes`` entry for an auth config."""
    if isinstance(auth, ApiKeyAuth):
        return {"type": "apiKey", "name": auth.key, "in": auth.add_to}
    if isinstance(auth, BasicAuth):
        return {"type": "http", "scheme": "basic"}
    if isinstance(auth, JwtAuth):
        if auth.add_to == "query":
            return {"type": "apiKey", "name": auth.query_name or "jwt", "in": "query",
                    "description": "A JWT signed per request."}
        if auth.header_name and auth.header_name.lower() != "authorization":
            return {"type": "apiKey", "name": auth.header_name, "in": "header",
                    "description": "A JWT signed per request."}
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    if isinstance(auth, BearerAuth):
        return {"type": "http", "scheme": "bearer"}
    if isinstance(auth, OAuth2ClientCredentials | OAuth2Password | OAuth2Code):
        flow: dict[str, Any] = {}
        if isinstance(auth, OAuth2Code):
            name = "authorizationCode"
            flow["authorizationUrl"] = auth.authorization_url
        elif isinstance(auth, OAuth2Password):
            name = "password"
        else:
            name = "clientCredentials"
        flow["tokenUrl"] = auth.token_url
        if auth.refresh_url:
            flow["refreshUrl"] = auth.refresh_url
        flow["scopes"] = {s: "" for s in _scopes(auth.scope)}
        return {"type": "oauth2", "flows": {name: flow}}
    raise EndpointDefinitionError(f"Auth type {auth.type!r} has no OpenAPI security scheme; "
                        "pick another auth type.")


def _scopes(scope: str | None) -> list[str]:
    return list(dict.fromkeys(s for s in re.split(r"\s+", scope or "") if s))


def _operation_key(ep: Endpoint) -> str:
    tpl = parse_path(ep.path)
    return tpl.request_path + (f"#{tpl.fragment}" if tpl.fragment else "")


def _status_description(status: str) -> str:
    if status.isdigit():
        try:
            return HTTPStatus(int(status)).phrase
        except ValueError:
            pass
    return "Response"


def _parameter(p: Param) -> dict[str, Any]:
    out: dict[str, Any] = {"name": p.name, "in": p.location}
    if p.description:
        out["description"] = p.description
    if p.required or p.location == "path":
        out["required"] = True
    # the declared schema when the Param keeps one (a pattern, bounds, ...)
    schema = to_json_schema(p.schema) if p.schema is not None else param_schema(p)
    if p.schema is not None and p.example is not None:
        out["example"] = p.example  # the Parameter Object's own example (3.0.3 §4.7.12)
    if p.content_type is not None:  # described by content (OAS 3.0.3 §4.7.12)
        out["content"] = {p.content_type: {"schema": schema}}
        return out
    out["schema"] = schema
    out.update(_serialization(p))
    return out


def _serialization(p: Param) -> dict[str, Any]:
    """``style``/``explode``/``allowReserved`` where they differ from the defaults (and, for
    a form body field, ``contentType``: together its Encoding Object)."""
    out: dict[str, Any] = {}
    if p.location == "body" and p.content_type is not None:
        out["contentType"] = p.content_type
    if p.location == "body":  # an Encoding Object: what was given, no more
        out.update({k: v for k, v in (("style", p.style), ("explode", p.explode))
                    if v is not None})
    elif p.style is not None or p.explode is not None:  # written out whole, for readers
        out["style"], out["explode"] = p.serialization
    if p.allow_reserved:
        out["allowReserved"] = True
    if p.location == "body" and p.part_headers:  # Encoding Object headers (3.0.3 §4.7.14)
        out["headers"] = {h.name: {k: v for k, v in _parameter(h).items()
                                   if k not in ("name", "in")} for h in p.part_headers}
    return out


def _operation(ep: Endpoint, schemas: Mapping[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": ep.id, "summary": ep.name}
    if ep.description:
        op["description"] = ep.description
    if ep.tags:
        op["tags"] = list(ep.tags)
    if ep.params:
        op["parameters"] = [_parameter(p) for p in ep.params]
    if ep.request_schema is not None or ep.body or ep.body_content_type:
        if ep.request_schema is not None:
            schema: dict[str, Any] | None = to_json_schema(ep.request_schema)
        elif ep.body:
            schema = params_object_schema(ep.body, schemas=schemas)
        else:
            schema = None
        media: dict[str, Any] = {"schema": schema} if schema is not None else {}
        encoding = {p.name: _serialization(p) for p in ep.body if _serialization(p)}
        if encoding and (ep.body_content_type or "").split(";")[0].strip().lower() in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            media["encoding"] = encoding
        body: dict[str, Any] = {"content": {ep.body_content_type or "application/json": media}}
        if ep.body and any(p.required for p in ep.body):
            body["required"] = True
        op["requestBody"] = body
    if ep.responses:
        op["responses"] = {code: _response(code, content)
                           for code, content in ep.responses.items()}
        return op
    status = ep.response_status or "200"
    response: dict[str, Any] = {"description": _status_description(status)}
    if ep.response_schema is not None:
        schema = to_json_schema(ep.response_schema)
    elif ep.response:
        schema = params_object_schema(ep.response, schemas=schemas)
    else:
        schema = None
    if schema is not None or ep.response_content_type:
        media = {"schema": schema} if schema is not None else {}
        response["content"] = {ep.response_content_type or "application/json": media}
    op["responses"] = {status: response}
    return op


def _response(code: str, content: Mapping[str, Any]) -> dict[str, Any]:
    """One declared response (every one an endpoint keeps, see ``Endpoint.responses``)."""
    out: dict[str, Any] = {"description": _status_description(code)}
    if content:
        out["content"] = {mtype: ({"schema": to_json_schema(schema)} if schema is not None
                                  else {}) for mtype, schema in content.items()}
    return out


def to_openapi(connector: Connector) -> dict[str, Any]:
    """The OAS 3.1 document of ``connector``'s endpoints (plain JSON data).

    Raises :class:`~nbconnect.errors.EndpointError` when two endpoints differ only in
    their ``?query`` defaults (OpenAPI cannot tell them apart).
    """
    info: dict[str, Any] = {"title": connector.name, "version": "1.0.0"}
    if connector.description:
        info["description"] = connector.description
    doc: dict[str, Any] = {"openapi": OPENAPI_VERSION, "info": info}
    if connector.base_url:
        doc["servers"] = [{"url": connector.base_url}]
    paths: dict[str, dict[str, Any]] = {}
    owners: dict[tuple[str, str], str] = {}
    for ep in connector.endpoints:
        key = _operation_key(ep)
        method = ep.method.lower()
        other = owners.get((key, method))
        if other is not None:
            raise EndpointDefinitionError(
                f"Endpoints {other!r} and {ep.id!r} are both {ep.method} {key} once their "
                "?query defaults are set aside, which OpenAPI cannot express; give one of "
                f"them a #fragment (such as {key.partition('#')[0]}#{ep.id}) to tell them apart.")
        owners[(key, method)] = ep.id
        paths.setdefault(key, {})[method] = _operation(ep, connector.schemas)
        if ep.server is not None:  # the endpoint's own server (path/operation servers)
            paths[key][method]["servers"] = [{"url": ep.server}]
        if ep.paging is not None:  # the paging rule, read back on import
            paths[key][method][PAGING_EXTENSION] = ep.paging.to_dict()
    doc["paths"] = paths
    components: dict[str, Any] = {}
    if connector.schemas:
        components["schemas"] = {k: to_json_schema(v) for k, v in connector.schemas.items()}
    if connector.auth is not None:
        components["securitySchemes"] = {connector.auth.type: security_scheme(connector.auth)}
        components["securitySchemes"].update(_extra_key_schemes(connector.auth))
    if components:
        doc["components"] = components
    if connector.auth is not None:
        scopes = (_scopes(getattr(connector.auth, "scope", None))
                  if connector.auth.type.startswith("oauth2") else [])
        doc["security"] = [{connector.auth.type: scopes,
                            **{name: [] for name in _extra_key_schemes(connector.auth)}}]
    if getattr(connector, "links", ()):  # static lists as enum, dynamic as x-nbconnect-link
        from ..links.openapi import annotate

        annotate(doc, connector)
    return doc


def _extra_key_schemes(auth: AuthConfig) -> dict[str, Any]:
    """The schemes of an API-key auth's further keys (``api-key-2``, ...): one requirement
    names them all, because the API needs every key at once."""
    if not isinstance(auth, ApiKeyAuth):
        return {}
    return {f"{auth.type}-{i}": {"type": "apiKey", "name": key, "in": add_to}
            for i, (key, add_to) in enumerate(auth.extra_keys, start=2)}
