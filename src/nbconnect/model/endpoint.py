"""Endpoints: ``Endpoint``, one HTTP operation of a connector, and how endpoints get ids.

An endpoint is frozen data: its method, its path (see :mod:`nbconnect.model.params`), its
request parameters, body and response trees, the JSON Schemas a spec declared and every
response the spec declared (``responses``: status or range -> media type -> schema; see
:meth:`Endpoint.response_for`).
:func:`default_endpoint_id` and :func:`slugify` make the stable ids of endpoints without an
operationId.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import EndpointDefinitionError
from .paging import PagingRule, checked_paging
from .params import _ID_RE, Param, parse_path

__all__ = [
    "HTTP_METHODS",
    "Endpoint",
    "default_endpoint_id",
    "slugify",
]

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_STATUS_RE = re.compile(r"([1-5][0-9][0-9]|[1-5][Xx][Xx]|default)\Z")


def slugify(text: str, *, sep: str = "_") -> str:
    """A lowercase identifier made of ``[a-z0-9]`` runs joined by ``sep``."""
    words = re.findall(r"[A-Za-z0-9]+", re.sub(r"(?<=\w)['\u2019](?=\w)", "", text))
    return sep.join(w.lower() for w in words) or "endpoint"


@dataclass(frozen=True)
class Endpoint:
    """One HTTP operation of the connector.

    ``id`` is stable: the spec's operationId, or a slug of method and path. ``path`` is
    kept as written (``{param}`` form, ``?k=v`` defaults and ``#fragment`` included);
    path parameters always come from the path. ``params`` holds path/query/header/cookie
    parameters, ``body`` and ``response`` the top level of the body and response trees.
    ``request_schema``/``response_schema`` are the JSON Schemas the spec declared (their
    ``$ref``s point at ``Connector.schemas``); hand-made endpoints have none and their
    schemas are derived from the parameter trees. ``response_status``/``_content_type``/
    ``_schema`` describe the primary response (the one the trees and the mock use);
    ``responses`` holds **every** declared response, ``{"201": {"application/json":
    schema}, "4XX": {}, "default": {...}}`` (status codes, ``NXX`` ranges, ``default``; a
    media type maps to its schema or None). It is empty when it would say no more than the
    primary response (so packages of one-response endpoints do not change);
    :attr:`declared_responses` always gives the full map.
    """

    id: str
    method: str
    path: str
    name: str = ""
    description: str = ""
    params: tuple[Param, ...] = ()
    body: tuple[Param, ...] = ()
    body_content_type: str | None = None
    response: tuple[Param, ...] = ()
    response_status: str | None = None
    response_content_type: str | None = None
    request_schema: dict[str, Any] | None = None
    response_schema: dict[str, Any] | None = None
    tags: tuple[str, ...] = ()
    source: str = "manual"
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the endpoint's own server (a path- or operation-level ``servers`` entry of the spec),
    #: an absolute base URL checked like the connector's; None: the connector's base URL
    server: str | None = None
    #: how the endpoint's pages follow each other (see :mod:`nbconnect.model.paging`);
    #: None: not known (a call fetches one page)
    paging: PagingRule | None = None

    def __post_init__(self) -> None:
        method = self.method.upper() if isinstance(self.method, str) else self.method
        if method not in HTTP_METHODS:
            raise EndpointDefinitionError(
                f"HTTP method {self.method!r} is not supported; use one of "
                f"{', '.join(HTTP_METHODS)}.")
        object.__setattr__(self, "method", method)
        if not isinstance(self.id, str) or not _ID_RE.match(self.id):
            raise EndpointDefinitionError(
                f"Endpoint id {self.id!r} is not valid; use letters, digits, "
                "'_', '-' and '.', starting with a letter, digit or '_'.")
        tpl = parse_path(self.path)
        object.__setattr__(self, "path", tpl.template)
        for name in ("params", "body", "response", "tags"):
            value = getattr(self, name)
            if not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))
        if self.source not in ("manual", "openapi"):
            raise EndpointDefinitionError(
                f"Endpoint source {self.source!r} is not 'manual' or 'openapi'.")
        if not self.name:
            object.__setattr__(self, "name", self.id)
        if self.server is not None:
            from .urls import check_base_url

            object.__setattr__(self, "server", check_base_url(
                self.server, what=f"server URL of endpoint {self.id}"))
        object.__setattr__(self, "responses", self._checked_responses())
        # Path parameters come from the path: add the missing ones, refuse strays.
        declared = {p.name: p for p in self.params if p.location == "path"}
        stray = sorted(set(declared) - set(tpl.path_params))
        if stray:
            raise EndpointDefinitionError(
                f"Endpoint {self.id}: path parameter(s) {', '.join(stray)} are "
                f"not in the path {tpl.template!r}; edit the path to add them.")
        seen: set[tuple[str, str]] = set()
        for p in self.params:
            if p.location not in ("path", "query", "header", "cookie"):
                raise EndpointDefinitionError(
                    f"Endpoint {self.id}: parameter {p.name!r} has location "
                    f"{p.location!r}; request parameters are path, query, "
                    "header or cookie (body fields go in body).")
            key = (p.location, p.name if p.location != "header" else p.name.lower())
            if key in seen:
                raise EndpointDefinitionError(f"Endpoint {self.id}: the {p.location} parameter "
                                    f"{p.name!r} is defined twice; keep one.")
            seen.add(key)
        path_params = tuple(declared.get(n) or Param(n, location="path", required=True)
                            for n in tpl.path_params)
        others = tuple(p for p in self.params if p.location != "path")
        query_names = {p.name for p in others if p.location == "query"}
        defaults = tuple(Param(k, location="query", default=v) for k, v in tpl.query_defaults
                         if k not in query_names)
        object.__setattr__(self, "params", path_params + others + defaults)
        if self.paging is not None:  # it must name parameters and fields the endpoint has
            object.__setattr__(self, "paging", checked_paging(self.paging, self))

    def __repr__(self) -> str:
        return f"Endpoint({self.id!r}, {self.method} {self.path}, name={self.name!r})"

    def _primary_responses(self) -> dict[str, dict[str, Any]]:
        if self.response_status is None:
            return {}
        if self.response_schema is None and not self.response_content_type:
            return {self.response_status: {}}
        return {self.response_status: {self.response_content_type or "application/json":
                                       self.response_schema}}

    def _checked_responses(self) -> dict[str, dict[str, Any]]:
        raw = self.responses
        if not raw:
            return {}
        if not isinstance(raw, Mapping):
            raise EndpointDefinitionError(
                f"Endpoint {self.id}: responses must map status codes to media types.")
        out: dict[str, dict[str, Any]] = {}
        for status, content in raw.items():
            code = str(status)
            if not _STATUS_RE.match(code):
                raise EndpointDefinitionError(
                    f"Endpoint {self.id}: response status {code!r} is not a status code, "
                    "a range such as 2XX, or default; fix the status.")
            if content is None:
                content = {}
            if not isinstance(content, Mapping) or not all(
                    isinstance(k, str) and (v is None or isinstance(v, Mapping | bool))
                    for k, v in content.items()):
                raise EndpointDefinitionError(
                    f"Endpoint {self.id}: response {code} must map media types to schemas.")
            out[code] = {str(k): (dict(v) if isinstance(v, Mapping) else v)
                         for k, v in content.items()}
        if out == self._primary_responses():
            return {}
        return out

    @property
    def declared_responses(self) -> dict[str, dict[str, Any]]:
        """Every declared response: status/range/``default`` -> media type -> schema or
        None (the primary response alone when ``responses`` is empty)."""
        return self.responses or self._primary_responses()

    def response_for(self, status: int) -> tuple[str, dict[str, Any]] | None:
        """The declared response that covers ``status``: ``(key, content)`` for the exact
        code, else its ``NXX`` range, else ``default`` (OAS 3.0.3 §4.7.16 / 3.1 §4.8.16:
        the most specific wins), or None when none covers it."""
        declared = self.declared_responses
        wanted = (str(status), f"{status // 100}XX", "default")
        upper = {k.upper() if k != "default" else k: k for k in declared}
        for want in wanted:
            key = upper.get(want)
            if key is not None:
                return key, declared[key]
        return None

    @property
    def request_path(self) -> str:
        """The path that is sent: without ``?query`` and ``#fragment``."""
        return parse_path(self.path).request_path

    @property
    def path_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.location == "path")

    @property
    def query_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.location == "query")

    @property
    def header_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.location in ("header", "cookie"))

    def param(self, name: str, location: str | None = None) -> Param:
        """The request parameter called ``name`` (optionally in ``location``)."""
        for p in self.params:
            if p.name == name and (location is None or p.location == location):
                return p
        raise EndpointDefinitionError(
            f"Endpoint {self.id} has no parameter {name!r}; its parameters "
            f"are {', '.join(p.name for p in self.params) or 'none'}.")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "method": self.method, "path": self.path,
                               "name": self.name}
        if self.description:
            out["description"] = self.description
        if self.tags:
            out["tags"] = list(self.tags)
        out["source"] = self.source
        if self.params:
            out["params"] = [p.to_dict() for p in self.params]
        if self.body:
            out["body"] = [p.to_dict() for p in self.body]
        if self.body_content_type:
            out["body_content_type"] = self.body_content_type
        if self.request_schema is not None:
            out["request_schema"] = self.request_schema
        if self.response:
            out["response"] = [p.to_dict() for p in self.response]
        if self.response_status:
            out["response_status"] = self.response_status
        if self.response_content_type:
            out["response_content_type"] = self.response_content_type
        if self.response_schema is not None:
            out["response_schema"] = self.response_schema
        if self.responses:
            out["responses"] = {k: dict(v) for k, v in self.responses.items()}
        if self.server is not None:
            out["server"] = self.server
        if self.paging is not None:
            out["paging"] = self.paging.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Endpoint:
        """Build an Endpoint from ``to_dict`` output or a hand-written mapping.

        ``id`` defaults to a slug of the name (or of method and path); ``query``,
        ``headers`` and ``path`` lists are accepted as shorthands for ``params`` entries.
        """
        if not isinstance(data, Mapping):
            raise EndpointDefinitionError("An endpoint must be a mapping with method and path.")
        known = {"id", "method", "path", "name", "description", "tags", "source", "params",
                 "query", "headers", "cookies", "path_params", "body", "body_content_type",
                 "request_schema", "response", "response_status", "response_content_type",
                 "response_schema", "responses", "server", "paging"}
        extra = sorted(set(data) - known)
        if extra:
            raise EndpointDefinitionError(
                f"Endpoint has unknown field(s) {', '.join(extra)}; known "
                f"fields are {', '.join(sorted(known))}.")
        for req in ("method", "path"):
            if not data.get(req):
                raise EndpointDefinitionError(
                    f"The endpoint definition has no {req}; add '{req}:'.")
        params = [Param.from_dict(p) for p in data.get("params") or ()]
        for key, loc in (("path_params", "path"), ("query", "query"), ("headers", "header"),
                         ("cookies", "cookie")):
            params += [Param.from_dict(p, loc) for p in data.get(key) or ()]
        method = str(data["method"])
        path = str(data["path"])
        ep_id = data.get("id") or default_endpoint_id(method, path, data.get("name"))
        return cls(
            id=ep_id,
            method=method,
            path=path,
            name=data.get("name") or "",
            description=data.get("description") or "",
            params=tuple(params),
            body=tuple(Param.from_dict(p, "body") for p in data.get("body") or ()),
            body_content_type=data.get("body_content_type"),
            response=tuple(Param.from_dict(p, "response") for p in data.get("response") or ()),
            response_status=(str(data["response_status"])
                             if data.get("response_status") is not None else None),
            response_content_type=data.get("response_content_type"),
            request_schema=data.get("request_schema"),
            response_schema=data.get("response_schema"),
            tags=tuple(data.get("tags") or ()),
            source=data.get("source", "manual"),
            responses=data.get("responses") or {},
            server=data.get("server"),
            paging=data.get("paging"),
        )


def default_endpoint_id(method: str, path: str, name: str | None = None) -> str:
    """The id an endpoint gets without an operationId: a slug of method and path."""
    if name:
        return slugify(name)
    route = parse_path(path).template
    return slugify(f"{method} {route}")
