"""A real OAuth2 authorization server for tests, built from authlib's server components.

authlib ships the grant logic (``authlib.oauth2.rfc6749`` ``AuthorizationServer`` and its
grants, ``rfc7636.CodeChallenge`` for PKCE, ``rfc6750`` bearer tokens, ``rfc9207`` ``iss``)
but no starlette integration, so this module adds the small adapter it needs (the same
two hooks authlib's flask integration implements: ``create_oauth2_request`` and
``handle_response``) and keeps clients, codes and tokens in memory.

Usage::

    auth_server = OAuthTestServer()
    auth_server.add_client("app", SECRET, auth_methods=("client_secret_basic",))
    with serve(auth_server.app, tls=ca) as srv:
        ...  # POST srv.url + "/token", GET srv.url + "/authorize", GET srv.url + "/api/me"

Endpoints: ``POST /token`` (client_credentials, password, authorization_code with PKCE,
refresh_token; every request is recorded in ``token_requests``), ``GET /authorize`` (no
login page: approves as ``authorize_as``, or denies with ``access_denied`` when that is
``None``, and redirects to the client's redirect URI), ``GET /api/me`` (a protected
resource: 401 unless the bearer token is known, unexpired and unrevoked).

Client authentication methods: ``client_secret_basic`` (RFC 7617 Basic of the raw
``id:secret``, split at the first ``:``; no decoding), ``client_secret_basic_form``
(RFC 6749 §2.3.1: id and secret form-urlencoded before Basic, decoded here with
``unquote_plus``), ``client_secret_post`` and ``none`` (public clients). A client whose id
or secret contains ``:``, ``%``, ``+`` or a space authenticates with only one of the two
Basic variants, which shows the difference.

Time is the server's own clock (``time.time() + offset``): ``advance(seconds)`` expires
tokens without sleeping; ``revoke_access_tokens()`` / ``revoke_refresh_tokens()``
simulate a server that drops tokens early.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from authlib.common.security import generate_token
from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    OAuth2Request,
    ResourceProtector,
    TokenMixin,
    grants,
)
from authlib.oauth2.rfc6749.errors import InvalidGrantError, OAuth2Error
from authlib.oauth2.rfc6749.models import AuthorizationCodeMixin
from authlib.oauth2.rfc6749.requests import OAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc6750 import BearerTokenValidator as _BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc9207 import IssuerParameter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["OAuthTestServer", "StarletteOAuth2Request", "User"]

AUTH_METHODS = ("client_secret_basic", "client_secret_basic_form", "client_secret_post",
                "none")


# --------------------------------------------------------------------------- models


@dataclass
class User:
    username: str
    password: str = field(repr=False)
    email: str


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str | None = field(repr=False)
    redirect_uris: tuple[str, ...] = ()
    grant_types: tuple[str, ...] = ("client_credentials", "password", "authorization_code",
                                    "refresh_token")
    auth_methods: tuple[str, ...] = ("client_secret_basic", "client_secret_post")
    scopes: tuple[str, ...] = ("read", "write")

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return ""
        return " ".join(s for s in scope.split() if s in self.scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # RFC 8252 §7.3: a loopback redirect URI matches whatever port the client uses.
        got = urlsplit(redirect_uri)
        for registered in self.redirect_uris:
            want = urlsplit(registered)
            if got.scheme == "http" and got.hostname in ("127.0.0.1", "::1"):
                if (want.scheme, want.hostname, want.path) == (got.scheme, got.hostname,
                                                               got.path):
                    return True
            elif registered == redirect_uri:
                return True
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return self.client_secret is not None and hmac.compare_digest(
            self.client_secret.encode(), client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.client_secret is None:
            return method == "none"
        return method in self.auth_methods

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


@dataclass
class Token(TokenMixin):
    server: OAuthTestServer
    client_id: str
    access_token: str
    token_type: str
    scope: str
    issued_at: float
    expires_in: int
    user: User | None = None
    refresh_token: str | None = None
    revoked: bool = False
    refresh_revoked: bool = False

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return self.server.now() >= self.issued_at + self.expires_in

    def is_revoked(self) -> bool:
        return self.revoked

    def get_user(self) -> User | None:
        return self.user

    def get_client(self) -> Client:
        return self.server.clients[self.client_id]


@dataclass
class AuthCode(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str | None
    scope: str
    user: User
    code_challenge: str | None
    code_challenge_method: str | None

    def get_redirect_uri(self) -> str | None:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


# --------------------------------------------------------------------------- adapter


class _Payload(OAuth2Payload):
    def __init__(self, data: dict[str, str], datalist: dict[str, list[str]]) -> None:
        self._data = data
        self._datalist = datalist

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:  # type: ignore[override]
        return self._datalist


class StarletteOAuth2Request(OAuth2Request):
    """authlib's ``OAuth2Request`` filled from a starlette request (query and form read).

    Like flask's ``request.values``, the payload is the query merged with the form; the
    form wins. ``datalist`` keeps repeated parameters so authlib can refuse them.
    """

    def __init__(self, method: str, url: str, headers: Any,
                 query: list[tuple[str, str]], form: list[tuple[str, str]]) -> None:
        super().__init__(method=method, uri=url, headers=headers)
        self._args = dict(query)
        self._form = dict(form)
        datalist: dict[str, list[str]] = defaultdict(list)
        for key, value in [*query, *form]:
            datalist[key].append(value)
        self.payload = _Payload({**self._args, **self._form}, datalist)

    @classmethod
    async def from_starlette(cls, request: Request) -> StarletteOAuth2Request:
        form: list[tuple[str, str]] = []
        if request.method == "POST":
            # application/x-www-form-urlencoded only (RFC 6749 §3.2), parsed here so
            # the test server needs no python-multipart.
            body = (await request.body()).decode("utf-8", "replace")
            form = parse_qsl(body, keep_blank_values=True)
        return cls(request.method, str(request.url), request.headers,
                   list(request.query_params.multi_items()), form)

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _Response(Response):
    """A starlette response with the ``location`` attribute authlib's rfc9207 hook sets."""

    @property
    def location(self) -> str | None:
        return self.headers.get("location")

    @location.setter
    def location(self, value: str) -> None:
        self.headers["location"] = value


class _StarletteAuthorizationServer(AuthorizationServer):
    def __init__(self, owner: OAuthTestServer) -> None:
        super().__init__(scopes_supported=["read", "write"])
        self.owner = owner

    def query_client(self, client_id: str) -> Client | None:
        return self.owner.clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        self.owner._save_token(token, request)

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        raise TypeError("build the request with StarletteOAuth2Request.from_starlette")

    def handle_response(self, status: int, body: Any, headers: Any) -> Response:
        if isinstance(body, dict):
            return JSONResponse(body, status_code=status, headers=dict(headers))
        return _Response(body or "", status_code=status, headers=dict(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass


# --------------------------------------------------------------------------- client auth


def _basic_pair(request: OAuth2Request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization") or ""
    kind, _, value = header.partition(" ")
    if kind.lower() != "basic":
        return None
    try:
        text = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = text.partition(":")
    return (client_id, secret) if sep else None


def _check_pair(query_client: Any, client_id: str, secret: str) -> Client | None:
    client = query_client(client_id)
    if client is not None and client.check_client_secret(secret):
        return client
    return None


def authenticate_basic_raw(query_client: Any, request: OAuth2Request) -> Client | None:
    """``client_secret_basic`` as most servers do it: no decoding of id or secret."""
    pair = _basic_pair(request)
    return _check_pair(query_client, *pair) if pair else None


def authenticate_basic_form(query_client: Any, request: OAuth2Request) -> Client | None:
    """RFC 6749 §2.3.1: id and secret were form-urlencoded before Basic encoding."""
    pair = _basic_pair(request)
    if not pair:
        return None
    return _check_pair(query_client, unquote_plus(pair[0]), unquote_plus(pair[1]))


# --------------------------------------------------------------------------- grants


class _AuthMethods:
    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)


class ClientCredentialsGrant(_AuthMethods, grants.ClientCredentialsGrant):
    pass


class PasswordGrant(_AuthMethods, grants.ResourceOwnerPasswordCredentialsGrant):
    def authenticate_user(self, username: str, password: str) -> User:
        user = self.server.owner.users.get(username)
        if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
            # RFC 6749 §5.2: bad resource owner credentials are an invalid grant.
            raise InvalidGrantError(description="The username or password is wrong.")
        return user


class AuthorizationCodeGrant(_AuthMethods, grants.AuthorizationCodeGrant):
    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        self.server.owner.codes[code] = AuthCode(
            code=code, client_id=request.client.client_id,
            redirect_uri=request.payload.redirect_uri, scope=request.scope or "",
            user=request.user, code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"))

    def query_authorization_code(self, code: str, client: Client) -> AuthCode | None:
        item = self.server.owner.codes.get(code)
        return item if item is not None and item.client_id == client.client_id else None

    def delete_authorization_code(self, authorization_code: AuthCode) -> None:
        self.server.owner.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: AuthCode) -> User:
        return authorization_code.user


class RefreshTokenGrant(_AuthMethods, grants.RefreshTokenGrant):
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotate: the old refresh token stops working

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        token = self.server.owner.refresh_tokens.get(refresh_token)
        return None if token is None or token.refresh_revoked else token

    def authenticate_user(self, refresh_token: Token) -> User | None:
        return refresh_token.user

    def revoke_old_credential(self, refresh_token: Token) -> None:
        refresh_token.revoked = True
        refresh_token.refresh_revoked = True


class _Issuer(IssuerParameter):
    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def get_issuer(self) -> str:
        return self.issuer


class _BearerValidator(_BearerTokenValidator):
    def __init__(self, owner: OAuthTestServer) -> None:
        super().__init__()
        self.owner = owner

    def authenticate_token(self, token_string: str) -> Token | None:
        return self.owner.tokens.get(token_string)


# --------------------------------------------------------------------------- server


@dataclass
class OAuthTestServer:
    """In-memory authorization server + protected resource; ``app`` is the ASGI app."""

    access_lifetime: int = 3600
    issuer: str | None = None
    authorize_as: str | None = "ada"
    users: dict[str, User] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    refresh_tokens: dict[str, Token] = field(default_factory=dict)
    #: one dict per POST /token: grant_type, scope, auth (the client auth method seen)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    #: (status code, bearer token used) per GET /api/me
    resource_requests: list[tuple[int, str]] = field(default_factory=list)
    #: when set, POST /token answers (status, content type, body) instead
    token_override: tuple[int, str, str] | None = None
    offset: float = 0.0

    def __post_init__(self) -> None:
        self.server = _StarletteAuthorizationServer(self)
        self.server.register_token_generator("default", BearerTokenGenerator(
            access_token_generator=lambda **_: generate_token(42),
            refresh_token_generator=lambda **_: generate_token(48),
            expires_generator=lambda client, grant_type: self.access_lifetime))
        self.server.register_client_auth_method("client_secret_basic",
                                                authenticate_basic_raw)
        self.server.register_client_auth_method("client_secret_basic_form",
                                                authenticate_basic_form)
        self.server.register_grant(ClientCredentialsGrant)
        self.server.register_grant(PasswordGrant)
        self.server.register_grant(AuthorizationCodeGrant, [CodeChallenge(required=True)])
        self.server.register_grant(RefreshTokenGrant)
        if self.issuer:
            self.server.register_extension(_Issuer(self.issuer))
        self.protector = ResourceProtector()
        self.protector.register_token_validator(_BearerValidator(self))

    # -- test controls

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the server's clock forward (expires tokens without sleeping)."""
        self.offset += seconds

    def add_user(self, username: str, password: str, email: str) -> User:
        self.users[username] = user = User(username, password, email)
        return user

    def add_client(self, client_id: str, client_secret: str | None, *,
                   auth_methods: tuple[str, ...] = ("client_secret_basic",
                                                    "client_secret_post"),
                   redirect_uris: tuple[str, ...] = ("http://127.0.0.1/callback",),
                   **kwargs: Any) -> Client:
        self.clients[client_id] = client = Client(client_id, client_secret, redirect_uris,
                                                  auth_methods=auth_methods, **kwargs)
        return client

    def revoke_access_tokens(self) -> None:
        for token in self.tokens.values():
            token.revoked = True

    def revoke_refresh_tokens(self) -> None:
        for token in self.tokens.values():
            token.refresh_revoked = True

    def grants(self) -> list[str]:
        """The grant_type of each token request, in order."""
        return [r["grant_type"] for r in self.token_requests]

    # -- internals

    def _save_token(self, data: dict[str, Any], request: OAuth2Request) -> None:
        token = Token(self, request.client.client_id, data["access_token"],
                      data["token_type"], data.get("scope", ""), self.now(),
                      data.get("expires_in", self.access_lifetime), user=request.user,
                      refresh_token=data.get("refresh_token"))
        self.tokens[token.access_token] = token
        if token.refresh_token:
            self.refresh_tokens[token.refresh_token] = token

    async def _token(self, request: Request) -> Response:
        oreq = await StarletteOAuth2Request.from_starlette(request)
        self.token_requests.append({"grant_type": oreq.form.get("grant_type"),
                                    "scope": oreq.form.get("scope"),
                                    "basic": "authorization" in request.headers,
                                    "post": "client_secret" in oreq.form})
        if self.token_override is not None:
            status, ctype, body = self.token_override
            return Response(body, status_code=status, media_type=ctype)
        return self.server.create_token_response(oreq)

    async def _authorize(self, request: Request) -> Response:
        oreq = await StarletteOAuth2Request.from_starlette(request)
        user = self.users.get(self.authorize_as) if self.authorize_as else None
        try:
            grant = self.server.get_consent_grant(oreq, end_user=user)
        except OAuth2Error as error:
            return self.server.handle_error_response(oreq, error)
        return self.server.create_authorization_response(oreq, grant_user=user, grant=grant)

    async def _me(self, request: Request) -> Response:
        bearer = request.headers.get("authorization", "").partition(" ")[2]
        try:
            token = self.protector.validate_request(None, request)
        except OAuth2Error as error:
            self.resource_requests.append((error.status_code, bearer))
            status, body, headers = error()
            return JSONResponse(dict(body), status_code=status, headers=dict(headers))
        self.resource_requests.append((200, bearer))
        user = token.get_user()
        body: dict[str, Any] = {"client_id": token.client_id, "scope": token.scope}
        if user is not None:
            body.update(sub=user.username, email=user.email,
                        profile={"email": user.email})
        return JSONResponse(body)

    @property
    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/token", self._token, methods=["POST"]),
            Route("/authorize", self._authorize, methods=["GET"]),
            Route("/api/me", self._me, methods=["GET"]),
        ])
