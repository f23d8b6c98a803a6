"""The state one import carries: the document, strict or lenient, warnings, ``$ref`` lookups.

Every step of an import (:mod:`.operations`, :mod:`.selection`, :mod:`.reduce`,
:mod:`.params`, :mod:`.suggest`) takes an :class:`ImportContext`: it raises a problem in
strict mode and records it as a warning in lenient mode, and it resolves local ``$ref``s
through the toolkit's :class:`~nbconnect.spec.oas.Resolver`. The small text helpers used in
import messages live here too.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from ..errors import SpecError
from .oas import Resolver

__all__ = ["ImportContext", "plural", "short"]


class ImportContext:
    """One import's document, mode (strict or lenient), origin and collected warnings."""

    def __init__(self, doc: Any, *, lenient: bool, origin: str,
                 source_url: str | None) -> None:
        self.doc = doc
        self.lenient = bool(lenient)
        self.origin = origin
        self.source_url = source_url
        self.warnings: list[str] = []
        self.refs = Resolver(doc)
        #: schema views by id(schema) (see :mod:`.params`), shared by all operations
        self.view_memo: dict[int, tuple[Any, Any]] = {}
        #: (name, location) pairs already checked to be valid parameter names
        self.good_names: set[tuple[str, str]] = set()
        self._deref_memo: dict[str, tuple[Any, str | None]] = {}

    def warn(self, text: str) -> None:
        """Record a warning once."""
        if text not in self.warnings:
            self.warnings.append(text)

    def problem(self, exc: SpecError, warning: str) -> None:
        """Raise ``exc`` in strict mode; record ``warning`` in lenient mode."""
        if not self.lenient:
            raise exc
        self.warn(warning)

    def deref(self, obj: Any) -> tuple[Any, str | None]:
        """Follow ``obj``'s local ``$ref``s: (target or ``{}`` when broken, name of the last
        component referenced or None). Memoised by reference (see :meth:`forget`)."""
        if not isinstance(obj, dict):
            return obj, None
        ref = obj.get("$ref")
        if not isinstance(ref, str):
            return obj, None
        hit = self._deref_memo.get(ref)
        if hit is None:
            found = self.refs.deref(obj)
            hit = self._deref_memo[ref] = (found.value, found.component)
        return hit

    def forget(self) -> None:
        """Drop memoised references after the document changed (a ``$ref`` was removed)."""
        self.refs.forget()
        self._deref_memo.clear()


def short(text: Any, limit: int = 300) -> str:
    """First paragraph of ``text``, whitespace collapsed, cut near ``limit`` chars."""
    if not isinstance(text, str):
        return ""
    return _short_text(text, limit)


@functools.lru_cache(maxsize=4096)
def _short_text(text: str, limit: int) -> str:
    para = re.split(r"\n\s*\n", text.strip(), maxsplit=1)[0]
    para = " ".join(para.split())
    if len(para) <= limit:
        return para
    cut = para[:limit]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if end >= limit // 2:
        return cut[:end + 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"


def plural(n: int, word: str) -> str:
    """``"1 operation"``, ``"1,234 operations"``."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")
