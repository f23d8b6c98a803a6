"""Parameter links as plain data: ``Link`` (a static list or a dynamic one) and ``LinkInput``.

A link limits request parameter ``param`` of endpoint ``endpoint`` to a list of values:

* **static**: ``values`` (with optional ``labels``, one per value), written in the package;
* **dynamic**: the values come from calling another endpoint, ``source`` (the *linked
  endpoint*): ``value_path`` (the *linked parameter*, a path into its response such as
  ``items[*].id``, see :mod:`nbconnect.links.paths`) gives the values, ``label_path`` (the
  *display parameter*, optional) what a person choosing sees; ``inputs`` are the linked
  endpoint's own parameters, each a fixed value or another parameter of ``endpoint``
  (a chained link: a project, then an issue type of that project).

:func:`find_cycle` finds links that depend on each other in a circle (E→L→E); the
connector refuses them. Calling, checking and drawing links live in :mod:`nbconnect.links`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import LinkCycleError, LinkDefinitionError

__all__ = ["Link", "LinkInput", "find_cycle", "link_nodes"]

_SCALARS = (str, int, float, bool)


def _key(value: Any) -> str:
    """The identity of a listed value (``1`` and ``True`` differ; ``1`` and ``1.0`` too)."""
    return f"{type(value).__name__}:{json.dumps(value, sort_keys=True)}"


@dataclass(frozen=True)
class LinkInput:
    """One input of the linked endpoint: ``name`` gets the fixed ``value``, or (``param``
    set) the value of parameter ``param`` of the linking endpoint."""

    name: str
    value: Any = None
    param: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise LinkDefinitionError("A link input has no name; write it as NAME=VALUE or "
                                      "NAME=param:OTHER.", option="input")
        if self.param is not None and (not isinstance(self.param, str) or
                                       not self.param.strip()):
            raise LinkDefinitionError(f"Link input {self.name} names no parameter after "
                                      "'param:'; write NAME=param:OTHER.", option="input")

    def to_data(self) -> Any:
        return {"param": self.param} if self.param is not None else self.value

    @classmethod
    def from_data(cls, name: str, data: Any) -> LinkInput:
        if isinstance(data, Mapping) and set(data) == {"param"}:
            return cls(name, param=data["param"])
        return cls(name, value=data)


@dataclass(frozen=True)
class Link:
    """Parameter ``param`` of endpoint ``endpoint`` limited to a static or dynamic list.

    Give ``values`` (static) or ``source`` and ``value_path`` (dynamic), not both. Raises
    :class:`~nbconnect.errors.LinkDefinitionError` for an empty or duplicated static list,
    labels that do not pair with the values, or a path that does not parse.
    """

    endpoint: str
    param: str
    values: tuple[Any, ...] | None = None
    labels: tuple[str, ...] = ()
    source: str | None = None
    value_path: str | None = None
    label_path: str | None = None
    inputs: tuple[LinkInput, ...] = ()

    def __post_init__(self) -> None:
        for name in ("endpoint", "param"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise LinkDefinitionError(f"A link needs the {name} it belongs to; name it.")
        where = f"parameter {self.param} of endpoint {self.endpoint}"
        if (self.values is None) == (self.source is None):
            raise LinkDefinitionError(f"The link of {where} needs either a static list of "
                                      "values or a linked endpoint, and not both.",
                                      option="values")
        object.__setattr__(self, "labels", tuple(str(x) for x in self.labels or ()))
        object.__setattr__(self, "inputs", tuple(self.inputs or ()))
        if self.values is not None:
            self._check_static(where)
        else:
            self._check_dynamic(where)

    def _check_static(self, where: str) -> None:
        values = tuple(self.values or ())
        object.__setattr__(self, "values", values)
        if not values:
            raise LinkDefinitionError(f"The static list of {where} is empty; give at least "
                                      "one value.", option="values")
        bad = [v for v in values if not isinstance(v, _SCALARS)]
        if bad:
            raise LinkDefinitionError(f"The static list of {where} holds a "
                                      f"{type(bad[0]).__name__}; list text, numbers or "
                                      "booleans.", option="values")
        seen: set[str] = set()
        dups: list[str] = []
        for v in values:
            if _key(v) in seen and str(v) not in dups:
                dups.append(str(v))
            seen.add(_key(v))
        if dups:
            raise LinkDefinitionError(f"The static list of {where} has duplicate values "
                                      f"({', '.join(dups[:5])}); list each value once.",
                                      option="values")
        if self.labels and len(self.labels) != len(values):
            raise LinkDefinitionError(f"The static list of {where} has {len(values)} values "
                                      f"but {len(self.labels)} labels; give one label per "
                                      "value, or none.", option="labels")
        if self.inputs or self.value_path or self.label_path:
            raise LinkDefinitionError(f"The static list of {where} takes no linked-parameter "
                                      "path or inputs; those belong to a linked endpoint.",
                                      option="value")

    def _check_dynamic(self, where: str) -> None:
        from ..links.paths import parse_path

        if not isinstance(self.source, str) or not self.source.strip():
            raise LinkDefinitionError(f"The link of {where} names no linked endpoint.")
        if self.labels:
            raise LinkDefinitionError(f"The link of {where} takes labels from its display "
                                      "path, not a list of labels.", option="labels")
        if not isinstance(self.value_path, str) or not self.value_path.strip():
            raise LinkDefinitionError(f"The link of {where} to endpoint {self.source} needs "
                                      "the linked-parameter path into its response, such "
                                      "as items[*].id.", option="value")
        parse_path(self.value_path)
        if self.label_path is not None:
            parse_path(self.label_path)
        names = [i.name for i in self.inputs]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise LinkDefinitionError(f"The link of {where} gives input {dup[0]} twice; give "
                                      "it once.", option="input")

    def __repr__(self) -> str:
        bits = [repr(self.endpoint), repr(self.param)]
        for name in ("values", "labels", "source", "value_path", "label_path", "inputs"):
            value = getattr(self, name)
            if value not in (None, ()):
                bits.append(f"{name}={value!r}")
        return f"Link({', '.join(bits)})"

    @property
    def kind(self) -> str:
        """``"static"`` or ``"dynamic"``."""
        return "static" if self.values is not None else "dynamic"

    @property
    def key(self) -> tuple[str, str]:
        """(endpoint, param): one link per parameter."""
        return (self.endpoint, self.param)

    def param_inputs(self) -> tuple[str, ...]:
        """The parameters of ``endpoint`` this link's inputs read (chained links)."""
        return tuple(i.param for i in self.inputs if i.param is not None)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"endpoint": self.endpoint, "param": self.param}
        if self.values is not None:
            out["values"] = list(self.values)
            if self.labels:
                out["labels"] = list(self.labels)
            return out
        out["from"] = self.source
        out["value"] = self.value_path
        if self.label_path is not None:
            out["label"] = self.label_path
        if self.inputs:
            out["inputs"] = {i.name: i.to_data() for i in self.inputs}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Link:
        """A link from :meth:`to_dict` output (``from``/``value``/``label``/``inputs`` or
        ``values``/``labels``)."""
        if not isinstance(data, Mapping):
            raise LinkDefinitionError("A link is a mapping with endpoint, param and either "
                                      "values or from and value.")
        known = {"endpoint", "param", "values", "labels", "from", "value", "label", "inputs"}
        extra = sorted(str(k) for k in data if k not in known)
        if extra:
            raise LinkDefinitionError(f"A link has unknown field(s) {', '.join(extra)}; the "
                                      f"fields are {', '.join(sorted(known))}.")
        inputs = data.get("inputs") or {}
        if not isinstance(inputs, Mapping):
            raise LinkDefinitionError("A link's inputs are a mapping of NAME to a value or "
                                      "to {param: OTHER}.", option="input")
        values = data.get("values")
        if values is not None and not isinstance(values, list | tuple):
            raise LinkDefinitionError("A link's values are a list.", option="values")
        return cls(endpoint=data.get("endpoint"), param=data.get("param"),
                   values=tuple(values) if values is not None else None,
                   labels=tuple(data.get("labels") or ()), source=data.get("from"),
                   value_path=data.get("value"), label_path=data.get("label"),
                   inputs=tuple(LinkInput.from_data(str(k), v) for k, v in inputs.items()))


def link_nodes(links: Iterable[Link]) -> dict[str, list[str]]:
    """The dependency edges of ``links``: node -> the nodes it needs first.

    Nodes are endpoint ids and ``endpoint.param`` for linked parameters; an endpoint needs
    its linked parameters, a parameter needs its linked endpoint and the parameters its
    inputs read.
    """
    edges: dict[str, list[str]] = {}
    for link in links:
        node = f"{link.endpoint}.{link.param}"
        edges.setdefault(link.endpoint, []).append(node)
        needs = edges.setdefault(node, [])
        if link.source is not None:
            needs.append(link.source)
        needs.extend(f"{link.endpoint}.{p}" for p in link.param_inputs())
    return edges


def find_cycle(links: Iterable[Link]) -> list[str] | None:
    """The first circle of dependencies among ``links`` (``["a", "b", "a"]``), or None."""
    edges = link_nodes(links)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in edges.get(node, ()):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in list(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def check_links(value: Iterable[Any]) -> tuple[Link, ...]:
    """The connector's links, checked: Link objects (or their dicts), one per parameter,
    no circle (:class:`~nbconnect.errors.LinkCycleError`)."""
    links = tuple(Link.from_dict(x) if isinstance(x, Mapping) else x for x in value or ())
    seen: set[tuple[str, str]] = set()
    for link in links:
        if not isinstance(link, Link):
            raise LinkDefinitionError(f"Connector links must be Link objects, not "
                                      f"{type(link).__name__}.")
        if link.key in seen:
            raise LinkDefinitionError(f"Parameter {link.param} of endpoint {link.endpoint} "
                                      "has two links; keep one.")
        seen.add(link.key)
    cycle = find_cycle(links)
    if cycle:
        raise LinkCycleError(f"These links depend on each other in a circle: "
                             f"{' -> '.join(cycle)}; remove one of them.")
    return links
