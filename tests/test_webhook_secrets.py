"""No webhook secret value anywhere a user or a file can see it, through both faces: after
``webhook add`` (HMAC and ``none``, whose header *is* the secret), ``serve`` (the notebook's
background receiver; the CLI's foreground ``webhooks serve`` as a subprocess), ``send``
(accepted and refused), ``events`` (table, JSON, rich display), ``verify`` and ``detect``
failures, the exported package and the event log file itself. Also: the receiver's body
limit is :data:`nbconnect.limits.MAX_WEBHOOK_BODY_BYTES`.
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import nbconnect
from nbconnect.model import Connector

SECRET = "Sup3r-webhook-Secret-4242"
WRONG = "not-the-secret-value-9999"


def _serve_cli(pkg: Path, tmp_path: Path) -> tuple[subprocess.Popen[str], str, list[str]]:
    """``nbconnect webhooks serve PKG`` in a subprocess: (process, base URL, its output)."""
    env = {**os.environ, "WH_SECRET": SECRET, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "nbconnect", "webhooks", "serve", str(pkg),
                             "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path)
    assert proc.stdout is not None
    seen: list[str] = []
    lines: queue.Queue[str | None] = queue.Queue()

    def read(out: Any = proc.stdout) -> None:  # a thread, so the deadline can fire
        for line in out:
            seen.append(line)
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 120
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        found = re.search(r"(http://127\.0\.0\.1:\d+)/webhooks/orders/", line)
        if found:
            return proc, found.group(1), seen
    proc.kill()
    raise AssertionError("the receiver did not start: " + "".join(seen)[-1000:])


def _failed(face: Any, out: Any, flag: str) -> bool:
    """The CLI exited 1; the magic returned a result whose ``flag`` is false."""
    return out.code == 1 if face.name == "cli" else not getattr(out.result, flag)


def test_no_secret_value_in_any_output_file_or_event(face: Any, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WH_SECRET", SECRET)
    monkeypatch.setenv("WH_WRONG", WRONG)
    face.start(Connector(name="shop", base_url="https://api.example.com"))
    texts: list[str] = []

    def run(line: str) -> Any:
        out = face.run(line)
        texts.extend([out.out, out.err, out.error, repr(out.result)])
        bundle = getattr(out.result, "_repr_mimebundle_", None)
        if callable(bundle):
            texts.append(json.dumps(bundle(), default=str))
        return out

    assert run("webhook add orders --preset github --secret env:WH_SECRET").code == 0
    assert run("webhook add token --key X-Token --algorithm none "
               "--secret env:WH_SECRET").code == 0
    assert run("webhook list").code == 0 and run("webhook show token --json").code == 0
    proc = None
    if face.name == "magic":
        served = run("webhook serve")
        assert served.code == 0, served.err
        base = served.result.url
    else:
        proc, base, served_lines = _serve_cli(face.package, tmp_path)
    hooks = face.connector.webhooks
    orders = base + hooks["orders"].path
    token = base + hooks["token"].path
    try:
        sent = run(f"webhook send orders --url {orders} --body '{{\"n\": 1}}' --id d-1")
        assert sent.code == 0 and "200" in sent.out, sent.out + sent.err
        # the header of a 'none' webhook carries the secret itself: stored masked
        none = run(f"webhook send token --url {token} --body '{{\"n\": 2}}'")
        assert none.code == 0 and "200" in none.out, none.out + none.err
        refused = run(f"webhook send orders --url {orders} --body '{{\"n\": 3}}' "
                      "--secret env:WH_WRONG")
        assert "401" in refused.out and refused.code == (1 if face.name == "cli" else 0)
        refused = run(f"webhook send token --url {token} --body '{{\"n\": 4}}' "
                      "--secret env:WH_WRONG")
        assert "401" in refused.out and refused.code == (1 if face.name == "cli" else 0)
        events = run("webhook events")
        assert events.code == 0
        listed = run("webhook events --json")
        stored = json.loads(listed.out)
        assert sorted(e["webhook"] for e in stored) == ["orders", "token"]
        assert [e["headers"]["x-token"] for e in stored if e["webhook"] == "token"] == ["***"]
    finally:
        if proc is not None:
            proc.kill()
            proc.wait(timeout=60)
            texts.extend(served_lines)
        else:
            texts.append(run("webhook serve --stop").out)
    # verify failures: a wrong HMAC (expected vs received shown) and a wrong 'none' header
    body = tmp_path / "body.json"
    body.write_bytes(b'{"n": 1}')
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"X-Hub-Signature-256": "sha256=" + "0" * 64,
                               "X-Token": SECRET[:-1] + "x"}))
    for name in ("orders", "token"):
        out = run(f"webhook verify {name} --headers {bad} --body {body}")
        assert _failed(face, out, "ok") and "does not" in out.out
    wrong_secret = run(f"webhook verify orders --headers {bad} --body {body} "
                       "--secret env:WH_WRONG")
    assert _failed(face, wrong_secret, "ok")
    detect = run(f"webhook detect --headers {bad} --body {body} --secret env:WH_SECRET")
    assert _failed(face, detect, "found")
    exported = tmp_path / "exported"
    nbconnect.export(face.connector, exported)
    leaks = [t for t in texts if SECRET in t]
    assert not leaks, leaks[:2]
    for folder in {exported, face.package, tmp_path}:
        for path in Path(folder).rglob("*"):
            if path.is_file():
                assert SECRET.encode() not in path.read_bytes(), path
    # the event log's rows themselves (SQLite may keep old pages; the check above read them)
    assert any(p.name.endswith(".sqlite") for p in tmp_path.rglob("*"))


def test_body_limit_is_in_limits() -> None:
    from nbconnect import limits
    from nbconnect.verbs.table import find_verb
    from nbconnect.webhooks import receiver

    assert limits.MAX_WEBHOOK_BODY_BYTES == 1_000_000
    assert receiver.MAX_BODY_BYTES == limits.MAX_WEBHOOK_BODY_BYTES  # the old name stays
    assert receiver.Receiver.__init__.__kwdefaults__["max_body"] == limits.MAX_WEBHOOK_BODY_BYTES
    verb, _ = find_verb(["webhooks", "serve"], "cli")
    (arg,) = [a for a in verb.args if a.name == "max_body"]
    assert arg.default == limits.MAX_WEBHOOK_BODY_BYTES
