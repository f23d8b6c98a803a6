"""The ``pull`` verb: learn an endpoint's response tree from its last successful test
responses and given JSON files, show the drift from the declared response, and (``--accept``)
write the tree into the endpoint.

The core is :func:`nbconnect.pull.pulling.pull`; the samples a test run keeps are read from
memory, else from the package's ``samples/`` member. The notebook shows the result as a
collapsible tree with keep/drop checkboxes (``notebook/pullview.py``).
"""

from __future__ import annotations

import argparse
from typing import Any

from .table import Arg, Verb, register

__all__ = ["run_pull"]


def run_pull(workspace: Any, args: argparse.Namespace) -> Any:
    """Pull ENDPOINT's response tree; returns the PullResult (accepted with ``--accept``)."""
    from ..pull.pulling import pull

    connector = workspace.require()
    return pull(connector, args.endpoint, list(args.sample or ()),
                package=workspace.package_path, accept=bool(args.accept),
                drop=list(args.drop or ()))


def _pull_text(result: Any, args: argparse.Namespace, workspace: Any) -> str:
    if args.json:
        return result.to_json()
    text = result.text()
    if result.accepted and workspace.written is not None:
        text += f"\n-> {workspace.written}"
    return text


register(
    Verb(("pull",), "learn an endpoint's response fields from real responses (--accept: "
         "write them into the endpoint)",
         "Infer the response parameter tree of ENDPOINT from its last successful test "
         "responses (kept, redacted, in the package's samples/) and any --sample JSON files, "
         "merged into one tree: each field's path, type, format (date-time, date, email, uri, "
         "uuid), nullable, required (present in every sample) and a shortened example (never "
         "a secret's). Shows the drift from the declared response (added, missing, changed); "
         "--accept writes the tree into the endpoint's response (export --format overlay then "
         "writes the change as an OpenAPI Overlay). The notebook shows a collapsible tree "
         "with keep/drop checkboxes.",
         run_pull, text=_pull_text, changes=True, view="pull",
         synopsis="pull ENDPOINT [--sample FILE]... [--json] [--accept]",
         args=(Arg("endpoint", metavar="ENDPOINT", required=True, help="the endpoint's id"),
               Arg("sample", ("--sample",), "FILE", repeatable=True,
                   help="a JSON response body to learn from (repeatable)"),
               Arg("json", ("--json",), switch=True,
                   help='print JSON: {"fields": [{"path", "type", "format", "nullable", '
                        '"required", "example"}...], "drift": {"added", "missing", '
                        '"changed"}}'),
               Arg("accept", ("--accept",), switch=True,
                   help="write the pulled tree into the endpoint's declared response"),
               Arg("drop", ("--drop",), "PATH", repeatable=True,
                   help="with --accept: leave out the field at PATH and what is under it "
                        "(repeatable)"))),
)
