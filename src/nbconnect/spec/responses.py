"""Every declared response of an operation: status/range/``default`` -> media type -> schema.

The importer's :class:`~nbconnect.spec.params.OperationReader` picks one primary response for
the parameter trees and the mock; :func:`declared_responses` reads the whole Responses Object
(OAS 3.0.3 §4.7.16-17 / 3.1 §4.8.16-17: status codes, ``1XX``..``5XX`` ranges, ``default``;
a Response may be a ``$ref`` to ``components.responses``) so that a test can judge each status
against the schema declared for it (:meth:`nbconnect.model.Endpoint.response_for`).
:func:`with_responses` puts the map on an imported endpoint.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from ..model import Endpoint
from .context import ImportContext
from .operations import Operation

__all__ = ["declared_responses", "with_responses"]

_KEY_RE = re.compile(r"([1-5][0-9][0-9]|[1-5][Xx][Xx]|default)\Z")


def declared_responses(ctx: ImportContext, op: Operation) -> dict[str, dict[str, Any]]:
    """``{status: {media type: schema or None}}`` for every response ``op`` declares, in
    document order; keys that are not status codes, ranges or ``default`` (``x-`` extensions)
    are left out."""
    responses = op.op.get("responses")
    if not isinstance(responses, dict):
        return {}
    out: dict[str, dict[str, Any]] = {}
    for key, raw in responses.items():
        code = str(key)
        if not _KEY_RE.match(code):
            continue
        resp, _ = ctx.deref(raw)
        content = resp.get("content") if isinstance(resp, dict) else None
        media: dict[str, Any] = {}
        if isinstance(content, dict):
            for mtype, obj in content.items():
                schema = obj.get("schema") if isinstance(obj, dict) else None
                media[str(mtype)] = schema if isinstance(schema, dict | bool) else None
        out[code] = media
    return out


def with_responses(ctx: ImportContext, op: Operation, ep: Endpoint | None) -> Endpoint | None:
    """``ep`` carrying every response ``op`` declares (unchanged when that says no more
    than its primary response)."""
    if ep is None:
        return None
    responses = declared_responses(ctx, op)
    if not responses:
        return ep
    return dataclasses.replace(ep, responses=responses)
