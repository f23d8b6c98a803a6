"""What OAS says about a document's shape: version, operations, parameters, servers, responses.

Part of the OpenAPI toolkit :mod:`nbconnect.spec.oas` (import names from there).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ...errors import SpecParseError, SpecVersionError
from .refs import Resolver, escape_token

# --------------------------------------------------------------------------- version

_VERSION_RE = re.compile(r"3\.[01](\.\d+)?(-[0-9A-Za-z.\-]+)?")


def check_version(doc: Any, origin: str = "text") -> str:
    """Check that ``doc`` is an OpenAPI 3.0.x or 3.1.x document; return its version string.

    OAS 3.0.3 §4.7.1 / 3.1 §4.8.1 (OpenAPI Object): the ``openapi`` field is REQUIRED and
    holds the version (§4.2 Versions: ``major.minor.patch``). A document with ``swagger``
    and no ``openapi`` is Swagger / OpenAPI 2.0. ``origin`` names the document in messages.
    Raises :class:`~nbconnect.errors.SpecParseError` when ``doc`` is not a mapping and
    :class:`~nbconnect.errors.SpecVersionError` for any other version.
    """
    if not isinstance(doc, dict):
        raise SpecParseError(f"The spec {origin} is not a JSON or YAML mapping; give an "
                             "OpenAPI 3.0/3.1 document.")
    if "swagger" in doc and "openapi" not in doc:
        raise SpecVersionError(
            f"The spec {origin} is Swagger {doc.get('swagger')} (OpenAPI 2.0), but "
            "nbconnect needs OpenAPI 3.0 or 3.1; convert it first (for example with "
            "swagger2openapi or https://converter.swagger.io).")
    version = doc.get("openapi")
    if version is None:
        raise SpecVersionError(f"The document {origin} has no 'openapi' field, so it is "
                               "not an OpenAPI 3.0/3.1 spec; give an OpenAPI document.")
    if not isinstance(version, str):
        raise SpecVersionError(f"The spec {origin} has openapi: {version!r}, which is not "
                               "a version string; write it in quotes, as in "
                               "openapi: \"3.0.3\".")
    if not _VERSION_RE.fullmatch(version.strip()):
        raise SpecVersionError(f"The spec {origin} is OpenAPI {version}, but nbconnect "
                               "imports OpenAPI 3.0.x and 3.1.x only; use a 3.0 or 3.1 "
                               "version of the spec.")
    return version.strip()


def is_oas30(version: Any) -> bool:
    """True for an OpenAPI 3.0.x version string (schemas are the OAS 3.0 JSON Schema subset,
    with ``nullable`` and draft-4 rules); False for 3.1.x (JSON Schema 2020-12, OAS 3.1
    §4.8.24 Schema Object)."""
    return str(version or "").strip().startswith("3.0")


# --------------------------------------------------------------------------- operations

#: The fixed fields of a Path Item Object that hold an Operation Object, in the order the
#: specification lists them (OAS 3.0.3 §4.7.9, 3.1 §4.8.9 Path Item Object).
PATH_ITEM_METHODS: tuple[str, ...] = ("get", "put", "post", "delete", "options", "head",
                                      "patch", "trace")
_METHOD_SET = frozenset(PATH_ITEM_METHODS)


def path_item(resolver: Resolver, item: Any, pointer: str = "") -> tuple[Any, str]:
    """A Path Item with its ``$ref`` applied: ``(merged item, pointer of the referenced item)``.

    OAS 3.0.3 §4.7.9 / 3.1 §4.8.9: a Path Item's ``$ref`` points to another Path Item; a
    field present both there and beside the ``$ref`` is undefined behaviour, and here the
    sibling (local) field wins. Only local references are followed (see :class:`Resolver`);
    a broken or remote reference leaves just the siblings. ``pointer`` is the JSON pointer
    of ``item`` (for example ``"/paths/~1pets"``); the returned pointer is where the
    referenced Path Item lives, or ``pointer`` when there was no ``$ref``. Returns
    ``(item, pointer)`` unchanged when ``item`` is not a mapping.
    """
    if not isinstance(item, dict) or not isinstance(item.get("$ref"), str):
        return item, pointer
    found = resolver.deref(item, pointer)
    siblings = {k: v for k, v in item.items() if k != "$ref"}
    if found.problem is not None or not isinstance(found.value, dict):
        return siblings, pointer
    return {**found.value, **siblings}, found.pointer


def operations(item: Any) -> list[tuple[str, dict[str, Any]]]:
    """``(method, Operation Object)`` for each operation of a (merged) Path Item.

    Methods are the :data:`PATH_ITEM_METHODS` keys (lower case, as the specification
    spells them; OAS 3.0.3 §4.7.9), listed in the **document's key order**; values that
    are not mappings are skipped. Apply :func:`path_item` first when the item may hold a
    ``$ref``.
    """
    if not isinstance(item, dict):
        return []
    return [(k, op) for k, op in item.items() if k in _METHOD_SET and isinstance(op, dict)]


def effective_security(op: Mapping[str, Any], root_security: Any) -> list[Any] | None:
    """The Security Requirement Objects that apply to an operation, or None if none declared.

    OAS 3.0.3 §4.7.10 / 3.1 §4.8.10 (Operation ``security``): an operation's list overrides
    the top-level ``security`` (§4.7.1); an empty list removes it (``[]`` is returned, and
    means "no auth"). A value that is not a list counts as not declared (None).
    """
    sec = op.get("security", root_security)
    return sec if isinstance(sec, list) else None


# --------------------------------------------------------------------------- parameters

#: Where a Parameter Object may live (OAS 3.0.3 §4.7.12 / 3.1 §4.8.12, field ``in``).
PARAMETER_LOCATIONS: tuple[str, ...] = ("path", "query", "header", "cookie")

#: Header parameters the specification says to ignore, lower-cased (OAS 3.0.3 §4.7.12 /
#: 3.1 §4.8.12, field ``name``: "If in is "header" and the name field is "Accept",
#: "Content-Type" or "Authorization", the parameter definition SHALL be ignored").
IGNORED_HEADERS: frozenset[str] = frozenset({"accept", "content-type", "authorization"})


def is_ignored_header(name: Any, location: Any) -> bool:
    """True when a parameter must be ignored: a ``header`` parameter named Accept,
    Content-Type or Authorization, in any letter case (OAS 3.0.3 §4.7.12, 3.1 §4.8.12;
    header names are case-insensitive, RFC 7230 §3.2)."""
    return location == "header" and isinstance(name, str) and name.lower() in IGNORED_HEADERS


def parameter_key(name: str, location: str) -> tuple[str, str]:
    """The identity of a parameter: ``(location, name)``, the name lower-cased for headers.

    OAS 3.0.3 §4.7.12 / 3.1 §4.8.12: "A unique parameter is defined by a combination of a
    name and location"; §4.7.9: operation-level parameters override path-item-level ones
    with the same identity (so merge path-item parameters first, then the operation's, into
    a dict keyed by this). Header names compare case-insensitively (RFC 7230 §3.2).
    """
    return (location, name.lower() if location == "header" else name)


def parameter_schema(param: Mapping[str, Any]) -> tuple[Any, str | None]:
    """``(schema, pointer relative to the parameter)`` of a Parameter Object.

    OAS 3.0.3 §4.7.12 / 3.1 §4.8.12: a parameter has either ``schema`` or ``content``, and
    ``content`` holds exactly one media type whose Media Type Object carries the schema.
    Returns ``(param["schema"], "/schema")`` when ``schema`` is present and not null, else
    ``(schema of the first content entry, "/content/<escaped key>/schema")`` when there is
    one, else ``(None, None)``. The schema is returned as written (it may be a ``$ref`` or,
    in 3.1, a boolean); append the relative pointer to the parameter's own pointer.
    """
    schema = param.get("schema")
    if schema is not None:
        return schema, "/schema"
    content = param.get("content")
    if isinstance(content, dict) and content:
        key = next(iter(content))
        media = content[key]
        inner = media.get("schema") if isinstance(media, dict) else None
        if inner is not None:
            return inner, f"/content/{escape_token(str(key))}/schema"
    return None, None


def parameter_style(param: Mapping[str, Any]) -> tuple[str, bool]:
    """``(style, explode)`` of a Parameter Object with the specification's defaults.

    OAS 3.0.3 §4.7.12.1 / 3.1 §4.8.12 (Style Values, fields ``style`` and ``explode``):
    the default style is ``form`` for ``query`` and ``cookie`` and ``simple`` for ``path``
    and ``header``; ``explode`` defaults to true when the style is ``form`` and false
    otherwise.
    """
    loc = param.get("in")
    style = param.get("style") or ("form" if loc in ("query", "cookie") else "simple")
    style = str(style)
    return style, bool(param.get("explode", style == "form"))


# --------------------------------------------------------------------------- servers


def first_server(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """The first Server Object of the document, or None when there is none.

    OAS 3.0.3 §4.7.1 / 3.1 §4.8.1 (``servers``): when the list is missing or empty the
    default is a server with url ``/``; this returns None in that case so the caller
    decides what ``/`` means for it. A first entry that is not a mapping also gives None.
    """
    servers = doc.get("servers")
    if not isinstance(servers, list) or not servers or not isinstance(servers[0], dict):
        return None
    return servers[0]


_VARIABLE_RE = re.compile(r"\{([^{}]*)\}")


def fill_server_url(url: str, variables: Any,
                    placeholder: Callable[[str], str] | None = None) -> tuple[str, list[str]]:
    """Substitute Server Variables in a server URL: ``(filled url, names without default)``.

    OAS 3.0.3 §4.7.5 / 3.1 §4.8.5 (Server Object, ``url``: "Variable substitutions will be
    made when a variable is named in {brackets}") and §4.7.6 / §4.8.6 (Server Variable
    Object: ``default`` is REQUIRED and is the value used for substitution). ``variables``
    is the Server Object's ``variables`` (anything else counts as none). A variable with no
    default is replaced by ``placeholder(name)`` when given, else left as ``{name}``, and
    its name is listed. ``url`` is stripped of surrounding whitespace.
    """
    table = variables if isinstance(variables, dict) else {}
    missing: list[str] = []

    def fill(m: re.Match[str]) -> str:
        var = table.get(m.group(1))
        default = var.get("default") if isinstance(var, dict) else None
        if default is None:
            missing.append(m.group(1))
            return placeholder(m.group(1)) if placeholder is not None else m.group(0)
        return str(default)

    return _VARIABLE_RE.sub(fill, url.strip()), missing


def server_variable_problems(url: str, variables: Any) -> list[str]:
    """The variables of a server ``url`` whose ``default`` is not one of their ``enum``
    values, each as ``"name's default 'x' is not one of its enum values a, b"``.

    OAS 3.1 §4.8.6 (Server Variable Object): "If the enum is defined, the value MUST exist
    in the enum's values" (and the enum "MUST NOT be empty"); OAS 3.0.3 §4.7.6 makes the
    enum the set of allowed values ("SHOULD NOT be empty"). A variable with no enum, or none
    named in ``url``, has no problem; an empty enum allows no value.
    """
    table = variables if isinstance(variables, dict) else {}
    out: list[str] = []
    for name in dict.fromkeys(_VARIABLE_RE.findall(url if isinstance(url, str) else "")):
        var = table.get(name)
        if not isinstance(var, dict) or not isinstance(var.get("enum"), list) or \
                var.get("default") is None:
            continue
        allowed = [str(v) for v in var["enum"]]
        if str(var["default"]) not in allowed:
            shown = ", ".join(allowed[:8]) + (", ..." if len(allowed) > 8 else "")
            out.append(f"{name}'s default {str(var['default'])!r} is not one of its enum "
                       f"values {shown or '(none: the enum is empty)'}")
    return out


_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def has_scheme(url: str) -> bool:
    """True when ``url`` starts with a URI scheme (RFC 3986 §3.1), i.e. is absolute.

    A server URL without one is relative to where the document was served (OAS 3.0.3
    §4.7.5 / 3.1 §4.8.5: "This URL ... MAY be relative"); resolve it with
    :func:`urllib.parse.urljoin` against the document's URL.
    """
    return bool(_SCHEME_RE.match(url))


# --------------------------------------------------------------------------- responses

_TWO_XX = re.compile(r"2\d\d")


def success_codes(responses: Any, prefer: Sequence[str] = ()) -> list[tuple[str, Any]]:
    """The success entries of a Responses Object, best first: ``[(code as text, key)]``.

    OAS 3.0.3 §4.7.16 / 3.1 §4.8.16 (Responses Object): keys are HTTP status codes (YAML
    may parse them as integers, hence ``key`` as written), the ranges ``1XX``..``5XX``
    (upper case) and ``default``. Order: the codes in ``prefer`` that are present, then the
    other ``2xx`` codes in numeric order, then ``2XX`` (any letter case), then ``default``.
    Returns ``[]`` when there is none of these (or ``responses`` is not a mapping).
    """
    if not isinstance(responses, dict):
        return []
    codes = {str(k): k for k in responses}
    order = [c for c in prefer if c in codes]
    order += sorted(c for c in codes if _TWO_XX.fullmatch(c) and c not in order)
    order += [c for c in codes if c.upper() == "2XX" and c not in order]
    order += [c for c in codes if c == "default" and c not in order]
    return [(c, codes[c]) for c in order]
