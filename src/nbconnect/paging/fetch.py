"""Fetch one page for the paging follower: send a request (retrying a 429/503 with a short
``Retry-After`` as a test run does), read its body within the size bounds and the time
limit of the whole follow, and parse it.

:func:`fetch` returns an :class:`Answer` (status, headers, raw bytes, content type, or an
``error`` sentence; ``timed_out`` when the follow's time limit ended it); :func:`parse`
gives the JSON value or the text. Used by :mod:`nbconnect.paging.follow`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from .. import limits

__all__ = ["Answer", "fetch", "parse"]


@dataclass
class Answer:
    """What one request gave: ``status``, ``headers``, the ``raw`` body and its
    ``content_type``, or an ``error`` sentence (``timed_out``: the follow's time limit)."""

    status: int = 0
    headers: Any = None
    raw: bytes = b""
    content_type: str | None = None
    error: str | None = None
    #: the time limit on the whole follow ended this request (``error`` says how)
    timed_out: bool = False


def fetch(client: Any, request: Any, timeout: float, budget: int,
          deadline: float = float("inf")) -> Answer:
    """Send ``request`` with ``client`` (an ``httpx2.Client``; ``timeout`` seconds per
    request) and read at most ``min(limits.MAX_PAGE_BYTES, budget)`` bytes of the body
    (``budget``: bytes left for all pages), giving up at
    ``deadline`` (a ``time.perf_counter()`` value: ``timed_out`` is then set)."""
    import httpx2

    from ..testing.judging import error_reason
    from ..testing.running import MAX_RETRIES, MAX_RETRY_WAIT, retry_after

    cap = min(limits.MAX_PAGE_BYTES, budget)
    attempt = 0
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            return Answer(error="no time was left to send it", timed_out=True)
        short = left < timeout  # the time limit, not the request timeout, bounds this one
        if short:
            request.extensions["timeout"] = httpx2.Timeout(left).as_dict()
        try:
            response = client.send(request, stream=True)
            try:
                status = response.status_code
                wait = retry_after(response.headers.get("retry-after")) \
                    if status in (429, 503) else None
                if wait is not None and attempt < MAX_RETRIES and wait <= MAX_RETRY_WAIT:
                    if time.perf_counter() + wait >= deadline:
                        return Answer(status, response.headers, error=(
                            f"the API answered HTTP {status} and asked to wait "
                            f"{wait:g} s, past the time limit"), timed_out=True)
                    attempt += 1
                    response.close()
                    time.sleep(wait)
                    continue
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > cap:
                        which = "the page size bound" if cap == limits.MAX_PAGE_BYTES else \
                            "the bound on all pages together"
                        return Answer(status, response.headers, b"", None,
                                      f"the page is over {_size(cap)} ({which})")
                    chunks.append(chunk)
                    if time.perf_counter() > deadline:
                        return Answer(status, response.headers,
                                      error="its body was still arriving", timed_out=True)
                return Answer(status, response.headers, b"".join(chunks),
                              response.headers.get("content-type"))
            finally:
                response.close()
        except Exception as exc:  # transport, TLS, auth flow: all become reasons
            if short and isinstance(exc, httpx2.TimeoutException):
                return Answer(error="it was awaited", timed_out=True)
            return Answer(error=error_reason(exc, request, timeout))


def _size(n: int) -> str:
    mib = 1024 * 1024
    return f"{n // mib} MB" if n >= mib and n % mib == 0 else f"{n:,} bytes"


def parse(raw: bytes, content_type: str | None) -> tuple[Any, bool]:
    """``(parsed body, is JSON)`` of ``raw``: the JSON value when it parses, else the text
    (None for an empty body). ``content_type`` is not trusted: many APIs mislabel JSON."""
    text = raw.decode("utf-8", errors="replace")
    if not raw.strip():
        return None, False
    try:
        return json.loads(text), True
    except ValueError:
        return text, False
