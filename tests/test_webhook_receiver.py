"""The webhook receiver on a real uvicorn server, over the SQLite and the Redis event logs.

Rejected deliveries (401 bad or missing signature, stale timestamp; 413 oversize, declared
or streamed; 400 malformed) are never stored; a redelivery is stored once; challenges are
answered and not stored; a header holding the secret is stored masked; events come back as
objects and replay to a handler. Signatures come from W1's ``sign`` (the simulator).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx2
import pytest
from tests.redisserver import RedisServer

from nbconnect.errors import EventLogError, WebhookNotFoundError
from nbconnect.model import Connector
from nbconnect.model.webhook import Challenge, Signature, Webhook, Webhooks
from nbconnect.webhooks.eventlog import SqliteEventLog, StoredEvent, open_event_log
from nbconnect.webhooks.events import list_events, replay, replay_events
from nbconnect.webhooks.receiver import ReceiverServer
from nbconnect.webhooks.signing import sign

SECRET = "whk-test-secret-0123456789"


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with RedisServer(tmp_path_factory.mktemp("redis")) as srv:
        yield srv.url


@pytest.fixture(params=["sqlite", "redis"])
def log_target(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        return tmp_path / "events.sqlite"
    import redis

    url = request.getfixturevalue("redis_url")
    redis.Redis.from_url(url).flushdb()
    return url


def _connector(monkeypatch: pytest.MonkeyPatch) -> Connector:
    monkeypatch.setenv("WHK_SECRET", SECRET)
    c = Connector(name="shop", base_url="https://api.example.com")
    c.webhooks = Webhooks.of([
        Webhook("orders", signature=Signature(
            key="X-Signature", secret="env:WHK_SECRET", signature_prefix="sha256=",
            signed="{timestamp}.{body}", timestamp_header="X-Timestamp",
            id_header="X-Delivery")),
        Webhook("plain", signature=Signature(key="X-Token", secret="env:WHK_SECRET",
                                             algorithm="none")),
        Webhook("verify-me", challenge=Challenge(key="challenge"),
                signature=Signature(key="X-Signature", secret="env:WHK_SECRET")),
    ])
    return c


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch, log_target: Any) -> Iterator[ReceiverServer]:
    with ReceiverServer(_connector(monkeypatch), event_log=log_target, max_body=10_000) as srv:
        yield srv


def _signed(webhook: Webhook, body: bytes, **kw: Any) -> dict[str, str]:
    return {**sign(webhook, body, secret=SECRET, **kw), "Content-Type": "application/json"}


def _post(url: str, body: bytes, headers: dict[str, str]) -> httpx2.Response:
    return httpx2.post(url, content=body, headers=headers, timeout=30)


def test_accepted_event_is_stored_once_and_redelivery_is_not_duplicated(
        receiver: ReceiverServer) -> None:
    hook = receiver.connector.webhooks["orders"]
    body = b'{"order": 1}'
    headers = _signed(hook, body, delivery_id="evt_1")
    first = _post(receiver.urls["orders"], body, headers)
    assert first.status_code == 200 and first.json() == {"status": "stored"}
    again = _post(receiver.urls["orders"], body, headers)  # the sender retries
    assert again.status_code == 200 and again.json() == {"status": "duplicate"}
    resigned = _signed(hook, body, delivery_id="evt_1")  # a redelivery, signed anew
    assert _post(receiver.urls["orders"], body, resigned).json() == {"status": "duplicate"}
    events = receiver.log.events("orders")
    assert [(e.delivery_id, e.body, e.verified) for e in events] == [("evt_1", body, True)]
    assert events[0].timestamp is not None and abs(events[0].timestamp - time.time()) < 120


@pytest.mark.parametrize("case", ["bad-signature", "missing-signature", "wrong-secret",
                                  "tampered-body", "stale", "future", "malformed-timestamp",
                                  "malformed-json", "non-utf8-json", "oversize-declared",
                                  "oversize-streamed", "empty-signature",
                                  "duplicated-signature", "millisecond-timestamp",
                                  "wrong-algorithm", "wrong-encoding", "replayed-old"])
def test_rejected_requests_are_never_stored(receiver: ReceiverServer, case: str) -> None:
    hook = receiver.connector.webhooks["orders"]
    url = receiver.urls["orders"]
    body = b'{"order": 2}'
    headers = _signed(hook, body)
    expected = 401
    if case == "bad-signature":
        headers["X-Signature"] = "sha256=" + "0" * 64
    elif case == "missing-signature":
        del headers["X-Signature"]
    elif case == "wrong-secret":
        headers = {**sign(hook, body, secret="another-secret-value-000"),
                   "Content-Type": "application/json"}
    elif case == "tampered-body":
        body = b'{"order": 3}'
    elif case == "stale":
        headers = _signed(hook, body, now=time.time() - 3600)
    elif case == "future":
        headers = _signed(hook, body, now=time.time() + 3600)
    elif case == "malformed-timestamp":
        headers["X-Timestamp"] = "yesterday"
        expected = 400
    elif case == "empty-signature":
        headers["X-Signature"] = ""
    elif case == "duplicated-signature":  # the same header twice: malformed
        pairs = [*headers.items(), ("X-Signature", headers["X-Signature"])]
        response = httpx2.post(url, content=body, headers=pairs, timeout=30)
        assert response.status_code == 400 and receiver.log.count() == 0
        return
    elif case == "millisecond-timestamp":
        headers = _signed(hook, body)
        headers["X-Timestamp"] = str(int(time.time() * 1000))
        expected = 400
    elif case in ("wrong-algorithm", "wrong-encoding"):  # the sender's scheme differs
        field = {"algorithm": "sha1"} if case == "wrong-algorithm" else {"encoding": "base64"}
        other = replace(hook, signature=replace(hook.signature, **field))
        headers = _signed(other, body)
    elif case == "replayed-old":  # a captured delivery sent again an hour later
        headers = _signed(hook, body, now=time.time() - 3600, delivery_id="evt_old")
    elif case == "malformed-json":
        body = b'{"order": '
        headers = _signed(hook, body)
        expected = 400
    elif case == "non-utf8-json":
        body = b'{"order": "\xff\xfe"}'
        headers = _signed(hook, body)
        expected = 400
    elif case == "oversize-declared":
        body = b'{"pad": "' + b"x" * 20_000 + b'"}'
        headers = _signed(hook, body)
        expected = 413
    else:  # streamed (chunked, no Content-Length) past the limit

        def chunks() -> Iterator[bytes]:
            yield b'{"pad": "'
            for _ in range(40):
                yield b"x" * 1000
            yield b'"}'

        response = httpx2.post(url, content=chunks(), headers=headers, timeout=30)
        assert response.status_code == 413
        assert receiver.log.count() == 0
        return
    response = _post(url, body, headers)
    assert response.status_code == expected, response.text
    assert SECRET not in response.text
    assert receiver.log.count() == 0


def test_unknown_path_and_token_are_404(receiver: ReceiverServer) -> None:
    hook = receiver.connector.webhooks["orders"]
    body = b"{}"
    wrong = receiver.url + f"/webhooks/orders/{'A' * 32}"
    assert _post(wrong, body, _signed(hook, body)).status_code == 404
    assert receiver.log.count() == 0


def test_secret_carrying_header_is_stored_masked(receiver: ReceiverServer) -> None:
    url = receiver.urls["plain"]
    assert _post(url, b"{}", {"X-Token": "nope", "Content-Type": "application/json"}
                 ).status_code == 401
    ok = _post(url, b'{"a": 1}', {"X-Token": SECRET, "Content-Type": "application/json"})
    assert ok.status_code == 200
    (stored,) = receiver.log.events("plain")
    assert dict(stored.headers)["x-token"] == "***"
    assert SECRET not in repr(stored) and SECRET not in stored.headers_json()


def test_challenge_is_answered_and_not_stored(receiver: ReceiverServer) -> None:
    url = receiver.urls["verify-me"]
    response = _post(url, json.dumps({"challenge": "abc123"}).encode(),
                     {"Content-Type": "application/json"})
    assert response.status_code == 200 and "abc123" in response.text
    assert receiver.log.count() == 0
    # a refused challenge is answered like every other refusal: JSON, nothing stored
    empty = _post(url, json.dumps({"challenge": ""}).encode(),
                  {"Content-Type": "application/json"})
    assert empty.status_code == 400
    assert empty.json() == {"status": "challenge value empty or too long"}
    assert receiver.log.count() == 0


def test_an_unsigned_challenge_to_a_signed_one_is_401_json(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    from nbconnect.webhooks.presets import preset

    monkeypatch.setenv("WHK_SECRET", SECRET)
    c = Connector(name="zoomy", base_url="https://api.example.com")
    zoom = preset("zoom")
    c.webhooks = Webhooks.of([Webhook("zoom", signature=zoom.signature("env:WHK_SECRET"),
                                      challenge=zoom.challenge)])
    body = json.dumps({"event": "endpoint.url_validation",
                       "payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"}}).encode()
    with ReceiverServer(c, event_log=tmp_path / "events.sqlite") as srv:
        url = srv.urls["zoom"]
        forged = _post(url, body, {"Content-Type": "application/json"})
        assert forged.status_code == 401
        assert forged.json() == {"status": "webhook signature verification failed"}
        signed = _post(url, body, _signed(c.webhooks["zoom"], body))
        assert signed.status_code == 200 and signed.json()["plainToken"] == \
            "qgg8vlvZRS6UYooatFL8Aw"
        assert srv.log.count() == 0


def test_events_as_objects_and_replay(receiver: ReceiverServer) -> None:
    hook = receiver.connector.webhooks["orders"]
    for n in range(3):
        body = json.dumps({"order": n}).encode()
        assert _post(receiver.urls["orders"], body,
                     _signed(hook, body, delivery_id=f"evt_{n}")).status_code == 200
    c = receiver.connector
    events = c.webhooks.events("orders")  # W1's collection calls list_events
    assert [e.json()["order"] for e in events] == [0, 1, 2]
    assert [e.delivery_id for e in list_events(c, "orders", limit=2)] == ["evt_1", "evt_2"]
    assert all(e.verified for e in events) and events[0].time.tzinfo is not None
    assert "verified=True" in repr(events[0]) and ":" not in repr(events).split("(")[0]
    assert replay(events[1], lambda e: e.json()["order"] * 10) == 10
    assert replay_events(c, lambda e: e.delivery_id, "orders") == ["evt_0", "evt_1", "evt_2"]
    assert list_events(c, "plain") == []
    with pytest.raises(WebhookNotFoundError):
        list_events(c, "ordres")
    payload = events[0].to_dict()
    assert payload["time"].endswith("Z") and payload["body"] == '{"order": 0}'


def test_a_closed_receiver_leaves_the_log_readable(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    c = _connector(monkeypatch)
    path = tmp_path / "log.sqlite"
    hook = c.webhooks["orders"]
    with ReceiverServer(c, event_log=path) as srv:
        assert _post(srv.urls["orders"], b"{}", _signed(hook, b"{}")).status_code == 200
    assert len(list_events(c, log=path)) == 1
    assert len(list_events(c)) == 1  # the log this process's receiver used


def test_event_log_errors_are_one_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(EventLogError, match="cannot be opened"):
        SqliteEventLog(blocker / "sub" / "events.sqlite")
    with pytest.raises(EventLogError, match="cannot be reached"):
        open_event_log("redis://127.0.0.1:1/0")
    with pytest.raises(EventLogError, match="No event log"):
        open_event_log(None)


def test_sqlite_log_idempotence_and_order(tmp_path: Path) -> None:
    log = open_event_log(tmp_path)
    assert log.location.endswith("webhook-events.sqlite")
    event = StoredEvent("a", "1", 1.0, True, (("x", "y"),), b"body", 5)
    assert log.append(event) is True and log.append(event) is False
    assert log.append(StoredEvent("b", "1", 2.0, False, (), b"", None)) is True
    assert [e.webhook for e in log.events()] == ["a", "b"] and log.count("a") == 1
    assert log.get("a", "1") == event and log.get("a", "2") is None
    log.close()


def test_redis_log_batches_and_survives_a_script_flush(redis_url: str) -> None:
    import asyncio

    import redis

    log = open_event_log(redis_url, namespace="flush")
    assert log.durable  # appendonly yes, appendfsync always

    def ev(n: int) -> StoredEvent:
        return StoredEvent("hook", f"d{n}", 1.5, True, (("x-id", str(n)),), b"%d" % n, n)

    async def go() -> list[bool]:
        first = await asyncio.gather(*[log.append_async(ev(n % 20)) for n in range(60)])
        redis.Redis.from_url(redis_url).script_flush()  # as after a Redis restart
        again = await asyncio.gather(log.append_async(ev(99)), log.append_async(ev(99)))
        await log.aclose()
        return [sum(first), *again]

    assert asyncio.run(go()) == [20, True, False]
    stored = log.events("hook")
    assert len(stored) == 21 and stored[-1] == ev(99) and stored[0].headers == (("x-id", "0"),)


def test_a_bad_body_limit_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from nbconnect.errors import ServerStartError
    from nbconnect.webhooks.receiver import Receiver

    with pytest.raises(ServerStartError, match="body size limit"):
        Receiver(_connector(monkeypatch), SqliteEventLog(tmp_path / "x.sqlite"), max_body=0)
