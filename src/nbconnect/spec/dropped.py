"""What a spec says that a connector does not hold: each such part named in one warning.

A connector holds requests and their responses; some parts of an OpenAPI document describe
other things. Rather than leave them out without a word, :func:`warn_dropped` names them,
with the operations concerned (up to five, then a count):

* ``callbacks`` of an operation (requests the API makes back; OAS 3.0.3 §4.7.18 / 3.1
  §4.8.18) and the top-level ``webhooks`` of OAS 3.1 (§4.8.1): incoming calls, which are
  added as the connector's webhooks instead;
* response ``links`` (§4.7.20 / §4.8.20) and response ``headers`` (§4.7.17 / §4.8.17);
* a request body offered in several media types, of which the endpoint sends one.

Only the selected operations are read (their Operation Objects, nothing deeper than a
response's first level).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..model import Endpoint
from .context import ImportContext
from .operations import Operation

__all__ = ["warn_dropped"]


def _names(labels: list[str]) -> str:
    shown = ", ".join(labels[:5])
    return shown + (f" and {len(labels) - 5} more" if len(labels) > 5 else "")


def _responses(ctx: ImportContext, op: Operation) -> Iterable[dict[str, Any]]:
    responses = op.op.get("responses")
    if not isinstance(responses, dict):
        return
    for raw in responses.values():
        resp, _ = ctx.deref(raw)
        if isinstance(resp, dict):
            yield resp


def warn_dropped(ctx: ImportContext, ops: dict[str, Operation],
                 endpoints: Iterable[Endpoint]) -> None:
    """Warn about the parts of ``ops`` (endpoint id -> operation) and of the document that
    the imported ``endpoints`` do not hold."""
    callbacks: list[str] = []
    links: list[str] = []
    headers: list[str] = []
    bodies: list[str] = []
    for ep in endpoints:
        op = ops.get(ep.id)
        if op is None:
            continue
        if isinstance(op.op.get("callbacks"), dict) and op.op["callbacks"]:
            callbacks.append(f"{ep.id} ({', '.join(map(str, op.op['callbacks']))})")
        responses = list(_responses(ctx, op))
        if any(isinstance(r.get("links"), dict) and r["links"] for r in responses):
            links.append(ep.id)
        if any(isinstance(r.get("headers"), dict) and r["headers"] for r in responses):
            headers.append(ep.id)
        body, _ = ctx.deref(op.op.get("requestBody"))
        content = body.get("content") if isinstance(body, dict) else None
        if isinstance(content, dict) and len(content) > 1:
            sent = ep.body_content_type or next(iter(content))
            others = [str(k) for k in content if k != sent]
            bodies.append(f"{ep.id} (sends {sent}; not {', '.join(others)})")
    if callbacks:
        ctx.warn(f"Callbacks are not imported (requests the API makes back to you): "
                 f"{_names(callbacks)}; add them to the connector as incoming webhooks.")
    webhooks = ctx.doc.get("webhooks")
    if isinstance(webhooks, dict) and webhooks:
        ctx.warn(f"The spec's webhooks ({_names([str(k) for k in webhooks])}) are not "
                 "imported as endpoints (the API calls you there); add them to the connector "
                 "as incoming webhooks.")
    if links:
        ctx.warn(f"Response links are not kept (the exported openapi.json has none): "
                 f"{_names(links)}; link parameters in the connector instead.")
    if headers:
        ctx.warn(f"Response headers declared by the spec are not kept (the exported "
                 f"openapi.json does not list them): {_names(headers)}.")
    if bodies:
        ctx.warn(f"A request body offered in several media types is sent in one: "
                 f"{_names(bodies)}.")
