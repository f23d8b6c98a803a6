"""Links before a request is sent: a value not in the list fails before anything is sent.

* :func:`check_listed` (no network; the test-value policy calls it for every request it
  builds, and for the Postman export): an explicit or saved value of a parameter with a
  static list the user set must be one of the listed values.
* :func:`prepare_values` (calls linked endpoints): the values a request of endpoint E will
  use, with every dynamically linked parameter that needs a value and has none filled
  with the first value of its list (chained links in order: a project, then an issue type
  of that project), and every given value checked against its list.
* :func:`run_values`: the same inside a test run (the run's connection, transport and TLS
  settings reach the linked endpoint).

A refused value raises :class:`~nbconnect.errors.LinkValueError` naming the allowed values
(the first :data:`SHOWN` and the count).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import LinkValueError
from ..model import Connector, Endpoint
from ..model.links import Link
from .static import find_param, links_of

__all__ = ["SHOWN", "allowed_text", "check_listed", "check_value", "prepare_values",
           "run_values"]

#: allowed values named in a refusal
SHOWN = 5


def _text(value: Any) -> str:
    from ..testing.values import value_text

    return value_text(value)


def allowed_text(allowed: list[tuple[Any, str]] | list[Any]) -> str:
    """``a, b, c, d, e and 7 more (12 in all)``: the first :data:`SHOWN` values and the
    count."""
    values = [a[0] if isinstance(a, tuple) else a for a in allowed]
    shown = ", ".join(_text(v) for v in values[:SHOWN])
    if len(values) > SHOWN:
        return f"{shown} and {len(values) - SHOWN} more ({len(values)} in all)"
    return f"{shown} ({len(values)} in all)"


def check_value(endpoint: str, param: str, value: Any,
                allowed: list[tuple[Any, str]] | list[Any]) -> None:
    """Raise :class:`LinkValueError` unless ``value`` is one of ``allowed`` (compared by
    their text, so ``"7"`` matches ``7``); a list value must hold only allowed items."""
    texts = {_text(a[0] if isinstance(a, tuple) else a) for a in allowed}
    items = value if isinstance(value, list | tuple) else [value]
    for item in items:
        if _text(item) not in texts:
            raise LinkValueError(
                f"The value {clip_value(item)} is not allowed for parameter {param} of "
                f"endpoint {endpoint}, so nothing was sent; the allowed values are "
                f"{allowed_text(allowed)}.")


def clip_value(value: Any) -> str:
    text = _text(value)
    return repr(text if len(text) <= 40 else text[:39] + "…")


def check_listed(connector: Connector, endpoint: Endpoint,
                 given: Mapping[str, Any]) -> None:
    """Check ``given`` values (explicit and saved, by name) against the static lists the
    user set on ``endpoint``'s parameters; no network."""
    from ..testing.values import coerce

    for link in links_of(connector, endpoint.id):
        if link.values is None or link.param not in given or given[link.param] is None:
            continue
        try:
            _ep, param = find_param(connector, endpoint.id, link.param)
        except Exception:  # a link to a parameter the endpoint lost: not this check's job
            continue
        check_value(endpoint.id, link.param, coerce(given[link.param], param),
                    list(link.values))


def _ordered(links: list[Link]) -> list[Link]:
    """Dynamic links of one endpoint, each after the links whose parameters it reads."""
    by_param = {lk.param: lk for lk in links}
    out: list[Link] = []

    def place(lk: Link, trail: tuple[str, ...]) -> None:
        if lk in out or lk.param in trail:
            return
        for name in lk.param_inputs():
            if name in by_param:
                place(by_param[name], (*trail, lk.param))
        out.append(lk)

    for lk in links:
        place(lk, ())
    return out


def prepare_values(connector: Connector, endpoint: Endpoint, values: Mapping[str, Any], *,
                   connection: Any = None, transport: Any = None, verify: Any = True,
                   prompt: Any = None, timeout: float | None = None) -> dict[str, Any]:
    """``values`` with dynamically linked parameters filled and checked (see the module
    docstring). Only parameters that need a value are filled (path parameters, required
    ones, and those another link's inputs read); optional ones without a value stay out.
    Raises :class:`LinkValueError`, :class:`~nbconnect.errors.LinkSourceError`,
    :class:`~nbconnect.errors.MissingParameterError` or
    :class:`~nbconnect.errors.LinkDefinitionError` before anything is sent."""
    from ..testing.values import coerce
    from .options import options

    dynamic = [lk for lk in links_of(connector, endpoint.id) if lk.source is not None]
    out = dict(values)
    if not dynamic:
        return out
    saved = connector.test_values.get(endpoint.id, {})
    needed = {name for lk in dynamic for name in lk.param_inputs()}
    for link in _ordered(dynamic):
        _ep, param = find_param(connector, endpoint.id, link.param)
        has = link.param in out or link.param in saved
        value = out.get(link.param, saved.get(link.param))
        if not has and not (param.location == "path" or param.required or
                            link.param in needed):
            continue
        if has and value is None:
            continue
        known = {k: v for k, v in {**saved, **out}.items()}
        allowed = options(connector, endpoint.id, link.param, connection=connection,
                          inputs=known, transport=transport, verify=verify, prompt=prompt,
                          timeout=timeout)
        if has:
            check_value(endpoint.id, link.param, coerce(value, param), allowed)
        else:
            out[link.param] = allowed[0][0]
    return out


def run_values(run: Any, endpoint: Endpoint, values: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`prepare_values` inside a test run (``run`` is the runner's run: its
    connector and the connection settings it was made with)."""
    opts = dict(getattr(run, "link_options", None) or {})
    return prepare_values(run.connector, endpoint, values, **opts)
