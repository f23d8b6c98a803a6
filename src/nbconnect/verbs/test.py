"""The testing verbs: ``test`` (endpoints through a test connection, live, recorded or
replayed; the notebook's test panel without arguments) and ``test-values set|show|clear``
(the per-endpoint values saved on the connector), plus how ``--param NAME=VALUE`` words are
read (:func:`parse_param_values`) and checked against the endpoints
(:func:`check_param_names`).

``--param`` values are YAML scalars (``7`` is an int, ``true`` a bool, ``null`` None), with
YAML 1.1's surprises undone (``no``, ``on``, ``0777`` and dates stay text); ``[...]`` and
``{...}`` are YAML flow collections.
"""

from __future__ import annotations

import argparse
import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import EndpointDefinitionError, VerbUsageError
from .grammar import _one_of, count_arg, seconds_arg
from .table import Arg, Family, Verb, register, usage_error

__all__ = ["check_param_names", "parse_param_value", "parse_param_values"]

_INT_RE = re.compile(r"[+-]?(0|[1-9][0-9_]*)")
_FLOAT_RE = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")


def parse_param_value(text: str) -> Any:
    """One ``--param`` value: a YAML scalar (or a ``[...]``/``{...}`` flow collection).

    ``7`` -> 7, ``2.5`` -> 2.5, ``true``/``false`` -> bool, ``null``/``~`` -> None,
    anything else stays text (so ``no``, ``on``, ``0777``, ``2024-01-01`` and ``a: b``
    are kept as written, unlike plain YAML 1.1).
    """
    stripped = text.strip()
    low = stripped.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("null", "~"):
        return None
    if _INT_RE.fullmatch(stripped):
        return int(stripped.replace("_", ""))
    if _FLOAT_RE.fullmatch(stripped) and ("." in stripped or "e" in low):
        return float(stripped)
    if stripped[:1] in ("[", "{"):
        import yaml

        try:
            value = yaml.safe_load(stripped)
        except yaml.YAMLError:
            return text
        if isinstance(value, list | dict):
            return value
        return text
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "'\"":
        return stripped[1:-1]  # quoted: text as written
    return text


def parse_param_values(pairs: Iterable[str] | None) -> dict[str, Any]:
    """``{name: value}`` from ``--param k=v`` words (see :func:`parse_param_value`).

    A word without ``=`` or with an empty name, and a name given twice, raise
    :class:`~nbconnect.errors.NbConnectError`; the value is not repeated in the
    message (it may be a credential).
    """
    out: dict[str, Any] = {}
    for pos, word in enumerate(pairs or (), start=1):
        name, eq, value = str(word).partition("=")
        name = name.strip()
        if not eq or not name:
            raise VerbUsageError(f"--param number {pos} is not NAME=VALUE; write --param "
                                 "NAME=VALUE, e.g. --param petId=7.")
        if name in out:
            raise VerbUsageError(f"--param {name} is given twice; give it once.")
        out[name] = parse_param_value(value)
    return out


def check_param_names(endpoints: Iterable[Any], params: Mapping[str, Any]) -> None:
    """Refuse a ``--param`` name that none of ``endpoints`` has (EndpointError, with the
    closest names); body fields are named ``parent.child``."""

    eps = list(endpoints)
    names: list[str] = []
    for ep in eps:
        names.extend(p.name for p in ep.params)
        for top in ep.body:
            names.extend(dotted for dotted, _ in top.walk())
    names = list(dict.fromkeys(names))
    for key in params:
        if key not in names:
            which = f"Endpoint {eps[0].id}" if len(eps) == 1 else "No tested endpoint"
            has = "has" if len(eps) == 1 else "has a"
            close = difflib.get_close_matches(str(key), names, n=3)
            hint = f"did you mean {', '.join(close)}?" if close else \
                f"the parameters are {_one_of(names)}."
            raise EndpointDefinitionError(f"{which} {has} no parameter {key!r}; {hint}")


# --------------------------------------------------------------------------- test


def _options_given(args: argparse.Namespace) -> bool:
    return bool(args.param or args.connection or args.record or args.replay
                or args.concurrency or args.timeout or args.json or args.generate)


def run_test(workspace: Any, args: argparse.Namespace) -> Any:
    """Test the endpoints given (none, or --all: every one); returns the TestReport."""
    connector = workspace.require()
    if args.endpoints and args.all:
        raise usage_error("Give endpoint ids or --all, not both.", ("test",))
    params = parse_param_values(args.param)
    ids = list(args.endpoints) or None
    total = len(connector.endpoints) if ids is None else len(ids)
    return workspace.run_tests(ids, params=params, connection=args.connection,
                               record=args.record, replay=args.replay,
                               concurrency=args.concurrency, timeout=args.timeout,
                               generate=args.generate, progress=workspace.progress_for(total))


def _report_text(report: Any, args: argparse.Namespace, workspace: Any) -> str:
    return report.to_json() if args.json else report.text()


# --------------------------------------------------------------------------- test-values


def _arrow(workspace: Any) -> str:
    written = workspace.written
    return f" -> {written}" if written is not None else ""


def run_values_set(workspace: Any, args: argparse.Namespace) -> dict[str, Any]:
    """Save ``--param`` values as the endpoint's test values (merged with those saved)."""
    connector = workspace.require()
    endpoint = connector.endpoint(args.endpoint)
    params = parse_param_values(args.param)
    if not params:
        raise usage_error("Give at least one --param NAME=VALUE to save.", ("test-values", "set"),
                          option="param")
    check_param_names((endpoint,), params)
    values = {k: dict(v) for k, v in connector.test_values.items()}
    values[endpoint.id] = {**values.get(endpoint.id, {}), **params}
    connector.test_values = values
    return values[endpoint.id]


def run_values_show(workspace: Any, args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The saved test values (of one endpoint, when given)."""
    connector = workspace.require()
    if args.endpoint:
        endpoint = connector.endpoint(args.endpoint)
        return {endpoint.id: dict(connector.test_values.get(endpoint.id, {}))}
    return {k: dict(v) for k, v in connector.test_values.items()}


def run_values_clear(workspace: Any, args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Forget the saved test values of one endpoint (or of all); returns what is left."""
    connector = workspace.require()
    if args.endpoint:
        endpoint = connector.endpoint(args.endpoint)
        values = {k: dict(v) for k, v in connector.test_values.items() if k != endpoint.id}
    else:
        values = {}
    connector.test_values = values
    return values


def _values_text(values: dict[str, Any], args: argparse.Namespace, workspace: Any) -> str:
    from ..render import test_values_text

    if args.verb_words[-1] == "set":
        values = {args.endpoint: values}
    arrow = _arrow(workspace)
    return test_values_text(values) + (f"\n{arrow.strip()}" if arrow else "")


_PARAM = Arg("param", ("--param",), "NAME=VALUE", repeatable=True, secret=True,
             help="a test value, a YAML scalar (7 is a number; repeatable; body fields as "
                  "parent.child)")

register(
    Verb(("test",), "test endpoints (--param, --connection, --record/--replay; no arguments: "
         "a panel)",
         "Test endpoints through a test connection (all of them when none is named): a pass "
         "is a 2xx answer whose body matches the declared schema. The report is saved into "
         "the connector's package as tests/last-report.json; the CLI exits 1 when an "
         "endpoint failed. Without arguments the notebook opens the test panel.",
         run_test, text=_report_text, form="test-panel",
         form_when=lambda a: not a.endpoints and not a.all and not _options_given(a),
         exit_code=lambda report: 0 if report.ok else 1,
         synopsis="test ENDPOINT... | --all [OPTIONS]",
         args=(Arg("endpoints", metavar="ENDPOINT", repeatable=True,
                   help="endpoint id(s) (default: all)"),
               Arg("endpoint", ("--endpoint",), "ID", repeatable=True, into="endpoints",
                   help="test this endpoint (repeatable, the same as ENDPOINT)"),
               Arg("all", ("--all",), switch=True, help="test every endpoint"),
               _PARAM,
               Arg("connection", ("--connection",), "NAME",
                   help="the test connection (default: the default one)"),
               Arg("json", ("--json",), switch=True, help="print the report as JSON"),
               Arg("record", ("--record",), switch=True, group="cassettes",
                   help="record the exchanges as cassettes in the connector's package"),
               Arg("replay", ("--replay",), switch=True, group="cassettes",
                   help="answer from the package's cassettes, without the network"),
               Arg("generate", ("--generate",), switch=True,
                   help="a required parameter with no value anywhere gets one generated from "
                        "its schema (the mock's generator)"),
               Arg("concurrency", ("--concurrency",), "N", type=count_arg,
                   help="requests in flight at once (default 20)"),
               Arg("timeout", ("--timeout",), "S", type=seconds_arg,
                   help="seconds per request (default 10)"))),
    Family("test-values", "test-values set|show|clear ENDPOINT",
           "save, show or forget an endpoint's test values (--param NAME=VALUE)",
           description="The test values saved on the connector, per endpoint: every test "
                       "run uses them (an explicit --param wins)."),
    Verb(("test-values", "set"), "save test values of an endpoint",
         "Save --param values as the endpoint's test values, kept in the package and used by "
         "every test run (an explicit --param still wins).", run_values_set, changes=True,
         text=_values_text,
         args=(Arg("endpoint", metavar="ENDPOINT", required=True, help="the endpoint's id"),
               _PARAM)),
    Verb(("test-values", "show"), "show the saved test values",
         "Show the saved test values (of one endpoint, when given).", run_values_show,
         text=_values_text,
         args=(Arg("endpoint", metavar="ENDPOINT", help="the endpoint's id"),)),
    Verb(("test-values", "clear"), "forget saved test values",
         "Forget the saved test values of ENDPOINT (of every endpoint, without one).",
         run_values_clear, changes=True, text=_values_text,
         args=(Arg("endpoint", metavar="ENDPOINT", help="the endpoint's id"),)),
)
