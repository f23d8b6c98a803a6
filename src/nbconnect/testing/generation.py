"""Generated test values: a value for each required parameter that has none anywhere.

``nbconnect test --generate`` (the runner's ``generate=True``) fills the gaps of the test-value
chain (:mod:`nbconnect.testing.values`) with values from the parameter's schema, made by the
mock's generator (:func:`nbconnect.mock.values.generate_value`), so a test against the mock
sends what the mock accepts. Values that exist anywhere in the chain (explicit, saved, linked,
default, example, enum) are never replaced; only required parameters and the required parts of
a body are generated (a body none of whose fields has a value gets the generator's fields,
since the model does not say whether the body is required), deterministically from the
endpoint and the parameter's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import MissingParameterError
from ..model import Connector, Endpoint, Param

__all__ = ["generated_values", "param_json_schema"]


def param_json_schema(connector: Connector, param: Param) -> dict[str, Any]:
    """The JSON Schema a parameter's values are generated from: its own ``schema`` when the
    model keeps one, else the schema the exported spec writes for it."""
    own = getattr(param, "schema", None)
    if isinstance(own, dict):
        return own
    from ..spec.writer import param_schema

    return param_schema(param, schemas=connector.schemas)


def _document(connector: Connector) -> dict[str, Any]:
    return {"openapi": "3.1.0", "components": {"schemas": dict(connector.schemas)}}


def generated_values(connector: Connector, endpoint: Endpoint,
                     given: Mapping[str, Any] | None = None, *, seed: int = 0
                     ) -> dict[str, Any]:
    """Values (by parameter name, body fields by top-level name) for the required
    parameters of ``endpoint`` that have no value with ``given`` and the chain."""
    from ..mock.values import generate_value
    from .values import EndpointValues

    values = EndpointValues(connector, endpoint, given)
    out: dict[str, Any] = {}
    doc: dict[str, Any] | None = None
    for p in endpoint.params:
        if not p.required:
            continue
        found, value = values.value(p)
        if found and value is not None and not (p.location == "path" and value == ""):
            continue
        doc = doc or _document(connector)
        out[p.name] = generate_value(param_json_schema(connector, p), document=doc,
                                     seed=seed, direction="request",
                                     where=f"{endpoint.id}.{p.name}")
    if endpoint.body or endpoint.request_schema:
        body = _body_gaps(connector, endpoint, {**dict(given or {}), **out}, seed)
        out.update(body)
    return out


def _body_gaps(connector: Connector, endpoint: Endpoint, given: dict[str, Any],
               seed: int) -> dict[str, Any]:
    """Top-level body fields generated where the body misses a required part."""
    from ..mock.values import generate_value
    from ..spec.writer import params_object_schema
    from .values import EndpointValues

    empty = False
    try:
        data = EndpointValues(connector, endpoint, given).body_data(strict=True)
        if data not in (None, {}) or not endpoint.body:
            return {}
        empty = True  # no field has a value: the model cannot tell a required body
    except MissingParameterError:
        pass
    schema = endpoint.request_schema if isinstance(endpoint.request_schema, dict) else \
        params_object_schema(endpoint.body, schemas=connector.schemas)
    body = generate_value(schema, document=_document(connector), seed=seed,
                          direction="request", where=f"{endpoint.id}.body")
    if not isinstance(body, dict):
        return {}
    out: dict[str, Any] = {}
    for p in endpoint.body:  # the required fields first, then any field still missing
        if p.name not in given and p.name in body and (p.required or empty):
            out[p.name] = body[p.name]
    try:
        EndpointValues(connector, endpoint, {**given, **out}).body_data(strict=True)
    except MissingParameterError:
        for p in endpoint.body:
            if p.name not in given and p.name in body:
                out[p.name] = body[p.name]
    return out
