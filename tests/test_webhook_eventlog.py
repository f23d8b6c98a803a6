"""The SQLite event log's group commit, on a real SQLite file: concurrent appends from one
event loop share one transaction (one fsync), redeliveries within a batch are stored once,
appends from threads and from the loop mix, a commit is visible to another connection when
the append returns, queued appends are committed by close(), and the path for SQLite older
than 3.35 (no RETURNING) gives the same answers.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from nbconnect.errors import EventLogError
from nbconnect.webhooks import eventlog
from nbconnect.webhooks.eventlog import SqliteEventLog, StoredEvent


def _event(i: int | str, webhook: str = "orders") -> StoredEvent:
    return StoredEvent(webhook, f"d-{i}", 1700000000.0 + float(len(str(i))), True,
                       (("content-type", "application/json"),), b'{"n": %s}' % str(i).encode())


def _count_batches(log: SqliteEventLog, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    sizes: list[int] = []
    original = log._write

    def write(rows: list[tuple[Any, ...]]) -> set[tuple[str, str]]:
        sizes.append(len(rows))
        return original(rows)

    monkeypatch.setattr(log, "_write", write)
    return sizes


@pytest.mark.parametrize("returning", [True, False])
def test_concurrent_appends_share_one_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             returning: bool) -> None:
    monkeypatch.setattr(eventlog, "_RETURNING", returning)
    log = SqliteEventLog(tmp_path / "events.sqlite")
    sizes = _count_batches(log, monkeypatch)

    async def burst() -> list[bool]:
        events = [_event(i) for i in range(40)] + [_event(3), _event(7)]  # 2 redeliveries
        return await asyncio.gather(*[log.append_async(e) for e in events])

    flags = asyncio.run(burst())
    assert flags == [True] * 40 + [False, False]
    assert sizes == [42]  # one transaction, one fsync, for the whole burst
    # committed: another connection sees every row, once
    conn = sqlite3.connect(tmp_path / "events.sqlite")
    assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 40
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    assert asyncio.run(burst()) == [False] * 42  # all redeliveries now
    log.close()


def test_threads_and_the_loop_append_together(tmp_path: Path) -> None:
    log = SqliteEventLog(tmp_path / "events.sqlite")
    results: dict[str, bool] = {}

    def worker(n: int) -> None:
        for i in range(20):
            results[f"t{n}-{i}"] = log.append(_event(f"t{n}-{i}"))

    async def loop_side() -> list[bool]:
        return await asyncio.gather(*[log.append_async(_event(f"a{i}")) for i in range(60)])

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    flags = asyncio.run(loop_side())
    for t in threads:
        t.join(timeout=120)
    assert all(flags) and len(flags) == 60
    assert len(results) == 80 and all(results.values())
    assert log.count() == 140
    assert log.append(_event("t0-0")) is False
    log.close()


def test_close_commits_what_is_queued_then_refuses(tmp_path: Path) -> None:
    log = SqliteEventLog(tmp_path / "events.sqlite")
    assert log.append(_event(1)) is True
    done: list[bool] = []
    threads = [threading.Thread(target=lambda i=i: done.append(log.append(_event(100 + i))))
               for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    log.close()
    log.close()  # twice is fine
    assert done == [True] * 10
    with pytest.raises(EventLogError, match="closed"):
        log.append(_event(2))

    async def late() -> bool:
        return await log.append_async(_event(3))

    with pytest.raises(EventLogError, match="closed"):
        asyncio.run(late())
    assert SqliteEventLog(tmp_path / "events.sqlite").count() == 11


def test_a_failed_commit_answers_every_waiter(tmp_path: Path) -> None:
    log = SqliteEventLog(tmp_path / "events.sqlite")
    log._writer.execute("DROP TABLE events")  # the writer's next insert fails

    async def burst() -> list[Any]:
        return await asyncio.gather(*[log.append_async(_event(i)) for i in range(5)],
                                    return_exceptions=True)

    outcomes = asyncio.run(burst())
    assert all(isinstance(o, EventLogError) for o in outcomes)
    assert "could not store an event" in str(outcomes[0])
    log.close()
