"""Merging ``allOf`` branches for the mock, and the schemas no value can satisfy.

:func:`merge_into` folds one branch into a flat schema the way ``allOf`` means it: every
branch holds, so lower bounds take the largest, upper bounds the smallest, enums intersect,
``multipleOf`` and ``pattern`` keep every value (as lists when they differ), ``required``
unites and types intersect. :func:`unsatisfiable` names why a flat schema admits no value
(an empty enum, a minimum above the maximum, ...), or gives None.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["merge_into", "unsatisfiable"]

_LOWER = ("minimum", "minLength", "minItems", "minProperties")
_UPPER = ("maximum", "maxLength", "maxItems", "maxProperties")
_ALL = ("pattern", "multipleOf")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def merge_into(merged: dict[str, Any], part: dict[str, Any]) -> None:
    """Fold the flat schema ``part`` (an ``allOf`` branch) into ``merged``."""
    for key, value in part.items():
        if key == "properties":
            props = merged.setdefault("properties", {})
            for name, entry in value.items():
                props[name] = entry  # a later (more specific) definition wins
        elif key == "required" and isinstance(value, list):
            merged["required"] = list(dict.fromkeys([*merged.get("required", []), *value]))
        elif key == "type" and "type" in merged:
            mine, theirs = merged["type"], value
            a = set(mine if isinstance(mine, list) else [mine])
            b = set(theirs if isinstance(theirs, list) else [theirs])
            both = [t for t in (mine if isinstance(mine, list) else [mine]) if t in b]
            if "integer" in a | b and "number" in a | b and not both:
                both = ["integer"]
            merged["type"] = both if len(both) != 1 else both[0]
        elif key not in merged:
            merged[key] = value
        elif key in _LOWER and _number(value) and _number(merged[key]):
            merged[key] = max(merged[key], value)
        elif key in _UPPER and _number(value) and _number(merged[key]):
            merged[key] = min(merged[key], value)
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and _number(value) and \
                _number(merged[key]):
            pick = max if key == "exclusiveMinimum" else min
            merged[key] = pick(merged[key], value)
        elif key == "enum" and isinstance(value, list) and isinstance(merged[key], list):
            theirs = {_key(v) for v in value}
            merged[key] = [v for v in merged[key] if _key(v) in theirs]
        elif key in _ALL:
            mine = merged[key] if isinstance(merged[key], list) else [merged[key]]
            if value not in mine:
                merged[key] = [*mine, value]
        elif key in ("uniqueItems", "writeOnly", "readOnly") and value is True:
            merged[key] = True
        elif key == "const" and _key(value) != _key(merged[key]):
            merged["enum"] = []  # two different constants: nothing fits


def unsatisfiable(s: dict[str, Any]) -> str | None:
    """Why no value fits the flat schema ``s`` (a short phrase), or None."""
    enum = s.get("enum")
    if isinstance(enum, list) and not enum:
        return "its enum values (intersected over allOf) leave none"
    if "const" in s and isinstance(enum, list) and _key(s["const"]) not in map(_key, enum):
        return "its const is not one of its enum values"
    t = s.get("type")
    if isinstance(t, list) and not t:
        return "its allOf branches declare types that have none in common"
    for low, high in zip(_LOWER, _UPPER, strict=True):
        if _number(s.get(low)) and _number(s.get(high)) and s[low] > s[high]:
            return f"{low} {s[low]} is above {high} {s[high]}"
    xlow, xhigh = s.get("exclusiveMinimum"), s.get("exclusiveMaximum")
    low = xlow if _number(xlow) else s.get("minimum")
    high = xhigh if _number(xhigh) else s.get("maximum")
    if _number(low) and _number(high) and low == high and (
            _number(xlow) or _number(xhigh) or xlow is True or xhigh is True):
        return f"its exclusive bounds ({low}) leave no number"
    required = s.get("required")
    props = s.get("properties")
    if s.get("additionalProperties") is False and isinstance(required, list) and \
            isinstance(props, dict):
        missing = [r for r in required if isinstance(r, str) and r not in props]
        if missing:
            return (f"it requires {', '.join(missing[:3])} but allows no property of that "
                    "name")
    if _number(s.get("maxProperties")) and isinstance(required, list) and \
            len(set(map(str, required))) > s["maxProperties"]:
        return f"it requires more properties than maxProperties {s['maxProperties']}"
    return None
