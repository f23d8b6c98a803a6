"""Store, edit or clear the paging rule of a connector's endpoint: the one path the ``paging``
verb and the notebook's paging form take, so both accept and refuse exactly the same rules.

:func:`set_paging` stores a whole rule (or clears it); :func:`edit_paging` changes some
fields of the stored one. A rule is checked against its endpoint first
(:func:`nbconnect.model.paging.checked_paging`); a refused rule leaves the connector exactly
as it was.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import PagingError
from ..model.paging import PAGING_TYPES, PagingRule, checked_paging

if TYPE_CHECKING:
    from ..model import Connector

__all__ = ["edit_paging", "set_paging"]


def set_paging(connector: Connector, endpoint_id: str,
               rule: PagingRule | Mapping[str, Any] | None) -> PagingRule | None:
    """Store ``rule`` (a :class:`PagingRule`, its dict such as ``{"type": "cursor",
    "param": "cursor", "field": "next_cursor"}``, or None to clear) on endpoint
    ``endpoint_id``; returns the rule now stored.

    Raises :class:`~nbconnect.errors.EndpointNotFoundError` for an unknown endpoint and
    :class:`~nbconnect.errors.PagingError` for a malformed rule or one naming a parameter
    or response field the endpoint lacks; the connector is then unchanged.
    """
    ep = connector.endpoint(endpoint_id)
    new = None if rule is None else checked_paging(rule, ep)
    connector.replace_endpoint(dataclasses.replace(ep, paging=new))
    return connector.endpoint(ep.id).paging


def edit_paging(connector: Connector, endpoint_id: str, **fields: Any) -> PagingRule | None:
    """Change ``fields`` (``param``, ``field``, ``limit_param``, ``limit``, ``total_field``,
    ``start``, ``items``; None removes one) of the rule stored on ``endpoint_id``; returns
    the rule now stored. Raises :class:`~nbconnect.errors.PagingError` when the endpoint
    has no rule to edit or the result is refused (as :func:`set_paging`)."""
    ep = connector.endpoint(endpoint_id)
    if ep.paging is None:
        raise PagingError(f"Endpoint {ep.id} has no paging rule to edit; set one with its "
                          f"type ({', '.join(PAGING_TYPES)}) and fields.", option="type")
    data = {**ep.paging.to_dict(), **fields}
    return set_paging(connector, ep.id, {k: v for k, v in data.items() if v is not None})
