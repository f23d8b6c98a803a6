"""Form and multipart request bodies by the Encoding Object (OAS 3.0.3 §4.7.14).

Part of the OpenAPI toolkit :mod:`nbconnect.spec.oas`. A body property's encoding is a
:class:`FieldEncoding` (``contentType``, ``style``, ``explode``, ``allowReserved``; the
importer keeps it on the body field's :class:`~nbconnect.model.Param`).

* ``application/x-www-form-urlencoded`` (:func:`form_fields`): a property whose encoding
  gives ``style`` or ``explode`` is written like a query parameter of that style (the
  defaults ``form``/exploded); otherwise by its content type: an object (or an array of
  objects) as one JSON field (the default ``application/json``), an array of primitives as
  repeated fields, a primitive as its text. The fields are returned decoded; :func:`form_body`
  percent-encodes them (every character but ``A-Za-z0-9_.-~``).
* ``multipart/form-data`` (:func:`multipart_parts`): one part per property, an array as
  repeated parts of the same name. Each part's Content-Type is the encoding's
  ``contentType`` (the first of a list), else the spec's default: ``application/octet-stream``
  for ``format: binary`` strings and bytes (sent as a file, with a ``filename``),
  ``application/json`` for objects, ``text/plain`` for other primitives (left out of the part
  head: RFC 7578 makes it the default). Arrays take their items' defaults. The encoding's
  ``headers`` (multipart only; a ``Content-Type`` among them is ignored, as §4.7.14 says)
  are written in each part of the property as ``name: text`` lines after its Content-Type.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from .style import query_pairs, text

__all__ = ["FieldEncoding", "Part", "form_body", "form_fields", "multipart_parts",
           "part_content_type"]

_FILE_FORMATS = ("binary",)


@dataclass(frozen=True)
class FieldEncoding:
    """The Encoding Object of one body property (None where the spec gives nothing)."""

    content_type: str | None = None
    style: str | None = None
    explode: bool | None = None
    allow_reserved: bool = False
    format: str | None = None
    #: the encoding's ``headers`` as written in a multipart part: ``(name, text)`` pairs
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Part:
    """One multipart part: its field ``name``, Content-Type (None: ``text/plain``), the
    ``filename`` of a file part, its bytes, and its other ``headers`` (``(name, text)``
    pairs from the Encoding Object)."""

    name: str
    content_type: str | None
    filename: str | None
    data: bytes
    headers: tuple[tuple[str, str], ...] = ()


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def form_fields(data: Mapping[str, Any], encodings: Mapping[str, FieldEncoding]
                ) -> list[tuple[str, str]]:
    """The decoded ``(name, value)`` fields of a form-urlencoded body."""
    out: list[tuple[str, str]] = []
    for name, value in data.items():
        enc = encodings.get(name) or FieldEncoding()
        if enc.style is not None or enc.explode is not None:
            style = enc.style or "form"
            explode = (style == "form") if enc.explode is None else enc.explode
            out += [(unquote(k), unquote(v))
                    for k, v in query_pairs(name, value, style, explode)]
            continue
        media = (enc.content_type or "").split(",")[0].split(";")[0].strip().lower()
        if isinstance(value, Mapping) or media.endswith("json"):
            out.append((name, _json(value) if not isinstance(value, str) else value))
        elif isinstance(value, list | tuple):
            if any(isinstance(v, Mapping | list | tuple) for v in value):
                out.append((name, _json(value)))
            else:
                out += [(name, text(v)) for v in value]
        else:
            out.append((name, text(value)))
    return out


def form_body(fields: list[tuple[str, str]]) -> bytes:
    """Decoded fields percent-encoded into an ``application/x-www-form-urlencoded`` body."""
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in fields).encode()


def part_content_type(value: Any, enc: FieldEncoding) -> str | None:
    """A part's Content-Type: the encoding's (first of a list), else the spec's default for
    the value (None for ``text/plain``)."""
    if enc.content_type:
        first = enc.content_type.split(",")[0].strip()
        return None if first.lower() == "text/plain" else first
    if isinstance(value, bytes) or enc.format in _FILE_FORMATS:
        return "application/octet-stream"
    if isinstance(value, Mapping | list | tuple):
        return "application/json"
    return None


def multipart_parts(data: Mapping[str, Any], encodings: Mapping[str, FieldEncoding]
                    ) -> list[Part]:
    """The parts of a multipart/form-data body, in field order (arrays repeated)."""
    out: list[Part] = []
    for name, value in data.items():
        enc = encodings.get(name) or FieldEncoding()
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            ctype = part_content_type(item, enc)
            is_file = isinstance(item, bytes) or enc.format in _FILE_FORMATS
            if isinstance(item, bytes):
                raw = item
            elif ctype is not None and ctype.lower().split(";")[0].endswith("json") \
                    and not isinstance(item, str):
                raw = _json(item).encode()
            else:
                raw = text(item).encode()
            headers = tuple((k, v) for k, v in enc.headers if k.lower() != "content-type")
            out.append(Part(name, ctype, name if is_file else None, raw, headers))
    return out
