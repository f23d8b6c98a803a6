"""The mock API: serve every operation of an OpenAPI 3.0/3.1 spec from deterministic data.

:func:`mock_app` turns a source into a starlette ASGI app; :class:`MockServer` runs it
under uvicorn on loopback in a background thread (plain http, or https with a trustme
certificate); :func:`serve` runs it in the foreground for ``nbconnect mock``.

The source is a spec (file path, text, bytes or an already parsed ``dict``; read with
:mod:`nbconnect.spec.reading`, never following a remote or file ``$ref``), a
:class:`~nbconnect.model.Connector` (its :func:`~nbconnect.spec.writer.to_openapi`
document) or a connector package (a directory or ``.zip``, read with
:func:`nbconnect.package.load`).

What the mock does with a request, in this order:

1. **Route.** Operations are served under the path of the spec's first server URL (the
   demo's ``https://tasks.example.com/{version}`` gives ``/v1``). A path template matches
   one segment per ``{param}``; routes with fewer parameters and more literal text win
   (``/users/me`` before ``/users/{id}``). A ``#fragment`` in a path key is ignored. A
   ``?k=v`` in a path key is part of the match: the operation is chosen when the request
   has ``k=v`` or no ``k`` at all (the value is the key's default), never when it has
   another ``k``; of several such keys the one with the most equal values wins. Unknown
   paths get 404 and known paths with another method 405, as JSON.
2. **Security**, as the spec says: the operation's ``security`` or else the global one;
   alternatives are OR-ed, the schemes inside one requirement AND-ed, ``{}`` allows
   anonymous calls. apiKey (header, query or cookie), http basic and bearer (other http
   schemes: any ``Authorization`` with that scheme), oauth2 and openIdConnect (a bearer
   token); mutualTLS is not checked. Without ``credentials`` any non-empty credential
   of the right shape passes; ``credentials={"apiKey": "k-123"}`` (scheme name ->
   expected value) makes a wrong value fail too. Failure: 401 JSON with a
   ``WWW-Authenticate`` challenge per scheme. Expected values never appear in responses,
   reprs or messages.
3. **Parameters**: path parameters are converted by their schema's type and checked
   against the schema (an integer given ``abc`` is a 400 naming the parameter); required
   query, header and cookie parameters must be present and present ones must match their
   schemas (400).
4. **Body**: a JSON request body must parse (400); a required body must be there (400).
   Bodies are not checked against their schema.
5. **Response**: the success status (for POST 201 when declared, else the lowest 2xx,
   else 200; 204 and responses without content have no body). The body is the success
   media's ``example`` or first of ``examples`` that is valid under the media's schema
   (an example that breaks the spec's own schema is skipped), else values generated from
   the schema, deterministically from ``seed``: schema examples that are valid; ``format``
   strings (date-time and date fixed, email and uuid from the seed, uri, ipv4, ...);
   strings from a ``pattern`` when one is given; the first ``enum`` value; ``const``;
   integers from ``minimum`` or 1; arrays of 1-2 items; ``allOf`` merged; ``oneOf``/
   ``anyOf`` their first non-null option (for ``oneOf``, the next option whose value fits
   exactly one; options that overlap completely cannot be told apart and the first is
   served); nullable values not null; writeOnly properties left out; recursive schemas
   recurse once, then optional parts are cut; past a depth or a size budget only required
   parts are generated. Responses do not depend on the request, so the same request
   always gives the same bytes (each operation's body is made once and kept).

OAuth2: every ``tokenUrl`` of an oauth2 scheme's flows is served at its **path** (the
demo's ``https://tasks.example.com/oauth/token`` at ``/oauth/token``; a relative
``tokenUrl`` is taken relative to the server URL) and issues a bearer token for the
``client_credentials``, ``password`` and ``refresh_token`` grants (client id and secret
by Basic auth, raw or form-encoded, or in the form). With ``credentials={"oauth2":
{"client_id": "app", "client_secret": "..."}}`` only that client gets a token and only
the tokens the mock issued are accepted; a plain string is the one bearer token both
issued and accepted.

starlette and uvicorn (and trustme for ``tls=True``) are imported when a mock is built.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import hashlib
import hmac
import json
import os
import random
import re
import shutil
import socket
import ssl
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, unquote_plus, urljoin, urlsplit

from ..errors import AuthConfigError, MockError, SpecSourceError, clip

__all__ = ["MockServer", "mock_app", "serve"]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
#: a schema may recurse this many times inside itself before optional parts are cut
_MAX_RECURSION = 1
#: past this nesting depth only required properties and minimal arrays are generated
_SOFT_DEPTH = 10
#: past this depth generation stops (a value that is as small as possible)
_HARD_DEPTH = 32
#: after this many generated values in one response only required parts are added
_BUDGET = 2000
_FIXED_DATE_TIME = "2026-01-01T09:00:00Z"
_FIXED_DATE = "2026-01-01"
_TOKEN_LIFETIME = 3600
_IGNORED_HEADERS = ("accept", "content-type", "authorization")
_JSON_RE = re.compile(r"^application/(?:[\w.+-]+\+)?json$|/json$|\+json$")


# --------------------------------------------------------------------------- source


def _load_source(source: Any) -> tuple[dict[str, Any], str]:
    """(OpenAPI document, origin) from any accepted source."""
    from ..model import Connector

    if isinstance(source, Connector):
        return _connector_doc(source), f"connector {source.name!r}"
    if isinstance(source, Mapping):
        return copy.deepcopy(dict(source)), "document"
    if isinstance(source, str | os.PathLike) and not (isinstance(source, str) and (
            "\n" in source or source.lstrip()[:1] in ("{", "[") or "://" in source)):
        text = os.fspath(source).strip()
        if not text:
            raise SpecSourceError("The mock's source is empty; give a spec file, spec text, a "
                                  "connector package or a Connector.")
        path = Path(text).expanduser()
        if path.is_dir() or (path.suffix.lower() == ".zip" and path.is_file()):
            from ..package.format import load

            connector = load(path)
            return _connector_doc(connector), str(path)
    if isinstance(source, str | bytes | bytearray | os.PathLike):
        from ..spec.reading import load_document

        loaded = load_document(source)
        return loaded.document, loaded.origin
    raise SpecSourceError(f"Cannot mock a {type(source).__name__}; give a spec path, spec "
                          "text, a parsed spec dict, a connector package path or a Connector.")


def _connector_doc(connector: Any) -> dict[str, Any]:
    from ..spec.writer import to_openapi

    return copy.deepcopy(to_openapi(connector))


def _check_document(doc: dict[str, Any], origin: str) -> None:
    """Version check and the importer's $ref safety checks (non-local refs refused)."""
    from ..spec.importer import check_document

    check_document(doc, origin)


# --------------------------------------------------------------------------- pointers


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _tokens(pointer: str) -> list[str]:
    if not pointer:
        return []
    return [unquote(t).replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


_MISSING = object()


class _Doc:
    """The document with JSON-pointer bookkeeping: every value is found with its pointer."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def at(self, pointer: str) -> Any:
        node: Any = self.doc
        for tok in _tokens(pointer):
            if isinstance(node, dict) and tok in node:
                node = node[tok]
            elif isinstance(node, list) and tok.isdigit() and int(tok) < len(node):
                node = node[int(tok)]
            else:
                return _MISSING
        return node

    def deref(self, obj: Any, pointer: str) -> tuple[Any, str, list[str]]:
        """Follow local ``$ref``s: (target, its pointer, pointers of the refs followed)."""
        seen: list[str] = []
        while isinstance(obj, dict) and isinstance(obj.get("$ref"), str):
            ref = obj["$ref"]
            if not ref.startswith("#") or ref[1:] in seen or len(seen) > 64:
                return {}, pointer, seen
            target = self.at(ref[1:])
            if target is _MISSING:
                return {}, pointer, seen
            pointer = ref[1:]
            seen.append(pointer)
            obj = target
        return obj, pointer, seen


# --------------------------------------------------------------------------- validation


class _Validators:
    """OAS 3.0/3.1 schema validators by JSON pointer (refs resolve inside the document)."""

    URI = "urn:nbconnect:mock-spec"

    def __init__(self, doc: dict[str, Any], oas30: bool) -> None:
        self.doc = doc
        self.oas30 = oas30
        self._cache: dict[str, Any] = {}
        self._registry: Any = None
        self._lock = threading.Lock()

    def get(self, pointer: str) -> Any:
        with self._lock:
            hit = self._cache.get(pointer)
            if hit is not None:
                return hit
            from openapi_schema_validator import OAS30Validator, OAS31Validator

            if self._registry is None:
                from referencing import Registry
                from referencing.jsonschema import DRAFT4, DRAFT202012

                spec = DRAFT4 if self.oas30 else DRAFT202012
                self._registry = Registry().with_resource(self.URI,
                                                          spec.create_resource(self.doc))
            cls = OAS30Validator if self.oas30 else OAS31Validator
            validator = cls({"$ref": f"{self.URI}#{quote(pointer, safe='/~')}"},
                            registry=self._registry)
            self._cache[pointer] = validator
            return validator

    def first_error(self, pointer: str, value: Any) -> str | None:
        """The first validation error's message, or None when ``value`` is valid."""
        try:
            for err in self.get(pointer).iter_errors(value):
                return str(err.message)
        except Exception:  # an unresolvable or odd schema: do not block the mock
            return None
        return None

    def is_valid(self, pointer: str, value: Any) -> bool:
        if not pointer:
            return False
        try:
            return bool(self.get(pointer).is_valid(value))
        except Exception:
            return False


# --------------------------------------------------------------------------- generation


def _from_pattern(pattern: str) -> str | None:
    """A short string matching the regular expression ``pattern`` (None if unsure)."""
    try:
        import re._constants as c  # type: ignore[import-not-found]
        import re._parser as p  # type: ignore[import-not-found]

        tree = p.parse(pattern)
    except Exception:
        return None
    out: list[str] = []

    def pick(items: Any) -> str:
        negate = False
        for op, av in items:
            if op is c.NEGATE:
                negate = True
            elif not negate:
                if op is c.LITERAL:
                    return chr(av)
                if op is c.RANGE:
                    return chr(av[0])
                if op is c.CATEGORY:
                    return {c.CATEGORY_DIGIT: "0", c.CATEGORY_SPACE: " "}.get(av, "a")
        for cand in "aA0_-x":
            if re.fullmatch(p_set, cand):
                return cand
        return "a"

    def emit(items: Any, budget: list[int]) -> None:
        nonlocal p_set
        for op, av in items:
            budget[0] -= 1
            if budget[0] < 0:
                raise ValueError("pattern too complex")
            if op is c.LITERAL:
                out.append(chr(av))
            elif op is c.NOT_LITERAL:
                out.append("a" if av != ord("a") else "b")
            elif op is c.ANY:
                out.append("a")
            elif op is c.IN:
                p_set = "[" + "".join(_set_source(av, c)) + "]"
                out.append(pick(av))
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
                lo, hi, sub = av
                for _ in range(min(max(lo, 1), hi, 64)):
                    emit(sub, budget)
            elif op is c.SUBPATTERN:
                emit(av[-1], budget)
            elif op is getattr(c, "ATOMIC_GROUP", None):
                emit(av, budget)
            elif op is c.BRANCH:
                emit(av[1][0], budget)
            elif op in (c.AT, c.ASSERT, c.ASSERT_NOT):
                continue
            else:
                raise ValueError("unsupported")

    p_set = ""
    try:
        emit(tree, [512])
    except (ValueError, TypeError, OverflowError):
        return None
    text = "".join(out)
    try:
        return text if re.search(pattern, text) else None
    except re.error:
        return None


def _set_source(items: Any, c: Any) -> list[str]:
    parts: list[str] = []
    for op, av in items:
        if op is c.NEGATE:
            parts.append("^")
        elif op is c.LITERAL:
            parts.append(re.escape(chr(av)))
        elif op is c.RANGE:
            parts.append(f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}")
        elif op is c.CATEGORY:
            parts.append({c.CATEGORY_DIGIT: r"\d", c.CATEGORY_NOT_DIGIT: r"\D",
                          c.CATEGORY_SPACE: r"\s", c.CATEGORY_NOT_SPACE: r"\S",
                          c.CATEGORY_WORD: r"\w", c.CATEGORY_NOT_WORD: r"\W"}.get(av, ""))
    return parts


_FORMATS: dict[str, Callable[[random.Random], str]] = {
    "date-time": lambda r: _FIXED_DATE_TIME,
    "date": lambda r: _FIXED_DATE,
    "time": lambda r: "09:00:00Z",
    "duration": lambda r: "PT1H",
    "email": lambda r: f"user{r.randrange(1, 1000)}@example.com",
    "idn-email": lambda r: f"user{r.randrange(1, 1000)}@example.com",
    "uuid": lambda r: str(uuid.UUID(bytes=r.randbytes(16), version=4)),
    "uri": lambda r: "https://example.com/mock",
    "url": lambda r: "https://example.com/mock",
    "iri": lambda r: "https://example.com/mock",
    "uri-reference": lambda r: "/mock",
    "iri-reference": lambda r: "/mock",
    "uri-template": lambda r: "https://example.com/{id}",
    "hostname": lambda r: "example.com",
    "idn-hostname": lambda r: "example.com",
    "ipv4": lambda r: "192.0.2.1",
    "ipv6": lambda r: "2001:db8::1",
    "byte": lambda r: "bW9jaw==",
    "binary": lambda r: "mock",
    "password": lambda r: "mock-password",
    "json-pointer": lambda r: "/mock",
    "regex": lambda r: "^mock$",
}


class _Generator:
    """Deterministic example values from schemas (see the module docstring)."""

    def __init__(self, doc: _Doc, validators: _Validators, seed: int, oas30: bool) -> None:
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
        schema, pointer, followed = self.doc.deref(schema, pointer)
        refs.extend(followed)
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
                    props[str(name)] = (ps, f"{pointer}/properties/{_escape(str(name))}")
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
            target, _, _ = self.doc.deref(option, f"{pointer}/{i}")
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

    def _kind(self, s: dict[str, Any]) -> str | None:
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
        target, target_pointer, _ = self.doc.deref(schema, pointer)
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
        kind = self._kind(s)
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
        if self._kind(s) == "array" and isinstance(s.get("items"), dict):
            self.flatten(s["items"], s.get("__ptr_items", ""), refs)
        return any(stack.count(r) > _MAX_RECURSION for r in refs)

    def _object(self, s: dict[str, Any], where: str, depth: int,
                stack: tuple[str, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        required = set(s.get("required") or ())
        for name, entry in s.get("properties", {}).items():
            ps, pp = entry[0], entry[1]
            target, _, _ = self.doc.deref(ps, pp)
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
            text = _from_pattern(pattern)
        if text is None and isinstance(fmt, str) and fmt in _FORMATS:
            text = _FORMATS[fmt](rng)
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


# --------------------------------------------------------------------------- the model


@dataclass
class _Param:
    name: str
    location: str
    required: bool
    schema_pointer: str | None
    kind: str | None
    explode: bool
    item_kind: str | None = None


@dataclass
class _Operation:
    method: str
    key: str
    pointer: str
    regex: re.Pattern[str]
    names: tuple[str, ...]
    query_match: tuple[tuple[str, str], ...]
    params: list[_Param]
    security: list[dict[str, Any]] | None
    body_required: bool
    body_json: bool
    status: int
    media_type: str | None
    media_pointer: str | None
    specificity: tuple[int, int, int] = (0, 0, 0)
    cached: bytes | None = None

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.key}"


@dataclass(eq=False)
class _Scheme:
    name: str
    kind: str          # apiKey | basic | bearer | http | oauth2 | openIdConnect | mutualTLS
    location: str = ""  # apiKey: header | query | cookie
    key: str = ""       # apiKey parameter name; http: scheme name
    token_paths: tuple[str, ...] = ()
    expected: Any = None  # str | tuple[str, str] | None
    client: tuple[str, str | None] | None = None
    issued: set[str] = field(default_factory=set)

    def describe(self) -> str:
        if self.kind == "apiKey":
            where = {"header": "header", "query": "query parameter",
                     "cookie": "cookie"}.get(self.location, self.location)
            return f"the {self.key} {where} ({self.name})"
        if self.kind == "basic":
            return f"HTTP Basic credentials ({self.name})"
        if self.kind == "http":
            return f"an Authorization: {self.key} header ({self.name})"
        return f"a bearer token ({self.name})"

    def challenge(self, wrong: bool) -> str:
        if self.kind == "apiKey":
            return (f'ApiKey realm="mock", name="{self.key}", in="{self.location}"'
                    + (', error="invalid_key"' if wrong else ""))
        if self.kind == "basic":
            return 'Basic realm="mock", charset="UTF-8"'
        if self.kind == "http":
            return f'{self.key.capitalize()} realm="mock"'
        return 'Bearer realm="mock"' + (', error="invalid_token"' if wrong else "")


def _secret_text(value: Any, what: str) -> str:
    from ..auth.secrets import Secret, register

    if isinstance(value, Secret):
        value = value.reveal()
    if not isinstance(value, str) or not value:
        raise AuthConfigError(f"The mock's expected {what} must be a non-empty string (or a "
                              "Secret); fix the credentials= mapping.")
    register(value)
    return value


def _media_is_json(media_type: str) -> bool:
    base = media_type.split(";")[0].strip().lower()
    return bool(_JSON_RE.search(base)) or base in ("*/*", "application/*")


def _pick_media(content: Any) -> tuple[str | None, Any]:
    if not isinstance(content, dict) or not content:
        return None, None
    keys = [str(k) for k in content]
    for pred in (lambda b: b == "application/json", _media_is_json, lambda b: True):
        for key in keys:
            if pred(key.split(";")[0].strip().lower()):
                return key, content[key]
    return None, None


class _MockAPI:
    """The spec turned into routes, checks and canned responses (one per operation)."""

    def __init__(self, source: Any, *, credentials: Mapping[str, Any] | None, seed: int
                 ) -> None:
        doc, origin = _load_source(source)
        _check_document(doc, origin)
        self.origin = origin
        self.seed = int(seed)
        self.oas30 = str(doc.get("openapi", "")).strip().startswith("3.0")
        self.doc = _Doc(doc)
        self.validators = _Validators(doc, self.oas30)
        self.generator = _Generator(self.doc, self.validators, self.seed, self.oas30)
        info = doc.get("info") if isinstance(doc.get("info"), dict) else {}
        self.title = str(info.get("title") or "API").strip() or "API"
        self.server_url = self._server_url(doc)
        self.base_path = urlsplit(self.server_url).path.rstrip("/")
        self.schemes = self._schemes(doc)
        self._apply_credentials(credentials or {})
        self.global_security = doc.get("security") if isinstance(doc.get("security"),
                                                                 list) else None
        self.operations = self._operations(doc)
        self.token_paths: dict[str, list[_Scheme]] = {}
        for scheme in self.schemes.values():
            for path in scheme.token_paths:
                self.token_paths.setdefault(path, []).append(scheme)
        self._lock = threading.Lock()

    # -- building ------------------------------------------------------------------

    @staticmethod
    def _server_url(doc: dict[str, Any]) -> str:
        servers = doc.get("servers")
        if not isinstance(servers, list) or not servers or not isinstance(servers[0], dict):
            return "/"
        server = servers[0]
        url = server.get("url") if isinstance(server.get("url"), str) else "/"
        variables = server.get("variables") if isinstance(server.get("variables"),
                                                          dict) else {}

        def fill(m: re.Match[str]) -> str:
            var = variables.get(m.group(1))
            default = var.get("default") if isinstance(var, dict) else None
            return str(default) if default is not None else m.group(1)

        url = re.sub(r"\{([^{}]*)\}", fill, url.strip())
        if "://" not in url:
            url = urljoin("http://mock.invalid/", url)
        return url

    def _schemes(self, doc: dict[str, Any]) -> dict[str, _Scheme]:
        components = doc.get("components") if isinstance(doc.get("components"), dict) else {}
        raw = components.get("securitySchemes")
        out: dict[str, _Scheme] = {}
        if not isinstance(raw, dict):
            return out
        for name, entry in raw.items():
            scheme, _, _ = self.doc.deref(entry, f"/components/securitySchemes/{_escape(name)}")
            if not isinstance(scheme, dict):
                continue
            kind = scheme.get("type")
            if kind == "apiKey":
                out[name] = _Scheme(name, "apiKey", str(scheme.get("in") or "header"),
                                    str(scheme.get("name") or ""))
            elif kind == "http":
                http = str(scheme.get("scheme") or "").strip().lower()
                if http in ("basic", "bearer"):
                    out[name] = _Scheme(name, http)
                else:
                    out[name] = _Scheme(name, "http", key=http or "unknown")
            elif kind in ("oauth2", "openIdConnect"):
                paths: list[str] = []
                flows = scheme.get("flows") if isinstance(scheme.get("flows"), dict) else {}
                for flow in flows.values():
                    token_url = flow.get("tokenUrl") if isinstance(flow, dict) else None
                    if isinstance(token_url, str) and token_url.strip():
                        base = self.server_url.rstrip("/") + "/"
                        path = urlsplit(urljoin(base, token_url.strip())).path or "/"
                        if path not in paths:
                            paths.append(path)
                out[name] = _Scheme(name, kind, token_paths=tuple(paths))
            elif kind == "mutualTLS":
                out[name] = _Scheme(name, "mutualTLS")
        return out

    def _apply_credentials(self, credentials: Mapping[str, Any]) -> None:
        if not isinstance(credentials, Mapping):
            raise AuthConfigError("The mock's credentials must be a mapping of security "
                                  "scheme name to expected value, such as {'apiKey': "
                                  "'k-123'}.")
        for name, value in credentials.items():
            scheme = self.schemes.get(name)
            if scheme is None:
                known = ", ".join(sorted(self.schemes)) or "none"
                raise AuthConfigError(f"The mock's credentials name the security scheme "
                                      f"{name!r}, which the spec does not define (it has: "
                                      f"{known}); use one of those names.")
            if scheme.kind == "basic":
                if isinstance(value, Mapping):
                    value = (value.get("username"), value.get("password"))
                if isinstance(value, tuple | list) and len(value) == 2:
                    user = _secret_text(value[0], f"username for {name!r}")
                    scheme.expected = (user, _secret_text(value[1], f"password for {name!r}"))
                else:
                    text = _secret_text(value, f"credentials for {name!r}")
                    user, sep, password = text.partition(":")
                    if not sep:
                        raise AuthConfigError(f"The mock's expected Basic credentials for "
                                              f"{name!r} need a username and a password; give "
                                              "('user', 'password') or 'user:password'.")
                    scheme.expected = (user, password)
            elif scheme.kind in ("oauth2", "openIdConnect") and isinstance(value, Mapping):
                client_id = value.get("client_id")
                if client_id is None and value.get("token") is None:
                    raise AuthConfigError(f"The mock's credentials for {name!r} need a "
                                          "client_id (and client_secret) or a token; give "
                                          "{'client_id': ..., 'client_secret': ...}.")
                if client_id is not None:
                    secret = value.get("client_secret")
                    scheme.client = (_secret_text(client_id, f"client_id for {name!r}"),
                                     None if secret is None else
                                     _secret_text(secret, f"client_secret for {name!r}"))
                if value.get("token") is not None:
                    scheme.expected = _secret_text(value["token"], f"token for {name!r}")
            elif scheme.kind == "mutualTLS":
                raise AuthConfigError(f"The mock does not check mutualTLS (scheme {name!r}); "
                                      "leave it out of credentials.")
            else:
                scheme.expected = _secret_text(value, f"value for {name!r}")

    def _operations(self, doc: dict[str, Any]) -> list[_Operation]:
        paths = doc.get("paths") if isinstance(doc.get("paths"), dict) else {}
        ops: list[_Operation] = []
        for key, raw_item in paths.items():
            item, item_pointer, _ = self.doc.deref(raw_item, f"/paths/{_escape(str(key))}")
            if not isinstance(item, dict):
                continue
            if isinstance(raw_item, dict) and raw_item is not item:
                item = {**item, **{k: v for k, v in raw_item.items() if k != "$ref"}}
            route, query_match = self._route(str(key))
            if route is None:
                continue
            regex, names, specificity = route
            for method in _METHODS:
                op = item.get(method)
                if not isinstance(op, dict):
                    continue
                pointer = f"{item_pointer}/{method}"
                if isinstance(raw_item, dict) and method in raw_item and raw_item is not item:
                    pointer = f"/paths/{_escape(str(key))}/{method}"
                ops.append(self._operation(method, str(key), pointer, op, item, item_pointer,
                                           regex, names, query_match, specificity))
        ops.sort(key=lambda o: o.specificity)
        return ops

    def _route(self, key: str) -> tuple[Any, tuple[tuple[str, str], ...]]:
        base = key.partition("#")[0]
        path, _, query = base.partition("?")
        if not path.startswith("/"):
            return None, ()
        names: list[str] = []
        parts: list[str] = []
        literal = 0
        pos = 0
        for m in re.finditer(r"\{([^{}/]+)\}", path):
            text = path[pos:m.start()]
            literal += len(text)
            parts.append(re.escape(quote(text, safe="/:@!$&'()*+,;=-._~%")))
            parts.append("([^/]+)")
            names.append(m.group(1))
            pos = m.end()
        tail = path[pos:]
        literal += len(tail)
        parts.append(re.escape(quote(tail, safe="/:@!$&'()*+,;=-._~%")))
        pattern = "".join(parts)
        if pattern.endswith("/") and len(pattern) > 1:
            pattern = pattern[:-1]
        regex = re.compile(pattern + "/?")
        pairs = tuple(parse_qsl(query, keep_blank_values=True))
        return (regex, tuple(names), (len(names), -literal, -len(pairs))), pairs

    def _operation(self, method: str, key: str, pointer: str, op: dict[str, Any],
                   item: dict[str, Any], item_pointer: str, regex: re.Pattern[str],
                   names: tuple[str, ...], query_match: tuple[tuple[str, str], ...],
                   specificity: tuple[int, int, int]) -> _Operation:
        merged: dict[tuple[str, str], _Param] = {}
        for source, src_pointer in ((item.get("parameters"), f"{item_pointer}/parameters"),
                                    (op.get("parameters"), f"{pointer}/parameters")):
            if not isinstance(source, list):
                continue
            for i, raw in enumerate(source):
                p, p_pointer, _ = self.doc.deref(raw, f"{src_pointer}/{i}")
                if not isinstance(p, dict):
                    continue
                name, loc = p.get("name"), p.get("in")
                if not isinstance(name, str) or loc not in ("path", "query", "header",
                                                            "cookie"):
                    continue
                schema_pointer: str | None = None
                schema = p.get("schema")
                if isinstance(schema, dict):
                    schema_pointer = f"{p_pointer}/schema"
                elif isinstance(p.get("content"), dict) and p["content"]:
                    mkey = next(iter(p["content"]))
                    media = p["content"][mkey]
                    if isinstance(media, dict) and isinstance(media.get("schema"), dict):
                        schema = media["schema"]
                        schema_pointer = f"{p_pointer}/content/{_escape(str(mkey))}/schema"
                if loc == "header" and name.lower() in _IGNORED_HEADERS:
                    continue
                kind = item_kind = None
                if schema_pointer is not None:
                    flat, _ = self.generator.flatten(schema, schema_pointer, [])
                    kind = self.generator._kind(flat)
                    if kind == "array" and isinstance(flat.get("items"), dict):
                        items, _ = self.generator.flatten(flat["items"],
                                                          flat.get("__ptr_items", ""), [])
                        item_kind = self.generator._kind(items)
                style = p.get("style") or ("form" if loc in ("query", "cookie") else "simple")
                explode = p.get("explode", style == "form")
                keyname = name.lower() if loc == "header" else name
                merged[(loc, keyname)] = _Param(name, loc, bool(p.get("required")) or
                                                loc == "path", schema_pointer, kind,
                                                bool(explode), item_kind)
        security = op.get("security", self.global_security)
        body, _, _ = self.doc.deref(op.get("requestBody"), f"{pointer}/requestBody")
        body_required = isinstance(body, dict) and body.get("required") is True
        body_json = False
        if isinstance(body, dict):
            mtype, _ = _pick_media(body.get("content"))
            body_json = mtype is not None and _media_is_json(mtype)
        status, media_type, media_pointer = self._success(method, pointer, op)
        return _Operation(method, key, pointer, regex, names, query_match,
                          list(merged.values()),
                          security if isinstance(security, list) else None,
                          body_required, body_json, status, media_type, media_pointer,
                          specificity)

    def _success(self, method: str, pointer: str, op: dict[str, Any]
                 ) -> tuple[int, str | None, str | None]:
        responses = op.get("responses") if isinstance(op.get("responses"), dict) else {}
        codes = {str(k): str(k) for k in responses}
        twos = sorted(c for c in codes if re.fullmatch(r"2\d\d", c))
        if method == "post" and "201" in twos:
            chosen = "201"
        elif twos:
            chosen = twos[0]
        else:
            chosen = next((c for c in codes if c.upper() == "2XX"), None) or \
                next((c for c in codes if c == "default"), None)
        if chosen is None:
            return 200, None, None
        status = int(chosen) if chosen.isdigit() else 200
        original = next(k for k in responses if str(k) == chosen)
        resp, resp_pointer, _ = self.doc.deref(responses[original],
                                               f"{pointer}/responses/{_escape(chosen)}")
        if status in (204, 304) or not isinstance(resp, dict):
            return status, None, None
        mtype, _ = _pick_media(resp.get("content"))
        if mtype is None:
            return status, None, None
        return status, mtype, f"{resp_pointer}/content/{_escape(mtype)}"

    # -- responses -----------------------------------------------------------------

    def body_for(self, op: _Operation) -> bytes:
        if op.cached is not None:
            return op.cached
        with self._lock:
            if op.cached is None:
                op.cached = self._render(op)
        return op.cached

    def _render(self, op: _Operation) -> bytes:
        if op.media_pointer is None or op.media_type is None:
            return b""
        media = self.doc.at(op.media_pointer)
        media = media if isinstance(media, dict) else {}
        schema = media.get("schema")
        schema_pointer = f"{op.media_pointer}/schema"
        candidates: list[Any] = []
        if "example" in media:
            candidates.append(media["example"])
        if isinstance(media.get("examples"), dict):
            for key, entry in media["examples"].items():
                ex, _, _ = self.doc.deref(entry,
                                          f"{op.media_pointer}/examples/{_escape(str(key))}")
                if isinstance(ex, dict) and "value" in ex:
                    candidates.append(ex["value"])
        value: Any = _MISSING
        for candidate in candidates:
            # the spec's example, unless it breaks the spec's own schema
            if not isinstance(schema, dict) or not _media_is_json(op.media_type) or \
                    self.validators.is_valid(schema_pointer, candidate):
                value = candidate
                break
        if value is _MISSING and isinstance(schema, dict):
            value = self.generator.generate(schema, schema_pointer, f"{op.label}$")
        if _media_is_json(op.media_type):
            if value is _MISSING:
                value = {}
            return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        if isinstance(value, bytes):
            return value
        if isinstance(value, str):
            return value.encode()
        if value is _MISSING:
            return b"mock data"
        return json.dumps(value, ensure_ascii=False).encode()

    # -- checks --------------------------------------------------------------------

    def route(self, raw_path: str, method: str, query: list[tuple[str, str]]
              ) -> tuple[_Operation | None, dict[str, str], list[str]]:
        """(operation, path values, allowed methods when the path exists but not the method)."""
        if self.base_path:
            if raw_path != self.base_path and not raw_path.startswith(self.base_path + "/"):
                return None, {}, []
            raw_path = raw_path[len(self.base_path):] or "/"
        given: dict[str, list[str]] = {}
        for k, v in query:
            given.setdefault(k, []).append(v)
        allowed: list[str] = []
        best: tuple[tuple[int, int, int], _Operation, dict[str, str]] | None = None
        for op in self.operations:
            m = op.regex.fullmatch(raw_path)
            if m is None:
                continue
            if any(k in given and v not in given[k] for k, v in op.query_match):
                continue
            if op.method != method:
                allowed.append(op.method.upper())
                continue
            score = sum(1 for k, v in op.query_match if v in given.get(k, ()))
            rank = (op.specificity[0], op.specificity[1], -score)
            if best is None or rank < best[0]:
                values = {n: unquote(v) for n, v in zip(op.names, m.groups(), strict=True)}
                best = (rank, op, values)
        if best is not None:
            return best[1], best[2], []
        return None, {}, list(dict.fromkeys(allowed))

    def check_security(self, op: _Operation, headers: Mapping[str, str],
                       query: list[tuple[str, str]], cookies: Mapping[str, str]
                       ) -> tuple[str, list[str]] | None:
        """None when allowed, else (message, WWW-Authenticate challenges)."""
        requirements = op.security
        if not requirements:
            return None
        missing: list[_Scheme] = []
        wrong: list[_Scheme] = []
        for requirement in requirements:
            if not isinstance(requirement, dict):
                continue
            ok = True
            for name in requirement:
                scheme = self.schemes.get(name)
                if scheme is None:
                    continue
                state = self._credential_state(scheme, headers, query, cookies)
                if state == "ok":
                    continue
                ok = False
                (wrong if state == "wrong" else missing).append(scheme)
            if ok:
                return None
        wrong = list(dict.fromkeys(wrong))
        missing = [s for s in dict.fromkeys(missing) if s not in wrong]
        if wrong:
            message = (f"The credentials were rejected: {_join(s.describe() for s in wrong)} "
                       "did not match what the mock expects.")
        else:
            wanted = _join((s.describe() for s in missing), "or")
            message = f"This operation needs credentials: {wanted}."
        challenges = [s.challenge(s in wrong) for s in [*wrong, *missing]]
        return message, list(dict.fromkeys(challenges))

    def _credential_state(self, scheme: _Scheme, headers: Mapping[str, str],
                          query: list[tuple[str, str]], cookies: Mapping[str, str]) -> str:
        if scheme.kind == "mutualTLS":
            return "ok"
        if scheme.kind == "apiKey":
            if scheme.location == "query":
                value = next((v for k, v in query if k == scheme.key), None)
            elif scheme.location == "cookie":
                value = cookies.get(scheme.key)
            else:
                value = headers.get(scheme.key.lower())
            if not value:
                return "missing"
            return "ok" if scheme.expected is None or _same(value, scheme.expected) else "wrong"
        auth = headers.get("authorization", "")
        kind, _, cred = auth.strip().partition(" ")
        cred = cred.strip()
        if scheme.kind == "basic":
            if kind.lower() != "basic" or not cred:
                return "missing"
            try:
                user, sep, password = base64.b64decode(cred, validate=True).decode(
                    "utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                return "wrong"
            if not sep:
                return "wrong"
            if scheme.expected is None:
                return "ok"
            exp_user, exp_password = scheme.expected
            return "ok" if _same(user, exp_user) & _same(password, exp_password) else "wrong"
        if scheme.kind == "http":
            return "ok" if kind.lower() == scheme.key and cred else "missing"
        if kind.lower() != "bearer" or not cred:
            return "missing"
        if scheme.expected is not None:
            return "ok" if _same(cred, scheme.expected) else "wrong"
        if scheme.client is not None:
            with self._lock:
                issued = set(scheme.issued)
            return "ok" if any(_same(cred, t) for t in issued) else "wrong"
        return "ok"

    def check_params(self, op: _Operation, values: Mapping[str, str],
                     query: list[tuple[str, str]], headers: Mapping[str, str],
                     cookies: Mapping[str, str]) -> str | None:
        """None when the parameters are fine, else a one-sentence problem."""
        for p in op.params:
            if p.location == "path":
                raw: list[str] | None = [values[p.name]] if p.name in values else None
            elif p.location == "query":
                raw = [v for k, v in query if k == p.name] or None
            elif p.location == "header":
                raw = [headers[p.name.lower()]] if p.name.lower() in headers else None
            else:
                raw = [cookies[p.name]] if p.name in cookies else None
            if raw is None:
                if p.required and p.location != "path":
                    return (f"The {p.location} parameter {p.name!r} is required; add it to the "
                            "request.")
                continue
            if p.schema_pointer is None or p.kind == "object":
                continue
            value, problem = _convert(raw, p)
            if problem is None:
                problem = self.validators.first_error(p.schema_pointer, value)
            if problem is not None:
                shown = clip(raw[0] if len(raw) == 1 else ",".join(raw), 60)
                return (f"The {p.location} parameter {p.name!r} is {shown!r}, which does not "
                        f"match its schema ({clip(problem, 120)}); send a valid value.")
        return None

    # -- OAuth2 token endpoint -------------------------------------------------------

    def token_response(self, schemes: list[_Scheme], headers: Mapping[str, str],
                       form: Mapping[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        scheme = next((s for s in schemes if s.client is not None or s.expected is not None),
                      schemes[0])
        grant = form.get("grant_type", "")
        if grant not in ("client_credentials", "password", "refresh_token"):
            return 400, {"error": "unsupported_grant_type",
                         "error_description": "The mock issues tokens for the "
                         "client_credentials, password and refresh_token grants."}, {}
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        basic_pair: tuple[str, str] | None = None
        kind, _, cred = headers.get("authorization", "").strip().partition(" ")
        if kind.lower() == "basic" and cred.strip():
            try:
                user, _, password = base64.b64decode(cred.strip(), validate=True).decode(
                    "utf-8").partition(":")
                basic_pair = (user, password)
                client_id, client_secret = user, password
            except (binascii.Error, UnicodeDecodeError, ValueError):
                return 401, {"error": "invalid_client", "error_description":
                             "The Basic client credentials are not valid base64."}, \
                    {"WWW-Authenticate": 'Basic realm="mock"'}
        if not client_id:
            return 401, {"error": "invalid_client", "error_description":
                         "Client authentication is missing; send the client id and secret "
                         "(Basic auth or the form)."}, {"WWW-Authenticate": 'Basic realm="mock"'}
        if grant == "password" and not form.get("username"):
            return 400, {"error": "invalid_request", "error_description":
                         "The password grant needs a username and a password."}, {}
        if scheme.client is not None:
            exp_id, exp_secret = scheme.client
            candidates = [(client_id, client_secret)]
            if basic_pair is not None:
                candidates.append((unquote_plus(basic_pair[0]), unquote_plus(basic_pair[1])))
            if not any(_same(cid or "", exp_id) and (exp_secret is None or
                                                     _same(sec or "", exp_secret))
                       for cid, sec in candidates):
                return 401, {"error": "invalid_client", "error_description":
                             "Unknown client or wrong client secret."}, \
                    {"WWW-Authenticate": 'Basic realm="mock"'}
            client_id = exp_id
        token = scheme.expected if isinstance(scheme.expected, str) else \
            "mock-" + hashlib.sha256(f"{self.seed}\0{scheme.name}\0{client_id}".encode()
                                     ).hexdigest()[:32]
        with self._lock:
            scheme.issued.add(token)
        body: dict[str, Any] = {"access_token": token, "token_type": "Bearer",
                                "expires_in": _TOKEN_LIFETIME}
        if form.get("scope"):
            body["scope"] = form["scope"]
        return 200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"),
                               expected.encode("utf-8", "surrogateescape"))


def _join(parts: Any, word: str = "and") -> str:
    items = list(parts)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def _scalar(text: str, kind: str | None) -> tuple[Any, str | None]:
    if kind == "integer":
        if re.fullmatch(r"[+-]?\d+", text.strip()):
            return int(text), None
        return text, f"expected an integer, got {clip(text, 40)!r}"
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return text, f"expected a number, got {clip(text, 40)!r}"
        return (int(number) if number.is_integer() and "." not in text else number), None
    if kind == "boolean":
        if text.lower() in ("true", "false"):
            return text.lower() == "true", None
        return text, f"expected true or false, got {clip(text, 40)!r}"
    return text, None


def _convert(raw: list[str], p: _Param) -> tuple[Any, str | None]:
    if p.kind == "array":
        parts = raw if (p.explode and p.location in ("query", "cookie")) or len(raw) > 1 \
            else raw[0].split(",")
        values: list[Any] = []
        for part in parts:
            value, problem = _scalar(part, p.item_kind)
            if problem is not None:
                return None, problem
            values.append(value)
        return values, None
    return _scalar(raw[-1], p.kind)


# --------------------------------------------------------------------------- the app


def mock_app(source: Any, *, credentials: Mapping[str, Any] | None = None,
             seed: int = 0) -> Any:
    """A starlette app serving every operation of ``source`` (see the module docstring).

    ``source``: a spec path, text or parsed dict, a Connector, or a connector package
    path. ``credentials``: security scheme name -> expected value (``str`` for apiKey,
    bearer and oauth2 tokens; ``(user, password)`` or ``"user:password"`` for Basic;
    ``{"client_id": ..., "client_secret": ...}`` for an oauth2 scheme's token
    endpoint). ``seed`` varies generated values. ``app.state.mock`` describes the mock
    (``title``, ``base_path``, ``operations``, ``token_paths``).
    """
    api = _MockAPI(source, credentials=credentials, seed=seed)
    try:
        import uvicorn  # noqa: F401 - MockServer and serve need it; fail early and clearly
        from starlette.applications import Starlette
    except ImportError as exc:
        raise MockError(f"The mock API needs starlette and uvicorn ({exc.name} is "
                             "missing); install them with pip install starlette uvicorn.") \
            from None
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    def error(status: int, code: str, message: str,
              headers: Mapping[str, str] | None = None) -> Response:
        return JSONResponse({"error": code, "message": message}, status_code=status,
                            headers=dict(headers or {}))

    async def handle(request: Request) -> Response:
        try:
            return await _handle(request)
        except Exception as exc:  # the mock answers, whatever happens
            import logging

            logging.getLogger("nbconnect.mock").exception("The mock failed on %s %s",
                                                          request.method, request.url.path)
            return error(500, "mock_error", f"The mock failed on this request "
                         f"({type(exc).__name__}); this is a bug in nbconnect's mock.")

    async def _handle(request: Request) -> Response:
        raw_path = request.scope.get("raw_path") or request.scope["path"].encode()
        raw_path_text = raw_path.decode("latin-1").split("?", 1)[0]
        method = request.method.lower()
        query = parse_qsl(request.url.query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in request.headers.items()}
        cookies = dict(request.cookies)
        path_only = request.scope["path"]
        schemes = api.token_paths.get(path_only)
        if schemes and method == "post":
            form_bytes = await request.body()
            form = dict(parse_qsl(form_bytes.decode("utf-8", "replace"),
                                  keep_blank_values=True))
            status, body, extra = api.token_response(schemes, headers, form)
            return JSONResponse(body, status_code=status, headers=extra)
        head = method == "head"
        op, values, allowed = api.route(raw_path_text, method, query)
        if op is None and head:
            op, values, allowed = api.route(raw_path_text, "get", query)
        if op is None and method == "options" and allowed:
            return Response(status_code=204, headers={"Allow": ", ".join(allowed)})
        if op is None:
            if allowed:
                return error(405, "method_not_allowed",
                             f"{request.method} is not an operation of this path; the spec "
                             f"has {', '.join(allowed)}.", {"Allow": ", ".join(allowed)})
            where = f" under {api.base_path}" if api.base_path else ""
            return error(404, "not_found", f"No operation of {api.title!r} matches "
                         f"{request.method} {clip(path_only, 120)}; the mock serves the spec's "
                         f"paths{where}.")
        denied = api.check_security(op, headers, query, cookies)
        if denied is not None:
            message, challenges = denied
            return error(401, "unauthorized", message,
                         {"WWW-Authenticate": ", ".join(challenges)})
        problem = api.check_params(op, values, query, headers, cookies)
        if problem is not None:
            return error(400, "bad_request", problem)
        body = await request.body()
        if not body.strip():
            if op.body_required:
                return error(400, "bad_request", f"{op.label} needs a request body; send "
                             "one.")
        elif _media_is_json(headers["content-type"]) if "content-type" in headers \
                else op.body_json:
            try:
                json.loads(body)
            except (ValueError, UnicodeDecodeError) as exc:
                where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(
                    exc, json.JSONDecodeError) else ""
                return error(400, "bad_request", f"The request body is not valid JSON{where}; "
                             "send a JSON document.")
        content = op.cached if op.cached is not None else \
            await run_in_threadpool(api.body_for, op)  # generation does not block the loop
        resp_headers: dict[str, str] = {}
        if op.media_type is not None and op.status not in (204, 304):
            mtype = op.media_type
            if mtype.split(";")[0].strip() in ("*/*", "application/*"):
                mtype = "application/json"
            resp_headers["content-type"] = mtype
        if op.status in (204, 304):
            content = b""
        if head:
            resp_headers["content-length"] = str(len(content))
            return Response(b"", status_code=op.status, headers=resp_headers)
        return Response(content, status_code=op.status, headers=resp_headers)

    app = Starlette(routes=[Route("/{path:path}", handle,
                                  methods=[m.upper() for m in _METHODS])])
    app.state.mock = _MockInfo(api)
    return app


class _MockInfo:
    """What a mock app serves (``app.state.mock``)."""

    def __init__(self, api: _MockAPI) -> None:
        self._api = api
        self.title = api.title
        self.base_path = api.base_path
        self.operations = tuple((o.method.upper(), o.key) for o in api.operations)
        self.token_paths = tuple(api.token_paths)

    def __repr__(self) -> str:
        return (f"MockInfo(title={self.title!r}, base_path={self.base_path!r}, "
                f"operations={len(self.operations)})")


# --------------------------------------------------------------------------- server


class MockServer:
    """The mock API under uvicorn on loopback, in a background thread.

    ``start()`` returns :attr:`url`: ``scheme://host:port`` plus the spec's base path
    (the demo's ``/v1``), ready to be a connection's base URL; ``stop()`` shuts it down
    and frees the port; ``with MockServer(spec) as mock:`` does both. ``port=0`` picks a
    free port. With ``tls=True`` it serves https with a certificate for 127.0.0.1 and
    localhost from a fresh trustme CA: :attr:`verify` is an ``ssl.SSLContext`` that
    trusts it (``verify=mock.verify`` in httpx2), :attr:`ca_pem_path` the CA as a PEM
    file for other clients (``curl --cacert``, ``NODE_EXTRA_CA_CERTS`` for newman) and
    :attr:`trust_hint` says so in one sentence.
    """

    def __init__(self, source: Any, *, host: str = "127.0.0.1", port: int = 0,
                 tls: bool = False, credentials: Mapping[str, Any] | None = None,
                 seed: int = 0) -> None:
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
            raise MockError(f"The mock's port must be a number from 0 to 65535 (0 picks "
                                 f"a free one), not {clip(repr(port), 40)}.")
        self.app = mock_app(source, credentials=credentials, seed=seed)
        self.info: _MockInfo = self.app.state.mock
        self.title = self.info.title
        self.host = host
        self.requested_port = port
        self.tls = bool(tls)
        self.port: int | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._tmp: str | None = None
        self._ca: Any = None
        self._ca_pem: Path | None = None
        self._context: ssl.SSLContext | None = None
        self._socket: socket.socket | None = None
        self._state_lock = threading.Lock()

    # -- state ---------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def root_url(self) -> str:
        """``scheme://host:port`` (no base path); token endpoints live under it."""
        if self.port is None:
            raise MockError("The mock server is not running; call start() first.")
        host = self.host
        if host in ("0.0.0.0", "", "::"):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The base URL of the mocked API (root URL plus the spec's base path)."""
        return self.root_url + self.info.base_path

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """An ``ssl.SSLContext`` trusting the mock's CA with TLS, else ``True``."""
        if not self.tls:
            return True
        if self._context is None:
            ctx = ssl.create_default_context()
            self._ensure_ca().configure_trust(ctx)
            self._context = ctx
        return self._context

    @property
    def ca_pem_path(self) -> Path | None:
        """The CA certificate as a PEM file while running with TLS, else None."""
        return self._ca_pem

    @property
    def trust_hint(self) -> str:
        """One sentence telling a client how to trust the mock."""
        if not self.tls:
            return ("The mock serves plain http on loopback, so there is no certificate to "
                    "trust.")
        where = str(self._ca_pem) if self._ca_pem else "mock.ca_pem_path (once started)"
        return (f"The mock's certificate comes from a private test CA: trust it with "
                f"verify=mock.verify in Python, or with the CA file {where} (curl --cacert "
                "FILE, SSL_CERT_FILE=FILE, NODE_EXTRA_CA_CERTS=FILE for newman).")

    def __repr__(self) -> str:
        return f"MockServer({self.title!r}, tls={self.tls}, running={self.running})"

    # -- lifecycle -------------------------------------------------------------------

    def _ensure_ca(self) -> Any:
        if self._ca is None:
            import trustme

            self._ca = trustme.CA(organization_name="nbconnect mock")
        return self._ca

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            # accepted sockets inherit it: without it every keep-alive response waited
            # ~40 ms for the client's delayed ACK (Nagle)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.bind((self.host, self.requested_port))
            sock.listen(128)
        except OSError as exc:
            sock.close()
            what = f"port {self.requested_port}" if self.requested_port else "a free port"
            raise MockError(f"The mock cannot listen on {what} of {self.host} "
                                 f"({exc.strerror or exc}); pick another port (0 picks a "
                                 "free one).") from None
        sock.setblocking(False)
        return sock

    def _prepare(self) -> tuple[Any, socket.socket]:
        import openapi_schema_validator  # noqa: F401 - loaded now, not on the first request
        import uvicorn

        sock = self._bind()
        self.port = sock.getsockname()[1]
        kwargs: dict[str, Any] = {}
        try:
            if self.tls:
                ca = self._ensure_ca()
                self._tmp = tempfile.mkdtemp(prefix="nbconnect-mock-")
                names = list(dict.fromkeys(["127.0.0.1", "localhost", "::1", self.host]))
                cert = ca.issue_cert(*[n for n in names if n not in ("0.0.0.0", "::", "")])
                pem = Path(self._tmp) / "server.pem"
                cert.private_key_and_cert_chain_pem.write_to_path(str(pem))
                self._ca_pem = Path(self._tmp) / "mock-ca.pem"
                ca.cert_pem.write_to_path(str(self._ca_pem))
                kwargs.update(ssl_certfile=str(pem), ssl_keyfile=str(pem))
            config = uvicorn.Config(self.app, log_config=None, log_level="warning",
                                    access_log=False, lifespan="off", server_header=False,
                                    date_header=False, timeout_graceful_shutdown=1,
                                    **kwargs)
            server = uvicorn.Server(config)
        except BaseException:
            sock.close()
            self._cleanup()
            raise
        return server, sock

    def start(self, timeout: float = 10.0) -> str:
        """Start serving in a background thread; returns :attr:`url`."""
        with self._state_lock:
            if self._server is not None:
                return self.url
            server, sock = self._prepare()
            errors: list[BaseException] = []

            def run() -> None:
                try:
                    server.run(sockets=[sock])
                except BaseException as exc:  # reported by start()
                    errors.append(exc)

            thread = threading.Thread(target=run, name=f"nbconnect-mock-{self.port}",
                                      daemon=True)
            thread.start()
            deadline = time.monotonic() + timeout
            while not server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    server.should_exit = True
                    thread.join(timeout=5)
                    sock.close()
                    self._cleanup()
                    self.port = None
                    why = f" ({type(errors[0]).__name__})" if errors else ""
                    raise MockError(f"The mock server did not start{why}; try again or "
                                         "pick another port.")
                time.sleep(0.005)
            self._server, self._thread, self._socket = server, thread, sock
            return self.url

    def stop(self) -> None:
        """Stop serving and free the port (safe to call twice)."""
        with self._state_lock:
            server, thread = self._server, self._thread
            if server is None:
                return
            server.should_exit = True
            if thread is not None:
                thread.join(timeout=10)
                if thread.is_alive():
                    server.force_exit = True
                    thread.join(timeout=5)
            if self._socket is not None:
                with contextlib.suppress(OSError):
                    self._socket.close()
            self._server = self._thread = self._socket = None
            self.port = None
            self._cleanup()

    def _cleanup(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
        self._tmp = None
        self._ca_pem = None

    def serve_forever(self, *, out: Any = None) -> None:
        """Serve in this thread until interrupted (Ctrl-C), printing the URL first."""
        out = out if out is not None else sys.stdout
        server, sock = self._prepare()
        try:
            ops = len(self.info.operations)
            print(f"Mock of {self.title!r} ({ops} operation{'s' if ops != 1 else ''}) at "
                  f"{self.url}", file=out)
            for path in self.info.token_paths:
                print(f"OAuth2 token endpoint: {self.root_url}{path}", file=out)
            print(self.trust_hint, file=out)
            print("Press Ctrl-C to stop.", file=out, flush=True)
            self._server = server
            with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C
                server.run(sockets=[sock])
            print("Mock stopped.", file=out, flush=True)
        finally:
            with contextlib.suppress(OSError):
                sock.close()
            self._server = None
            self.port = None
            self._cleanup()

    def __enter__(self) -> MockServer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            if self._server is not None and self._thread is not None:
                self._server.should_exit = True


def serve(source: Any, *, host: str = "127.0.0.1", port: int = 0, tls: bool = False,
          credentials: Mapping[str, Any] | None = None, seed: int = 0,
          out: Any = None) -> None:
    """Run the mock of ``source`` in the foreground (``nbconnect mock``) until Ctrl-C.

    Prints the base URL, any OAuth2 token endpoint and how to trust the certificate.
    """
    MockServer(source, host=host, port=port, tls=tls, credentials=credentials,
               seed=seed).serve_forever(out=out)
