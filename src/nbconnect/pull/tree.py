"""The pulled tree: :class:`PulledField`, :class:`Drift`, :class:`PullResult`, and their
deterministic plain text and JSON.

A field's ``path`` is a JSON path without the leading ``$``: object keys joined by ``.``
(a key that is not an identifier is written ``["a b"]``), array items as ``[*]``:
``owner.login``, ``items[*].id``, ``tags[*]``; a top-level array's items are ``[*]...`` under
the root field ``$``. :func:`fields_from` turns an inferred :class:`~nbconnect.pull.infer.Shape`
tree into fields, with examples shortened to ``limits.MAX_PULL_EXAMPLE_CHARS`` and never the
value of a field named like a secret (:func:`nbconnect.pull.samples.is_secret_name`) or a
registered secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import limits
from .infer import NO_EXAMPLE, Shape
from .merge import UNKNOWN, field_type, nullable, required

__all__ = ["ROOT", "Drift", "PullResult", "PulledField", "child_path", "fields_from"]

#: the path of the root field of a response that is not an object
ROOT = "$"
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*\Z")


def child_path(prefix: str, key: str) -> str:
    """The path of object key ``key`` under ``prefix`` ("" or ``$`` for the root object)."""
    prefix = "" if prefix == ROOT else prefix
    if _NAME_RE.match(key):
        return f"{prefix}.{key}" if prefix else key
    return f"{prefix}[{json.dumps(key, ensure_ascii=False)}]"


def items_path(prefix: str) -> str:
    """The path of the items of the array at ``prefix``."""
    return "[*]" if prefix == ROOT else f"{prefix}[*]"


@dataclass(frozen=True)
class PulledField:
    """One field of a pulled response tree.

    ``type``: string, integer, number, boolean, object, array, ``any`` (a mix of types) or
    ``unknown`` (only ``null`` seen); ``format``: date-time, date, email, uri, uuid or None;
    ``items``: an array's item type; ``example``: a shortened first value (None for a secret,
    an object or an array); ``cut``: deeper levels were not kept (the depth bound).
    ``children``: an object's fields, an array of objects' item fields, or for an array of
    other things its one ``[*]`` item field.
    """

    path: str
    name: str
    type: str
    format: str | None = None
    nullable: bool = False
    required: bool = False
    example: Any = None
    items: str | None = None
    cut: bool = False
    children: tuple[PulledField, ...] = ()

    def walk(self) -> Iterator[PulledField]:
        """This field and every descendant, depth first, in the order first seen."""
        stack = [self]
        while stack:
            f = stack.pop()
            yield f
            stack.extend(reversed(f.children))

    @property
    def label(self) -> str:
        """The type as shown: ``string(date-time)``, ``array<object>``."""
        if self.type == "array":
            return f"array<{self.items or UNKNOWN}>"
        return f"{self.type}({self.format})" if self.format else self.type

    def to_dict(self) -> dict[str, Any]:
        """``{"path", "type", "format", "nullable", "required", "example"}``."""
        return {"path": self.path, "type": self.type, "format": self.format,
                "nullable": self.nullable, "required": self.required, "example": self.example}


def _example(value: Any, secret: bool) -> Any:
    if secret or value is NO_EXAMPLE or isinstance(value, dict | list):
        return None
    if isinstance(value, str):
        from ..auth.redaction import MASK, redact

        if redact(value) != value:
            return MASK
        cap = limits.MAX_PULL_EXAMPLE_CHARS
        return value if len(value) <= cap else value[:cap - 1] + "…"
    return value


def _build(name: str, path: str, shape: Shape, parent: Shape | None, secret: bool,
           depth: int) -> PulledField:
    from .samples import is_secret_name

    ftype = field_type(shape)
    children: list[PulledField] = []
    items = None
    if depth < limits.MAX_PULL_DEPTH + 2:
        for key, child in shape.keys.items():
            children.append(_build(key, child_path(path, key), child, shape,
                                   is_secret_name(key), depth + 1))
        if shape.items is not None:
            items = field_type(shape.items)
            ipath = items_path(path)
            if items == "object":
                for key, child in shape.items.keys.items():
                    children.append(_build(key, child_path(ipath, key), child, shape.items,
                                           is_secret_name(key), depth + 1))
            elif shape.items.seen:
                children.append(_build("[*]", ipath, shape.items, None, secret, depth + 1))
    return PulledField(path=path, name=name, type=ftype, format=shape.format,
                       nullable=nullable(shape),
                       required=(name != "[*]") if parent is None else required(shape, parent),
                       example=_example(shape.example, secret), items=items,
                       cut=shape.cut, children=tuple(children))


def fields_from(root: Shape) -> tuple[PulledField, ...]:
    """The top-level fields learned in ``root``: an object's fields, or one root field
    ``$`` for any other response (an array, a scalar, a mix)."""
    from .samples import is_secret_name

    if field_type(root) == "object" and not root.nulls:
        return tuple(_build(key, child_path("", key), child, root, is_secret_name(key), 1)
                     for key, child in root.keys.items())
    if not root.seen:
        return ()
    return (_build(ROOT, ROOT, root, None, False, 0),)


@dataclass(frozen=True)
class Drift:
    """How the pulled tree differs from the endpoint's declared response tree.

    ``added``: ``(path, type)`` returned but not declared (the topmost such field only);
    ``missing``: ``(path, type)`` declared but never returned (under a returned parent);
    ``changed``: ``(path, declared type, pulled type, declared nullable, pulled nullable)``.
    """

    added: tuple[tuple[str, str], ...] = ()
    missing: tuple[tuple[str, str], ...] = ()
    changed: tuple[tuple[str, str, str, bool, bool], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.missing or self.changed)

    def to_dict(self) -> dict[str, Any]:
        """``{"added": [{path, type}], "missing": [{path, type}], "changed": [{path,
        declared: {type, nullable}, pulled: {type, nullable}}]}``."""
        return {
            "added": [{"path": p, "type": t} for p, t in self.added],
            "missing": [{"path": p, "type": t} for p, t in self.missing],
            "changed": [{"path": p, "declared": {"type": dt, "nullable": dn},
                         "pulled": {"type": pt, "nullable": pn}}
                        for p, dt, pt, dn, pn in self.changed],
        }

    def lines(self) -> list[str]:
        """One line per difference: ``+ path (type)``, ``- path (type)``, ``~ path: ...``."""
        out = [f"  + {p} ({t})" for p, t in self.added]
        out += [f"  - {p} ({t})" for p, t in self.missing]
        for p, dt, pt, dn, pn in self.changed:
            d = dt + (", nullable" if dn else "")
            q = pt + (", nullable" if pn else "")
            out.append(f"  ~ {p}: declared {d}, returned {q}")
        return out


@dataclass(frozen=True)
class PullResult:
    """What ``pull`` learned about one endpoint's response.

    ``endpoint``: its id; ``samples``: how many responses it read; ``fields``: the top-level
    :class:`PulledField` s; ``drift``: the difference from the declared response;
    ``accepted``: the tree was written into the endpoint; ``cut``: some level was deeper than
    the depth bound and was not kept; ``note``: a line for people (e.g. an accept that had
    nothing to change).
    """

    endpoint: str
    samples: int
    fields: tuple[PulledField, ...]
    drift: Drift = field(default_factory=Drift)
    accepted: bool = False
    cut: bool = False
    note: str = ""

    def walk(self) -> Iterator[PulledField]:
        """Every field, depth first."""
        for top in self.fields:
            yield from top.walk()

    def field(self, path: str) -> PulledField:
        """The field at ``path`` (KeyError when there is none)."""
        for f in self.walk():
            if f.path == path:
                return f
        raise KeyError(path)

    def to_dict(self) -> dict[str, Any]:
        """``{"endpoint", "samples", "fields": [...], "drift": {...}, "accepted", "cut"}``."""
        return {"endpoint": self.endpoint, "samples": self.samples,
                "fields": [f.to_dict() for f in self.walk()], "drift": self.drift.to_dict(),
                "accepted": self.accepted, "cut": self.cut}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def text(self) -> str:
        """Deterministic plain text: one line per field, then the drift."""
        fields = list(self.walk())
        n = len(fields)
        head = (f"{self.endpoint}: {n} field{'s' if n != 1 else ''} from {self.samples} "
                f"sample{'s' if self.samples != 1 else ''}")
        lines = [head]
        width = max((len(f.path) for f in fields), default=0)
        tw = max((len(f.label) for f in fields), default=0)
        for f in fields:
            marks = " ".join(m for m, on in (("required", f.required),
                                              ("nullable", f.nullable)) if on)
            ex = "" if f.example is None else \
                "  e.g. " + json.dumps(f.example, ensure_ascii=False)
            cut = "  (deeper levels cut)" if f.cut else ""
            lines.append(f"  {f.path:<{width}}  {f.label:<{tw}}  {marks:<17}{ex}{cut}"
                         .rstrip())
        d = self.drift
        if d:
            lines.append(f"drift: {len(d.added)} added, {len(d.missing)} missing, "
                         f"{len(d.changed)} changed")
            lines.extend(d.lines())
        else:
            lines.append("drift: none (the returned fields match the declared response)")
        if self.cut:
            lines.append(f"note: levels deeper than {limits.MAX_PULL_DEPTH} were not kept")
        if self.accepted:
            lines.append("accepted: the endpoint's response now follows this tree")
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"PullResult({self.endpoint!r}, fields={sum(1 for _ in self.walk())}, "
                f"samples={self.samples}, drift={len(self.drift.added)}+/"
                f"{len(self.drift.missing)}-/{len(self.drift.changed)}~)")
