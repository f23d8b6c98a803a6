"""OAuth tokens of remote MCP servers held as secrets, and the browser leg of the authorization.

:class:`SecretTokenStorage` is the ``mcp`` SDK's ``TokenStorage`` for one server: tokens live
in a process-wide cache keyed by (server URL, client id), every token value is registered
with :mod:`nbconnect.auth.redaction` (no repr, message or log line shows it), and they are
also kept in the OS keyring under ``nbconnect-mcp-token-<NAME>-<hash>`` when one is available,
so a later process (the CLI) reuses and refreshes them. The SDK's ``OAuthClientProvider``
reads and writes them; it refreshes an expired access token itself (RFC 6749 §6).

:class:`LoopbackAuthorization` is the redirect and callback handler pair the SDK's
authorization code flow (PKCE S256, ``state``, ``resource`` — RFC 7636, RFC 8707) calls:
the authorization URL goes to ``open_url`` (a notebook link, a printed URL, or in tests an
httpx2 user agent), and the redirect arrives on nbconnect's one-shot loopback listener
(RFC 8252 §7.3, :mod:`nbconnect.auth.oauth_code`). A refused authorization raises
:class:`~nbconnect.errors.McpAuthError`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections.abc import Callable
from typing import Any

from ..errors import McpAuthError, SecretError, clip

__all__ = ["LoopbackAuthorization", "SecretTokenStorage", "clear_tokens", "expire_tokens",
           "provider_class", "stored_tokens"]

#: (server URL, client id) -> [the SDK's OAuthToken, expiry in epoch seconds or None]
_CACHE: dict[tuple[str, str], list[Any]] = {}
_LOCK = threading.Lock()


def _keyring_name(url: str, client_id: str, name: str) -> str:
    digest = hashlib.sha256(f"{url}\n{client_id}".encode()).hexdigest()[:12]
    return f"nbconnect-mcp-token-{name}-{digest}"


def _register(token: Any) -> None:
    from ..auth.redaction import register

    for value in (token.access_token, token.refresh_token):
        if value:
            register(value)


def stored_tokens(url: str, client_id: str) -> Any:
    """The SDK ``OAuthToken`` held for (url, client id) in this process, or None."""
    with _LOCK:
        held = _CACHE.get((url, client_id))
    return held[0] if held is not None else None


def expire_tokens(url: str, client_id: str) -> bool:
    """Mark the access token held for (url, client id) as expired, so the next connection
    refreshes it (RFC 6749 §6); True when one was held."""
    with _LOCK:
        held = _CACHE.get((url, client_id))
        if held is not None:
            held[1] = 1.0  # the epoch's first second: long past (0 means none)
    return held is not None


def clear_tokens() -> None:
    """Forget every MCP token held in this process (the keyring copies stay)."""
    with _LOCK:
        _CACHE.clear()


class SecretTokenStorage:
    """The SDK's ``TokenStorage`` for one MCP server (tokens as secrets; see module doc).

    ``client_info`` is the client to use (pre-registered or a metadata document), or None
    to let the SDK register one; ``registered`` is the client the SDK registered, if it did.
    """

    def __init__(self, server: Any, client_info: Any = None) -> None:
        self.url = server.url
        self.name = server.name
        self.client_info = client_info
        self.registered: Any = None

    def _client_id(self) -> str:
        return self.client_info.client_id if self.client_info is not None else ""

    async def get_tokens(self) -> Any:
        client_id = self._client_id()
        if not client_id:
            return None
        token = stored_tokens(self.url, client_id)
        if token is None:
            token = self._from_keyring(client_id)
        return token

    def expires_at(self) -> float | None:
        """When the held access token expires (epoch seconds), None when unknown."""
        with _LOCK:
            held = _CACHE.get((self.url, self._client_id()))
        return held[1] if held is not None else None

    async def set_tokens(self, tokens: Any) -> None:
        from mcp.shared.auth_utils import calculate_token_expiry

        _register(tokens)
        client_id = self._client_id()
        expires = calculate_token_expiry(tokens.expires_in) if tokens.expires_in else None
        with _LOCK:
            _CACHE[(self.url, client_id)] = [tokens, expires]
        self._to_keyring(client_id, tokens, expires)

    async def get_client_info(self) -> Any:
        return self.client_info

    async def set_client_info(self, client_info: Any) -> None:
        if client_info.client_secret:
            from ..auth.redaction import register

            register(client_info.client_secret)
        self.client_info = client_info
        self.registered = client_info

    def _from_keyring(self, client_id: str) -> Any:
        from mcp.shared.auth import OAuthToken

        from ..auth.secrets import resolve

        try:
            secret = resolve(f"keyring:{_keyring_name(self.url, client_id, self.name)}",
                             connection=self.name, field="token")
            data = json.loads(secret.reveal())
            expires = data.pop("expires_at", None)
            token = OAuthToken.model_validate(data)
        except (SecretError, ValueError, TypeError):
            return None
        _register(token)
        with _LOCK:
            _CACHE[(self.url, client_id)] = [token, expires]
        return token

    def _to_keyring(self, client_id: str, tokens: Any, expires: float | None) -> None:
        from ..auth.secrets import Secret, store_in_keyring

        data = tokens.model_dump(mode="json", exclude_none=True)
        if expires is not None:
            data["expires_at"] = expires
        text = json.dumps(data)
        with contextlib.suppress(SecretError):  # no keyring: this process only
            store_in_keyring(_keyring_name(self.url, client_id, self.name), Secret(text))


def provider_class() -> type:
    """The SDK's ``OAuthClientProvider``, told when held tokens expire: on loading them it
    sets the expiry :class:`SecretTokenStorage` kept, so an expired access token is
    refreshed (RFC 6749 §6) instead of being sent, refused and re-authorized."""
    from mcp.client.auth import OAuthClientProvider

    class Provider(OAuthClientProvider):
        async def _initialize(self) -> None:
            await super()._initialize()
            expires_at = getattr(self.context.storage, "expires_at", None)
            if callable(expires_at):
                self.context.token_expiry_time = expires_at()

    return Provider


class LoopbackAuthorization:
    """The SDK's redirect and callback handlers on a loopback listener (see module doc).

    Use as a context manager: ``redirect_uri`` (the URL to register and send) is on
    ``redirect_url``'s port, or a free one chosen now; the listener opens there only when an
    authorization starts (a connection with a valid token never opens one) and is closed on
    exit.
    """

    def __init__(self, open_url: Callable[[str], Any] | None = None, *,
                 redirect_url: str | None = None, timeout: float = 120.0) -> None:
        from ..auth.oauth_code import _loopback_redirect

        self._host, port, self._path, template = _loopback_redirect(redirect_url)
        self._port = port or _free_port(self._host)
        self._listener: Any = None
        self.redirect_uri = template.format(port=self._port)
        self.open_url = open_url or _print_url
        self.timeout = timeout
        self.opened = False

    async def redirect_handler(self, url: str) -> None:
        import anyio

        if self.opened:  # the server refused the token this connection just obtained
            raise McpAuthError("The MCP server asked for a new authorization right after one "
                               "(it refuses the fresh token, or wants more scopes); check the "
                               "scopes and that its authorization server issues tokens for "
                               "this resource.", option="scope")
        from ..auth.oauth_code import _Listener

        self.opened = True
        self._listener = _Listener(self._host, self._port, self._path)
        await anyio.to_thread.run_sync(self.open_url, url)

    async def callback_handler(self) -> Any:
        import anyio
        from mcp.client.auth import AuthorizationCodeResult

        from ..auth.oauth_code import _parse_redirect

        received = await anyio.to_thread.run_sync(self._listener.wait, self.timeout)
        if received is None:
            raise McpAuthError(f"No authorization redirect arrived within {self.timeout:g} "
                               "seconds; open the authorization link again and approve.",
                               option="auth_timeout")
        params = _parse_redirect(received)
        if "error" in params:
            described = params.get("error_description")
            detail = f" ({clip(described)})" if described else ""
            raise McpAuthError(f"The authorization server refused the authorization: "
                               f"{clip(params['error'], 60)}{detail}; approve the request, "
                               "or check the client and its scopes.")
        return AuthorizationCodeResult(code=params.get("code") or "",
                                       state=params.get("state"), iss=params.get("iss"))

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()

    def __enter__(self) -> LoopbackAuthorization:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _free_port(host: str) -> int:
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _print_url(url: str) -> None:
    print(f"Open this URL in a browser to authorize:\n{url}", flush=True)
