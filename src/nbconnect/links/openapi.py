"""Links in the written OpenAPI document: static lists as ``enum``, dynamic ones as
``x-nbconnect-link``.

:func:`annotate` is called by :func:`nbconnect.spec.writer.to_openapi` on the document it
built. A static list becomes the parameter schema's ``enum`` (labels, when given, go in
``x-nbconnect-labels`` beside it); a dynamic link becomes the Parameter Object's
``x-nbconnect-link`` extension (OAS 3.1 §4.9 Specification Extensions)::

    {"operationId": "listProjects", "value": "items[*].id", "label": "items[*].name",
     "inputs": {"archived": false, "org": {"param": "orgId"}}}

A link of a body field (``owner.id``) goes in the operation's ``x-nbconnect-links`` list,
each entry also naming its ``param``.
"""

from __future__ import annotations

from typing import Any

from ..model import Connector
from ..model.links import Link

__all__ = ["annotate", "link_extension"]


def link_extension(link: Link) -> dict[str, Any]:
    """The ``x-nbconnect-link`` value of a link (static: ``values`` and ``labels``)."""
    if link.values is not None:
        out: dict[str, Any] = {"values": list(link.values)}
        if link.labels:
            out["labels"] = list(link.labels)
        return out
    out = {"operationId": link.source, "value": link.value_path}
    if link.label_path is not None:
        out["label"] = link.label_path
    if link.inputs:
        out["inputs"] = {i.name: i.to_data() for i in link.inputs}
    return out


def _operations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    ops: dict[str, dict[str, Any]] = {}
    for item in (doc.get("paths") or {}).values():
        for op in item.values():
            if isinstance(op, dict) and isinstance(op.get("operationId"), str):
                ops[op["operationId"]] = op
    return ops


def annotate(doc: dict[str, Any], connector: Connector) -> dict[str, Any]:
    """Write ``connector``'s links into ``doc`` (changed in place and returned)."""
    ops = _operations(doc)
    for link in getattr(connector, "links", ()):
        op = ops.get(link.endpoint)
        if op is None:
            continue
        param = next((p for p in op.get("parameters") or ()
                      if isinstance(p, dict) and p.get("name") == link.param), None)
        if param is None:
            op.setdefault("x-nbconnect-links", []).append(
                {"param": link.param, **link_extension(link)})
            continue
        if link.values is not None and isinstance(param.get("schema"), dict):
            param["schema"] = {**param["schema"], "enum": list(link.values)}
            if link.labels:
                param["schema"]["x-nbconnect-labels"] = list(link.labels)
        else:
            param["x-nbconnect-link"] = link_extension(link)
    return doc
