"""The one table of what each MCP client accepts from a server's tool list, with sources.

:data:`CLIENTS` maps a client name (``cursor``, ``vscode-copilot``, ``windsurf``, ``claude``,
``generic``) to its :class:`ClientLimits`: how many tools it takes, the length and characters
of a tool name and of an input property name, and the schema shapes it refuses (a top-level
``anyOf``/``oneOf``/``allOf`` in an input schema, an output schema whose root is a ``$ref``
or not ``type: object``). Each figure carries its source (a URL or a document name) and
whether that source is the vendor's own documentation or a report from users
(:attr:`Limit.certain`); :func:`nbconnect.mcp.preflight.preflight` checks a served tool
set against one entry and ``mcp serve --client C`` applies the fixes.

The figures were looked up in 2026-11; clients change them without notice, so the table
says where each came from rather than pretending to be exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import McpServeError

__all__ = ["CLIENTS", "ClientLimits", "Limit", "client_limits"]

#: MCP specification 2025-11-25, "Tools" > "Tool names".
SPEC_TOOL_NAMES = "https://modelcontextprotocol.io/specification/2025-11-25/server/tools#tool-names"
#: MCP schema 2025-06-18 onward: ``Tool.inputSchema``/``outputSchema`` are ``type: object``.
SPEC_SCHEMA = "https://modelcontextprotocol.io/specification/2025-06-18/schema#tool"
_ANTHROPIC_UNION = ("Anthropic Messages API error 'input_schema does not support oneOf, allOf, "
                    "or anyOf at the top level' (anthropics/claude-code#5319, #5878)")
_OUTPUT_REF = ("Claude Code rejects an outputSchema whose root is a $ref without type: object "
               "(PrefectHQ/fastmcp#2455)")


@dataclass(frozen=True)
class Limit:
    """One figure of the table: its value, where it comes from and how sure it is."""

    value: Any
    source: str
    certain: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "source": self.source, "certain": self.certain}


@dataclass(frozen=True)
class ClientLimits:
    """What one MCP client accepts.

    ``max_tools``: tools the client takes from all servers together (None: no known cap);
    ``name_max``/``name_chars``: a tool name's length and its allowed characters (a regex
    character class); ``property_chars``/``property_max``: the same for an input schema's
    property names; ``refuses_top_level_union``: an ``inputSchema`` with ``anyOf``/``oneOf``/
    ``allOf`` at its root; ``refuses_output_root_ref``: an ``outputSchema`` whose root is a
    ``$ref`` or is not ``type: object``.
    """

    name: str
    title: str
    max_tools: Limit
    name_max: Limit
    name_chars: Limit
    property_max: Limit
    property_chars: Limit
    refuses_top_level_union: Limit
    refuses_output_root_ref: Limit
    notes: tuple[str, ...] = field(default=())

    def name_ok(self, name: str) -> bool:
        """True when ``name`` is a tool name this client takes."""
        return 0 < len(name) <= self.name_max.value and \
            re.fullmatch(f"[{self.name_chars.value}]+", name) is not None

    def property_ok(self, name: str) -> bool:
        """True when ``name`` is an input property name this client takes."""
        return 0 < len(name) <= self.property_max.value and \
            re.fullmatch(f"[{self.property_chars.value}]+", name) is not None

    def to_dict(self) -> dict[str, Any]:
        """The entry as JSON data (each figure with its source)."""
        out: dict[str, Any] = {"name": self.name, "title": self.title}
        for key in ("max_tools", "name_max", "name_chars", "property_max", "property_chars",
                    "refuses_top_level_union", "refuses_output_root_ref"):
            out[key] = getattr(self, key).to_dict()
        out["notes"] = list(self.notes)
        return out


_GENERIC = ClientLimits(
    "generic", "any MCP client (the specification)",
    max_tools=Limit(None, "the MCP specification sets no tool count limit"),
    name_max=Limit(128, SPEC_TOOL_NAMES),
    name_chars=Limit("A-Za-z0-9_.-", SPEC_TOOL_NAMES),
    property_max=Limit(64, "Anthropic and OpenAI function-calling property keys "
                           "'^[a-zA-Z0-9_.-]{1,64}$' (the common subset)", certain=False),
    property_chars=Limit("A-Za-z0-9_.-", "the common subset of the tool-calling APIs",
                         certain=False),
    refuses_top_level_union=Limit(False, SPEC_SCHEMA),
    refuses_output_root_ref=Limit(True, SPEC_SCHEMA + " (outputSchema is type: object)"),
)

CLIENTS: dict[str, ClientLimits] = {
    "cursor": ClientLimits(
        "cursor", "Cursor",
        max_tools=Limit(40, "Cursor's docs, https://docs.cursor.com/context/model-context-"
                            "protocol#tool-quantity: 'Currently, Cursor will only send the "
                            "first 40 tools to the Agent' (quoted in anyproto/anytype-mcp#5, "
                            "getsentry/sentry-mcp-stdio#3, ryoppippi/sitemcp#1); later "
                            "versions warn past 80 instead (Snowflake-Labs/mcp#77, 2025-09), "
                            "so 40 is the safe figure"),
        name_max=Limit(60, "Cursor's own warning 'Combined server and tool name length "
                           "(N) exceeds 60 characters' (ComposioHQ/composio#2788, "
                           "awslabs/mcp#1283, Cursor 1.6); not in Cursor's docs",
                       certain=False),
        name_chars=Limit("A-Za-z0-9_-", "OpenAI function names '^[a-zA-Z0-9_-]{1,64}$' "
                                        "(Cursor passes tools to OpenAI models)", certain=False),
        property_max=Limit(64, "OpenAI function-calling parameter names", certain=False),
        property_chars=Limit("A-Za-z0-9_.-", "OpenAI/Anthropic property keys", certain=False),
        refuses_top_level_union=Limit(True, _ANTHROPIC_UNION + "; Cursor sends tools to "
                                      "Claude models too", certain=False),
        refuses_output_root_ref=Limit(True, SPEC_SCHEMA),
        notes=("Cursor's 60 characters count the server name given in mcp.json too; the "
               "preflight checks the tool name alone, so keep that server name short.",),
    ),
    "vscode-copilot": ClientLimits(
        "vscode-copilot", "VS Code (GitHub Copilot agent mode)",
        max_tools=Limit(128, "'You may not include more than 128 tools in your request' "
                             "(microsoft/vscode#290356, vscode-copilot-release#13065); "
                             "virtual tools can group more"),
        name_max=Limit(64, "OpenAI function names '^[a-zA-Z0-9_-]{1,64}$'"),
        name_chars=Limit("a-zA-Z0-9_-", "VS Code log: 'Tools names may only contain "
                                        "[a-z0-9_-]' (drupal mcp_server #3585896)"),
        property_max=Limit(64, "OpenAI function-calling parameter names", certain=False),
        property_chars=Limit("A-Za-z0-9_.-", "OpenAI/Anthropic property keys", certain=False),
        refuses_top_level_union=Limit(True, _ANTHROPIC_UNION + "; Copilot sends tools to "
                                      "Claude models too", certain=False),
        refuses_output_root_ref=Limit(True, "the TypeScript SDK's Tool schema requires "
                                            "outputSchema type: object "
                                            "(modelcontextprotocol/typescript-sdk#1169)"),
    ),
    "windsurf": ClientLimits(
        "windsurf", "Windsurf (Cascade)",
        max_tools=Limit(100, "https://docs.windsurf.com/windsurf/cascade/mcp ('Cascade has "
                             "a limit of 100 total tools'; the same docs said 50 in 2025-04, "
                             "Zhwt/go-mcp-mysql#3)"),
        name_max=Limit(64, "OpenAI/Anthropic function names (1-64 characters)",
                       certain=False),
        name_chars=Limit("A-Za-z0-9_-", "OpenAI function names '^[a-zA-Z0-9_-]{1,64}$'",
                         certain=False),
        property_max=Limit(64, "OpenAI/Anthropic property keys", certain=False),
        property_chars=Limit("A-Za-z0-9_.-", "OpenAI/Anthropic property keys",
                             certain=False),
        refuses_top_level_union=Limit(True, _ANTHROPIC_UNION, certain=False),
        refuses_output_root_ref=Limit(True, SPEC_SCHEMA),
    ),
    "claude": ClientLimits(
        "claude", "Claude (Desktop and Code)",
        max_tools=Limit(None, "no documented cap: Claude Code defers MCP tools behind tool "
                              "search (https://docs.anthropic.com/en/docs/claude-code/mcp)",
                        certain=False),
        name_max=Limit(64, "Claude Desktop: 'name: String should match pattern "
                           "^[a-zA-Z0-9_-]{1,64}$' (drupal mcp_server #3585896)"),
        name_chars=Limit("a-zA-Z0-9_-", "Claude Desktop tool-name pattern "
                                        "'^[a-zA-Z0-9_-]{1,64}$' (no dots)"),
        property_max=Limit(64, "Anthropic API: 'Property keys should match pattern "
                               "^[a-zA-Z0-9_.-]{1,64}$'"),
        property_chars=Limit("a-zA-Z0-9_.-", "Anthropic API property-key pattern"),
        refuses_top_level_union=Limit(True, _ANTHROPIC_UNION),
        refuses_output_root_ref=Limit(True, _OUTPUT_REF),
    ),
    "generic": _GENERIC,
}


def client_limits(name: str | ClientLimits) -> ClientLimits:
    """The :class:`ClientLimits` of client ``name`` (one of :data:`CLIENTS`); raises
    :class:`~nbconnect.errors.McpServeError` for another name."""
    if isinstance(name, ClientLimits):
        return name
    try:
        return CLIENTS[str(name).strip().lower()]
    except KeyError:
        raise McpServeError(f"No MCP client called {name!r} in the limits table; use one of "
                            f"{', '.join(CLIENTS)}.", option="client") from None
