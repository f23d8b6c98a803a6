"""Decoding and parsing spec text safely: strict UTF-8, then JSON or hardened YAML -> plain data.

* **Decoding** (:func:`decode_text`): strict UTF-8 (a BOM is fine); a bad byte is named
  by its offset.
* **Parsing** (:func:`parse_text`): JSON first when the text looks like JSON (duplicate
  keys refused); YAML only otherwise, with the hardened loader (the C loader when
  available): duplicate keys refused with their line, only the core YAML tags allowed
  (``!!python/...`` and friends refused), YAML 1.2 scalars (``yes``/``no``/``on``/
  ``off`` stay strings, ``0777`` is 777, dates stay strings), mapping keys always
  strings (``200:`` gives ``"200"``), an alias-bomb guard (:func:`check_expansion`: expanded
  node count, counted once per shared object so it is linear) and a nesting-depth bound.
* **Numbers**: an integer literal of more than :data:`MAX_INT_DIGITS` digits (JSON or YAML,
  decimal, hex or octal) is a SpecParseError naming its line, never a ValueError from
  Python's integer-string limit deep inside a parser or a later ``str()``; so is a number
  such as ``1e999`` that overflows to infinity (YAML's ``.inf`` stays allowed).

yaml is imported when YAML is parsed.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .. import limits
from ..errors import SpecParseError, clip

__all__ = ["MAX_INT_DIGITS", "check_expansion", "decode_text", "parse_text"]

#: the most digits an integer in a spec may have (Python's own default limit for turning
#: text into an int and back); no real spec comes near it
MAX_INT_DIGITS = 4300
_INT_CEILING = 10 ** MAX_INT_DIGITS


class _HugeNumber(Exception):
    def __init__(self, digits: int, line: int | None = None, text: str | None = None) -> None:
        self.digits = digits
        self.line = line
        self.text = text  # a float literal that overflows, when that is the problem


def _huge_number_error(origin: str, exc: _HugeNumber) -> SpecParseError:
    where = f" (line {exc.line})" if exc.line else ""
    if exc.text is not None:
        return SpecParseError(f"The spec {origin} has the number {clip(exc.text, 40)}{where}, "
                              "too large for a floating-point number; write a smaller number "
                              "or a string.")
    return SpecParseError(f"The spec {origin} has an integer of about {exc.digits:,} digits"
                          f"{where}, more than the {MAX_INT_DIGITS:,} a spec may have; shorten "
                          "it or write it as a string.")


def _json_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _HugeNumber(0, text=text)
    return value


def _json_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _HugeNumber(digits)
    return int(text)


# --------------------------------------------------------------------------- decoding


def decode_text(data: bytes | str, origin: str = "text") -> str:
    """Decode strict UTF-8 (a leading BOM is dropped); raise SpecParseError on bad bytes."""
    if isinstance(data, str):
        return data[1:] if data.startswith("\ufeff") else data
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SpecParseError(f"The spec {origin} is UTF-16 encoded; save it as UTF-8.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecParseError(f"The spec {origin} is not valid UTF-8 (byte offset {exc.start}: "
                             f"{data[exc.start:exc.start + 1]!r}); save it as UTF-8.") from None
    return text[1:] if text.startswith("\ufeff") else text


# --------------------------------------------------------------------------- JSON


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d = dict(pairs)
    if len(d) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise _DuplicateKey(k)
            seen.add(k)
    return d


def _duplicate_line(text: str, key: str) -> int | None:
    """Best-effort line of the second occurrence of ``"key":`` in JSON text."""
    pattern = re.compile(re.escape(json.dumps(key)) + r"\s*:")
    hits = [m.start() for m in pattern.finditer(text)]
    return text.count("\n", 0, hits[1]) + 1 if len(hits) > 1 else None


def _huge_json_line(text: str, literal: str | None = None) -> int | None:
    """Best-effort line of ``literal``, or of the first integer literal over
    MAX_INT_DIGITS digits."""
    if literal is not None:
        pos = text.find(literal)
        return text.count("\n", 0, pos) + 1 if pos >= 0 else None
    m = re.search("[0-9]{" + str(MAX_INT_DIGITS + 1) + "}", text)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _parse_json(text: str, origin: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_pairs_hook, parse_int=_json_int,
                          parse_float=_json_float)
    except _HugeNumber as huge:
        line = _huge_json_line(text, huge.text)
        raise _huge_number_error(origin, _HugeNumber(huge.digits, line, huge.text)) from None
    except _DuplicateKey as dup:
        line = _duplicate_line(text, dup.key)
        where = f" (line {line})" if line else ""
        raise SpecParseError(f"The spec {origin} has the key {dup.key!r} twice in one JSON "
                             f"object{where}; keep one.") from None
    except RecursionError:
        raise SpecParseError(f"The spec {origin} is nested too deeply to be a real spec; "
                             f"the limit is {limits.MAX_NESTING_DEPTH} levels.") from None


# --------------------------------------------------------------------------- YAML

_LOADER_CLASS: Any = None


def _yaml_loader() -> Any:
    """Build (once) the safe YAML loader class: see :class:`SpecYamlLoader` docs above."""
    global _LOADER_CLASS
    if _LOADER_CLASS is not None:
        return _LOADER_CLASS
    import yaml
    from yaml.constructor import ConstructorError
    from yaml.nodes import MappingNode, ScalarNode

    base = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader

    class SpecYamlLoader(base):  # type: ignore[misc, valid-type]
        """SafeLoader with YAML 1.2 scalars, string keys and no duplicate keys."""

        yaml_constructors = {
            tag: fn for tag, fn in base.yaml_constructors.items()
            if tag in ("tag:yaml.org,2002:null", "tag:yaml.org,2002:bool",
                       "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
                       "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq",
                       "tag:yaml.org,2002:map")
        }
        yaml_implicit_resolvers: dict[str, list[Any]] = {}

        def construct_undefined(self, node: Any) -> Any:
            raise ConstructorError(None, None, f"the tag {node.tag!r} is not allowed in a "
                                   "spec", node.start_mark)

        def construct_yaml_int(self, node: Any) -> int:
            value = self.construct_scalar(node)
            sign = -1 if value.startswith("-") else 1
            digits = value.lstrip("+-")
            if len(digits) > MAX_INT_DIGITS:
                raise _HugeNumber(len(digits), node.start_mark.line + 1)
            if digits.startswith("0o"):
                number = int(digits[2:], 8)
            elif digits.startswith("0x"):
                number = int(digits[2:], 16)
            else:
                return sign * int(digits, 10)
            if number >= _INT_CEILING:  # a hex or octal literal too long in decimal
                raise _HugeNumber(int(number.bit_length() * 0.30103) + 1,
                                  node.start_mark.line + 1)
            return sign * number

        def construct_yaml_float(self, node: Any) -> float:
            value = base.construct_yaml_float(self, node)
            if math.isinf(value) and "inf" not in node.value.lower():
                raise _HugeNumber(0, node.start_mark.line + 1, node.value)
            return value

        def construct_yaml_bool(self, node: Any) -> bool:
            return self.construct_scalar(node).lower() == "true"

        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            if not isinstance(node, MappingNode):
                raise ConstructorError(None, None, "expected a mapping", node.start_mark)
            own = sum(1 for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge")
            self.flatten_mapping(node)
            merged = len(node.value) - own
            mapping: dict[Any, Any] = {}
            seen: set[Any] = set()
            for i, (key_node, value_node) in enumerate(node.value):
                key = self.construct_object(key_node, deep=deep)
                if not isinstance(key, str):
                    if isinstance(key_node, ScalarNode):
                        key = key_node.value
                    else:
                        raise ConstructorError(
                            "while constructing a mapping", node.start_mark,
                            "a mapping key must be a plain string", key_node.start_mark)
                if i >= merged:
                    if key in seen:
                        raise _YamlDuplicateKey(key, key_node.start_mark.line + 1)
                    seen.add(key)
                mapping[key] = self.construct_object(value_node, deep=deep)
            return mapping

    SpecYamlLoader.add_constructor(None, SpecYamlLoader.construct_undefined)
    SpecYamlLoader.add_constructor("tag:yaml.org,2002:int", SpecYamlLoader.construct_yaml_int)
    SpecYamlLoader.add_constructor("tag:yaml.org,2002:bool", SpecYamlLoader.construct_yaml_bool)
    SpecYamlLoader.add_constructor("tag:yaml.org,2002:float",
                                   SpecYamlLoader.construct_yaml_float)
    # YAML 1.2 core schema resolvers.
    SpecYamlLoader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list("tTfF"))
    SpecYamlLoader.add_implicit_resolver(
        "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
        list("-+0123456789"))
    SpecYamlLoader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                   r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
        list("-+.0123456789"))
    SpecYamlLoader.add_implicit_resolver(
        "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
    SpecYamlLoader.add_implicit_resolver(
        "tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])
    _LOADER_CLASS = SpecYamlLoader
    return SpecYamlLoader


class _YamlDuplicateKey(Exception):
    def __init__(self, key: str, line: int) -> None:
        self.key = key
        self.line = line


def _parse_yaml(text: str, origin: str) -> Any:
    import yaml

    loader_cls = _yaml_loader()
    try:
        loader = loader_cls(text)
        try:
            doc = loader.get_single_data()
        finally:
            loader.dispose()
    except _HugeNumber as huge:
        raise _huge_number_error(origin, huge) from None
    except _YamlDuplicateKey as dup:
        raise SpecParseError(f"The spec {origin} has the key {dup.key!r} twice in one YAML "
                             f"mapping (line {dup.line}); keep one.") from None
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        where = f" (line {line})" if line else ""
        problem = exc.problem or ""
        if "not allowed" in problem:
            raise SpecParseError(f"The spec {origin} uses {problem.split(' is not')[0]}{where}, "
                                 "which is not allowed in a spec (no !!python/... or custom "
                                 "tags); remove the tag.") from None
        raise SpecParseError(f"The spec {origin} is not a plain YAML document{where} "
                             f"({clip(problem)}); fix it.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        if "nesting depth" in str(problem):
            raise SpecParseError(f"The spec {origin} is nested too deeply{where}; the limit is "
                                 f"{limits.MAX_NESTING_DEPTH} levels.") from None
        raise SpecParseError(f"The spec {origin} is neither JSON nor YAML: the YAML parser "
                             f"stopped{where} ({clip(problem)}).") from None
    except RecursionError:
        raise SpecParseError(f"The spec {origin} is nested too deeply to be a real spec; the "
                             f"limit is {limits.MAX_NESTING_DEPTH} levels.") from None
    check_expansion(doc, origin)
    return doc


def check_expansion(doc: Any, origin: str = "text", *, max_nodes: int | None = None,
                    max_depth: int | None = None) -> int:
    """Count the nodes ``doc`` expands to (shared objects counted per reference).

    Shared sub-objects (YAML aliases) are counted once per reference but visited once,
    with memoisation by object id, so the walk is linear in the distinct objects even
    for a "billion laughs" document. Raises :class:`SpecParseError` over ``max_nodes``
    (alias bomb), over ``max_depth`` levels, or on a self-containing structure. Returns
    the expanded node count.
    """
    max_nodes = limits.MAX_YAML_NODES if max_nodes is None else max_nodes
    max_depth = limits.MAX_NESTING_DEPTH if max_depth is None else max_depth
    if not isinstance(doc, dict | list):
        return 1
    memo: dict[int, tuple[int, int]] = {}  # id -> (expanded nodes, height)
    active: set[int] = set()
    stack: list[tuple[Any, bool]] = [(doc, False)]
    while stack:
        obj, done = stack.pop()
        oid = id(obj)
        if done:
            children = obj.values() if isinstance(obj, dict) else obj
            count, height = 1, 1
            for child in children:
                if isinstance(child, dict | list):
                    c, h = memo[id(child)]
                    count += c
                    if h + 1 > height:
                        height = h + 1
                else:
                    count += 1
            active.discard(oid)
            if count > max_nodes:
                raise SpecParseError(
                    f"The spec {origin} expands to more than {max_nodes:,} nodes through "
                    "YAML aliases (an alias bomb); remove the repeated aliases.")
            if height > max_depth:
                raise SpecParseError(f"The spec {origin} is nested more than {max_depth} "
                                     "levels deep; that is not a real spec.")
            memo[oid] = (count, height)
            continue
        if oid in memo:
            continue
        active.add(oid)
        stack.append((obj, True))
        children = obj.values() if isinstance(obj, dict) else obj
        for child in children:
            if isinstance(child, dict | list):
                cid = id(child)
                if cid in active:
                    raise SpecParseError(f"The spec {origin} contains itself through a YAML "
                                         "alias (an anchor used inside its own value); "
                                         "remove that alias.")
                if cid not in memo:
                    stack.append((child, False))
        if len(active) > max_depth:
            raise SpecParseError(f"The spec {origin} is nested more than {max_depth} levels "
                                 "deep; that is not a real spec.")
    return memo[id(doc)][0]


# --------------------------------------------------------------------------- parse


def parse_text(text: str, origin: str = "text") -> tuple[Any, str]:
    """Parse spec text: JSON when it looks like JSON, else YAML. Returns (document, format).

    The document must be a mapping; anything else is a SpecParseError.
    """
    body = text.lstrip()
    if not body:
        raise SpecParseError(f"The spec {origin} is empty; give an OpenAPI 3.0/3.1 document.")
    if body[0] == "<":
        raise SpecParseError(f"The spec {origin} is HTML or XML, not JSON or YAML; give the "
                             "raw OpenAPI document.")
    fmt = "yaml"
    if body[0] in "{[":
        try:
            doc = _parse_json(text, origin)
            fmt = "json"
        except json.JSONDecodeError as exc:
            # Text that fails JSON at its very first token ({openapi: 3.0.3}) may be a
            # YAML flow mapping; text that fails later is broken JSON.
            lead = len(text) - len(body)
            first_token = lead + 1 + len(body[1:]) - len(body[1:].lstrip())
            try:
                if exc.pos > first_token:
                    raise SpecParseError("broken JSON")
                doc = _parse_yaml(text, origin)
            except SpecParseError:
                raise SpecParseError(
                    f"The spec {origin} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                    f"column {exc.colno}.") from None
    else:
        doc = _parse_yaml(text, origin)
    if not isinstance(doc, dict):
        kind = "plain text" if isinstance(doc, str | int | float | bool) or doc is None \
            else "a list"
        raise SpecParseError(f"The spec {origin} is {kind}, not a JSON or YAML mapping; give "
                             "an OpenAPI 3.0/3.1 document.")
    return doc, fmt


