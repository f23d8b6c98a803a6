"""The small path language of links: where in a linked endpoint's response the values are.

A path is a dotted list of steps, with an optional leading ``$`` (``$.items[*].id`` and
``items[*].id`` are the same path):

* ``name`` — a member of an object (``["odd name"]`` quotes a name with dots or brackets);
* ``[*]`` (or ``[]``) — every item of an array;
* ``[N]`` — the item at index N (from 0; negative counts from the end).

``[*].id`` reads the ``id`` of every item of a top-level array; ``values[*].key`` the
``key`` of every item of the ``values`` array. :func:`parse_path` checks a path,
:func:`evaluate` applies it to a JSON document (a member missing on an item is skipped),
:func:`pairs` reads values and their labels item by item, and :func:`tree_form` writes a
path the way response trees name fields (``items[].id``) so a path can be matched against
pulled or declared response fields.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from ..errors import LinkDefinitionError

__all__ = ["EACH", "evaluate", "pairs", "parse_path", "tree_form"]

#: the step "every item of an array"
EACH = ("each",)
_STEP = re.compile(r"""
    \.?(?P<name>[^.\[\]"]+)                   # .name
  | \[(?P<each>\*?)\]                         # [*] or []
  | \[(?P<index>-?\d+)\]                      # [3]
  | \[(?P<quoted>"(?:[^"\\]|\\.)*")\]         # ["odd name"]
""", re.VERBOSE)
_MAX_PATH = 300


def parse_path(path: str) -> tuple[Any, ...]:
    """The steps of ``path``: ``("name", "items")``, :data:`EACH`, ``("index", 3)``.

    Raises :class:`~nbconnect.errors.LinkDefinitionError` naming where the path stops
    making sense.
    """
    if not isinstance(path, str) or not path.strip():
        raise LinkDefinitionError("The path is empty; write one such as items[*].id.",
                                  option="value")
    text = path.strip()
    if len(text) > _MAX_PATH:
        raise LinkDefinitionError(f"The path is {len(text)} characters long; keep it under "
                                  f"{_MAX_PATH}.", option="value")
    if text.startswith("$"):
        text = text[1:]
        if text.startswith(".") and text[1:2] == "[":
            text = text[1:]
    steps: list[Any] = []
    pos = 0
    while pos < len(text):
        match = _STEP.match(text, pos)
        if match is None or (match.group("name") is not None and pos > 0 and
                             text[pos] != "." and text[pos - 1] != "]"):
            raise LinkDefinitionError(f"The path {path!r} does not parse at "
                                      f"{text[pos:pos + 12]!r}; write it like items[*].id "
                                      "or [*].name.", option="value")
        if match.group("name") is not None:
            if match.group(0).startswith(".") and pos == 0 and not path.strip().startswith("$"):
                raise LinkDefinitionError(f"The path {path!r} starts with a dot; write it "
                                          "like items[*].id.", option="value")
            steps.append(("name", match.group("name").strip()))
        elif match.group("each") is not None:
            steps.append(EACH)
        elif match.group("index") is not None:
            steps.append(("index", int(match.group("index"))))
        else:
            steps.append(("name", json.loads(match.group("quoted"))))
        pos = match.end()
    if not steps:
        raise LinkDefinitionError(f"The path {path!r} names nothing; write one such as "
                                  "items[*].id.", option="value")
    return tuple(steps)


def _apply(steps: Iterable[Any], docs: list[Any]) -> list[Any]:
    for step in steps:
        out: list[Any] = []
        for doc in docs:
            if step == EACH:
                if isinstance(doc, list):
                    out.extend(doc)
            elif step[0] == "index":
                if isinstance(doc, list) and -len(doc) <= step[1] < len(doc):
                    out.append(doc[step[1]])
            elif isinstance(doc, dict) and step[1] in doc:
                out.append(doc[step[1]])
        docs = out
    return docs


def evaluate(path: str, doc: Any) -> list[Any]:
    """Every value ``path`` reaches in the JSON document ``doc``, in document order."""
    return _apply(parse_path(path), [doc])


def pairs(value_path: str, label_path: str | None, doc: Any) -> list[tuple[Any, Any]]:
    """``(value, label)`` pairs from ``doc``, read item by item.

    When both paths run through the same array (``items[*].id`` and ``items[*].name``),
    each item gives its value and its own label (an item lacking a label gets None). When
    they do not share an array, labels pair with values by position. Without a label path,
    every label is None.
    """
    steps = parse_path(value_path)
    if label_path is None:
        return [(v, None) for v in _apply(steps, [doc])]
    label_steps = parse_path(label_path)
    last = max((i for i, s in enumerate(steps) if s == EACH), default=-1)
    if last >= 0 and label_steps[:last + 1] == steps[:last + 1]:
        out: list[tuple[Any, Any]] = []
        for item in _apply(steps[:last + 1], [doc]):
            values = _apply(steps[last + 1:], [item])
            labels = _apply(label_steps[last + 1:], [item])
            for i, v in enumerate(values):
                out.append((v, labels[i] if i < len(labels) else None))
        return out
    values = _apply(steps, [doc])
    labels = _apply(label_steps, [doc])
    return [(v, labels[i] if i < len(labels) else None) for i, v in enumerate(values)]


def tree_form(path: str) -> str:
    """``path`` written the way response trees name fields: ``items[].id``; a top-level
    array as ``[].id`` (indexes count as ``[]``)."""
    out = ""
    for step in parse_path(path):
        if step == EACH or step[0] == "index":
            out += "[]"
        else:
            out += ("." if out else "") + str(step[1])
    return out
