"""Where one endpoint is called: the base URL of a request, given the endpoint's own server.

A spec may put a path or an operation on another server than the rest (path- and
operation-level ``servers``); such an endpoint keeps that server (``Endpoint.server``).
:func:`request_base_url` is the one rule every face that sends or describes a request uses
(the runner, the Postman export):

* an endpoint without its own server is called at the base URL of the request (the
  connection's, or the connector's);
* an endpoint with its own server is called there when the request goes to the connector's
  own base URL (the API as the spec describes it);
* when a connection points somewhere else (a mock, a staging host), the endpoint's server
  is moved onto that connection's origin (scheme, host and port) and keeps its own path:
  the mock serves such an operation under its server's path, so
  ``https://eu.uploads.example.com/v2`` becomes ``http://127.0.0.1:PORT/v2`` there.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

__all__ = ["request_base_url", "server_path"]


def _same(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


def server_path(server: str) -> str:
    """The path of a server URL without its trailing slash ("" for the root)."""
    return urlsplit(server).path.rstrip("/")


def request_base_url(server: str | None, connector_base_url: str | None,
                     base_url: str) -> str:
    """The base URL an endpoint's request goes to (see the module docstring).

    ``server`` is the endpoint's own server (or None), ``connector_base_url`` the
    connector's base URL and ``base_url`` the base URL of this request (the connection's).
    """
    if not server:
        return base_url
    if connector_base_url is None or _same(base_url, connector_base_url):
        return server
    parts = urlsplit(base_url)
    return urlunsplit((parts.scheme, parts.netloc, server_path(server), "", ""))
