"""Preflight: does the served tool set fit an MCP client, and does every tool work?

:func:`check` holds a tool set against one client's entry in :mod:`nbconnect.mcp.clients`
(tool count, tool-name length and characters, input property names, a top-level union in an
input schema, an output schema whose root is a ``$ref`` or not an object) and returns the
:class:`Finding` list. :func:`propose` offers tag-based tool sets that fit the client's tool
count; :func:`fit` applies the fixes (names made safe and unique, property names made
safe, the best-fitting tag set chosen) and says what it changed; ``mcp serve --client C``
uses it.

:func:`call_all` calls every tool through the real server over Streamable HTTP against
the connector's mock API (:class:`nbconnect.mock.MockServer`, a copy of the connector
connected to it with a fresh in-memory credential), with an MCP client that sends its own
``Authorization`` header (a random sentinel), and records every request the API receives:
the report says whether the sentinel reached the API (it must not) and whether the
connection's own credential did.
:func:`preflight` does all of it and returns a :class:`PreflightReport`.
"""

from __future__ import annotations

import dataclasses
import secrets as _stdlib_secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..model import Connector
from .clients import ClientLimits, client_limits
from .tools import Argument, ToolDef, safe_name, tools_for

__all__ = ["CallCheck", "Finding", "PreflightReport", "ToolSet", "call_all", "check", "fit",
           "preflight", "propose", "reached"]

_UNIONS = ("anyOf", "oneOf", "allOf")


#: findings of one kind the text report shows before it counts the rest
FINDINGS_SHOWN = 3


@dataclass(frozen=True)
class Finding:
    """One thing a client would refuse: ``code`` (``tool-count``, ``tool-name``,
    ``duplicate-name``, ``property-name``, ``input-union``, ``input-root``,
    ``output-root``), the tool concerned (None for the whole set) and a sentence."""

    code: str
    tool: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "tool": self.tool, "message": self.message}


@dataclass(frozen=True)
class ToolSet:
    """A tag-based selection of tools: the tags to include and the tools they give."""

    tags: tuple[str, ...]
    tools: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"tags": list(self.tags), "tools": list(self.tools), "count": len(self.tools)}


@dataclass(frozen=True)
class CallCheck:
    """One tool called during the preflight: ``ok`` (a 2xx answer matching its schema),
    the HTTP status (None when no answer) and the reason of a failure."""

    tool: str
    ok: bool
    status: int | None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"tool": self.tool, "ok": self.ok, "status": self.status, "reason": self.reason}


@dataclass
class PreflightReport:
    """What :func:`preflight` found for one client (see the module docstring)."""

    connector: str
    client: ClientLimits
    tools: list[str]
    findings: list[Finding]
    proposals: list[ToolSet]
    calls: list[CallCheck] | None = None
    api_requests: int = 0
    client_header_reached_api: bool | None = None
    connection_credential_sent: bool | None = None
    notes: list[str] = field(default_factory=list)
    #: the calls were answered from the package's cassettes, not the mock API
    replayed: bool = False

    @property
    def fits(self) -> bool:
        """True when the client takes the tool set as served."""
        return not self.findings

    @property
    def ok(self) -> bool:
        """True when it fits, every call passed and no client header reached the API."""
        calls_ok = self.calls is None or all(c.ok for c in self.calls)
        return self.fits and calls_ok and not self.client_header_reached_api

    def __repr__(self) -> str:
        return self.text()

    def to_dict(self) -> dict[str, Any]:
        return {"connector": self.connector, "client": self.client.name,
                "max_tools": self.client.max_tools.value, "tool_count": len(self.tools),
                "fits": self.fits, "ok": self.ok,
                "findings": [f.to_dict() for f in self.findings],
                "proposals": [p.to_dict() for p in self.proposals],
                "calls": None if self.calls is None else [c.to_dict() for c in self.calls],
                "api_requests": self.api_requests,
                "client_header_reached_api": self.client_header_reached_api,
                "connection_credential_sent": self.connection_credential_sent,
                "notes": list(self.notes), "replayed": self.replayed,
                "limits": self.client.to_dict()}

    def text(self) -> str:
        """The report as plain text (deterministic: no ports, no times)."""
        cap = self.client.max_tools.value
        lines = [f"MCP preflight of {self.connector!r} for {self.client.title}: "
                 f"{len(self.tools)} tools (limit {cap if cap is not None else 'none'})."]
        if self.fits:
            lines.append("Fits: the client takes every tool as served.")
        shown: dict[str, int] = {}
        for f in self.findings:  # a few of each kind; the JSON report lists them all
            shown[f.code] = shown.get(f.code, 0) + 1
            if shown[f.code] <= FINDINGS_SHOWN:
                lines.append(f"  ✗ {f.message}")
        for code, count in shown.items():
            if count > FINDINGS_SHOWN:
                lines.append(f"  ✗ ... and {count - FINDINGS_SHOWN} more {code} findings "
                             "like these (the JSON report lists every one).")
        for i, p in enumerate(self.proposals, 1):
            count = f"{len(p.tools)} tool{'s' if len(p.tools) != 1 else ''}"
            lines.append(f"  proposal {i}: --include {' --include '.join(p.tags)} ({count})")
        if self.findings:
            lines.append(f"Serving with --client {self.client.name} applies the fixes.")
        if self.calls is not None:
            passed = sum(c.ok for c in self.calls)
            where = "the recorded cassettes" if self.replayed else "the mock API"
            lines.append(f"Calls against {where}: {passed} of {len(self.calls)} passed.")
            for c in self.calls:
                if not c.ok:
                    lines.append(f"  ✗ {c.tool}: {c.reason}")
            leaked = "REACHED the API" if self.client_header_reached_api else \
                "never reached the API"
            cred = {True: "the connection's credential was sent",
                    False: "the connection's credential was NOT sent",
                    None: "no credential was checked (no auth, or one the mock cannot "
                          "check)"}[self.connection_credential_sent]
            if self.replayed:
                cred = "replaying needs no credential"
            lines.append(f"The MCP client's Authorization header {leaked} "
                         f"({self.api_requests} API requests checked); {cred}.")
        lines.extend(self.notes)
        return "\n".join(lines)


# --------------------------------------------------------------------------- checks


def check(tools: Iterable[ToolDef], client: str | ClientLimits = "generic") -> list[Finding]:
    """What ``client`` would refuse in ``tools`` (an empty list: it takes them all)."""
    limits = client_limits(client)
    tools = list(tools)
    out: list[Finding] = []
    cap = limits.max_tools.value
    if cap is not None and len(tools) > cap:
        out.append(Finding("tool-count", None, f"{len(tools)} tools, more than the "
                           f"{cap} {limits.title} takes."))
    seen: set[str] = set()
    for t in tools:
        if not limits.name_ok(t.name):
            out.append(Finding("tool-name", t.name, f"tool name {t.name!r} is not 1-"
                               f"{limits.name_max.value} of [{limits.name_chars.value}]."))
        if t.name in seen:
            out.append(Finding("duplicate-name", t.name, f"tool name {t.name!r} is used "
                               "twice."))
        seen.add(t.name)
        schema = t.input_schema
        bad = [p for p in (schema.get("properties") or {}) if not limits.property_ok(p)]
        if bad:
            out.append(Finding("property-name", t.name, f"tool {t.name}: argument name(s) "
                               f"{', '.join(map(repr, bad))} are not 1-"
                               f"{limits.property_max.value} of "
                               f"[{limits.property_chars.value}]."))
        if schema.get("type") != "object":
            out.append(Finding("input-root", t.name, f"tool {t.name}: the input schema's "
                               "root is not type: object."))
        if limits.refuses_top_level_union.value and any(k in schema for k in _UNIONS):
            out.append(Finding("input-union", t.name, f"tool {t.name}: the input schema has "
                               "anyOf/oneOf/allOf at its top level."))
        output = t.output_schema
        if limits.refuses_output_root_ref.value and output is not None and \
                ("$ref" in output or output.get("type") != "object"):
            out.append(Finding("output-root", t.name, f"tool {t.name}: the output schema's "
                               "root is a $ref or not type: object."))
    return out


def propose(tools: Iterable[ToolDef], client: str | ClientLimits) -> list[ToolSet]:
    """Tag-based tool sets within ``client``'s tool count, best first: the largest union
    of whole tags that fits (tags taken largest first), then each single tag that fits.
    Empty when the tools already fit or no tag fits."""
    limits = client_limits(client)
    tools = list(tools)
    cap = limits.max_tools.value
    if cap is None or len(tools) <= cap:
        return []
    by_tag: dict[str, list[str]] = {}
    for t in tools:
        for tag in t.tags:
            by_tag.setdefault(tag, []).append(t.name)
    order = sorted(by_tag, key=lambda k: (-len(by_tag[k]), k))
    chosen: list[str] = []
    names: list[str] = []
    for tag in order:
        union = list(dict.fromkeys([*names, *by_tag[tag]]))
        if len(union) <= cap:
            chosen.append(tag)
            names = union
    out: list[ToolSet] = []
    if chosen:
        out.append(ToolSet(tuple(chosen), tuple(n for n in (t.name for t in tools)
                                                 if n in names)))
    for tag in order:
        if len(by_tag[tag]) <= cap and (tag,) != tuple(chosen):
            out.append(ToolSet((tag,), tuple(by_tag[tag])))
    return out[:6]


def _fix_properties(tool: ToolDef, limits: ClientLimits) -> ToolDef:
    props = tool.input_schema.get("properties") or {}
    if all(limits.property_ok(p) for p in props):
        return tool
    renames: dict[str, str] = {}
    taken = {p for p in props if limits.property_ok(p)}
    for p in props:
        if p in taken:
            continue
        new = safe_name(p, limits.property_chars.value, limits.property_max.value)
        while new in taken:
            new = safe_name(new + "_", limits.property_chars.value, limits.property_max.value)
        taken.add(new)
        renames[p] = new
    schema = dict(tool.input_schema)
    schema["properties"] = {renames.get(k, k): v for k, v in props.items()}
    if "required" in schema:
        schema["required"] = [renames.get(k, k) for k in schema["required"]]
    args = tuple(Argument(renames.get(a.name, a.name), a.param, a.location)
                 for a in tool.arguments)
    return dataclasses.replace(tool, input_schema=schema, arguments=args)


def fit(connector: Connector, tools: list[ToolDef],
        client: str | ClientLimits) -> tuple[list[ToolDef], list[str]]:
    """``tools`` made to fit ``client``: the best tag set of :func:`propose` when there are
    too many (else the first ones in the connector's order), names and argument names made
    of the allowed characters and length, unique. Returns (tools, notes saying what
    changed)."""
    limits = client_limits(client)
    notes: list[str] = []
    cap = limits.max_tools.value
    if cap is not None and len(tools) > cap:
        proposals = propose(tools, limits)
        if proposals:
            keep = set(proposals[0].tools)
            notes.append(f"Serving the tags {', '.join(proposals[0].tags)} "
                         f"({len(keep)} of {len(tools)} tools) to fit {limits.title}'s "
                         f"{cap}-tool limit.")
        else:
            keep = {t.name for t in tools[:cap]}
            notes.append(f"Serving the first {cap} of {len(tools)} tools to fit "
                         f"{limits.title}'s limit (no tag set fits).")
        tools = [t for t in tools if t.name in keep]
    out: list[ToolDef] = []
    taken: set[str] = set()
    for t in tools:
        name = t.name
        if not limits.name_ok(name) or name in taken:
            new = safe_name(name, limits.name_chars.value, limits.name_max.value)
            n = 2
            while new in taken:
                new = safe_name(f"{name}_{n}", limits.name_chars.value, limits.name_max.value)
                n += 1
            notes.append(f"Tool {name} is served as {new}.")
            t = t.renamed(new)
        taken.add(t.name)
        fixed = _fix_properties(t, limits)
        if fixed is not t:
            notes.append(f"Tool {t.name}: argument names made of "
                         f"[{limits.property_chars.value}].")
        out.append(fixed)
    return out, notes


# --------------------------------------------------------------------------- calls


class _Recorder:
    """ASGI middleware keeping the headers and query string of every request the API gets."""

    def __init__(self, app: Any, log: list[tuple[bytes, list[tuple[bytes, bytes]]]]) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") == "http":
            self.log.append((scope.get("query_string", b""), list(scope.get("headers", []))))
        await self.app(scope, receive, send)


def _arguments(connector: Connector, tool: ToolDef, *, every: bool = False) -> dict[str, Any]:
    """Values for a tool's required arguments (``every``: for every argument the test-value
    chain gives a value, as ``nbconnect test`` sends them): the chain, else generated."""
    from ..testing.generation import generated_values
    from ..testing.values import NO_VALUE, param_value

    ep = connector.endpoint(tool.endpoint_id)
    generated: dict[str, Any] | None = None
    out: dict[str, Any] = {}
    for arg in tool.arguments:
        if arg.location == "control":
            continue
        if not arg.required:
            if every and arg.location != "document":
                value = param_value(connector, ep, arg.param.name)
                if value is not NO_VALUE and value is not None:
                    out[arg.name] = value
            continue
        if arg.location == "document":
            from ..testing.values import schema_example

            out[arg.name] = schema_example(ep.request_schema, connector.schemas) or {}
            continue
        value = param_value(connector, ep, arg.param.name)
        if value is NO_VALUE:
            if generated is None:
                generated = generated_values(connector, ep, {})
            value = generated.get(arg.param.name)
        out[arg.name] = value
    return out


def _check_of(name: str, result: Any) -> CallCheck:
    """A :class:`CallCheck` from an MCP ``CallToolResult``."""
    text = "".join(getattr(b, "text", "") for b in result.content)
    structured = result.structured_content
    status = structured.get("status") if isinstance(structured, dict) else None
    if status is None and text.startswith("HTTP ") and text[5:8].isdigit():
        status = int(text[5:8])
    reason = text.splitlines()[0][:200] if result.is_error and text else ""
    return CallCheck(name, not result.is_error, status, reason)


def reached(log: Iterable[tuple[bytes, list[tuple[bytes, bytes]]]], value: str) -> bool:
    """Whether ``value`` appears in a query string or a header value of the recorded
    requests ``log`` (``(query_string, [(name, value), ...])`` as ASGI gives them)."""
    token = value.encode()
    return bool(token) and any(token in q or any(token in v for _k, v in h) for q, h in log)


#: the connection the preflight adds (on a copy of the connector) to reach the mock
_CONNECTION = "preflight-mock"
#: auth types whose credential the mock checks: how the mock is told the credential
_WIRED = {"api-key": lambda v: v, "bearer": lambda v: v, "basic": lambda v: ("preflight", v)}


def _mock_for(copy: Connector, log: list[Any]) -> tuple[Any, str | None]:
    """Start the mock API of ``copy`` (recording every request into ``log``) and give
    ``copy`` a default connection to it holding a fresh in-memory credential the mock
    checks; returns (MockServer, the credential, or None when the mock checks none).
    Auth types the mock cannot check (JWT, OAuth2) are dropped from the copy: its calls go
    without credentials."""
    from ..auth.secrets import Secret
    from ..mock.server import MockServer
    from ..model import Connection

    auth = copy.auth
    credential: str | None = None
    credentials: dict[str, Any] | None = None
    if auth is not None and auth.type in _WIRED:
        credential = "preflight-" + _stdlib_secrets.token_urlsafe(24)
        credentials = {auth.type: _WIRED[auth.type](credential)}
    elif auth is not None:
        copy.auth = None
    mock = MockServer(copy, credentials=credentials)
    mock.app.add_middleware(_Recorder, log=log)
    mock.start()
    try:
        secrets = tuple((f, Secret(credential)) for f in auth.secret_fields
                        if f not in auth.optional_secret_fields) if credential and auth else ()
        settings = tuple((f, "preflight") for f in getattr(auth, "setting_fields", ())) \
            if credential and auth else ()
        conn = Connection(_CONNECTION, mock.url, secrets=secrets, settings=settings,
                          default=True)
        copy.connections = (conn,)
    except BaseException:
        mock.stop()
        raise
    return mock, credential


def _replay_transport(cassettes: Any, connector: Connector, log: list[Any]) -> Any:
    """A replay transport over the package ``cassettes`` that also records every request
    (the "API" of a replayed preflight is the transport)."""
    from ..testing.cassettes import CassetteStore, ReplayTransport

    class RecordingReplay(ReplayTransport):
        def handle_request(self, request: Any) -> Any:
            log.append((request.url.query, list(request.headers.raw)))
            return super().handle_request(request)

    return RecordingReplay(CassetteStore.for_package(cassettes, connector))


def call_all(connector: Connector, tools: list[ToolDef] | None = None, *,
             timeout: float = 60.0,
             cassettes: Any = None) -> tuple[list[CallCheck], int, bool, bool | None]:
    """Call every tool (default: all endpoints' tools) through the served server over
    Streamable HTTP against the connector's mock API; returns (call checks, API requests
    seen, whether the MCP client's Authorization header reached the API, whether the
    connection's credential did: None when the mock checks no credential). The connector
    is not changed (a copy gets the connection to the mock).

    ``cassettes`` (a package path): answer from the package's recorded exchanges instead of
    the mock (no API is called; every argument the test-value chain gives is sent, as
    ``nbconnect test`` sent it when recording; no credential is needed, so none is sent)."""
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    from .remote import run_sync
    from .serve import ToolServer, start_http

    copy = Connector.from_dict(connector.to_dict())
    log: list[tuple[bytes, list[tuple[bytes, bytes]]]] = []
    sentinel = "nbconnect-preflight-" + _stdlib_secrets.token_urlsafe(18)
    mock: Any = None
    credential: str | None = None
    if cassettes is not None:
        served = ToolServer(copy, tools=tools,
                            transport=_replay_transport(cassettes, copy, log))
    else:
        mock, credential = _mock_for(copy, log)
    try:
        if mock is not None:
            served = ToolServer(copy, tools=tools, connection=_CONNECTION,
                                verify=mock.verify)
        args = {t.name: _arguments(copy, t, every=cassettes is not None)
                for t in served.tools}
        checks: list[CallCheck] = []
        with start_http(served) as server:
            async def main() -> None:
                headers = {"Authorization": f"Bearer {sentinel}"}
                async with httpx2.AsyncClient(headers=headers,
                                              timeout=httpx2.Timeout(timeout)) as http, \
                        Client(streamable_http_client(server.url, http_client=http),
                               read_timeout_seconds=timeout) as client:
                    for t in served.tools:
                        result = await client.call_tool(t.name, args[t.name])
                        checks.append(_check_of(t.name, result))

            run_sync(main)  # its own thread and loop: also under a notebook's loop
    finally:
        if mock is not None:
            mock.stop()
    sent = reached(log, credential) if credential else None
    return checks, len(log), reached(log, sentinel), sent


def _require_recordings(cassettes: Any, connector: Connector) -> None:
    """Raise :class:`~nbconnect.errors.McpServeError` when the package ``cassettes`` holds
    no recorded exchange (every replayed call would fail for the same reason)."""
    from ..errors import McpServeError
    from ..testing.cassettes import CassetteStore

    if len(CassetteStore.for_package(cassettes, connector)) == 0:
        raise McpServeError(f"The package at {cassettes} has no recorded exchanges to "
                            "replay; record them by running its endpoint tests with "
                            "recording on, or call the tools against the mock API.",
                            option="replay")


def preflight(connector: Connector, client: str | ClientLimits = "generic", *,
              include: Iterable[str] = (), exclude: Iterable[str] = (),
              calls: bool = True, cassettes: Any = None) -> PreflightReport:
    """Check the tools ``connector`` serves (``include``/``exclude`` by tag or id) against
    ``client``; with ``calls``, also call each through the server against the mock API,
    or the recorded exchanges of the package ``cassettes`` (see :func:`call_all`). Raises
    :class:`~nbconnect.errors.McpServeError` for an unknown client, a selection that
    matches nothing, or ``cassettes`` with no recorded exchange."""
    limits = client_limits(client)
    tools = tools_for(connector, include, exclude)
    if calls and cassettes is not None:
        _require_recordings(cassettes, connector)
    report = PreflightReport(connector.name, limits, [t.name for t in tools],
                             check(tools, limits), propose(tools, limits))
    if calls:
        fitted, _notes = fit(connector, tools, limits)
        checks, seen, reached, sent = call_all(connector, fitted, cassettes=cassettes)
        report.replayed = cassettes is not None
        report.calls = checks
        report.api_requests = seen
        report.client_header_reached_api = reached
        report.connection_credential_sent = sent
    return report
