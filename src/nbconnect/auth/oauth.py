"""OAuth2 for connectors: get, cache and refresh access tokens, and sign requests with them.

Three grants, all through authlib's httpx2 client
(``authlib.integrations.httpx_client.OAuth2Client``), which builds and parses the token
requests; this module adds caching, refresh, the interactive part of the authorization
code flow, and error messages people can act on.

* :func:`build_oauth2_auth` - an :class:`OAuth2TokenAuth` (an ``httpx2.Auth``) for any of
  the three OAuth2 configs. It fetches a token on the first request (client credentials or
  password grant), keeps it in memory, refreshes it ``leeway`` seconds before it expires
  (``refresh_token`` grant at ``refresh_url`` or ``token_url`` when the server gave a
  refresh token, else a new grant) and once when the API answers 401 (the request is then
  sent again, once).
* :func:`authorize_code` - the authorization code grant with PKCE S256 and ``state``: the
  authorization URL goes to ``open_url`` (a notebook shows a link, a terminal prints it);
  the redirect arrives on a one-shot loopback listener at
  ``http://127.0.0.1:<port>/callback`` (RFC 8252) or is pasted by the user (``paste``, for
  remote kernels). ``state`` is checked, ``iss`` too when the redirect carries it and the
  issuer is known (RFC 9207). Then the identity endpoint labels the token.
* Tokens are cached in memory per (grant, token URL, client id, username), so an
  authorization-code token obtained once is reused by later :func:`build_oauth2_auth`
  calls for the same connection; :func:`clear_token_cache` forgets them all.

Client authentication (``client_auth``): ``basic`` is HTTP Basic of ``id:secret``
(authlib's ``client_secret_basic``), ``body`` puts both in the form
(``client_secret_post``), ``basic-form-encoded`` form-urlencodes id and secret before
Basic as RFC 6749 §2.3.1 asks (registered with authlib as
``client_secret_basic_form``); servers disagree on the last two, hence the option.

The identity endpoint (``identity_endpoint`` of :class:`~nbconnect.model.OAuth2Code`) is
either an absolute URL or a path joined to ``identity_base_url`` (the connection's API
base URL, which the caller passes); ``identity_param`` names the response field (dots
walk into objects: ``profile.email``).

Secrets never reach a repr, a message or a log line here: :class:`TokenInfo` and
:class:`OAuth2TokenAuth` mask their tokens, error messages show the RFC 6749 ``error`` and
``error_description`` (with any known secret replaced by ``***``), and every token and
secret is registered with :mod:`nbconnect.auth.secrets` for redaction when that module is
there. httpx2 and authlib are imported only when first used.
"""

from __future__ import annotations

import base64
import functools
import http.server
import secrets as _stdlib_secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote_plus, urljoin, urlsplit, urlunsplit

from ..errors import AuthConfigError, OAuthError, clip
from ..model.urls import is_loopback_host

if TYPE_CHECKING:
    import httpx2

    from ..model import OAuth2ClientCredentials, OAuth2Code, OAuth2Password

    OAuth2Config = OAuth2Code | OAuth2Password | OAuth2ClientCredentials

__all__ = [
    "DEFAULT_LEEWAY",
    "OAuth2TokenAuth",  # noqa: F822 - built on first use (module __getattr__)
    "TokenInfo",
    "authorize_code",
    "build_oauth2_auth",
    "cached_token",
    "clear_token_cache",
    "pkce_challenge",
    "pkce_verifier",
]

#: refresh this many seconds before a token expires
DEFAULT_LEEWAY = 60.0

_CLIENT_AUTH = {
    "basic": "client_secret_basic",
    "body": "client_secret_post",
    "basic-form-encoded": "client_secret_basic_form",
}
_GRANTS = {
    "oauth2-client-credentials": "client_credentials",
    "oauth2-password": "password",
    "oauth2-code": "authorization_code",
}
_MASK = "***"


# --------------------------------------------------------------------------- helpers


def _reveal(value: Any) -> str | None:
    """The plain text of a ``Secret`` (``.reveal()``) or a string; ``None`` stays."""
    if value is None:
        return None
    reveal = getattr(value, "reveal", None)
    return reveal() if callable(reveal) else str(value)


def _register(*values: str | None) -> None:
    """Tell the redactor about secret values (when ``nbconnect.auth.secrets`` exists)."""
    try:
        from . import secrets as _secrets

        register = _secrets.register
    except (ImportError, AttributeError):
        return
    for value in values:
        if value:
            register(value)


def _scrub(text: str, values: tuple[str | None, ...]) -> str:
    """``text`` with each known secret value (and its URL/Basic encodings) as ``***``."""
    for value in values:
        if value and len(value) >= 3:
            for form in (value, quote_plus(value), base64.b64encode(value.encode()).decode()):
                text = text.replace(form, _MASK)
    try:
        from . import secrets as _secrets

        text = _secrets.redact(text)
    except (ImportError, AttributeError):
        pass
    return text


def pkce_verifier() -> str:
    """A fresh PKCE code verifier (RFC 7636 §4.1: 43-128 unreserved characters)."""
    from authlib.common.security import generate_token

    return generate_token(64)


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of ``verifier`` (RFC 7636 §4.2), via authlib."""
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    return create_s256_code_challenge(verifier)


def _encode_client_secret_basic_form(client: Any, method: str, uri: str, headers: Any,
                                     body: Any) -> tuple[str, Any, Any]:
    """authlib client auth method: RFC 6749 §2.3.1 (form-urlencode, then Basic)."""
    text = f"{quote_plus(client.client_id)}:{quote_plus(client.client_secret or '')}"
    headers["Authorization"] = "Basic " + base64.b64encode(text.encode("utf-8")).decode()
    return uri, headers, body


# --------------------------------------------------------------------------- TokenInfo


class TokenInfo:
    """An OAuth2 token held in memory; its repr never shows the token values.

    ``token_type``, ``expires_in`` (the lifetime the server gave, seconds), ``expires_at``
    (epoch seconds or ``None``), ``scope`` and ``identity`` (the identity endpoint's label)
    are plain attributes; the access and refresh tokens are reached only through
    :meth:`reveal_access_token` / :meth:`reveal_refresh_token`.
    """

    __slots__ = ("_access_token", "_refresh_token", "expires_at", "expires_in", "identity",
                 "scope", "token_type")

    def __init__(self, access_token: str, *, token_type: str = "Bearer",
                 expires_in: int | None = None, expires_at: float | None = None,
                 scope: str | None = None, refresh_token: str | None = None,
                 identity: str | None = None) -> None:
        self._access_token = access_token
        self._refresh_token = refresh_token
        self.token_type = token_type
        self.expires_in = expires_in
        self.expires_at = expires_at
        self.scope = scope
        self.identity = identity
        _register(access_token, refresh_token)

    @classmethod
    def from_response(cls, data: Mapping[str, Any], *, now: float,
                      previous: TokenInfo | None = None) -> TokenInfo:
        """Build from a token endpoint's JSON; keeps ``previous``'s refresh token if none."""
        access = data.get("access_token")
        if not isinstance(access, str) or not access:
            raise OAuthError("The token endpoint answered without an access_token; check "
                             "the access token URL and the grant settings.")
        token_type = str(data.get("token_type") or "Bearer")
        if token_type.lower() != "bearer":
            raise OAuthError(f"The token endpoint issued a {clip(token_type, 40)!r} token, "
                             "but only Bearer tokens are supported; ask the provider for "
                             "Bearer tokens.")
        expires_in: int | None = None
        try:
            if data.get("expires_in") is not None:
                expires_in = int(data["expires_in"])
        except (TypeError, ValueError):
            expires_in = None
        expires_at = now + expires_in if expires_in is not None else None
        if data.get("expires_at") is not None and expires_in is None:
            try:
                expires_at = float(data["expires_at"])
            except (TypeError, ValueError):
                expires_at = None
        refresh = data.get("refresh_token")
        if not isinstance(refresh, str) or not refresh:
            refresh = previous._refresh_token if previous is not None else None
        scope = data.get("scope")
        if scope is None and previous is not None:
            scope = previous.scope
        return cls(access, token_type="Bearer", expires_in=expires_in, expires_at=expires_at,
                   scope=scope if isinstance(scope, str) else None, refresh_token=refresh,
                   identity=previous.identity if previous is not None else None)

    def reveal_access_token(self) -> str:
        """The access token itself (for an ``Authorization`` header; never print it)."""
        return self._access_token

    def reveal_refresh_token(self) -> str | None:
        """The refresh token, if the server gave one (a secret like the access token)."""
        return self._refresh_token

    @property
    def has_refresh_token(self) -> bool:
        return self._refresh_token is not None

    def expires_soon(self, leeway: float = 0.0, *, now: float | None = None) -> bool:
        """True when the token expires within ``leeway`` seconds (never, without expiry)."""
        if self.expires_at is None:
            return False
        return (time.time() if now is None else now) >= self.expires_at - leeway

    def __repr__(self) -> str:
        parts = [f"token_type={self.token_type!r}"]
        if self.expires_in is not None:
            parts.append(f"expires_in={self.expires_in}")
        if self.scope:
            parts.append(f"scope={self.scope!r}")
        if self.identity is not None:
            parts.append(f"identity={self.identity!r}")
        parts.append(f"access_token={_MASK!r}")
        if self._refresh_token is not None:
            parts.append(f"refresh_token={_MASK!r}")
        return f"TokenInfo({', '.join(parts)})"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("TokenInfo holds secrets and cannot be pickled or copied to disk.")


# --------------------------------------------------------------------------- token cache

_CACHE: dict[tuple[str, str, str, str], TokenInfo] = {}
_CACHE_LOCK = threading.Lock()


def clear_token_cache() -> None:
    """Forget every cached OAuth2 token."""
    with _CACHE_LOCK:
        _CACHE.clear()


def cached_token(config: OAuth2Config, settings: Mapping[str, str] | None = None
                 ) -> TokenInfo | None:
    """The cached token for this config and connection settings, if there is one."""
    settings = settings or {}
    client_id = settings.get("client_id") or config.client_id or ""
    with _CACHE_LOCK:
        return _CACHE.get(_cache_key(_GRANTS[config.type], config.token_url, client_id,
                                     settings.get("username")))


def _cache_key(grant: str, token_url: str, client_id: str, username: str | None
               ) -> tuple[str, str, str, str]:
    return (grant, token_url, client_id, username or "")


# --------------------------------------------------------------------------- credentials


class _Credentials:
    """What a token request needs: config values plus resolved secrets (masked repr)."""

    def __init__(self, config: OAuth2Config, secrets: Mapping[str, Any],
                 settings: Mapping[str, str], *, verify: Any, timeout: float) -> None:
        kind = getattr(config, "type", None)
        if kind not in _GRANTS:
            raise AuthConfigError(f"Auth type {kind!r} is not an OAuth2 type; use "
                                  f"{', '.join(_GRANTS)}.")
        self.kind: str = kind
        self.grant = _GRANTS[kind]
        if not config.token_url:
            raise AuthConfigError(f"The {kind} auth has no access token URL; set token_url "
                                  "(--token-url) to the provider's token endpoint.")
        self.token_url: str = config.token_url
        self.refresh_url: str = config.refresh_url or config.token_url
        self.client_id: str = str(settings.get("client_id") or config.client_id or "")
        if not self.client_id:
            raise AuthConfigError(f"The {kind} auth has no client id; set client_id "
                                  "(--client-id) on the auth or --set client_id=... on the "
                                  "connection.")
        self.client_secret = _reveal(secrets.get("client_secret"))
        if self.grant == "client_credentials" and not self.client_secret:
            raise AuthConfigError("The oauth2-client-credentials auth needs a client secret; "
                                  "add --secret client_secret=env:NAME to the connection.")
        self.scope = config.scope or None
        self.client_auth = config.client_auth
        self.username: str | None = settings.get("username") or None
        self.password = _reveal(secrets.get("password"))
        if self.grant == "password":
            if not self.username:
                raise AuthConfigError("The oauth2-password auth needs a username; add --set "
                                      "username=NAME to the connection.")
            if not self.password:
                raise AuthConfigError("The oauth2-password auth needs a password; add "
                                      "--secret password=env:NAME to the connection.")
        self.verify = verify
        self.timeout = timeout
        _register(self.client_secret, self.password)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return _cache_key(self.grant, self.token_url, self.client_id, self.username)

    @property
    def secret_values(self) -> tuple[str | None, ...]:
        return (self.client_secret, self.password)

    def __repr__(self) -> str:
        return (f"_Credentials(kind={self.kind!r}, client_id={self.client_id!r}, "
                f"client_secret={_MASK!r})")

    def __reduce__(self) -> Any:
        raise TypeError("OAuth2 credentials hold secrets and cannot be pickled.")


def _token_request(creds: _Credentials, *, refresh: TokenInfo | None = None,
                   previous: TokenInfo | None = None, **params: Any) -> TokenInfo:
    """One request to the token endpoint through authlib; OAuthError on any failure.

    ``refresh`` set: the refresh_token grant at ``refresh_url``; otherwise the
    credentials' grant at ``token_url`` with ``params`` (code, code_verifier, ...).
    """
    import httpx2
    from authlib.integrations.httpx_client import OAuth2Client
    from authlib.integrations.httpx_client import OAuthError as AuthlibOAuthError

    url = creds.refresh_url if refresh is not None else creds.token_url
    method = _CLIENT_AUTH[creds.client_auth] if creds.client_secret else "none"
    seen: dict[str, Any] = {}

    def remember(response: Any) -> Any:
        seen["status"] = response.status_code
        seen["type"] = response.headers.get("content-type", "").split(";")[0].strip()
        return response

    try:
        with OAuth2Client(client_id=creds.client_id, client_secret=creds.client_secret,
                          token_endpoint_auth_method=method, scope=creds.scope,
                          verify=creds.verify, timeout=creds.timeout,
                          follow_redirects=False) as client:
            client.register_client_auth_method(
                ("client_secret_basic_form", _encode_client_secret_basic_form))
            client.register_compliance_hook("access_token_response", remember)
            client.register_compliance_hook("refresh_token_response", remember)
            if refresh is not None:
                data = client.refresh_token(url, refresh_token=refresh.reveal_refresh_token())
            elif creds.grant == "password":
                data = client.fetch_token(url, grant_type="password",
                                          username=creds.username, password=creds.password)
            else:
                data = client.fetch_token(url, grant_type=creds.grant, **params)
            data = dict(data)
    except AuthlibOAuthError as exc:
        described = f" ({clip(exc.description)})" if exc.description else ""
        message = (f"The token endpoint refused the request: {exc.error}{described}; "
                   + _hint(exc.error, creds, refresh is not None))
        raise OAuthError(_scrub(message, creds.secret_values)) from None
    except httpx2.HTTPStatusError as exc:
        ctype = exc.response.headers.get("content-type", "").split(";")[0].strip()
        raise OAuthError(f"The token endpoint {url} answered HTTP "
                         f"{exc.response.status_code} ({ctype or 'no content type'}) "
                         "instead of a JSON token response; check the access token "
                         "URL.") from None
    except httpx2.HTTPError as exc:
        raise OAuthError(f"Could not reach the token endpoint {url} ({type(exc).__name__}); "
                         "check the URL, the network and the server's TLS "
                         "certificate.") from None
    except ValueError:
        status = seen.get("status", "?")
        ctype = seen.get("type") or "no content type"
        raise OAuthError(f"The token endpoint {url} answered HTTP {status} ({ctype}) "
                         "instead of a JSON token response; check the access token "
                         "URL.") from None
    return TokenInfo.from_response(data, now=time.time(), previous=previous or refresh)


def _hint(error: str, creds: _Credentials, refreshing: bool) -> str:
    if error == "invalid_client":
        return ("check the client id and secret, and the client authentication method "
                f"(now {creds.client_auth}; servers differ on basic, body and "
                "basic-form-encoded).")
    if error == "invalid_grant" and refreshing:
        return "the refresh token is no longer valid; authorize again."
    if error == "invalid_grant":
        return "check the username and password, or authorize again."
    if error == "invalid_scope":
        return "check the scope the client may ask for."
    if error == "unauthorized_client":
        return "enable this grant type for the client at the provider."
    return "check the OAuth2 settings of the auth and the connection."


# --------------------------------------------------------------------------- the Auth


class _TokenAuthCore:
    """The logic of :class:`OAuth2TokenAuth`, free of httpx2 so the module imports light."""

    requires_request_body = True  # the request is sent again after a 401

    def __init__(self, creds: _Credentials, *, leeway: float = DEFAULT_LEEWAY,
                 clock: Callable[[], float] = time.time) -> None:
        self._creds = creds
        self._leeway = leeway
        self._clock = clock
        self._lock = threading.Lock()
        #: grant types requested by this auth, in order (for tests and diagnostics)
        self.token_requests: list[str] = []

    @property
    def token(self) -> TokenInfo | None:
        """The cached token (masked repr), or ``None`` before the first request."""
        with _CACHE_LOCK:
            return _CACHE.get(self._creds.key)

    def _store(self, token: TokenInfo) -> TokenInfo:
        with _CACHE_LOCK:
            _CACHE[self._creds.key] = token
        return token

    def _new_token(self, previous: TokenInfo | None) -> TokenInfo:
        creds = self._creds
        if previous is not None and previous.has_refresh_token:
            self.token_requests.append("refresh_token")
            try:
                return self._store(_token_request(creds, refresh=previous))
            except OAuthError:
                if creds.grant == "authorization_code":
                    raise
        if creds.grant == "authorization_code":
            raise OAuthError("The authorization-code token for client "
                             f"{creds.client_id!r} is missing or expired and cannot be "
                             "refreshed; run the authorization again (authorize_code, or "
                             "the notebook's sign-in button).")
        self.token_requests.append(creds.grant)
        return self._store(_token_request(creds, previous=previous))

    def _leeway_for(self, token: TokenInfo) -> float:
        # a token that lives shorter than twice the leeway is refreshed at half-life,
        # not on every request
        if token.expires_in is not None:
            return min(self._leeway, token.expires_in / 2)
        return self._leeway

    def current_token(self) -> TokenInfo:
        """A token valid for at least ``leeway`` more seconds (fetched or refreshed)."""
        with self._lock:
            token = self.token
            if token is None or token.expires_soon(self._leeway_for(token),
                                                   now=self._clock()):
                token = self._new_token(token)
            return token

    def renew_after_401(self, used: TokenInfo) -> TokenInfo:
        """A fresh token after the API refused ``used`` (unless another request already
        replaced it)."""
        with self._lock:
            token = self.token
            if token is not None and token is not used:
                return token
            return self._new_token(token if token is not None else used)

    def auth_flow(self, request: httpx2.Request) -> Any:
        token = self.current_token()
        request.headers["Authorization"] = f"Bearer {token.reveal_access_token()}"
        response = yield request
        if response.status_code == 401:
            token = self.renew_after_401(token)
            request.headers["Authorization"] = f"Bearer {token.reveal_access_token()}"
            yield request

    async def async_auth_flow(self, request: httpx2.Request) -> Any:
        import asyncio

        await request.aread()
        token = await asyncio.to_thread(self.current_token)
        request.headers["Authorization"] = f"Bearer {token.reveal_access_token()}"
        response = yield request
        if response.status_code == 401:
            token = await asyncio.to_thread(self.renew_after_401, token)
            request.headers["Authorization"] = f"Bearer {token.reveal_access_token()}"
            yield request

    def __repr__(self) -> str:
        creds = self._creds
        token = self.token
        state = "no token yet" if token is None else repr(token)
        return (f"OAuth2TokenAuth(type={creds.kind!r}, client_id={creds.client_id!r}, "
                f"token_url={creds.token_url!r}, client_auth={creds.client_auth!r}, "
                f"{state})")

    def __reduce__(self) -> Any:
        raise TypeError("OAuth2TokenAuth holds secrets and cannot be pickled.")


@functools.cache
def _auth_class() -> type:
    import httpx2

    class OAuth2TokenAuth(_TokenAuthCore, httpx2.Auth):
        """``httpx2.Auth`` that adds ``Authorization: Bearer`` with a managed OAuth2 token.

        Fetches lazily, caches in memory, refreshes ``leeway`` seconds before expiry and
        once after a 401 (then resends the request once). ``token`` is the current
        :class:`TokenInfo`; ``token_requests`` lists the grants this auth asked for.
        """

    OAuth2TokenAuth.__module__ = __name__
    return OAuth2TokenAuth


def __getattr__(name: str) -> Any:
    if name == "OAuth2TokenAuth":
        return _auth_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def build_oauth2_auth(config: OAuth2Config, secrets: Mapping[str, Any],
                      settings: Mapping[str, str] | None = None, *, verify: Any = True,
                      timeout: float = 10.0, leeway: float = DEFAULT_LEEWAY,
                      clock: Callable[[], float] = time.time) -> httpx2.Auth:
    """An :class:`OAuth2TokenAuth` for an OAuth2 config and a connection's values.

    ``secrets`` maps ``client_secret`` (and ``password`` for the password grant) to a
    ``Secret`` or a string; ``settings`` may hold ``username`` and a per-connection
    ``client_id``. ``verify`` is passed to httpx2 (``True``, ``False`` or an
    ``ssl.SSLContext``). Nothing is requested until the first API request. For
    ``oauth2-code`` the token must come from :func:`authorize_code` first (it is cached);
    the first request fails with :class:`~nbconnect.errors.OAuthError` otherwise.
    Missing fields raise :class:`~nbconnect.errors.AuthConfigError` now.
    """
    creds = _Credentials(config, secrets, settings or {}, verify=verify, timeout=timeout)
    return _auth_class()(creds, leeway=leeway, clock=clock)


# --------------------------------------------------------------------------- code flow


class _Listener:
    """A one-shot HTTP listener on a loopback address for the authorization redirect."""

    def __init__(self, host: str, port: int, path: str) -> None:
        self.path = path
        self.result: str | None = None
        self.event = threading.Event()
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if urlsplit(self.path).path != listener.path or listener.event.is_set():
                    self.send_error(404)
                    return
                listener.result = self.path
                body = (b"<!doctype html><title>nbconnect</title><p>Authorization received."
                        b" You can close this tab and return to the notebook.</p>")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)
                listener.event.set()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the request line holds the authorization code: never print it

        try:
            self.server = http.server.HTTPServer((host, port), Handler)
        except OSError as exc:
            raise OAuthError(f"Cannot listen for the authorization redirect on {host}:{port} "
                             f"({exc.strerror or exc}); free that port or use a redirect URL "
                             "without a fixed port.") from None
        self.server.timeout = 0.2
        self.port: int = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       name=f"nbconnect-oauth-{self.port}", daemon=True)
        self.thread.start()

    def wait(self, timeout: float) -> str | None:
        self.event.wait(timeout)
        return self.result

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def _loopback_redirect(redirect_url: str | None) -> tuple[str, int, str, str]:
    """(bind host, port or 0, path, URL template) for the listener."""
    if not redirect_url:
        return "127.0.0.1", 0, "/callback", "http://127.0.0.1:{port}/callback"
    parts = urlsplit(redirect_url)
    if parts.scheme != "http" or not is_loopback_host(parts.hostname):
        raise AuthConfigError(
            f"The redirect URL {redirect_url!r} is not a loopback http URL, so this kernel "
            "cannot receive the redirect; use http://127.0.0.1:PORT/callback or pass "
            "paste= to paste the redirected URL.")
    host = parts.hostname or "127.0.0.1"
    bind = "127.0.0.1" if host == "localhost" else host
    shown = f"[{host}]" if ":" in host else host
    path = parts.path or "/"
    template = urlunsplit(("http", shown + ":{port}", path, "", ""))
    return bind, parts.port or 0, path, template


def _resolve_identity_url(endpoint: str, base: str | None) -> str:
    if urlsplit(endpoint).scheme:
        return endpoint
    if not base:
        raise AuthConfigError(
            f"The identity endpoint {endpoint!r} is a path, but no API base URL was given; "
            "pass identity_base_url (the connection's base URL) or use an absolute URL.")
    return urljoin(base.rstrip("/") + "/", endpoint.lstrip("/"))


def _dig(data: Any, param: str) -> Any:
    for part in param.split("."):
        if not isinstance(data, Mapping) or part not in data:
            return None
        data = data[part]
    return data


def _identity(url: str, param: str | None, token: TokenInfo, creds: _Credentials) -> str | None:
    import httpx2

    headers = {"Authorization": f"Bearer {token.reveal_access_token()}",
               "Accept": "application/json"}
    try:
        response = httpx2.get(url, headers=headers, verify=creds.verify,
                              timeout=creds.timeout)
    except httpx2.HTTPError as exc:
        raise OAuthError(f"Could not reach the identity endpoint {url} "
                         f"({type(exc).__name__}); check the URL.") from None
    if response.status_code >= 400:
        raise OAuthError(f"The identity endpoint {url} answered HTTP {response.status_code}; "
                         "check the identity endpoint path and the scope.")
    try:
        data = response.json()
    except ValueError:
        raise OAuthError(f"The identity endpoint {url} did not answer JSON; check the "
                         "identity endpoint path.") from None
    if not param:
        return None
    value = _dig(data, param)
    if value is None or isinstance(value, (dict, list)):
        raise OAuthError(f"The identity endpoint's response has no field {param!r} with a "
                         "plain value; set identity_param to one of its fields.")
    return str(value)


def _parse_redirect(url: str) -> dict[str, str]:
    text = url.strip()
    parts = urlsplit(text)
    query = parts.query if (parts.scheme or text.startswith("/")) else text.lstrip("?")
    params = dict(parse_qsl(query, keep_blank_values=True))
    if not params and parts.fragment:
        params = dict(parse_qsl(parts.fragment, keep_blank_values=True))
    return params


def authorize_code(config: OAuth2Code, secrets: Mapping[str, Any],
                   settings: Mapping[str, str] | None = None, *,
                   open_url: Callable[[str], Any] | None = None,
                   paste: Callable[[], str] | None = None, timeout: float = 120.0,
                   verify: Any = True, identity_base_url: str | None = None,
                   issuer: str | None = None, http_timeout: float = 10.0) -> TokenInfo:
    """Run the authorization code grant (PKCE S256 + state) and cache the token.

    ``open_url(url)`` gets the authorization URL (default: print it). The redirect is
    received by a one-shot listener on the loopback redirect URL (``redirect_url`` of the
    config when it is ``http://127.0.0.1:PORT/path``; a free port when it has none or is
    unset) and waited for ``timeout`` seconds; with ``paste`` (a callable returning the
    URL the browser landed on, for remote kernels) no listener is opened. The listener is
    closed and its port freed in every case. ``issuer`` (the server's RFC 8414 issuer,
    when known) is compared with an ``iss`` parameter in the redirect.

    After the token: ``identity_endpoint`` is called (an absolute URL, or a path joined
    to ``identity_base_url``) and ``identity_param`` of its JSON labels the token
    (``TokenInfo.identity``). Raises :class:`~nbconnect.errors.OAuthError` for a refused
    authorization (``access_denied``), a wrong ``state`` or ``iss``, no redirect in time
    and token-endpoint errors; :class:`~nbconnect.errors.AuthConfigError` for a config
    that cannot work. Nothing is cached unless every step succeeds.
    """
    settings = settings or {}
    if getattr(config, "type", None) != "oauth2-code":
        raise AuthConfigError("authorize_code needs an oauth2-code auth config; the other "
                              "OAuth2 types fetch their tokens without a browser.")
    creds = _Credentials(config, secrets, settings, verify=verify, timeout=http_timeout)
    if not config.authorization_url:
        raise AuthConfigError("The oauth2-code auth has no authorization URL; set "
                              "authorization_url (--authorization-url).")
    identity_url = (_resolve_identity_url(config.identity_endpoint, identity_base_url)
                    if config.identity_endpoint else None)

    listener: _Listener | None = None
    if paste is None:
        host, port, path, template = _loopback_redirect(config.redirect_url)
        listener = _Listener(host, port, path)
        redirect_uri = template.format(port=listener.port)
    else:
        redirect_uri = config.redirect_url or "http://127.0.0.1/callback"

    try:
        from authlib.integrations.httpx_client import OAuth2Client

        verifier = pkce_verifier()
        state = _stdlib_secrets.token_urlsafe(24)
        with OAuth2Client(client_id=creds.client_id, scope=creds.scope,
                          redirect_uri=redirect_uri, code_challenge_method="S256") as client:
            url, _ = client.create_authorization_url(config.authorization_url, state=state,
                                                     code_verifier=verifier)
        (open_url or _print_url)(url)
        if listener is not None:
            received = listener.wait(timeout)
            if received is None:
                raise OAuthError(f"No authorization redirect arrived within {timeout:g} "
                                 "seconds; open the authorization URL again and approve, "
                                 "or paste the redirected URL.")
        else:
            assert paste is not None
            received = paste()
            if not isinstance(received, str) or not received.strip():
                raise OAuthError("No redirected URL was pasted; paste the full URL the "
                                 "browser shows after you approve.")
    finally:
        if listener is not None:
            listener.close()

    params = _parse_redirect(received)
    got_state = params.get("state")
    if got_state is not None and got_state != state:
        raise OAuthError("The authorization redirect carries a different state than the "
                         "request (a possible CSRF attempt or a stale tab); start the "
                         "authorization again.")
    if "error" in params:
        described = params.get("error_description")
        detail = f" ({clip(described)})" if described else ""
        raise OAuthError(f"The authorization server refused the authorization: "
                         f"{clip(params['error'], 60)}{detail}; approve the request, or "
                         "check the client's scope and redirect URL.")
    if got_state is None:
        raise OAuthError("The authorization redirect has no state parameter; start the "
                         "authorization again and paste the complete redirected URL.")
    iss = params.get("iss")
    if iss is not None and issuer is not None and iss != issuer:
        raise OAuthError(f"The authorization redirect comes from issuer {clip(iss, 80)!r}, "
                         f"not {issuer!r} (a possible mix-up attack); start the "
                         "authorization again.")
    code = params.get("code")
    if not code:
        raise OAuthError("The authorization redirect has no code; start the authorization "
                         "again and paste the complete redirected URL.")

    token = _token_request(creds, code=code, code_verifier=verifier,
                           redirect_uri=redirect_uri)
    if identity_url is not None:
        token.identity = _identity(identity_url, config.identity_param, token, creds)
    with _CACHE_LOCK:
        _CACHE[creds.key] = token
    return token


def _print_url(url: str) -> None:
    print(f"Open this URL in a browser to authorize:\n{url}")

