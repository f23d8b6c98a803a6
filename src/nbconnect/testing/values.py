"""The one test-value policy: the value each parameter is tested with, and how it is written.

Every place that sends or writes a test value goes through here: the runner
(:mod:`nbconnect.testing.request`) and the Postman export (:mod:`nbconnect.exports.postman`),
later parameter links and MCP tool calls. So ``nbconnect test`` and an exported collection
send the same values.

**The chain** for a parameter of an endpoint (:func:`param_value`, :class:`EndpointValues`):

1. the explicit value (``params`` given for this run),
2. the value saved on the connector (``Connector.test_values[endpoint_id]``),
3. a linked value (:func:`linked_value`: a static list the user set gives its default,
   example or first value; dynamic lists are filled by the runner, see
   :mod:`nbconnect.links.check`),
4. the parameter's default, 5. its example, 6. its first enum value.

Explicit and saved values may be text (``--param taskId=7``): :func:`coerce` turns text into
the parameter's type when it parses (``"7"`` -> ``7`` for an integer, ``"true"`` -> ``True``
for a boolean, JSON text for objects and arrays). Body fields are named by their dotted
path (``owner.id``); a body is built from its fields by the same chain, on top of the
request schema's example (:meth:`EndpointValues.body`).

**The text form** (:func:`value_text`) is the one spelling of a scalar value wherever it is
written: booleans ``true``/``false``, ``None`` empty, nested objects and arrays compact
JSON, everything else ``str()``. **How a parameter is written** follows its style (OAS 3.0.3
§4.7.12, the rules in :mod:`nbconnect.spec.oas.style`): :func:`path_text` (simple, label,
matrix), :func:`query_pairs` (form, spaceDelimited, pipeDelimited, deepObject; already
percent-encoded), :func:`header_value` (simple; line breaks refused) and :func:`cookie_pairs`
(form); a parameter described by ``content`` is its media type's document. Form and
multipart bodies follow the Encoding Object (:func:`form_fields`, :func:`multipart_parts`,
rules in :mod:`nbconnect.spec.oas.encoding`). The older one-value helpers
(:func:`path_segment`, :func:`query_texts`, :func:`header_text`, :func:`cookie_pair`) stay
for callers that write a plain value.

**What is sent** (:meth:`EndpointValues.sent`): a path parameter needs a non-empty value; a
query, header or cookie parameter without a value (or with ``None``) is left out, unless it
is required and not nullable, which is a :class:`~nbconnect.errors.MissingParameterError`
(with ``strict=False``, as an export wants, it is left out instead).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ..errors import EndpointDefinitionError, MissingParameterError
from ..model import Connector, Endpoint, Param
from ..spec.oas import encoding, style
from ..spec.oas.encoding import FieldEncoding

__all__ = [
    "FORM",
    "MULTIPART",
    "NO_VALUE",
    "BodyValue",
    "EndpointValues",
    "body_encodings",
    "coerce",
    "cookie_pair",
    "cookie_pairs",
    "form_fields",
    "header_text",
    "header_value",
    "linked_value",
    "missing_parameter",
    "multipart_parts",
    "param_value",
    "path_segment",
    "path_text",
    "query_pairs",
    "query_texts",
    "schema_example",
    "spec_value",
    "value_text",
]

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
_SCHEMA_PREFIX = "#/components/schemas/"
_BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class _NoValue:
    """The type of :data:`NO_VALUE`."""

    _instance: _NoValue | None = None

    def __new__(cls) -> _NoValue:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_VALUE"

    def __bool__(self) -> bool:
        return False


#: "this parameter has no value anywhere" (``None`` is a value: JSON null)
NO_VALUE: Any = _NoValue()


# --------------------------------------------------------------------------- the chain


def coerce(value: Any, param: Param) -> Any:
    """A text value (``--param k=v``) turned into the parameter's type when it parses;
    anything else unchanged."""
    if not isinstance(value, str):
        return value
    kind = param.type
    try:
        if kind == "integer" and re.fullmatch(r"[+-]?\d+", value.strip()):
            return int(value)
        if kind == "number":
            number = float(value)
            return number if math.isfinite(number) else value
        if kind == "boolean" and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        if kind in ("object", "array") and value.strip()[:1] in ("{", "["):
            return json.loads(value)
    except ValueError:
        return value
    return value


def spec_value(param: Param) -> tuple[bool, Any]:
    """(found, value) from the parameter's default, example or first enum value."""
    if param.default is not None:
        return True, param.default
    if param.example is not None:
        return True, param.example
    if param.enum:
        return True, param.enum[0]
    return False, None


def linked_value(connector: Connector, endpoint: Endpoint, name: str,
                 param: Param) -> tuple[bool, Any]:
    """(found, value) that a parameter link gives ``name`` of ``endpoint``.

    Links come after explicit and saved values and before the spec's default, example and
    enum. A static list the user set (:mod:`nbconnect.links`) gives the parameter's
    default or example when listed, else its first value; dynamic lists need a call to
    the linked endpoint, which the runner makes before building the request
    (:func:`nbconnect.links.check.prepare_values`): nothing found here.
    """
    if not getattr(connector, "links", ()):
        return False, None
    link = next((lk for lk in connector.links
                 if lk.endpoint == endpoint.id and lk.param == name), None)
    if link is None or link.values is None:
        return False, None
    listed = {value_text(v) for v in link.values}
    for candidate in (param.default, param.example):
        if candidate is not None and value_text(candidate) in listed:
            return True, candidate
    return True, link.values[0]


def missing_parameter(name: str) -> MissingParameterError:
    """The error for a required parameter (or body field ``a.b``) with no value anywhere."""
    return MissingParameterError(
        f"missing required parameter {name} (give it a default in the endpoint, or a test "
        f"value for {name})", option="param")


def _free_object(schema: Any, schemas: Mapping[str, Any]) -> bool:
    """Whether a request schema (following $refs) is an object that needs no member: a
    ``type: object`` (or ``[object, ...]``) with no ``required`` and no ``minProperties``."""
    for _ in range(20):
        if not (isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str)):
            break
        ref = schema["$ref"]
        schema = schemas.get(ref[len(_SCHEMA_PREFIX):]) if ref.startswith(_SCHEMA_PREFIX) \
            else None
    if not isinstance(schema, Mapping):
        return False
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return "object" in kinds and not schema.get("required") and \
        not schema.get("minProperties")


def schema_example(schema: Any, schemas: Mapping[str, Any]) -> Any:
    """The ``example`` (or first of ``examples``) of a request schema, following $refs."""
    seen = 0
    while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str) and seen < 20:
        ref = schema["$ref"]
        if "example" in schema or "examples" in schema:
            break
        schema = schemas.get(ref[len(_SCHEMA_PREFIX):]) if ref.startswith(_SCHEMA_PREFIX) \
            else None
        seen += 1
    if not isinstance(schema, Mapping):
        return None
    if schema.get("example") is not None:
        return schema["example"]
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    return None


@dataclass(frozen=True)
class BodyValue:
    """A request body as the policy chose it.

    ``kind`` is ``json`` (``value`` any JSON value), ``form`` or ``multipart`` (``value`` a
    dict of fields) or ``raw`` (``value`` str or bytes); ``content_type`` is the
    Content-Type to send (multipart without its boundary, which the writer adds).
    """

    kind: str
    content_type: str
    value: Any


class EndpointValues:
    """The test values of one endpoint: explicit values over saved ones, then the chain.

    Made once per request; :meth:`value` gives one parameter's value, :meth:`sent` the
    value a request writes (or :data:`NO_VALUE`), :meth:`body` the body.
    """

    __slots__ = ("connector", "endpoint", "given")

    def __init__(self, connector: Connector, endpoint: Endpoint,
                 explicit: Mapping[str, Any] | None = None) -> None:
        self.connector = connector
        self.endpoint = endpoint
        saved = connector.test_values.get(endpoint.id)
        given: dict[str, Any] = dict(saved) if saved else {}
        if explicit:
            given.update(explicit)
        #: explicit and saved values merged (explicit wins), by name or dotted body path
        self.given = given
        if getattr(connector, "links", ()):  # a value not in a static list: refused here
            from ..links.check import check_listed

            check_listed(connector, endpoint, given)

    def _given(self, name: str, param: Param) -> tuple[bool, Any]:
        if name in self.given:
            return True, coerce(self.given[name], param)
        return linked_value(self.connector, self.endpoint, name, param)

    def value(self, param: Param, name: str | None = None) -> tuple[bool, Any]:
        """(found, value) of ``param`` (body fields by their dotted ``name``) by the chain."""
        key = param.name if name is None else name
        if key in self.given:
            return True, coerce(self.given[key], param)
        found, value = linked_value(self.connector, self.endpoint, key, param)
        return (True, value) if found else spec_value(param)

    def sent(self, param: Param, *, strict: bool = True) -> Any:
        """The value a request writes for the path, query, header or cookie ``param``, or
        :data:`NO_VALUE` when it is left out; a required one found nowhere raises
        :class:`~nbconnect.errors.MissingParameterError` (``strict``) or is left out."""
        found, value = self.value(param)
        if param.location == "path":
            if found and value is not None and value_text(value) != "":
                return value
        elif found and value is not None:
            return value
        elif not param.required or param.nullable:
            return NO_VALUE
        if strict:
            raise missing_parameter(param.name)
        return NO_VALUE

    # -- the body --------------------------------------------------------------------

    def _tree(self, param: Param, dotted: str, own: Any, has_own: bool,
              strict: bool) -> tuple[bool, Any]:
        """(found, value) for a body field and its subtree; raise when a required part of
        a required value is missing (``strict``) or leave it out."""
        found, value = self._given(dotted, param)
        if found:
            return True, value
        if has_own:
            return True, own
        found, value = spec_value(param)
        if found:
            return True, value
        if param.type == "object" and param.children:
            obj: dict[str, Any] = {}
            for child in param.children:
                try:
                    ok, v = self._tree(child, f"{dotted}.{child.name}", None, False, strict)
                except MissingParameterError:
                    if param.required:
                        raise
                    return False, None
                if ok:
                    obj[child.name] = v
                elif child.required:
                    if child.nullable:
                        obj[child.name] = None
                    elif param.required:
                        if strict:
                            raise missing_parameter(f"{dotted}.{child.name}")
                    else:
                        return False, None
            return (True, obj) if (obj or param.required) else (False, None)
        if param.type == "array" and param.required:
            if param.children:
                item = Param(param.name, type="object", location="body", required=True,
                             children=param.children)
                ok, v = self._tree(item, f"{dotted}[]", None, False, strict)
                return True, [v] if ok else []
            return True, []
        return False, None

    def body_data(self, *, strict: bool = True) -> Any:
        """The body's data: a dict built from the body fields (on top of the request
        schema's example), the example alone when there are no fields, an empty object for
        a free-form object schema with neither (``{"type": "object"}``), or None."""
        ep = self.endpoint
        base = schema_example(ep.request_schema, self.connector.schemas)
        if not ep.body:
            if base is None and _free_object(ep.request_schema, self.connector.schemas):
                return {}
            return base
        base = dict(base) if isinstance(base, Mapping) else {}
        out: dict[str, Any] = {}
        for p in ep.body:
            found, value = self._tree(p, p.name, base.get(p.name), p.name in base, strict)
            if found:
                out[p.name] = value
            elif p.required:
                if p.nullable:
                    out[p.name] = None
                elif strict:
                    raise missing_parameter(p.name)
        for key, value in base.items():
            out.setdefault(key, value)
        return out

    def body(self, *, strict: bool = True) -> BodyValue | None:
        """The request body, or None when the method sends none or nothing was found.

        JSON for ``*/json`` and ``*+json`` media types (the endpoint's own type as
        Content-Type); form fields for form-urlencoded and multipart; a str or bytes
        example as a raw body; anything else as JSON.
        """
        ep = self.endpoint
        if ep.method not in _BODY_METHODS or not (ep.body or ep.request_schema):
            return None
        data = self.body_data(strict=strict)
        if data is None:
            return None
        declared = ep.body_content_type
        media = (declared or "application/json").split(";")[0].strip().lower()
        if media == FORM and isinstance(data, Mapping):
            return BodyValue("form", FORM, dict(data))
        if media == MULTIPART and isinstance(data, Mapping):
            return BodyValue("multipart", MULTIPART, dict(data))
        if media.endswith("json"):
            return BodyValue("json", declared or "application/json", data)
        if isinstance(data, bytes | str):
            return BodyValue("raw", declared or "application/octet-stream", data)
        return BodyValue("json", "application/json", data)


def param_value(connector: Connector, endpoint: Endpoint | str, param: Param | str,
                explicit: Mapping[str, Any] | None = None) -> Any:
    """The value ``param`` of ``endpoint`` is tested with, or :data:`NO_VALUE`.

    ``param`` is a request parameter (or its name) or a body field's dotted name
    (``owner.id``); ``explicit`` are this run's values by name. The chain: explicit,
    saved (``connector.test_values``), linked, default, example, first enum value.
    """
    ep = connector.endpoint(endpoint) if isinstance(endpoint, str) else endpoint
    name = param if isinstance(param, str) else param.name
    if isinstance(param, str):
        found_param = next((p for p in ep.params if p.name == param), None)
        if found_param is None:
            found_param = next((p for top in ep.body for d, p in top.walk() if d == param),
                               None)
        if found_param is None:
            raise EndpointDefinitionError(
                f"Endpoint {ep.id} has no parameter {param!r}; name one of its parameters.",
                option="param")
        param = found_param
    found, value = EndpointValues(connector, ep, explicit).value(param, name)
    return value if found else NO_VALUE


# --------------------------------------------------------------------------- text forms


def path_text(param: Param, value: Any) -> str:
    """The text that replaces ``{name}`` in the path: the value written in the parameter's
    style (``simple``, ``label``, ``matrix``) or, for a ``content`` parameter, its media
    type's document as one percent-encoded segment."""
    if param.content_type is not None:
        return path_segment(style.content_text(value, param.content_type))
    kind, explode = param.serialization
    return style.path_text(param.name, value, kind, explode)


def query_pairs(param: Param, value: Any) -> list[tuple[str, str]]:
    """The percent-encoded ``(key, value)`` pairs a query parameter is written as, in its
    style (``form``, ``spaceDelimited``, ``pipeDelimited``, ``deepObject``)."""
    if param.content_type is not None:
        safe = ":/?[]@!$()*+,;=" if param.allow_reserved else ""
        return [(quote(param.name, safe=""),
                 quote(style.content_text(value, param.content_type), safe=safe))]
    kind, explode = param.serialization
    return style.query_pairs(param.name, value, kind, explode, param.allow_reserved)


def header_value(param: Param, value: Any) -> str:
    """A header parameter's value (``simple`` style, or its ``content`` media type's
    document); a line break or NUL is refused."""
    if param.content_type is not None:
        text = style.content_text(value, param.content_type)
    else:
        text = style.header_text(value, param.serialization[1])
    return header_text(param.name, text)


def cookie_pairs(param: Param, value: Any) -> list[tuple[str, str]]:
    """The ``(name, encoded value)`` cookies a cookie parameter is written as (``form``)."""
    header_value(param, value)  # refuse line breaks the same way
    if param.content_type is not None:
        return [(param.name, quote(style.content_text(value, param.content_type), safe=""))]
    return style.cookie_pairs(param.name, value, param.serialization[1])


def body_encodings(endpoint: Endpoint) -> dict[str, FieldEncoding]:
    """The Encoding Object of each top-level body field (for form and multipart bodies)."""
    return {p.name: FieldEncoding(p.content_type, p.style, p.explode, p.allow_reserved,
                                  p.format, part_header_texts(p)) for p in endpoint.body}


def part_header_texts(field: Param) -> tuple[tuple[str, str], ...]:
    """The Encoding Object ``headers`` of a multipart body field as written in its parts:
    ``(name, text)``, each value its default, example or first enum value (style simple); a
    required one with none gets the mock generator's value for its schema; an optional one
    with none is left out."""
    out: list[tuple[str, str]] = []
    for h in field.part_headers:
        found, value = spec_value(h)
        if not found or value is None:
            if not h.required:
                continue
            from ..mock.values import generate_value
            from ..spec.writer import param_schema

            value = generate_value(h.schema or param_schema(h), direction="request",
                                   where=f"{field.name}.{h.name}")
            if value is None:
                continue
        out.append((h.name, header_value(h, value)))
    return tuple(out)


def form_fields(endpoint: Endpoint, body: BodyValue) -> list[tuple[str, str]]:
    """A form-urlencoded body's decoded ``(name, value)`` fields, by the Encoding Object."""
    return encoding.form_fields(body.value, body_encodings(endpoint))


def multipart_parts(endpoint: Endpoint, body: BodyValue) -> list[encoding.Part]:
    """A multipart body's parts (arrays repeated, per-part Content-Type), by the Encoding
    Object."""
    return encoding.multipart_parts(body.value, body_encodings(endpoint))


#: The one text form of a value (the style rules' item text): ``true``/``false``, ``None``
#: empty, objects and arrays as compact JSON, anything else ``str()``.
value_text = style.text


def path_segment(value: Any) -> str:
    """A value as one percent-encoded path segment (``/`` and ``.``/``..`` encoded too)."""
    text = quote(value_text(value), safe="")
    if text in (".", ".."):  # a literal dot segment would be resolved away: encode it
        text = text.replace(".", "%2E")
    return text


def query_texts(value: Any) -> list[str]:
    """A query parameter's values: one per list item (the key repeats), else one."""
    items = value if isinstance(value, list | tuple) else [value]
    return [value_text(v) for v in items]


def header_text(name: str, value: Any) -> str:
    """A header's value: list items joined by commas; a line break or NUL is refused."""
    text = ",".join(value_text(v) for v in value) if isinstance(value, list | tuple) \
        else value_text(value)
    if re.search(r"[\r\n\x00]", text):
        raise EndpointDefinitionError(
            f"The test value of header {name} contains a line break or NUL, "
            "which could inject headers; give a single-line value.", option="param")
    return text


def cookie_pair(name: str, value: Any) -> str:
    """``name=value`` for a Cookie header (the value percent-encoded)."""
    return f"{name}={quote(header_text(name, value), safe='')}"
