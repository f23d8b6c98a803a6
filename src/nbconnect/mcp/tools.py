"""One endpoint as one MCP tool definition: name, description, input and output schema.

:func:`tool_for` turns an :class:`~nbconnect.model.Endpoint` into a :class:`ToolDef`:

* **name**: the endpoint id (MCP 2025-11-25 "Tool names": 1-128 of ``A-Za-z0-9_.-``), or a
  name a client accepts (:func:`safe_name`: other characters become ``_``, a long name is
  cut and ends in a short hash so two cut names stay apart);
* **description**: the display name, the method and path, the first sentence of the
  endpoint's description, and what links and paging say about the arguments;
* **input schema** (``type: object``): one property per path, query, header and cookie
  parameter and per top-level body field (the parameter's declared JSON Schema when the
  spec gave one, else one built from its type, format, enum, default and description;
  static link values as ``enum``); a body field whose name a parameter already has is
  called ``body_NAME``; ``$defs`` hold only the component schemas the properties reach;
* **output schema** (``type: object``, never a root ``$ref``): ``status`` (the HTTP status),
  ``content_type`` and ``body``, the declared 2xx response schema as JSON Schema 2020-12
  (any of them when several 2xx responses declare different ones);
* **paging**: an endpoint with a paging rule (``Endpoint.paging``) gets the arguments
  ``all_pages`` and ``max_pages``; its result then also holds ``all_pages`` (the items of
  every page, the page count and why following stopped, :mod:`nbconnect.paging.follow`).

:func:`select_tools` picks endpoints by tag or id; :func:`coerce_arguments` turns
arguments that arrive as text (``"7"``, ``"true"``) into the declared scalar type where
that is unambiguous, with the one test-value rule (:func:`nbconnect.testing.values.coerce`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import McpServeError
from ..model import Connector, Endpoint, Param

__all__ = ["ALL_PAGES", "MAX_PAGES", "Argument", "SchemaDocs", "ToolDef", "coerce_arguments",
           "safe_name", "select_tools", "tool_for", "tools_for"]

_DEFS = "#/$defs/"
#: the arguments a tool of a paged endpoint adds (following its pages)
ALL_PAGES = "all_pages"
MAX_PAGES = "max_pages"
_TYPES = {"string", "integer", "number", "boolean", "object", "array", "null"}


@dataclass(frozen=True)
class Argument:
    """One input property of a tool: its ``name`` in the input schema, the parameter it
    fills (``param``: a request parameter or a top-level body field) and where that goes
    (``location``: a parameter location, ``body``, ``document`` for a whole request body, or
    ``control`` for :data:`ALL_PAGES`/:data:`MAX_PAGES`)."""

    name: str
    param: Param
    location: str

    @property
    def required(self) -> bool:
        return self.param.required and not self.param.nullable


@dataclass(frozen=True)
class ToolDef:
    """An MCP tool made from one endpoint (see the module docstring for each field)."""

    name: str
    endpoint_id: str
    title: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    arguments: tuple[Argument, ...] = ()
    tags: tuple[str, ...] = ()
    method: str = "GET"
    notes: tuple[str, ...] = field(default=())

    def to_mcp(self) -> dict[str, Any]:
        """The tool as ``tools/list`` shows it (MCP ``Tool``: name, title, description,
        inputSchema, outputSchema, annotations)."""
        read_only = self.method == "GET"
        return {"name": self.name, "title": self.title, "description": self.description,
                "inputSchema": self.input_schema, "outputSchema": self.output_schema,
                "annotations": {"title": self.title, "readOnlyHint": read_only,
                                "destructiveHint": self.method == "DELETE",
                                "idempotentHint": self.method in ("GET", "PUT", "DELETE"),
                                "openWorldHint": True}}

    def renamed(self, name: str) -> ToolDef:
        """The same tool under another name."""
        from dataclasses import replace

        return replace(self, name=name)


# --------------------------------------------------------------------------- names


def safe_name(name: str, chars: str = "A-Za-z0-9_.-", max_length: int = 128) -> str:
    """``name`` with every character outside ``chars`` (a regex class body) made ``_`` and,
    when longer than ``max_length``, cut and ended by ``_`` plus 6 hex digits of its
    SHA-256 (so two long names that share a start stay apart)."""
    out = re.sub(f"[^{chars}]", "_", name) or "tool"
    if len(out) > max_length:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:6]
        out = out[:max(1, max_length - 7)] + "_" + digest
    return out


def _first_sentence(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    short = match.group(1) if match else text
    return short if len(short) <= limit else short[:limit - 1].rstrip() + "…"


# --------------------------------------------------------------------------- schemas


def _prune_defs(root: dict[str, Any]) -> dict[str, Any]:
    """``root`` with only the ``$defs`` its refs reach (transitively; an explicit stack, so
    a long chain of refs cannot exhaust Python's recursion limit)."""
    defs = root.pop("$defs", None) or {}
    keep: dict[str, Any] = {}
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(_DEFS):
                key = ref[len(_DEFS):]
                if key in defs and key not in keep:
                    keep[key] = defs[key]
                    stack.append(defs[key])
            stack.extend(v for k, v in node.items() if k != "$defs")
        elif isinstance(node, list):
            stack.extend(node)
    if keep:
        root["$defs"] = dict(sorted(keep.items()))
    return root


class SchemaDocs:
    """Self-contained JSON Schema 2020-12 documents (``$defs`` from the connector's
    component schemas, OAS rules applied for a direction, as
    :func:`nbconnect.spec.oas.schema.self_contained` makes them), with the component
    schemas converted once for a whole tool set rather than once per schema."""

    def __init__(self, connector: Connector) -> None:
        self.schemas = connector.schemas
        self._plain: dict[str, Any] | None = None
        self._defs: dict[str, dict[str, Any]] = {}

    def doc(self, schema: Any, direction: str) -> dict[str, Any]:
        """``schema`` as one document (a new dict; ``{}`` for no schema)."""
        from ..spec.oas.schema import direction_defs, for_direction, to_json_schema

        if schema is None:
            return {}
        if self._plain is None:
            self._plain = {k: to_json_schema(v, refs_to_defs=True)
                           for k, v in self.schemas.items()}
        if direction not in self._defs:
            self._defs[direction] = direction_defs(self.schemas, direction)
        root = for_direction(to_json_schema(schema, refs_to_defs=True), direction, self._plain)
        if not isinstance(root, dict):
            return {}
        root = dict(root)
        root["$defs"] = {**self._defs[direction], **(root.get("$defs") or {})}
        return root


def _param_schema(param: Param, docs: SchemaDocs, direction: str) -> dict[str, Any]:
    """A parameter (or body field) as JSON Schema 2020-12, with ``$defs`` it needs."""
    if param.schema:
        node = docs.doc(param.schema, direction)
    else:
        node = {}
        if param.type in _TYPES:
            node["type"] = [param.type, "null"] if param.nullable else param.type
        if param.type == "array":
            item = param.items if param.items in _TYPES else None
            if param.children:
                node["items"] = _object_schema(param.children, docs, direction)
            elif item:
                node["items"] = {"type": item}
        elif param.type == "object" and param.children:
            node.update(_object_schema(param.children, docs, direction))
        if param.format:
            node["format"] = param.format
        if param.enum:
            node["enum"] = list(param.enum)
    if param.description and "description" not in node:
        node["description"] = _first_sentence(param.description, 400)
    if param.default is not None and "default" not in node:
        node["default"] = param.default
    return node


def _object_schema(children: Iterable[Param], docs: SchemaDocs,
                   direction: str) -> dict[str, Any]:
    props: dict[str, Any] = {}
    required: list[str] = []
    defs: dict[str, Any] = {}
    for child in children:
        sub = _param_schema(child, docs, direction)
        defs.update(sub.pop("$defs", None) or {})
        props[child.name] = sub
        if child.required:
            required.append(child.name)
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    if defs:
        out["$defs"] = defs
    return out


def _link_notes(connector: Connector, ep: Endpoint) -> tuple[dict[str, list[Any]], list[str]]:
    """(static values by parameter name, sentences describing dynamic links) of ``ep``.

    Parameter links are another part of the connector (``Connector.links``); when that part
    is absent, there are none."""
    links = getattr(connector, "links", None)
    static: dict[str, list[Any]] = {}
    notes: list[str] = []
    if not links:
        return static, notes
    for link in links:
        if getattr(link, "endpoint", None) != ep.id:
            continue
        name = getattr(link, "param", None)
        values = getattr(link, "values", None)
        if name is None:
            continue
        if values:
            static[name] = [v.get("value") if isinstance(v, Mapping) else v for v in values]
        else:
            source = getattr(link, "source", None) or getattr(link, "source_endpoint", None)
            path = getattr(link, "path", None) or getattr(link, "value_path", None)
            notes.append(f"{name}: take a value from tool {source}"
                         + (f" at {path}" if path else "") + ".")
    return static, notes


def _input_schema(docs: SchemaDocs, ep: Endpoint,
                  static: Mapping[str, list[Any]]) -> tuple[dict[str, Any], tuple[Argument, ...]]:
    props: dict[str, Any] = {}
    required: list[str] = []
    defs: dict[str, Any] = {}
    args: list[Argument] = []
    taken: set[str] = set()
    fields = [(p, p.location) for p in ep.params] + [(p, "body") for p in ep.body]
    for param, location in fields:
        name = param.name
        if name in taken:
            name = f"{location}_{param.name}"
        taken.add(name)
        sub = _param_schema(param, docs, "request")
        defs.update(sub.pop("$defs", None) or {})
        if param.name in static and location != "body":
            sub["enum"] = list(static[param.name])
        if location not in ("body", "query"):
            sub.setdefault("description", f"({location} parameter)")
        props[name] = sub
        argument = Argument(name, param, location)
        if argument.required:
            required.append(name)
        args.append(argument)
    if not ep.body and ep.request_schema is not None and ep.method != "GET":
        whole = docs.doc(ep.request_schema, "request")
        defs.update(whole.pop("$defs", None) or {})
        whole.setdefault("description", "The request body.")
        name = "body" if "body" not in taken else "request_body"
        props[name] = whole
        body_param = Param(name, type="any", location="body", required=True)
        args.append(Argument(name, body_param, "document"))
        required.append(name)
    root: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        root["required"] = required
    if defs:
        root["$defs"] = defs
    return _prune_defs(root), tuple(args)


def _success_schemas(ep: Endpoint) -> list[Any]:
    """The distinct JSON schemas of every declared 2xx response (the primary one first);
    empty when a 2xx response declares none (its body can then be anything)."""
    seen: list[Any] = []
    any_body = False
    for code, content in ep.declared_responses.items():
        if not str(code).upper().startswith("2"):
            continue
        schemas = [v for k, v in (content or {}).items()
                   if k.split(";")[0].strip().lower().endswith("json")]
        if not schemas or any(not isinstance(v, Mapping) for v in schemas):
            any_body = True
        for v in schemas:
            if isinstance(v, Mapping) and v not in seen:
                seen.append(v)
    if any_body:
        return []
    primary = ep.response_schema
    if primary in seen:
        seen.remove(primary)
        seen.insert(0, primary)
    return seen


def _output_schema(docs: SchemaDocs, ep: Endpoint) -> dict[str, Any]:
    # the judge's response document (testing.judging.response_json_schema) for each
    bodies = [docs.doc(s, "response") for s in _success_schemas(ep)]
    defs: dict[str, Any] = {}
    for b in bodies:
        defs.update(b.pop("$defs", None) or {})
    # one 2xx schema: the body's; several (200 and 202 ...): any of them; none: anything
    body: dict[str, Any] = dict(bodies[0]) if len(bodies) == 1 else \
        {"anyOf": bodies} if bodies else {}
    body.setdefault("description", "The response body (JSON parsed; text otherwise).")
    root: dict[str, Any] = {
        "type": "object",
        "properties": {
            "status": {"type": "integer", "description": "The HTTP status code."},
            "content_type": {"type": ["string", "null"],
                             "description": "The response's media type."},
            "body": body,
        },
        "required": ["status", "body"],
    }
    if defs:
        root["$defs"] = defs
    return _prune_defs(root)


# --------------------------------------------------------------------------- tools


def tool_for(connector: Connector, ep: Endpoint | str, *, name: str | None = None,
             docs: SchemaDocs | None = None) -> ToolDef:
    """The MCP tool for endpoint ``ep`` (an Endpoint or its id) of ``connector``; ``name``
    overrides the endpoint id as the tool's name; ``docs`` shares the converted component
    schemas between the tools of one set."""
    docs = docs if docs is not None else SchemaDocs(connector)
    ep = connector.endpoint(ep) if isinstance(ep, str) else ep
    static, link_notes = _link_notes(connector, ep)
    input_schema, arguments = _input_schema(docs, ep, static)
    parts = [ep.name if ep.name != ep.id else ep.id, f"({ep.method} {ep.path})."]
    if ep.description and _first_sentence(ep.description) != ep.name:
        parts.append(_first_sentence(ep.description))
    parts.extend(link_notes)
    output_schema = _output_schema(docs, ep)
    if ep.paging is not None and not ({ALL_PAGES, MAX_PAGES} & set(input_schema["properties"])):
        input_schema["properties"][ALL_PAGES] = {
            "type": "boolean", "default": False,
            "description": f"Follow the pages ({ep.paging.type} paging) and return every "
                           "page's items in all_pages."}
        input_schema["properties"][MAX_PAGES] = {
            "type": "integer", "minimum": 1, "maximum": 1000, "default": 10,
            "description": "With all_pages: fetch at most this many pages."}
        arguments = (*arguments,
                     Argument(ALL_PAGES, Param(ALL_PAGES, type="boolean"), "control"),
                     Argument(MAX_PAGES, Param(MAX_PAGES, type="integer"), "control"))
        output_schema["properties"][ALL_PAGES] = {
            "type": "object", "description": "With all_pages: what following the pages gave.",
            "properties": {"items": {"type": "array"}, "pages": {"type": "integer"},
                           "stop_reason": {"type": "string"},
                           "stop_message": {"type": "string"}}}
        parts.append("Set all_pages to follow its pages.")
    return ToolDef(name=name or ep.id, endpoint_id=ep.id, title=ep.name or ep.id,
                   description=" ".join(parts), input_schema=input_schema,
                   output_schema=output_schema, arguments=arguments,
                   tags=tuple(ep.tags), method=ep.method)


def select_tools(connector: Connector, include: Iterable[str] = (),
                 exclude: Iterable[str] = ()) -> list[Endpoint]:
    """The endpoints served: those with a tag or id in ``include`` (all when empty), less
    those with a tag or id in ``exclude``. Raises
    :class:`~nbconnect.errors.McpServeError` for a word that is no tag or id, or when
    nothing is left."""
    include = [w for w in include if w]
    exclude = [w for w in exclude if w]
    known = {e.id for e in connector.endpoints} | {t for e in connector.endpoints
                                                   for t in e.tags}
    for word in (*include, *exclude):
        if word not in known:
            import difflib

            close = difflib.get_close_matches(word, sorted(known), n=1)
            hint = f"did you mean {close[0]}?" if close else \
                "name a tag or an endpoint id of the connector."
            raise McpServeError(f"{word!r} is neither a tag nor an endpoint id of "
                                f"{connector.name!r}; {hint}", option="include")

    def hit(ep: Endpoint, words: list[str]) -> bool:
        return ep.id in words or any(t in words for t in ep.tags)

    chosen = [e for e in connector.endpoints
              if (not include or hit(e, include)) and not hit(e, exclude)]
    if not chosen:
        raise McpServeError(f"The tool selection leaves none of {connector.name!r}'s "
                            f"{len(connector.endpoints)} endpoints; include more or exclude "
                            "less.", option="include")
    return chosen


def tools_for(connector: Connector, include: Iterable[str] = (),
              exclude: Iterable[str] = ()) -> list[ToolDef]:
    """One :class:`ToolDef` per selected endpoint (see :func:`select_tools`), in the
    connector's order."""
    docs = SchemaDocs(connector)
    return [tool_for(connector, ep, docs=docs)
            for ep in select_tools(connector, include, exclude)]


def coerce_arguments(tool: ToolDef, arguments: Mapping[str, Any] | None) -> dict[str, Any]:
    """The tool's arguments by parameter name, text turned into the declared scalar type
    where unambiguous (``"7"`` -> 7 for an integer, ``"true"`` -> True, JSON text for an
    object or array). Raises :class:`~nbconnect.errors.McpServeError` for an unknown
    argument or a missing required one."""
    from ..testing.values import coerce

    given = dict(arguments or {})
    by_name = {a.name: a for a in tool.arguments}
    unknown = sorted(k for k in given if k not in by_name)
    if unknown:
        raise McpServeError(f"Tool {tool.name} has no argument {unknown[0]!r}; its arguments "
                            f"are {', '.join(by_name) or 'none'}.", option="arguments")
    missing = [a.name for a in tool.arguments if a.required and given.get(a.name) is None]
    if missing:
        raise McpServeError(f"Tool {tool.name} needs the argument {missing[0]!r}; give it a "
                            "value.", option="arguments")
    out: dict[str, Any] = {}
    for key, value in given.items():
        arg = by_name[key]
        if arg.location == "control":
            out[arg.name] = coerce(value, arg.param)
            continue
        if arg.location == "document":
            if isinstance(value, str) and value.strip()[:1] in ("{", "["):
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            out[key] = value
            continue
        kind = arg.param.type
        if isinstance(value, str) and kind == "number" and \
                re.fullmatch(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*", value) is None:
            out[arg.param.name] = value  # "nan", "inf": not a JSON number; the API judges
            continue
        out[arg.param.name] = coerce(value, arg.param)
    return out
