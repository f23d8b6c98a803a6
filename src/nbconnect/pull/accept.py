"""Accept: write a pulled tree into the endpoint's declared response.

:func:`accepted_endpoint` makes the endpoint whose ``response`` parameters follow the pulled
fields (without the ``drop`` paths) and whose primary response schema is the JSON Schema of
that tree (OAS 3.1 dialect, without examples), marked ``x-nbconnect-pulled: {"declared":
<the schema declared before>}`` so the Overlay export finds it and knows what it replaced;
:func:`accept` puts it on the connector (all or nothing), and changes nothing when there is
no drift and nothing is dropped.

What a declared field said and a response cannot show (description, enum, default) is
kept; a declared field that no sample returned is kept too, as optional (an API may leave
optional fields out), unless its path is dropped. Samples widen a declared field, never
narrow it: it stays nullable, optional, ``number`` or ``any`` when declared so, and keeps its
format and example.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from ..errors import PullError
from ..model import Connector, Endpoint, Param
from .drift import declared_paths
from .merge import UNKNOWN
from .tree import ROOT, PulledField, PullResult, child_path, items_path

__all__ = ["PULLED_MARK", "accept", "accepted_endpoint", "needs_change", "original_schema",
           "pulled_params", "response_schema"]

#: the schema extension that marks a response schema written by accept
PULLED_MARK = "x-nbconnect-pulled"


def _ptype(t: str | None) -> str:
    return "any" if t in (None, UNKNOWN) else t


def _dropped(path: str, drop: frozenset[str]) -> bool:
    return any(path == d or (path.startswith(d) and path[len(d):len(d) + 1] in (".", "["))
               or (d == ROOT) for d in drop)


def _param(f: PulledField, name: str, decl: dict[str, Param], drop: frozenset[str]) -> Param:
    old = decl.get(f.path)
    ptype = _ptype(f.type)
    children: list[Param] = []
    items = None
    sub_prefix = f.path
    if f.type == "array":
        items = _ptype(f.items)
        sub_prefix = items_path(f.path)
    if f.type == "object" or (f.type == "array" and f.items == "object"):
        seen = set()
        for c in f.children:
            if not _dropped(c.path, drop):
                children.append(_param(c, c.name, decl, drop))
                seen.add(c.name)
        if old is not None:  # declared fields no sample returned: kept, optional
            for oc in old.children:
                path = child_path(sub_prefix, oc.name)
                if oc.name not in seen and not _dropped(path, drop):
                    children.append(dataclasses.replace(oc, required=False))
    fmt, required, nullable, example = f.format, f.required, f.nullable, f.example
    keep: dict[str, Any] = {}
    if old is not None:  # samples widen what was declared, never narrow it
        if f.type == UNKNOWN or old.type == "any" or (old.type, f.type) == ("number",
                                                                             "integer"):
            ptype = old.type
        if f.type == "array" and f.items in (None, UNKNOWN) and old.items:
            items = old.items
        if old.format is not None and old.type == ptype:
            fmt = old.format
        required = f.required and old.required
        nullable = f.nullable or old.nullable
        if old.example is not None:
            example = old.example
        keep = {"description": old.description, "enum": old.enum, "default": old.default}
    return Param(name=name, type=ptype, location="response", required=required,
                 format=fmt, example=example, items=items, nullable=nullable,
                 children=tuple(children), **keep)


def pulled_params(result: PullResult, declared: Iterable[Param] = (),
                  drop: Iterable[str] = ()) -> tuple[Param, ...]:
    """The response parameters of ``result``'s fields (a non-object response as one field
    named ``response``, as the importer makes it), keeping what ``declared`` said that a
    response cannot show, without the fields at ``drop`` paths (and their descendants)."""
    decl = declared_paths(declared)
    gone = frozenset(drop)
    if len(result.fields) == 1 and result.fields[0].path == ROOT:
        root = result.fields[0]
        return () if _dropped(ROOT, gone) else (_param(root, "response", decl, gone),)
    out = [_param(f, f.name, decl, gone) for f in result.fields if not _dropped(f.path, gone)]
    names = {p.name for p in out}
    for path, p in decl.items():  # declared top-level fields no sample returned
        if "." not in path and "[" not in path and path != ROOT and p.name not in names \
                and not _dropped(path, gone):
            out.append(dataclasses.replace(p, required=False))
    return tuple(out)


def _without_examples(schema: Any) -> Any:
    """``schema`` without ``examples`` (the response parameters keep them; a schema that
    repeats every example only makes the package diff longer)."""
    if isinstance(schema, list):
        return [_without_examples(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    return {k: _without_examples(v) for k, v in schema.items() if k != "examples"}


def original_schema(schema: Any) -> Any:
    """The response schema declared before any accept: ``schema`` itself, or what the mark
    of a schema written by accept remembers."""
    if isinstance(schema, dict) and isinstance(schema.get(PULLED_MARK), dict):
        return schema[PULLED_MARK].get("declared")
    return schema


def response_schema(params: tuple[Param, ...], declared: Any = None) -> dict[str, Any]:
    """The JSON Schema (OAS 3.1 dialect) of a response tree, marked :data:`PULLED_MARK`
    ``{"declared": the schema declared before}`` (what the Overlay export compares with)."""
    from ..spec.writer import param_schema, params_object_schema

    if len(params) == 1 and params[0].name == "response" and params[0].type != "object":
        schema = param_schema(params[0])
    else:
        schema = params_object_schema(params)
    return {**_without_examples(schema), PULLED_MARK: {"declared": original_schema(declared)}}


def accepted_endpoint(endpoint: Endpoint, result: PullResult,
                      drop: Iterable[str] = ()) -> Endpoint:
    """``endpoint`` with its response following ``result`` (see the module docstring)."""
    if not result.fields:
        raise PullError(f"The pull of endpoint {endpoint.id} found no fields to accept; pull "
                        "from a response with data first.")
    params = pulled_params(result, endpoint.response, drop)
    schema = response_schema(params, endpoint.response_schema)
    status = endpoint.response_status or "200"
    media = endpoint.response_content_type or "application/json"
    responses = {k: dict(v) for k, v in endpoint.responses.items()}
    if responses:
        content = dict(responses.get(status) or {})
        content[media] = schema
        responses[status] = content
    return dataclasses.replace(endpoint, response=params, response_schema=schema,
                               response_status=status, response_content_type=media,
                               responses=responses)


def needs_change(result: PullResult, drop: Iterable[str] = ()) -> bool:
    """Whether accepting ``result`` (less ``drop``) would change the endpoint: there is
    drift, or fields are dropped."""
    return bool(result.drift) or bool(tuple(drop))


def accept(connector: Connector, result: PullResult, drop: Iterable[str] = ()) -> Endpoint:
    """Write ``result`` into its endpoint of ``connector`` and return the endpoint; when the
    declared response already matches (no drift, nothing dropped) nothing changes.

    Nothing changes either when it cannot be written. Raises
    :class:`~nbconnect.errors.PullError` for a result with no fields,
    :class:`~nbconnect.errors.EndpointNotFoundError` for a missing endpoint."""
    endpoint = connector.endpoint(result.endpoint)
    drop = tuple(drop)
    if not needs_change(result, drop):
        return endpoint
    return connector.replace_endpoint(accepted_endpoint(endpoint, result, drop))
