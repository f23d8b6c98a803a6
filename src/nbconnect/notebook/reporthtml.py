"""The HTML of a test report (``text/html`` of a TestReport): a pass/fail badge per row,
failures first, a latency bar per row, columns sortable by a click, and a failure reason
shared by several endpoints listed once above the table. Reasons are redacted."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

__all__ = ["report_html"]

_REPORT_STYLE = (
    "<style>.nbconnect-report td,.nbconnect-report th{text-align:left;padding:2px 8px;"
    "font-family:var(--jp-code-font-family,monospace);vertical-align:top}"
    ".nbconnect-report th{cursor:pointer;user-select:none}"
    ".nbconnect-badge{display:inline-block;padding:0 6px;border-radius:8px;color:#fff;"
    "font-weight:bold;font-size:90%}.nbconnect-pass{background:#2e7d32}"
    ".nbconnect-fail{background:#c62828}"
    ".nbconnect-bar{display:inline-block;height:8px;background:#64b5f6;"
    "vertical-align:middle;margin-right:4px}</style>")
_REASONS_STYLE = ("<style>.nbconnect-reasons{margin:4px 0;padding-left:1.5em}"
                  ".nbconnect-reasons li{margin:2px 0}</style>")

# Clicking a header sorts by that column (numbers numerically); a second click reverses.
# Without JavaScript (an untrusted notebook) the table keeps its order: failures first.
_SORT_JS = (
    "var t=this.closest('table'),b=t.tBodies[0],i=this.cellIndex,"
    "d=this.dataset.dir==='asc'?-1:1;this.dataset.dir=d>0?'asc':'desc';"
    "Array.from(b.rows).sort(function(x,y){var p=x.cells[i].dataset.v,"
    "q=y.cells[i].dataset.v,m=parseFloat(p),n=parseFloat(q);"
    "return d*(isNaN(m)||isNaN(n)?p.localeCompare(q):m-n)}).forEach(function(r){"
    "b.appendChild(r)})")






def _ordered(results: Sequence[Any]) -> list[Any]:
    """Failures first, each group in endpoint order."""
    return [r for r in results if not r.ok] + [r for r in results if r.ok]


def _size_text(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def report_html(report: Any) -> str:
    """An HTML table of a TestReport: a pass/fail badge per row, failures first, a
    latency bar per row and columns sortable by a click (inline JavaScript; the
    failures-first order stays when scripts do not run). Reasons are redacted."""
    from ..auth.secrets import redact

    results = _ordered(report.results)
    head = (f"{report.connector or 'connector'}: {report.passed} passed, "
            f"{report.failed} failed")
    if report.connection:
        head += f" (connection {report.connection})"
    badge = ("nbconnect-pass", "all passed") if report.ok else \
        ("nbconnect-fail", f"{report.failed} failed")
    title = (f"<b>{escape(head)}</b> <span class=\"nbconnect-badge {badge[0]}\">"
             f"{escape(badge[1])}</span>")
    if not results:
        return f"<div class=\"nbconnect-report\">{title}<p><i>no endpoints tested</i></p></div>"
    slowest = max((r.latency_ms or 0.0) for r in results) or 1.0
    groups, reasons_html = _reason_groups(results, redact)
    columns = ("result", "endpoint", "method", "path", "status", "latency", "size", "reason")
    sort = escape(_SORT_JS, quote=True)
    head_row = "".join(f"<th onclick=\"{sort}\" title=\"sort\">{c}</th>" for c in columns)
    rows = []
    for r in results:
        latency = r.latency_ms
        width = 0 if latency is None else max(1, round(60 * latency / slowest))
        lat_text = "" if latency is None else f"{latency:.0f} ms"
        bar = (f"<span class=\"nbconnect-bar\" style=\"width:{width}px\"></span>"
               if latency is not None else "")
        status = "" if r.status is None else str(r.status)
        cells = (
            ("0" if not r.ok else "1",
             f"<span class=\"nbconnect-badge {'nbconnect-pass' if r.ok else 'nbconnect-fail'}"
             f"\">{'pass' if r.ok else 'FAIL'}</span>"),
            (r.endpoint_id, escape(r.endpoint_id)),
            (r.method, escape(r.method)),
            (r.path, f"<code>{escape(r.path)}</code>"),
            (status or "0", escape(status)),
            ("" if latency is None else f"{latency:.3f}", f"{bar}{escape(lat_text)}"),
            ("" if r.size is None else str(r.size), escape(_size_text(r.size))),
            (redact(r.reason), _reason_cell(redact(r.reason), groups)),
        )
        rows.append("<tr>" + "".join(f"<td data-v=\"{escape(v, quote=True)}\">{html}</td>"
                                     for v, html in cells) + "</tr>")
    return (f"<div class=\"nbconnect-report\">{_REPORT_STYLE}{title}{reasons_html}"
            f"<table class=\"nbconnect-table nbconnect-report\"><thead><tr>{head_row}</tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table></div>")


def _reason_groups(results: Sequence[Any], redact: Any) -> tuple[dict[str, int], str]:
    """Failure reasons shared by two or more results: ``{reason: number}`` and a numbered
    list of them (with the endpoints) shown once above the table."""
    by_reason: dict[str, list[str]] = {}
    for r in results:
        if not r.ok and r.reason:
            by_reason.setdefault(redact(r.reason), []).append(r.endpoint_id)
    shared = [(reason, ids) for reason, ids in by_reason.items() if len(ids) > 1]
    if not shared:
        return {}, ""
    groups = {reason: i for i, (reason, _) in enumerate(shared, 1)}
    items = "".join(
        f"<li><b>{len(ids):,} endpoints</b>: {escape(reason)} <i>({escape(', '.join(ids[:8]))}"
        f"{f' and {len(ids) - 8} more' if len(ids) > 8 else ''})</i></li>"
        for reason, ids in shared)
    return groups, f"{_REASONS_STYLE}<ol class=\"nbconnect-reasons\">{items}</ol>"


def _reason_cell(reason: str, groups: dict[str, int]) -> str:
    number = groups.get(reason)
    return escape(reason) if number is None else f"<i>reason {number} above</i>"
