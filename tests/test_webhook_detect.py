"""Scheme detection (webhooks/detect.py) from one captured delivery, and URL validation
challenges (webhooks/challenge.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from nbconnect.errors import WebhookDefinitionError
from nbconnect.model import Challenge, Signature, Webhook
from nbconnect.webhooks.challenge import MAX_CHALLENGE_LENGTH, answer_challenge
from nbconnect.webhooks.detect import detect_scheme
from nbconnect.webhooks.presets import PRESETS, preset
from nbconnect.webhooks.signing import sign
from nbconnect.webhooks.verify import verify_delivery

NOW = 1_700_000_000
SECRET = "whsec_" + base64.b64encode(b"detect-me-detect-me-1234").decode()
BODY = b'{"event": "order.created", "id": 42}'
NOISE = {"Content-Type": "application/json", "User-Agent": "Provider-Hookshot/1.0",
         "X-Request-Id": "req-123"}


@pytest.mark.parametrize("name", list(PRESETS))
def test_detects_every_preset(name: str) -> None:
    hook = Webhook("h", signature=preset(name).signature())
    headers = {**NOISE, **sign(hook, BODY, secret=SECRET, now=NOW - 3600)}
    found = detect_scheme(headers, BODY, secret=SECRET, now=NOW)
    assert found.found and found.preset == name
    assert found.options() == {"preset": name}
    if preset(name).signature().timestamp_header:
        assert "3600 s old" in found.note


@pytest.mark.parametrize("sig", [
    Signature(key="X-Signature", algorithm="sha1", encoding="hex"),
    Signature(key="X-Signature", algorithm="sha512", encoding="base64",
              signature_prefix="sha512="),
    Signature(key="X-Hook-Sig", algorithm="sha256", encoding="base64url",
              signed="{timestamp}.{body}", timestamp_header="X-Hook-Time"),
    Signature(key="X-Sig", algorithm="sha256", signed="{id}.{timestamp}.{body}",
              timestamp_header="X-Time", id_header="X-Delivery", signature_prefix="v1,",
              separator=" ", secret_format="base64"),
    Signature(key="X-Token", algorithm="none"),
])
def test_detects_generic_combinations(sig: Signature) -> None:
    hook = Webhook("h", signature=sig)
    headers = {**NOISE, **sign(hook, BODY, secret=SECRET, now=NOW, delivery_id="d-9")}
    found = detect_scheme(headers, BODY, secret=SECRET, now=NOW)
    assert found.found and found.preset is None
    got = found.signature
    assert (got.header, got.algorithm, got.signed) == (sig.header, sig.algorithm, sig.signed)
    # what it found verifies the delivery (and so would the configuration a user adds)
    again = Webhook("h", signature=got)
    assert verify_delivery(again, headers, BODY, secret=SECRET, now=NOW).verified


def test_base64_without_telltale_characters_is_flagged() -> None:
    body = b"x"
    for i in range(200):  # find a body whose signature has none of + / - _
        body = f'{{"n": {i}}}'.encode()
        mac = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest())
        if not set(mac.decode()) & set("+/-_"):
            break
    hook = Webhook("h", signature=Signature(key="X-Sig", encoding="base64url"))
    found = detect_scheme(sign(hook, body, secret=SECRET), body, secret=SECRET)
    assert found.found and "could also be base64url" in found.note


def test_nothing_found_says_what_was_tried() -> None:
    headers = {**NOISE, "X-Sig": "sha256=" + "ab" * 32, "X-Time": str(NOW)}
    found = detect_scheme(headers, BODY, secret=SECRET, now=NOW)
    assert not found.found and found.options() == {}
    tried = "\n".join(found.tried)
    for word in ("presets: standard-webhooks", "X-Sig", "sha512", "base64url",
                 "{id}.{timestamp}.{body}", "timestamp headers: X-Time"):
        assert word in tried
    assert "raw bytes" in found.note and SECRET not in tried + found.note


def test_reserialized_body_is_not_detected() -> None:
    hook = Webhook("h", signature=preset("github").signature())
    headers = sign(hook, BODY, secret=SECRET)
    pretty = json.dumps(json.loads(BODY), indent=2).encode()
    assert not detect_scheme(headers, pretty, secret=SECRET).found


# --------------------------------------------------------------------------- challenges


def test_slack_challenge_is_signed_then_echoed() -> None:
    hook = Webhook("s", signature=preset("slack").signature("env:S"),
                   challenge=PRESETS["slack"].challenge)
    body = b'{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",' \
           b'"type":"url_verification"}'
    headers = sign(hook, body, secret=SECRET, now=NOW)
    answer = answer_challenge(hook, headers=headers, body=body, query={}, secret=SECRET,
                              now=NOW)
    assert answer == (200, "text/plain; charset=utf-8",
                      b"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    unsigned = answer_challenge(hook, headers={}, body=body, query={}, secret=SECRET, now=NOW)
    assert unsigned is not None and unsigned[0] == 401 and b"3eZ" not in unsigned[2]


def test_zoom_challenge_answer_matches_an_independent_hmac() -> None:
    hook = Webhook("z", signature=preset("zoom").signature("env:Z"),
                   challenge=PRESETS["zoom"].challenge)
    body = b'{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,' \
           b'"event":"endpoint.url_validation"}'
    headers = sign(hook, body, secret=SECRET, now=NOW)
    status, ctype, raw = answer_challenge(hook, headers=headers, body=body, query={},
                                          secret=SECRET, now=NOW)
    expected = hmac.new(SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert (status, ctype) == (200, "application/json")
    assert json.loads(raw) == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw",
                               "encryptedToken": expected}
    # an unsigned request gets no HMAC back (no signing oracle)
    forged = answer_challenge(hook, headers={}, body=body, query={}, secret=SECRET, now=NOW)
    assert forged[0] == 401 and expected.encode() not in forged[2]


def test_query_echo_and_not_a_challenge() -> None:
    hook = Webhook("q", challenge=Challenge("hub.challenge", source="query"))
    assert answer_challenge(hook, headers={}, body=b"", query={"hub.challenge": "1158201444"},
                            secret=None) == (200, "text/plain; charset=utf-8", b"1158201444")
    assert answer_challenge(hook, headers={}, body=b"", query={}, secret=None) is None
    body_hook = Webhook("b", challenge=Challenge("data.challenge"))
    for body in (b"", b"not json", b"\xff\xfe", b'["challenge"]', b'{"data": {}}',
                 b'{"data": {"challenge": {"x": 1}}}', b'{"data": {"challenge": true}}'):
        assert answer_challenge(body_hook, headers={}, body=body, query={},
                                secret=None) is None, body
    assert answer_challenge(body_hook, headers={}, body=b'{"data": {"challenge": 7}}',
                            query={}, secret=None)[2] == b"7"
    assert Webhook("n").challenge is None
    assert answer_challenge(Webhook("n"), headers={}, body=b'{"challenge": "x"}', query={},
                            secret=None) is None


def test_challenge_limits_and_missing_secret() -> None:
    hook = Webhook("b", challenge=Challenge("challenge"))
    long = json.dumps({"challenge": "x" * (MAX_CHALLENGE_LENGTH + 1)}).encode()
    assert answer_challenge(hook, headers={}, body=long, query={}, secret=None)[0] == 400
    assert answer_challenge(hook, headers={}, body=b'{"challenge": ""}', query={},
                            secret=None)[0] == 400
    zoom = Webhook("z", signature=Signature(key="X-Sig", secret="env:Z"),
                   challenge=Challenge("payload.plainToken", response="zoom"))
    with pytest.raises(WebhookDefinitionError):
        answer_challenge(zoom, headers={}, body=b'{"payload": {"plainToken": "t"}}',
                         query={}, secret=None)
