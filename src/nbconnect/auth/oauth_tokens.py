"""OAuth2 tokens held in memory: ``TokenInfo`` (masked repr) and the per-client token cache.

A token is cached per (grant, token URL, client id, username), so an authorization-code
token obtained once is reused by later auths for the same connection;
:func:`clear_token_cache` forgets them all. Every token is registered with
:mod:`nbconnect.auth.redaction`, so no repr, message or log line shows it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import OAuthError, clip
from .redaction import register

if TYPE_CHECKING:
    from ..model import OAuth2ClientCredentials, OAuth2Code, OAuth2Password

    OAuth2Config = OAuth2Code | OAuth2Password | OAuth2ClientCredentials

__all__ = [
    "GRANTS",
    "TokenInfo",
    "cache_key",
    "cached_token",
    "clear_token_cache",
    "store_token",
]

#: the OAuth2 grant of each OAuth2 auth type
GRANTS = {
    "oauth2-client-credentials": "client_credentials",
    "oauth2-password": "password",
    "oauth2-code": "authorization_code",
}
MASK = "***"


def register_values(*values: str | None) -> None:
    """Tell the redactor about secret values (``None`` and empty ones are skipped)."""
    for value in values:
        if value:
            register(value)


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
        register_values(access_token, refresh_token)

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
        parts.append(f"access_token={MASK!r}")
        if self._refresh_token is not None:
            parts.append(f"refresh_token={MASK!r}")
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
    return token_for(cache_key(GRANTS[config.type], config.token_url, client_id,
                               settings.get("username")))


def token_for(key: tuple[str, str, str, str]) -> TokenInfo | None:
    """The cached token under ``key`` (see :func:`cache_key`), if there is one."""
    with _CACHE_LOCK:
        return _CACHE.get(key)


def store_token(key: tuple[str, str, str, str], token: TokenInfo) -> TokenInfo:
    """Cache ``token`` under ``key`` and return it."""
    with _CACHE_LOCK:
        _CACHE[key] = token
    return token


def cache_key(grant: str, token_url: str, client_id: str, username: str | None
              ) -> tuple[str, str, str, str]:
    """The cache key of a token: grant, token URL, client id and username."""
    return (grant, token_url, client_id, username or "")
