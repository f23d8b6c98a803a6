"""The verbs of ``%connect``: one function per verb, over one notebook session.

A :class:`Session` holds the current connector and the ``NbConnect`` settings;
:meth:`Session.run` parses ``VERB ARGS`` (``shlex`` + ``argparse``) and calls the verb's
function, which returns the object it made or changed. Usage problems (unknown verb,
bad arguments, no current connector) raise :class:`CommandError`; bad input found by
the core raises the typed :mod:`nbconnect.errors` exceptions. The magic (``magics.py``)
turns both into one-line messages.
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import EndpointDefinitionError, NbConnectError
from ..model import Connector, slugify
from ..verbs.grammar import count_arg, port_arg, seconds_arg, size_arg

__all__ = ["COMMANDS", "PLANNED_VERBS", "Command", "CommandError", "Session"]

#: Verbs of the design that later work adds (they get a "not built yet" message).
PLANNED_VERBS = frozenset({"pull", "link", "webhook", "mcp"})


class CommandError(Exception):
    """A usage problem with a ``%connect`` command (shown as one line)."""


class _HelpShown(Exception):
    """``-h``/``--help`` printed a verb's usage; the command does nothing else."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises instead of printing usage and exiting."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> Any:  # type: ignore[override]
        verb = self.prog.split()[1] if len(self.prog.split()) > 1 else "help"
        raise CommandError(f"{self.prog}: {message}; see `%connect help {verb}`.")

    def exit(self, status: int = 0, message: str | None = None) -> Any:  # type: ignore[override]
        raise _HelpShown


class _QuietParser(_Parser):
    """A parser whose errors never repeat the words given: they may hold a secret."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        message = re.sub(r"unrecognized arguments: .*", "unrecognized arguments (not repeated "
                         "here in case they hold a secret)", message)
        message = re.sub(r"invalid choice: '.*?'", "invalid choice", message)
        return super().error(message)


class _AuthParser(_QuietParser):
    """``auth --FIELD ...`` without a TYPE reaches the verb (which says to give TYPE first)."""

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:  # type: ignore[override]
        words = list(args or ())
        if words and words[0].startswith("-") and words[0] not in ("-h", "--help",
                                                                   "--from-spec"):
            return argparse.Namespace(type=None, fields=words, from_spec=False)
        return super().parse_args(words, namespace)


class _ConnectionParser(_QuietParser):
    """``connection add`` options go to the grammar as they are, even without a NAME."""

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:  # type: ignore[override]
        words = list(args or ())
        if (len(words) > 1 and words[0] == "add" and words[1].startswith("-")
                and words[1] not in ("-h", "--help")):
            return argparse.Namespace(action="add", name=None, options=words[1:])
        return super().parse_args(words, namespace)




def _regex(text: str) -> str:
    try:
        re.compile(text)
    except re.error as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a valid regular expression "
                                         f"({exc})") from None
    return text


# --------------------------------------------------------------------------- session


class Session:
    """The state of ``%connect`` in one IPython shell: the current connector.

    ``%connect new`` replaces the current connector, ``%connect load`` sets it, and
    ``%connect import`` creates one (named from the spec's title) when there is none.
    """

    def __init__(self, settings: Any, shell: Any = None) -> None:
        self.settings = settings
        self.shell = shell
        self.connector: Connector | None = None
        #: the ImportResult of the last import (``%connect auth --from-spec`` applies its auth)
        self.last_import: Any = None
        #: the package the current connector was loaded from or last exported to
        self.package_path: Path | None = None
        #: the running ``%connect mock`` server, if any
        self.mock: Any = None
        #: the last TestReport
        self.last_report: Any = None
        #: the ProgressBar of the last ``%connect test --all`` in a notebook
        self.progress: Any = None
        self._atexit = False

    # -- mock ------------------------------------------------------------------------

    def stop_mock(self) -> bool:
        """Stop the running mock server (True when one was running)."""
        mock, self.mock = self.mock, None
        if mock is None:
            return False
        mock.stop()
        return True

    def keep_mock(self, mock: Any) -> None:
        """Remember ``mock`` as the running mock; it is stopped at interpreter exit."""
        self.mock = mock
        if not self._atexit:
            import atexit

            atexit.register(self.stop_mock)
            self._atexit = True

    def set_connector(self, connector: Connector | None, package: Path | None = None) -> None:
        """Make ``connector`` current (stopping a running mock) and remember its package."""
        self.stop_mock()
        self.connector = connector
        self.package_path = package
        self.last_report = None

    # -- testing ---------------------------------------------------------------------

    def in_notebook(self) -> bool:
        """True when the shell runs in a kernel (widgets can show)."""
        return getattr(self.shell, "kernel", None) is not None

    def _verify_for(self, connector: Connector, connection: str | None) -> Any:
        """The mock's SSL context when the connection points at a running TLS mock."""
        mock = self.mock
        if mock is None or not mock.running or not mock.tls:
            return True
        from ..auth.flows import find_connection

        try:
            conn = find_connection(connector, connection)
        except Exception:
            return True
        return mock.verify if conn.base_url.startswith(mock.root_url) else True

    def run_tests(self, ids: list[str] | None, *, params: dict[str, Any] | None = None,
                  connection: str | None = None, record: bool = False,
                  replay: bool = False, concurrency: int | None = None,
                  timeout: float | None = None, progress: Any = None) -> Any:
        """Test endpoints ``ids`` (None: all) of the current connector; returns the report.

        ``record``/``replay`` use the cassettes of the package the connector was loaded
        from or exported to; the report is saved into that package.
        """
        from ..verbs import grammar

        connector = self.require()
        endpoints = connector.endpoints if ids is None else \
            tuple(connector.endpoint(i) for i in ids)
        params = dict(params or {})
        if params:
            grammar.check_param_names(endpoints, params)
        verify = self._verify_for(connector, connection)
        transport = None
        if record or replay:
            transport = self._transport(connector, record=record, verify=verify)
        report = connector.test(ids, connection=connection, params=params or None,
                                concurrency=concurrency, timeout=timeout,
                                progress=progress or _no_progress, transport=transport,
                                verify=verify)
        self.last_report = report
        if self.package_path is not None:
            from ..package.format import save_report

            try:
                save_report(self.package_path, report)
            except (NbConnectError, OSError) as exc:
                print(f"The report was not saved into the package ({exc}).")
        return report

    def _transport(self, connector: Connector, *, record: bool, verify: Any) -> Any:
        flag = "--record" if record else "--replay"
        if self.package_path is None:
            raise CommandError(f"{flag} keeps its cassettes in the connector's package, and "
                               "this connector has none yet; export it first (`%connect "
                               "export PATH`) or load a package, then test again.")
        from ..testing.cassettes import CassetteStore, RecordingTransport, ReplayTransport

        store = CassetteStore.for_package(self.package_path, connector)
        if not record:
            return ReplayTransport(store)
        if store.directory is None:
            raise CommandError(f"--record writes cassettes into a package directory, and "
                               f"{self.package_path} is a .zip; export the connector to a "
                               "directory (`%connect export PATH`) and record there.")
        return RecordingTransport(None, store, verify=verify)

    def require(self) -> Connector:
        """The current connector, or a CommandError saying how to get one."""
        if self.connector is None:
            raise CommandError("There is no current connector; start one with `%connect new "
                               "NAME`, `%connect import SPEC` or `%connect load PATH`.")
        return self.connector

    def run(self, line: str, cell: str | None = None) -> Any:
        """Run ``%connect LINE`` (``%%connect LINE`` with ``cell`` as the body)."""
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise CommandError(f"The command line could not be split ({exc}); check the "
                               "quotes.") from None
        if not words:
            words = ["help"]
        verb, rest = words[0], words[1:]
        command = COMMANDS.get(verb)
        if command is None and verb in PLANNED_VERBS:
            raise CommandError(f"`%connect {verb}` is not built yet; `%connect help` lists "
                               "the verbs that are.")
        if command is None:
            import difflib

            close = difflib.get_close_matches(verb, COMMANDS, n=1)
            hint = f"did you mean `{close[0]}`? " if close else ""
            raise CommandError(f"Unknown verb {verb!r}; {hint}`%connect help` lists the verbs.")
        if cell is not None and command.cell is None:
            raise CommandError(f"`%%connect {verb}` takes no cell body; use the line magic "
                               f"`%connect {verb} ...`.")
        parser = command.cell_parser() if command.cell_parser and cell is not None \
            else command.parser()
        try:
            args = parser.parse_args(rest)
        except _HelpShown:
            return None
        func = command.cell if cell is not None else command.func
        assert func is not None
        return func(self, args, cell) if cell is not None else func(self, args)

    # -- shared steps ------------------------------------------------------------------

    def read_spec(self, source: Any, args: argparse.Namespace) -> Any:
        """Read and check a spec with the import options and the session settings."""
        from ..spec.importer import import_spec

        return import_spec(
            source,
            tags=tuple(args.tag or ()),
            include=args.include,
            exclude=args.exclude,
            lenient=bool(args.lenient or self.settings.lenient),
            max_bytes=args.max_bytes or self.settings.max_spec_bytes,
            timeout=self.settings.url_timeout,
            verify=self.settings.verify_tls,
        )


def _no_progress(done: int, total: int, result: Any) -> None:
    """A progress callback that shows nothing (no tqdm bar inside a notebook cell)."""


def _spec_source(text: str) -> Any:
    """A URL stays a string; anything else is a file path."""
    if re.match(r"[A-Za-z][A-Za-z0-9+.\-]*://", text):
        return text
    return Path(text).expanduser()


def _shown_path(given: str, written: Any) -> Path:
    """``written`` as the user wrote it (relative stays relative: no temp dirs in output)."""
    written = Path(written)
    if not Path(given).is_absolute() and written.is_absolute():
        try:
            return written.relative_to(Path.cwd())
        except ValueError:
            return written
    return written


# --------------------------------------------------------------------------- verbs


def cmd_help(session: Session, args: argparse.Namespace) -> None:
    """Print the verbs, or one verb's usage."""
    if args.verb:
        command = COMMANDS.get(args.verb)
        if command is None:
            raise CommandError(f"Unknown verb {args.verb!r}; `%connect help` lists the verbs.")
        print(command.parser().format_help().rstrip())
        if command.cell_parser is not None:
            print()
            print(command.cell_parser().format_help().rstrip())
        return None
    width = max(len(c.synopsis) for c in COMMANDS.values())
    lines = ["%connect VERB [ARGS]   (`%connect help VERB` shows a verb's options)", ""]
    for c in COMMANDS.values():
        lines.append(f"  {c.synopsis:<{width}}  {c.summary}")
        if c.cell_synopsis:
            lines.append(f"  {c.cell_synopsis:<{width}}  {c.cell_summary}")
    print("\n".join(lines))
    return None


def cmd_new(session: Session, args: argparse.Namespace) -> Connector:
    """Start a new connector (it becomes the current one)."""
    connector = Connector(name=args.name, base_url=args.base_url,
                          description=args.description or "")
    if args.demo:
        import nbconnect

        result = session.read_spec(nbconnect.demo_spec_path(), _import_defaults())
        connector.apply_import(result)
        session.last_import = result
    session.set_connector(connector)
    return connector


def _import_defaults() -> argparse.Namespace:
    return argparse.Namespace(tag=None, include=None, exclude=None, lenient=False,
                              max_bytes=None)


def _add_import_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tag", action="append", metavar="T",
                   help="import only operations with this tag (repeatable)")
    p.add_argument("--include", type=_regex, metavar="RE",
                   help="import only operations whose path or operationId matches RE")
    p.add_argument("--exclude", type=_regex, metavar="RE",
                   help="skip operations whose path or operationId matches RE")
    p.add_argument("--lenient", action="store_true",
                   help="import what can be understood, with warnings, instead of refusing "
                        "an invalid spec")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the current endpoints without asking")
    p.add_argument("--max-bytes", type=size_arg, metavar="N",
                   help="size cap for this import (default: %%config NbConnect.max_spec_bytes)")


def _do_import(session: Session, source: Any, args: argparse.Namespace) -> Any:
    result = session.read_spec(source, args)  # read and checked before anything changes
    session.last_import = result
    connector = session.connector
    if connector is None:
        connector = Connector(name=slugify(result.title or "connector", sep="-"))
        connector.apply_import(result)
        session.set_connector(connector)
        return result
    if connector.endpoints and not args.overwrite:
        if not session.settings.confirm_overwrite:
            connector.check_overwrite(False)  # raises OverwriteError
        from .widgets import OverwriteConfirmation

        return OverwriteConfirmation(connector, result)
    connector.apply_import(result, overwrite=args.overwrite)
    return result


def cmd_import(session: Session, args: argparse.Namespace) -> Any:
    """Import an OpenAPI spec file or URL into the current connector."""
    return _do_import(session, _spec_source(args.source), args)


def cell_import(session: Session, args: argparse.Namespace, cell: str) -> Any:
    """Import the OpenAPI spec written in the cell body."""
    if not cell.strip():
        raise CommandError("The cell is empty; paste an OpenAPI 3.x document (YAML or JSON) "
                           "below `%%connect import`.")
    return _do_import(session, cell.encode("utf-8"), args)


def cmd_base_url(session: Session, args: argparse.Namespace) -> Connector:
    """Set the current connector's base URL."""
    connector = session.require()
    connector.base_url = args.url
    return connector


def cmd_endpoint(session: Session, args: argparse.Namespace) -> Any:
    """Add, remove or show one endpoint of the current connector."""
    connector = session.require()
    if args.action == "add":
        return connector.add_endpoint(args.method, args.path, name=args.name,
                                      description=args.description or "", id=args.id)
    if args.action == "remove":
        return connector.remove_endpoint(args.id)
    return connector.endpoint(args.id)


def cell_endpoint(session: Session, args: argparse.Namespace, cell: str) -> Any:
    """Add (or with --replace, replace) an endpoint written as YAML in the cell body."""
    connector = session.require()
    data = _load_yaml(cell)
    from ..model import Endpoint

    endpoint = Endpoint.from_dict(data)
    if args.replace and any(ep.id == endpoint.id for ep in connector.endpoints):
        return connector.replace_endpoint(endpoint)
    return connector.add_endpoint(endpoint)


def _load_yaml(text: str, what: str = "endpoint",
               needs: str = "at least 'method:' and 'path:'") -> Any:
    import yaml

    if not text.strip():
        raise CommandError(f"The cell is empty; describe the {what} in YAML, {needs}.")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise CommandError(f"The {what} YAML could not be read ({problem}{where}); fix "
                           "the YAML.") from None
    if not isinstance(data, dict):
        if what != "endpoint":
            raise CommandError(f"The {what} YAML must be a mapping, {needs}.")
        raise EndpointDefinitionError(
            "The endpoint YAML must be a mapping with at least 'method:' and "
            "'path:'.")
    return data


def cmd_auth(session: Session, args: argparse.Namespace) -> Any:
    """Set the current connector's auth config (no TYPE: open the auth form)."""
    from ..verbs.grammar import auth_from_args

    if any(word in ("-h", "--help") for word in args.fields):
        print(_p_auth().format_help().rstrip())
        return None
    connector = session.require()
    if args.from_spec:
        if args.type or args.fields:
            raise CommandError("`%connect auth --from-spec` takes no TYPE or fields; it "
                               "applies the auth the last import suggested.")
        result = session.last_import
        if result is None:
            raise CommandError("No spec was imported in this session, so there is no "
                               "suggested auth; import one with `%connect import SPEC`, or "
                               "pick a type: `%connect auth TYPE`.")
        if result.auth is None:
            title = result.title or "the last imported spec"
            raise CommandError(f"{title} suggests no auth this connector can use; pick a type: "
                               "`%connect auth TYPE [--FIELD VALUE]...`.")
        connector.auth = result.auth
        return connector.auth
    if args.type is None:
        if args.fields:
            raise CommandError("Give the auth TYPE before its fields: `%connect auth TYPE "
                               "[--FIELD VALUE]...` (`%connect help auth` lists them).")
        from .forms import AuthForm

        return AuthForm(connector)
    config = auth_from_args(args.type, args.fields)
    connector.auth = config
    return config


def cell_auth(session: Session, args: argparse.Namespace, cell: str) -> Any:
    """Set the auth config written as YAML in the cell body (``type:`` plus fields)."""
    from ..verbs.grammar import auth_from_fields

    connector = session.require()
    data = _load_yaml(cell, "auth config", "with 'type:' and the type's fields")
    fields = dict(data)
    kind = fields.pop("type", None)
    if kind is None:
        raise CommandError("The auth config YAML has no 'type:'; add one of "
                           "api-key, basic, bearer, jwt, oauth2-code, oauth2-password, "
                           "oauth2-client-credentials.")
    config = auth_from_fields(str(kind), fields)
    connector.auth = config
    return config


def cmd_connection(session: Session, args: argparse.Namespace) -> Any:
    """Add, list, remove a test connection, or pick the default one."""
    from ..verbs import grammar

    if args.action == "add" and any(word in ("-h", "--help") for word in args.options):
        print(_p_connection_add_help().rstrip())
        return None
    connector = session.require()
    if args.action == "list":
        from .display import ConnectionTable

        return ConnectionTable(connector.connections, title=connector.name)
    if args.action == "remove":
        return grammar.remove_connection(connector, args.name)
    if args.action == "default":
        return grammar.set_default_connection(connector, args.name)
    if args.action == "login":
        return _login(session, connector, args)
    if args.name is None and not args.options:
        from .forms import ConnectionForm

        return ConnectionForm(connector)
    conn = grammar.connection_from_args(args.name or "", args.options, auth=connector.auth,
                                        base_url=connector.base_url)
    return grammar.add_connection(connector, conn)


def _show_link(url: str) -> None:
    """Show the authorization link: a clickable link in a notebook, text otherwise."""
    from html import escape

    from IPython.display import HTML, display

    print(f"Open this URL in a browser to authorize:\n{url}")
    display(HTML(f'<a href="{escape(url, quote=True)}" target="_blank" '
                 'rel="noopener noreferrer">Authorize in the browser</a>'))


def _login(session: Session, connector: Connector, args: argparse.Namespace) -> Any:
    """``connection login [NAME] [--paste]``: the OAuth2 authorization code grant."""
    from ..verbs import grammar

    paste = None
    if args.paste:
        def paste() -> str:
            # input() rather than a widget: a button could not be clicked while the
            # kernel is busy waiting in this cell
            return input("Paste the URL the browser shows after you approve: ")
    info = grammar.login_connection(connector, args.name, open_url=_show_link, paste=paste,
                                    timeout=args.timeout)
    who = info.identity or "(the API gave no identity)"
    print(f"logged in as {who}")
    return info


def cmd_test(session: Session, args: argparse.Namespace) -> Any:
    """Test one endpoint, several, or all (``--all``); no arguments: the test panel."""
    from ..verbs import grammar

    connector = session.require()
    options_given = bool(args.param or args.connection or args.record or args.replay
                         or args.concurrency or args.timeout)
    if not args.endpoints and not args.all:
        if options_given:
            raise CommandError("Name the ENDPOINT to test, or give --all; `%connect test` "
                               "alone opens the test panel.")
        from .testpanel import TestPanel

        def run(ids: list[str] | None, progress: Any) -> Any:
            return session.run_tests(ids, progress=progress)

        return TestPanel(connector, run)
    if args.endpoints and args.all:
        raise CommandError("Give endpoint ids or --all, not both.")
    if args.record and args.replay:
        raise CommandError("Give --record or --replay, not both.")
    params = grammar.parse_param_values(args.param)
    ids = None if args.all else list(args.endpoints)
    progress = None
    total = len(connector.endpoints) if ids is None else len(ids)
    if total > 1 and session.in_notebook():
        from IPython.display import display

        from .testpanel import ProgressBar

        progress = ProgressBar(total)
        session.progress = progress
        display(progress)
    return session.run_tests(ids, params=params, connection=args.connection,
                             record=args.record, replay=args.replay,
                             concurrency=args.concurrency, timeout=args.timeout,
                             progress=progress)


def cmd_mock(session: Session, args: argparse.Namespace) -> Any:
    """Start the mock API (``mock stop`` stops it) and point a ``mock`` connection at it."""
    from .mockwiring import start_mock

    if args.source == "stop":
        if args.tls or args.port or args.key:
            raise CommandError("`%connect mock stop` takes no options.")
        print("Mock stopped." if session.stop_mock() else "No mock is running.")
        return None
    connector = session.require()
    session.stop_mock()
    mock, notes = start_mock(connector, args.source, tls=args.tls, port=args.port or 0,
                             key_ref=args.key)
    session.keep_mock(mock)
    print(f"Mock of {mock.title!r} at {mock.url}; connection 'mock' points at it.")
    for note in notes:
        print(note)
    return mock


def cmd_endpoints(session: Session, args: argparse.Namespace) -> Any:
    """The current connector's endpoints as a table."""
    from .display import EndpointTable

    connector = session.require()
    endpoints = connector.endpoints
    if args.tag:
        wanted = set(args.tag)
        endpoints = tuple(ep for ep in endpoints if wanted.intersection(ep.tags))
    return EndpointTable(endpoints, title=connector.name)


def cmd_export(session: Session, args: argparse.Namespace) -> Path:
    """Write the current connector as a package directory (or .zip).

    The path is returned as it was given (relative stays relative, so notebook outputs
    show no temporary directories).
    """
    from ..package.format import export

    connector = session.require()
    target = Path(args.path).expanduser()
    written = export(connector, target, zip=args.zip)
    session.package_path = Path(written)
    return _shown_path(args.path, written)


def cmd_load(session: Session, args: argparse.Namespace) -> Connector:
    """Load a connector package; it becomes the current connector."""
    from ..package.format import load

    path = Path(args.path).expanduser()
    connector = load(path)
    session.set_connector(connector, path)
    return connector


def cmd_show(session: Session, args: argparse.Namespace) -> Any:
    """The current connector (or one of its endpoints)."""
    connector = session.require()
    if args.endpoint:
        return connector.endpoint(args.endpoint)
    return connector


# --------------------------------------------------------------------------- parsers


def _parser(verb: str, description: str) -> _Parser:
    return _Parser(prog=f"%connect {verb}", description=description)


def _p_help() -> _Parser:
    p = _parser("help", "List the verbs, or show one verb's options.")
    p.add_argument("verb", nargs="?", help="a verb")
    return p


def _p_new() -> _Parser:
    p = _parser("new", "Start a new connector; it becomes the current connector.")
    p.add_argument("name", help="the connector's name")
    p.add_argument("--demo", action="store_true",
                   help="import the bundled demo API (a small task tracker)")
    p.add_argument("--base-url", metavar="URL", help="the base URL (absolute, https)")
    p.add_argument("--description", metavar="D", help="a short description")
    return p


def _p_import() -> _Parser:
    p = _parser("import", "Import an OpenAPI 3.0/3.1 spec (file path or https URL; JSON or "
                          "YAML). A connector that has endpoints asks before overwriting them.")
    p.add_argument("source", metavar="SOURCE", help="spec file path or https URL")
    _add_import_options(p)
    return p


def _p_import_cell() -> _Parser:
    p = _Parser(prog="%%connect import",
                description="Import the OpenAPI 3.0/3.1 document written in the cell body.")
    _add_import_options(p)
    return p


def _p_base_url() -> _Parser:
    p = _parser("base-url", "Set the base URL (absolute https; http only for loopback hosts).")
    p.add_argument("url", metavar="URL")
    return p


def _p_endpoint() -> _Parser:
    p = _parser("endpoint", "Add, remove or show one endpoint.")
    sub = p.add_subparsers(dest="action", metavar="{add,remove,show}", required=True)
    add = sub.add_parser("add", help="add an endpoint by hand",
                         description="Add an endpoint by hand (/users/:id and /users/{id} "
                                     "both work; path parameters come from the path).")
    add.add_argument("method", metavar="METHOD", help="GET, POST, PUT, PATCH or DELETE")
    add.add_argument("path", metavar="PATH", help="the path, such as /users/:id")
    add.add_argument("--name", required=True, metavar="N", help="display name")
    add.add_argument("--description", metavar="D", help="short description")
    add.add_argument("--id", metavar="ID", help="endpoint id (default: a slug of the name)")
    rm = sub.add_parser("remove", help="remove an endpoint", description="Remove an endpoint.")
    rm.add_argument("id", metavar="ID")
    show = sub.add_parser("show", help="show one endpoint", description="Show one endpoint.")
    show.add_argument("id", metavar="ID")
    return p


def _p_endpoint_cell() -> _Parser:
    p = _Parser(prog="%%connect endpoint",
                description="Add an endpoint written in YAML in the cell body: method, path, "
                            "name, description, id, and lists params / query / headers / "
                            "body / response of parameters (name, type, required, default, "
                            "description, children).")
    p.add_argument("--replace", action="store_true",
                   help="replace the endpoint with the same id if there is one")
    return p


def _auth_epilog() -> str:
    from ..verbs.grammar import auth_help_lines

    return ("types and their fields:\n" + "\n".join(f"  {line}" for line in auth_help_lines())
            + "\n\nSecrets (value, password, token, secret, client-secret) are never auth "
              "fields:\ngive them on a connection, `%connect connection add NAME --secret "
              "FIELD=REF`.")


def _p_auth() -> _Parser:
    p = _AuthParser(prog="%connect auth",
                     description="Set the auth method: TYPE and its fields as --FIELD VALUE. "
                                 "Without TYPE, open a form.",
                     epilog=_auth_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("type", nargs="?", metavar="TYPE",
                   help="api-key, basic, bearer, jwt, oauth2-code, oauth2-password or "
                        "oauth2-client-credentials")
    p.add_argument("fields", nargs=argparse.REMAINDER, metavar="--FIELD VALUE",
                   help="the type's fields (see below)")
    p.add_argument("--from-spec", action="store_true",
                   help="apply the auth that the last imported spec suggests")
    return p


def _p_auth_cell() -> _Parser:
    return _QuietParser(
        prog="%%connect auth",
        description="Set the auth method written as YAML in the cell body: 'type:' and the "
                    "type's fields (kebab or snake case), e.g. type: jwt, algorithm: HS256, "
                    "payload: {sub: ada, exp: '+300s'}. No secrets: they go on a connection.")


def _p_connection_add_help() -> str:
    from ..verbs.grammar import CONNECTION_OPTIONS

    lines = ["usage: %connect connection add [NAME --base-url URL [--secret FIELD=REF]... "
             "[--set FIELD=VALUE]... [--default]]", "",
             "Add a test connection; without arguments, open a form.", "", "options:"]
    for flag, metavar, text in CONNECTION_OPTIONS:
        lines.append(f"  {(flag + ' ' + metavar).strip():<20} {text}")
    return "\n".join(lines)


def _p_connection() -> _Parser:
    from ..verbs.grammar import CONNECTION_OPTIONS

    p = _ConnectionParser(prog="%connect connection",
                     description="Test connections: a base URL and references to the "
                                 "secrets of the auth type.")
    sub = p.add_subparsers(dest="action", metavar="{add,list,remove,default,login}",
                           required=True,
                           parser_class=_QuietParser)
    add = sub.add_parser(
        "add", help="add a test connection (no arguments: open a form)",
        description="Add a test connection (no arguments: open a form). Options: "
                    + "; ".join(f"{(f + ' ' + m).strip()}: {t}" for f, m, t in
                                CONNECTION_OPTIONS) + ".")
    add.add_argument("name", nargs="?", metavar="NAME")
    add.add_argument("options", nargs=argparse.REMAINDER, metavar="OPTIONS",
                     help="--base-url URL, --secret FIELD=REF, --set FIELD=VALUE, --default")
    sub.add_parser("list", help="list the connections", description="List the connections.")
    rm = sub.add_parser("remove", help="remove a connection",
                        description="Remove a connection.")
    rm.add_argument("name", metavar="NAME")
    df = sub.add_parser("default", help="make a connection the default",
                        description="Make a connection the default one.")
    df.add_argument("name", metavar="NAME")
    lg = sub.add_parser("login", help="log in with the OAuth2 authorization code grant",
                        description="Log a connection in (oauth2-code auth): show the "
                                    "authorization link, receive the redirect on a loopback "
                                    "listener (or --paste it), fetch and keep the token in "
                                    "memory.")
    lg.add_argument("name", nargs="?", metavar="NAME",
                    help="the connection (default: the default connection)")
    lg.add_argument("--paste", action="store_true",
                    help="paste the redirected URL instead (remote kernels); asked with "
                         "input(), since a widget could not be used while the cell waits")
    lg.add_argument("--timeout", type=seconds_arg, default=120.0, metavar="S",
                    help="seconds to wait for the redirect (default 120)")
    return p








def _p_test() -> _Parser:
    p = _QuietParser(prog="%connect test",
                     description="Test endpoints through a test connection: a pass is a 2xx "
                                 "answer whose body matches the declared schema. Without "
                                 "arguments, open the test panel.")
    p.add_argument("endpoints", nargs="*", metavar="ENDPOINT", help="endpoint id(s)")
    p.add_argument("--all", action="store_true", help="test every endpoint")
    p.add_argument("--param", action="append", metavar="NAME=VALUE",
                   help="a test value (a YAML scalar: 7 is a number; repeatable; body "
                        "fields as parent.child)")
    p.add_argument("--connection", metavar="NAME", help="the test connection (default: "
                                                        "the default one)")
    p.add_argument("--record", action="store_true",
                   help="record the exchanges as cassettes in the connector's package")
    p.add_argument("--replay", action="store_true",
                   help="answer from the package's cassettes, without the network")
    p.add_argument("--concurrency", type=count_arg, metavar="N",
                   help="requests in flight at once (default 20)")
    p.add_argument("--timeout", type=seconds_arg, metavar="S",
                   help="seconds per request (default 10)")
    return p


def _p_mock() -> _Parser:
    p = _parser("mock", "Start the mock API of the current connector (or of SPEC_OR_PKG) in "
                        "the background and add a connection 'mock' pointing at it; "
                        "`%connect mock stop` stops it.")
    p.add_argument("source", nargs="?", metavar="SPEC_OR_PKG",
                   help="a spec file or connector package (default: the current connector); "
                        "'stop' stops the running mock")
    p.add_argument("--tls", action="store_true", help="serve https with a test certificate")
    p.add_argument("--port", type=port_arg, default=0, metavar="N",
                   help="the port (default: a free one)")
    p.add_argument("--key", metavar="REF",
                   help="a reference to the credential the mock requires (env:NAME, "
                        "keyring:NAME; default: a random value in $NBCONNECT_MOCK_KEY)")
    return p


def _p_endpoints() -> _Parser:
    p = _parser("endpoints", "Show the current connector's endpoints as a table.")
    p.add_argument("--tag", action="append", metavar="T",
                   help="only endpoints with this tag (repeatable)")
    return p


def _p_export() -> _Parser:
    p = _parser("export", "Write the current connector as a package directory, or a .zip.")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--zip", action="store_true", help="write a .zip file")
    return p


def _p_load() -> _Parser:
    p = _parser("load", "Load a connector package (directory or .zip); it becomes current.")
    p.add_argument("path", metavar="PATH")
    return p


def _p_show() -> _Parser:
    p = _parser("show", "Show the current connector, or one of its endpoints.")
    p.add_argument("endpoint", nargs="?", metavar="ENDPOINT_ID")
    return p


@dataclass(frozen=True)
class Command:
    """One verb: its function, argument parser and one-line help."""

    name: str
    synopsis: str
    summary: str
    func: Callable[..., Any]
    parser: Callable[[], _Parser]
    cell: Callable[..., Any] | None = None
    cell_parser: Callable[[], _Parser] | None = None
    cell_synopsis: str = ""
    cell_summary: str = ""


COMMANDS: dict[str, Command] = {c.name: c for c in (
    Command("help", "help [VERB]", "list the verbs, or show one verb's options",
            cmd_help, _p_help),
    Command("new", "new NAME [--demo]",
            "start a new connector (--demo: from the bundled demo API)", cmd_new, _p_new),
    Command("import", "import SOURCE [--tag T]... [--overwrite]",
            "import an OpenAPI 3.x spec file or https URL", cmd_import, _p_import,
            cell=cell_import, cell_parser=_p_import_cell,
            cell_synopsis="%%connect import [OPTIONS]",
            cell_summary="import the spec written in the cell body"),
    Command("base-url", "base-url URL", "set the base URL", cmd_base_url, _p_base_url),
    Command("auth", "auth TYPE [--FIELD VALUE]...",
            "set the auth method (no TYPE: a form; --from-spec: the spec's)",
            cmd_auth, _p_auth, cell=cell_auth, cell_parser=_p_auth_cell,
            cell_synopsis="%%connect auth", cell_summary="set the auth method written in YAML"),
    Command("connection", "connection add NAME [OPTIONS]",
            "add a test connection (no arguments: a form; also: list, remove NAME, "
            "default NAME, login NAME)", cmd_connection, _p_connection),
    Command("endpoint", "endpoint add METHOD PATH --name N",
            "add an endpoint by hand (also: endpoint remove ID, endpoint show ID)",
            cmd_endpoint, _p_endpoint, cell=cell_endpoint, cell_parser=_p_endpoint_cell,
            cell_synopsis="%%connect endpoint [--replace]",
            cell_summary="add an endpoint described in YAML in the cell body"),
    Command("endpoints", "endpoints [--tag T]...", "show the endpoints as a table",
            cmd_endpoints, _p_endpoints),
    Command("test", "test ENDPOINT... | --all [OPTIONS]",
            "test endpoints (--param, --connection, --record/--replay; no arguments: a "
            "panel)", cmd_test, _p_test),
    Command("mock", "mock [SPEC_OR_PKG] [--tls]",
            "start the mock API and a 'mock' connection to it (mock stop: stop it)",
            cmd_mock, _p_mock),
    Command("export", "export PATH [--zip]", "write the connector package",
            cmd_export, _p_export),
    Command("load", "load PATH", "load a connector package (it becomes current)",
            cmd_load, _p_load),
    Command("show", "show [ENDPOINT_ID]", "show the connector, or one endpoint",
            cmd_show, _p_show),
)}
