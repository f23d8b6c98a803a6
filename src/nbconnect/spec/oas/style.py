"""Parameter serialization (OAS 3.0.3 §4.7.12.1 Style Values): writing and reading values.

Part of the OpenAPI toolkit :mod:`nbconnect.spec.oas`. One place says how a value is spelled
in a request for each ``style``/``explode`` pair, and how the spelling is read back, so the
runner, the Postman export and the mock agree byte for byte.

**Styles by location**: path ``simple`` (default), ``label``, ``matrix``; query ``form``
(default), ``spaceDelimited``, ``pipeDelimited``, ``deepObject``; header ``simple``; cookie
``form``. ``explode`` defaults to true for ``form`` only (:func:`default_explode`).

**Writing** (the §4.7.12.1.2 Style Examples table, ``color`` = ``"blue"`` /
``["blue", "black", "brown"]`` / ``{"R": 100, "G": 200, "B": 150}``):

* :func:`path_text` gives the text that replaces ``{name}`` in a path (``;color=blue,black``
  for matrix, ``.blue.black`` for label, ``R=100,G=200`` for simple exploded objects); item
  values are percent-encoded with nothing safe, the delimiters are literal.
* :func:`query_pairs` gives encoded ``(key, value)`` pairs: ``color=blue&color=black`` (form,
  exploded), ``color=blue,black`` (form), ``color=blue%20black`` (spaceDelimited),
  ``color=blue|black`` (pipeDelimited), ``color[R]=100&color[G]=200`` (deepObject, nested
  objects as ``color[a][b]``). With ``allow_reserved`` the reserved characters of RFC 3986
  stay literal in values (``#`` and ``&``, which would end the value, are still encoded).
  ``spaceDelimited``/``pipeDelimited`` exploded and non-object ``deepObject`` values are
  written as ``form`` exploded (the spec leaves them undefined).
* :func:`header_text` (``simple``, never percent-encoded) and :func:`cookie_pairs` (``form``:
  ``color=blue,black``; exploded: one cookie per item, ``R=100; G=200`` for an object).
* A parameter described by ``content`` instead of ``schema`` is its media type's document:
  :func:`content_text` (JSON for ``*/json`` types), written as one scalar value.

Item texts (:func:`text`): booleans ``true``/``false``, ``None`` empty, nested objects and
arrays compact JSON, anything else ``str()``. An empty string, list or object gets the
table's "empty" column (``;color``, ``.``, ``color=``).

**Reading** (the mock): :func:`read_path`, :func:`read_query`, :func:`read_header` and
:func:`read_cookie` undo the writing for a parameter whose schema is an ``array``, an
``object`` or a scalar; they return ``(value, problem)`` with item values still text (the
caller converts them by the schema) and a problem sentence when the spelling does not match
the style.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, unquote

__all__ = [
    "PARAM_STYLES",
    "QUERY_STYLES",
    "check_style",
    "content_text",
    "cookie_pairs",
    "default_explode",
    "default_style",
    "header_text",
    "path_text",
    "query_pairs",
    "query_string",
    "read_cookie",
    "read_header",
    "read_path",
    "read_query",
    "text",
]

QUERY_STYLES = ("form", "spaceDelimited", "pipeDelimited", "deepObject")
#: the styles each location allows, the default first
PARAM_STYLES: dict[str, tuple[str, ...]] = {
    "path": ("simple", "label", "matrix"),
    "query": QUERY_STYLES,
    "header": ("simple",),
    "cookie": ("form",),
    "body": QUERY_STYLES,  # Encoding Object of an application/x-www-form-urlencoded body
}
#: RFC 3986 reserved characters left literal by ``allowReserved`` (``#`` and ``&`` end a
#: query value and ``'`` is re-encoded by Postman, so those three stay encoded)
_RESERVED_SAFE = ":/?[]@!$()*+,;="


def default_style(location: str) -> str:
    """``form`` for query, cookie and form-body fields, ``simple`` for path and header."""
    return PARAM_STYLES.get(location, ("simple",))[0]


def default_explode(style: str) -> bool:
    """True for ``form``, false for every other style."""
    return style == "form"


def check_style(style: str, location: str) -> str | None:
    """None when ``style`` is allowed in ``location``, else a sentence naming the allowed."""
    allowed = PARAM_STYLES.get(location)
    if allowed is None or style in allowed:
        return None
    return (f"style {style!r} is not allowed for a {location} parameter; use "
            f"{' or '.join(allowed)}")


def text(value: Any) -> str:
    """The text of one item: ``true``/``false``, ``None`` empty, nested objects and arrays
    as compact JSON, anything else ``str()``."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def content_text(value: Any, content_type: str | None) -> str:
    """A parameter described by ``content``: its value as that media type's document (JSON
    for ``*/json`` and ``*+json`` types, else the item text)."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media.endswith("json"):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text(value)


def _enc(value: Any, safe: str = "") -> str:
    return quote(text(value), safe=safe)


def _is_list(value: Any) -> bool:
    return isinstance(value, list | tuple)


def _empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, list | tuple | Mapping)
                                            and not value)


def _items(value: Any) -> list[tuple[str, Any]] | None:
    """An object's ``(key, value)`` pairs, or None for a value that is not an object."""
    return list(value.items()) if isinstance(value, Mapping) else None


# --------------------------------------------------------------------------- writing


def path_text(name: str, value: Any, style: str = "simple", explode: bool = False) -> str:
    """The percent-encoded text that replaces ``{name}`` in a path."""
    obj = _items(value)
    if style == "label":
        if _empty(value):
            return "."
        if obj is not None:
            inner = "=" if explode else "."
            return "." + ".".join(f"{_enc(k)}{inner}{_enc(v)}" for k, v in obj)
        items = value if _is_list(value) else [value]
        return "." + ".".join(_enc(v) for v in items)
    if style == "matrix":
        if _empty(value):
            return f";{_enc(name)}"
        if obj is not None:
            if explode:
                return "".join(f";{_enc(k)}={_enc(v)}" for k, v in obj)
            return f";{_enc(name)}=" + ",".join(f"{_enc(k)},{_enc(v)}" for k, v in obj)
        if _is_list(value):
            if explode:
                return "".join(f";{_enc(name)}={_enc(v)}" for v in value)
            return f";{_enc(name)}=" + ",".join(_enc(v) for v in value)
        return f";{_enc(name)}={_enc(value)}"
    # simple
    if obj is not None:
        inner = "=" if explode else ","
        return ",".join(f"{_enc(k)}{inner}{_enc(v)}" for k, v in obj)
    if _is_list(value):
        return ",".join(_enc(v) for v in value)
    out = _enc(value)
    if out in (".", ".."):  # a literal dot segment would be resolved away: encode it
        out = out.replace(".", "%2E")
    return out


def query_pairs(name: str, value: Any, style: str = "form", explode: bool = True,
                allow_reserved: bool = False) -> list[tuple[str, str]]:
    """The percent-encoded ``(key, value)`` pairs a query parameter is written as."""
    safe = _RESERVED_SAFE if allow_reserved else ""
    key = _enc(name)
    obj = _items(value)
    if style == "deepObject" and obj is not None:
        return _deep(key, obj, safe)
    if _empty(value):
        return [(key, "")]
    if style in ("spaceDelimited", "pipeDelimited") and not explode:
        sep = "%20" if style == "spaceDelimited" else "|"
        if obj is not None:
            return [(key, sep.join(f"{_enc(k, safe)}{sep}{_enc(v, safe)}" for k, v in obj))]
        items = value if _is_list(value) else [value]
        return [(key, sep.join(_enc(v, safe) for v in items))]
    if style == "form" and not explode:
        if obj is not None:
            return [(key, ",".join(f"{_enc(k, safe)},{_enc(v, safe)}" for k, v in obj))]
        items = value if _is_list(value) else [value]
        return [(key, ",".join(_enc(v, safe) for v in items))]
    # form exploded (and the undefined combinations, written the same way)
    if obj is not None:
        return [(_enc(k), _enc(v, safe)) for k, v in obj]
    if _is_list(value):
        return [(key, _enc(v, safe)) for v in value]
    return [(key, _enc(value, safe))]


def _deep(key: str, obj: list[tuple[str, Any]], safe: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for k, v in obj:
        sub = f"{key}[{_enc(k)}]"
        inner = _items(v)
        if inner is not None:
            out += _deep(sub, inner, safe)
        elif _is_list(v):
            out += [(sub, _enc(item, safe)) for item in v]
        else:
            out.append((sub, _enc(v, safe)))
    return out


def query_string(pairs: Sequence[tuple[str, str]]) -> str:
    """Encoded pairs joined into a query string (without the ``?``)."""
    return "&".join(f"{k}={v}" for k, v in pairs)


def header_text(value: Any, explode: bool = False) -> str:
    """A header's value (``simple`` style): list items and object members joined by commas,
    ``k=v`` members when exploded; never percent-encoded."""
    obj = _items(value)
    if obj is not None:
        inner = "=" if explode else ","
        return ",".join(f"{text(k)}{inner}{text(v)}" for k, v in obj)
    if _is_list(value):
        return ",".join(text(v) for v in value)
    return text(value)


def cookie_pairs(name: str, value: Any, explode: bool = True) -> list[tuple[str, str]]:
    """The ``(name, encoded value)`` cookies a cookie parameter is written as (``form``)."""
    obj = _items(value)
    if explode and obj is not None and obj:
        return [(str(k), _enc(v)) for k, v in obj]
    if explode and _is_list(value) and value:
        return [(name, _enc(v)) for v in value]
    if obj is not None:
        return [(name, ",".join(f"{_enc(k)},{_enc(v)}" for k, v in obj))]
    if _is_list(value):
        return [(name, ",".join(_enc(v) for v in value))]
    return [(name, _enc(value))]


# --------------------------------------------------------------------------- reading

#: the shape of a parameter's schema, for reading: ``array``, ``object`` or anything else
Shape = str


def _pairs(parts: list[str], sep: str) -> tuple[dict[str, str] | None, str | None]:
    if sep == "=":
        out: dict[str, str] = {}
        for part in parts:
            k, eq, v = part.partition("=")
            if not eq:
                return None, f"expected key=value members, got {part!r}"
            out[unquote(k)] = unquote(v)
        return out, None
    if len(parts) % 2:
        return None, "expected key,value pairs, got an odd number of members"
    return {unquote(parts[i]): unquote(parts[i + 1]) for i in range(0, len(parts), 2)}, None


def _split(body: str, sep: str, shape: Shape, explode: bool, inner: str | None = None
           ) -> tuple[Any, str | None]:
    """A delimited text (still percent-encoded) as an array, an object or one scalar."""
    if shape == "array":
        return ([] if body == "" else [unquote(p) for p in body.split(sep)]), None
    if shape == "object":
        if body == "":
            return {}, None
        return _pairs(body.split(sep), inner or ("=" if explode else sep))
    return unquote(body), None


def read_path(name: str, raw: str, shape: Shape, style: str = "simple",
              explode: bool = False) -> tuple[Any, str | None]:
    """A path value (the matched segment text, still percent-encoded) read by its style."""
    if style == "label":
        if not raw.startswith("."):
            return None, f"a label-style value starts with '.', got {raw!r}"
        body = raw[1:]
        if shape == "object":
            return _split(body, ".", shape, explode, "=" if explode else ".")
        return _split(body, ".", shape, explode)
    if style == "matrix":
        prefix = f";{quote(name, safe='')}"
        if shape == "object" and explode:
            if not raw.startswith(";"):
                return None, f"a matrix-style value starts with ';', got {raw!r}"
            return _pairs(raw[1:].split(";"), "=") if raw != ";" else ({}, None)
        if shape == "array" and explode:
            parts = raw.split(";")[1:] if raw.startswith(";") else None
            if parts is None or any(not p.startswith(prefix[1:] + "=") for p in parts):
                return None, f"expected {prefix}=item repeated, got {raw!r}"
            return [unquote(p.partition("=")[2]) for p in parts], None
        if raw == prefix:
            return _split("", ",", shape, explode)
        if not raw.startswith(prefix + "="):
            return None, f"a matrix-style value starts with {prefix}=, got {raw!r}"
        return _split(raw[len(prefix) + 1:], ",", shape, False)
    return _split(raw, ",", shape, explode)


def read_query(name: str, pairs: Sequence[tuple[str, str]], shape: Shape,
               style: str = "form", explode: bool = True, others: Sequence[str] = ()
               ) -> tuple[Any, str | None] | None:
    """A query value from the request's decoded ``(key, value)`` pairs, or None when the
    parameter is absent. ``others`` are the other query parameters' names (an exploded
    form object takes every key that is not one of them)."""
    if style == "deepObject" and shape == "object":
        out: dict[str, Any] = {}
        found = False
        for k, v in pairs:
            if k.startswith(name + "[") and k.endswith("]"):
                found = True
                keys = k[len(name) + 1:-1].split("][")
                node = out
                for sub in keys[:-1]:
                    nxt = node.setdefault(sub, {})
                    if not isinstance(nxt, dict):
                        return {}, f"{k!r} repeats a member that is not an object"
                    node = nxt
                last = keys[-1]
                if last in node:
                    prev = node[last]
                    node[last] = [*prev, v] if isinstance(prev, list) else [prev, v]
                else:
                    node[last] = v
            elif k == name:
                return {}, (f"a deepObject parameter is written as {name}[key]=value, "
                            f"got {name}={v!r}")
        return (out, None) if found else None
    values = [v for k, v in pairs if k == name]
    if shape == "object" and explode and style != "deepObject":
        members = {k: v for k, v in pairs if k != name and k not in others}
        if not members and not values:
            return None
        return members, None
    if not values:
        return None
    if shape == "array" and explode:
        return values, None
    if len(values) > 1:
        return None, (f"{name} is written once with its items joined (explode false), "
                      f"got it {len(values)} times")
    if shape in ("array", "object"):
        sep = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
        body = values[-1]
        if shape == "array":
            return ([] if body == "" else body.split(sep)), None
        parts = body.split(sep) if body else []
        if len(parts) % 2:
            return None, "expected key,value pairs, got an odd number of members"
        return {parts[i]: parts[i + 1] for i in range(0, len(parts), 2)}, None
    return values[-1], None


def read_header(raw: str, shape: Shape, explode: bool = False) -> tuple[Any, str | None]:
    """A header's value read as ``simple`` style."""
    if shape == "array":
        return ([] if raw.strip() == "" else [p.strip() for p in raw.split(",")]), None
    if shape == "object":
        parts = [p.strip() for p in raw.split(",")] if raw.strip() else []
        if explode:
            out: dict[str, str] = {}
            for part in parts:
                k, eq, v = part.partition("=")
                if not eq:
                    return None, f"expected key=value members, got {part!r}"
                out[k] = v
            return out, None
        if len(parts) % 2:
            return None, "expected key,value pairs, got an odd number of members"
        return {parts[i]: parts[i + 1] for i in range(0, len(parts), 2)}, None
    return raw, None


def read_cookie(name: str, cookies: Sequence[tuple[str, str]], shape: Shape,
                explode: bool = True, others: Sequence[str] = ()
                ) -> tuple[Any, str | None] | None:
    """A cookie value from the request's ``(name, raw value)`` cookies (``form``), or None
    when it is absent."""
    if shape == "object" and explode:
        members = {k: unquote(v) for k, v in cookies if k != name and k not in others}
        return (members, None) if members else None
    values = [v for k, v in cookies if k == name]
    if not values:
        return None
    if shape == "array" and explode:
        return [unquote(v) for v in values], None
    return _split(values[-1], ",", shape, False)
