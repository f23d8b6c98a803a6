"""Schema ``pattern`` regular expressions (ECMA-262 as OAS says, PCRE as specs write them)
made matchable and generable in Python.

Part of the OpenAPI toolkit :mod:`nbconnect.spec.oas`. OAS 3.0.3 §4.7.24 / JSON Schema
Validation §6.3.3 make ``pattern`` an ECMA-262 regular expression; real specs (AWS ones
above all) also use Unicode property classes (``\\p{L}``, ``\\p{Lu}``, ``\\p{N}``) and PCRE's
``\\z``, which Python's :mod:`re` rejects.

- :func:`translate` rewrites the PCRE-only escapes Python spells differently (``\\z`` is
  ``\\Z``).
- :func:`compile_pattern` is the one matcher: a pattern :mod:`re` compiles is used exactly as
  before (the same verdicts); otherwise the translated pattern is compiled with the
  ``regex`` package (Unicode property classes); None when neither can.
- :func:`generable` is a :mod:`re`-syntax stand-in for a pattern, for walking its parse tree
  when generating a value: each property class becomes a few ASCII characters of that class
  (every string the stand-in gives is a string of the real pattern; check it with
  :func:`compile_pattern`).
"""

from __future__ import annotations

import functools
import re
from typing import Any

__all__ = ["compile_pattern", "generable", "search", "translate"]

#: PCRE/Perl escapes Python's ``re`` spells differently
_ESCAPES = {"z": "\\Z"}

#: a few ASCII members of each Unicode general category (for generating, inside ``[...]``)
_CLASS_CHARS = {
    "L": "a-zA-Z", "Letter": "a-zA-Z", "L&": "a-zA-Z", "LC": "a-zA-Z",
    "Lu": "A-Z", "Uppercase_Letter": "A-Z", "Ll": "a-z", "Lowercase_Letter": "a-z",
    "N": "0-9", "Number": "0-9", "Nd": "0-9", "Decimal_Number": "0-9",
    "Z": " ", "Separator": " ", "Zs": " ", "Space_Separator": " ",
    "P": ".,:;!?_\\-", "Punctuation": ".,:;!?_\\-", "Pd": "\\-", "Po": ".,:;!?",
    "Pc": "_", "S": "+=<>$^|~", "Symbol": "+=<>$^|~", "Sm": "+=<>|~", "Sc": "$",
    "Sk": "\\^", "Alpha": "a-zA-Z", "Alnum": "a-zA-Z0-9", "Digit": "0-9",
    "Upper": "A-Z", "Lower": "a-z", "Space": " ", "Punct": ".,:;!?_\\-",
    "Word": "a-zA-Z0-9_", "XDigit": "0-9a-f", "ASCII": "a-zA-Z0-9",
}


def _escapes(pattern: str) -> list[tuple[bool, str]]:
    """The pattern as (escaped, text) pieces: ``\\x`` escapes and plain characters."""
    out: list[tuple[bool, str]] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in "pP" and i + 2 < len(pattern) and pattern[i + 2] == "{":
                end = pattern.find("}", i + 3)
                if end != -1:
                    out.append((True, pattern[i:end + 1]))
                    i = end + 1
                    continue
            out.append((True, pattern[i:i + 2]))
            i += 2
            continue
        out.append((False, ch))
        i += 1
    return out


def translate(pattern: str) -> str:
    """``pattern`` with the PCRE escapes Python spells differently rewritten (``\\z``)."""
    return "".join(_ESCAPES.get(text[1], text) if escaped and len(text) == 2 else text
                   for escaped, text in _escapes(pattern))


@functools.lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> Any:
    """A compiled matcher for a schema ``pattern`` (``search`` semantics as JSON Schema
    wants), or None when neither :mod:`re` nor the ``regex`` package can compile it."""
    try:
        return re.compile(pattern)
    except (re.error, TypeError, ValueError, OverflowError, RecursionError):
        pass
    text = translate(pattern)
    try:
        return re.compile(text)
    except (re.error, TypeError, ValueError, OverflowError, RecursionError):
        pass
    try:
        import regex  # Unicode property classes (\p{L}); imported only when needed
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    try:
        return regex.compile(text)
    except Exception:  # regex.error and the like: a pattern no engine here reads
        return None


def search(pattern: str, text: str) -> bool | None:
    """Whether ``pattern`` matches somewhere in ``text``; None when it cannot be compiled."""
    compiled = compile_pattern(pattern)
    return None if compiled is None else compiled.search(text) is not None


def generable(pattern: str) -> str | None:
    """A :mod:`re` pattern whose strings all match ``pattern``, for generating values (the
    pattern itself when :mod:`re` reads it); None when a class cannot be stood in for."""
    try:
        re.compile(pattern)
        return pattern
    except (re.error, TypeError, ValueError, OverflowError, RecursionError):
        pass
    out: list[str] = []
    depth = 0  # inside a [...] class
    for escaped, text in _escapes(pattern):
        if not escaped:
            if text == "[" and depth == 0:
                depth = 1
            elif text == "]" and depth == 1 and out and out[-1] not in ("[", "[^"):
                depth = 0
            elif text == "^" and depth == 1 and out and out[-1] == "[":
                out[-1] = "[^"
                continue
            out.append(text)
            continue
        if text.startswith(("\\p{", "\\P{")):
            name = text[3:-1].split("=")[-1].split(":")[-1].lstrip("^")
            name = name[2:] if name.startswith("Is") and name[2:] in _CLASS_CHARS else name
            chars = _CLASS_CHARS.get(name)
            negated = (text[1] == "P") != text[3:4].startswith("^")
            if chars is None or (negated and depth):
                return None
            if negated:
                out.append(f"[^{chars}]")
            else:
                out.append(chars if depth else f"[{chars}]")
            continue
        out.append(_ESCAPES.get(text[1], text) if len(text) == 2 else text)
    candidate = "".join(out)
    try:
        re.compile(candidate)
    except (re.error, TypeError, ValueError, OverflowError, RecursionError):
        return None
    return candidate
