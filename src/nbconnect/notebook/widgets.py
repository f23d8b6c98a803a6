"""ipywidgets forms of the notebook face: the re-import overwrite confirmation."""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as widgets

from ..errors import NbConnectError
from ..model import Connector

__all__ = ["OverwriteConfirmation"]


class OverwriteConfirmation(widgets.VBox):
    """Asks before a re-import replaces every endpoint of a connector.

    Shown by ``%connect import`` when the connector already has endpoints and
    ``--overwrite`` was not given. The spec has already been read and checked: clicking
    **Upload & overwrite** applies that :class:`~nbconnect.spec.importer.ImportResult` with
    ``Connector.apply_import(result, overwrite=True)``; **Cancel** leaves the connector
    unchanged. The outcome appears in :attr:`status` and in :attr:`outcome`
    (``"pending"``, ``"imported"``, ``"cancelled"`` or ``"failed"``).
    """

    def __init__(self, connector: Connector, result: Any, **kwargs: Any) -> None:
        self.connector = connector
        self.result = result
        self.outcome = "pending"
        n_old = len(connector.endpoints)
        n_new = len(result.endpoints)
        title = result.title or "the spec"
        self.message = widgets.HTML(
            f"This will overwrite {n_old:,} endpoint{'' if n_old == 1 else 's'} of "
            f"connector <b>{escape(connector.name)}</b> with the {n_new:,} "
            f"endpoint{'' if n_new == 1 else 's'} of <b>{escape(title)}</b>. "
            "Every endpoint definition is replaced.")
        self.upload_button = widgets.Button(description="Upload & overwrite",
                                            button_style="danger", icon="upload")
        self.cancel_button = widgets.Button(description="Cancel")
        self.status = widgets.Label("")
        self.upload_button.on_click(self._upload)
        self.cancel_button.on_click(self._cancel)
        super().__init__(children=(
            self.message,
            widgets.HBox((self.upload_button, self.cancel_button)),
            self.status,
        ), **kwargs)

    def __repr__(self) -> str:
        return (f"OverwriteConfirmation(connector={self.connector.name!r}, "
                f"endpoints={len(self.connector.endpoints)}, "
                f"new_endpoints={len(self.result.endpoints)}, outcome={self.outcome!r})")

    def _finish(self, outcome: str, text: str) -> None:
        self.outcome = outcome
        self.status.value = text
        self.upload_button.disabled = True
        self.cancel_button.disabled = True

    def _upload(self, _button: Any = None) -> None:
        if self.outcome != "pending":
            return
        try:
            self.connector.apply_import(self.result, overwrite=True)
        except NbConnectError as exc:
            self._finish("failed", f"Not imported: {exc}")
            return
        n = len(self.connector.endpoints)
        self._finish("imported", f"Imported: connector {self.connector.name!r} now has "
                                 f"{n:,} endpoint{'' if n == 1 else 's'}.")

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
