"""Detect how a list endpoint pages, from its spec and a response: :func:`detect_rule`.

Evidence, strongest first:

1. a ``Link`` response header with ``rel="next"`` (RFC 8288) -> a ``link`` rule;
2. a response field holding the next page's URL (``next``, ``next_url``, ``links.next``,
   ``_links.next.href``) -> a ``link`` rule reading that field;
3. a cursor-like request parameter (``cursor``, ``page_token``, ``next_token``, ``after``,
   ``marker``, ...) and a response field that gives it (``next_cursor``,
   ``next_page_token``, ``meta.next``, ``cursors.after``, ...) -> a ``cursor`` rule;
4. a page-number parameter (``page``, ``page_number``, ...) -> a ``page`` rule, reading a
   next-page field (``next_page``) and a total (``total``, ``total_count``) when there are;
5. an offset parameter (``offset``, ``skip``, ``start``) -> an ``offset`` rule with the
   page-size parameter (``limit``, ``per_page``, ``page_size``, ...) and a total.

Request parameters come from the endpoint; response fields from its declared response tree
(the spec) and, when a page is given, from that page's body (only fields the declared tree
also has, when it has any, so the rule stays valid for the endpoint). :func:`detect_paging`
does the same for an endpoint of a connector, optionally calling it once for a response.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..model.paging import PagingRule, checked_paging
from .rules import ITEM_FIELDS, link_next

if TYPE_CHECKING:
    from ..model import Connector, Endpoint

__all__ = ["Detection", "detect_paging", "detect_rule"]

_CURSOR_PARAMS = ("cursor", "page_token", "pagetoken", "next_token", "nexttoken",
                  "continuation", "continuation_token", "continuationtoken", "after",
                  "start_cursor", "page_cursor", "marker", "next_cursor", "skiptoken",
                  "$skiptoken", "from_cursor", "next")
_CURSOR_FIELDS = ("next_cursor", "nextcursor", "next_page_token", "nextpagetoken",
                  "next_token", "nexttoken", "continuation", "continuation_token",
                  "continuationtoken", "end_cursor", "endcursor", "next_marker",
                  "nextmarker", "cursor", "after", "next_page_cursor", "next")
_PAGE_PARAMS = ("page", "page_number", "pagenumber", "page_no", "pageno", "page_index",
                "pageindex")
_OFFSET_PARAMS = ("offset", "skip", "$skip", "start", "start_index", "startindex", "from")
_SIZE_PARAMS = ("limit", "per_page", "perpage", "page_size", "pagesize", "size", "count",
                "max_results", "maxresults", "$top", "top", "take", "max", "first",
                "max_items", "maxitems", "results_per_page")
_URL_FIELDS = ("next", "next_url", "nexturl", "next_link", "nextlink", "next_page_url",
               "nextpageurl", "links.next", "_links.next.href", "links.next.href",
               "paging.next", "pagination.next", "meta.next")
_TOTAL_FIELDS = ("total", "total_count", "totalcount", "total_results", "totalresults",
                 "total_items", "totalitems", "total_elements", "totalelements", "count",
                 "total_size", "totalsize")
_NEXT_PAGE_FIELDS = ("next_page", "nextpage", "next_page_number", "nextpagenumber")
_URL_RE = re.compile(r"(https?://|/)\S*\Z")


@dataclass(frozen=True)
class Detection:
    """A detected rule and the evidence for it (sentences), with where it came from
    (``"spec"``, ``"response"`` or ``"spec and response"``)."""

    rule: PagingRule
    evidence: tuple[str, ...]
    source: str

    def text(self) -> str:
        return f"{self.rule.describe()} (from the {self.source}: {'; '.join(self.evidence)})"


def _norm(name: str) -> str:
    return name.lower().replace("-", "_")


def _body_paths(body: Any, prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """Dotted path -> value for the fields of a JSON object (lists not entered), 3 deep."""
    out: dict[str, Any] = {}
    if not isinstance(body, Mapping) or depth > 3:
        return out
    for key, value in body.items():
        if not isinstance(key, str) or "." in key:
            continue
        path = f"{prefix}.{key}" if prefix else key
        out[path] = value
        if isinstance(value, Mapping):
            out.update(_body_paths(value, path, depth + 1))
    return out


def _pick(paths: list[str], wanted: tuple[str, ...]) -> str | None:
    """The path whose last part (or the whole dotted path) is first in ``wanted``; the
    shallowest wins between equals."""
    best: tuple[int, int, str] | None = None
    for path in paths:
        low = _norm(path)
        last = low.rsplit(".", 1)[-1]
        for rank, want in enumerate(wanted):
            if low == want or ("." not in want and last == want):
                cand = (rank, low.count("."), path)
                if best is None or cand < best:
                    best = cand
                break
    return best[2] if best else None


def _param(names: list[str], wanted: tuple[str, ...]) -> str | None:
    lookup = {_norm(n): n for n in reversed(names)}
    for want in wanted:
        if want in lookup:
            return lookup[want]
    return None


def detect_rule(endpoint: Endpoint, *, body: Any = None, headers: Any = None) -> Detection | None:
    """The paging rule of ``endpoint`` detected from its spec and, when given, one page
    (``body``: the parsed JSON; ``headers``: the response headers), or None when nothing
    says how it pages. The rule returned always passes
    :func:`~nbconnect.model.paging.checked_paging` for the endpoint."""
    params = [p.name for p in endpoint.params if p.location in ("query", "header")]
    # a number parameter (page, offset, size) is not a boolean, a structure or a dated string
    numbers = [p.name for p in endpoint.params if p.location in ("query", "header")
               and p.type in ("integer", "number", "string", "any") and not p.enum
               and not (p.type == "string" and p.format)]
    declared = sorted({d for top in endpoint.response for d, _ in top.walk() if "[]" not in d})
    values = _body_paths(body)
    if declared:
        values = {k: v for k, v in values.items() if k in declared}
    spec_fields = set(declared)
    fields = sorted(spec_fields | set(values))
    evidence: list[str] = []
    sources: set[str] = set()

    def field_of(wanted: tuple[str, ...], check: Any = None) -> str | None:
        pool = [f for f in fields if check is None or f not in values or check(values[f])]
        picked = _pick(pool, wanted)
        if picked is not None:
            sources.add("spec" if picked in spec_fields else "response")
        return picked

    items = _items_path(endpoint, body)
    size = _param(numbers, _SIZE_PARAMS)
    total = field_of(_TOTAL_FIELDS, lambda v: isinstance(v, int) and not isinstance(v, bool))
    rule: PagingRule | None = None
    if headers is not None and link_next(headers) is not None:
        sources.add("response")
        evidence.append('the response has a Link header with rel="next"')
        rule = PagingRule("link", items=items)
    if rule is None:
        url_field = _pick([f for f in values if isinstance(values[f], str)
                           and _URL_RE.match(values[f])], _URL_FIELDS)
        if url_field is not None:
            sources.add("response")
            evidence.append(f"the response field {url_field} holds the next page's URL")
            rule = PagingRule("link", field=url_field, items=items)
    cursor = _param(params, _CURSOR_PARAMS)
    if rule is None and cursor is not None:
        cfield = field_of(_CURSOR_FIELDS, lambda v: v is None or (isinstance(v, str | int)
                          and not (isinstance(v, str) and _URL_RE.match(v))))
        if cfield is not None:
            sources.add("spec")
            evidence.append(f"the request parameter {cursor} takes the cursor the response "
                            f"field {cfield} gives")
            rule = PagingRule("cursor", param=cursor, field=cfield, limit_param=size,
                              items=items)
    page = _param(numbers, _PAGE_PARAMS)
    if rule is None and page is not None:
        sources.add("spec")
        nxt = field_of(_NEXT_PAGE_FIELDS)
        evidence.append(f"the request parameter {page} is a page number"
                        + (f" and the response field {nxt} gives the next one" if nxt else ""))
        rule = PagingRule("page", param=page, field=nxt, limit_param=size, total_field=total,
                          items=items)
    offset = _param(numbers, _OFFSET_PARAMS)
    if rule is None and offset is not None:
        sources.add("spec")
        evidence.append(f"the request parameter {offset} is an offset"
                        + (f" with the page size in {size}" if size else ""))
        rule = PagingRule("offset", param=offset, limit_param=size, total_field=total,
                          items=items)
    if rule is None:
        return None
    if rule.total_field:
        evidence.append(f"the response field {rule.total_field} gives the total")
    if rule.items:
        evidence.append(f"the items are in {rule.items}")
    source = "spec and response" if len(sources) > 1 else (sources.pop() if sources else "spec")
    return Detection(checked_paging(rule, endpoint), tuple(evidence), source)


def _items_path(endpoint: Endpoint, body: Any) -> str | None:
    """The top-level field holding the items (None: the body is the list, or unknown)."""
    tops = endpoint.response
    if len(tops) == 1 and tops[0].name == "response" and tops[0].type == "array":
        return None  # the importer's name for a response that is an array itself
    arrays = [p.name for p in tops if p.type == "array"]
    if isinstance(body, Mapping):
        body_arrays = [k for k, v in body.items() if isinstance(v, list)]
        if arrays:
            body_arrays = [k for k in body_arrays if k in arrays] or arrays
        arrays = body_arrays
    elif isinstance(body, list):
        return None
    for name in ITEM_FIELDS:
        if name in arrays:
            return name
    return arrays[0] if len(arrays) == 1 else None


def detect_paging(connector: Connector, endpoint_id: str, *, call: bool = False,
                  **options: Any) -> Detection | None:
    """The paging rule of an endpoint of ``connector`` detected from its spec and, with
    ``call=True``, from one response fetched through the test connection (``options``
    as for :func:`nbconnect.paging.follow.iter_pages`: ``connection``, ``params``,
    ``transport``, ``verify``...). A failed call raises
    :class:`~nbconnect.errors.PagingError` saying why. Nothing is stored."""
    from ..errors import PagingError
    from .follow import iter_pages

    ep = connector.endpoint(endpoint_id)
    if not call:
        return detect_rule(ep)
    with iter_pages(connector, ep.id, max_pages=1, detect=False, **options) as run:
        page = next(run, None)
    if page is None:
        raise PagingError(f"Endpoint {ep.id} could not be called to detect its paging "
                          f"({run.result.stop_message.rstrip('.')}); fix the call or detect "
                          "from the spec alone.")
    return detect_rule(ep, body=page.data, headers=page.headers)
