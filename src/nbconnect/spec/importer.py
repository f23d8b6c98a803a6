"""OpenAPI 3.0/3.1 import: a spec (file, URL, text) -> endpoints, schemas and suggestions.

The entry points (:func:`import_spec`, :func:`import_document`, :func:`check_document`), the
:class:`ImportResult` and the pipeline that runs the steps, each in its own module, designed
so a one-tag import of a 13 MB spec costs little more than a parse:

1. :func:`nbconnect.spec.reading.load_document` reads and parses the source safely.
2. The version is checked (:func:`nbconnect.spec.oas.check_version`: Swagger 2.0 and other
   versions are refused).
3. Operations are listed (:mod:`.operations`: paths x methods only, nothing deeper) and
   **selected** by tag / include / exclude (:mod:`.selection`) *before* the limit of 150
   is applied.
4. Path templates and operationIds of the selection are checked (:mod:`.operations`).
5. A **reduced document** is built (:mod:`.reduce`): the selected operations plus only the
   components they reach through local ``$ref``s; non-local, unresolvable and self-only
   references are refused there. Nothing outside the reduced document is walked.
6. The reduced document is validated (:mod:`.validation`, cached by a content hash).
   Strict mode refuses on errors; lenient mode turns them into warnings.
7. Endpoints are extracted (:mod:`.params`) with ``$ref``s resolved lazily (memoised);
   ``allOf`` merged, ``oneOf``/``anyOf`` unioned, recursive schemas cut where a schema
   repeats; base URL and auth are suggested (:mod:`.suggest`).

Whole results are cached by a hash of the source bytes and the options.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import limits
from ..errors import EndpointError, SpecContentError, SpecError, SpecValidationError
from ..model import AuthConfig, Endpoint
from . import oas, validation
from .context import ImportContext, plural, short
from .dropped import warn_dropped
from .operations import Operation, assign_ids, check_paths, list_operations, spec_tags
from .params import OperationReader
from .reduce import build_reduced
from .responses import with_responses
from .selection import Selection, check_limit, select, selection
from .suggest import endpoint_servers, suggest_auth, suggest_base_url
from .validation import validate_document

__all__ = [
    "ImportResult",
    "check_document",
    "clear_validation_cache",
    "import_document",
    "import_spec",
    "validate_document",
]


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

#: Whole import results, keyed by a hash of the source bytes and the options, so that
#: re-importing the same spec costs a read and a hash.
_RESULT_CACHE: OrderedDict[str, ImportResult] = OrderedDict()


def clear_validation_cache() -> None:
    """Forget cached validation and import results."""
    validation.clear_cache()
    _RESULT_CACHE.clear()


def import_spec(source: Any, *, tags: Any = (), include: str | None = None,
                exclude: str | None = None, lenient: bool = False,
                max_bytes: int | None = None, timeout: float | None = None,
                verify: Any = True) -> ImportResult:
    """Import an OpenAPI 3.0/3.1 spec from a path, an https URL, spec text or bytes.

    ``tags`` (a name, a comma-separated string of names or a list of names), ``include`` and
    ``exclude`` (regular expressions searched in each operation's path and operationId)
    select operations before the limit of :data:`~nbconnect.limits.MAX_IMPORTED_ENDPOINTS`
    applies; they are checked first (an invalid pattern raises
    :class:`~nbconnect.errors.SpecSelectionError` with ``option="include"``/``"exclude"``).
    Strict by default: validator errors raise :class:`~nbconnect.errors.SpecValidationError`;
    with ``lenient=True`` every operation that can be understood is imported and the rest
    is reported in ``warnings``. ``max_bytes``, ``timeout`` and ``verify`` (a bool, a CA
    bundle path or an ``ssl.SSLContext``) apply to reading the source.
    """
    from .reading import decode_text, parse_text, read_source

    sel = selection(tags, include, exclude)
    src = read_source(source, max_bytes=max_bytes, timeout=timeout, verify=verify)
    data = src.data.encode("utf-8", "surrogatepass") if isinstance(src.data, str) else src.data
    key = hashlib.sha256(repr((sel.tags, sel.include, sel.exclude, bool(lenient), src.origin,
                               src.url)).encode() + b"\0" + data).hexdigest()
    hit = _RESULT_CACHE.get(key)
    if hit is not None:
        _RESULT_CACHE.move_to_end(key)
        return _copy_result(hit)
    doc, fmt = parse_text(decode_text(src.data, src.origin), src.origin)
    result = _run(ImportContext(doc, lenient=lenient, origin=src.origin, source_url=src.url),
                  sel)
    result.format = fmt
    _RESULT_CACHE[key] = _copy_result(result)
    while len(_RESULT_CACHE) > validation.CACHE_SIZE:
        _RESULT_CACHE.popitem(last=False)
    return result


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
    sel = selection(tags, include, exclude)
    return _run(ImportContext(document, lenient=lenient, origin=origin,
                              source_url=source_url), sel)


def check_document(document: Mapping[str, Any], origin: str = "text") -> str:
    """Check that ``document`` is OpenAPI 3.0/3.1 whose ``$ref``s are all local and resolve.

    The checks an import makes before anything reads the document's references (the mock
    API uses them too); returns the OpenAPI version. Raises SpecVersionError/SpecRefError.
    """
    ctx = ImportContext(document, lenient=False, origin=origin, source_url=None)
    version = oas.check_version(document, origin)
    build_reduced(ctx, list_operations(ctx))
    return version


# --------------------------------------------------------------------------- the pipeline


def _run(ctx: ImportContext, sel: Selection) -> ImportResult:
    version = oas.check_version(ctx.doc, ctx.origin)
    ops = list_operations(ctx)
    selected = select(ops, sel)
    check_limit(selected, sel)
    selected = check_paths(ctx, selected)
    ids = assign_ids(ctx, selected)
    reduced = build_reduced(ctx, selected)
    errors = validation.validate_document(reduced, version)
    if errors:
        shown = errors[:limits.MAX_ERRORS_SHOWN]
        if not ctx.lenient:
            raise SpecValidationError(
                f"The spec {ctx.origin} fails OpenAPI {version} validation with "
                f"{plural(len(errors), 'error')} (first: {shown[0]}); fix the spec, or "
                "import it leniently to take what can be understood.",
                details=shown, option="lenient")
        ctx.warnings += [f"Validation: {e}" for e in shown]
        if len(errors) > len(shown):
            ctx.warn(f"… and {len(errors) - len(shown)} more validation errors.")
    ctx.warnings += validation.example_warnings(reduced, version)
    endpoints: list[Endpoint] = []
    for op, ep_id in zip(selected, ids, strict=True):
        ep = _extract(ctx, op, ep_id)
        if ep is not None:
            endpoints.append(ep)
    info = ctx.doc.get("info") if isinstance(ctx.doc.get("info"), dict) else {}
    result = ImportResult(
        endpoints=tuple(endpoints),
        schemas=_collect_schemas(ctx, endpoints),
        base_url=suggest_base_url(ctx),
        auth=suggest_auth(ctx, selected),
        title=str(info.get("title") or ""),
        version=str(info.get("version") or ""),
        description=short(info.get("description"), 500),
        openapi_version=version,
        operations_total=len(ops),
        operations_selected=len(selected),
        tags=tuple(spec_tags(ctx, ops)),
        origin=ctx.origin,
    )
    by_id = dict(zip(ids, selected, strict=True))
    result.endpoints = endpoint_servers(ctx, by_id, result.endpoints, result.base_url)
    warn_dropped(ctx, by_id, result.endpoints)
    result.warnings = ctx.warnings
    return result


def _extract(ctx: ImportContext, op: Operation, ep_id: str) -> Endpoint | None:
    try:
        return with_responses(ctx, op, OperationReader(ctx, op).endpoint(ep_id))
    except SpecError:
        raise
    except EndpointError as exc:
        ctx.problem(SpecContentError(
            f"The {op.label} cannot become an endpoint: {exc.message.rstrip('.')}.",
            details=[exc.message]),
            f"Skipped {op.label}: {exc.message}")
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as exc:
        ctx.problem(SpecContentError(
            f"The {op.label} could not be understood ({type(exc).__name__}); fix it in "
            "the spec or import leniently to skip it.", option="lenient"),
            f"Skipped {op.label}: it could not be understood ({type(exc).__name__}).")
    return None


def _collect_schemas(ctx: ImportContext, endpoints: Iterable[Endpoint]) -> dict[str, Any]:
    """The ``components.schemas`` the endpoints' request/response schemas reach."""
    components = ctx.doc.get("components")
    table = components.get("schemas") if isinstance(components, dict) else None
    table = table if isinstance(table, dict) else {}
    found: dict[str, Any] = {}
    stack: list[Any] = []
    for ep in endpoints:
        for s in (ep.request_schema, ep.response_schema,
                  *(m for c in ep.responses.values() for m in c.values()),
                  *(p.schema for p in ep.params)):
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
                tokens = oas.ref_tokens(ref) or []
                if len(tokens) >= 3 and tokens[:2] == ["components", "schemas"]:
                    name = tokens[2]
                    if name not in found and name in table:
                        found[name] = table[name]
                        stack.append(table[name])
                else:
                    ctx.warn(f"A schema refers to {ref!r}, outside components.schemas; "
                             "the reference is kept as written.")
            stack.extend(v for v in obj.values() if isinstance(v, dict | list))
        elif isinstance(obj, list):
            stack.extend(v for v in obj if isinstance(v, dict | list))
    return {k: found[k] for k in sorted(found)}
