"""The workspace a verb runs on: the current connector, where it is saved, the settings,
the last import and report, and the running mock.

Both faces hand a :class:`Workspace` to ``verb.run``: the CLI a fresh one per command (the
package PKG loaded into it), the notebook one per IPython session
(:class:`nbconnect.notebook.commands.Session` is a subclass). The few things a face does its
own way are methods a face overrides: :meth:`say` and :meth:`warn` (where text goes),
:meth:`progress_for` (a progress bar), :meth:`show_link` and :meth:`paste` (the OAuth2 login),
and two flags, ``forms`` (the face can open widget forms) and ``background`` (the mock runs in
the background rather than until Ctrl-C).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import limits
from ..errors import ConnectorError, NbConnectError, TestRunError
from ..model import Connector

__all__ = ["Settings", "Workspace"]


@dataclass
class Settings:
    """The settings a verb reads (the notebook's ``%config NbConnect`` has the same names)."""

    max_spec_bytes: int = limits.MAX_SPEC_BYTES
    url_timeout: float = limits.SPEC_URL_TIMEOUT
    lenient: bool = False
    verify_tls: bool = True
    confirm_overwrite: bool = False


class Workspace:
    """What verbs run on. ``connector`` is None until a verb makes or loads one."""

    #: the face running the verbs (``"cli"`` or ``"magic"``): help lists that face's forms
    face = "cli"
    #: the face can open widget forms (the notebook)
    forms = False
    #: ``mock`` starts in the background and adds a ``mock`` connection (the notebook)
    background = False

    def __init__(self, settings: Any = None, connector: Connector | None = None,
                 package_path: Path | None = None) -> None:
        self.settings = settings if settings is not None else Settings()
        self.connector = connector
        #: the package the connector was loaded from or last saved to
        self.package_path = package_path
        #: the ImportResult of the last import (``auth --from-spec`` applies its auth)
        self.last_import: Any = None
        #: the last TestReport
        self.last_report: Any = None
        #: the running mock server, if any
        self.mock: Any = None
        #: where the CLI writes the package after a verb that changes the connector, and
        #: where it was written (verbs show it as ``-> PATH``); None in the notebook
        self.target: Path | None = None
        self.written: Path | None = None
        self._atexit = False

    # -- what a face does its own way ---------------------------------------------------

    def say(self, text: str) -> None:
        """Show a line of text to the user."""
        print(text, flush=True)

    def warn(self, text: str) -> None:
        """Show a warning (the CLI: on stderr)."""
        print(text, file=sys.stderr)

    def progress_for(self, total: int) -> Any:
        """The progress callback of a test run of ``total`` endpoints (None: the default)."""
        return None

    def show_link(self, url: str) -> None:
        """Show the OAuth2 authorization link."""
        self.say(f"Open this URL in a browser to authorize:\n{url}")

    def paste(self) -> str:
        """Ask for the URL the browser lands on after an OAuth2 approval."""
        return input("Paste the URL the browser shows after you approve: ")

    def no_connector_text(self) -> str:
        return ("There is no current connector; start one with new NAME, import SPEC or "
                "load PATH.")

    # -- the connector --------------------------------------------------------------------

    def require(self) -> Connector:
        """The current connector, or a usage error saying how to get one."""
        if self.connector is None:
            from .table import usage_error

            raise usage_error(self.no_connector_text())
        return self.connector

    def set_connector(self, connector: Connector | None, package: Path | None = None) -> None:
        """Make ``connector`` current (stopping a running mock) and remember its package."""
        self.stop_mock()
        self.connector = connector
        self.package_path = package
        self.last_report = None

    # -- the mock ---------------------------------------------------------------------------

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

    # -- testing ----------------------------------------------------------------------------

    def _verify_for(self, connector: Connector, connection: str | None) -> Any:
        """The mock's SSL context when the connection points at a running TLS mock."""
        mock = self.mock
        if mock is None or not mock.running or not mock.tls:
            return True
        from ..auth.flows import find_connection

        try:
            conn = find_connection(connector, connection)
        except NbConnectError:
            return True
        return mock.verify if conn.base_url.startswith(mock.root_url) else True

    def run_tests(self, ids: list[str] | None, *, params: dict[str, Any] | None = None,
                  connection: str | None = None, record: bool = False,
                  replay: bool = False, concurrency: int | None = None,
                  timeout: float | None = None, generate: bool = False,
                  progress: Any = None) -> Any:
        """Test endpoints ``ids`` (None: all) of the current connector; returns the report.

        ``generate``: a required parameter with no value anywhere gets one generated from
        its schema.

        ``record``/``replay`` use the cassettes of the connector's package; the report is
        saved into that package.
        """
        from .grammar import check_param_names

        connector = self.require()
        endpoints = connector.endpoints if ids is None else \
            tuple(connector.endpoint(i) for i in ids)
        params = dict(params or {})
        if params:
            check_param_names(endpoints, params)
        verify = self._verify_for(connector, connection)
        transport = None
        if record or replay:
            transport = self._transport(connector, record=record, verify=verify)
        report = connector.test(ids, connection=connection, params=params or None,
                                concurrency=concurrency, timeout=timeout,
                                generate=generate, progress=progress, transport=transport,
                                verify=verify)
        self.last_report = report
        if self.package_path is not None:
            from ..package.format import save_report

            try:
                save_report(self.package_path, report)
            except (NbConnectError, OSError) as exc:
                self.warn(f"The report was not saved into the package ({exc}).")
            from ..pull.samples import save as save_samples

            try:  # the kept response bodies, for a later pull
                save_samples(connector, self.package_path,
                             [r.endpoint_id for r in report.results])
            except (NbConnectError, OSError) as exc:
                self.warn(f"The response samples were not saved into the package ({exc}).")
        return report

    def _transport(self, connector: Connector, *, record: bool, verify: Any) -> Any:
        flag = "--record" if record else "--replay"
        if self.package_path is None:
            raise TestRunError(f"{flag} keeps its cassettes in the connector's package, and "
                               "this connector has none yet; export it first, or load a "
                               "package, then test again.")
        from ..testing.cassettes import CassetteStore, RecordingTransport, ReplayTransport

        store = CassetteStore.for_package(self.package_path, connector)
        if not record:
            return ReplayTransport(store)
        if store.directory is None:
            raise ConnectorError(f"--record writes cassettes into a package directory, and "
                                 f"{self.package_path} is a .zip; export the connector to a "
                                 "directory and record there.")
        return RecordingTransport(None, store, verify=verify)
