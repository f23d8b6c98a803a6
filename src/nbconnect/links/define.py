"""Define one parameter link from keyword arguments: what ``Connector.link`` calls.

:func:`define_link` builds a static list (:func:`nbconnect.links.static.static_link`) or a
dynamic link (:func:`nbconnect.links.dynamic.dynamic_link`), sets it on the connector (all or
nothing: a circle of links changes nothing) and warns, as the ``link add`` verb does, when
its paths match no known response field of the linked endpoint.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import LinkDefinitionError
from ..model import Connector
from ..model.links import Link

__all__ = ["define_link"]


def define_link(connector: Connector, endpoint: str, param: str, *,
                values: Iterable[Any] | None = None, labels: Iterable[str] | None = None,
                source: str | None = None, value: str | None = None,
                label: str | None = None,
                inputs: Mapping[str, Any] | Iterable[str] | None = None) -> Link:
    """Set the link of ``param`` of ``endpoint`` and return it.

    Static: ``values`` (a list; a string is one value) with optional ``labels``. Dynamic:
    ``source`` (the linked endpoint's id), ``value`` (the linked parameter's path in its
    response, such as ``items[*].id``), optional ``label`` (the display path) and
    ``inputs`` (``{"projectId": "param:projectId", "archived": False}`` or ``K=V`` words).
    A dynamic path matching none of ``source``'s known response fields (pulled, else
    declared) emits a ``UserWarning`` and the link is kept.

    Raises :class:`~nbconnect.errors.LinkDefinitionError` (a missing endpoint, parameter or
    input, both kinds or neither, duplicates, labels that do not pair) or
    :class:`~nbconnect.errors.LinkCycleError`; the connector is then unchanged.
    """
    from .dynamic import dynamic_link, path_warning
    from .static import set_link, static_link

    static = values is not None
    dynamic = source is not None or value is not None or label is not None
    if static == dynamic:
        raise LinkDefinitionError(
            f"Link parameter {param} of endpoint {endpoint} to listed values or to a linked "
            "endpoint and its value path, one of the two.", option="values")
    if static:
        if inputs:
            raise LinkDefinitionError("Inputs go with source (a linked endpoint), not with "
                                      "listed values.", option="inputs")
        listed = [values] if isinstance(values, str | bytes) else list(values or ())
        link = static_link(connector, endpoint, param, listed,
                           [labels] if isinstance(labels, str) else labels)
    else:
        if labels is not None:
            raise LinkDefinitionError("Labels go with listed values; a linked endpoint's "
                                      "labels come from its display path.", option="labels")
        if not source or not value:
            missing = "source" if not source else "value"
            raise LinkDefinitionError(
                f"The link of parameter {param} of endpoint {endpoint} needs a {missing}: "
                "the linked endpoint and the path of the values in its response (such as "
                "items[*].id).", option=missing)
        link = dynamic_link(connector, endpoint, param, source, value, label, inputs)
    set_link(connector, link)
    warning = path_warning(connector, link)
    if warning:
        warnings.warn(warning, UserWarning, stacklevel=3)
    return link
