"""The webhook event log: the interface every log keeps, and the embedded SQLite log.

A receiver stores every accepted delivery as a :class:`StoredEvent` *before* it answers 2xx,
so an event the third party saw acknowledged survives a crash of the receiver. A log keeps
each ``(webhook, delivery id)`` once: storing a redelivered event again returns False and
changes nothing (idempotence by delivery id).

:class:`SqliteEventLog` is the embedded default: one SQLite file (in the package's folder
or a given path) in WAL mode with ``synchronous=FULL``, so a commit is on disk (the WAL
fsynced) when :meth:`EventLog.append` returns. FULL, not NORMAL: in WAL mode NORMAL skips
the fsync at commit, so a power loss or kernel crash could lose transactions that were
already acknowledged, which is what the receiver promises never happens (an event that
got a 2xx is stored). Appends go to one writer thread, which takes every append waiting
when it is free and commits them in one transaction (group commit: one fsync for all the
deliveries that arrived while the previous commit was on its way to disk, and
redeliveries found with one query), then answers their waiters with one wake-up of the
event loop per batch. The writer starts the next batch as soon as a commit returns,
without a round trip through the event loop, so the disk never waits for the loop.
Several processes may share the file (SQLite's locking, a busy timeout of 10 s).

:func:`open_event_log` picks the log from a target: a path (SQLite) or
``redis://HOST:PORT/N`` (:class:`~nbconnect.webhooks.eventlog_redis.RedisEventLog`,
Redis Streams for several receiver processes or machines). ``sqlite3`` is the standard
library's; redis-py is imported only for a Redis target.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import EventLogError

__all__ = ["EVENT_LOG_FILE", "EventLog", "SqliteEventLog", "StoredEvent", "open_event_log"]

#: the SQLite file name a package folder keeps its events in
EVENT_LOG_FILE = "webhook-events.sqlite"
#: how many waiting deliveries one SQLite transaction commits at most
_BATCH = 256


@dataclass(frozen=True)
class StoredEvent:
    """One accepted delivery as the log keeps it.

    ``received_at``: seconds since the epoch (UTC) when the receiver accepted it;
    ``timestamp``: the sender's signed timestamp (epoch seconds) or None; ``headers``: the
    request's headers as ``(name, value)`` pairs, lower-case names, in the order received,
    with any header that carried a secret value already masked; ``body``: the raw request
    bytes; ``position``: where the log keeps it (SQLite: the row number; Redis: the stream
    entry id), set by the log on reading ("" before it is stored).
    """

    webhook: str
    delivery_id: str
    received_at: float
    verified: bool
    headers: tuple[tuple[str, str], ...]
    body: bytes
    timestamp: int | None = None
    position: str = field(default="", compare=False)

    def headers_json(self) -> str:
        """The headers as compact JSON (a list of ``[name, value]`` pairs)."""
        return json.dumps([list(h) for h in self.headers], separators=(",", ":"))

    @staticmethod
    def headers_from_json(text: str | bytes) -> tuple[tuple[str, str], ...]:
        """The inverse of :meth:`headers_json`."""
        return tuple((str(k), str(v)) for k, v in json.loads(text))


class EventLog(ABC):
    """What a receiver stores accepted events in and what ``webhook events`` reads.

    ``location`` says where it is (a path, or a ``redis://`` URL without credentials);
    ``durable`` is False when the backend is configured so that an acknowledged write may
    be lost in a crash (a Redis without ``appendfsync always``).
    """

    location: str = ""
    durable: bool = True

    @abstractmethod
    def append(self, event: StoredEvent) -> bool:
        """Store ``event`` durably; True when stored, False when its ``(webhook,
        delivery_id)`` was stored before (nothing changes). Raises
        :class:`~nbconnect.errors.EventLogError` when it cannot be stored."""

    async def append_async(self, event: StoredEvent) -> bool:
        """:meth:`append` for an event loop (the default runs it in a thread)."""
        return await asyncio.to_thread(self.append, event)

    @abstractmethod
    def events(self, webhook: str | None = None, *, limit: int | None = None) -> list[StoredEvent]:
        """Stored events in the order they were stored (``webhook``: only that one's;
        ``limit``: the newest ``limit``)."""

    def get(self, webhook: str, delivery_id: str) -> StoredEvent | None:
        """The stored event of ``webhook`` with ``delivery_id``, or None."""
        for event in self.events(webhook):
            if event.delivery_id == delivery_id:
                return event
        return None

    def count(self, webhook: str | None = None) -> int:
        """How many events are stored (of ``webhook``, or of all)."""
        return len(self.events(webhook))

    async def aclose(self) -> None:
        """Close from an event loop (the default: :meth:`close`)."""
        self.close()

    def close(self) -> None:  # noqa: B027 - a log without resources has nothing to close
        """Release files and connections (safe to call twice)."""

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location!r})"


# --------------------------------------------------------------------------- SQLite

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    received_at REAL NOT NULL,
    verified INTEGER NOT NULL,
    timestamp INTEGER,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    UNIQUE (webhook, delivery_id)
)
"""
_INSERT = ("INSERT OR IGNORE INTO events (webhook, delivery_id, received_at, verified, "
           "timestamp, headers, body) VALUES (?, ?, ?, ?, ?, ?, ?)")
_RETURN = " RETURNING webhook, delivery_id"
#: one multi-row INSERT ... RETURNING per batch (RETURNING is SQLite 3.35+)
_RETURNING = sqlite3.sqlite_version_info >= (3, 35, 0)
_COLUMNS = "position, webhook, delivery_id, received_at, verified, timestamp, headers, body"

class SqliteEventLog(EventLog):
    """The embedded log: one SQLite file, WAL mode, ``synchronous=FULL``, group commit."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.location = str(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._connect()
            conn.execute(_SCHEMA)
            conn.commit()
        except (OSError, sqlite3.Error) as exc:
            raise EventLogError(f"The event log {self.path} cannot be opened ({exc}); give "
                                "a writable path.", option="event_log") from None
        self._writer = conn
        # one thread owns the writing connection and commits whatever is waiting
        self._queue: list[tuple[tuple[Any, ...], tuple[str, str], Any]] = []
        self._incoming: list[tuple[tuple[Any, ...], tuple[str, str], Any]] = []  # loop's
        self._wake = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None
        self._closed = False

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: in WAL mode the WAL is fsynced at every commit, so a commit survives a
        # crash of the process, the OS or the power (NORMAL would not fsync at commit)
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=10000")
        return conn

    # -- writing ---------------------------------------------------------------------

    def _closed_error(self) -> EventLogError:
        return EventLogError(f"The event log {self.path} is closed; open it again.")

    def _submit(self, row: tuple[Any, ...], key: tuple[str, str], waiter: Any,
                 loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Queue one row for the writer thread (started on first use). From an event loop
        (``loop``) the rows of one loop iteration are handed over together, by one
        callback at the start of the next iteration, so they share a commit."""
        if self._closed:
            raise self._closed_error()
        if loop is not None:
            self._incoming.append((row, key, waiter))
            if len(self._incoming) == 1:
                loop.call_soon(self._hand_over)
            return
        with self._wake:
            self._queue.append((row, key, waiter))
            self._start_or_wake()

    def _hand_over(self) -> None:
        """On the event loop: give the writer the rows this loop iteration queued."""
        rows, self._incoming = self._incoming, []
        with self._wake:
            if self._closed:
                error = self._closed_error()
                self._settle(rows, error)
                return
            self._queue.extend(rows)
            self._start_or_wake()

    def _start_or_wake(self) -> None:  # the caller holds self._wake
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name="nbconnect-event-log")
            self._thread.start()
        else:
            self._wake.notify()

    def _run(self) -> None:
        """The writer thread: commit every queued row, batch after batch, until closed.
        It runs as little Python as it can (the event loop waits for the GIL meanwhile)."""
        while True:
            with self._wake:
                while not self._queue and not self._closed:
                    self._wake.wait()
                if not self._queue:
                    return  # closed and drained
                batch, self._queue = self._queue[:_BATCH], self._queue[_BATCH:]
            try:
                new: set[tuple[str, str]] | EventLogError = self._write([r for r, _, _ in batch])
            except EventLogError as exc:
                new = exc
            except Exception as exc:  # an unexpected driver failure: still answer waiters
                new = EventLogError(f"The event log {self.path} could not store an event "
                                    f"({exc}); check the disk and the file's permissions.")
            loops = {None if isinstance(w, Future) else w.get_loop() for _, _, w in batch}
            if len(loops) == 1 and None not in loops:  # the receiver's case
                with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits
                    loops.pop().call_soon_threadsafe(self._settle, batch, new)
                continue
            # waiters of several kinds: outcomes in order here, each answered in its thread
            outcomes = self._outcomes(batch, new)
            for _, _, w in batch:
                if isinstance(w, Future):
                    self._settle([(None, None, w)], outcomes[id(w)])
            for loop in loops - {None}:
                mine = [(None, None, w) for _, _, w in batch
                        if not isinstance(w, Future) and w.get_loop() is loop]
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(self._settle_each, mine, outcomes)

    @staticmethod
    def _outcomes(batch: list[tuple[Any, Any, Any]],
                  new: set[tuple[str, str]] | EventLogError) -> dict[int, Any]:
        out: dict[int, Any] = {}
        for _, key, waiter in batch:
            if isinstance(new, EventLogError):
                out[id(waiter)] = new
            else:
                out[id(waiter)] = key in new
                new.discard(key)
        return out

    @staticmethod
    def _settle_each(batch: list[tuple[Any, Any, Any]], outcomes: dict[int, Any]) -> None:
        for _, _, waiter in batch:
            SqliteEventLog._settle([(None, None, waiter)], outcomes[id(waiter)])

    @staticmethod
    def _settle(batch: list[tuple[Any, Any, Any]],
                new: set[tuple[str, str]] | EventLogError | bool) -> None:
        """Answer each waiter of ``batch``: True/False (a redelivery within the batch:
        only the first is new; a bool: that answer), or the EventLogError."""
        for _, key, waiter in batch:
            if waiter.done():
                continue
            if isinstance(new, EventLogError):
                waiter.set_exception(new)
            elif isinstance(new, bool):
                waiter.set_result(new)
            else:
                waiter.set_result(key in new)
                new.discard(key)

    def _write(self, rows: list[tuple[Any, ...]]) -> set[tuple[str, str]]:
        """Insert ``rows`` in one transaction (runs on the writer thread); the ``(webhook,
        delivery_id)`` pairs that were new. Raises EventLogError.

        With SQLite 3.35 or later this is one statement (a multi-row ``INSERT OR IGNORE
        ... RETURNING``, committed when it finishes), so the thread takes the GIL back a
        few times per batch rather than a few times per row."""
        conn = self._writer
        try:
            if _RETURNING:
                sql = _INSERT + ", (?, ?, ?, ?, ?, ?, ?)" * (len(rows) - 1) + _RETURN
                params = [value for row in rows for value in row]
                return set(conn.execute(sql, params).fetchall())
            conn.execute("BEGIN IMMEDIATE")
            before = conn.execute("SELECT COALESCE(MAX(position), 0) FROM events").fetchone()[0]
            conn.executemany(_INSERT, rows)
            new = conn.execute("SELECT webhook, delivery_id FROM events WHERE position > ?",
                               (before,)).fetchall()
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise EventLogError(f"The event log {self.path} could not store an event ({exc}); "
                                "check the disk and the file's permissions.") from None
        return {(w, d) for w, d in new}

    def append(self, event: StoredEvent) -> bool:
        """Store ``event`` (committed and fsynced on return); False for a redelivery."""
        waiter: Future[bool] = Future()
        self._submit(_row(event), (event.webhook, event.delivery_id), waiter)
        return waiter.result()

    async def append_async(self, event: StoredEvent) -> bool:
        """:meth:`append` without blocking the event loop. Concurrent calls are committed
        together (one transaction and one fsync for all the events waiting), each caller
        answered after that commit."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._submit(_row(event), (event.webhook, event.delivery_id), future, loop)
        return await future

    # -- reading ---------------------------------------------------------------------

    def _select(self, where: str, params: tuple[Any, ...], limit: int | None) -> list[StoredEvent]:
        conn = sqlite3.connect(self.path, timeout=10.0)
        try:
            sql = f"SELECT {_COLUMNS} FROM events {where} ORDER BY position"
            if limit is not None:
                sql = (f"SELECT * FROM (SELECT {_COLUMNS} FROM events {where} "
                       f"ORDER BY position DESC LIMIT {int(limit)}) ORDER BY position")
            rows = conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise EventLogError(f"The event log {self.path} cannot be read ({exc}); check "
                                "the path.", option="event_log") from None
        finally:
            conn.close()
        return [_event(row) for row in rows]

    def events(self, webhook: str | None = None, *, limit: int | None = None) -> list[StoredEvent]:
        if webhook is None:
            return self._select("", (), limit)
        return self._select("WHERE webhook = ?", (webhook,), limit)

    def get(self, webhook: str, delivery_id: str) -> StoredEvent | None:
        found = self._select("WHERE webhook = ? AND delivery_id = ?", (webhook, delivery_id),
                             None)
        return found[0] if found else None

    def count(self, webhook: str | None = None) -> int:
        conn = sqlite3.connect(self.path, timeout=10.0)
        try:
            if webhook is None:
                return int(conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])
            return int(conn.execute("SELECT COUNT(*) FROM events WHERE webhook = ?",
                                    (webhook,)).fetchone()[0])
        finally:
            conn.close()

    def close(self) -> None:
        """Commit what is queued, stop the writer thread and close the file."""
        with self._wake:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
            self._wake.notify()
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        with contextlib.suppress(sqlite3.Error):
            self._writer.close()


def _row(event: StoredEvent) -> tuple[Any, ...]:
    return (event.webhook, event.delivery_id, float(event.received_at), int(event.verified),
            event.timestamp, event.headers_json(), bytes(event.body))


def _event(row: Sequence[Any]) -> StoredEvent:
    position, webhook, delivery, received, verified, ts, headers, body = row
    return StoredEvent(webhook=webhook, delivery_id=delivery, received_at=float(received),
                       verified=bool(verified), timestamp=None if ts is None else int(ts),
                       headers=StoredEvent.headers_from_json(headers), body=bytes(body),
                       position=str(position))


# --------------------------------------------------------------------------- choosing


def open_event_log(target: str | Path | EventLog | None = None, *,
                   default: str | Path | None = None, namespace: str = "default") -> EventLog:
    """The event log for ``target``: an :class:`EventLog` as it is, ``redis://HOST:PORT/N``
    (or ``rediss://``) a :class:`~nbconnect.webhooks.eventlog_redis.RedisEventLog` whose
    keys start with ``nbconnect:webhooks:<namespace>:``, any other text or path a SQLite
    file (a folder gets :data:`EVENT_LOG_FILE` inside it); None: ``default`` (a path).

    Raises :class:`~nbconnect.errors.EventLogError` when the log cannot be opened.
    """
    if isinstance(target, EventLog):
        return target
    if target is None:
        if default is None:
            raise EventLogError("No event log was given and there is no package folder to "
                                "keep one in; give a path or a redis:// URL.",
                                option="event_log")
        target = default
    text = str(target)
    if text.startswith(("redis://", "rediss://", "unix://")):
        from .eventlog_redis import RedisEventLog

        return RedisEventLog(text, namespace=namespace)
    path = Path(text).expanduser()
    if path.is_dir():
        path = path / EVENT_LOG_FILE
    return SqliteEventLog(path)


def now() -> float:
    """Seconds since the epoch (the receiver's ``received_at``)."""
    return time.time()
