"""Dynamic lists: parameter P of endpoint E takes its values from calling endpoint L.

:func:`dynamic_link` checks a definition against the connector: E, P and L exist; the
*linked parameter* path (``items[*].id``) and the optional *display parameter* path
parse; every input is a parameter of L, given a fixed value or another parameter of E
(``param:NAME``, a chained link) that is not P itself. :func:`parse_inputs` reads
``K=V`` / ``K=param:NAME`` words. :func:`path_warning` says when the path matches nothing
among L's known response fields (:func:`response_fields`: pulled from real responses
when there are some, else the declared response): a warning when the link is defined,
since the fields may still come; using the link then fails clearly if the response really
has nothing there.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import LinkDefinitionError, NbConnectError
from ..model import Connector, Endpoint
from ..model.links import Link, LinkInput
from .paths import tree_form
from .static import find_endpoint, find_param, request_names

__all__ = ["dynamic_link", "parse_inputs", "path_warning", "response_fields"]


def parse_inputs(words: Iterable[str] | Mapping[str, Any] | None) -> tuple[LinkInput, ...]:
    """Link inputs from ``K=V`` / ``K=param:NAME`` words or a mapping (``{"k": "param:n"}``,
    ``{"k": {"param": "n"}}`` or plain values)."""
    if not words:
        return ()
    out: list[LinkInput] = []
    if isinstance(words, Mapping):
        items = list(words.items())
    else:
        items = []
        for pos, word in enumerate(words, start=1):
            if isinstance(word, LinkInput):
                out.append(word)
                continue
            name, eq, value = str(word).partition("=")
            if not eq or not name.strip():
                raise LinkDefinitionError(f"Input number {pos} is not NAME=VALUE or "
                                          "NAME=param:OTHER.", option="input")
            items.append((name.strip(), value))
    for name, value in items:
        if isinstance(value, LinkInput):
            out.append(value)
        elif isinstance(value, str) and value.startswith("param:"):
            out.append(LinkInput(str(name), param=value[len("param:"):].strip()))
        else:
            out.append(LinkInput.from_data(str(name), value))
    return tuple(out)


def dynamic_link(connector: Connector, endpoint: str, param: str, source: str,
                 value_path: str, label_path: str | None = None,
                 inputs: Iterable[str] | Mapping[str, Any] | None = None) -> Link:
    """A checked dynamic link: ``param`` of ``endpoint`` takes the values at ``value_path``
    in the responses of ``source`` (labels at ``label_path``). Raises
    :class:`~nbconnect.errors.LinkDefinitionError` for a missing endpoint, parameter or
    input, or a path that does not parse."""
    from ..testing.values import coerce

    ep, _p = find_param(connector, endpoint, param)
    src = find_endpoint(connector, source, role="linked endpoint")
    given = parse_inputs(inputs)
    names = request_names(src)
    checked: list[LinkInput] = []
    for item in given:
        if item.name not in names:
            close = difflib.get_close_matches(item.name, names, n=3)
            hint = f"did you mean {', '.join(close)}?" if close else \
                f"its parameters are {', '.join(names[:10])}." if names else \
                "it takes no parameters."
            raise LinkDefinitionError(f"The linked endpoint {src.id} has no parameter "
                                      f"{item.name!r} to give as an input; {hint}",
                                      option="input")
        if item.param is not None:
            if item.param == param:
                raise LinkDefinitionError(f"Input {item.name} of the link reads parameter "
                                          f"{param}, the parameter being linked; give "
                                          "another parameter or a fixed value.",
                                          option="input")
            find_param(connector, ep.id, item.param)
            checked.append(item)
        else:
            _s, target = find_param(connector, src.id, item.name)
            checked.append(LinkInput(item.name, value=coerce(item.value, target)))
    return Link(ep.id, param, source=src.id, value_path=value_path, label_path=label_path,
                inputs=tuple(checked))


def _top_array(ep: Endpoint) -> bool:
    schema = ep.response_schema
    if isinstance(schema, Mapping) and schema.get("type") == "array":
        return True
    return len(ep.response) == 1 and ep.response[0].name == "response" and \
        ep.response[0].type == "array"


def response_fields(connector: Connector, endpoint: str, *,
                    leaves: bool = False) -> list[str]:
    """The known response fields of ``endpoint`` as link paths (``items[*].id``; a top-level
    array's as ``[*].id``): pulled from real responses when it has any (the pull tree),
    else its declared response tree. ``leaves``: only fields that are not objects or
    arrays (the ones that can give values)."""
    ep = find_endpoint(connector, endpoint, role="linked endpoint")
    pulled = _pulled_fields(connector, ep, leaves)
    if pulled:
        return pulled
    out: list[str] = []
    top = _top_array(ep)
    for param in ep.response:
        for dotted, p in param.walk():
            if leaves and p.type in ("object", "array"):
                continue
            if top and dotted.startswith("response[]"):
                dotted = "[]" + dotted[len("response[]"):]
            elif top and dotted == "response":
                continue
            out.append(dotted.replace("[]", "[*]"))
    return out


def _pulled_fields(connector: Connector, ep: Endpoint, leaves: bool) -> list[str]:
    """The paths of ``ep``'s pull tree (the pull capability), [] when it has none yet."""
    try:
        from ..pull.pulling import pull
    except ImportError:
        return []
    try:
        result = pull(connector, ep.id)
    except NbConnectError:  # no successful response yet
        return []
    out = []
    for top in getattr(result, "fields", ()):
        for f in top.walk():
            if f.path in ("$", "") or (leaves and f.type in ("object", "array")):
                continue
            out.append(f.path)
    return out


def path_warning(connector: Connector, link: Link) -> str | None:
    """A sentence when ``link``'s paths match none of the linked endpoint's known response
    fields (None when they match, or when no fields are known)."""
    if link.source is None:
        return None
    fields = response_fields(connector, link.source)
    if not fields:
        return None
    known = set()
    for f in fields:
        try:
            known.add(tree_form(f))
        except LinkDefinitionError:
            continue
    out = []
    for what, path in (("linked-parameter", link.value_path), ("display", link.label_path)):
        if path is None or tree_form(path) in known:
            continue
        leaves = [f for f in fields if not f.endswith("]")]
        close = difflib.get_close_matches(path, leaves, n=3)
        hint = f"close fields: {', '.join(close)}" if close else \
            f"its fields are {', '.join(leaves[:8])}"
        out.append(f"The {what} path {path} matches no field of {link.source}'s response "
                   f"({hint}); the link is kept, and fails when used if the response has "
                   "nothing there.")
    return " ".join(out) or None
