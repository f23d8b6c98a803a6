"""Strings for the mock's generated values: from a regular expression, or from a ``format``.

:func:`from_pattern` builds a short string matching a ``pattern`` (walking the parsed
expression, first branch and fewest repeats, then other branches, repeat counts and class
characters until the judge's matcher accepts one; ECMA-262/PCRE patterns such as ``\\p{L}``
and ``\\z`` through :func:`nbconnect.spec.oas.patterns.generable`) or gives up with None;
:data:`FORMATS` maps a ``format`` to a fixed or seeded value (date-time and date fixed, email
and uuid seeded).
"""

from __future__ import annotations

import functools
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
    Every string given is checked with the judge's matcher
    (:func:`nbconnect.spec.oas.patterns.compile_pattern`); when the first walk of the
    pattern fails it (a later alternation branch, another repeat count or other class
    characters were needed, as for ``((25[0-5]|1?[0-9]?[0-9])(\\.(?!$)|$)){4}``), other
    choices are tried, fewest changes first, at most :data:`MAX_ATTEMPTS` walks.
    """
    return _from_pattern(pattern, min_length, max_length, variant)


#: walks of a pattern's parse tree tried for one string (each checked with the matcher)
MAX_ATTEMPTS = 400


@functools.lru_cache(maxsize=2048)
def _from_pattern(pattern: str, min_length: int, max_length: int | None,
                  variant: int) -> str | None:
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

    first = _emit(tree, c, 0, variant, _Choices(()))
    if fits(first):
        return first
    found = _search(tree, c, 0, variant, fits, MAX_ATTEMPTS // 2)
    if found is not None:
        return found
    if first is not None and len(first) < min_length:
        grow = min_length - len(first)
        found = _search(tree, c, grow, variant, fits, MAX_ATTEMPTS // 2, first=True)
        if found is not None:
            return found
        if compiled.search(first + "x") is not None:
            padded = first + "x" * (min_length - len(first))  # an unanchored end
            if fits(padded):
                return padded
    return None


class _Choices:
    """The choices of one walk: ``prefix[i]`` at the i-th decision (0 past its end), and
    how many options each decision had (``counts``), so other walks can be derived."""

    __slots__ = ("counts", "prefix", "used")

    def __init__(self, prefix: tuple[int, ...]) -> None:
        self.prefix = prefix
        self.counts: list[int] = []
        self.used: list[int] = []

    def pick(self, options: int) -> int:
        """The option (0 to ``options - 1``) taken at the next decision."""
        i = len(self.counts)
        k = self.prefix[i] if i < len(self.prefix) and self.prefix[i] < options else 0
        self.counts.append(options)
        self.used.append(k)
        return k


def _search(tree: Any, c: Any, grow: int, variant: int, fits: Callable[[str | None], bool],
            budget: int, *, first: bool = False) -> str | None:
    """The first walk whose string ``fits``: walks that change one decision of the first
    walk, then two, ... (breadth first, each distinct set of choices once), at most
    ``budget`` walks."""
    import collections

    queue: collections.deque[tuple[int, ...]] = collections.deque([()])
    tried = 0
    while queue and tried < budget:
        prefix = queue.popleft()
        choices = _Choices(prefix)
        text = _emit(tree, c, grow, variant, choices)
        tried += 1
        if (prefix or first) and fits(text):
            return text
        if len(queue) > 4 * budget:
            continue
        used = tuple(choices.used)
        for j in range(len(prefix), len(choices.counts)):
            for k in range(1, choices.counts[j]):
                queue.append((*used[:j], k))
    return None


#: characters tried for a class that names no character of its own (``[^...]``, ``\\w``)
_POOL = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
_CATEGORY_CHARS = {"CATEGORY_DIGIT": "0123456789", "CATEGORY_SPACE": " ",
                   "CATEGORY_WORD": "abcdefghijklmnopqrstuvwxyz0123456789_"}


def _kind(ch: str) -> int:
    return 0 if ch.islower() else 1 if ch.isupper() else 2 if ch.isdigit() else 3


def _emit(tree: Any, c: Any, grow: int, variant: int, choices: _Choices) -> str | None:
    """The string of a parsed pattern: fewest repeats (``grow`` more characters from the
    first repeats that may grow), choices from ``variant`` in mixed radix; ``choices``
    takes other branches, repeat counts and class characters (option 0 is the default)."""
    out: list[str] = []
    state = {"budget": 512, "grow": grow, "variant": variant}

    def choose(chars: str) -> str:
        if not chars:
            raise ValueError("empty class")
        n = len(chars)
        index = state["variant"] % n
        state["variant"] //= n
        # other options, shifted like the variant: into each run of lower/upper/digit/other
        starts = [i for i in range(1, n) if _kind(chars[i]) != _kind(chars[i - 1])]
        options = list(dict.fromkeys([index, *((index + s) % n for s in starts[:6]),
                                      (index + 1) % n]))
        return chars[options[choices.pick(len(options))] if len(options) > 1 else index]

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
                others = [n for n in (lo, count + 1, count + 2) if n != count and n <= hi]
                if others:  # other counts: none (when allowed), one or two more
                    options = [count, *dict.fromkeys(others)]
                    count = options[choices.pick(len(options))]
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
                branches = av[1]
                emit(branches[choices.pick(len(branches))] if len(branches) > 1
                     else branches[0])
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

