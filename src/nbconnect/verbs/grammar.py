"""The shared words of the verbs: the auth grammar, the connection grammar, option values.

``auth TYPE [--FIELD VALUE]...`` and ``connection add NAME ...`` read the words after the
verb with :func:`auth_from_args` and :func:`connection_from_args` (the same in the CLI and the
magics, since both are generated from :mod:`nbconnect.verbs.table`); the widget forms use
:func:`auth_from_fields` and :func:`make_connection`. The argparse ``type=`` functions
(:func:`size_arg`, :func:`seconds_arg`, :func:`count_arg`, :func:`port_arg`) read a size, a
timeout, a count and a port the same way for every verb.

TYPE is one of ``api-key``, ``basic``, ``bearer``, ``jwt``, ``oauth2-code``,
``oauth2-password``, ``oauth2-client-credentials``; FIELD flags are the auth config's
fields in kebab case (``--add-to``, ``--token-url``, ...). Secret fields (``value``,
``password``, ``token``, ``secret``, ``client-secret``) never appear on ``auth``: they
belong to a connection as ``--secret FIELD=REF`` where REF is a reference
(``env:NAME``, ``keyring:NAME``, ``prompt``), because a value typed into a command stays
in the shell history and the notebook. Messages about a refused secret never repeat the
text that was given, and words the grammar does not understand are pointed at by
position, not echoed, since they may be a pasted secret.

The connector operations that used to live here moved to the verb modules and are still
importable from here: ``add_connection``, ``remove_connection``, ``set_default_connection``,
``get_connection`` and ``login_connection`` (:mod:`nbconnect.verbs.connection`),
``parse_param_value(s)`` and ``check_param_names`` (:mod:`nbconnect.verbs.test`) and
``connections_table`` (:mod:`nbconnect.render`).
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..errors import AuthConfigError, NbConnectError, SecretError
from ..model import (
    API_KEY_ADD_TO,
    AUTH_TYPES,
    CLIENT_AUTH_METHODS,
    JWT_ADD_TO,
    JWT_ALGORITHMS,
    AuthConfig,
    Connection,
)

__all__ = [
    "AUTH_TYPE_NAMES",
    "CONNECTION_OPTIONS",
    "SECRET_FIELDS",
    "SETTING_FIELDS",
    "auth_fields",
    "auth_from_args",
    "auth_from_fields",
    "auth_help_lines",
    "connection_from_args",
    "connection_secret_fields",
    "connection_setting_fields",
    "count_arg",
    "field_choices",
    "kebab",
    "make_connection",
    "port_arg",
    "seconds_arg",
    "size_arg",
    "snake",
]

#: The auth types, in the order help text lists them.
AUTH_TYPE_NAMES: tuple[str, ...] = tuple(AUTH_TYPES)
#: Secret fields (kebab case): given on a connection as ``--secret FIELD=REF`` only.
SECRET_FIELDS: tuple[str, ...] = ("value", "password", "token", "secret", "client-secret")
#: Non-secret per-connection values: ``--set FIELD=VALUE``.
SETTING_FIELDS: tuple[str, ...] = ("username", "client-id")
#: Settings a connection must have for the auth type.
_REQUIRED_SETTINGS: dict[str, tuple[str, ...]] = {
    "basic": ("username",),
    "oauth2-password": ("username",),
}
#: Options of ``connection add`` with their metavar and help (for both faces' help text).
CONNECTION_OPTIONS: tuple[tuple[str, str, str], ...] = (
    ("--base-url", "URL", "the connection's base URL (https; http only to loopback hosts); "
                          "default: the connector's base URL"),
    ("--secret", "FIELD=REF", "a secret field as a reference: env:NAME, keyring:NAME or "
                              "prompt (repeatable)"),
    ("--set", "FIELD=VALUE", "a non-secret value of this connection: username, client-id "
                             "(repeatable)"),
    ("--default", "", "make this the default connection"),
)


def kebab(name: str) -> str:
    """``client_secret`` -> ``client-secret``."""
    return name.replace("_", "-")


def snake(name: str) -> str:
    """``client-secret`` -> ``client_secret``."""
    return name.replace("-", "_")


def _one_of(items: Iterable[str]) -> str:
    items = list(items)
    return ", ".join(items) if items else "none"


def _suggest(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


# --------------------------------------------------------------------------- auth


def _auth_class(type_: object) -> type[AuthConfig]:
    cls = AUTH_TYPES.get(type_) if isinstance(type_, str) else None
    if cls is None:
        if isinstance(type_, str) and re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,23}", type_):
            what = f"{type_!r}{_suggest(type_, AUTH_TYPES)}"
        else:  # a long or odd word may be a pasted secret: not repeated
            what = "(the word given, not repeated here)"
        raise AuthConfigError(f"Unknown auth type {what}; the types are "
                              f"{_one_of(AUTH_TYPES)}.")
    return cls


def auth_fields(type_: str) -> tuple[str, ...]:
    """The ``--FIELD`` flags (kebab case, without ``--``) that auth type ``type_`` takes."""
    cls = _auth_class(type_)
    return tuple(kebab(f.name) for f in dataclasses.fields(cls))


def field_choices(type_: str, field: str) -> tuple[str, ...] | None:
    """The values field ``field`` (kebab case) of auth type ``type_`` allows, or None."""
    if field == "add-to":
        return API_KEY_ADD_TO if type_ == "api-key" else JWT_ADD_TO
    if field == "algorithm":
        return JWT_ALGORITHMS
    if field == "client-auth":
        return CLIENT_AUTH_METHODS
    return None


def auth_help_lines() -> list[str]:
    """One line per auth type: its flags (with their choices) and its secret fields."""
    lines = []
    for name, cls in AUTH_TYPES.items():
        flags = []
        for flag in auth_fields(name):
            choices = field_choices(name, flag)
            if choices and len(choices) <= 4:
                flags.append(f"--{flag} {'|'.join(choices)}")
            elif flag == "extra-keys":
                flags.append("--extra-keys KEY[:ADD_TO],...")
            else:
                flags.append(f"--{flag} {snake(flag).upper()}")
        secrets = ", ".join(kebab(s) for s in cls.secret_fields) or "none"
        settings = ", ".join(kebab(s) for s in connection_setting_fields(name)) or "none"
        lines.append(f"{name}: {' '.join(flags) or '(no fields)'}; on the connection: "
                     f"--secret {secrets}; --set {settings}")
    return lines


_REF_EXAMPLES = {"value": "API_KEY", "password": "API_PASSWORD", "token": "API_TOKEN",
                 "secret": "JWT_SECRET", "client-secret": "CLIENT_SECRET"}


def _secret_on_auth_error(flag: str) -> AuthConfigError:
    field = kebab(flag)
    ref_name = _REF_EXAMPLES.get(field, "API_SECRET")
    return AuthConfigError(
        f"--{field} is a secret, and secrets are not part of the auth config (a value typed "
        "into a command stays in its history); give it on a connection as "
        f"`connection add NAME --secret {field}=env:{ref_name}` (or keyring:NAME, prompt).")


def _setting_on_auth_error(flag: str) -> AuthConfigError:
    field = kebab(flag)
    return AuthConfigError(
        f"--{field} is a per-connection value, not part of the auth config; give it on a "
        f"connection as `connection add NAME --set {field}=VALUE`.")


def auth_from_fields(type_: str, fields: Mapping[str, Any]) -> AuthConfig:
    """An auth config of type ``type_`` from ``{field: value}`` (kebab or snake keys).

    Values are text, except ``payload``, which is a JSON object (a mapping, or its JSON
    text). Empty values (``None``, ``""``) count as not given. Secret fields are refused
    with a sentence saying they belong on a connection; unknown fields are refused with
    the list of valid ones; the auth config itself names a missing or bad field.
    """
    cls = _auth_class(type_)
    valid = auth_fields(type_)
    values: dict[str, Any] = {}
    for raw_key, value in fields.items():
        key = kebab(str(raw_key))
        if key in SECRET_FIELDS:
            raise _secret_on_auth_error(key)
        if key not in valid:
            if key in SETTING_FIELDS:
                raise _setting_on_auth_error(key)
            raise AuthConfigError(f"Auth type {type_} has no field --{key}{_suggest(key, valid)};"
                                  f" its fields are {_one_of('--' + f for f in valid)}.")
        if value is None or value == "":
            continue
        values[key] = _field_value(key, value)
    try:
        return cls(**{snake(k): v for k, v in values.items()})
    except AuthConfigError:
        raise
    except NbConnectError as exc:
        if type(exc) is NbConnectError:  # the model's generic choice errors
            raise AuthConfigError(str(exc), exc.details) from None
        raise


def _key_list(text: str) -> list[tuple[str, str]]:
    """``--extra-keys KEY[:ADD_TO],...`` (``X-App-Id,app_key:query``) as (key, add_to) pairs."""
    pairs = []
    for item in (part.strip() for part in text.split(",")):
        if item:
            key, colon, add_to = item.rpartition(":")
            pairs.append((key, add_to) if colon and add_to in API_KEY_ADD_TO else (item, "header"))
    return pairs


def _field_value(key: str, value: Any) -> Any:
    if key == "payload" and isinstance(value, Mapping):
        return dict(value)  # the auth config checks it (a JSON object, time claims)
    if key == "extra-keys":  # the auth config checks the pairs
        return _key_list(value) if isinstance(value, str) else value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise AuthConfigError(f"--{key} must be text, not {type(value).__name__}; give it "
                              "as a string.")
    return value


def _split_flags(args: Sequence[str], what: str) -> list[tuple[str, str | None, int]]:
    """``[(flag, value or None, position)]`` from ``--flag VALUE`` / ``--flag=VALUE`` words.

    A word that is not a flag is refused by position (it may be a pasted secret).
    """
    out: list[tuple[str, str | None, int]] = []
    i = 0
    words = list(args)
    while i < len(words):
        word = words[i]
        if not isinstance(word, str) or not word.startswith("--") or len(word) == 2:
            raise AuthConfigError(
                f"Argument {i + 1} after {what} is not a --FIELD flag (it is not repeated here "
                "in case it is a secret); write --FIELD VALUE, quoting values that contain "
                "blanks.")
        flag, eq, value = word[2:].partition("=")
        if eq:
            out.append((flag, value, i))
            i += 1
            continue
        nxt = words[i + 1] if i + 1 < len(words) else None
        if nxt is None or (nxt.startswith("--") and len(nxt) > 2 and nxt[2:3].isalpha()):
            out.append((flag, None, i))
            i += 1
        else:
            out.append((flag, nxt, i))
            i += 2
    return out


def auth_from_args(type_: str, args: Sequence[str]) -> AuthConfig:
    """An auth config from ``TYPE`` and the words after it (``--FIELD VALUE`` flags).

    ``--FIELD=VALUE`` works too. Raises :class:`~nbconnect.errors.AuthConfigError` for an
    unknown type or field, a missing value, a field given twice, a secret field (secrets
    go on connections) and any value the auth config refuses.
    """
    _auth_class(type_)
    fields: dict[str, str] = {}
    for flag, value, _pos in _split_flags(args, f"auth type {type_}"):
        key = kebab(flag)
        if key in SECRET_FIELDS:  # refused before anything else, value unseen
            raise _secret_on_auth_error(key)
        if value is None or value == "":
            raise AuthConfigError(f"--{key} needs a value; write --{key} VALUE.")
        if key in fields:
            raise AuthConfigError(f"--{key} is given twice; give it once.")
        fields[key] = value
    return auth_from_fields(type_, fields)


# --------------------------------------------------------------------------- connections


def _auth_type(auth: AuthConfig | str | None) -> str | None:
    if auth is None:
        return None
    return auth if isinstance(auth, str) else auth.type


def connection_secret_fields(auth: AuthConfig | str | None) -> tuple[str, ...]:
    """Secret fields (snake case) a connection gives for ``auth`` (all of them when None)."""
    kind = _auth_type(auth)
    if kind is None:
        return tuple(snake(f) for f in SECRET_FIELDS)
    if isinstance(auth, AuthConfig):  # an instance may need more (api-key extra keys)
        return tuple(auth.secret_fields)
    return tuple(_auth_class(kind).secret_fields)


def connection_setting_fields(auth: AuthConfig | str | None) -> tuple[str, ...]:
    """Setting fields (snake case) a connection takes for ``auth`` (all of them when None)."""
    kind = _auth_type(auth)
    if kind is None:
        return tuple(snake(f) for f in SETTING_FIELDS)
    return tuple(getattr(_auth_class(kind), "setting_fields", ()))


def _is_secret_object(value: Any) -> bool:
    from ..auth.secrets import Secret

    return isinstance(value, Secret)


def _example_env(conn_name: str, field: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", f"{conn_name}_{field}").upper()


def _check_reference(conn_name: str, field: str, ref: Any) -> Any:
    """``ref`` if it is a reference or an in-memory Secret; else SecretError (no echo)."""
    if _is_secret_object(ref):
        return ref
    from ..auth.secrets import is_reference, parse_reference

    if isinstance(ref, str) and is_reference(ref):
        return ref
    if isinstance(ref, str) and ref.startswith(("env:", "keyring:", "prompt:")):
        # a reference with a mistake: say what is wrong with it (the text is not repeated)
        parse_reference(ref, connection=conn_name, field=field)
    flag = kebab(field)
    raise SecretError(
        f"The secret {flag!r} of connection {conn_name!r} was given as a value, and secret "
        "values are refused here (commands stay in history and notebooks); pass a reference "
        f"instead: --secret {flag}=env:{_example_env(conn_name, field)} (and set that "
        f"environment variable), --secret {flag}=keyring:NAME or --secret {flag}=prompt.")


def make_connection(name: str, *, base_url: str | None,
                    secrets: Mapping[str, Any] | None = None,
                    settings: Mapping[str, str] | None = None, default: bool = False,
                    auth: AuthConfig | str | None = None) -> Connection:
    """A checked :class:`~nbconnect.model.Connection`.

    ``secrets`` maps secret fields (kebab or snake case) to references (``env:NAME``,
    ``keyring:NAME``, ``prompt``) or in-memory :class:`nbconnect.auth.secrets.Secret` values;
    any other value is refused without being shown. With ``auth`` given, only that auth
    type's secret and setting fields are accepted and its required ones must be there.
    """
    if not base_url:
        raise AuthConfigError(f"Connection {name!r} needs a base URL; add --base-url URL "
                              "(or set the connector's base URL first).")
    secret_fields = connection_secret_fields(auth)
    setting_fields = connection_setting_fields(auth)
    kind = _auth_type(auth)
    for_type = f"auth type {kind}" if kind else "a connection"
    checked_secrets: dict[str, Any] = {}
    for raw, ref in (secrets or {}).items():
        field = snake(str(raw))
        if field not in secret_fields:
            if snake(field) in (snake(s) for s in SETTING_FIELDS):
                raise AuthConfigError(f"{kebab(field)} is not a secret; give it as --set "
                                      f"{kebab(field)}=VALUE.")
            raise AuthConfigError(
                f"{for_type.capitalize()} has no secret field {kebab(field)!r}"
                f"{_suggest(kebab(field), map(kebab, secret_fields))}; its secret fields are "
                f"{_one_of(map(kebab, secret_fields))}.")
        checked_secrets[field] = _check_reference(name, field, ref)
    checked_settings: dict[str, str] = {}
    for raw, value in (settings or {}).items():
        field = snake(str(raw))
        if kebab(field) in SECRET_FIELDS:
            raise SecretError(f"{kebab(field)} is a secret, so --set cannot carry it; give a "
                              f"reference as --secret {kebab(field)}=env:NAME (or keyring:NAME, "
                              "prompt).")
        if field not in setting_fields:
            raise AuthConfigError(
                f"{for_type.capitalize()} has no connection setting {kebab(field)!r}"
                f"{_suggest(kebab(field), map(kebab, setting_fields))}; its settings are "
                f"{_one_of(map(kebab, setting_fields))}.")
        if not isinstance(value, str) or not value or any(c in value for c in "\r\n\x00"):
            raise AuthConfigError(f"--set {kebab(field)} needs a one-line, non-empty value.")
        checked_settings[field] = value
    if kind is not None:
        cls = _auth_class(kind)
        need = [f for f in connection_secret_fields(auth)
                if f not in checked_secrets and f not in cls.optional_secret_fields]
        if need:
            flags = " ".join(f"--secret {kebab(f)}=REF" for f in need)
            raise AuthConfigError(f"Connection {name!r} needs {flags} for auth type {kind} "
                                  "(REF is env:NAME, keyring:NAME or prompt).")
        need = [f for f in _REQUIRED_SETTINGS.get(kind, ()) if f not in checked_settings]
        if need:
            flags = " ".join(f"--set {kebab(f)}=VALUE" for f in need)
            raise AuthConfigError(f"Connection {name!r} needs {flags} for auth type {kind}.")
    return Connection(name=name, base_url=base_url, secrets=checked_secrets,
                      settings=checked_settings, default=bool(default))


def _pair(option: str, value: str | None, pos: int) -> tuple[str, str]:
    if value is None:
        raise AuthConfigError(f"--{option} needs FIELD=VALUE; write --{option} FIELD=VALUE.")
    field, eq, rest = value.partition("=")
    if not eq or not field.strip():
        # the whole word may be a secret typed by mistake: it is not repeated
        raise AuthConfigError(f"The value after --{option} (argument {pos + 2}) is not "
                              f"FIELD=VALUE; write --{option} FIELD=VALUE, e.g. "
                              + ("--secret password=env:API_PASSWORD."
                                 if option == "secret" else "--set username=ada."))
    return field.strip(), rest


def connection_from_args(name: str, args: Sequence[str], *,
                         auth: AuthConfig | str | None = None,
                         base_url: str | None = None) -> Connection:
    """A connection from ``NAME`` and the words after it.

    Options: ``--base-url URL`` (default ``base_url``, the connector's), ``--secret
    FIELD=REF`` and ``--set FIELD=VALUE`` (repeatable), ``--default``. A secret given as a
    value rather than a reference raises :class:`~nbconnect.errors.SecretError` whose
    message shows how to pass a reference and never repeats the value.
    """
    if not isinstance(name, str) or not name or name.startswith("-"):
        raise AuthConfigError("The connection needs a name first: connection add NAME "
                              "--base-url URL [--secret FIELD=REF]...")
    secrets: dict[str, str] = {}
    settings: dict[str, str] = {}
    default = False
    url = None
    valid = [opt for opt, _, _ in CONNECTION_OPTIONS]
    for flag, value, pos in _split_flags(args, f"connection {name}"):
        option = "--" + flag
        if option == "--default":
            if value is not None:
                raise AuthConfigError(f"--default takes no value (argument {pos + 2} is "
                                      "unexpected); write --default alone.")
            default = True
        elif option == "--base-url":
            if value is None:
                raise AuthConfigError("--base-url needs a URL; write --base-url URL.")
            if url is not None:
                raise AuthConfigError("--base-url is given twice; give it once.")
            url = value
        elif option in ("--secret", "--set"):
            field, text = _pair(flag, value, pos)
            key = snake(field)
            target = secrets if flag == "secret" else settings
            if key in secrets or key in settings:
                raise AuthConfigError(f"{kebab(key)} is given twice; give it once.")
            target[key] = text
        else:
            if kebab(flag) in SECRET_FIELDS:
                raise SecretError(f"--{kebab(flag)} is not an option of connection add; give "
                                  f"the secret as a reference: --secret {kebab(flag)}=env:NAME "
                                  "(or keyring:NAME, prompt).")
            raise AuthConfigError(f"connection add has no option {option}"
                                  f"{_suggest(option, valid)}; its options are "
                                  f"{_one_of(valid)}.")
    return make_connection(name, base_url=url or base_url, secrets=secrets, settings=settings,
                           default=default, auth=auth)


# --------------------------------------------------------------------------- option values
# argparse ``type=`` functions shared by the magics and the CLI, so both read a size, a
# timeout, a count or a port the same way.


def size_arg(text: str) -> int:
    """A byte count with an optional K/M/G (1024-based) suffix: ``1000000``, ``50M``."""
    m = re.fullmatch(r"\s*([\d_]+)\s*([kmg]i?b?|b)?\s*", text, re.IGNORECASE)
    if not m or not m.group(1).strip("_"):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a size; give bytes such as 1000000 or 50M")
    factor = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[
        (m.group(2) or "")[:1].lower()]
    value = int(m.group(1).replace("_", "")) * factor
    if value <= 0:
        raise argparse.ArgumentTypeError("the size must be positive")
    return value


def seconds_arg(text: str) -> float:
    """A positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("the timeout must be a positive number of seconds")
    return value


def count_arg(text: str) -> int:
    """A whole number of at least 1 (a concurrency)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("the concurrency must be at least 1")
    return value


def port_arg(text: str) -> int:
    """A TCP port, 0 meaning a free one."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is a number from 0 to 65535 (0: a free one)")
    return value


#: names that moved out of this module, and the module that holds them now
_MOVED = {
    "add_connection": "nbconnect.verbs.connection",
    "get_connection": "nbconnect.verbs.connection",
    "login_connection": "nbconnect.verbs.connection",
    "remove_connection": "nbconnect.verbs.connection",
    "set_default_connection": "nbconnect.verbs.connection",
    "check_param_names": "nbconnect.verbs.test",
    "parse_param_value": "nbconnect.verbs.test",
    "parse_param_values": "nbconnect.verbs.test",
    "connections_table": "nbconnect.render",
}


def __getattr__(name: str) -> Any:
    """The moved names, still importable from here (loaded on first use)."""
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
