"""Choosing operations by tag, include and exclude pattern, before the endpoint limit applies.

The one place that checks the selection options for every face (CLI, magics, Python):
:func:`selection` accepts tags as one name, a comma-separated string or a list (whose items
may themselves be comma-separated), and compiles the include/exclude regular expressions,
raising :class:`~nbconnect.errors.SpecSelectionError` with ``option`` set when one is
invalid. :func:`select` applies it to the listed operations and :func:`check_limit` refuses
a selection over :data:`~nbconnect.limits.MAX_IMPORTED_ENDPOINTS`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .. import limits
from ..errors import LimitError, SpecSelectionError
from .context import plural
from .operations import Operation

__all__ = ["Selection", "check_limit", "select", "selection", "tag_list"]


@dataclass(frozen=True)
class Selection:
    """Checked selection options: tag names (as given) and compiled patterns."""

    tags: tuple[str, ...] = ()
    include: str | None = None
    exclude: str | None = None
    include_rx: re.Pattern[str] | None = None
    exclude_rx: re.Pattern[str] | None = None

    @property
    def active(self) -> bool:
        """True when any option narrows the operations."""
        return bool(self.tags or self.include_rx or self.exclude_rx)

    @property
    def option(self) -> str:
        """The option a "matches nothing" error is about: the first one given."""
        return "tags" if self.tags else "include" if self.include_rx else "exclude"


def tag_list(tags: Any) -> tuple[str, ...]:
    """Tag names from ``tags``: None, one string (comma-separated names allowed) or an
    iterable of strings; blank names are dropped. Items are kept whole here; :func:`select`
    splits an item at commas unless the spec has a tag of exactly that name."""
    if tags is None:
        return ()
    items: Iterable[Any] = (tags,) if isinstance(tags, str) else tags
    try:
        out = tuple(str(t).strip() for t in items if t is not None)
    except TypeError:
        raise SpecSelectionError(f"The tags must be a name, a comma-separated string or a "
                                 f"list of names, not {type(tags).__name__}; fix them.",
                                 option="tags") from None
    return tuple(t for t in out if t)


def _compile(option: str, pattern: Any) -> re.Pattern[str] | None:
    if pattern is None or pattern == "":
        return None
    if not isinstance(pattern, str):
        raise SpecSelectionError(f"The {option} pattern must be a regular expression as text, "
                                 f"not {type(pattern).__name__}; fix it.", option=option)
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise SpecSelectionError(
            f"The {option} pattern {pattern!r} is not a valid regular expression ({exc}); "
            "fix it.", option=option) from None


def selection(tags: Any = (), include: Any = None, exclude: Any = None) -> Selection:
    """Check and normalise the selection options (raises SpecSelectionError when invalid)."""
    return Selection(tag_list(tags), include or None, exclude or None,
                     _compile("include", include), _compile("exclude", exclude))


def _wanted_tags(sel: Selection, by_lower: dict[str, str]) -> list[str]:
    wanted: list[str] = []
    for item in sel.tags:
        if item.lower() in by_lower or "," not in item:
            wanted.append(item)
        else:
            wanted += [t.strip() for t in item.split(",") if t.strip()]
    return list(dict.fromkeys(wanted))


def select(ops: list[Operation], sel: Selection) -> list[Operation]:
    """The operations ``sel`` keeps: any of its tags (case-insensitive), then those whose path
    or operationId the include pattern finds, minus those the exclude pattern finds."""
    chosen = ops
    wanted: list[str] = []
    if sel.tags:
        by_lower: dict[str, str] = {}
        for op in ops:
            for t in op.tags:
                by_lower.setdefault(t.lower(), t)
        wanted = _wanted_tags(sel, by_lower)
        unknown = [t for t in wanted if t.lower() not in by_lower]
        if unknown:
            known = sorted(by_lower.values(), key=str.lower)
            shown = ", ".join(known[:12]) + (", …" if len(known) > 12 else "")
            raise SpecSelectionError(
                f"No operation has the tag {', '.join(map(repr, unknown))}; "
                f"the spec's tags are: {shown or 'none'}.", option="tags")
        lowered = {t.lower() for t in wanted}
        chosen = [op for op in chosen if any(t.lower() in lowered for t in op.tags)]
    for rx, keep in ((sel.include_rx, True), (sel.exclude_rx, False)):
        if rx is None:
            continue
        chosen = [op for op in chosen
                  if bool(rx.search(op.path) or (op.operation_id and
                                                 rx.search(op.operation_id))) == keep]
    if not chosen and ops and sel.active:
        raise SpecSelectionError(
            f"The selection (tags={wanted or None}, include={sel.include!r}, "
            f"exclude={sel.exclude!r}) matches none of the spec's "
            f"{plural(len(ops), 'operation')}; loosen it.", option=sel.option)
    return chosen


def check_limit(selected: list[Operation], sel: Selection) -> None:
    """Refuse more than MAX_IMPORTED_ENDPOINTS operations, listing the tags to pick from."""
    limit = limits.MAX_IMPORTED_ENDPOINTS
    if len(selected) <= limit:
        return
    tag_counts: dict[str, int] = {}
    for op in selected:
        for t in op.tags:
            tag_counts[t] = tag_counts.get(t, 0) + 1
    tag_names = list(tag_counts)
    shown = ", ".join(tag_names[:8]) + (", …" if len(tag_names) > 8 else "")
    by_tag = f"by tag ({plural(len(tag_names), 'tag')}: {shown})" if tag_names else "by tag"
    what = (f"The selection matches {plural(len(selected), 'operation')}"
            if sel.active else f"The spec has {plural(len(selected), 'operation')}")
    raise LimitError(f"{what}; the limit is {limit}; pick some {by_tag} or with an include "
                     "or exclude pattern.", option="tags",
                     details=[f"{t}: {plural(n, 'operation')}"
                              for t, n in sorted(tag_counts.items())])
