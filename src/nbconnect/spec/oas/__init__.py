"""The one OpenAPI toolkit: what the OpenAPI Specification itself says, once.

Every reader of an OpenAPI document in nbconnect (the importer in :mod:`nbconnect.spec`,
the mock API in :mod:`nbconnect.mock`) asks these functions instead of keeping its own
copy of the rules. Nothing here decides nbconnect policy (which auth to suggest, which
response to mock); it answers questions the specification answers. Section numbers cite
OAS 3.0.3 (https://spec.openapis.org/oas/v3.0.3) and OAS 3.1.0
(https://spec.openapis.org/oas/v3.1.0); the rules below are the same in both unless a
docstring says otherwise.

- **Version**: :func:`check_version`, :func:`is_oas30`.
- **Operations**: :data:`PATH_ITEM_METHODS`, :func:`path_item`, :func:`operations`,
  :func:`effective_security`.
- **Parameters**: :data:`PARAMETER_LOCATIONS`, :data:`IGNORED_HEADERS`,
  :func:`is_ignored_header`, :func:`parameter_key`, :func:`parameter_schema`,
  :func:`parameter_style`.
- **JSON pointers and local ``$ref``s** (RFC 6901, cycle safe): :func:`escape_token`,
  :func:`parse_pointer`, :func:`join_pointer`, :func:`ref_tokens`, :func:`get_at`,
  :data:`MISSING`, :class:`Resolver` (``at``, ``deref``, ``chain``), :class:`Resolved`.
- **Servers**: :func:`first_server`, :func:`fill_server_url`,
  :func:`server_variable_problems`, :func:`has_scheme`.
- **Media types**: :func:`media_base`, :func:`is_json`, :func:`may_be_json`,
  :func:`is_wildcard`, :func:`pick_media`, :data:`REQUEST_MEDIA_PREFERENCE`.
- **Responses**: :func:`success_codes`.
- **Security schemes**: :class:`SecurityScheme`, :class:`OAuthFlow`,
  :func:`parse_security_scheme`, :func:`security_schemes`.

Pure functions on plain ``dict``/``list`` documents; imports nothing heavy. The names live in
``refs`` (pointers, ``$ref``s), ``document`` (version, operations, parameters, servers,
responses), ``media`` and ``security``; import them from this package.
Two modules are imported by name instead (they are not re-exported, so importing this
package stays light): ``schema`` (OAS Schema Object semantics for validation: 3.0
``nullable``, ``readOnly``/``writeOnly`` by direction, ``discriminator``) and ``validator``
(jsonschema without the optional format packages' import cost, the deliberate format set,
exact decimal ``multipleOf``). Likewise ``style`` (parameter serialization, §4.7.12.1: each
style and ``explode`` written and read back, the Style Examples table) and ``encoding``
(form and multipart bodies by the Encoding Object, §4.7.14).
"""

from __future__ import annotations

from .document import (
    IGNORED_HEADERS,
    PARAMETER_LOCATIONS,
    PATH_ITEM_METHODS,
    check_version,
    effective_security,
    fill_server_url,
    first_server,
    has_scheme,
    is_ignored_header,
    is_oas30,
    operations,
    parameter_key,
    parameter_schema,
    parameter_style,
    path_item,
    server_variable_problems,
    success_codes,
)
from .media import (
    REQUEST_MEDIA_PREFERENCE,
    is_json,
    is_wildcard,
    may_be_json,
    media_base,
    pick_media,
)
from .refs import (
    MAX_REF_HOPS,
    MISSING,
    Resolved,
    Resolver,
    escape_token,
    get_at,
    join_pointer,
    parse_pointer,
    ref_tokens,
    unescape_token,
)
from .security import (
    OAUTH_FLOW_NAMES,
    OAuthFlow,
    SecurityScheme,
    parse_security_scheme,
    security_schemes,
)

__all__ = [
    "IGNORED_HEADERS",
    "MAX_REF_HOPS",
    "MISSING",
    "OAUTH_FLOW_NAMES",
    "PARAMETER_LOCATIONS",
    "PATH_ITEM_METHODS",
    "REQUEST_MEDIA_PREFERENCE",
    "OAuthFlow",
    "Resolved",
    "Resolver",
    "SecurityScheme",
    "check_version",
    "effective_security",
    "escape_token",
    "fill_server_url",
    "first_server",
    "get_at",
    "has_scheme",
    "is_ignored_header",
    "is_json",
    "is_oas30",
    "is_wildcard",
    "join_pointer",
    "may_be_json",
    "media_base",
    "operations",
    "parameter_key",
    "parameter_schema",
    "parameter_style",
    "parse_pointer",
    "parse_security_scheme",
    "path_item",
    "pick_media",
    "ref_tokens",
    "security_schemes",
    "server_variable_problems",
    "success_codes",
    "unescape_token",
]
