"""The mock's routes: each operation of the spec as a matchable route with its parameters.

:func:`build_operations` turns ``paths`` into :class:`Operation` s (path template as a regex,
parameters merged from the Path Item and the operation, the success status and media type),
sorted so that routes with fewer parameters and more literal text win; :func:`find_operation`
matches a request. A ``#fragment`` in a path key is ignored; a ``?k=v`` in a path key is part
of the match: the operation is chosen when the request has ``k=v`` or no ``k`` at all, never
when it has another ``k``; of several such keys the one with the most equal values wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from .document import IGNORED_HEADERS, METHODS, Document, escape, media_is_json, pick_media
from .values import ValueGenerator

__all__ = ["Operation", "Param", "build_operations", "find_operation"]


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

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.key}"


def build_operations(doc: Document, generator: ValueGenerator,
                     global_security: list[Any] | None) -> list[Operation]:
    """Every operation of the document's ``paths``, most specific route first."""
    return _Builder(doc, generator, global_security).operations(doc.doc)


class _Builder:
    """Builds the operations of one document (the route, parameters and success of each)."""

    def __init__(self, doc: Document, generator: ValueGenerator,
                 global_security: list[Any] | None) -> None:
        self.doc = doc
        self.generator = generator
        self.global_security = global_security

    def operations(self, doc: dict[str, Any]) -> list[Operation]:
        paths = doc.get("paths") if isinstance(doc.get("paths"), dict) else {}
        ops: list[Operation] = []
        for key, raw_item in paths.items():
            item, item_pointer, _ = self.doc.deref(raw_item, f"/paths/{escape(str(key))}")
            if not isinstance(item, dict):
                continue
            if isinstance(raw_item, dict) and raw_item is not item:
                item = {**item, **{k: v for k, v in raw_item.items() if k != "$ref"}}
            route, query_match = self._route(str(key))
            if route is None:
                continue
            regex, names, specificity = route
            for method in METHODS:
                op = item.get(method)
                if not isinstance(op, dict):
                    continue
                pointer = f"{item_pointer}/{method}"
                if isinstance(raw_item, dict) and method in raw_item and raw_item is not item:
                    pointer = f"/paths/{escape(str(key))}/{method}"
                ops.append(self._operation(method, str(key), pointer, op, item, item_pointer,
                                           regex, names, query_match, specificity))
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
                p, p_pointer, _ = self.doc.deref(raw, f"{src_pointer}/{i}")
                if not isinstance(p, dict):
                    continue
                name, loc = p.get("name"), p.get("in")
                if not isinstance(name, str) or loc not in ("path", "query", "header",
                                                            "cookie"):
                    continue
                schema_pointer: str | None = None
                schema = p.get("schema")
                if isinstance(schema, dict):
                    schema_pointer = f"{p_pointer}/schema"
                elif isinstance(p.get("content"), dict) and p["content"]:
                    mkey = next(iter(p["content"]))
                    media = p["content"][mkey]
                    if isinstance(media, dict) and isinstance(media.get("schema"), dict):
                        schema = media["schema"]
                        schema_pointer = f"{p_pointer}/content/{escape(str(mkey))}/schema"
                if loc == "header" and name.lower() in IGNORED_HEADERS:
                    continue
                kind = item_kind = None
                if schema_pointer is not None:
                    flat, _ = self.generator.flatten(schema, schema_pointer, [])
                    kind = self.generator.kind(flat)
                    if kind == "array" and isinstance(flat.get("items"), dict):
                        items, _ = self.generator.flatten(flat["items"],
                                                          flat.get("__ptr_items", ""), [])
                        item_kind = self.generator.kind(items)
                style = p.get("style") or ("form" if loc in ("query", "cookie") else "simple")
                explode = p.get("explode", style == "form")
                keyname = name.lower() if loc == "header" else name
                merged[(loc, keyname)] = Param(name, loc, bool(p.get("required")) or
                                                loc == "path", schema_pointer, kind,
                                                bool(explode), item_kind)
        security = op.get("security", self.global_security)
        body, _, _ = self.doc.deref(op.get("requestBody"), f"{pointer}/requestBody")
        body_required = isinstance(body, dict) and body.get("required") is True
        body_json = False
        if isinstance(body, dict):
            mtype, _ = pick_media(body.get("content"))
            body_json = mtype is not None and media_is_json(mtype)
        status, media_type, media_pointer = self._success(method, pointer, op)
        return Operation(method, key, pointer, regex, names, query_match,
                          list(merged.values()),
                          security if isinstance(security, list) else None,
                          body_required, body_json, status, media_type, media_pointer,
                          specificity)

    def _success(self, method: str, pointer: str, op: dict[str, Any]
                 ) -> tuple[int, str | None, str | None]:
        responses = op.get("responses") if isinstance(op.get("responses"), dict) else {}
        codes = {str(k): str(k) for k in responses}
        twos = sorted(c for c in codes if re.fullmatch(r"2\d\d", c))
        if method == "post" and "201" in twos:
            chosen = "201"
        elif twos:
            chosen = twos[0]
        else:
            chosen = next((c for c in codes if c.upper() == "2XX"), None) or \
                next((c for c in codes if c == "default"), None)
        if chosen is None:
            return 200, None, None
        status = int(chosen) if chosen.isdigit() else 200
        original = next(k for k in responses if str(k) == chosen)
        resp, resp_pointer, _ = self.doc.deref(responses[original],
                                               f"{pointer}/responses/{escape(chosen)}")
        if status in (204, 304) or not isinstance(resp, dict):
            return status, None, None
        mtype, _ = pick_media(resp.get("content"))
        if mtype is None:
            return status, None, None
        return status, mtype, f"{resp_pointer}/content/{escape(mtype)}"

    # -- responses -----------------------------------------------------------------


def find_operation(operations: list[Operation], base_path: str, raw_path: str, method: str,
                   query: list[tuple[str, str]]
                   ) -> tuple[Operation | None, dict[str, str], list[str]]:
    """(operation, path values, allowed methods when the path exists but not the method)."""
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
        if op.method != method:
            allowed.append(op.method.upper())
            continue
        score = sum(1 for k, v in op.query_match if v in given.get(k, ()))
        rank = (op.specificity[0], op.specificity[1], -score)
        if best is None or rank < best[0]:
            values = {n: unquote(v) for n, v in zip(op.names, m.groups(), strict=True)}
            best = (rank, op, values)
    if best is not None:
        return best[1], best[2], []
    return None, {}, list(dict.fromkeys(allowed))
