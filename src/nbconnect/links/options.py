"""The allowed values of a linked parameter: ``options(connector, E, P, ...)``.

A static list (set by the user, or the spec's ``enum``) is returned as is. A dynamic list
calls the linked endpoint L through a test connection, following **every page**
(:func:`nbconnect.paging.follow.iter_pages`, with its termination guarantees and its
max-pages bound), reads the values (and labels) at the link's paths in each page, and
keeps them in a cache: an answer younger than ``ttl`` seconds (default
:data:`nbconnect.limits.LINK_OPTIONS_TTL`, 5 minutes) is used again, for the same connector,
linked endpoint, paths, inputs of L and connection (so parameters linked the same way share
one call).

L's inputs are the link's fixed values plus, for ``param:NAME`` inputs (chained links), the
value of parameter NAME of E: given as a keyword (``project="p_1"``), else E's saved test
value. Errors: a parameter without a link
(:class:`~nbconnect.errors.LinkDefinitionError`), a chained input with no value
(:class:`~nbconnect.errors.MissingParameterError`), a linked endpoint that fails, returns
an empty list or has nothing at the linked-parameter path
(:class:`~nbconnect.errors.LinkSourceError`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from typing import Any

from .. import limits
from ..auth.redaction import redact
from ..errors import LinkDefinitionError, LinkSourceError, MissingParameterError, clip
from ..model import Connector
from ..model.links import Link
from .paths import EACH, _apply, pairs, parse_path
from .static import find_endpoint, find_param, link_for

__all__ = ["DEFAULT_TTL", "LinkOptions", "clear_cache", "link_inputs", "options"]

#: seconds a dynamic list is kept before the linked endpoint is called again (the old name
#: of ``limits.LINK_OPTIONS_TTL``, still importable)
DEFAULT_TTL = limits.LINK_OPTIONS_TTL
_CACHE: dict[str, tuple[float, list[tuple[Any, str]]]] = {}
_LOCK = threading.Lock()
#: one lock per cache key, so concurrent askers of the same list wait for one call
_CALLING: dict[str, threading.Lock] = {}
_SCALARS = (str, int, float, bool)


class LinkOptions(list):  # type: ignore[type-arg]
    """The allowed ``(value, label)`` pairs of one parameter (a list), knowing which:
    ``endpoint``, ``param`` and ``kind`` (``static`` or ``dynamic``)."""

    def __init__(self, found: list[tuple[Any, str]], endpoint: str, param: str,
                 kind: str) -> None:
        super().__init__(found)
        self.endpoint = endpoint
        self.param = param
        self.kind = kind

    @property
    def values(self) -> list[Any]:
        """The values alone."""
        return [v for v, _ in self]


def clear_cache() -> None:
    """Forget every cached dynamic list."""
    with _LOCK:
        _CACHE.clear()
        _CALLING.clear()


def link_inputs(connector: Connector, link: Link, given: Mapping[str, Any]) -> dict[str, Any]:
    """The linked endpoint's parameter values for ``link``: fixed inputs, and chained ones
    from ``given`` (values of the linking endpoint's parameters) or its saved test values.
    Raises :class:`~nbconnect.errors.MissingParameterError` for a chained input with no
    value."""
    saved = connector.test_values.get(link.endpoint, {})
    out: dict[str, Any] = {}
    for item in link.inputs:
        if item.param is None:
            out[item.name] = item.value
        elif item.param in given:
            out[item.name] = given[item.param]
        elif item.param in saved:
            out[item.name] = saved[item.param]
        else:
            raise MissingParameterError(
                f"The values of {link.param} of {link.endpoint} depend on {item.param} "
                f"(input {item.name} of {link.source}); give a value for {item.param} "
                "first.", option="input")
    return out


def _cache_key(connector: Connector, link: Link, params: Mapping[str, Any],
               connection: Any, transport: Any) -> str:
    conn = getattr(connection, "name", connection)
    return json.dumps([id(connector), connector.name, connector.base_url, link.source,
                       link.value_path, link.label_path, params, conn,
                       id(transport) if transport is not None else None],
                      sort_keys=True, default=str)


def _bodies(connector: Connector, source: str, params: Mapping[str, Any],
            fetch: Mapping[str, Any]) -> list[Any]:
    """Every page body of ``source`` (the paging follower), or a failure as
    :class:`LinkSourceError`."""
    try:
        from ..paging.follow import follow
    except ImportError:  # the paging capability is absent: one page through the runner
        return _one_page(connector, source, params, fetch)
    opts = {k: v for k, v in fetch.items()
            if k in ("connection", "transport", "verify", "prompt", "timeout", "max_pages")
            and v is not None}
    try:
        result = follow(connector, source, params=dict(params), **opts)
    except RecursionError:  # a page nested deeper than the JSON parser goes
        raise LinkSourceError(f"The linked endpoint {source} answered with JSON nested too "
                              "deeply to read; link to an endpoint whose response is a "
                              "plain list.") from None
    if not result.ok:
        raise LinkSourceError(f"The linked endpoint {source} failed "
                              f"({clip(result.stop_message, 200)}); test it and fix it, "
                              "then ask for the values again.")
    return list(result.bodies)


def _one_page(connector: Connector, source: str, params: Mapping[str, Any],
              fetch: Mapping[str, Any]) -> list[Any]:
    from ..testing.running import test_endpoint

    opts = {k: v for k, v in fetch.items()
            if k in ("connection", "transport", "verify", "prompt", "timeout")
            and v is not None}
    result = test_endpoint(connector, source, params=dict(params), **opts)
    if result.status is None or not 200 <= result.status < 300:
        raise LinkSourceError(f"The linked endpoint {source} failed "
                              f"({clip(result.reason, 200)}); test it and fix it, then ask "
                              "for the values again.")
    try:
        return [json.loads(result.body or b"null")]
    except (ValueError, RecursionError):
        raise LinkSourceError(f"The linked endpoint {source} did not answer with JSON; "
                              "link to an endpoint whose response is JSON.") from None


def _extract(link: Link, bodies: list[Any]) -> list[tuple[Any, str]]:
    assert link.value_path is not None
    found: list[tuple[Any, Any]] = []
    for body in bodies:
        found.extend(pairs(link.value_path, link.label_path, body))
    seen: set[str] = set()
    out: list[tuple[Any, str]] = []
    for value, label in found:
        if value is None or not isinstance(value, _SCALARS):
            continue
        key = f"{type(value).__name__}:{value!r}"
        if key in seen:
            continue
        seen.add(key)
        shown = str(label) if label is not None else str(value)
        out.append((value, redact(shown)))  # a label is only shown: no secret in it
    if out:
        return out
    steps = parse_path(link.value_path)
    last = max((i for i, s in enumerate(steps) if s == EACH), default=-1)
    lists = [x for body in bodies for x in _apply(steps[:last], [body])] if last >= 0 else []
    if lists and all(isinstance(x, list) and not x for x in lists):
        raise LinkSourceError(f"The linked endpoint {link.source} returned an empty list, so "
                              f"{link.param} of {link.endpoint} has no values to choose "
                              f"from; add some on the API's side, or check the inputs "
                              f"given to {link.source}.")
    raise LinkSourceError(f"The linked-parameter path {link.value_path} matches nothing in "
                          f"{link.source}'s response; fix the link's path (the response's "
                          "fields show after a test and a pull).")


def options(connector: Connector, endpoint: str, param: str, *,
            connection: Any = None, inputs: Mapping[str, Any] | None = None,
            transport: Any = None, verify: Any = True, prompt: Any = None,
            timeout: float | None = None, max_pages: int | None = None,
            ttl: float | None = None, refresh: bool = False,
            **more: Any) -> LinkOptions:
    """The allowed ``(value, label)`` pairs of parameter ``param`` of ``endpoint``.

    Static lists (the user's, else the spec's enum) come back as listed (a missing label
    is the value's text). A dynamic list calls the linked endpoint through ``connection``
    (``transport``/``verify``/``prompt``/``timeout`` as for a test run), every page up to
    ``max_pages`` (default: the paging bound, 100); a cached answer younger than ``ttl``
    seconds (default ``limits.LINK_OPTIONS_TTL``, 300) is used instead (``refresh=True``
    or ``ttl=0`` calls again). ``inputs`` (or keywords) are values of the endpoint's other
    parameters, for chained links. Errors: see the module docstring.
    """
    find_param(connector, endpoint, param)
    link = link_for(connector, endpoint, param)
    if link is None:
        raise LinkDefinitionError(f"Parameter {param} of endpoint {endpoint} has no link and "
                                  "no enum, so it has no list of values; link it first.")
    if link.values is not None:
        labels = link.labels or tuple(str(v) for v in link.values)
        return LinkOptions(list(zip(link.values, labels, strict=True)), endpoint, param,
                           "static")
    assert link.source is not None
    find_endpoint(connector, link.source, role="linked endpoint")
    given = {**dict(inputs or {}), **more}
    params = link_inputs(connector, link, given)
    key = _cache_key(connector, link, params, connection, transport)
    with _LOCK:
        one_at_a_time = _CALLING.setdefault(key, threading.Lock())
    with one_at_a_time:  # threads of a test run asking for the same list call L once
        now = time.monotonic()
        with _LOCK:
            hit = _CACHE.get(key)
        if hit is not None and not refresh and now - hit[0] < float(
                limits.LINK_OPTIONS_TTL if ttl is None else ttl):
            return LinkOptions(list(hit[1]), endpoint, param, "dynamic")
        fetch = {"connection": connection, "transport": transport, "verify": verify,
                 "prompt": prompt, "timeout": timeout, "max_pages": max_pages}
        found = _extract(link, _bodies(connector, link.source, params, fetch))
        with _LOCK:
            _CACHE[key] = (time.monotonic(), list(found))
    return LinkOptions(found, endpoint, param, "dynamic")
