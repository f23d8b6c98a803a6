"""Plain-text and JSON views of a connector (what ``nbconnect show`` and ``%connect show`` print).

Deterministic output only: connector order, stable key order, no times, ports or
memory addresses. No secret value can appear: connectors hold none, and connections
hold only references such as ``env:NAME``, which are shown as written.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import AuthConfig, Connection, Connector, Endpoint

__all__ = ["auth_text", "connections_table", "connector_json", "connector_summary",
           "endpoint_json", "endpoint_text", "endpoints_table", "test_values_text",
           "text_table"]

#: Widest a table cell gets before it is cut with an ellipsis.
MAX_CELL = 60
_HEADERS = ("ID", "METHOD", "PATH", "NAME")


def _cell(value: object, width: int = MAX_CELL) -> str:
    text = " ".join(str(value).split())  # one line: newlines and tabs become spaces
    return text if len(text) <= width else text[: width - 1] + "…"


def endpoints_table(endpoints: Iterable[Endpoint]) -> str:
    """A plain-text table of ``endpoints`` (id, method, path, name), one row each.

    Columns are left-aligned and padded with spaces; names longer than
    :data:`MAX_CELL` characters are cut with ``…`` (ids and paths never are).
    No trailing blanks. An empty list gives ``(no endpoints)``.
    """
    # ids and paths are never cut: people copy them into commands
    rows = [(ep.id, ep.method, _cell(ep.path, 10_000), _cell(ep.name)) for ep in endpoints]
    return text_table(_HEADERS, rows) if rows else "(no endpoints)"


def text_table(head: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> str:
    """Left-aligned columns two spaces apart, a dashed rule under ``head``, no trailing
    blanks."""
    table = [head, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    lines = []
    for i, row in enumerate(table):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def auth_text(auth: AuthConfig | None) -> str:
    """One line for an auth config: its type and non-default fields, e.g.
    ``api-key (key=X-API-Key, add_to=header)``; ``none`` when there is none."""
    if auth is None:
        return "none"
    data = auth.to_dict()
    kind = data.pop("type")
    if not data:
        return kind
    fields = ", ".join(f"{k}={_value_text(v)}" for k, v in data.items())
    return f"{kind} ({fields})"


def _value_text(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value_text(v) for v in value) + "]"
    return str(value)


def connector_summary(connector: Connector) -> str:
    """A multi-line summary: name, description, base URL, auth, endpoint count,
    connections (their base URL, secret references and settings), then the number of
    parameter links, the webhooks and the MCP servers when there are any."""
    c = connector
    manual = sum(1 for ep in c.endpoints if ep.source == "manual")
    count = f"{len(c.endpoints)}"
    if c.endpoints:
        count += f" ({len(c.endpoints) - manual} imported, {manual} added by hand)"
    lines = [f"connector: {c.name}"]
    if c.description:
        lines.append(f"description: {_cell(c.description, 100)}")
    lines += [
        f"base URL: {c.base_url or '(not set)'}",
        f"auth: {auth_text(c.auth)}",
        f"endpoints: {count}",
    ]
    if not c.connections:
        lines.append("connections: none")
    else:
        lines.append(f"connections: {len(c.connections)}")
        for conn in c.connections:
            bits = [conn.base_url]
            if conn.secrets:
                bits.append("secrets " + ", ".join(f"{k}={v}" for k, v in conn.secrets))
            if conn.settings:
                bits.append("settings " + ", ".join(f"{k}={v}" for k, v in conn.settings))
            star = " (default)" if conn.default else ""
            lines.append(f"  {conn.name}{star}: " + "; ".join(bits))
    # the capabilities, each only when the connector has some
    links = getattr(c, "links", ())
    if links:
        lines.append(f"links: {len(links)}")
    webhooks = getattr(c, "webhooks", ())
    if webhooks:
        lines.append("webhooks: " + ", ".join(f"{w.name} ({w.type})" for w in webhooks))
    servers = getattr(c, "mcp_servers", ())
    if servers:
        lines.append("MCP servers: " + ", ".join(f"{m.name} {m.url}" for m in servers))
    return "\n".join(lines)


def connector_json(connector: Connector) -> dict[str, Any]:
    """Plain data for ``nbconnect show --json``: ``name``, ``description``, ``base_url``,
    ``auth`` (the auth config's fields, or ``None``), ``endpoints`` (``id``, ``method``,
    ``path``, ``name`` each) and ``connections`` (``name``, ``base_url``, secret
    references, settings, ``default``). Keys come in this fixed order."""
    c = connector
    return {
        "name": c.name,
        "description": c.description,
        "base_url": c.base_url,
        "auth": c.auth.to_dict() if c.auth is not None else None,
        "endpoints": [
            {"id": ep.id, "method": ep.method, "path": ep.path, "name": ep.name}
            for ep in c.endpoints
        ],
        "connections": [
            {
                "name": conn.name,
                "base_url": conn.base_url,
                "secrets": dict(conn.secrets),
                "settings": dict(conn.settings),
                "default": conn.default,
            }
            for conn in c.connections
        ],
    }


def _secret_text(value: Any) -> str:
    return value if isinstance(value, str) else "(in memory)"


def connections_table(connections: Iterable[Connection]) -> str:
    """A plain-text table of connections: name, default mark, base URL, secrets, settings.

    Secrets show as their references; an in-memory secret shows as ``(in memory)``.
    """
    rows = []
    for c in connections:
        secrets = ", ".join(f"{k.replace('_', '-')}={_secret_text(v)}" for k, v in c.secrets)
        settings = ", ".join(f"{k.replace('_', '-')}={v}" for k, v in c.settings)
        rows.append((c.name, "yes" if c.default else "", c.base_url, secrets, settings))
    if not rows:
        return "(no connections)"
    return text_table(("NAME", "DEFAULT", "BASE URL", "SECRETS", "SETTINGS"), rows)


def endpoint_json(endpoint: Endpoint) -> dict[str, Any]:
    """Plain data for one endpoint (``show PKG ENDPOINT --json``): its full definition."""
    return endpoint.to_dict()


def endpoint_text(endpoint: Endpoint) -> str:
    """One endpoint as text: id, method and path, name, description, its paging rule (when
    it has one), then its parameters (where, name, type, required) one per line."""
    ep = endpoint
    lines = [f"endpoint: {ep.id}", f"request: {ep.method} {ep.path}", f"name: {_cell(ep.name)}"]
    if ep.description:
        lines.append(f"description: {_cell(ep.description, 100)}")
    paging = getattr(ep, "paging", None)
    if paging is not None:
        lines.append(f"paging: {paging.describe()}")
    rows = []
    for p in ep.params:
        rows.append((p.location, p.name, p.type, "yes" if p.required else ""))
    for top in ep.body:
        for dotted, param in top.walk():
            rows.append(("body", dotted, param.type, "yes" if param.required else ""))
    lines.append("")
    lines.append(text_table(("IN", "NAME", "TYPE", "REQUIRED"), rows) if rows
                 else "(no parameters)")
    return "\n".join(lines)


def test_values_text(values: dict[str, dict[str, Any]]) -> str:
    """Saved test values as ``ENDPOINT  NAME=VALUE`` rows (``(no test values)`` when none)."""
    import json

    rows = [(ep, name, json.dumps(value, ensure_ascii=False) if not isinstance(value, str)
             else value) for ep, pairs in values.items() for name, value in pairs.items()]
    if not rows:
        return "(no test values)"
    return text_table(("ENDPOINT", "PARAMETER", "VALUE"), rows)
