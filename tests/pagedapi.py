"""A paged API for tests and notebooks: every way of paging, and APIs that misbehave.

A Starlette app over 23 items (``{"id": 1, "name": "item 1"}`` ... id 23), five per page
by default (``per_page``/``limit`` change it), described by an OpenAPI 3.1 document at
``/openapi.json`` so a connector can be imported from it and its paging detected.

Endpoints that page well (23 items, 5 pages of 5, 5, 5, 5, 3):

=================  ========================================================================
``/link``          JSON array; ``Link: <...?page=2&per_page=5>; rel="next"`` (absolute)
``/link-relative`` the same with relative links (``</link-relative?page=2>``)
``/next-url``      ``{"results": [...], "next": "http://.../next-url?page=2" | null}``
``/cursor``        ``{"data": [...], "next_cursor": "<opaque>" | null}``; ``?cursor=&limit=``
``/offset``        ``{"results": [...], "total": 23}``; ``?offset=&limit=``
``/pages``         ``{"items": [...], "meta": {"page", "per_page", "total", "next_page"}}``
``/until-empty``   ``{"items": [...]}`` by ``?page=``, then an empty page (no total)
=================  ========================================================================

Endpoints that misbehave (what users of other tools report as endless loops):

=================  ========================================================================
``/repeat``        ignores ``?page=`` and returns the first page forever, with a growing
                   ``meta.next_page`` (following ends: ``repeated-page``)
``/forever``       a new page and a new cursor forever (ends: ``max-pages``)
``/same-cursor``   new items but always the same ``next_cursor`` (ends: ``repeated-cursor``)
``/offset-stuck``  ignores ``?offset=`` (a rule that never advances: ``repeated-page``)
``/foreign``       a ``Link`` rel=next to another host (never followed: ``error``)
``/stuck-next``    ``meta.next_page`` names the page just fetched (``repeated-cursor``)
``/fail-3``        like ``/pages`` but page 3 answers HTTP 500 (``error``)
``/slow``          like ``/forever``, each page after ``?delay=`` seconds (default 0.3;
                   ends: ``time-limit`` under a short ``total_timeout``)
=================  ========================================================================

Usage::

    from tests.pagedapi import PagedAPI

    with PagedAPI() as api:               # a BackgroundServer on 127.0.0.1, a free port
        c = api.connector()               # imported from /openapi.json, base URL = api.url
        c.call("listPages", all_pages=True).items   # 23 items
        api.hits("/pages")                # requests that reached /pages

``app()`` builds the ASGI app alone (``PagedAPI`` serves it); ``spec(base_url)`` is the
OpenAPI document.
"""

from __future__ import annotations

import base64
import json
from typing import Any

__all__ = ["ITEMS", "PER_PAGE", "PagedAPI", "app", "spec"]

ITEMS = [{"id": i, "name": f"item {i}"} for i in range(1, 24)]
PER_PAGE = 5


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    return int(raw.split(":", 1)[1])


def app() -> Any:
    """The Starlette app (``app.state.hits`` lists ``(path, query)`` of every request)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    hits: list[tuple[str, str]] = []

    def page_args(request: Request) -> tuple[int, int]:
        hits.append((request.url.path, request.url.query))
        size = _int(request.query_params.get("per_page") or request.query_params.get("limit"),
                    PER_PAGE)
        return _int(request.query_params.get("page"), 1), max(1, min(size, 50))

    def chunk(page: int, size: int) -> list[dict[str, Any]]:
        return ITEMS[(page - 1) * size:page * size] if page >= 1 else []

    def last_page(size: int) -> int:
        return -(-len(ITEMS) // size)

    async def link(request: Request) -> Any:
        page, size = page_args(request)
        headers = {}
        if page < last_page(size):
            nxt = request.url.include_query_params(page=page + 1, per_page=size)
            last = request.url.include_query_params(page=last_page(size), per_page=size)
            headers["Link"] = f'<{nxt}>; rel="next", <{last}>; rel="last"'
        return JSONResponse(chunk(page, size), headers=headers)

    async def link_relative(request: Request) -> Any:
        page, size = page_args(request)
        headers = {}
        if page < last_page(size):
            headers["Link"] = f'</link-relative?page={page + 1}&per_page={size}>; rel="next"'
        return JSONResponse(chunk(page, size), headers=headers)

    async def next_url(request: Request) -> Any:
        page, size = page_args(request)
        nxt = str(request.url.include_query_params(page=page + 1)) \
            if page < last_page(size) else None
        return JSONResponse({"results": chunk(page, size), "next": nxt})

    async def cursor(request: Request) -> Any:
        _, size = page_args(request)
        start = _offset(request.query_params.get("cursor"))
        items = ITEMS[start:start + size]
        nxt = _cursor(start + size) if start + size < len(ITEMS) else None
        return JSONResponse({"data": items, "next_cursor": nxt})

    async def offset(request: Request) -> Any:
        _, size = page_args(request)
        start = _int(request.query_params.get("offset"), 0)
        return JSONResponse({"results": ITEMS[start:start + size], "total": len(ITEMS)})

    async def pages(request: Request) -> Any:
        page, size = page_args(request)
        nxt = page + 1 if page < last_page(size) else None
        return JSONResponse({"items": chunk(page, size),
                             "meta": {"page": page, "per_page": size, "total": len(ITEMS),
                                      "next_page": nxt}})

    async def until_empty(request: Request) -> Any:
        page, size = page_args(request)
        return JSONResponse({"items": chunk(page, size)})

    async def repeat(request: Request) -> Any:
        page, size = page_args(request)
        return JSONResponse({"items": chunk(1, size),
                             "meta": {"page": 1, "per_page": size, "total": 10 * len(ITEMS),
                                      "next_page": page + 1}})

    async def forever(request: Request) -> Any:
        _, size = page_args(request)
        start = _offset(request.query_params.get("cursor"))
        items = [{"id": i + 1, "name": f"item {i + 1}"} for i in range(start, start + size)]
        return JSONResponse({"data": items, "next_cursor": _cursor(start + size)})

    async def same_cursor(request: Request) -> Any:
        _, size = page_args(request)
        start = size if request.query_params.get("cursor") else 0
        return JSONResponse({"data": ITEMS[start:start + size], "next_cursor": "c0ffee"})

    async def offset_stuck(request: Request) -> Any:
        _, size = page_args(request)
        return JSONResponse({"results": ITEMS[:size], "total": len(ITEMS)})

    async def foreign(request: Request) -> Any:
        page, size = page_args(request)
        return JSONResponse(chunk(page, size), headers={
            "Link": '<https://elsewhere.example/steal?page=2>; rel="next"'})

    async def stuck_next(request: Request) -> Any:
        page, size = page_args(request)
        return JSONResponse({"items": chunk(page, size), "meta": {"next_page": page}})

    async def fail_3(request: Request) -> Any:
        page, size = page_args(request)
        if page == 3:
            return JSONResponse({"error": "boom"}, status_code=500)
        return JSONResponse({"items": chunk(page, size),
                             "meta": {"page": page, "total": len(ITEMS),
                                      "next_page": page + 1 if page < last_page(size)
                                      else None}})

    async def slow(request: Request) -> Any:
        import asyncio

        _, size = page_args(request)
        await asyncio.sleep(min(30.0, float(request.query_params.get("delay") or 0.3)))
        start = _offset(request.query_params.get("cursor"))
        items = [{"id": i + 1, "name": f"item {i + 1}"} for i in range(start, start + size)]
        return JSONResponse({"data": items, "next_cursor": _cursor(start + size)})

    async def openapi(request: Request) -> Any:
        base = str(request.base_url).rstrip("/")
        return JSONResponse(spec(base))

    routes = [Route("/link", link), Route("/link-relative", link_relative),
              Route("/next-url", next_url), Route("/cursor", cursor), Route("/offset", offset),
              Route("/pages", pages), Route("/until-empty", until_empty),
              Route("/repeat", repeat), Route("/forever", forever),
              Route("/same-cursor", same_cursor), Route("/offset-stuck", offset_stuck),
              Route("/foreign", foreign), Route("/fail-3", fail_3),
              Route("/stuck-next", stuck_next), Route("/slow", slow),
              Route("/openapi.json", openapi)]
    application = Starlette(routes=routes)
    application.state.hits = hits
    return application


# --------------------------------------------------------------------------- the spec

_ITEM = {"type": "object", "required": ["id", "name"],
         "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
_LIST = {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}


def _q(name: str, kind: str = "integer") -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": kind}}


def _op(op_id: str, params: list[dict[str, Any]], schema: dict[str, Any]) -> dict[str, Any]:
    return {"get": {"operationId": op_id, "summary": op_id, "parameters": params,
                    "responses": {"200": {"description": "a page",
                                          "content": {"application/json": {"schema": schema}}}}}}


def _obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


_NULL_STR = {"type": ["string", "null"]}
_META = _obj(page={"type": "integer"}, per_page={"type": "integer"},
             total={"type": "integer"}, next_page={"type": ["integer", "null"]})


def spec(base_url: str = "http://127.0.0.1") -> dict[str, Any]:
    """The OpenAPI 3.1 document of :func:`app`, with ``base_url`` as its server."""
    page, per_page, size = _q("page"), _q("per_page"), _q("limit")
    cursor = _q("cursor", "string")
    offset = _q("offset")
    paths = {
        "/link": _op("listLink", [page, per_page], _LIST),
        "/link-relative": _op("listLinkRelative", [page, per_page], _LIST),
        "/next-url": _op("listNextUrl", [page, per_page],
                         _obj(results=_LIST, next=_NULL_STR)),
        "/cursor": _op("listCursor", [cursor, size], _obj(data=_LIST, next_cursor=_NULL_STR)),
        "/offset": _op("listOffset", [offset, size],
                       _obj(results=_LIST, total={"type": "integer"})),
        "/pages": _op("listPages", [page, per_page], _obj(items=_LIST, meta=_META)),
        "/until-empty": _op("listUntilEmpty", [page, per_page], _obj(items=_LIST)),
        "/repeat": _op("listRepeat", [page, per_page], _obj(items=_LIST, meta=_META)),
        "/forever": _op("listForever", [cursor, size], _obj(data=_LIST, next_cursor=_NULL_STR)),
        "/same-cursor": _op("listSameCursor", [cursor, size],
                            _obj(data=_LIST, next_cursor=_NULL_STR)),
        "/offset-stuck": _op("listOffsetStuck", [offset, size],
                             _obj(results=_LIST, total={"type": "integer"})),
        "/foreign": _op("listForeign", [page, per_page], _LIST),
        "/fail-3": _op("listFail3", [page, per_page], _obj(items=_LIST, meta=_META)),
        "/stuck-next": _op("listStuckNext", [page, per_page], _obj(items=_LIST, meta=_META)),
        "/slow": _op("listSlow", [cursor, size, _q("delay", "number")],
                     _obj(data=_LIST, next_cursor=_NULL_STR)),
    }
    return {"openapi": "3.1.0", "info": {"title": "Paged API", "version": "1.0"},
            "servers": [{"url": base_url}], "paths": paths,
            "components": {"schemas": {"Item": _ITEM}}}


class PagedAPI:
    """The paged API served by :class:`nbconnect.serving.BackgroundServer` on loopback.

    ``url`` is its base URL; :meth:`connector` a connector imported from its spec (base URL
    set, no auth); :meth:`hits` the requests that reached a path (:meth:`reset` forgets
    them). ``tls=True`` serves https with a fresh trustme CA: pass ``verify=api.verify``.
    Use as a context manager or ``start()``/``stop()``.
    """

    def __init__(self, *, tls: bool = False) -> None:
        from nbconnect.serving import BackgroundServer

        self.app = app()
        self.server = BackgroundServer(self.app, name="paged API", lifespan="off", tls=tls)
        self.url = ""

    def start(self) -> PagedAPI:
        self.server.start(timeout=30.0)
        self.url = self.server.root_url
        return self

    def stop(self) -> None:
        self.server.stop()

    @property
    def verify(self) -> Any:
        """What a client passes as ``verify`` (an SSL context trusting the test CA)."""
        return self.server.verify

    def __enter__(self) -> PagedAPI:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        return "PagedAPI()"

    def spec_text(self) -> str:
        """The OpenAPI document as JSON text (servers: this server)."""
        return json.dumps(spec(self.url))

    def connector(self, name: str = "paged") -> Any:
        """A connector imported from the spec, its base URL this server's."""
        import nbconnect

        connector = nbconnect.Connector(name)
        connector.import_spec(self.spec_text())
        connector.base_url = self.url
        return connector

    def reset(self) -> None:
        """Forget the requests received so far."""
        self.app.state.hits.clear()

    def hits(self, path: str | None = None) -> list[tuple[str, str]]:
        """``(path, query)`` of the requests received (to ``path`` only, when given)."""
        return [h for h in self.app.state.hits if path is None or h[0] == path]
