"""The remote-server verbs of the ``mcp`` family: ``mcp add``, ``list``, ``remove``, ``check``
and ``call`` (``mcp serve`` and ``mcp preflight`` live in :mod:`nbconnect.verbs.mcp_serve`).

``mcp add NAME URL`` stores a remote MCP server (Streamable HTTP) with its auth: ``--auth
none``, ``--auth header --header H --secret REF``, or ``--auth oauth`` with ``--client-id ID
[--client-secret REF]`` (a client registered by hand), ``--dcr`` (dynamic client
registration) or ``--client-metadata-url URL``; ``%%connect mcp`` takes the same as YAML.
``mcp check NAME`` connects, negotiates the revision, runs the authorization discovery for
OAuth servers (each step shown), authorizes, lists the tools and keeps what it found on the
connector. ``mcp call NAME TOOL --arg k=v...`` calls a tool of a checked server.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from .. import limits
from ..errors import McpConfigError
from ..model.mcpserver import MCP_AUTH_TYPES, McpServer
from .grammar import seconds_arg
from .table import Arg, Family, Verb, register, usage_error

__all__ = ["server_from_args", "server_from_yaml"]

_YAML_KEYS = ("name", "url", "auth", "header", "secret", "client_id", "client_secret", "dcr",
              "scopes", "client_metadata_url", "redirect_url")


def _arrow(workspace: Any) -> str:
    written = workspace.written
    return f" -> {written}" if written is not None else ""


def server_from_args(args: argparse.Namespace) -> McpServer:
    """The :class:`McpServer` the ``mcp add`` flags describe (auth inferred from them when
    ``--auth`` is not given)."""
    auth = args.auth
    if auth is None:
        auth = "header" if (args.header or args.secret) else \
            "oauth" if (args.client_id or args.client_secret or args.dcr or args.scope
                        or args.client_metadata_url or args.redirect_url) else "none"
    return McpServer(name=args.name or "", url=args.url or "", auth=auth, header=args.header,
                     secret=args.secret, client_id=args.client_id,
                     client_secret=args.client_secret, dcr=bool(args.dcr),
                     scopes=tuple(args.scope or ()),
                     client_metadata_url=args.client_metadata_url,
                     redirect_url=args.redirect_url)


def server_from_yaml(text: str) -> list[McpServer]:
    """The servers a ``%%connect mcp`` body describes: one mapping (name, url, auth, header,
    secret, client_id, client_secret, dcr, scopes, client_metadata_url, redirect_url), or a
    list of them."""
    import yaml

    from .auth import load_yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader) if text.strip() else None
    except yaml.YAMLError:
        data = None
    items = data if isinstance(data, list) else \
        [load_yaml(text, "MCP server", "with at least 'name:' and 'url:'", ("mcp", "add"))]
    servers = []
    for item in items:
        if not isinstance(item, dict):
            raise McpConfigError("Each MCP server in the YAML must be a mapping with at least "
                                 "'name:' and 'url:'.")
        extra = sorted(set(item) - set(_YAML_KEYS))
        if extra:
            raise McpConfigError(f"The MCP server YAML has unknown keys {', '.join(extra)}; "
                                 f"the keys are {', '.join(_YAML_KEYS)}.")
        values = dict(item)
        if isinstance(values.get("scopes"), str):
            values["scopes"] = values["scopes"].split()
        if "auth" not in values:
            values["auth"] = "header" if "header" in values or "secret" in values else \
                "oauth" if {"client_id", "dcr", "client_secret", "scopes",
                            "client_metadata_url", "redirect_url"} & set(values) else "none"
        servers.append(McpServer.from_dict(values))
    return servers


def run_add(workspace: Any, args: argparse.Namespace) -> Any:
    """Add a remote MCP server (NAME URL and auth flags, or YAML)."""
    connector = workspace.require()
    if args.definition is not None:
        servers = server_from_yaml(args.definition)
        names = [s.name for s in servers]
        taken = [n for n in names if n in connector.mcp]
        if taken or len(set(names)) != len(names):
            raise McpConfigError(f"Connector {connector.name!r} already has an MCP server "
                                 f"{(taken or names)[0]!r} (or the YAML names it twice); "
                                 "remove it first or pick another name.", option="name")
        connector.mcp_servers = (*connector.mcp_servers, *servers)
        return servers[0] if len(servers) == 1 else tuple(servers)
    lacking = [shown for shown, value in (("NAME", args.name), ("URL", args.url)) if not value]
    if lacking:
        raise usage_error(f"the following arguments are required: {', '.join(lacking)}",
                          ("mcp", "add"))
    return connector.mcp.add(server_from_args(args))


def _add_text(result: Any, args: argparse.Namespace, workspace: Any) -> str:
    servers = result if isinstance(result, tuple) else (result,)
    names = ", ".join(f"{s.name} ({s.auth})" for s in servers)
    return (f"MCP server {names} added to {workspace.connector.name}{_arrow(workspace)}; "
            "check it next")


def run_list(workspace: Any, args: argparse.Namespace) -> tuple[McpServer, ...]:
    """The connector's remote MCP servers."""
    return workspace.require().mcp_servers


def _list_text(servers: tuple[McpServer, ...], args: argparse.Namespace,
               workspace: Any) -> str:
    from ..mcp.text import servers_table

    if args.json:
        return json.dumps([s.to_dict() for s in servers], indent=2, ensure_ascii=False)
    return servers_table(servers)


def run_remove(workspace: Any, args: argparse.Namespace) -> McpServer:
    """Remove the remote MCP server NAME."""
    return workspace.require().mcp.remove(args.name)


def run_check(workspace: Any, args: argparse.Namespace) -> Any:
    """Check the remote MCP server NAME and keep what was found on the connector."""
    connector = workspace.require()
    show = workspace.show_link
    if args.json:  # the link must not break the JSON on stdout
        def show(url: str) -> None:
            workspace.warn(f"Open this URL in a browser to authorize:\n{url}")
    result = connector.mcp.check(args.name, open_url=show, timeout=args.timeout,
                                 auth_timeout=args.auth_timeout)
    if not args.json:
        for note in result.notes:
            workspace.say(note)
    return result


def _check_text(result: Any, args: argparse.Namespace, workspace: Any) -> str:
    from ..mcp.text import check_json, check_text

    if args.json:
        return json.dumps(check_json(result), indent=2, ensure_ascii=False)
    arrow = _arrow(workspace)
    return check_text(result) + (f"\n{arrow.strip()}" if arrow else "")


def run_call(workspace: Any, args: argparse.Namespace) -> Any:
    """Call TOOL of the checked MCP server NAME with the --arg k=v arguments."""
    from ..mcp.calls import call_tool, parse_arguments

    server = workspace.require().mcp[args.name]
    entry = server.checked.tool(args.tool) if server.checked is not None else None
    arguments = parse_arguments(args.arg or (), entry)
    return call_tool(server, args.tool, arguments, open_url=workspace.show_link,
                     timeout=args.timeout, auth_timeout=args.auth_timeout)


def _call_text(result: Any, args: argparse.Namespace, workspace: Any) -> str:
    from ..mcp.text import result_text

    if args.json:
        return json.dumps(result.to_dict(), indent=2, ensure_ascii=False)
    return result_text(result)


_NAME = Arg("name", metavar="NAME", required=True, help="the MCP server's name")
_TIMEOUT = Arg("timeout", ("--timeout",), "S", type=seconds_arg, default=limits.MCP_TIMEOUT,
               help=f"seconds for the connection and handshake (default {limits.MCP_TIMEOUT:g})")
_JSON = Arg("json", ("--json",), switch=True, help="print JSON")
_AUTH_TIMEOUT = Arg("auth_timeout", ("--auth-timeout",), "S", type=seconds_arg,
                    default=limits.MCP_AUTH_TIMEOUT,
                    help="seconds to wait for the authorization in the browser (oauth; "
                         f"default {limits.MCP_AUTH_TIMEOUT:g})")

register(
    Family("mcp", "mcp add NAME URL [OPTIONS]",
           "remote MCP servers: add, list, remove, check, call (also: serve, preflight)",
           cell_action="add",
           description="Remote Model Context Protocol servers the connector uses (add, "
                       "check, call their tools), and serving the connector as one."),
    Verb(("mcp", "add"), "add a remote MCP server (no arguments: a form)",
         "Add a remote MCP server: its name, its Streamable HTTP URL and its authentication: "
         "none; header (--header NAME --secret REF: the header's whole value from a secret "
         "reference); or oauth (--client-id ID [--client-secret REF] for a client registered "
         "by hand, --dcr to register one dynamically (RFC 7591), or --client-metadata-url "
         "URL; --scope S). The package keeps references only.", run_add, changes=True,
         text=_add_text, form="mcp", form_when=lambda a: not a.name and a.definition is None,
         synopsis="mcp add NAME URL [--auth none|header|oauth] [--header H --secret REF] "
                  "[--client-id ID --client-secret REF] [--dcr]",
         cell_synopsis="%%connect mcp",
         cell_summary="add remote MCP servers described in YAML in the cell body",
         args=(Arg("name", metavar="NAME", help="the server's name"),
               Arg("url", metavar="URL", help="its Streamable HTTP endpoint (https; http "
                                               "only on loopback)"),
               Arg("auth", ("--auth",), "TYPE", choices=MCP_AUTH_TYPES,
                   help="none, header or oauth (default: from the other flags)"),
               Arg("header", ("--header",), "H", help="header auth: the header's name"),
               Arg("secret", ("--secret",), "REF", secret=True,
                   help="header auth: a reference to the header's value (env:NAME, "
                        "keyring:NAME, prompt)"),
               Arg("client_id", ("--client-id",), "ID",
                   help="oauth: the id of a client registered by hand"),
               Arg("client_secret", ("--client-secret",), "REF", secret=True,
                   help="oauth: a reference to that client's secret"),
               Arg("dcr", ("--dcr",), switch=True,
                   help="oauth: register a client dynamically when the server offers it"),
               Arg("client_metadata_url", ("--client-metadata-url",), "URL",
                   help="oauth: an https client ID metadata document to use as client id"),
               Arg("scope", ("--scope",), "S", repeatable=True, split=True,
                   help="oauth: a scope to ask for (repeatable, or a,b)"),
               Arg("redirect_url", ("--redirect-url",), "URL",
                   help="oauth: a fixed loopback redirect (default: a free port)"),
               Arg("definition", ("--yaml",), "FILE", yaml=True,
                   help="the server(s) as YAML (%%connect mcp: the cell body)"))),
    Verb(("mcp", "list"), "list the remote MCP servers", "List the remote MCP servers.",
         run_list, text=_list_text, view="mcp-servers", args=(_JSON,)),
    Verb(("mcp", "remove"), "remove a remote MCP server", "Remove the remote MCP server NAME.",
         run_remove, changes=True, args=(_NAME,),
         text=lambda s, a, w: f"MCP server {s.name} removed from {w.connector.name}"
                              f"{_arrow(w)}"),
    Verb(("mcp", "check"), "check a remote MCP server: revision, identity, tools",
         "Connect to the MCP server NAME, negotiate the protocol revision (2026-07-28 "
         "server/discover, else the 2025-11-25 initialize handshake), show its name, "
         "version, capabilities and tools with their input schemas. OAuth servers: the "
         "authorization discovery is shown step by step (RFC 9728, RFC 8414), a client is "
         "registered when allowed, and the authorization link is shown. What was found is "
         "kept on the connector.", run_check, changes=True, text=_check_text,
         view="mcp-check", args=(_NAME, _JSON, _TIMEOUT, _AUTH_TIMEOUT)),
    Verb(("mcp", "call"), "call a tool of a remote MCP server (no arguments: a form)",
         "Call TOOL of the checked MCP server NAME; --arg NAME=VALUE gives an argument (typed "
         "by the tool's input schema: a=1 is a number where the schema says so). Shows the "
         "result's text, JSON and images.", run_call, text=_call_text, view="mcp-result",
         form="mcp-call", form_when=lambda a: not a.name and not a.tool and not a.arg,
         synopsis="mcp call NAME TOOL [--arg K=V]...",
         args=(_NAME, Arg("tool", metavar="TOOL", required=True, help="the tool's name"),
               Arg("arg", ("--arg",), "K=V", repeatable=True, secret=True,
                   help="an argument NAME=VALUE (repeatable)"),
               _JSON, _TIMEOUT, _AUTH_TIMEOUT)),
)
