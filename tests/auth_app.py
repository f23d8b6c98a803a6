"""A starlette API that checks each simple auth type the way a real API does.

``make_auth_app(expected)`` answers 200 with JSON when the request carries the right
credential and 401 (with ``WWW-Authenticate``) otherwise:

* ``GET /api-key/header`` - header ``expected.key_header`` (default ``X-API-Key``);
* ``GET /api-key/query``  - query parameter ``expected.key_query`` (default ``api_key``);
* ``GET /api-key/cookie`` - cookie ``expected.key_cookie`` (default ``session``);
* ``GET /basic``          - RFC 7617 Basic, decoded as UTF-8;
* ``GET /bearer``         - RFC 6750 Bearer;
* ``GET /jwt/{alg}``      - a JWT from ``Authorization: Bearer``, the header
  ``X-JWT`` or the query parameter ``jwt``, verified with pyjwt using only ``alg`` and
  the key in ``expected.jwt_keys[alg]`` (expired tokens refused, ``exp`` required).

Every JWT the server accepted is appended to ``expected.jwt_seen`` (claims), so tests
can see when a client re-signed.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

__all__ = ["Expected", "make_auth_app"]


@dataclass
class Expected:
    """What the server accepts."""

    api_key: str = ""
    key_header: str = "X-API-Key"
    key_query: str = "api_key"
    key_cookie: str = "session"
    username: str = ""
    password: str = ""
    token: str = ""
    #: algorithm -> verification key (HMAC secret bytes/str, or a PEM public key)
    jwt_keys: dict[str, Any] = field(default_factory=dict)
    jwt_seen: list[dict[str, Any]] = field(default_factory=list)
    jwt_tokens: list[str] = field(default_factory=list)


def _same(given: str | None, expected: str) -> bool:
    if given is None or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _denied(scheme: str, reason: str) -> JSONResponse:
    return JSONResponse({"error": "unauthorized", "reason": reason}, status_code=401,
                        headers={"WWW-Authenticate": scheme})


def make_auth_app(expected: Expected) -> Starlette:
    async def key_header(request: Request) -> JSONResponse:
        if _same(request.headers.get(expected.key_header), expected.api_key):
            return JSONResponse({"ok": True, "via": "header"})
        return _denied("ApiKey", "bad or missing API key header")

    async def key_query(request: Request) -> JSONResponse:
        if _same(request.query_params.get(expected.key_query), expected.api_key):
            return JSONResponse({"ok": True, "via": "query",
                                 "params": sorted(request.query_params.keys())})
        return _denied("ApiKey", "bad or missing API key parameter")

    async def key_cookie(request: Request) -> JSONResponse:
        if _same(request.cookies.get(expected.key_cookie), expected.api_key):
            return JSONResponse({"ok": True, "via": "cookie",
                                 "cookies": sorted(request.cookies)})
        return _denied("ApiKey", "bad or missing API key cookie")

    async def basic(request: Request) -> JSONResponse:
        scheme, _, creds = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return _denied('Basic realm="test", charset="UTF-8"', "no Basic credentials")
        try:
            decoded = base64.b64decode(creds.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return _denied('Basic realm="test", charset="UTF-8"', "malformed credentials")
        user, sep, password = decoded.partition(":")
        if sep and _same(user, expected.username) and _same(password, expected.password):
            return JSONResponse({"ok": True, "user": user})
        return _denied('Basic realm="test", charset="UTF-8"', "wrong username or password")

    async def bearer(request: Request) -> JSONResponse:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and _same(token, expected.token):
            return JSONResponse({"ok": True})
        return _denied('Bearer realm="test"', "bad or missing bearer token")

    async def jwt_route(request: Request) -> JSONResponse:
        import jwt

        alg = request.path_params["alg"]
        key = expected.jwt_keys.get(alg)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            token = request.headers.get("x-jwt") or request.query_params.get("jwt") or ""
        if key is None or not token:
            return _denied('Bearer error="invalid_token"', "no token")
        try:
            claims = jwt.decode(token, key, algorithms=[alg],
                                options={"require": ["exp"]})
        except jwt.ExpiredSignatureError:
            return _denied('Bearer error="invalid_token"', "token expired")
        except jwt.PyJWTError as exc:
            return _denied('Bearer error="invalid_token"', type(exc).__name__)
        expected.jwt_seen.append(claims)
        expected.jwt_tokens.append(token)
        return JSONResponse({"ok": True, "claims": claims})

    return Starlette(routes=[
        Route("/api-key/header", key_header),
        Route("/api-key/query", key_query),
        Route("/api-key/cookie", key_cookie),
        Route("/basic", basic),
        Route("/bearer", bearer),
        Route("/jwt/{alg}", jwt_route),
    ])
