"""Secrets: the in-memory ``Secret`` value, references to secret values, and their resolution.

A connection never holds a secret value on disk, only a *reference*:

* ``env:NAME`` - the environment variable ``NAME``;
* ``keyring:NAME`` - the OS keyring, service ``nbconnect``, username ``NAME``;
* ``prompt`` or ``prompt:LABEL`` - asked for when needed (``getpass`` in a terminal; the
  notebook passes its own prompt, a Password widget).

For CI and headless use an environment variable ``NBCONNECT_SECRET_<NAME>`` wins over a
``keyring:`` or ``prompt`` reference (``NAME`` is the keyring name, or
``<CONNECTION>_<FIELD>`` for a prompt, uppercased with every other character as ``_``).

A resolved value is a :class:`Secret`: its repr, str and format show ``***``, it cannot
be pickled, and it is registered with :mod:`nbconnect.auth.redaction` so that
:func:`redact` masks it in every text nbconnect shows. The redaction names (``redact``,
``redact_url``, ``redact_headers``, ``register``, ``install_log_filter``, ...) are
re-exported here.

``keyring`` is imported only when a ``keyring:`` reference is resolved.
"""

from __future__ import annotations

import hmac
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..errors import SecretError
from . import redaction as _redaction
from .redaction import (
    LOGGER_NAMES,
    MASK,
    MIN_REDACT_LENGTH,
    SENSITIVE_HEADERS,
    SENSITIVE_QUERY_NAMES,
    RedactingFilter,
    install_log_filter,
    redact,
    redact_headers,
    redact_url,
    register,
    register_query_name,
)

if TYPE_CHECKING:
    from ..model import Connection

__all__ = [
    "KEYRING_SERVICE",
    "LOGGER_NAMES",
    "MASK",
    "MIN_REDACT_LENGTH",
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

KEYRING_SERVICE = "nbconnect"
ENV_PREFIX = "NBCONNECT_SECRET_"
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


def __getattr__(name: str) -> Any:
    # The redaction registry moved to nbconnect.auth.redaction; its live state is read
    # there (these globals are replaced on every registration, so a copy would go stale).
    if name in ("_values", "_query_names"):
        return getattr(_redaction, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
