"""The serving verbs of the ``mcp`` family: ``mcp serve`` and ``mcp preflight``.

``mcp serve`` serves the connector's endpoints as MCP tools (:mod:`nbconnect.mcp.serve`):
the CLI over stdio by default (``--http``: Streamable HTTP in the foreground until Ctrl-C),
the notebook over Streamable HTTP in the background, showing the URL (``--stop`` stops it).
``--include``/``--exclude`` pick tools by tag or endpoint id, ``--client C`` applies that
client's fixes (:func:`nbconnect.mcp.preflight.fit`), ``--connection`` names the test
connection whose auth the calls use.

``mcp preflight`` checks the served tool set against a client's limits, proposes tag-based
tool sets that fit, and calls every tool against the mock API (``--replay``: the package's
cassettes) proving the MCP client's ``Authorization`` header never reaches the API
(:func:`nbconnect.mcp.preflight.preflight`).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..mcp.clients import CLIENTS
from .grammar import port_arg
from .table import Arg, Family, Verb, families, register, usage_error

__all__ = ["MCP_SERVER_ATTR", "stop_served"]

#: the workspace attribute holding the MCP server the notebook runs in the background
MCP_SERVER_ATTR = "mcp_served"


def stop_served(workspace: Any) -> bool:
    """Stop the background MCP server of ``workspace`` (True when one was running)."""
    server = getattr(workspace, MCP_SERVER_ATTR, None)
    setattr(workspace, MCP_SERVER_ATTR, None)
    if server is None:
        return False
    server.stop()
    return True


def _tool_server(workspace: Any, args: argparse.Namespace) -> Any:
    from ..mcp.serve import ToolServer

    connector = workspace.require()
    verify = workspace._verify_for(connector, args.connection)
    return ToolServer(connector, include=args.include or (), exclude=args.exclude or (),
                      client=args.client, connection=args.connection, verify=verify)


def run_serve(workspace: Any, args: argparse.Namespace) -> Any:
    """Serve the connector as an MCP server (see the module docstring)."""
    if args.stop:
        workspace.say("MCP server stopped." if stop_served(workspace) else
                      "No MCP server is running.")
        return None
    tools = _tool_server(workspace, args)
    if not tools.connector.connections:
        workspace.warn(f"Connector {tools.connector.name!r} has no test connection, so every "
                       "tool call will answer an error; add a connection (a base URL and "
                       "references to its secrets) before a client calls the tools.")
    if workspace.background:
        from ..mcp.serve import start_http

        stop_served(workspace)
        server = start_http(tools, port=args.port or 0)
        setattr(workspace, MCP_SERVER_ATTR, server)
        if not getattr(workspace, "_mcp_atexit", False):
            import atexit

            atexit.register(stop_served, workspace)
            workspace._mcp_atexit = True
        for note in tools.notes:
            workspace.say(note)
        workspace.say(f"MCP server of {tools.connector.name!r}: {len(tools.tools)} tools at "
                      f"{server.url} (Streamable HTTP; mcp serve --stop stops it).")
        return server
    for note in tools.notes:
        workspace.warn(note)
    if args.http:
        from ..mcp.serve import http_app
        from ..serving import BackgroundServer

        server = BackgroundServer(http_app(tools), port=args.port or 0, name="MCP server",
                                  lifespan="on")
        try:
            server.serve_forever(ready=lambda: workspace.say(
                f"MCP server of {tools.connector.name!r}: {len(tools.tools)} tools at "
                f"{server.root_url}/mcp (Streamable HTTP; Ctrl-C stops it)."))
        finally:
            tools.close()
        return None
    if args.port:
        raise usage_error("--port is for --http; stdio needs no port.", ("mcp", "serve"),
                          option="port")
    from ..mcp.serve import serve_stdio

    sys.stdout.flush()
    serve_stdio(tools)
    return None


def run_preflight(workspace: Any, args: argparse.Namespace) -> Any:
    """Check the served tool set against a client and call every tool against the mock."""
    from ..mcp.preflight import preflight

    connector = workspace.require()
    cassettes = None
    if args.replay:
        if args.no_calls:
            raise usage_error("--replay answers the calls from the cassettes; with "
                              "--no-calls nothing is called, so give one or the other.",
                              ("mcp", "preflight"), option="replay")
        if workspace.package_path is None:
            raise usage_error("--replay reads the cassettes of the connector's package, and "
                              "this connector has none yet; export it, or load a package.",
                              ("mcp", "preflight"), option="replay")
        cassettes = workspace.package_path
    return preflight(connector, args.client or "generic", include=args.include or (),
                     exclude=args.exclude or (), calls=not args.no_calls,
                     cassettes=cassettes)


def _preflight_text(report: Any, args: argparse.Namespace, workspace: Any) -> str:
    if args.json:
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)
    return report.text()


_SELECT = (Arg("include", ("--include",), "TAG_OR_ID", repeatable=True, split=True,
               help="serve only endpoints with this tag or id (repeatable, or a,b)"),
           Arg("exclude", ("--exclude",), "TAG_OR_ID", repeatable=True, split=True,
               help="leave out endpoints with this tag or id (repeatable, or a,b)"))

if "mcp" not in families():
    register(Family("mcp", "mcp serve|preflight ...", "MCP: serve the connector as an MCP "
                    "server and check it against MCP clients"))

register(
    Verb(("mcp", "serve"), "serve the connector as an MCP server (one tool per endpoint)",
         "Serve every endpoint (or those picked by --include/--exclude, by tag or id) as an "
         "MCP tool that calls the API through the test connection's auth. The CLI speaks "
         "stdio (--http: Streamable HTTP until Ctrl-C); the notebook serves Streamable HTTP "
         "in the background and shows the URL (--stop stops it). --client C applies that "
         "client's limits (tool count, names).", run_serve,
         synopsis="mcp serve [--http --port N] [--client C] [--include T]... [--exclude T]...",
         args=(*_SELECT,
               Arg("client", ("--client",), "CLIENT", choices=tuple(CLIENTS),
                   help="fit the tool set to this client: " + ", ".join(CLIENTS)),
               Arg("connection", ("--connection",), "NAME",
                   help="the test connection whose base URL and auth the calls use "
                        "(default: the default one)"),
               Arg("http", ("--http",), switch=True,
                   help="serve Streamable HTTP instead of stdio (the notebook always does)"),
               Arg("port", ("--port",), "N", type=port_arg, default=0,
                   help="the HTTP port (default 0: a free one, printed)"),
               Arg("stop", ("--stop",), switch=True,
                   help="stop the MCP server running in the background (notebook)"))),
    Verb(("mcp", "preflight"), "check the served tools against an MCP client's limits",
         "Check the tool set mcp serve would serve against what the client accepts (tool "
         "count, tool and argument names, schema shapes), propose tag-based tool sets that "
         "fit, and call every tool through the server against the mock API, checking that "
         "the MCP client's own Authorization header never reaches the API.", run_preflight,
         text=_preflight_text, exit_code=lambda report: 0 if report.ok else 1,
         form="mcp-serve", form_when=lambda a: bool(getattr(a, "form", False)),
         synopsis="mcp preflight [--client C] [--json] [--include T]... [--exclude T]... "
                  "[--form]",
         args=(*_SELECT,
               Arg("client", ("--client",), "CLIENT", choices=tuple(CLIENTS),
                   default="generic",
                   help="the client to check against: " + ", ".join(CLIENTS)
                        + " (default generic)"),
               Arg("json", ("--json",), switch=True, help="print the report as JSON"),
               Arg("no_calls", ("--no-calls",), switch=True,
                   help="check the tool definitions only; call nothing"),
               Arg("replay", ("--replay",), switch=True,
                   help="answer the calls from the package's recorded cassettes instead "
                        "of the mock API"),
               Arg("form", ("--form",), switch=True,
                   help="open the preflight and serve form (notebook)"))),
)
