"""Parameters and the paths that carry them: ``Param``, path templates, parameter names.

:class:`Param` is one request or response parameter (a tree for body and response fields);
:func:`parse_path` takes an endpoint path written with ``{param}`` or ``:param`` apart into a
:class:`PathTemplate`; :func:`check_param_name` is the naming rule for each location. Plain,
frozen data: a bad value raises :class:`~nbconnect.errors.EndpointDefinitionError` when made.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import limits
from ..errors import EndpointDefinitionError

__all__ = [
    "PARAM_LOCATIONS",
    "PARAM_TYPES",
    "Param",
    "PathTemplate",
    "check_param_name",
    "parse_path",
]

PARAM_LOCATIONS = ("path", "query", "header", "cookie", "body", "response")
PARAM_TYPES = ("string", "integer", "number", "boolean", "object", "array", "null", "any")

# Names: path parameters are identifiers (dots and dashes allowed, as real specs use
# them: {user-id}, {repo.name}); query/header/cookie/body names are any printable text
# without braces, so they can never be mistaken for a template.
_PATH_PARAM_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
_HEADER_NAME_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")  # RFC 9110 token
_BAD_NAME_CHARS = re.compile(r"[{}\x00-\x1f\x7f]")
_ID_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*\Z")


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

    How a request writes the value (OAS 3.0.3 §4.7.12.1, see
    :mod:`nbconnect.spec.oas.style`): ``style`` and ``explode`` (None: the location's
    default, see :attr:`serialization`), ``allow_reserved`` (query only) and
    ``content_type`` for a parameter described by ``content`` (its value is written as that
    media type's document). On a top-level body field the four are the Encoding Object of a
    form or multipart body.

    ``schema`` is a request parameter's declared JSON Schema (the OAS Schema Object as
    written, local ``#/components/schemas/...`` refs kept as refs) when it says more than
    the fields above (a ``pattern``, bounds, ...); None otherwise. It is compared but not
    hashed (a dict), and a value must be JSON data.

    ``part_headers`` are the Encoding Object's ``headers`` of a top-level multipart body
    field (OAS 3.0.3 §4.7.14): header Params (``location="header"``, style simple) written
    in each part of the field.
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
    style: str | None = None
    explode: bool | None = None
    allow_reserved: bool = False
    content_type: str | None = None
    schema: dict[str, Any] | None = field(default=None, hash=False)
    part_headers: tuple[Param, ...] = ()

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
        if self.schema is not None:
            if not isinstance(self.schema, Mapping):
                raise EndpointDefinitionError(
                    f"Parameter {self.name!r} has schema {self.schema!r}; give a JSON Schema "
                    "object or none.")
            import copy

            object.__setattr__(self, "schema", copy.deepcopy(dict(self.schema)))
        if self.part_headers:
            object.__setattr__(self, "part_headers", tuple(self.part_headers))
            if self.location != "body" or not all(
                    isinstance(h, Param) and h.location == "header" for h in self.part_headers):
                raise EndpointDefinitionError(
                    f"Parameter {self.name!r}: part headers belong to a body field and are "
                    "header parameters; give header Params on a body field only.")
        self._check_serialization()

    def _check_serialization(self) -> None:
        """Refuse a style the location does not allow; keep ``style``/``explode`` only
        where they differ from the defaults (so a spec that writes the defaults out and one
        that leaves them implicit give the same Param). Body fields (the Encoding Object of
        a form body) keep what was given: there "not given" has its own meaning."""
        if self.style is None and self.explode is None and self.content_type is None \
                and not self.allow_reserved:
            return  # the common case: nothing to check
        from ..spec.oas.style import check_style, default_explode, default_style

        loc = self.location
        if self.style is not None:
            problem = check_style(self.style, loc) if isinstance(self.style, str) else \
                f"style {self.style!r} is not a style name"
            if problem is not None:
                raise EndpointDefinitionError(f"Parameter {self.name!r}: {problem}.")
        if self.explode is not None and not isinstance(self.explode, bool):
            raise EndpointDefinitionError(
                f"Parameter {self.name!r}: explode must be true or false, not "
                f"{self.explode!r}.")
        if self.content_type is not None and (not isinstance(self.content_type, str)
                                              or not self.content_type.strip()):
            raise EndpointDefinitionError(
                f"Parameter {self.name!r}: content type {self.content_type!r} is not a media "
                "type; give one such as application/json.")
        if loc in ("body", "response"):
            return
        if self.style == default_style(loc):
            object.__setattr__(self, "style", None)
        if self.explode is not None and self.explode == default_explode(self.serialization[0]):
            object.__setattr__(self, "explode", None)
        if self.allow_reserved and loc != "query":
            object.__setattr__(self, "allow_reserved", False)

    @property
    def serialization(self) -> tuple[str, bool]:
        """``(style, explode)`` with the specification's defaults filled in (OAS 3.0.3
        §4.7.12.1: ``form`` for query, cookie and form-body fields, ``simple`` for path and
        header; ``explode`` true for ``form`` only)."""
        from ..spec.oas.style import default_explode, default_style

        style = self.style or default_style(self.location)
        return style, default_explode(style) if self.explode is None else self.explode

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
        if self.style is not None or self.explode is not None:
            style, explode = self.serialization
            bits.append(f"style={style!r}, explode={explode!r}")
        if self.content_type is not None:
            bits.append(f"content_type={self.content_type!r}")
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
        if self.style is not None:
            out["style"] = self.style
        if self.explode is not None:
            out["explode"] = self.explode
        if self.allow_reserved:
            out["allowReserved"] = True
        if self.content_type is not None:
            out["contentType"] = self.content_type
        if self.schema is not None:
            out["schema"] = self.schema
        if self.children:
            out["children"] = [c.to_dict() for c in self.children]
        if self.part_headers:
            out["headers"] = [{k: v for k, v in h.to_dict().items() if k != "in"}
                              for h in self.part_headers]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], location: str | None = None) -> Param:
        """Build a Param from ``to_dict`` output or a hand-written mapping."""
        if not isinstance(data, Mapping):
            raise EndpointDefinitionError(
                f"A parameter must be a mapping with at least a name, not "
                f"{type(data).__name__}.")
        known = {"name", "type", "items", "in", "location", "required", "nullable", "default",
                 "description", "format", "enum", "example", "recursive", "children",
                 "style", "explode", "allowReserved", "contentType", "schema", "headers"}
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
            style=data.get("style"),
            explode=data.get("explode"),
            allow_reserved=bool(data.get("allowReserved", False)),
            content_type=data.get("contentType"),
            schema=data.get("schema"),
            part_headers=tuple(cls.from_dict(h, "header") for h in data.get("headers") or ()),
        )
