"""Strings for the mock's generated values: from a regular expression, or from a ``format``.

:func:`from_pattern` builds a short string matching a ``pattern`` (walking the parsed
expression, first branch and fewest repeats; ECMA-262/PCRE patterns such as ``\\p{L}`` and
``\\z`` through :func:`nbconnect.spec.oas.patterns.generable`) or gives up with None;
:data:`FORMATS` maps a ``format`` to a fixed or seeded value (date-time and date fixed, email
and uuid seeded).
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable
from typing import Any

__all__ = ["FIXED_DATE", "FIXED_DATE_TIME", "FORMATS", "from_pattern"]

FIXED_DATE_TIME = "2026-01-01T09:00:00Z"
FIXED_DATE = "2026-01-01"


def from_pattern(pattern: str, *, min_length: int = 0, max_length: int | None = None,
                 variant: int = 0) -> str | None:
    """A short string matching the regular expression ``pattern`` with a length from
    ``min_length`` to ``max_length`` (None if unsure).

    Repeats are as few as the pattern allows; when that is too short, the first repeats
    that may grow do. ``variant`` picks other characters from the character classes (a
    different string for each variant while the classes have room), for unique items.
    """
    from ..spec.oas.patterns import compile_pattern, generable

    try:
        import re._constants as c  # type: ignore[import-not-found]
        import re._parser as p  # type: ignore[import-not-found]

        source = generable(pattern)  # \\p{L}, \\z: a re stand-in to walk
        tree = p.parse(source if source is not None else pattern)
        compiled = compile_pattern(pattern)
        if compiled is None:
            return None
    except Exception:
        return None

    def fits(text: str | None) -> bool:
        return text is not None and min_length <= len(text) and (
            max_length is None or len(text) <= max_length) and \
            compiled.search(text) is not None

    first = _emit(tree, c, 0, variant)
    if fits(first):
        return first
    if first is not None and len(first) < min_length:
        grown = _emit(tree, c, min_length - len(first), variant)
        if fits(grown):
            return grown
        if grown is not None and compiled.search(first + "x") is not None:
            padded = first + "x" * (min_length - len(first))  # an unanchored end
            if fits(padded):
                return padded
    return None


#: characters tried for a class that names no character of its own (``[^...]``, ``\w``)
_POOL = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
_CATEGORY_CHARS = {"CATEGORY_DIGIT": "0123456789", "CATEGORY_SPACE": " ",
                   "CATEGORY_WORD": "abcdefghijklmnopqrstuvwxyz0123456789_"}


def _emit(tree: Any, c: Any, grow: int, variant: int) -> str | None:
    """The string of a parsed pattern: fewest repeats (``grow`` more characters from the
    first repeats that may grow), choices from ``variant`` in mixed radix."""
    out: list[str] = []
    state = {"budget": 512, "grow": grow, "variant": variant}

    def choose(chars: str) -> str:
        if not chars:
            raise ValueError("empty class")
        n = len(chars)
        index = state["variant"] % n
        state["variant"] //= n
        return chars[index]

    def candidates(items: Any) -> str:
        negate = any(op is c.NEGATE for op, _ in items)
        allowed: list[str] = []
        if not negate:
            for op, av in items:
                if op is c.LITERAL:
                    allowed.append(chr(av))
                elif op is c.RANGE:
                    allowed.extend(chr(x) for x in range(av[0], min(av[1], av[0] + 61) + 1))
                elif op is c.CATEGORY:
                    allowed.extend(_CATEGORY_CHARS.get(str(av), ""))
        if allowed:
            return "".join(dict.fromkeys(allowed))
        source = "[" + "".join(_set_source(items, c)) + "]"
        try:
            return "".join(ch for ch in _POOL if re.fullmatch(source, ch))
        except re.error:
            return "a"

    def emit(items: Any) -> None:
        for op, av in items:
            state["budget"] -= 1
            if state["budget"] < 0:
                raise ValueError("pattern too complex")
            if op is c.LITERAL:
                out.append(chr(av))
            elif op is c.NOT_LITERAL:
                out.append(choose("".join(ch for ch in _POOL if ord(ch) != av)))
            elif op is c.ANY:
                out.append(choose(_POOL))
            elif op is c.IN:
                out.append(choose(candidates(av)))
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
                lo, hi, sub = av
                count = min(max(lo, 1), hi, 64)
                for _ in range(count):
                    emit(sub)
                while state["grow"] > 0 and count < min(hi, 4096):
                    before = sum(map(len, out))
                    emit(sub)
                    count += 1
                    state["grow"] -= max(1, sum(map(len, out)) - before)
            elif op is c.SUBPATTERN:
                emit(av[-1])
            elif op is getattr(c, "ATOMIC_GROUP", None):
                emit(av)
            elif op is c.BRANCH:
                emit(av[1][0])
            elif op in (c.AT, c.ASSERT, c.ASSERT_NOT):
                continue
            else:
                raise ValueError("unsupported")

    try:
        emit(tree)
    except (ValueError, TypeError, OverflowError, RecursionError):
        return None
    return "".join(out)


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


FORMATS: dict[str, Callable[[random.Random], str]] = {
    "date-time": lambda r: FIXED_DATE_TIME,
    "date": lambda r: FIXED_DATE,
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

