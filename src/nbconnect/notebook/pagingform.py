"""The paging form (``%connect paging`` without arguments): pick an endpoint, see the rule
stored on it, set the type and fields, **Detect** a rule from the spec (and, ticked, one
response), **Save** it or **Clear** it.

It goes through :mod:`nbconnect.paging.store` and :mod:`nbconnect.paging.detect` (what the
``paging`` verb calls), so it accepts and refuses exactly what the magics and the CLI do: a
refused rule shows its sentence in the form and leaves the connector unchanged. Its
``repr`` is short and deterministic; beside the widget view it carries a ``text/html``
fallback (the endpoint, the stored rule, the last message) for a reopened notebook without
widget state.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import ipywidgets as widgets

from ..errors import NbConnectError
from ..model import Connector
from ..model.paging import PAGING_TYPES

__all__ = ["PagingForm"]

_STYLE = {"description_width": "9em"}
_LAYOUT = {"width": "34em"}
_NONE = "(none)"
#: the rule's fields, in the order shown, with a placeholder each
_FIELDS = (
    ("param", "the request parameter that advances: cursor, offset, page"),
    ("field", "response path of the next cursor, link or page: meta.next"),
    ("limit_param", "the page-size request parameter: limit, per_page"),
    ("limit", "the page size to send (a whole number)"),
    ("total_field", "response path of the total item count: total"),
    ("start", "the first offset (0) or page number (1)"),
    ("items", "response path of the items (blank: found by shape)"),
)
_WHOLE = ("limit", "start")


def _label(name: str) -> str:
    return "next field" if name == "field" else name.replace("_", " ")


def _hint(exc: NbConnectError) -> str:
    text = str(exc).rstrip()
    if not exc.option:
        return text
    return f"{text.rstrip('.')} (the {_label(exc.option)} box)."


class PagingForm(widgets.VBox):
    """Show, set, detect or clear the paging rule of one of ``connector``'s endpoints.

    ``endpoint``: the endpoint first shown (default: the first). :meth:`save`,
    :meth:`detect` and :meth:`clear` do what the buttons do. :attr:`outcome` is
    ``"pending"``, ``"saved"``, ``"cleared"``, ``"detected"`` or ``"failed"``;
    :attr:`message` the last sentence shown. ``verify`` (a callable of the connector and a
    connection name, or a value) is what a detecting call passes to the HTTP client.
    """

    def __init__(self, connector: Connector, endpoint: str | None = None, *,
                 verify: Callable[[Connector, str | None], Any] | Any = True,
                 **kwargs: Any) -> None:
        self.connector = connector
        self.outcome = "pending"
        self.message = ""
        self._verify = verify
        ids = [e.id for e in connector.endpoints]
        self.endpoint = widgets.Dropdown(options=ids, description="endpoint", style=_STYLE,
                                         layout=_LAYOUT)
        if endpoint is not None and endpoint in ids:
            self.endpoint.value = endpoint
        self.stored = widgets.HTML()
        self.type = widgets.Dropdown(options=(_NONE, *PAGING_TYPES), value=_NONE,
                                     description="type", style=_STYLE)
        self.fields = {name: widgets.Text(description=_label(name), placeholder=hint,
                                          style=_STYLE, layout=_LAYOUT)
                       for name, hint in _FIELDS}
        self.call = widgets.Checkbox(value=False, indent=False,
                                     description="Detect also calls the endpoint once "
                                                 "(default connection)")
        self.save_button = widgets.Button(description="Save", button_style="primary",
                                          icon="check")
        self.detect_button = widgets.Button(description="Detect", icon="search")
        self.clear_button = widgets.Button(description="Clear", icon="times")
        self.status = widgets.HTML()
        self.save_button.on_click(self._save)
        self.detect_button.on_click(self._detect)
        self.clear_button.on_click(self._clear)
        self.endpoint.observe(self._endpoint_changed, names="value")
        super().__init__(children=(
            widgets.HTML(f"Paging rule of an endpoint of connector "
                         f"<b>{escape(connector.name)}</b>"),
            self.endpoint, self.stored, self.type, *self.fields.values(), self.call,
            widgets.HBox((self.save_button, self.detect_button, self.clear_button)),
            self.status), **kwargs)
        self._load()

    def __repr__(self) -> str:
        return (f"PagingForm(connector={self.connector.name!r}, "
                f"endpoint={self.endpoint.value!r}, outcome={self.outcome!r})")

    # -- state -----------------------------------------------------------------------------

    def _rule(self) -> Any:
        if not self.endpoint.value:
            return None
        return self.connector.endpoint(self.endpoint.value).paging

    def _stored_text(self) -> str:
        rule = self._rule()
        return "stored rule: " + (rule.describe() if rule is not None else "none")

    def _show_stored(self) -> None:
        self.stored.value = f"<code>{escape(self._stored_text())}</code>"

    def _fill(self, data: dict[str, Any]) -> None:
        self.type.value = data.get("type") or _NONE
        for name, box in self.fields.items():
            value = data.get(name)
            box.value = "" if value is None else str(value)

    def _load(self) -> None:
        rule = self._rule()
        self._fill(rule.to_dict() if rule is not None else {})
        self._show_stored()

    def _say(self, text: str, outcome: str) -> None:
        self.message = text
        self.outcome = outcome
        colour = "#b00020" if outcome == "failed" else "inherit"
        self.status.value = f'<span style="color:{colour}">{escape(text)}</span>'

    def _endpoint_changed(self, change: dict[str, Any]) -> None:
        self._load()
        self._say("", "pending")

    def rule_data(self) -> dict[str, Any]:
        """The rule the fields describe, as :meth:`PagingRule.to_dict` data (blank fields
        left out; whole-number fields given as typed, the rule checks them)."""
        data: dict[str, Any] = {} if self.type.value == _NONE else {"type": self.type.value}
        for name, box in self.fields.items():
            text = box.value.strip()
            if text:
                data[name] = int(text) if name in _WHOLE and text.isdigit() else text
        return data

    # -- what the buttons do ---------------------------------------------------------------

    def _save(self, _button: Any = None) -> None:
        from ..paging.store import set_paging

        if not self.endpoint.value:
            self._say("The connector has no endpoint; add or import one first.", "failed")
            return
        data = self.rule_data()
        if "type" not in data:
            self._say(f"Pick the paging type ({', '.join(PAGING_TYPES)}) before saving; "
                      "Clear removes the rule.", "failed")
            return
        try:
            rule = set_paging(self.connector, self.endpoint.value, data)
        except NbConnectError as exc:
            self._say(f"Not saved: {_hint(exc)}", "failed")
            return
        self._load()
        self._say(f"Saved: {rule.describe() if rule else 'no rule'}.", "saved")

    def _clear(self, _button: Any = None) -> None:
        from ..paging.store import set_paging

        if not self.endpoint.value:
            return
        set_paging(self.connector, self.endpoint.value, None)
        self._load()
        self._say(f"Cleared: endpoint {self.endpoint.value} has no paging rule now.",
                  "cleared")

    def _detect(self, _button: Any = None) -> None:
        from ..paging.detect import detect_paging

        if not self.endpoint.value:
            return
        options: dict[str, Any] = {}
        if self.call.value:
            verify = self._verify(self.connector, None) if callable(self._verify) \
                else self._verify
            options = {"verify": verify}
        try:
            found = detect_paging(self.connector, self.endpoint.value,
                                  call=bool(self.call.value), **options)
        except NbConnectError as exc:
            self._say(f"Not detected: {_hint(exc)}", "failed")
            return
        if found is None:
            where = "its spec and one response" if self.call.value else "its spec"
            self._say(f"No paging rule was detected for endpoint {self.endpoint.value} from "
                      f"{where}; set its type and fields.", "failed")
            return
        self._fill(found.rule.to_dict())
        self._say(f"Detected from the {found.source}: {'; '.join(found.evidence)}. Save "
                  "keeps it.", "detected")

    def save(self) -> None:
        """Do what the **Save** button does."""
        self.save_button.click()

    def detect(self) -> None:
        """Do what the **Detect** button does."""
        self.detect_button.click()

    def clear(self) -> None:
        """Do what the **Clear** button does."""
        self.clear_button.click()

    # -- the static fallback ---------------------------------------------------------------

    def fallback_html(self) -> str:
        """The form's state as HTML: the endpoint, the stored rule, the fields, the last
        message (what a notebook without widget state shows)."""
        rows = "".join(f"<tr><td>{escape(_label(k))}</td><td><code>{escape(str(v))}</code>"
                       f"</td></tr>" for k, v in self.rule_data().items())
        message = f"<p>{escape(self.message)}</p>" if self.message else ""
        where = f"endpoint <b>{escape(self.endpoint.value)}</b>" if self.endpoint.value \
            else "no endpoint"
        return (f'<div class="nbconnect-paging-form"><p>Paging rule of {where} of connector '
                f"<b>{escape(self.connector.name)}</b>: "
                f"<code>{escape(self._stored_text())}</code></p>"
                + (f"<table>{rows}</table>" if rows else "") + message + "</div>")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            bundle["text/html"] = self.fallback_html()
        return bundle
