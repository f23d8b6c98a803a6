"""ipywidgets forms for the auth config and test connections (``%connect auth``, ``%connect
connection add`` without arguments).

Both forms go through :mod:`nbconnect.verbs.grammar`, so they accept and refuse exactly what the
magics and the CLI do. Secret values typed into the connection form's Password widgets
are wrapped in an in-memory :class:`nbconnect.auth.secrets.Secret` on **Submit**, and each
Password widget is set back to ``""`` at once, before anything is checked: the kernel
syncs the empty value to the browser, so saved widget state (``metadata.widgets`` of the
notebook) never holds a secret. A reference box whose text is not a reference is cleared
the same way. Messages never repeat a secret.
"""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as widgets

from ..errors import NbConnectError, VerbUsageError
from ..model import AuthConfig, Connection, Connector
from ..render import auth_text
from ..verbs import grammar
from ..verbs.connection import add_connection
from .fallback import StaticFallback, status_html

__all__ = ["AuthForm", "ConnectionForm"]

_REF_PLACEHOLDER = "or a reference: env:NAME, keyring:NAME, prompt"
_LAYOUT = {"width": "32em"}
_STYLE = {"description_width": "10em"}


def _label(field: str) -> str:
    return field.replace("_", " ").replace("-", " ")


class _Form(StaticFallback, widgets.VBox):
    """What the forms share: :attr:`message` (plain text) shown in :attr:`status` (wrapped,
    errors styled as errors) and in the static fallback, which keeps the form's last state in
    a saved notebook."""

    title_html = ""
    message = ""
    message_kind = "info"
    outcome = "pending"

    def say(self, text: str, kind: str = "info") -> None:
        """Show ``text`` under the form (``kind``: info, ok or error)."""
        self.message, self.message_kind = text, kind
        self.status.value = status_html(text, kind)
        self.refresh_fallback()

    def fallback_html(self) -> str:
        shown = status_html(self.message, self.message_kind) or \
            "<div><i>(the form was not used)</i></div>"
        return f"<div class=\"nbconnect-form-fallback\"><div>{self.title_html}</div>{shown}</div>"

    def fallback_state(self) -> dict[str, Any]:
        return {"connector": self.connector.name, "outcome": self.outcome,
                "message": self.message}


class AuthForm(_Form):
    """Choose an auth type and fill in its fields; **Save** sets ``connector.auth``.

    The type dropdown lists the seven auth types; the fields of the chosen type appear
    below it (drop-downs for fields with fixed values, a text area for the JWT payload).
    Secrets are not asked for here: they belong to a connection. :attr:`outcome` is
    ``"pending"``, ``"saved"`` or ``"failed"``; :attr:`config` the saved config.
    """

    def __init__(self, connector: Connector, **kwargs: Any) -> None:
        self.connector = connector
        self.outcome = "pending"
        self.config: AuthConfig | None = None
        current = connector.auth
        start = current.type if current is not None else grammar.AUTH_TYPE_NAMES[0]
        self.type_dropdown = widgets.Dropdown(options=grammar.AUTH_TYPE_NAMES, value=start,
                                              description="auth type", style=_STYLE)
        self.fields_box = widgets.VBox()
        self.note = widgets.HTML()
        self.fields: dict[str, widgets.Widget] = {}
        self.save_button = widgets.Button(description="Save", button_style="primary",
                                          icon="check")
        self.status = widgets.HTML("")
        self.save_button.on_click(self._save)
        self.type_dropdown.observe(self._type_changed, names="value")
        self._show_fields(start)
        from .live import live

        self._shown_auth = connector.auth
        live(connector).observe(self._connector_changed, names="revision")
        self.title_html = f"Auth of connector <b>{escape(connector.name)}</b>"
        super().__init__(children=(
            widgets.HTML(self.title_html),
            self.type_dropdown, self.fields_box, self.note, self.save_button, self.status,
        ), **kwargs)

    def __repr__(self) -> str:
        return (f"AuthForm(connector={self.connector.name!r}, type={self.type_dropdown.value!r}, "
                f"outcome={self.outcome!r})")

    def _connector_changed(self, change: Any = None) -> None:
        """The connector's auth changed elsewhere (code, a re-import): show the new one."""
        auth = self.connector.auth
        if auth is self._shown_auth:
            return
        self._shown_auth = auth
        if auth is not None and auth is not self.config:
            if self.type_dropdown.value == auth.type:
                self._show_fields(auth.type)
            else:
                self.type_dropdown.value = auth.type  # shows its fields
            self.say(f"The connector's auth is now {auth_text(auth)} (changed elsewhere).")

    def _type_changed(self, change: dict[str, Any]) -> None:
        self._show_fields(change["new"])

    def _show_fields(self, type_: str) -> None:
        current = self.connector.auth
        values = current.to_dict() if current is not None and current.type == type_ else {}
        self.fields = {}
        for field in grammar.auth_fields(type_):
            value = values.get(grammar.snake(field))
            choices = grammar.field_choices(type_, field)
            if choices:
                default = value if value in choices else choices[0]
                w: widgets.Widget = widgets.Dropdown(options=choices, value=default,
                                                     description=_label(field), style=_STYLE)
            elif field == "payload":
                import json

                text = json.dumps(value) if value else ""
                w = widgets.Textarea(value=text, description="payload", style=_STYLE,
                                     placeholder='{"sub": "ada", "iat": "now", "exp": "+300s"}',
                                     layout=_LAYOUT)
            elif field == "extra-keys":  # the CLI's KEY[:ADD_TO],... text
                pairs = [p if isinstance(p, list | tuple) else (p.get("key"), p.get("add_to"))
                         for p in value or ()]
                w = widgets.Text(value=",".join(f"{k}:{a}" for k, a in pairs),
                                 description=_label(field), style=_STYLE, layout=_LAYOUT,
                                 placeholder="X-App-Id:header,app_key:query")
            else:
                w = widgets.Text(value="" if value is None else str(value),
                                 description=_label(field), style=_STYLE, layout=_LAYOUT)
            self.fields[field] = w
        self.fields_box.children = tuple(self.fields.values())
        cls_secrets = grammar.connection_secret_fields(type_)
        self.note.value = (
            "Secrets (" + escape(", ".join(grammar.kebab(s) for s in cls_secrets)) + ") are "
            "not part of the auth config: give them on a test connection (the connection "
            "form).")

    def _save(self, _button: Any = None) -> None:
        type_ = self.type_dropdown.value
        values = {field: w.value for field, w in self.fields.items()}
        try:
            config = grammar.auth_from_fields(type_, values)
            self.connector.auth = config
        except NbConnectError as exc:
            self.outcome = "failed"
            self.say(f"Not saved: {_field_hint(exc, self.fields)}", "error")
            return
        self.config = config
        self.outcome = "saved"
        from .live import changed

        changed(self.connector, "auth")
        self.say(f"Saved: auth of {self.connector.name!r} is {auth_text(config)}.", "ok")

    def save(self) -> None:
        """Do what the **Save** button does."""
        self.save_button.click()


class ConnectionForm(_Form):
    """Add a test connection: name, base URL, the secrets of the connector's auth type.

    Each secret field has a Password widget (the value is held in memory only, as a
    :class:`~nbconnect.auth.secrets.Secret`, and the widget is emptied on **Submit**) and a
    reference box (``env:NAME``, ``keyring:NAME``, ``prompt``), which is what an exported
    package can keep. :attr:`outcome` is ``"pending"``, ``"added"`` or ``"failed"``;
    :attr:`connection` the added connection.
    """

    def __init__(self, connector: Connector, **kwargs: Any) -> None:
        self.connector = connector
        self.outcome = "pending"
        self.connection: Connection | None = None
        auth = connector.auth
        self.name_text = widgets.Text(description="name", placeholder="dev", style=_STYLE,
                                      layout=_LAYOUT)
        self.base_url_text = widgets.Text(value=connector.base_url or "",
                                          description="base URL", style=_STYLE,
                                          placeholder="https://api.example.com/v1",
                                          layout=_LAYOUT)
        self.title = widgets.HTML()
        self.auth_box = widgets.VBox()
        self._auth_rows()
        self.default_box = widgets.Checkbox(value=not connector.connections,
                                            description="default connection", indent=False)
        self.submit_button = widgets.Button(description="Submit", button_style="primary",
                                            icon="plus")
        self.status = widgets.HTML("")
        self.submit_button.on_click(self._submit)
        from .live import live

        self._shown_auth = auth
        live(connector).observe(self._connector_changed, names="revision")
        super().__init__(children=(
            self.title, self.name_text, self.base_url_text, self.auth_box, self.default_box,
            self.submit_button, self.status,
        ), **kwargs)

    def __repr__(self) -> str:
        return f"ConnectionForm(connector={self.connector.name!r}, outcome={self.outcome!r})"

    def _auth_rows(self) -> None:
        """The secret and setting boxes of the connector's auth (again after it changed)."""
        auth = self.connector.auth
        self.passwords: dict[str, widgets.Password] = {}
        self.references: dict[str, widgets.Text] = {}
        self.settings: dict[str, widgets.Text] = {}
        rows: list[widgets.Widget] = []
        if auth is None:
            rows.append(widgets.HTML("The connector has no auth yet, so this connection "
                                     "takes no secrets; set its auth first (the auth "
                                     "form)."))
        else:
            for field in grammar.connection_secret_fields(auth):
                pw = widgets.Password(description=_label(field), style=_STYLE,
                                      placeholder="value (kept in memory only)")
                ref = widgets.Text(placeholder=_REF_PLACEHOLDER, layout={"width": "24em"})
                self.passwords[field] = pw
                self.references[field] = ref
                rows.append(widgets.HBox((pw, ref)))
            for field in grammar.connection_setting_fields(auth):
                text = widgets.Text(description=_label(field), style=_STYLE, layout=_LAYOUT)
                self.settings[field] = text
                rows.append(text)
        self.auth_box.children = tuple(rows)
        kind = auth.type if auth is not None else "none"
        self.title_html = (f"New test connection of connector "
                           f"<b>{escape(self.connector.name)}</b> (auth: {escape(kind)})")
        self.title.value = self.title_html

    def _connector_changed(self, change: Any = None) -> None:
        """The connector's auth changed (code, the auth form, a re-import): new boxes."""
        if self.connector.auth is self._shown_auth or self.outcome == "added":
            return
        for pw in getattr(self, "passwords", {}).values():
            pw.value = ""  # nothing typed stays in a widget that goes away
        self._shown_auth = self.connector.auth
        self._auth_rows()
        self.say("The connector's auth changed; the boxes below are for the new one.")

    def _take_secrets(self) -> tuple[dict[str, Any], list[str]]:
        """Read and empty every Password widget, then read the reference boxes.

        Returns ``({field: Secret or reference}, [fields given both ways])``. Reference
        text that is not a reference may be a pasted value: that box is emptied too.
        """
        from ..auth.secrets import Secret, is_reference

        typed: dict[str, str] = {}
        for field, pw in self.passwords.items():  # first of all: nothing stays in a widget
            typed[field] = pw.value
            pw.value = ""
        name = self.name_text.value.strip()
        secrets: dict[str, Any] = {}
        both: list[str] = []
        for field, ref_box in self.references.items():
            ref = ref_box.value.strip()
            if ref and not is_reference(ref):
                ref_box.value = ""
            value = typed[field]
            if value and ref:
                both.append(field)
            elif value:
                secrets[field] = Secret(value, name=f"{name}_{field}" if name else field)
            elif ref:
                secrets[field] = ref
        return secrets, both

    def _submit(self, _button: Any = None) -> None:
        secrets, both = self._take_secrets()
        if self.outcome == "added":
            self.say(f"Connection {self.connection.name!r} was already added; open a new "
                     "connection form for another one.")
            return
        try:
            if both:
                names = ", ".join(grammar.kebab(f) for f in both)
                raise VerbUsageError(f"Give either a value or a reference for {names}, not "
                                     "both; the value was cleared, type it again or keep the "
                                     "reference.")
            auth = self.connector.auth
            optional = getattr(auth, "optional_secret_fields", ())
            need = [f for f in self.passwords if f not in secrets and f not in optional]
            if need:  # the form's own words (the shared check names command-line flags)
                boxes = ", ".join(f"{_label(f)}" for f in need)
                raise VerbUsageError(
                    f"Connection {self.name_text.value.strip() or '(no name)'!r} needs "
                    f"{boxes} for auth type {auth.type}: type the value in the "
                    f"{boxes} box, or a reference (env:NAME, keyring:NAME, prompt) beside it.")
            conn = grammar.make_connection(
                self.name_text.value.strip(),
                base_url=self.base_url_text.value.strip() or None,
                secrets=secrets,
                settings={f: w.value.strip() for f, w in self.settings.items()
                          if w.value.strip()},
                default=self.default_box.value,
                auth=self.connector.auth)
            conn = add_connection(self.connector, conn)
        except NbConnectError as exc:
            self.outcome = "failed"
            self.say(f"Not added: {_field_hint(exc, self._labels())}", "error")
            return
        self.connection = conn
        self.outcome = "added"
        from .live import changed

        changed(self.connector, "connections")
        kept = any(not isinstance(v, str) for v in secrets.values())
        self.submit_button.disabled = True
        self.say(f"Added connection {conn.name!r}" + (" (default)" if conn.default else "")
                 + ("; its secret values are held in memory only, so export needs references "
                    "instead" if kept else "") + ".", "ok")

    def _labels(self) -> dict[str, Any]:
        """``{option: the form's words for that field}`` for error hints."""
        labels: dict[str, Any] = {"name": "name", "base-url": "base URL",
                                  "default": "default connection"}
        secrets = list(self.passwords)
        if secrets:
            boxes = " or ".join(f"{_label(f)} box" for f in secrets)
            labels["secret"] = f"{boxes} (a value, or a reference beside it)"
            for f in secrets:
                labels[f] = f"{_label(f)} box"
        for f in self.settings:
            labels["set"] = labels[f] = _label(f)
        return labels

    def submit(self) -> None:
        """Do what the **Submit** button does."""
        self.submit_button.click()


def _field_hint(exc: NbConnectError, fields: dict[str, Any]) -> str:
    """The error's sentence, plus the form field its ``option`` names (the form's own hint,
    where the CLI and the magic add a ``--flag``). ``fields`` maps an option (kebab-case) to
    the form's field; a string value is the field's label as the form shows it."""
    field = grammar.kebab(exc.option) if exc.option else None
    if field is None or field not in fields:
        return str(exc)
    label = fields[field] if isinstance(fields[field], str) else f"{_label(field)} field"
    return f"{str(exc).rstrip().rstrip('.')} (the {label})."
