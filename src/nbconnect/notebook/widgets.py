"""ipywidgets forms of the notebook face: the re-import overwrite confirmation.

The confirmation lists what the import changes (endpoints added, removed and kept;
description, base URL and auth, each kept or set), offers to restart a running mock so it
serves the new endpoints, and is shown with a static fallback (:mod:`.fallback`).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import ipywidgets as widgets

from ..errors import NbConnectError
from ..model import Connector
from .fallback import StaticFallback, status_html

__all__ = ["OverwriteConfirmation", "import_changes"]

_IDS_SHOWN = 8


def _ids(ids: list[str]) -> str:
    more = f" and {len(ids) - _IDS_SHOWN} more" if len(ids) > _IDS_SHOWN else ""
    return ", ".join(ids[:_IDS_SHOWN]) + more


def import_changes(connector: Connector, result: Any) -> list[tuple[str, str]]:
    """``[(what, how it changes)]`` when ``result`` is applied with overwrite, as
    ``Connector.apply_import`` does it: endpoints added/removed/kept (kept ids take the
    spec's definition), then description, base URL and auth (the connector's own stay)."""
    from ..render import auth_text

    old = [ep.id for ep in connector.endpoints]
    new = [ep.id for ep in result.endpoints]
    added = [i for i in new if i not in set(old)]
    removed = [i for i in old if i not in set(new)]
    kept = [i for i in new if i in set(old)]
    rows = []
    if added:
        rows.append((f"{len(added):,} added", _ids(added)))
    if removed:
        rows.append((f"{len(removed):,} removed", _ids(removed)))
    if kept:
        rows.append((f"{len(kept):,} replaced", _ids(kept) + " (the spec's definition)"))
    if connector.description:
        rows.append(("description", "kept (the connector's own)"))
    elif result.description:
        rows.append(("description", "set from the spec"))
    if connector.base_url:
        said = f"; the spec says {result.base_url}" if result.base_url and \
            result.base_url != connector.base_url else ""
        rows.append(("base URL", f"kept: {connector.base_url}{said}"))
    elif result.base_url:
        rows.append(("base URL", f"set: {result.base_url}"))
    if connector.auth is not None:
        said = f"; the spec suggests {auth_text(result.auth)}" if result.auth is not None \
            and result.auth != connector.auth else ""
        rows.append(("auth", f"kept: {auth_text(connector.auth)}{said}"))
    elif result.auth is not None:
        rows.append(("auth", f"set: {auth_text(result.auth)}"))
    return rows


class OverwriteConfirmation(StaticFallback, widgets.VBox):
    """Asks before a re-import replaces every endpoint of a connector.

    Shown by ``%connect import`` when the connector already has endpoints and
    ``--overwrite`` was not given. The spec has already been read and checked: clicking
    **Upload & overwrite** applies that :class:`~nbconnect.spec.importer.ImportResult` with
    ``Connector.apply_import(result, overwrite=True)``; **Cancel** leaves the connector
    unchanged. The outcome appears in :attr:`status` (:attr:`message` as text) and in
    :attr:`outcome` (``"pending"``, ``"imported"``, ``"cancelled"`` or ``"failed"``).
    ``restart_mock`` (given when a mock is running) restarts it after the import when the
    **restart the running mock** box is ticked (the default).
    """

    def __init__(self, connector: Connector, result: Any,
                 restart_mock: Callable[[], str] | None = None, **kwargs: Any) -> None:
        self.connector = connector
        self.result = result
        self.outcome = "pending"
        self.message, self.message_kind = "", "info"
        self._restart_mock = restart_mock
        self.changes = import_changes(connector, result)
        n_old = len(connector.endpoints)
        n_new = len(result.endpoints)
        title = result.title or "the spec"
        self.message_html = widgets.HTML(
            f"This will overwrite {n_old:,} endpoint{'' if n_old == 1 else 's'} of "
            f"connector <b>{escape(connector.name)}</b> with the {n_new:,} "
            f"endpoint{'' if n_new == 1 else 's'} of <b>{escape(title)}</b>. "
            "Every endpoint definition is replaced." + _changes_html(self.changes))
        self.restart_box = widgets.Checkbox(
            value=restart_mock is not None, indent=False, layout={"width": "auto"},
            description="restart the running mock so it serves the new endpoints")
        self.restart_box.layout.display = None if restart_mock is not None else "none"
        self.upload_button = widgets.Button(description="Upload & overwrite",
                                            button_style="danger", icon="upload",
                                            layout={"width": "auto"})
        self.cancel_button = widgets.Button(description="Cancel", layout={"width": "auto"})
        self.status = widgets.HTML("")
        self.upload_button.on_click(self._upload)
        self.cancel_button.on_click(self._cancel)
        super().__init__(children=(
            self.message_html, self.restart_box,
            widgets.HBox((self.upload_button, self.cancel_button)),
            self.status,
        ), **kwargs)

    def __repr__(self) -> str:
        return (f"OverwriteConfirmation(connector={self.connector.name!r}, "
                f"endpoints={len(self.connector.endpoints)}, "
                f"new_endpoints={len(self.result.endpoints)}, outcome={self.outcome!r})")

    def fallback_html(self) -> str:
        shown = status_html(self.message, self.message_kind) or \
            "<div><i>(not answered yet)</i></div>"
        return f"<div class=\"nbconnect-form-fallback\">{self.message_html.value}{shown}</div>"

    def fallback_state(self) -> dict[str, Any]:
        return {"connector": self.connector.name, "outcome": self.outcome,
                "message": self.message, "changes": [list(c) for c in self.changes]}

    def _finish(self, outcome: str, text: str) -> None:
        self.outcome = outcome
        self.message = text
        self.message_kind = {"failed": "error", "imported": "ok"}.get(outcome, "info")
        self.status.value = status_html(text, self.message_kind)
        self.upload_button.disabled = True
        self.cancel_button.disabled = True
        self.restart_box.disabled = True
        self.refresh_fallback()

    def _upload(self, _button: Any = None) -> None:
        if self.outcome != "pending":
            return
        try:
            self.connector.apply_import(self.result, overwrite=True)
        except NbConnectError as exc:
            self._finish("failed", f"Not imported: {exc}")
            return
        from .live import changed

        changed(self.connector, "import")
        n = len(self.connector.endpoints)
        text = (f"Imported: connector {self.connector.name!r} now has {n:,} "
                f"endpoint{'' if n == 1 else 's'}.")
        if self._restart_mock is not None and self.restart_box.value:
            try:
                text += " " + self._restart_mock()
            except (NbConnectError, OSError) as exc:
                text += f" The mock was not restarted: {exc}"
        elif self._restart_mock is not None:
            text += " The running mock still serves the old endpoints; restart it."
        self._finish("imported", text)

    def _cancel(self, _button: Any = None) -> None:
        if self.outcome != "pending":
            return
        self._finish("cancelled", f"Cancelled: connector {self.connector.name!r} is "
                                  "unchanged.")

    def confirm(self) -> None:
        """Do what the **Upload & overwrite** button does."""
        self.upload_button.click()

    def cancel(self) -> None:
        """Do what the **Cancel** button does."""
        self.cancel_button.click()


def _changes_html(changes: list[tuple[str, str]]) -> str:
    if not changes:
        return ""
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in changes)
    return ("<style>table.nbconnect-changes.nbconnect-changes td,table.nbconnect-changes"
            ".nbconnect-changes th{text-align:left;padding:1px 8px;vertical-align:top}</style>"
            f"<table class=\"nbconnect-changes nbconnect-table\">{rows}</table>")
