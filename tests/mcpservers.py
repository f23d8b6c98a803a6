"""Real MCP servers for tests and notebooks, built with the ``mcp`` SDK, on loopback.

Every server runs under :class:`nbconnect.serving.BackgroundServer` (uvicorn in a thread on
127.0.0.1, a free port); use them as context managers or ``start()``/``stop()``.

* :func:`tools_server` - an SDK ``MCPServer`` named ``demo-tools`` (version ``1.2.3``) with
  four tools: ``add(a: int, b: int) -> int``, ``echo(text: str) -> str``,
  ``weather(city: str) -> dict`` (structured JSON) and ``pixel() -> Image`` (a 1x1 PNG).
* :class:`McpTestServer` - serves it over Streamable HTTP at ``/mcp`` in one protocol
  revision: ``revision="2026-07-28"`` (the SDK's default: ``server/discover`` answered,
  stateless requests) or ``revision="2025-11-25"`` (a server of that revision: every
  request stamped with a newer ``MCP-Protocol-Version`` is refused the way such a server
  refuses an unknown method, so clients fall back to the ``initialize`` handshake), or
  ``revision="none"`` (answers every request with ``-32022 unsupported protocol version``
  naming only a revision nobody speaks). ``.url`` is the endpoint URL.
* :class:`McpOAuthSetup` - the same server behind OAuth: an authorization server on its own
  port (authlib's grants from ``tests/oauth_server.py``, plus RFC 8414 metadata at
  ``/.well-known/oauth-authorization-server`` and an RFC 7591 registration endpoint at
  ``/register`` built on authlib's ``ClientRegistrationEndpoint``) and the MCP server
  answering 401 with ``WWW-Authenticate: Bearer resource_metadata=...`` and publishing RFC
  9728 protected-resource metadata. Switches: ``dcr`` (offer registration), ``prm`` (publish
  resource metadata), ``resource`` / ``issuer`` (publish wrong values), ``deny`` (the user
  refuses), ``refuse_registration``, ``oidc`` (metadata only at the OpenID Connect Discovery
  location), ``cimd`` (client ID metadata documents accepted), ``access_lifetime``,
  ``reject_tokens`` (the server refuses even fresh tokens).
  ``.auth_server`` is the ``OAuthTestServer`` (tokens, clients, requests); ``.agent`` is a
  redirect handler that plays the browser with httpx2; ``.registrations`` the RFC 7591
  requests and ``.mcp_requests`` what the MCP server saw.
* :func:`html_server`, :func:`json_server`, :class:`HangingServer` - bad peers: a page of
  HTML, JSON that is not JSON-RPC, a socket that accepts and never answers.

Usage (also in ``notebooks/06-mcp.ipynb``)::

    from tests.mcpservers import McpTestServer
    with McpTestServer(revision="2025-11-25") as srv:
        c.mcp.add("tools", srv.url)
        c.mcp.check("tools")
"""

from __future__ import annotations

import base64
import json
import socket
import threading
from typing import Any
from urllib.parse import urlsplit

from mcp.server.mcpserver import Image, MCPServer

from nbconnect.serving import BackgroundServer

__all__ = ["PNG_1X1", "HangingServer", "McpOAuthSetup", "McpTestServer", "browser_agent",
           "html_server", "json_server", "tools_server"]

#: a 1x1 transparent PNG (what the ``pixel`` tool returns)
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


def tools_server(name: str = "demo-tools", version: str = "1.2.3") -> Any:
    """An SDK ``MCPServer`` with the tools add, echo, weather and pixel."""
    server = MCPServer(name, version=version, instructions="Demo tools for nbconnect tests.")

    @server.tool(description="Add two integers.")
    def add(a: int, b: int) -> int:
        return a + b

    @server.tool(description="Echo the text back.")
    def echo(text: str) -> str:
        return text

    @server.tool(description="Today's weather in a city (structured).")
    def weather(city: str) -> dict[str, Any]:
        return {"city": city, "temperature_c": 21, "sky": "clear"}

    @server.tool(description="A 1x1 PNG image.")
    def pixel() -> Image:
        return Image(data=PNG_1X1, format="png")

    return server


def _jsonrpc_error(code: int, message: str, data: Any = None, status: int = 400) -> Any:
    from starlette.responses import JSONResponse

    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return JSONResponse({"jsonrpc": "2.0", "id": None, "error": error}, status_code=status)


class _Revision:
    """ASGI wrapper that makes the SDK's server speak one revision only (see module doc)."""

    def __init__(self, app: Any, revision: str) -> None:
        self.app, self.revision = app, revision

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

            headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                       for k, v in scope["headers"]}
            version = headers.get("mcp-protocol-version")
            if self.revision == "none" and scope["method"] == "POST":
                response = _jsonrpc_error(-32022, "Unsupported protocol version",
                                          {"supported": ["2099-01-01"], "requested": version})
                await response(scope, receive, send)
                return
            if self.revision == "2025-11-25" and version is not None and \
                    version not in HANDSHAKE_PROTOCOL_VERSIONS:
                response = _jsonrpc_error(-32601, "Method not found")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class McpTestServer:
    """The tools server over Streamable HTTP at ``/mcp`` in one revision (see module doc)."""

    def __init__(self, revision: str = "2026-07-28", *, server: Any = None,
                 wrap: Any = None) -> None:
        if revision not in ("2025-11-25", "2026-07-28", "none"):
            raise ValueError(f"unknown revision {revision!r}")
        self.revision = revision
        self.mcp = server if server is not None else tools_server()
        app = self.mcp.streamable_http_app(json_response=True)
        if revision != "2026-07-28":
            app = _Revision(app, revision)
        if wrap is not None:
            app = wrap(app)
        self.app = app
        self.server = BackgroundServer(app, name="MCP test server", lifespan="on")

    def start(self) -> str:
        self.server.start(timeout=30)
        return self.url

    def stop(self) -> None:
        self.server.stop()

    @property
    def root_url(self) -> str:
        return self.server.root_url

    @property
    def url(self) -> str:
        return self.server.root_url + "/mcp"

    def __enter__(self) -> McpTestServer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _plain_server(body: bytes, content_type: str) -> BackgroundServer:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", content_type.encode())]})
        await send({"type": "http.response.body", "body": body})

    return BackgroundServer(app, name="not-MCP server", lifespan="off")


def html_server() -> BackgroundServer:
    """A server that answers every request with a page of HTML."""
    return _plain_server(b"<!doctype html><title>Welcome</title><p>Hello", "text/html")


def json_server() -> BackgroundServer:
    """A server that answers every request with JSON that is not JSON-RPC."""
    return _plain_server(json.dumps({"status": "ok", "items": []}).encode(),
                         "application/json")


class HangingServer:
    """A TCP socket on loopback that accepts connections and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self._held.append(conn)

    def __enter__(self) -> HangingServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._held:
            conn.close()
        self.sock.close()


# --------------------------------------------------------------------------- OAuth


def browser_agent(timeout: float = 30.0) -> Any:
    """A redirect handler that plays the user's browser: GET the authorization URL with
    httpx2, then follow the authorization server's redirect to the loopback callback."""
    import httpx2

    def agent(url: str) -> None:
        with httpx2.Client(timeout=timeout, follow_redirects=False) as client:
            response = client.get(url)
            location = response.headers.get("location")
            if response.status_code in (302, 303) and location:
                client.get(location)

    return agent


class _Verifier:
    """The MCP server's token check: a token the authorization server issued, live."""

    def __init__(self, owner: Any) -> None:
        self.owner = owner

    def check(self, token: str) -> bool:
        found = self.owner.tokens.get(token)
        return found is not None and not found.is_expired() and not found.is_revoked()


class McpOAuthSetup:
    """An authorization server and the tools server behind OAuth, both on loopback."""

    def __init__(self, revision: str = "2026-07-28", *, dcr: bool = True, prm: bool = True,
                 resource: str | None = None, issuer: str | None = None, deny: bool = False,
                 refuse_registration: bool = False, cimd: bool = False,
                 scopes: tuple[str, ...] = ("read",), access_lifetime: int = 3600,
                 oidc: bool = False, reject_tokens: bool = False) -> None:
        from tests.oauth_server import OAuthTestServer

        self.dcr, self.prm, self.cimd, self.oidc = dcr, prm, cimd, oidc
        #: refuse every token (as a server does with tokens issued for another resource)
        self.reject_tokens = reject_tokens
        self.wrong_resource, self.wrong_issuer = resource, issuer
        self.refuse_registration = refuse_registration
        self.scopes = scopes
        self.auth_server = OAuthTestServer(authorize_as=None if deny else "ada",
                                           access_lifetime=access_lifetime)
        self.auth_server.add_user("ada", "pw", "ada@example.com")
        #: every registration request body (RFC 7591), in order
        self.registrations: list[dict[str, Any]] = []
        #: (path, authorization header) of every request the MCP server got
        self.mcp_requests: list[tuple[str, str]] = []
        self.as_server = BackgroundServer(self._as_app(), name="authorization server",
                                          lifespan="off")
        self.mcp = McpTestServer(revision, wrap=self._protect)
        self.agent = browser_agent()

    # -- the authorization server

    def _metadata(self) -> dict[str, Any]:
        root = self.as_server.root_url
        data: dict[str, Any] = {
            "issuer": self.wrong_issuer or root,
            "authorization_endpoint": root + "/authorize",
            "token_endpoint": root + "/token",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post", "none"],
            "scopes_supported": list(self.scopes),
        }
        if self.dcr:
            data["registration_endpoint"] = root + "/register"
        if self.cimd:
            data["client_id_metadata_document_supported"] = True
        return data

    def _as_app(self) -> Any:
        from authlib.oauth2.rfc6749.errors import OAuth2Error
        from authlib.oauth2.rfc6749.requests import JsonRequest
        from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint
        from starlette.requests import Request
        from starlette.responses import JSONResponse, Response
        from starlette.routing import Route

        setup = self
        owner = self.auth_server

        class Registration(ClientRegistrationEndpoint):
            def authenticate_token(self, request: Any) -> Any:
                return not setup.refuse_registration  # open registration (RFC 7591 §3)

            def get_server_metadata(self) -> dict[str, Any]:
                return setup._metadata()

            def generate_client_secret(self, request: Any) -> str | None:
                public = request.payload.data.get("token_endpoint_auth_method") == "none"
                return None if public else super().generate_client_secret(request)

            def save_client(self, info: dict[str, Any], metadata: dict[str, Any],
                            request: Any) -> Any:
                method = metadata.get("token_endpoint_auth_method", "client_secret_basic")
                secret = None if method == "none" else info["client_secret"]
                return owner.add_client(info["client_id"], secret,
                                        auth_methods=(method,),
                                        redirect_uris=tuple(metadata.get("redirect_uris", ())),
                                        scopes=tuple(setup.scopes))

        endpoint = Registration(owner.server)

        class _Payload:
            def __init__(self, data: dict[str, Any]) -> None:
                self.data = data

        async def register(request: Request) -> Response:
            body = await request.json()
            setup.registrations.append(body)
            oreq = JsonRequest("POST", str(request.url), dict(request.headers))
            oreq.payload = _Payload(body)
            try:
                status, data, headers = endpoint.create_registration_response(oreq)
            except OAuth2Error as error:
                status, data, headers = error()
                data = dict(data)
            return JSONResponse(data, status_code=status, headers=dict(headers))

        async def metadata(request: Request) -> Response:
            return JSONResponse(self._metadata())

        app = owner.app
        where = ("/.well-known/openid-configuration" if self.oidc else
                 "/.well-known/oauth-authorization-server")
        app.router.routes.extend([
            Route(where, metadata, methods=["GET"]),
            Route("/register", register, methods=["POST"]),
        ])
        return app

    def accept_metadata_document(self, url: str) -> None:
        """Let the authorization server know the client ID metadata document at ``url`` (as
        if it had fetched it: a public client, loopback redirect, PKCE)."""
        self.auth_server.add_client(url, None, auth_methods=("none",),
                                    redirect_uris=("http://127.0.0.1/callback",),
                                    scopes=tuple(self.scopes))

    # -- the protected MCP server

    def _protect(self, app: Any) -> Any:
        from starlette.responses import JSONResponse

        setup = self
        verifier = _Verifier(self.auth_server)

        async def protected(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            path = scope["path"]
            headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                       for k, v in scope["headers"]}
            setup.mcp_requests.append((path, headers.get("authorization", "")))
            if path.startswith("/.well-known/oauth-protected-resource"):
                if not setup.prm:
                    await JSONResponse({"error": "not found"}, status_code=404)(
                        scope, receive, send)
                    return
                body = {"resource": setup.wrong_resource or setup.mcp.url,
                        "authorization_servers": [setup.as_server.root_url],
                        "scopes_supported": list(setup.scopes),
                        "bearer_methods_supported": ["header"]}
                await JSONResponse(body)(scope, receive, send)
                return
            scheme, _, token = headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not verifier.check(token) or \
                    setup.reject_tokens:
                challenge = 'Bearer error="invalid_token"'
                if setup.prm:
                    challenge += (f', resource_metadata="{setup.mcp.root_url}'
                                  '/.well-known/oauth-protected-resource/mcp"')
                await JSONResponse({"error": "invalid_token"}, status_code=401,
                                   headers={"WWW-Authenticate": challenge})(
                    scope, receive, send)
                return
            await app(scope, receive, send)

        return protected

    # -- running

    @property
    def url(self) -> str:
        return self.mcp.url

    @property
    def issuer(self) -> str:
        return self.as_server.root_url

    def start(self) -> str:
        self.as_server.start(timeout=30)
        self.mcp.start()
        return self.url

    def stop(self) -> None:
        self.mcp.stop()
        self.as_server.stop()

    def __enter__(self) -> McpOAuthSetup:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def host_of(url: str) -> str:
    """``127.0.0.1:PORT`` of a URL (for sanitizing notebook output)."""
    return urlsplit(url).netloc
