"""The OAuth2 authorization code flow: PKCE S256 and ``state``, a loopback listener, identity.

:func:`authorize_code` sends the authorization URL to ``open_url`` (a notebook shows a link,
a terminal prints it); the redirect arrives on a one-shot loopback listener at
``http://127.0.0.1:<port>/callback`` (RFC 8252) or is pasted by the user (``paste``, for
remote kernels). ``state`` is checked, ``iss`` too when the redirect carries it and the
issuer is known (RFC 9207). Then the identity endpoint labels the token, and the token is
cached (:mod:`nbconnect.auth.oauth_tokens`) for later auths of the same connection.

The identity endpoint (``identity_endpoint`` of :class:`~nbconnect.model.OAuth2Code`) is
either an absolute URL or a path joined to ``identity_base_url`` (the connection's API
base URL, which the caller passes); ``identity_param`` names the response field (dots
walk into objects: ``profile.email``).
"""

from __future__ import annotations

import http.server
import secrets as _stdlib_secrets
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

from ..errors import AuthConfigError, OAuthError, clip
from ..model.urls import is_loopback_host
from .oauth_grants import Credentials, pkce_verifier, token_request
from .oauth_tokens import TokenInfo, store_token

if TYPE_CHECKING:
    from ..model import OAuth2Code

__all__ = ["authorize_code"]


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
            "cannot receive the redirect; use http://127.0.0.1:PORT/callback or paste the "
            "redirected URL instead.", option="paste")
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


def _identity(url: str, param: str | None, token: TokenInfo, creds: Credentials) -> str | None:
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
    creds = Credentials(config, secrets, settings, verify=verify, timeout=http_timeout)
    if not config.authorization_url:
        raise AuthConfigError("The oauth2-code auth has no authorization URL; set "
                              "authorization_url.", option="authorization_url")
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

    token = token_request(creds, code=code, code_verifier=verifier,
                           redirect_uri=redirect_uri)
    if identity_url is not None:
        token.identity = _identity(identity_url, config.identity_param, token, creds)
    return store_token(creds.key, token)


def _print_url(url: str) -> None:
    print(f"Open this URL in a browser to authorize:\n{url}")


