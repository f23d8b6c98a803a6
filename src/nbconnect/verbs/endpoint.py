"""The endpoint verbs: ``endpoint add`` (by hand, or from a YAML definition: ``%%connect
endpoint`` or ``--yaml FILE``), ``endpoint remove``, ``endpoint show`` and ``endpoints``
(the table, filtered by tag)."""

from __future__ import annotations

import argparse
from typing import Any

from ..model import Endpoint
from .table import Arg, Family, Verb, register, usage_error


def _arrow(workspace: Any) -> str:
    written = workspace.written
    return f" -> {written}" if written is not None else ""


def run_add(workspace: Any, args: argparse.Namespace) -> Endpoint:
    """Add an endpoint by hand (METHOD PATH --name N) or from its YAML definition."""
    connector = workspace.require()
    if args.definition is not None:
        from .auth import load_yaml

        data = load_yaml(args.definition, "endpoint", "at least 'method:' and 'path:'",
                         ("endpoint", "add"))
        endpoint = Endpoint.from_dict(data)
        if args.replace and any(ep.id == endpoint.id for ep in connector.endpoints):
            return connector.replace_endpoint(endpoint)
        return connector.add_endpoint(endpoint)
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


def run_show(workspace: Any, args: argparse.Namespace) -> Endpoint:
    """The endpoint ID."""
    return workspace.require().endpoint(args.id)


def endpoint_text(ep: Endpoint, args: argparse.Namespace, workspace: Any) -> str:
    from ..render import endpoint_json, endpoint_text

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
                        "one"))),
    Verb(("endpoint", "remove"), "remove an endpoint", "Remove the endpoint ID.", run_remove,
         changes=True, args=(_ID,),
         text=lambda ep, a, w: f"endpoint {ep.id} removed from {w.connector.name}"
                               f"{_arrow(w)}"),
    Verb(("endpoint", "show"), "show one endpoint", "Show the endpoint ID.", run_show,
         text=endpoint_text,
         args=(_ID, Arg("json", ("--json",), switch=True, help="print the endpoint as JSON"))),
    Verb(("endpoints",), "show the endpoints as a table",
         "Show the connector's endpoints as a table.", run_endpoints, text=_endpoints_text,
         view="endpoints", synopsis="endpoints [--tag T]...",
         args=(Arg("tag", ("--tag",), "T", repeatable=True, split=True,
                   help="only endpoints with this tag (repeatable, or comma-separated)"),)),
)
