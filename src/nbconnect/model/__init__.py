"""The connector model: plain data for Connector, Endpoint, Param, auth configs, connections.

``Param``, ``Endpoint``, the auth configs and ``Connection`` are frozen values (change them
with :func:`dataclasses.replace`); ``Connector`` is the one mutable object, and every
assignment to it is validated as a whole before it takes effect, so a bad input leaves the
connector exactly as it was. Reprs are stable (no memory addresses, times or ports), so
notebooks that show these objects can be compared by nbval. ``to_dict``/``from_dict`` give
the plain data that the package format (:mod:`nbconnect.package.format`) writes and reads.

This module only gathers the public names of its parts:

* :mod:`~nbconnect.model.params` - ``Param``, path templates, parameter names;
* :mod:`~nbconnect.model.endpoint` - ``Endpoint``, endpoint ids, ``slugify``;
* :mod:`~nbconnect.model.authconfig` - the auth configs and ``auth_from_dict``;
* :mod:`~nbconnect.model.connection` - ``Connection``;
* :mod:`~nbconnect.model.connector` - ``Connector``;
* :mod:`~nbconnect.model.urls` - the base URL rule;
* :mod:`~nbconnect.model.webhook` - ``Webhook`` and its signature, challenge, RESThook.
* :mod:`~nbconnect.model.mcpserver` - ``McpServer`` (a remote MCP server) and ``McpServers``.

The model imports nothing from ``spec``, ``testing``, ``package``, ``mock`` or ``exports``
at module level; ``Connector.import_spec``, ``.test`` and ``.export`` delegate to them.
"""

from __future__ import annotations

from .authconfig import (
    API_KEY_ADD_TO,
    AUTH_TYPES,
    CLIENT_AUTH_METHODS,
    JWT_ADD_TO,
    JWT_ALGORITHMS,
    JWT_TIME_CLAIMS,
    ApiKeyAuth,
    AuthConfig,
    BasicAuth,
    BearerAuth,
    JwtAuth,
    OAuth2ClientCredentials,
    OAuth2Code,
    OAuth2Password,
    auth_from_dict,
    jwt_time_value,
)
from .connection import Connection
from .connector import Connector
from .endpoint import HTTP_METHODS, Endpoint, default_endpoint_id, slugify
from .mcpserver import McpServer, McpServers
from .params import (
    PARAM_LOCATIONS,
    PARAM_TYPES,
    Param,
    PathTemplate,
    check_param_name,
    parse_path,
)
from .webhook import Challenge, Resthook, Signature, Webhook, Webhooks

__all__ = [
    "API_KEY_ADD_TO",
    "AUTH_TYPES",
    "CLIENT_AUTH_METHODS",
    "HTTP_METHODS",
    "JWT_ADD_TO",
    "JWT_ALGORITHMS",
    "JWT_TIME_CLAIMS",
    "PARAM_LOCATIONS",
    "PARAM_TYPES",
    "ApiKeyAuth",
    "AuthConfig",
    "BasicAuth",
    "BearerAuth",
    "Challenge",
    "Connection",
    "Connector",
    "Endpoint",
    "JwtAuth",
    "McpServer",
    "McpServers",
    "OAuth2ClientCredentials",
    "OAuth2Code",
    "OAuth2Password",
    "Param",
    "PathTemplate",
    "Resthook",
    "Signature",
    "Webhook",
    "Webhooks",
    "auth_from_dict",
    "check_param_name",
    "default_endpoint_id",
    "jwt_time_value",
    "parse_path",
    "slugify",
]
