"""The mock's routes: each operation of the spec as a matchable route with its parameters.

:func:`build_operations` turns ``paths`` into :class:`Operation` s (path template as a regex,
parameters merged from the Path Item and the operation, the success status and media type),
sorted so that routes with fewer parameters and more literal text win; :func:`find_operation`
matches a request. A ``?k=v`` in a path key is part of the match: the operation is chosen
when the request has ``k=v`` or no ``k`` at all, never when it has another ``k``; of several
such keys the one with the most equal values wins. A ``#k=v`` fragment (AWS specs:
``/#X-Amz-Target=Service.Action``) does the same with the request's header ``k``; any other
fragment is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from ..spec.oas import (
    PARAMETER_LOCATIONS,
    PATH_ITEM_METHODS,
    Resolver,
    effective_security,
    escape_token,
    is_ignored_header,
    may_be_json,
    parameter_key,
    parameter_schema,
    parameter_style,
    path_item,
    pick_media,
    success_codes,
)
from .values import ValueGenerator

__all__ = ["Operation", "Param", "build_operations", "find_operation"]

#: the mock's media preference: ``application/json``, then anything that may be JSON
#: (a ``+json`` type or a wildcard), then the first entry
_JSON_FIRST = ("application/json", may_be_json)


@dataclass
class Param:
    name: str
    location: str
    required: bool
    schema_pointer: str | None
    kind: str | None
    explode: bool
    item_kind: str | None = None


@dataclass
class Operation:
    method: str
    key: str
    pointer: str
    regex: re.Pattern[str]
    names: tuple[str, ...]
    query_match: tuple[tuple[str, str], ...]
    params: list[Param]
    security: list[dict[str, Any]] | None
    body_required: bool
    body_json: bool
    status: int
    media_type: str | None
    media_pointer: str | None
    specificity: tuple[int, int, int] = (0, 0, 0)
    cached: bytes | None = None
    #: ``#k=v`` of the path key: header ``k`` (lower case) must be ``v`` when present
    header_match: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.key}"


def build_operations(doc: Resolver, generator: ValueGenerator,
                     global_security: list[Any] | None) -> list[Operation]:
    """Every operation of the document's ``paths``, most specific route first."""
    return _Builder(doc, generator, global_security).operations(doc.doc)


class _Builder:
    """Builds the operations of one document (the route, parameters and success of each)."""

    def __init__(self, doc: Resolver, generator: ValueGenerator,
                 global_security: list[Any] | None) -> None:
        self.doc = doc
        self.generator = generator
        self.global_security = global_security

    def operations(self, doc: dict[str, Any]) -> list[Operation]:
        paths = doc.get("paths") if isinstance(doc.get("paths"), dict) else {}
        ops: list[Operation] = []
        for key, raw_item in paths.items():
            own_pointer = f"/paths/{escape_token(str(key))}"
            item, item_pointer = path_item(self.doc, raw_item, own_pointer)
            if not isinstance(item, dict):
                continue
            referenced = isinstance(raw_item, dict) and isinstance(raw_item.get("$ref"), str)
            route, query_match = self._route(str(key))
            if route is None:
                continue
            regex, names, specificity = route
            for method in PATH_ITEM_METHODS:  # in this order: it orders the Allow header
                op = item.get(method)
                if not isinstance(op, dict):
                    continue
                pointer = f"{item_pointer}/{method}"
                if referenced and method in raw_item:  # a sibling of the Path Item's $ref
                    pointer = f"{own_pointer}/{method}"
                operation = self._operation(method, str(key), pointer, op, item,
                                            item_pointer, regex, names, query_match,
                                            specificity)
                operation.header_match = _fragment_headers(str(key))
                ops.append(operation)
        ops.sort(key=lambda o: o.specificity)
        return ops

    def _route(self, key: str) -> tuple[Any, tuple[tuple[str, str], ...]]:
        base = key.partition("#")[0]
        path, _, query = base.partition("?")
        if not path.startswith("/"):
            return None, ()
        names: list[str] = []
        parts: list[str] = []
        literal = 0
        pos = 0
        for m in re.finditer(r"\{([^{}/]+)\}", path):
            text = path[pos:m.start()]
            literal += len(text)
            parts.append(re.escape(quote(text, safe="/:@!$&'()*+,;=-._~%")))
            parts.append("([^/]+)")
            names.append(m.group(1))
            pos = m.end()
        tail = path[pos:]
        literal += len(tail)
        parts.append(re.escape(quote(tail, safe="/:@!$&'()*+,;=-._~%")))
        pattern = "".join(parts)
        if pattern.endswith("/") and len(pattern) > 1:
            pattern = pattern[:-1]
        regex = re.compile(pattern + "/?")
        pairs = tuple(parse_qsl(query, keep_blank_values=True))
        return (regex, tuple(names), (len(names), -literal, -len(pairs))), pairs

    def _operation(self, method: str, key: str, pointer: str, op: dict[str, Any],
                   item: dict[str, Any], item_pointer: str, regex: re.Pattern[str],
                   names: tuple[str, ...], query_match: tuple[tuple[str, str], ...],
                   specificity: tuple[int, int, int]) -> Operation:
        merged: dict[tuple[str, str], Param] = {}
        for source, src_pointer in ((item.get("parameters"), f"{item_pointer}/parameters"),
                                    (op.get("parameters"), f"{pointer}/parameters")):
            if not isinstance(source, list):
                continue
            for i, raw in enumerate(source):
                found = self.doc.deref(raw, f"{src_pointer}/{i}")
                p, p_pointer = found.value, found.pointer
                if not isinstance(p, dict):
                    continue
                name, loc = p.get("name"), p.get("in")
                if not isinstance(name, str) or loc not in PARAMETER_LOCATIONS or \
                        is_ignored_header(name, loc):
                    continue
                schema, relative = parameter_schema(p)
                schema_pointer = f"{p_pointer}{relative}" if isinstance(schema, dict) and \
                    relative is not None else None
                kind = item_kind = None
                if schema_pointer is not None:
                    flat, _ = self.generator.flatten(schema, schema_pointer, [])
                    kind = self.generator.kind(flat)
                    if kind == "array" and isinstance(flat.get("items"), dict):
                        items, _ = self.generator.flatten(flat["items"],
                                                          flat.get("__ptr_items", ""), [])
                        item_kind = self.generator.kind(items)
                _, explode = parameter_style(p)
                merged[parameter_key(name, loc)] = Param(
                    name, loc, bool(p.get("required")) or loc == "path", schema_pointer, kind,
                    explode, item_kind)
        body = self.doc.deref(op.get("requestBody"), f"{pointer}/requestBody").value
        body_required = isinstance(body, dict) and body.get("required") is True
        body_json = False
        if isinstance(body, dict):
            mtype, _ = pick_media(body.get("content"), _JSON_FIRST)
            body_json = mtype is not None and may_be_json(mtype)
        status, media_type, media_pointer = self._success(method, pointer, op)
        return Operation(method, key, pointer, regex, names, query_match,
                         list(merged.values()), effective_security(op, self.global_security),
                         body_required, body_json, status, media_type, media_pointer,
                         specificity)

    def _success(self, method: str, pointer: str, op: dict[str, Any]
                 ) -> tuple[int, str | None, str | None]:
        responses = op.get("responses")
        # for POST 201 when declared, else the lowest 2xx, then 2XX, then default
        codes = success_codes(responses, ("201",) if method == "post" else ())
        if not codes:
            return 200, None, None
        chosen, original = codes[0]
        status = int(chosen) if chosen.isdigit() else 200
        found = self.doc.deref(responses[original],  # type: ignore[index]
                               f"{pointer}/responses/{escape_token(chosen)}")
        resp, resp_pointer = found.value, found.pointer
        if status in (204, 304) or not isinstance(resp, dict):
            return status, None, None
        mtype, _ = pick_media(resp.get("content"), _JSON_FIRST)
        if mtype is None:
            return status, None, None
        return status, mtype, f"{resp_pointer}/content/{escape_token(mtype)}"

    # -- responses -----------------------------------------------------------------


def _fragment_headers(key: str) -> tuple[tuple[str, str], ...]:
    fragment = key.partition("#")[2]
    if "=" not in fragment:
        return ()
    return tuple((k.strip().lower(), v) for k, v in parse_qsl(fragment, keep_blank_values=True)
                 if k.strip())


def find_operation(operations: list[Operation], base_path: str, raw_path: str, method: str,
                   query: list[tuple[str, str]], headers: Mapping[str, str] | None = None
                   ) -> tuple[Operation | None, dict[str, str], list[str]]:
    """(operation, path values, allowed methods when the path exists but not the method);
    ``headers`` (lower-case names) choose among ``#k=v`` path keys."""
    if base_path:
        if raw_path != base_path and not raw_path.startswith(base_path + "/"):
            return None, {}, []
        raw_path = raw_path[len(base_path):] or "/"
    given: dict[str, list[str]] = {}
    for k, v in query:
        given.setdefault(k, []).append(v)
    allowed: list[str] = []
    best: tuple[tuple[int, int, int], Operation, dict[str, str]] | None = None
    for op in operations:
        m = op.regex.fullmatch(raw_path)
        if m is None:
            continue
        if any(k in given and v not in given[k] for k, v in op.query_match):
            continue
        if headers is not None and any(k in headers and headers[k] != v
                                       for k, v in op.header_match):
            continue
        if op.method != method:
            allowed.append(op.method.upper())
            continue
        score = sum(1 for k, v in op.query_match if v in given.get(k, ())) + sum(
            1 for k, v in op.header_match if headers is not None and headers.get(k) == v)
        rank = (op.specificity[0], op.specificity[1], -score)
        if best is None or rank < best[0]:
            values = {n: unquote(v) for n, v in zip(op.names, m.groups(), strict=True)}
            best = (rank, op, values)
    if best is not None:
        return best[1], best[2], []
    return None, {}, list(dict.fromkeys(allowed))
