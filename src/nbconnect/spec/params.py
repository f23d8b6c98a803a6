"""One operation -> one Endpoint: parameters, request body and response as Param trees.

Schemas are read through a flat :class:`SchemaView` (``allOf`` merged, ``oneOf``/``anyOf``
unioned, local ``$ref``s followed through the import's resolver, memoised per schema) and
turned into :class:`~nbconnect.model.Param` trees: read-only fields are left out of bodies and
write-only fields out of responses, recursion is cut where a schema repeats, and trees stop
at :data:`~nbconnect.limits.MAX_PARAM_DEPTH`. Parameter, media-type and response rules come
from the OpenAPI toolkit :mod:`nbconnect.spec.oas`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import limits
from ..errors import EndpointError, SpecContentError
from ..model import Endpoint, Param, check_param_name, parse_path
from ..model.paging import with_spec_paging
from . import oas
from .context import ImportContext, short
from .operations import Operation

__all__ = ["OperationReader", "SchemaView", "declared_schema"]

_PARAM_TYPES = ("string", "integer", "number", "boolean", "object", "array", "null")
_RESPONSE_PREFERENCE = ("200", "201")
# Schema keywords a Param's own fields already say (or that say nothing about values).
_PLAIN_KEYWORDS = frozenset({"type", "format", "enum", "default", "example", "examples",
                             "description", "nullable", "title", "deprecated", "readOnly",
                             "writeOnly", "xml", "externalDocs", "$comment"})
_LOCAL_SCHEMA_REF = "#/components/schemas/"


def declared_schema(schema: Any) -> dict[str, Any] | None:
    """A request parameter's schema to keep on its Param: the schema as written when it says
    more than the Param's own fields (a ``pattern``, bounds, ``$ref``, ``oneOf``, ...) and
    its only refs are local ``#/components/schemas/...`` ones; else None."""
    if not isinstance(schema, dict):
        return None

    def says_more(node: Any) -> bool:
        if not isinstance(node, dict):
            return node is not None
        for key, value in node.items():
            if key == "items":
                if says_more(value):
                    return True
            elif key not in _PLAIN_KEYWORDS and not str(key).startswith("x-"):
                return True
        return False

    def refs_local(node: Any) -> bool:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref is not None and not (isinstance(ref, str)
                                        and ref.startswith(_LOCAL_SCHEMA_REF)):
                return False
            return all(refs_local(v) for v in node.values())
        if isinstance(node, list):
            return all(refs_local(v) for v in node)
        return True

    return dict(schema) if says_more(schema) and refs_local(schema) else None


@dataclass
class SchemaView:
    """allOf/oneOf/anyOf of a schema merged into one flat description."""

    types: list[str] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    items: Any = None
    nullable: bool = False
    format: str | None = None
    enum: tuple[Any, ...] | None = None
    default: Any = None
    example: Any = None
    description: str = ""
    refs: list[str] = field(default_factory=list)
    read_only: bool = False
    write_only: bool = False

    @property
    def type(self) -> str:
        kinds = list(dict.fromkeys(self.types))
        if len(kinds) == 1:
            return kinds[0] if kinds[0] in _PARAM_TYPES else "any"
        if set(kinds) == {"integer", "number"}:
            return "number"
        if not kinds:
            if self.properties:
                return "object"
            if self.items is not None:
                return "array"
        return "any"


def _media_example(p: dict[str, Any], fallback: Any) -> Any:
    """A ``content`` parameter's example: its Media Type Object's ``example`` or first of
    ``examples`` (an inline Example Object's ``value``), else ``fallback``."""
    content = p.get("content")
    media = next(iter(content.values()), None) if isinstance(content, dict) else None
    if not isinstance(media, dict):
        return fallback
    if "example" in media:
        return media["example"]
    examples = media.get("examples")
    first = next(iter(examples.values()), None) if isinstance(examples, dict) else None
    if isinstance(first, dict) and "value" in first:
        return first["value"]
    return fallback


class OperationReader:
    """Turn one operation into an Endpoint."""

    def __init__(self, ctx: ImportContext, op: Operation) -> None:
        self.imp = ctx
        self.op = op
        self.cut = False

    def problem(self, message: str, warning: str) -> None:
        self.imp.problem(SpecContentError(message, option="lenient"), warning)

    # schemas -------------------------------------------------------------------------

    def view(self, schema: Any) -> SchemaView:
        memo = self.imp.view_memo
        hit = memo.get(id(schema))
        if hit is not None and hit[0] is schema:
            return hit[1]
        v = SchemaView()
        self._merge(v, schema, True, frozenset(), 0)
        memo[id(schema)] = (schema, v)
        return v

    def _merge(self, v: SchemaView, schema: Any, required_ok: bool, seen: frozenset[str],
               level: int) -> None:
        if level > 32:
            return
        schema, name = self.imp.deref(schema)
        if not isinstance(schema, dict):
            return
        if name:
            if name in seen:
                return
            seen = seen | {name}
            if name not in v.refs:
                v.refs.append(name)
        t = schema.get("type")
        for kind in (t if isinstance(t, list) else [t]):
            if kind == "null":
                v.nullable = True
            elif isinstance(kind, str):
                v.types.append(kind)
        if schema.get("nullable") is True:
            v.nullable = True
        if v.format is None and isinstance(schema.get("format"), str):
            v.format = schema["format"]
        if v.enum is None and isinstance(schema.get("enum"), list):
            v.enum = tuple(schema["enum"])
        if v.default is None and "default" in schema:
            v.default = schema["default"]
        if v.example is None:
            if "example" in schema:
                v.example = schema["example"]
            elif isinstance(schema.get("examples"), list) and schema["examples"]:
                v.example = schema["examples"][0]
        if not v.description and isinstance(schema.get("description"), str):
            v.description = schema["description"]
        if schema.get("readOnly") is True:
            v.read_only = True
        if schema.get("writeOnly") is True:
            v.write_only = True
        props = schema.get("properties")
        if isinstance(props, dict):
            for pn, ps in props.items():
                v.properties.setdefault(str(pn), ps)
        req = schema.get("required")
        if required_ok and isinstance(req, list):
            v.required.update(r for r in req if isinstance(r, str))
        if v.items is None and isinstance(schema.get("items"), dict):
            v.items = schema["items"]
        for sub in schema.get("allOf") or ():
            self._merge(v, sub, required_ok, seen, level + 1)
        for key in ("oneOf", "anyOf"):
            subs = schema.get(key)
            if isinstance(subs, list):
                for sub in subs:
                    self._merge(v, sub, False, seen, level + 1)

    def param(self, name: str, schema: Any, location: str, required: bool, depth: int,
              stack: tuple[str, ...], v: SchemaView | None = None) -> Param:
        v = v or self.view(schema)
        ptype = v.type
        rec = next((r for r in v.refs if r in stack), None)
        children: tuple[Param, ...] = ()
        items_type = None
        here = stack + tuple(r for r in v.refs if r not in stack)
        iv = None
        if ptype == "array":
            iv = self.view(v.items) if v.items is not None else None
            items_type = iv.type if iv is not None else "any"
            if iv is not None and items_type == "object" and rec is None:
                rec = next((r for r in iv.refs if r in here), None)
                if rec is None:
                    children = self.children(iv, location, depth + 1,
                                             here + tuple(iv.refs))
        elif ptype == "object" and rec is None:
            children = self.children(v, location, depth + 1, here)
        fmt = v.format
        if ptype == "array" and fmt is None and iv is not None and iv.format == "binary":
            fmt = "binary"  # an array of files (OAS 3.0.3 §4.7.14: parts take the item's type)
        return Param(name=name, type=ptype, location=location, required=required,
                     default=v.default, description=short(v.description),
                     format=fmt, enum=v.enum, example=v.example, items=items_type,
                     nullable=v.nullable, children=children, recursive=rec)

    def children(self, v: SchemaView, location: str, depth: int,
                 stack: tuple[str, ...]) -> tuple[Param, ...]:
        if depth > limits.MAX_PARAM_DEPTH:
            self.cut = True
            return ()
        out: list[Param] = []
        for pn, ps in v.properties.items():
            pv = self.view(ps)
            if (location == "body" and pv.read_only) or (location == "response"
                                                          and pv.write_only):
                continue
            try:
                if (pn, location) not in self.imp.good_names:
                    check_param_name(pn, location)
                    self.imp.good_names.add((pn, location))
            except EndpointError as exc:
                self.problem(
                    f"The {self.op.label} has a {location} field named {pn!r}, which is not a "
                    "valid parameter name; rename it in the spec (or import leniently to "
                    "skip it).",
                    f"{self.op.label}: skipped the {location} field {pn!r} ({exc.message})")
                continue
            out.append(self.param(pn, ps, location, pn in v.required, depth, stack, pv))
        return tuple(out)

    def tree(self, schema: Any, location: str) -> tuple[Param, ...]:
        v = self.view(schema)
        if v.type == "object":
            return self.children(v, location, 1, tuple(v.refs))
        if v.type == "any" and not v.types and not v.properties and v.items is None:
            return ()
        return (self.param(location, schema, location, True, 1, (), v),)

    # parts ---------------------------------------------------------------------------

    def params(self, template_params: tuple[str, ...]) -> tuple[Param, ...]:
        merged: dict[tuple[str, str], Param] = {}
        for source in (self.op.item.get("parameters"), self.op.op.get("parameters")):
            if not isinstance(source, list):
                continue
            for raw in source:
                p, _ = self.imp.deref(raw)
                if not isinstance(p, dict):
                    continue
                name, loc = p.get("name"), p.get("in")
                if loc not in oas.PARAMETER_LOCATIONS:
                    self.problem(
                        f"The {self.op.label} has parameter {name!r} in {loc!r}; parameters "
                        "go in path, query, header or cookie (fix the spec, or import "
                        "leniently to skip it).",
                        f"{self.op.label}: skipped parameter {name!r} in {loc!r}.")
                    continue
                if oas.is_ignored_header(name, loc):
                    continue
                try:
                    check_param_name(name, loc)
                except EndpointError as exc:
                    self.problem(
                        f"The {self.op.label} has a {loc} parameter named {name!r}, which is "
                        "not a valid name; rename it in the spec (or import leniently "
                        "to skip it).",
                        f"{self.op.label}: skipped {loc} parameter {name!r} ({exc.message})")
                    continue
                if loc == "path" and name not in template_params:
                    self.problem(
                        f"The {self.op.label} declares path parameter {name!r}, which is not "
                        f"in its path {self.op.path!r}; fix the spec (or import "
                        "leniently to drop it).",
                        f"{self.op.label}: dropped path parameter {name!r}, which is not in "
                        "the path.")
                    continue
                merged[oas.parameter_key(name, loc)] = self.declared(p, name, loc)
        return tuple(merged.values())

    def declared(self, p: dict[str, Any], name: str, loc: str) -> Param:
        """The Param of a Parameter Object (or Header Object, ``loc="header"``) ``p``."""
        schema, _ = oas.parameter_schema(p)
        v = self.view(schema)
        example = p.get("example", _media_example(p, v.example))
        items = None
        if v.type == "array":
            items = self.view(v.items).type if v.items is not None else "any"
        fields = dict(
            name=name, type=v.type, location=loc,
            required=bool(p.get("required")) or loc == "path",
            default=v.default,
            description=short(p.get("description") or v.description),
            format=v.format, enum=v.enum, example=example, items=items,
            nullable=v.nullable, schema=declared_schema(schema))
        return self.styled(fields, p)

    def part_headers(self, field: str, headers: Any) -> tuple[Param, ...]:
        """The Encoding Object's ``headers`` of multipart field ``field`` as header Params
        (OAS 3.0.3 §4.7.14: Header Objects; ``Content-Type`` "SHALL be ignored")."""
        out: list[Param] = []
        for name, raw in (headers.items() if isinstance(headers, dict) else ()):
            h, _ = self.imp.deref(raw)
            if not isinstance(h, dict) or not isinstance(name, str) or \
                    name.strip().lower() == "content-type":
                continue
            try:
                check_param_name(name, "header")
                out.append(self.declared(h, name, "header"))
            except EndpointError as exc:
                self.problem(
                    f"The {self.op.label} has a part header {name!r} on body field {field!r} "
                    "that cannot be used; fix the spec (or import leniently to skip it).",
                    f"{self.op.label}: skipped part header {name!r} of body field {field!r} "
                    f"({exc.message})")
        return tuple(out)

    def styled(self, fields: dict[str, Any], p: dict[str, Any]) -> Param:
        """The Param with the Parameter Object's ``style``, ``explode``, ``allowReserved``
        and ``content`` media type (OAS 3.0.3 §4.7.12); a style the location does not allow
        is a problem (strict) or the default style (lenient)."""
        content = p.get("content")
        ctype = next(iter(content), None) if isinstance(content, dict) and \
            p.get("schema") is None else None
        style = p.get("style") if isinstance(p.get("style"), str) else None
        explode = p.get("explode") if isinstance(p.get("explode"), bool) else None
        extra = dict(fields, style=style, explode=explode,
                     allow_reserved=p.get("allowReserved") is True)
        if ctype is not None:
            extra["content_type"] = str(ctype)
        try:
            return Param(**extra)
        except EndpointError as exc:
            self.problem(
                f"The {self.op.label} gives its {fields['location']} parameter "
                f"{fields['name']!r} a serialization the spec does not allow ({exc.message}); "
                "fix the spec (or import leniently to use the default style).",
                f"{self.op.label}: {fields['location']} parameter {fields['name']!r} uses the "
                f"default style ({exc.message})")
            return Param(**{k: v for k, v in fields.items()
                            if k not in ("style", "explode", "allow_reserved")})

    @staticmethod
    def pick_media(content: Any, *, request: bool) -> tuple[str | None, Any]:
        """The media type the endpoint uses (JSON first, then forms); a request body keyed
        by a JSON-including range (``*/*``, ``application/*``) is sent as JSON."""
        ctype, media = oas.pick_media(content, oas.REQUEST_MEDIA_PREFERENCE)
        if request and ctype is not None and not oas.is_json(ctype) and oas.may_be_json(ctype):
            ctype = "application/json"
        return ctype, media

    def request_body(self) -> tuple[tuple[Param, ...], str | None, dict[str, Any] | None]:
        rb, _ = self.imp.deref(self.op.op.get("requestBody"))
        if not isinstance(rb, dict):
            return (), None, None
        ctype, media = self.pick_media(rb.get("content"), request=True)
        if ctype is None:
            return (), None, None
        schema = media.get("schema") if isinstance(media, dict) else None
        if not isinstance(schema, dict):
            return (), ctype, None
        body = self.tree(schema, "body")
        encoding = media.get("encoding") if isinstance(media, dict) else None
        if isinstance(encoding, dict) and encoding and oas.media_base(ctype) in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            multipart = oas.media_base(ctype) == "multipart/form-data"
            body = tuple(self.encoded(p, encoding.get(p.name), multipart) for p in body)
        return body, ctype, schema

    def encoded(self, field: Param, enc: Any, multipart: bool = False) -> Param:
        """A form body field with its Encoding Object (OAS 3.0.3 §4.7.14: ``contentType``,
        ``style``, ``explode``, ``allowReserved``; ``headers`` for a ``multipart`` body)."""
        enc, _ = self.imp.deref(enc)
        if not isinstance(enc, dict):
            return field
        import dataclasses

        ctype = enc.get("contentType")
        fields = {f.name: getattr(field, f.name) for f in dataclasses.fields(field)}
        if isinstance(ctype, str) and ctype.strip():
            fields["content_type"] = ctype.strip()
        if multipart and enc.get("headers"):
            fields["part_headers"] = self.part_headers(field.name, enc.get("headers"))
        return self.styled(fields, {k: enc[k] for k in ("style", "explode", "allowReserved")
                                    if k in enc})

    def response(self) -> tuple[tuple[Param, ...], str | None, str | None,
                                dict[str, Any] | None]:
        responses = self.op.op.get("responses")
        if not isinstance(responses, dict) or not responses:
            return (), None, None, None
        order = oas.success_codes(responses, _RESPONSE_PREFERENCE)
        if not order:
            return (), None, None, None
        status, key = order[0]
        resp, _ = self.imp.deref(responses[key])
        if not isinstance(resp, dict):
            return (), status, None, None
        ctype, media = self.pick_media(resp.get("content"), request=False)
        schema = media.get("schema") if isinstance(media, dict) else None
        if not isinstance(schema, dict):
            return (), status, ctype, None
        return self.tree(schema, "response"), status, ctype, schema

    def endpoint(self, ep_id: str) -> Endpoint:
        op = self.op
        tpl = parse_path(op.path)
        params = self.params(tpl.path_params)
        body, body_type, request_schema = self.request_body()
        response, status, resp_type, response_schema = self.response()
        summary = " ".join(str(op.op.get("summary") or "").split())
        name = summary or op.operation_id or f"{op.method.upper()} {op.path}"
        if len(name) > 120:
            name = short(name, 120)
        description = short(op.op.get("description") or summary)
        if self.cut:
            self.imp.warn(f"{op.label}: parameter trees were cut at depth "
                          f"{limits.MAX_PARAM_DEPTH}.")
        ep = Endpoint(
            id=ep_id, method=op.method.upper(), path=op.path, name=name,
            description=description, params=params, body=body,
            body_content_type=body_type, response=response, response_status=status,
            response_content_type=resp_type, request_schema=request_schema,
            response_schema=response_schema, tags=op.tags, source="openapi")
        # the paging rule nbconnect exports (x-nbconnect-paging), kept when it fits
        return with_spec_paging(ep, op.op, lambda text: self.imp.warn(f"{op.label}: {text}"))
