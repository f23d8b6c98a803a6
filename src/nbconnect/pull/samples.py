"""Samples: the last successful JSON response bodies of each endpoint, kept for ``pull``.

The runner hands every successful response to :func:`keep` (see
:mod:`nbconnect.testing.running`); the bodies of a connector are kept in memory, per endpoint,
at most ``limits.MAX_PULL_SAMPLES`` of them and ``limits.MAX_PULL_STORED_BYTES`` in all (the
oldest go first), each at most ``limits.MAX_PULL_SAMPLE_BYTES``. :func:`save` writes them into
the package's ``samples/<endpoint id>.json`` member and :func:`load` reads them back, so a
later process (the command line) can pull from them. A connector loaded from a package or
exported to one remembers it (:func:`remember_package`, on the object, not in its data), so
``pull`` reads that package's samples without being told where it is.

Samples are redacted like cassettes: the value of every field named like a credential
(:func:`is_secret_name`: password, secret, token, api_key, authorization, ...; plus the
connector's own API-key parameter names) becomes ``***``, and every secret registered with
:mod:`nbconnect.auth.redaction` (the connection's secrets) is masked wherever it appears.
Redaction is lazy, to keep it off the request path: :func:`keep` checks that the body is
JSON and holds its raw bytes (bounded as above, never shown), together with the credential
names of the connector and the set of registered secrets at that moment (references, no
copying); every way out of this module (:attr:`EndpointSamples.bodies`, :func:`save`,
hence ``pull``, the package and its exports) redacts them when it is read, with the names
then captured and every secret registered by then (a superset: the registry only grows; a
body whose keep-time secrets are not all still registered is dropped, never shown). A
success that cannot be pulled (not JSON, empty, too large) is remembered as a note, so
``pull`` can say why it has nothing to read.
"""

from __future__ import annotations

import json
import os
import re
import threading
import weakref
from collections import deque
from typing import Any

from .. import limits
from ..auth.redaction import registered_values
from ..errors import PackageError, PullError

__all__ = ["SAMPLES_FORMAT", "EndpointSamples", "carry", "is_secret_name", "keep", "load",
           "member", "package_of", "redact_sample", "remember_package", "save", "stored"]

SAMPLES_FORMAT = "nbconnect-samples/1"
_SECRET_NAME_RE = re.compile(
    r"(?i)(password|passwd|passphrase|secret|token|tokens|api[_\-]?key|apikey|"
    r"access[_\-]?key|private[_\-]?key|authorization|credentials?|cookie|session[_\-]?id|"
    r"signature)\Z")
_JSON_MEDIA_RE = re.compile(r"(?i)^application/([\w.\-]+\+)?json$")
_lock = threading.Lock()


def is_secret_name(name: object) -> bool:
    """Whether a field called ``name`` likely holds a credential (matched at the end of the
    name, any case: ``password``, ``client_secret``, ``accessToken``, ``x-api-key``...)."""
    return isinstance(name, str) and _SECRET_NAME_RE.search(name) is not None


class _Raw:
    """One kept body as received (never shown) and what redacting it needs: the
    connector's credential names and the registered secrets when it was kept."""

    __slots__ = ("data", "names", "secrets")

    def __init__(self, data: bytes, names: frozenset[str], secrets: frozenset[str]) -> None:
        self.data, self.names, self.secrets = data, names, secrets


class EndpointSamples:
    """One endpoint's kept responses: :attr:`bodies` (redacted compact JSON text, oldest
    first, redacted when read), :attr:`note` (why its last success was not kept; None when
    it was) and :attr:`size` (bytes held). The raw bodies are not public."""

    __slots__ = ("_bytes", "_note", "_raw")

    def __init__(self) -> None:
        self._raw: deque[_Raw] = deque()
        self._bytes = 0  # the sum of the raw bodies' lengths
        self._note: str | None = None

    @property
    def size(self) -> int:
        """Bytes of the raw bodies held (bounded by ``limits.MAX_PULL_STORED_BYTES``)."""
        return self._bytes

    def _read(self) -> tuple[list[str], str | None]:
        with _lock:
            raw, note = list(self._raw), self._note
        texts: list[str] = []
        for entry in raw:
            text, why = _redacted(entry)
            if text is not None:
                texts.append(text)
            elif note is None:
                note = why
        return texts, note

    @property
    def bodies(self) -> list[str]:
        """The kept bodies as redacted compact JSON text, oldest first (a new list)."""
        return self._read()[0]

    @property
    def note(self) -> str | None:
        """Why the endpoint's last success (or a kept one that cannot be redacted now) is
        not readable; None when every kept body is."""
        return self._read()[1]


def _redacted(entry: _Raw) -> tuple[str | None, str]:
    """(redacted text, "") for a kept body, or (None, why) when it cannot be shown safely."""
    from .infer import parse_json

    if not entry.secrets <= registered_values():  # cannot happen: the registry only grows
        return None, "its last successful response could not be redacted"
    try:
        value = parse_json(entry.data, "the response", max_bytes=limits.MAX_PULL_SAMPLE_BYTES)
        return redact_sample(value, entry.names), ""
    except PullError as exc:
        return None, _note_for(exc)
    except Exception as exc:  # never show a body that could not be redacted
        return None, f"its last successful response could not be kept ({type(exc).__name__})"


def _note_for(exc: PullError) -> str:
    reason = exc.message.split(";")[0].rstrip(".")
    return f"its last successful response could not be kept: {reason[:1].lower()}{reason[1:]}"


#: id(connector) -> endpoint id -> samples (an entry goes when its connector is collected)
_STORES: dict[int, dict[str, EndpointSamples]] = {}


def _store(connector: Any, create: bool) -> dict[str, EndpointSamples] | None:
    key = id(connector)
    with _lock:
        store = _STORES.get(key)
        if store is None and create:
            store = _STORES[key] = {}
            weakref.finalize(connector, _STORES.pop, key, None)
        return store


def _auth_names(connector: Any) -> frozenset[str]:
    """The connector's own credential parameter and header names (lowercase)."""
    auth = getattr(connector, "auth", None)
    names: set[str] = set()
    for key in ("keys",):
        for entry in getattr(auth, key, None) or ():
            if isinstance(entry, tuple | list) and entry and isinstance(entry[0], str):
                names.add(entry[0].lower())
    for attr in ("query_name", "header_name"):
        value = getattr(auth, attr, None)
        if isinstance(value, str) and value:
            names.add(value.lower())
    return frozenset(names)


def redact_sample(value: Any, names: frozenset[str] = frozenset()) -> str:
    """``value`` (parsed JSON) as compact JSON text with credential-like fields (and
    ``names``, lowercase) masked and registered secrets redacted. Changes ``value`` in place.
    Raises :class:`~nbconnect.errors.PullError` when it is nested too deeply to write."""
    from ..auth.redaction import MASK, redact

    work = [value]
    while work:
        node = work.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                if isinstance(v, dict | list):
                    work.append(v)
                elif v not in (None, "") and (is_secret_name(k) or k.lower() in names):
                    node[k] = MASK
        elif isinstance(node, list):
            work.extend(v for v in node if isinstance(v, dict | list))
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except RecursionError:
        raise PullError("The response is nested too deeply to keep as a sample; pull from a "
                        "sample file instead.") from None
    return redact(text)


def keep(connector: Any, endpoint_id: str, content_type: str | None, body: bytes, *,
         truncated: bool = False) -> bool:
    """Keep one successful response body of ``endpoint_id`` for ``pull``; returns whether it
    was kept. ``truncated``: the body was over the runner's read bound (not kept). Never
    raises: a body that cannot be kept leaves a note instead. The body is checked to be
    JSON and held as bytes; it is redacted when read (see the module docstring)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    store = _store(connector, True)
    assert store is not None
    with _lock:
        entry = store.get(endpoint_id)
        if entry is None:
            entry = store[endpoint_id] = EndpointSamples()
    if not _JSON_MEDIA_RE.match(media):
        entry._note = (f"its last successful response was {media or 'of no content type'}, "
                       "not JSON")
        return False
    if truncated or len(body) > limits.MAX_PULL_SAMPLE_BYTES:
        entry._note = (f"its last successful response was over the "
                       f"{limits.MAX_PULL_SAMPLE_BYTES:,}-byte sample bound")
        return False
    secrets = registered_values()  # an immutable set: a reference, not a copy
    try:
        data = bytes(body)
        try:  # the fast check (C codec); parse_json, the rule, words a refusal
            text = data.decode("utf-8")
            json.loads(text[1:] if text[:1] == "\ufeff" else text)
        except (ValueError, RecursionError):
            from .infer import parse_json

            parse_json(data, "the response", max_bytes=limits.MAX_PULL_SAMPLE_BYTES)
        names = _auth_names(connector)
    except PullError as exc:
        entry._note = _note_for(exc)
        return False
    except Exception as exc:  # never lose a test run to a sample
        entry._note = f"its last successful response could not be kept ({type(exc).__name__})"
        return False
    with _lock:
        raw = entry._raw
        raw.append(_Raw(data, names, secrets))
        entry._note = None
        entry._bytes += len(data)
        while len(raw) > limits.MAX_PULL_SAMPLES or (
                len(raw) > 1 and entry._bytes > limits.MAX_PULL_STORED_BYTES):
            entry._bytes -= len(raw.popleft().data)
    return True


def stored(connector: Any, endpoint_id: str) -> EndpointSamples | None:
    """The samples kept in memory for ``endpoint_id`` of ``connector`` (None: none yet)."""
    store = _store(connector, False)
    return None if store is None else store.get(endpoint_id)


def member(endpoint_id: str) -> str:
    """The package member that holds ``endpoint_id``'s samples."""
    from ..package.members import SAMPLES

    return f"{SAMPLES}/{endpoint_id}.json"


def save(connector: Any, package: str | os.PathLike[str], endpoint_ids: Any = None) -> list[str]:
    """Write the kept samples of ``endpoint_ids`` (default: every endpoint with samples) into
    the package at ``package`` as ``samples/<id>.json``; returns the members written.
    A file whose bytes would not change is not rewritten. Raises
    :class:`~nbconnect.errors.PackageError` when the package cannot be written."""
    from ..package.package import Package

    store = _store(connector, False) or {}
    ids = list(store) if endpoint_ids is None else [i for i in endpoint_ids if i in store]
    files: dict[str, bytes] = {}
    bodies = {i: texts for i in ids if (texts := store[i].bodies)}
    if not bodies:
        return []
    pkg = Package(package)
    for ep_id, texts in bodies.items():
        name = member(ep_id)
        data = ('{"endpoint":' + json.dumps(ep_id) + ',"format":"' + SAMPLES_FORMAT
                + '","samples":[\n' + ",\n".join(texts) + "\n]}\n").encode("utf-8")
        try:
            if pkg.has(name) and pkg.read_bytes(name) == data:
                continue
        except PackageError:
            pass
        files[name] = data
    pkg.write(files)
    return sorted(files)


def load(package: str | os.PathLike[str], endpoint_id: str) -> list[Any]:
    """The samples saved in the package for ``endpoint_id`` (parsed JSON values, oldest
    first; empty when it has none). A broken samples file raises
    :class:`~nbconnect.errors.PackageError`."""
    from ..package.package import Package

    pkg = Package(package)
    name = member(endpoint_id)
    if not pkg.has(name):
        return []
    data = pkg.read_json(name)
    if not isinstance(data, dict) or data.get("format") != SAMPLES_FORMAT or \
            not isinstance(data.get("samples"), list):
        raise PackageError(f"{pkg.where(name)} is not a samples file of this nbconnect; "
                           "delete it and test the endpoint again.")
    return list(data["samples"])


#: the attribute that remembers a connector's package (not a dataclass field: no data)
_PACKAGE_ATTR = "_nbconnect_package"


def remember_package(connector: Any, path: str | os.PathLike[str]) -> None:
    """Remember on the connector object that it was loaded from, or exported to, the
    package at ``path``. Not part of its data: ``to_dict``, equality and the package itself
    ignore it; :func:`package_of` gives it back."""
    object.__setattr__(connector, _PACKAGE_ATTR, os.fspath(path))


def package_of(connector: Any) -> str | None:
    """The package ``connector`` was last loaded from or exported to (None: neither)."""
    value = getattr(connector, _PACKAGE_ATTR, None)
    return value if isinstance(value, str) else None


def carry(connector: Any, package: str | os.PathLike[str]) -> list[str]:
    """After ``connector`` was exported to ``package``: write its kept samples there and,
    for endpoints with none kept in this process, copy the samples of the package it came
    from (when that is another one); then remember ``package``. Returns the members
    written. Raises :class:`~nbconnect.errors.PackageError` when ``package`` cannot be
    written; an old package that is gone or broken is skipped."""
    from ..package.package import Package

    written = save(connector, package)
    old = package_of(connector)
    if old is not None and os.path.realpath(old) != os.path.realpath(os.fspath(package)):
        store = _store(connector, False) or {}
        files: dict[str, bytes] = {}
        try:
            src = Package(old)
            for endpoint in getattr(connector, "endpoints", ()):
                name = member(endpoint.id)
                kept = store.get(endpoint.id)
                if (kept is None or not kept.bodies) and src.has(name):
                    files[name] = src.read_bytes(name)
        except (PackageError, OSError):
            files = {}
        if files:
            Package(package).write(files)
            written = sorted({*written, *files})
    remember_package(connector, package)
    return written
