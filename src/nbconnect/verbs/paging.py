"""The paging verbs: ``paging ENDPOINT`` (show, set, detect or clear how a list endpoint
pages) and ``call ENDPOINT`` (call it through a test connection, one page or every page).

``paging`` without options shows the endpoint's rule; ``--type`` sets a new one from the
field options (``--param``, ``--field``, ``--limit-param``, ``--limit``, ``--total-field``,
``--start``, ``--items``), field options alone edit the stored rule, ``--detect`` finds one
from the spec (``--call``: and one response) and ``--clear`` removes it. ``call`` returns a
:class:`~nbconnect.paging.follow.PagingResult`; the CLI exits 1 when it stopped on an error.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..errors import PagingError
from ..limits import DEFAULT_PAGING_TOTAL_TIMEOUT
from ..model.paging import PAGING_TYPES, PagingRule
from .grammar import seconds_arg
from .table import Arg, Verb, register, usage_error

__all__ = ["run_call", "run_paging"]

_FIELD_ARGS = ("param", "field", "limit_param", "limit", "total_field", "start", "items")


def _whole_arg(text: str) -> int:
    """A whole number (its bounds are checked by the core, with its sentence)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _arrow(workspace: Any) -> str:
    written = workspace.written
    return f" -> {written}" if written is not None else ""


# --------------------------------------------------------------------------- paging


def run_paging(workspace: Any, args: argparse.Namespace) -> PagingRule | None:
    """Show, set, edit, detect or clear the paging rule of ``args.endpoint``; returns the
    rule now stored (None when there is none)."""
    from ..paging.store import set_paging

    connector = workspace.require()
    ep = connector.endpoint(args.endpoint)
    fields = {name: getattr(args, name) for name in _FIELD_ARGS
              if getattr(args, name) is not None}
    if args.clear:
        if fields or args.type or args.detect:
            raise usage_error("--clear removes the rule; give it alone.", ("paging",))
        return set_paging(connector, ep.id, None)
    if args.call and not args.detect:
        raise usage_error("--call makes --detect look at one response; give --detect too.",
                          ("paging",))
    if args.detect:
        from ..paging.detect import detect_paging

        options: dict[str, Any] = {}
        if args.call:
            options = {"connection": args.connection,
                       "verify": workspace._verify_for(connector, args.connection)}
        found = detect_paging(connector, ep.id, call=args.call, **options)
        if args.call:
            _save_samples(workspace, connector, ep.id)
        if found is None:
            where = "its spec and one response" if args.call else "its spec"
            raise PagingError(f"No paging rule was detected for endpoint {ep.id} from "
                              f"{where}; set one with its type and fields.", option="type")
        workspace.say(f"detected from the {found.source}: {'; '.join(found.evidence)}")
        base: dict[str, Any] = found.rule.to_dict()
        if args.type:
            base = {"type": args.type}
    elif args.type:
        base = {"type": args.type}
    elif fields:
        if ep.paging is None:
            raise usage_error(f"Endpoint {ep.id} has no paging rule to edit; give --type "
                              f"({'|'.join(PAGING_TYPES)}) with the fields.", ("paging",))
        base = ep.paging.to_dict()
    else:
        return ep.paging
    base.update(fields)
    return set_paging(connector, ep.id, base)


def _paging_text(rule: PagingRule | None, args: argparse.Namespace, workspace: Any) -> str:
    if getattr(args, "json", False):
        return json.dumps({"endpoint": args.endpoint,
                           "paging": rule.to_dict() if rule else None}, indent=2)
    line = f"{args.endpoint}: {rule.describe() if rule else 'no paging rule'}"
    changed = args.clear or args.detect or args.type or any(
        getattr(args, n) is not None for n in _FIELD_ARGS)
    return line + (_arrow(workspace) if changed else "")


# --------------------------------------------------------------------------- call


def run_call(workspace: Any, args: argparse.Namespace) -> Any:
    """Call ``args.endpoint`` (every page with --all-pages); returns the PagingResult."""
    from ..paging.follow import follow
    from .test import parse_param_values

    connector = workspace.require()
    ep = connector.endpoint(args.endpoint)
    params = parse_param_values(args.param)
    bound = args.max_pages if args.max_pages is not None else 100
    if args.max_pages is not None and not args.all_pages:
        raise usage_error("--max-pages bounds --all-pages; give --all-pages too.", ("call",))
    result = follow(connector, ep.id, connection=args.connection, params=params,
                    max_pages=bound if args.all_pages else 1, timeout=args.timeout,
                    total_timeout=args.timeout_total,
                    verify=workspace._verify_for(connector, args.connection))
    if result.pages:
        _save_samples(workspace, connector, ep.id)
    return result


def _save_samples(workspace: Any, connector: Any, endpoint_id: str) -> None:
    """Write the pages kept as response samples into the package, for a later pull."""
    if workspace.package_path is None:
        return
    from ..errors import NbConnectError
    from ..pull.samples import save as save_samples

    try:
        save_samples(connector, workspace.package_path, [endpoint_id])
    except (NbConnectError, OSError) as exc:
        workspace.warn(f"The response samples were not saved into the package ({exc}).")


def _call_text(result: Any, args: argparse.Namespace, workspace: Any) -> str:
    if args.json:
        return result.to_json()
    text = result.text()
    return text + " (--json prints every item)" if text.endswith(" more") else text


register(
    Verb(("paging",), "show, set or detect how an endpoint pages",
         "Show the paging rule of a list endpoint, set it (--type link|cursor|offset|page "
         "with its fields), edit its fields, detect it from the spec (--detect; --call also "
         "looks at one response for a Link header or a next field), or remove it (--clear). "
         "The rule is kept in the package and in openapi.json (x-nbconnect-paging); call "
         "--all-pages follows it. Without arguments the notebook opens the paging form.",
         run_paging, changes=True, text=_paging_text, form="paging",
         synopsis="paging ENDPOINT [--detect [--call]] [--type T] [--param P] [--field F] "
                  "[...] [--clear]",
         args=(Arg("endpoint", metavar="ENDPOINT", required=True, help="the endpoint's id"),
               Arg("detect", ("--detect",), switch=True,
                   help="detect the rule from the spec (and one response with --call)"),
               Arg("call", ("--call",), switch=True,
                   help="with --detect: call the endpoint once and read its response"),
               Arg("connection", ("--connection",), "NAME",
                   help="the test connection --call uses (default: the default one)"),
               Arg("type", ("--type",), "TYPE", choices=PAGING_TYPES,
                   help="link (Link header or a next-URL field), cursor, offset or page"),
               Arg("param", ("--param",), "NAME",
                   help="the request parameter that advances (cursor, offset, page)"),
               Arg("field", ("--field",), "PATH",
                   help="the response field of the next cursor, link or page number "
                        "(dotted: meta.next)"),
               Arg("limit_param", ("--limit-param",), "NAME",
                   help="the page-size request parameter (limit, per_page)"),
               Arg("limit", ("--limit",), "N", type=_whole_arg, help="the page size to send"),
               Arg("total_field", ("--total-field",), "PATH",
                   help="the response field of the total item count"),
               Arg("start", ("--start",), "N", type=_whole_arg,
                   help="the first offset (0) or page number (1)"),
               Arg("items", ("--items",), "PATH",
                   help="the response field holding the items (default: found by shape)"),
               Arg("clear", ("--clear",), switch=True, help="remove the endpoint's rule"),
               Arg("json", ("--json",), switch=True, help="print the rule as JSON"))),
    Verb(("call",), "call an endpoint (--all-pages follows every page)",
         "Call an endpoint through a test connection and show what it returned: one page, "
         "or with --all-pages every page by its paging rule (stored, or detected from the "
         "spec and the first page), at most --max-pages (default 100). Following always "
         "ends and says why: no-next, empty-page, repeated-page, repeated-cursor, max-pages, "
         "time-limit (--timeout-total) or error. Every page is kept as a response sample "
         "for pull. The CLI exits 1 when it stopped on an error.",
         run_call, text=_call_text, exit_code=lambda result: 0 if result.ok else 1,
         synopsis="call ENDPOINT [--connection C] [--param K=V]... [--all-pages] "
                  "[--max-pages N] [--timeout-total S] [--json]",
         args=(Arg("endpoint", metavar="ENDPOINT", required=True, help="the endpoint's id"),
               Arg("param", ("--param",), "NAME=VALUE", repeatable=True, secret=True,
                   help="a request parameter value, a YAML scalar (repeatable)"),
               Arg("connection", ("--connection",), "NAME",
                   help="the test connection (default: the default one)"),
               Arg("all_pages", ("--all-pages",), switch=True,
                   help="follow every page by the endpoint's paging rule"),
               Arg("max_pages", ("--max-pages",), "N", type=_whole_arg,
                   help="with --all-pages: at most N pages (default 100)"),
               Arg("timeout", ("--timeout",), "S", type=seconds_arg,
                   help="seconds per request (default 10)"),
               Arg("timeout_total", ("--timeout-total",), "S", type=seconds_arg,
                   help="seconds the whole call may take, every page together "
                        f"(default {DEFAULT_PAGING_TOTAL_TIMEOUT:g}; then stop: time-limit)"),
               Arg("json", ("--json",), switch=True,
                   help="print the result as JSON (every item)"))),
)
