"""The connector model: Connector, Endpoint, Param, auth configs and test connections.

Plain dataclasses. ``Param``, ``Endpoint``, the auth configs and ``Connection`` are
frozen values (change them with :func:`dataclasses.replace`); ``Connector`` is the one
mutable object, and every assignment to it is validated as a whole before it takes
effect, so a bad input leaves the connector exactly as it was.

Reprs are stable (no memory addresses, times or ports), so notebooks that show these
objects can be compared by nbval. ``to_dict``/``from_dict`` give the plain data that the
package format (``package.py``) writes and reads.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .. import limits
from ..auth.secrets import Secret, parse_reference
from ..errors import (
    AuthConfigError,
    BaseUrlError,
    ConnectorError,
    EndpointDefinitionError,
    EndpointNotFoundError,
    LimitError,
    SecretError,
)
from .urls import check_base_url

__all__ = [
    "AUTH_TYPES",
    "HTTP_METHODS",
    "PARAM_LOCATIONS",
    "PARAM_TYPES",
    "ApiKeyAuth",
    "AuthConfig",
    "BasicAuth",
    "BearerAuth",
    "Connection",
    "Connector",
    "Endpoint",
    "JwtAuth",
    "OAuth2ClientCredentials",
    "OAuth2Code",
    "OAuth2Password",
    "Param",
    "PathTemplate",
    "auth_from_dict",
    "parse_path",
    "slugify",
]

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PARAM_LOCATIONS = ("path", "query", "header", "cookie", "body", "response")
PARAM_TYPES = ("string", "integer", "number", "boolean", "object", "array", "null", "any")

# Names: path parameters are identifiers (dots and dashes allowed, as real specs use
# them: {user-id}, {repo.name}); query/header/cookie/body names are any printable text
# without braces, so they can never be mistaken for a template.
_PATH_PARAM_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
_HEADER_NAME_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")  # RFC 9110 token
_BAD_NAME_CHARS = re.compile(r"[{}\x00-\x1f\x7f]")
_ID_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*\Z")


def slugify(text: str, *, sep: str = "_") -> str:
    """A lowercase identifier made of ``[a-z0-9]`` runs joined by ``sep``."""
    words = re.findall(r"[A-Za-z0-9]+", re.sub(r"(?<=\w)['\u2019](?=\w)", "", text))
    return sep.join(w.lower() for w in words) or "endpoint"


def check_param_name(name: object, location: str) -> str:
    """Return ``name`` if it is a valid parameter name for ``location``, else raise."""
    if not isinstance(name, str) or not name:
        raise EndpointDefinitionError(f"A {location} parameter has an empty name; give it a name.")
    if location == "path":
        if not _PATH_PARAM_RE.match(name):
            raise EndpointDefinitionError(
                f"Path parameter name {name!r} is not an identifier; use letters, digits, "
                "'_', '-' or '.', starting with a letter or '_'.")
    elif location == "header" or location == "cookie":
        if not _HEADER_NAME_RE.match(name):
            raise EndpointDefinitionError(
                f"{location.capitalize()} parameter name {name!r} is not a valid HTTP token; "
                "use letters, digits and -_.!#$%&'*+^`|~ only.")
    elif _BAD_NAME_CHARS.search(name) or len(name) > limits.MAX_NAME_LENGTH:
        raise EndpointDefinitionError(
            f"{location.capitalize()} parameter name {name!r} contains braces or control "
            "characters; rename it.")
    return name


# --------------------------------------------------------------------------- paths


@dataclass(frozen=True)
class PathTemplate:
    """An endpoint path taken apart.

    ``template`` is the path in ``{param}`` form with any ``?query`` and ``#fragment``
    kept (the fragment is part of the endpoint's identity, as in some AWS-derived
    specs, and is never sent); ``request_path`` is what is sent; ``path_params`` are
    the names in order; ``query_defaults`` are the ``k=v`` pairs written after ``?``,
    which the reference treats as the endpoint's default query parameters.
    """

    template: str
    request_path: str
    path_params: tuple[str, ...]
    query_defaults: tuple[tuple[str, str], ...]
    fragment: str


_COLON_PARAM_RE = re.compile(r"(?<=/):([A-Za-z_][A-Za-z0-9_]*)")


def parse_path(path: object) -> PathTemplate:
    """Parse an endpoint path written with ``{param}`` or ``:param``; raise on bad ones.

    Refused: empty or not starting with ``/``, unbalanced or nested braces, empty or
    non-identifier parameter names, a parameter named twice, ``.``/``..`` segments,
    blanks and control characters.
    """
    from urllib.parse import parse_qsl

    if not isinstance(path, str) or not path.strip():
        raise EndpointDefinitionError(
            "The endpoint path is empty; give a path such as /users/{id}.")
    raw = path.strip()
    if re.search(r"[\s\x00-\x1f\x7f]", raw):
        raise EndpointDefinitionError(
            f"The endpoint path {raw!r} contains blanks or control characters; "
            "percent-encode them or remove them.")
    if not raw.startswith("/"):
        raise EndpointDefinitionError(
            f"The endpoint path {raw!r} must start with '/' (it is joined to "
            "the connector's base URL).")
    base, hash_, fragment = raw.partition("#")
    route, q, query = base.partition("?")
    route = _COLON_PARAM_RE.sub(lambda m: "{" + m.group(1) + "}", route)
    names: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(route):
        if ch == "{":
            if depth:
                raise EndpointDefinitionError(f"The endpoint path {raw!r} has nested braces; write "
                                    "each parameter once, as {name}.")
            depth, start = 1, i
        elif ch == "}":
            if not depth:
                raise EndpointDefinitionError(
                    f"The endpoint path {raw!r} has a '}}' without its '{{'; "
                    "balance the braces.")
            depth = 0
            name = route[start + 1:i]
            if not name:
                raise EndpointDefinitionError(
                    f"The endpoint path {raw!r} has an empty {{}}; name the "
                    "parameter, as in {id}.")
            check_param_name(name, "path")
            if name in names:
                raise EndpointDefinitionError(
                    f"The endpoint path {raw!r} names the parameter {name!r} "
                    "twice; give each path parameter its own name.")
            names.append(name)
    if depth:
        raise EndpointDefinitionError(
            f"The endpoint path {raw!r} has a '{{' without its '}}'; balance "
            "the braces.")
    if any(seg in (".", "..") for seg in route.split("/")):
        raise EndpointDefinitionError(
            f"The endpoint path {raw!r} has a '.' or '..' segment; write the "
            "path without it.")
    pairs = tuple(parse_qsl(query, keep_blank_values=True)) if q else ()
    for key, _ in pairs:
        check_param_name(key, "query")
    template = route + (q + query if q else "") + (hash_ + fragment if hash_ else "")
    return PathTemplate(template, route, tuple(names), pairs, fragment)


# --------------------------------------------------------------------------- params


@dataclass(frozen=True)
class Param:
    """A request or response parameter.

    ``location`` is ``path``/``query``/``header``/``cookie`` for request parameters,
    ``body`` for request-body fields and ``response`` for response fields. Body and
    response parameters form trees: an ``object`` has ``children``; an ``array`` has
    ``items`` (the item type) and, for arrays of objects, ``children`` (the item's
    fields). ``recursive`` names the schema where a recursive structure was cut.
    ``default`` of ``None`` means no default.
    """

    name: str
    type: str = "string"
    location: str = "query"
    required: bool = False
    default: Any = None
    description: str = ""
    format: str | None = None
    enum: tuple[Any, ...] | None = None
    example: Any = None
    items: str | None = None
    nullable: bool = False
    children: tuple[Param, ...] = ()
    recursive: str | None = None

    def __post_init__(self) -> None:
        if self.location not in PARAM_LOCATIONS:
            raise EndpointDefinitionError(f"Parameter location {self.location!r} is not one of "
                                f"{', '.join(PARAM_LOCATIONS)}; pick one of those.")
        check_param_name(self.name, self.location)
        if self.type not in PARAM_TYPES:
            raise EndpointDefinitionError(
                f"Parameter {self.name!r} has type {self.type!r}; use one of "
                f"{', '.join(PARAM_TYPES)}.")
        if self.location == "path" and not self.required:
            object.__setattr__(self, "required", True)
        if not isinstance(self.children, tuple):
            object.__setattr__(self, "children", tuple(self.children))
        if self.enum is not None and not isinstance(self.enum, tuple):
            object.__setattr__(self, "enum", tuple(self.enum))

    def __repr__(self) -> str:
        bits = [repr(self.name), f"type={self.type!r}"]
        if self.items:
            bits.append(f"items={self.items!r}")
        bits.append(f"location={self.location!r}")
        if self.required:
            bits.append("required=True")
        if self.default is not None:
            bits.append(f"default={self.default!r}")
        if self.children:
            bits.append(f"children={len(self.children)}")
        if self.recursive:
            bits.append(f"recursive={self.recursive!r}")
        return f"Param({', '.join(bits)})"

    def walk(self, prefix: str = "") -> Iterable[tuple[str, Param]]:
        """Yield ``(dotted.path, param)`` for this parameter and its descendants.

        Array levels show as ``[]``: ``items[].id``.
        """
        here = f"{prefix}.{self.name}" if prefix else self.name
        yield here, self
        sub = here + "[]" if self.type == "array" else here
        for child in self.children:
            yield from child.walk(sub)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.items is not None:
            out["items"] = self.items
        if self.location not in ("body", "response"):
            out["in"] = self.location
        for key in ("required", "nullable"):
            if getattr(self, key):
                out[key] = True
        if self.default is not None:
            out["default"] = self.default
        if self.description:
            out["description"] = self.description
        if self.format is not None:
            out["format"] = self.format
        if self.enum is not None:
            out["enum"] = list(self.enum)
        if self.example is not None:
            out["example"] = self.example
        if self.recursive is not None:
            out["recursive"] = self.recursive
        if self.children:
            out["children"] = [c.to_dict() for c in self.children]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], location: str | None = None) -> Param:
        """Build a Param from ``to_dict`` output or a hand-written mapping."""
        if not isinstance(data, Mapping):
            raise EndpointDefinitionError(
                f"A parameter must be a mapping with at least a name, not "
                f"{type(data).__name__}.")
        known = {"name", "type", "items", "in", "location", "required", "nullable", "default",
                 "description", "format", "enum", "example", "recursive", "children"}
        extra = sorted(set(data) - known)
        if extra:
            raise EndpointDefinitionError(f"Parameter {data.get('name')!r} has unknown field(s) "
                                f"{', '.join(extra)}; known fields are {', '.join(sorted(known))}.")
        loc = location or data.get("in") or data.get("location") or "query"
        child_loc = loc if loc in ("body", "response") else "body"
        return cls(
            name=data.get("name"),  # type: ignore[arg-type]
            type=data.get("type", "string"),
            location=loc,
            required=bool(data.get("required", False)),
            default=data.get("default"),
            description=data.get("description") or "",
            format=data.get("format"),
            enum=tuple(data["enum"]) if data.get("enum") is not None else None,
            example=data.get("example"),
            items=data.get("items"),
            nullable=bool(data.get("nullable", False)),
            children=tuple(cls.from_dict(c, child_loc) for c in data.get("children") or ()),
            recursive=data.get("recursive"),
        )


# --------------------------------------------------------------------------- endpoints


@dataclass(frozen=True)
class Endpoint:
    """One HTTP operation of the connector.

    ``id`` is stable: the spec's operationId, or a slug of method and path. ``path`` is
    kept as written (``{param}`` form, ``?k=v`` defaults and ``#fragment`` included);
    path parameters always come from the path. ``params`` holds path/query/header/cookie
    parameters, ``body`` and ``response`` the top level of the body and response trees.
    ``request_schema``/``response_schema`` are the JSON Schemas the spec declared (their
    ``$ref``s point at ``Connector.schemas``); hand-made endpoints have none and their
    schemas are derived from the parameter trees.
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

    def __repr__(self) -> str:
        return f"Endpoint({self.id!r}, {self.method} {self.path}, name={self.name!r})"

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
                 "response_schema"}
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
        )


def default_endpoint_id(method: str, path: str, name: str | None = None) -> str:
    """The id an endpoint gets without an operationId: a slug of method and path."""
    if name:
        return slugify(name)
    route = parse_path(path).template
    return slugify(f"{method} {route}")


# --------------------------------------------------------------------------- auth

# Auth configs hold the non-secret fields of one auth method, each validated when the
# config is made (AuthConfigError naming the field; nothing else changes). Secret values
# (API key value, password, token, JWT secret, client secret) never belong to a config:
# test connections hold references to them, and per-connection non-secret values
# (username, a client_id that differs per connection) are connection settings.

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_LINE_BREAK_RE = re.compile(r"[\r\n]")
_RELATIVE_TIME_RE = re.compile(r"([+-])(\d{1,9})([smhd])\Z")
_TIME_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: JWT claims whose template value may be "now" or a relative time such as "+300s"
JWT_TIME_CLAIMS = ("iat", "nbf", "exp", "auth_time")


def _flag(field_name: str) -> str:
    return "--" + field_name.replace("_", "-")


@dataclass(frozen=True)
class AuthConfig:
    """Base of the auth configs: the non-secret fields of one auth method.

    Secret values (API key value, password, token, JWT secret, client secret) are never
    part of the connector: they belong to test connections, as references.
    ``secret_fields`` names the secrets a connection must give, ``setting_fields`` the
    non-secret per-connection settings the type reads (``Connection.settings``).
    """

    type: ClassVar[str] = ""
    #: how messages name this auth type
    label: ClassVar[str] = ""
    #: secret fields this auth type needs from a connection
    secret_fields: ClassVar[tuple[str, ...]] = ()
    #: non-secret per-connection settings this auth type reads
    setting_fields: ClassVar[tuple[str, ...]] = ()
    #: secret fields a connection may leave out (a public OAuth2 client has no secret)
    optional_secret_fields: ClassVar[tuple[str, ...]] = ()

    def _set_fields(self) -> list[tuple[str, Any]]:
        """(name, value) of the fields that differ from their defaults, plus key fields."""
        out = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in _ALWAYS or (value is not None and value != f.default):
                out.append((f.name, value))
        return out

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        for name, value in self._set_fields():
            out[name] = list(value) if isinstance(value, tuple) else value
        return out

    def __repr__(self) -> str:
        parts = [f"{name}={value!r}" for name, value in self._set_fields()]
        return f"{type(self).__name__}({', '.join(parts)})"

    # -- validation helpers (raise AuthConfigError naming the field) ---------------------

    def _fail(self, message: str) -> AuthConfigError:
        return AuthConfigError(f"{self.label} {message}")

    def _text(self, name: str, *, required: bool = False, what: str = "") -> str | None:
        """The field ``name`` as a non-empty single-line string (or None when optional)."""
        value = getattr(self, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                desc = f"{what} ({name}, {_flag(name)})" if what else f"{name} ({_flag(name)})"
                raise self._fail(f"auth needs {desc}; set it.")
            object.__setattr__(self, name, None)
            return None
        if not isinstance(value, str):
            raise self._fail(f"{name} must be text, not {type(value).__name__}; give it as a "
                             "string.")
        if _LINE_BREAK_RE.search(value):
            raise self._fail(f"{name} contains a line break (CR/LF), which could inject HTTP "
                             "headers; remove it.")
        if _CONTROL_RE.search(value):
            raise self._fail(f"{name} contains control characters; remove them.")
        return value

    def _token(self, name: str, *, required: bool = False, what: str = "") -> str | None:
        """A header or cookie name: an RFC 9110 token."""
        value = self._text(name, required=required, what=what)
        if value is not None and not _HEADER_NAME_RE.match(value):
            raise self._fail(f"{name} {value!r} is not a valid HTTP header or cookie name; use "
                             "letters, digits and -_.!#$%&'*+^`|~ only.")
        return value

    def _choice(self, name: str, allowed: tuple[str, ...], what: str) -> str:
        value = getattr(self, name)
        if value not in allowed:
            raise self._fail(f"{what} {value!r} is not one of {', '.join(allowed)}; pick one "
                             "of those.")
        return value

    def _url(self, name: str, what: str, *, required: bool = False,
             allow_query: bool = True) -> str | None:
        """An absolute https URL (http only to loopback hosts)."""
        value = self._text(name, required=required, what=f"the {what}")
        if value is None:
            return None
        url = value.strip()
        if re.search(r"\s", url):
            raise self._fail(f"{what} ({name}) contains blanks; remove them or "
                             "percent-encode them.")
        base, _, _ = url.partition("?") if allow_query else (url, "", "")
        try:
            check_base_url(base, what=f"{what} ({name})")
        except BaseUrlError as exc:
            raise self._fail(f"auth: {exc.message[:1].lower()}{exc.message[1:]}") from None
        object.__setattr__(self, name, url)
        return url


_ALWAYS = {"key", "add_to", "token_url", "algorithm"}
API_KEY_ADD_TO = ("header", "query", "cookie")
JWT_ADD_TO = ("header", "query")
CLIENT_AUTH_METHODS = ("basic", "body", "basic-form-encoded")
JWT_ALGORITHMS = ("HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384",
                  "PS512", "ES256", "ES384", "ES512", "EdDSA")


@dataclass(frozen=True, repr=False)
class ApiKeyAuth(AuthConfig):
    """API key: ``key`` is the parameter name (e.g. ``X-API-Key``), not the key itself.

    ``add_to`` is ``header``, ``query`` or ``cookie``; the value is the connection's
    secret ``value``.
    """

    type: ClassVar[str] = "api-key"
    label: ClassVar[str] = "API key"
    secret_fields: ClassVar[tuple[str, ...]] = ("value",)
    key: str = "X-API-Key"
    add_to: str = "header"

    def __post_init__(self) -> None:
        self._choice("add_to", API_KEY_ADD_TO, "add-to")
        what = "the parameter name"
        if self.add_to == "query":
            key = self._text("key", required=True, what=what)
            if key is not None and re.search(r"[{}]", key):
                raise self._fail(f"key {key!r} contains braces; rename it.")
        else:
            self._token("key", required=True, what=what)


@dataclass(frozen=True, repr=False)
class BasicAuth(AuthConfig):
    """HTTP Basic (RFC 7617): the username is a connection setting, the password a secret."""

    type: ClassVar[str] = "basic"
    label: ClassVar[str] = "Basic"
    secret_fields: ClassVar[tuple[str, ...]] = ("password",)
    setting_fields: ClassVar[tuple[str, ...]] = ("username",)


@dataclass(frozen=True, repr=False)
class BearerAuth(AuthConfig):
    """Bearer token (RFC 6750); the token is the connection's secret ``token``."""

    type: ClassVar[str] = "bearer"
    label: ClassVar[str] = "Bearer"
    secret_fields: ClassVar[tuple[str, ...]] = ("token",)


def _jwt_payload(value: object) -> tuple[tuple[str, Any], ...]:
    """The JWT payload template as (claim, value) pairs; raise on anything but an object."""
    import json

    example = '{"sub": "ada", "iat": "now", "exp": "+300s"}'
    if value is None:
        return ()
    if isinstance(value, str):
        if not value.strip():
            return ()
        try:
            data = json.loads(value)
        except ValueError as exc:
            raise AuthConfigError(f"JWT auth: payload (--payload) is not valid JSON "
                                  f"({getattr(exc, 'msg', exc)}); write a JSON object such as "
                                  f"{example}.") from None
    elif isinstance(value, Mapping) or _is_pairs(value):
        data = dict(value)  # type: ignore[arg-type]
    else:
        data = value
    if not isinstance(data, dict):
        kind = {list: "an array", tuple: "an array", int: "a number", float: "a number",
                bool: "a boolean", str: "a string"}.get(type(data), type(data).__name__)
        raise AuthConfigError(f"JWT auth: payload (--payload) must be a JSON object such as "
                              f"{example}, not {kind}.")
    for claim, claim_value in data.items():
        if not isinstance(claim, str) or not claim:
            raise AuthConfigError(f"JWT auth: payload claim name {claim!r} is not a non-empty "
                                  "string; JSON object keys are strings.")
        if claim in JWT_TIME_CLAIMS and not _is_time_template(claim_value):
            raise AuthConfigError(f"JWT auth: payload claim {claim!r} is {claim_value!r}; a "
                                  "time claim is a number of seconds since the epoch, \"now\" "
                                  "or a relative time such as \"+300s\" or \"-30s\".")
    try:
        json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise AuthConfigError(f"JWT auth: payload (--payload) is not plain JSON ({exc}); use "
                              "strings, numbers, booleans, null, arrays and objects.") from None
    return tuple(data.items())


def _is_pairs(value: object) -> bool:
    return isinstance(value, tuple) and all(isinstance(p, tuple) and len(p) == 2 for p in value)


def _is_time_template(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and (value == "now" or bool(_RELATIVE_TIME_RE.match(value)))


def jwt_time_value(value: int | float | str, now: float) -> int:
    """A JWT time claim template filled at time ``now``: ``"now"``, ``"+300s"`` or a number."""
    if isinstance(value, str):
        if value == "now":
            return int(now)
        match = _RELATIVE_TIME_RE.match(value)
        if match is None:
            raise AuthConfigError(f"JWT auth: time claim value {value!r} is not \"now\" or a "
                                  "relative time such as \"+300s\".")
        sign, amount, unit = match.groups()
        delta = int(amount) * _TIME_UNITS[unit]
        return int(now) + (delta if sign == "+" else -delta)
    return int(value)


@dataclass(frozen=True, repr=False)
class JwtAuth(AuthConfig):
    """JWT Bearer: a token signed from the ``payload`` template; the key is a secret.

    ``add_to`` is ``header`` (``Authorization: Bearer <jwt>``, or the raw token in the
    header ``header_name`` when one is given) or ``query`` (the parameter
    ``query_name``). ``payload`` is a JSON object (a dict or JSON text); the time claims
    ``iat``, ``nbf``, ``exp`` and ``auth_time`` may be ``"now"`` or relative such as
    ``"+300s"``, and ``jti`` may be ``"random"``; they are filled when each token is made.
    The connection's secret ``secret`` is the HMAC secret (HS*) or a PEM private key.
    """

    type: ClassVar[str] = "jwt"
    label: ClassVar[str] = "JWT"
    secret_fields: ClassVar[tuple[str, ...]] = ("secret",)
    algorithm: str = "HS256"
    add_to: str = "header"
    header_name: str | None = None
    query_name: str | None = None
    payload: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.algorithm, str) and self.algorithm.lower() == "none":
            raise self._fail("algorithm 'none' makes unsigned tokens that "
                             "anyone can forge; pick a signing algorithm such as HS256, RS256 "
                             "or ES256.")
        self._choice("algorithm", JWT_ALGORITHMS, "algorithm")
        self._choice("add_to", JWT_ADD_TO, "add-to")
        header = self._token("header_name")
        query = self._text("query_name")
        if self.add_to == "query":
            if header is not None:
                raise self._fail("auth has header_name set but add_to is query; drop "
                                 "header_name or use --add-to header.")
            self._text("query_name", required=True, what="the query parameter that carries "
                       "the token")
        elif query is not None:
            raise self._fail("auth has query_name set but add_to is header; drop query_name "
                             "or use --add-to query.")
        object.__setattr__(self, "payload", _jwt_payload(self.payload))

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.payload:
            out["payload"] = dict(self.payload)
        return out

    @property
    def payload_dict(self) -> dict[str, Any]:
        """The payload template as a dict."""
        return dict(self.payload)


@dataclass(frozen=True, repr=False)
class _OAuth2Base(AuthConfig):
    secret_fields: ClassVar[tuple[str, ...]] = ("client_secret",)
    setting_fields: ClassVar[tuple[str, ...]] = ("client_id",)
    token_url: str = ""
    client_id: str | None = None
    scope: str | None = None
    client_auth: str = "basic"
    refresh_url: str | None = None

    def __post_init__(self) -> None:
        self._url("token_url", "access token URL", required=True)
        self._text("client_id")
        self._text("scope")
        self._choice("client_auth", CLIENT_AUTH_METHODS, "client authentication (client_auth)")
        self._url("refresh_url", "refresh token URL")


@dataclass(frozen=True, repr=False)
class OAuth2ClientCredentials(_OAuth2Base):
    """OAuth2 client credentials grant."""

    type: ClassVar[str] = "oauth2-client-credentials"
    label: ClassVar[str] = "OAuth2 client credentials"


@dataclass(frozen=True, repr=False)
class OAuth2Password(_OAuth2Base):
    """OAuth2 resource-owner password grant ("passwordless credentials" in the reference).

    The username is a connection setting, the password a connection secret.
    """

    type: ClassVar[str] = "oauth2-password"
    label: ClassVar[str] = "OAuth2 password"
    secret_fields: ClassVar[tuple[str, ...]] = ("client_secret", "password")
    setting_fields: ClassVar[tuple[str, ...]] = ("client_id", "username")
    optional_secret_fields: ClassVar[tuple[str, ...]] = ("client_secret",)


@dataclass(frozen=True, repr=False)
class OAuth2Code(_OAuth2Base):
    """OAuth2 authorization code grant with PKCE S256 and ``state``.

    ``redirect_url`` defaults to a one-shot loopback listener; ``identity_endpoint`` (a
    path under the base URL, or an absolute URL) and ``identity_param`` (the response
    field, dotted for nested ones) label the connection after the token is obtained.
    """

    type: ClassVar[str] = "oauth2-code"
    label: ClassVar[str] = "OAuth2 authorization code"
    optional_secret_fields: ClassVar[tuple[str, ...]] = ("client_secret",)
    authorization_url: str = ""
    redirect_url: str | None = None
    identity_endpoint: str | None = None
    identity_param: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self._url("authorization_url", "authorization URL", required=True)
        self._url("redirect_url", "redirect URL", allow_query=False)
        endpoint = self._text("identity_endpoint")
        param = self._text("identity_param")
        if endpoint is not None:
            if endpoint.startswith("/"):
                if re.search(r"\s", endpoint):
                    raise self._fail("identity_endpoint contains blanks; percent-encode "
                                     "them.")
            else:
                self._url("identity_endpoint", "identity endpoint")
        if (endpoint is None) != (param is None):
            missing = "identity_param" if param is None else "identity_endpoint"
            raise self._fail(f"auth needs {missing} ({_flag(missing)}) too: the identity "
                             "endpoint and the response field that labels the connection go "
                             "together, so set both or neither.")


AUTH_TYPES: dict[str, type[AuthConfig]] = {
    cls.type: cls
    for cls in (ApiKeyAuth, BasicAuth, BearerAuth, JwtAuth, OAuth2Code, OAuth2Password,
                OAuth2ClientCredentials)
}


def auth_from_dict(data: Mapping[str, Any] | None) -> AuthConfig | None:
    """Build an auth config from ``AuthConfig.to_dict`` output (kebab-case keys accepted)."""
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise AuthConfigError(f"An auth config must be a mapping with a type, not "
                              f"{type(data).__name__}.")
    kind = data.get("type")
    cls = AUTH_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise AuthConfigError(f"Auth type {kind!r} is not one of {', '.join(AUTH_TYPES)}; "
                              "pick one of those.")
    fields = {str(k).replace("-", "_"): v for k, v in data.items() if k != "type"}
    names = {f.name for f in dataclasses.fields(cls)}
    extra = sorted(set(fields) - names)
    if extra:
        secret = [n for n in extra if n in cls.secret_fields or n in _ALL_SECRET_FIELDS]
        setting = [n for n in extra if n in cls.setting_fields]
        if secret:
            raise AuthConfigError(
                f"Auth type {kind} has no field {secret[0]}: it is a secret, so give it on a "
                f"test connection as a reference (--secret {secret[0]}=env:NAME).")
        if setting:
            raise AuthConfigError(
                f"Auth type {kind} has no field {setting[0]}: it is set per test connection "
                f"(--set {setting[0]}=VALUE).")
        raise AuthConfigError(f"Auth type {kind} has no field(s) {', '.join(extra)}; its "
                              f"fields are {', '.join(sorted(names)) or 'none'}.")
    return cls(**fields)


_ALL_SECRET_FIELDS = {"value", "password", "token", "secret", "client_secret",
                      "refresh_token", "access_token"}


# --------------------------------------------------------------------------- connections


@dataclass(frozen=True)
class Connection:
    """A test connection: a base URL and references to the secrets (never the values).

    ``secrets`` maps a secret field (``value``, ``password``, ``token``, ``secret``,
    ``client_secret``) to a reference such as ``env:NAME``, ``keyring:NAME`` or
    ``prompt`` (see :mod:`nbconnect.auth.secrets`). From Python a value may also be an
    in-memory :class:`~nbconnect.auth.secrets.Secret`; such a connection cannot be exported
    (``to_dict`` raises :class:`~nbconnect.errors.SecretError`). A plain string that is
    not a reference is refused, so a pasted value never lands in a package. ``settings``
    holds non-secret per-connection values (``username``, ``client_id``).
    """

    name: str
    base_url: str
    secrets: tuple[tuple[str, str | Secret], ...] = ()
    settings: tuple[tuple[str, str], ...] = ()
    default: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _ID_RE.match(self.name):
            raise ConnectorError(f"Connection name {self.name!r} is not valid; use letters, "
                                 "digits, '_', '-' and '.'.")
        object.__setattr__(self, "base_url",
                           check_base_url(self.base_url, what="connection base URL"))
        object.__setattr__(self, "secrets", self._check_secrets(self.secrets))
        value = self.settings
        pairs = value.items() if isinstance(value, Mapping) else value
        object.__setattr__(self, "settings", tuple(sorted(tuple(p) for p in pairs)))

    def _check_secrets(self, value: object) -> tuple[tuple[str, str | Secret], ...]:
        if isinstance(value, str | bytes):
            raise SecretError(f"Connection {self.name!r} secrets must map field names to "
                              "references, such as {'token': 'env:API_TOKEN'}.")
        try:
            pairs = [tuple(p) for p in (value.items() if isinstance(value, Mapping)
                                        else value)]  # type: ignore[union-attr]
        except TypeError:
            pairs = [()]
        out: dict[str, str | Secret] = {}
        for pair in pairs:
            if len(pair) != 2 or not isinstance(pair[0], str) or not pair[0]:
                raise SecretError(f"Connection {self.name!r} secrets must map field names to "
                                  "references, such as {'token': 'env:API_TOKEN'}.")
            field_name, ref = pair
            if field_name in out:
                raise SecretError(f"Connection {self.name!r} gives secret {field_name!r} "
                                  "twice; keep one.")
            if not isinstance(ref, Secret):
                parse_reference(ref, connection=self.name, field=field_name)
            out[field_name] = ref
        return tuple(sorted(out.items(), key=lambda p: p[0]))

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the package; a :class:`Secret` value raises SecretError."""
        out: dict[str, Any] = {"name": self.name, "base_url": self.base_url}
        if self.secrets:
            for field_name, ref in self.secrets:
                if isinstance(ref, Secret):
                    raise SecretError(
                        f"Connection {self.name!r} holds a Secret value for {field_name!r}, "
                        "and secret values are never written; use a reference such as "
                        f"env:{_upper_slug(self.name, field_name)}, keyring:NAME or prompt.")
            out["secrets"] = dict(self.secrets)
        if self.settings:
            out["settings"] = dict(self.settings)
        if self.default:
            out["default"] = True
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Connection:
        return cls(name=data.get("name"), base_url=data.get("base_url"),
                   secrets=data.get("secrets") or {}, settings=data.get("settings") or {},
                   default=bool(data.get("default", False)))


def _upper_slug(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", "_".join(parts)).upper()


# --------------------------------------------------------------------------- connector


def _check_name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConnectorError("The connector name is empty; give it a name such as 'petstore'.")
    value = value.strip()
    if len(value) > limits.MAX_NAME_LENGTH or re.search(r"[\x00-\x1f\x7f/\\]", value):
        raise ConnectorError(f"Connector name {value!r} is too long or contains '/', '\\' or "
                             "control characters; pick a short plain name.")
    return value


def _check_endpoints(value: Iterable[Endpoint]) -> tuple[Endpoint, ...]:
    endpoints = tuple(value)
    ids: set[str] = set()
    routes: dict[tuple[str, str], str] = {}
    for ep in endpoints:
        if not isinstance(ep, Endpoint):
            raise EndpointDefinitionError(f"Connector endpoints must be Endpoint objects, not "
                                f"{type(ep).__name__}.")
        if ep.id in ids:
            raise EndpointDefinitionError(
                f"Two endpoints have the id {ep.id!r}; give one another id.")
        ids.add(ep.id)
        route = (ep.method, ep.path)
        if route in routes:
            raise EndpointDefinitionError(f"Endpoints {routes[route]!r} and {ep.id!r} are both "
                                f"{ep.method} {ep.path}; remove one.")
        routes[route] = ep.id
    manual = sum(1 for ep in endpoints if ep.source == "manual")
    if manual > limits.MAX_MANUAL_ENDPOINTS:
        raise LimitError(f"{manual} endpoints were added by hand; the limit is "
                         f"{limits.MAX_MANUAL_ENDPOINTS}; remove some, or import a spec.")
    if len(endpoints) > limits.MAX_ENDPOINTS:
        raise LimitError(f"{len(endpoints)} endpoints; the limit is {limits.MAX_ENDPOINTS}; "
                         "remove some.")
    return endpoints


def _check_auth(value: object) -> AuthConfig | None:
    if value is None or isinstance(value, AuthConfig):
        return value
    if isinstance(value, Mapping):
        return auth_from_dict(value)
    raise ConnectorError(f"The auth config must be an AuthConfig such as ApiKeyAuth, not "
                         f"{type(value).__name__}.")


def _check_connections(value: Iterable[Connection]) -> tuple[Connection, ...]:
    conns = tuple(value)
    names: set[str] = set()
    for c in conns:
        if not isinstance(c, Connection):
            raise ConnectorError(f"Connections must be Connection objects, not "
                                 f"{type(c).__name__}.")
        if c.name in names:
            raise ConnectorError(f"Two connections are named {c.name!r}; rename one.")
        names.add(c.name)
    if sum(c.default for c in conns) > 1:
        raise ConnectorError("More than one connection is marked default; keep one.")
    return conns


def _check_test_values(value: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, Mapping) for k, v in value.items()):
        raise ConnectorError("Test values must map an endpoint id to a mapping of parameter "
                             "names to values, such as {'getPet': {'petId': 1}}.")
    return {k: dict(v) for k, v in value.items()}


_VALIDATORS = {
    "name": _check_name,
    "base_url": lambda v: None if v is None else check_base_url(v),
    "auth": _check_auth,
    "endpoints": _check_endpoints,
    "connections": _check_connections,
    "schemas": lambda v: dict(v),
    "test_values": lambda v: _check_test_values(v),
}


@dataclass(repr=False)
class Connector:
    """A connector to one HTTP API.

    One base URL (absolute, https; http only to loopback hosts), one auth method, up to
    150 endpoints (at most 50 of them added by hand), test connections, and the JSON
    Schemas (``schemas``, OpenAPI ``components.schemas``) that imported endpoints refer
    to. Every assignment is validated first: a bad value raises a typed
    :mod:`nbconnect.errors` exception and changes nothing.
    """

    name: str
    base_url: str | None = None
    auth: AuthConfig | None = None
    endpoints: tuple[Endpoint, ...] = ()
    connections: tuple[Connection, ...] = ()
    schemas: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    #: values to test with: endpoint id -> parameter name -> value (see ``runner``)
    test_values: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __setattr__(self, key: str, value: Any) -> None:
        check = _VALIDATORS.get(key)
        object.__setattr__(self, key, check(value) if check else value)

    def __repr__(self) -> str:
        return (f"Connector(name={self.name!r}, base_url={self.base_url!r}, auth={self.auth!r}, "
                f"endpoints={len(self.endpoints)}, connections={len(self.connections)})")

    # -- endpoints ---------------------------------------------------------------------

    def endpoint(self, endpoint_id: str) -> Endpoint:
        """The endpoint with this id (raises :class:`EndpointNotFoundError`)."""
        for ep in self.endpoints:
            if ep.id == endpoint_id:
                return ep
        import difflib

        close = difflib.get_close_matches(endpoint_id, [e.id for e in self.endpoints], n=3)
        hint = f"did you mean {', '.join(close)}?" if close else \
            "list them with `%connect endpoints` or `nbconnect show`."
        raise EndpointNotFoundError(f"No endpoint {endpoint_id!r} in connector {self.name!r}; "
                                    f"{hint}")

    def add_endpoint(self, method: str | Endpoint, path: str | None = None, *,
                     name: str | None = None, description: str = "", id: str | None = None,
                     params: Iterable[Param] = (), body: Iterable[Param] = (),
                     response: Iterable[Param] = (),
                     body_content_type: str | None = None) -> Endpoint:
        """Add an endpoint by hand (``:param`` and ``{param}`` paths both work).

        A full URL under the base URL is accepted and made relative. Returns the
        endpoint. At most 50 endpoints may be added by hand.
        """
        if isinstance(method, Endpoint):
            ep = method
        else:
            if path is None:
                raise EndpointDefinitionError("add_endpoint needs a method and a path, such as "
                                    "add_endpoint('GET', '/users/:id', name='Get user').")
            path = self._relative_path(path)
            ep = Endpoint(id=id or default_endpoint_id(method, path, name), method=method,
                          path=path, name=name or "", description=description,
                          params=tuple(params), body=tuple(body), response=tuple(response),
                          body_content_type=body_content_type or ("application/json"
                                                                  if body else None),
                          source="manual")
        existing = {e.id for e in self.endpoints}
        if ep.id in existing:
            raise EndpointDefinitionError(
                f"Connector {self.name!r} already has an endpoint {ep.id!r}; "
                "pick another name or id, or remove the old one first.")
        manual = sum(1 for e in self.endpoints if e.source == "manual")
        if ep.source == "manual" and manual >= limits.MAX_MANUAL_ENDPOINTS:
            raise LimitError(f"Connector {self.name!r} already has {manual} endpoints added by "
                             f"hand; the limit is {limits.MAX_MANUAL_ENDPOINTS}; remove one "
                             "first, or import a spec (up to "
                             f"{limits.MAX_IMPORTED_ENDPOINTS} endpoints).")
        self.endpoints = (*self.endpoints, ep)
        return ep

    def _relative_path(self, path: str) -> str:
        text = path.strip() if isinstance(path, str) else path
        if isinstance(text, str) and re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", text):
            base = (self.base_url or "").rstrip("/")
            if base and text.startswith(base + "/"):
                return text[len(base):]
            raise EndpointDefinitionError(
                f"The endpoint path {text!r} is a full URL that is not under "
                f"the base URL {self.base_url!r}; give a path such as "
                "/users/:id (the base URL is joined to it).")
        return text

    def remove_endpoint(self, endpoint_id: str) -> Endpoint:
        """Remove and return the endpoint with this id."""
        ep = self.endpoint(endpoint_id)
        self.endpoints = tuple(e for e in self.endpoints if e.id != endpoint_id)
        return ep

    def replace_endpoint(self, endpoint: Endpoint) -> Endpoint:
        """Replace the endpoint that has ``endpoint.id``."""
        self.endpoint(endpoint.id)
        self.endpoints = tuple(endpoint if e.id == endpoint.id else e for e in self.endpoints)
        return endpoint

    # -- import / package --------------------------------------------------------------

    def import_spec(self, source: Any, *, overwrite: bool = False, **options: Any) -> Any:
        """Import an OpenAPI 3.0/3.1 spec into this connector (see :func:`import_spec`).

        A connector that already has endpoints needs ``overwrite=True``: a re-import
        replaces every endpoint definition. The spec's first server becomes the base URL
        and its security scheme the auth config when the connector has none yet. Returns
        the :class:`~nbconnect.spec.importer.ImportResult`.
        """
        from ..spec.importer import import_spec

        self.check_overwrite(overwrite)
        result = import_spec(source, **options)
        self.apply_import(result, overwrite=overwrite)
        return result

    def check_overwrite(self, overwrite: bool) -> None:
        """Raise :class:`OverwriteError` if an import would overwrite without consent."""
        from ..errors import OverwriteError

        if self.endpoints and not overwrite:
            raise OverwriteError(
                f"Connector {self.name!r} already has {len(self.endpoints)} endpoints and a "
                "new import overwrites every one of them; pass overwrite=True (--overwrite) "
                "to go ahead.")

    def apply_import(self, result: Any, *, overwrite: bool = False) -> None:
        """Take the endpoints, schemas and suggestions of an ImportResult (all or nothing)."""
        self.check_overwrite(overwrite)
        endpoints = _check_endpoints(result.endpoints)
        base_url = self.base_url or result.base_url
        auth = self.auth if self.auth is not None else result.auth
        object.__setattr__(self, "endpoints", endpoints)
        object.__setattr__(self, "schemas", dict(result.schemas))
        object.__setattr__(self, "base_url", base_url)
        object.__setattr__(self, "auth", auth)
        if not self.description and result.description:
            object.__setattr__(self, "description", result.description)

    def test(self, endpoints: str | Iterable[str] | None = None, **options: Any) -> Any:
        """Test one endpoint id, several, or (``None``) all of them; returns a TestReport.

        Options are those of :func:`nbconnect.testing.runner.test_endpoints` (``connection``,
        ``params``, ``concurrency``, ``timeout``, ``progress``, ``transport``, ...).
        """
        from ..testing.runner import test_endpoints

        ids = [endpoints] if isinstance(endpoints, str) else endpoints
        return test_endpoints(self, ids, **options)

    def export(self, path: Any, *, zip: bool = False) -> Any:
        """Write the connector package to ``path`` (a directory, or a ``.zip``)."""
        from ..package.format import export

        return export(self, path, zip=zip)

    # -- plain data --------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The whole connector as plain data (the package manifest plus schemas)."""
        out: dict[str, Any] = {"name": self.name}
        if self.description:
            out["description"] = self.description
        out["base_url"] = self.base_url
        out["auth"] = self.auth.to_dict() if self.auth else None
        out["connections"] = [c.to_dict() for c in self.connections]
        out["endpoints"] = [e.to_dict() for e in self.endpoints]
        if self.schemas:
            out["schemas"] = self.schemas
        if self.test_values:
            out["test_values"] = self.test_values
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Connector:
        """Build a connector from :meth:`to_dict` output."""
        return cls(
            name=data.get("name"),
            base_url=data.get("base_url"),
            auth=auth_from_dict(data.get("auth")),
            endpoints=tuple(Endpoint.from_dict(e) for e in data.get("endpoints") or ()),
            connections=tuple(Connection.from_dict(c) for c in data.get("connections") or ()),
            schemas=dict(data.get("schemas") or {}),
            description=data.get("description") or "",
            test_values=dict(data.get("test_values") or {}),
        )
