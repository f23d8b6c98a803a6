"""The connector: ``Connector``, the one mutable object of the model.

A connector holds one base URL, one auth config, its endpoints, test connections, the
schemas imported endpoints refer to and saved test values. Every assignment is validated as
a whole before it takes effect, so a bad input leaves the connector exactly as it was.
Importing, testing and exporting live outside the model; the thin methods here delegate to
them with a function-level import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import limits
from ..errors import (
    ConnectorError,
    EndpointDefinitionError,
    EndpointNotFoundError,
    LimitError,
    OverwriteError,
)
from .authconfig import AuthConfig, auth_from_dict
from .connection import Connection
from .endpoint import Endpoint, default_endpoint_id
from .links import Link, check_links
from .mcpserver import McpServer, McpServers, check_mcp_servers
from .params import Param
from .urls import check_base_url
from .webhook import Webhooks

__all__ = ["Connector"]


def _check_name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConnectorError("The connector name is empty; give it a name such as 'petstore'.")
    value = value.strip()
    if len(value) > limits.MAX_NAME_LENGTH or re.search(r"[\x00-\x1f\x7f/\\]", value):
        raise ConnectorError(f"Connector name {value!r} is too long or contains '/', '\\' or "
                             "control characters; pick a short plain name.")
    return value


def _check_endpoints(value: Iterable[Endpoint]) -> tuple[Endpoint, ...]:
    endpoints = tuple(value)
    ids: set[str] = set()
    routes: dict[tuple[str, str], str] = {}
    for ep in endpoints:
        if not isinstance(ep, Endpoint):
            raise EndpointDefinitionError(f"Connector endpoints must be Endpoint objects, not "
                                f"{type(ep).__name__}.")
        if ep.id in ids:
            raise EndpointDefinitionError(
                f"Two endpoints have the id {ep.id!r}; give one another id.")
        ids.add(ep.id)
        route = (ep.method, ep.path)
        if route in routes:
            raise EndpointDefinitionError(f"Endpoints {routes[route]!r} and {ep.id!r} are both "
                                f"{ep.method} {ep.path}; remove one.")
        routes[route] = ep.id
    manual = sum(1 for ep in endpoints if ep.source == "manual")
    if manual > limits.MAX_MANUAL_ENDPOINTS:
        raise LimitError(f"{manual} endpoints were added by hand; the limit is "
                         f"{limits.MAX_MANUAL_ENDPOINTS}; remove some, or import a spec.")
    if len(endpoints) > limits.MAX_ENDPOINTS:
        raise LimitError(f"{len(endpoints)} endpoints; the limit is {limits.MAX_ENDPOINTS}; "
                         "remove some.")
    return endpoints


def _check_auth(value: object) -> AuthConfig | None:
    if value is None or isinstance(value, AuthConfig):
        return value
    if isinstance(value, Mapping):
        return auth_from_dict(value)
    raise ConnectorError(f"The auth config must be an AuthConfig such as ApiKeyAuth, not "
                         f"{type(value).__name__}.")


def _check_connections(value: Iterable[Connection]) -> tuple[Connection, ...]:
    conns = tuple(value)
    names: set[str] = set()
    for c in conns:
        if not isinstance(c, Connection):
            raise ConnectorError(f"Connections must be Connection objects, not "
                                 f"{type(c).__name__}.")
        if c.name in names:
            raise ConnectorError(f"Two connections are named {c.name!r}; rename one.")
        names.add(c.name)
    if sum(c.default for c in conns) > 1:
        raise ConnectorError("More than one connection is marked default; keep one.")
    return conns


def _check_test_values(value: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, Mapping) for k, v in value.items()):
        raise ConnectorError("Test values must map an endpoint id to a mapping of parameter "
                             "names to values, such as {'getPet': {'petId': 1}}.")
    return {k: dict(v) for k, v in value.items()}


_VALIDATORS = {
    "name": _check_name,
    "base_url": lambda v: None if v is None else check_base_url(v),
    "auth": _check_auth,
    "endpoints": _check_endpoints,
    "connections": _check_connections,
    "schemas": lambda v: dict(v),
    "test_values": lambda v: _check_test_values(v),
    "links": check_links,
    "mcp_servers": check_mcp_servers,
    "webhooks": Webhooks.of,
}


@dataclass(repr=False)
class Connector:
    """A connector to one HTTP API.

    One base URL (absolute, https; http only to loopback hosts), one auth method, up to
    150 endpoints (at most 50 of them added by hand), test connections, and the JSON
    Schemas (``schemas``, OpenAPI ``components.schemas``) that imported endpoints refer
    to. Every assignment is validated first: a bad value raises a typed
    :mod:`nbconnect.errors` exception and changes nothing.
    """

    name: str
    base_url: str | None = None
    auth: AuthConfig | None = None
    endpoints: tuple[Endpoint, ...] = ()
    connections: tuple[Connection, ...] = ()
    schemas: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    #: values to test with: endpoint id -> parameter name -> value (see ``runner``)
    test_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: parameter links: static and dynamic value lists (:mod:`nbconnect.model.links`)
    links: tuple[Link, ...] = ()
    #: remote MCP servers (plain data; ``mcp`` is the by-name view with add/check/remove)
    mcp_servers: tuple[McpServer, ...] = ()
    #: incoming webhooks (:class:`~nbconnect.model.webhook.Webhooks`, looked up by name)
    webhooks: Webhooks = field(default_factory=Webhooks)

    def __setattr__(self, key: str, value: Any) -> None:
        check = _VALIDATORS.get(key)
        object.__setattr__(self, key, check(value) if check else value)

    def __repr__(self) -> str:
        return (f"Connector(name={self.name!r}, base_url={self.base_url!r}, auth={self.auth!r}, "
                f"endpoints={len(self.endpoints)}, connections={len(self.connections)})")

    @property
    def mcp(self) -> McpServers:
        """The remote MCP servers by name: ``c.mcp["tools"].call("add", a=1)``,
        ``c.mcp.add(name, url, ...)``, ``c.mcp.check(name)``, ``c.mcp.remove(name)``."""
        return McpServers(self)

    # -- endpoints ---------------------------------------------------------------------

    def endpoint(self, endpoint_id: str) -> Endpoint:
        """The endpoint with this id (raises :class:`EndpointNotFoundError`)."""
        for ep in self.endpoints:
            if ep.id == endpoint_id:
                return ep
        import difflib

        ids = [e.id for e in self.endpoints]
        close = difflib.get_close_matches(endpoint_id, ids, n=3)
        more = f" and {len(ids) - 8} more" if len(ids) > 8 else ""
        hint = (f"did you mean {', '.join(close)}?" if close else
                f"its endpoints are {', '.join(ids[:8])}{more}." if ids else
                "it has none yet; add or import some first.")
        raise EndpointNotFoundError(f"No endpoint {endpoint_id!r} in connector {self.name!r}; "
                                    f"{hint}")

    def add_endpoint(self, method: str | Endpoint, path: str | None = None, *,
                     name: str | None = None, description: str = "", id: str | None = None,
                     params: Iterable[Param] = (), body: Iterable[Param] = (),
                     response: Iterable[Param] = (),
                     body_content_type: str | None = None) -> Endpoint:
        """Add an endpoint by hand (``:param`` and ``{param}`` paths both work).

        A full URL under the base URL is accepted and made relative. Returns the
        endpoint. At most 50 endpoints may be added by hand.
        """
        if isinstance(method, Endpoint):
            ep = method
        else:
            if path is None:
                raise EndpointDefinitionError("add_endpoint needs a method and a path, such as "
                                    "add_endpoint('GET', '/users/:id', name='Get user').")
            path = self._relative_path(path)
            ep = Endpoint(id=id or default_endpoint_id(method, path, name), method=method,
                          path=path, name=name or "", description=description,
                          params=tuple(params), body=tuple(body), response=tuple(response),
                          body_content_type=body_content_type or ("application/json"
                                                                  if body else None),
                          source="manual")
        existing = {e.id for e in self.endpoints}
        if ep.id in existing:
            raise EndpointDefinitionError(
                f"Connector {self.name!r} already has an endpoint {ep.id!r}; "
                "pick another name or id, or remove the old one first.")
        manual = sum(1 for e in self.endpoints if e.source == "manual")
        if ep.source == "manual" and manual >= limits.MAX_MANUAL_ENDPOINTS:
            raise LimitError(f"Connector {self.name!r} already has {manual} endpoints added by "
                             f"hand; the limit is {limits.MAX_MANUAL_ENDPOINTS}; remove one "
                             "first, or import a spec (up to "
                             f"{limits.MAX_IMPORTED_ENDPOINTS} endpoints).")
        self.endpoints = (*self.endpoints, ep)
        return ep

    def _relative_path(self, path: str) -> str:
        text = path.strip() if isinstance(path, str) else path
        if isinstance(text, str) and re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", text):
            base = (self.base_url or "").rstrip("/")
            if base and text.startswith(base + "/"):
                return text[len(base):]
            raise EndpointDefinitionError(
                f"The endpoint path {text!r} is a full URL that is not under "
                f"the base URL {self.base_url!r}; give a path such as "
                "/users/:id (the base URL is joined to it).")
        return text

    def remove_endpoint(self, endpoint_id: str) -> Endpoint:
        """Remove and return the endpoint with this id."""
        ep = self.endpoint(endpoint_id)
        self.endpoints = tuple(e for e in self.endpoints if e.id != endpoint_id)
        return ep

    def replace_endpoint(self, endpoint: Endpoint) -> Endpoint:
        """Replace the endpoint that has ``endpoint.id``."""
        self.endpoint(endpoint.id)
        self.endpoints = tuple(endpoint if e.id == endpoint.id else e for e in self.endpoints)
        return endpoint

    # -- import / package --------------------------------------------------------------

    def import_spec(self, source: Any, *, overwrite: bool = False, **options: Any) -> Any:
        """Import an OpenAPI 3.0/3.1 spec into this connector (see :func:`import_spec`).

        A connector that already has endpoints needs ``overwrite=True``: a re-import
        replaces every endpoint definition. The spec's first server becomes the base URL
        and its security scheme the auth config when the connector has none yet. Returns
        the :class:`~nbconnect.spec.importer.ImportResult`.
        """
        from ..spec.importer import import_spec

        self.check_overwrite(overwrite)
        result = import_spec(source, **options)
        self.apply_import(result, overwrite=overwrite)
        return result

    def check_overwrite(self, overwrite: bool) -> None:
        """Raise :class:`OverwriteError` if an import would overwrite without consent."""
        if self.endpoints and not overwrite:
            raise OverwriteError(
                f"Connector {self.name!r} already has {len(self.endpoints)} endpoints and a "
                "new import overwrites every one of them; allow overwriting to go ahead.",
                option="overwrite")

    def apply_import(self, result: Any, *, overwrite: bool = False) -> None:
        """Take the endpoints, schemas and suggestions of an ImportResult (all or nothing)."""
        self.check_overwrite(overwrite)
        endpoints = _check_endpoints(result.endpoints)
        base_url = self.base_url or result.base_url
        auth = self.auth if self.auth is not None else result.auth
        object.__setattr__(self, "endpoints", endpoints)
        object.__setattr__(self, "schemas", dict(result.schemas))
        object.__setattr__(self, "base_url", base_url)
        object.__setattr__(self, "auth", auth)
        if not self.description and result.description:
            object.__setattr__(self, "description", result.description)

    def test(self, endpoints: str | Iterable[str] | None = None, **options: Any) -> Any:
        """Test one endpoint id, several, or (``None``) all of them; returns a TestReport.

        Options are those of :func:`nbconnect.testing.runner.test_endpoints` (``connection``,
        ``params``, ``concurrency``, ``timeout``, ``progress``, ``transport``, ...).
        """
        from ..testing.runner import test_endpoints

        ids = [endpoints] if isinstance(endpoints, str) else endpoints
        return test_endpoints(self, ids, **options)

    def pull(self, endpoint_id: str, samples: Iterable[Any] = (), *, accept: bool = False,
             **options: Any) -> Any:
        """Infer ``endpoint_id``'s response tree from its last successful test responses and
        the given ``samples`` (JSON file paths, JSON bytes, or parsed dicts/lists); returns a
        PullResult (fields, drift from the declared response). ``accept=True`` writes the
        tree into the endpoint. Options (``package``, ``stored``, ``drop``) are those of
        :func:`nbconnect.pull.pulling.pull`; PullError when there is nothing to read.
        """
        from ..pull.pulling import pull

        return pull(self, endpoint_id, samples, accept=accept, **options)

    def call(self, endpoint_id: str, *, connection: str | None = None, all_pages: bool = False,
             max_pages: int = 100, params: Mapping[str, Any] | None = None,
             transport: Any = None, verify: Any = True, total_timeout: float | None = None,
             **values: Any) -> Any:
        """Call an endpoint through a test connection; returns a
        :class:`~nbconnect.paging.follow.PagingResult` (``items``, ``pages``, ``data``: the
        first page's body, ``stop_reason``/``stop_message``, ``ok``).

        ``values`` (and ``params``, for names that clash with these arguments) are the
        request parameters. Without ``all_pages`` one page is fetched (``stop_reason``
        ``max-pages`` says the API has more). ``all_pages=True`` follows the endpoint's
        paging rule (stored, or detected from the spec and the first page) for at most
        ``max_pages`` pages, and always ends saying why (see
        :func:`nbconnect.paging.follow.iter_pages`, which also takes a ``rule`` and a
        ``timeout``). ``transport`` and ``verify`` go to the HTTP client.
        ``total_timeout``: seconds the whole call may take, every page together (default
        ``limits.DEFAULT_PAGING_TOTAL_TIMEOUT``; reached: ``stop_reason`` ``time-limit``).
        Every 2xx JSON page is kept as a response sample, so :meth:`pull` merges them.
        """
        from ..paging.follow import follow

        one = not all_pages and isinstance(max_pages, int) and max_pages >= 1
        return follow(self, endpoint_id, connection=connection,
                      params={**(params or {}), **values}, transport=transport,
                      verify=verify, max_pages=1 if one else max_pages,
                      total_timeout=total_timeout)

    def options(self, endpoint: str, param: str, *, connection: str | None = None,
                **inputs: Any) -> list[tuple[Any, str]]:
        """The allowed ``(value, label)`` pairs of parameter ``param`` of ``endpoint``: its
        static list, or its linked endpoint called through the runner (every page, cached;
        ``inputs`` are values of the endpoint's other parameters). See
        :func:`nbconnect.links.options.options`."""
        from ..links.options import options

        return options(self, endpoint, param, connection=connection, **inputs)

    def link(self, endpoint: str, param: str, *, values: Iterable[Any] | None = None,
             labels: Iterable[str] | None = None, source: str | None = None,
             value: str | None = None, label: str | None = None,
             inputs: Mapping[str, Any] | Iterable[str] | None = None) -> Any:
        """Limit parameter ``param`` of ``endpoint`` to a static list (``values``, optional
        ``labels`` one per value) or to what endpoint ``source`` returns at path ``value``
        (``items[*].id``; ``label``: the display path; ``inputs``: ``source``'s parameters,
        fixed values or ``"param:NAME"`` of ``endpoint``). Replaces the parameter's old
        link; returns the :class:`~nbconnect.model.links.Link`. A path matching no known
        response field of ``source`` warns (``UserWarning``). Raises ``LinkDefinitionError``
        or ``LinkCycleError`` and changes nothing. See :mod:`nbconnect.links`."""
        from ..links.define import define_link

        return define_link(self, endpoint, param, values=values, labels=labels,
                           source=source, value=value, label=label, inputs=inputs)

    def unlink(self, endpoint: str, param: str) -> Any:
        """Remove and return the link of ``param`` of ``endpoint`` (``LinkDefinitionError``
        when it has none; a spec ``enum`` is not a link and stays)."""
        from ..links.static import remove_link

        return remove_link(self, endpoint, param)

    def export(self, path: Any, *, zip: bool = False) -> Any:
        """Write the connector package to ``path`` (a directory, or a ``.zip``), with the
        response samples kept for :meth:`pull` (``samples/``); the connector remembers it."""
        from ..package.format import export
        from ..pull.samples import carry

        written = export(self, path, zip=zip)
        carry(self, written)
        return written

    # -- plain data --------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The whole connector as plain data (the package manifest plus schemas)."""
        out: dict[str, Any] = {"name": self.name}
        if self.description:
            out["description"] = self.description
        out["base_url"] = self.base_url
        out["auth"] = self.auth.to_dict() if self.auth else None
        out["connections"] = [c.to_dict() for c in self.connections]
        out["endpoints"] = [e.to_dict() for e in self.endpoints]
        if self.schemas:
            out["schemas"] = self.schemas
        if self.test_values:
            out["test_values"] = self.test_values
        if self.links:
            out["links"] = [link.to_dict() for link in self.links]
        if self.mcp_servers:
            out["mcp"] = [s.to_dict() for s in self.mcp_servers]
        if self.webhooks:
            out["webhooks"] = self.webhooks.to_list()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Connector:
        """Build a connector from :meth:`to_dict` output."""
        return cls(
            name=data.get("name"),
            base_url=data.get("base_url"),
            auth=auth_from_dict(data.get("auth")),
            endpoints=tuple(Endpoint.from_dict(e) for e in data.get("endpoints") or ()),
            connections=tuple(Connection.from_dict(c) for c in data.get("connections") or ()),
            schemas=dict(data.get("schemas") or {}),
            description=data.get("description") or "",
            test_values=dict(data.get("test_values") or {}),
            links=check_links(data.get("links") or ()),
            mcp_servers=check_mcp_servers(data.get("mcp") or ()),
            webhooks=Webhooks.of(data.get("webhooks") or ()),
        )
