"""Secrets: references to secret values, their resolution, and redaction of their values.

A connection never holds a secret value on disk, only a *reference*:

* ``env:NAME`` - the environment variable ``NAME``;
* ``keyring:NAME`` - the OS keyring, service ``nbconnect``, username ``NAME``;
* ``prompt`` or ``prompt:LABEL`` - asked for when needed (``getpass`` in a terminal; the
  notebook passes its own prompt, a Password widget).

For CI and headless use an environment variable ``NBCONNECT_SECRET_<NAME>`` wins over a
``keyring:`` or ``prompt`` reference (``NAME`` is the keyring name, or
``<CONNECTION>_<FIELD>`` for a prompt, uppercased with every other character as ``_``).

A resolved value is a :class:`Secret`: its repr, str and format show ``***``, it cannot
be pickled, and it is registered so that :func:`redact` masks it (also percent-encoded,
JSON-escaped and inside base64 such as a Basic ``Authorization`` header) in every text
nbconnect shows. :func:`install_log_filter` applies the same masking to log records,
including the full URLs httpx2 logs at INFO.

``keyring`` is imported only when a ``keyring:`` reference is resolved.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, quote_plus, unquote_plus

from ..errors import SecretError

if TYPE_CHECKING:
    from ..model import Connection

__all__ = [
    "KEYRING_SERVICE",
    "MASK",
    "SECRET_REF_RE",
    "SENSITIVE_HEADERS",
    "SENSITIVE_QUERY_NAMES",
    "RedactingFilter",
    "Reference",
    "Secret",
    "env_var_name",
    "install_log_filter",
    "is_reference",
    "parse_reference",
    "redact",
    "redact_headers",
    "redact_url",
    "register",
    "register_query_name",
    "resolve",
    "resolve_connection",
    "store_in_keyring",
]

MASK = "***"
KEYRING_SERVICE = "nbconnect"
ENV_PREFIX = "NBCONNECT_SECRET_"
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

#: What a reference looks like (a secret field holds one of these, never a value).
SECRET_REF_RE = re.compile(
    r"(env:[A-Za-z_][A-Za-z0-9_]*|keyring:[^\x00-\x1f\x7f]+|prompt(:[^\x00-\x1f\x7f]*)?)\Z")

PromptFn = Callable[[str], "str | Secret"]


# --------------------------------------------------------------------------- Secret


class Secret:
    """A secret value held in memory only.

    ``repr``/``str``/``format`` never show the value (``Secret(name='API_KEY',
    value='***')``); :meth:`reveal` returns it. Equal by value; cannot be pickled. The
    value is registered for :func:`redact` when the Secret is made.
    """

    __slots__ = ("_value", "name")

    def __init__(self, value: str, name: str = "") -> None:
        if not isinstance(value, str):
            raise SecretError(f"A Secret holds text, not {type(value).__name__}; pass the "
                              "value as a str.")
        if not isinstance(name, str):
            raise SecretError("A Secret's name must be a str such as 'API_KEY'.")
        object.__setattr__(self, "_value", value)
        object.__setattr__(self, "name", name)
        register(value)

    def reveal(self) -> str:
        """The secret value itself (keep it out of anything shown or saved)."""
        return self._value

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("Secret is immutable")

    def __repr__(self) -> str:
        if self.name:
            return f"Secret(name={self.name!r}, value={MASK!r})"
        return f"Secret(value={MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return format(MASK, spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode("utf-8", "surrogatepass"),
                                   other._value.encode("utf-8", "surrogatepass"))

    def __hash__(self) -> int:
        return hash(("nbconnect.Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: Any) -> Secret:
        return self

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise SecretError("A Secret cannot be pickled or saved; store a reference such as "
                          "env:NAME, keyring:NAME or prompt instead.")

    def __getstate__(self) -> Any:
        raise SecretError("A Secret cannot be pickled or saved; store a reference such as "
                          "env:NAME, keyring:NAME or prompt instead.")


# --------------------------------------------------------------------------- references


@dataclass(frozen=True)
class Reference:
    """A parsed secret reference: ``kind`` and ``name`` (env var, keyring name, or the
    prompt label, ``''`` for a plain ``prompt``)."""

    kind: Literal["env", "keyring", "prompt"]
    name: str

    def __str__(self) -> str:
        if self.kind == "prompt":
            return f"prompt:{self.name}" if self.name else "prompt"
        return f"{self.kind}:{self.name}"


def is_reference(text: object) -> bool:
    """True if ``text`` is a well-formed reference (``env:NAME``, ``keyring:NAME``,
    ``prompt``, ``prompt:LABEL``)."""
    return isinstance(text, str) and SECRET_REF_RE.match(text) is not None


def _where(connection: str | None, field: str | None) -> str:
    if connection and field:
        return f"Connection {connection!r} field {field!r}"
    if field:
        return f"Secret field {field!r}"
    return "The secret reference"


def _example_env(connection: str | None, field: str | None) -> str:
    return _slug_upper("_".join(p for p in (connection, field) if p) or "API_KEY")


def _slug_upper(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", text).upper()


def env_var_name(name: str) -> str:
    """``NBCONNECT_SECRET_<NAME>`` for a keyring name or ``<connection>_<field>``."""
    return ENV_PREFIX + _slug_upper(name)


def parse_reference(text: object, *, connection: str | None = None,
                    field: str | None = None) -> Reference:
    """Parse a reference; a malformed one raises :class:`SecretError`.

    The message never repeats ``text`` (it may be a pasted secret value).
    ``connection``/``field`` only name the place in the message.
    """
    where = _where(connection, field)
    example = _example_env(connection, field)
    if isinstance(text, str) and SECRET_REF_RE.match(text):
        kind, _, name = text.partition(":")
        return Reference(kind, name)  # type: ignore[arg-type]
    if not isinstance(text, str):
        raise SecretError(f"{where} must be a reference string such as env:{example}, not "
                          f"{type(text).__name__}.")
    if text.startswith("env:"):
        raise SecretError(f"{where} has a malformed env: reference; the variable name must "
                          "be letters, digits and '_', not starting with a digit, as in "
                          f"env:{example}.")
    if text.startswith("keyring:"):
        raise SecretError(f"{where} has a malformed keyring: reference; give a name without "
                          f"control characters, as in keyring:{example.lower()}.")
    if text.startswith("prompt:"):
        raise SecretError(f"{where} has a malformed prompt: reference; the label must be on "
                          "one line, as in prompt:Your API key.")
    raise SecretError(
        f"{where} looks like a literal secret; pass a reference such as env:{example}, "
        f"keyring:{example.lower().replace('_', '-')} or prompt, or wrap it in "
        "nbconnect.Secret(...) in Python.")


# --------------------------------------------------------------------------- resolve


def _prompt_env_name(connection: str, field: str) -> str:
    return env_var_name(f"{connection}_{field}")


def resolve(ref: str | Secret, *, connection: str, field: str,
            prompt: PromptFn | None = None) -> Secret:
    """The secret a reference points to, as a registered :class:`Secret`.

    ``env:NAME`` reads the variable (unset or empty: :class:`SecretError` naming it);
    ``keyring:NAME`` reads the OS keyring and ``prompt`` asks (``prompt(label)``, or
    ``getpass`` in a terminal), but for these two ``NBCONNECT_SECRET_<NAME>`` wins when set.
    A :class:`Secret` is returned as it is.
    """
    if isinstance(ref, Secret):
        register(ref.reveal())
        return ref
    parsed = parse_reference(ref, connection=connection, field=field)
    where = _where(connection, field)
    if parsed.kind == "env":
        value = os.environ.get(parsed.name)
        if value is None:
            raise SecretError(f"Environment variable {parsed.name} is not set ({where} refers "
                              f"to env:{parsed.name}); set it or change the reference.")
        if not value:
            raise SecretError(f"Environment variable {parsed.name} is empty ({where} refers "
                              f"to env:{parsed.name}); set it to the secret value.")
        return Secret(value, parsed.name)
    override = env_var_name(parsed.name if parsed.kind == "keyring"
                            else f"{connection}_{field}")
    value = os.environ.get(override)
    if value:
        return Secret(value, override)
    if parsed.kind == "keyring":
        return Secret(_from_keyring(parsed.name, where, override), parsed.name)
    label = parsed.name or f"{field} for connection {connection}"
    return Secret(_ask(label, where, override, prompt), field)


def _keyring_fallback(where: str, override: str, problem: str) -> SecretError:
    return SecretError(f"{where} uses the OS keyring, but {problem}; no OS keyring backend "
                       f"here; use env:NAME or set {override}.")


def _from_keyring(name: str, where: str, override: str) -> str:
    try:
        import keyring
        import keyring.errors
    except ImportError:
        raise _keyring_fallback(where, override, "the keyring package is not "
                                "installed") from None
    try:
        value = keyring.get_password(KEYRING_SERVICE, name)
    except keyring.errors.NoKeyringError:
        raise _keyring_fallback(where, override, "no keyring backend is available "
                                "(NoKeyringError)") from None
    except Exception as exc:  # any backend failure: locked, D-Bus down, ...
        raise _keyring_fallback(where, override, f"the keyring backend failed "
                                f"({type(exc).__name__})") from None
    if value is None:
        raise SecretError(f"{where} refers to keyring:{name}, but the OS keyring has no entry "
                          f"for service {KEYRING_SERVICE!r} and user {name!r}; store it with "
                          f"`keyring set {KEYRING_SERVICE} {name}` or set {override}.")
    if not value:
        raise SecretError(f"{where} refers to keyring:{name}, whose stored value is empty; "
                          f"store the secret again or set {override}.")
    return value


def store_in_keyring(name: str, value: str | Secret) -> str:
    """Store ``value`` in the OS keyring under ``name``; return the reference
    ``keyring:NAME``. No backend: :class:`SecretError` with the env fallback."""
    ref = parse_reference(f"keyring:{name}" if isinstance(name, str) else name)
    secret = value if isinstance(value, Secret) else Secret(value, name)
    override = env_var_name(name)
    where = f"Storing keyring:{name}"
    try:
        import keyring
        import keyring.errors
    except ImportError:
        raise _keyring_fallback(where, override, "the keyring package is not "
                                "installed") from None
    try:
        keyring.set_password(KEYRING_SERVICE, name, secret.reveal())
    except keyring.errors.NoKeyringError:
        raise _keyring_fallback(where, override, "no keyring backend is available "
                                "(NoKeyringError)") from None
    except Exception as exc:
        raise _keyring_fallback(where, override, f"the keyring backend failed "
                                f"({type(exc).__name__})") from None
    return str(ref)


def _ask(label: str, where: str, override: str, prompt: PromptFn | None) -> str:
    if prompt is None:
        import getpass

        ask: PromptFn = getpass.getpass
        stock = getattr(getpass.getpass, "__module__", "") == "getpass"
        if stock and not (sys.stdin is not None and sys.stdin.isatty()):
            raise SecretError(f"{where} is a prompt reference, but there is no terminal to "
                              f"ask in; set {override} or use an env:NAME reference.")
        label = f"{label}: "
    else:
        ask = prompt
    try:
        answer = ask(label)
    except (EOFError, KeyboardInterrupt, OSError):
        raise SecretError(f"{where} was asked for, but nothing was entered; enter it again or "
                          f"set {override}.") from None
    if isinstance(answer, Secret):
        answer = answer.reveal()
    if not isinstance(answer, str) or not answer:
        raise SecretError(f"{where} was asked for, but nothing was entered; enter it again or "
                          f"set {override}.")
    return answer


def resolve_connection(connection: Connection, fields: Iterable[str], *,
                       prompt: PromptFn | None = None,
                       optional: Iterable[str] = ()) -> dict[str, Secret]:
    """Resolve the secret ``fields`` of a connection: ``{field: Secret}``.

    A field the connection has no reference for is taken from
    ``NBCONNECT_SECRET_<CONNECTION>_<FIELD>`` when that is set, is skipped when it is in
    ``optional``, and otherwise raises :class:`SecretError` saying how to add it.
    """
    refs = dict(connection.secrets)
    skip = set(optional)
    out: dict[str, Secret] = {}
    for field in fields:
        ref = refs.get(field)
        if ref is None:
            override = _prompt_env_name(connection.name, field)
            value = os.environ.get(override)
            if value:
                out[field] = Secret(value, override)
                continue
            if field in skip:
                continue
            raise SecretError(
                f"Connection {connection.name!r} has no secret {field!r}; give it a reference "
                f"such as {field}=env:{_example_env(connection.name, field)} (or keyring:NAME, "
                f"prompt), or set {override}.", option="secret")
        out[field] = resolve(ref, connection=connection.name, field=field, prompt=prompt)
    return out


# --------------------------------------------------------------------------- redaction

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
    if isinstance(value, Secret):
        value = value.reveal()
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
