"""The link verbs: ``link add`` (a static list with ``--values``, or a dynamic one with
``--from L --value PATH``; ``%%connect link`` with a YAML body; the link form without
arguments in a notebook), ``link list``, ``link remove``, ``link graph`` (the drawing in a
notebook) and ``options`` (a linked parameter's allowed values, calling the linked endpoint).

The work is done by :mod:`nbconnect.links`; this module only reads the words.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import Any

from ..errors import LinkDefinitionError
from .table import Arg, Family, Verb, register, usage_error

__all__: list[str] = []

_ADD = ("link", "add")
_YAML_NEEDS = ("endpoint:, param: and values: [...] or from: and value: (or links: [...] of "
               "those)")


def _arrow(workspace: Any) -> str:
    written = workspace.written
    return f" -> {written}" if written is not None else ""


def _link_from_fields(connector: Any, data: Mapping[str, Any]) -> Any:
    from ..links.dynamic import dynamic_link
    from ..links.static import static_link
    from ..model.links import Link

    Link.from_dict(data)  # unknown fields, both kinds at once: one clear sentence
    if data.get("values") is not None:
        return static_link(connector, data["endpoint"], data["param"], data["values"],
                           data.get("labels"))
    return dynamic_link(connector, data["endpoint"], data["param"], data["from"],
                        data["value"], data.get("label"), data.get("inputs"))


def _from_yaml(workspace: Any, text: str) -> list[Any]:
    from .auth import load_yaml

    data = load_yaml(text, "link", _YAML_NEEDS, _ADD)
    items = data.get("links") if set(data) == {"links"} else [data]
    if not isinstance(items, list) or not items or \
            not all(isinstance(x, Mapping) for x in items):
        raise LinkDefinitionError(f"The link YAML must be a mapping with {_YAML_NEEDS}.")
    return [_link_from_fields(workspace.require(), item) for item in items]


def run_add(workspace: Any, args: argparse.Namespace) -> Any:
    """Add (or replace) links; returns the link (a list of them from YAML with ``links:``).
    All or nothing: a bad one changes nothing."""
    from ..links.dynamic import dynamic_link, path_warning
    from ..model.links import check_links

    connector = workspace.require()
    if args.definition is not None:
        links = _from_yaml(workspace, args.definition)
    else:
        lacking = [shown for shown, value in (("ENDPOINT", args.endpoint),
                                              ("PARAM", args.param)) if not value]
        if lacking:
            raise usage_error(f"the following arguments are required: {', '.join(lacking)}",
                              _ADD)
        if bool(args.values) == bool(args.source):
            raise usage_error("Give --values V1,V2 (a static list) or --from ENDPOINT --value "
                              "PATH (a linked endpoint), one of the two.", _ADD)
        if args.values:
            if args.value or args.label or args.input:
                raise usage_error("--value, --label and --input go with --from, not with "
                                  "--values.", _ADD)
            from ..links.static import split_listed, static_link

            links = [static_link(connector, args.endpoint, args.param,
                                 split_listed(args.values),
                                 split_listed(args.labels) or None)]
        else:
            if args.labels:
                raise usage_error("--labels goes with --values; a linked endpoint's labels "
                                  "come from --label PATH.", _ADD)
            if not args.value:
                raise usage_error("--from needs --value PATH, the linked parameter's path in "
                                  "the response (such as items[*].id).", _ADD)
            links = [dynamic_link(connector, args.endpoint, args.param, args.source,
                                  args.value, args.label, args.input)]
    keys = [lk.key for lk in links]
    if len(set(keys)) != len(keys):
        raise LinkDefinitionError("The YAML links the same parameter twice; link it once.")
    old = list(connector.links)
    new = [lk for lk in old if lk.key not in set(keys)] + links
    for link in links:  # check every endpoint and parameter before changing anything
        from ..links.static import find_param

        find_param(connector, link.endpoint, link.param)
    connector.links = check_links(new)
    for link in links:
        warning = path_warning(connector, link)
        if warning:
            workspace.warn(warning)
    return links[0] if len(links) == 1 and args.definition is None else links


def _added_text(links: Any, args: argparse.Namespace, workspace: Any) -> str:
    from ..links.static import describe

    links = links if isinstance(links, list) else [links]
    return "\n".join(f"link {lk.endpoint}.{lk.param} {describe(lk)} set on "
                     f"{workspace.connector.name}" for lk in links) + _arrow(workspace)


def run_list(workspace: Any, args: argparse.Namespace) -> Any:
    """The links that apply (the user's, and the spec's enums), of one endpoint if given."""
    from ..links.static import LinkList, all_links, find_endpoint

    connector = workspace.require()
    if args.endpoint:
        find_endpoint(connector, args.endpoint)
    return LinkList([(lk, origin) for lk, origin in all_links(connector)
                     if args.endpoint in (None, lk.endpoint)], connector.name)


def _list_text(found: Any, args: argparse.Namespace, workspace: Any) -> str:
    if args.json:
        return json.dumps(found.to_list(), indent=2, ensure_ascii=False)
    return found.text()


def run_remove(workspace: Any, args: argparse.Namespace) -> Any:
    """Remove the link of PARAM of ENDPOINT."""
    from ..links.static import remove_link

    return remove_link(workspace.require(), args.endpoint, args.param)


def run_graph(workspace: Any, args: argparse.Namespace) -> Any:
    """The link graph (a drawing in the notebook, text elsewhere)."""
    from ..links.graph import link_graph

    return link_graph(workspace.require())


def run_options(workspace: Any, args: argparse.Namespace) -> Any:
    """The allowed (value, label) pairs of PARAM of ENDPOINT; without PARAM, in a notebook,
    the parameter form of ENDPOINT (a dropdown per linked parameter, and Test)."""
    from ..links.dynamic import parse_inputs
    from .table import FormRequest
    from .test import parse_param_value

    connector = workspace.require()
    if not args.param:
        if not workspace.forms or args.input or args.json or args.refresh:
            raise usage_error("the following arguments are required: PARAM", ("options",))
        return FormRequest("params", {"connector": connector,
                                      "endpoint": connector.endpoint(args.endpoint).id,
                                      "connection": args.connection})
    given: dict[str, Any] = {}
    for item in parse_inputs(args.input):
        if item.param is not None:
            raise usage_error("--input gives values of the endpoint's other parameters here, "
                              "as NAME=VALUE.", ("options",), option="input")
        given[item.name] = parse_param_value(str(item.value))
    from ..links.options import options

    verify = workspace._verify_for(connector, args.connection)
    return options(connector, args.endpoint, args.param, connection=args.connection,
                   inputs=given, verify=verify, refresh=args.refresh)


def _options_text(found: list[tuple[Any, str]], args: argparse.Namespace,
                  workspace: Any) -> str:
    from ..auth.redaction import redact
    from ..testing.values import value_text

    if args.json:
        return redact(json.dumps([{"value": v, "label": label} for v, label in found],
                                 indent=2, ensure_ascii=False))
    width = max((len(value_text(v)) for v, _ in found), default=5)
    return redact("\n".join(f"{value_text(v):<{width}}  {label}" if label != value_text(v)
                            else value_text(v) for v, label in found))


_ENDPOINT = Arg("endpoint", metavar="ENDPOINT", help="the endpoint whose parameter is linked")
_PARAM = Arg("param", metavar="PARAM", help="the parameter (a body field as parent.child)")

register(
    Family("link", "link add|list|remove|graph ...",
           "limit a parameter to a static list or to values from another endpoint",
           cell_action="add",
           description="Parameter links: a request parameter limited to listed values, or "
                       "to the values another endpoint returns."),
    Verb(_ADD, "link a parameter to a static list or to another endpoint",
         "Limit PARAM of ENDPOINT to --values V1,V2 (optional --labels), or to the values "
         "the linked endpoint --from L returns at --value PATH (such as items[*].id; "
         "--label PATH for what a person sees; --input K=V or K=param:NAME for L's own "
         "parameters: fixed values, or another parameter of ENDPOINT). A new link replaces "
         "the parameter's old one. Without arguments the notebook opens the link form.",
         run_add, changes=True, text=_added_text, form="link",
         form_when=lambda a: not any((a.endpoint, a.param, a.values, a.labels, a.source,
                                      a.value, a.label, a.input, a.definition)),
         cell_synopsis="%%connect link", cell_summary="add links described in YAML",
         synopsis="link add ENDPOINT PARAM --values V1,V2 | --from L --value PATH",
         args=(_ENDPOINT, _PARAM,
               Arg("values", ("--values",), "V1,V2", repeatable=True,
                   help="the listed values (comma-separated, repeatable; a comma inside "
                        "a value: \\,)"),
               Arg("labels", ("--labels",), "L1,L2", repeatable=True,
                   help="a label per listed value (comma-separated; a comma inside a "
                        "label: \\,)"),
               Arg("source", ("--from",), "ENDPOINT", help="the linked endpoint"),
               Arg("value", ("--value",), "PATH",
                   help="the linked parameter: its path in the response (items[*].id)"),
               Arg("label", ("--label",), "PATH",
                   help="the display parameter: its path in the response (items[*].name)"),
               Arg("input", ("--input",), "K=V", repeatable=True,
                   help="an input of the linked endpoint: K=VALUE or K=param:NAME "
                        "(repeatable)"),
               Arg("definition", ("--yaml",), "FILE", yaml=True,
                   help="links as YAML (%%connect link: the cell body)"))),
    Verb(("link", "list"), "list the parameter links",
         "List the links that apply: those set, and the static lists the spec's enums give.",
         run_list, text=_list_text,
         args=(Arg("endpoint", metavar="ENDPOINT", help="only this endpoint's links"),
               Arg("json", ("--json",), switch=True, help="print the links as JSON"))),
    Verb(("link", "remove"), "remove a parameter link", "Remove the link of PARAM of "
         "ENDPOINT.", run_remove, changes=True,
         text=lambda lk, a, w: f"link {lk.endpoint}.{lk.param} removed from "
                               f"{w.connector.name}{_arrow(w)}",
         args=(Arg("endpoint", metavar="ENDPOINT", required=True, help="the endpoint"),
               Arg("param", metavar="PARAM", required=True, help="the parameter"))),
    Verb(("link", "graph"), "draw which parameters depend on which endpoints",
         "The link graph: each linked endpoint, the parameters that take its values, and the "
         "static lists (a drawing in the notebook).", run_graph,
         text=lambda g, a, w: g.text(), view="link-graph"),
    Verb(("options",), "the allowed values of a linked parameter",
         "The allowed values (and labels) of PARAM of ENDPOINT: its static list, or the "
         "values its linked endpoint returns, called through a test connection following "
         "every page (cached for a while; --refresh calls again). In a notebook, without "
         "PARAM: the endpoint's parameter form, a dropdown per linked parameter (chained "
         "ones refilled as their inputs change) and a Test button.", run_options,
         text=_options_text, view="options", form="params", form_when=lambda a: False,
         synopsis="options ENDPOINT PARAM [--connection C] [--input K=V]... [--json]",
         args=(Arg("endpoint", metavar="ENDPOINT", required=True, help="the endpoint"),
               Arg("param", metavar="PARAM",
                   help="the linked parameter (notebook: none opens the parameter form)"),
               Arg("connection", ("--connection",), "NAME",
                   help="the test connection (default: the default one)"),
               Arg("input", ("--input",), "K=V", repeatable=True,
                   help="a value of another parameter of ENDPOINT (chained links; "
                        "repeatable)"),
               Arg("refresh", ("--refresh",), switch=True,
                   help="call the linked endpoint again instead of using the cache"),
               Arg("json", ("--json",), switch=True, help="print [{value, label}] as JSON"))),
)
