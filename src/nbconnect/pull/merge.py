"""Merging samples: the rules that turn counts of what was seen into one field's type.

Many responses (calls, pages, files) fold into one :class:`~nbconnect.pull.infer.Shape`
tree; :func:`merge_shapes` folds a second tree into a first (what two separate inferences
learned, e.g. stored samples and given files). The rules, applied by :func:`field_type`,
:func:`nullable` and :func:`required`:

* a field that was ``null`` in every sample is ``unknown`` and nullable, not of type
  ``null``; a later non-null value gives it its type;
* ``integer`` and ``number`` merge to ``number`` (JSON has one number type, RFC 8259 §6);
  any other mix of types is ``any``;
* array items are merged across every item of every array seen at that place;
* a field is required when it was present (even as ``null``) in every object seen at its
  parent; a string keeps a format only when every string there had it.
"""

from __future__ import annotations

from .infer import NO_EXAMPLE, Shape

__all__ = ["UNKNOWN", "field_type", "merge_shapes", "nullable", "required"]

#: the type of a field seen only as ``null`` (or never seen: the items of empty arrays)
UNKNOWN = "unknown"


def _kinds(shape: Shape) -> list[str]:
    return [name for name, count in (("string", shape.n_str), ("integer", shape.n_int),
                                     ("number", shape.n_num), ("boolean", shape.n_bool),
                                     ("object", shape.n_obj), ("array", shape.n_arr)) if count]


def field_type(shape: Shape) -> str:
    """``string``, ``integer``, ``number``, ``boolean``, ``object``, ``array``, ``any`` (a mix)
    or :data:`UNKNOWN` (only ``null`` seen)."""
    kinds = _kinds(shape)
    if not kinds:
        return UNKNOWN
    if len(kinds) == 1:
        return kinds[0]
    if set(kinds) == {"integer", "number"}:
        return "number"
    return "any"


def nullable(shape: Shape) -> bool:
    """Whether ``null`` was seen here (an unknown field is nullable)."""
    return shape.nulls > 0 or not _kinds(shape)


def required(shape: Shape, parent: Shape) -> bool:
    """Whether the field ``shape`` was present in every object seen at ``parent``."""
    return parent.n_obj > 0 and shape.present >= parent.n_obj


def merge_shapes(into: Shape, other: Shape) -> Shape:
    """Fold ``other`` into ``into`` (counts added, children and items merged, the first
    example kept, a format kept only when both agree) and return ``into``. Iterative: any
    depth."""
    work = [(into, other)]
    while work:
        a, b = work.pop()
        a.present += b.present
        a.nulls += b.nulls
        a.n_str += b.n_str
        a.n_int += b.n_int
        a.n_num += b.n_num
        a.n_bool += b.n_bool
        a.n_obj += b.n_obj
        a.n_arr += b.n_arr
        a.cut = a.cut or b.cut
        if a.example is NO_EXAMPLE:
            a.example = b.example
        if not b.n_str:
            pass
        elif not a.n_str - b.n_str:  # a had no string: take b's format state
            a.fmt = b.fmt
        elif a.fmt != b.fmt:
            a.fmt = None
        for key, child in b.keys.items():
            mine = a.keys.get(key)
            if mine is None:
                a.keys[key] = child
            else:
                work.append((mine, child))
        if b.items is not None:
            if a.items is None:
                a.items = b.items
            else:
                work.append((a.items, b.items))
    return into
