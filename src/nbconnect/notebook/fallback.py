"""Static fallbacks for widget outputs: a widget shown with its last state as HTML, JSON
and text in the same display, kept current with ``update_display``.

JupyterLab does not save widget state by default, so a reopened notebook has no widget
model for a view and shows "model not found". A :class:`StaticFallback` widget is
displayed (``_ipython_display_``) as one ``display_data`` carrying the widget view
(``application/vnd.jupyter.widget-view+json``) beside ``text/html``,
``application/vnd.nbconnect.view+json`` (:data:`VIEW_MIME`) and ``text/plain``, under a
``display_id``; :meth:`StaticFallback.refresh_fallback` sends an ``update_display_data``
with the current state whenever the view changes, so the saved output always holds the
last state. The lab extension renders the fallback when the widget model is missing.

:func:`status_html` is the one look of a form's message (wrapped; errors red).
"""

from __future__ import annotations

import itertools
import os
from html import escape
from typing import Any

__all__ = ["VIEW_MIME", "WIDGET_MIME", "StaticFallback", "output_of", "status_html"]

#: The MIME type of a view's JSON state (``{"view": class name, ...}``).
VIEW_MIME = "application/vnd.nbconnect.view+json"
#: The widget view MIME type of ipywidgets 8.
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

_counter = itertools.count(1)

_STATUS_STYLE = (
    "<style>.nbconnect-status{white-space:normal;overflow-wrap:anywhere;margin:4px 0;"
    "line-height:1.4}.nbconnect-status-error{color:var(--jp-error-color1,#c62828);"
    "border-left:3px solid var(--jp-error-color1,#c62828);padding-left:6px;"
    "background:var(--jp-error-color3,#fdecea)}"
    ".nbconnect-status-ok{color:var(--jp-success-color1,#2e7d32)}</style>")


def status_html(text: str, kind: str = "info") -> str:
    """The HTML of a form's message: ``kind`` is ``"info"``, ``"ok"`` or ``"error"``.

    The text wraps (no cut-off labels); an error is red with a bar and ``role="alert"``.
    Empty ``text`` gives ``""``.
    """
    if not text:
        return ""
    role = ' role="alert"' if kind == "error" else ""
    return (f"{_STATUS_STYLE}<div class=\"nbconnect-status nbconnect-status-{kind}\"{role}>"
            f"{escape(text)}</div>")


def output_of(bundle: dict[str, Any]) -> dict[str, Any]:
    """One ``display_data`` output (nbformat shape) for an ``Output`` widget's ``outputs``."""
    return {"output_type": "display_data", "data": bundle, "metadata": {}}


class StaticFallback:
    """Mixin for an ipywidgets ``DOMWidget`` shown with a static fallback of its state.

    Subclasses give :meth:`fallback_html` and :meth:`fallback_state` (JSON-able, no
    secrets); ``text/plain`` is ``repr(self)``. Call :meth:`refresh_fallback` after each
    change of what the view shows.
    """

    _fallback_display_id: str | None = None

    def fallback_html(self) -> str:
        """The view's last state as HTML."""
        return f"<pre>{escape(repr(self))}</pre>"

    def fallback_state(self) -> dict[str, Any]:
        """The view's last state as JSON (``{"view": ...}`` plus the view's own keys)."""
        return {}

    def fallback_bundle(self) -> dict[str, Any]:
        """``{mime: data}`` of the static fallback (no widget view)."""
        state = {"view": type(self).__name__, **self.fallback_state()}
        return {"text/plain": repr(self), "text/html": self.fallback_html(),
                VIEW_MIME: state}

    def mimebundle(self) -> dict[str, Any]:
        """The whole display: the widget view and the static fallback."""
        bundle = self.fallback_bundle()
        model_id = getattr(self, "model_id", None)
        if model_id:
            bundle[WIDGET_MIME] = {"version_major": 2, "version_minor": 0,
                                   "model_id": model_id}
        return bundle

    @property
    def display_id(self) -> str:
        """The display id every display of this view shares (updates reach them all)."""
        if self._fallback_display_id is None:
            self._fallback_display_id = f"nbconnect-{os.getpid()}-{next(_counter)}"
        return self._fallback_display_id

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.mimebundle(), raw=True, display_id=self.display_id)

    def refresh_fallback(self) -> None:
        """Send the current state to every display of this view (a no-op before the first)."""
        if self._fallback_display_id is None:
            return
        from IPython.display import update_display

        update_display(self.mimebundle(), raw=True, display_id=self._fallback_display_id)
