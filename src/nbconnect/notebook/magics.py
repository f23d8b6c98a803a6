"""The ``%connect`` / ``%%connect`` magics and the IPython extension hooks.

``load_ipython_extension`` registers one :class:`ConnectMagics` object per shell (a
second load does nothing), the ``NbConnect`` settings object behind ``%config`` and the
display formatters. The magic hands ``VERB ARGS`` to :class:`~.commands.Session` and
turns user errors into plain :class:`~IPython.core.error.UsageError` instances, which
IPython prints as one line without a traceback: the sentence, the ``--flag`` the error's
``option`` names, and for a usage error the ``%connect help VERB`` to read.
"""

from __future__ import annotations

import re
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from traitlets import TraitError

from ..errors import NbConnectError, VerbUsageError
from ..model import Connector
from .commands import Session
from .config import NbConnect
from .display import register_formatters, unregister_formatters

__all__ = [
    "ConnectMagics",
    "current_connector",
    "error_text",
    "load_ipython_extension",
    "unload_ipython_extension",
    "usage_error",
]


def usage_error(message: str) -> UsageError:
    """A plain ``UsageError`` carrying ``message``.

    It must be an instance of ``UsageError`` itself: IPython prints a subclass with a
    full traceback, and the class itself as one line.
    """
    return UsageError(message)


_VARIABLE_RE = re.compile(r"\$(\$|[A-Za-z_][A-Za-z0-9_]*)")


def _expand_variables(line: str, namespace: dict[str, Any]) -> str:
    """Replace ``$name`` by ``str(namespace[name])`` (``$$`` is a literal ``$``).

    As in IPython, the value goes in as written: quote it (``"$title"``) if it may
    contain blanks. IPython's own expansion would also evaluate ``{...}``, which would
    break endpoint paths such as ``/users/{id}``; undefined names are left as written.
    """

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "$":
            return "$"
        if name in namespace:
            return str(namespace[name])
        return match.group(0)

    return _VARIABLE_RE.sub(one, line)


def error_text(exc: NbConnectError) -> str:
    """The magic's text for an error: the sentence with the ``--flag`` from ``exc.option``,
    for a usage error the verb and its help, then the detail lines."""
    from ..verbs.table import hinted

    message = hinted(exc)
    if isinstance(exc, VerbUsageError) and getattr(exc, "verb", ""):
        verb = exc.verb  # type: ignore[attr-defined]
        message = f"%connect {verb}: {message.rstrip('.')}; see `%connect help {verb}`."
    return "\n".join([message, *(f"  {d}" for d in exc.details)])


#: objects a magic just returned whose own message was already printed (a running mock):
#: shown as nothing until the cell ends, so the raw repr does not repeat the message
_ANNOUNCED: list[Any] = []


def _clear_announced(*_args: Any) -> None:
    _ANNOUNCED.clear()


def _show_mock(mock: Any) -> None:
    """The display of a MockServer: nothing right after ``%connect mock`` said where it
    runs, else its repr."""
    if any(mock is seen for seen in _ANNOUNCED):
        return
    from IPython.display import display

    display({"text/plain": repr(mock)}, raw=True)


def _shown(result: Any) -> Any:
    """The magic's result as shown: a path as the path (not ``PosixPath('...')``), a mock
    already announced by its message as nothing."""
    from pathlib import Path, PurePath

    if isinstance(result, PurePath) and not isinstance(result, _ShownPath):
        return _ShownPath(result) if isinstance(result, Path) else result
    if type(result).__name__ == "MockServer":
        _ANNOUNCED.append(result)
    return result


def _shown_path_class() -> type:
    from pathlib import Path

    class ShownPath(type(Path())):  # type: ignore[misc]
        """A path a verb wrote or read, shown as the path itself."""

        def __repr__(self) -> str:
            return str(self)

        def _repr_pretty_(self, p: Any, cycle: bool) -> None:
            p.text(str(self))

    return ShownPath


_ShownPath = _shown_path_class()


def _os_error_text(exc: OSError) -> str:
    what = exc.strerror or str(exc)
    return f"{what}: {exc.filename}" if exc.filename else what


@magics_class
class ConnectMagics(Magics):
    """``%connect VERB ARGS`` and ``%%connect VERB ARGS`` (``%connect help`` lists verbs)."""

    def __init__(self, shell: Any, settings: NbConnect) -> None:
        super().__init__(shell)
        self.settings = settings
        self.session = Session(settings, shell)

    @property
    def connector(self) -> Connector | None:
        """The current connector (``None`` before ``new``, ``import`` or ``load``)."""
        return self.session.connector

    @connector.setter
    def connector(self, value: Connector | None) -> None:
        self.session.connector = value

    @no_var_expand
    @line_cell_magic
    def connect(self, line: str, cell: str | None = None) -> Any:
        """Build an HTTP API connector: ``%connect help`` lists the verbs.

        ``{braces}`` are left alone (endpoint paths use them); ``$name`` is replaced by
        the value of the notebook variable ``name``, when there is one.
        """
        line = _expand_variables(line, self.shell.user_ns if self.shell else {})
        try:
            return _shown(self.session.run(line, cell))
        except NbConnectError as exc:
            raise usage_error(error_text(exc)) from None
        except OSError as exc:
            raise usage_error(_os_error_text(exc)) from None


def _registered(shell: Any) -> ConnectMagics | None:
    found = shell.magics_manager.registry.get(ConnectMagics.__name__)
    return found if isinstance(found, ConnectMagics) else None


def current_connector(shell: Any = None) -> Connector | None:
    """The current ``%connect`` connector of ``shell`` (default: the running shell)."""
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    magics = _registered(shell) if shell is not None else None
    return magics.connector if magics is not None else None


def load_ipython_extension(shell: Any) -> None:
    """Register ``%connect``, ``NbConnect`` settings and formatters (twice is safe)."""
    if _registered(shell) is not None:
        return
    try:
        settings = NbConnect(parent=shell)
    except TraitError as exc:  # a bad `%config NbConnect...` value kept in shell.config
        print(f"nbconnect: ignoring the NbConnect settings in the IPython config ({exc}); "
              "using the defaults.")
        settings = NbConnect()
    shell.configurables.append(settings)
    shell.register_magics(ConnectMagics(shell, settings))
    register_formatters(shell)
    from .live import check_all

    if check_all not in shell.events.callbacks["post_execute"]:
        shell.events.register("post_execute", check_all)
        shell.events.register("post_execute", _clear_announced)
    shell.display_formatter.ipython_display_formatter.for_type_by_name(
        "nbconnect.mock.server", "MockServer", _show_mock)


def unload_ipython_extension(shell: Any) -> None:
    """Remove everything :func:`load_ipython_extension` registered."""
    magics = _registered(shell)
    if magics is None:
        return
    manager = shell.magics_manager
    manager.registry.pop(ConnectMagics.__name__, None)
    for kind in ("line", "cell"):
        if getattr(manager.magics[kind].get("connect"), "__self__", None) is magics:
            del manager.magics[kind]["connect"]
    shell.configurables[:] = [c for c in shell.configurables if c is not magics.settings]
    unregister_formatters(shell)
    from .live import check_all

    if check_all in shell.events.callbacks["post_execute"]:
        shell.events.unregister("post_execute", check_all)
        shell.events.unregister("post_execute", _clear_announced)
    shell.display_formatter.ipython_display_formatter.deferred_printers.pop(
        ("nbconnect.mock.server", "MockServer"), None)
    for cls in list(shell.display_formatter.ipython_display_formatter.type_printers):
        if cls.__name__ == "MockServer":
            shell.display_formatter.ipython_display_formatter.type_printers.pop(cls, None)
