"""OAS Schema Object semantics as JSON Schema 2020-12: what a validator must be given.

Part of the OpenAPI toolkit :mod:`nbconnect.spec.oas`. An OAS schema is not plain JSON
Schema; :func:`to_json_schema` writes 3.0 ``nullable`` and boolean exclusive bounds the 3.1
way, and :func:`for_direction` applies what the Schema Object says on top of JSON Schema:

- ``readOnly``/``writeOnly`` (OAS 3.0.3 §4.7.24 / 3.1 §4.8.24 with JSON Schema Validation
  §9.4): a required ``writeOnly`` property is not required in a response, a required
  ``readOnly`` property is not required in a request (properties of sibling ``allOf``
  branches and of ``$ref``'d schemas count);
- ``discriminator`` with ``oneOf``/``anyOf`` of ``$ref``s (3.0.3 §4.7.25 / 3.1 §4.8.25): the
  value of the discriminating property picks the one schema to check (its ``mapping`` first,
  else the schema's name), instead of "exactly one branch matches".

:func:`self_contained` builds one validation document for a schema and the connector's
``components.schemas`` (``$defs``), in a direction. Pure functions on plain data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["DIRECTIONS", "direction_defs", "for_direction", "self_contained", "to_json_schema"]

#: ``"response"`` (server -> client), ``"request"`` (client -> server), or None (neither rule).
DIRECTIONS = ("response", "request", None)

_SCHEMA_VALUES = ("enum", "const", "example", "examples", "default")
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_REF = "#/components/schemas/"
_DEFS_REF = "#/$defs/"


def to_json_schema(node: Any, *, refs_to_defs: bool = False) -> Any:
    """An OAS 3.0 or 3.1 schema as JSON Schema 2020-12 (the OAS 3.1 dialect): ``nullable``
    made a type list (or an ``anyOf`` with null) and boolean ``exclusiveMinimum``/
    ``Maximum`` made numbers; a 3.1 schema comes back unchanged. With ``refs_to_defs``,
    ``#/components/schemas/X`` refs point at ``#/$defs/X`` (for a self-contained
    document)."""
    if isinstance(node, list):
        return [to_json_schema(v, refs_to_defs=refs_to_defs) for v in node]
    if not isinstance(node, Mapping):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _SCHEMA_VALUES:
            out[key] = value
        elif key in _SCHEMA_MAPS and isinstance(value, Mapping):
            out[key] = {k: to_json_schema(v, refs_to_defs=refs_to_defs) for k, v in value.items()}
        elif (refs_to_defs and key == "$ref" and isinstance(value, str)
              and value.startswith(_SCHEMA_REF)):
            out[key] = _DEFS_REF + value[len(_SCHEMA_REF):]
        elif key == "nullable":
            continue
        else:
            out[key] = to_json_schema(value, refs_to_defs=refs_to_defs)
    for side in ("Minimum", "Maximum"):
        flag = out.get("exclusive" + side)
        if isinstance(flag, bool):
            bound = out.get(side.lower())
            del out["exclusive" + side]
            if flag and bound is not None:
                out["exclusive" + side] = bound
                del out[side.lower()]
    if node.get("nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif isinstance(kind, list):
            if "null" not in kind:
                out["type"] = [*kind, "null"]
        else:
            return {"anyOf": [out, {"type": "null"}]}
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def _deref(node: Any, defs: Mapping[str, Any], seen: set[str] | None = None) -> Any:
    """``node`` with ``#/$defs/X`` refs followed (cycle safe); anything else unchanged."""
    seen = set() if seen is None else seen
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if not ref.startswith(_DEFS_REF) or ref in seen:
            return node
        seen.add(ref)
        node = defs.get(ref[len(_DEFS_REF):], {})
    return node


def _properties(node: Any, defs: Mapping[str, Any], seen: set[int]) -> dict[str, list[Any]]:
    """Property name -> its schemas, from ``node`` and its ``allOf`` branches (refs followed)."""
    node = _deref(node, defs)
    found: dict[str, list[Any]] = {}
    if not isinstance(node, Mapping) or id(node) in seen:
        return found
    seen.add(id(node))
    props = node.get("properties")
    if isinstance(props, Mapping):
        for name, sub in props.items():
            found.setdefault(name, []).append(_deref(sub, defs))
    branches = node.get("allOf")
    if isinstance(branches, list):
        for branch in branches:
            for name, subs in _properties(branch, defs, seen).items():
                found.setdefault(name, []).extend(subs)
    return found


def _hidden(props: Mapping[str, list[Any]], direction: str | None) -> set[str]:
    flag = {"response": "writeOnly", "request": "readOnly"}.get(direction or "")
    if flag is None:
        return set()
    return {name for name, subs in props.items()
            if any(isinstance(s, Mapping) and s.get(flag) is True for s in subs)}


def _discriminated(node: Mapping[str, Any], out: dict[str, Any]) -> None:
    """Replace ``oneOf``/``anyOf`` of ``$ref``s under a ``discriminator`` by "the value of
    the property picks the schema" (``out`` is changed in place; left alone when the
    branches are not all local schema refs)."""
    disc = node.get("discriminator")
    if not isinstance(disc, Mapping) or not isinstance(disc.get("propertyName"), str):
        return
    key = "oneOf" if isinstance(out.get("oneOf"), list) else \
        "anyOf" if isinstance(out.get("anyOf"), list) else None
    if key is None:
        return
    refs = [b.get("$ref") if isinstance(b, Mapping) and len(b) == 1 else None for b in out[key]]
    if not refs or not all(isinstance(r, str) and r.startswith(_DEFS_REF) for r in refs):
        return
    prop = disc["propertyName"]
    targets: dict[str, str] = {}
    mapping = disc.get("mapping")
    for value, target in (mapping.items() if isinstance(mapping, Mapping) else ()):
        if not isinstance(target, str):
            return
        if target.startswith(_SCHEMA_REF):
            target = _DEFS_REF + target[len(_SCHEMA_REF):]
        elif not target.startswith("#"):
            target = _DEFS_REF + target
        if target not in refs:
            return
        targets[str(value)] = target
    mapped = set(targets.values())
    for ref in refs:
        if ref not in mapped:
            targets.setdefault(ref[len(_DEFS_REF):], ref)
    checks: list[Any] = [{"required": [prop]},
                         {"properties": {prop: {"enum": list(targets)}}}]
    checks += [{"if": {"properties": {prop: {"const": value}}, "required": [prop]},
                "then": {"$ref": ref}} for value, ref in targets.items()]
    del out[key]
    out["allOf"] = [*(out.get("allOf") or []), *checks]


def for_direction(node: Any, direction: str | None, defs: Mapping[str, Any],
                  context: Mapping[str, list[Any]] | None = None) -> Any:
    """A JSON Schema (refs as ``#/$defs/X``, see :func:`to_json_schema`) with the OAS rules
    above applied for ``direction`` (``"response"``, ``"request"`` or None); ``defs`` are the
    ``$defs`` its refs reach (read, not changed)."""
    if isinstance(node, list):
        return [for_direction(v, direction, defs) for v in node]
    if not isinstance(node, Mapping):
        return node
    own = _properties(node, defs, set())
    scope = {**(context or {})}
    for name, subs in own.items():
        scope[name] = [*scope.get(name, []), *subs]
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _SCHEMA_VALUES:
            out[key] = value
        elif key in _SCHEMA_MAPS and isinstance(value, Mapping):
            out[key] = {k: for_direction(v, direction, defs) for k, v in value.items()}
        elif key == "allOf" and isinstance(value, list):
            out[key] = [for_direction(v, direction, defs, scope) for v in value]
        else:
            out[key] = for_direction(value, direction, defs)
    required = out.get("required")
    if isinstance(required, list):
        hidden = _hidden(scope, direction)
        if hidden:
            out["required"] = [r for r in required if r not in hidden]
    _discriminated(node, out)
    return out


def self_contained(schema: Any, schemas: Mapping[str, Any], direction: str | None,
                   defs: Mapping[str, Any] | None = None) -> Any:
    """One validation document for an OAS ``schema`` whose refs point at
    ``#/components/schemas/X``: JSON Schema 2020-12 with ``schemas`` as ``$defs``, OAS rules
    applied for ``direction``. ``defs`` may pass :func:`direction_defs` computed once."""
    if defs is None:
        defs = direction_defs(schemas, direction)
    root = for_direction(to_json_schema(schema, refs_to_defs=True),
                         direction, _plain_defs(schemas))
    if not isinstance(root, dict):
        return root
    root = dict(root)
    root["$defs"] = {**defs, **(root.get("$defs") or {})}
    return root


def _plain_defs(schemas: Mapping[str, Any]) -> dict[str, Any]:
    return {k: to_json_schema(v, refs_to_defs=True) for k, v in schemas.items()}


def direction_defs(schemas: Mapping[str, Any], direction: str | None) -> dict[str, Any]:
    """``components.schemas`` as ``$defs`` with the OAS rules applied for ``direction``."""
    plain = _plain_defs(schemas)
    return {k: for_direction(v, direction, plain) for k, v in plain.items()}
