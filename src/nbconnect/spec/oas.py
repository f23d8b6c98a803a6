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
- **Servers**: :func:`first_server`, :func:`fill_server_url`, :func:`has_scheme`.
- **Media types**: :func:`media_base`, :func:`is_json`, :func:`may_be_json`,
  :func:`is_wildcard`, :func:`pick_media`, :data:`REQUEST_MEDIA_PREFERENCE`.
- **Responses**: :func:`success_codes`.
- **Security schemes**: :class:`SecurityScheme`, :class:`OAuthFlow`,
  :func:`parse_security_scheme`, :func:`security_schemes`.

Pure functions on plain ``dict``/``list`` documents; imports nothing heavy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import unquote

from ..errors import SpecParseError, SpecVersionError

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
    "success_codes",
    "unescape_token",
]

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


def operations(item: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(method, Operation Object)`` for each operation of a (merged) Path Item.

    Methods are the :data:`PATH_ITEM_METHODS` keys (lower case, as the specification
    spells them; OAS 3.0.3 §4.7.9), yielded in the **document's key order**; values that
    are not mappings are skipped. Apply :func:`path_item` first when the item may hold a
    ``$ref``.
    """
    if not isinstance(item, dict):
        return
    for key, op in item.items():
        if key in _METHOD_SET and isinstance(op, dict):
            yield key, op


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


# --------------------------------------------------------------------------- JSON pointers

#: Returned by :func:`get_at` / :meth:`Resolver.at` when a pointer leads nowhere.
MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING",
                                    "__bool__": lambda self: False})()

#: A ``$ref`` chain longer than this is treated as a loop (problem ``"cycle"``).
MAX_REF_HOPS = 64


def escape_token(token: str) -> str:
    """One reference token escaped for a JSON pointer: ``~`` -> ``~0``, ``/`` -> ``~1``
    (RFC 6901 §3; OAS 3.0.3 §4.6.1 / 3.1 §4.7.1 "Relative References in URIs": paths
    inside ``#/paths/...`` are escaped this way, e.g. ``#/paths/~1pets~1{id}``)."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape_token(token: str) -> str:
    """The inverse of :func:`escape_token`: ``~1`` -> ``/`` then ``~0`` -> ``~`` (RFC 6901 §4)."""
    return token.replace("~1", "/").replace("~0", "~")


def parse_pointer(pointer: str) -> list[str] | None:
    """The unescaped reference tokens of a JSON pointer string, or None if it is not one.

    RFC 6901 §3-§4: ``""`` is the whole document (``[]``); otherwise the pointer starts
    with ``/`` and each ``/``-separated token is unescaped. No percent-decoding happens here
    (that belongs to URI fragments: use :func:`ref_tokens` for a ``$ref``).
    """
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        return None
    return [unescape_token(t) for t in pointer[1:].split("/")]


def join_pointer(tokens: Sequence[str]) -> str:
    """The JSON pointer string of ``tokens`` (each escaped, RFC 6901 §3); ``[]`` -> ``""``."""
    return "".join("/" + escape_token(str(t)) for t in tokens)


def ref_tokens(ref: str) -> list[str] | None:
    """The JSON-pointer tokens of a **local** reference such as ``"#/components/schemas/Pet"``.

    OAS 3.0.3 §4.7.26 / 3.1 §4.8.23 (Reference Object) and RFC 3986: a ``$ref`` is a URI;
    a local one is a fragment only (starts with ``#``). RFC 6901 §6: the fragment is
    percent-decoded, then read as a JSON pointer. Returns ``[]`` for ``"#"`` (the whole
    document) and None when ``ref`` is not local or its fragment is not a JSON pointer
    (for example a plain-name anchor ``"#Pet"``).
    """
    if not ref.startswith("#"):
        return None
    return parse_pointer(unquote(ref[1:]))


def get_at(doc: Any, tokens: Sequence[str]) -> Any:
    """The value at ``tokens`` inside ``doc`` (RFC 6901 §4 evaluation), or :data:`MISSING`.

    A token indexes a mapping by key or a list by a decimal index; anything that does not
    exist yields :data:`MISSING` (never an exception).
    """
    node = doc
    for tok in tokens:
        if isinstance(node, dict):
            if tok not in node:
                return MISSING
            node = node[tok]
        elif isinstance(node, list):
            if not tok.isdigit() or int(tok) >= len(node):
                return MISSING
            node = node[int(tok)]
        else:
            return MISSING
    return node


class Resolved(NamedTuple):
    """What :meth:`Resolver.deref` found.

    ``value`` is the object at the end of the ``$ref`` chain, or ``{}`` (an empty schema)
    when the chain is broken; ``chain`` holds the token lists of each reference target
    followed, in order (empty when the object had no ``$ref``); ``problem`` is None or why
    the chain broke (see :meth:`Resolver.chain`); ``start`` is the pointer given to
    :meth:`Resolver.deref`.
    """

    value: Any
    chain: tuple[tuple[str, ...], ...]
    problem: str | None
    start: str

    @property
    def pointer(self) -> str:
        """JSON pointer of ``value``: the last reference target, or ``start``."""
        return join_pointer(self.chain[-1]) if self.chain else self.start

    @property
    def pointers(self) -> list[str]:
        """JSON pointers of every reference target followed, in order."""
        return [join_pointer(t) for t in self.chain]

    @property
    def component(self) -> str | None:
        """Name of the last ``#/components/<kind>/<name>`` followed, or None."""
        for tokens in reversed(self.chain):
            if len(tokens) >= 3 and tokens[0] == "components":
                return tokens[2]
        return None


_EMPTY_CHAIN: tuple[tuple[str, ...], ...] = ()


class Resolver:
    """Local ``$ref`` resolution over one document, cycle safe and memoised.

    OAS 3.0.3 §4.7.26 / 3.1 §4.8.23 (Reference Object): an object ``{"$ref": URI}`` stands
    for the object the URI points to; OAS 3.1 allows sibling keywords in Schema Objects,
    which :meth:`deref` ignores (like 3.0, where siblings SHALL be ignored). nbconnect
    resolves **local** references only (``#/...``, RFC 6901 pointers): a remote or file
    reference is never fetched. Use one Resolver per document; call :meth:`forget` after
    changing the document.
    """

    __slots__ = ("_memo", "doc")

    def __init__(self, doc: Any) -> None:
        self.doc = doc
        self._memo: dict[str, tuple[tuple[tuple[str, ...], ...], str | None, Any]] = {}

    def forget(self) -> None:
        """Drop memoised chains (after the document was changed)."""
        self._memo.clear()

    def at(self, pointer: str) -> Any:
        """The value at JSON pointer ``pointer`` (``""`` is the document), or :data:`MISSING`."""
        tokens = parse_pointer(pointer)
        return MISSING if tokens is None else get_at(self.doc, tokens)

    def _walk(self, ref: str) -> tuple[tuple[tuple[str, ...], ...], str | None, Any]:
        hit = self._memo.get(ref)
        if hit is not None:
            return hit
        chain: list[tuple[str, ...]] = []
        seen: set[str] = set()
        current = ref
        problem: str | None = None
        target: Any = MISSING
        while True:
            if not current.startswith("#"):
                problem = "remote"
                break
            if current in seen or len(chain) >= MAX_REF_HOPS:
                problem = "cycle"
                break
            seen.add(current)
            tokens = ref_tokens(current)
            if tokens is None:
                problem = "pointer"
                break
            if not tokens:
                problem = "root"
                break
            found = get_at(self.doc, tokens)
            if found is MISSING:
                problem = "missing"
                break
            chain.append(tuple(tokens))
            target = found
            nxt = found.get("$ref") if isinstance(found, dict) else None
            if not isinstance(nxt, str):
                break
            current = nxt
        result = (tuple(chain), problem, target)
        self._memo[ref] = result
        return result

    def chain(self, ref: str) -> tuple[list[list[str]], str | None]:
        """Follow the ``$ref`` chain that starts at ``ref``: ``(target token lists, problem)``.

        ``problem`` is None when the chain ends at a real object, else ``"remote"`` (a
        reference that is not local: the chain stops before it, its holder is the last
        entry), ``"pointer"`` (a fragment that is not a JSON pointer), ``"root"`` (a
        reference to the whole document, ``"#"``), ``"missing"`` (nothing at the pointer)
        or ``"cycle"`` (the chain comes back to a reference it passed, or is longer than
        :data:`MAX_REF_HOPS`).
        """
        chain, problem, _ = self._walk(ref)
        return [list(t) for t in chain], problem

    def deref(self, obj: Any, pointer: str = "") -> Resolved:
        """Follow ``obj``'s ``$ref`` chain to the object it stands for.

        ``obj`` without a string ``$ref`` comes back as is (``chain`` empty). Otherwise the
        chain is followed (see :meth:`chain`); when it breaks, ``value`` is ``{}`` (an empty
        schema, which accepts anything) and ``problem`` says why. ``pointer`` is ``obj``'s
        own JSON pointer, returned as :attr:`Resolved.pointer` when nothing is followed.
        """
        if not isinstance(obj, dict):
            return Resolved(obj, _EMPTY_CHAIN, None, pointer)
        ref = obj.get("$ref")
        if not isinstance(ref, str):
            return Resolved(obj, _EMPTY_CHAIN, None, pointer)
        chain, problem, target = self._walk(ref)
        if problem is not None:
            return Resolved({}, chain, problem, pointer)
        return Resolved(target, chain, None, pointer)


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


_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def has_scheme(url: str) -> bool:
    """True when ``url`` starts with a URI scheme (RFC 3986 §3.1), i.e. is absolute.

    A server URL without one is relative to where the document was served (OAS 3.0.3
    §4.7.5 / 3.1 §4.8.5: "This URL ... MAY be relative"); resolve it with
    :func:`urllib.parse.urljoin` against the document's URL.
    """
    return bool(_SCHEME_RE.match(url))


# --------------------------------------------------------------------------- media types


def media_base(media_type: Any) -> str:
    """A media type or range without parameters, lower-cased: ``"Application/JSON; q=1"`` ->
    ``"application/json"`` (RFC 7231 §3.1.1.1: type and subtype are case-insensitive; OAS
    3.0.3 §4.7.10 / 3.1 §4.8.10 ``content`` keys are media types or media ranges)."""
    return str(media_type).split(";")[0].strip().lower()


def is_json(media_type: Any) -> bool:
    """True for a JSON media type: ``application/json``, any ``*/json`` and any structured
    ``+json`` suffix (RFC 8259 §11, RFC 6839 §3.1), e.g. ``application/problem+json``."""
    base = media_base(media_type)
    return base.endswith("/json") or base.endswith("+json")


def is_wildcard(media_type: Any) -> bool:
    """True for a media range: ``*/*`` or ``type/*`` (RFC 7231 §5.3.2; OAS 3.0.3 §4.7.10 /
    3.1 §4.8.10: ``content`` keys may be ranges, the most specific key applies)."""
    base = media_base(media_type)
    return base == "*/*" or base.endswith("/*")


def may_be_json(media_type: Any) -> bool:
    """True when a body of this type may be JSON: :func:`is_json`, or one of the ranges
    ``*/*`` and ``application/*`` that include ``application/json`` (RFC 7231 §5.3.2)."""
    base = media_base(media_type)
    return base.endswith("/json") or base.endswith("+json") or base in ("*/*", "application/*")


#: Request-body preference of the importer: JSON, any JSON type, form, multipart.
REQUEST_MEDIA_PREFERENCE: tuple[str | Callable[[str], bool], ...] = (
    "application/json", is_json, "application/x-www-form-urlencoded", "multipart/form-data")


def pick_media(content: Any,
               prefer: Sequence[str | Callable[[str], bool]] = ("application/json", is_json),
               ) -> tuple[str | None, Any]:
    """Choose one entry of a ``content`` map: ``(key as written, Media Type Object)``.

    ``content`` is the map of media type (or range) -> Media Type Object of a Request Body,
    Response or Parameter (OAS 3.0.3 §4.7.10, §4.7.17, §4.7.12; 3.1 §4.8.10, §4.8.17,
    §4.8.12). ``prefer`` is tried in order; each entry is a media type compared with
    :func:`media_base` of the keys, or a predicate called with that base (e.g.
    :func:`is_json`, :func:`may_be_json`); for each, the first key in document order that
    matches wins. When nothing matches, the first key wins. Returns ``(None, None)`` for an
    empty or non-mapping ``content``. The default is "JSON first": ``application/json``,
    then any JSON type; the importer's request order is :data:`REQUEST_MEDIA_PREFERENCE`.
    A wildcard key such as ``*/*`` comes back as written: a client sending a body should
    send ``application/json`` for it (see :func:`is_wildcard`).
    """
    if not isinstance(content, dict) or not content:
        return None, None
    keyed = [(media_base(k), k) for k in content]
    for want in prefer:
        for base, key in keyed:
            if (base == want) if isinstance(want, str) else want(base):
                return str(key), content[key]
    key = keyed[0][1]
    return str(key), content[key]


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


# --------------------------------------------------------------------------- security

#: OAuth Flows Object fields, in the order nbconnect prefers them (OAS 3.0.3 §4.7.28 / 3.1
#: §4.8.26).
OAUTH_FLOW_NAMES: tuple[str, ...] = ("authorizationCode", "clientCredentials", "password",
                                     "implicit")


@dataclass(frozen=True)
class OAuthFlow:
    """One OAuth Flow Object (OAS 3.0.3 §4.7.29 / 3.1 §4.8.27).

    ``name`` is the flow's field in the OAuth Flows Object (``implicit``, ``password``,
    ``clientCredentials``, ``authorizationCode``); URLs are the strings as written, or None
    when absent, empty or not a string; ``scopes`` maps scope name -> description.
    """

    name: str
    authorization_url: str | None = None
    token_url: str | None = None
    refresh_url: str | None = None
    scopes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SecurityScheme:
    """One Security Scheme Object (OAS 3.0.3 §4.7.27 / 3.1 §4.8.25), parsed.

    ``name`` is its key in ``components.securitySchemes``; ``type`` is the ``type`` field
    as written (``apiKey``, ``http``, ``oauth2``, ``openIdConnect``, 3.1 ``mutualTLS``; ""
    if missing). For ``apiKey``: ``location`` (``in``: query, header or cookie) and
    ``param_name`` (``name``), None when missing or not strings. For ``http``: ``scheme``
    (the RFC 7235 scheme name, stripped and lower-cased: ``basic``, ``bearer``, ...; "" if
    missing) and ``bearer_format``. For ``oauth2``: ``flows`` (in the document's order).
    For ``openIdConnect``: ``open_id_connect_url``.
    """

    name: str
    type: str
    location: str | None = None
    param_name: str | None = None
    scheme: str = ""
    bearer_format: str | None = None
    flows: tuple[OAuthFlow, ...] = ()
    open_id_connect_url: str | None = None
    description: str = ""

    def flow(self, name: str) -> OAuthFlow | None:
        """The flow called ``name`` (e.g. ``"clientCredentials"``), or None."""
        return next((f for f in self.flows if f.name == name), None)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_security_scheme(name: str, scheme: Mapping[str, Any]) -> SecurityScheme:
    """Parse one (already dereferenced) Security Scheme Object; see :class:`SecurityScheme`.

    Never raises: fields of the wrong type come back as None / "" / ``()``.
    """
    kind = scheme.get("type")
    flows: list[OAuthFlow] = []
    raw_flows = scheme.get("flows")
    if isinstance(raw_flows, dict):
        for flow_name, flow in raw_flows.items():
            if not isinstance(flow, dict):
                continue
            scopes = flow.get("scopes")
            flows.append(OAuthFlow(
                name=str(flow_name), authorization_url=_text(flow.get("authorizationUrl")),
                token_url=_text(flow.get("tokenUrl")), refresh_url=_text(flow.get("refreshUrl")),
                scopes=tuple((str(k), str(v)) for k, v in scopes.items())
                if isinstance(scopes, dict) else ()))
    http = scheme.get("scheme")
    return SecurityScheme(
        name=str(name), type=kind if isinstance(kind, str) else "",
        location=scheme.get("in") if isinstance(scheme.get("in"), str) else None,
        param_name=scheme.get("name") if isinstance(scheme.get("name"), str) else None,
        scheme=http.strip().lower() if isinstance(http, str) else "",
        bearer_format=_text(scheme.get("bearerFormat")), flows=tuple(flows),
        open_id_connect_url=_text(scheme.get("openIdConnectUrl")),
        description=scheme.get("description") if isinstance(scheme.get("description"),
                                                            str) else "")


def security_schemes(resolver: Resolver) -> dict[str, SecurityScheme]:
    """Every usable entry of ``components.securitySchemes``, parsed, in document order.

    OAS 3.0.3 §4.7.7 / 3.1 §4.8.7 (Components Object): entries are Security Scheme Objects
    or Reference Objects; references are followed with ``resolver`` (local only), and an
    entry that is not a mapping after that is left out.
    """
    doc = resolver.doc
    components = doc.get("components") if isinstance(doc, dict) else None
    raw = components.get("securitySchemes") if isinstance(components, dict) else None
    out: dict[str, SecurityScheme] = {}
    if not isinstance(raw, dict):
        return out
    for name, entry in raw.items():
        scheme = resolver.deref(entry, join_pointer(["components", "securitySchemes",
                                                     str(name)])).value
        if isinstance(scheme, dict):
            out[str(name)] = parse_security_scheme(str(name), scheme)
    return out
