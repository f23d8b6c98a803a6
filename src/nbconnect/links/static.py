"""Static lists, and the lookups every link shares: finding a link, setting and removing one.

A static list limits a request parameter to listed values, each with an optional label
(:func:`static_link`). A parameter whose spec declares an ``enum`` has that list without
asking (:func:`enum_link`, origin ``"enum"``); a link the user sets replaces it.
:func:`set_link` adds or replaces a link on the connector, all or nothing (a circle of
links, :class:`~nbconnect.errors.LinkCycleError`, leaves the connector as it was);
:func:`remove_link` takes one away; :func:`link_for` finds the link that applies to a
parameter; :func:`find_param` names a request parameter or body field (``owner.id``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from ..errors import LinkDefinitionError
from ..model import Connector, Endpoint, Param
from ..model.links import Link

__all__ = ["LinkList", "all_links", "enum_link", "find_endpoint", "find_param", "link_for",
           "links_of", "remove_link", "set_link", "split_listed", "static_link"]


class LinkList(list):  # type: ignore[type-arg]
    """``(link, origin)`` pairs (origin ``"set"``, ``"enum"`` or ``"broken"``, see
    :func:`all_links`) that show as a table."""

    def __init__(self, found: Iterable[tuple[Link, str]], name: str = "") -> None:
        super().__init__(found)
        self.name = name

    def to_list(self) -> list[dict[str, Any]]:
        """Plain data: each link's dict plus ``kind`` and ``origin``."""
        return [{**lk.to_dict(), "kind": lk.kind, "origin": origin} for lk, origin in self]

    def text(self) -> str:
        """ENDPOINT, PARAM, KIND (static, dynamic, enum or broken) and VALUES, one row a
        link."""
        if not self:
            return f"{self.name or 'the connector'} has no parameter links"
        rows = [(lk.endpoint, lk.param, lk.kind if origin == "set" else origin, describe(lk))
                for lk, origin in self]
        head = ("ENDPOINT", "PARAM", "KIND")
        widths = [max(len(r[i]) for r in [(*head, ""), *rows]) for i in range(3)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + "  VALUES"]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)) +
                  f"  {r[3]}" for r in rows]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()


def describe(link: Link) -> str:
    """A link in a few words: ``[a, b]`` or ``from L items[*].id label ... (k=v)``."""
    from ..testing.values import value_text

    if link.values is not None:
        shown = ", ".join(value_text(v) for v in link.values[:6])
        more = f" ... ({len(link.values)} values)" if len(link.values) > 6 else ""
        return f"[{shown}{more}]"
    inputs = ", ".join(f"{i.name}={'param:' + i.param if i.param else value_text(i.value)}"
                       for i in link.inputs)
    label = f" label {link.label_path}" if link.label_path else ""
    return f"from {link.source} {link.value_path}{label}" + (f" ({inputs})" if inputs else "")


def find_endpoint(connector: Connector, endpoint_id: str, *, role: str = "endpoint") -> Endpoint:
    """The endpoint ``endpoint_id``; :class:`LinkDefinitionError` (with the closest ids)
    when the connector has none."""
    for ep in connector.endpoints:
        if ep.id == endpoint_id:
            return ep
    ids = [e.id for e in connector.endpoints]
    close = difflib.get_close_matches(str(endpoint_id), ids, n=3)
    hint = f"did you mean {', '.join(close)}?" if close else \
        f"its endpoints are {', '.join(ids[:8])}{' ...' if len(ids) > 8 else ''}." if ids \
        else "it has none yet."
    raise LinkDefinitionError(f"The {role} {endpoint_id!r} is not an endpoint of connector "
                              f"{connector.name!r}; {hint}")


def request_names(ep: Endpoint) -> list[str]:
    """The names a link can limit: request parameters, then body fields (dotted)."""
    names = [p.name for p in ep.params]
    names += [dotted for top in ep.body for dotted, _ in top.walk()]
    return list(dict.fromkeys(names))


def find_param(connector: Connector, endpoint_id: str, name: str) -> tuple[Endpoint, Param]:
    """(endpoint, parameter) for parameter ``name`` of ``endpoint_id`` (a body field by its
    dotted path); :class:`LinkDefinitionError` when either is missing."""
    ep = find_endpoint(connector, endpoint_id)
    for p in ep.params:
        if p.name == name:
            return ep, p
    for top in ep.body:
        for dotted, p in top.walk():
            if dotted == name:
                return ep, p
    names = request_names(ep)
    close = difflib.get_close_matches(str(name), names, n=3)
    hint = f"did you mean {', '.join(close)}?" if close else \
        f"its parameters are {', '.join(names[:10])}." if names else "it has no parameters."
    raise LinkDefinitionError(f"Endpoint {ep.id} has no parameter {name!r}; {hint}")


def enum_link(ep: Endpoint, param: Param, name: str | None = None) -> Link | None:
    """The static list a parameter's spec ``enum`` gives (None without an enum)."""
    values = [v for v in (param.enum or ()) if v is not None]
    if not values:
        return None
    try:
        return Link(ep.id, name or param.name, values=tuple(dict.fromkeys(values)))
    except LinkDefinitionError:
        return None


_COMMA_RE = re.compile(r"(?<!\\),")


def split_listed(items: str | Iterable[str] | None) -> list[str]:
    """Listed values or labels typed as text: each item split at commas, ``\\,`` being a
    comma inside one (``"Best\\, first,Due"`` is two labels), blanks stripped and dropped."""
    items = [items] if isinstance(items, str) else list(items or ())
    return [part.strip().replace("\\,", ",") for item in items
            for part in _COMMA_RE.split(str(item)) if part.strip()]


def static_link(connector: Connector, endpoint: str, param: str, values: Iterable[Any],
                labels: Iterable[str] | None = None) -> Link:
    """A checked static list for ``param`` of ``endpoint``: text values (``"7"``) are turned
    into the parameter's type; labels pair with values one to one. Raises
    :class:`LinkDefinitionError` for a missing endpoint or parameter, an empty list,
    duplicates or labels that do not pair."""
    from ..testing.values import coerce

    _ep, p = find_param(connector, endpoint, param)
    listed = [coerce(v, p) for v in values]
    return Link(endpoint, param, values=tuple(listed), labels=tuple(labels or ()))


def links_of(connector: Connector, endpoint: str | None = None) -> list[Link]:
    """The links the user set (of one endpoint, when given), in the connector's order."""
    return [lk for lk in getattr(connector, "links", ()) if endpoint in (None, lk.endpoint)]


def all_links(connector: Connector) -> list[tuple[Link, str]]:
    """Every link that applies, with its origin, endpoint by endpoint: ``"set"``,
    ``"enum"`` (the spec's enum), or ``"broken"`` (a link set whose endpoint, parameter or
    linked endpoint is gone: it fails when used; set it again or remove it)."""
    set_by_user = {lk.key: lk for lk in links_of(connector)}
    known = {e.id for e in connector.endpoints}
    out: list[tuple[Link, str]] = []
    for ep in connector.endpoints:
        seen = set()
        names = set(request_names(ep))
        for lk in links_of(connector, ep.id):
            broken = lk.param not in names or (lk.source is not None and
                                               lk.source not in known)
            out.append((lk, "broken" if broken else "set"))
            seen.add(lk.param)
        for p in ep.params:
            if p.name not in seen and (ep.id, p.name) not in set_by_user:
                lk = enum_link(ep, p)
                if lk is not None:
                    out.append((lk, "enum"))
    out += [(lk, "broken") for lk in links_of(connector) if lk.endpoint not in known]
    return out


def link_for(connector: Connector, endpoint: str, param: str) -> Link | None:
    """The link of ``param`` of ``endpoint``: the one set, else its enum list, else None."""
    for lk in links_of(connector, endpoint):
        if lk.param == param:
            return lk
    try:
        ep, p = find_param(connector, endpoint, param)
    except LinkDefinitionError:
        return None
    return enum_link(ep, p, param)


def set_link(connector: Connector, link: Link) -> tuple[Link, bool]:
    """Add ``link`` to the connector, replacing the parameter's old link; returns (link,
    replaced). All or nothing: a circle of links raises and changes nothing."""
    find_param(connector, link.endpoint, link.param)
    old = list(getattr(connector, "links", ()))
    replaced = any(lk.key == link.key for lk in old)
    new = [link if lk.key == link.key else lk for lk in old]
    if not replaced:
        new.append(link)
    connector.links = tuple(new)
    return link, replaced


def remove_link(connector: Connector, endpoint: str, param: str) -> Link:
    """Remove and return the link of ``param`` of ``endpoint``."""
    for lk in links_of(connector):
        if lk.key == (endpoint, param):
            connector.links = tuple(x for x in connector.links if x.key != lk.key)
            return lk
    have = [f"{lk.endpoint} {lk.param}" for lk in links_of(connector)]
    hint = f"the links are: {', '.join(have[:8])}." if have else "it has no links."
    raise LinkDefinitionError(f"Parameter {param} of endpoint {endpoint} has no link to "
                              f"remove; {hint}")
