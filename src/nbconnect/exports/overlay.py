"""Export the response changes accepted from ``pull`` as an OpenAPI Overlay 1.0 document.

An Overlay (OpenAPI Initiative, Overlay Specification 1.0.0) is a list of actions, each a
JSONPath ``target`` (RFC 9535) in the document it overlays and an ``update`` merged into
what it selects or a ``remove``. The spec's owner applies it to the spec the connector was
imported from, so the fix goes back where it belongs.

:func:`to_overlay` makes, for every imported endpoint whose response schema was written by
``pull --accept`` (marked ``x-nbconnect-pulled``), two actions on that operation's primary
response: remove the old schema of its media type, then update the response with the new
one (``content -> media type -> schema``); the marker is left out. Paths are the spec's own
(``$.paths['/tasks/{id}'].get.responses['200']``). Schemas are in the OAS 3.1 dialect
(``type: [T, "null"]``); ``dialect="3.0"`` writes ``nullable: true`` and ``example`` for an
OAS 3.0 spec. The output is deterministic (endpoint order, sorted nothing else).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..errors import ExportError
from ..model import Connector

__all__ = ["OVERLAY_VERSION", "to_overlay", "write_overlay"]

OVERLAY_VERSION = "1.0.0"
_MARK = "x-nbconnect-pulled"


def _name(text: str) -> str:
    """A name selector in RFC 9535 §2.3.1 form: ``['...']`` with ``\\`` and ``'`` escaped."""
    return "['" + text.replace("\\", "\\\\").replace("'", "\\'") + "']"


def _as_30(node: Any) -> Any:
    """An OAS 3.1 schema written for OAS 3.0: type lists with null become ``nullable``,
    ``examples`` its first ``example``."""
    if isinstance(node, list):
        return [_as_30(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "type" and isinstance(value, list):
            kinds = [k for k in value if k != "null"]
            if len(kinds) == 1:
                out["type"] = kinds[0]
            if "null" in value:
                out["nullable"] = True
        elif key == "examples" and isinstance(value, list):
            if value:
                out["example"] = _as_30(value[0])
        else:
            out[key] = _as_30(value)
    return out


def _clean(schema: dict[str, Any], dialect: str) -> dict[str, Any]:
    out = {k: v for k, v in schema.items() if k != _MARK}
    return _as_30(out) if dialect == "3.0" else out


def to_overlay(connector: Connector, *, dialect: str = "3.1") -> dict[str, Any]:
    """The Overlay 1.0 document of the accepted pulled responses of ``connector``.

    Raises :class:`~nbconnect.errors.ExportError` when no imported endpoint has an accepted
    pulled response (an Overlay needs at least one action) or ``dialect`` is not 3.0/3.1.
    """
    if dialect not in ("3.0", "3.1"):
        raise ExportError(f"The schema dialect {dialect!r} is not 3.0 or 3.1; pick one.",
                          option="dialect")
    actions: list[dict[str, Any]] = []
    for ep in connector.endpoints:
        schema = ep.response_schema
        if ep.source != "openapi" or not isinstance(schema, dict) or not schema.get(_MARK):
            continue
        status = ep.response_status or "200"
        media = ep.response_content_type or "application/json"
        response = (f"$.paths{_name(ep.path)}.{ep.method.lower()}.responses"
                    f"{_name(status)}")
        actions.append({
            "target": f"{response}.content{_name(media)}.schema",
            "description": f"{ep.id}: drop the declared {status} response schema, replaced "
                          "below by the one learned from real responses",
            "remove": True,
        })
        actions.append({
            "target": response,
            "description": f"{ep.id}: the {status} response as the API returns it "
                           "(learned by nbconnect pull)",
            "update": {"content": {media: {"schema": _clean(schema, dialect)}}},
        })
    if not actions:
        raise ExportError(f"Connector {connector.name!r} has no accepted pulled response of "
                          "an imported endpoint, so there is nothing for an Overlay to say; "
                          "pull an endpoint and accept the result first.")
    return {
        "overlay": OVERLAY_VERSION,
        "info": {"title": f"{connector.name}: response schemas learned from real responses",
                 "version": "1.0.0"},
        "actions": actions,
    }


def write_overlay(connector: Connector, path: str | os.PathLike[str], *,
                  dialect: str = "3.1") -> Path:
    """Write :func:`to_overlay` as JSON to ``path`` (atomically); return the path. Raises
    :class:`~nbconnect.errors.ExportError` for a folder or a missing parent folder."""
    doc = to_overlay(connector, dialect=dialect)
    target = Path(os.fspath(path)).expanduser()
    if target.is_dir():
        raise ExportError(f"{target} is a directory; give a file path such as "
                          f"{target / 'overlay.json'}.", option="output")
    if not target.parent.is_dir():
        raise ExportError(f"The folder {target.parent} does not exist; create it first or "
                          "pick another path.", option="output")
    from ..package.format import write_atomic

    data = (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return write_atomic(target, data)
