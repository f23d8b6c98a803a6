"""Record and replay HTTP exchanges as cassettes: one deterministic JSON file per endpoint.

A package keeps its cassettes in ``cassettes/<endpoint_id>.json``. Each file holds the
recorded exchanges of one endpoint, sorted, with sorted keys and no timestamps or
latencies, so recording the same exchanges twice gives the same bytes::

    {"endpoint": "getTask", "exchanges": [{"match": {...}, "request": {...},
     "response": {...}}], "format": "nbconnect-cassette/1"}

* ``request``: method, URL (its password and the values of sensitive query parameters
  masked with :func:`nbconnect.auth.secrets.redact_url`), an allow-list of headers (credentials
  masked with :func:`nbconnect.auth.secrets.redact_headers`) and the body (credential-like JSON
  and form fields such as ``password``, ``token`` or ``client_secret`` masked, every
  registered secret redacted; binary request bodies are left out).
* ``response``: status, an allow-list of headers, and the body as text or base64, cut
  at ``max_body_bytes`` (1 MB by default) with ``"truncated": true`` and its full size.
* ``match``: what :class:`ReplayTransport` compares: method, path, query (without the
  auth query parameters) and a SHA-256 of the canonical, redacted body.

:class:`RecordingTransport` wraps a real httpx2 transport: it passes every response
through unchanged (streamed, not buffered) and records it when its body has been read.
:class:`ReplayTransport` answers from the cassettes without the network; a request that
matches nothing raises :class:`ReplayMissError` (an ``httpx2.TransportError``) whose
message is ``no recorded exchange for GET /path (record it with --record)``.

Requests name their endpoint in ``request.extensions["nbconnect.endpoint"]`` (the
runner sets it); a request without it is filed under a slug of its method and path.

This module imports httpx2; ``import nbconnect`` does not import this module.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx2

from ..auth import secrets as nbsecrets
from ..errors import PackageError, clip
from ..model import ApiKeyAuth, AuthConfig, Connector, JwtAuth, slugify
from ..package.format import write_atomic

__all__ = [
    "CASSETTE_DIR",
    "CASSETTE_FORMAT",
    "ENDPOINT_EXTENSION",
    "MAX_BODY_BYTES",
    "REQUEST_HEADERS",
    "RESPONSE_HEADERS",
    "CassetteStore",
    "RecordingTransport",
    "ReplayMissError",
    "ReplayTransport",
    "endpoint_key",
    "sensitive_names",
]

CASSETTE_DIR = "cassettes"
CASSETTE_FORMAT = "nbconnect-cassette/1"
#: the request extension that names the endpoint a request belongs to
ENDPOINT_EXTENSION = "nbconnect.endpoint"
#: bodies are kept up to this many bytes (the rest is cut, marked ``truncated``)
MAX_BODY_BYTES = 1_000_000
#: at most this many exchanges are kept per endpoint (the oldest go first)
MAX_EXCHANGES = 50
#: request headers that are recorded (credentials among them are masked)
REQUEST_HEADERS = ("accept", "authorization", "content-type", "cookie", "proxy-authorization",
                   "x-api-key")
#: response headers that are recorded
RESPONSE_HEADERS = ("content-disposition", "content-encoding", "content-language",
                    "content-type", "link", "location", "retry-after", "www-authenticate")

MASK = nbsecrets.MASK
_ID_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*\Z")
#: JSON/form field names whose values are credentials (matched at the end of the name,
#: case-insensitive: password, client_secret, accessToken, api_key, x-auth-token, ...)
_CREDENTIAL_FIELD_RE = re.compile(
    r"(?i)(password|passwd|passphrase|secret|token|api[_\-]?key|private[_\-]?key|"
    r"authorization|credentials?|cookie)\Z")
_JSON_STRING_FIELD_RE = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:\s*)"((?:[^"\\]|\\.)*)"')
_TEXT_TYPES = re.compile(r"(?i)^(text/|application/([\w.+\-]*\+)?(json|xml|javascript|"
                         r"x-www-form-urlencoded|yaml|x-yaml|graphql|ld\+json))")


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
        super().__init__(f"no recorded exchange for {method} {path} (record it with --record)",
                         request=request)


# --------------------------------------------------------------------------- helpers


def sensitive_names(auth: AuthConfig | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(query_names, header_names)`` that carry the credential of ``auth``.

    An API key or JWT sent in a query parameter or a custom header names them; the
    standard ones (``Authorization``, ``api_key``, ...) are always masked anyway.
    """
    query: list[str] = []
    headers: list[str] = []
    if isinstance(auth, ApiKeyAuth):
        if auth.add_to == "query":
            query.append(auth.key)
        elif auth.add_to == "header":
            headers.append(auth.key)
        else:
            headers.append("cookie")
    elif isinstance(auth, JwtAuth):
        if auth.add_to == "query" and auth.query_name:
            query.append(auth.query_name)
        elif auth.header_name:
            headers.append(auth.header_name)
    return tuple(query), tuple(headers)


def endpoint_key(request: httpx2.Request) -> str:
    """The cassette a request belongs to: its ``nbconnect.endpoint`` extension, or a
    slug of its method and path."""
    value = request.extensions.get(ENDPOINT_EXTENSION)
    if isinstance(value, str) and _ID_RE.match(value) and len(value) <= 200:
        return value
    return slugify(f"{request.method} {request.url.path}")[:200]


def _is_credential_field(name: object, extra: frozenset[str] = frozenset()) -> bool:
    """A field named like a credential, or one of ``extra`` (lowercase names)."""
    return isinstance(name, str) and (_CREDENTIAL_FIELD_RE.search(name) is not None
                                      or name.lower() in extra)


def _mask_json(value: Any, extra: frozenset[str]) -> Any:
    """``value`` with the values of credential-like keys replaced by ``***``."""
    if isinstance(value, dict):
        return {k: (MASK if _is_credential_field(k, extra) and v not in (None, "")
                    and not isinstance(v, dict | list) else _mask_json(v, extra))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_json(v, extra) for v in value]
    return value


def _mask_json_text(text: str, extra: frozenset[str]) -> str:
    """JSON text with the string values of credential-like keys masked (bytes kept
    otherwise, so a replayed body stays as it was)."""
    def sub(match: re.Match[str]) -> str:
        if _is_credential_field(match.group(1), extra) and match.group(3):
            return f'"{match.group(1)}"{match.group(2)}"{MASK}"'
        return match.group(0)

    return _JSON_STRING_FIELD_RE.sub(sub, text)


def _mask_form(text: str, extra: frozenset[str]) -> list[tuple[str, str]]:
    pairs = parse_qsl(text, keep_blank_values=True)
    return [(k, MASK if _is_credential_field(k, extra) and v else nbsecrets.redact(v))
            for k, v in pairs]


def _media_type(headers: Any) -> str:
    return str(headers.get("content-type", "")).split(";", 1)[0].strip().lower()


def _redact_bytes(raw: bytes) -> bytes:
    """Replace every registered secret's UTF-8 bytes inside binary data by ``***``."""
    for value in sorted(nbsecrets._values, key=len, reverse=True):
        needle = value.encode("utf-8", "surrogatepass")
        if needle in raw:
            raw = raw.replace(needle, MASK.encode())
    return raw


def _canonical_body(content: bytes, headers: Any, extra: frozenset[str]) -> bytes:
    """The request body as compared in replay: JSON re-serialised with sorted keys,
    forms sorted, multipart boundaries fixed; credentials masked and secrets redacted."""
    media = _media_type(headers)
    text: str | None
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and ("json" in media or not media):
        try:
            data = json.loads(text)
        except ValueError:
            pass
        else:
            dumped = json.dumps(_mask_json(data, extra), sort_keys=True, separators=(",", ":"),
                                ensure_ascii=False)
            return nbsecrets.redact(dumped).encode()
    if text is not None and media == "application/x-www-form-urlencoded":
        return urlencode(sorted(_mask_form(text, extra))).encode()
    if media.startswith("multipart/"):
        match = re.search(r'boundary="?([^";]+)"?', str(headers.get("content-type", "")))
        if match:
            content = content.replace(match.group(1).encode("latin-1", "replace"),
                                      b"nbconnect-boundary")
        return _redact_bytes(content)
    if text is not None:
        return nbsecrets.redact(text).encode()
    return _redact_bytes(content)


def _match_key(request: httpx2.Request, content: bytes, query_names: Iterable[str],
               extra: frozenset[str] = frozenset()) -> dict[str, Any]:
    ignore = {n.lower() for n in (*query_names, *nbsecrets.SENSITIVE_QUERY_NAMES)}
    ignore |= nbsecrets._query_names
    query: list[list[str]] = []
    ignored: set[str] = set()
    for name, value in request.url.params.multi_items():
        if name.lower() in ignore:
            ignored.add(name)
        else:
            query.append([nbsecrets.redact(name), nbsecrets.redact(value)])
    path = request.url.raw_path.decode("ascii", "replace").partition("?")[0]
    digest = hashlib.sha256(_canonical_body(content, request.headers, extra)).hexdigest() \
        if content else None
    return {"method": request.method, "path": nbsecrets.redact(path),
            "query": sorted(query), "ignored_query": sorted(ignored), "body_sha256": digest}


def _body_record(content: bytes, headers: Any, size: int, truncated: bool,
                 extra: frozenset[str]) -> dict[str, Any]:
    """A body as stored: text (credentials masked) or base64, with size and truncation."""
    media = _media_type(headers)
    out: dict[str, Any] = {"size": size}
    if truncated:
        out["truncated"] = True
    text: str | None = None
    if not media or _TEXT_TYPES.match(media) or media.endswith("+json"):
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            text = content.decode("utf-8", "ignore") if truncated else None
    if text is not None:
        if media == "application/x-www-form-urlencoded":
            text = urlencode(_mask_form(text, extra), safe="*")
        else:
            text = _mask_json_text(text, extra)
        out["text"] = nbsecrets.redact(text)
    else:
        out["base64"] = base64.b64encode(_redact_bytes(content)).decode("ascii")
    return out


def _headers_record(headers: Any, allowed: Iterable[str], sensitive: Iterable[str]
                    ) -> dict[str, str]:
    allow = {h.lower() for h in allowed} | {h.lower() for h in sensitive}
    kept = [(k.lower(), v) for k, v in headers.multi_items() if k.lower() in allow]
    return dict(sorted(nbsecrets.redact_headers(kept, sensitive).items()))


def _decode_content(raw: bytes, headers: httpx2.Headers) -> tuple[bytes, bool]:
    """The body with its Content-Encoding undone; ``(raw, False)`` when it cannot be."""
    if not headers.get("content-encoding"):
        return raw, True
    try:
        return httpx2.Response(200, headers={"content-encoding": headers["content-encoding"]},
                               content=raw).read(), True
    except httpx2.DecodingError:
        return raw, False


# --------------------------------------------------------------------------- store


class CassetteStore:
    """The recorded exchanges of a connector, one JSON file per endpoint id.

    ``directory`` is the ``cassettes/`` folder (created on the first save; existing files
    are read when the store is made); ``None`` keeps the exchanges in memory only.
    ``query_names`` and ``header_names`` name extra parameters and headers that carry
    credentials (see :func:`sensitive_names`); ``max_body_bytes`` bounds each stored body.
    With ``autosave`` (the default) every recorded exchange is written at once.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None, *,
                 query_names: Iterable[str] = (), header_names: Iterable[str] = (),
                 max_body_bytes: int = MAX_BODY_BYTES, autosave: bool = True) -> None:
        self.directory = Path(os.fspath(directory)).expanduser() if directory is not None \
            else None
        self.query_names = tuple(query_names)
        self.header_names = tuple(header_names)
        self.max_body_bytes = int(max_body_bytes)
        self.autosave = autosave
        #: extra field names masked in bodies: the auth's own parameter and header names
        self._fields = frozenset(n.lower() for n in (*self.query_names, *self.header_names))
        self._lock = threading.Lock()
        self._cassettes: dict[str, list[dict[str, Any]]] = {}
        self._written: dict[str, bytes] = {}
        for name in self.query_names:
            nbsecrets.register_query_name(name)
        if self.directory is not None and self.directory.is_dir():
            self._load_dir(self.directory)

    @classmethod
    def for_package(cls, path: str | os.PathLike[str], connector: Connector | None = None,
                    **options: Any) -> CassetteStore:
        """The store of a package: its ``cassettes/`` folder, with the auth parameter
        names of ``connector`` (read from the package when not given).

        A directory package is read and written; a ``.zip`` package is read only
        (``autosave`` off, :meth:`save` needs a directory).
        """
        root = Path(os.fspath(path)).expanduser()
        from ..package.format import MANIFEST

        is_zip = root.is_file() and root.suffix.lower() == ".zip"
        if not is_zip and not (root / MANIFEST).is_file():
            raise PackageError(f"{root} is not a connector package (it has no {MANIFEST}); "
                               "export the connector there first, then record.")
        if connector is None:
            from ..package.format import load

            connector = load(root)
        query, headers = sensitive_names(connector.auth)
        options.setdefault("query_names", query)
        options.setdefault("header_names", headers)
        if is_zip:
            options["autosave"] = False
            store = cls(None, **options)
            store._load_zip(root)
            return store
        return cls(root / CASSETTE_DIR, **options)

    # -- reading ------------------------------------------------------------------------

    def _load_dir(self, folder: Path) -> None:
        for file in sorted(folder.glob("*.json")):
            raw = file.read_bytes()
            self._add_file(file.stem, raw, str(file))
            self._written[file.stem] = raw

    def _load_zip(self, path: Path) -> None:
        import zipfile

        try:
            with zipfile.ZipFile(path) as zf:
                for info in sorted(zf.infolist(), key=lambda i: i.filename):
                    name = info.filename
                    if not (name.startswith(CASSETTE_DIR + "/") and name.endswith(".json")):
                        continue
                    stem = name[len(CASSETTE_DIR) + 1:-len(".json")]
                    if "/" in stem or info.file_size > 4 * self.max_body_bytes + 65536:
                        continue
                    self._add_file(stem, zf.read(info), f"{path}!{name}")
        except zipfile.BadZipFile:
            raise PackageError(f"{path} is not a readable zip file; give a package written "
                               "by nbconnect export.") from None

    def _add_file(self, stem: str, raw: bytes, where: str) -> None:
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise PackageError(f"Cassette {where} is not valid JSON ({clip(str(exc), 60)}); "
                               "delete it and record again.") from None
        if not isinstance(data, dict) or data.get("format") != CASSETTE_FORMAT or \
                not isinstance(data.get("exchanges"), list):
            raise PackageError(f"Cassette {where} is not an nbconnect cassette (format "
                               f"{CASSETTE_FORMAT}); delete it and record again.")
        for i, exchange in enumerate(data["exchanges"]):
            ok = isinstance(exchange, dict) and all(
                isinstance(exchange.get(k), dict) for k in ("match", "request", "response"))
            if not ok or not isinstance(exchange["response"].get("status"), int):
                raise PackageError(f"Cassette {where} has a malformed exchange at "
                                   f"$.exchanges[{i}]; delete the file and record again.")
        self._cassettes[stem] = data["exchanges"]

    def endpoint_ids(self) -> list[str]:
        """The endpoint ids that have recorded exchanges, sorted."""
        with self._lock:
            return sorted(k for k, v in self._cassettes.items() if v)

    def exchanges(self, endpoint_id: str) -> list[dict[str, Any]]:
        """The recorded exchanges of one endpoint (copies, in file order)."""
        with self._lock:
            return json.loads(json.dumps(self._cassettes.get(endpoint_id, [])))

    def __len__(self) -> int:
        with self._lock:
            return sum(len(v) for v in self._cassettes.values())

    def __repr__(self) -> str:
        where = str(self.directory) if self.directory is not None else "memory"
        return f"CassetteStore({where!r}, endpoints={len(self.endpoint_ids())})"

    def find(self, request: httpx2.Request) -> dict[str, Any] | None:
        """The recorded exchange that answers ``request`` (its body must have been read),
        or None. Looks in the request's endpoint cassette first, then in all."""
        content = request.content
        key = endpoint_key(request)
        with self._lock:
            first = self._cassettes.get(key, [])
            rest = [ex for k, v in sorted(self._cassettes.items()) if k != key for ex in v]
            for exchange in (*first, *rest):
                match = exchange["match"]
                names = (*self.query_names, *match.get("ignored_query", ()))
                if _same_request(_match_key(request, content, names, self._fields), match):
                    return exchange
        return None

    # -- recording ----------------------------------------------------------------------

    def record(self, request: httpx2.Request, status: int, headers: Any, body: bytes, *,
               size: int | None = None, truncated: bool = False,
               replace: bool = False) -> dict[str, Any]:
        """Store one exchange (``body`` is the decoded response body, at most
        ``max_body_bytes`` of it is kept) and return it as stored.

        An exchange with the same match key replaces the old one; ``replace=True``
        drops every older exchange of the endpoint first."""
        content = request.content
        response_headers = httpx2.Headers(headers)
        full = len(body) if size is None else size
        if len(body) > self.max_body_bytes:
            body, truncated = body[:self.max_body_bytes], True
        req_body: dict[str, Any] | None = None
        if content:
            req_size = len(content)
            kept = content[:self.max_body_bytes]
            req_body = _body_record(kept, request.headers, req_size,
                                    req_size > len(kept), self._fields)
            if "base64" in req_body:  # binary uploads are not kept
                req_body = {"omitted": "binary", "size": req_size}
        exchange = {
            "match": _match_key(request, content, self.query_names, self._fields),
            "request": {
                "method": request.method,
                "url": nbsecrets.redact_url(request.url, self.query_names),
                "headers": _headers_record(request.headers, REQUEST_HEADERS,
                                           self.header_names),
                "body": req_body,
            },
            "response": {
                "status": int(status),
                "headers": _headers_record(response_headers, RESPONSE_HEADERS,
                                           self.header_names),
                "body": _body_record(body, response_headers, full, truncated,
                                     self._fields),
            },
        }
        key = endpoint_key(request)
        with self._lock:
            kept_list = [] if replace else [ex for ex in self._cassettes.get(key, [])
                                            if ex["match"] != exchange["match"]]
            kept_list.append(exchange)
            kept_list.sort(key=_sort_key)
            self._cassettes[key] = kept_list[-MAX_EXCHANGES:]
            if self.autosave and self.directory is not None:
                self._write(self.directory, key)
        return exchange

    def clear(self, endpoint_id: str | None = None) -> None:
        """Forget the exchanges of one endpoint (or of all) in memory; the next save
        removes their files."""
        with self._lock:
            if endpoint_id is None:
                for key in self._cassettes:
                    self._cassettes[key] = []
            elif endpoint_id in self._cassettes:
                self._cassettes[endpoint_id] = []

    # -- writing ------------------------------------------------------------------------

    def dumps(self, endpoint_id: str) -> bytes:
        """The bytes of one endpoint's cassette file (deterministic)."""
        with self._lock:
            return _dump(endpoint_id, self._cassettes.get(endpoint_id, []))

    def save(self, package_dir: str | os.PathLike[str] | None = None) -> list[Path]:
        """Write every cassette; return the files written or removed.

        Into ``package_dir/cassettes/`` when a package directory is given (it must be a
        connector package), else into the store's own directory. Files whose bytes would
        not change are not rewritten; endpoints cleared with :meth:`clear` lose their file.
        """
        if package_dir is not None:
            from ..package.format import MANIFEST

            root = Path(os.fspath(package_dir)).expanduser()
            if not (root / MANIFEST).is_file():
                raise PackageError(f"{root} is not a connector package directory (it has no "
                                   f"{MANIFEST}); export the connector there first.")
            folder = root / CASSETTE_DIR
            same = self.directory is not None and folder.resolve() == \
                self.directory.resolve()
        elif self.directory is not None:
            folder, same = self.directory, True
        else:
            raise PackageError("This cassette store has no directory; pass the package "
                               "directory to save(), e.g. store.save('my-connector').")
        with self._lock:
            done: list[Path] = []
            for key in sorted(self._cassettes):
                path = self._write(folder, key, force=not same)
                if path is not None:
                    done.append(path)
            return done

    def _write(self, folder: Path, key: str, *, force: bool = False) -> Path | None:
        """Write (or remove) one cassette file atomically; the lock is held."""
        target = folder / f"{key}.json"
        exchanges = self._cassettes.get(key, [])
        if not exchanges:
            if target.exists():
                target.unlink()
                self._written.pop(key, None)
                return target
            return None
        data = _dump(key, exchanges)
        if not force and self._written.get(key) == data and target.is_file():
            return None
        write_atomic(target, data)
        if not force:
            self._written[key] = data
        return target


def _same_request(key: Mapping[str, Any], match: Mapping[str, Any]) -> bool:
    """Method, path, query and body hash agree (which auth parameters were present
    does not matter)."""
    return all(key.get(k) == match.get(k) for k in ("method", "path", "query", "body_sha256"))


def _sort_key(exchange: Mapping[str, Any]) -> str:
    return json.dumps(exchange["match"], sort_keys=True)


def _dump(key: str, exchanges: list[dict[str, Any]]) -> bytes:
    doc = {"format": CASSETTE_FORMAT, "endpoint": key, "exchanges": exchanges}
    return (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


# --------------------------------------------------------------------------- transports


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
                    body, decoded = _decode_content(kept, headers)
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
