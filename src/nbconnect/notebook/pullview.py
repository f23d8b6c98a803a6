"""The pulled response tree in the notebook: :class:`PullView` (a collapsible tree with type
badges, examples, nullable/required marks, a search box and keep/drop checkboxes) and the
HTML and plain text of a :class:`~nbconnect.pull.tree.PullResult`.

Every action of the view is a method too (:meth:`PullView.search`, :meth:`PullView.toggle`,
:meth:`PullView.drop`, :meth:`PullView.accept`), so a line of Python does what a click does.
Plain text is the result's deterministic text (nbval compares it); the HTML fallback (nested
``<details>``, collapsible without widgets) rides beside the widget view, since JupyterLab
does not save widget state by default.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

import ipywidgets as widgets

from ..model import Connector

__all__ = ["PullView", "pull_html", "pull_text"]

_BADGE = ("display:inline-block;padding:0 5px;margin:0 4px;border-radius:3px;font-size:85%;"
          "background:{bg};color:#fff")
_COLORS = {"string": "#2e7d32", "integer": "#1565c0", "number": "#1565c0",
           "boolean": "#6a1b9a", "object": "#ef6c00", "array": "#ad1457", "any": "#616161",
           "unknown": "#9e9e9e"}


def _badge(field: Any) -> str:
    color = _COLORS.get(field.type, "#616161")
    return f'<span style="{_BADGE.format(bg=color)}">{escape(field.label)}</span>'


def _marks(field: Any) -> str:
    out = []
    if field.required:
        out.append('<span title="present in every sample">required</span>')
    if field.nullable:
        out.append('<span title="null seen">nullable</span>')
    if field.example is not None:
        ex = json.dumps(field.example, ensure_ascii=False)
        out.append(f'<code style="color:#555">e.g. {escape(ex)}</code>')
    if field.cut:
        out.append("<em>(deeper levels cut)</em>")
    return " ".join(out)


_DRIFT_MARK = ('<span style="display:inline-block;padding:0 4px;margin-left:4px;'
               'border:1px solid {c};color:{c};border-radius:3px;font-size:80%" '
               'title="{title}">{text}</span>')


def _drift_marks(result: Any) -> dict[str, str]:
    """path -> the drift mark of that field (added, or changed from the declared type)."""
    out = {p: _DRIFT_MARK.format(c="#2e7d32", title="returned but not declared", text="new")
           for p, _ in result.drift.added}
    for p, dt, _pt, dn, _pn in result.drift.changed:
        declared = dt + (", nullable" if dn else "")
        out[p] = _DRIFT_MARK.format(c="#e65100", title=escape(f"declared {declared}"),
                                    text="changed")
    return out


def _line(field: Any, marks: dict[str, str] | None = None) -> str:
    return (f'<code>{escape(field.name)}</code>{_badge(field)}'
            f'<small style="color:#555">{_marks(field)}</small>'
            f"{(marks or {}).get(field.path, '')}")


def _details(field: Any, marks: dict[str, str] | None = None) -> str:
    if not field.children:
        return f"<li>{_line(field, marks)}</li>"
    inner = "".join(_details(c, marks) for c in field.children)
    return (f"<li><details open><summary>{_line(field, marks)}</summary>"
            f'<ul style="list-style:none;margin:0;padding-left:1.2em">{inner}</ul>'
            "</details></li>")


def _drift_html(result: Any) -> str:
    drift = result.drift
    if not drift:
        return "<p>No drift: the returned fields match the declared response.</p>"
    lines = "".join(f"<li><code>{escape(line.strip())}</code></li>" for line in drift.lines())
    return (f"<p>Drift: {len(drift.added)} added, {len(drift.missing)} missing, "
            f"{len(drift.changed)} changed</p><ul>{lines}</ul>")


def pull_html(result: Any) -> str:
    """A PullResult as HTML: the tree as nested ``<details>``, then the drift."""
    n = sum(1 for _ in result.walk())
    marks = _drift_marks(result)
    tree = "".join(_details(f, marks) for f in result.fields)
    accepted = "<p>Accepted: the endpoint's response now follows this tree.</p>" \
        if result.accepted else ""
    return (f'<div class="nbconnect-pull"><b>{escape(result.endpoint)}</b>: {n} fields from '
            f"{result.samples} sample{'s' if result.samples != 1 else ''}"
            f'<ul style="list-style:none;padding-left:0">{tree}</ul>'
            f"{_drift_html(result)}{accepted}</div>")


def pull_text(result: Any) -> str:
    """A PullResult as deterministic plain text."""
    return result.text()


class PullView(widgets.VBox):
    """The interactive tree of a PullResult on ``connector``.

    A row per field: a fold button (fields with children), a keep checkbox, the name with a
    type badge, required/nullable marks, the example, and *new*/*changed* for drift. The
    search box shows only the fields whose path contains the text (and their parents).
    *Accept kept fields* writes the tree, less the unchecked fields, into the endpoint.
    """

    def __init__(self, result: Any, connector: Connector | None = None, **kwargs: Any) -> None:
        self.result = result
        self.connector = connector
        self._fields = list(result.walk())
        self._parents: dict[str, str | None] = {}
        for f in result.fields:
            self._parents[f.path] = None
            stack = [f]
            while stack:
                node = stack.pop()
                for c in node.children:
                    self._parents[c.path] = node.path
                    stack.append(c)
        self._marks = _drift_marks(result)
        self._folded: set[str] = set()
        self._query = ""
        self.boxes: dict[str, widgets.Checkbox] = {}
        self.folds: dict[str, widgets.Button] = {}
        self.rows: dict[str, widgets.HBox] = {}
        for f in self._fields:
            self.rows[f.path] = self._row(f)
        self.search_box = widgets.Text(placeholder="search fields", description="",
                                       layout=widgets.Layout(width="16em"))
        self.search_box.observe(lambda ch: self.search(ch["new"]), names="value")
        self.accept_button = widgets.Button(description="Accept kept fields",
                                            disabled=connector is None,
                                            tooltip="write the kept fields into the endpoint")
        self.accept_button.on_click(lambda _b: self.accept())
        self.status = widgets.HTML(_drift_html(result))
        head = widgets.HTML(f"<b>{escape(result.endpoint)}</b>: {len(self._fields)} fields "
                            f"from {result.samples} sample{'s' if result.samples != 1 else ''}")
        tree = widgets.VBox(list(self.rows.values()))
        super().__init__([head, widgets.HBox([self.search_box, self.accept_button]), tree,
                          self.status], **kwargs)

    def _depth(self, path: str) -> int:
        depth, parent = 0, self._parents.get(path)
        while parent is not None:
            depth += 1
            parent = self._parents.get(parent)
        return depth

    def _row(self, f: Any) -> widgets.HBox:
        box = widgets.Checkbox(value=True, indent=False, description="",
                               layout=widgets.Layout(width="2em"))
        self.boxes[f.path] = box
        pad = widgets.Layout(width=f"{1.5 * self._depth(f.path) + 2:.1f}em")
        if f.children:
            fold = widgets.Button(description="▾", layout=widgets.Layout(width="2em"),
                                  tooltip="fold or unfold")
            fold.on_click(lambda _b, p=f.path: self.toggle(p))
            self.folds[f.path] = fold
            lead: Any = widgets.HBox([widgets.HTML("", layout=widgets.Layout(
                width=f"{1.5 * self._depth(f.path):.1f}em")), fold])
        else:
            lead = widgets.HTML("", layout=pad)
        return widgets.HBox([lead, box, widgets.HTML(_line(f, self._marks))])

    def __repr__(self) -> str:
        return self.result.text()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            bundle["text/html"] = pull_html(self.result)
            bundle["text/plain"] = self.result.text()
        return bundle

    # -- what the controls do ----------------------------------------------------------------

    def _hidden_by_fold(self, path: str) -> bool:
        parent = self._parents.get(path)
        while parent is not None:
            if parent in self._folded:
                return True
            parent = self._parents.get(parent)
        return False

    def _refresh(self) -> None:
        q = self._query.lower()
        matching = {f.path for f in self._fields if q in f.path.lower()} if q else None
        shown: set[str] = set()
        if matching is not None:
            for path in matching:
                while path is not None and path not in shown:
                    shown.add(path)
                    path = self._parents.get(path)
        for path, row in self.rows.items():
            visible = (matching is None or path in shown) and not self._hidden_by_fold(path)
            row.layout.display = None if visible else "none"
        for path, fold in self.folds.items():
            fold.description = "▸" if path in self._folded else "▾"

    def visible(self) -> list[str]:
        """The paths of the rows shown now."""
        return [p for p, row in self.rows.items() if row.layout.display != "none"]

    def search(self, text: str) -> list[str]:
        """Show only fields whose path contains ``text`` (case-insensitive; "" shows all);
        returns the paths shown."""
        self._query = text or ""
        if self.search_box.value != self._query:
            self.search_box.value = self._query
        self._refresh()
        return self.visible()

    def toggle(self, path: str) -> bool:
        """Fold or unfold the field at ``path``; returns True when it is now folded."""
        if path not in self.folds:
            raise KeyError(path)
        self._folded ^= {path}
        self._refresh()
        return path in self._folded

    def drop(self, *paths: str, keep: bool = False) -> list[str]:
        """Uncheck (or, ``keep=True``, check) the fields at ``paths``; returns the dropped
        paths."""
        for path in paths:
            self.boxes[path].value = keep
        return self.dropped

    @property
    def dropped(self) -> list[str]:
        """The paths whose keep box is unchecked."""
        return [p for p, box in self.boxes.items() if not box.value]

    def accept(self) -> Any:
        """Write the kept fields into the endpoint; returns the new Endpoint."""
        from ..errors import NbConnectError
        from ..pull.accept import accept

        if self.connector is None:
            raise ValueError("This view has no connector to write into.")
        try:
            endpoint = accept(self.connector, self.result, self.dropped)
        except NbConnectError as exc:
            self.status.value = f"<p style='color:#b71c1c'>{escape(str(exc))}</p>"
            raise
        from ..pull.accept import needs_change

        kept = len(self._fields) - len(self.dropped)
        if not needs_change(self.result, self.dropped):
            self.status.value = ("<p>Nothing to change: the declared response matches and no "
                                 "field is dropped.</p>")
        else:
            self.status.value = (f"<p>Accepted {kept} field{'s' if kept != 1 else ''} into "
                                 f"{escape(endpoint.id)}.</p>")
        return endpoint
