"""Auth flows: turn an auth config plus resolved secrets into an ``httpx2.Auth``.

:func:`build_auth` dispatches on the config type: API key (header, query or cookie; several
keys at once with :class:`ApiKeysFlow`),
HTTP Basic (RFC 7617), Bearer (RFC 6750) and JWT Bearer (signed with pyjwt) are the
small :class:`httpx2.Auth` classes below; the three OAuth2 types go to
:func:`nbconnect.auth.oauth.build_oauth2_auth`. :func:`client_for` gives a ready
``httpx2.Client`` for a connector's test connection: base URL from the connection,
secrets resolved from their references, the log redaction filter installed.

Every flow checks its secret when it is built (a value that cannot work raises
:class:`~nbconnect.errors.AuthConfigError` without echoing it), keeps it in a
:class:`~nbconnect.auth.secrets.Secret`, and shows ``***`` in its repr.

This module imports httpx2 (the flows subclass ``httpx2.Auth``); ``import nbconnect``
does not import this module. pyjwt and cryptography load only when a JWT flow is built.
"""

from __future__ import annotations

import difflib
import re
import threading
import time
import uuid
from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any

import httpx2

from ..errors import AuthConfigError, ConnectionNotFoundError
from ..model import (
    JWT_TIME_CLAIMS,
    ApiKeyAuth,
    AuthConfig,
    BasicAuth,
    BearerAuth,
    Connection,
    Connector,
    JwtAuth,
    auth_from_dict,
    jwt_time_value,
)
from . import secrets as nbsecrets
from .secrets import Secret

if TYPE_CHECKING:
    from .secrets import PromptFn

__all__ = [
    "ApiKeyFlow",
    "ApiKeysFlow",
    "BasicFlow",
    "BearerFlow",
    "JwtFlow",
    "basic_credentials",
    "build_auth",
    "client_for",
    "find_connection",
]

MASK = "***"
#: a cached JWT is re-signed this many seconds (at most) before its ``exp``
JWT_RESIGN_MARGIN = 30.0
_HMAC_MIN_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}
_EC_CURVES = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}
_MIN_RSA_BITS = 2048
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_COOKIE_BAD_RE = re.compile(r"[\s\",;\\\x00-\x1f\x7f]")


def _as_secret(value: Secret | str, name: str) -> Secret:
    secret = value if isinstance(value, Secret) else Secret(str(value), name)
    nbsecrets.register(secret)
    return secret


def _check_header_value(value: str, what: str) -> None:
    """Refuse a secret that cannot travel in an HTTP header (never echoing it)."""
    if re.search(r"[\r\n]", value):
        raise AuthConfigError(f"{what} contains a line break (CR/LF), which could inject HTTP "
                              "headers; check where the secret comes from and remove it.")
    if _CONTROL_RE.search(value):
        raise AuthConfigError(f"{what} contains control characters, which cannot be sent in "
                              "an HTTP header; check where the secret comes from.")
    if not value.isascii():
        raise AuthConfigError(f"{what} contains non-ASCII characters, which cannot be sent in "
                              "an HTTP header; check where the secret comes from.")
    if not value.strip():
        raise AuthConfigError(f"{what} is empty; set the secret to the real value.")


# --------------------------------------------------------------------------- API key


class ApiKeyFlow(httpx2.Auth):
    """API key in a header, a query parameter or a cookie named ``key``."""

    def __init__(self, key: str, value: Secret | str, add_to: str = "header") -> None:
        config = ApiKeyAuth(key=key, add_to=add_to)  # validates key and add_to
        self.key = config.key
        self.add_to = config.add_to
        self._value = _as_secret(value, "value")
        raw = self._value.reveal()
        what = "The API key value (secret 'value')"
        if self.add_to == "query":
            if re.search(r"[\r\n]", raw):
                raise AuthConfigError(f"{what} contains a line break (CR/LF); check where the "
                                      "secret comes from and remove it.")
            if not raw:
                raise AuthConfigError(f"{what} is empty; set the secret to the real value.")
            nbsecrets.register_query_name(self.key)
        else:
            _check_header_value(raw, what)
            if self.add_to == "cookie" and _COOKIE_BAD_RE.search(raw):
                raise AuthConfigError(f"{what} contains blanks, quotes, ',', ';' or '\\', which "
                                      "a cookie value cannot hold (RFC 6265); check the secret.")

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, Any, None]:
        self.apply(request)
        yield request

    def apply(self, request: httpx2.Request) -> None:
        """Put the key into ``request`` (header, query parameter or cookie)."""
        value = self._value.reveal()
        if self.add_to == "header":
            request.headers[self.key] = value
        elif self.add_to == "query":
            request.url = request.url.copy_set_param(self.key, value)
        else:
            pairs = [p for p in request.headers.get("cookie", "").split(";") if p.strip()
                     and p.strip().split("=", 1)[0] != self.key]
            request.headers["Cookie"] = "; ".join([*(p.strip() for p in pairs),
                                                   f"{self.key}={value}"])

    def __repr__(self) -> str:
        return f"ApiKeyFlow(key={self.key!r}, add_to={self.add_to!r}, value={MASK!r})"


class ApiKeysFlow(httpx2.Auth):
    """Several API keys sent together (an app id and an app key, a key and a secret):
    one :class:`ApiKeyFlow` per key, every one applied to every request."""

    def __init__(self, flows: list[ApiKeyFlow]) -> None:
        self.flows = tuple(flows)

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, Any, None]:
        for flow in self.flows:
            flow.apply(request)
        yield request

    def __repr__(self) -> str:
        return f"ApiKeysFlow({', '.join(map(repr, self.flows))})"


# --------------------------------------------------------------------------- Basic


def basic_credentials(username: str, password: str) -> str:
    """The RFC 7617 ``Basic`` credentials: base64 of UTF-8 ``username:password``.

    Refuses a username containing ``:`` and control characters in either part.
    """
    import base64

    if not isinstance(username, str) or not username:
        raise AuthConfigError("Basic auth needs a username; set it on the connection as the "
                              "setting username=NAME.", option="set")
    if ":" in username:
        raise AuthConfigError("Basic auth username contains ':', which RFC 7617 does not "
                              "allow (the first ':' ends the username); use a username "
                              "without ':'.")
    if _CONTROL_RE.search(username):
        raise AuthConfigError("Basic auth username contains control characters; remove them.")
    if _CONTROL_RE.search(password):
        raise AuthConfigError("Basic auth password (secret 'password') contains control "
                              "characters, which RFC 7617 does not allow; check where the "
                              "secret comes from.")
    raw = f"{username}:{password}".encode()
    return base64.b64encode(raw).decode("ascii")


class BasicFlow(httpx2.Auth):
    """HTTP Basic authentication (RFC 7617, UTF-8)."""

    def __init__(self, username: str, password: Secret | str) -> None:
        self._password = _as_secret(password, "password")
        token = basic_credentials(username, self._password.reveal())
        self.username = username
        self._header = Secret(f"Basic {token}", "basic")

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, Any, None]:
        request.headers["Authorization"] = self._header.reveal()
        yield request

    def __repr__(self) -> str:
        return f"BasicFlow(username={self.username!r}, password={MASK!r})"


# --------------------------------------------------------------------------- Bearer


class BearerFlow(httpx2.Auth):
    """``Authorization: Bearer <token>`` (RFC 6750)."""

    def __init__(self, token: Secret | str) -> None:
        self._token = _as_secret(token, "token")
        raw = self._token.reveal()
        _check_header_value(raw, "The bearer token (secret 'token')")
        if re.search(r"\s", raw):
            raise AuthConfigError("The bearer token (secret 'token') contains blanks, which "
                                  "RFC 6750 tokens cannot hold; check where the secret comes "
                                  "from.")

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, Any, None]:
        request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        yield request

    def __repr__(self) -> str:
        return f"BearerFlow(token={MASK!r})"


# --------------------------------------------------------------------------- JWT


def _jwt_key(algorithm: str, secret: str) -> Any:
    """The signing key for ``algorithm``: HMAC bytes or a cryptography private key."""
    what = f"The JWT secret for {algorithm} (secret 'secret')"
    if algorithm.startswith("HS"):
        raw = secret.encode("utf-8")
        if b"-----BEGIN" in raw:
            raise AuthConfigError(f"{what} is a PEM key, but {algorithm} needs a shared HMAC "
                                  "secret; use the shared secret, or pick an algorithm such as "
                                  "RS256 or ES256 for a private key.")
        need = _HMAC_MIN_BYTES[algorithm]
        if len(raw) < need:
            raise AuthConfigError(f"{what} is shorter than {need} bytes, too short to be safe "
                                  "(RFC 7518 section 3.2); use a longer random secret.")
        return raw
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    text = secret.strip()
    if "\\n" in text and "\n" not in text:  # a PEM squeezed into one env var line
        text = text.replace("\\n", "\n")
    head = re.search(r"-----BEGIN ([A-Z0-9 ]+)-----", text)
    if head is None:
        raise AuthConfigError(f"{what} is not a PEM private key; give the private key in PEM "
                              "form (-----BEGIN PRIVATE KEY-----).")
    if "PRIVATE KEY" not in head.group(1):
        raise AuthConfigError(f"{what} is a PEM {head.group(1).lower()}, not a private key; "
                              "sign with the private key (the server keeps the public one).")
    try:
        key = load_pem_private_key(text.encode("utf-8"), password=None)
    except TypeError:
        raise AuthConfigError(f"{what} is an encrypted private key; give an unencrypted PEM "
                              "private key.") from None
    except (ValueError, UnsupportedAlgorithm):
        raise AuthConfigError(f"{what} is not a readable PEM private key; check that the "
                              "whole key, with its BEGIN and END lines, is in the "
                              "secret.") from None
    if algorithm[:2] in ("RS", "PS"):
        if not isinstance(key, rsa.RSAPrivateKey):
            raise AuthConfigError(f"{what} is not an RSA private key, so it does not match "
                                  f"{algorithm}; use an RSA key or pick the algorithm that "
                                  "matches the key.")
        if key.key_size < _MIN_RSA_BITS:
            raise AuthConfigError(f"{what} is an RSA key under {_MIN_RSA_BITS} bits, too short "
                                  "to be safe; use a 2048-bit or larger key.")
    elif algorithm in _EC_CURVES:
        curve = _EC_CURVES[algorithm]
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != curve:
            raise AuthConfigError(f"{what} is not an EC private key on curve {curve}, so it "
                                  f"does not match {algorithm}; use a {curve} key or pick the "
                                  "algorithm that matches the key.")
    elif not isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        raise AuthConfigError(f"{what} is not an Ed25519 or Ed448 private key, so it does "
                              "not match EdDSA; use an Ed25519 key or pick the algorithm that "
                              "matches the key.")
    return key


class JwtFlow(httpx2.Auth):
    """JWT Bearer: a token signed with pyjwt from the config's payload template.

    Time claims (``iat``, ``nbf``, ``exp``, ``auth_time``) given as ``"now"`` or
    ``"+300s"`` are filled when a token is made, ``jti: "random"`` gets a fresh UUID.
    A token is reused until shortly before its ``exp`` (at most
    :data:`JWT_RESIGN_MARGIN` seconds, a tenth of its lifetime for short-lived tokens);
    a template without ``exp`` is signed once when it is static, else per request.
    ``clock`` (seconds since the epoch) may be replaced, e.g. in tests.
    """

    def __init__(self, config: JwtAuth, secret: Secret | str, *,
                 clock: Callable[[], float] = time.time) -> None:
        if not isinstance(config, JwtAuth):
            raise AuthConfigError(f"JwtFlow needs a JwtAuth config, not "
                                  f"{type(config).__name__}.")
        self.config = config
        self.clock = clock
        self._secret = _as_secret(secret, "secret")
        self._key = _jwt_key(config.algorithm, self._secret.reveal())
        self._lock = threading.Lock()
        self._token: Secret | None = None
        self._fresh_until: float | None = None
        self._static = not any(_is_dynamic(k, v) for k, v in config.payload)
        if config.add_to == "query" and config.query_name:
            nbsecrets.register_query_name(config.query_name)
        self.signed = 0  # how many tokens this flow has signed
        self.token()  # sign once now, so a key pyjwt refuses fails at build time

    def claims(self, now: float) -> dict[str, Any]:
        """The payload template filled at time ``now``."""
        out: dict[str, Any] = {}
        for claim, value in self.config.payload:
            if claim in JWT_TIME_CLAIMS:
                value = jwt_time_value(value, now)
            elif claim == "jti" and value == "random":
                value = uuid.uuid4().hex
            out[claim] = value
        return out

    def token(self) -> str:
        """The current token: the cached one while fresh, else a newly signed one."""
        import jwt

        with self._lock:
            now = self.clock()
            if self._token is not None and (
                    (self._fresh_until is not None and now < self._fresh_until)
                    or (self._fresh_until is None and self._static)):
                return self._token.reveal()
            claims = self.claims(now)
            try:
                token = jwt.encode(claims, self._key, algorithm=self.config.algorithm)
            except (jwt.PyJWTError, TypeError, ValueError) as exc:
                raise AuthConfigError(f"The JWT could not be signed with "
                                      f"{self.config.algorithm} ({type(exc).__name__}); check "
                                      "the payload and the key.") from None
            self.signed += 1
            exp = claims.get("exp")
            self._fresh_until = None
            if isinstance(exp, int | float) and not isinstance(exp, bool):
                lifetime = exp - now
                self._fresh_until = exp - min(JWT_RESIGN_MARGIN, lifetime / 10) \
                    if lifetime > 0 else now
            self._token = Secret(token, "jwt")
            return token

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, Any, None]:
        token = self.token()
        config = self.config
        if config.add_to == "query":
            request.url = request.url.copy_set_param(config.query_name, token)
        elif config.header_name:
            request.headers[config.header_name] = token
        else:
            request.headers["Authorization"] = f"Bearer {token}"
        yield request

    def __repr__(self) -> str:
        where = {"query": f", query_name={self.config.query_name!r}",
                 "header": f", header_name={self.config.header_name!r}"
                 if self.config.header_name else ""}[self.config.add_to]
        return (f"JwtFlow(algorithm={self.config.algorithm!r}, add_to={self.config.add_to!r}"
                f"{where}, secret={MASK!r})")


def _is_dynamic(claim: str, value: Any) -> bool:
    return (claim in JWT_TIME_CLAIMS and isinstance(value, str)) or \
        (claim == "jti" and value == "random")


# --------------------------------------------------------------------------- dispatch


def build_auth(config: AuthConfig | Mapping[str, Any] | None,
               secrets: Mapping[str, Secret | str] | None = None,
               settings: Mapping[str, str] | None = None, *,
               verify: Any = True) -> httpx2.Auth | None:
    """The ``httpx2.Auth`` for ``config`` with resolved ``secrets`` and connection ``settings``.

    ``secrets`` maps secret fields (``value``, ``password``, ``token``, ``secret``,
    ``client_secret``) to :class:`Secret` objects (or plain strings, Python API only);
    ``settings`` holds per-connection values (``username``, ``client_id``). ``None``
    means no auth. OAuth2 types are built by :func:`nbconnect.auth.oauth.build_oauth2_auth`
    (``verify`` is passed to its token requests).
    """
    if config is None:
        return None
    if isinstance(config, Mapping):
        config = auth_from_dict(config)
    if not isinstance(config, AuthConfig):
        raise AuthConfigError(f"The auth config must be an AuthConfig such as ApiKeyAuth, not "
                              f"{type(config).__name__}.")
    given = dict(secrets or {})
    conf = dict(settings or {})
    for value in given.values():
        nbsecrets.register(value)
    if config.type.startswith("oauth2-"):
        from .oauth import build_oauth2_auth

        return build_oauth2_auth(config, given, conf, verify=verify)

    def need(field: str, what: str = "") -> Secret:
        value = given.get(field)
        if value is None:
            raise AuthConfigError(f"{config.label} auth needs the secret {field!r}{what}; give "
                                  f"it on the connection as a reference such as {field}=env:NAME "
                                  "(or keyring:NAME, prompt).", option="secret")
        return _as_secret(value, field)

    if isinstance(config, ApiKeyAuth):
        if not config.extra_keys:
            return ApiKeyFlow(config.key, need("value"), config.add_to)
        return ApiKeysFlow([ApiKeyFlow(key, need(field, f" (the {key} {add_to} key)"), add_to)
                            for key, add_to, field in config.keys])
    if isinstance(config, BasicAuth):
        username = conf.get("username")
        if not username:
            raise AuthConfigError("Basic auth needs a username; set it on the connection as "
                                  "the setting username=NAME.", option="set")
        return BasicFlow(username, need("password"))
    if isinstance(config, BearerAuth):
        return BearerFlow(need("token"))
    if isinstance(config, JwtAuth):
        return JwtFlow(config, need("secret"))
    raise AuthConfigError(f"Auth type {config.type!r} has no flow; pick one of api-key, basic, "
                          "bearer, jwt, oauth2-code, oauth2-password, oauth2-client-credentials.")


# --------------------------------------------------------------------------- connections


def find_connection(connector: Connector, name: str | None = None) -> Connection:
    """The connection called ``name``, or the default (or only) one when ``name`` is None."""
    conns = tuple(connector.connections)
    if name is not None:
        for conn in conns:
            if conn.name == name:
                return conn
        names = [c.name for c in conns]
        close = difflib.get_close_matches(str(name), names, n=3)
        hint = (f"did you mean {', '.join(close)}?" if close else
                f"its connections are {', '.join(names)}." if names else
                "add a test connection with that name first.")
        raise ConnectionNotFoundError(f"Connector {connector.name!r} has no connection "
                                      f"{name!r}; {hint}", option="connection")
    if not conns:
        raise ConnectionNotFoundError(
            f"Connector {connector.name!r} has no test connection; add one with a name, a "
            "base URL and references to its secrets.")
    for conn in conns:
        if conn.default:
            return conn
    if len(conns) == 1:
        return conns[0]
    raise ConnectionNotFoundError(
        f"Connector {connector.name!r} has {len(conns)} connections "
        f"({', '.join(c.name for c in conns)}) and none is the default; name one "
        "or mark one as the default.", option="connection")


def client_for(connector: Connector, connection: str | Connection | None = None, *,
               prompt: PromptFn | None = None, verify: Any = True,
               timeout: float | httpx2.Timeout = 10.0,
               transport: httpx2.BaseTransport | None = None,
               limits: httpx2.Limits | None = None,
               authenticate: bool = True) -> httpx2.Client:
    """An ``httpx2.Client`` that calls ``connector``'s API through a test connection.

    ``connection`` is a name, a :class:`Connection`, or ``None`` for the default (or
    only) one; a connector without connections and without auth uses its own base URL.
    The connection's secret references are resolved (``prompt`` asks for ``prompt``
    references), every value is registered for redaction and the log filter is
    installed. ``verify`` is passed to httpx2 (an ``ssl.SSLContext`` for a private CA).
    Redirects are not followed, so a credential never travels to another host.
    ``transport`` (an httpx2 transport, e.g. record/replay) and ``limits`` (an
    ``httpx2.Limits``) are handed to the client when given. ``authenticate=False``
    resolves no secret and sends no credential (replaying recorded exchanges needs none).
    """
    extra: dict[str, Any] = {}
    if transport is not None:
        extra["transport"] = transport
    if limits is not None:
        extra["limits"] = limits
    config = connector.auth
    nbsecrets.install_log_filter()
    if connection is None and not connector.connections and config is None:
        if not connector.base_url:
            raise ConnectionNotFoundError(
                f"Connector {connector.name!r} has no base URL and no test connection; set "
                "the base URL or add a test connection with a base URL.")
        return httpx2.Client(base_url=connector.base_url, verify=verify, timeout=timeout,
                             **extra)
    conn = connection if isinstance(connection, Connection) else \
        find_connection(connector, connection)
    auth = None
    if config is not None and authenticate:
        resolved = nbsecrets.resolve_connection(
            conn, config.secret_fields, prompt=prompt,
            optional=config.optional_secret_fields)
        settings = dict(conn.settings)
        auth = build_auth(config, resolved, settings, verify=verify)
    return httpx2.Client(base_url=conn.base_url, auth=auth, verify=verify, timeout=timeout,
                         **extra)
