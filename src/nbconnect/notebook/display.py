"""Rich and plain-text rendering of connectors, endpoints, import results and test reports.

The core objects carry no display code: this module renders them, and
:func:`register_formatters` hooks the renderers into IPython's display formatters
(``text/html`` and ``text/plain``, plus ``application/vnd.nbconnect.report+json`` for a
:class:`~nbconnect.testing.runner.TestReport`, read by the lab extension) when the extension is
loaded. Plain text is deterministic (no memory addresses, times, ports or latencies)
because nbval compares it; a report's HTML and JSON bundle carry latencies, so nbval
needs them sanitized or the cell's output ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from ..model import Connector, Endpoint, Param
from ..render import auth_text, connector_summary, endpoints_table

__all__ = [
    "REPORT_MIME",
    "ConnectionTable",
    "EndpointTable",
    "connector_html",
    "connector_text",
    "endpoint_html",
    "endpoint_text",
    "endpoints_html",
    "endpoints_text",
    "import_result_html",
    "import_result_text",
    "register_formatters",
    "report_html",
    "report_json",
    "report_text",
    "unregister_formatters",
]

#: Endpoint tables longer than this are folded away in HTML (``<details>`` closed).
_OPEN_TABLE_ROWS = 25
#: Warnings listed in full; the rest are counted.
_MAX_WARNINGS_SHOWN = 20
_COLUMNS = ("id", "method", "path", "name")
# JupyterLab's `:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td {text-align: right}`
# (0,2,1) outranks this rule; the lab extension's style (labextension/style/base.css)
# left-aligns the tables there and in Notebook 7.
_STYLE = ("<style>.nbconnect-table td,.nbconnect-table th{text-align:left;"
          "padding:2px 8px;font-family:var(--jp-code-font-family,monospace)}</style>")


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _auth_text(auth: Any) -> str:
    return auth_text(auth)


# --------------------------------------------------------------------------- endpoint tables


def _rows(endpoints: Iterable[Endpoint]) -> list[tuple[str, str, str, str]]:
    return [(ep.id, ep.method, ep.path, ep.name) for ep in endpoints]


def endpoints_text(endpoints: Iterable[Endpoint]) -> str:
    """A plain-text table of ``endpoints``: id, method, path, name (as the CLI prints it)."""
    return endpoints_table(endpoints)


def endpoints_html(endpoints: Iterable[Endpoint], *, summary: str | None = None,
                   style: bool = True, opened: bool | None = None) -> str:
    """An HTML table of ``endpoints`` in a ``<details>`` element: open up to 25 rows, or
    as ``opened`` says."""
    rows = _rows(endpoints)
    summary = summary or _plural(len(rows), "endpoint")
    if not rows:
        return f"<p><i>{escape(summary)}</i></p>"
    head = "".join(f"<th>{c}</th>" for c in _COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(v)}</td>" for v in r) + "</tr>" for r in rows
    )
    if opened is None:
        opened = len(rows) <= _OPEN_TABLE_ROWS
    return (f"<details{' open' if opened else ''}><summary>{escape(summary)}</summary>"
            f"{_STYLE if style else ''}"
            f"<table class=\"nbconnect-table\"><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></details>")


class EndpointTable(Sequence[Endpoint]):
    """The endpoints of a connector, shown as a table (``%connect endpoints``).

    A read-only sequence of :class:`~nbconnect.model.Endpoint`; displays as an HTML
    table in notebooks and as a plain-text table elsewhere.
    """

    def __init__(self, endpoints: Iterable[Endpoint], *, title: str = "") -> None:
        self.endpoints: tuple[Endpoint, ...] = tuple(endpoints)
        self.title = title

    def __len__(self) -> int:
        return len(self.endpoints)

    def __getitem__(self, index: Any) -> Any:
        return self.endpoints[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EndpointTable):
            return self.endpoints == other.endpoints
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    @property
    def ids(self) -> list[str]:
        return [ep.id for ep in self.endpoints]

    def text(self) -> str:
        return endpoints_text(self.endpoints)

    def __repr__(self) -> str:
        return self.text()

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.text())

    def _repr_html_(self) -> str:
        summary = _plural(len(self.endpoints), "endpoint")
        if self.title:
            summary = f"{self.title}: {summary}"
        return endpoints_html(self.endpoints, summary=summary)


# --------------------------------------------------------------------------- connections


class ConnectionTable(Sequence[Any]):
    """The test connections of a connector (``%connect connection list``).

    A read-only sequence of :class:`~nbconnect.model.Connection`; displays as a table of
    name, default mark, base URL, secret references and settings. A secret held in
    memory shows as ``(in memory)``, never its value.
    """

    def __init__(self, connections: Iterable[Any], *, title: str = "") -> None:
        self.connections: tuple[Any, ...] = tuple(connections)
        self.title = title

    def __len__(self) -> int:
        return len(self.connections)

    def __getitem__(self, index: Any) -> Any:
        return self.connections[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ConnectionTable):
            return self.connections == other.connections
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.connections]

    def text(self) -> str:
        from ..verbs.grammar import connections_table

        return connections_table(self.connections)

    def __repr__(self) -> str:
        return self.text()

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.text())

    def _repr_html_(self) -> str:
        from ..verbs.grammar import kebab

        summary = _plural(len(self.connections), "connection")
        if self.title:
            summary = f"{self.title}: {summary}"
        if not self.connections:
            return f"<p><i>{escape(summary)}</i></p>"
        head = "".join(f"<th>{c}</th>" for c in ("name", "default", "base URL", "secrets",
                                                  "settings"))
        rows = []
        for c in self.connections:
            secrets = ", ".join(f"{kebab(k)}={v if isinstance(v, str) else '(in memory)'}"
                                for k, v in c.secrets)
            settings = ", ".join(f"{kebab(k)}={v}" for k, v in c.settings)
            cells = (c.name, "yes" if c.default else "", c.base_url, secrets, settings)
            rows.append("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in cells) + "</tr>")
        return (f"<details open><summary>{escape(summary)}</summary>{_STYLE}"
                f"<table class=\"nbconnect-table\"><thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table></details>")


# --------------------------------------------------------------------------- connector


def _connector_facts(c: Connector) -> list[tuple[str, str]]:
    manual = sum(1 for ep in c.endpoints if ep.source == "manual")
    count = _plural(len(c.endpoints), "endpoint")
    if c.endpoints:
        count += f" ({len(c.endpoints) - manual:,} imported, {manual:,} added by hand)"
    facts = [("name", c.name)]
    if c.description:
        first = c.description.strip().splitlines()[0] if c.description.strip() else ""
        facts.append(("description", first))
    facts += [
        ("base URL", c.base_url or "(not set)"),
        ("auth", _auth_text(c.auth)),
        ("endpoints", count),
        ("connections", ", ".join(x.name + (" (default)" if x.default else "")
                                  for x in c.connections) or "none"),
    ]
    if c.schemas:
        facts.append(("schemas", f"{len(c.schemas):,}"))
    return facts


def connector_text(c: Connector) -> str:
    """A multi-line plain-text summary of a connector (as ``nbconnect show`` prints it)."""
    return connector_summary(c)


def _facts_html(facts: Sequence[tuple[str, str]]) -> str:
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in facts)
    return f"<table class=\"nbconnect-table\">{rows}</table>"


def connector_html(c: Connector) -> str:
    """An HTML summary of a connector with its endpoint table."""
    facts = [(k, v) for k, v in _connector_facts(c) if k != "name"]
    return (f"<div class=\"nbconnect-connector\">{_STYLE}"
            f"<b>Connector {escape(c.name)}</b>{_facts_html(facts)}"
            # folded: `%connect endpoints` is the table (the summary gives the count)
            f"{endpoints_html(c.endpoints, style=False, opened=False)}</div>")


# --------------------------------------------------------------------------- endpoint


def _param_rows(params: Iterable[Param], location: str | None = None) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for top in params:
        for dotted, p in top.walk():
            kind = p.type + (f"[{p.items}]" if p.type == "array" and p.items else "")
            rows.append((location or p.location, dotted, kind,
                         "yes" if p.required else "",
                         "" if p.default is None else repr(p.default),
                         p.description.strip().splitlines()[0] if p.description.strip() else ""))
    return rows


def _endpoint_param_rows(ep: Endpoint) -> list[tuple[str, ...]]:
    return (_param_rows(ep.params) + _param_rows(ep.body, "body")
            + _param_rows(ep.response, "response"))


_PARAM_COLUMNS = ("in", "name", "type", "required", "default", "description")


def endpoint_text(ep: Endpoint) -> str:
    """A plain-text description of one endpoint and its parameters."""
    lines = [f"{ep.method} {ep.path}  ({ep.id})", f"name: {ep.name}"]
    if ep.description:
        lines.append(f"description: {ep.description.strip().splitlines()[0]}")
    if ep.tags:
        lines.append(f"tags: {', '.join(ep.tags)}")
    rows = _endpoint_param_rows(ep)
    if rows:
        widths = [max(len(c), *(len(r[i]) for r in rows))
                  for i, c in enumerate(_PARAM_COLUMNS)]
        lines.append("  ".join(c.upper().ljust(w)
                               for c, w in zip(_PARAM_COLUMNS, widths, strict=True)).rstrip())
        lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
                  for r in rows]
    else:
        lines.append("no parameters")
    return "\n".join(lines)


def endpoint_html(ep: Endpoint) -> str:
    """An HTML description of one endpoint and its parameters."""
    facts = [("id", ep.id), ("name", ep.name)]
    if ep.description:
        facts.append(("description", ep.description.strip()))
    if ep.tags:
        facts.append(("tags", ", ".join(ep.tags)))
    rows = _endpoint_param_rows(ep)
    table = ""
    if rows:
        head = "".join(f"<th>{c}</th>" for c in _PARAM_COLUMNS)
        body = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in r) + "</tr>"
                       for r in rows)
        table = (f"<table class=\"nbconnect-table\"><thead><tr>{head}</tr></thead>"
                 f"<tbody>{body}</tbody></table>")
    return (f"<div class=\"nbconnect-endpoint\">{_STYLE}<b>{escape(ep.method)} "
            f"<code>{escape(ep.path)}</code></b>{_facts_html(facts)}{table}</div>")


# --------------------------------------------------------------------------- import result


def _import_facts(r: Any) -> tuple[str, list[tuple[str, str]]]:
    title = r.title or "Untitled API"
    if r.version:  # "Tasks Demo API, version 1.2.0": a title may end in a number itself
        title += f", version {r.version}"
    if r.openapi_version:
        title += f" (OpenAPI {r.openapi_version})"
    total = getattr(r, "operations_total", 0) or len(r.endpoints)
    # the spec's base URL and auth: taken when the connector had none, else kept aside
    facts = [
        ("endpoints", f"{len(r.endpoints):,} of {_plural(total, 'operation')} imported"),
        ("schemas", f"{len(r.schemas):,}"),
        ("spec's base URL", r.base_url or "none"),
        ("spec's auth", _auth_text(r.auth)),
    ]
    return title, facts


def import_result_text(r: Any) -> str:
    """A plain-text summary of an ImportResult: title, counts, suggestions, warnings."""
    title, facts = _import_facts(r)
    width = max(len(k) for k, _ in facts)
    lines = [title, *(f"{k + ':':<{width + 1}} {v}" for k, v in facts)]
    warnings = list(r.warnings)
    if warnings:
        lines.append(f"{_plural(len(warnings), 'warning')}:")
        lines += [f"  - {w}" for w in warnings[:_MAX_WARNINGS_SHOWN]]
        if len(warnings) > _MAX_WARNINGS_SHOWN:
            lines.append(f"  ... and {len(warnings) - _MAX_WARNINGS_SHOWN:,} more")
    return "\n".join(lines)


def import_result_html(r: Any) -> str:
    """An HTML summary of an ImportResult, with its endpoint table folded."""
    title, facts = _import_facts(r)
    warnings = list(r.warnings)
    warn_html = ""
    if warnings:
        items = "".join(f"<li>{escape(w)}</li>" for w in warnings[:_MAX_WARNINGS_SHOWN])
        if len(warnings) > _MAX_WARNINGS_SHOWN:
            items += f"<li>... and {len(warnings) - _MAX_WARNINGS_SHOWN:,} more</li>"
        warn_html = (f"<details><summary>{escape(_plural(len(warnings), 'warning'))}"
                     f"</summary><ul>{items}</ul></details>")
    return (f"<div class=\"nbconnect-import\">{_STYLE}<b>{escape(title)}</b>"
            f"{_facts_html(facts)}{warn_html}"
            f"{endpoints_html(r.endpoints, summary='imported endpoints', style=False)}</div>")


# --------------------------------------------------------------------------- test report

#: The MIME type of a TestReport's JSON bundle (``TestReport.to_dict()``).
REPORT_MIME = "application/vnd.nbconnect.report+json"


def report_text(report: Any) -> str:
    """The report's deterministic plain text (``report.text()``: no latencies)."""
    return report.text()


def report_json(report: Any) -> dict[str, Any]:
    """The report's JSON bundle: ``report.to_dict()`` (latencies included)."""
    return report.to_dict()


def report_html(report: Any) -> str:
    """An HTML table of a TestReport (see :mod:`.reporthtml`)."""
    from .reporthtml import report_html as render

    return render(report)


# --------------------------------------------------------------------------- IPython hooks


def _pullview() -> Any:
    from . import pullview  # ipywidgets: loaded when a pull result is shown

    return pullview


def _mcpview() -> Any:
    from . import mcpview

    return mcpview


def _pretty(render: Any) -> Any:
    def printer(obj: Any, p: Any, cycle: bool) -> None:
        p.text(render(obj))

    return printer


# (mime type, module, class name, renderer)
_FORMATS: tuple[tuple[str, str, str, Any], ...] = (
    ("text/html", "nbconnect.model.connector", "Connector", connector_html),
    ("text/plain", "nbconnect.model.connector", "Connector", _pretty(connector_text)),
    ("text/html", "nbconnect.model.endpoint", "Endpoint", endpoint_html),
    ("text/html", "nbconnect.spec.importer", "ImportResult", import_result_html),
    ("text/plain", "nbconnect.spec.importer", "ImportResult", _pretty(import_result_text)),
    ("text/html", "nbconnect.testing.report", "TestReport", report_html),
    ("text/plain", "nbconnect.testing.report", "TestReport", _pretty(report_text)),
    (REPORT_MIME, "nbconnect.testing.report", "TestReport", report_json),
    ("text/html", "nbconnect.pull.tree", "PullResult", lambda r: _pullview().pull_html(r)),
    ("text/plain", "nbconnect.pull.tree", "PullResult", _pretty(lambda r: r.text())),
    ("text/plain", "nbconnect.paging.follow", "PagingResult", _pretty(lambda r: r.text())),
    ("text/html", "nbconnect.mcp.remote", "CheckResult",
     lambda r: _mcpview().McpCheckView(r)._repr_html_()),
    ("text/plain", "nbconnect.mcp.remote", "CheckResult",
     _pretty(lambda r: repr(_mcpview().McpCheckView(r)))),
    ("text/html", "nbconnect.mcp.calls", "ToolResult",
     lambda r: _mcpview().ToolResultView(r)._repr_mimebundle_()["text/html"]),
)


def _report_formatter(shell: Any) -> Any:
    """A display formatter for :data:`REPORT_MIME` (IPython has none for custom types)."""
    from IPython.core.formatters import BaseFormatter
    from traitlets import ObjectName, Unicode

    class ReportFormatter(BaseFormatter):
        """``application/vnd.nbconnect.report+json``: a JSON-able dict."""

        format_type = Unicode(REPORT_MIME)
        print_method = ObjectName("_repr_nbconnect_report_")
        _return_type = (dict,)

    return ReportFormatter(parent=shell.display_formatter)


def register_formatters(shell: Any) -> None:
    """Render nbconnect objects with the functions above in ``shell``'s displays.

    Registered by module and class name, so ``nbconnect.spec.importer`` is not imported until
    an import result is actually shown.
    """
    formatters = shell.display_formatter.formatters
    if REPORT_MIME not in formatters:
        formatters[REPORT_MIME] = _report_formatter(shell)
    for mime, module, name, func in _FORMATS:
        formatters[mime].for_type_by_name(module, name, func)


def unregister_formatters(shell: Any) -> None:
    """Undo :func:`register_formatters`."""
    formatters = shell.display_formatter.formatters
    for mime, module, name, _ in _FORMATS:
        fmt = formatters.get(mime)
        if fmt is None:
            continue
        fmt.deferred_printers.pop((module, name), None)
        for cls in list(fmt.type_printers):
            if cls.__module__ == module and cls.__name__ == name:
                fmt.type_printers.pop(cls, None)
    formatters.pop(REPORT_MIME, None)
