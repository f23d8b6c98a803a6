"""The webhook definition verbs through both faces (the ``face`` fixture): add (flags, preset,
YAML body), list, show, remove, verify, detect, send (to a real loopback server that checks
what arrives), ``show --json``; refusals leave the connector as it was; the secret value
appears in no output. And the notebook form (notebook/webhookform.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import nbconnect
from nbconnect.model import Connector, Webhook
from nbconnect.webhooks.presets import preset
from nbconnect.webhooks.signing import sign

SECRET = "s3ntinel-Webhook7YtR2mQ9-do-not-leak"
GH_BODY = b"Hello, World!"
GH_SIG = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


@pytest.fixture(autouse=True)
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WH_SECRET", SECRET)
    monkeypatch.setenv("GH_SECRET", "It's a Secret to Everybody")


def start(face: Any) -> None:
    c = Connector("hooks", base_url="https://api.example.com")
    c.add_endpoint("POST", "/hooks", name="Create hook", id="createHook")
    c.add_endpoint("DELETE", "/hooks/:id", name="Delete hook", id="deleteHook")
    face.start(c)


def snapshot(face: Any) -> object:
    if face.name == "cli":
        return {str(p.relative_to(face.package)): p.read_bytes()
                for p in sorted(face.package.rglob("*")) if p.is_file()}
    return face.connector.to_dict()


def no_secret(*outcomes: Any) -> None:
    for o in outcomes:
        assert SECRET not in o.out + o.err + o.error


def delivery(tmp: Path, headers: dict | list, body: bytes, name: str = "d") -> tuple[str, str]:
    h, b = tmp / f"{name}.json", tmp / f"{name}.body"
    h.write_text(json.dumps(headers), encoding="utf-8")
    b.write_bytes(body)
    return str(h), str(b)


def test_add_list_show_remove(face: Any) -> None:
    start(face)
    added = face.run("webhook add gh --preset github --secret env:GH_SECRET "
                     "--description 'GitHub pushes'")
    assert added.code == 0, added.err
    hook = face.connector.webhooks["gh"]
    assert hook.preset == "github" and hook.signature.secret == "env:GH_SECRET"
    rh = face.run("webhook add rh --type resthook --subscribe createHook --unsubscribe "
                  "deleteHook --callback-field target_url --subscription-id data.id "
                  "--key X-Sig --secret env:WH_SECRET --challenge-key challenge")
    assert rh.code == 0, rh.err
    assert face.connector.webhooks["rh"].resthook.subscription_id_path == "data.id"
    listed = face.run("webhook list --json")
    data = json.loads(listed.out)
    assert [d["name"] for d in data] == ["gh", "rh"]
    assert data[0]["path"] == f"/webhooks/gh/{hook.token}"
    shown = face.run("webhook show gh --json")
    assert json.loads(shown.out)["signature"]["signature_prefix"] == "sha256="
    whole = json.loads(face.run("show --json").out)
    assert [w["name"] for w in whole["webhooks"]] == ["gh", "rh"]
    removed = face.run("webhook remove gh")
    assert removed.code == 0 and face.connector.webhooks.names() == ["rh"]
    no_secret(added, rh, listed, shown, removed)


def test_plain_text_show_and_list() -> None:
    from nbconnect.verbs.webhook import webhook_text

    hook = nbconnect.model.Webhook("z", signature=preset("zoom").signature("env:Z"),
                                   challenge=None, preset="zoom")
    text = webhook_text(hook)
    assert "header x-zm-signature" in text and "tolerance 300 s" in text


@pytest.mark.parametrize("line, words", [
    ("webhook add w --algorithm md5 --key X-Sig", "invalid choice"),
    ("webhook add w --secret " + SECRET, "looks like a literal secret"),
    ("webhook add w --type resthook --subscribe createHook --unsubscribe nope",
     "not an endpoint"),
    ("webhook add w --secret env:WH_SECRET", "--key"),
    ("webhook add w --key 'X Sig'", "HTTP header name"),
    ("webhook add 'bad name'", "not valid"),
])
def test_refusals_leave_the_connector_unchanged(face: Any, line: str, words: str) -> None:
    start(face)
    face.run("webhook add keep --preset shopify --secret env:WH_SECRET")
    before = snapshot(face)
    out = face.run(line)
    assert out.code == 2 and words in out.error + out.err, out.err
    assert snapshot(face) == before
    no_secret(out)


def test_yaml_body(face: Any) -> None:
    start(face)
    body = ("name: z\ntype: static\npreset: zoom\nsecret: env:WH_SECRET\ntolerance: 120\n"
            "description: Zoom events\n")
    out = face.run("webhook", cell=body)
    assert out.code == 0, out.err
    hook = face.connector.webhooks["z"]
    assert hook.signature.tolerance == 120 and hook.challenge.response == "zoom"
    bad = face.run("webhook", cell="name: y\ncolour: red\n")
    assert bad.code == 2 and "Unknown webhook field 'colour'" in bad.error


def test_underscore_header_warns(face: Any) -> None:
    start(face)
    out = face.run("webhook add z --key zoom_signature --prefix x- --secret env:WH_SECRET")
    assert out.code == 0 and "x-zoom_signature" in out.out + out.err
    assert "nginx" in out.out + out.err


def test_verify_calculator(face: Any, tmp_path: Path) -> None:
    start(face)
    face.run("webhook add gh --preset github --secret env:GH_SECRET")
    h, b = delivery(tmp_path, {"X-Hub-Signature-256": GH_SIG}, GH_BODY)
    ok = face.run(f"webhook verify gh --headers {h} --body {b}")
    h2, b2 = delivery(tmp_path, {"X-Hub-Signature-256": GH_SIG}, b"Hello, World?", "t")
    bad = face.run(f"webhook verify gh --headers {h2} --body {b2}")
    if face.name == "cli":
        assert (ok.code, bad.code) == (0, 1)
        assert ok.out.startswith("verified")
        assert "does not match: expected sha256=" in bad.out
        assert "received sha256=757107ea0e" in bad.out
    else:
        assert ok.result.verified and ok.result.status == 200
        assert bad.result.status == 401 and "expected sha256=" in bad.result.reason


def test_verify_old_capture_with_now_and_other_secret(face: Any, tmp_path: Path) -> None:
    start(face)
    face.run("webhook add s --preset slack --secret env:GH_SECRET")
    hook = Webhook("s", signature=preset("slack").signature())
    headers = sign(hook, b"{}", secret=SECRET, now=1_600_000_000)
    h, b = delivery(tmp_path, headers, b"{}")
    stale = face.run(f"webhook verify s --headers {h} --body {b} --secret env:WH_SECRET")
    fresh = face.run(f"webhook verify s --headers {h} --body {b} --secret env:WH_SECRET "
                     "--now 1600000100")
    if face.name == "cli":
        assert stale.code == 1 and "s old" in stale.out and fresh.code == 0
    else:
        assert stale.result.status == 401 and fresh.result.verified
    no_secret(stale, fresh)


def test_verify_bad_files(face: Any, tmp_path: Path) -> None:
    start(face)
    face.run("webhook add gh --preset github --secret env:GH_SECRET")
    (tmp_path / "h.json").write_text("[1, 2]")
    (tmp_path / "b").write_bytes(b"x")
    out = face.run(f"webhook verify gh --headers {tmp_path / 'h.json'} --body {tmp_path / 'b'}")
    assert out.code == 2 and "JSON object" in out.error
    missing = face.run(f"webhook verify gh --headers {tmp_path / 'no.json'} --body x")
    assert missing.code == 2 and "could not be read" in missing.error
    unknown = face.run(f"webhook verify nope --headers {tmp_path / 'h.json'} --body x")
    assert unknown.code == 2 and "no webhook 'nope'" in unknown.error


def test_detect(face: Any, tmp_path: Path) -> None:
    start(face)
    hook = Webhook("x", signature=preset("stripe").signature())
    h, b = delivery(tmp_path, {"Content-Type": "application/json",
                               **sign(hook, b'{"id": "evt"}', secret=SECRET)},
                    b'{"id": "evt"}')
    found = face.run(f"webhook detect --headers {h} --body {b} --secret env:WH_SECRET")
    h2, b2 = delivery(tmp_path, {"X-Sig": "abc"}, b"{}", "n")
    none = face.run(f"webhook detect --headers {h2} --body {b2} --secret env:WH_SECRET")
    if face.name == "cli":
        assert found.code == 0 and "found: --preset stripe" in found.out
        assert none.code == 1 and "tried:" in none.out
    else:
        assert found.result.preset == "stripe" and not none.result.found
    no_secret(found, none)


@pytest.fixture
def third_party_receiver() -> Any:
    """A real loopback server that records each request and checks it with a GitHub-style
    scheme keyed with SECRET (independent of the sender's code path)."""
    import hashlib
    import hmac

    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from nbconnect.serving import BackgroundServer

    seen: list[tuple[dict[str, str], bytes]] = []

    async def hook(request: Any) -> Any:
        body = await request.body()
        seen.append((dict(request.headers), body))
        want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        got = request.headers.get("x-hub-signature-256", "")
        ok = hmac.compare_digest(want, got)
        return PlainTextResponse("ok" if ok else "bad signature", status_code=200 if ok else 401)

    server = BackgroundServer(Starlette(routes=[Route("/in", hook, methods=["POST"])]),
                              name="test receiver")
    server.start()
    yield server, seen
    server.stop()


def test_send_signs_and_posts(face: Any, third_party_receiver: Any) -> None:
    server, seen = third_party_receiver
    start(face)
    face.run("webhook add gh --preset github --secret env:WH_SECRET")
    url = f"{server.url}/in"
    out = face.run(f"webhook send gh --url {url} --body '{{\"action\": \"opened\"}}' "
                   "--id delivery-1 --header X-GitHub-Event=issues")
    headers, body = seen[-1]
    assert body == b'{"action": "opened"}'
    assert headers["content-type"] == "application/json"
    assert headers["x-github-delivery"] == "delivery-1"
    assert headers["x-github-event"] == "issues"
    if face.name == "cli":
        assert out.code == 0 and "-> 200" in out.out
    else:
        assert out.result.status_code == 200
    face.run("webhook add other --preset github --secret env:GH_SECRET")
    wrong = face.run(f"webhook send other --url {url} --body '{{}}'")
    if face.name == "cli":
        assert wrong.code == 1 and "401" in wrong.out
    else:
        assert wrong.result.status_code == 401
    not_json = face.run(f"webhook send gh --url {url} --body 'not json'")
    assert not_json.code == 2 and "not JSON" in not_json.error
    no_secret(out, wrong, not_json)


def test_send_to_nothing_listening(face: Any) -> None:
    import socket

    start(face)
    face.run("webhook add gh --preset github --secret env:WH_SECRET")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = face.run(f"webhook send gh --url http://127.0.0.1:{port}/x --body '{{}}' "
                   "--timeout 5")
    assert out.code == 2 and "could not be sent" in out.error


# --------------------------------------------------------------------------- the form


def test_form_opens_adds_and_detects(ip: Any, tmp_path: Path) -> None:
    from nbconnect.notebook.webhookform import WebhookForm

    c = Connector("hooks", base_url="https://api.example.com")
    ip.magics_manager.registry["ConnectMagics"].session.set_connector(c)
    form = ip.run_line_magic("connect", "webhook add")
    assert isinstance(form, WebhookForm) and repr(form) == \
        "WebhookForm(connector='hooks', outcome='pending')"
    # a pasted value in the secret box is cleared at once
    form.secret_text.value = SECRET
    assert form.secret_text.value == "" and "reference" in form.status.value
    # Detect fills the fields from a captured delivery
    hook = Webhook("x", signature=preset("shopify").signature())
    form.headers_area.value = json.dumps(sign(hook, b'{"a": 1}', secret=SECRET))
    form.body_area.value = '{"a": 1}'
    form.secret_text.value = "env:WH_SECRET"
    form.detect()
    assert form.detection.preset == "shopify" and form.preset_dropdown.value == "shopify"
    assert form.fields["key"].value == "X-Shopify-Hmac-Sha256"
    form.name_text.value = "shop"
    form.add()
    assert form.outcome == "added" and c.webhooks["shop"].preset == "shopify"
    assert c.webhooks["shop"].signature.secret == "env:WH_SECRET"
    assert SECRET not in json.dumps(form.get_state(), default=str)


def test_form_refuses_and_leaves_the_connector(ip: Any) -> None:
    from nbconnect.notebook.webhookform import WebhookForm

    c = Connector("hooks", base_url="https://api.example.com")
    form = WebhookForm(c)
    form.name_text.value = "w"
    form.fields["algorithm"].value = "sha256"
    form.add()
    assert form.outcome == "failed" and "(the key field)" in form.status.value
    assert c.webhooks == ()
    form.type_dropdown.value = "resthook"
    form.fields["key"].value = "X-Sig"
    form.add()
    assert form.outcome == "failed" and "subscribe" in form.status.value
    form.type_dropdown.value = "static"
    form.preset_dropdown.value = "zoom"
    assert form.challenge_response.value == "zoom"
    form.secret_text.value = "env:Z"
    form.add()
    assert form.outcome == "added" and c.webhooks["w"].challenge.response == "zoom"


def test_send_defaults_to_the_running_receiver(ip: Any, tmp_path: Path) -> None:
    """In a notebook, send goes to the receiver running in the background, which verifies
    and stores the event (the end-to-end proof without a third party)."""
    session = ip.magics_manager.registry["ConnectMagics"].session
    c = Connector("hooks", base_url="https://api.example.com")
    session.set_connector(c)
    ip.run_line_magic("connect", "webhook add gh --preset github --secret env:WH_SECRET")
    ip.run_line_magic("connect", f"webhook serve --event-log {tmp_path / 'events.sqlite'}")
    try:
        response = ip.run_line_magic("connect", "webhook send gh --body '{\"n\": 1}'")
        assert response.status_code == 200
        events = c.webhooks.events("gh", log=str(tmp_path / "events.sqlite"))
        assert len(events) == 1
    finally:
        ip.run_line_magic("connect", "webhook serve --stop")


def test_send_without_url_and_receiver_is_a_usage_error(face: Any) -> None:
    start(face)
    face.run("webhook add gh --preset github --secret env:WH_SECRET")
    out = face.run("webhook send gh --body '{}'")
    assert out.code == 2 and "--url" in out.error
