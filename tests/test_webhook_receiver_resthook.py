"""The RESThook lifecycle against a real loopback server playing the third party.

The third party (a starlette app on uvicorn) checks the connection's API key, stores the
subscription it is sent (the callback URL at the configured body path), answers its id at
the configured response path, sends signed events (W1's ``sign``, as the configured
provider would) to the URL it was given, and forgets the subscription on unsubscribe.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from nbconnect.errors import SubscriptionError
from nbconnect.model import Connector
from nbconnect.model.authconfig import ApiKeyAuth
from nbconnect.model.connection import Connection
from nbconnect.model.params import Param
from nbconnect.model.webhook import Resthook, Signature, Webhook, Webhooks
from nbconnect.webhooks.receiver import ReceiverServer
from nbconnect.webhooks.resthook import get_path, set_path, subscribe, unsubscribe
from nbconnect.webhooks.signing import sign

API_KEY = "third-party-api-key-0001"
HOOK_SECRET = "third-party-hook-secret-01"


class ThirdParty:
    """A webhook provider with a subscription API (``POST /hooks``, ``DELETE /hooks/{id}``)."""

    def __init__(self) -> None:
        self.subscriptions: dict[str, str] = {}
        self.requests: list[dict[str, Any]] = []
        self._n = 0
        self.webhook: Webhook | None = None  # how it signs (the connector's own definition)

    def app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse, Response
        from starlette.routing import Route

        async def create(request: Request) -> Response:
            if request.headers.get("x-api-key") != API_KEY:
                return JSONResponse({"error": "unauthorized"}, status_code=401)
            data = await request.json()
            self.requests.append(data)
            url = get_path(data, "config.url")
            if not isinstance(url, str):
                return JSONResponse({"error": "config.url is required"}, status_code=422)
            self._n += 1
            sub = f"sub_{self._n}"
            self.subscriptions[sub] = url
            return JSONResponse({"data": {"id": sub, "events": data.get("events")}},
                                status_code=201)

        async def delete(request: Request) -> Response:
            if request.headers.get("x-api-key") != API_KEY:
                return JSONResponse({"error": "unauthorized"}, status_code=401)
            if self.subscriptions.pop(request.path_params["sub"], None) is None:
                return JSONResponse({"error": "no such subscription"}, status_code=404)
            return Response(status_code=204)

        return Starlette(routes=[Route("/hooks", create, methods=["POST"]),
                                 Route("/hooks/{sub}", delete, methods=["DELETE"])])

    def emit(self, event: dict[str, Any], delivery_id: str) -> list[int]:
        """Send ``event`` to every subscribed URL, signed; the receivers' statuses."""
        assert self.webhook is not None
        body = json.dumps(event).encode()
        headers = {**sign(self.webhook, body, secret=HOOK_SECRET, delivery_id=delivery_id),
                   "Content-Type": "application/json"}
        return [httpx2.post(url, content=body, headers=headers, timeout=30).status_code
                for url in self.subscriptions.values()]


@pytest.fixture
def third_party(serve_app: Any) -> Iterator[tuple[ThirdParty, str]]:
    tp = ThirdParty()
    server = serve_app(tp.app())
    yield tp, server.url


def _connector(base_url: str, monkeypatch: pytest.MonkeyPatch) -> Connector:
    monkeypatch.setenv("TP_API_KEY", API_KEY)
    monkeypatch.setenv("TP_HOOK_SECRET", HOOK_SECRET)
    c = Connector(name="provider", base_url="https://api.provider.example")
    c.auth = ApiKeyAuth(key="X-Api-Key", add_to="header")
    c.connections = (Connection("local", base_url, secrets=(("value", "env:TP_API_KEY"),),
                                default=True),)
    c.add_endpoint("POST", "/hooks", id="createHook", body=(
        Param("events", type="array", location="body", default=["order.created"]),
        Param("config", type="object", location="body")))
    c.add_endpoint("DELETE", "/hooks/:sub", id="deleteHook")
    c.webhooks = Webhooks.of([Webhook(
        "orders", type="resthook",
        signature=Signature(key="X-Hook-Signature", secret="env:TP_HOOK_SECRET",
                            id_header="X-Hook-Id"),
        resthook=Resthook(subscribe="createHook", unsubscribe="deleteHook",
                          callback_field="config.url", subscription_id_path="data.id"))])
    return c


def test_subscribe_receive_unsubscribe(third_party: tuple[ThirdParty, str], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    tp, api_url = third_party
    c = _connector(api_url, monkeypatch)
    tp.webhook = c.webhooks["orders"]
    with ReceiverServer(c, event_log=tmp_path / "events.sqlite") as receiver:
        result = subscribe(c, "orders", receiver.url)
        assert result.subscribed and result.subscription_id == "sub_1"
        assert c.webhooks["orders"].resthook.subscription_id == "sub_1"
        # the third party got the receiver's URL for this webhook at config.url
        assert tp.subscriptions == {"sub_1": receiver.urls["orders"]}
        assert tp.requests[0]["events"] == ["order.created"]
        assert tp.emit({"order": 7}, "d-1") == [200]
        assert tp.emit({"order": 7}, "d-1") == [200]  # a redelivery
        events = c.webhooks.events("orders")
        assert [(e.json(), e.verified) for e in events] == [({"order": 7}, True)]
        # the package keeps the subscription id
        exported = c.to_dict()["webhooks"][0]["resthook"]
        assert exported["subscription_id"] == "sub_1"
        gone = unsubscribe(c, "orders")
        assert not gone.subscribed and gone.subscription_id == "sub_1"
        assert tp.subscriptions == {}
        assert c.webhooks["orders"].resthook.subscription_id is None
        assert tp.emit({"order": 8}, "d-2") == []  # nothing is sent any more
    assert API_KEY not in repr(result) and API_KEY not in str(gone)


def test_failed_subscribe_leaves_the_connector_unchanged(
        third_party: tuple[ThirdParty, str], monkeypatch: pytest.MonkeyPatch) -> None:
    tp, api_url = third_party
    c = _connector(api_url, monkeypatch)
    before = c.to_dict()
    monkeypatch.setenv("TP_API_KEY", "a-wrong-key-0000000000")
    with pytest.raises(SubscriptionError, match="answered 401") as info:
        subscribe(c, "orders", "https://hooks.example.com")
    assert "a-wrong-key" not in str(info.value)
    assert c.to_dict() == before and tp.subscriptions == {}
    with pytest.raises(SubscriptionError, match="nothing to unsubscribe"):
        unsubscribe(c, "orders")


def test_response_without_id_is_refused(third_party: tuple[ThirdParty, str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    _, api_url = third_party
    c = _connector(api_url, monkeypatch)
    hook = c.webhooks["orders"]
    c.webhooks = Webhooks.of([dataclasses.replace(hook, resthook=dataclasses.replace(
        hook.resthook, subscription_id_path="subscription.id"))])
    before = c.to_dict()
    with pytest.raises(SubscriptionError, match=r"no subscription id at 'subscription\.id'"):
        subscribe(c, "orders", "https://hooks.example.com")
    assert c.to_dict() == before


def test_unreachable_api_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    c = _connector("http://127.0.0.1:1", monkeypatch)
    with pytest.raises(SubscriptionError, match="call to endpoint 'createHook' failed"):
        subscribe(c, "orders", "https://hooks.example.com", timeout=5)


def test_dotted_paths() -> None:
    assert set_path({"a": 1}, "config.url", "u") == {"a": 1, "config": {"url": "u"}}
    assert get_path({"data": [{"id": 5}]}, "data.0.id") == 5
    assert get_path({"data": {}}, "data.id") is None
