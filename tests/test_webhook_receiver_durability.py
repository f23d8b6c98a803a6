"""Durability: SIGKILL the receiver in the middle of a concurrent stream of events; after a
restart every event that got a 2xx is in the log (SQLite, and Redis with its own SIGKILL).

The receiver runs as ``python -m nbconnect webhooks serve PKG --port 0 --event-log ...``
(the CLI's foreground serve of an exported package); eight sender threads post signed
events (W1's ``sign``) with unique delivery ids and note which got a 200.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2
import pytest
from tests.redisserver import RedisServer

import nbconnect
from nbconnect.model import Connector
from nbconnect.model.webhook import Signature, Webhook, Webhooks
from nbconnect.webhooks.eventlog import open_event_log
from nbconnect.webhooks.signing import sign

SECRET = "durable-secret-0123456789"
SENDERS = 8
KILL_AFTER = 150  # acknowledged events before the SIGKILL


def _package(tmp_path: Path) -> tuple[Path, Webhook]:
    c = Connector(name="durable", base_url="https://api.example.com")
    c.webhooks = Webhooks.of([Webhook("orders", signature=Signature(
        key="X-Signature", secret="env:DURABLE_SECRET", id_header="X-Delivery"))])
    pkg = tmp_path / "pkg"
    nbconnect.export(c, pkg)
    return pkg, c.webhooks["orders"]


def _start(pkg: Path, log: str, tmp_path: Path) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "DURABLE_SECRET": SECRET, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "nbconnect", "webhooks", "serve", str(pkg),
                             "--port", "0", "--event-log", log],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, cwd=tmp_path)
    deadline = time.monotonic() + 120
    assert proc.stdout is not None
    seen = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        found = re.search(r"orders\s+(http://127\.0\.0\.1:\d+/webhooks/orders/\S+)", line)
        if found:
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # drain
            return proc, found.group(1)
    proc.kill()
    raise AssertionError("the receiver did not start: " + "".join(seen)[-1000:])


def _stream(url: str, webhook: Webhook, proc: subprocess.Popen[str]) -> tuple[set[str], int]:
    """Send until the receiver is SIGKILLed after KILL_AFTER acknowledgements; returns
    (acknowledged delivery ids, requests sent)."""
    acked: set[str] = set()
    lock = threading.Lock()
    sent = [0]
    stop = threading.Event()

    def sender(n: int) -> None:
        with httpx2.Client(timeout=30) as client:
            i = 0
            while not stop.is_set():
                delivery = f"s{n}-{i}"
                i += 1
                body = b'{"sender": %d, "n": %d}' % (n, i)
                headers = {**sign(webhook, body, secret=SECRET, delivery_id=delivery),
                           "Content-Type": "application/json"}
                with lock:
                    sent[0] += 1
                try:
                    response = client.post(url, content=body, headers=headers)
                except httpx2.HTTPError:
                    if proc.poll() is not None:
                        return
                    continue
                if 200 <= response.status_code < 300:
                    with lock:
                        acked.add(delivery)

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(SENDERS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 300
    while len(acked) < KILL_AFTER and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)  # in the middle of the stream
    proc.wait(timeout=30)
    time.sleep(0.5)  # the senders see the dead socket
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert len(acked) >= KILL_AFTER, f"only {len(acked)} events were acknowledged"
    return acked, sent[0]


def _check_after_restart(pkg: Path, log: str, webhook: Webhook, acked: set[str],
                         tmp_path: Path) -> None:
    stored = {e.delivery_id for e in open_event_log(log, namespace="durable").events("orders")}
    missing = acked - stored
    assert not missing, f"{len(missing)} acknowledged events are not in the log"
    # the receiver starts again on the same log; a redelivery of an acknowledged event is
    # answered and not stored twice
    proc, url = _start(pkg, log, tmp_path)
    try:
        delivery = sorted(acked)[0]
        body = b'{"again": true}'
        headers = {**sign(webhook, body, secret=SECRET, delivery_id=delivery),
                   "Content-Type": "application/json"}
        response = httpx2.post(url, content=body, headers=headers, timeout=30)
        assert response.status_code == 200 and response.json() == {"status": "duplicate"}
        after = open_event_log(log, namespace="durable").events("orders")
        assert len(after) == len({e.delivery_id for e in after}) == len(stored)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_sigkill_sqlite(tmp_path: Path) -> None:
    pkg, webhook = _package(tmp_path)
    log = str(tmp_path / "events.sqlite")
    proc, url = _start(pkg, log, tmp_path)
    acked, sent = _stream(url, webhook, proc)
    assert sent > len(acked)  # some requests were cut by the kill (a real crash mid-stream)
    _check_after_restart(pkg, log, webhook, acked, tmp_path)


def test_sigkill_redis(tmp_path: Path) -> None:
    pkg, webhook = _package(tmp_path)
    with RedisServer(tmp_path / "redis") as redis_server:
        log = redis_server.url
        proc, url = _start(pkg, log, tmp_path)
        acked, _ = _stream(url, webhook, proc)
        # Redis crashes too: with appendfsync always an acknowledged XADD is on disk
        assert redis_server.process is not None
        redis_server.process.send_signal(signal.SIGKILL)
        redis_server.process.wait(timeout=30)
        redis_server.start()
        _check_after_restart(pkg, log, webhook, acked, tmp_path)


def test_the_durability_flag_for_a_weak_redis(tmp_path: Path) -> None:
    from nbconnect.webhooks.eventlog_redis import RedisEventLog

    with RedisServer(tmp_path / "redis", appendfsync="everysec") as weak:
        assert RedisEventLog(weak.url).durable is False
    with RedisServer(tmp_path / "redis2") as strong:
        assert RedisEventLog(strong.url).durable is True


@pytest.fixture(autouse=True)
def _no_stray_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DURABLE_SECRET", raising=False)


def test_cli_serve_defaults_to_the_package_folder_log(tmp_path: Path) -> None:
    pkg, webhook = _package(tmp_path)
    env = {**os.environ, "DURABLE_SECRET": SECRET, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "nbconnect", "webhook", "serve", str(pkg),
                             "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path)
    assert proc.stdout is not None
    head = proc.stdout.readline()
    urls = proc.stdout.readline()
    try:
        assert f"event log: {pkg / 'webhook-events.sqlite'}" in head, head
        url = urls.split()[-1]
        body = b'{"cli": true}'
        headers = {**sign(webhook, body, secret=SECRET, delivery_id="cli-1"),
                   "Content-Type": "application/json"}
        assert httpx2.post(url, content=body, headers=headers, timeout=30).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C: a clean stop
        proc.wait(timeout=30)
    assert proc.returncode == 0
    (event,) = open_event_log(pkg).events("orders")
    assert event.delivery_id == "cli-1" and event.body == body


def test_a_log_that_cannot_store_answers_503_and_keeps_nothing(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    from nbconnect.webhooks.receiver import ReceiverServer

    monkeypatch.setenv("DURABLE_SECRET", SECRET)
    c = Connector(name="durable", base_url="https://api.example.com")
    c.webhooks = Webhooks.of([Webhook("orders", signature=Signature(
        key="X-Signature", secret="env:DURABLE_SECRET", id_header="X-Delivery"))])
    webhook = c.webhooks["orders"]
    with RedisServer(tmp_path / "redis") as redis_server, \
            ReceiverServer(c, event_log=redis_server.url) as receiver:
        body = b'{"n": 1}'
        headers = {**sign(webhook, body, secret=SECRET, delivery_id="a"),
                   "Content-Type": "application/json"}
        url = receiver.urls["orders"]
        assert httpx2.post(url, content=body, headers=headers, timeout=30).status_code == 200
        redis_server.stop()  # the log goes away
        down = httpx2.post(url, content=body, headers={**headers, "X-Delivery": "b"},
                           timeout=60)
        assert down.status_code == 503 and down.headers["retry-after"] == "1"
        redis_server.start()  # back on the same port and AOF: the retry is stored
        again = httpx2.post(url, content=body, headers={**headers, "X-Delivery": "b"},
                            timeout=60)
        assert again.status_code == 200
        stored = [e.delivery_id for e in receiver.log.events("orders")]
    assert stored == ["a", "b"]
