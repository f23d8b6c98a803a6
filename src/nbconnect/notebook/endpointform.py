"""The endpoint form (``%connect endpoint add`` without arguments, ``%connect endpoint edit
ID``): method, display name, short description, id, the path with its path parameters
shown live, a table of request parameters (location, name, type, required, default) and
the response parameters.

**Save** sends only what was changed, through the same call the verbs use
(:func:`nbconnect.verbs.endpoint.edit_endpoint`, or ``Connector.add_endpoint`` for a new
one), so everything the form does not show or the user did not touch stays as it was.
"""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as widgets

from ..errors import NbConnectError
from ..model import Connector, Endpoint
from ..model.params import PARAM_TYPES, parse_path
from .fallback import StaticFallback, status_html

__all__ = ["EndpointForm"]

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_LOCATIONS = ("query", "header", "cookie", "path", "body")
_STYLE = {"description_width": "9em"}
_WIDE = {"width": "40em"}
#: form field label for each option an error may name
_LABELS = {"method": "method", "path": "path", "name": "display name", "id": "id",
           "description": "description"}


class _ParamRow(widgets.HBox):
    """One request parameter: location, name, type, required, default."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.original = dict(values)
        self.location = widgets.Dropdown(options=_LOCATIONS, value=values.get("in", "query"),
                                         layout={"width": "7em"})
        self.name = widgets.Text(value=values.get("name", ""), placeholder="name",
                                 layout={"width": "12em"})
        kind = values.get("type", "string")
        self.type = widgets.Dropdown(options=PARAM_TYPES if kind in PARAM_TYPES else
                                     (*PARAM_TYPES, kind), value=kind, layout={"width": "8em"})
        self.required = widgets.Checkbox(value=bool(values.get("required")),
                                         description="required", indent=False,
                                         layout={"width": "7em"})
        default = values.get("default")
        self.default = widgets.Text(value="" if default is None else str(default),
                                    placeholder="default", layout={"width": "10em"})
        fixed = self.original.get("in") in ("path", "body")
        self.location.disabled = fixed
        self.name.disabled = fixed and bool(self.original.get("name"))
        super().__init__(children=(self.location, self.name, self.type, self.required,
                                   self.default))

    def changes(self) -> dict[str, Any] | None:
        """The fields changed from :attr:`original` (with ``in`` and ``name``), or None."""
        now: dict[str, Any] = {"in": self.location.value, "name": self.name.value.strip(),
                               "type": self.type.value, "required": self.required.value}
        default_text = self.default.value.strip()
        old_default = self.original.get("default")
        if default_text != ("" if old_default is None else str(old_default)):
            now["default"] = _scalar(default_text) if default_text else None
        changed = {k: v for k, v in now.items()
                   if k in ("in", "name") or v != self.original.get(k, _EMPTY.get(k))}
        if not now["name"]:
            return None
        if set(changed) <= {"in", "name"} and self.original.get("name") == now["name"] and \
                self.original.get("in") == now["in"]:
            return None
        return changed


_EMPTY = {"required": False, "type": "string"}


def _scalar(text: str) -> Any:
    """A default typed as YAML reads it (``7`` an int, ``true`` a bool), else the text."""
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if isinstance(value, str | int | float | bool) else text


class EndpointForm(StaticFallback, widgets.VBox):
    """Add an endpoint (``endpoint=None``) or edit one; **Save** changes only what changed.

    :attr:`outcome` is ``"pending"``, ``"saved"`` or ``"failed"``; :attr:`message` the text
    shown under the form; :attr:`endpoint` the saved endpoint.
    """

    def __init__(self, connector: Connector, endpoint: Endpoint | None = None,
                 **kwargs: Any) -> None:
        self.connector = connector
        self.original = endpoint
        self.endpoint = endpoint
        self.outcome = "pending"
        self.message, self.message_kind = "", "info"
        ep = endpoint
        self.method = widgets.Dropdown(options=_METHODS, value=ep.method if ep else "GET",
                                       description="method", style=_STYLE)
        self.name = widgets.Text(value=ep.name if ep else "", description="display name",
                                 style=_STYLE, layout=_WIDE, placeholder="Get a user")
        self.description = widgets.Textarea(value=ep.description if ep else "",
                                            description="description", style=_STYLE,
                                            layout=_WIDE, placeholder="short description")
        self.id = widgets.Text(value=ep.id if ep else "", description="id", style=_STYLE,
                               layout=_WIDE, placeholder="(a slug of the display name)")
        self.path = widgets.Text(value=ep.path if ep else "", description="path",
                                 style=_STYLE, layout=_WIDE, placeholder="/users/{id}")
        self.path_params = widgets.HTML()
        self.rows: list[_ParamRow] = _rows_of(ep)
        self.params_box = widgets.VBox(self.rows)
        self.add_param_button = widgets.Button(description="Add a parameter", icon="plus",
                                               layout={"width": "auto"})
        self.response = widgets.HTML(_response_html(ep))
        self.save_button = widgets.Button(description="Save", button_style="primary",
                                          icon="check", layout={"width": "auto"})
        self.status = widgets.HTML("")
        self.path.observe(self._path_changed, names="value")
        self.add_param_button.on_click(self._add_row)
        self.save_button.on_click(self._save)
        self._path_changed()
        from .live import live

        live(connector).observe(self._connector_changed, names="revision")
        what = f"endpoint <b>{escape(ep.id)}</b> of" if ep else "a new endpoint for"
        self.title_html = f"Edit {what} connector <b>{escape(connector.name)}</b>"
        super().__init__(children=(
            widgets.HTML(self.title_html), self.method, self.name, self.description, self.id,
            self.path, self.path_params,
            widgets.HTML("<b>request parameters and body fields</b> (location, name, type, "
                         "required, default)"),
            self.params_box, self.add_param_button, self.response, self.save_button,
            self.status), **kwargs)

    def __repr__(self) -> str:
        which = self.original.id if self.original is not None else None
        return (f"EndpointForm(connector={self.connector.name!r}, endpoint={which!r}, "
                f"outcome={self.outcome!r})")

    def fallback_html(self) -> str:
        shown = status_html(self.message, self.message_kind) or \
            "<div><i>(the form was not used)</i></div>"
        return f"<div class=\"nbconnect-form-fallback\"><div>{self.title_html}</div>{shown}</div>"

    def fallback_state(self) -> dict[str, Any]:
        return {"connector": self.connector.name, "outcome": self.outcome,
                "message": self.message,
                "endpoint": None if self.endpoint is None else self.endpoint.id}

    def say(self, text: str, kind: str = "info") -> None:
        self.message, self.message_kind = text, kind
        self.status.value = status_html(text, kind)
        self.refresh_fallback()

    # -- keeping up with the connector -------------------------------------------------

    def _connector_changed(self, change: Any = None) -> None:
        """The endpoint changed elsewhere: reload an untouched form; with edits pending,
        say that saving lays them over the new definition."""
        if self.original is None:
            return
        current = next((ep for ep in self.connector.endpoints
                        if ep.id == self.original.id), None)
        if current is None:
            self.save_button.disabled = True
            self.say(f"Endpoint {self.original.id} was removed from the connector.", "error")
            return
        if current == self.original:
            return
        if self.changes():
            self.original = current
            self.say(f"Endpoint {current.id} changed elsewhere; Save lays your changes over "
                     "its new definition.")
            return
        self.original = self.endpoint = current
        self.method.value = current.method
        self.name.value, self.description.value = current.name, current.description
        self.path.value = current.path
        self.rows = _rows_of(current)
        self.params_box.children = tuple(self.rows)
        self.response.value = _response_html(current)
        self.say(f"Endpoint {current.id} changed elsewhere; the form shows it as it is now.")

    # -- live path parameters ----------------------------------------------------------

    def _path_changed(self, change: Any = None) -> None:
        try:
            names = parse_path(self.path.value.strip()).path_params if self.path.value.strip() \
                else ()
        except NbConnectError as exc:
            self.path_params.value = status_html(str(exc), "error")
            return
        have = {r.name.value for r in self.rows if r.location.value == "path"}
        for n in names:
            if n not in have:
                row = _ParamRow({"in": "path", "name": n, "required": True})
                row.original = {}
                self.rows.append(row)
        keep = [r for r in self.rows if r.location.value != "path" or r.name.value in names]
        self.rows = keep
        self.params_box.children = tuple(keep)
        self.path_params.value = (
            "path parameters: " + ", ".join(f"<code>{escape(n)}</code>" for n in names)
            if names else "no path parameters")

    def _add_row(self, _button: Any = None) -> None:
        row = _ParamRow({"in": "query"})
        row.original = {}
        self.rows.append(row)
        self.params_box.children = tuple(self.rows)

    # -- saving --------------------------------------------------------------------------

    def changes(self) -> dict[str, Any]:
        """What the form changed, as a definition to lay over the endpoint."""
        ep = self.original
        out: dict[str, Any] = {}
        for key, box in (("method", self.method), ("name", self.name),
                         ("description", self.description), ("path", self.path),
                         ("id", self.id)):
            value = box.value.strip() if isinstance(box.value, str) else box.value
            old = getattr(ep, key) if ep is not None else ""
            if value != old and (value or ep is not None):
                out[key] = value
        changed = [c for c in (r.changes() for r in self.rows) if c is not None]
        params = [c for c in changed if c.get("in") != "body"]
        body = [{k: v for k, v in c.items() if k != "in"} for c in changed
                if c.get("in") == "body"]
        if params:
            out["params"] = params
        if body:
            out["body"] = body
        return out

    def _save(self, _button: Any = None) -> None:
        from ..verbs.endpoint import edit_endpoint

        changes = self.changes()
        try:
            if self.original is None:
                saved = self.connector.add_endpoint(Endpoint.from_dict(changes))
            elif not changes:
                self.say("Nothing changed; the endpoint is as it was.")
                return
            else:
                saved = edit_endpoint(self.connector, self.original.id, changes)
        except NbConnectError as exc:
            self.outcome = "failed"
            label = _LABELS.get(exc.option or "")
            hint = f" (the {label} field)" if label else ""
            self.say(f"Not saved: {str(exc).rstrip().rstrip('.')}{hint}.", "error")
            return
        self.endpoint = self.original = saved
        self.id.value = saved.id
        self.rows = _rows_of(saved)
        self.params_box.children = tuple(self.rows)
        self.outcome = "saved"
        from .live import changed

        changed(self.connector, "endpoints")  # other views; this form is up to date
        self.say(f"Saved endpoint {saved.id} ({saved.method} {saved.path}).", "ok")

    def save(self) -> None:
        """Do what the **Save** button does."""
        self.save_button.click()


def _rows_of(ep: Endpoint | None) -> list[_ParamRow]:
    """A row per request parameter and per top-level body field of ``ep``."""
    if ep is None:
        return []
    return [_ParamRow(p.to_dict()) for p in ep.params] + [
        _ParamRow({**p.to_dict(), "in": "body"}) for p in ep.body]


def _response_html(ep: Endpoint | None) -> str:
    if ep is None or not ep.response:
        return "<div><b>response parameters</b>: none declared</div>"
    names = [f"{escape(d)} <i>{escape(p.type)}</i>" for top in ep.response
             for d, p in top.walk()]
    more = f" and {len(names) - 30} more" if len(names) > 30 else ""
    return (f"<div><b>response parameters</b> (kept as they are): "
            f"{', '.join(names[:30])}{more}</div>")
