"""Drift: how a pulled tree differs from the response an endpoint declares.

The declared tree is the endpoint's ``response`` parameters (what its spec, or a person,
declared). Both trees are compared by path (see :mod:`nbconnect.pull.tree`):

* **added**: returned but not declared (only the topmost such field is listed);
* **missing**: declared but never returned, where its parent was returned;
* **changed**: a type mismatch (a declared ``number`` accepts pulled integers, a declared
  ``any`` accepts everything, a pulled ``unknown`` matches every type) or a field returned as
  ``null`` that is not declared nullable.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Param
from .merge import UNKNOWN
from .tree import ROOT, Drift, PulledField, child_path, items_path

__all__ = ["declared_paths", "drift"]


def declared_paths(params: Iterable[Param]) -> dict[str, Param]:
    """``{path: Param}`` for a declared response tree, in the paths pull uses (a non-object
    response declared as one field named ``response`` is the root ``$``; an array's scalar
    items are a ``Param`` named ``[*]`` made here)."""
    params = tuple(params)
    out: dict[str, Param] = {}
    work: list[tuple[str, Param]] = []
    if len(params) == 1 and params[0].name == "response" and params[0].type != "object":
        work.append((ROOT, params[0]))
    else:
        work.extend((child_path("", p.name), p) for p in reversed(params))
    while work:
        path, p = work.pop()
        out[path] = p
        if p.type == "array":
            ipath = items_path(path)
            if p.children:
                work.extend((child_path(ipath, c.name), c) for c in reversed(p.children))
            elif p.items and p.items != "object":
                out[ipath] = Param("[*]", type=p.items if p.items in _TYPES else "any",
                                   location="response")
        else:
            work.extend((child_path(path, c.name), c) for c in reversed(p.children))
    return out


_TYPES = ("string", "integer", "number", "boolean", "object", "array", "null", "any")


def _type_differs(declared: str, pulled: str) -> bool:
    if pulled == UNKNOWN or declared == "any" or declared == pulled:
        return False
    return not (declared == "number" and pulled == "integer")


def drift(fields: Iterable[PulledField], declared: Iterable[Param]) -> Drift:
    """The :class:`~nbconnect.pull.tree.Drift` of the pulled ``fields`` (top level) against
    the ``declared`` response parameters."""
    decl = declared_paths(declared)
    pulled: dict[str, PulledField] = {}
    for top in fields:
        for f in top.walk():
            pulled[f.path] = f
    added: list[tuple[str, str]] = []
    changed: list[tuple[str, str, str, bool, bool]] = []
    added_roots: list[str] = []
    for path, f in pulled.items():
        d = decl.get(path)
        if d is None:
            if _under_recursion(path, decl):
                continue  # the declared tree stops there (recursion, any): not drift
            if not any(r == ROOT or (path.startswith(r) and path[len(r):len(r) + 1]
                                     in (".", "[")) for r in added_roots):
                added.append((path, f.label))
                added_roots.append(path)
            continue
        type_bad = _type_differs(d.type, f.type)
        null_bad = f.nullable and not d.nullable and d.type not in ("any", "null")
        if type_bad or null_bad:
            changed.append((path, d.type, f.type, d.nullable, f.nullable))
    missing: list[tuple[str, str]] = []
    for path, d in decl.items():
        if path in pulled:
            continue
        parent = _parent(path)
        if parent is None or parent in pulled:
            if parent is not None and pulled[parent].cut:
                continue
            if parent is not None and pulled[parent].type not in ("object", "array", "any"):
                continue
            missing.append((path, d.type))
    return Drift(tuple(added), tuple(missing), tuple(changed))


def _under_recursion(path: str, decl: dict[str, Param]) -> bool:
    """Whether the nearest declared ancestor of ``path`` is a recursive structure (cut
    there) or of type ``any`` (which says nothing about what is under it)."""
    parent = _parent(path)
    while parent is not None:
        p = decl.get(parent)
        if p is not None:
            return p.recursive is not None or p.type == "any"
        parent = _parent(parent) if parent != ROOT else None
    return False


def _parent(path: str) -> str | None:
    """The path of the field that holds ``path`` (None for a top-level field)."""
    if path == ROOT:
        return None
    if path.endswith("[*]"):
        return path[:-3] or ROOT
    if path.endswith('"]'):  # ["odd key"]
        head = path[:path.rfind('["')]
    else:
        dot = path.rfind(".")
        if dot < 0:
            return None
        head = path[:dot]
    if head.endswith("[*]"):  # an item's field belongs to the array
        return head[:-3] or ROOT
    return head or None
