"""Auth configs: the non-secret fields of one auth method, each validated when made.

``ApiKeyAuth``, ``BasicAuth``, ``BearerAuth``, ``JwtAuth`` and the three OAuth2 grants
(``OAuth2ClientCredentials``, ``OAuth2Password``, ``OAuth2Code``) are frozen values; a bad
field raises :class:`~nbconnect.errors.AuthConfigError` naming the field (``error.option``)
and nothing else changes. :func:`auth_from_dict` builds one from package data. How a config
signs requests lives in :mod:`nbconnect.auth`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import AuthConfigError, BaseUrlError
from .params import _HEADER_NAME_RE
from .urls import check_base_url

__all__ = [
    "API_KEY_ADD_TO",
    "AUTH_TYPES",
    "CLIENT_AUTH_METHODS",
    "JWT_ADD_TO",
    "JWT_ALGORITHMS",
    "JWT_TIME_CLAIMS",
    "ApiKeyAuth",
    "AuthConfig",
    "BasicAuth",
    "BearerAuth",
    "JwtAuth",
    "OAuth2ClientCredentials",
    "OAuth2Code",
    "OAuth2Password",
    "auth_from_dict",
    "jwt_time_value",
]

# Auth configs hold the non-secret fields of one auth method, each validated when the
# config is made (AuthConfigError naming the field; nothing else changes). Secret values
# (API key value, password, token, JWT secret, client secret) never belong to a config:
# test connections hold references to them, and per-connection non-secret values
# (username, a client_id that differs per connection) are connection settings.

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_LINE_BREAK_RE = re.compile(r"[\r\n]")
_RELATIVE_TIME_RE = re.compile(r"([+-])(\d{1,9})([smhd])\Z")
_TIME_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: JWT claims whose template value may be "now" or a relative time such as "+300s"
JWT_TIME_CLAIMS = ("iat", "nbf", "exp", "auth_time")


@dataclass(frozen=True)
class AuthConfig:
    """Base of the auth configs: the non-secret fields of one auth method.

    Secret values (API key value, password, token, JWT secret, client secret) are never
    part of the connector: they belong to test connections, as references.
    ``secret_fields`` names the secrets a connection must give, ``setting_fields`` the
    non-secret per-connection settings the type reads (``Connection.settings``).
    """

    type: ClassVar[str] = ""
    #: how messages name this auth type
    label: ClassVar[str] = ""
    #: secret fields this auth type needs from a connection
    secret_fields: ClassVar[tuple[str, ...]] = ()
    #: non-secret per-connection settings this auth type reads
    setting_fields: ClassVar[tuple[str, ...]] = ()
    #: secret fields a connection may leave out (a public OAuth2 client has no secret)
    optional_secret_fields: ClassVar[tuple[str, ...]] = ()

    def _set_fields(self) -> list[tuple[str, Any]]:
        """(name, value) of the fields that differ from their defaults, plus key fields."""
        out = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in _ALWAYS or (value is not None and value != f.default):
                out.append((f.name, value))
        return out

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        for name, value in self._set_fields():
            out[name] = list(value) if isinstance(value, tuple) else value
        return out

    def __repr__(self) -> str:
        parts = [f"{name}={value!r}" for name, value in self._set_fields()]
        return f"{type(self).__name__}({', '.join(parts)})"

    # -- validation helpers (raise AuthConfigError naming the field) ---------------------

    def _fail(self, message: str, option: str | None = None) -> AuthConfigError:
        """An AuthConfigError that starts with the auth type's label; ``option`` is the
        field the fix concerns."""
        return AuthConfigError(f"{self.label} {message}", option=option)

    def _text(self, name: str, *, required: bool = False, what: str = "") -> str | None:
        """The field ``name`` as a non-empty single-line string (or None when optional)."""
        value = getattr(self, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                desc = f"{what} ({name})" if what else name
                raise self._fail(f"auth needs {desc}; set it.", name)
            object.__setattr__(self, name, None)
            return None
        if not isinstance(value, str):
            raise self._fail(f"{name} must be text, not {type(value).__name__}; give it as a "
                             "string.", name)
        if _LINE_BREAK_RE.search(value):
            raise self._fail(f"{name} contains a line break (CR/LF), which could inject HTTP "
                             "headers; remove it.", name)
        if _CONTROL_RE.search(value):
            raise self._fail(f"{name} contains control characters; remove them.", name)
        return value

    def _token(self, name: str, *, required: bool = False, what: str = "") -> str | None:
        """A header or cookie name: an RFC 9110 token."""
        value = self._text(name, required=required, what=what)
        if value is not None and not _HEADER_NAME_RE.match(value):
            raise self._fail(f"{name} {value!r} is not a valid HTTP header or cookie name; use "
                             "letters, digits and -_.!#$%&'*+^`|~ only.", name)
        return value

    def _choice(self, name: str, allowed: tuple[str, ...], what: str) -> str:
        value = getattr(self, name)
        if value not in allowed:
            raise self._fail(f"{what} {value!r} is not one of {', '.join(allowed)}; pick one "
                             "of those.", name)
        return value

    def _url(self, name: str, what: str, *, required: bool = False,
             allow_query: bool = True) -> str | None:
        """An absolute https URL (http only to loopback hosts)."""
        value = self._text(name, required=required, what=f"the {what}")
        if value is None:
            return None
        url = value.strip()
        if re.search(r"\s", url):
            raise self._fail(f"{what} ({name}) contains blanks; remove them or "
                             "percent-encode them.", name)
        base, _, _ = url.partition("?") if allow_query else (url, "", "")
        try:
            check_base_url(base, what=f"{what} ({name})")
        except BaseUrlError as exc:
            raise self._fail(f"auth: {exc.message[:1].lower()}{exc.message[1:]}",
                             name) from None
        object.__setattr__(self, name, url)
        return url


_ALWAYS = {"key", "add_to", "token_url", "algorithm"}
API_KEY_ADD_TO = ("header", "query", "cookie")
JWT_ADD_TO = ("header", "query")
CLIENT_AUTH_METHODS = ("basic", "body", "basic-form-encoded")
JWT_ALGORITHMS = ("HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384",
                  "PS512", "ES256", "ES384", "ES512", "EdDSA")


@dataclass(frozen=True, repr=False)
class ApiKeyAuth(AuthConfig):
    """API key: ``key`` is the parameter name (e.g. ``X-API-Key``), not the key itself.

    ``add_to`` is ``header``, ``query`` or ``cookie``; the value is the connection's
    secret ``value``. An API that needs several keys at once (an app id and an app key,
    a key and a secret: one OpenAPI security requirement naming several apiKey schemes)
    lists the others in ``extra_keys`` as ``(key, add_to)`` pairs (mappings with ``key``
    and ``add_to`` are accepted too); their values are the connection's secrets
    ``value_2``, ``value_3``, ... in that order (see :attr:`keys`).
    """

    type: ClassVar[str] = "api-key"
    label: ClassVar[str] = "API key"
    secret_fields: ClassVar[tuple[str, ...]] = ("value",)
    key: str = "X-API-Key"
    add_to: str = "header"
    extra_keys: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        self._choice("add_to", API_KEY_ADD_TO, "add-to")
        what = "the parameter name"
        if self.add_to == "query":
            key = self._text("key", required=True, what=what)
            if key is not None and re.search(r"[{}]", key):
                raise self._fail(f"key {key!r} contains braces; rename it.", "key")
        else:
            self._token("key", required=True, what=what)
        extra = _key_pairs(self.extra_keys)
        seen = {_key_identity(self.key, self.add_to)}
        for key, add_to in extra:
            ApiKeyAuth(key=key, add_to=add_to)  # the same checks as the first key
            ident = _key_identity(key, add_to)
            if ident in seen:
                raise self._fail(f"auth sends the key {key!r} ({add_to}) twice; keep one.",
                                 "extra_keys")
            seen.add(ident)
        object.__setattr__(self, "extra_keys", extra)
        if extra:  # an instance attribute: the connection gives one secret per key
            object.__setattr__(self, "secret_fields",
                               ("value", *(f"value_{i}" for i in range(2, len(extra) + 2))))

    @property
    def keys(self) -> tuple[tuple[str, str, str], ...]:
        """Every key this auth sends: ``(key, add_to, secret field)``, the first one first."""
        pairs = ((self.key, self.add_to), *self.extra_keys)
        return tuple((k, a, f) for (k, a), f in zip(pairs, self.secret_fields, strict=True))

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.extra_keys:
            out["extra_keys"] = [{"key": k, "add_to": a} for k, a in self.extra_keys]
        return out


def _key_identity(key: str, add_to: str) -> tuple[str, str]:
    return (add_to, key.lower() if add_to == "header" else key)


def _key_pairs(value: object) -> tuple[tuple[str, str], ...]:
    """``extra_keys`` as ``(key, add_to)`` pairs (from pairs, mappings or header names)."""
    if value is None:
        return ()
    if isinstance(value, str | bytes | Mapping):
        value = [value]
    try:
        items = list(value)  # type: ignore[call-overload]
    except TypeError:
        items = [value]
    out: list[tuple[str, str]] = []
    for item in items:
        if isinstance(item, str):
            out.append((item, "header"))
        elif isinstance(item, Mapping) and set(item) <= {"key", "add_to", "add-to"}:
            out.append((item.get("key"), item.get("add_to", item.get("add-to", "header"))))
        elif isinstance(item, tuple | list) and len(item) == 2:
            out.append((item[0], item[1]))
        else:
            raise AuthConfigError("API key auth extra_keys must be a list of (key, add_to) "
                                  "pairs such as [('X-App-Key', 'header')]; fix them.",
                                  option="extra_keys")
    return tuple(out)


@dataclass(frozen=True, repr=False)
class BasicAuth(AuthConfig):
    """HTTP Basic (RFC 7617): the username is a connection setting, the password a secret."""

    type: ClassVar[str] = "basic"
    label: ClassVar[str] = "Basic"
    secret_fields: ClassVar[tuple[str, ...]] = ("password",)
    setting_fields: ClassVar[tuple[str, ...]] = ("username",)


@dataclass(frozen=True, repr=False)
class BearerAuth(AuthConfig):
    """Bearer token (RFC 6750); the token is the connection's secret ``token``."""

    type: ClassVar[str] = "bearer"
    label: ClassVar[str] = "Bearer"
    secret_fields: ClassVar[tuple[str, ...]] = ("token",)


def _jwt_payload(value: object) -> tuple[tuple[str, Any], ...]:
    """The JWT payload template as (claim, value) pairs; raise on anything but an object."""
    import json

    example = '{"sub": "ada", "iat": "now", "exp": "+300s"}'
    if value is None:
        return ()
    if isinstance(value, str):
        if not value.strip():
            return ()
        try:
            data = json.loads(value)
        except ValueError as exc:
            raise AuthConfigError(f"JWT auth: payload is not valid JSON "
                                  f"({getattr(exc, 'msg', exc)}); write a JSON object such as "
                                  f"{example}.", option="payload") from None
    elif isinstance(value, Mapping) or _is_pairs(value):
        data = dict(value)  # type: ignore[arg-type]
    else:
        data = value
    if not isinstance(data, dict):
        kind = {list: "an array", tuple: "an array", int: "a number", float: "a number",
                bool: "a boolean", str: "a string"}.get(type(data), type(data).__name__)
        raise AuthConfigError(f"JWT auth: payload must be a JSON object such as "
                              f"{example}, not {kind}.", option="payload")
    for claim, claim_value in data.items():
        if not isinstance(claim, str) or not claim:
            raise AuthConfigError(f"JWT auth: payload claim name {claim!r} is not a non-empty "
                                  "string; JSON object keys are strings.", option="payload")
        if claim in JWT_TIME_CLAIMS and not _is_time_template(claim_value):
            raise AuthConfigError(f"JWT auth: payload claim {claim!r} is {claim_value!r}; a "
                                  "time claim is a number of seconds since the epoch, \"now\" "
                                  "or a relative time such as \"+300s\" or \"-30s\".",
                                  option="payload")
    try:
        json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise AuthConfigError(f"JWT auth: payload is not plain JSON ({exc}); use strings, "
                              "numbers, booleans, null, arrays and objects.",
                              option="payload") from None
    return tuple(data.items())


def _is_pairs(value: object) -> bool:
    return isinstance(value, tuple) and all(isinstance(p, tuple) and len(p) == 2 for p in value)


def _is_time_template(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and (value == "now" or bool(_RELATIVE_TIME_RE.match(value)))


def jwt_time_value(value: int | float | str, now: float) -> int:
    """A JWT time claim template filled at time ``now``: ``"now"``, ``"+300s"`` or a number."""
    if isinstance(value, str):
        if value == "now":
            return int(now)
        match = _RELATIVE_TIME_RE.match(value)
        if match is None:
            raise AuthConfigError(f"JWT auth: time claim value {value!r} is not \"now\" or a "
                                  "relative time such as \"+300s\".")
        sign, amount, unit = match.groups()
        delta = int(amount) * _TIME_UNITS[unit]
        return int(now) + (delta if sign == "+" else -delta)
    return int(value)


@dataclass(frozen=True, repr=False)
class JwtAuth(AuthConfig):
    """JWT Bearer: a token signed from the ``payload`` template; the key is a secret.

    ``add_to`` is ``header`` (``Authorization: Bearer <jwt>``, or the raw token in the
    header ``header_name`` when one is given) or ``query`` (the parameter
    ``query_name``). ``payload`` is a JSON object (a dict or JSON text); the time claims
    ``iat``, ``nbf``, ``exp`` and ``auth_time`` may be ``"now"`` or relative such as
    ``"+300s"``, and ``jti`` may be ``"random"``; they are filled when each token is made.
    The connection's secret ``secret`` is the HMAC secret (HS*) or a PEM private key.
    """

    type: ClassVar[str] = "jwt"
    label: ClassVar[str] = "JWT"
    secret_fields: ClassVar[tuple[str, ...]] = ("secret",)
    algorithm: str = "HS256"
    add_to: str = "header"
    header_name: str | None = None
    query_name: str | None = None
    payload: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.algorithm, str) and self.algorithm.lower() == "none":
            raise self._fail("algorithm 'none' makes unsigned tokens that "
                             "anyone can forge; pick a signing algorithm such as HS256, RS256 "
                             "or ES256.", "algorithm")
        self._choice("algorithm", JWT_ALGORITHMS, "algorithm")
        self._choice("add_to", JWT_ADD_TO, "add-to")
        header = self._token("header_name")
        query = self._text("query_name")
        if self.add_to == "query":
            if header is not None:
                raise self._fail("auth has header_name set but add_to is query; drop "
                                 "header_name or set add_to to header.", "add_to")
            self._text("query_name", required=True, what="the query parameter that carries "
                       "the token")
        elif query is not None:
            raise self._fail("auth has query_name set but add_to is header; drop query_name "
                             "or set add_to to query.", "add_to")
        object.__setattr__(self, "payload", _jwt_payload(self.payload))

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.payload:
            out["payload"] = dict(self.payload)
        return out

    @property
    def payload_dict(self) -> dict[str, Any]:
        """The payload template as a dict."""
        return dict(self.payload)


@dataclass(frozen=True, repr=False)
class _OAuth2Base(AuthConfig):
    secret_fields: ClassVar[tuple[str, ...]] = ("client_secret",)
    setting_fields: ClassVar[tuple[str, ...]] = ("client_id",)
    token_url: str = ""
    client_id: str | None = None
    scope: str | None = None
    client_auth: str = "basic"
    refresh_url: str | None = None

    def __post_init__(self) -> None:
        self._url("token_url", "access token URL", required=True)
        self._text("client_id")
        self._text("scope")
        self._choice("client_auth", CLIENT_AUTH_METHODS, "client authentication (client_auth)")
        self._url("refresh_url", "refresh token URL")


@dataclass(frozen=True, repr=False)
class OAuth2ClientCredentials(_OAuth2Base):
    """OAuth2 client credentials grant."""

    type: ClassVar[str] = "oauth2-client-credentials"
    label: ClassVar[str] = "OAuth2 client credentials"


@dataclass(frozen=True, repr=False)
class OAuth2Password(_OAuth2Base):
    """OAuth2 resource-owner password grant ("passwordless credentials" in the reference).

    The username is a connection setting, the password a connection secret.
    """

    type: ClassVar[str] = "oauth2-password"
    label: ClassVar[str] = "OAuth2 password"
    secret_fields: ClassVar[tuple[str, ...]] = ("client_secret", "password")
    setting_fields: ClassVar[tuple[str, ...]] = ("client_id", "username")
    optional_secret_fields: ClassVar[tuple[str, ...]] = ("client_secret",)


@dataclass(frozen=True, repr=False)
class OAuth2Code(_OAuth2Base):
    """OAuth2 authorization code grant with PKCE S256 and ``state``.

    ``redirect_url`` defaults to a one-shot loopback listener; ``identity_endpoint`` (a
    path under the base URL, or an absolute URL) and ``identity_param`` (the response
    field, dotted for nested ones) label the connection after the token is obtained.
    """

    type: ClassVar[str] = "oauth2-code"
    label: ClassVar[str] = "OAuth2 authorization code"
    optional_secret_fields: ClassVar[tuple[str, ...]] = ("client_secret",)
    authorization_url: str = ""
    redirect_url: str | None = None
    identity_endpoint: str | None = None
    identity_param: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self._url("authorization_url", "authorization URL", required=True)
        self._url("redirect_url", "redirect URL", allow_query=False)
        endpoint = self._text("identity_endpoint")
        param = self._text("identity_param")
        if endpoint is not None:
            if endpoint.startswith("/"):
                if re.search(r"\s", endpoint):
                    raise self._fail("identity_endpoint contains blanks; percent-encode "
                                     "them.", "identity_endpoint")
            else:
                self._url("identity_endpoint", "identity endpoint")
        if (endpoint is None) != (param is None):
            missing = "identity_param" if param is None else "identity_endpoint"
            raise self._fail(f"auth needs {missing} too: the identity endpoint and the "
                             "response field that labels the connection go together, so set "
                             "both or neither.", missing)


AUTH_TYPES: dict[str, type[AuthConfig]] = {
    cls.type: cls
    for cls in (ApiKeyAuth, BasicAuth, BearerAuth, JwtAuth, OAuth2Code, OAuth2Password,
                OAuth2ClientCredentials)
}


def auth_from_dict(data: Mapping[str, Any] | None) -> AuthConfig | None:
    """Build an auth config from ``AuthConfig.to_dict`` output (kebab-case keys accepted)."""
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise AuthConfigError(f"An auth config must be a mapping with a type, not "
                              f"{type(data).__name__}.")
    kind = data.get("type")
    cls = AUTH_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise AuthConfigError(f"Auth type {kind!r} is not one of {', '.join(AUTH_TYPES)}; "
                              "pick one of those.")
    fields = {str(k).replace("-", "_"): v for k, v in data.items() if k != "type"}
    names = {f.name for f in dataclasses.fields(cls)}
    extra = sorted(set(fields) - names)
    if extra:
        secret = [n for n in extra if n in cls.secret_fields or n in _ALL_SECRET_FIELDS]
        setting = [n for n in extra if n in cls.setting_fields]
        if secret:
            raise AuthConfigError(
                f"Auth type {kind} has no field {secret[0]}: it is a secret, so give it on a "
                f"test connection as a reference such as {secret[0]}=env:NAME.",
                option="secret")
        if setting:
            raise AuthConfigError(
                f"Auth type {kind} has no field {setting[0]}: it is a setting of each test "
                f"connection, such as {setting[0]}=VALUE.", option="set")
        raise AuthConfigError(f"Auth type {kind} has no field(s) {', '.join(extra)}; its "
                              f"fields are {', '.join(sorted(names)) or 'none'}.")
    return cls(**fields)


_ALL_SECRET_FIELDS = {"value", "password", "token", "secret", "client_secret",
                      "refresh_token", "access_token"}
