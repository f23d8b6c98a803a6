"""Deterministic values from JSON schemas, for the mock's response bodies.

Valid schema examples and defaults first; then ``const``, the first ``enum`` value, ``format``
strings, strings from a ``pattern``, integers from ``minimum`` or 1, arrays of 1-2 items,
``allOf`` merged, ``oneOf``/``anyOf`` their first non-null option (for ``oneOf``, the next
option whose value fits exactly one), nullable values not null, writeOnly properties left out.
Recursive schemas recurse once, then optional parts are cut; past a depth or a size budget only
required parts are generated. Randomness comes from ``seed`` and the value's place, so the same
spec and seed always give the same values.
"""

from __future__ import annotations

import copy
import random
import re
from typing import Any

from ..spec.oas import Resolver, escape_token
from .patterns import FORMATS, from_pattern
from .validation import Validators

__all__ = ["ValueGenerator"]

#: a schema may recurse this many times inside itself before optional parts are cut
_MAX_RECURSION = 1
#: past this nesting depth only required properties and minimal arrays are generated
_SOFT_DEPTH = 10
#: past this depth generation stops (a value that is as small as possible)
_HARD_DEPTH = 32
#: after this many generated values in one response only required parts are added
_BUDGET = 2000


class ValueGenerator:
    """Deterministic example values from schemas (see the module docstring)."""

    def __init__(self, doc: Resolver, validators: Validators, seed: int, oas30: bool) -> None:
        self.doc = doc
        self.validators = validators
        self.seed = seed
        self.oas30 = oas30
        self.budget = _BUDGET

    def generate(self, schema: Any, pointer: str, where: str) -> Any:
        """A value for one response body (the size budget starts afresh)."""
        self.budget = _BUDGET
        return self.value(schema, pointer, where)

    @property
    def lean(self) -> bool:
        return self.budget <= 0

    def rng(self, where: str) -> random.Random:
        return random.Random(f"{self.seed}\0{where}")

    # -- schema views --------------------------------------------------------------

    def flatten(self, schema: Any, pointer: str, refs: list[str], level: int = 0,
                choice: tuple[str, int] | None = None
                ) -> tuple[dict[str, Any], list[tuple[Any, str]]]:
        """Merge allOf (and the first oneOf/anyOf option) into one flat schema dict.

        Returns (merged, example candidates as (value, pointer of their schema)).
        ``refs`` collects the pointers of every ``$ref`` followed.
        """
        found = self.doc.deref(schema, pointer)
        schema, pointer = found.value, found.pointer
        refs.extend(found.pointers)
        if not isinstance(schema, dict) or level > 16:
            return {}, []
        merged: dict[str, Any] = {}
        examples: list[tuple[Any, str]] = []
        if "example" in schema:
            examples.append((schema["example"], pointer))
        if isinstance(schema.get("examples"), list) and schema["examples"]:
            examples.append((schema["examples"][0], pointer))
        props: dict[str, tuple[Any, str]] = {}
        for key, value in schema.items():
            if key in ("allOf", "oneOf", "anyOf", "$ref", "example", "examples"):
                continue
            if key == "properties" and isinstance(value, dict):
                for name, ps in value.items():
                    props[str(name)] = (ps, f"{pointer}/properties/{escape_token(str(name))}")
                continue
            merged[key] = value
            if isinstance(value, dict):
                merged["__ptr_" + key] = f"{pointer}/{key}"
        merged["properties"] = props
        subs: list[tuple[Any, str]] = []
        if isinstance(schema.get("allOf"), list):
            subs += [(s, f"{pointer}/allOf/{i}") for i, s in enumerate(schema["allOf"])]
        for key in ("oneOf", "anyOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                where = f"{pointer}/{key}"
                if choice is not None and choice[0] == where and choice[1] < len(options):
                    subs.append((options[choice[1]], f"{where}/{choice[1]}"))
                else:
                    subs.append(self._first_option(options, where))
        for sub, sub_pointer in subs:
            part, _ = self.flatten(sub, sub_pointer, refs, level + 1)
            self._merge_into(merged, part)
        return merged, examples

    def _first_option(self, options: list[Any], pointer: str) -> tuple[Any, str]:
        for i, option in enumerate(options):
            target = self.doc.deref(option, f"{pointer}/{i}").value
            if not (isinstance(target, dict) and target.get("type") == "null"):
                return option, f"{pointer}/{i}"
        return options[0], f"{pointer}/0"

    @staticmethod
    def _merge_into(merged: dict[str, Any], part: dict[str, Any]) -> None:
        for key, value in part.items():
            if key == "properties":
                props = merged.setdefault("properties", {})
                for name, entry in value.items():
                    props[name] = entry  # a later (more specific) definition wins
            elif key == "required" and isinstance(value, list):
                merged["required"] = list(dict.fromkeys([*merged.get("required", []),
                                                         *value]))
            elif key == "type" and "type" in merged:
                mine, theirs = merged["type"], value
                a = set(mine if isinstance(mine, list) else [mine])
                b = set(theirs if isinstance(theirs, list) else [theirs])
                both = [t for t in (mine if isinstance(mine, list) else [mine]) if t in b]
                if "integer" in a | b and "number" in a | b and not both:
                    both = ["integer"]
                merged["type"] = both if len(both) != 1 else both[0]
            else:
                merged.setdefault(key, value)

    def kind(self, s: dict[str, Any]) -> str | None:
        t = s.get("type")
        kinds = t if isinstance(t, list) else [t]
        real = [k for k in kinds if isinstance(k, str) and k != "null"]
        if real:
            return "integer" if "integer" in real and "number" in real else real[0]
        if "null" in kinds:
            return "null"
        if s.get("properties") or "required" in s or "additionalProperties" in s:
            return "object"
        if "items" in s:
            return "array"
        return None

    def _nullable(self, s: dict[str, Any]) -> bool:
        t = s.get("type")
        return s.get("nullable") is True or t == "null" or (isinstance(t, list) and "null" in t)

    # -- values --------------------------------------------------------------------

    def value(self, schema: Any, pointer: str, where: str, name: str = "",
              depth: int = 0, stack: tuple[str, ...] = ()) -> Any:
        result = self._value(schema, pointer, where, name, depth, stack, None)
        found = self.doc.deref(schema, pointer)
        target, target_pointer = found.value, found.pointer
        options = target.get("oneOf") if isinstance(target, dict) else None
        if isinstance(options, list) and len(options) > 1 and \
                not self.validators.is_valid(target_pointer, result):
            # the first option's value also fits another option: try the others
            for i in range(len(options)):
                other = self._value(schema, pointer, where, name, depth, stack,
                                    (f"{target_pointer}/oneOf", i))
                if self.validators.is_valid(target_pointer, other):
                    return other
        return result

    def _value(self, schema: Any, pointer: str, where: str, name: str, depth: int,
               stack: tuple[str, ...], choice: tuple[str, int] | None) -> Any:
        self.budget -= 1
        refs: list[str] = []
        s, examples = self.flatten(schema, pointer, refs, 0, choice)
        stack = stack + tuple(refs)
        if "const" in s:
            return s["const"]
        enum = s.get("enum")
        if isinstance(enum, list) and enum:
            real = [e for e in enum if e is not None]
            return real[0] if real else None
        for example, example_pointer in examples:
            if example is not None and self.validators.is_valid(example_pointer, example):
                return copy.deepcopy(example)
        if "default" in s and s["default"] is not None and self.validators.is_valid(
                pointer, s["default"]):
            return copy.deepcopy(s["default"])
        kind = self.kind(s)
        if depth > _HARD_DEPTH:
            return None if self._nullable(s) else {"object": {}, "array": []}.get(kind or "")
        if kind == "object":
            return self._object(s, where, depth, stack)
        if kind == "array":
            return self._array(s, pointer, where, name, depth, stack)
        if kind == "integer":
            return self._number(s, integer=True)
        if kind == "number":
            return self._number(s, integer=False)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return self._string(s, where, name)

    def _recursive(self, schema: Any, pointer: str, stack: tuple[str, ...]) -> bool:
        """Would generating ``schema`` (or its items) re-enter a schema too often?"""
        refs: list[str] = []
        s, _ = self.flatten(schema, pointer, refs)
        if self.kind(s) == "array" and isinstance(s.get("items"), dict):
            self.flatten(s["items"], s.get("__ptr_items", ""), refs)
        return any(stack.count(r) > _MAX_RECURSION for r in refs)

    def _object(self, s: dict[str, Any], where: str, depth: int,
                stack: tuple[str, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        required = set(s.get("required") or ())
        for name, entry in s.get("properties", {}).items():
            ps, pp = entry[0], entry[1]
            target = self.doc.deref(ps, pp).value
            is_required = name in required
            if isinstance(target, dict) and target.get("writeOnly") is True \
                    and not is_required:
                continue
            if not is_required and (depth >= _SOFT_DEPTH or self.lean or
                                    self._recursive(ps, pp, stack)):
                continue
            out[name] = self.value(ps, pp, f"{where}.{name}", name, depth + 1, stack)
        for name in s.get("required") or ():
            if name not in out and isinstance(name, str):
                extra = s.get("additionalProperties")
                if isinstance(extra, dict):
                    out[name] = self.value(extra, s.get("__ptr_additionalProperties", ""),
                                           f"{where}.{name}", name, depth + 1, stack)
                else:
                    out[name] = self._string({}, f"{where}.{name}", name)
        extra = s.get("additionalProperties")
        if not out and isinstance(extra, dict) and extra and depth < _SOFT_DEPTH:
            out["key"] = self.value(extra, s.get("__ptr_additionalProperties", ""),
                                    f"{where}.key", "key", depth + 1, stack)
        return out

    def _array(self, s: dict[str, Any], pointer: str, where: str, name: str, depth: int,
               stack: tuple[str, ...]) -> list[Any]:
        low = s.get("minItems") if isinstance(s.get("minItems"), int) else 0
        high = s.get("maxItems") if isinstance(s.get("maxItems"), int) else None
        items = s.get("items") if isinstance(s.get("items"), dict) else {}
        items_pointer = s.get("__ptr_items", "")
        if depth >= _SOFT_DEPTH or self.lean or self._recursive(items, items_pointer, stack):
            count = low
        else:
            count = max(low, 1 + self.rng(where).randrange(2))
        if high is not None:
            count = min(count, high)
        values: list[Any] = []
        for i in range(count):
            item = self.value(items, items_pointer, f"{where}[{i}]", name, depth + 1, stack)
            if s.get("uniqueItems") is True and item in values and len(values) >= low:
                break
            values.append(item)
        return values

    @staticmethod
    def _number(s: dict[str, Any], *, integer: bool) -> int | float:
        import math

        low = s.get("minimum")
        high = s.get("maximum")
        xlow, xhigh = s.get("exclusiveMinimum"), s.get("exclusiveMaximum")
        step = s.get("multipleOf")
        value: float = 1 if integer else 1.5
        if isinstance(low, int | float) and not isinstance(low, bool):
            value = low
            if xlow is True:
                value = low + (1 if integer else 0.5)
        if isinstance(xlow, int | float) and not isinstance(xlow, bool) and value <= xlow:
            value = xlow + (1 if integer else 0.5)
        if isinstance(high, int | float) and not isinstance(high, bool) and value > high:
            value = high if xhigh is not True else high - (1 if integer else 0.5)
        if isinstance(xhigh, int | float) and not isinstance(xhigh, bool) and value >= xhigh:
            value = xhigh - (1 if integer else 0.5)
        if isinstance(step, int | float) and not isinstance(step, bool) and step > 0:
            value = math.ceil(value / step) * step
            if isinstance(high, int | float) and value > high:
                value = math.floor(high / step) * step
        if integer:
            return math.ceil(value)
        return float(value)

    def _string(self, s: dict[str, Any], where: str, name: str) -> str:
        rng = self.rng(where)
        fmt = s.get("format")
        pattern = s.get("pattern")
        text: str | None = None
        if isinstance(pattern, str):
            text = from_pattern(pattern)
        if text is None and isinstance(fmt, str) and fmt in FORMATS:
            text = FORMATS[fmt](rng)
        if text is None:
            label = re.sub(r"[^A-Za-z0-9]+", " ", name).strip() or "string"
            text = f"{label} {rng.randrange(1, 100)}"
        low = s.get("minLength") if isinstance(s.get("minLength"), int) else 0
        high = s.get("maxLength") if isinstance(s.get("maxLength"), int) else None
        if len(text) < low:
            text = text + "x" * (low - len(text))
        if high is not None and len(text) > high:
            text = text[:high]
        return text

