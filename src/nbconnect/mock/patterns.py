"""Strings for the mock's generated values: from a regular expression, or from a ``format``.

:func:`from_pattern` builds a short string matching a ``pattern`` (walking the parsed
expression, first branch and fewest repeats) or gives up with None; :data:`FORMATS` maps a
``format`` to a fixed or seeded value (date-time and date fixed, email and uuid seeded).
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


def from_pattern(pattern: str) -> str | None:
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

