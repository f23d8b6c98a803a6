"""OAuth2 token requests: the client credentials a grant needs, and one call to the token endpoint.

:class:`Credentials` gathers a config's values and a connection's resolved secrets (masked
repr) and refuses what cannot work; :func:`token_request` makes one token request
(client credentials, password, authorization code or refresh) through authlib's httpx2
client (``authlib.integrations.httpx_client.OAuth2Client``) and turns every failure into an
:class:`~nbconnect.errors.OAuthError` people can act on, with any secret masked.
PKCE (RFC 7636) helpers live here too.

Client authentication (``client_auth``): ``basic`` is HTTP Basic of ``id:secret``
(authlib's ``client_secret_basic``), ``body`` puts both in the form
(``client_secret_post``), ``basic-form-encoded`` form-urlencodes id and secret before
Basic as RFC 6749 §2.3.1 asks (registered with authlib as
``client_secret_basic_form``); servers disagree on the last two, hence the option.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from ..errors import AuthConfigError, OAuthError, clip
from .oauth_tokens import GRANTS, MASK, TokenInfo, cache_key, register_values
from .redaction import redact

if TYPE_CHECKING:
    from .oauth_tokens import OAuth2Config

__all__ = [
    "CLIENT_AUTH",
    "Credentials",
    "pkce_challenge",
    "pkce_verifier",
    "token_request",
]

#: authlib's name of each ``client_auth`` method
CLIENT_AUTH = {
    "basic": "client_secret_basic",
    "body": "client_secret_post",
    "basic-form-encoded": "client_secret_basic_form",
}


def _reveal(value: Any) -> str | None:
    """The plain text of a ``Secret`` (``.reveal()``) or a string; ``None`` stays."""
    if value is None:
        return None
    reveal = getattr(value, "reveal", None)
    return reveal() if callable(reveal) else str(value)


def _scrub(text: str, values: tuple[str | None, ...]) -> str:
    """``text`` with each known secret value (and its URL/Basic encodings) as ``***``."""
    for value in values:
        if value and len(value) >= 3:
            for form in (value, quote_plus(value), base64.b64encode(value.encode()).decode()):
                text = text.replace(form, MASK)
    return redact(text)


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



class Credentials:
    """What a token request needs: config values plus resolved secrets (masked repr)."""

    def __init__(self, config: OAuth2Config, secrets: Mapping[str, Any],
                 settings: Mapping[str, str], *, verify: Any, timeout: float) -> None:
        kind = getattr(config, "type", None)
        if kind not in GRANTS:
            raise AuthConfigError(f"Auth type {kind!r} is not an OAuth2 type; use "
                                  f"{', '.join(GRANTS)}.")
        self.kind: str = kind
        self.grant = GRANTS[kind]
        if not config.token_url:
            raise AuthConfigError(f"The {kind} auth has no access token URL; set token_url "
                                  "to the provider's token endpoint.", option="token_url")
        self.token_url: str = config.token_url
        self.refresh_url: str = config.refresh_url or config.token_url
        self.client_id: str = str(settings.get("client_id") or config.client_id or "")
        if not self.client_id:
            raise AuthConfigError(f"The {kind} auth has no client id; set client_id on the "
                                  "auth, or as a setting client_id=ID of the connection.",
                                  option="client_id")
        self.client_secret = _reveal(secrets.get("client_secret"))
        if self.grant == "client_credentials" and not self.client_secret:
            raise AuthConfigError("The oauth2-client-credentials auth needs a client secret; "
                                  "give the connection a reference such as "
                                  "client_secret=env:NAME.", option="secret")
        self.scope = config.scope or None
        self.client_auth = config.client_auth
        self.username: str | None = settings.get("username") or None
        self.password = _reveal(secrets.get("password"))
        if self.grant == "password":
            if not self.username:
                raise AuthConfigError("The oauth2-password auth needs a username; give the "
                                      "connection the setting username=NAME.", option="set")
            if not self.password:
                raise AuthConfigError("The oauth2-password auth needs a password; give the "
                                      "connection a reference such as password=env:NAME.",
                                      option="secret")
        self.verify = verify
        self.timeout = timeout
        register_values(self.client_secret, self.password)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return cache_key(self.grant, self.token_url, self.client_id, self.username)

    @property
    def secret_values(self) -> tuple[str | None, ...]:
        return (self.client_secret, self.password)

    def __repr__(self) -> str:
        return (f"Credentials(kind={self.kind!r}, client_id={self.client_id!r}, "
                f"client_secret={MASK!r})")

    def __reduce__(self) -> Any:
        raise TypeError("OAuth2 credentials hold secrets and cannot be pickled.")


def token_request(creds: Credentials, *, refresh: TokenInfo | None = None,
                   previous: TokenInfo | None = None, **params: Any) -> TokenInfo:
    """One request to the token endpoint through authlib; OAuthError on any failure.

    ``refresh`` set: the refresh_token grant at ``refresh_url``; otherwise the
    credentials' grant at ``token_url`` with ``params`` (code, code_verifier, ...).
    """
    import httpx2
    from authlib.integrations.httpx_client import OAuth2Client
    from authlib.integrations.httpx_client import OAuthError as AuthlibOAuthError

    url = creds.refresh_url if refresh is not None else creds.token_url
    method = CLIENT_AUTH[creds.client_auth] if creds.client_secret else "none"
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


def _hint(error: str, creds: Credentials, refreshing: bool) -> str:
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

