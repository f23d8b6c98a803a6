"""Redaction: mask registered secret values and credentials in every text nbconnect shows.

:func:`register` remembers a secret value (a :class:`~nbconnect.auth.secrets.Secret` does it
when it is made); :func:`redact` replaces every registered value in a text with ``***``,
also percent-encoded, JSON-escaped and inside base64 such as a Basic ``Authorization``
header, and masks sensitive query parameters of the URLs in it. :func:`redact_url` and
:func:`redact_headers` mask one URL or one set of headers. :func:`install_log_filter` applies
the same masking to log records, including the full URLs httpx2 logs at INFO.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus, unquote_plus

if TYPE_CHECKING:
    from .secrets import Secret

__all__ = [
    "LOGGER_NAMES",
    "MASK",
    "MIN_REDACT_LENGTH",
    "SENSITIVE_HEADERS",
    "SENSITIVE_QUERY_NAMES",
    "RedactingFilter",
    "install_log_filter",
    "masked_query_names",
    "redact",
    "redact_headers",
    "redact_url",
    "register",
    "register_query_name",
    "registered_values",
]

MASK = "***"
#: Values shorter than this are not registered for redaction (masking every "ab" in
#: every log line would destroy the logs and protect nothing).
MIN_REDACT_LENGTH = 4
#: Header names whose values are always masked (compared case-insensitively).
SENSITIVE_HEADERS = ("authorization", "proxy-authorization", "cookie", "set-cookie",
                     "x-api-key")
#: Query parameter names whose values are always masked in URLs we show.
SENSITIVE_QUERY_NAMES = ("access_token", "refresh_token", "id_token", "client_secret",
                         "password", "api_key", "apikey", "api-key", "token", "key",
                         "secret")


_lock = threading.Lock()
_values: frozenset[str] = frozenset()  # replaced, never mutated: safe to read unlocked
_query_names: frozenset[str] = frozenset()
_pattern: re.Pattern[str] | None = None
_BASIC_RE = re.compile(r"(?i)\b(basic)(\s+)([A-Za-z0-9+/_\-]+={0,2})")
_URL_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>`]+")


def _b64_fragments(value: str) -> set[str]:
    """Substrings that appear in the base64 of any text containing ``value``."""
    raw = value.encode("utf-8", "surrogatepass")
    out: set[str] = set()
    for k in range(3):
        enc = base64.b64encode(b"\0" * k + raw).decode("ascii")
        start = -(-8 * k // 6)  # first char made of value bits only
        end = (8 * (k + len(raw))) // 6  # last char made of value bits only
        frag = enc[start:end]
        if len(frag) >= 6:
            out.add(frag)
            out.add(frag.translate(str.maketrans("+/", "-_")))  # base64url
    return out


def _forms(value: str) -> set[str]:
    forms = {value}
    for q in (quote(value, safe=""), quote(value, safe="/"), quote_plus(value)):
        forms.add(q)
        forms.add(re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), q))
    forms.add(json.dumps(value)[1:-1])
    forms.add(json.dumps(value, ensure_ascii=False)[1:-1])
    forms |= _b64_fragments(value)
    return {f for f in forms if f}


def register(value: str | Secret | None) -> None:
    """Remember a secret value so :func:`redact` masks it (no-op for short or empty
    values)."""
    global _pattern, _values
    reveal = getattr(value, "reveal", None)  # a Secret (not imported: it imports us)
    if callable(reveal):
        value = reveal()
    if not isinstance(value, str) or len(value) < MIN_REDACT_LENGTH:
        return
    with _lock:
        if value in _values:
            return
        _values = _values | {value}
        forms: set[str] = set()
        for v in _values:
            forms |= _forms(v)
        ordered = sorted(forms, key=lambda f: (-len(f), f))
        _pattern = re.compile("|".join(re.escape(f) for f in ordered))


def register_query_name(name: str) -> None:
    """Mask the query parameter ``name`` in every URL :func:`redact` and the log filter
    see (e.g. an API key's configured name)."""
    global _query_names
    if isinstance(name, str) and name:
        with _lock:
            _query_names = _query_names | {name.lower()}


def registered_values() -> frozenset[str]:
    """The secret values registered so far (for maskers that work on structured data)."""
    return _values


def masked_query_names() -> frozenset[str]:
    """The query parameter names registered with :func:`register_query_name` (lowercase)."""
    return _query_names


def _unbasic(match: re.Match[str]) -> str:
    token = match.group(3)
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"+/"
                                   if "-" not in token and "_" not in token else b"-_")
        text = decoded.decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return match.group(0)
    if any(v in text for v in _values):
        return f"{match.group(1)}{match.group(2)}{MASK}"
    return match.group(0)


def _redact_values(text: str) -> str:
    pattern = _pattern
    if pattern is None:
        return text
    text = _BASIC_RE.sub(_unbasic, text)
    return pattern.sub(MASK, text)


def redact(text: str) -> str:
    """``text`` with every registered secret (also percent-encoded, JSON-escaped or inside
    base64, e.g. a Basic credential) replaced by ``***``, and sensitive query parameters
    of the URLs in it masked."""
    if not isinstance(text, str):
        text = str(text)
    if not text:
        return text
    if "://" in text:
        text = _URL_RE.sub(lambda m: _mask_query(m.group(0), ()), text)
    return _redact_values(text)


def _mask_query(url: str, query_names: Iterable[str]) -> str:
    names = {n.lower() for n in query_names} | _query_names | set(SENSITIVE_QUERY_NAMES)
    m = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*://)([^/?#@]*)@", url)
    if m and ":" in m.group(2):
        user = m.group(2).split(":", 1)[0]
        url = f"{m.group(1)}{user}:{MASK}@{url[m.end():]}"
    base, hash_, fragment = url.partition("#")
    path, q, query = base.partition("?")
    if not q:
        return url

    def part(item: str) -> str:
        name, eq, value = item.partition("=")
        if eq and value and unquote_plus(name).lower() in names:
            return f"{name}={MASK}"
        return item

    query = "&".join(part(p) for p in query.split("&"))
    return f"{path}?{query}{hash_}{fragment}"


def redact_url(url: Any, query_names: Iterable[str] = ()) -> str:
    """``url`` (str or httpx2.URL) with its password and the values of sensitive query
    parameters (``query_names``, those registered, and common ones such as ``api_key`` or
    ``access_token``) masked, and every registered secret redacted."""
    text = str(url)
    return _redact_values(_mask_query(text, tuple(query_names)))


def _mask_header(name: str, value: str) -> str:
    low = name.lower()
    if low in ("authorization", "proxy-authorization"):
        m = re.match(r"([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~\-]*) +\S", value)
        return f"{m.group(1)} {MASK}" if m else MASK
    if low == "cookie":
        return "; ".join(f"{p.partition('=')[0].strip()}={MASK}" if "=" in p else MASK
                         for p in value.split(";"))
    if low == "set-cookie":
        first, sep, rest = value.partition(";")
        cookie = (f"{first.partition('=')[0].strip()}={MASK}" if "=" in first else MASK)
        return cookie + (sep + _redact_values(rest) if sep else "")
    return MASK


def redact_headers(headers: Any, names: Iterable[str] = ()) -> dict[str, str]:
    """A plain ``dict`` copy of ``headers`` (a mapping, httpx2.Headers or pairs) with
    Authorization, Proxy-Authorization, Cookie, Set-Cookie, X-API-Key and ``names``
    masked (case-insensitive), and registered secrets redacted in the other values."""
    sensitive = {n.lower() for n in (*SENSITIVE_HEADERS, *names)}
    if hasattr(headers, "multi_items"):
        items: Iterable[Any] = headers.multi_items()
    elif isinstance(headers, Mapping):
        items = headers.items()
    else:
        items = headers
    out: dict[str, str] = {}
    for key, value in items:
        k = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        v = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        shown = _mask_header(k, v) if k.lower() in sensitive else redact(v)
        out[k] = f"{out[k]}, {shown}" if k in out else shown
    return out


# --------------------------------------------------------------------------- logging

#: Loggers that get the filter (httpx2 logs each request URL at INFO).
LOGGER_NAMES = ("httpx2", "httpcore2", "httpx", "httpcore", "authlib", "nbconnect")
_installed = False


def _redact_record(record: logging.LogRecord) -> None:
    if getattr(record, "_nbconnect_redacted", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep only the redacted template
        record.msg, record.args = redact(str(record.msg)), None
    else:
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._nbconnect_redacted = True


class RedactingFilter(logging.Filter):
    """Redacts a record's message (msg/args), exception text and stack (keeps it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


def install_log_filter() -> None:
    """Redact every log record from here on (idempotent).

    Adds a :class:`RedactingFilter` to the httpx2/httpcore2/authlib/nbconnect loggers and
    their existing children, and wraps the log record factory so records of child
    loggers made later (a logger filter does not see records of its children) are
    redacted too.
    """
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    flt = RedactingFilter()
    names = set(LOGGER_NAMES)
    names |= {n for n in logging.root.manager.loggerDict
              if n.split(".", 1)[0] in LOGGER_NAMES}
    for name in sorted(names):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(flt)
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_nbconnect_redacting", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact_record(record)
        return record

    factory._nbconnect_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
