"""Calling a remote MCP server's tools: arguments, the call, and the result as text, JSON, images.

:func:`call_tool` calls one tool of a checked server (``tools/call``) with the SDK's client
(:mod:`nbconnect.mcp.remote` connects, negotiates and authenticates) and returns a
:class:`ToolResult`: the text blocks, the structured JSON (``structuredContent``), and the
images (MIME type and bytes). A tool the server reports as failed (``isError``) — invalid
input among them — raises :class:`~nbconnect.errors.McpToolError` with the server's own
message. :func:`parse_arguments` turns ``k=v`` words into arguments typed by the tool's
input schema (JSON Schema ``type``), so ``a=1`` is the integer 1 where the schema says so.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import limits
from ..errors import McpToolError, clip

__all__ = ["ToolResult", "call_tool", "parse_arguments"]


@dataclass
class ToolResult:
    """The result of one tool call.

    ``texts``: the text blocks; ``json``: the structured content (None when the tool gave
    none); ``images``: ``(mime_type, bytes)`` pairs; ``other``: any other content blocks as
    JSON (audio, resource links, embedded resources).
    """

    server: str
    tool: str
    texts: list[str] = field(default_factory=list)
    json: Any = None
    images: list[tuple[str, bytes]] = field(default_factory=list)
    other: list[dict[str, Any]] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Every text block, one after another."""
        return "\n".join(self.texts)

    @property
    def value(self) -> Any:
        """The structured result when there is one (unwrapping the SDK's ``{"result": x}``
        wrapper for plain return values), else the text."""
        data = self.json
        if isinstance(data, dict) and set(data) == {"result"}:
            return data["result"]
        return data if data is not None else self.text

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON (images as base64)."""
        return {"server": self.server, "tool": self.tool, "text": self.texts,
                "json": self.json,
                "images": [{"mime_type": m, "data": base64.b64encode(b).decode("ascii")}
                           for m, b in self.images],
                "other": self.other}

    def __repr__(self) -> str:
        parts = [f"server={self.server!r}", f"tool={self.tool!r}"]
        if self.json is not None:
            parts.append(f"json={clip(json.dumps(self.json, sort_keys=True), 80)}")
        elif self.texts:
            parts.append(f"text={clip(self.text, 80)!r}")
        if self.images:
            parts.append(f"images={[m for m, _ in self.images]!r}")
        return f"ToolResult({', '.join(parts)})"


def _from_sdk(server: str, tool: str, result: Any) -> ToolResult:
    out = ToolResult(server, tool, json=result.structured_content)
    for block in result.content:
        kind = getattr(block, "type", None)
        if kind == "text":
            out.texts.append(block.text)
        elif kind == "image":
            out.images.append((block.mime_type, base64.b64decode(block.data)))
        else:
            out.other.append(block.model_dump(by_alias=True, mode="json", exclude_none=True))
    return out


def _coerce(text: str, schema: Mapping[str, Any] | None) -> Any:
    kinds = schema.get("type") if isinstance(schema, Mapping) else None
    kinds = [kinds] if isinstance(kinds, str) else list(kinds or [])
    if kinds == ["string"]:
        return text
    try:
        value = json.loads(text)
    except ValueError:
        return text
    checks = {"integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
              "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
              "boolean": lambda v: isinstance(v, bool), "null": lambda v: v is None,
              "object": lambda v: isinstance(v, dict), "array": lambda v: isinstance(v, list),
              "string": lambda v: isinstance(v, str)}
    if not kinds:
        return value
    return value if any(checks.get(k, lambda v: False)(value) for k in kinds) else text


def parse_arguments(words: Iterable[str], tool: Mapping[str, Any] | None) -> dict[str, Any]:
    """``["a=1", "text=hi"]`` as tool arguments, each value typed by the tool's input schema
    (a JSON literal where the property's ``type`` accepts it, else the text). A word without
    ``=`` raises :class:`~nbconnect.errors.McpToolError`."""
    props = {}
    if tool is not None:
        props = (tool.get("input_schema") or {}).get("properties") or {}
    out: dict[str, Any] = {}
    for word in words:
        key, sep, text = str(word).partition("=")
        if not sep or not key:
            raise McpToolError("A tool argument must look like NAME=VALUE, such as a=1 or "
                               "city=Paris.", option="arg")
        out[key] = _coerce(text, props.get(key))
    return out


def _tool_entry(server: Any, tool: str) -> Mapping[str, Any]:
    if server.checked is None:
        raise McpToolError(f"MCP server {server.name!r} was never checked, so its tools are "
                           "not known; check the server first, then call its tools.",
                           option="name")
    entry = server.checked.tool(tool)
    if entry is None:
        import difflib

        names = server.checked.tool_names
        close = difflib.get_close_matches(tool, names, n=1)
        hint = f"did you mean {close[0]}?" if close else \
            (f"its tools are {', '.join(names)}." if names else "it has no tools.")
        raise McpToolError(f"MCP server {server.name!r} has no tool {tool!r} (as of its last "
                           f"check); {hint}", option="tool")
    return entry


def call_tool(server: Any, tool: str, arguments: Mapping[str, Any] | None = None, *,
              open_url: Any = None, prompt: Any = None, verify: Any = True,
              timeout: float = limits.MCP_TIMEOUT,
              auth_timeout: float = limits.MCP_AUTH_TIMEOUT) -> ToolResult:
    """Call ``tool`` on ``server`` (a checked :class:`~nbconnect.model.mcpserver.McpServer`)
    with ``arguments``; returns a :class:`ToolResult`.

    Raises :class:`~nbconnect.errors.McpToolError` when the server was never checked, has
    no such tool (as of its last check), or reports the call failed (``isError``: the
    server's message is shown, as for invalid input); connection and authorization
    failures raise the errors of :func:`nbconnect.mcp.remote.check_server`.
    """
    from .remote import revision_mode, session

    _tool_entry(server, tool)
    args = dict(arguments or {})

    async def work(client: Any) -> Any:
        from mcp.shared.exceptions import MCPError

        try:
            return await client.call_tool(tool, args)
        except MCPError as exc:  # a protocol-level refusal (unknown tool, bad params)
            if exc.code == -32001:  # no answer in time: the connection's error, not the tool's
                raise
            return exc

    options = {"open_url": open_url, "prompt": prompt, "verify": verify, "timeout": timeout,
               "auth_timeout": auth_timeout, "reuse": True}
    mode = revision_mode(server.checked.protocol)
    result, _ = session(server, work, mode=mode, **options)
    if getattr(result, "code", None) == -32601 and mode != "auto":
        # "method not found" for tools/call: the server's revision changed since its check
        result, _ = session(server, work, mode="auto", **options)
    if isinstance(result, Exception):
        raise McpToolError(f"MCP server {server.name!r} refused the call of {tool!r}: "
                           f"{clip(result, 300)}; check the tool and its arguments against "
                           "its input schema (or check the server again if it changed).",
                           option="arg")
    if result.is_error:
        said = " ".join(getattr(b, "text", "") for b in result.content).strip()
        raise McpToolError(f"Tool {tool!r} of MCP server {server.name!r} failed: "
                           f"{clip(said or 'no message', 300)}; check the arguments against "
                           "its input schema.", option="arg")
    return _from_sdk(server.name, tool, result)
