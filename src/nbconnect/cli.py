"""The ``nbconnect`` command line: import a spec into a connector package, validate it, show
it, set its auth method and test connections, test its endpoints, serve its mock API and
export it as OpenAPI or a Postman collection.

One grammar with the ``%connect`` magics (``%connect VERB ARGS`` is
``nbconnect VERB PKG ARGS``)::

    nbconnect import SPEC -o PKG [--tag T]... [--include RE] [--exclude RE] [--lenient]
                                 [--overwrite] [--max-bytes N] [--timeout S] [--name NAME]
    nbconnect validate PKG
    nbconnect show PKG [--json]
    nbconnect auth PKG TYPE [--FIELD VALUE]...
    nbconnect connection add PKG NAME [--base-url URL] [--secret FIELD=REF]...
                                      [--set FIELD=VALUE]... [--default]
    nbconnect connection list PKG [--json]
    nbconnect connection remove PKG NAME
    nbconnect connection default PKG NAME
    nbconnect connection login PKG [NAME] [--paste] [--timeout S]
    nbconnect test PKG [--endpoint ID]... [--connection NAME] [--param K=V]... [--json]
                       [--record | --replay] [--concurrency N] [--timeout S]
    nbconnect mock SPEC_OR_PKG [--port N] [--tls] [--host 127.0.0.1]
    nbconnect export PKG --format openapi|postman -o FILE
    nbconnect help [VERB]
    nbconnect --version

Exit codes: 0 ok, 1 a tested endpoint failed, 2 bad input, 130 interrupted. Bad input prints
one line, ``nbconnect: error: <sentence>``, optionally followed by a few indented detail lines
(for example the first validator errors), and never a traceback. Anything else that goes
wrong is a bug and keeps its traceback. ``auth`` and ``connection`` share their grammar
with the magics (:mod:`nbconnect.verbs.grammar`): they load PKG, change it and export it back, and
on any error leave the package's bytes as they were. Secret values are refused (only
references such as ``env:NAME`` are accepted), and error messages about these verbs never
repeat the words given, which might be a pasted secret.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import __version__, limits
from .errors import NbConnectError, VerbUsageError
from .verbs.grammar import count_arg, port_arg, seconds_arg, size_arg

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "build_parser",
           "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
#: Detail lines printed under an error message.
MAX_DETAIL_LINES = 10
#: Warning lines printed after an import (the rest are counted).
MAX_WARNING_LINES = 20

PROG = "nbconnect"


class UsageError(Exception):
    """A command-line usage error (unknown option, missing argument): exit 2, one line."""


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors become one ``nbconnect: error:`` line (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        verb = self.prog.split(" ", 1)[1] if " " in self.prog else ""
        if verb.split(" ")[0] in _QUIET_VERBS or getattr(self, "quiet", False):
            message = re.sub(r"unrecognized arguments: .*", "unrecognized arguments (not "
                             "repeated here in case they hold a secret)", message)
            message = re.sub(r"invalid choice: '.*?'", "invalid choice", message)
        hint = f"{PROG} help {verb.split(' ')[0]}".rstrip()
        raise UsageError(f"{message}; see '{hint}'.")


#: Verbs whose usage errors never repeat the arguments (they may hold a secret).
_QUIET_VERBS = ("auth", "connection", "test")










def build_parser() -> argparse.ArgumentParser:
    """The argument parser (one subparser per verb)."""
    parser = _Parser(
        prog=PROG,
        description="Build and check HTTP API connector packages (the command-line face of "
                    "the %connect magics).",
        epilog="Exit codes: 0 ok, 1 a tested endpoint failed, 2 bad input, 130 interrupted. "
               f"Run '{PROG} help VERB' for a verb's options.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)

    p = sub.add_parser(
        "import", help="import an OpenAPI 3.0/3.1 spec into a connector package",
        description="Import an OpenAPI 3.0/3.1 spec (file, https URL, or - for stdin) into "
                    "the connector package PKG. If PKG already holds a package, the import "
                    "replaces its endpoints, which needs --overwrite when it has any.")
    p.add_argument("spec", metavar="SPEC", help="spec file, https URL, or - to read stdin")
    p.add_argument("-o", "--output", metavar="PKG", required=True,
                   help="package directory (or .zip file) to write or update")
    p.add_argument("--tag", metavar="T", action="append", default=[],
                   help="import only operations with this tag (repeatable, or comma-separated)")
    p.add_argument("--include", metavar="RE",
                   help="import only operations whose path or operationId matches this regex")
    p.add_argument("--exclude", metavar="RE",
                   help="skip operations whose path or operationId matches this regex")
    p.add_argument("--lenient", action="store_true",
                   help="import what can be understood from a slightly invalid spec, with "
                        "warnings, instead of refusing it")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the endpoints of an existing package")
    p.add_argument("--max-bytes", metavar="N", type=size_arg, default=None,
                   help=f"size cap of the spec (default {limits.MAX_SPEC_BYTES // 2**20}M; "
                        "suffixes K, M, G)")
    p.add_argument("--timeout", metavar="S", type=seconds_arg, default=None,
                   help=f"seconds to wait for a spec URL (default {limits.SPEC_URL_TIMEOUT:g})")
    p.add_argument("--name", metavar="NAME",
                   help="connector name (default: the spec's title, slugified)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        "validate", help="check a connector package",
        description="Load the package PKG and check its manifest and openapi.json.")
    p.add_argument("package", metavar="PKG", help="package directory or .zip file")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "show", help="show a connector package's summary and endpoints",
        description="Print the connector in PKG: name, base URL, auth, connections and "
                    "a table of its endpoints (or JSON with --json).")
    p.add_argument("package", metavar="PKG", help="package directory or .zip file")
    p.add_argument("--json", action="store_true",
                   help="print JSON: name, description, base_url, auth, endpoints "
                        "[{id, method, path, name}], connections")
    p.set_defaults(func=cmd_show)

    from .verbs.grammar import CONNECTION_OPTIONS, auth_help_lines

    p = sub.add_parser(
        "auth", help="set the auth method of a connector package",
        description="Set the auth method of the package PKG: TYPE and its fields as --FIELD "
                    "VALUE (the same grammar as %connect auth).",
        epilog="types and their fields:\n" + "\n".join(f"  {x}" for x in auth_help_lines())
               + "\n\nSecrets are never auth fields: give them on a connection as references, "
                 f"'{PROG} connection add PKG NAME --secret FIELD=env:NAME'.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("package", metavar="PKG", help="package directory or .zip file")
    p.add_argument("type", metavar="TYPE",
                   help="api-key, basic, bearer, jwt, oauth2-code, oauth2-password or "
                        "oauth2-client-credentials")
    p.add_argument("fields", nargs=argparse.REMAINDER, metavar="--FIELD VALUE",
                   help="the type's fields (see below)")
    p.set_defaults(func=cmd_auth)

    p = sub.add_parser(
        "connection", help="add, list or remove test connections of a connector package",
        description="Test connections of the package PKG: a base URL, references to the "
                    "secrets of the auth type, and per-connection settings.")
    csub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser,
                            required=True)
    add = csub.add_parser(
        "add", help="add a test connection",
        description="Add a test connection to PKG (the same grammar as %connect connection "
                    "add). Secrets must be references: env:NAME, keyring:NAME or prompt.",
        epilog="options:\n" + "\n".join(f"  {(f + ' ' + m).strip():<20} {t}"
                                          for f, m, t in CONNECTION_OPTIONS),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add.add_argument("package", metavar="PKG", help="package directory or .zip file")
    add.add_argument("name", metavar="NAME", nargs="?", help="the connection's name")
    add.add_argument("options", nargs=argparse.REMAINDER, metavar="OPTIONS",
                     help="--base-url URL, --secret FIELD=REF, --set FIELD=VALUE, --default")
    add.set_defaults(func=cmd_connection_add)
    ls = csub.add_parser("list", help="list the test connections",
                         description="List the test connections of PKG.")
    ls.add_argument("package", metavar="PKG", help="package directory or .zip file")
    ls.add_argument("--json", action="store_true", help="print JSON: a list of connections")
    ls.set_defaults(func=cmd_connection_list)
    rm = csub.add_parser("remove", help="remove a test connection",
                         description="Remove the test connection NAME from PKG.")
    rm.add_argument("package", metavar="PKG", help="package directory or .zip file")
    rm.add_argument("name", metavar="NAME")
    rm.set_defaults(func=cmd_connection_remove)
    df = csub.add_parser("default", help="make a test connection the default",
                         description="Make the test connection NAME the default of PKG.")
    df.add_argument("package", metavar="PKG", help="package directory or .zip file")
    df.add_argument("name", metavar="NAME")
    df.set_defaults(func=cmd_connection_default)

    lg = csub.add_parser("login", help="log a connection in (OAuth2 authorization code)",
                         description="Log the connection NAME of PKG in with the OAuth2 "
                                     "authorization code grant: open the printed link, "
                                     "approve; the redirect comes to a loopback listener "
                                     "(or paste it with --paste). The token stays in memory "
                                     "for this process only.")
    lg.add_argument("package", metavar="PKG", help="package directory or .zip file")
    lg.add_argument("name", metavar="NAME", nargs="?", help="the connection (default: the "
                                                            "default one)")
    lg.add_argument("--paste", action="store_true",
                    help="paste the URL the browser lands on instead of the listener")
    lg.add_argument("--timeout", metavar="S", type=seconds_arg, default=120.0,
                    help="seconds to wait for the redirect (default 120)")
    lg.set_defaults(func=cmd_connection_login)

    p = sub.add_parser(
        "test", help="test the endpoints of a connector package",
        description="Test the endpoints of PKG (all, or those given with --endpoint) through "
                    "a test connection. An endpoint passes on a 2xx answer whose body "
                    "matches the declared schema. Prints a report (JSON with --json) and "
                    "saves it into the package as tests/last-report.json; exits 1 when an "
                    "endpoint failed.")
    p.add_argument("package", metavar="PKG", help="package directory or .zip file")
    p.add_argument("--endpoint", metavar="ID", action="append", default=[],
                   help="test this endpoint (repeatable; default: all)")
    p.add_argument("--connection", metavar="NAME",
                   help="the test connection (default: the default one)")
    p.add_argument("--param", metavar="K=V", action="append", default=[],
                   help="a test value, a YAML scalar (7 is a number; repeatable)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    rr = p.add_mutually_exclusive_group()
    rr.add_argument("--record", action="store_true",
                    help="record the exchanges as cassettes in PKG/cassettes")
    rr.add_argument("--replay", action="store_true",
                    help="answer from the package's cassettes, without the network")
    p.add_argument("--concurrency", metavar="N", type=count_arg, default=None,
                   help="requests in flight at once (default 20)")
    p.add_argument("--timeout", metavar="S", type=seconds_arg, default=None,
                   help="seconds per request (default 10)")
    p.set_defaults(func=cmd_test)

    p = sub.add_parser(
        "mock", help="serve the mock API of a spec or connector package",
        description="Serve every operation of SPEC_OR_PKG from its examples or generated "
                    "values, with its security checked, until Ctrl-C.")
    p.add_argument("source", metavar="SPEC_OR_PKG", help="spec file or connector package")
    p.add_argument("--port", metavar="N", type=port_arg, default=0,
                   help="the port (default 0: a free one, printed)")
    p.add_argument("--host", metavar="HOST", default="127.0.0.1",
                   help="the address to listen on (default 127.0.0.1)")
    p.add_argument("--tls", action="store_true",
                   help="serve https with a certificate from a fresh test CA")
    p.set_defaults(func=cmd_mock)

    p = sub.add_parser(
        "export", help="export a connector package as OpenAPI or a Postman collection",
        description="Write PKG as an OpenAPI 3.1 document or a Postman collection v2.1 "
                    "(no secret values; newman runs it with --env-var for the secrets).")
    p.add_argument("package", metavar="PKG", help="package directory or .zip file")
    p.add_argument("--format", required=True, choices=("openapi", "postman"),
                   help="openapi or postman")
    p.add_argument("-o", "--output", metavar="FILE", required=True, help="the file to write")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("help", help="show help for nbconnect or one verb",
                       description="Show help for nbconnect or for one verb.")
    p.add_argument("topic", metavar="VERB", nargs="?", help="a verb such as import")
    p.set_defaults(func=cmd_help, parser=parser, subparsers=sub)
    return parser


# --------------------------------------------------------------------------- verbs


def _holds_package(path: Path) -> bool:
    """True when ``path`` exists and is not an empty directory (so it must be loaded)."""
    if path.is_dir():
        return any(path.iterdir())
    return path.exists()


def _connector_name(args: argparse.Namespace, title: str) -> str:
    from .model import slugify

    if args.name:
        return args.name
    for text in (title, Path(args.output).stem):
        if re.search(r"[A-Za-z0-9]", text or ""):
            return slugify(text, sep="-")[:60].strip("-")
    return "connector"


def _read_stdin(max_bytes: int | None) -> bytes:
    cap = max_bytes or limits.MAX_SPEC_BYTES
    data = sys.stdin.buffer.read(cap + 1)
    if not data:
        raise VerbUsageError("Standard input is empty; pipe a spec into it or give a file "
                             "or URL instead of -.")
    return data  # import_spec refuses it when it is over the cap


def cmd_import(args: argparse.Namespace) -> int:
    from .model import Connector
    from .package.format import export, load
    from .spec.importer import import_spec

    out = Path(args.output)
    existing = load(out) if _holds_package(out) else None
    if existing is not None:
        existing.check_overwrite(args.overwrite)  # fail before fetching the spec
    tags = tuple(t.strip() for arg in args.tag for t in arg.split(",") if t.strip())
    source: Any = _read_stdin(args.max_bytes) if args.spec == "-" else args.spec
    options: dict[str, Any] = {"tags": tags, "include": args.include, "exclude": args.exclude,
                               "lenient": args.lenient}
    if args.max_bytes is not None:
        options["max_bytes"] = args.max_bytes
    if args.timeout is not None:
        options["timeout"] = args.timeout
    result = import_spec(source, **options)

    title = " ".join((result.title or ("stdin" if args.spec == "-" else args.spec)).split())
    if existing is None:
        connector = Connector(_connector_name(args, result.title))
    else:
        connector = existing
        if args.name:
            connector.name = args.name
    connector.apply_import(result, overwrite=args.overwrite)
    written = export(connector, out, zip=out.suffix.lower() == ".zip")

    for line in result.warnings[:MAX_WARNING_LINES]:
        _eprint(f"{PROG}: warning: {line}")
    if len(result.warnings) > MAX_WARNING_LINES:
        _eprint(f"{PROG}: ... and {len(result.warnings) - MAX_WARNING_LINES} more warnings")
    n = len(result.endpoints)
    total = result.operations_total
    of = f" (of {total:,} operations)" if total and total != n else ""
    print(f"{n} endpoint{'s' if n != 1 else ''}{of} from {title} -> {written}")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from .package.format import validate

    connector = validate(args.package)
    n = len(connector.endpoints)
    print(f"ok: {args.package} is a valid connector package ({connector.name}, "
          f"{n} endpoint{'s' if n != 1 else ''})")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from .package.format import load
    from .render import connector_json, connector_summary, endpoints_table

    connector = load(args.package)
    if args.json:
        print(json.dumps(connector_json(connector), indent=2, ensure_ascii=False))
    else:
        print(connector_summary(connector))
        print()
        print(endpoints_table(connector.endpoints))
    return EXIT_OK


def _save(connector: Any, package: str) -> Path:
    """Export ``connector`` back to ``package`` (a .zip stays a zip)."""
    from .package.format import export

    path = Path(package)
    return export(connector, path, zip=path.suffix.lower() == ".zip")


def cmd_auth(args: argparse.Namespace) -> int:
    from .package.format import load
    from .render import auth_text
    from .verbs.grammar import auth_from_args

    connector = load(args.package)
    config = auth_from_args(args.type, args.fields)
    connector.auth = config
    written = _save(connector, args.package)
    print(f"auth of {connector.name}: {auth_text(config)} -> {written}")
    return EXIT_OK


def cmd_connection_add(args: argparse.Namespace) -> int:
    from .package.format import load
    from .verbs.grammar import add_connection, connection_from_args

    connector = load(args.package)
    conn = connection_from_args(args.name or "", args.options, auth=connector.auth,
                                base_url=connector.base_url)
    conn = add_connection(connector, conn)
    written = _save(connector, args.package)
    mark = " (default)" if conn.default else ""
    print(f"connection {conn.name}{mark} added to {connector.name} -> {written}")
    return EXIT_OK


def cmd_connection_list(args: argparse.Namespace) -> int:
    from .package.format import load
    from .verbs.grammar import connections_table

    connector = load(args.package)
    if args.json:
        print(json.dumps([c.to_dict() for c in connector.connections], indent=2,
                         ensure_ascii=False))
    else:
        print(connections_table(connector.connections))
    return EXIT_OK


def cmd_connection_remove(args: argparse.Namespace) -> int:
    from .package.format import load
    from .verbs.grammar import remove_connection

    connector = load(args.package)
    conn = remove_connection(connector, args.name)
    written = _save(connector, args.package)
    print(f"connection {conn.name} removed from {connector.name} -> {written}")
    return EXIT_OK


def cmd_connection_default(args: argparse.Namespace) -> int:
    from .package.format import load
    from .verbs.grammar import set_default_connection

    connector = load(args.package)
    conn = set_default_connection(connector, args.name)
    written = _save(connector, args.package)
    print(f"connection {conn.name} is now the default of {connector.name} -> {written}")
    return EXIT_OK


def cmd_connection_login(args: argparse.Namespace) -> int:
    from .package.format import load
    from .verbs.grammar import login_connection

    connector = load(args.package)

    def show(url: str) -> None:
        print(f"Open this URL in a browser to authorize:\n{url}", flush=True)

    paste = None
    if args.paste:
        def paste() -> str:
            return input("Paste the URL the browser shows after you approve: ")
    info = login_connection(connector, args.name, open_url=show, paste=paste,
                            timeout=args.timeout)
    print(f"logged in as {info.identity or '(the API gave no identity)'}")
    return EXIT_OK


def _test_transport(args: argparse.Namespace, connector: Any) -> Any:
    if not (args.record or args.replay):
        return None
    from .testing.cassettes import CassetteStore, RecordingTransport, ReplayTransport

    store = CassetteStore.for_package(args.package, connector)
    if args.replay:
        return ReplayTransport(store)
    if store.directory is None:
        raise UsageError(f"--record writes cassettes into a package directory, and "
                         f"{args.package} is a .zip; export the connector to a directory "
                         "and record there.")
    return RecordingTransport(None, store)


def cmd_test(args: argparse.Namespace) -> int:
    from .package.format import load, save_report
    from .verbs.grammar import check_param_names, parse_param_values

    connector = load(args.package)
    ids = list(dict.fromkeys(args.endpoint)) or None
    endpoints = connector.endpoints if ids is None else \
        tuple(connector.endpoint(i) for i in ids)
    params = parse_param_values(args.param)
    if params:
        check_param_names(endpoints, params)
    transport = _test_transport(args, connector)
    report = connector.test(ids, connection=args.connection, params=params or None,
                            concurrency=args.concurrency, timeout=args.timeout,
                            transport=transport)  # progress None: tqdm on a terminal
    if args.json:
        print(report.to_json())
    else:
        print(report.text())
    try:
        save_report(args.package, report)
    except (NbConnectError, OSError) as exc:
        _eprint(f"{PROG}: warning: the report was not saved into the package ({exc})")
    return EXIT_OK if report.ok else EXIT_FAILED


def cmd_mock(args: argparse.Namespace) -> int:
    from .mock.server import serve

    serve(args.source, host=args.host, port=args.port, tls=args.tls)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from .package.format import load

    connector = load(args.package)
    out = Path(args.output).expanduser()
    if args.format == "postman":
        from .exports.postman import write_postman

        written = write_postman(connector, out)
    else:
        from .spec.writer import to_openapi

        if out.is_dir():
            raise UsageError(f"{out} is a directory; give a file path such as "
                             f"{out / 'openapi.json'}.")
        if not out.parent.is_dir():
            raise UsageError(f"The folder {out.parent} does not exist; create it first or "
                             "pick another path.")
        text = json.dumps(to_openapi(connector), indent=2, ensure_ascii=False) + "\n"
        out.write_text(text, encoding="utf-8")
        written = out
    print(f"{connector.name} as {args.format} -> {written}")
    return EXIT_OK


def cmd_help(args: argparse.Namespace) -> int:
    if args.topic is None:
        args.parser.print_help()
        return EXIT_OK
    verb = args.subparsers.choices.get(args.topic)
    if verb is None:
        raise UsageError(f"there is no verb {args.topic!r}; the verbs are "
                         f"{', '.join(sorted(args.subparsers.choices))}.")
    verb.print_help()
    return EXIT_OK


# --------------------------------------------------------------------------- main


def _eprint(text: str) -> None:
    print(text, file=sys.stderr)


def _os_error_text(exc: OSError) -> str:
    what = exc.strerror or exc.__class__.__name__
    if exc.filename is not None:
        return f"{exc.filename}: {what}; check the path and its permissions."
    return f"{what}; check the path and its permissions."


def _error(message: str, details: Sequence[str] = ()) -> int:
    message = " ".join(message.split())  # exactly one line
    _eprint(f"{PROG}: error: {message}")
    for line in list(details)[:MAX_DETAIL_LINES]:
        _eprint(f"  {' '.join(str(line).split())}")
    if len(details) > MAX_DETAIL_LINES:
        _eprint(f"  ... and {len(details) - MAX_DETAIL_LINES} more")
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    parser.quiet = bool(words) and words[0] in _QUIET_VERBS  # type: ignore[attr-defined]
    try:
        try:
            args = parser.parse_args(words)
        except SystemExit as exc:  # --help / --version
            return exc.code if isinstance(exc.code, int) else EXIT_OK
        if args.verb is None:
            raise UsageError("no verb given; the verbs are import, validate, show, auth, "
                             f"connection, test, mock, export and help; see '{PROG} help'.")
        return int(args.func(args))
    except UsageError as exc:
        return _error(str(exc))
    except NbConnectError as exc:
        return _error(str(exc), exc.details)
    except KeyboardInterrupt:
        _eprint(f"{PROG}: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # stdout closed early (``nbconnect show PKG | head``): not an error worth a message
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_OK
    except OSError as exc:
        return _error(_os_error_text(exc))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
