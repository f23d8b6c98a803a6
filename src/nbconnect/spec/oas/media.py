"""Media types and ranges in OAS ``content`` maps: JSON detection, wildcards, picking one.

Part of the OpenAPI toolkit :mod:`nbconnect.spec.oas` (import names from there).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

# --------------------------------------------------------------------------- media types


def media_base(media_type: Any) -> str:
    """A media type or range without parameters, lower-cased: ``"Application/JSON; q=1"`` ->
    ``"application/json"`` (RFC 7231 §3.1.1.1: type and subtype are case-insensitive; OAS
    3.0.3 §4.7.10 / 3.1 §4.8.10 ``content`` keys are media types or media ranges)."""
    return str(media_type).split(";")[0].strip().lower()


def is_json(media_type: Any) -> bool:
    """True for a JSON media type: ``application/json``, any ``*/json`` and any structured
    ``+json`` suffix (RFC 8259 §11, RFC 6839 §3.1), e.g. ``application/problem+json``."""
    base = media_base(media_type)
    return base.endswith("/json") or base.endswith("+json")


def is_wildcard(media_type: Any) -> bool:
    """True for a media range: ``*/*`` or ``type/*`` (RFC 7231 §5.3.2; OAS 3.0.3 §4.7.10 /
    3.1 §4.8.10: ``content`` keys may be ranges, the most specific key applies)."""
    base = media_base(media_type)
    return base == "*/*" or base.endswith("/*")


def may_be_json(media_type: Any) -> bool:
    """True when a body of this type may be JSON: :func:`is_json`, or one of the ranges
    ``*/*`` and ``application/*`` that include ``application/json`` (RFC 7231 §5.3.2)."""
    base = media_base(media_type)
    return base.endswith("/json") or base.endswith("+json") or base in ("*/*", "application/*")


#: Request-body preference of the importer: JSON, any JSON type, form, multipart.
REQUEST_MEDIA_PREFERENCE: tuple[str | Callable[[str], bool], ...] = (
    "application/json", is_json, "application/x-www-form-urlencoded", "multipart/form-data")


def pick_media(content: Any,
               prefer: Sequence[str | Callable[[str], bool]] = ("application/json", is_json),
               ) -> tuple[str | None, Any]:
    """Choose one entry of a ``content`` map: ``(key as written, Media Type Object)``.

    ``content`` is the map of media type (or range) -> Media Type Object of a Request Body,
    Response or Parameter (OAS 3.0.3 §4.7.10, §4.7.17, §4.7.12; 3.1 §4.8.10, §4.8.17,
    §4.8.12). ``prefer`` is tried in order; each entry is a media type compared with
    :func:`media_base` of the keys, or a predicate called with that base (e.g.
    :func:`is_json`, :func:`may_be_json`); for each, the first key in document order that
    matches wins. When nothing matches, the first key wins. Returns ``(None, None)`` for an
    empty or non-mapping ``content``. The default is "JSON first": ``application/json``,
    then any JSON type; the importer's request order is :data:`REQUEST_MEDIA_PREFERENCE`.
    A wildcard key such as ``*/*`` comes back as written: a client sending a body should
    send ``application/json`` for it (see :func:`is_wildcard`).
    """
    if not isinstance(content, dict) or not content:
        return None, None
    keyed = [(media_base(k), k) for k in content]
    for want in prefer:
        for base, key in keyed:
            if (base == want) if isinstance(want, str) else want(base):
                return str(key), content[key]
    key = keyed[0][1]
    return str(key), content[key]
