"""The mock's parameter checks: path, query, header and cookie values read by their style.

Each parameter is read the way the runner writes it (:mod:`nbconnect.spec.oas.style`, OAS
3.0.3 §4.7.12.1): path ``simple``/``label``/``matrix``, query ``form``/``spaceDelimited``/
``pipeDelimited``/``deepObject``, header ``simple``, cookie ``form``, with ``explode``; a
parameter described by ``content`` is parsed as its media type (JSON). Item and member texts
are converted by their schema's types (an integer given ``abc`` is a 400 naming the
parameter), then the value is checked against the schema. Required query, header and cookie
parameters must be present. A spelling that does not match the style is a 400 that says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ..errors import clip
from ..spec.oas import get_at, parameter_style, parse_pointer
from ..spec.oas import style as styles
from .routes import Operation, Param
from .validation import Validators

__all__ = ["check_params"]

_SHAPES = ("array", "object")


def check_params(validators: Validators, op: Operation, values: Mapping[str, str],
                 query: list[tuple[str, str]], headers: Mapping[str, str],
                 cookies: Mapping[str, str]) -> str | None:
    """None when the parameters are fine, else a one-sentence problem."""
    jar = _cookie_pairs(headers.get("cookie"), cookies)
    for p in op.params:
        rules = _rules(validators, p)
        style, explode, content_type = rules["style"], rules["explode"], rules["content"]
        shape = p.kind if p.kind in _SHAPES and content_type is None else "scalar"
        others = [o.name for o in op.params if o is not p and o.location == p.location]
        props = rules["properties"]
        found: tuple[Any, str | None] | None
        if p.location == "path":
            found = styles.read_path(p.name, values[p.name], shape, style, explode) \
                if p.name in values else None
            shown = values.get(p.name, "")
        elif p.location == "query":
            pairs = query if not props or shape != "object" else \
                [(k, v) for k, v in query if k == p.name or k in props or "[" in k]
            found = styles.read_query(p.name, pairs, shape, style, explode, others)
            shown = "&".join(f"{k}={v}" for k, v in query if k == p.name
                             or k.startswith(p.name + "["))
        elif p.location == "header":
            raw = headers.get(p.name.lower())
            found = None if raw is None else styles.read_header(raw, shape, explode)
            shown = raw or ""
        else:
            pairs = jar if not props or shape != "object" else \
                [(k, v) for k, v in jar if k == p.name or k in props]
            found = styles.read_cookie(p.name, pairs, shape, explode, others)
            shown = headers.get("cookie", "")
        if found is None:
            if p.required and p.location != "path":
                return (f"The {p.location} parameter {p.name!r} is required; add it to the "
                        "request.")
            continue
        value, problem = found
        if problem is not None:
            how = f"{style} style" + (", exploded" if explode else "")
            return (f"The {p.location} parameter {p.name!r} is {clip(shown, 60)!r}, which is "
                    f"not written in its {how} ({problem}); write it as the spec says.")
        if p.schema_pointer is None:
            continue
        if content_type is not None:
            value, problem = _content(value, content_type)
        else:
            value, problem = _typed(value, shape, p, props, validators.doc)
        if problem is None:
            problem = validators.first_error(p.schema_pointer, value)
        if problem is not None:
            return (f"The {p.location} parameter {p.name!r} is {clip(shown, 60)!r}, which does "
                    f"not match its schema ({clip(problem, 120)}); send a valid value.")
    return None


def _cookie_pairs(header: str | None, cookies: Mapping[str, str]) -> list[tuple[str, str]]:
    """The request's cookies in order, repeated names kept (``form`` exploded arrays)."""
    if not header:
        return list(cookies.items())
    out = []
    for part in header.split(";"):
        name, eq, value = part.strip().partition("=")
        if eq:
            out.append((name.strip(), value.strip()))
    return out


def _rules(validators: Validators, p: Param) -> dict[str, Any]:
    """The Parameter Object's style, explode and ``content`` media type, and the names of
    an object schema's properties, read once from the document (by the schema's pointer)."""
    memo: dict[int, dict[str, Any]] = validators.__dict__.setdefault("_param_rules", {})
    hit = memo.get(id(p))
    if hit is not None and hit["param"] is p:
        return hit
    raw: Any = None
    content_type = None
    schema: Any = None
    if p.schema_pointer is not None:
        tokens = parse_pointer(p.schema_pointer) or []
        if len(tokens) >= 3 and tokens[-3] == "content":
            content_type = tokens[-2]
            raw = get_at(validators.doc, tokens[:-3])
        else:
            raw = get_at(validators.doc, tokens[:-1])
        schema = _deref(validators.doc, get_at(validators.doc, tokens))
    raw = raw if isinstance(raw, dict) else {"in": p.location}
    style, explode = parameter_style(raw)
    props = schema.get("properties") if isinstance(schema, dict) else None
    rules = {"param": p, "style": style, "explode": explode, "content": content_type,
             "properties": dict(props) if isinstance(props, dict) else {},
             "schema": schema}
    memo[id(p)] = rules
    return rules


def _deref(doc: Any, node: Any) -> Any:
    for _ in range(20):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)
                and node["$ref"].startswith("#")):
            return node
        node = get_at(doc, parse_pointer(node["$ref"][1:]) or [])
    return node


def _kind(doc: Any, schema: Any) -> str | None:
    schema = _deref(doc, schema)
    if not isinstance(schema, dict):
        return None
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind if isinstance(kind, str) else None


def _content(text: Any, content_type: str) -> tuple[Any, str | None]:
    if not content_type.split(";")[0].strip().lower().endswith("json"):
        return text, None
    try:
        return json.loads(text), None
    except (ValueError, TypeError):
        return text, f"expected a {content_type} document, got {clip(str(text), 40)!r}"


def _typed(value: Any, shape: str, p: Param, props: Mapping[str, Any], doc: Any
           ) -> tuple[Any, str | None]:
    """Item and member texts converted by the schema's types."""
    if shape == "array":
        out: list[Any] = []
        for part in value:
            item, problem = _scalar(part, p.item_kind)
            if problem is not None:
                return None, problem
            out.append(item)
        return out, None
    if shape == "object":
        obj: dict[str, Any] = {}
        for key, text in value.items():
            kind = _kind(doc, props.get(key))
            if isinstance(text, str):
                member, problem = _scalar(text, kind)
                if problem is not None:
                    return None, f"{key}: {problem}"
                obj[key] = member
            else:
                obj[key] = text
        return obj, None
    return _scalar(value, p.kind)


def _scalar(text: str, kind: str | None) -> tuple[Any, str | None]:
    if kind in ("object", "array"):  # a nested value is written as compact JSON
        try:
            return json.loads(text), None
        except ValueError:
            return text, f"expected a JSON {kind}, got {clip(text, 40)!r}"
    if kind == "integer":
        if re.fullmatch(r"[+-]?\d+", text.strip()):
            return int(text), None
        return text, f"expected an integer, got {clip(text, 40)!r}"
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return text, f"expected a number, got {clip(text, 40)!r}"
        return (int(number) if number.is_integer() and "." not in text else number), None
    if kind == "boolean":
        if text.lower() in ("true", "false"):
            return text.lower() == "true", None
        return text, f"expected true or false, got {clip(text, 40)!r}"
    return text, None
