"""The operations of a spec: listing them (paths x methods), their tags, paths and ids.

Listing touches nothing deeper than each Path Item and its Operation Objects, so a large
spec costs little before selection (:mod:`.selection`). After selection the chosen
operations' path templates are checked (:func:`check_paths`) and each gets an endpoint id
(:func:`assign_ids`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import EndpointError, SpecContentError
from ..model import default_endpoint_id, parse_path, slugify
from . import oas
from .context import ImportContext, plural

__all__ = ["SUPPORTED_METHODS", "Operation", "assign_ids", "check_paths", "list_operations",
           "spec_tags"]

#: The methods a connector endpoint may have (the others are skipped with a warning).
SUPPORTED_METHODS = ("get", "put", "post", "delete", "patch")
_ID_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*\Z")


@dataclass
class Operation:
    """One operation of the spec: its path, method, Operation Object, Path Item and tags."""

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


def list_operations(ctx: ImportContext) -> list[Operation]:
    """Every supported operation of the document, in document order (paths x methods)."""
    paths = ctx.doc.get("paths")
    ops: list[Operation] = []
    unsupported: list[str] = []
    if not isinstance(paths, dict):
        if paths is not None:
            ctx.problem(SpecContentError(f"The spec {ctx.origin} has a 'paths' that is not a "
                                         "mapping; fix the spec."),
                        "The spec's 'paths' is not a mapping; no operations imported.")
        return ops
    for path, raw_item in paths.items():
        if not isinstance(raw_item, dict):
            continue
        item, _ = oas.path_item(ctx.refs, raw_item)
        for method, op in oas.operations(item):
            if method not in SUPPORTED_METHODS:
                unsupported.append(f"{method.upper()} {path}")
                continue
            raw_tags = op.get("tags")
            op_tags = tuple(t for t in raw_tags if isinstance(t, str)) \
                if isinstance(raw_tags, list) else ()
            ops.append(Operation(str(path), method, op, item, op_tags))
    if unsupported:
        shown = ", ".join(unsupported[:5]) + (f" and {len(unsupported) - 5} more"
                                              if len(unsupported) > 5 else "")
        ctx.warn(f"Skipped {plural(len(unsupported), 'HEAD/OPTIONS/TRACE operation')} "
                 f"({shown}): "
                 "connectors support GET, POST, PUT, PATCH and DELETE.")
    return ops


def spec_tags(ctx: ImportContext, ops: list[Operation]) -> list[str]:
    """The spec's tag names: the declared ``tags`` first, then those operations use."""
    names: list[str] = []
    declared = ctx.doc.get("tags")
    if isinstance(declared, list):
        names += [t["name"] for t in declared
                  if isinstance(t, dict) and isinstance(t.get("name"), str)]
    for op in ops:
        names += op.tags
    return list(dict.fromkeys(names))


def check_paths(ctx: ImportContext, ops: list[Operation]) -> list[Operation]:
    """The operations whose path templates are valid and consistent (others are problems)."""
    good: list[Operation] = []
    shapes: dict[str, tuple[str, tuple[str, ...]]] = {}
    bad_paths: set[str] = set()
    for op in ops:
        if op.path in bad_paths:
            continue
        try:
            tpl = parse_path(op.path)
        except EndpointError as exc:
            bad_paths.add(op.path)
            ctx.problem(SpecContentError(exc.message),
                        f"Skipped the operations of path {op.path!r}: {exc.message}")
            continue
        shape = re.sub(r"\{[^{}]*\}", "{}", tpl.request_path)
        seen = shapes.get(shape)
        if seen is None:
            shapes[shape] = (op.path, tpl.path_params)
        elif seen[0] != op.path and seen[1] != tpl.path_params:
            # OpenAPI validators accept this (Google's specs have many); keep both, say so
            ctx.warn(f"The paths {seen[0]!r} and {op.path!r} are the same route with "
                     "different parameter names; both were imported, and a server (or the "
                     "mock) cannot tell their requests apart.")
        good.append(op)
    return good


def assign_ids(ctx: ImportContext, ops: list[Operation]) -> list[str]:
    """Endpoint ids for ``ops``: operationId (slugified if needed) or method+path."""
    first_use: dict[str, Operation] = {}
    for op in ops:
        oid = op.operation_id
        if oid is None:
            continue
        if oid in first_use:
            other = first_use[oid]
            ctx.problem(
                SpecContentError(
                    f"The operationId {oid!r} is used by both {other.method.upper()} "
                    f"{other.path} and {op.method.upper()} {op.path}; give each operation "
                    "its own operationId (or import leniently to rename the second).",
                    option="lenient"),
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
            ctx.warn(f"Two operations would both get the endpoint id {base!r}; the one "
                     f"at {op.method.upper()} {op.path} is {new!r}.")
        taken.add(new)
        ids.append(new)
    if len(slugged) == 1:
        ctx.warn(f"The operationId {slugged[0][0]!r} is not a valid endpoint id; using "
                 f"{slugged[0][1]!r}.")
    elif slugged:
        ctx.warn(f"{len(slugged)} operationIds are not valid endpoint ids and were "
                 f"slugified (e.g. {slugged[0][0]!r} -> {slugged[0][1]!r}).")
    return ids
