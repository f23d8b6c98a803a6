"""Remote MCP servers as plain data: ``McpServer`` (name, URL, auth) and its last check.

A connector points at remote Model Context Protocol servers (Streamable HTTP). Each
:class:`McpServer` holds its name, its URL, its authentication — ``none``, ``header`` (one
header whose value is a secret *reference*) or ``oauth`` (a client id, a reference to the
client secret, dynamic client registration on or off, scopes, a client ID metadata document
URL) — and the snapshot of its last check (:class:`McpCheck`: server name and version,
protocol revision, capabilities, tools with their input schemas). Secret values are never
held here: only references (``env:NAME``, ``keyring:NAME``, ``prompt``).

:class:`McpServers` is the mapping view ``Connector.mcp`` returns (by name):
``connector.mcp.add(...)``, ``connector.mcp.check(name)``, ``connector.mcp[name].call(tool,
**args)``. Connecting, checking and calling live in :mod:`nbconnect.mcp`; the methods here
import it inside the function.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..errors import McpConfigError, McpServerNotFoundError
from .urls import is_loopback_host

if TYPE_CHECKING:
    from .connector import Connector

__all__ = ["MCP_AUTH_TYPES", "McpCheck", "McpServer", "McpServers", "check_mcp_servers"]

#: the authentication kinds of a remote MCP server
MCP_AUTH_TYPES = ("none", "header", "oauth")
_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}\Z")
_HEADER_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}\Z")  # RFC 9110 §5.1 token
_SCOPE_RE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1,200}\Z")  # RFC 6749 §3.3 scope-token


def _is_ref(value: object) -> bool:
    from ..auth.secrets import is_reference

    return is_reference(value)


def check_mcp_url(url: object) -> str:
    """``url`` stripped, or :class:`McpConfigError`: absolute ``https`` (``http`` only to a
    loopback host), no credentials or fragment (the MCP authorization spec asks for https)."""
    if not isinstance(url, str) or not url.strip():
        raise McpConfigError("The MCP server URL is empty; give its Streamable HTTP endpoint "
                             "such as https://mcp.example.com/mcp.", option="url")
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise McpConfigError("The MCP server URL is not a valid URL; give one such as "
                             "https://mcp.example.com/mcp.", option="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or \
            any(ch.isspace() for ch in url):
        raise McpConfigError("The MCP server URL must be an absolute http(s) URL such as "
                             "https://mcp.example.com/mcp.", option="url")
    if parts.username is not None or parts.password is not None:
        raise McpConfigError(f"The MCP server URL for {parts.hostname} carries credentials; "
                             "remove them and use header or oauth authentication.",
                             option="url")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise McpConfigError(f"The MCP server URL uses plain http to {parts.hostname}; use "
                             "https (http is allowed only for loopback hosts).", option="url")
    if parts.fragment or "#" in url:
        raise McpConfigError("The MCP server URL has a #fragment; remove it.", option="url")
    return url


@dataclass(frozen=True)
class McpCheck:
    """What the last check of a server found (plain data, stored in the package).

    ``protocol``: the negotiated revision (``2025-11-25`` via ``initialize``, ``2026-07-28``
    via ``server/discover``); ``server_name``/``server_version``: the server's own
    identification (``""`` when it gave none); ``capabilities``: the server capabilities as
    JSON; ``tools``: one mapping per tool (``name``, ``title``, ``description``,
    ``input_schema``, ``output_schema`` when declared).
    """

    protocol: str
    server_name: str = ""
    server_version: str = ""
    capabilities: Mapping[str, Any] = field(default_factory=dict)
    tools: tuple[Mapping[str, Any], ...] = ()

    def tool(self, name: str) -> Mapping[str, Any] | None:
        return next((t for t in self.tools if t.get("name") == name), None)

    @property
    def tool_names(self) -> list[str]:
        return [str(t.get("name")) for t in self.tools]

    def to_dict(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "server_name": self.server_name,
                "server_version": self.server_version,
                "capabilities": dict(self.capabilities),
                "tools": [dict(t) for t in self.tools]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> McpCheck:
        return cls(protocol=str(data.get("protocol") or ""),
                   server_name=str(data.get("server_name") or ""),
                   server_version=str(data.get("server_version") or ""),
                   capabilities=dict(data.get("capabilities") or {}),
                   tools=tuple(dict(t) for t in data.get("tools") or ()))

    def __repr__(self) -> str:
        return (f"McpCheck(protocol={self.protocol!r}, server={self.server_name!r}, "
                f"version={self.server_version!r}, tools={self.tool_names!r})")


@dataclass(frozen=True)
class McpServer:
    """A remote MCP server: where it is and how to authenticate (never a secret value).

    ``auth`` is ``"none"``, ``"header"`` (``header`` names the header, ``secret`` is a
    reference to its whole value, such as ``Bearer ...``) or ``"oauth"`` (``client_id`` and
    a ``client_secret`` reference for a pre-registered client, or ``dcr=True`` to register
    one dynamically (RFC 7591), or ``client_metadata_url`` for a client ID metadata
    document; ``scopes`` to ask for; ``redirect_url`` for a fixed loopback redirect).
    ``registered`` is True when ``client_id`` came from dynamic registration. ``checked``
    is the last check (None: never checked). Invalid values raise :class:`McpConfigError`.
    """

    name: str
    url: str
    auth: str = "none"
    header: str | None = None
    secret: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    dcr: bool = False
    scopes: tuple[str, ...] = ()
    client_metadata_url: str | None = None
    redirect_url: str | None = None
    registered: bool = False
    checked: McpCheck | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME_RE.match(self.name):
            raise McpConfigError(f"MCP server name {self.name!r} is not valid; use a letter "
                                 "then letters, digits, '_', '-' or '.' (up to 64).",
                                 option="name")
        object.__setattr__(self, "url", check_mcp_url(self.url))
        if self.auth not in MCP_AUTH_TYPES:
            raise McpConfigError(f"MCP server auth {self.auth!r} is not one of "
                                 f"{', '.join(MCP_AUTH_TYPES)}.", option="auth")
        if isinstance(self.scopes, str):
            object.__setattr__(self, "scopes", tuple(self.scopes.split()))
        object.__setattr__(self, "scopes", tuple(self.scopes))
        for what, ref in (("header secret", self.secret), ("client secret", self.client_secret)):
            if ref is not None and not _is_ref(ref):
                raise McpConfigError(f"The {what} of MCP server {self.name!r} must be a "
                                     "reference such as env:MCP_TOKEN, keyring:NAME or prompt, "
                                     "never the value itself.",
                                     option="secret" if what == "header secret"
                                     else "client_secret")
        self._check_auth()

    def _check_auth(self) -> None:
        header_bits = self.header is not None or self.secret is not None
        oauth_bits = (self.client_id, self.client_secret, self.client_metadata_url,
                      self.redirect_url) != (None,) * 4 or self.dcr or self.scopes
        if self.auth != "header" and header_bits:
            raise McpConfigError(f"MCP server {self.name!r} has a header or header secret but "
                                 f"auth {self.auth}; choose header auth or drop them.",
                                 option="auth")
        if self.auth != "oauth" and oauth_bits:
            raise McpConfigError(f"MCP server {self.name!r} has OAuth settings but auth "
                                 f"{self.auth}; choose oauth auth or drop them.", option="auth")
        if self.auth == "header":
            if not isinstance(self.header, str) or not _HEADER_RE.match(self.header):
                raise McpConfigError(f"MCP server {self.name!r} uses header auth; give the "
                                     "header name such as Authorization or X-API-Key.",
                                     option="header")
            if self.secret is None:
                raise McpConfigError(f"MCP server {self.name!r} uses header auth; give a "
                                     "reference to the header's value such as "
                                     "env:MCP_TOKEN.", option="secret")
        if self.auth == "oauth":
            if self.client_secret is not None and not self.client_id:
                raise McpConfigError(f"MCP server {self.name!r} has a client secret but no "
                                     "client id; give the client id too.", option="client_id")
            for scope in self.scopes:
                if not isinstance(scope, str) or not _SCOPE_RE.match(scope):
                    raise McpConfigError(f"MCP server {self.name!r} has a scope that is not "
                                         "an OAuth scope token (RFC 6749 §3.3).",
                                         option="scope")
            if self.client_metadata_url is not None:
                parts = urlsplit(self.client_metadata_url)
                if parts.scheme != "https" or parts.path in ("", "/"):
                    raise McpConfigError("A client ID metadata document URL must be https "
                                         "with a path, such as https://app.example.com/"
                                         "oauth/client.json.", option="client_metadata_url")
            if self.redirect_url is not None:
                parts = urlsplit(self.redirect_url)
                if parts.scheme != "http" or not is_loopback_host(parts.hostname):
                    raise McpConfigError("The OAuth redirect URL must be a loopback http URL "
                                         "such as http://127.0.0.1:8765/callback (RFC 8252).",
                                         option="redirect_url")
        if self.checked is not None and not isinstance(self.checked, McpCheck):
            object.__setattr__(self, "checked", McpCheck.from_dict(self.checked))

    def call(self, tool: str, /, **arguments: Any) -> Any:
        """Call ``tool`` with ``arguments``; returns a :class:`~nbconnect.mcp.calls.ToolResult`
        (text, JSON, images). Raises :class:`~nbconnect.errors.McpToolError` for a server
        never checked, an unknown tool or input the server refuses."""
        from ..mcp.calls import call_tool

        return call_tool(self, tool, arguments)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the manifest (references only, no secret value)."""
        out: dict[str, Any] = {"name": self.name, "url": self.url, "auth": self.auth}
        for key in ("header", "secret", "client_id", "client_secret", "client_metadata_url",
                    "redirect_url"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.dcr:
            out["dcr"] = True
        if self.registered:
            out["registered"] = True
        if self.scopes:
            out["scopes"] = list(self.scopes)
        if self.checked is not None:
            out["checked"] = self.checked.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> McpServer:
        if not isinstance(data, Mapping):
            raise McpConfigError("An MCP server entry must be a mapping with name and url.")
        known = {f for f in cls.__dataclass_fields__}
        extra = sorted(set(data) - known)
        if extra:
            raise McpConfigError(f"MCP server entry has unknown keys {', '.join(extra)}; "
                                 f"the keys are {', '.join(sorted(known))}.")
        values = dict(data)
        if values.get("checked") is not None:
            values["checked"] = McpCheck.from_dict(values["checked"])
        values["scopes"] = tuple(values.get("scopes") or ())
        return cls(**values)

    def __repr__(self) -> str:
        state = f"checked {self.checked.protocol}" if self.checked else "never checked"
        return f"McpServer(name={self.name!r}, url={self.url!r}, auth={self.auth!r}, {state})"


def check_mcp_servers(value: Any) -> tuple[McpServer, ...]:
    """The connector's ``mcp_servers`` validated: McpServer values (or their dicts), unique
    names."""
    servers = tuple(McpServer.from_dict(v) if isinstance(v, Mapping) else v
                    for v in (value or ()))
    names: set[str] = set()
    for s in servers:
        if not isinstance(s, McpServer):
            raise McpConfigError(f"MCP servers must be McpServer objects, not "
                                 f"{type(s).__name__}.")
        if s.name in names:
            raise McpConfigError(f"Two MCP servers are named {s.name!r}; rename one.",
                                 option="name")
        names.add(s.name)
    return servers


class McpServers(Mapping[str, McpServer]):
    """``Connector.mcp``: the connector's remote MCP servers by name, and the ways to change
    them (each change validated first; a failure leaves the connector as it was)."""

    def __init__(self, connector: Connector) -> None:
        self._connector = connector

    def __getitem__(self, name: str) -> McpServer:
        for s in self._connector.mcp_servers:
            if s.name == name:
                return s
        import difflib

        names = [s.name for s in self._connector.mcp_servers]
        close = difflib.get_close_matches(str(name), names, n=1)
        hint = (f"did you mean {close[0]}?" if close else
                f"its MCP servers are {', '.join(names)}." if names else
                "it has none yet; add one first.")
        raise McpServerNotFoundError(f"Connector {self._connector.name!r} has no MCP server "
                                     f"{name!r}; {hint}", option="name")

    def __contains__(self, name: object) -> bool:
        return any(s.name == name for s in self._connector.mcp_servers)

    def __iter__(self) -> Iterator[str]:
        return iter([s.name for s in self._connector.mcp_servers])

    def __len__(self) -> int:
        return len(self._connector.mcp_servers)

    def __repr__(self) -> str:
        return f"McpServers({list(self)!r})"

    def add(self, name: str | McpServer, url: str | None = None, **options: Any) -> McpServer:
        """Add a server (an :class:`McpServer`, or its name, URL and options); returns it.
        A taken name raises :class:`McpConfigError`."""
        server = name if isinstance(name, McpServer) else McpServer(name=name, url=url or "",
                                                                     **options)
        if server.name in self:
            raise McpConfigError(f"Connector {self._connector.name!r} already has an MCP "
                                 f"server {server.name!r}; remove it first or pick another "
                                 "name.", option="name")
        self._connector.mcp_servers = (*self._connector.mcp_servers, server)
        return server

    def replace(self, server: McpServer) -> McpServer:
        """Put ``server`` in place of the one with its name."""
        self[server.name]
        self._connector.mcp_servers = tuple(server if s.name == server.name else s
                                            for s in self._connector.mcp_servers)
        return server

    def remove(self, name: str) -> McpServer:
        """Remove and return the server called ``name``."""
        server = self[name]
        self._connector.mcp_servers = tuple(s for s in self._connector.mcp_servers
                                            if s.name != name)
        return server

    def check(self, name: str, **options: Any) -> Any:
        """Check the server ``name`` (see :func:`nbconnect.mcp.remote.check_server`), keep
        what was found (and a dynamically registered client) on the connector, and return
        the :class:`~nbconnect.mcp.remote.CheckResult`."""
        from ..mcp.remote import check_server

        result = check_server(self[name], **options)
        self.replace(result.server)
        return result
