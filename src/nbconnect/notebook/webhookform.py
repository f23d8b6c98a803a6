"""The webhook form (``%connect webhook add`` without arguments): the reference's fields, a
preset drop-down that fills them, and a **Detect** button that finds the scheme of a pasted
delivery.

It goes through :mod:`nbconnect.webhooks.define` (the verb's own functions), so it accepts and
refuses exactly what the magics and the CLI do. The secret box takes a *reference* only; text
that is not a reference is cleared at once (it may be a pasted secret), so saved widget state
never holds a secret value.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

import ipywidgets as widgets

from ..errors import NbConnectError
from ..model import Connector
from ..model.webhook import (
    ALGORITHMS,
    CHALLENGE_RESPONSES,
    CHALLENGE_SOURCES,
    ENCODINGS,
    SECRET_FORMATS,
    WEBHOOK_TYPES,
    Webhook,
)
from ..webhooks.define import SIGNATURE_OPTIONS, add_webhook, build_webhook
from ..webhooks.presets import PRESETS

__all__ = ["WebhookForm"]

_LAYOUT = {"width": "32em"}
_STYLE = {"description_width": "10em"}
_CHOICES = {"algorithm": ALGORITHMS, "encoding": ENCODINGS, "secret_format": SECRET_FORMATS}
_NONE = "(none)"


def _label(field: str) -> str:
    return field.replace("_", " ")


class WebhookForm(widgets.VBox):
    """Define a webhook: name, type, description, preset, secret reference, the signature
    fields, URL validation and, for a RESThook, its endpoints. **Add** adds it to the
    connector; **Detect** fills the signature fields from a pasted delivery (headers as JSON,
    body as text) checked with the secret reference. :attr:`outcome` is ``"pending"``,
    ``"added"`` or ``"failed"``; :attr:`webhook` the added webhook; :attr:`detection` the
    last Detect result.
    """

    def __init__(self, connector: Connector, **kwargs: Any) -> None:
        self.connector = connector
        self.outcome = "pending"
        self.webhook: Webhook | None = None
        self.detection: Any = None
        text = lambda name, ph="": widgets.Text(description=_label(name), placeholder=ph,  # noqa: E731
                                                style=_STYLE, layout=_LAYOUT)
        self.name_text = text("name", "orders")
        self.type_dropdown = widgets.Dropdown(options=WEBHOOK_TYPES, value="static",
                                              description="type", style=_STYLE)
        self.description_text = text("description")
        self.preset_dropdown = widgets.Dropdown(options=(_NONE, *PRESETS), value=_NONE,
                                                description="preset", style=_STYLE)
        self.secret_text = text("secret", "a reference: env:NAME, keyring:NAME, prompt")
        self.fields: dict[str, widgets.Widget] = {}
        for name in SIGNATURE_OPTIONS:
            if name in _CHOICES:
                self.fields[name] = widgets.Dropdown(options=(_NONE, *_CHOICES[name]),
                                                     value=_NONE, description=_label(name),
                                                     style=_STYLE)
            else:
                self.fields[name] = text(name)
        self.challenge_key = text("challenge key", "challenge")
        self.challenge_source = widgets.Dropdown(options=CHALLENGE_SOURCES, value="body",
                                                 description="challenge in", style=_STYLE)
        self.challenge_response = widgets.Dropdown(options=CHALLENGE_RESPONSES, value="echo",
                                                   description="challenge answer",
                                                   style=_STYLE)
        ids = (_NONE, *(ep.id for ep in connector.endpoints))
        self.subscribe = widgets.Dropdown(options=ids, value=_NONE, description="subscribe",
                                          style=_STYLE)
        self.unsubscribe = widgets.Dropdown(options=ids, value=_NONE,
                                            description="unsubscribe", style=_STYLE)
        self.callback_field = text("callback field", "target_url")
        self.subscription_id = text("subscription id", "id")
        self.headers_area = widgets.Textarea(description="headers", style=_STYLE,
                                             placeholder='{"X-Hub-Signature-256": "sha256=..."}',
                                             layout=_LAYOUT)
        self.body_area = widgets.Textarea(description="body", style=_STYLE, layout=_LAYOUT,
                                          placeholder="the raw body as received")
        self.add_button = widgets.Button(description="Add", button_style="primary", icon="plus")
        self.detect_button = widgets.Button(description="Detect", icon="search")
        self.status = widgets.Label("")
        self.add_button.on_click(self._add)
        self.detect_button.on_click(self._detect)
        self.preset_dropdown.observe(self._preset_changed, names="value")
        self.secret_text.observe(self._secret_changed, names="value")
        super().__init__(children=(
            widgets.HTML(f"New incoming webhook of connector <b>{escape(connector.name)}</b>"),
            self.name_text, self.type_dropdown, self.description_text, self.preset_dropdown,
            self.secret_text, *self.fields.values(),
            widgets.HTML("<b>URL validation</b> (optional)"), self.challenge_key,
            self.challenge_source, self.challenge_response,
            widgets.HTML("<b>RESThook</b> (type resthook)"), self.subscribe, self.unsubscribe,
            self.callback_field, self.subscription_id,
            widgets.HTML("<b>Detect</b> the scheme from one captured delivery"),
            self.headers_area, self.body_area,
            widgets.HBox((self.add_button, self.detect_button)), self.status,
        ), **kwargs)

    def __repr__(self) -> str:
        return f"WebhookForm(connector={self.connector.name!r}, outcome={self.outcome!r})"

    # -- what the widgets do ---------------------------------------------------------------

    def _secret_changed(self, change: dict[str, Any]) -> None:
        from ..auth.secrets import is_reference

        value = (change["new"] or "").strip()
        if value and not is_reference(value) and not any(
                value == p[:len(value)] for p in ("env:", "keyring:", "prompt")):
            self.secret_text.value = ""
            self.status.value = ("The secret box takes a reference (env:NAME, keyring:NAME, "
                                 "prompt), never the value; it was cleared.")

    def _preset_changed(self, change: dict[str, Any]) -> None:
        name = change["new"]
        if name == _NONE:
            return
        values = dict(PRESETS[name].fields)
        for field, w in self.fields.items():
            value = values.get(field)
            w.value = (value if value is not None else _NONE) if field in _CHOICES else \
                ("" if value is None else str(value))
        challenge = PRESETS[name].challenge
        if challenge is not None:
            self.challenge_key.value = challenge.key
            self.challenge_source.value = challenge.source
            self.challenge_response.value = challenge.response

    def _options(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for field, w in self.fields.items():
            value = w.value
            if value in (_NONE, ""):
                continue
            out[field] = int(value) if field == "tolerance" and str(value).isdigit() else value
        preset = self.preset_dropdown.value
        out.update(type=self.type_dropdown.value, description=self.description_text.value,
                   preset=None if preset == _NONE else preset,
                   secret=self.secret_text.value.strip() or None)
        if self.challenge_key.value.strip():
            out.update(challenge_key=self.challenge_key.value.strip(),
                       challenge_source=self.challenge_source.value,
                       challenge_response=self.challenge_response.value)
        if self.type_dropdown.value == "resthook":
            out.update(subscribe=None if self.subscribe.value == _NONE else self.subscribe.value,
                       unsubscribe=None if self.unsubscribe.value == _NONE
                       else self.unsubscribe.value,
                       callback_field=self.callback_field.value.strip() or None,
                       subscription_id_path=self.subscription_id.value.strip() or None)
        return out

    def _add(self, _button: Any = None) -> None:
        if self.outcome == "added":
            self.status.value = "This webhook was already added; open a new form for another."
            return
        try:
            hook = build_webhook(self.name_text.value.strip(), **self._options())
            hook = add_webhook(self.connector, hook)
        except NbConnectError as exc:
            self.outcome = "failed"
            self.status.value = f"Not added: {_hint(exc)}"
            return
        self.webhook = hook
        self.outcome = "added"
        self.add_button.disabled = True
        warn = f" Warning: {hook.warnings[0]}" if hook.warnings else ""
        self.status.value = f"Added webhook {hook.name!r}; receiver path {hook.path}.{warn}"

    def _detect(self, _button: Any = None) -> None:
        from ..auth.secrets import resolve
        from ..webhooks.detect import detect_scheme

        try:
            headers = json.loads(self.headers_area.value or "{}")
            if not isinstance(headers, dict):
                raise ValueError
        except ValueError:
            self.status.value = "The headers must be a JSON object of names to values."
            return
        try:
            secret = resolve(self.secret_text.value.strip() or "prompt",
                             connection="webhook_detect", field="secret")
            found = detect_scheme({str(k): str(v) for k, v in headers.items()},
                                  self.body_area.value.encode("utf-8"), secret=secret)
        except NbConnectError as exc:
            self.status.value = f"Not detected: {exc}"
            return
        self.detection = found
        if not found.found:
            self.status.value = found.note
            return
        if found.preset:
            self.preset_dropdown.value = found.preset
        else:
            self.preset_dropdown.value = _NONE
            values = found.options()
            for field, w in self.fields.items():
                value = values.get(field)
                w.value = (value if value is not None else _NONE) if field in _CHOICES \
                    else ("" if value is None else str(value))
        self.status.value = f"Detected: {found.note}"

    def add(self) -> None:
        """Do what the **Add** button does."""
        self.add_button.click()

    def detect(self) -> None:
        """Do what the **Detect** button does."""
        self.detect_button.click()


def _hint(exc: NbConnectError) -> str:
    if not exc.option:
        return str(exc)
    return f"{str(exc).rstrip().rstrip('.')} (the {_label(exc.option)} field)."
