"""The endpoint verbs: ``endpoint add`` (by hand, or from a YAML definition: ``%%connect
endpoint`` or ``--yaml FILE``; without arguments in a notebook, the endpoint form),
``endpoint edit ID`` (the form), ``endpoint remove``, ``endpoint show`` (``--yaml``: the
definition a replace takes) and ``endpoints`` (the table, filtered by tag).

A replace keeps what the YAML does not mention (:func:`merge_definition`): description,
tags, response, the types of parameters it names without a type, and parameters it does
not list; ``--exact`` takes the YAML as the whole definition.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import NbConnectError
from ..model import Endpoint
from .table import Arg, Family, Verb, register, usage_error


def _arrow(workspace: Any) -> str:
    written = workspace.written
    return f" -> {written}" if written is not None else ""


_PARAM_LISTS = (("params", None), ("path_params", "path"), ("query", "query"),
                ("headers", "header"), ("cookies", "cookie"))


def _given_params(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The request parameters a definition lists, each with its ``in``."""
    out = []
    for key, loc in _PARAM_LISTS:
        for p in data.get(key) or ():
            if isinstance(p, dict):
                p = dict(p)
                if loc is not None:
                    p.setdefault("in", loc)
                p.setdefault("in", p.pop("location", "query"))
            out.append(p)
    return out


def merge_definition(old: Endpoint, data: dict[str, Any]) -> dict[str, Any]:
    """The definition of ``old`` with ``data`` laid over it: a replace that keeps what
    ``data`` does not mention.

    Top-level fields in ``data`` win (a ``response`` list is taken whole); request
    parameters are matched by location and name, body fields by name: a listed one keeps
    the fields it does not give (its type, description, default, children...), an unlisted
    one is kept, a path parameter no longer in the path goes. Returns a mapping for
    ``Endpoint.from_dict``.
    """
    from ..model.params import parse_path

    merged = old.to_dict()
    for key, value in data.items():
        if key not in {k for k, _ in _PARAM_LISTS}:
            merged[key] = value
    given = _given_params(data)
    params = [p.to_dict() for p in old.params]
    index = {(p["in"], p["name"]): i for i, p in enumerate(params)}
    for p in given:
        if not isinstance(p, dict):
            params.append(p)  # from_dict names the problem
            continue
        key = (p.get("in"), p.get("name"))
        if key in index:
            params[index[key]] = {**params[index[key]], **p}
        else:
            index[key] = len(params)
            params.append(p)
    try:
        in_path = set(parse_path(str(merged["path"])).path_params)
    except NbConnectError:  # from_dict reports a bad path itself
        in_path = None
    if in_path is not None:
        params = [p for p in params if not isinstance(p, dict) or p.get("in") != "path"
                  or p.get("name") in in_path]
    merged["params"] = params
    if isinstance(data.get("body"), list):
        body = [p.to_dict() for p in old.body]
        names = {p["name"]: i for i, p in enumerate(body)}
        for p in data["body"]:
            if isinstance(p, dict) and p.get("name") in names:
                body[names[p["name"]]] = {**body[names[p["name"]]], **p}
            else:
                body.append(p)
        merged["body"] = body
    return merged


def edit_endpoint(connector: Any, endpoint_id: str, changes: dict[str, Any], *,
                  exact: bool = False) -> Endpoint:
    """Replace endpoint ``endpoint_id`` of ``connector`` by ``changes`` laid over it
    (:func:`merge_definition`; ``exact``: ``changes`` is the whole definition). ``id`` in
    ``changes`` renames it. Raises EndpointNotFoundError / EndpointDefinitionError and then
    leaves the connector as it was."""
    old = connector.endpoint(endpoint_id)
    data = dict(changes) if exact else merge_definition(old, changes)
    data.setdefault("source", old.source)
    endpoint = Endpoint.from_dict(data)
    if endpoint.id != endpoint_id:
        if any(ep.id == endpoint.id for ep in connector.endpoints):
            from ..errors import EndpointDefinitionError

            raise EndpointDefinitionError(f"Connector {connector.name!r} already has an "
                                          f"endpoint {endpoint.id!r}; pick another id.",
                                          option="id")
        connector.endpoints = tuple(endpoint if ep.id == endpoint_id else ep
                                    for ep in connector.endpoints)
        return endpoint
    return connector.replace_endpoint(endpoint)


def run_add(workspace: Any, args: argparse.Namespace) -> Any:
    """Add an endpoint by hand (METHOD PATH --name N) or from its YAML definition."""
    connector = workspace.require()
    if args.definition is not None:
        from .auth import load_yaml

        data = load_yaml(args.definition, "endpoint", "at least 'method:' and 'path:'",
                         ("endpoint", "add"))
        if args.replace and isinstance(data.get("id"), str) and \
                any(ep.id == data["id"] for ep in connector.endpoints):
            return edit_endpoint(connector, data["id"], data, exact=args.exact)
        endpoint = Endpoint.from_dict(data)
        if args.replace and any(ep.id == endpoint.id for ep in connector.endpoints):
            return edit_endpoint(connector, endpoint.id, data, exact=args.exact)
        return connector.add_endpoint(endpoint)
    if not (args.method or args.path or args.name) and workspace.forms:
        from .table import FormRequest

        return FormRequest("endpoint", {"connector": connector, "endpoint": None})
    lacking = [shown for shown, value in (("METHOD", args.method), ("PATH", args.path),
                                          ("--name", args.name)) if not value]
    if lacking:
        raise usage_error(f"the following arguments are required: {', '.join(lacking)}",
                          ("endpoint", "add"))
    return connector.add_endpoint(args.method, args.path, name=args.name,
                                  description=args.description or "", id=args.id)


def run_remove(workspace: Any, args: argparse.Namespace) -> Endpoint:
    """Remove the endpoint ID."""
    return workspace.require().remove_endpoint(args.id)


def run_edit(workspace: Any, args: argparse.Namespace) -> Any:
    """Open the endpoint form on endpoint ID (the notebook); elsewhere, say how to edit."""
    connector = workspace.require()
    endpoint = connector.endpoint(args.id)
    if not workspace.forms:
        raise usage_error("endpoint edit opens a form in a notebook; elsewhere print the "
                          "definition with endpoint show ID --yaml, change it and give it to "
                          "endpoint add --yaml FILE --replace.", ("endpoint", "edit"))
    from .table import FormRequest

    return FormRequest("endpoint", {"connector": connector, "endpoint": endpoint})


def run_show(workspace: Any, args: argparse.Namespace) -> Any:
    """The endpoint ID (``--yaml``: its definition as YAML text)."""
    endpoint = workspace.require().endpoint(args.id)
    if getattr(args, "yaml_out", False):
        return EndpointYaml(endpoint_yaml(endpoint))
    return endpoint


class EndpointYaml(str):
    """An endpoint's YAML definition; shows as the text itself (not a quoted repr)."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))


def endpoint_yaml(endpoint: Endpoint) -> str:
    """The YAML definition of ``endpoint`` that ``endpoint add --replace`` takes back
    (``Endpoint.to_dict()``, keys in their order, block style)."""
    import yaml

    data = endpoint.to_dict()
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False,
                          width=88)


def endpoint_text(ep: Any, args: argparse.Namespace, workspace: Any) -> str:
    from ..render import endpoint_json, endpoint_text

    if isinstance(ep, str):
        return ep.rstrip("\n")
    if getattr(args, "json", False):
        import json

        return json.dumps(endpoint_json(ep), indent=2, ensure_ascii=False)
    return endpoint_text(ep)


def run_endpoints(workspace: Any, args: argparse.Namespace) -> tuple[Endpoint, ...]:
    """The connector's endpoints (those with one of the ``--tag`` tags, when given)."""
    endpoints = workspace.require().endpoints
    if args.tag:
        wanted = set(args.tag)
        endpoints = tuple(ep for ep in endpoints if wanted.intersection(ep.tags))
    return endpoints


def _endpoints_text(eps: tuple[Endpoint, ...], args: argparse.Namespace, workspace: Any) -> str:
    from ..render import endpoints_table

    return endpoints_table(eps)


_ID = Arg("id", metavar="ID", required=True, help="the endpoint's id")

register(
    Family("endpoint", "endpoint add METHOD PATH --name N",
           "add an endpoint by hand (also: endpoint remove ID, endpoint show ID)",
           cell_action="add", description="The connector's endpoints, one at a time."),
    Verb(("endpoint", "add"), "add an endpoint by hand, or from YAML",
         "Add an endpoint by hand (/users/:id and /users/{id} both work; path parameters "
         "come from the path), or from a YAML definition: method, path, name, description, "
         "id, and lists params / query / headers / body / response of parameters (name, "
         "type, required, default, description, children).", run_add, changes=True,
         text=lambda ep, a, w: f"endpoint {ep.id} ({ep.method} {ep.path}) added to "
                               f"{w.connector.name}{_arrow(w)}",
         cell_synopsis="%%connect endpoint [--replace]",
         cell_summary="add an endpoint described in YAML in the cell body",
         args=(Arg("method", metavar="METHOD", help="GET, POST, PUT, PATCH or DELETE"),
               Arg("path", metavar="PATH", help="the path, such as /users/:id"),
               Arg("name", ("--name",), "N", help="display name (required without --yaml)"),
               Arg("description", ("--description",), "D", help="short description"),
               Arg("id", ("--id",), "ID", help="endpoint id (default: a slug of the name)"),
               Arg("definition", ("--yaml",), "FILE", yaml=True,
                   help="the endpoint as YAML (%%connect endpoint: the cell body)"),
               Arg("replace", ("--replace",), switch=True,
                   help="with --yaml: replace the endpoint with the same id if there is "
                        "one, keeping what the YAML does not mention"),
               Arg("exact", ("--exact",), switch=True,
                   help="with --replace: the YAML is the whole definition (nothing kept)"))),
    Verb(("endpoint", "edit"), "edit an endpoint in a form (notebook)",
         "Open the endpoint form on the endpoint ID (in a notebook). Elsewhere: endpoint "
         "show ID --yaml, edit, then endpoint add --yaml FILE --replace.", run_edit,
         form="endpoint", form_when=lambda args: False, args=(_ID,)),
    Verb(("endpoint", "remove"), "remove an endpoint", "Remove the endpoint ID.", run_remove,
         changes=True, args=(_ID,),
         text=lambda ep, a, w: f"endpoint {ep.id} removed from {w.connector.name}"
                               f"{_arrow(w)}"),
    Verb(("endpoint", "show"), "show one endpoint", "Show the endpoint ID.", run_show,
         text=endpoint_text,
         args=(_ID, Arg("json", ("--json",), switch=True, help="print the endpoint as JSON"),
               Arg("yaml_out", ("--yaml",), switch=True,
                   help="print the YAML definition that endpoint add --replace takes"))),
    Verb(("endpoints",), "show the endpoints as a table",
         "Show the connector's endpoints as a table.", run_endpoints, text=_endpoints_text,
         view="endpoints", synopsis="endpoints [--tag T]...",
         args=(Arg("tag", ("--tag",), "T", repeatable=True, split=True,
                   help="only endpoints with this tag (repeatable, or comma-separated)"),)),
)
