"""The cassette store: the recorded exchanges of a connector, one file per endpoint id,
read from and written to a package (directory or zip, through the Package object) or a
plain folder.

Recording the same exchanges twice gives the same bytes (exchanges sorted by their match
key, keys sorted, no timestamps or latencies); a file whose bytes would not change is not
rewritten.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx2

from ..auth import secrets as nbsecrets
from ..errors import PackageError
from ..model import Connector
from ..package.package import Package
from .cassette_files import CassetteFiles, PackageCassettes, files_for_folder, read_cassette
from .cassette_records import (
    CASSETTE_DIR,
    MAX_BODY_BYTES,
    MAX_EXCHANGES,
    REQUEST_HEADERS,
    RESPONSE_HEADERS,
    body_record,
    dump_cassette,
    endpoint_key,
    headers_record,
    match_key,
    same_request,
    sensitive_names,
    sort_key,
)

__all__ = ["CassetteStore"]


class CassetteStore:
    """The recorded exchanges of a connector, one JSON file per endpoint id.

    ``directory`` is a ``cassettes/`` folder (created on the first save; existing files
    are read when the store is made; one inside a package directory is reached through
    its package); ``None`` keeps the exchanges in memory only. :meth:`for_package` gives
    the store of a package, directory or zip. ``query_names`` and ``header_names`` name
    extra parameters and headers that carry credentials (see :func:`sensitive_names`);
    ``max_body_bytes`` bounds each stored body. With ``autosave`` (the default) every
    recorded exchange is written at once.
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
        self._files: CassetteFiles | None = None
        if self.directory is not None:
            self._files = files_for_folder(self.directory)
            self._load()

    @classmethod
    def for_package(cls, path: str | os.PathLike[str], connector: Connector | None = None,
                    **options: Any) -> CassetteStore:
        """The store of a package: its ``cassettes/`` member, with the auth parameter
        names of ``connector`` (read from the package when not given).

        A directory package is read and written as exchanges are recorded; a ``.zip``
        package (also one that holds a package folder) is read, and written only by an
        explicit :meth:`save` (``autosave`` off, ``directory`` None).
        """
        package = Package(path)
        if connector is None:
            connector = package.connector()
        query, headers = sensitive_names(connector.auth)
        options.setdefault("query_names", query)
        options.setdefault("header_names", headers)
        if package.is_zip:
            options["autosave"] = False
        store = cls(None, **options)
        if not package.is_zip:
            store.directory = package.path / CASSETTE_DIR
        store._files = PackageCassettes(package)
        store._load()
        return store

    # -- reading ------------------------------------------------------------------------

    def _load(self) -> None:
        assert self._files is not None
        for key, raw, where in self._files.read_all():
            self._cassettes[key] = read_cassette(raw, where)
            self._written[key] = raw

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
        if self.directory is not None:
            where = str(self.directory)
        elif isinstance(self._files, PackageCassettes):
            where = str(self._files.package.member_path(CASSETTE_DIR))
        else:
            where = "memory"
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
                if same_request(match_key(request, content, names, self._fields), match):
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
            req_body = body_record(kept, request.headers, req_size,
                                   req_size > len(kept), self._fields)
            if "base64" in req_body:  # binary uploads are not kept
                req_body = {"omitted": "binary", "size": req_size}
        exchange = {
            "match": match_key(request, content, self.query_names, self._fields),
            "request": {
                "method": request.method,
                "url": nbsecrets.redact_url(request.url, self.query_names),
                "headers": headers_record(request.headers, REQUEST_HEADERS,
                                          self.header_names),
                "body": req_body,
            },
            "response": {
                "status": int(status),
                "headers": headers_record(response_headers, RESPONSE_HEADERS,
                                          self.header_names),
                "body": body_record(body, response_headers, full, truncated,
                                    self._fields),
            },
        }
        key = endpoint_key(request)
        with self._lock:
            kept_list = [] if replace else [ex for ex in self._cassettes.get(key, [])
                                            if ex["match"] != exchange["match"]]
            kept_list.append(exchange)
            kept_list.sort(key=sort_key)
            self._cassettes[key] = kept_list[-MAX_EXCHANGES:]
            if self.autosave and self._files is not None:
                self._flush(self._files, [key], force=False)
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
            return dump_cassette(endpoint_id, self._cassettes.get(endpoint_id, []))

    def save(self, package: str | os.PathLike[str] | None = None) -> list[Path]:
        """Write every cassette; return the files written or removed.

        Into the ``cassettes/`` member of ``package`` when one is given (a package
        directory or zip; a zip is rewritten once, atomically), else where the store
        was read from. Files whose bytes would not change are not rewritten; endpoints
        cleared with :meth:`clear` lose their file.
        """
        if package is not None:
            target: CassetteFiles = PackageCassettes(Package(package))
            same = self._files is not None and self._files.key == target.key
        elif self._files is not None:
            target, same = self._files, True
        else:
            raise PackageError("This cassette store keeps its exchanges in memory only; "
                               "pass a package path to save(), e.g. "
                               "store.save('my-connector').")
        with self._lock:
            return self._flush(target, sorted(self._cassettes), force=not same)

    def _flush(self, target: CassetteFiles, keys: list[str], *, force: bool) -> list[Path]:
        """Write (or remove) the cassettes of ``keys`` in one atomic write; the lock is
        held. Unless ``force``, files whose bytes did not change are left alone."""
        changes: dict[str, bytes | None] = {}
        for key in keys:
            exchanges = self._cassettes.get(key, [])
            if not exchanges:
                changes[key] = None
                continue
            data = dump_cassette(key, exchanges)
            if not force and self._written.get(key) == data and target.exists(key):
                continue
            changes[key] = data
        done = target.write(changes) if changes else []
        if not force:
            for key, data in changes.items():
                if data is None:
                    self._written.pop(key, None)
                else:
                    self._written[key] = data
        return done
