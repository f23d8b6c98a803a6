"""Serve a connector as an MCP server: one tool per endpoint, calls through the runner.

:class:`ToolServer` holds the served tool set (:mod:`nbconnect.mcp.tools`) and makes each
call the way ``nbconnect test`` does, through the one runner (request building in
:mod:`nbconnect.testing.request`, the connection's auth from
:func:`nbconnect.auth.flows.client_for`, retries and body caps in
:mod:`nbconnect.testing.running`): secrets come from the connection's references
(``env:NAME``, ``NBCONNECT_SECRET_*``; a ``prompt`` reference cannot be answered by a
server and is refused with a sentence saying which variable to set). A call sends only what
the caller gave: optional parameters left out are left out (no test values, examples or
defaults are sent in their place). The answer is a :class:`ToolResult`: structured content
``{status, content_type, body}`` for a 2xx answer whose body matches the declared schema,
an error result (``isError``) naming the status and the API's message otherwise.

:func:`build_server` wraps a ToolServer in the ``mcp`` SDK's low-level ``Server`` (the SDK
speaks the protocol: the 2025-11-25 ``initialize`` handshake and the stateless 2026-07-28
revision); :func:`serve_stdio` runs it over stdio, :func:`http_app` gives the Streamable
HTTP ASGI app (path ``/mcp``) and :func:`start_http` runs that in the background with
:class:`nbconnect.serving.BackgroundServer`. The MCP client's own headers (its
``Authorization`` among them) are never read, so they never reach the API.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import McpServeError, NbConnectError, SecretError, clip
from ..model import Connector, Endpoint, Param
from .tools import ALL_PAGES, MAX_PAGES, ToolDef, coerce_arguments, tools_for

__all__ = ["MCP_PATH", "ToolResult", "ToolServer", "build_server", "http_app", "serve_stdio",
           "start_http"]

#: where the Streamable HTTP endpoint is served
MCP_PATH = "/mcp"
#: characters of a response body shown in an error result
_ERROR_BODY = 2000


@dataclass(frozen=True)
class ToolResult:
    """The answer to one tool call: ``structured`` (``{status, content_type, body}``, or
    None for an error), ``text`` (what the content block says) and ``is_error``."""

    text: str
    structured: dict[str, Any] | None = None
    is_error: bool = False
    status: int | None = None

    def to_mcp(self) -> dict[str, Any]:
        """The MCP ``CallToolResult`` as JSON data."""
        out: dict[str, Any] = {"content": [{"type": "text", "text": self.text}],
                               "isError": self.is_error}
        if self.structured is not None:
            out["structuredContent"] = self.structured
        return out


def _no_prompt(label: str) -> str:
    raise SecretError(f"A served connector cannot ask for the secret {label!r}; set it in "
                      "the environment (an env: reference or NBCONNECT_SECRET_<NAME>) before "
                      "the server starts.")


def _strip_examples(param: Param) -> Param:
    """A body field with no example (so an optional field the caller left out is left out,
    not filled from the spec's example)."""
    children = tuple(_strip_examples(c) for c in param.children)
    return dataclasses.replace(param, example=None, default=None, children=children)


def _served_endpoint(ep: Endpoint) -> Endpoint:
    """``ep`` as a tool call sends it: body fields without examples or defaults, and no
    request-schema example under them."""
    if not ep.body:
        return ep
    return dataclasses.replace(ep, body=tuple(_strip_examples(p) for p in ep.body),
                               request_schema=None)


def _body_value(result: Any) -> Any:
    """The response body as JSON data when it parses, else text (None when empty)."""
    raw = result.body or b""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return raw.decode("utf-8", errors="replace")


class ToolServer:
    """A connector's endpoints as MCP tools, called through a test connection.

    ``include``/``exclude`` pick endpoints by tag or id; ``client`` (a name from
    :data:`nbconnect.mcp.clients.CLIENTS`) applies that client's fixes (names, tool count:
    see :func:`nbconnect.mcp.preflight.fit`), and :attr:`notes` says what they changed.
    ``connection`` names the test connection (default: the default one); ``transport``,
    ``verify`` and ``timeout`` go to the runner's client; ``tools`` serves tool definitions
    made already (instead of selecting them); ``max_body_bytes`` bounds a response body
    (default the runner's 1 MB: a larger 2xx body is an error result saying so). Nothing
    on ``connector`` changes.
    """

    def __init__(self, connector: Connector, *, include: Iterable[str] = (),
                 exclude: Iterable[str] = (), client: str | None = None,
                 connection: str | None = None, transport: Any = None, verify: Any = True,
                 timeout: float | None = None, tools: list[ToolDef] | None = None,
                 max_body_bytes: int | None = None) -> None:
        self.connector = connector
        self.notes: list[str] = []
        if tools is None:
            tools = tools_for(connector, include, exclude)
        if client is not None:
            from .preflight import fit

            tools, self.notes = fit(connector, tools, client)
        self.tools: list[ToolDef] = tools
        self._by_name = {t.name: t for t in tools}
        self._endpoints = {t.endpoint_id: _served_endpoint(connector.endpoint(t.endpoint_id))
                           for t in tools}
        self.connection = connection
        self._transport = transport
        self._verify = verify
        self._timeout = timeout
        self._max_body = max_body_bytes
        self._run: Any = None
        self._lock = threading.Lock()
        # the served copy: no saved test values mixed into a call
        self._connector = Connector(connector.name, base_url=connector.base_url,
                                    auth=connector.auth, endpoints=connector.endpoints,
                                    connections=connector.connections,
                                    schemas=connector.schemas)
        if getattr(connector, "links", None):  # link checks apply to tool calls too
            self._connector.links = connector.links

    def __repr__(self) -> str:
        return f"ToolServer({self.connector.name!r}, tools={len(self.tools)})"

    def tool(self, name: str) -> ToolDef:
        """The tool called ``name``; raises :class:`~nbconnect.errors.McpServeError`."""
        try:
            return self._by_name[name]
        except KeyError:
            import difflib

            close = difflib.get_close_matches(str(name), list(self._by_name), n=1)
            hint = f"did you mean {close[0]}?" if close else "list the tools to see them."
            raise McpServeError(f"This server has no tool {name!r}; {hint}",
                                option="tool") from None

    def _prepared(self) -> Any:
        """The runner's prepared run (client with the connection's auth), made once."""
        with self._lock:
            if self._run is None:
                from ..testing.running import _make_run

                self._run = _make_run(self._connector, self.connection, prompt=_no_prompt,
                                      verify=self._verify, timeout=self._timeout,
                                      transport=self._transport, concurrency=10,
                                      retries=None, retry_wait=None,
                                      sample_bytes=self._max_body)
                self._run.link_options = {  # what a dynamic link's own call uses
                    "connection": self.connection, "transport": self._transport,
                    "verify": self._verify, "prompt": _no_prompt, "timeout": self._timeout}
            return self._run

    def close(self) -> None:
        """Close the HTTP client of the calls (a later call opens a new one)."""
        with self._lock:
            run, self._run = self._run, None
        if run is not None:
            run.client.close()

    def call(self, name: str, arguments: Mapping[str, Any] | None = None) -> ToolResult:
        """Call tool ``name`` with ``arguments``; a problem (unknown tool, bad arguments,
        a secret that cannot be resolved, an API error) is an error result, never an
        exception."""
        from ..auth.secrets import redact

        try:
            tool = self.tool(name)
            values = coerce_arguments(tool, arguments)
            ep = self._endpoints[tool.endpoint_id]
            for arg in tool.arguments:
                if arg.location == "document":
                    body = values.pop(arg.name, None)
                    ep = dataclasses.replace(ep, request_schema={"example": body})
            controls = {a.name for a in tool.arguments if a.location == "control"}
            all_pages = bool(values.pop(ALL_PAGES, False)) if ALL_PAGES in controls else False
            max_pages = values.pop(MAX_PAGES, None) if MAX_PAGES in controls else None
            for p in ep.params:  # optional parameters not given are left out
                values.setdefault(p.name, None)
            run = self._prepared()
            if all_pages:
                return self._all_pages(tool, values, max_pages)
        except NbConnectError as exc:
            return ToolResult(redact(str(exc)), is_error=True)
        from ..testing.running import BODY_SAMPLE_BYTES, _run_one

        result = _run_one(run, ep, values)
        body = _body_value(result)
        if result.status is None:  # refused before sending (a link check), or no answer
            return ToolResult(redact(result.reason or "The API gave no answer."),
                              is_error=True)
        if result.truncated and 200 <= result.status < 300:
            limit = self._max_body if self._max_body is not None else BODY_SAMPLE_BYTES
            return ToolResult(f"The API answered {result.status} with a body of {result.size} "
                              f"bytes, more than the {limit} a tool result holds; ask for "
                              "less (a filter, a smaller page).", is_error=True,
                              status=result.status)
        structured = {"status": result.status, "content_type": result.content_type,
                      "body": body}
        if 200 <= result.status < 300 and result.ok:
            text = json.dumps(body, ensure_ascii=False) if not isinstance(body, str) else body
            return ToolResult(redact(text), structured, status=result.status)
        shown = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        message = f"HTTP {result.status}: {result.reason}"
        if shown and shown != "null":
            message += f"\n{clip(shown, _ERROR_BODY)}"
        return ToolResult(redact(message), is_error=True, status=result.status)


    def _all_pages(self, tool: ToolDef, values: dict[str, Any],
                   max_pages: Any) -> ToolResult:
        """Follow the endpoint's pages (:func:`nbconnect.paging.follow.follow`, its rule and
        termination guarantees) through the same connection."""
        from ..auth.secrets import redact
        from ..paging.follow import follow

        bound = 10 if max_pages is None else max_pages
        result = follow(self._connector, tool.endpoint_id, connection=self.connection,
                        params=values, max_pages=bound, transport=self._transport,
                        verify=self._verify, prompt=_no_prompt, timeout=self._timeout,
                        detect=False)
        if not result.ok or result.status is None:
            return ToolResult(redact(f"HTTP {result.status}: {result.stop_message}"),
                              is_error=True, status=result.status)
        pages = {"items": list(result.items), "pages": result.pages,
                 "stop_reason": result.stop_reason, "stop_message": result.stop_message}
        structured = {"status": result.status, "content_type": "application/json",
                      "body": result.data, ALL_PAGES: pages}
        return ToolResult(redact(json.dumps(pages, ensure_ascii=False, default=str)),
                          structured, status=result.status)


# --------------------------------------------------------------------------- the SDK


def build_server(tools: ToolServer, *, instructions: str | None = None) -> Any:
    """The ``mcp`` SDK low-level ``Server`` serving ``tools`` (tools/list, tools/call)."""
    import anyio
    import mcp_types as types
    from mcp.server.lowlevel import Server

    from .. import __version__

    listed = [types.Tool.model_validate(t.to_mcp()) for t in tools.tools]

    async def list_tools(ctx: Any, params: Any) -> Any:
        return types.ListToolsResult(tools=listed)

    async def call_tool(ctx: Any, params: Any) -> Any:
        result = await anyio.to_thread.run_sync(tools.call, params.name, params.arguments)
        return types.CallToolResult.model_validate(result.to_mcp())

    connector = tools.connector
    text = instructions or (f"Tools calling the {connector.name} API, one per endpoint; "
                            "each answers with the HTTP status and the response body.")
    return Server(connector.name, version=__version__, title=connector.name,
                  instructions=text, on_list_tools=list_tools, on_call_tool=call_tool)


def serve_stdio(tools: ToolServer) -> None:
    """Serve ``tools`` over stdio until the client closes stdin (the SDK's stdio
    transport; stdout carries only protocol messages)."""
    import anyio
    from mcp.server.stdio import stdio_server

    server = build_server(tools)

    async def main() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    try:
        anyio.run(main)
    finally:
        tools.close()


def http_app(tools: ToolServer, *, host: str = "127.0.0.1") -> Any:
    """The Streamable HTTP ASGI app serving ``tools`` at :data:`MCP_PATH`."""
    return build_server(tools).streamable_http_app(streamable_http_path=MCP_PATH, host=host)


class HttpMcpServer:
    """A served connector over Streamable HTTP in the background; :attr:`url` is the MCP
    endpoint (``http://127.0.0.1:PORT/mcp``); ``stop()`` stops it."""

    def __init__(self, tools: ToolServer, *, host: str = "127.0.0.1", port: int = 0) -> None:
        from ..serving import BackgroundServer

        self.tools = tools
        self.server = BackgroundServer(http_app(tools, host=host), host=host, port=port,
                                       name="MCP server", lifespan="on")

    @property
    def url(self) -> str:
        return self.server.root_url + MCP_PATH

    @property
    def running(self) -> bool:
        return self.server.running

    def start(self) -> str:
        self.server.start()
        return self.url

    def stop(self) -> None:
        self.server.stop()
        self.tools.close()

    def __enter__(self) -> HttpMcpServer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return (f"<MCP server {self.tools.connector.name!r}: {len(self.tools.tools)} tools, "
                f"{state}>")


def start_http(tools: ToolServer, *, host: str = "127.0.0.1", port: int = 0) -> HttpMcpServer:
    """Start ``tools`` over Streamable HTTP in the background and return the running
    :class:`HttpMcpServer` (raises :class:`~nbconnect.errors.ServerStartError`)."""
    server = HttpMcpServer(tools, host=host, port=port)
    server.start()
    return server
