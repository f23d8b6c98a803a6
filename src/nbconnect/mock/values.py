"""Deterministic values from JSON schemas, for the mock's response bodies.

Valid schema examples and defaults first; then ``const``, the first ``enum`` value, ``format``
strings, strings from a ``pattern`` within ``minLength``/``maxLength`` (every pattern of an
``allOf``), numbers from ``minimum`` or 1 that are exact multiples of ``multipleOf``
(:mod:`.numbers`), arrays of 1-2 items (``minItems`` and distinct items for ``uniqueItems``),
objects with at least ``minProperties``, ``allOf`` merged with narrowing (:mod:`.narrowing`:
bounds tightened, enums intersected), ``oneOf``/``anyOf`` their first non-null option (for
``oneOf``, the next option whose value fits exactly one, or one told apart by a member only
another option forbids), nullable values not null. In a
response writeOnly properties are left out, in a request (``direction="request"``) readOnly
ones, required or not, and a string with neither pattern nor format looks like an identifier
(``orderId42``, safe in a URL). Recursive schemas recurse once, then optional parts are cut; past a
depth or a size budget only required parts are generated. Randomness comes from ``seed`` and
the value's place, so the same spec and seed always give the same values.

:func:`generate_value` is the public entry: a value for a schema inside a document (the
runner's ``generate=True`` uses it for parameters that have no value anywhere).
"""

from __future__ import annotations

import copy
import random
import re
from typing import Any

from ..spec.oas import Resolver, escape_token, is_oas30
from .narrowing import merge_into, unsatisfiable
from .numbers import number_value
from .patterns import FORMATS, from_pattern
from .validation import Validators

__all__ = ["ValueGenerator", "generate_value"]

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
        #: ``response`` leaves writeOnly properties out, ``request`` readOnly ones
        self.direction = "response"

    def generate(self, schema: Any, pointer: str, where: str, *,
                 direction: str = "response") -> Any:
        """A value for one response body (or request value); the size budget starts afresh."""
        self.budget = _BUDGET
        self.direction = direction
        return self.strip(self.value(schema, pointer, where), schema, pointer)

    def strip(self, value: Any, schema: Any, pointer: str, depth: int = 0) -> Any:
        """``value`` without the properties its schema leaves out in this direction
        (writeOnly ones in a response, readOnly ones in a request), at any depth; examples
        taken from the spec may carry them."""
        if depth > _HARD_DEPTH or not isinstance(value, dict | list):
            return value
        s, _ = self.flatten(schema, pointer, [])
        if isinstance(value, list):
            items = s.get("items")
            if not isinstance(items, dict):
                return value
            return [self.strip(v, items, s.get("__ptr_items", ""), depth + 1) for v in value]
        props = s.get("properties", {})
        out: dict[str, Any] = {}
        for key, item in value.items():
            entry = props.get(key)
            if entry is None:
                out[key] = item
                continue
            if self._left_out(self.doc.deref(entry[0], entry[1]).value):
                continue
            out[key] = self.strip(item, entry[0], entry[1], depth + 1)
        return out

    def problem(self, schema: Any, pointer: str) -> str | None:
        """Why no value fits ``schema`` (its top level, or a required property's, an item's
        of a non-empty array), or None; a phrase naming where."""
        return self._problem(schema, pointer, "", 0)

    def _pattern_problem(self, s: dict[str, Any]) -> str | None:
        """A pattern that has strings, but none within the length bounds."""
        if self.kind(s) not in (None, "string") or "pattern" not in s or \
                not ("minLength" in s or "maxLength" in s) or "enum" in s or "const" in s:
            return None
        patterns = s["pattern"] if isinstance(s["pattern"], list) else [s["pattern"]]
        low = s.get("minLength") if isinstance(s.get("minLength"), int) else 0
        high = s.get("maxLength") if isinstance(s.get("maxLength"), int) else None
        for pattern in patterns:
            if not isinstance(pattern, str) or from_pattern(pattern) is None:
                return None  # a pattern the mock cannot read: no verdict
            if from_pattern(pattern, min_length=low, max_length=high) is None and \
                    _fixed_length(pattern):
                bounds = f"{low}..{'' if high is None else high}"
                return f"its pattern {pattern} has no string of length {bounds}"
        return None

    def _problem(self, schema: Any, pointer: str, where: str, depth: int) -> str | None:
        if depth > 8:
            return None
        s, _ = self.flatten(schema, pointer, [])
        why = unsatisfiable(s) or self._pattern_problem(s)
        if why is not None:
            return f"{where or 'the body'}: {why}"
        if self.kind(s) == "array" and isinstance(s.get("items"), dict) and \
                isinstance(s.get("minItems"), int) and s["minItems"] > 0:
            return self._problem(s["items"], s.get("__ptr_items", ""), f"{where}[]", depth + 1)
        for name in s.get("required") or ():
            entry = s.get("properties", {}).get(name) if isinstance(name, str) else None
            if entry is not None:
                found = self._problem(entry[0], entry[1], f"{where}.{name}".lstrip("."),
                                      depth + 1)
                if found is not None:
                    return found
        return None

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
            merge_into(merged, part)
        return merged, examples

    def _first_option(self, options: list[Any], pointer: str) -> tuple[Any, str]:
        for i, option in enumerate(options):
            target = self.doc.deref(option, f"{pointer}/{i}").value
            if not (isinstance(target, dict) and target.get("type") == "null"):
                return option, f"{pointer}/{i}"
        return options[0], f"{pointer}/0"

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
              depth: int = 0, stack: tuple[str, ...] = (), variant: int = 0) -> Any:
        result = self._value(schema, pointer, where, name, depth, stack, None, variant)
        found = self.doc.deref(schema, pointer)
        target, target_pointer = found.value, found.pointer
        options = target.get("oneOf") if isinstance(target, dict) else None
        if isinstance(options, list) and len(options) > 1 and \
                not self.validators.is_valid(target_pointer, result):
            # the first option's value also fits another option: try the others
            tried = []
            for i in range(len(options)):
                other = self._value(schema, pointer, where, name, depth, stack,
                                    (f"{target_pointer}/oneOf", i), variant)
                if self.validators.is_valid(target_pointer, other):
                    return other
                tried.append(other)
            for i, other in enumerate(tried):  # options that overlap: tell them apart
                apart = self._apart(other, i, options, target_pointer)
                if apart is not None:
                    return apart
        return result

    def _apart(self, value: Any, i: int, options: list[Any], pointer: str) -> Any:
        """``value`` (valid for option ``i`` of the ``oneOf`` at ``pointer``) with members
        added that only another option forbids, so it is valid for exactly one (User and
        Group objects with no required member both accept ``{"login": "x"}``; adding Group's
        ``members: "x"``, which User leaves free, rules Group out); None when no such
        members are found."""
        valid = self.validators.is_valid
        if isinstance(value, int) and not isinstance(value, bool):  # number and integer
            return value + 0.5 if valid(pointer, value + 0.5) else None
        if not isinstance(value, dict) or not valid(f"{pointer}/oneOf/{i}", value):
            return None
        own, _ = self.flatten(options[i], f"{pointer}/oneOf/{i}", [])
        out = dict(value)
        for j, option in enumerate(options):
            if j == i or not valid(f"{pointer}/oneOf/{j}", out):
                continue
            other, _ = self.flatten(option, f"{pointer}/oneOf/{j}", [])
            for prop in other.get("properties", {}):
                if prop in own.get("properties", {}) or prop in out:
                    continue
                trial = next((t for t in ({**out, prop: w} for w in _WRONG)
                              if valid(f"{pointer}/oneOf/{i}", t)
                              and not valid(f"{pointer}/oneOf/{j}", t)), None)
                if trial is not None:
                    out = trial
                    break
        return out if valid(pointer, out) else None

    def _value(self, schema: Any, pointer: str, where: str, name: str, depth: int,
               stack: tuple[str, ...], choice: tuple[str, int] | None,
               variant: int = 0) -> Any:
        self.budget -= 1
        refs: list[str] = []
        s, examples = self.flatten(schema, pointer, refs, 0, choice)
        stack = stack + tuple(refs)
        if "const" in s:
            return s["const"]
        enum = s.get("enum")
        if isinstance(enum, list) and enum:
            real = [e for e in enum if e is not None]
            return real[variant % len(real)] if real else None
        if variant == 0:
            for example, example_pointer in examples:
                if example is not None and self.validators.is_valid(example_pointer,
                                                                    example):
                    return copy.deepcopy(example)
            if "default" in s and s["default"] is not None and self.validators.is_valid(
                    pointer, s["default"]):
                return copy.deepcopy(s["default"])
        kind = self.kind(s)
        if depth > _HARD_DEPTH:
            return None if self._nullable(s) else {"object": {}, "array": []}.get(kind or "")
        if kind == "object":
            return self._object(s, where, depth, stack, variant)
        if kind == "array":
            return self._array(s, pointer, where, name, depth, stack, variant)
        if kind == "integer":
            return number_value(s, integer=True, variant=variant)
        if kind == "number":
            return number_value(s, integer=False, variant=variant)
        if kind == "boolean":
            return variant % 2 == 0
        if kind == "null":
            return None
        return self._string(s, where, name, variant)

    def _recursive(self, schema: Any, pointer: str, stack: tuple[str, ...]) -> bool:
        """Would generating ``schema`` (or its items) re-enter a schema too often?"""
        refs: list[str] = []
        s, _ = self.flatten(schema, pointer, refs)
        if self.kind(s) == "array" and isinstance(s.get("items"), dict):
            self.flatten(s["items"], s.get("__ptr_items", ""), refs)
        return any(stack.count(r) > _MAX_RECURSION for r in refs)

    def _left_out(self, target: Any) -> bool:
        """writeOnly properties stay out of responses, readOnly ones out of requests."""
        flag = "writeOnly" if self.direction == "response" else "readOnly"
        return isinstance(target, dict) and target.get(flag) is True

    def _object(self, s: dict[str, Any], where: str, depth: int,
                stack: tuple[str, ...], variant: int = 0) -> dict[str, Any]:
        out: dict[str, Any] = {}
        required = set(s.get("required") or ())
        low = s.get("minProperties") if isinstance(s.get("minProperties"), int) else 0
        high = s.get("maxProperties") if isinstance(s.get("maxProperties"), int) else None
        optional: list[tuple[str, Any, str]] = []
        for name, entry in s.get("properties", {}).items():
            ps, pp = entry[0], entry[1]
            target = self.doc.deref(ps, pp).value
            is_required = name in required
            if self._left_out(target):
                continue
            if not is_required and (depth >= _SOFT_DEPTH or self.lean or
                                    self._recursive(ps, pp, stack)):
                optional.append((name, ps, pp))
                continue
            if not is_required and high is not None and len(out) >= high:
                continue
            out[name] = self.value(ps, pp, f"{where}.{name}", name, depth + 1, stack,
                                   variant if not out else 0)
        extra = s.get("additionalProperties")
        for name in s.get("required") or ():
            if name not in out and isinstance(name, str) and name not in s.get("properties", {}):
                if isinstance(extra, dict):
                    out[name] = self.value(extra, s.get("__ptr_additionalProperties", ""),
                                           f"{where}.{name}", name, depth + 1, stack)
                else:
                    out[name] = self._string({}, f"{where}.{name}", name)
        for name, ps, pp in optional:  # minProperties asks for more than the required
            if len(out) >= low:
                break
            out[name] = self.value(ps, pp, f"{where}.{name}", name, depth + 1, stack)
        if isinstance(extra, dict) and extra and ((not out and depth < _SOFT_DEPTH) or
                                                  len(out) < low):
            n = 0
            while n == 0 or len(out) < low:
                key = "key" if n == 0 else f"key{n + 1}"
                n += 1
                if key in out:
                    continue
                out[key] = self.value(extra, s.get("__ptr_additionalProperties", ""),
                                      f"{where}.{key}", "key", depth + 1, stack)
        elif extra is not False and not isinstance(extra, dict) and len(out) < low:
            while len(out) < low:
                key = f"key{len(out) + 1}"
                out[key] = self._string({}, f"{where}.{key}", key)
        return out

    def _array(self, s: dict[str, Any], pointer: str, where: str, name: str, depth: int,
               stack: tuple[str, ...], variant: int = 0) -> list[Any]:
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
        unique = s.get("uniqueItems") is True
        values: list[Any] = []
        for i in range(count):
            item = self.value(items, items_pointer, f"{where}[{i}]", name, depth + 1, stack,
                              variant if i == 0 else 0)
            if unique and item in values:
                if len(values) >= low:
                    break
                for other in range(1, 64):  # the next distinct value of the item schema
                    item = self.value(items, items_pointer, f"{where}[{i}]", name,
                                      depth + 1, stack, other + variant)
                    if item not in values:
                        break
            values.append(item)
        return values

    def _string(self, s: dict[str, Any], where: str, name: str, variant: int = 0) -> str:
        rng = self.rng(where if variant == 0 else f"{where}\0{variant}")
        fmt = s.get("format")
        patterns = s.get("pattern")
        patterns = [x for x in (patterns if isinstance(patterns, list) else [patterns])
                    if isinstance(x, str)]
        low = s.get("minLength") if isinstance(s.get("minLength"), int) else 0
        high = s.get("maxLength") if isinstance(s.get("maxLength"), int) else None
        text: str | None = None
        for first in patterns:  # each pattern in turn as the source, checked by all
            text = from_pattern(first, min_length=low, max_length=high, variant=variant)
            if text is not None and all(_search(other, text) for other in patterns):
                break
            text = None
        if text is None and patterns:
            text = from_pattern(patterns[0], variant=variant)  # best effort
        if text is None and isinstance(fmt, str) and fmt in FORMATS:
            text = FORMATS[fmt](rng)
            if variant and fmt in _VARIED:
                text = _VARIED[fmt](text, variant)
        if text is None and self.direction == "request":  # URL-safe, like an identifier
            label = re.sub(r"[^A-Za-z0-9]+", "", name) or "value"
            text = f"{label}{rng.randrange(1, 100)}"
        if text is None:
            label = re.sub(r"[^A-Za-z0-9]+", " ", name).strip() or "string"
            text = f"{label} {rng.randrange(1, 100)}"
        if len(text) < low:
            text = text + "x" * (low - len(text))
        if high is not None and len(text) > high:
            text = text[:high]
        return text


#: member values tried to rule an overlapping ``oneOf`` option out (one of them breaks it)
_WRONG: tuple[Any, ...] = ("x", 0, True, [], {}, None)


def _fixed_length(pattern: str) -> bool:
    """The pattern's strings all have one length (so a length it misses is impossible)."""
    try:
        import re._parser as p  # type: ignore[import-not-found]

        low, high = p.parse(pattern).getwidth()
    except Exception:
        return False
    return bool(low == high) and pattern.startswith("^") and pattern.endswith("$")


def _search(pattern: str, text: str) -> bool:
    from ..spec.oas.patterns import search

    found = search(pattern, text)
    return True if found is None else found


#: fixed format values made distinct for unique items (the n-th variant)
_VARIED = {
    "date-time": lambda text, n: f"2026-01-{1 + n % 28:02d}T09:{n // 28 % 60:02d}:00Z",
    "date": lambda text, n: f"2026-{1 + n // 28 % 12:02d}-{1 + n % 28:02d}",
    "time": lambda text, n: f"09:{n % 60:02d}:00Z",
    "uri": lambda text, n: f"{text}/{n}",
    "url": lambda text, n: f"{text}/{n}",
    "iri": lambda text, n: f"{text}/{n}",
    "uri-reference": lambda text, n: f"{text}/{n}",
    "hostname": lambda text, n: f"host{n}.{text}",
    "ipv4": lambda text, n: f"192.0.2.{1 + n % 254}",
    "ipv6": lambda text, n: f"2001:db8::{1 + n:x}",
    "password": lambda text, n: f"{text}-{n}",
    "json-pointer": lambda text, n: f"{text}/{n}",
}


def generate_value(schema: Any, *, document: dict[str, Any] | None = None, seed: int = 0,
                   direction: str = "response", where: str = "value") -> Any:
    """A value for ``schema`` by the mock's generator (the same rules and the same values).

    ``document`` is the OpenAPI document whose ``#/components/...`` references the schema
    may use (without one, only a self-contained schema); ``direction`` is ``response``
    (writeOnly properties left out) or ``request`` (readOnly ones left out); ``where``
    names the value's place, which seeds its random parts together with ``seed``.
    """
    doc = dict(document or {})
    doc["x-nbconnect-generate"] = schema
    oas30 = is_oas30(str(doc.get("openapi", "")))
    resolver = Resolver(doc)
    generator = ValueGenerator(resolver, Validators(doc, oas30), seed, oas30)
    return generator.generate(schema, "/x-nbconnect-generate", where, direction=direction)
