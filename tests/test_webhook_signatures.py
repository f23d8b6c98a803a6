"""Signature checks (webhooks/verify.py, webhooks/signing.py, webhooks/presets.py): every
preset against its scheme's published vectors where they exist (GitHub's docs, Slack's docs,
the Standard Webhooks spec, checked also with the ``standardwebhooks`` package) and against
HMACs computed here independently; then each way a delivery goes wrong, with its status."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from nbconnect.errors import WebhookDefinitionError
from nbconnect.model import Signature, Webhook
from nbconnect.webhooks.presets import PRESETS, preset
from nbconnect.webhooks.signing import sign
from nbconnect.webhooks.verify import header_values, verify_delivery

NOW = 1_700_000_000
SECRET = "s3cr3t-webhook-signing-key"


def hook(name: str = "h", **fields: object) -> Webhook:
    return Webhook(name, signature=Signature(**fields))  # type: ignore[arg-type]


def preset_hook(name: str) -> Webhook:
    return Webhook("h", signature=preset(name).signature("env:WEBHOOK_SECRET"), preset=name)


def hexmac(key: bytes, data: bytes, alg: str = "sha256") -> str:
    return hmac.new(key, data, getattr(hashlib, alg)).hexdigest()


def b64mac(key: bytes, data: bytes, alg: str = "sha256") -> str:
    return base64.b64encode(hmac.new(key, data, getattr(hashlib, alg)).digest()).decode()


# --------------------------------------------------------------------------- published vectors


def test_github_published_vector() -> None:
    # docs.github.com "Validating webhook deliveries": the test values
    h = {"X-Hub-Signature-256":
         "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}
    check = verify_delivery(preset_hook("github"), h, b"Hello, World!",
                            secret="It's a Secret to Everybody")
    assert (check.ok, check.status, check.verified) == (True, 200, True)
    assert sign(preset_hook("github"), b"Hello, World!",
                secret="It's a Secret to Everybody", delivery_id="d1") == {
        **h, "X-GitHub-Delivery": "d1"}


def test_slack_published_vector() -> None:
    # api.slack.com "Verifying requests from Slack": the worked example
    body = (b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
            b"channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
            b"command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
            b"commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id="
            b"398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    h = {"X-Slack-Request-Timestamp": "1531420618",
         "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"}
    check = verify_delivery(preset_hook("slack"), h, body,
                            secret="8f742231b10e8888abcd99yyyzzz85a5", now=1531420618 + 10)
    assert check.verified and check.timestamp == 1531420618
    assert sign(preset_hook("slack"), body, secret="8f742231b10e8888abcd99yyyzzz85a5",
                now=1531420618) == h


def test_standard_webhooks_published_vector_and_reference_library() -> None:
    import standardwebhooks

    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    h = {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
         "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}
    hook_ = preset_hook("standard-webhooks")
    assert verify_delivery(hook_, h, body, secret=secret, now=1614265330).verified
    assert sign(hook_, body, secret=secret, now=1614265330,
                delivery_id="msg_p5jXN8AQM9LWM0D4loKWxJek") == h
    # the reference implementation accepts what we sign, and we accept what it signs
    ours = sign(hook_, b'{"a": 1}', secret=secret)
    assert standardwebhooks.Webhook(secret).verify(b'{"a": 1}', ours) == {"a": 1}
    ref = standardwebhooks.Webhook(secret)
    stamp = datetime.now(tz=UTC)
    theirs = {"webhook-id": "msg_x", "webhook-timestamp": str(int(stamp.timestamp())),
              "webhook-signature": ref.sign("msg_x", stamp, '{"b": 2}')}
    assert verify_delivery(hook_, theirs, b'{"b": 2}', secret=secret).verified


# --------------------------------------------------------------------------- independent HMACs


def test_stripe_independent() -> None:
    secret = "whsec_test_Stripe0123456789abcdef"
    body = b'{"id": "evt_1", "object": "event"}'
    good = hexmac(secret.encode(), f"{NOW}.".encode() + body)  # the whole whsec_ string
    h = {"Stripe-Signature": f"t={NOW},v1={'0' * 64},v1={good},v0=deadbeef"}
    check = verify_delivery(preset_hook("stripe"), h, body, secret=secret, now=NOW + 5)
    assert check.verified and check.timestamp == NOW
    assert sign(preset_hook("stripe"), body, secret=secret, now=NOW) == {
        "Stripe-Signature": f"t={NOW},v1={good}"}


def test_zoom_independent() -> None:
    body = b'{"event":"meeting.started","payload":{}}'
    good = hexmac(SECRET.encode(), f"v0:{NOW}:".encode() + body)
    h = {"x-zm-request-timestamp": str(NOW), "x-zm-signature": f"v0={good}"}
    assert verify_delivery(preset_hook("zoom"), h, body, secret=SECRET, now=NOW).verified
    assert sign(preset_hook("zoom"), body, secret=SECRET, now=NOW) == h


def test_shopify_independent() -> None:
    body = b'{"id": 820982911946154508}'
    h = {"X-Shopify-Hmac-Sha256": b64mac(SECRET.encode(), body), "X-Shopify-Webhook-Id": "w1"}
    check = verify_delivery(preset_hook("shopify"), h, body, secret=SECRET)
    assert check.verified and check.delivery_id == "w1"


@pytest.mark.parametrize("alg", ["sha1", "sha256", "sha512"])
@pytest.mark.parametrize("enc", ["hex", "base64", "base64url"])
def test_generic_algorithms_and_encodings(alg: str, enc: str) -> None:
    body = b'{"n": 1}'
    raw = hmac.new(SECRET.encode(), body, getattr(hashlib, alg)).digest()
    text = {"hex": raw.hex(), "base64": base64.b64encode(raw).decode(),
            "base64url": base64.urlsafe_b64encode(raw).decode().rstrip("=")}[enc]
    h = hook(key="zoom_signature", prefix="x-", algorithm=alg, encoding=enc)
    assert h.signature.header == "x-zoom_signature"
    assert verify_delivery(h, {"x-zoom_signature": text}, body, secret=SECRET).verified
    assert sign(h, body, secret=SECRET)["x-zoom_signature"].rstrip("=") == text.rstrip("=")


def test_every_preset_round_trips_and_has_published_fields() -> None:
    assert list(PRESETS) == ["standard-webhooks", "github", "stripe", "slack", "zoom",
                             "shopify"]
    body = b'{"ok": true}'
    for name in PRESETS:
        secret = "whsec_" + base64.b64encode(b"k" * 24).decode()
        headers = sign(preset_hook(name), body, secret=secret, now=NOW)
        assert verify_delivery(preset_hook(name), headers, body, secret=secret,
                               now=NOW).verified, name


def test_keying_stripe_and_standard_webhooks_differ() -> None:
    """NOTES.md: Stripe keys with the whole whsec_ string, Standard Webhooks with the
    base64 decoding of what follows it; using one scheme's keying for the other fails."""
    secret = "whsec_" + base64.b64encode(b"0123456789abcdef0123").decode()
    body = b"{}"
    sw = preset_hook("standard-webhooks")
    as_text = Webhook("h", signature=preset("standard-webhooks").signature(
        secret_format="text"))
    headers = sign(sw, body, secret=secret, now=NOW, delivery_id="m")
    assert verify_delivery(sw, headers, body, secret=secret, now=NOW).verified
    assert verify_delivery(as_text, headers, body, secret=secret, now=NOW).status == 401
    stripe = preset_hook("stripe")
    as_b64 = Webhook("h", signature=preset("stripe").signature(secret_format="base64"))
    sheaders = sign(stripe, body, secret=secret, now=NOW)
    assert verify_delivery(stripe, sheaders, body, secret=secret, now=NOW).verified
    assert verify_delivery(as_b64, sheaders, body, secret=secret, now=NOW).status == 401


def test_several_signatures_in_one_header_key_rotation() -> None:
    sw = preset_hook("standard-webhooks")
    old = "whsec_" + base64.b64encode(b"old-key-old-key-old-key!").decode()
    new = "whsec_" + base64.b64encode(b"new-key-new-key-new-key!").decode()
    headers = sign(sw, b"{}", secret=new, extra_secrets=(old,), now=NOW, delivery_id="m")
    assert headers["webhook-signature"].count("v1,") == 2
    assert verify_delivery(sw, headers, b"{}", secret=old, now=NOW).verified
    assert verify_delivery(sw, headers, b"{}", secret=new, now=NOW).verified


def test_algorithm_none_compares_the_secret() -> None:
    h = hook(key="X-Webhook-Token", algorithm="none")
    assert verify_delivery(h, {"X-Webhook-Token": SECRET}, b"x", secret=SECRET).verified
    bad = verify_delivery(h, {"X-Webhook-Token": SECRET[:-1] + "X"}, b"x", secret=SECRET)
    assert bad.status == 401 and SECRET not in bad.reason and SECRET[:-1] not in bad.reason
    assert sign(h, b"x", secret=SECRET) == {"X-Webhook-Token": SECRET}


# --------------------------------------------------------------------------- what goes wrong


def slack_delivery(body: bytes = b'{"e": 1}', now: int = NOW) -> tuple[Webhook, dict, bytes]:
    h = preset_hook("slack")
    return h, sign(h, body, secret=SECRET, now=now), body


def test_tampered_body_wrong_secret_wrong_algorithm_wrong_encoding() -> None:
    h, headers, body = slack_delivery()
    tampered = verify_delivery(h, headers, body + b" ", secret=SECRET, now=NOW)
    assert (tampered.ok, tampered.status) == (False, 401)
    assert "expected v0=" in tampered.reason and "received v0=" in tampered.reason
    wrong = verify_delivery(h, headers, body, secret="another-secret-entirely", now=NOW)
    assert wrong.status == 401 and "another-secret" not in wrong.reason
    sha1 = Webhook("h", signature=preset("slack").signature(algorithm="sha1"))
    alg = verify_delivery(sha1, headers, body, secret=SECRET, now=NOW)
    assert alg.status == 401 and "is the algorithm sha256?" in alg.reason
    b64 = Webhook("h", signature=preset("slack").signature(encoding="base64"))
    enc = verify_delivery(b64, headers, body, secret=SECRET, now=NOW)
    assert enc.status == 401 and not enc.ok
    assert enc.public_reason == "webhook signature verification failed"
    assert "v0=" not in enc.public_reason


@pytest.mark.parametrize("value, status", [(None, 401), ("", 401), ("   ", 401)])
def test_missing_or_empty_signature_header(value: str | None, status: int) -> None:
    h, headers, body = slack_delivery()
    headers = dict(headers)
    if value is None:
        del headers["X-Slack-Signature"]
    else:
        headers["X-Slack-Signature"] = value
    check = verify_delivery(h, headers, body, secret=SECRET, now=NOW)
    assert (check.ok, check.status) == (False, status)
    assert "X-Slack-Signature" in check.reason


def test_duplicated_headers_are_malformed() -> None:
    h, headers, body = slack_delivery()
    pairs = [*headers.items(), ("x-slack-signature", headers["X-Slack-Signature"])]
    assert verify_delivery(h, pairs, body, secret=SECRET, now=NOW).status == 400
    pairs = [*headers.items(), ("X-Slack-Request-Timestamp", str(NOW))]
    check = verify_delivery(h, pairs, body, secret=SECRET, now=NOW)
    assert check.status == 400 and "2 times" in check.reason
    # a plain dict with a list value says the same
    assert verify_delivery(h, {**headers, "X-Slack-Signature": ["a", "b"]}, body,
                           secret=SECRET, now=NOW).status == 400


@pytest.mark.parametrize("stamp, status, words", [
    ("abc", 400, "not whole Unix seconds"),
    ("1700000000.5", 400, "not whole Unix seconds"),
    ("-5", 400, "not whole Unix seconds"),
    (str(NOW * 1000), 400, "milliseconds"),
    (str(NOW + 301), 401, "in the future"),
    (str(NOW - 301), 401, "old"),
    ("", 401, "is empty"),
])
def test_bad_timestamps(stamp: str, status: int, words: str) -> None:
    h, headers, body = slack_delivery()
    headers = {**headers, "X-Slack-Request-Timestamp": stamp}
    check = verify_delivery(h, headers, body, secret=SECRET, now=NOW)
    assert (check.ok, check.status) == (False, status)
    assert words in check.reason


def test_tolerance_is_inclusive_both_ways_and_configurable() -> None:
    for skew in (-300, 300):
        h, headers, body = slack_delivery(now=NOW + skew)
        assert verify_delivery(h, headers, body, secret=SECRET, now=NOW).verified
    strict = Webhook("h", signature=preset("slack").signature(tolerance=10))
    headers = sign(strict, b"{}", secret=SECRET, now=NOW - 11)
    assert verify_delivery(strict, headers, b"{}", secret=SECRET, now=NOW).status == 401


def test_a_replayed_signature_with_a_new_timestamp_fails() -> None:
    h, headers, body = slack_delivery(now=NOW - 1000)
    replay = {**headers, "X-Slack-Request-Timestamp": str(NOW)}
    assert verify_delivery(h, replay, body, secret=SECRET, now=NOW).status == 401


def test_non_utf8_body_is_verified_as_raw_bytes() -> None:
    body = b"\xff\xfe\x00binary \xc3\x28 payload"
    h = preset_hook("github")
    headers = sign(h, body, secret=SECRET)
    assert headers["X-Hub-Signature-256"] == "sha256=" + hexmac(SECRET.encode(), body)
    assert verify_delivery(h, headers, body, secret=SECRET).verified
    assert verify_delivery(h, headers, body[:-1], secret=SECRET).status == 401
    sw = preset_hook("standard-webhooks")
    key = "whsec_" + base64.b64encode(b"z" * 32).decode()
    headers = sign(sw, body, secret=key, now=NOW, delivery_id="m1")
    assert verify_delivery(sw, headers, body, secret=key, now=NOW).verified


def test_no_signature_configured_accepts_unverified() -> None:
    h = Webhook("open")
    check = verify_delivery(h, {}, b"{}", secret=None)
    assert (check.ok, check.status, check.verified) == (True, 200, False)
    assert sign(h, b"{}", secret="x") == {}


def test_signed_id_header_missing_is_401_and_unsigned_id_is_read() -> None:
    sw = preset_hook("standard-webhooks")
    key = "whsec_" + base64.b64encode(b"q" * 32).decode()
    headers = sign(sw, b"{}", secret=key, now=NOW, delivery_id="msg_1")
    check = verify_delivery(sw, {k: v for k, v in headers.items() if k != "webhook-id"},
                            b"{}", secret=key, now=NOW)
    assert check.status == 401 and "webhook-id" in check.reason
    assert verify_delivery(sw, headers, b"{}", secret=key, now=NOW).delivery_id == "msg_1"


def test_wrong_prefix_says_so_and_empty_secret_is_a_setup_error() -> None:
    h = preset_hook("github")
    check = verify_delivery(h, {"X-Hub-Signature-256": "sha1=abcd"}, b"x", secret=SECRET)
    assert check.status == 401 and "'sha256='" in check.reason
    with pytest.raises(WebhookDefinitionError):
        verify_delivery(h, {}, b"x", secret="")
    bad_b64 = Webhook("h", signature=preset("standard-webhooks").signature())
    with pytest.raises(WebhookDefinitionError) as info:
        verify_delivery(bad_b64, {"webhook-id": "m", "webhook-timestamp": str(NOW),
                                  "webhook-signature": "v1,AAAA"}, b"x",
                        secret="whsec_not base64!!", now=NOW)
    assert "not base64!!" not in str(info.value)


def test_secret_never_in_reasons_even_when_sent_as_the_signature() -> None:
    h = preset_hook("github")
    check = verify_delivery(h, {"X-Hub-Signature-256": "sha256=" + SECRET}, b"x",
                            secret=SECRET)
    assert check.status == 401 and SECRET[:8] not in check.reason


def test_header_values_reads_every_shape() -> None:
    import httpx2

    assert header_values({"A": "1", "a": "2"}, "a") == ["1", "2"]
    assert header_values([("A", "1"), ("b", "2"), ("a", "3")], "A") == ["1", "3"]
    assert header_values(httpx2.Headers([("A", "1"), ("a", "2")]), "a") == ["1", "2"]
    from starlette.datastructures import Headers

    raw = Headers(raw=[(b"x-sig", b"1"), (b"x-sig", b"2")])
    assert header_values(raw, "X-Sig") == ["1", "2"]


def test_verify_needs_bytes() -> None:
    with pytest.raises(TypeError):
        verify_delivery(preset_hook("github"), {}, json.dumps({}), secret=SECRET)  # type: ignore[arg-type]
