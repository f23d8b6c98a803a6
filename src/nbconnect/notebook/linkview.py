"""Parameter links in the notebook: the link form, option dropdowns, a parameter form whose
linked parameters are dropdowns, and the link graph drawn.

* :class:`LinkForm` (``%connect link add`` without arguments): pick the endpoint and the
  parameter, then a static list (values, labels) or a linked endpoint whose response fields
  — the pulled tree when there is one, else the declared response — fill the value and
  label dropdowns; **Save** sets the link (the same checks as the verb).
* :class:`OptionsDropdown` (``%connect options E P``): the allowed values as a dropdown,
  labels shown, values kept.
* :class:`ParamForm`: one input per request parameter of an endpoint, a dropdown of options
  for each linked one (a chained link's dropdown refills when the parameter it reads
  changes); **Test** tests the endpoint with the chosen values.
* :class:`LinkGraphView` (``%connect link graph``): the graph as SVG, plain text beside it.

Every widget has a short deterministic ``repr`` (what nbval compares) and, for views that
must survive a reopened notebook, a ``text/html`` fallback beside the widget.
"""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as widgets

from ..errors import NbConnectError
from ..model import Connector

__all__ = ["LinkForm", "LinkGraphView", "OptionsDropdown", "ParamForm", "graph_view",
           "link_form", "options_view"]

_STYLE = {"description_width": "9em"}
_LAYOUT = {"width": "34em"}
_NONE = "(none)"


def _text(value: Any) -> str:
    from ..testing.values import value_text

    return value_text(value)


def _select_html(name: str, found: list[tuple[Any, str]]) -> str:
    opts = "".join(f'<option value="{escape(_text(v), quote=True)}">{escape(label)}</option>'
                   for v, label in found)
    return f"<label>{escape(name)} <select>{opts}</select></label>"


class OptionsDropdown(widgets.Dropdown):
    """A dropdown of a linked parameter's allowed values (labels shown, values kept)."""

    def __init__(self, found: Any, *, endpoint: str = "", param: str = "",
                 **kwargs: Any) -> None:
        self.endpoint = getattr(found, "endpoint", endpoint)
        self.param = getattr(found, "param", param)
        self.found = [(v, str(label)) for v, label in found]
        super().__init__(options=[(label, v) for v, label in self.found],
                         description=self.param, style=_STYLE, **kwargs)

    def __repr__(self) -> str:
        shown = ", ".join(_text(v) if label == _text(v) else f"{_text(v)} ({label})"
                          for v, label in self.found[:8])
        more = f", ... ({len(self.found)} in all)" if len(self.found) > 8 else ""
        return (f"OptionsDropdown({self.endpoint}.{self.param}: {len(self.found)} value"
                f"{'s' if len(self.found) != 1 else ''}: {shown}{more})")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            bundle["text/html"] = _select_html(self.param, self.found)
        return bundle


class LinkForm(widgets.VBox):
    """Define a link: endpoint, parameter, then a static list or a linked endpoint.

    :attr:`outcome` is ``"pending"``, ``"saved"`` or ``"failed"``; :meth:`save` does what
    the **Save** button does.
    """

    def __init__(self, connector: Connector, **kwargs: Any) -> None:
        self.connector = connector
        self.outcome = "pending"
        self.link: Any = None
        ids = [e.id for e in connector.endpoints]
        self.endpoint = widgets.Dropdown(options=ids, description="endpoint", style=_STYLE,
                                         layout=_LAYOUT)
        self.param = widgets.Dropdown(description="parameter", style=_STYLE, layout=_LAYOUT)
        self.kind = widgets.ToggleButtons(options=[("static list", "static"),
                                                   ("linked endpoint", "dynamic")],
                                          value="dynamic", description="values from",
                                          style=_STYLE)
        self.values = widgets.Text(description="values", placeholder="V1,V2,...",
                                   style=_STYLE, layout=_LAYOUT)
        self.labels = widgets.Text(description="labels", placeholder="L1,L2,... (optional)",
                                   style=_STYLE, layout=_LAYOUT)
        self.source = widgets.Dropdown(options=ids, description="linked endpoint",
                                       style=_STYLE, layout=_LAYOUT)
        self.value_path = widgets.Dropdown(description="linked parameter", style=_STYLE,
                                           layout=_LAYOUT)
        self.label_path = widgets.Dropdown(description="display parameter", style=_STYLE,
                                           layout=_LAYOUT)
        self.inputs = widgets.Text(description="inputs",
                                   placeholder="K=V, K=param:NAME (optional)", style=_STYLE,
                                   layout=_LAYOUT)
        self.static_box = widgets.VBox((self.values, self.labels))
        self.dynamic_box = widgets.VBox((self.source, self.value_path, self.label_path,
                                         self.inputs))
        self.save_button = widgets.Button(description="Save", button_style="primary",
                                          icon="link")
        self.status = widgets.Label("")
        self.endpoint.observe(lambda _c: self._fill_params(), names="value")
        self.source.observe(lambda _c: self._fill_fields(), names="value")
        self.kind.observe(lambda _c: self._show_kind(), names="value")
        self.save_button.on_click(lambda _b: self.save())
        self._fill_params()
        self._fill_fields()
        self._show_kind()
        super().__init__(children=(
            widgets.HTML(f"Parameter link of connector <b>{escape(connector.name)}</b>"),
            self.endpoint, self.param, self.kind, self.static_box, self.dynamic_box,
            self.save_button, self.status), **kwargs)

    def __repr__(self) -> str:
        return (f"LinkForm(connector={self.connector.name!r}, endpoint={self.endpoint.value!r}, "
                f"param={self.param.value!r}, kind={self.kind.value!r}, "
                f"outcome={self.outcome!r})")

    def _fill_params(self) -> None:
        from ..links.static import request_names

        ep = next((e for e in self.connector.endpoints if e.id == self.endpoint.value), None)
        self.param.options = request_names(ep) if ep is not None else []

    def _fill_fields(self) -> None:
        from ..links.dynamic import response_fields

        fields: list[str] = []
        if self.source.value:
            try:
                fields = response_fields(self.connector, self.source.value, leaves=True)
            except NbConnectError:
                fields = []
        self.value_path.options = fields
        self.label_path.options = [_NONE, *fields]
        self.label_path.value = _NONE

    def _show_kind(self) -> None:
        static = self.kind.value == "static"
        self.static_box.layout.display = None if static else "none"
        self.dynamic_box.layout.display = "none" if static else None

    def save(self) -> Any:
        """Set the link as filled in; returns it (None when refused, with the reason in
        :attr:`status`)."""
        from ..links.dynamic import dynamic_link, path_warning
        from ..links.static import set_link, split_listed, static_link

        try:
            if self.kind.value == "static":
                values = split_listed(self.values.value)  # "\\," is a comma inside one
                labels = split_listed(self.labels.value)
                link = static_link(self.connector, self.endpoint.value, self.param.value,
                                   values, labels or None)
            else:
                words = [w.strip() for w in self.inputs.value.split(",") if w.strip()]
                label = None if self.label_path.value in (None, _NONE) else \
                    self.label_path.value
                link = dynamic_link(self.connector, self.endpoint.value, self.param.value,
                                    self.source.value, self.value_path.value or "", label,
                                    words)
            set_link(self.connector, link)
        except NbConnectError as exc:
            self.outcome = "failed"
            self.status.value = f"Not saved: {exc}"
            return None
        self.outcome, self.link = "saved", link
        warning = path_warning(self.connector, link)
        self.status.value = f"Saved: {link.endpoint}.{link.param} is linked." + \
            (f" Warning: {warning}" if warning else "")
        return link

    def fallback_html(self) -> str:
        """The form as static HTML (what a notebook saved without widget state shows): the
        connector's links and the form's last message."""
        from ..links.static import describe, links_of

        rows = "".join(f"<li><code>{escape(f'{lk.endpoint}.{lk.param} {describe(lk)}')}"
                       "</code></li>"
                       for lk in links_of(self.connector))
        listed = f"<ul>{rows}</ul>" if rows else "<p>(no links yet)</p>"
        said = f"<p>{escape(self.status.value)}</p>" if self.status.value else ""
        return (f'<div class="nbconnect-link-form"><p>Parameter links of connector '
                f"<b>{escape(self.connector.name)}</b>:</p>{listed}{said}</div>")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            bundle["text/html"] = self.fallback_html()
        return bundle


class ParamForm(widgets.VBox):
    """The request parameters of one endpoint, a dropdown of options for each linked one;
    **Test** tests the endpoint with the values chosen (:attr:`report`)."""

    def __init__(self, connector: Connector, endpoint: str, *, connection: str | None = None,
                 **options: Any) -> None:
        from ..links.static import link_for

        self.connector = connector
        self.endpoint = connector.endpoint(endpoint)
        self.connection = connection
        self.options = options
        self.report: Any = None
        self.inputs: dict[str, Any] = {}
        self.problems: dict[str, str] = {}
        for p in self.endpoint.params:
            link = link_for(connector, self.endpoint.id, p.name)
            if link is not None:
                self.inputs[p.name] = OptionsDropdown([], endpoint=self.endpoint.id,
                                                      param=p.name)
            else:
                self.inputs[p.name] = widgets.Text(description=p.name, style=_STYLE)
        self.status = widgets.Label("")
        self.test_button = widgets.Button(description="Test", icon="play")
        self.test_button.on_click(lambda _b: self.test())
        for name in self.inputs:
            self._refill(name)
        for name, box in self.inputs.items():
            box.observe(lambda _c, n=name: self._changed(n), names="value")
        super().__init__(children=(
            widgets.HTML(f"Parameters of <b>{escape(self.endpoint.id)}</b>"),
            *self.inputs.values(), self.test_button, self.status))

    def __repr__(self) -> str:
        parts = [repr(w) if isinstance(w, OptionsDropdown) else f"{n}=text"
                 for n, w in self.inputs.items()]
        return f"ParamForm({self.endpoint.id}: {'; '.join(parts)})"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):  # static HTML for a notebook saved without widget state
            cells = {n: _select_html("", w.found) if isinstance(w, OptionsDropdown)
                     else escape(str(w.value)) for n, w in self.inputs.items()}
            rows = "".join(f"<tr><td>{escape(n)}</td><td>{cell}</td></tr>"
                           for n, cell in cells.items())
            bundle["text/html"] = (f'<div class="nbconnect-param-form"><p>Parameters of '
                                   f"<b>{escape(self.endpoint.id)}</b></p><table>{rows}"
                                   "</table></div>")
        return bundle

    def values(self) -> dict[str, Any]:
        """The chosen values (empty text boxes left out)."""
        return {n: w.value for n, w in self.inputs.items() if w.value not in (None, "")}

    def _changed(self, name: str) -> None:
        from ..links.static import link_for

        for other in self.inputs:
            link = link_for(self.connector, self.endpoint.id, other)
            if link is not None and name in link.param_inputs():
                self._refill(other)

    def _refill(self, name: str) -> None:
        from ..links.options import options

        box = self.inputs[name]
        if not isinstance(box, OptionsDropdown):
            return
        given = {n: w.value for n, w in self.inputs.items()
                 if n != name and w.value not in (None, "")}
        try:
            found = options(self.connector, self.endpoint.id, name,
                            connection=self.connection, inputs=given, **self.options)
        except NbConnectError as exc:
            found = []
            self.problems[name] = str(exc)
        else:
            self.problems.pop(name, None)
        box.found = [(v, str(label)) for v, label in found]
        keep = box.value
        box.options = [(label, v) for v, label in box.found]
        values = [v for v, _ in box.found]
        box.value = keep if keep in values else (values[0] if values else None)
        self.status.value = " ".join(self.problems.values())

    def test(self) -> Any:
        """Test the endpoint with the chosen values; returns the TestResult."""
        self.report = self.connector.test(self.endpoint.id, params=self.values(),
                                          connection=self.connection, **self.options)
        self.status.value = self.report.text().splitlines()[-1].strip()
        return self.report


class LinkGraphView:
    """The link graph: SVG in the notebook (``text/html`` wraps it), text as ``repr``.
    ``graph`` is a :class:`~nbconnect.links.graph.LinkGraph` or a connector (drawn now)."""

    def __init__(self, graph: Any) -> None:
        if isinstance(graph, Connector):
            from ..links.graph import link_graph

            graph = link_graph(graph)
        self.graph = graph

    def __repr__(self) -> str:
        return self.graph.text()

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.graph.text())

    def _repr_svg_(self) -> str:
        return self.graph.svg()

    def _repr_html_(self) -> str:
        return f'<div class="nbconnect-link-graph">{self.graph.svg()}</div>'


def link_form(session: Any, data: dict[str, Any]) -> LinkForm:
    """The form ``%connect link add`` opens without arguments."""
    return LinkForm(data["connector"])


def param_form(session: Any, data: dict[str, Any]) -> ParamForm:
    """The form ``%connect options ENDPOINT`` opens: its parameters, linked ones as
    dropdowns, and Test (through ``connection``, the session's TLS settings)."""
    connector = data["connector"]
    connection = data.get("connection")
    verify = session._verify_for(connector, connection)
    return ParamForm(connector, data["endpoint"], connection=connection, verify=verify)


def options_view(session: Any, result: Any) -> OptionsDropdown:
    """``%connect options E P`` in the notebook: the values as a dropdown."""
    return OptionsDropdown(result)


def graph_view(session: Any, result: Any) -> LinkGraphView:
    """``%connect link graph`` in the notebook: the drawing."""
    return LinkGraphView(result)
