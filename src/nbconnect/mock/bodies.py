"""The mock's form and multipart body check: fields read by the Encoding Object, then validated.

:func:`check_body` reads an ``application/x-www-form-urlencoded`` or ``multipart/form-data``
request body the way the runner writes it (:mod:`nbconnect.spec.oas.encoding`, OAS 3.0.3
§4.7.14): a property whose encoding gives ``style``/``explode`` by that style, an object (or
an array of objects) from its JSON, an array of primitives from repeated fields or parts, a
primitive from its text; texts are converted by the properties' types and the object is
checked against the body's schema. Binary parts are not checked. A multipart property's
encoding ``headers`` are checked in each of its parts (a required one present, each value
valid for its schema, read as ``simple`` style). Other media types: None.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from ..errors import clip
from ..spec.oas import escape_token, get_at, parse_pointer
from ..spec.oas import style as styles
from .validation import Validators

__all__ = ["check_body"]

_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"


def check_body(validators: Validators, op_pointer: str, content_type: str | None,
               body: bytes) -> str | None:
    """None when a form or multipart body fits its schema (or is another media type), else
    a one-sentence problem."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type not in (_FORM, _MULTIPART):
        return None
    doc = validators.doc
    rb = _deref(doc, get_at(doc, parse_pointer(f"{op_pointer}/requestBody") or []))
    content = rb.get("content") if isinstance(rb, dict) else None
    if not isinstance(content, dict):
        return None
    key = next((k for k in content if str(k).split(";")[0].strip().lower() == media_type),
               None)
    media = content.get(key) if key is not None else None
    if not isinstance(media, dict) or not isinstance(media.get("schema"), dict):
        return None
    pointer = f"{op_pointer}/requestBody/content/{escape_token(str(key))}/schema"
    schema = _deref(doc, media["schema"])
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return None
    encoding = media.get("encoding") if isinstance(media.get("encoding"), dict) else {}
    if media_type == _FORM:
        fields = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    else:
        parts = _parts(body, content_type or "")
        if parts is None:
            return "The multipart body has no boundary or no parts; send a multipart body."
        fields = [(name, text) for name, text, _ in parts]
        problem = _check_part_headers(validators, encoding, parts,
                                      f"{op_pointer}/requestBody/content/"
                                      f"{escape_token(str(key))}/encoding")
        if problem is not None:
            return problem
    value: dict[str, Any] = {}
    for name, sub in props.items():
        sub = _deref(doc, sub)
        kind = _kind(sub)
        enc = encoding.get(name) if isinstance(encoding.get(name), dict) else {}
        if media_type == _MULTIPART and _binary(sub, doc):
            count = sum(1 for k, _ in fields if k == name)
            if count:  # files are not checked: their presence is
                value[name] = [""] * count if kind == "array" else ""
            continue
        if media_type == _FORM and ("style" in enc or "explode" in enc):
            style = str(enc.get("style") or "form")
            explode = bool(enc.get("explode", style == "form"))
            shape = kind if kind in ("array", "object") else "scalar"
            found = styles.read_query(name, fields, shape, style, explode,
                                      [n for n in props if n != name])
            if found is None:
                continue
            got, problem = found
            if problem is not None:
                return f"The body field {name!r} is not written in its {style} style " \
                    f"({problem}); write it as the spec says."
        else:
            texts = [v for k, v in fields if k == name]
            if not texts:
                continue
            got, problem = _from_texts(texts, kind)
            if problem is not None:
                return f"The body field {name!r} {problem}; send a valid value."
        value[name] = _typed(got, sub, doc)
    raw_schema = media["schema"]
    if isinstance(raw_schema.get("$ref"), str) and raw_schema["$ref"].startswith("#"):
        pointer = raw_schema["$ref"][1:]
    for name, got in value.items():  # name the field when one is wrong
        problem = validators.first_error(f"{pointer}/properties/{escape_token(name)}", got)
        if problem is not None:
            return (f"The body field {name!r} does not match its schema "
                    f"({clip(problem, 120)}); send a valid value.")
    problem = validators.first_error(pointer, value)
    if problem is not None:
        return (f"The {media_type} body does not match its schema ({clip(problem, 120)}); "
                "send a valid body.")
    return None


def _from_texts(texts: list[str], kind: str | None) -> tuple[Any, str | None]:
    if kind == "object" or (kind == "array" and len(texts) == 1 and texts[0][:1] == "["):
        try:
            return json.loads(texts[-1]), None
        except ValueError:
            return None, f"is {clip(texts[-1], 40)!r}, not the JSON document it should be"
    if kind == "array":
        return texts, None
    return texts[-1], None


def _typed(value: Any, schema: Any, doc: Any) -> Any:
    kind = _kind(schema)
    if isinstance(value, str):
        return _scalar(value, kind)
    if isinstance(value, list) and isinstance(schema, dict):
        items = _deref(doc, schema.get("items"))
        return [_typed(v, items, doc) for v in value]
    if isinstance(value, dict) and isinstance(schema, dict):
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        return {k: _typed(v, _deref(doc, props.get(k)), doc) for k, v in value.items()}
    return value


def _scalar(text: str, kind: str | None) -> Any:
    if kind == "integer" and re.fullmatch(r"[+-]?\d+", text.strip()):
        return int(text)
    if kind == "number":
        try:
            return float(text)
        except ValueError:
            return text
    if kind == "boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _kind(schema: Any) -> str | None:
    if not isinstance(schema, dict):
        return None
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind is None and isinstance(schema.get("properties"), dict):
        return "object"
    return kind if isinstance(kind, str) else None


def _binary(schema: Any, doc: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    if schema.get("format") == "binary":
        return True
    return _kind(schema) == "array" and _binary(_deref(doc, schema.get("items")), doc)


def _deref(doc: Any, node: Any) -> Any:
    for _ in range(20):
        if not (isinstance(node, Mapping) and isinstance(node.get("$ref"), str)
                and node["$ref"].startswith("#")):
            return node
        node = get_at(doc, parse_pointer(node["$ref"][1:]) or [])
    return node


def _check_part_headers(validators: Validators, encoding: Mapping[str, Any],
                        parts: list[tuple[str, str, dict[str, str]]], pointer: str
                        ) -> str | None:
    """None when every part carries its encoding's headers (OAS 3.0.3 §4.7.14, Header
    Objects; ``Content-Type`` ignored there), else a one-sentence problem."""
    doc = validators.doc
    for field, enc in encoding.items():
        enc = _deref(doc, enc)
        headers = enc.get("headers") if isinstance(enc, dict) else None
        if not isinstance(headers, dict):
            continue
        for hname, raw in headers.items():
            header = _deref(doc, raw)
            if not isinstance(header, dict) or str(hname).lower() == "content-type":
                continue
            where = f"{pointer}/{escape_token(str(field))}/headers/{escape_token(str(hname))}"
            if isinstance(raw, dict) and isinstance(raw.get("$ref"), str) and \
                    raw["$ref"].startswith("#"):
                where = raw["$ref"][1:]
            schema = _deref(doc, header.get("schema"))
            for name, _, got in parts:
                if name != field:
                    continue
                text = got.get(str(hname).lower())
                if text is None:
                    if header.get("required"):
                        return (f"The part {field!r} has no {hname} header; send it as the "
                                "spec's encoding says.")
                    continue
                if not isinstance(schema, dict):
                    continue
                kind = _kind(schema)
                shape = kind if kind in ("array", "object") else "scalar"
                value, problem = styles.read_header(text, shape,  # type: ignore[arg-type]
                                                    bool(header.get("explode", False)))
                if problem is None:
                    problem = validators.first_error(f"{where}/schema",
                                                     _typed(value, schema, doc))
                if problem is not None:
                    return (f"The {hname} header of part {field!r} is {clip(text, 40)!r}, "
                            f"which does not match its schema ({clip(problem, 100)}); send "
                            "a valid value.")
    return None


def _parts(body: bytes, content_type: str) -> list[tuple[str, str, dict[str, str]]] | None:
    """(name, text, headers by lower-case name) of each part of a multipart body, or None
    when it cannot be split."""
    m = re.search(r'boundary="?([^";]+)"?', content_type)
    if m is None:
        return None
    sep = b"--" + m.group(1).encode("latin-1")
    out: list[tuple[str, str]] = []
    for chunk in body.split(sep)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.strip(b"\r\n").partition(b"\r\n\r\n")
        name = re.search(rb'name="([^"]*)"', head)
        if name is not None:
            lines = head.decode("utf-8", "replace").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, sep, v in
                       (line.partition(":") for line in lines) if sep}
            out.append((name.group(1).decode("utf-8", "replace"),
                        data.decode("utf-8", "replace"), headers))
    return out or None
