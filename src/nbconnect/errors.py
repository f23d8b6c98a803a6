"""Typed, user-facing errors.

Every error nbconnect raises for bad input is a subclass of :class:`NbConnectError`.
``str(error)`` is one sentence that names the problem and the fix; ``error.details``
holds optional extra lines (for example the first validator errors with their JSON
paths); ``error.option`` names the option or field concerned. Messages raised by the core
name no face (no ``%connect``, no ``nbconnect VERB``, no ``--flag``): the faces add their own
hint from ``option``. Faces (magics, CLI) print the sentence, and the details when there are any,
never a traceback.

The tree::

    NbConnectError
    ├── SpecError                  an OpenAPI document could not be imported
    │   ├── SpecSelectionError     --tag/--include/--exclude match nothing or are invalid
    │   ├── SpecSourceError        file/URL/text unreadable (missing, timeout, HTML, 404, http)
    │   ├── SpecTooLargeError      over the size cap
    │   ├── SpecParseError         not JSON/YAML, bad UTF-8, duplicate keys, unsafe tags,
    │   │                          alias bomb, too deep
    │   ├── SpecVersionError       Swagger 2.0 or an OpenAPI version other than 3.0/3.1
    │   ├── SpecValidationError    openapi-spec-validator found errors (strict mode)
    │   ├── SpecRefError           remote/file/unresolvable/self-referencing $ref
    │   └── SpecContentError       duplicate operationIds, bad path templates, bad parameter names
    ├── BaseUrlError               relative, not http(s), or http to a non-loopback host
    ├── EndpointError              an endpoint problem
    │   ├── EndpointDefinitionError a bad endpoint definition (method, path, parameter)
    │   ├── EndpointNotFoundError  no endpoint with that id
    │   └── MissingParameterError  a required parameter has no test value anywhere
    ├── LimitError                 more endpoints than the limits allow
    ├── ConnectorError             a bad connector-level value (name, connections, test values)
    ├── OverwriteError             a re-import without overwrite=True
    ├── PackageError               a connector package that cannot be read or is invalid
    ├── AuthConfigError            an auth config or auth secret that cannot work
    ├── SecretError                a secret reference that is malformed or cannot be resolved
    ├── ConnectionNotFoundError    no test connection with that name
    ├── OAuthError                 an OAuth2 token or authorization step failed
    ├── TestRunError               bad options for a test run (timeout, concurrency, values)
    ├── MockError                  the mock API cannot be built or served
    ├── ServerStartError           a background server cannot start (port busy, TLS, timeout)
    ├── ExportError                a connector cannot be written in another tool's format
    ├── PullError                  no usable response to pull from (none yet, not JSON, empty,
    │                              too large or too deeply nested)
    ├── LinkError                  a parameter link problem
    │   ├── LinkDefinitionError    a link to a missing endpoint or parameter, a bad path,
    │   │                          duplicate static values
    │   ├── LinkCycleError         links that depend on each other in a circle (E→L→E)
    │   ├── LinkSourceError        the linked endpoint failed, gave no values, or its
    │   │                          response has nothing at the linked-parameter path
    │   └── LinkValueError         a value not in the parameter's list (refused before sending)
    ├── PagingError                a paging rule naming a missing parameter or field, bad
    │                              paging options (max pages under 1)
    ├── EventLogError              the webhook event log cannot be opened, written or read
    ├── SubscriptionError          a RESThook subscribe or unsubscribe call failed
    ├── WebhookDefinitionError     a bad webhook definition (name, type, signature, challenge)
    ├── WebhookNotFoundError       no webhook with that name
    ├── VerbUsageError             a verb was called wrongly (unknown verb or flag, bad value)
    ├── DemoError                  the quickstart could not run headless (nbclient or ipykernel
    │                              missing, a cell failed, an output folder holding other files)
    └── McpError                   a remote MCP server problem
        ├── McpConfigError         a bad MCP server definition (name, URL, auth, secret reference)
        ├── McpServerNotFoundError no MCP server with that name
        ├── McpConnectError        unreachable, not MCP (HTML, other JSON), handshake timeout
        ├── McpProtocolError       no protocol revision both sides speak
        ├── McpAuthError           discovery (RFC 9728/8414), resource/issuer mismatch, denied
        ├── McpRegistrationError   no client registration possible, or the server refused it
        ├── McpToolError           unknown tool, invalid input, server never checked
        └── McpServeError          serving a connector: unknown client, a selection that
                                   matches nothing, a tool call the served API refuses

Only leaves are raised (tests/test_errors.py checks it); the inner classes exist to be caught.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

__all__ = [
    "AuthConfigError",
    "BaseUrlError",
    "ConnectionNotFoundError",
    "ConnectorError",
    "DemoError",
    "EndpointDefinitionError",
    "EndpointError",
    "EndpointNotFoundError",
    "EventLogError",
    "ExportError",
    "LimitError",
    "LinkCycleError",
    "LinkDefinitionError",
    "LinkError",
    "LinkSourceError",
    "LinkValueError",
    "McpAuthError",
    "McpConfigError",
    "McpConnectError",
    "McpError",
    "McpProtocolError",
    "McpRegistrationError",
    "McpServeError",
    "McpServerNotFoundError",
    "McpToolError",
    "MissingParameterError",
    "MockError",
    "NbConnectError",
    "OAuthError",
    "OverwriteError",
    "PackageError",
    "PagingError",
    "PullError",
    "SecretError",
    "ServerStartError",
    "SpecContentError",
    "SpecError",
    "SpecParseError",
    "SpecRefError",
    "SpecSelectionError",
    "SpecSourceError",
    "SpecTooLargeError",
    "SpecValidationError",
    "SpecVersionError",
    "SubscriptionError",
    "TestRunError",
    "VerbUsageError",
    "WebhookDefinitionError",
    "WebhookNotFoundError",
    "clip",
    "json_path",
]


def json_path(parts: Iterable[Any]) -> str:
    """``$.paths["/pets"].get.responses[0]``-style path of a location in a document."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(part)):
            out += f".{part}"
        else:
            out += "[" + json.dumps(str(part), ensure_ascii=False) + "]"
    return out


def clip(text: object, n: int = 160) -> str:
    """``text`` on one line, without a final period, cut to ``n`` characters with '…'."""
    flat = " ".join(str(text).split()).rstrip(".")
    return flat if len(flat) <= n else flat[: n - 1] + "…"


class NbConnectError(Exception):
    """Base class of every user-facing nbconnect error.

    ``str(err)`` is the one-sentence message; ``err.details`` are extra lines.
    """

    def __init__(self, message: str, details: Iterable[str] = (), *,
                 option: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: list[str] = list(details)
        #: The verb option or field the fix concerns, as a Python parameter name
        #: (``"include"``, ``"base_url"``), or None. Core messages name no face; each face
        #: turns this into its own hint (``--include`` for the CLI and the magics, a
        #: field's label in a form).
        self.option = option

    def __str__(self) -> str:
        return self.message

    def full_text(self) -> str:
        """The message followed by the detail lines, indented."""
        return "\n".join([self.message, *(f"  {d}" for d in self.details)])


class SpecError(NbConnectError, ValueError):
    """An OpenAPI document could not be imported."""


class SpecSourceError(SpecError):
    """The spec file, URL or text could not be read."""


class SpecTooLargeError(SpecError):
    """The spec is larger than the size cap."""


class SpecParseError(SpecError):
    """The spec is not well-formed, safe JSON or YAML."""


class SpecVersionError(SpecError):
    """The document is not OpenAPI 3.0 or 3.1."""


class SpecValidationError(SpecError):
    """openapi-spec-validator refused the document (strict mode)."""


class SpecRefError(SpecError):
    """A ``$ref`` is remote, a file, unresolvable, or refers only to itself."""


class SpecContentError(SpecError):
    """The operations of a spec cannot become endpoints as written."""


class BaseUrlError(NbConnectError, ValueError):
    """A base URL that breaks the base URL rule."""


class EndpointError(NbConnectError, ValueError):
    """A bad endpoint definition."""


class EndpointNotFoundError(EndpointError, LookupError):
    """No endpoint with the given id."""


class MissingParameterError(EndpointError):
    """A required parameter has no test value (argument, saved value, default, example)."""


class LimitError(NbConnectError, ValueError):
    """More endpoints than the limits allow."""


class OverwriteError(NbConnectError):
    """A re-import would overwrite endpoints and overwrite was not asked for."""


class PackageError(NbConnectError, ValueError):
    """A connector package that cannot be read or is invalid."""


class AuthConfigError(NbConnectError, ValueError):
    """An auth config (or an auth secret such as a JWT key) that cannot work."""


class SecretError(NbConnectError, ValueError):
    """A secret reference that is malformed or cannot be resolved."""


class ConnectionNotFoundError(NbConnectError, LookupError):
    """No test connection with the given name."""


class OAuthError(NbConnectError):
    """An OAuth2 step failed (token endpoint error, bad redirect, timeout)."""


class SpecSelectionError(SpecError):
    """The selection options (tags, include, exclude) match nothing or are invalid."""


class EndpointDefinitionError(EndpointError):
    """A bad endpoint definition: method, path, parameter, response."""


class ConnectorError(NbConnectError, ValueError):
    """A bad connector-level value: its name, its connections, its test values."""


class TestRunError(NbConnectError, ValueError):
    """Bad options for a test run (timeout, concurrency, test values)."""

    __test__ = False  # not a pytest test class


class MockError(NbConnectError):
    """The mock API cannot be built or served as asked."""


class ExportError(NbConnectError, ValueError):
    """A connector cannot be written in another tool's format as asked."""


class VerbUsageError(NbConnectError, ValueError):
    """A verb was called wrongly: unknown verb or flag, a missing or malformed argument.

    Raised by the verb table for both faces; each face prints it as one line.
    """


class ServerStartError(NbConnectError, OSError):
    """A background server cannot start (port busy, TLS setup, timeout) or is not running."""


class LinkError(NbConnectError, ValueError):
    """A parameter link problem (caught as one; the leaves below are raised)."""


class LinkDefinitionError(LinkError):
    """A link to a missing endpoint or parameter, a bad path, or duplicate static values."""


class LinkCycleError(LinkError):
    """Links that depend on each other in a circle (E→L→E)."""


class LinkSourceError(LinkError):
    """The linked endpoint failed, returned no values, or has nothing at the linked path."""


class LinkValueError(LinkError):
    """A value not in a linked parameter's list (refused before anything is sent)."""


class PullError(NbConnectError, ValueError):
    """No usable response to pull a response tree from: no successful test response yet, a
    body that is not JSON, empty, over the size bound or nested too deeply."""


class PagingError(NbConnectError, ValueError):
    """A paging rule that names a parameter or response field the endpoint lacks, or bad
    paging options (max pages under 1). An API that never advances is a stop reason, not this."""


class EventLogError(NbConnectError):
    """The webhook event log cannot be opened, written or read (path, Redis server)."""


class SubscriptionError(NbConnectError):
    """A RESThook subscribe or unsubscribe call failed or gave no subscription id."""


class McpError(NbConnectError):
    """A remote MCP server problem (the inner class of the MCP client's errors)."""


class McpConfigError(McpError, ValueError):
    """A bad remote MCP server definition: name, URL, auth, a secret that is not a reference."""


class McpServerNotFoundError(McpError, LookupError):
    """No remote MCP server with the given name."""


class McpConnectError(McpError):
    """The MCP server cannot be reached, answers something that is not MCP, or times out."""


class McpProtocolError(McpError):
    """The MCP server and this client share no protocol revision."""


class McpAuthError(McpError):
    """Authorization discovery or the authorization itself failed (RFC 9728, RFC 8414)."""


class McpRegistrationError(McpError):
    """No OAuth client can be registered with the MCP server's authorization server."""


class McpToolError(McpError, ValueError):
    """A tool call that cannot be made: unknown tool, invalid input, server never checked."""


class WebhookDefinitionError(NbConnectError, ValueError):
    """A bad webhook definition: name, type, signature check, challenge, RESThook fields."""


class WebhookNotFoundError(NbConnectError, LookupError):
    """No webhook with the given name."""


class McpServeError(McpError, ValueError):
    """Serving a connector as an MCP server cannot go as asked: an unknown client, a tool
    selection that matches nothing, a tool call with bad arguments."""


class DemoError(NbConnectError, RuntimeError):
    """The quickstart could not run headless: nbclient or ipykernel missing, a cell failed or
    timed out, or the output folder holds files the demo did not write."""
