"""The notebook face of the verb table: one :class:`Session` per IPython shell runs
``%connect VERB ARGS`` (and ``%%connect VERB`` with the cell body as the verb's YAML
argument) on the session's connector.

Parsing, validation and messages come from :mod:`nbconnect.verbs.table`, the same as the CLI;
what is the notebook's own is small: the session is the workspace (the current connector
stays between cells), a verb's result is returned as the object it made (rich display), a
verb that asks for a form gets its widget (:data:`FORMS`), a listing its view (:data:`VIEWS`),
and ``--json`` prints the JSON text instead. Usage problems raise
:class:`~nbconnect.errors.VerbUsageError`; the magic (``magics.py``) prints every error as one
line.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any

from ..verbs import table
from ..verbs.workspace import Workspace

__all__ = ["FORMS", "PLANNED_VERBS", "VIEWS", "Session"]

#: Verbs of the design that later work adds (they get a "not built yet" message).
PLANNED_VERBS: frozenset[str] = frozenset()

def _show_link(url: str) -> None:
    """Show the authorization link: a clickable link in a notebook, text otherwise."""
    from html import escape

    from IPython.display import HTML, display

    print(f"Open this URL in a browser to authorize:\n{url}")
    display(HTML(f'<a href="{escape(url, quote=True)}" target="_blank" '
                 'rel="noopener noreferrer">Authorize in the browser</a>'))


def _no_progress(done: int, total: int, result: Any) -> None:
    """A progress callback that shows nothing (no tqdm bar inside a notebook cell)."""


def _auth_form(session: Session, data: dict[str, Any]) -> Any:
    from .forms import AuthForm

    return AuthForm(data["connector"])


def _connection_form(session: Session, data: dict[str, Any]) -> Any:
    from .forms import ConnectionForm

    return ConnectionForm(data["connector"])


def _test_panel(session: Session, data: dict[str, Any]) -> Any:
    from .testpanel import TestPanel

    def run(ids: list[str] | None, progress: Any, **options: Any) -> Any:
        return session.run_tests(ids, progress=progress, **options)

    return TestPanel(data["connector"], run)


def _overwrite_dialog(session: Session, data: dict[str, Any]) -> Any:
    from .widgets import OverwriteConfirmation

    mock = getattr(session, "mock", None)
    restart = None
    if mock is not None and getattr(mock, "running", False):
        def restart() -> str:
            from ..verbs.mock import restart_mock

            return restart_mock(session, data["connector"]) or ""

    return OverwriteConfirmation(data["connector"], data["result"], restart_mock=restart)


def _webhook_form(data: dict[str, Any]) -> Any:
    from .webhookform import WebhookForm

    return WebhookForm(data["connector"])


#: form name (``Verb.form``) -> the widget the notebook opens
FORMS: dict[str, Callable[[Session, dict[str, Any]], Any]] = {
    "auth": _auth_form,
    "connection": _connection_form,
    "test-panel": _test_panel,
    "overwrite": _overwrite_dialog,
    "webhook": lambda session, data: _webhook_form(data),
    "mcp": lambda session, data: _mcpview().McpForm(data["connector"],
                                                    open_url=session.show_link),
    "mcp-serve": lambda session, data: _mcpview().McpServeForm(data["connector"]),
    "mcp-call": lambda session, data: _mcpview().McpCallForm(data["connector"],
                                                             open_url=session.show_link),
    "link": lambda session, data: _linkview().link_form(session, data),
    "params": lambda session, data: _linkview().param_form(session, data),
    "paging": lambda session, data: _paging_form(session, data),
    "endpoint": lambda session, data: _endpoint_form(data),
    "spec": lambda session, data: _spec_form(session),
}


def _spec_form(session: Session) -> Any:
    from .specform import SpecForm

    return SpecForm(session)


def _endpoint_form(data: dict[str, Any]) -> Any:
    from .endpointform import EndpointForm

    return EndpointForm(data["connector"], data.get("endpoint"))


def _paging_form(session: Session, data: dict[str, Any]) -> Any:
    from .pagingform import PagingForm

    return PagingForm(data["connector"], data.get("endpoint"), verify=session._verify_for)


def _mcpview() -> Any:
    from . import mcpview

    return mcpview


def _linkview() -> Any:
    from . import linkview

    return linkview


def _connections_view(session: Session, result: Any) -> Any:
    from .display import ConnectionTable

    return ConnectionTable(result, title=session.require().name)


def _endpoints_view(session: Session, result: Any) -> Any:
    from .display import EndpointTable

    return EndpointTable(result, title=session.require().name)


def _pull_view(session: Session, result: Any) -> Any:
    from .pullview import PullView

    return PullView(result, session.require())


def _webhook_events_view(session: Session, result: Any) -> Any:
    from .eventtable import EventTable

    return EventTable(result)


#: view name (``Verb.view``) -> the displayable object the magic returns
VIEWS: dict[str, Callable[[Session, Any], Any]] = {
    "connections": _connections_view,
    "endpoints": _endpoints_view,
    "pull": _pull_view,
    "webhook-events": _webhook_events_view,
    "mcp-servers": lambda session, result: _mcpview().McpServersView(result),
    "mcp-check": lambda session, result: _mcpview().McpCheckView(result),
    "mcp-result": lambda session, result: _mcpview().ToolResultView(result),
    "options": lambda session, result: _linkview().options_view(session, result),
    "link-graph": lambda session, result: _linkview().graph_view(session, result),
}


class Session(Workspace):
    """The state of ``%connect`` in one IPython shell: the workspace the verbs run on.

    ``%connect new`` replaces the current connector, ``%connect load`` sets it, and
    ``%connect import`` creates one (named from the spec's title) when there is none.
    """

    face = "magic"
    forms = True
    background = True

    def __init__(self, settings: Any, shell: Any = None) -> None:
        super().__init__(settings)
        self.shell = shell
        #: the ProgressBar of the last ``%connect test`` of several endpoints in a notebook
        self.progress: Any = None

    # -- the notebook's own ways -----------------------------------------------------------

    def warn(self, text: str) -> None:
        print(text)

    def no_connector_text(self) -> str:
        return ("There is no current connector; start one with `%connect new NAME`, "
                "`%connect import SPEC` or `%connect load PATH`.")

    def show_link(self, url: str) -> None:
        _show_link(url)

    def in_notebook(self) -> bool:
        """True when the shell runs in a kernel (widgets can show)."""
        return getattr(self.shell, "kernel", None) is not None

    def progress_for(self, total: int) -> Any:
        if total > 1 and self.in_notebook():
            from IPython.display import display

            from .testpanel import ProgressBar

            self.progress = ProgressBar(total)
            display(self.progress)
            return self.progress
        return _no_progress

    def run_tests(self, ids: list[str] | None, **options: Any) -> Any:
        if options.get("progress") is None:
            options["progress"] = _no_progress
        return super().run_tests(ids, **options)

    # -- running a line --------------------------------------------------------------------

    def run(self, line: str, cell: str | None = None) -> Any:
        """Run ``%connect LINE`` (``%%connect LINE`` with ``cell`` as the body)."""
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise table.usage_error(f"The command line could not be split ({exc}); check "
                                    "the quotes.") from None
        if not words:
            words = ["help"]
        if words[0] in PLANNED_VERBS:
            raise table.usage_error(f"`%connect {words[0]}` is not built yet; `%connect "
                                    "help` lists the verbs that are.")
        verb, rest = table.find_verb(words, "magic", cell=cell is not None)
        args = table.parse(verb, rest, "magic", cell=cell)
        if args is None:  # --help printed the verb's usage
            return None
        result = table.dispatch(verb, self, args)
        if isinstance(result, table.FormRequest):
            return FORMS[result.form](self, result.data)
        if getattr(args, "json", False) and verb.text is not None:
            print(verb.text(result, args, self))
            return None
        if verb.view is not None:
            return VIEWS[verb.view](self, result)
        return result
