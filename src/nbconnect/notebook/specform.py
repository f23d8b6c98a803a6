"""The spec form (``%connect import`` without a source): upload a file (FileUpload), or give
a URL or the spec's text, **Read** it, preview its operations with a checkbox per tag and
a filter, the endpoint limit shown live, then **Import** (with the overwrite confirmation
when the connector already has endpoints).

It reads and imports through the verbs' own calls (:func:`nbconnect.verbs.spec.preview_spec`,
:func:`~nbconnect.verbs.spec.read_spec`), so it accepts and refuses what ``import`` does.
"""

from __future__ import annotations

import argparse
from html import escape
from typing import Any

import ipywidgets as widgets

from .. import limits
from ..errors import NbConnectError
from .fallback import StaticFallback, status_html

__all__ = ["SpecForm"]

_STYLE = {"description_width": "7em"}
_ROWS_SHOWN = 40
#: form field label for each option an error may name
_LABELS = {"tags": "tag boxes", "include": "filter", "exclude": "filter",
           "lenient": "lenient box", "max_bytes": "source (too big)"}


class SpecForm(StaticFallback, widgets.VBox):
    """Read a spec, choose its operations by tag and filter, import them.

    ``session`` is the notebook's workspace (its settings, its current connector).
    :attr:`preview` is the :class:`~nbconnect.verbs.spec.SpecPreview` read;
    :attr:`outcome` ``"pending"``, ``"imported"``, ``"confirm"`` (the overwrite
    confirmation is shown: :attr:`confirmation`) or ``"failed"``.
    """

    def __init__(self, session: Any, **kwargs: Any) -> None:
        self.session = session
        self.preview: Any = None
        self.result: Any = None
        self.confirmation: Any = None
        self.outcome = "pending"
        self.message, self.message_kind = "", "info"
        self.upload = widgets.FileUpload(accept=".yaml,.yml,.json", multiple=False,
                                         description="Upload a spec", layout={"width": "auto"})
        self.url = widgets.Text(description="or a URL", style=_STYLE,
                                placeholder="https://api.example.com/openapi.json",
                                layout={"width": "40em"})
        self.text = widgets.Textarea(description="or the text", style=_STYLE,
                                     placeholder="openapi: 3.1.0 ...",
                                     layout={"width": "40em", "height": "6em"})
        self.read_button = widgets.Button(description="Read", icon="search",
                                          layout={"width": "auto"})
        self.summary = widgets.HTML()
        self.tag_boxes: dict[str, widgets.Checkbox] = {}
        self.tags_box = widgets.Box(layout={"flex_flow": "row wrap"})
        self.filter = widgets.Text(description="filter", style=_STYLE,
                                   placeholder="regular expression on path or operationId",
                                   layout={"width": "40em"})
        self.lenient = widgets.Checkbox(description="lenient (skip what cannot be read)",
                                        indent=False, layout={"width": "auto"},
                                        value=bool(session.settings.lenient))
        self.count = widgets.HTML()
        self.operations = widgets.HTML()
        self.import_button = widgets.Button(description="Import", button_style="primary",
                                            icon="download", disabled=True,
                                            layout={"width": "auto"})
        self.status = widgets.HTML()
        self.after = widgets.VBox()
        self.read_button.on_click(self._read)
        self.upload.observe(self._read, names="value")
        self.filter.observe(self._selection_changed, names="value")
        self.import_button.on_click(self._import)
        super().__init__(children=(
            widgets.HTML("Import an OpenAPI 3.x spec"
                         + (f" into connector <b>{escape(session.connector.name)}</b>"
                            if session.connector is not None else "")),
            self.upload, self.url, self.text, self.read_button, self.summary, self.tags_box,
            self.filter, self.lenient, self.count, self.operations, self.import_button,
            self.status, self.after), **kwargs)

    def __repr__(self) -> str:
        shown = "none" if self.preview is None else repr(self.preview.title)
        return f"SpecForm(spec={shown}, outcome={self.outcome!r})"

    # -- the static fallback ---------------------------------------------------------------

    def fallback_html(self) -> str:
        parts = [self.summary.value, self.count.value,
                 status_html(self.message, self.message_kind)]
        return ("<div class=\"nbconnect-form-fallback\"><div>Import an OpenAPI 3.x spec"
                f"</div>{''.join(parts)}</div>")

    def fallback_state(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "message": self.message,
                "spec": None if self.preview is None else self.preview.title,
                "tags": self.chosen_tags()}

    def say(self, text: str, kind: str = "info") -> None:
        self.message, self.message_kind = text, kind
        self.status.value = status_html(text, kind)
        self.refresh_fallback()

    # -- reading ---------------------------------------------------------------------------

    def source(self) -> Any:
        """What to read: the uploaded file's bytes, else the URL, else the text (or None)."""
        value = self.upload.value
        if value:
            item = value[0] if isinstance(value, list | tuple) else next(iter(value.values()))
            return bytes(item["content"])
        if self.url.value.strip():
            return self.url.value.strip()
        if self.text.value.strip():
            return self.text.value.encode("utf-8")
        return None

    def _read(self, _change: Any = None) -> None:
        from ..verbs.spec import preview_spec

        source = self.source()
        if source is None:
            self.say("Give a spec first: upload a file, or type a URL or the spec's text.",
                     "error")
            return
        try:
            preview = preview_spec(self.session, source)
        except NbConnectError as exc:
            self.preview = None
            self.import_button.disabled = True
            self.say(f"Not read: {exc}", "error")
            return
        self.preview = preview
        title = " ".join(f"{preview.title} {preview.version}".split()) or "Untitled API"
        self.summary.value = (f"<b>{escape(title)}</b>: {len(preview.operations):,} "
                              f"operation{'' if len(preview.operations) == 1 else 's'}, "
                              f"{len(preview.tags):,} tag{'' if len(preview.tags) == 1 else 's'}")
        counts = {t: sum(t in op["tags"] for op in preview.operations) for t in preview.tags}
        self.tag_boxes = {}
        for tag in preview.tags:
            box = widgets.Checkbox(value=False, description=f"{tag} ({counts[tag]})",
                                   indent=False, layout={"width": "auto",
                                                         "margin": "0 1em 0 0"})
            box.observe(self._selection_changed, names="value")
            self.tag_boxes[tag] = box
        self.tags_box.children = tuple(self.tag_boxes.values())
        self.say("")
        self._selection_changed()

    # -- choosing --------------------------------------------------------------------------

    def chosen_tags(self) -> list[str]:
        return [t for t, box in self.tag_boxes.items() if box.value]

    def _selection_changed(self, _change: Any = None) -> None:
        if self.preview is None:
            return
        limit = limits.MAX_IMPORTED_ENDPOINTS
        try:
            kept = self.preview.select(self.chosen_tags(), self.filter.value.strip() or None)
        except NbConnectError as exc:
            self.count.value = status_html(_hinted(exc), "error")
            self.operations.value = ""
            self.import_button.disabled = True
            return
        n = len(kept)
        over = n > limit
        self.count.value = status_html(
            f"{n:,} of {len(self.preview.operations):,} operations selected; the limit is "
            f"{limit:,} endpoints" + (f": choose tags or a filter to bring it under {limit:,}."
                                      if over else "."), "error" if over else "info")
        rows = "".join(
            f"<tr><td>{escape(op['method'])}</td><td><code>{escape(op['path'])}</code></td>"
            f"<td>{escape(op['id'])}</td><td>{escape(', '.join(op['tags']))}</td></tr>"
            for op in kept[:_ROWS_SHOWN])
        more = (f"<p><i>... and {n - _ROWS_SHOWN:,} more</i></p>" if n > _ROWS_SHOWN else "")
        from .display import _STYLE as TABLE_STYLE

        self.operations.value = (
            f"{TABLE_STYLE}<table class=\"nbconnect-table\"><thead><tr><th>method</th>"
            f"<th>path</th><th>operationId</th><th>tags</th></tr></thead><tbody>{rows}"
            f"</tbody></table>{more}")
        self.import_button.disabled = over or n == 0 or self.outcome == "imported"

    # -- importing -------------------------------------------------------------------------

    def _import(self, _button: Any = None) -> None:
        from ..model import Connector
        from ..verbs.spec import connector_name, read_spec
        from .widgets import OverwriteConfirmation

        args = argparse.Namespace(tag=self.chosen_tags(),
                                  include=self.filter.value.strip() or None, exclude=None,
                                  lenient=self.lenient.value, max_bytes=None, timeout=None)
        try:
            result = read_spec(self.session, self.source(), args)
        except NbConnectError as exc:
            self.outcome = "failed"
            self.say(f"Not imported: {_hinted(exc)}", "error")
            return
        self.result = result
        self.session.last_import = result
        connector = self.session.connector
        if connector is not None and connector.endpoints:
            from .commands import FORMS

            self.confirmation = FORMS["overwrite"](self.session, {"connector": connector,
                                                                   "result": result})
            assert isinstance(self.confirmation, OverwriteConfirmation)
            self.after.children = (self.confirmation,)
            self.outcome = "confirm"
            self.say("The connector already has endpoints: confirm the overwrite below.")
            return
        if connector is None:
            connector = Connector(name=connector_name(None, result.title))
            connector.apply_import(result)
            self.session.set_connector(connector)
        else:
            connector.apply_import(result)
            from .live import changed

            changed(connector, "import")
        self.outcome = "imported"
        self.import_button.disabled = True
        n = len(connector.endpoints)
        self.say(f"Imported: connector {connector.name!r} now has {n:,} "
                 f"endpoint{'' if n == 1 else 's'}.", "ok")

    # -- the Python side of the buttons ----------------------------------------------------

    def read(self) -> None:
        """Do what the **Read** button does."""
        self.read_button.click()

    def import_spec(self) -> None:
        """Do what the **Import** button does."""
        self.import_button.click()


def _hinted(exc: NbConnectError) -> str:
    """The error's sentence with the form's own field where the CLI names a ``--flag``."""
    label = _LABELS.get(exc.option or "")
    text = str(exc).rstrip()
    return f"{text.rstrip('.')} (the {label})." if label else text
