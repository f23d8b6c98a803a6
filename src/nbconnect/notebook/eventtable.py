"""The received webhook events in the notebook: :class:`EventTable`, a live table, and the
HTML and plain text of an :class:`~nbconnect.webhooks.events.EventList`.

One row per event: the time it arrived (UTC), its webhook, whether its signature was
verified, its headers with secrets masked (folded in a ``<details>``), its delivery id and a
body preview. ``EventTable.live(connector)`` (or :meth:`EventTable.start`) re-reads the
event log every ``interval`` seconds in a daemon thread, so events show up while the
receiver runs; :meth:`EventTable.refresh` does one read, :meth:`EventTable.stop` stops it.

The plain text is a count by webhook without times (nbval compares it; it stays the same
from run to run); the HTML fallback rides beside the widget view, since JupyterLab does not
save widget state by default.
"""

from __future__ import annotations

import threading
from html import escape
from typing import Any

import ipywidgets as widgets

from ..webhooks.events import Event, EventList, list_events

__all__ = ["EventTable", "events_html", "events_summary"]

_CELL = "padding:2px 8px;text-align:left;vertical-align:top"


def events_summary(events: EventList) -> str:
    """``3 events (orders: 2, refunds: 1), 3 verified``: no times, deterministic."""
    if not events:
        return "no events yet"
    counts: dict[str, int] = {}
    for e in events:
        counts[e.webhook] = counts.get(e.webhook, 0) + 1
    by = ", ".join(f"{name}: {n}" for name, n in sorted(counts.items()))
    verified = sum(1 for e in events if e.verified)
    return f"{len(events)} event{'s' if len(events) != 1 else ''} ({by}), {verified} verified"


def _headers_html(event: Event) -> str:
    rows = "".join(f"<div><code>{escape(k)}: {escape(v)}</code></div>"
                   for k, v in event.headers.items())
    return (f"<details><summary>{len(event.headers)} headers</summary>"
            f"{rows}</details>")


def events_html(events: EventList, *, title: str = "Webhook events") -> str:
    """The events as an HTML table (newest last), with a caption that counts them."""
    head = "".join(f'<th style="{_CELL}">{h}</th>' for h in
                   ("time (UTC)", "webhook", "verified", "headers", "delivery id", "body"))
    rows = []
    for e in events:
        mark = ('<span style="color:#2e7d32">&#10003; verified</span>' if e.verified else
                '<span style="color:#9e9e9e">not signed</span>')
        cells = (escape(e.time.strftime("%Y-%m-%d %H:%M:%S")), f"<b>{escape(e.webhook)}</b>",
                 mark, _headers_html(e), f"<code>{escape(e.delivery_id)}</code>",
                 f"<code>{escape(e.body_preview)}</code>")
        rows.append("<tr>" + "".join(f'<td style="{_CELL}">{c}</td>' for c in cells) + "</tr>")
    body = "".join(rows) or (f'<tr><td colspan="6" style="{_CELL}"><em>No events received '
                             "yet.</em></td></tr>")
    return (f'<table class="nbconnect-events"><caption style="text-align:left">'
            f"<b>{escape(title)}</b>: {escape(events_summary(events))}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


class EventTable(widgets.VBox):
    """A table of webhook events; live when it has a ``source`` to re-read.

    ``events``: an EventList to show; ``source``: what
    :func:`~nbconnect.webhooks.events.list_events` reads (a Connector, its webhooks, a
    package path or an event log), with ``name`` (one webhook) and ``log`` (a path or
    ``redis://`` URL) as there; they are kept as :attr:`source`, :attr:`webhook` and
    :attr:`event_log`.
    """

    def __init__(self, events: EventList | None = None, *, source: Any = None,
                 name: str | None = None, log: Any = None, **kwargs: Any) -> None:
        self.source = source
        self.webhook = name
        self.event_log = log
        self.events = EventList(events or [])
        self._html = widgets.HTML()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        super().__init__(children=[self._html], **kwargs)
        if source is not None and events is None:
            self.refresh()
        else:
            self._render()

    @classmethod
    def live(cls, source: Any, name: str | None = None, *, log: Any = None,
             interval: float = 1.0) -> EventTable:
        """A table of ``source``'s events that re-reads them every ``interval`` seconds."""
        table = cls(source=source, name=name, log=log)
        table.start(interval)
        return table

    def _render(self) -> None:
        title = "Webhook events" + (f" of {self.webhook}" if self.webhook else "")
        self._html.value = events_html(self.events, title=title)

    def refresh(self) -> EventList:
        """Read the events again from the source (no source: keep them); returns them."""
        if self.source is not None:
            self.events = list_events(self.source, self.webhook, log=self.event_log)
        self._render()
        return self.events

    def start(self, interval: float = 1.0) -> None:
        """Re-read every ``interval`` seconds (at least 0.2) in a daemon thread."""
        if self.source is None:
            raise ValueError("This table has no source to re-read; build it with a source.")
        self.stop()
        self._stop = threading.Event()
        wait = max(float(interval), 0.2)

        def poll() -> None:
            while not self._stop.wait(wait):
                try:
                    self.refresh()
                except Exception:  # a log that went away: try again next time
                    continue

        self._thread = threading.Thread(target=poll, daemon=True,
                                        name="nbconnect-event-table")
        self._thread.start()

    def stop(self) -> None:
        """Stop re-reading (safe to call twice)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)

    @property
    def running(self) -> bool:
        """True while the table re-reads its source."""
        return self._thread is not None and self._thread.is_alive()

    def text(self) -> str:
        """``EventTable: 3 events (orders: 3), 3 verified``."""
        return f"EventTable: {events_summary(self.events)}"

    def __repr__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            bundle["text/html"] = self._html.value
            bundle["text/plain"] = self.text()
        return bundle
