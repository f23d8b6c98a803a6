"""OAuth2 for connectors: an ``httpx2.Auth`` that gets, caches and refreshes access tokens.

Three grants, all through authlib's httpx2 client; the parts live in modules of one job:

* :func:`build_oauth2_auth` (here) - an :class:`OAuth2TokenAuth` (an ``httpx2.Auth``) for
  any of the three OAuth2 configs. It fetches a token on the first request (client
  credentials or password grant), keeps it in memory, refreshes it ``leeway`` seconds
  before it expires (``refresh_token`` grant at ``refresh_url`` or ``token_url`` when the
  server gave a refresh token, else a new grant) and once when the API answers 401 (the
  request is then sent again, once).
* :mod:`nbconnect.auth.oauth_grants` - the credentials a grant needs and one token request
  (client authentication methods, PKCE, error messages people can act on).
* :mod:`nbconnect.auth.oauth_code` - :func:`authorize_code`, the authorization code grant
  with PKCE S256, ``state``, a one-shot loopback listener and the identity endpoint.
* :mod:`nbconnect.auth.oauth_tokens` - :class:`TokenInfo` and the in-memory token cache
  (:func:`cached_token`, :func:`clear_token_cache`).

This module re-exports the public names of those modules. Secrets never reach a repr, a
message or a log line: :class:`TokenInfo` and :class:`OAuth2TokenAuth` mask their tokens,
error messages show the RFC 6749 ``error`` and ``error_description`` (with any known secret
replaced by ``***``), and every token and secret is registered with
:mod:`nbconnect.auth.redaction`. httpx2 and authlib are imported only when first used.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import OAuthError
from .oauth_code import authorize_code
from .oauth_grants import Credentials, pkce_challenge, pkce_verifier, token_request
from .oauth_tokens import TokenInfo, cached_token, clear_token_cache, store_token, token_for

if TYPE_CHECKING:
    import httpx2

    from .oauth_tokens import OAuth2Config

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


class _TokenAuthCore:
    """The logic of :class:`OAuth2TokenAuth`, free of httpx2 so the module imports light."""

    requires_request_body = True  # the request is sent again after a 401

    def __init__(self, creds: Credentials, *, leeway: float = DEFAULT_LEEWAY,
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
        return token_for(self._creds.key)

    def _store(self, token: TokenInfo) -> TokenInfo:
        return store_token(self._creds.key, token)

    def _new_token(self, previous: TokenInfo | None) -> TokenInfo:
        creds = self._creds
        if previous is not None and previous.has_refresh_token:
            self.token_requests.append("refresh_token")
            try:
                return self._store(token_request(creds, refresh=previous))
            except OAuthError:
                if creds.grant == "authorization_code":
                    raise
        if creds.grant == "authorization_code":
            raise OAuthError("The authorization-code token for client "
                             f"{creds.client_id!r} is missing or expired and cannot be "
                             "refreshed; run the authorization again (authorize_code).")
        self.token_requests.append(creds.grant)
        return self._store(token_request(creds, previous=previous))

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
    creds = Credentials(config, secrets, settings or {}, verify=verify, timeout=timeout)
    return _auth_class()(creds, leeway=leeway, clock=clock)

