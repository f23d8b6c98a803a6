"""Paging rules as plain data: ``PagingRule``, how a list endpoint's pages follow each other.

A rule is stored on its endpoint (``Endpoint.paging``) and travels in the package. Four
types, the ways APIs page:

- ``link``: the next page's URL is given, in the ``Link`` response header with
  ``rel="next"`` (RFC 8288 §3) or, when ``field`` is set, in a response field
  (``next``, ``_links.next.href``);
- ``cursor``: a response field (``field``, such as ``next_cursor`` or ``meta.next_token``)
  gives an opaque value sent back in the request parameter ``param``;
- ``offset``: the request parameter ``param`` (``offset``, ``skip``) is the index of the
  first item, advanced by the number of items received; ``limit_param``/``limit`` set the
  page size and ``total_field`` the total item count, when the API gives one;
- ``page``: the request parameter ``param`` is a page number from ``start`` (default 1);
  ``field`` optionally gives the next page number (``meta.next_page``; null: the last page).

``items`` is the response path of the page's items (None: found by shape, see
:mod:`nbconnect.paging.rules`). Paths are dotted field names (``meta.next_page``; ``$`` is
the whole body). :func:`checked_paging` checks a rule against its endpoint: a parameter
the endpoint lacks, or a field its declared response lacks, raises
:class:`~nbconnect.errors.PagingError`. Following a rule is :mod:`nbconnect.paging.follow`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import limits
from ..errors import PagingError

__all__ = ["DEFAULT_MAX_PAGES", "MAX_PAGES", "PAGING_EXTENSION", "PAGING_TYPES", "PagingRule",
           "checked_paging", "split_path", "with_spec_paging"]

PAGING_TYPES = ("link", "cursor", "offset", "page")
#: the OpenAPI operation extension holding an endpoint's rule in ``openapi.json``
#: (:meth:`PagingRule.to_dict`), written by :mod:`nbconnect.spec.writer`, read on import
PAGING_EXTENSION = "x-nbconnect-paging"
#: pages followed when no bound is given (:data:`nbconnect.limits.DEFAULT_MAX_PAGES`)
DEFAULT_MAX_PAGES = limits.DEFAULT_MAX_PAGES
#: the largest max-pages bound accepted (:data:`nbconnect.limits.MAX_PAGES`)
MAX_PAGES = limits.MAX_PAGES

_FIELDS = ("type", "param", "field", "limit_param", "limit", "total_field", "start", "items")
_SEGMENT_RE = re.compile(r"[^.\[\]\x00-\x1f]+\Z")


def split_path(path: str, what: str = "field") -> tuple[str, ...]:
    """``"meta.next_page"`` -> ``("meta", "next_page")``; ``"$"`` (or ``""``) -> ``()``
    (the whole body). A leading ``$.`` is allowed. Raises :class:`PagingError` for an empty
    segment or brackets."""
    if not isinstance(path, str):
        raise PagingError(f"The paging {what} must be a dotted field path such as "
                          f"meta.next_cursor, not {path!r}.", option=what)
    text = path.strip()
    if text in ("", "$"):
        return ()
    if text.startswith("$."):
        text = text[2:]
    parts = tuple(text.split("."))
    if not all(_SEGMENT_RE.match(p) for p in parts):
        raise PagingError(f"The paging {what} {path!r} is not a dotted field path; write it "
                          "such as meta.next_cursor (no brackets, no empty parts).", option=what)
    return parts


def _whole(value: Any, what: str, low: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise PagingError(f"The paging {what} must be a whole number of at least {low}, not "
                          f"{value!r}.", option=what)
    return value


@dataclass(frozen=True)
class PagingRule:
    """How a list endpoint pages (see the module docstring for the four types).

    ``param`` is the request parameter that advances (cursor, offset, page types);
    ``field`` a response path (the cursor; the next URL of a ``link`` rule kept in the
    body; the next page number); ``limit_param``/``limit`` the page-size parameter and
    the size sent; ``total_field`` the response path of the total item count; ``start``
    the first offset (default 0) or page number (default 1); ``items`` the response path
    of the items. A malformed rule raises :class:`~nbconnect.errors.PagingError`.
    """

    type: str
    param: str | None = None
    field: str | None = None
    limit_param: str | None = None
    limit: int | None = None
    total_field: str | None = None
    start: int | None = None
    items: str | None = None

    def __post_init__(self) -> None:
        if self.type not in PAGING_TYPES:
            raise PagingError(f"Paging type {self.type!r} is not known; use one of "
                              f"{', '.join(PAGING_TYPES)}.", option="type")
        for name in ("param", "field", "limit_param", "total_field", "items"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise PagingError(f"The paging {name} must be a name, not {value!r}.",
                                  option=name)
            if isinstance(value, str):
                object.__setattr__(self, name, value.strip())
        for name in ("field", "total_field", "items"):
            if getattr(self, name) is not None:
                split_path(getattr(self, name), name)
        object.__setattr__(self, "limit", _whole(self.limit, "limit", 1))
        object.__setattr__(self, "start", _whole(self.start, "start", 0))
        kind = self.type
        if kind == "link":
            if self.param is not None:
                raise PagingError("A link paging rule follows the next link as given and "
                                  "sends no parameter of its own; leave the parameter out.",
                                  option="param")
        elif self.param is None:
            raise PagingError(f"A {kind} paging rule needs the request parameter that "
                              f"advances it (such as {_EXAMPLE_PARAM[kind]}); name it.",
                              option="param")
        if kind == "cursor" and self.field is None:
            raise PagingError("A cursor paging rule needs the response field that gives the "
                              "next cursor (such as next_cursor or meta.next_token); name it.",
                              option="field")
        if kind == "offset" and self.field is not None:
            raise PagingError("An offset paging rule advances by the items received and "
                              "reads no next field; leave the field out (total_field gives "
                              "the total).", option="field")
        if self.limit is not None and self.limit_param is None:
            raise PagingError("A page size was given without the request parameter that "
                              "carries it (such as limit or per_page); name it.",
                              option="limit_param")

    @property
    def first(self) -> int:
        """The first offset (0) or page number (1) unless ``start`` says otherwise."""
        if self.start is not None:
            return self.start
        return 1 if self.type == "page" else 0

    def describe(self) -> str:
        """One line: ``cursor: param cursor <- next_cursor; items in data``."""
        kind = self.type
        if kind == "link":
            how = f"next URL in field {self.field}" if self.field else \
                'Link header rel="next"'
        elif kind == "cursor":
            how = f"param {self.param} <- field {self.field}"
        elif kind == "offset":
            how = f"param {self.param} from {self.first}"
        else:
            how = f"param {self.param} from {self.first}"
            if self.field:
                how += f", next page in field {self.field}"
        if self.limit_param:
            how += f", size {self.limit_param}" + (f"={self.limit}" if self.limit else "")
        if self.total_field:
            how += f", total in field {self.total_field}"
        if self.items:
            how += f", items in {self.items}"
        return f"{kind}: {how}"

    def to_dict(self) -> dict[str, Any]:
        """The rule as plain data (unset fields left out)."""
        return {k: getattr(self, k) for k in _FIELDS if getattr(self, k) is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PagingRule:
        """Build a rule from :meth:`to_dict` output; an unknown key raises PagingError."""
        if not isinstance(data, Mapping):
            raise PagingError("A paging rule must be a mapping with at least a type, such as "
                              "{'type': 'cursor', 'param': 'cursor', 'field': 'next'}.")
        extra = sorted(set(map(str, data)) - set(_FIELDS))
        if extra:
            raise PagingError(f"A paging rule has unknown field(s) {', '.join(extra)}; known "
                              f"fields are {', '.join(_FIELDS)}.")
        if not data.get("type"):
            raise PagingError("A paging rule needs a type: one of "
                              f"{', '.join(PAGING_TYPES)}.", option="type")
        return cls(**{k: data[k] for k in _FIELDS if k in data})


_EXAMPLE_PARAM = {"cursor": "cursor or page_token", "offset": "offset", "page": "page"}


def _request_names(endpoint: Any) -> list[str]:
    names = [p.name for p in endpoint.params if p.location != "path"]
    names += [p.name for p in endpoint.params if p.location == "path"]
    for top in endpoint.body:
        names.extend(dotted for dotted, _ in top.walk())
    return names


def _response_paths(response: Iterable[Any]) -> set[str]:
    return {dotted for top in response for dotted, _ in top.walk()}


def checked_paging(rule: PagingRule | Mapping[str, Any], endpoint: Any) -> PagingRule:
    """``rule`` (a PagingRule or its dict) checked against ``endpoint``.

    The request parameters it names (``param``, ``limit_param``) must be parameters of the
    endpoint (body fields by dotted name); the response paths (``field``, ``total_field``,
    ``items``) must be in the endpoint's declared response tree when it has one (an endpoint
    without a declared response is not checked: its pages show the fields). Raises
    :class:`~nbconnect.errors.PagingError` naming the missing one and what there is.
    """
    import difflib

    if not isinstance(rule, PagingRule):
        rule = PagingRule.from_dict(rule)
    names = _request_names(endpoint)
    for attr in ("param", "limit_param"):
        name = getattr(rule, attr)
        if name is not None and name not in names:
            close = difflib.get_close_matches(name, names, n=3)
            hint = f"did you mean {', '.join(close)}?" if close else \
                f"its parameters are {', '.join(names) or 'none'}; add the parameter first."
            raise PagingError(f"The paging rule of endpoint {endpoint.id} names the request "
                              f"parameter {name!r}, which the endpoint does not have; {hint}",
                              option=attr)
    paths = _response_paths(endpoint.response)
    if paths:
        for attr in ("field", "total_field", "items"):
            value = getattr(rule, attr)
            if value is None or not split_path(value, attr):
                continue
            dotted = ".".join(split_path(value, attr))
            if dotted not in paths:
                shown = sorted(p for p in paths if "[]" not in p)
                close = difflib.get_close_matches(dotted, shown, n=3)
                hint = f"did you mean {', '.join(close)}?" if close else \
                    f"its top fields are {', '.join(shown[:8]) or 'none'}."
                raise PagingError(f"The paging rule of endpoint {endpoint.id} names the "
                                  f"response field {value!r}, which the endpoint's declared "
                                  f"response does not have; {hint}", option=attr)
    return rule


def with_spec_paging(endpoint: Any, operation: Mapping[str, Any],
                     warn: Callable[[str], None]) -> Any:
    """``endpoint`` with the paging rule of its OpenAPI ``operation``'s
    :data:`PAGING_EXTENSION` (as nbconnect exports it), or unchanged when it has none.

    A rule that is malformed or names a parameter or field the endpoint lacks is not kept:
    ``warn`` gets a sentence saying why, and the import goes on without it.
    """
    import dataclasses

    value = operation.get(PAGING_EXTENSION) if isinstance(operation, Mapping) else None
    if value is None:
        return endpoint
    try:
        return dataclasses.replace(endpoint, paging=checked_paging(value, endpoint))
    except PagingError as exc:
        warn(f"its {PAGING_EXTENSION} was not kept: {exc.message}")
        return endpoint
