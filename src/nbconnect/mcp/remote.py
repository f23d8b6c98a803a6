"""Connecting to a remote MCP server and checking it: negotiation, identity, tools.

:func:`connected` runs async work on a connection made with the ``mcp`` SDK's ``Client``
over Streamable HTTP (an httpx2 client carrying the server's auth: none, one header from a
secret reference, or the SDK's ``OAuthClientProvider``). The SDK negotiates the protocol
revision: it probes ``server/discover`` (the stateless 2026-07-28 revision) and falls back to
the ``initialize`` handshake (2025-11-25 and older). Every HTTP exchange is traced (method,
URL, status, content type; never headers or bodies) so that :mod:`nbconnect.mcp.failures`
turns a failure into one typed sentence: unreachable, HTML or other JSON instead of MCP, a
handshake that times out, no shared revision, or authorization needed. :func:`run_sync`
runs it from synchronous code (a notebook's running event loop included: the work gets a
thread of its own).

:func:`check_server` connects, reads the server's name, version, revision and capabilities
and lists its tools with their input schemas (:class:`CheckResult`). For ``oauth`` servers it
first runs the discovery steps (:mod:`nbconnect.mcp.discovery`), plans the client
(:mod:`nbconnect.mcp.registration`) and authorizes with PKCE on a loopback redirect
(:mod:`nbconnect.mcp.tokens`); a client registered on the way is returned on the server.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from .. import limits
from ..errors import (
    McpAuthError,
)
from ..model.mcpserver import McpCheck, McpServer
from .failures import explain_401, oauth_error, translate

__all__ = ["CheckResult", "Trace", "check_server", "connected", "run_sync"]

T = TypeVar("T")


@dataclass
class Trace:
    """The HTTP exchanges of one connection: (method, URL, status, content type)."""

    exchanges: list[tuple[str, str, int, str]] = field(default_factory=list)
    #: the handshake is done (a timeout after it is the call's, not the handshake's)
    connected: bool = False

    async def on_response(self, response: Any) -> None:
        request = response.request
        ctype = response.headers.get("content-type", "").split(";")[0].strip()
        self.exchanges.append((request.method, str(request.url.copy_with(query=None)),
                               response.status_code, ctype))

    def last_to(self, url: str) -> tuple[str, str, int, str] | None:
        return next((e for e in reversed(self.exchanges) if e[1] == url), None)


@dataclass
class Auth:
    """How one connection authenticates, as the SDK's client needs it."""

    headers: dict[str, str] = field(default_factory=dict)
    provider: Any = None
    #: the loopback handlers, storage and plan of an OAuth connection (else None)
    loopback: Any = None
    storage: Any = None
    plan: Any = None
    discovery: Any = None


@dataclass
class CheckResult:
    """What :func:`check_server` found: ``server`` (with ``checked`` set, and a client that
    was registered on the way), ``check`` (:class:`~nbconnect.model.mcpserver.McpCheck`),
    ``discovery`` (the authorization steps, for oauth servers) and ``notes``."""

    server: McpServer
    check: McpCheck
    discovery: Any = None
    notes: list[str] = field(default_factory=list)

    @property
    def tools(self) -> tuple[Any, ...]:
        return self.check.tools

    def __repr__(self) -> str:
        c = self.check
        return (f"CheckResult(server={self.server.name!r}, protocol={c.protocol!r}, "
                f"name={c.server_name!r}, version={c.server_version!r}, "
                f"tools={c.tool_names!r})")


_THREAD = "nbconnect-mcp"
#: the last discovery of each server URL in this process (tool calls reuse it)
_DISCOVERED: dict[str, Any] = {}
#: the SDK loggers whose error records nbconnect turns into one typed error instead
_QUIET_LOGGERS = ("mcp.client.auth.oauth2", "mcp.client.streamable_http")


class _OwnErrors(logging.Filter):
    """Drops the SDK's error records (with tracebacks) logged on nbconnect's MCP thread:
    each of those failures reaches the user as one typed sentence instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno >= logging.ERROR and record.threadName == _THREAD)


def _quiet_sdk_errors() -> None:
    for name in _QUIET_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _OwnErrors) for f in logger.filters):
            logger.addFilter(_OwnErrors())


def run_sync(fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    """``await fn(*args)`` from synchronous code, in a thread with its own event loop (so
    it also works under a notebook's running loop); exceptions are re-raised here."""
    import anyio

    box: dict[str, Any] = {}
    context = contextvars.copy_context()  # a notebook's output routing goes along

    def target() -> None:
        try:
            box["value"] = context.run(anyio.run, fn, *args)
        except BaseException as exc:
            box["error"] = exc

    _quiet_sdk_errors()
    thread = threading.Thread(target=target, name=_THREAD, daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _resolve(ref: str, server: McpServer, field: str, prompt: Any) -> Any:
    """The secret ``ref`` of ``server``'s ``field``; a :class:`SecretError` names the MCP
    server (the resolver's words are about connections)."""
    from ..auth.secrets import resolve
    from ..errors import SecretError

    try:
        return resolve(ref, connection=server.name, field=field, prompt=prompt)
    except SecretError as exc:
        raise SecretError(exc.message.replace(f"Connection {server.name!r}",
                                              f"MCP server {server.name!r}"),
                          exc.details, option=exc.option) from None


def _resolve_header(server: McpServer, prompt: Any) -> dict[str, str]:
    value = _resolve(server.secret or "", server, "secret", prompt)
    return {str(server.header): value.reveal()}


def prepare_auth(server: McpServer, *, open_url: Any = None, prompt: Any = None,
                 verify: Any = True, timeout: float = limits.MCP_TIMEOUT,
                 auth_timeout: float = limits.MCP_AUTH_TIMEOUT,
                 discovery: Any = None, reuse: bool = False) -> Auth:
    """The :class:`Auth` of one connection to ``server``: a header, or (oauth) discovery,
    the client plan and the SDK's provider on a loopback redirect. ``reuse`` takes the
    discovery this process last made for the URL (a tool call) instead of a fresh one (a
    check). The caller closes ``auth.loopback``."""
    if server.auth == "header":
        return Auth(headers=_resolve_header(server, prompt))
    if server.auth != "oauth":
        return Auth()
    from .discovery import discover
    from .registration import client_metadata, plan_client
    from .tokens import LoopbackAuthorization, SecretTokenStorage, provider_class

    if discovery is None and reuse:
        discovery = _DISCOVERED.get(server.url)
    if discovery is None:
        discovery = discover(server.url, timeout=timeout, verify=verify)
        _DISCOVERED[server.url] = discovery
    if not discovery.requires_auth:  # nothing to authorize: no client, no browser
        return Auth(discovery=discovery)
    secret = None
    if server.client_secret:
        secret = _resolve(server.client_secret, server, "client_secret", prompt)
    loopback = LoopbackAuthorization(open_url, redirect_url=server.redirect_url,
                                     timeout=auth_timeout)
    try:
        plan = plan_client(server, discovery, loopback.redirect_uri, secret=secret)
        storage = SecretTokenStorage(server, plan.client_info)
        provider = provider_class()(
            server.url, client_metadata(server, loopback.redirect_uri), storage,
            redirect_handler=loopback.redirect_handler,
            callback_handler=loopback.callback_handler,
            client_metadata_url=server.client_metadata_url)
        # what discovery found, so a refresh goes to the right token endpoint before any 401
        provider.context.protected_resource_metadata = discovery.resource_metadata
        provider.context.oauth_metadata = discovery.server_metadata
        if discovery.resource_metadata is not None:
            provider.context.auth_server_url = discovery.authorization_server
    except BaseException:
        loopback.close()
        raise
    return Auth(provider=provider, loopback=loopback, storage=storage, plan=plan,
                discovery=discovery)


def tls_verify(verify: Any) -> Any:
    """``verify`` for httpx2, with ``True`` as one SSL context per process (building the
    default context loads the CA bundle, which costs more than a loopback MCP call)."""
    import os

    if verify is not True:
        return verify
    return _default_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=4)
def _default_context(cert_file: str | None, cert_dir: str | None) -> Any:
    import httpx2

    return httpx2.create_ssl_context(True)


def revision_mode(protocol: str | None) -> str:
    """The SDK ``Client`` mode for a server last checked at ``protocol``: that modern
    revision adopted directly (no ``server/discover`` round trip), ``legacy`` (the
    ``initialize`` handshake without the probe) for a handshake-era one, else ``auto``."""
    from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS

    if protocol in MODERN_PROTOCOL_VERSIONS:
        return str(protocol)
    return "legacy" if protocol in HANDSHAKE_PROTOCOL_VERSIONS else "auto"


@contextlib.asynccontextmanager
async def connected(server: McpServer, auth: Auth, trace: Trace, *,
                    timeout: float = limits.MCP_TIMEOUT, verify: Any = True,
                    mode: str = "auto") -> AsyncIterator[Any]:
    """An SDK ``Client`` connected to ``server`` inside ``async with``: ``mode`` ``auto``
    negotiates the revision (``server/discover``, else ``initialize``); see
    :func:`revision_mode`."""
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp_types import Implementation

    from .. import __version__

    http = httpx2.AsyncClient(headers=auth.headers, auth=auth.provider,
                              verify=tls_verify(verify),
                              timeout=httpx2.Timeout(timeout),
                              event_hooks={"response": [trace.on_response]})
    async with http:
        transport = streamable_http_client(server.url, http_client=http)
        client = Client(transport, mode=mode, read_timeout_seconds=timeout,
                        client_info=Implementation(name="nbconnect", version=__version__))
        async with client:
            yield client


async def _read_check(client: Any) -> McpCheck:
    tools: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):  # a paginator that never ends cannot hang the check
        page = await client.list_tools(cursor=cursor)
        for tool in page.tools:
            entry: dict[str, Any] = {"name": tool.name}
            if tool.title:
                entry["title"] = tool.title
            entry["description"] = tool.description or ""
            entry["input_schema"] = tool.input_schema
            if tool.output_schema:
                entry["output_schema"] = tool.output_schema
            tools.append(entry)
        cursor = page.next_cursor
        if not cursor:
            break
    info = client.server_info
    caps = client.server_capabilities.model_dump(by_alias=True, mode="json",
                                                 exclude_none=True)
    return McpCheck(protocol=client.protocol_version,
                    server_name=info.name if info is not None else "",
                    server_version=info.version if info is not None else "",
                    capabilities=caps, tools=tuple(tools))


def session(server: McpServer, work: Callable[[Any], Awaitable[T]], *,
            open_url: Any = None, prompt: Any = None, verify: Any = True,
            timeout: float = limits.MCP_TIMEOUT,
            auth_timeout: float = limits.MCP_AUTH_TIMEOUT, mode: str = "auto",
            reuse: bool = False) -> tuple[T, Auth]:
    """Connect to ``server`` (``mode``: see :func:`revision_mode`; ``reuse``: see
    :func:`prepare_auth`), ``await work(client)``, close; returns (its result, the
    :class:`Auth` used). Every failure is one typed :mod:`nbconnect.errors` error."""
    import anyio

    auth = prepare_auth(server, open_url=open_url, prompt=prompt, verify=verify,
                        timeout=timeout, auth_timeout=auth_timeout, reuse=reuse)
    trace = Trace()
    budget = timeout + (auth_timeout if auth.provider is not None else 0)

    async def main() -> T:
        with anyio.fail_after(budget):
            async with connected(server, auth, trace, timeout=timeout, verify=verify,
                                 mode=mode) as c:
                trace.connected = True
                return await work(c)

    try:
        return run_sync(main), auth
    except Exception as exc:
        error = oauth_error(exc, auth.discovery) or translate(exc, server, trace, timeout)
        last = trace.last_to(server.url)
        if server.auth == "none" and last is not None and last[2] == 401:
            error = explain_401(server, error, verify=verify, timeout=timeout)
        elif server.auth == "header" and last is not None and last[2] in (401, 403):
            error = McpAuthError(f"MCP server {server.name!r} refused the {server.header} "
                                 f"header (HTTP {last[2]}); check the value {server.secret} "
                                 "refers to, or use oauth authentication.", option="secret")
        raise error from None
    finally:
        if auth.loopback is not None:
            auth.loopback.close()


def check_server(server: McpServer, *, open_url: Any = None, prompt: Any = None,
                 verify: Any = True, timeout: float = limits.MCP_TIMEOUT,
                 auth_timeout: float = limits.MCP_AUTH_TIMEOUT) -> CheckResult:
    """Check ``server``: connect and negotiate, read its identity, capabilities and tools.

    ``open_url(url)`` shows the OAuth authorization link (default: print it); ``prompt``
    asks for ``prompt`` secret references. Returns a :class:`CheckResult` whose ``server``
    carries the check (and a client registered dynamically). Raises
    :class:`~nbconnect.errors.McpConnectError` (unreachable, HTML or non-MCP JSON, timeout),
    :class:`~nbconnect.errors.McpProtocolError`, :class:`~nbconnect.errors.McpAuthError`
    (discovery, resource or issuer mismatch, denied) or
    :class:`~nbconnect.errors.McpRegistrationError`; ``server`` itself is never changed.
    """
    check, auth = session(server, _read_check, open_url=open_url, prompt=prompt,
                          verify=verify, timeout=timeout, auth_timeout=auth_timeout)
    notes: list[str] = []
    new = replace(server, checked=check)
    if auth.plan is not None:
        notes.append(auth.plan.note)
    elif auth.discovery is not None and not auth.discovery.requires_auth:
        notes.append(f"MCP server {server.name!r} asked for no authorization; no client was "
                     "needed.")
    if auth.storage is not None and auth.storage.registered is not None and \
            auth.plan is not None and auth.plan.kind == "dynamic":
        from .registration import keep_registered_client

        new, kept = keep_registered_client(new, auth.storage.registered)
        notes.extend(kept)
    return CheckResult(new, check, auth.discovery, notes)
