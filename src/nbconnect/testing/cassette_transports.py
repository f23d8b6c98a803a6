"""The httpx2 transports of record and replay: :class:`RecordingTransport` passes every
response through unchanged (streamed, not buffered) and records it into a
:class:`~nbconnect.testing.cassette_store.CassetteStore` once its body has been read;
:class:`ReplayTransport` answers from the store without the network, and a request that
matches nothing raises :class:`ReplayMissError` (an ``httpx2.TransportError``).
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from typing import Any

import httpx2

from ..auth import secrets as nbsecrets
from .cassette_records import decode_content, endpoint_key
from .cassette_store import CassetteStore

__all__ = ["REPLAY_MISS", "RecordingTransport", "ReplayMissError", "ReplayTransport"]

#: the text of a replay miss (the runner shows it as the endpoint's failure reason)
REPLAY_MISS = "no recorded exchange for {method} {path} (record it with --record)"


class ReplayMissError(httpx2.TransportError):
    """No recorded exchange matches a request in replay mode.

    ``str(err)`` is ``no recorded exchange for GET /path (record it with --record)``;
    ``endpoint_id``, ``method`` and ``path`` say which request missed.
    """

    def __init__(self, method: str, path: str, endpoint_id: str,
                 request: httpx2.Request | None = None) -> None:
        self.method = method
        self.path = path
        self.endpoint_id = endpoint_id
        super().__init__(REPLAY_MISS.format(method=method, path=path),
                         request=request)


class _TeeStream(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """Pass a response body through unchanged, keeping its first ``limit`` bytes; call
    ``done(kept, seen, complete)`` once when the body is closed."""

    def __init__(self, inner: Any, limit: int, done: Any) -> None:
        self._inner = inner
        self._limit = limit
        self._done = done
        self._kept = bytearray()
        self._seen = 0
        self._complete = False
        self._finished = False

    def _take(self, chunk: bytes) -> None:
        self._seen += len(chunk)
        room = self._limit - len(self._kept)
        if room > 0:
            self._kept += chunk[:room]

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._take(chunk)
            yield chunk
        self._complete = True

    async def __aiter__(self) -> Any:
        async for chunk in self._inner:
            self._take(chunk)
            yield chunk
        self._complete = True

    def _finish(self) -> None:
        if not self._finished:
            self._finished = True
            self._done(bytes(self._kept), self._seen, self._complete)

    def close(self) -> None:
        try:
            if hasattr(self._inner, "close"):
                self._inner.close()
        finally:
            self._finish()

    async def aclose(self) -> None:
        try:
            if hasattr(self._inner, "aclose"):
                await self._inner.aclose()
        finally:
            self._finish()


class RecordingTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """An httpx2 transport that sends through ``inner`` and records every exchange.

    ``inner`` is a sync and/or async httpx2 transport (``None``: a new
    ``httpx2.HTTPTransport(verify=verify)``; remember that a client's own ``verify`` does
    not reach a transport it is given). Responses reach the caller unchanged and
    streamed; an exchange is recorded into ``store`` when the caller has read (or
    closed) the body. The first exchange an endpoint records through this transport
    replaces what its cassette held (a new recording session starts afresh); later ones
    are added. Recording failures never break the request: they are listed in
    :attr:`errors` (redacted).
    """

    def __init__(self, inner: Any, store: CassetteStore, *, verify: Any = True) -> None:
        self.inner = inner if inner is not None else httpx2.HTTPTransport(verify=verify)
        self.store = store
        self.errors: list[str] = []
        self._fresh: set[str] = set()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RecordingTransport({type(self.inner).__name__}, {self.store!r})"

    def _wrap(self, request: httpx2.Request, response: httpx2.Response,
              stream: Any) -> httpx2.Response:
        limit = self.store.max_body_bytes
        headers = response.headers

        def done(kept: bytes, seen: int, complete: bool) -> None:
            try:
                whole = complete and seen == len(kept)
                body, shown = kept, headers
                if headers.get("content-encoding") and whole:
                    body, decoded = decode_content(kept, headers)
                    if decoded:
                        shown = httpx2.Headers([(k, v) for k, v in headers.multi_items()
                                                if k.lower() != "content-encoding"])
                key = endpoint_key(request)
                with self._lock:
                    first = key not in self._fresh
                    self._fresh.add(key)
                self.store.record(request, response.status_code, shown, body,
                                  size=len(body) if whole else seen, truncated=not whole,
                                  replace=first)
            except Exception as exc:  # never break the caller's request
                self.errors.append(nbsecrets.redact(f"{type(exc).__name__}: {exc}"))

        return httpx2.Response(status_code=response.status_code, headers=response.headers,
                               stream=_TeeStream(stream, limit, done),
                               extensions=response.extensions, request=request)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        response = self.inner.handle_request(request)
        return self._wrap(request, response, response.stream)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        response = await self.inner.handle_async_request(request)
        return self._wrap(request, response, response.stream)

    def close(self) -> None:
        if hasattr(self.inner, "close"):
            self.inner.close()

    async def aclose(self) -> None:
        if hasattr(self.inner, "aclose"):
            await self.inner.aclose()


class ReplayTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """An httpx2 transport that answers from a :class:`CassetteStore`, never the network.

    A request is matched on method, path, query (auth query parameters ignored) and the
    hash of its canonical, redacted body; a miss raises :class:`ReplayMissError`.
    """

    def __init__(self, store: CassetteStore) -> None:
        self.store = store

    def __repr__(self) -> str:
        return f"ReplayTransport({self.store!r})"

    def _answer(self, request: httpx2.Request) -> httpx2.Response:
        exchange = self.store.find(request)
        if exchange is None:
            path = nbsecrets.redact(request.url.raw_path.decode("ascii", "replace")
                                    .partition("?")[0])
            raise ReplayMissError(request.method, path, endpoint_key(request), request)
        stored = exchange["response"]
        body = stored.get("body") or {}
        if "base64" in body:
            content = base64.b64decode(body["base64"])
        else:
            content = str(body.get("text", "")).encode("utf-8")
        return httpx2.Response(stored["status"], headers=list(stored.get("headers", {})
                                                              .items()),
                               content=content, request=request,
                               extensions={"nbconnect.replayed": True})

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        return self._answer(request)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        return self._answer(request)
