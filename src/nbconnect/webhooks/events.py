"""Seeing received webhook events: listing them as objects, and replaying one to a handler.

:func:`list_events` reads the event log of a connector (or of its ``Webhooks``, a package
path, or an open :class:`~nbconnect.webhooks.eventlog.EventLog`) and returns an
:class:`EventList` of :class:`Event` objects: when it arrived (UTC), which webhook, whether
its signature was verified, its headers with secrets masked
(:func:`nbconnect.auth.secrets.redact_headers`), and its raw body with a one-line preview.

Which log: the ``log`` given (a path or ``redis://`` URL), else the log of the receiver
last started in this process for one of these webhooks, else the package folder's
``webhook-events.sqlite`` (:func:`default_log_path`).

:func:`replay` hands a stored event to a Python handler (``handler(event)``), the way the
receiver would have; :func:`replay_events` does it for every stored event of a webhook.
Texts for the CLI (:func:`events_text`, :func:`events_json`) are here; the notebook's
table is :mod:`nbconnect.notebook.eventtable`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..auth.secrets import redact, redact_headers
from ..model import Connector
from ..model.webhook import Webhooks
from .eventlog import EVENT_LOG_FILE, EventLog, StoredEvent, open_event_log

__all__ = ["PREVIEW_CHARS", "Event", "EventList", "default_log_path", "events_json",
           "events_text", "list_events", "replay", "replay_events"]

#: characters of a body shown in a preview
PREVIEW_CHARS = 80


@dataclass(frozen=True)
class Event:
    """One received webhook event, as shown to people and handed to handlers.

    ``time``: when the receiver accepted it (an aware UTC datetime); ``timestamp``: the
    sender's signed time (epoch seconds) or None; ``headers``: lower-case names to values,
    secrets masked; ``body``: the raw bytes. The repr leaves out the time, so notebook
    output stays the same from run to run.
    """

    webhook: str
    delivery_id: str
    time: datetime
    verified: bool
    headers: dict[str, str]
    body: bytes
    timestamp: int | None = None
    position: str = ""

    @property
    def text(self) -> str:
        """The body as UTF-8 text (undecodable bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` when it is not JSON)."""
        return json.loads(self.body.decode("utf-8"))

    @property
    def body_preview(self) -> str:
        """The body on one line, at most :data:`PREVIEW_CHARS` characters (``…`` when cut),
        secret values masked."""
        text = " ".join(redact(self.text).split())
        return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS - 1] + "…"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: time as ISO 8601 (RFC 3339) UTC; the body as text when it is UTF-8,
        else ``body_base64``."""
        out: dict[str, Any] = {"webhook": self.webhook, "delivery_id": self.delivery_id,
                               "time": self.time.isoformat().replace("+00:00", "Z"),
                               "verified": self.verified, "timestamp": self.timestamp,
                               "headers": dict(self.headers)}
        try:
            out["body"] = redact(self.body.decode("utf-8"))
        except UnicodeDecodeError:
            out["body_base64"] = base64.b64encode(self.body).decode("ascii")
        return out

    def __repr__(self) -> str:
        return (f"Event(webhook={self.webhook!r}, delivery_id={self.delivery_id!r}, "
                f"verified={self.verified}, body={self.body_preview!r})")


class EventList(list):
    """A list of :class:`Event` (oldest first) with a short deterministic repr."""

    def __repr__(self) -> str:
        if not self:
            return "EventList([])  # no events"
        names = sorted({e.webhook for e in self})
        verified = sum(1 for e in self if e.verified)
        return (f"EventList({len(self)} event{'s' if len(self) != 1 else ''} of "
                f"{', '.join(names)}; {verified} verified)")

    def for_webhook(self, name: str) -> EventList:
        """The events of webhook ``name``."""
        return EventList(e for e in self if e.webhook == name)


def to_event(stored: StoredEvent) -> Event:
    """The :class:`Event` of a log entry (headers masked)."""
    return Event(webhook=stored.webhook, delivery_id=stored.delivery_id,
                 time=datetime.fromtimestamp(stored.received_at, tz=UTC),
                 verified=stored.verified, headers=redact_headers(list(stored.headers)),
                 body=stored.body, timestamp=stored.timestamp, position=stored.position)


def default_log_path(package: str | Path | None) -> Path:
    """Where a package keeps its events: ``<folder>/webhook-events.sqlite``; a ``.zip``
    package the file ``<name>.webhook-events.sqlite`` beside it; no package: the current
    directory's ``webhook-events.sqlite``."""
    if package is None:
        return Path.cwd() / EVENT_LOG_FILE
    path = Path(package).expanduser()
    if path.suffix.lower() == ".zip":
        return path.with_name(f"{path.stem}.{EVENT_LOG_FILE}")
    return path / EVENT_LOG_FILE


def _source(source: Any) -> tuple[Webhooks | None, str, Path | None]:
    """(webhooks, namespace, package path) of what list_events was given."""
    if isinstance(source, Connector):
        return source.webhooks, source.name, None
    if isinstance(source, Webhooks):
        return source, "", None
    if isinstance(source, str | Path):
        from ..package.format import load

        connector = load(source)
        return connector.webhooks, connector.name, Path(source)
    return None, "", None


def open_log_for(source: Any, log: Any = None, *, namespace: str | None = None) -> EventLog:
    """The event log ``list_events`` reads for ``source`` (see the module docstring)."""
    if isinstance(source, EventLog):
        return source
    webhooks, name, package = _source(source)
    if log is None and webhooks is not None:
        from .receiver import remembered_log

        found = remembered_log([w.token for w in webhooks])
        if found is not None:
            log, namespace = found[0], namespace or found[1]
    return open_event_log(log, default=default_log_path(package),
                          namespace=namespace or name or "default")


def list_events(source: Any, name: str | None = None, *, log: Any = None,
                limit: int | None = None, namespace: str | None = None) -> EventList:
    """The stored events of webhook ``name`` (None: of every webhook), oldest first.

    ``source``: a :class:`~nbconnect.model.Connector`, its ``webhooks``, a package path or
    an :class:`~nbconnect.webhooks.eventlog.EventLog`; ``log``: a path or ``redis://`` URL
    (see the module docstring for the default); ``limit``: only the newest ``limit``;
    ``namespace``: the Redis key namespace (default: the connector's name). Raises
    :class:`~nbconnect.errors.WebhookNotFoundError` for a name the connector lacks and
    :class:`~nbconnect.errors.EventLogError` when the log cannot be read.
    """
    webhooks, _, _ = _source(source) if not isinstance(source, EventLog) else (None, "", None)
    if name is not None and webhooks is not None:
        webhooks[name]  # an unknown name raises WebhookNotFoundError
    opened = open_log_for(source, log, namespace=namespace)
    try:
        return EventList(to_event(e) for e in opened.events(name, limit=limit))
    finally:
        if opened is not source and opened is not log:
            opened.close()


def replay(event: Event | StoredEvent, handler: Callable[[Event], Any]) -> Any:
    """Call ``handler(event)`` with a stored event, as if it had just arrived; returns what
    the handler returns (its exceptions propagate)."""
    if isinstance(event, StoredEvent):
        event = to_event(event)
    return handler(event)


def replay_events(source: Any, handler: Callable[[Event], Any], name: str | None = None,
                  **options: Any) -> list[Any]:
    """:func:`replay` every stored event of ``name`` (None: all), oldest first; returns the
    handler's results in order (``options``: those of :func:`list_events`)."""
    return [replay(e, handler) for e in list_events(source, name, **options)]


# --------------------------------------------------------------------------- texts


def events_text(events: Iterable[Event], *, times: bool = True) -> str:
    """A plain-text table: time (UTC, seconds), webhook, verified, delivery id, body
    preview (``times=False`` leaves the time out)."""
    from ..render import text_table

    rows = []
    for e in events:
        row = (e.webhook, "yes" if e.verified else "no", e.delivery_id, e.body_preview)
        if times:
            row = (e.time.strftime("%Y-%m-%d %H:%M:%S"), *row)
        rows.append(row)
    if not rows:
        return "No events received yet."
    head = ("webhook", "verified", "delivery id", "body")
    return text_table(("time (UTC)", *head) if times else head, rows)


def events_json(events: Iterable[Event]) -> str:
    """The events as a JSON array of :meth:`Event.to_dict` (indented)."""
    return json.dumps([e.to_dict() for e in events], indent=2, ensure_ascii=False)
