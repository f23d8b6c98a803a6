"""The mock's OAuth2 token endpoint: bearer tokens for three grants.

The grants are client_credentials, password and refresh_token. Every ``tokenUrl`` of an
oauth2 scheme's flows is served at its path. The client id and secret come by Basic auth
(raw or form-encoded) or in the form. With an expected client only that client gets a
token, and the tokens issued are remembered so only they are accepted; an expected token
string is the one token both issued and accepted. Tokens are derived from the seed, the
scheme and the client id, so they are stable.

The token endpoint never shadows the spec: a ``tokenUrl`` path that is also a POST operation
of the spec (Mastodon's own ``POST /oauth/token``) is served as the spec says, and the
mock's token endpoint moves under ``/_mock`` (:func:`unshadowed`; ``MockInfo.token_paths``
and the start-up lines give where).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote_plus

from .security import Scheme, Security, same_secret

__all__ = ["token_response", "unshadowed"]

_TOKEN_LIFETIME = 3600


def unshadowed(token_paths: Mapping[str, list[Scheme]], is_spec_path: Callable[[str], bool]
               ) -> tuple[dict[str, list[Scheme]], dict[str, str]]:
    """(token endpoint path -> schemes, {spec path: where its token endpoint moved}).

    ``is_spec_path(path)`` says whether a POST to ``path`` is an operation of the spec; such
    a token path moves to ``/_mock`` + path (``/_mock-2`` + path, ... while that is one too).
    """
    out: dict[str, list[Scheme]] = {}
    moved: dict[str, str] = {}
    for path, schemes in token_paths.items():
        target, n = path, 1
        while is_spec_path(target) or (target != path and target in token_paths):
            n += 1
            target = ("/_mock" if n == 2 else f"/_mock-{n - 1}") + path
            if n > 20:
                break
        if target != path:
            moved[path] = target
        out.setdefault(target, []).extend(schemes)
    return out, moved


def token_response(security: Security, schemes: list[Scheme], headers: Mapping[str, str],
                   form: Mapping[str, str], seed: int
                   ) -> tuple[int, dict[str, Any], dict[str, str]]:
    """(status, JSON body, extra headers) answering one token request."""
    scheme = next((s for s in schemes if s.client is not None or s.expected is not None),
                  schemes[0])
    grant = form.get("grant_type", "")
    if grant not in ("client_credentials", "password", "refresh_token"):
        return 400, {"error": "unsupported_grant_type",
                     "error_description": "The mock issues tokens for the "
                     "client_credentials, password and refresh_token grants."}, {}
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    basic_pair: tuple[str, str] | None = None
    kind, _, cred = headers.get("authorization", "").strip().partition(" ")
    if kind.lower() == "basic" and cred.strip():
        try:
            user, _, password = base64.b64decode(cred.strip(), validate=True).decode(
                "utf-8").partition(":")
            basic_pair = (user, password)
            client_id, client_secret = user, password
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return 401, {"error": "invalid_client", "error_description":
                         "The Basic client credentials are not valid base64."}, \
                {"WWW-Authenticate": 'Basic realm="mock"'}
    if not client_id:
        return 401, {"error": "invalid_client", "error_description":
                     "Client authentication is missing; send the client id and secret "
                     "(Basic auth or the form)."}, {"WWW-Authenticate": 'Basic realm="mock"'}
    if grant == "password" and not form.get("username"):
        return 400, {"error": "invalid_request", "error_description":
                     "The password grant needs a username and a password."}, {}
    if scheme.client is not None:
        exp_id, exp_secret = scheme.client
        candidates = [(client_id, client_secret)]
        if basic_pair is not None:
            candidates.append((unquote_plus(basic_pair[0]), unquote_plus(basic_pair[1])))
        if not any(same_secret(cid or "", exp_id) and (exp_secret is None or
                                                      same_secret(sec or "", exp_secret))
                   for cid, sec in candidates):
            return 401, {"error": "invalid_client", "error_description":
                         "Unknown client or wrong client secret."}, \
                {"WWW-Authenticate": 'Basic realm="mock"'}
        client_id = exp_id
    token = scheme.expected if isinstance(scheme.expected, str) else \
        "mock-" + hashlib.sha256(f"{seed}\0{scheme.name}\0{client_id}".encode()
                                 ).hexdigest()[:32]
    with security.lock:
        scheme.issued.add(token)
    body: dict[str, Any] = {"access_token": token, "token_type": "Bearer",
                            "expires_in": _TOKEN_LIFETIME}
    if form.get("scope"):
        body["scope"] = form["scope"]
    return 200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"}
