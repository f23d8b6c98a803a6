"""The receiving verbs through both faces (``face`` fixture): ``webhook serve`` (notebook:
background), ``webhook events``, ``webhook subscribe|unsubscribe`` and the ``webhooks serve``
spelling; the CLI's foreground ``serve`` runs as a subprocess in
tests/test_webhook_receiver_durability.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
from tests.test_webhook_receiver_resthook import (
    API_KEY,
    HOOK_SECRET,
    ThirdParty,
    _connector,
)

from nbconnect.webhooks.events import default_log_path
from nbconnect.webhooks.receiver import ReceiverServer
from nbconnect.webhooks.signing import sign


def _send(url: str, webhook: Any, payload: dict[str, Any], delivery: str) -> int:
    body = json.dumps(payload).encode()
    headers = {**sign(webhook, body, secret=HOOK_SECRET, delivery_id=delivery),
               "Content-Type": "application/json"}
    return httpx2.post(url, content=body, headers=headers, timeout=30).status_code


def test_serve_in_the_notebook_then_events_and_stop(ip: Any, tmp_path: Path, serve_app: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import Face

    face = Face("magic", tmp_path, ip=ip)  # the CLI's foreground serve: the durability test
    tp = ThirdParty()
    api = serve_app(tp.app())
    face.start(_connector(api.url, monkeypatch))
    out = face.run("webhook serve")
    assert out.code == 0, out.err
    server = out.result
    assert isinstance(server, ReceiverServer) and server.running
    assert "Receiving webhooks of 'provider'" in out.out and server.urls["orders"] in out.out
    hook = tp.webhook = face.connector.webhooks["orders"]
    assert _send(server.urls["orders"], hook, {"n": 1}, "a") == 200
    assert _send(server.urls["orders"], hook, {"n": 2}, "b") == 200
    table = face.run("webhook events orders")
    assert table.code == 0
    assert repr(table.result) == "EventTable: 2 events (orders: 2), 2 verified"
    bundle = table.result._repr_mimebundle_()
    assert "&#10003; verified" in bundle["text/html"] and "{&quot;n&quot;: 2}" in \
        bundle["text/html"]
    listed = face.run("webhook events --json")
    assert [e["body"] for e in json.loads(listed.out)] == ['{"n": 1}', '{"n": 2}']
    # subscribe defaults to the running receiver's URL
    sub = face.run("webhook subscribe orders --connection local")
    assert sub.code == 0, sub.err
    assert tp.subscriptions == {"sub_1": server.urls["orders"]}
    assert tp.emit({"n": 3}, "c") == [200]
    assert face.run("webhook unsubscribe orders").code == 0 and tp.subscriptions == {}
    stopped = face.run("webhook serve --stop")
    assert "Webhook receiver stopped." in stopped.out and not server.running
    assert "No webhook receiver is running." in face.run("webhooks serve --stop").out
    assert API_KEY not in out.out + sub.out + listed.out + stopped.out


def test_events_in_both_faces(face: Any, serve_app: Any, monkeypatch: pytest.MonkeyPatch,
                              tmp_path: Path) -> None:
    tp = ThirdParty()
    api = serve_app(tp.app())
    connector = _connector(api.url, monkeypatch)
    face.start(connector)
    # a receiver writing the package folder's default log (the CLI face's package)
    log = default_log_path(face.package) if face.name == "cli" else tmp_path / "ev.sqlite"
    with ReceiverServer(connector, event_log=log) as server:
        assert _send(server.urls["orders"], connector.webhooks["orders"], {"k": "v"}, "x") == 200
    out = face.run(f"webhook events orders --json --event-log {log}")
    assert out.code == 0, out.err
    (event,) = json.loads(out.out)
    assert event["verified"] is True and event["delivery_id"] == "x"
    assert event["headers"]["content-type"] == "application/json"
    if face.name == "cli":
        plain = face.run("webhook events")  # the package folder's log by default
        assert "orders" in plain.out and '{"k": "v"}' in plain.out and "yes" in plain.out
    bad = face.run("webhook events ordrs")
    assert bad.code == 2 and "did you mean orders?" in bad.error


def test_subscribe_and_unsubscribe_in_both_faces(face: Any, serve_app: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    tp = ThirdParty()
    api = serve_app(tp.app())
    face.start(_connector(api.url, monkeypatch))
    missing = face.run("webhook subscribe orders")
    assert missing.code == 2 and "--public-url" in missing.error
    assert tp.subscriptions == {}
    out = face.run("webhook subscribe orders --connection local "
                   "--public-url https://hooks.example.com/")
    assert out.code == 0, out.err
    assert "subscribed (subscription id sub_1)" in out.out
    (url,) = tp.subscriptions.values()
    token = face.connector.webhooks["orders"].token
    assert url == f"https://hooks.example.com/webhooks/orders/{token}"
    assert face.connector.webhooks["orders"].resthook.subscription_id == "sub_1"
    out = face.run("webhook unsubscribe orders --connection local")
    assert out.code == 0 and "unsubscribed" in out.out and tp.subscriptions == {}
    assert face.connector.webhooks["orders"].resthook.subscription_id is None
    again = face.run("webhook unsubscribe orders")
    assert again.code == 2 and "nothing to unsubscribe" in again.error


def test_serve_refuses_a_connector_without_webhooks(face: Any) -> None:
    from nbconnect.model import Connector

    face.start(Connector(name="bare", base_url="https://api.example.com"))
    for line in ("webhook serve", "webhooks serve --port 0"):
        out = face.run(line)
        assert out.code == 2 and "has no webhooks" in out.error


def test_live_event_table_rereads_the_log(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from nbconnect.notebook.eventtable import EventTable

    connector = _connector("https://api.provider.example", monkeypatch)
    hook = connector.webhooks["orders"]
    log = tmp_path / "live.sqlite"
    with ReceiverServer(connector, event_log=log) as server:
        table = EventTable.live(connector, log=log, interval=0.2)
        try:
            assert table.running and repr(table) == "EventTable: no events yet"
            assert "No events received yet." in table._repr_mimebundle_()["text/html"]
            assert _send(server.urls["orders"], hook, {"live": True}, "L1") == 200
            deadline = time.monotonic() + 30
            while len(table.events) < 1 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            table.stop()
    assert not table.running
    assert repr(table) == "EventTable: 1 event (orders: 1), 1 verified"
    html = table._repr_mimebundle_()["text/html"]
    assert "{&quot;live&quot;: true}" in html and "<code>L1</code>" in html
    assert HOOK_SECRET not in html and API_KEY not in html


def test_serve_with_an_unset_secret_says_which_in_both_faces(
        face: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    face.start(_connector("https://api.provider.example", monkeypatch))
    monkeypatch.delenv("TP_HOOK_SECRET")
    out = face.run("webhook serve --port 0")
    assert out.code == 2 and "TP_HOOK_SECRET" in out.error
    if face.name == "magic":
        assert getattr(face.session, "webhook_receiver", None) is None
