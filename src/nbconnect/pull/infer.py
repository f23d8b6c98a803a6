"""Inference: one walker that folds JSON values into a field tree of counts.

:class:`Shape` is one node of the tree being learned: how often each JSON type was seen there,
how often the field was present in its parent object, its children (object keys, in the order
first seen) and its array item shape, its first example and its string format so far.
:class:`Inference` feeds samples into one root shape, one value at a time (a sample, a page,
or each item of a large array: nothing is kept but the counts), so many responses merge into
one tree. The walk recurses once per level and stops descending at ``max_depth`` (at most
:data:`MAX_DEPTH`), marking the shape ``cut``, so deep JSON cannot raise ``RecursionError``.
:func:`parse_json` reads one body within the size bound and refuses empty, non-JSON and too
deeply nested text with a :class:`~nbconnect.errors.PullError`. Type rules live in
:mod:`nbconnect.pull.merge`.
"""

from __future__ import annotations

import json
from typing import Any

from .. import limits
from ..errors import PullError
from .formats import all_match, detect

__all__ = ["MAX_DEPTH", "NO_EXAMPLE", "Inference", "Shape", "check_formats", "parse_json"]

#: the deepest ``max_depth`` an Inference accepts (its walk recurses once per level)
MAX_DEPTH = 200


class _Unset:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<unset>"


#: the example of a shape that has seen no scalar value yet
NO_EXAMPLE: Any = _Unset()
_UNSET_FORMAT: Any = _Unset()


class Shape:
    """What was seen at one place of the tree (counts are numbers of values)."""

    __slots__ = (
        "cut",
        "example",
        "fmt",
        "items",
        "keys",
        "n_arr",
        "n_bool",
        "n_int",
        "n_num",
        "n_obj",
        "n_str",
        "nulls",
        "pending",
        "present",
    )

    def __init__(self) -> None:
        self.present = 0  # times the key was present in a parent object
        self.nulls = 0
        self.n_str = self.n_int = self.n_num = self.n_bool = self.n_obj = self.n_arr = 0
        self.keys: dict[str, Shape] = {}
        self.items: Shape | None = None
        self.example: Any = NO_EXAMPLE
        self.fmt: Any = _UNSET_FORMAT  # unset, a format name, or None (no common format)
        #: strings still to check against ``fmt`` (checked in one batch after each sample)
        self.pending: list[str] | None = None
        self.cut = False

    @property
    def format(self) -> str | None:
        """The format every string here had (None: none, or no string seen)."""
        return self.fmt if isinstance(self.fmt, str) else None

    @property
    def seen(self) -> int:
        """Values seen here, null included."""
        return (self.nulls + self.n_str + self.n_int + self.n_num + self.n_bool + self.n_obj
                + self.n_arr)

    def __repr__(self) -> str:
        return (f"Shape(seen={self.seen}, keys={len(self.keys)}, "
                f"items={'yes' if self.items is not None else 'no'})")


def _first_string(shape: Shape, v: str) -> None:
    """The first string seen at ``shape``: its format (unless none fits already) and
    example."""
    if shape.fmt is _UNSET_FORMAT:
        shape.fmt = detect(v)
        shape.pending = [] if shape.fmt is not None else None
    elif shape.fmt is not None:
        shape.pending = [v]
    if shape.example is NO_EXAMPLE:
        shape.example = v


def _scalar(shape: Shape, v: Any) -> None:
    """Count one scalar value at ``shape`` (the slow path: a scalar root, odd types)."""
    if type(v) is str:
        shape.n_str += 1
        if shape.n_str == 1:
            _first_string(shape, v)
        elif shape.pending is not None:
            shape.pending.append(v)
        return
    _other(shape, v)


def _other(shape: Shape, v: Any) -> None:
    """Count a value of a subclass of a JSON type (json.loads never makes one)."""
    if v is None:
        shape.nulls += 1
        return
    if isinstance(v, bool):
        shape.n_bool += 1
    elif isinstance(v, int):
        shape.n_int += 1
    elif isinstance(v, float):
        shape.n_num += 1
    elif isinstance(v, str):
        shape.n_str += 1
        shape.fmt = None
        shape.pending = None
    else:
        raise PullError(f"A sample holds a {type(v).__name__}, which is not JSON data; give "
                        "parsed JSON (dicts, lists, strings, numbers, booleans, None).")
    if shape.example is NO_EXAMPLE:
        shape.example = v


def check_formats(root: Shape) -> None:
    """Check the strings waiting at every shape under ``root`` against its format, in one
    batch each (a field keeps its format only when every string fits)."""
    work = [root]
    while work:
        shape = work.pop()
        pending = shape.pending
        if pending:
            if not all_match(shape.fmt, pending):
                shape.fmt = None
                shape.pending = None
            else:
                pending.clear()
        work.extend(shape.keys.values())
        if shape.items is not None:
            work.append(shape.items)


def _walkers(max_depth: int) -> tuple[Any, Any]:
    """The two mutually recursive walkers, an object's and an array's, for ``max_depth``.

    Scalars are counted inline (the hot path); the first string of a shape goes to
    :func:`_first_string`, later ones wait in ``pending`` for :func:`check_formats`. A
    container at ``max_depth`` is counted but not entered (its shape is marked ``cut``), so
    the recursion is never deeper than ``max_depth`` (bounded well below Python's limit):
    deeply nested JSON cannot raise ``RecursionError`` here.
    """
    first = _first_string
    no_ex = NO_EXAMPLE

    def obj(parent: Shape, d: dict[str, Any], depth: int) -> None:
        keys = parent.keys
        for k, v in d.items():
            c = keys.get(k)
            if c is None:
                c = keys[k] = Shape()
            c.present += 1
            t = type(v)
            if t is str:
                n = c.n_str
                c.n_str = n + 1
                if n:
                    p = c.pending
                    if p is not None:
                        p.append(v)
                else:
                    first(c, v)
            elif t is int:
                n = c.n_int
                c.n_int = n + 1
                if not n and c.example is no_ex:
                    c.example = v
            elif v is None:
                c.nulls += 1
            elif t is dict:
                c.n_obj += 1
                if depth >= max_depth:
                    c.cut = True
                elif v:
                    obj(c, v, depth + 1)
            elif t is list:
                c.n_arr += 1
                if c.items is None:
                    c.items = Shape()
                if depth >= max_depth:
                    c.cut = True
                elif v:
                    arr(c.items, v, depth + 1)
            elif t is float:
                n = c.n_num
                c.n_num = n + 1
                if not n and c.example is no_ex:
                    c.example = v
            elif t is bool:
                n = c.n_bool
                c.n_bool = n + 1
                if not n and c.example is no_ex:
                    c.example = v
            else:
                _other(c, v)

    def arr(c: Shape, items: list[Any], depth: int) -> None:
        for v in items:
            t = type(v)
            if t is dict:
                c.n_obj += 1
                if depth >= max_depth:
                    c.cut = True
                elif v:
                    obj(c, v, depth + 1)
            elif t is str:
                n = c.n_str
                c.n_str = n + 1
                if n:
                    p = c.pending
                    if p is not None:
                        p.append(v)
                else:
                    first(c, v)
            elif t is int:
                n = c.n_int
                c.n_int = n + 1
                if not n and c.example is no_ex:
                    c.example = v
            elif v is None:
                c.nulls += 1
            elif t is list:
                c.n_arr += 1
                if c.items is None:
                    c.items = Shape()
                if depth >= max_depth:
                    c.cut = True
                elif v:
                    arr(c.items, v, depth + 1)
            elif t is float:
                n = c.n_num
                c.n_num = n + 1
                if not n and c.example is no_ex:
                    c.example = v
            elif t is bool:
                n = c.n_bool
                c.n_bool = n + 1
                if not n and c.example is no_ex:
                    c.example = v
            else:
                _other(c, v)

    return obj, arr


class Inference:
    """Learn one field tree from many JSON values: ``add`` each, then read ``root``.

    ``max_depth`` (default ``limits.MAX_PULL_DEPTH``, at most :data:`MAX_DEPTH`) bounds the
    nesting kept; ``cut`` tells whether any value went deeper. ``samples`` counts the values
    added.
    """

    def __init__(self, max_depth: int | None = None) -> None:
        self.root = Shape()
        depth = limits.MAX_PULL_DEPTH if max_depth is None else int(max_depth)
        self.max_depth = max(1, min(depth, MAX_DEPTH))
        self.samples = 0
        self._obj, self._arr = _walkers(self.max_depth)

    def add(self, value: Any) -> None:
        """Fold one JSON value (a parsed response body) into the tree."""
        self.samples += 1
        root = self.root
        try:
            t = type(value)
            if t is dict:
                root.n_obj += 1
                self._obj(root, value, 1)
            elif t is list:
                root.n_arr += 1
                if root.items is None:
                    root.items = Shape()
                self._arr(root.items, value, 1)
            else:
                _scalar(root, value)
        finally:
            check_formats(root)

    @property
    def cut(self) -> bool:
        """Whether some value was nested deeper than ``max_depth`` (not kept)."""
        work = [self.root]
        while work:
            shape = work.pop()
            if shape.cut:
                return True
            work.extend(shape.keys.values())
            if shape.items is not None:
                work.append(shape.items)
        return False


def parse_json(data: bytes | str, what: str, *, max_bytes: int | None = None) -> Any:
    """``data`` (one response body or file) parsed as JSON.

    ``what`` names it in messages ("the sample tasks.json"). Raises
    :class:`~nbconnect.errors.PullError` when it is over ``max_bytes`` (default
    ``limits.MAX_PULL_FILE_BYTES``), empty, not UTF-8 JSON (RFC 8259 §8.1), or nested more
    deeply than the parser can follow.
    """
    cap = limits.MAX_PULL_FILE_BYTES if max_bytes is None else int(max_bytes)
    if len(data) > cap:
        raise PullError(f"{what[:1].upper()}{what[1:]} is {len(data):,} bytes, over the "
                        f"{cap:,}-byte bound for pulling; give a smaller sample (one page).")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PullError(f"{what[:1].upper()}{what[1:]} is not UTF-8 text, so it is not "
                            "JSON; give a JSON response.") from None
    if not data.strip():
        raise PullError(f"{what[:1].upper()}{what[1:]} is empty; pull needs a JSON body with "
                        "data in it.")
    try:
        return json.loads(data)
    except RecursionError:
        raise PullError(f"{what[:1].upper()}{what[1:]} is nested too deeply to read; give a "
                        "sample nested less deeply.") from None
    except ValueError as exc:
        raise PullError(f"{what[:1].upper()}{what[1:]} is not JSON ({exc.args[0].split(':')[0]}"
                        f"); pull reads JSON responses only.") from None
