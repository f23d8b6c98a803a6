"""The ``mock`` verb: serve the mock API of the connector (or of a spec or package).

In the notebook the mock runs in the background and :func:`start_mock` points a ``mock``
connection at it (``mock stop`` stops it); the CLI serves it in the foreground until Ctrl-C.
:func:`start_mock` starts a :class:`~nbconnect.mock.MockServer` for a source (the current
connector by default), with credentials the mock requires, and adds (or replaces) the
connection named ``mock`` on the current connector: its base URL is the mock's URL and
its secret is a *reference* (``env:NBCONNECT_MOCK_KEY`` by default, an environment
variable this function sets to a fresh random value for this process), so the connector
still exports with no secret value in it. API key, Basic, Bearer and OAuth2 client
credentials are wired; other auth types get a ``mock`` connection the mock does not
check, with a note saying so.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import secrets as _stdlib_secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import SecretError
from ..model import Connector
from . import grammar
from .connection import add_connection, remove_connection
from .table import Arg, Verb, register, usage_error

__all__ = ["MOCK_CONNECTION", "MOCK_ENV", "restart_mock", "start_mock"]

#: The connection the ``mock`` verb adds.
MOCK_CONNECTION = "mock"
#: The environment variable holding the generated mock credential.
MOCK_ENV = "NBCONNECT_MOCK_KEY"
_MOCK_USER = "mock"
_MOCK_CLIENT = "mock-client"


def _source(text: str | None, connector: Connector) -> tuple[Any, Connector | None]:
    """(what MockServer gets, the connector it describes or None for a spec)."""
    if text is None:
        return connector, connector
    path = Path(text).expanduser()
    if path.is_dir() or (path.is_file() and path.suffix.lower() == ".zip"):
        from ..package.format import load

        loaded = load(path)
        return loaded, loaded
    from ..spec.reading import load_document

    return load_document(path).document, None


def _scheme_name(doc_or_connector: Any, described: Connector | None,
                 auth: Any) -> str | None:
    """The security scheme of the mocked API that the connector's auth speaks."""
    if described is not None:
        return described.auth.type if described.auth is not None and \
            described.auth.type == auth.type else None
    components = doc_or_connector.get("components") or {}
    schemes = components.get("securitySchemes") or {}
    found: list[str] = []
    for name, s in schemes.items():
        if not isinstance(s, dict):
            continue
        kind, http = s.get("type"), str(s.get("scheme", "")).lower()
        if auth.type == "api-key" and kind == "apiKey":
            if str(s.get("name", "")).lower() == auth.key.lower():
                return str(name)
            found.append(str(name))
        elif (auth.type == "basic" and kind == "http" and http == "basic") or (
                auth.type == "bearer" and kind == "http" and http == "bearer") or (
                auth.type == "oauth2-client-credentials" and kind == "oauth2"
                and "clientCredentials" in (s.get("flows") or {})):
            return str(name)
    return found[0] if found else None


def _key_value(key_ref: str | None) -> tuple[str, str]:
    """(reference, value) of the mock's credential."""
    from ..auth.secrets import is_reference, resolve

    if key_ref is None:
        value = "mock-" + _stdlib_secrets.token_urlsafe(24)
        os.environ[MOCK_ENV] = value
        return f"env:{MOCK_ENV}", value
    if not is_reference(key_ref):
        raise SecretError("--key takes a reference to the mock's credential (env:NAME, "
                          "keyring:NAME), not the value itself; e.g. --key env:MY_MOCK_KEY.")
    value = resolve(key_ref, connection=MOCK_CONNECTION, field="key")
    return key_ref, value.reveal() if hasattr(value, "reveal") else str(value)


def start_mock(connector: Connector, source: str | None = None, *, tls: bool = False,
               port: int = 0, key_ref: str | None = None) -> tuple[Any, list[str]]:
    """Start the mock and add the ``mock`` connection; returns (MockServer, notes).

    Nothing changes on the connector when the mock cannot start.
    """
    from ..mock.server import MockServer

    src, described = _source(source, connector)
    auth = connector.auth
    notes: list[str] = []
    credentials: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    settings: dict[str, str] = {}
    if auth is not None:
        ref, value = _key_value(key_ref)
        scheme = _scheme_name(src, described, auth)
        for field in auth.secret_fields:
            if field not in getattr(auth, "optional_secret_fields", ()) or \
                    field == "client_secret":
                secrets[field] = ref
        for field in grammar.connection_setting_fields(auth):
            settings[field] = _MOCK_CLIENT if field == "client_id" else _MOCK_USER
        wired = {"api-key": value, "bearer": value, "basic": (_MOCK_USER, value),
                 "oauth2-client-credentials": {"client_id": _MOCK_CLIENT,
                                               "client_secret": value}}
        if auth.type in wired and scheme is not None:
            credentials[scheme] = wired[auth.type]
        elif auth.type in wired:
            notes.append(f"The mocked API declares no security scheme matching the "
                         f"connector's {auth.type} auth, so the mock accepts any credential.")
        else:
            notes.append(f"The mock does not check {auth.type} credentials (only api-key, "
                         "basic, bearer and oauth2-client-credentials are wired); any "
                         "credential of the right shape passes.")
    mock = MockServer(src, port=port, tls=tls, credentials=credentials or None)
    url = mock.start()
    try:
        conn = grammar.make_connection(MOCK_CONNECTION, base_url=url, secrets=secrets,
                                       settings=settings, auth=auth)
        default = next((c for c in connector.connections if c.name == MOCK_CONNECTION), None)
        was_default = default.default if default is not None else False
        if default is not None:
            remove_connection(connector, MOCK_CONNECTION)
        conn = dataclasses.replace(conn, default=was_default)
        conn = add_connection(connector, conn)
    except BaseException:
        mock.stop()
        raise
    if not conn.default and any(c.default for c in connector.connections):
        notes.append("The default connection is still another one; test against the mock "
                     "with --connection mock (or make it the default: connection default mock).")
    token_url = getattr(auth, "token_url", None)
    if auth is not None and auth.type.startswith("oauth2-") and token_url:
        root = urlsplit(mock.root_url)
        given = urlsplit(token_url)
        if (given.hostname, given.port) != (root.hostname, root.port):
            paths = mock.info.token_paths
            where = f"{mock.root_url}{paths[0]}" if paths else f"{mock.root_url}/..."
            notes.append(f"The connector's OAuth2 token URL is on {given.hostname}, not the "
                         f"mock; a connection to the mock needs the token URL pointing at "
                         f"the mock's token endpoint {where} (set it with auth "
                         f"{auth.type} --token-url {where} while testing).")
    if tls:
        notes.append(mock.trust_hint)
    return mock, notes


def restart_mock(workspace: Any, connector: Connector) -> str | None:
    """Restart the workspace's running mock on ``connector`` as it is now (after a
    re-import), keeping its TLS and its credential reference; returns what to tell the
    user, or None when no mock runs. The 'mock' connection points at the new one."""
    mock = getattr(workspace, "mock", None)
    if mock is None or not getattr(mock, "running", False):
        return None
    old = next((c for c in connector.connections if c.name == MOCK_CONNECTION), None)
    refs = [v for _, v in old.secrets if isinstance(v, str)] if old is not None else []
    key_ref = refs[0] if refs and refs[0] != f"env:{MOCK_ENV}" else None
    workspace.stop_mock()
    new, _notes = start_mock(connector, tls=mock.tls, key_ref=key_ref)
    workspace.keep_mock(new)
    return f"The mock was restarted at {new.url} to serve the new endpoints."


# --------------------------------------------------------------------------- the verb


def run_mock(workspace: Any, args: argparse.Namespace) -> Any:
    """Start the mock (``mock stop`` stops it): in the background with a ``mock``
    connection (notebook), or in the foreground until Ctrl-C (CLI)."""
    if args.source == "stop":
        if args.tls or args.port or args.key or args.host != "127.0.0.1":
            raise usage_error("mock stop takes no options.", ("mock",))
        workspace.say("Mock stopped." if workspace.stop_mock() else "No mock is running.")
        return None
    if not workspace.background:
        if args.source is None:
            raise usage_error("the following arguments are required: SPEC_OR_PKG", ("mock",))
        from ..mock.server import serve

        if args.key:
            raise usage_error("--key sets the credential of the background mock and its "
                              "'mock' connection; the mock served until Ctrl-C accepts any "
                              "credential of the right shape, so leave --key out.", ("mock",),
                              option="key")
        serve(args.source, host=args.host, port=args.port or 0, tls=args.tls)
        return None
    connector = workspace.require()
    workspace.stop_mock()
    mock, notes = start_mock(connector, args.source, tls=args.tls, port=args.port or 0,
                             key_ref=args.key)
    workspace.keep_mock(mock)
    workspace.say(f"Mock of {mock.title!r} at {mock.url}; connection 'mock' points at it.")
    for note in notes:
        workspace.say(note)
    return mock


register(
    Verb(("mock",), "start the mock API and a 'mock' connection to it (mock stop: stop it)",
         "Serve every operation of the connector (or of SPEC_OR_PKG) from its examples or "
         "generated values, with its security checked. The notebook runs it in the "
         "background and adds a connection 'mock' pointing at it (mock stop stops it); the "
         "CLI serves it until Ctrl-C.", run_mock, package="none",
         synopsis="mock [SPEC_OR_PKG] [--tls]",
         args=(Arg("source", metavar="SPEC_OR_PKG",
                   help="a spec file or connector package (notebook default: the current "
                        "connector); 'stop' stops the running mock"),
               Arg("port", ("--port",), "N", type=grammar.port_arg, default=0,
                   help="the port (default 0: a free one, printed)"),
               Arg("host", ("--host",), "HOST", default="127.0.0.1",
                   help="the address to listen on (default 127.0.0.1)"),
               Arg("tls", ("--tls",), switch=True,
                   help="serve https with a certificate from a fresh test CA"),
               Arg("key", ("--key",), "REF", secret=True,
                   help="a reference to the credential the mock requires (env:NAME, "
                        "keyring:NAME; notebook default: a random value in "
                        "$NBCONNECT_MOCK_KEY)"))),
)
