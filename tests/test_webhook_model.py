"""Webhook definitions (model/webhook.py, webhooks/define.py, webhooks/presets.py): the plain
data, its checks, Connector.webhooks and the package round trip."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import nbconnect
from nbconnect.errors import (
    PackageError,
    SecretError,
    WebhookDefinitionError,
    WebhookNotFoundError,
)
from nbconnect.model import Challenge, Connector, Resthook, Signature, Webhook, Webhooks
from nbconnect.webhooks.define import (
    add_webhook,
    build_webhook,
    options_from_mapping,
    remove_webhook,
)

LITERAL = "lit3ral-Secret-Value-9QxZ"


def connector() -> Connector:
    c = Connector("hooks", base_url="https://api.example.com")
    c.add_endpoint("POST", "/hooks", name="Create hook", id="createHook")
    c.add_endpoint("DELETE", "/hooks/:id", name="Delete hook", id="deleteHook")
    return c


def test_static_webhook_defaults_and_token() -> None:
    a, b = Webhook("orders"), Webhook("orders")
    assert a.type == "static" and a.signature is None
    assert a.token != b.token and len(a.token) >= 32
    assert a.path == f"/webhooks/orders/{a.token}"
    assert a.token not in repr(a) and repr(a) == "Webhook(name='orders', type='static')"


def test_round_trip_through_package(tmp_path: Path) -> None:
    c = connector()
    add_webhook(c, build_webhook("gh", preset="github", secret="env:GH_SECRET",
                                 description="pushes"))
    add_webhook(c, build_webhook("z", key="zoom_signature", prefix="x-",
                                 secret="keyring:zoom", algorithm="sha512", encoding="base64",
                                 challenge_key="payload.plainToken",
                                 challenge_response="zoom", challenge_signed=True))
    add_webhook(c, build_webhook("rh", type="resthook", subscribe="createHook",
                                 unsubscribe="deleteHook", callback_field="config.url",
                                 subscription_id_path="data.id"))
    nbconnect.export(c, tmp_path / "pkg")
    back = nbconnect.load(tmp_path / "pkg")
    assert back == c and back.webhooks == c.webhooks
    assert isinstance(back.webhooks, Webhooks)
    assert back.webhooks["z"].signature.header == "x-zoom_signature"
    assert back.webhooks["rh"].resthook == Resthook("createHook", "deleteHook", "config.url",
                                                    "data.id")
    text = (tmp_path / "pkg" / "connector.yaml").read_text()
    assert "env:GH_SECRET" in text and "keyring:zoom" in text
    assert Connector.from_dict(c.to_dict()) == c


def test_collection_lookup() -> None:
    c = connector()
    add_webhook(c, Webhook("orders"))
    assert c.webhooks["orders"].name == "orders" and c.webhooks[0].name == "orders"
    assert "orders" in c.webhooks and "nope" not in c.webhooks
    assert c.webhooks.get("nope") is None and c.webhooks.names() == ["orders"]
    with pytest.raises(WebhookNotFoundError, match="did you mean orders"):
        c.webhooks["order"]
    with pytest.raises(WebhookNotFoundError, match="has no webhook 'nope'"):
        c.webhooks.events("nope")


def test_events_delegates_to_the_event_module(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    seen: list[tuple] = []
    fake = types.ModuleType("nbconnect.webhooks.events")
    fake.list_events = lambda hooks, name, **kw: seen.append((hooks.names(), name, kw)) or []  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "nbconnect.webhooks.events", fake)
    c = connector()
    add_webhook(c, Webhook("orders"))
    assert c.webhooks.events("orders", log="x.sqlite") == []
    assert seen == [(["orders"], "orders", {"log": "x.sqlite"})]


@pytest.mark.parametrize("kwargs, option", [
    ({"name": "bad name"}, None),
    ({"name": "a", "type": "push"}, "type"),
    ({"name": "a", "type": "resthook"}, "subscribe"),
    ({"name": "a", "subscribe": "createHook", "unsubscribe": "deleteHook"}, "type"),
    ({"name": "a", "type": "resthook", "subscribe": "createHook"}, "unsubscribe"),
    ({"name": "a", "algorithm": "sha256"}, "key"),
    ({"name": "a", "key": "X-Sig", "algorithm": "md5"}, "algorithm"),
    ({"name": "a", "key": "X-Sig", "encoding": "base32"}, "encoding"),
    ({"name": "a", "key": "X Sig"}, "key"),
    ({"name": "a", "key": "X-Sig", "signed": "{timestamp}.{body}"}, "timestamp_header"),
    ({"name": "a", "key": "X-Sig", "signed": "{id}.{body}"}, "id_header"),
    ({"name": "a", "key": "X-Sig", "signed": "{nonce}{body}"}, "signed"),
    ({"name": "a", "key": "X-Sig", "signed": "{timestamp}"}, "signed"),
    ({"name": "a", "key": "X-Sig", "tolerance": 0}, "tolerance"),
    ({"name": "a", "key": "X-Sig", "separator": ", "}, "separator"),
    ({"name": "a", "key": "X-Sig", "algorithm": "none", "signed": "x{body}"}, "algorithm"),
    ({"name": "a", "key": "X-Sig", "challenge_response": "zoom"}, "challenge_key"),
    ({"name": "a", "challenge_key": "c", "challenge_response": "zoom"}, "secret"),
    ({"name": "a", "challenge_key": "a..b"}, "challenge_key"),
    ({"name": "a", "preset": "gitlab"}, "preset"),
    ({"name": "a", "key": "X-Sig", "frobnicate": 1}, "frobnicate"),
])
def test_bad_definitions_are_refused_with_the_option(kwargs: dict, option: str | None) -> None:
    name = kwargs.pop("name")
    with pytest.raises(WebhookDefinitionError) as info:
        build_webhook(name, **kwargs)
    assert info.value.option == option


def test_literal_secret_is_refused_without_echo() -> None:
    with pytest.raises(SecretError) as info:
        build_webhook("a", preset="github", secret=LITERAL)
    assert LITERAL not in str(info.value) and info.value.option == "secret"
    with pytest.raises(SecretError):
        Signature(key="X-Sig", secret=LITERAL)


def test_in_memory_secret_works_but_does_not_export(tmp_path: Path) -> None:
    from nbconnect.auth.secrets import Secret

    c = connector()
    add_webhook(c, Webhook("a", signature=Signature(key="X-Sig", secret=Secret(LITERAL))))
    assert LITERAL not in repr(c.webhooks)
    with pytest.raises((SecretError, PackageError)) as info:
        nbconnect.export(c, tmp_path / "pkg")
    assert LITERAL not in str(info.value)


def test_bad_input_leaves_the_connector_as_it_was() -> None:
    c = connector()
    add_webhook(c, Webhook("orders"))
    before = c.to_dict()
    with pytest.raises(WebhookDefinitionError):
        add_webhook(c, Webhook("orders"))
    with pytest.raises(WebhookDefinitionError, match="not an endpoint"):
        add_webhook(c, build_webhook("r", type="resthook", subscribe="createHook",
                                     unsubscribe="nope"))
    with pytest.raises(WebhookDefinitionError):
        c.webhooks = (Webhook("x"), Webhook("x"))
    with pytest.raises(WebhookDefinitionError):
        c.webhooks = ("not a webhook",)
    assert c.to_dict() == before


def test_replace_and_remove() -> None:
    c = connector()
    add_webhook(c, Webhook("a"))
    add_webhook(c, Webhook("b"))
    new = build_webhook("a", preset="shopify", secret="env:S")
    add_webhook(c, new, replace=True)
    assert c.webhooks.names() == ["a", "b"] and c.webhooks["a"].preset == "shopify"
    assert remove_webhook(c, "a") == new and c.webhooks.names() == ["b"]
    with pytest.raises(WebhookNotFoundError):
        remove_webhook(c, "a")


def test_preset_then_overrides_and_challenge() -> None:
    w = build_webhook("s", preset="slack", secret="env:SLACK", tolerance=60)
    assert w.signature.tolerance == 60 and w.signature.header == "X-Slack-Signature"
    assert w.challenge == Challenge("challenge", "body", "echo", signed=True)
    z = build_webhook("z", preset="zoom", secret="env:Z", challenge_signed=False)
    assert z.challenge.response == "zoom" and z.challenge.signed is False


def test_underscore_headers_warn() -> None:
    w = build_webhook("z", key="zoom_signature", prefix="x-", timestamp_header="x_ts",
                      signed="{timestamp}{body}")
    assert len(w.warnings) == 2 and "x-zoom_signature" in w.warnings[0]
    assert build_webhook("g", preset="github").warnings == []


def test_options_from_yaml_spellings() -> None:
    opts = options_from_mapping({"name": "a", "challenge-key": "c", "subscription-id": "x.id",
                                 "signature_prefix": "v1="})
    assert opts == {"name": "a", "challenge_key": "c", "subscription_id_path": "x.id",
                    "signature_prefix": "v1="}
    with pytest.raises(WebhookDefinitionError, match="Unknown webhook field 'colour'"):
        options_from_mapping({"colour": "red"})


def test_manifest_errors_name_the_path_and_never_the_secret(tmp_path: Path) -> None:
    c = connector()
    add_webhook(c, build_webhook("gh", preset="github", secret="env:GH"))
    nbconnect.export(c, tmp_path / "pkg")
    manifest = tmp_path / "pkg" / "connector.yaml"
    text = manifest.read_text()
    manifest.write_text(text.replace("secret: env:GH", f"secret: {LITERAL}"))
    with pytest.raises(PackageError) as info:
        nbconnect.load(tmp_path / "pkg")
    assert LITERAL not in info.value.full_text() and "webhooks" in str(info.value)
    manifest.write_text(text.replace("algorithm: sha256", "algorithm: md5"))
    with pytest.raises(PackageError, match=r"webhooks\[0\]"):
        nbconnect.load(tmp_path / "pkg")
    manifest.write_text(text.replace("type: static", "type: static\n  colour: red"))
    with pytest.raises(PackageError):
        nbconnect.load(tmp_path / "pkg")


def test_frozen_values() -> None:
    w = Webhook("a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        w.name = "b"  # type: ignore[misc]
    assert dataclasses.replace(w, description="d").token == w.token


def test_every_preset_round_trips_through_the_manifest(tmp_path: Path) -> None:
    from nbconnect.webhooks.presets import PRESETS

    c = connector()
    for name in PRESETS:
        add_webhook(c, build_webhook(name, preset=name, secret="env:S"))
    nbconnect.export(c, tmp_path / "pkg")
    back = nbconnect.load(tmp_path / "pkg")
    assert back.webhooks == c.webhooks
    assert back.webhooks["standard-webhooks"].signature.separator == " "
    assert back.webhooks["stripe"].signature.timestamp_prefix == "t="
