"""OpenAPI 3.0/3.1 import: a spec (file, URL, text) -> endpoints, schemas and suggestions.

The pipeline, designed so a one-tag import of a 13 MB spec costs little more than a
parse:

1. :func:`nbconnect.spec.reading.load_document` reads and parses the source safely.
2. The version is checked (Swagger 2.0 and other versions are refused).
3. Operations are listed (paths x methods only, nothing deeper) and **selected** by
   tag / include / exclude *before* the limit of 150 is applied.
4. Path templates and operationIds of the selection are checked.
5. A **reduced document** is built: the selected operations plus only the components
   they reach through local ``$ref``s. Every non-local ``$ref`` (remote URL or file) is
   refused here — the validator would fetch or read it — and so are unresolvable and
   self-only references. Nothing outside the reduced document is walked.
6. The reduced document is validated with openapi-spec-validator (imported lazily;
   results cached by a content hash). Strict mode refuses on errors; lenient mode turns
   them into warnings.
7. Endpoints are extracted with ``$ref``s resolved lazily (memoised); ``allOf`` merged,
   ``oneOf``/``anyOf`` unioned, recursive schemas cut where a schema repeats.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urljoin

from .. import limits
from ..errors import (
    BaseUrlError,
    EndpointError,
    LimitError,
    NbConnectError,
    SpecContentError,
    SpecError,
    SpecParseError,
    SpecRefError,
    SpecSelectionError,
    SpecValidationError,
    SpecVersionError,
    json_path,
)
from ..model import (
    ApiKeyAuth,
    AuthConfig,
    BasicAuth,
    BearerAuth,
    Endpoint,
    OAuth2ClientCredentials,
    OAuth2Code,
    OAuth2Password,
    Param,
    check_param_name,
    default_endpoint_id,
    parse_path,
    slugify,
)

__all__ = [
    "ImportResult",
    "clear_validation_cache",
    "import_document",
    "import_spec",
    "validate_document",
]

_ALL_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_SUPPORTED_METHODS = ("get", "put", "post", "delete", "patch")
_ID_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*\Z")
_PARAM_TYPES = ("string", "integer", "number", "boolean", "object", "array", "null")
_IGNORED_HEADERS = ("accept", "content-type", "authorization")


@dataclass
class ImportResult:
    """What an import found: endpoints plus suggestions and warnings.

    ``endpoints`` are the selected operations; ``schemas`` the ``components.schemas``
    their request/response schemas reach (referred to as ``#/components/schemas/NAME``);
    ``base_url`` and ``auth`` are suggestions from ``servers[0]`` and
    ``securitySchemes``; ``operations_total`` counts the spec's operations before
    selection and ``operations_selected`` after it; ``tags`` are the spec's tag names;
    ``origin`` names the source and ``format`` is ``"json"`` or ``"yaml"``.
    """

    endpoints: tuple[Endpoint, ...]
    schemas: dict[str, Any] = field(default_factory=dict)
    base_url: str | None = None
    auth: AuthConfig | None = None
    title: str = ""
    version: str = ""
    description: str = ""
    openapi_version: str = ""
    warnings: list[str] = field(default_factory=list)
    operations_total: int = 0
    operations_selected: int = 0
    tags: tuple[str, ...] = ()
    origin: str = ""
    format: str = ""

    def __repr__(self) -> str:
        return (f"ImportResult(title={self.title!r}, endpoints={len(self.endpoints)}, "
                f"operations_total={self.operations_total}, base_url={self.base_url!r}, "
                f"auth={self.auth!r}, warnings={len(self.warnings)})")


# --------------------------------------------------------------------------- entry points


def import_spec(source: Any, *, tags: Any = (), include: str | None = None,
                exclude: str | None = None, lenient: bool = False,
                max_bytes: int | None = None, timeout: float | None = None,
                verify: Any = True) -> ImportResult:
    """Import an OpenAPI 3.0/3.1 spec from a path, an https URL, spec text or bytes.

    ``tags`` (a name or names), ``include`` and ``exclude`` (regular expressions
    searched in each operation's path and operationId) select operations before the
    limit of :data:`~nbconnect.limits.MAX_IMPORTED_ENDPOINTS` applies. Strict by default:
    validator errors raise :class:`~nbconnect.errors.SpecValidationError`; with
    ``lenient=True`` every operation that can be understood is imported and the rest
    is reported in ``warnings``. ``max_bytes``, ``timeout`` and ``verify`` (a bool, a CA
    bundle path or an ``ssl.SSLContext``) apply to reading the source.
    """
    from .reading import decode_text, parse_text, read_source

    src = read_source(source, max_bytes=max_bytes, timeout=timeout, verify=verify)
    data = src.data.encode("utf-8", "surrogatepass") if isinstance(src.data, str) else src.data
    key = hashlib.sha256(repr((_tag_list(tags), include, exclude, lenient, src.origin,
                               src.url)).encode() + b"\0" + data).hexdigest()
    hit = _RESULT_CACHE.get(key)
    if hit is not None:
        _RESULT_CACHE.move_to_end(key)
        return _copy_result(hit)
    doc, fmt = parse_text(decode_text(src.data, src.origin), src.origin)
    result = import_document(doc, tags=tags, include=include, exclude=exclude,
                             lenient=lenient, origin=src.origin, source_url=src.url)
    result.format = fmt
    _RESULT_CACHE[key] = _copy_result(result)
    while len(_RESULT_CACHE) > _CACHE_SIZE:
        _RESULT_CACHE.popitem(last=False)
    return result


def _tag_list(tags: Any) -> tuple[str, ...]:
    return (tags,) if isinstance(tags, str) else tuple(tags or ())


def _copy_result(result: ImportResult) -> ImportResult:
    """A copy that shares only immutable parts (endpoints are frozen values)."""
    import copy

    return dataclasses.replace(result, schemas=copy.deepcopy(result.schemas),
                               warnings=list(result.warnings))


def import_document(document: Mapping[str, Any], *, tags: Any = (),
                    include: str | None = None, exclude: str | None = None,
                    lenient: bool = False, origin: str = "text",
                    source_url: str | None = None) -> ImportResult:
    """Import an already parsed OpenAPI document (see :func:`import_spec`)."""
    return _Importer(document, lenient=lenient, origin=origin,
                     source_url=source_url).run(tags, include, exclude)


def check_document(document: Mapping[str, Any], origin: str = "text") -> str:
    """Check that ``document`` is OpenAPI 3.0/3.1 whose ``$ref``s are all local and resolve.

    The checks an import makes before anything reads the document's references (the mock
    API uses them too); returns the OpenAPI version. Raises SpecVersionError/SpecRefError.
    """
    importer = _Importer(document, lenient=False, origin=origin, source_url=None)
    version = importer.check_version()
    importer.build_reduced(importer.list_operations())
    return version


# --------------------------------------------------------------------------- helpers


def _short(text: Any, limit: int = 300) -> str:
    """First paragraph of ``text``, whitespace collapsed, cut near ``limit`` chars."""
    if not isinstance(text, str):
        return ""
    return _short_text(text, limit)


@functools.lru_cache(maxsize=4096)
def _short_text(text: str, limit: int) -> str:
    para = re.split(r"\n\s*\n", text.strip(), maxsplit=1)[0]
    para = " ".join(para.split())
    if len(para) <= limit:
        return para
    cut = para[:limit]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if end >= limit // 2:
        return cut[:end + 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"


def _pointer_tokens(ref: str) -> list[str] | None:
    """JSON-pointer tokens of a local ``#/...`` reference (None if not a pointer)."""
    frag = unquote(ref[1:])
    if frag == "":
        return []
    if not frag.startswith("/"):
        return None
    return [t.replace("~1", "/").replace("~0", "~") for t in frag[1:].split("/")]


_MISSING = object()


def _get(doc: Any, tokens: Iterable[str]) -> Any:
    node = doc
    for tok in tokens:
        if isinstance(node, dict):
            if tok not in node:
                return _MISSING
            node = node[tok]
        elif isinstance(node, list):
            if not tok.isdigit() or int(tok) >= len(node):
                return _MISSING
            node = node[int(tok)]
        else:
            return _MISSING
    return node




def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


@dataclass
class _Op:
    path: str
    method: str
    op: dict[str, Any]
    item: dict[str, Any]
    tags: tuple[str, ...]

    @property
    def operation_id(self) -> str | None:
        oid = self.op.get("operationId")
        return oid if isinstance(oid, str) and oid.strip() else None

    @property
    def label(self) -> str:
        where = f"{self.method.upper()} {self.path}"
        return f"operation {self.operation_id} ({where})" if self.operation_id else where


# --------------------------------------------------------------------------- validation

_VALIDATION_CACHE: OrderedDict[str, list[str]] = OrderedDict()
_CACHE_SIZE = 32


#: Whole import results, keyed by a hash of the source bytes and the options, so that
#: re-importing the same spec costs a read and a hash.
_RESULT_CACHE: OrderedDict[str, ImportResult] = OrderedDict()


def clear_validation_cache() -> None:
    """Forget cached validation and import results."""
    _VALIDATION_CACHE.clear()
    _RESULT_CACHE.clear()


def _validator_class(openapi_version: str) -> Any:
    from collections import deque

    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
    from openapi_spec_validator.validation import keywords

    base = OpenAPIV31SpecValidator if openapi_version.startswith("3.1") else \
        OpenAPIV30SpecValidator
    value_base = base.keyword_validators["default"]

    class _LocatedValueValidator(value_base):  # type: ignore[misc, valid-type]
        """Give ``default`` value errors the JSON path of the schema they belong to."""

        def __call__(self, schema: Any, value: Any) -> Any:
            for err in super().__call__(schema, value):
                where = [*schema.parts, "default", *err.absolute_path]
                err.path = err.relative_path = deque(where)
                yield err

    assert issubclass(value_base, keywords.ValueValidator)

    class _Validator(base):  # type: ignore[misc, valid-type]
        keyword_validators = {**base.keyword_validators, "default": _LocatedValueValidator}

    return _Validator


def _run_validator(document: dict[str, Any], openapi_version: str) -> list[str]:
    """Run openapi-spec-validator on ``document``; every error as ``"$.json.path: msg"``."""
    cls = _validator_class(openapi_version)
    errors: list[str] = []
    try:
        for err in cls(document).iter_errors():
            parts = list(getattr(err, "absolute_path", None) or getattr(err, "path", ()) or ())
            errors.append(f"{json_path(parts)}: {_short(err.message, 240)}")
    except RecursionError:
        errors.append("$: the validator ran out of stack on a deeply recursive structure")
    except Exception as exc:  # the validator itself failed on a malformed document
        errors.append(f"$: the validator stopped with {type(exc).__name__}: {_short(exc, 120)}")
    return errors


def validate_document(document: dict[str, Any], openapi_version: str) -> list[str]:
    """Validator errors of ``document`` (cached by a hash of its content)."""
    try:
        blob = json.dumps(document, sort_keys=True, ensure_ascii=False, default=repr,
                          separators=(",", ":"))
    except (RecursionError, ValueError):
        return _run_validator(document, openapi_version)
    key = hashlib.sha256(f"{openapi_version}\n{blob}".encode()).hexdigest()
    hit = _VALIDATION_CACHE.get(key)
    if hit is not None:
        _VALIDATION_CACHE.move_to_end(key)
        return list(hit)
    errors = _run_validator(document, openapi_version)
    _VALIDATION_CACHE[key] = errors
    while len(_VALIDATION_CACHE) > _CACHE_SIZE:
        _VALIDATION_CACHE.popitem(last=False)
    return list(errors)


# --------------------------------------------------------------------------- importer


class _Importer:
    def __init__(self, doc: Any, *, lenient: bool, origin: str,
                 source_url: str | None) -> None:
        self.doc = doc
        self.lenient = bool(lenient)
        self.origin = origin
        self.source_url = source_url
        self.warnings: list[str] = []
        self._chain_memo: dict[str, tuple[list[list[str]], str | None]] = {}
        self.view_memo: dict[int, tuple[Any, Any]] = {}
        self.good_names: set[tuple[str, str]] = set()

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    def problem(self, exc: SpecError, warning: str) -> None:
        """Raise ``exc`` in strict mode; record ``warning`` in lenient mode."""
        if not self.lenient:
            raise exc
        self.warn(warning)

    # -- 1. version ----------------------------------------------------------------------

    def check_version(self) -> str:
        doc, origin = self.doc, self.origin
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
        if not re.fullmatch(r"3\.[01](\.\d+)?(-[0-9A-Za-z.\-]+)?", version.strip()):
            raise SpecVersionError(f"The spec {origin} is OpenAPI {version}, but nbconnect "
                                   "imports OpenAPI 3.0.x and 3.1.x only; use a 3.0 or 3.1 "
                                   "version of the spec.")
        return version.strip()

    # -- 2. operations and selection ---------------------------------------------------

    def list_operations(self) -> list[_Op]:
        paths = self.doc.get("paths")
        ops: list[_Op] = []
        unsupported = 0
        if not isinstance(paths, dict):
            if paths is not None:
                self.problem(SpecContentError(f"The spec {self.origin} has a 'paths' that is "
                                              "not a mapping; fix the spec."),
                             "The spec's 'paths' is not a mapping; no operations imported.")
            return ops
        for path, item in paths.items():
            if not isinstance(item, dict):
                continue
            view = item
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#"):
                tokens = _pointer_tokens(ref)
                target = _get(self.doc, tokens) if tokens is not None else _MISSING
                if isinstance(target, dict):
                    view = {**target, **{k: v for k, v in item.items() if k != "$ref"}}
            for method in [k for k in view if k in _ALL_METHODS]:
                op = view.get(method)
                if not isinstance(op, dict):
                    continue
                if method not in _SUPPORTED_METHODS:
                    unsupported += 1
                    continue
                raw_tags = op.get("tags")
                op_tags = tuple(t for t in raw_tags if isinstance(t, str)) \
                    if isinstance(raw_tags, list) else ()
                ops.append(_Op(str(path), method, op, view, op_tags))
        if unsupported:
            self.warn(f"Skipped {_plural(unsupported, 'HEAD/OPTIONS/TRACE operation')}: "
                      "connectors support GET, POST, PUT, PATCH and DELETE.")
        return ops

    def spec_tags(self, ops: list[_Op]) -> list[str]:
        names: list[str] = []
        declared = self.doc.get("tags")
        if isinstance(declared, list):
            names += [t["name"] for t in declared
                      if isinstance(t, dict) and isinstance(t.get("name"), str)]
        for op in ops:
            names += op.tags
        return list(dict.fromkeys(names))

    def select(self, ops: list[_Op], tags: Any, include: str | None,
               exclude: str | None) -> list[_Op]:
        if isinstance(tags, str):
            tags = [tags]
        wanted = [str(t) for t in (tags or ())]
        chosen = ops
        if wanted:
            by_lower: dict[str, str] = {}
            for op in ops:
                for t in op.tags:
                    by_lower.setdefault(t.lower(), t)
            unknown = [t for t in wanted if t.lower() not in by_lower]
            if unknown:
                known = sorted(by_lower.values(), key=str.lower)
                shown = ", ".join(known[:12]) + (", …" if len(known) > 12 else "")
                raise SpecSelectionError(
                    f"No operation has the tag {', '.join(map(repr, unknown))}; "
                    f"the spec's tags are: {shown or 'none'}.")
            lowered = {t.lower() for t in wanted}
            chosen = [op for op in chosen if any(t.lower() in lowered for t in op.tags)]
        for option, pattern, keep in (("include", include, True), ("exclude", exclude, False)):
            if pattern is None or pattern == "":
                continue
            try:
                rx = re.compile(pattern)
            except re.error as exc:
                raise SpecSelectionError(
                    f"The --{option} pattern {pattern!r} is not a valid regular "
                    f"expression ({exc}); fix it.") from None
            chosen = [op for op in chosen
                      if bool(rx.search(op.path) or (op.operation_id and
                                                     rx.search(op.operation_id))) == keep]
        if not chosen and ops and (wanted or include or exclude):
            raise SpecSelectionError(f"The selection (tags={wanted or None}, include={include!r}, "
                            f"exclude={exclude!r}) matches none of the spec's "
                            f"{_plural(len(ops), 'operation')}; loosen it.")
        return chosen

    def check_limit(self, ops: list[_Op], selected: list[_Op], selection: bool) -> None:
        limit = limits.MAX_IMPORTED_ENDPOINTS
        if len(selected) <= limit:
            return
        tag_counts: dict[str, int] = {}
        for op in selected:
            for t in op.tags:
                tag_counts[t] = tag_counts.get(t, 0) + 1
        tag_names = list(tag_counts)
        shown = ", ".join(tag_names[:8]) + (", …" if len(tag_names) > 8 else "")
        tag_hint = f"--tag ({_plural(len(tag_names), 'tag')}: {shown})" if tag_names \
            else "--tag"
        what = (f"The selection matches {_plural(len(selected), 'operation')}"
                if selection else f"The spec has {_plural(len(selected), 'operation')}")
        raise LimitError(f"{what}; the limit is {limit}; pick some with {tag_hint} or "
                         "--include/--exclude (tags=, include=, exclude= in Python).",
                         details=[f"{t}: {_plural(n, 'operation')}"
                                  for t, n in sorted(tag_counts.items())])

    # -- 3. content checks -------------------------------------------------------------

    def check_paths(self, ops: list[_Op]) -> list[_Op]:
        good: list[_Op] = []
        shapes: dict[str, tuple[str, tuple[str, ...]]] = {}
        bad_paths: set[str] = set()
        for op in ops:
            if op.path in bad_paths:
                continue
            try:
                tpl = parse_path(op.path)
            except EndpointError as exc:
                bad_paths.add(op.path)
                self.problem(SpecContentError(exc.message),
                             f"Skipped the operations of path {op.path!r}: {exc.message}")
                continue
            shape = re.sub(r"\{[^{}]*\}", "{}", tpl.request_path)
            seen = shapes.get(shape)
            if seen is None:
                shapes[shape] = (op.path, tpl.path_params)
            elif seen[0] != op.path and seen[1] != tpl.path_params:
                self.problem(
                    SpecContentError(
                        f"The paths {seen[0]!r} and {op.path!r} are the same route with "
                        "different parameter names; use one name per position in the spec "
                        "(or import with --lenient to keep both)."),
                    f"The paths {seen[0]!r} and {op.path!r} are the same route with different "
                    "parameter names.")
            good.append(op)
        return good

    def assign_ids(self, ops: list[_Op]) -> list[str]:
        """Endpoint ids for ``ops``: operationId (slugified if needed) or method+path."""
        first_use: dict[str, _Op] = {}
        for op in ops:
            oid = op.operation_id
            if oid is None:
                continue
            if oid in first_use:
                other = first_use[oid]
                self.problem(
                    SpecContentError(
                        f"The operationId {oid!r} is used by both {other.method.upper()} "
                        f"{other.path} and {op.method.upper()} {op.path}; give each operation "
                        "its own operationId (or import with --lenient to rename the second)."),
                    f"The operationId {oid!r} is used more than once; renamed the second "
                    f"({op.method.upper()} {op.path}).")
            else:
                first_use[oid] = op
        ids: list[str] = []
        taken: set[str] = set()
        slugged: list[tuple[str, str]] = []
        for op in ops:
            oid = op.operation_id
            if oid is not None and _ID_RE.match(oid):
                base = oid
            elif oid is not None:
                base = slugify(oid)
                slugged.append((oid, base))
            else:
                try:
                    base = default_endpoint_id(op.method, op.path)
                except EndpointError:
                    base = slugify(f"{op.method} {op.path}")
            new, n = base, 2
            while new in taken:
                new, n = f"{base}_{n}", n + 1
            duplicate = oid is not None and oid == base and first_use.get(oid) is not op
            if new != base and not duplicate:
                self.warn(f"Two operations would both get the endpoint id {base!r}; the one "
                          f"at {op.method.upper()} {op.path} is {new!r}.")
            taken.add(new)
            ids.append(new)
        if len(slugged) == 1:
            self.warn(f"The operationId {slugged[0][0]!r} is not a valid endpoint id; using "
                      f"{slugged[0][1]!r}.")
        elif slugged:
            self.warn(f"{len(slugged)} operationIds are not valid endpoint ids and were "
                      f"slugified (e.g. {slugged[0][0]!r} -> {slugged[0][1]!r}).")
        return ids

    # -- 4. reduced document and $refs -----------------------------------------------------

    def ref_chain(self, ref: str) -> tuple[list[list[str]], str | None]:
        """Follow a local ``$ref`` chain: (pointer token lists, problem or None).

        problem is ``"missing"``, ``"cycle"``, ``"root"`` or ``"pointer"``; a chain
        that reaches a non-local ``$ref`` stops there (that ref is refused when walked).
        """
        hit = self._chain_memo.get(ref)
        if hit is not None:
            return hit
        chain: list[list[str]] = []
        seen: set[str] = set()
        current = ref
        problem: str | None = None
        while True:
            if current in seen:
                problem = "cycle"
                break
            seen.add(current)
            tokens = _pointer_tokens(current)
            if tokens is None:
                problem = "pointer"
                break
            if not tokens:
                problem = "root"
                break
            target = _get(self.doc, tokens)
            if target is _MISSING:
                problem = "missing"
                break
            chain.append(tokens)
            nxt = target.get("$ref") if isinstance(target, dict) else None
            if not isinstance(nxt, str) or not nxt.startswith("#"):
                break
            current = nxt
        result = (chain, problem)
        self._chain_memo[ref] = result
        return result

    def build_reduced(self, ops: list[_Op]) -> dict[str, Any]:
        doc = self.doc
        reduced: dict[str, Any] = {}
        for key in ("openapi", "info", "jsonSchemaDialect", "servers", "security", "tags",
                    "externalDocs"):
            if key in doc:
                reduced[key] = doc[key]
        reduced_paths: dict[str, Any] = {}
        reduced["paths"] = reduced_paths
        components = doc.get("components")
        reduced_components: dict[str, Any] = {}
        todo: list[tuple[Any, str]] = []
        if isinstance(components, dict) and isinstance(components.get("securitySchemes"), dict):
            reduced_components["securitySchemes"] = components["securitySchemes"]
            todo.append((components["securitySchemes"], "components.securitySchemes"))
        raw_paths = doc.get("paths") if isinstance(doc.get("paths"), dict) else {}
        for op in ops:
            item = raw_paths.get(op.path)
            if not isinstance(item, dict):
                continue
            if op.path not in reduced_paths:
                reduced_paths[op.path] = {k: v for k, v in item.items()
                                          if k not in _ALL_METHODS}
                todo.append((reduced_paths[op.path], f"path {op.path}"))
            if op.method in item:
                reduced_paths[op.path][op.method] = item[op.method]
                todo.append((item[op.method], op.label))
        included: set[tuple[str, ...]] = set()

        def graft(tokens: list[str]) -> None:
            """Copy the component / path item / top-level entry ``tokens`` points into."""
            grain = 3 if tokens[0] == "components" else 2 if tokens[0] == "paths" else 1
            key = tuple(tokens[:grain])
            if any(key[:i] in included for i in range(1, len(key) + 1)):
                return
            src: Any = doc
            dst: dict[str, Any] = reduced
            for i, tok in enumerate(key):
                if not isinstance(src, dict) or tok not in src:
                    return
                value = src[tok]
                if i == len(key) - 1 or not isinstance(value, dict):
                    dst[tok] = value
                    included.add(key[:i + 1])
                    todo.append((value, "#/" + "/".join(key[:i + 1])))
                    return
                if i == 0 and tok == "components":
                    nxt = reduced_components
                else:
                    existing = dst.get(tok)
                    if existing is value:
                        return  # the whole object is already there
                    nxt = existing if isinstance(existing, dict) else {}
                dst[tok] = nxt
                dst, src = nxt, value

        visited: set[int] = set()
        depth_limit = limits.MAX_NESTING_DEPTH
        while todo:
            root, where = todo.pop()
            stack: list[tuple[Any, int]] = [(root, 0)]
            while stack:
                obj, depth = stack.pop()
                oid = id(obj)
                if oid in visited:
                    continue
                visited.add(oid)
                if depth > depth_limit:
                    raise SpecParseError(f"The spec {self.origin} is nested more than "
                                         f"{depth_limit} levels deep (under {where}); that "
                                         "is not a real spec.")
                if isinstance(obj, dict):
                    self._check_ref_keys(obj, where, graft)
                    children: Iterable[Any] = obj.values()
                else:
                    children = obj
                for child in children:
                    if isinstance(child, dict | list) and id(child) not in visited:
                        stack.append((child, depth + 1))
        if reduced_components:
            reduced["components"] = reduced_components
        return reduced

    def _check_ref_keys(self, obj: dict[str, Any], where: str, graft: Any) -> None:
        for key in ("$ref", "$dynamicRef", "$recursiveRef"):
            ref = obj.get(key)
            if not isinstance(ref, str):
                continue
            if not ref.startswith("#"):
                self.problem(
                    SpecRefError(
                        f"The {key} {ref!r} (in {where}) points outside the document, and "
                        "nbconnect never fetches or reads remote or file references; bundle "
                        "them into one file first (for example with `redocly bundle`)."),
                    f"The {key} {ref!r} (in {where}) points outside the document; it was not "
                    "fetched and is treated as an empty schema.")
                del obj[key]
                continue
            if key != "$ref":
                continue
            chain, problem = self.ref_chain(ref)
            if problem is None:
                for tokens in chain:
                    graft(tokens)
                continue
            if problem == "cycle":
                msg = (f"The $ref {ref!r} (in {where}) refers only to itself (a chain of "
                       "$refs with no schema at its end); give it a real definition.")
            elif problem == "root":
                msg = (f"The $ref {ref!r} (in {where}) refers to the whole document; point "
                       "it at a component instead.")
            else:
                msg = (f"The $ref {ref!r} (in {where}) cannot be resolved: nothing in the "
                       "document is at that location; fix the reference or add the missing "
                       "component.")
            self.problem(SpecRefError(msg), msg.split(";")[0] + "; treated as an empty schema.")
            del obj["$ref"]
            self._chain_memo.clear()
        sid = obj.get("$id")
        if isinstance(sid, str) and re.match(r"[A-Za-z][A-Za-z0-9+.\-]*:", sid):
            self.problem(
                SpecRefError(f"A schema (in {where}) sets $id {sid!r}, which would make "
                             "references resolve against another document; remove the $id."),
                f"Removed $id {sid!r} (in {where}) so references stay inside the document.")
            del obj["$id"]

    # -- 5. extraction ---------------------------------------------------------------------

    def deref(self, obj: Any) -> tuple[Any, str | None]:
        """Follow ``$ref``s: (target, name of the last component referenced or None)."""
        name = None
        hops = 0
        while isinstance(obj, dict) and isinstance(obj.get("$ref"), str):
            ref = obj["$ref"]
            tokens = _pointer_tokens(ref) if ref.startswith("#") else None
            target = _get(self.doc, tokens) if tokens else _MISSING
            if target is _MISSING or hops > 64:
                return {}, name
            if tokens and len(tokens) >= 3 and tokens[0] == "components":
                name = tokens[2]
            obj = target
            hops += 1
        return obj, name

    def extract(self, op: _Op, ep_id: str) -> Endpoint | None:
        ctx = _OperationContext(self, op)
        try:
            return ctx.endpoint(ep_id)
        except SpecError:
            raise
        except EndpointError as exc:
            self.problem(SpecContentError(
                f"The {op.label} cannot become an endpoint: {exc.message.rstrip('.')}.",
                details=[exc.message]),
                f"Skipped {op.label}: {exc.message}")
        except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as exc:
            self.problem(SpecContentError(
                f"The {op.label} could not be understood ({type(exc).__name__}); fix it in "
                "the spec or import with --lenient to skip it."),
                f"Skipped {op.label}: it could not be understood ({type(exc).__name__}).")
        return None

    def collect_schemas(self, endpoints: Iterable[Endpoint]) -> dict[str, Any]:
        components = self.doc.get("components")
        table = components.get("schemas") if isinstance(components, dict) else None
        table = table if isinstance(table, dict) else {}
        found: dict[str, Any] = {}
        stack: list[Any] = []
        for ep in endpoints:
            for s in (ep.request_schema, ep.response_schema):
                if s is not None:
                    stack.append(s)
        visited: set[int] = set()
        while stack:
            obj = stack.pop()
            if id(obj) in visited:
                continue
            visited.add(id(obj))
            if isinstance(obj, dict):
                ref = obj.get("$ref")
                if isinstance(ref, str) and ref.startswith("#"):
                    tokens = _pointer_tokens(ref) or []
                    if len(tokens) >= 3 and tokens[:2] == ["components", "schemas"]:
                        name = tokens[2]
                        if name not in found and name in table:
                            found[name] = table[name]
                            stack.append(table[name])
                    else:
                        self.warn(f"A schema refers to {ref!r}, outside components.schemas; "
                                  "the reference is kept as written.")
                stack.extend(v for v in obj.values() if isinstance(v, dict | list))
            elif isinstance(obj, list):
                stack.extend(v for v in obj if isinstance(v, dict | list))
        return {k: found[k] for k in sorted(found)}

    def base_url(self) -> str | None:
        from ..model.urls import check_base_url

        servers = self.doc.get("servers")
        if not isinstance(servers, list) or not servers or not isinstance(servers[0], dict):
            self.warn("The spec names no server; set the connector's base URL yourself.")
            return None
        server = servers[0]
        url = server.get("url")
        if not isinstance(url, str) or not url.strip():
            self.warn("The spec's first server has no URL; set the base URL yourself.")
            return None
        variables = server.get("variables") if isinstance(server.get("variables"), dict) \
            else {}
        missing: list[str] = []

        def fill(m: re.Match[str]) -> str:
            var = variables.get(m.group(1))
            default = var.get("default") if isinstance(var, dict) else None
            if default is None:
                missing.append(m.group(1))
                return m.group(0)
            return str(default)

        filled = re.sub(r"\{([^{}]*)\}", fill, url.strip())
        if missing:
            self.warn(f"The server URL {url!r} has variable(s) {', '.join(missing)} without a "
                      "default; set the base URL yourself.")
            return None
        if not re.match(r"[A-Za-z][A-Za-z0-9+.\-]*:", filled):
            if self.source_url:
                filled = urljoin(self.source_url, filled)
            else:
                self.warn(f"The server URL {url!r} is relative and the spec was not read "
                          "from a URL; set the base URL yourself.")
                return None
        if filled.endswith("/") and filled.count("/") > 3:
            filled = filled.rstrip("/")
        try:
            return check_base_url(filled, what="spec's server URL")
        except BaseUrlError as exc:
            self.warn(f"Not using the server URL as the base URL: {exc.message}")
            return None

    def auth(self, ops: list[_Op]) -> AuthConfig | None:
        components = self.doc.get("components")
        schemes = components.get("securitySchemes") if isinstance(components, dict) else None
        if not isinstance(schemes, dict) or not schemes:
            return None
        requirements: list[Any] = []
        global_sec = self.doc.get("security")
        op_reqs: list[Any] = []
        for op in ops:
            sec = op.op.get("security", global_sec)
            if isinstance(sec, list):
                op_reqs += sec
        candidates: list[str] = []
        if isinstance(global_sec, list):
            requirements += global_sec
            for req in global_sec:
                if isinstance(req, dict):
                    candidates += [k for k in req if k in schemes]
        for req in op_reqs:
            if isinstance(req, dict):
                candidates += [k for k in req if k in schemes]
        candidates += list(schemes)
        candidates = list(dict.fromkeys(candidates))
        for name in candidates:
            scheme, _ = self.deref(schemes[name])
            if not isinstance(scheme, dict):
                continue
            scopes: list[str] = []
            for req in op_reqs:
                if isinstance(req, dict) and isinstance(req.get(name), list):
                    scopes += [s for s in req[name] if isinstance(s, str)]
            config = self._auth_from_scheme(name, scheme, list(dict.fromkeys(scopes)))
            if config is not None:
                return config
        return None

    def _auth_from_scheme(self, name: str, scheme: dict[str, Any],
                          scopes: list[str]) -> AuthConfig | None:
        kind = scheme.get("type")
        try:
            if kind == "apiKey":
                return ApiKeyAuth(key=scheme.get("name"), add_to=scheme.get("in"))
            if kind == "http":
                http = str(scheme.get("scheme", "")).lower()
                if http == "basic":
                    return BasicAuth()
                if http == "bearer":
                    return BearerAuth()
                self.warn(f"Security scheme {name!r} uses HTTP {http or '?'} authentication, "
                          "which nbconnect does not support; pick an auth type yourself.")
                return None
            if kind == "oauth2":
                return self._oauth2(name, scheme, scopes)
        except NbConnectError as exc:
            self.warn(f"Security scheme {name!r} was not used: {exc.message}")
            return None
        self.warn(f"Security scheme {name!r} ({kind}) is not supported; pick an auth type "
                  "yourself.")
        return None

    def _oauth2(self, name: str, scheme: dict[str, Any], scopes: list[str]) -> AuthConfig | None:
        flows = scheme.get("flows") if isinstance(scheme.get("flows"), dict) else {}
        scope = " ".join(scopes) or None
        for flow_name in ("authorizationCode", "clientCredentials", "password"):
            flow = flows.get(flow_name)
            if not isinstance(flow, dict):
                continue
            common = {"token_url": flow.get("tokenUrl") or "",
                      "refresh_url": flow.get("refreshUrl") or None, "scope": scope}
            try:
                if flow_name == "authorizationCode":
                    return OAuth2Code(authorization_url=flow.get("authorizationUrl") or "",
                                      **common)
                if flow_name == "clientCredentials":
                    return OAuth2ClientCredentials(**common)
                return OAuth2Password(**common)
            except NbConnectError as exc:
                self.warn(f"The OAuth2 {flow_name} flow of security scheme {name!r} was not "
                          f"used: {exc.message}")
        if "implicit" in flows:
            self.warn(f"Security scheme {name!r} offers only the OAuth2 implicit flow, which "
                      "is not supported; pick an auth type yourself.")
        return None

    # -- run -----------------------------------------------------------------------------

    def run(self, tags: Any, include: str | None, exclude: str | None) -> ImportResult:
        version = self.check_version()
        ops = self.list_operations()
        selected = self.select(ops, tags, include, exclude)
        self.check_limit(ops, selected, bool(tags or include or exclude))
        selected = self.check_paths(selected)
        ids = self.assign_ids(selected)
        reduced = self.build_reduced(selected)
        errors = validate_document(reduced, version)
        if errors:
            shown = errors[:limits.MAX_ERRORS_SHOWN]
            if not self.lenient:
                raise SpecValidationError(
                    f"The spec {self.origin} fails OpenAPI {version} validation with "
                    f"{_plural(len(errors), 'error')} (first: {shown[0]}); fix the spec, or "
                    "import it with --lenient (lenient=True) to take what can be understood.",
                    details=shown)
            self.warnings += [f"Validation: {e}" for e in shown]
            if len(errors) > len(shown):
                self.warn(f"… and {len(errors) - len(shown)} more validation errors.")
        endpoints: list[Endpoint] = []
        for op, ep_id in zip(selected, ids, strict=True):
            ep = self.extract(op, ep_id)
            if ep is not None:
                endpoints.append(ep)
        info = self.doc.get("info") if isinstance(self.doc.get("info"), dict) else {}
        result = ImportResult(
            endpoints=tuple(endpoints),
            schemas=self.collect_schemas(endpoints),
            base_url=self.base_url(),
            auth=self.auth(selected),
            title=str(info.get("title") or ""),
            version=str(info.get("version") or ""),
            description=_short(info.get("description"), 500),
            openapi_version=version,
            operations_total=len(ops),
            operations_selected=len(selected),
            tags=tuple(self.spec_tags(ops)),
            origin=self.origin,
        )
        result.warnings = self.warnings
        return result


# --------------------------------------------------------------------------- one operation


@dataclass
class _View:
    """allOf/oneOf/anyOf of a schema merged into one flat description."""

    types: list[str] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    items: Any = None
    nullable: bool = False
    format: str | None = None
    enum: tuple[Any, ...] | None = None
    default: Any = None
    example: Any = None
    description: str = ""
    refs: list[str] = field(default_factory=list)
    read_only: bool = False
    write_only: bool = False

    @property
    def type(self) -> str:
        kinds = list(dict.fromkeys(self.types))
        if len(kinds) == 1:
            return kinds[0] if kinds[0] in _PARAM_TYPES else "any"
        if set(kinds) == {"integer", "number"}:
            return "number"
        if not kinds:
            if self.properties:
                return "object"
            if self.items is not None:
                return "array"
        return "any"


class _OperationContext:
    """Turn one operation into an Endpoint."""

    def __init__(self, importer: _Importer, op: _Op) -> None:
        self.imp = importer
        self.op = op
        self.cut = False

    def problem(self, message: str, warning: str) -> None:
        self.imp.problem(SpecContentError(message), warning)

    # schemas -------------------------------------------------------------------------

    def view(self, schema: Any) -> _View:
        memo = self.imp.view_memo
        hit = memo.get(id(schema))
        if hit is not None and hit[0] is schema:
            return hit[1]
        v = _View()
        self._merge(v, schema, True, frozenset(), 0)
        memo[id(schema)] = (schema, v)
        return v

    def _merge(self, v: _View, schema: Any, required_ok: bool, seen: frozenset[str],
               level: int) -> None:
        if level > 32:
            return
        schema, name = self.imp.deref(schema)
        if not isinstance(schema, dict):
            return
        if name:
            if name in seen:
                return
            seen = seen | {name}
            if name not in v.refs:
                v.refs.append(name)
        t = schema.get("type")
        for kind in (t if isinstance(t, list) else [t]):
            if kind == "null":
                v.nullable = True
            elif isinstance(kind, str):
                v.types.append(kind)
        if schema.get("nullable") is True:
            v.nullable = True
        if v.format is None and isinstance(schema.get("format"), str):
            v.format = schema["format"]
        if v.enum is None and isinstance(schema.get("enum"), list):
            v.enum = tuple(schema["enum"])
        if v.default is None and "default" in schema:
            v.default = schema["default"]
        if v.example is None:
            if "example" in schema:
                v.example = schema["example"]
            elif isinstance(schema.get("examples"), list) and schema["examples"]:
                v.example = schema["examples"][0]
        if not v.description and isinstance(schema.get("description"), str):
            v.description = schema["description"]
        if schema.get("readOnly") is True:
            v.read_only = True
        if schema.get("writeOnly") is True:
            v.write_only = True
        props = schema.get("properties")
        if isinstance(props, dict):
            for pn, ps in props.items():
                v.properties.setdefault(str(pn), ps)
        req = schema.get("required")
        if required_ok and isinstance(req, list):
            v.required.update(r for r in req if isinstance(r, str))
        if v.items is None and isinstance(schema.get("items"), dict):
            v.items = schema["items"]
        for sub in schema.get("allOf") or ():
            self._merge(v, sub, required_ok, seen, level + 1)
        for key in ("oneOf", "anyOf"):
            subs = schema.get(key)
            if isinstance(subs, list):
                for sub in subs:
                    self._merge(v, sub, False, seen, level + 1)

    def param(self, name: str, schema: Any, location: str, required: bool, depth: int,
              stack: tuple[str, ...], v: _View | None = None) -> Param:
        v = v or self.view(schema)
        ptype = v.type
        rec = next((r for r in v.refs if r in stack), None)
        children: tuple[Param, ...] = ()
        items_type = None
        here = stack + tuple(r for r in v.refs if r not in stack)
        if ptype == "array":
            iv = self.view(v.items) if v.items is not None else None
            items_type = iv.type if iv is not None else "any"
            if iv is not None and items_type == "object" and rec is None:
                rec = next((r for r in iv.refs if r in here), None)
                if rec is None:
                    children = self.children(iv, location, depth + 1,
                                             here + tuple(iv.refs))
        elif ptype == "object" and rec is None:
            children = self.children(v, location, depth + 1, here)
        return Param(name=name, type=ptype, location=location, required=required,
                     default=v.default, description=_short(v.description),
                     format=v.format, enum=v.enum, example=v.example, items=items_type,
                     nullable=v.nullable, children=children, recursive=rec)

    def children(self, v: _View, location: str, depth: int,
                 stack: tuple[str, ...]) -> tuple[Param, ...]:
        if depth > limits.MAX_PARAM_DEPTH:
            self.cut = True
            return ()
        out: list[Param] = []
        for pn, ps in v.properties.items():
            pv = self.view(ps)
            if (location == "body" and pv.read_only) or (location == "response"
                                                          and pv.write_only):
                continue
            try:
                if (pn, location) not in self.imp.good_names:
                    check_param_name(pn, location)
                    self.imp.good_names.add((pn, location))
            except EndpointError as exc:
                self.problem(
                    f"The {self.op.label} has a {location} field named {pn!r}, which is not a "
                    "valid parameter name; rename it in the spec (or import with --lenient to "
                    "skip it).",
                    f"{self.op.label}: skipped the {location} field {pn!r} ({exc.message})")
                continue
            out.append(self.param(pn, ps, location, pn in v.required, depth, stack, pv))
        return tuple(out)

    def tree(self, schema: Any, location: str) -> tuple[Param, ...]:
        v = self.view(schema)
        if v.type == "object":
            return self.children(v, location, 1, tuple(v.refs))
        if v.type == "any" and not v.types and not v.properties and v.items is None:
            return ()
        return (self.param(location, schema, location, True, 1, (), v),)

    # parts ---------------------------------------------------------------------------

    def params(self, template_params: tuple[str, ...]) -> tuple[Param, ...]:
        merged: dict[tuple[str, str], Param] = {}
        for source in (self.op.item.get("parameters"), self.op.op.get("parameters")):
            if not isinstance(source, list):
                continue
            for raw in source:
                p, _ = self.imp.deref(raw)
                if not isinstance(p, dict):
                    continue
                name, loc = p.get("name"), p.get("in")
                if loc not in ("path", "query", "header", "cookie"):
                    self.problem(
                        f"The {self.op.label} has parameter {name!r} in {loc!r}; parameters "
                        "go in path, query, header or cookie (fix the spec, or import with "
                        "--lenient to skip it).",
                        f"{self.op.label}: skipped parameter {name!r} in {loc!r}.")
                    continue
                if loc == "header" and isinstance(name, str) and \
                        name.lower() in _IGNORED_HEADERS:
                    continue
                try:
                    check_param_name(name, loc)
                except EndpointError as exc:
                    self.problem(
                        f"The {self.op.label} has a {loc} parameter named {name!r}, which is "
                        "not a valid name; rename it in the spec (or import with --lenient "
                        "to skip it).",
                        f"{self.op.label}: skipped {loc} parameter {name!r} ({exc.message})")
                    continue
                if loc == "path" and name not in template_params:
                    self.problem(
                        f"The {self.op.label} declares path parameter {name!r}, which is not "
                        f"in its path {self.op.path!r}; fix the spec (or import with "
                        "--lenient to drop it).",
                        f"{self.op.label}: dropped path parameter {name!r}, which is not in "
                        "the path.")
                    continue
                schema = p.get("schema")
                if schema is None and isinstance(p.get("content"), dict) and p["content"]:
                    media = next(iter(p["content"].values()))
                    schema = media.get("schema") if isinstance(media, dict) else None
                v = self.view(schema)
                example = p.get("example", v.example)
                items = None
                if v.type == "array":
                    items = self.view(v.items).type if v.items is not None else "any"
                key = (loc, name.lower() if loc == "header" else name)
                merged[key] = Param(
                    name=name, type=v.type, location=loc,
                    required=bool(p.get("required")) or loc == "path",
                    default=v.default,
                    description=_short(p.get("description") or v.description),
                    format=v.format, enum=v.enum, example=example, items=items,
                    nullable=v.nullable)
        return tuple(merged.values())

    @staticmethod
    def pick_media(content: Any, *, request: bool) -> tuple[str | None, Any]:
        if not isinstance(content, dict) or not content:
            return None, None
        keyed = [(str(k).split(";")[0].strip().lower(), str(k), v) for k, v in content.items()]

        def first(pred: Any) -> tuple[str, Any] | None:
            for base, raw, media in keyed:
                if pred(base):
                    return raw, media
            return None

        for pred in (lambda b: b == "application/json",
                     lambda b: b.endswith("+json") or b.endswith("/json"),
                     lambda b: b == "application/x-www-form-urlencoded",
                     lambda b: b == "multipart/form-data",
                     lambda b: True):
            hit = first(pred)
            if hit:
                ctype, media = hit
                if request and ctype.split(";")[0].strip() in ("*/*", "application/*"):
                    ctype = "application/json"
                return ctype, media
        return None, None

    def request_body(self) -> tuple[tuple[Param, ...], str | None, dict[str, Any] | None]:
        rb, _ = self.imp.deref(self.op.op.get("requestBody"))
        if not isinstance(rb, dict):
            return (), None, None
        ctype, media = self.pick_media(rb.get("content"), request=True)
        if ctype is None:
            return (), None, None
        schema = media.get("schema") if isinstance(media, dict) else None
        if not isinstance(schema, dict):
            return (), ctype, None
        return self.tree(schema, "body"), ctype, schema

    def response(self) -> tuple[tuple[Param, ...], str | None, str | None,
                                dict[str, Any] | None]:
        responses = self.op.op.get("responses")
        if not isinstance(responses, dict) or not responses:
            return (), None, None, None
        codes = {str(k): k for k in responses}
        order = [c for c in ("200", "201") if c in codes]
        order += sorted(c for c in codes if re.fullmatch(r"2\d\d", c) and c not in order)
        order += [c for c in codes if c.upper() == "2XX"]
        order += [c for c in codes if c == "default"]
        if not order:
            return (), None, None, None
        status = order[0]
        resp, _ = self.imp.deref(responses[codes[status]])
        if not isinstance(resp, dict):
            return (), status, None, None
        ctype, media = self.pick_media(resp.get("content"), request=False)
        schema = media.get("schema") if isinstance(media, dict) else None
        if not isinstance(schema, dict):
            return (), status, ctype, None
        return self.tree(schema, "response"), status, ctype, schema

    def endpoint(self, ep_id: str) -> Endpoint:
        op = self.op
        tpl = parse_path(op.path)
        params = self.params(tpl.path_params)
        body, body_type, request_schema = self.request_body()
        response, status, resp_type, response_schema = self.response()
        summary = " ".join(str(op.op.get("summary") or "").split())
        name = summary or op.operation_id or f"{op.method.upper()} {op.path}"
        if len(name) > 120:
            name = _short(name, 120)
        description = _short(op.op.get("description") or summary)
        if self.cut:
            self.imp.warn(f"{op.label}: parameter trees were cut at depth "
                          f"{limits.MAX_PARAM_DEPTH}.")
        return Endpoint(
            id=ep_id, method=op.method.upper(), path=op.path, name=name,
            description=description, params=params, body=body,
            body_content_type=body_type, response=response, response_status=status,
            response_content_type=resp_type, request_schema=request_schema,
            response_schema=response_schema, tags=op.tags, source="openapi")
