"""Plain text and JSON of remote MCP servers, checks and tool results (CLI and ``text/plain``).

Deterministic: no times, ports are only those of the URLs the user gave, and no secret value
(servers hold references; tool results are what the server returned).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..render import _cell, text_table

__all__ = ["check_json", "check_text", "result_text", "schema_summary", "servers_table",
           "tools_table"]


def _auth_summary(server: Any) -> str:
    if server.auth == "header":
        return f"header {server.header}: {server.secret}"
    if server.auth == "oauth":
        bits = []
        if server.client_id:
            bits.append(f"client {server.client_id}" + (" (registered)" if server.registered
                                                        else ""))
        if server.dcr and not server.client_id:
            bits.append("dynamic registration")
        if server.client_metadata_url:
            bits.append("metadata document")
        return "oauth" + (f" ({', '.join(bits)})" if bits else "")
    return "none"


def servers_table(servers: Iterable[Any]) -> str:
    """NAME, URL, AUTH, CHECKED (revision and tool count) per server."""
    rows = []
    for s in servers:
        checked = (f"{s.checked.protocol}, {len(s.checked.tools)} tools" if s.checked
                   else "never")
        rows.append((s.name, _cell(s.url, 10_000), _cell(_auth_summary(s)), checked))
    return text_table(("NAME", "URL", "AUTH", "CHECKED"), rows) if rows else \
        "(no MCP servers)"


def schema_summary(schema: Mapping[str, Any] | None) -> str:
    """``a: integer, b: integer`` for an object schema's properties (``*`` marks optional)."""
    if not isinstance(schema, Mapping):
        return ""
    props = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    parts = []
    for name, sub in props.items():
        kind = sub.get("type", "any") if isinstance(sub, Mapping) else "any"
        if isinstance(kind, list):
            kind = "|".join(map(str, kind))
        parts.append(f"{name}{'' if name in required else '?'}: {kind}")
    return ", ".join(parts) or "(no arguments)"


def tools_table(tools: Iterable[Mapping[str, Any]]) -> str:
    """TOOL, ARGUMENTS, DESCRIPTION per tool."""
    rows = [(str(t.get("name")), _cell(schema_summary(t.get("input_schema"))),
             _cell(t.get("description") or t.get("title") or "")) for t in tools]
    return text_table(("TOOL", "ARGUMENTS", "DESCRIPTION"), rows) if rows else "(no tools)"


def _caps(capabilities: Mapping[str, Any]) -> str:
    return ", ".join(sorted(capabilities)) or "none"


def check_text(result: Any) -> str:
    """The check as text: discovery steps (oauth), identity, revision, capabilities, tools."""
    c = result.check
    lines = []
    if result.discovery is not None:
        lines.append("Authorization discovery:")
        lines.extend(f"  {line}" for line in result.discovery.lines())
    who = c.server_name or "(no name given)"
    version = f" {c.server_version}" if c.server_version else ""
    lines.append(f"MCP server {result.server.name}: {who}{version}, protocol {c.protocol}")
    lines.append(f"capabilities: {_caps(c.capabilities)}")
    lines.append(tools_table(c.tools))
    return "\n".join(lines)


def check_json(result: Any) -> dict[str, Any]:
    """The check as JSON: server (as stored), check, discovery steps."""
    out: dict[str, Any] = {"server": result.server.to_dict(), **result.check.to_dict()}
    if result.discovery is not None:
        out["discovery"] = [{"what": s.what, "url": s.url, "status": s.status,
                             "found": s.found} for s in result.discovery.steps]
    out["notes"] = list(result.notes)
    return out


def result_text(result: Any) -> str:
    """A tool result as text: the JSON (indented) or the text, then one line per image."""
    lines = []
    if result.json is not None:
        lines.append(json.dumps(result.value if not isinstance(result.value, str)
                                else result.json, indent=2, ensure_ascii=False,
                                sort_keys=True))
    elif result.texts:
        lines.append(result.text)
    for mime, data in result.images:
        lines.append(f"[image {mime}, {len(data)} bytes]")
    for block in result.other:
        lines.append(f"[{block.get('type', 'content')}]")
    return "\n".join(lines) if lines else "(empty result)"
