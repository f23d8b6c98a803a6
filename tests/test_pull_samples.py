"""pull/samples: the runner keeps the last successful JSON bodies of an endpoint (bounded,
redacted like cassettes), the workspace saves them in the package's samples/, pull reads
them back; bodies that cannot be pulled leave a note that pull names. Real loopback server."""

from __future__ import annotations

import json

import pytest

import nbconnect
from nbconnect import limits
from nbconnect.errors import PullError
from nbconnect.pull import samples
from nbconnect.verbs.connection import add_connection
from nbconnect.verbs.grammar import make_connection
from nbconnect.verbs.workspace import Workspace

SECRET = "s3ntinel-pull-secret-0042"
TOKEN = "tok-ABCDEF-98765"


def _app(bodies):
    """A tiny ASGI API: path -> (content type, body bytes); it echoes nothing else."""
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        ctype, body = bodies[scope["path"]]
        headers = [(b"content-type", ctype.encode())] if ctype else []
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.fixture
def api(serve_app, monkeypatch, tmp_path):
    """A connector on a loopback API whose bodies carry a token and the connection's
    secret, plus a non-JSON, an empty and a JSON endpoint."""
    monkeypatch.setenv("PULL_KEY", SECRET)
    bodies = {
        "/me": ("application/json", json.dumps({
            "login": "ada", "access_token": TOKEN, "echo": f"key={SECRET}",
            "profile": {"client_secret": "cs-1234567", "site": "https://ada.example"},
        }).encode()),
        "/page": ("text/html; charset=utf-8", b"<html>hi</html>"),
        "/empty": ("application/json", b""),
        "/list": ("application/vnd.api+json", b'[{"id": 1}, {"id": 2, "n": null}]'),
    }
    srv = serve_app(_app(bodies))
    c = nbconnect.Connector("secretive", base_url=srv.url)
    c.auth = {"type": "api-key", "key": "X-Key", "add_to": "header"}
    for path in bodies:
        c.add_endpoint("GET", path, id=path.strip("/"))
    add_connection(c, make_connection("live", base_url=srv.url,
                                      secrets={"value": "env:PULL_KEY"}, auth=c.auth))
    pkg = tmp_path / "pkg"
    c.export(pkg)
    return c, pkg


def test_a_test_run_keeps_redacted_samples_and_saves_them_in_the_package(api):
    c, pkg = api
    ws = Workspace(connector=c, package_path=pkg)
    report = ws.run_tests(None)
    assert report.passed == 4, report.text()
    kept = samples.stored(c, "me")
    assert kept is not None and len(kept.bodies) == 1
    text = kept.bodies[0]
    assert SECRET not in text and TOKEN not in text and "cs-1234567" not in text
    assert json.loads(text)["access_token"] == "***"
    saved = (pkg / "samples" / "me.json").read_text()
    assert SECRET not in saved and TOKEN not in saved
    assert sorted(p.name for p in (pkg / "samples").iterdir()) == ["list.json", "me.json"]
    # a later process (a fresh load of the package) pulls from the saved samples
    again = nbconnect.load(pkg)
    result = again.pull("me", package=pkg)
    shown = result.text() + result.to_json()
    assert SECRET not in shown and TOKEN not in shown
    assert result.field("profile.site").format == "uri"
    assert result.field("access_token").example is None
    assert again.pull("list", package=pkg).field("[*].n").type == "unknown"
    # saving the same samples again rewrites nothing
    assert samples.save(c, pkg) == []


def test_a_secret_in_a_body_never_reaches_samples_on_disk_or_pull_output(api):
    """Samples are held raw and redacted when read: the connection's secret, credential
    fields, the connector's own key name (captured when kept, even if auth changes later)
    and a secret registered only after the run are masked in bodies, samples/ and pull."""
    from nbconnect.auth.redaction import register

    c, pkg = api
    late = "late-registered-s3cret-7731"
    assert c.test(["me"]).passed == 1  # the connection's secret is now in use
    c.add_endpoint("GET", "/echo", id="echo")
    assert [e.id for e in c.endpoints][-1] == "echo"
    body = {"login": "ada", "x-key": "plain-name-value-1", "echo": f"key={SECRET}",
            "later": f"value {late}", "nested": [{"password": "pw-0042xyz"}]}
    assert samples.keep(c, "echo", "application/json", json.dumps(body).encode())
    c.auth = {"type": "api-key", "key": "X-Other", "add_to": "header"}
    register(late)  # a secret known only after the body was kept
    kept = samples.stored(c, "echo")
    assert sorted(a for a in dir(kept) if not a.startswith("_")) == ["bodies", "note", "size"]
    text = kept.bodies[0]
    for value in (SECRET, late, "plain-name-value-1", "pw-0042xyz"):
        assert value not in text
    assert json.loads(text)["x-key"] == "***" and json.loads(text)["login"] == "ada"
    assert samples.save(c, pkg, ["echo"]) == ["samples/echo.json"]
    result = c.pull("echo")
    shown = result.text() + result.to_json() + (pkg / "samples" / "echo.json").read_text()
    fresh = nbconnect.load(pkg)  # a later process: reads the saved (redacted) file
    fresh.add_endpoint("GET", "/echo", id="echo")
    again = fresh.pull("echo", package=pkg)
    shown += again.text() + again.to_json()
    for value in (SECRET, late, "plain-name-value-1", "pw-0042xyz"):
        assert value not in shown
    assert result.field("login").example == "ada"


def test_pull_names_why_a_success_was_not_kept(api):
    c, _ = api
    c.test(["page", "empty"])
    with pytest.raises(PullError, match=r"no successful JSON response to pull from yet "
                                        r"\(its last successful response was text/html"):
        c.pull("page")
    with pytest.raises(PullError, match=r"yet \(its last successful response could not be "
                                        r"kept: the response is empty\); test it first"):
        c.pull("empty")
    before = c.to_dict()
    with pytest.raises(PullError, match="test it first, or give a sample JSON file"):
        c.pull("me", accept=True)  # never tested: nothing to read, nothing changed
    assert c.to_dict() == before


def test_samples_are_bounded_in_count_and_bytes():
    c = nbconnect.Connector("b", base_url="https://api.example.com")
    for i in range(limits.MAX_PULL_SAMPLES + 7):
        assert samples.keep(c, "e", "application/json", json.dumps({"i": i}).encode())
    kept = samples.stored(c, "e")
    assert len(kept.bodies) == limits.MAX_PULL_SAMPLES
    assert json.loads(kept.bodies[0])["i"] == 7  # the oldest went first
    big = json.dumps({"s": "x" * (limits.MAX_PULL_SAMPLE_BYTES // 2)}).encode()
    for _ in range(6):
        samples.keep(c, "big", "application/json", big)
    assert samples.stored(c, "big").size <= limits.MAX_PULL_STORED_BYTES
    too_big = b'{"s": "' + b"x" * limits.MAX_PULL_SAMPLE_BYTES + b'"}'
    assert not samples.keep(c, "big", "application/json", too_big)
    assert "sample bound" in samples.stored(c, "big").note
    assert not samples.keep(c, "t", "application/json", b"", truncated=True)
    assert not samples.keep(c, "deep", "application/json", b"[" * 100_000 + b"]" * 100_000)
    assert samples.stored(c, "deep").note.endswith("the response is nested too deeply to read")


def test_keep_checks_json_as_pull_reads_it_and_redacts_only_when_read():
    """keep() holds the bytes it checked (a UTF-8 BOM is allowed, UTF-16 is not, as pull
    reads files); nothing public returns them unredacted."""
    c = nbconnect.Connector("k", base_url="https://api.example.com")
    assert samples.keep(c, "bom", "application/json", b'\xef\xbb\xbf{"password": "pw-bom-77"}')
    assert samples.stored(c, "bom").bodies == ['{"password":"***"}']
    assert not samples.keep(c, "u16", "application/json", '{"a": 1}'.encode("utf-16"))
    assert "not UTF-8" in samples.stored(c, "u16").note
    assert not samples.keep(c, "bad", "application/json", b'{"a": ')
    assert "is not JSON" in samples.stored(c, "bad").note
    assert samples.stored(c, "bad").bodies == [] and samples.stored(c, "bad").size == 0
    assert "pw-bom-77" not in repr(samples.stored(c, "bom"))


def test_a_gigantic_or_broken_sample_file_is_refused(tmp_path, monkeypatch):
    c = nbconnect.Connector("f", base_url="https://api.example.com")
    c.add_endpoint("GET", "/x", id="x")
    before = c.to_dict()
    monkeypatch.setattr(limits, "MAX_PULL_FILE_BYTES", 100)
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"a": "b" * 200}))
    with pytest.raises(PullError, match="over the 100-byte bound") as info:
        c.pull("x", [big], accept=True)
    assert info.value.option == "sample"
    with pytest.raises(PullError, match="cannot be read"):
        c.pull("x", [tmp_path / "missing.json"])
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(PullError, match=r"The sample bad\.json is not JSON"):
        c.pull("x", [bad])
    with pytest.raises(PullError, match="is a folder"):
        c.pull("x", [tmp_path])
    assert c.to_dict() == before


def test_a_broken_samples_member_is_a_package_error(api):
    from nbconnect.errors import PackageError

    _, pkg = api
    (pkg / "samples").mkdir()
    (pkg / "samples" / "me.json").write_text('{"format": "other"}')
    with pytest.raises(PackageError, match="not a samples file"):
        nbconnect.load(pkg).pull("me", package=pkg)


def test_a_loaded_or_exported_connector_pulls_from_its_package_without_package(api, tmp_path):
    """nbconnect.load(pkg) remembers pkg (on the object, not in its data), so pull reads the
    package's samples/ in a later process; Connector.export saves the kept samples."""
    c, pkg = api
    c.test(["me", "list"])  # Python: kept in memory only
    assert not (pkg / "samples").exists()
    c.export(pkg)  # the export writes them (redacted) next to the manifest
    saved = (pkg / "samples" / "me.json").read_text()
    assert SECRET not in saved and TOKEN not in saved
    again = nbconnect.load(pkg)
    assert again == c and "package" not in json.dumps(again.to_dict())
    assert again.pull("me").field("profile.site").format == "uri"
    assert again.pull("list").field("[*].n").type == "unknown"
    moved = tmp_path / "elsewhere"
    again.export(moved)  # now it belongs to the new package
    assert again.pull("me").samples == 1
    fresh = nbconnect.load(moved)
    assert fresh.pull("me").samples == 1  # the samples went with it
    import shutil

    shutil.rmtree(moved)  # a package that is gone: the usual sentence, no PackageError
    with pytest.raises(PullError, match="test it first"):
        fresh.pull("me")


def test_the_samples_member_is_described_as_in_use():
    from nbconnect.package import members

    (held,) = [m for m in members.MEMBERS if m.name == members.SAMPLES]
    assert "reserved" not in held.holds and "pull" in held.holds
    line = [ln for ln in members.__doc__.splitlines() if "samples/" in ln]
    assert line and "reserved" not in line[0]
