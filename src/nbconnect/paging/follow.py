"""Follow a list endpoint's pages through a test connection, with guaranteed termination.

:func:`iter_pages` returns a :class:`PageRun`: an iterator of :class:`Page` whose
``result`` (a :class:`PagingResult`: the items collected, the page count and why it
stopped) fills as the pages arrive. :func:`follow` runs it to the end and returns the
result. Requests are built by :func:`nbconnect.testing.request.build_request` and sent by
the client of :func:`nbconnect.auth.flows.client_for` (the connection's auth), as a test run
sends them.

Following always ends, and says why (``stop_reason``, one of
:data:`~nbconnect.paging.rules.STOP_REASONS`, plus a sentence in ``stop_message``):

- ``no-next``: no next link, cursor or page number, or the total was reached;
- ``empty-page``: a page with no items;
- ``repeated-page``: a page whose items (or bytes) were seen before (an API that ignores
  the paging parameter returns the same page over and over);
- ``repeated-cursor``: a next cursor, link, offset or page number seen before;
- ``max-pages``: the bound was reached (default 100) while the API still had a next page;
- ``time-limit``: the time limit on the whole follow was reached (``total_timeout``,
  default :data:`~nbconnect.limits.DEFAULT_PAGING_TOTAL_TIMEOUT` seconds), before a page
  was sent or while one was awaited;
- ``error``: a failed request, a non-2xx answer, a page too large, a next link to another
  host (never followed: the connection's credentials stay with the API's host).

A failure of the API is a stop reason, never an exception; bad options (an unknown endpoint
or parameter, max pages under 1) raise before anything is sent. Each page body is read up
to :data:`MAX_PAGE_BYTES`, all pages together up to :data:`MAX_TOTAL_BYTES` (both in
:mod:`nbconnect.limits`).

Every 2xx page is also kept as a response sample for ``pull``
(:func:`nbconnect.pull.samples.keep`, bounded and redacted as a test run's are), so a pull
after following merges every page kept.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import limits
from ..auth.redaction import redact, redact_url
from ..errors import NbConnectError, PagingError, clip
from ..model.paging import DEFAULT_MAX_PAGES, MAX_PAGES, PagingRule, checked_paging
from . import rules as R
from .fetch import fetch, parse

if TYPE_CHECKING:
    from ..model import Connection, Connector, Endpoint

__all__ = ["MAX_PAGE_BYTES", "MAX_TOTAL_BYTES", "Page", "PageRun", "PagingResult", "follow",
           "iter_pages"]

#: bytes of one page body read at most (a larger page stops following with ``error``)
MAX_PAGE_BYTES = limits.MAX_PAGE_BYTES
#: bytes of all page bodies of one run read at most
MAX_TOTAL_BYTES = limits.MAX_PAGING_TOTAL_BYTES


@dataclass(frozen=True)
class Page:
    """One page: its ``number`` (from 1), HTTP ``status``, the ``url`` it came from
    (secrets masked), the parsed JSON ``data`` (the text when not JSON), its ``items``
    (None when it has no recognisable list), its ``size`` in bytes."""

    number: int
    status: int
    url: str
    data: Any
    items: list[Any] | None
    size: int
    content_type: str | None = None
    #: the response headers (an ``httpx2.Headers``)
    headers: Any = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:
        n = "-" if self.items is None else len(self.items)
        return f"Page({self.number}, status={self.status}, items={n}, size={self.size})"


@dataclass
class PagingResult:
    """What following an endpoint's pages gave.

    ``items``: every page's items in order; ``pages``: pages fetched (distinct ones: a
    repeated page is not counted); ``stop_reason``: a machine word (``no-next``,
    ``empty-page``, ``repeated-page``, ``repeated-cursor``, ``max-pages``, ``time-limit``,
    ``error``) and
    ``stop_message`` the sentence saying it; ``bodies``: each page's parsed body
    (``data`` is the first); ``status``: the last HTTP status; ``rule``: the paging rule
    followed (``detected``: found for this call from the spec and the first page rather
    than stored on the endpoint).
    """

    endpoint: str
    items: list[Any] = field(default_factory=list)
    pages: int = 0
    stop_reason: str = ""
    stop_message: str = ""
    bodies: list[Any] = field(default_factory=list)
    status: int | None = None
    rule: PagingRule | None = None
    detected: bool = False
    items_found: bool = False

    @property
    def ok(self) -> bool:
        """True unless following stopped on an error."""
        return self.stop_reason != R.ERROR

    @property
    def data(self) -> Any:
        """The first page's body (None before any page)."""
        return self.bodies[0] if self.bodies else None

    def __repr__(self) -> str:
        return (f"PagingResult({self.endpoint!r}, pages={self.pages}, items={len(self.items)}, "
                f"stop_reason={self.stop_reason!r})")

    def summary(self) -> str:
        """One line: ``listTasks: 3 pages, 57 items; stopped: no-next (...)``."""
        pages = f"{self.pages} page{'s' if self.pages != 1 else ''}"
        items = f", {len(self.items)} item{'s' if len(self.items) != 1 else ''}" \
            if self.items_found else ""
        return f"{self.endpoint}: {pages}{items}; stopped: {self.stop_reason} " \
               f"({self.stop_message.rstrip('.')})."

    def text(self, max_items: int = 20) -> str:
        """The summary line, then the first ``max_items`` items (or the body, when no page
        had a list of items) as one-line JSON each; registered secret values masked."""
        lines = [self.summary()]
        shown = self.items if self.items_found else ([] if self.data is None else [self.data])
        for item in shown[:max_items]:
            text = item if isinstance(item, str) else json.dumps(item, ensure_ascii=False,
                                                                  default=str)
            lines.append("  " + clip(text, 200))
        if len(shown) > max_items:
            lines.append(f"  ... and {len(shown) - max_items} more")
        return redact("\n".join(lines))

    def to_dict(self) -> dict[str, Any]:
        """Plain data: endpoint, ok, pages, item_count, stop_reason, stop_message, status,
        rule (its dict or None), detected, items, and ``data`` (the first page's body, when
        no page had a recognisable list of items; else None)."""
        return {"endpoint": self.endpoint, "ok": self.ok, "pages": self.pages,
                "item_count": len(self.items), "stop_reason": self.stop_reason,
                "stop_message": self.stop_message, "status": self.status,
                "rule": self.rule.to_dict() if self.rule else None, "detected": self.detected,
                "items": list(self.items),
                "data": None if self.items_found else self.data}

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON (registered secret values masked)."""
        return redact(json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str))


class PageRun:
    """An iterator of :class:`Page`; ``result`` (a :class:`PagingResult`) fills as pages
    arrive and is final once the iteration ends. Closing it early (``close()``, leaving a
    ``with`` block) closes the client and leaves ``stop_reason`` empty."""

    def __init__(self, pages: Iterator[Page], result: PagingResult) -> None:
        self._pages = pages
        self.result = result

    def __iter__(self) -> PageRun:
        return self

    def __next__(self) -> Page:
        return next(self._pages)

    def close(self) -> None:
        close = getattr(self._pages, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> PageRun:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PageRun({self.result!r})"


def _check_total_timeout(total_timeout: Any) -> float:
    if total_timeout is None:
        return limits.DEFAULT_PAGING_TOTAL_TIMEOUT
    if isinstance(total_timeout, bool) or not isinstance(total_timeout, int | float) or \
            not total_timeout > 0 or total_timeout != total_timeout or \
            total_timeout == float("inf"):
        raise PagingError(f"The time limit on following every page must be a positive "
                          f"number of seconds, not {total_timeout!r}.", option="total_timeout")
    return float(total_timeout)


def _check_max_pages(max_pages: Any) -> int:
    if not isinstance(max_pages, int) or isinstance(max_pages, bool) or \
            not 1 <= max_pages <= MAX_PAGES:
        raise PagingError(f"The max-pages bound must be a whole number from 1 to {MAX_PAGES}, "
                          f"not {max_pages!r}.", option="max_pages")
    return max_pages


@dataclass
class _State:
    connector: Connector
    endpoint: Endpoint
    client: Any
    base: str
    timeout: float
    values: dict[str, Any]
    rule: PagingRule | None
    detect: bool
    max_pages: int
    result: PagingResult
    first: Any
    total_timeout: float = limits.DEFAULT_PAGING_TOTAL_TIMEOUT
    deadline: float = 0.0
    keep_samples: bool = True


def iter_pages(connector: Connector, endpoint_id: str, *,
               connection: str | Connection | None = None,
               params: Mapping[str, Any] | None = None, max_pages: int = DEFAULT_MAX_PAGES,
               transport: Any = None, verify: Any = True, prompt: Any = None,
               timeout: float | None = None, rule: PagingRule | Mapping[str, Any] | None = None,
               detect: bool = True, total_timeout: float | None = None,
               keep_samples: bool = True) -> PageRun:
    """Follow the pages of ``endpoint_id`` lazily; returns a :class:`PageRun`.

    ``params``: request parameter values by name (body fields as ``parent.child``), as for
    a test; the paging parameter's value, when given, is where following starts.
    ``rule``: the paging rule (default: the endpoint's ``paging``; when it has none and
    ``detect`` is true, one detected from the spec and the first page, see
    :mod:`nbconnect.paging.detect`; with no rule at all one page is fetched, stop reason
    ``no-next``). ``max_pages``: at most this many pages (1 to
    :data:`~nbconnect.model.paging.MAX_PAGES`). ``connection``, ``prompt``, ``verify``,
    ``transport`` and ``timeout`` (seconds per request) are those of a test run.
    ``total_timeout``: seconds the whole follow may take (default
    :data:`~nbconnect.limits.DEFAULT_PAGING_TOTAL_TIMEOUT`; the clock starts at the first
    request; reached: stop reason ``time-limit``). ``keep_samples``: keep every 2xx page
    as a response sample for ``pull`` (:func:`nbconnect.pull.samples.keep`).

    Raises :class:`~nbconnect.errors.EndpointNotFoundError`,
    :class:`~nbconnect.errors.EndpointDefinitionError` (a parameter the endpoint lacks),
    :class:`~nbconnect.errors.MissingParameterError`,
    :class:`~nbconnect.errors.PagingError` (a bad rule, ``max_pages``, ``timeout`` or
    ``total_timeout``), the parameter
    links' errors (a value not in a linked list: ``LinkValueError``) and the
    connection's errors before anything is sent; the API's failures end the run with
    ``stop_reason == "error"``.
    """
    from ..auth.flows import client_for
    from ..testing.request import DEFAULT_TIMEOUT, build_request, check_params
    from ..testing.running import default_ssl_context, is_replay

    ep = connector.endpoint(endpoint_id)
    values = dict(params or {})
    check_params(ep, values)
    bound = _check_max_pages(max_pages)
    total = _check_total_timeout(total_timeout)
    chosen = checked_paging(rule, ep) if rule is not None else ep.paging
    tm = DEFAULT_TIMEOUT if timeout is None else float(timeout)
    if not tm > 0:
        raise PagingError(f"The timeout must be a positive number of seconds, not "
                          f"{timeout!r}.", option="timeout")
    if verify is True:
        verify = default_ssl_context()
    if getattr(connector, "links", ()):  # linked parameters: filled and checked first
        try:
            from ..links.check import prepare_values
        except ImportError:  # pragma: no cover - the links capability is absent
            prepare_values = None
        if prepare_values is not None:
            values = prepare_values(connector, ep, values, connection=connection,
                                    transport=transport, verify=verify, prompt=prompt,
                                    timeout=timeout)
    if chosen is not None and chosen.limit is not None and chosen.limit_param not in values:
        values[chosen.limit_param] = chosen.limit
    client = client_for(connector, connection, prompt=prompt, verify=verify, timeout=tm,
                        transport=transport, authenticate=not is_replay(transport))
    base = str(client.base_url)
    try:  # a missing or refused value raises here, before anything is sent
        first = build_request(connector, ep, values, base_url=base, timeout=tm)
    except BaseException:
        client.close()
        raise
    result = PagingResult(ep.id, rule=chosen)
    state = _State(connector, ep, client, base, tm, values, chosen, bool(detect), bound,
                   result, first, total_timeout=total, keep_samples=bool(keep_samples))
    return PageRun(_pages(state), result)


def follow(connector: Connector, endpoint_id: str, **options: Any) -> PagingResult:
    """Fetch every page of ``endpoint_id`` (options as for :func:`iter_pages`) and return
    the :class:`PagingResult`."""
    run = iter_pages(connector, endpoint_id, **options)
    for _ in run:
        pass
    return run.result


def _same_origin(url: Any, base: Any) -> bool:
    return (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port)


# --------------------------------------------------------------------------- the loop


def _pages(st: _State) -> Iterator[Page]:
    """Yield pages until a stop reason; the result says which."""
    try:
        yield from _loop(st)
    finally:
        st.client.close()


def _stop(st: _State, reason: str, message: str) -> None:
    st.result.stop_reason = reason
    st.result.stop_message = redact(message)


def _loop(st: _State) -> Iterator[Page]:
    import httpx2

    from ..testing.judging import seconds
    from ..testing.request import build_request

    ep, result = st.endpoint, st.result
    rule = st.rule
    values = dict(st.values)
    current = values.get(rule.param) if rule is not None and rule.param else None
    request = st.first
    base_url = httpx2.URL(st.base)
    seen_pages: dict[str, int] = {}
    seen_next: dict[str, int] = {}
    used = 0
    number = 0
    st.deadline = time.perf_counter() + st.total_timeout
    while True:
        number += 1
        answer = fetch(st.client, request, st.timeout, MAX_TOTAL_BYTES - used, st.deadline)
        if answer.timed_out:
            result.status = answer.status or result.status
            _stop(st, R.TIME_LIMIT, f"the time limit of {seconds(st.total_timeout)} s on "
                                    f"following every page was reached at page {number} "
                                    f"({answer.error}); {number - 1} page"
                                    f"{'s were' if number != 2 else ' was'} fetched.")
            return
        if answer.error is not None:
            result.status = answer.status or None
            _stop(st, R.ERROR, f"page {number} failed: {answer.error}.")
            return
        used += len(answer.raw)
        result.status = answer.status
        if st.keep_samples and 200 <= answer.status < 300 and answer.status != 204:
            from ..pull.samples import keep  # kept for pull, as a test run keeps them

            keep(st.connector, ep.id, answer.content_type, answer.raw)
        if not 200 <= answer.status < 300:
            excerpt = clip(answer.raw.decode("utf-8", errors="replace"), 120)
            _stop(st, R.ERROR, f"page {number} answered HTTP {answer.status}"
                               + (f" ({excerpt})" if excerpt else "") + ".")
            return
        try:
            data, is_json = parse(answer.raw, answer.content_type)
        except RecursionError:  # nested deeper than the JSON parser goes
            _stop(st, R.ERROR, f"page {number} is JSON nested too deeply to read, so "
                               "following stopped.")
            return
        if rule is None and st.detect and number == 1:
            from .detect import detect_rule

            found = detect_rule(ep, body=data if is_json else None, headers=answer.headers)
            if found is not None:
                rule = found.rule
                result.rule, result.detected = rule, True
        items = R.find_items(data, rule) if is_json else None
        key = R.page_key(data, items, answer.raw)
        if key in seen_pages:
            _stop(st, R.REPEATED_PAGE, f"page {number} repeated page {seen_pages[key]} "
                                       "(the same items): the API does not advance, so "
                                       "following stopped.")
            return
        seen_pages[key] = number
        result.pages = number
        result.bodies.append(data)
        if items is not None:
            result.items_found = True
            result.items.extend(items)
        yield Page(number, answer.status, redact_url(request.url), data, items,
                   len(answer.raw), answer.content_type, answer.headers)
        if rule is None:
            _stop(st, R.NO_NEXT, f"endpoint {ep.id} has no paging rule (none stored and "
                                 "none detected), so one page was fetched; set one to "
                                 "follow more.")
            return
        if current is None and number == 1 and rule.param:  # a rule detected on page 1
            current = values.get(rule.param)
        step = R.next_step(rule, body=data if is_json else None, headers=answer.headers,
                           items=items, current=current, collected=len(result.items),
                           number=number)
        if isinstance(step, R.Stop):
            _stop(st, step.reason, step.message)
            return
        if number == 1 and rule.type in ("page", "offset"):  # where page 1 was
            here = values.get(rule.param or "")
            seen_next.setdefault(R.Next(value=rule.first if here is None else here).key, 0)
        if step.key in seen_next:
            what = "next link" if step.url is not None else \
                "cursor" if rule.type == "cursor" else \
                "offset" if rule.type == "offset" else "page number"
            before = seen_next[step.key]
            where = "the first page was fetched with" if before == 0 else \
                f"that page {before} already gave"
            _stop(st, R.REPEATED_CURSOR,
                  f"page {number} gave the {what} {clip(step.shown(), 80)}, {where}: the "
                  "API does not advance, so following stopped.")
            return
        seen_next[step.key] = number
        if number >= st.max_pages:
            _stop(st, R.MAX_PAGES_REACHED, f"stopped after {number} page"
                  f"{'s' if number != 1 else ''} (the max-pages bound); the API has more.")
            return
        if step.url is not None:
            try:
                target = request.url.join(step.url)
            except Exception:  # an unparsable link
                _stop(st, R.ERROR, f"page {number} gave a next link that is not a URL "
                                   f"({clip(step.url, 80)}).")
                return
            if target.scheme not in ("http", "https") or not _same_origin(target, base_url):
                _stop(st, R.ERROR, f"page {number} gave a next link to another host "
                                   f"({redact_url(target)}); it was not followed, so no "
                                   "credential leaves the API's host.")
                return
            request = httpx2.Request(request.method, target, headers=request.headers,
                                     content=request.content,
                                     extensions=dict(request.extensions))
            continue
        current = step.value
        values[rule.param or ""] = step.value
        try:
            request = build_request(st.connector, ep, values, base_url=st.base,
                                    timeout=st.timeout)
        except NbConnectError as exc:
            _stop(st, R.ERROR, f"page {number + 1} could not be built: {exc}")
            return
