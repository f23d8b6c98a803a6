"""Test servers that misbehave on purpose, for the runner's tests.

:func:`bad_app` is a starlette app (serve it with ``tests.servers.serve``) whose routes
each do one thing a real API may do to a tester:

* ``/items`` - a good JSON list page (``{"items": [{"id": 1, "name": "a"}, ...]}``);
* ``/slow?delay=S`` - answers after ``S`` seconds;
* ``/error`` - 500 with a JSON ``message``;
* ``/limited?key=K&times=N&after=S`` - 429 with ``Retry-After: S`` the first ``N`` times
  for key ``K``, then the good page; ``/unavailable`` - always 503 with Retry-After 0;
  ``/limited-long`` - 429 with ``Retry-After: 60``;
* ``/wrong-type`` - 200 text/html; ``/bad-schema`` - a page whose ``items[3].id`` is a
  string; ``/not-json`` - 200 application/json that is not JSON;
* ``/huge?mb=N`` - a streamed body of ``N`` MB of valid JSON (no Content-Length);
* ``/cut`` - headers with a Content-Length, then half the body and a dropped connection;
* ``/echo/...`` (any method) - the request as JSON: method, raw path, decoded path,
  query pairs, headers and body text;
* ``/secure`` - 401 unless ``X-API-Key`` is the app's ``api_key``;
* ``/moved`` - 302 to elsewhere; ``/csv`` - 200 text/csv; ``/empty`` - 204.

``counts`` records how many times each path was hit. :func:`closing_server` is a raw
TCP server that accepts connections and closes them without a word.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["ITEMS", "bad_app", "closing_server"]

ITEMS = {"items": [{"id": i, "name": f"item {i}"} for i in range(1, 6)]}


def bad_app(*, api_key: str = "k-right") -> Any:
    """The misbehaving starlette app (see the module docstring); ``app.state.counts``."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, Response, StreamingResponse
    from starlette.routing import Route

    counts: collections.Counter[str] = collections.Counter()
    limited: collections.Counter[str] = collections.Counter()

    async def items(request: Any) -> Any:
        return JSONResponse(ITEMS)

    async def slow(request: Any) -> Any:
        await asyncio.sleep(float(request.query_params.get("delay", "5")))
        return JSONResponse(ITEMS)

    async def error(request: Any) -> Any:
        return JSONResponse({"message": "database on fire"}, status_code=500)

    async def limit(request: Any) -> Any:
        key = request.query_params.get("key", "")
        times = int(request.query_params.get("times", "1"))
        after = request.query_params.get("after", "0")
        limited[key] += 1
        if limited[key] <= times:
            return JSONResponse({"error": "slow down"}, status_code=429,
                                headers={"Retry-After": after})
        return JSONResponse(ITEMS)

    async def unavailable(request: Any) -> Any:
        return JSONResponse({"error": "maintenance"}, status_code=503,
                            headers={"Retry-After": "0"})

    async def limited_long(request: Any) -> Any:
        return JSONResponse({"error": "slow down"}, status_code=429,
                            headers={"Retry-After": "60"})

    async def wrong_type(request: Any) -> Any:
        return Response("<html><body>login</body></html>", media_type="text/html")

    async def bad_schema(request: Any) -> Any:
        data = json.loads(json.dumps(ITEMS))
        data["items"][3]["id"] = "four"
        return JSONResponse(data)

    async def not_json(request: Any) -> Any:
        return Response("{not json", media_type="application/json")

    async def huge(request: Any) -> Any:
        mb = int(request.query_params.get("mb", "5"))
        chunk = b'{"id": 1, "name": "' + b"x" * 65_000 + b'"},'

        async def body() -> Any:
            yield b'{"items": ['
            sent = 11
            while sent < mb * 1_000_000:
                yield chunk
                sent += len(chunk)
            yield b'{"id": 2, "name": "end"}]}'

        return StreamingResponse(body(), media_type="application/json")

    async def cut(request: Any) -> Any:
        async def body() -> Any:
            yield b'{"items": [' + b" " * 1000
            raise ConnectionResetError("dropped on purpose")

        return StreamingResponse(body(), media_type="application/json",
                                 headers={"Content-Length": "100000"})

    async def echo(request: Any) -> Any:
        body = await request.body()
        return JSONResponse({
            "method": request.method,
            "raw_path": request.scope["raw_path"].decode("latin-1"),
            "path": request.url.path,
            "query": [[k, v] for k, v in request.query_params.multi_items()],
            "headers": {k: v for k, v in request.headers.items()},
            "body": body.decode("utf-8", "replace"),
        })

    async def secure(request: Any) -> Any:
        if request.headers.get("x-api-key") != api_key:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        return JSONResponse(ITEMS)

    async def moved(request: Any) -> Any:
        return Response(status_code=302, headers={"Location": "https://elsewhere.example/x"})

    async def csv(request: Any) -> Any:
        return Response("id,name\n1,a\n", media_type="text/csv")

    async def empty(request: Any) -> Any:
        return Response(status_code=204)

    routes = [
        Route("/items", items), Route("/slow", slow), Route("/error", error),
        Route("/limited", limit), Route("/unavailable", unavailable),
        Route("/limited-long", limited_long), Route("/wrong-type", wrong_type),
        Route("/bad-schema", bad_schema), Route("/not-json", not_json),
        Route("/huge", huge), Route("/cut", cut), Route("/secure", secure),
        Route("/moved", moved), Route("/csv", csv), Route("/empty", empty),
        Route("/echo/{rest:path}", echo, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ]
    app = Starlette(routes=routes)

    async def counting(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            counts[scope["path"]] += 1
        await app(scope, receive, send)

    counting.counts = counts  # type: ignore[attr-defined]
    return counting


@contextlib.contextmanager
def closing_server() -> Iterator[str]:
    """A raw TCP server on 127.0.0.1 that reads a request and closes without answering;
    yields its ``http://127.0.0.1:PORT`` URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.2)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            with conn, contextlib.suppress(OSError):
                conn.settimeout(1)
                conn.recv(65536)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        sock.close()
