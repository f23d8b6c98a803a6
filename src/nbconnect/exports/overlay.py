"""Export the response changes accepted from ``pull`` as an OpenAPI Overlay 1.0 document.

An Overlay (OpenAPI Initiative, Overlay Specification 1.0.0) is a list of actions, each a
JSONPath ``target`` (RFC 9535, written here as normalized paths, §2.7) in the document it
overlays, with an ``update`` merged into what it selects or ``remove: true``. The spec's owner
applies it to the spec the connector was imported from, so the fix goes back where it
belongs.

:func:`to_overlay` looks at every imported endpoint whose response schema was written by
``pull --accept`` (marked ``x-nbconnect-pulled: {"declared": <schema before>}``) and compares
the declared schema with the accepted one, following local ``$ref``\\ s into
``components.schemas`` (so a fix lands in the shared component, where the spec declares
it), and writes the smallest actions that turn one into the other:

* a property returned but not in the spec: ``update`` its ``properties`` with the new one;
* a type or nullability that changed: ``update`` the property's ``type`` (and ``nullable``);
* ``required`` that changed (a field some response left out; a new required field):
  ``remove`` the old list, ``update`` with the new one;
* array items: compared the same way, under ``items``.

An ``allOf`` is read as the object it combines: a change goes to the member that declares
the property, a new property to the last member with properties. A declared schema built
with ``oneOf``/``anyOf`` where a change is needed gets the accepted schema merged in (one
``update``, said in its description); an endpoint that
declared no schema gets its response's content. Schemas are written in the spec's dialect:
OAS 3.1 (``type: [T, "null"]``) or 3.0 (``nullable: true``), guessed from the imported
schemas (``nullable`` anywhere means 3.0) unless ``dialect`` is given. The output is
deterministic (endpoint order; an action two endpoints share appears once). Fields dropped
on accept are not removed from the spec: dropping says what the connector keeps, not that
the API lacks the field.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..errors import ExportError
from ..model import Connector
from ..spec.oas.refs import unescape_token

__all__ = ["OVERLAY_VERSION", "to_overlay", "write_overlay"]

OVERLAY_VERSION = "1.0.0"
_MARK = "x-nbconnect-pulled"
_REF = "#/components/schemas/"


def _name(text: str) -> str:
    """A name selector in RFC 9535 §2.3.1 form: ``['...']`` with ``\\`` and ``'`` escaped."""
    return "['" + text.replace("\\", "\\\\").replace("'", "\\'") + "']"


def _as_30(node: Any) -> Any:
    """An OAS 3.1 schema written for OAS 3.0: type lists with null become ``nullable``."""
    if isinstance(node, list):
        return [_as_30(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "type" and isinstance(value, list):
            kinds = [k for k in value if k != "null"]
            if len(kinds) == 1:
                out["type"] = kinds[0]
            if "null" in value:
                out["nullable"] = True
        else:
            out[key] = _as_30(value)
    return out


def _guess_dialect(connector: Connector) -> str:
    """``"3.0"`` when an imported schema uses ``nullable``, else ``"3.1"``."""
    work: list[Any] = [connector.schemas]
    work += [ep.response_schema for ep in connector.endpoints]
    while work:
        node = work.pop()
        if isinstance(node, dict):
            if "nullable" in node and not isinstance(node.get("nullable"), dict):
                return "3.0"
            work.extend(node.values())
        elif isinstance(node, list):
            work.extend(node)
    return "3.1"


def _types(schema: dict[str, Any]) -> tuple[set[str], bool]:
    """(the non-null types a schema allows, whether it allows null); an untyped schema with
    properties is an object, with items an array."""
    t = schema.get("type")
    kinds = set(t) if isinstance(t, list) else {t} if isinstance(t, str) else set()
    null = "null" in kinds or schema.get("nullable") is True
    kinds.discard("null")
    if not kinds and "properties" in schema:
        kinds = {"object"}
    elif not kinds and "items" in schema:
        kinds = {"array"}
    return kinds, null


class _Differ:
    """Actions that turn declared schemas into accepted ones (see the module docstring)."""

    def __init__(self, connector: Connector, dialect: str, endpoint: str) -> None:
        self.schemas = connector.schemas
        self.dialect = dialect
        self.endpoint = endpoint
        self.actions: list[dict[str, Any]] = []

    def out(self, schema: Any) -> Any:
        return _as_30(schema) if self.dialect == "3.0" else schema

    def update(self, target: str, value: Any, what: str) -> None:
        self.actions.append({"target": target, "description": f"{self.endpoint}: {what}",
                             "update": value})

    def remove(self, target: str, what: str) -> None:
        self.actions.append({"target": target, "description": f"{self.endpoint}: {what}",
                             "remove": True})

    def resolve(self, node: Any, path: str, seen: set[str]) -> tuple[Any, str]:
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if not ref.startswith(_REF):
                return None, path
            name = unescape_token(ref[len(_REF):])
            if name in seen:
                return None, path  # a recursive structure: compared once
            seen.add(name)
            node, path = self.schemas.get(name), f"$.components.schemas{_name(name)}"
        return node, path

    def diff(self, declared: Any, path: str, new: Any, seen: set[str]) -> None:
        declared, path = self.resolve(declared, path, seen)
        if not isinstance(declared, dict) or not isinstance(new, dict):
            return
        if "allOf" in declared and not any(k in declared for k in ("oneOf", "anyOf")):
            members = self.members(declared, path, seen)
            if "object" in _types(new)[0] and isinstance(new.get("properties"), dict) \
                    and members:
                self.merged_properties(members, new, seen)
                return
        if any(k in declared for k in ("allOf", "oneOf", "anyOf")):
            if json.dumps(new, sort_keys=True) != json.dumps(declared, sort_keys=True):
                self.update(path, self.out(new), "the schema as returned, merged into a "
                            "schema built from subschemas (check it by hand)")
            return
        d_kinds, d_null = _types(declared)
        n_kinds, n_null = _types(new)
        if n_kinds and d_kinds and not n_kinds <= (d_kinds | ({"integer"} if "number" in
                                                              d_kinds else set())):
            kinds = sorted(n_kinds)
            self.update(path, self.out({"type": (kinds[0] if len(kinds) == 1 else kinds)
                                        if not (n_null or d_null) else [*kinds, "null"]}),
                        f"returned as {', '.join(kinds)}")
        elif n_null and not d_null and d_kinds:
            kinds = sorted(d_kinds)
            self.update(path, self.out({"type": [*kinds, "null"]}), "returned as null too")
        if "object" in n_kinds and isinstance(new.get("properties"), dict):
            self.properties(declared, path, new, seen)
        if "array" in n_kinds and isinstance(new.get("items"), dict):
            if "items" in declared:
                self.diff(declared["items"], f"{path}.items", new["items"], seen)
            elif new["items"]:
                self.update(path, {"items": self.out(new["items"])}, "the items as returned")

    def members(self, declared: dict[str, Any], path: str,
                seen: set[str]) -> list[tuple[dict[str, Any], str]]:
        """The object schemas an ``allOf`` combines (nested ``allOf`` flattened), each with
        its path."""
        out: list[tuple[dict[str, Any], str]] = []
        work = [(declared, path)]
        while work:
            node, here = work.pop(0)
            subs = node.get("allOf")
            if not isinstance(subs, list):
                out.append((node, here))
                continue
            if any(k in node for k in ("properties", "required")):
                out.append((node, here))
            for i, sub in enumerate(subs):
                resolved, where = self.resolve(sub, f"{here}.allOf[{i}]", seen)
                if isinstance(resolved, dict):
                    work.append((resolved, where))
        return out

    def merged_properties(self, members: list[tuple[dict[str, Any], str]],
                          new: dict[str, Any], seen: set[str]) -> None:
        """Properties and ``required`` of an ``allOf``: each change goes to the member that
        declares the property; a new property to the last member that has properties."""
        owner: dict[str, tuple[dict[str, Any], str]] = {}
        for member, where in members:
            for name in member.get("properties") or {}:
                owner.setdefault(name, (member, where))
        target = next((m for m in reversed(members) if "properties" in m[0]), members[-1])
        props = new["properties"]
        n_req = list(new.get("required") or ())
        added_required = []
        for name, sub in props.items():
            if name in owner:
                member, where = owner[name]
                self.diff(member["properties"][name], f"{where}.properties{_name(name)}",
                          sub, set(seen))
                continue
            if "properties" in target[0]:
                self.update(f"{target[1]}.properties", {name: self.out(sub)},
                            f"{name} is returned but not in the spec")
            else:
                self.update(target[1], {"properties": {name: self.out(sub)}},
                            f"{name} is returned but not in the spec")
            if name in n_req:
                added_required.append(name)
        for member, where in members:
            old = list(member.get("required") or ())
            kept = [r for r in old if r in n_req or r not in props]
            if where == target[1]:
                kept += [r for r in added_required if r not in kept]
            self.required(where, old, kept)

    def properties(self, declared: dict[str, Any], path: str, new: dict[str, Any],
                   seen: set[str]) -> None:
        d_props = declared.get("properties") if isinstance(declared.get("properties"),
                                                           dict) else {}
        for name, sub in new["properties"].items():
            if name in d_props:
                self.diff(d_props[name], f"{path}.properties{_name(name)}", sub, set(seen))
            elif "properties" in declared:
                self.update(f"{path}.properties", {name: self.out(sub)},
                            f"{name} is returned but not in the spec")
            else:
                self.update(path, {"properties": {name: self.out(sub)}},
                            f"{name} is returned but not in the spec")
        n_req = list(new.get("required") or ())
        old = list(declared.get("required") or ())
        kept = [r for r in old if r in n_req or r not in new["properties"]]
        kept += [r for r in n_req if r not in d_props and r not in kept]
        self.required(path, old, kept)

    def required(self, path: str, old: list[str], kept: list[str]) -> None:
        """Replace the ``required`` list at ``path`` when it changed (Overlay 1.0 appends to
        an array on update, so the old list is removed first)."""
        if kept == old:
            return
        if old:
            self.remove(f"{path}.required", "required fields as returned (old list)")
        if kept:
            self.update(path, {"required": kept}, "required fields as returned")


def _endpoint_actions(connector: Connector, ep: Any, dialect: str) -> list[dict[str, Any]]:
    schema = ep.response_schema
    mark = schema.get(_MARK)
    declared = mark.get("declared") if isinstance(mark, dict) else None
    new = {k: v for k, v in schema.items() if k != _MARK}
    status = ep.response_status or "200"
    media = ep.response_content_type or "application/json"
    response = f"$.paths{_name(ep.path)}.{ep.method.lower()}.responses{_name(status)}"
    differ = _Differ(connector, dialect, ep.id)
    if declared is None:
        differ.update(response, {"content": {media: {"schema": differ.out(new)}}},
                      f"the {status} response as the API returns it")
    else:
        differ.diff(declared, f"{response}.content{_name(media)}.schema", new, set())
    return differ.actions


def to_overlay(connector: Connector, *, dialect: str | None = None) -> dict[str, Any]:
    """The Overlay 1.0 document of the accepted pulled responses of ``connector``.

    ``dialect``: ``"3.0"`` or ``"3.1"`` (default: guessed from the imported schemas).
    Raises :class:`~nbconnect.errors.ExportError` when no imported endpoint has an accepted
    pulled response that differs from its spec (an Overlay needs at least one action) or
    ``dialect`` is not 3.0/3.1.
    """
    if dialect is None:
        dialect = _guess_dialect(connector)
    if dialect not in ("3.0", "3.1"):
        raise ExportError(f"The schema dialect {dialect!r} is not 3.0 or 3.1; pick one.",
                          option="dialect")
    actions: list[dict[str, Any]] = []
    seen: set[str] = set()
    for ep in connector.endpoints:
        schema = ep.response_schema
        if ep.source != "openapi" or not isinstance(schema, dict) or not schema.get(_MARK):
            continue
        for action in _endpoint_actions(connector, ep, dialect):
            key = json.dumps({k: action[k] for k in action if k != "description"},
                             sort_keys=True)
            if key not in seen:
                seen.add(key)
                actions.append(action)
    if not actions:
        raise ExportError(f"Connector {connector.name!r} has no accepted pulled response of "
                          "an imported endpoint that differs from its spec, so there is "
                          "nothing for an Overlay to say; pull an endpoint and accept the "
                          "result first.")
    return {
        "overlay": OVERLAY_VERSION,
        "info": {"title": f"{connector.name}: response schemas learned from real responses",
                 "version": "1.0.0"},
        "actions": actions,
    }


def write_overlay(connector: Connector, path: str | os.PathLike[str], *,
                  dialect: str | None = None) -> Path:
    """Write :func:`to_overlay` as JSON to ``path`` (atomically); return the path. Raises
    :class:`~nbconnect.errors.ExportError` for a folder or a missing parent folder (and as
    :func:`to_overlay` does); nothing is written then."""
    target = Path(os.fspath(path)).expanduser()
    if target.is_dir():
        raise ExportError(f"{target} is a directory; give a file path such as "
                          f"{target / 'overlay.json'}.", option="output")
    if not target.parent.is_dir():
        raise ExportError(f"The folder {target.parent} does not exist; create it first or "
                          "pick another path.", option="output")
    doc = to_overlay(connector, dialect=dialect)
    from ..package.format import write_atomic

    data = (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return write_atomic(target, data)
