"""What a paging rule says about one page: where its items are and what the next request is.

The four rule types are :class:`nbconnect.model.paging.PagingRule` (plain data); this module
reads a page with one: :func:`link_next` reads the ``Link`` header (RFC 8288 §3: a
``<URI-Reference>`` followed by ``;``-parameters, ``rel`` a space-separated, case-insensitive
list of relation types), :func:`find_items` the page's items (the rule's ``items`` path, else
the body when it is an array, else a well-known field such as ``items``, ``data`` or
``results``, else the body's only array field), and :func:`next_step` what comes next: a
:class:`Next` (a URL to follow, or a value for the advancing parameter) or a stop
(``no-next``, ``empty-page``, with a sentence). :data:`STOP_REASONS` are the machine words
every follower reports; :func:`page_key` hashes a page to spot one seen before.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..model.paging import PagingRule, split_path

__all__ = [
    "EMPTY_PAGE",
    "ERROR",
    "ITEM_FIELDS",
    "MAX_PAGES_REACHED",
    "NO_NEXT",
    "REPEATED_CURSOR",
    "REPEATED_PAGE",
    "STOP_REASONS",
    "STOP_SENTENCES",
    "TIME_LIMIT",
    "Next",
    "Stop",
    "find_items",
    "get_path",
    "link_next",
    "next_step",
    "page_key",
    "parse_link_header",
]

NO_NEXT = "no-next"
EMPTY_PAGE = "empty-page"
REPEATED_PAGE = "repeated-page"
REPEATED_CURSOR = "repeated-cursor"
MAX_PAGES_REACHED = "max-pages"
TIME_LIMIT = "time-limit"
ERROR = "error"
#: every stop reason, the machine words of :attr:`PagingResult.stop_reason`
STOP_REASONS = (NO_NEXT, EMPTY_PAGE, REPEATED_PAGE, REPEATED_CURSOR, MAX_PAGES_REACHED,
                TIME_LIMIT, ERROR)
#: what each stop reason means, one sentence each (help texts and docs)
STOP_SENTENCES = {
    NO_NEXT: "The API gave no next link, cursor or page number, or the total was reached.",
    EMPTY_PAGE: "A page had no items.",
    REPEATED_PAGE: "A page repeated one seen before, so the API does not advance.",
    REPEATED_CURSOR: "A next cursor, link, offset or page number repeated one seen before.",
    MAX_PAGES_REACHED: "The max-pages bound was reached while the API had more.",
    TIME_LIMIT: "The time limit on the whole follow was reached.",
    ERROR: "A request failed, the API answered an error, a page was too large, or a next "
           "link pointed to another host.",
}
#: field names that hold a page's items, in the order they are tried
ITEM_FIELDS = ("items", "data", "results", "records", "values", "entries", "elements",
               "objects", "list", "rows", "hits", "nodes", "edges", "content")

_MISSING = object()


@dataclass(frozen=True)
class Next:
    """The next request: ``url`` to follow (link rules) or ``value`` for the rule's
    parameter (cursor, offset, page rules). ``key`` identifies it (a cursor or URL seen
    before means the API does not advance)."""

    url: str | None = None
    value: Any = None

    @property
    def key(self) -> str:
        return "url:" + self.url if self.url is not None else \
            "value:" + json.dumps(self.value, sort_keys=True, default=str)

    def shown(self) -> str:
        return self.url if self.url is not None else json.dumps(self.value, default=str)


@dataclass(frozen=True)
class Stop:
    """Why following stopped: ``reason`` (one of :data:`STOP_REASONS`) and a sentence."""

    reason: str
    message: str


def get_path(data: Any, path: str | Iterable[str]) -> Any:
    """The value at a dotted path (``meta.next``; ``$`` the whole body) or ``_MISSING``
    (see :func:`found`)."""
    parts = split_path(path) if isinstance(path, str) else tuple(path)
    here = data
    for part in parts:
        if isinstance(here, Mapping) and part in here:
            here = here[part]
        elif isinstance(here, list) and part.isdigit() and int(part) < len(here):
            here = here[int(part)]
        else:
            return _MISSING
    return here


def found(value: Any) -> bool:
    """False for what :func:`get_path` returns when nothing is at the path."""
    return value is not _MISSING


# --------------------------------------------------------------------------- Link header

def _quoted(text: str, pos: int) -> tuple[str, int]:
    """A quoted-string from ``text[pos] == '"'``: (its content, the position after it)."""
    out: list[str] = []
    i = pos + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    return "".join(out), i


def parse_link_header(value: str) -> list[tuple[str, dict[str, str]]]:
    """``[(uri_reference, {param: value})]`` from one ``Link`` header value (RFC 8288 §3:
    ``<URI-Reference>`` then ``; name=value`` parameters, links separated by commas).

    Parameter names are lowercased (§3: case-insensitive); quoted values are unquoted; the
    first occurrence of a parameter wins (§3.3 for ``rel``). Malformed parts are skipped.
    """
    text = value or ""
    out: list[tuple[str, dict[str, str]]] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t,":
            i += 1
        if i >= n:
            break
        if text[i] != "<" or (close := text.find(">", i)) < 0:
            nxt = text.find(",", i)  # not a link: skip to the next one
            if nxt < 0:
                break
            i = nxt + 1
            continue
        target = text[i + 1:close].strip()
        i = close + 1
        params: dict[str, str] = {}
        while i < n:
            while i < n and text[i] in " \t":
                i += 1
            if i >= n or text[i] != ";":
                break
            i += 1
            m = re.compile(r"\s*([^\s;,=]+)\s*").match(text, i)
            if m is None:
                break
            name, i = m.group(1).lower(), m.end()
            val = ""
            if i < n and text[i] == "=":
                i += 1
                while i < n and text[i] in " \t":
                    i += 1
                if i < n and text[i] == '"':
                    val, i = _quoted(text, i)
                else:
                    m2 = re.compile(r"[^;,]*").match(text, i)
                    val = m2.group(0).strip() if m2 else ""
                    i = m2.end() if m2 else i
            params.setdefault(name, val)
        out.append((target, params))
        while i < n and text[i] != ",":
            i += 1
    return out


def link_next(headers: Any) -> str | None:
    """The target of the first ``rel="next"`` link in the ``Link`` header(s), or None.

    ``headers`` is an ``httpx2.Headers`` (several ``Link`` fields are read in order) or a
    mapping. ``rel`` holds space-separated relation types, compared case-insensitively
    (RFC 8288 §3.3).
    """
    if hasattr(headers, "get_list"):
        values = headers.get_list("link")
    else:
        values = [v for k, v in dict(headers or {}).items() if str(k).lower() == "link"]
    for value in values:
        for target, params in parse_link_header(value):
            rels = params.get("rel", "").lower().split()
            if "next" in rels:
                return target
    return None


# --------------------------------------------------------------------------- items


def find_items(body: Any, rule: PagingRule | None = None) -> list[Any] | None:
    """The items of a page, or None when it has no recognisable list.

    The rule's ``items`` path when set; else the body itself when it is an array; else the
    first of :data:`ITEM_FIELDS` holding an array; else the body's only array-valued field
    (one level down too: ``{"data": {"items": [...]}}``).
    """
    if rule is not None and rule.items is not None:
        value = get_path(body, rule.items)
        return value if isinstance(value, list) else None
    if isinstance(body, list):
        return body
    if not isinstance(body, Mapping):
        return None
    for name in ITEM_FIELDS:
        if isinstance(body.get(name), list):
            return body[name]
    arrays = [v for v in body.values() if isinstance(v, list)]
    if len(arrays) == 1:
        return arrays[0]
    if not arrays:
        nested = [find_items(v) for v in body.values() if isinstance(v, Mapping)]
        nested = [n for n in nested if n is not None]
        if len(nested) == 1:
            return nested[0]
    return None


def page_key(body: Any, items: list[Any] | None, raw: bytes) -> str:
    """A hash that is the same for a page seen before: of its items when it has some (a
    page's metadata may change from call to call), else of its raw bytes."""
    digest = hashlib.sha256()
    if items:
        digest.update(json.dumps(items, sort_keys=True, separators=(",", ":"),
                                 default=str).encode("utf-8"))
    else:
        digest.update(raw)
    return digest.hexdigest()


# --------------------------------------------------------------------------- next step


def _empty(value: Any) -> bool:
    return value is None or value is False or value == "" or value == [] or value == {}


def _total(body: Any, rule: PagingRule) -> int | None:
    if rule.total_field is None:
        return None
    value = get_path(body, rule.total_field)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def next_step(rule: PagingRule, *, body: Any, headers: Any, items: list[Any] | None,
              current: Any, collected: int, number: int) -> Next | Stop:
    """What follows page ``number`` (1-based) under ``rule``.

    ``body`` is the parsed JSON page (None when not JSON), ``headers`` its response
    headers, ``items`` its items (:func:`find_items`), ``current`` the value the rule's
    parameter had for this page (offset or page number; None for the API's default),
    ``collected`` the items received so far including this page's (a page rule's total
    is compared with it; an offset rule's with the next offset). Returns a :class:`Next`
    or a :class:`Stop` (``no-next`` or ``empty-page``); repeats and bounds are the
    follower's to spot.
    """
    if items is not None and not items:
        return Stop(EMPTY_PAGE, f"page {number} had no items.")
    kind = rule.type
    if kind == "link":
        if rule.field is None:
            target = link_next(headers)
            if target is None:
                return Stop(NO_NEXT, f'page {number} had no Link header with rel="next".')
            return Next(url=target)
        value = get_path(body, rule.field)
        if not found(value) or _empty(value):
            return Stop(NO_NEXT, f"page {number} had no next link in field {rule.field}.")
        if not isinstance(value, str):
            return Stop(ERROR, f"page {number} has {type(value).__name__} in field "
                               f"{rule.field}, not a link; point the rule at the field "
                               "holding the next page's URL.")
        return Next(url=value)
    if kind == "cursor":
        value = get_path(body, rule.field or "")
        if not found(value) or _empty(value):
            return Stop(NO_NEXT, f"page {number} had no next cursor in field {rule.field}.")
        if isinstance(value, dict | list):
            return Stop(ERROR, f"page {number} has a {type(value).__name__} in field "
                               f"{rule.field}, not a cursor; point the rule at the field "
                               "holding the next cursor.")
        return Next(value=value)
    total = _total(body, rule)
    if kind == "offset":
        if items is None:
            return Stop(ERROR, f"page {number} has no list of items to count, so the next "
                               "offset is unknown; set the rule's items path.")
        start = rule.first if current is None else _as_int(current, rule.first)
        if total is not None and start + len(items) >= total:
            return Stop(NO_NEXT, f"the total of {total} items was reached on page {number}.")
        return Next(value=start + len(items))
    if total is not None and collected >= total:
        return Stop(NO_NEXT, f"the total of {total} items was reached on page {number}.")
    # page numbers
    if rule.field is not None:
        value = get_path(body, rule.field)
        if not found(value) or _empty(value):
            return Stop(NO_NEXT, f"page {number} had no next page number in field "
                                 f"{rule.field}.")
        if isinstance(value, dict | list):
            return Stop(ERROR, f"page {number} has a {type(value).__name__} in field "
                               f"{rule.field}, not a page number.")
        return Next(value=value)
    start = rule.first if current is None else _as_int(current, rule.first)
    return Next(value=start + 1)


def _as_int(value: Any, fallback: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return fallback
