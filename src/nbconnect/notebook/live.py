"""One live connector, many views: a traitlets object per connector that views observe.

The core :class:`~nbconnect.model.Connector` is plain data with no events, so the notebook
face watches it: :func:`live` gives the one :class:`LiveConnector` of a connector, whose
``revision`` trait goes up when the connector changed. Views ``observe`` it (as ipywidgets
views observe traits) and redraw. A change is noticed

* at once when a form or the magic says so (:func:`changed`), and
* after every cell (an IPython ``post_execute`` hook, :func:`check_all`), for changes made
  from code: ``c.base_url = ...``, ``c.import_spec(...)``, ``c.add_endpoint(...)``.

A change is found by comparing a snapshot of the connector's fields by identity (each
field is an immutable value that an assignment replaces), so checking costs microseconds.
"""

from __future__ import annotations

import weakref
from typing import Any

from traitlets import HasTraits, Int

__all__ = ["LiveConnector", "changed", "check_all", "live"]

_FIELDS = ("name", "base_url", "auth", "endpoints", "connections", "description", "schemas",
           "links", "mcp_servers", "webhooks")
_LIVE: dict[int, LiveConnector] = {}


def _snapshot(connector: Any) -> tuple[Any, ...]:
    fields = [getattr(connector, f, None) for f in _FIELDS]
    return (*fields, len(getattr(connector, "test_values", {}) or {}))


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return all(x is y or (isinstance(x, str | int) and x == y)
               for x, y in zip(a, b, strict=True))


class LiveConnector(HasTraits):
    """The observable side of one connector: ``revision`` counts the changes seen.

    ``last_change`` names what changed (``"endpoints"``, ``"base_url"``, ... or
    ``"import"``); observe ``revision`` to redraw.
    """

    revision = Int(0)

    def __init__(self, connector: Any) -> None:
        super().__init__()
        self._ref = weakref.ref(connector) if _weakrefable(connector) else lambda: connector
        self._snap = _snapshot(connector)
        self.last_change = ""

    @property
    def connector(self) -> Any:
        return self._ref()

    def check(self, what: str = "") -> bool:
        """Bump ``revision`` when the connector changed since the last check; True if so."""
        connector = self.connector
        if connector is None:
            return False
        snap = _snapshot(connector)
        if _same(snap, self._snap) and not what:
            return False
        diff = [f for f, a, b in zip(_FIELDS, snap, self._snap, strict=False) if a is not b]
        self._snap = snap
        self.last_change = what or ", ".join(diff) or "test values"
        self.revision += 1
        return True


def _weakrefable(obj: Any) -> bool:
    try:
        weakref.ref(obj)
    except TypeError:
        return False
    return True


def live(connector: Any) -> LiveConnector:
    """The one :class:`LiveConnector` of ``connector`` (made on first use)."""
    found = _LIVE.get(id(connector))
    if found is None or found.connector is not connector:
        found = _LIVE[id(connector)] = LiveConnector(connector)
    return found


def changed(connector: Any, what: str = "") -> None:
    """Tell every view of ``connector`` that it changed (``what``: a word for the change)."""
    found = _LIVE.get(id(connector))
    if found is not None and found.connector is connector:
        found.check(what)


def check_all(*_args: Any) -> None:
    """Check every watched connector (the ``post_execute`` hook); forget dead ones."""
    for key, item in list(_LIVE.items()):
        if item.connector is None:
            _LIVE.pop(key, None)
        else:
            item.check()
