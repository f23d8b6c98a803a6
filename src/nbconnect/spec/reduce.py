"""The reduced document: the selected operations plus only the components they reach.

:func:`build_reduced` walks the selected operations (and the security schemes), follows each
local ``$ref`` with the toolkit's resolver and copies ("grafts") what it points into; nothing
outside the reduced document is walked. On the way every non-local ``$ref`` is refused (the
validator would fetch or read it), and so are unresolvable, self-only and whole-document
references and a schema ``$id`` that would change the base URI. In lenient mode each of
these is removed from the document and reported as a warning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from .. import limits
from ..errors import SpecParseError, SpecRefError
from . import oas
from .context import ImportContext
from .operations import Operation

__all__ = ["build_reduced"]

_TOP_LEVEL_KEPT = ("openapi", "info", "jsonSchemaDialect", "servers", "security", "tags",
                   "externalDocs")
_ID_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def build_reduced(ctx: ImportContext, ops: list[Operation]) -> dict[str, Any]:
    """The document cut down to ``ops`` and what their ``$ref``s reach (refs checked)."""
    doc = ctx.doc
    reduced: dict[str, Any] = {}
    for key in _TOP_LEVEL_KEPT:
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
                                      if k not in oas.PATH_ITEM_METHODS}
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
                raise SpecParseError(f"The spec {ctx.origin} is nested more than "
                                     f"{depth_limit} levels deep (under {where}); that "
                                     "is not a real spec.")
            if isinstance(obj, dict):
                _check_ref_keys(ctx, obj, where, graft)
                children: Iterable[Any] = obj.values()
            else:
                children = obj
            for child in children:
                if isinstance(child, dict | list) and id(child) not in visited:
                    stack.append((child, depth + 1))
    if reduced_components:
        reduced["components"] = reduced_components
    return reduced


def _check_ref_keys(ctx: ImportContext, obj: dict[str, Any], where: str,
                    graft: Callable[[list[str]], None]) -> None:
    for key in ("$ref", "$dynamicRef", "$recursiveRef"):
        ref = obj.get(key)
        if not isinstance(ref, str):
            continue
        if not ref.startswith("#"):
            ctx.problem(
                SpecRefError(
                    f"The {key} {ref!r} (in {where}) points outside the document, and "
                    "nbconnect never fetches or reads remote or file references; bundle "
                    "them into one file first (for example with `redocly bundle`)."),
                f"The {key} {ref!r} (in {where}) points outside the document; it was not "
                "fetched and is treated as an empty schema.")
            del obj[key]
            ctx.forget()
            continue
        if key != "$ref":
            continue
        chain, problem = ctx.refs.chain(ref)
        if problem is None or problem == "remote":  # a remote ref is refused where it is
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
        ctx.problem(SpecRefError(msg), msg.split(";")[0] + "; treated as an empty schema.")
        del obj["$ref"]
        ctx.forget()
    sid = obj.get("$id")
    if isinstance(sid, str) and _ID_SCHEME_RE.match(sid):
        ctx.problem(
            SpecRefError(f"A schema (in {where}) sets $id {sid!r}, which would make "
                         "references resolve against another document; remove the $id."),
            f"Removed $id {sid!r} (in {where}) so references stay inside the document.")
        del obj["$id"]
