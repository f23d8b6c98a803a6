"""The ``connection`` verbs (``add``, ``list``, ``remove``, ``default``, ``login``) and the
connector operations behind them: adding, removing and picking test connections, and the
OAuth2 authorization-code login of a connection."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from ..errors import AuthConfigError, ConnectionNotFoundError, VerbUsageError
from ..model import Connection, Connector
from .grammar import CONNECTION_OPTIONS, _one_of, _suggest, connection_from_args, seconds_arg
from .table import Arg, Family, Verb, register

__all__ = ["add_connection", "get_connection", "login_connection", "remove_connection",
           "set_default_connection"]



def get_connection(connector: Connector, name: str) -> Connection:
    """The connection called ``name`` (raises :class:`ConnectionNotFoundError`)."""
    for conn in connector.connections:
        if conn.name == name:
            return conn
    names = [c.name for c in connector.connections]
    if not names:
        raise ConnectionNotFoundError(f"Connector {connector.name!r} has no connections; add "
                                      "a test connection with its base URL first.")
    hint = _suggest(name, names)
    raise ConnectionNotFoundError(f"Connector {connector.name!r} has no connection {name!r}"
                                  f"{hint}; its connections are {_one_of(names)}.")


def add_connection(connector: Connector, connection: Connection) -> Connection:
    """Add ``connection`` to ``connector``; returns it as stored.

    The first connection, or one marked default, becomes the default (the others lose
    the mark). A name that is taken is refused: remove the old connection first.
    """
    if any(c.name == connection.name for c in connector.connections):
        raise VerbUsageError(f"Connector {connector.name!r} already has a connection "
                             f"{connection.name!r}; remove it first (connection remove "
                             f"{connection.name}) or pick another name.")
    if not connector.connections and not connection.default:
        connection = dataclasses.replace(connection, default=True)
    others = connector.connections
    if connection.default:
        others = tuple(dataclasses.replace(c, default=False) if c.default else c
                       for c in others)
    connector.connections = (*others, connection)
    return connection


def remove_connection(connector: Connector, name: str) -> Connection:
    """Remove and return the connection called ``name``.

    When it was the default, the first remaining connection becomes the default.
    """
    conn = get_connection(connector, name)
    rest = tuple(c for c in connector.connections if c.name != name)
    if conn.default and rest and not any(c.default for c in rest):
        rest = (dataclasses.replace(rest[0], default=True), *rest[1:])
    connector.connections = rest
    return conn


def set_default_connection(connector: Connector, name: str) -> Connection:
    """Make the connection called ``name`` the default one; returns it."""
    get_connection(connector, name)
    conns = tuple(dataclasses.replace(c, default=c.name == name) for c in connector.connections)
    connector.connections = conns
    return next(c for c in conns if c.name == name)




def login_connection(connector: Connector, name: str | None, *,
                     open_url: Any = None, paste: Any = None, timeout: float = 120.0,
                     verify: Any = True, prompt: Any = None) -> Any:
    """Log the connection ``name`` (default: the default one) in with the OAuth2
    authorization code grant; returns the :class:`~nbconnect.auth.oauth.TokenInfo`.

    ``open_url(url)`` shows the authorization link; the redirect comes to a loopback
    listener, or, with ``paste`` (a callable returning the redirected URL), is pasted.
    The identity endpoint is joined to the connection's base URL. Only ``oauth2-code``
    connectors log in; other types raise :class:`~nbconnect.errors.AuthConfigError`.
    """
    from ..auth.flows import find_connection
    from ..auth.oauth import authorize_code
    from ..auth.secrets import resolve_connection

    config = connector.auth
    if config is None or config.type != "oauth2-code":
        kind = config.type if config is not None else "none"
        raise AuthConfigError(f"connection login is for oauth2-code auth, and connector "
                              f"{connector.name!r} has auth {kind}; its tokens need no browser "
                              "login (run a test instead).")
    conn = find_connection(connector, name)
    secrets = resolve_connection(conn, config.secret_fields, prompt=prompt,
                                 optional=config.optional_secret_fields)
    return authorize_code(config, secrets, dict(conn.settings), open_url=open_url,
                          paste=paste, timeout=timeout, verify=verify,
                          identity_base_url=conn.base_url)



# --------------------------------------------------------------------------- verbs


def _arrow(workspace: Any) -> str:
    written = workspace.written
    return f" -> {written}" if written is not None else ""


def run_add(workspace: Any, args: argparse.Namespace) -> Connection:
    """Add a test connection (NAME and --base-url, --secret, --set, --default words)."""
    connector = workspace.require()
    conn = connection_from_args(args.name or "", args.options, auth=connector.auth,
                                base_url=connector.base_url)
    return add_connection(connector, conn)


def _add_text(conn: Connection, args: argparse.Namespace, workspace: Any) -> str:
    mark = " (default)" if conn.default else ""
    return f"connection {conn.name}{mark} added to {workspace.connector.name}{_arrow(workspace)}"


def run_list(workspace: Any, args: argparse.Namespace) -> tuple[Connection, ...]:
    """The connector's test connections."""
    return workspace.require().connections


def _list_text(conns: tuple[Connection, ...], args: argparse.Namespace, workspace: Any) -> str:
    if args.json:
        import json

        return json.dumps([c.to_dict() for c in conns], indent=2, ensure_ascii=False)
    from ..render import connections_table

    return connections_table(conns)


def run_remove(workspace: Any, args: argparse.Namespace) -> Connection:
    """Remove the test connection NAME."""
    return remove_connection(workspace.require(), args.name)


def run_default(workspace: Any, args: argparse.Namespace) -> Connection:
    """Make the test connection NAME the default."""
    return set_default_connection(workspace.require(), args.name)


def run_login(workspace: Any, args: argparse.Namespace) -> Any:
    """Log a connection in with the OAuth2 authorization code grant; returns the TokenInfo."""
    connector = workspace.require()
    paste = workspace.paste if args.paste else None
    info = login_connection(connector, args.name, open_url=workspace.show_link, paste=paste,
                            timeout=args.timeout)
    workspace.say(f"logged in as {info.identity or '(the API gave no identity)'}")
    return info


_NAME = Arg("name", metavar="NAME", required=True, help="the connection's name")

register(
    Family("connection", "connection add NAME [OPTIONS]",
           "add a test connection (no arguments: a form; also: list, remove NAME, "
           "default NAME, login NAME)",
           description="The test connections of the connector: a base URL, references to "
                       "the secrets of the auth type, and per-connection settings."),
    Verb(("connection", "add"), "add a test connection (no arguments: a form)",
         "Add a test connection: a base URL, references to the secrets of the auth type "
         "(env:NAME, keyring:NAME or prompt) and per-connection settings. Without arguments "
         "the notebook opens a form.", run_add, changes=True, text=_add_text,
         form="connection", form_when=lambda a: not a.name and not a.options,
         epilog=lambda: "the options after NAME:\n" + "\n".join(f"  {(f + ' ' + m).strip():<20} {t}"
                                                 for f, m, t in CONNECTION_OPTIONS),
         args=(Arg("name", metavar="NAME", help="the connection's name"),
               Arg("options", metavar="OPTIONS", rest=True,
                   help="--base-url URL, --secret FIELD=REF, --set FIELD=VALUE, --default"))),
    Verb(("connection", "list"), "list the test connections", "List the test connections.",
         run_list, text=_list_text, view="connections",
         args=(Arg("json", ("--json",), switch=True,
                   help="print JSON: a list of connections"),)),
    Verb(("connection", "remove"), "remove a test connection",
         "Remove the test connection NAME.", run_remove, changes=True, args=(_NAME,),
         text=lambda c, a, w: f"connection {c.name} removed from {w.connector.name}"
                              f"{_arrow(w)}"),
    Verb(("connection", "default"), "make a test connection the default",
         "Make the test connection NAME the default one.", run_default, changes=True,
         args=(_NAME,),
         text=lambda c, a, w: f"connection {c.name} is now the default of "
                              f"{w.connector.name}{_arrow(w)}"),
    Verb(("connection", "login"), "log a connection in (OAuth2 authorization code)",
         "Log the connection NAME in with the OAuth2 authorization code grant: open the "
         "shown link and approve; the redirect comes to a loopback listener (or paste it "
         "with --paste). The token stays in memory, for this process only.", run_login,
         args=(Arg("name", metavar="NAME", help="the connection (default: the default one)"),
               Arg("paste", ("--paste",), switch=True,
                   help="paste the URL the browser lands on instead of the listener "
                        "(remote kernels)"),
               Arg("timeout", ("--timeout",), "S", type=seconds_arg, default=120.0,
                   help="seconds to wait for the redirect (default 120)"))),
)
