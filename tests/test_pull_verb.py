"""The pull verb in both faces (``nbconnect pull PKG ...`` / ``%connect pull ...``) against the
demo connector on a real loopback mock: nothing to pull yet, test then pull (text and --json),
drift, --accept (the judge then uses the pulled schema), --drop, the Overlay export and its
application to the imported spec, bad input (one sentence, nothing changed), no secrets."""

from __future__ import annotations

import json
import re

import pytest
import yaml

import nbconnect
from nbconnect import Connector

KEY = "s3ntinel-pull-faces-key"


@pytest.fixture
def drifted(monkeypatch):
    """The demo connector, and a running mock of an API that drifted from the demo spec:
    its projects also carry an 'owner' (required), and their 'task_count' is a number with
    a fraction. The connector declares the spec; the mock serves the drifted API."""
    from nbconnect.mock.server import MockServer
    from nbconnect.verbs.connection import add_connection
    from nbconnect.verbs.grammar import make_connection

    monkeypatch.setenv("PULL_FACES_KEY", KEY)
    c = Connector("demo")
    c.import_spec(nbconnect.demo_spec_path())
    served = yaml.safe_load(nbconnect.demo_spec_path().read_text())
    project = served["components"]["schemas"]["Project"]["allOf"][1]
    project["properties"]["owner"] = {"type": "string", "example": "u_ada"}
    project["properties"]["task_count"] = {"type": "number", "example": 2.5}
    project["required"].append("owner")
    with MockServer(served, credentials={"apiKey": KEY}) as mock:
        add_connection(c, make_connection("mock", base_url=mock.url,
                                          secrets={"value": "env:PULL_FACES_KEY"},
                                          auth=c.auth))
        yield c


def test_pull_before_any_test_says_so_and_changes_nothing(face, drifted):
    face.start(drifted)
    before = face.connector.to_dict()
    done = face.run("pull getProject --accept")
    assert done.code == 2
    assert re.search(r"Endpoint getProject has no successful JSON response to pull from yet;"
                     r" test it first, or give a sample JSON file \(--sample\)", done.error)
    assert face.connector.to_dict() == before
    done = face.run("pull nope")
    assert done.code == 2 and "No endpoint 'nope'" in done.error


def test_test_then_pull_shows_the_tree_and_the_drift(face, drifted):
    face.start(drifted)
    done = face.run("test getProject listUsers")
    assert failed(face, done)  # the drifted answer fails the declared schema, and is kept
    done = face.run("pull getProject --json")
    assert done.code == 0
    data = json.loads(done.out)
    paths = {f["path"]: f for f in data["fields"]}
    assert paths["created_at"] == {"path": "created_at", "type": "string",
                                   "format": "date-time", "nullable": False,
                                   "required": True, "example": "2026-01-05T09:30:00Z"}
    assert data["drift"] == {
        "added": [{"path": "owner", "type": "string"}],
        "missing": [],
        "changed": [{"path": "task_count", "declared": {"type": "integer", "nullable": False},
                     "pulled": {"type": "number", "nullable": False}}]}
    done = face.run("pull listUsers")
    assert done.code == 0
    text = done.out if face.name == "cli" else done.result.result.text()
    assert "listUsers: 4 fields from 1 sample" in text
    assert re.search(r"\[\*\]\.email +string\(email\) +required +e\.g\. \"ada@example.com\"",
                     text)
    assert KEY not in done.out + done.err


def test_accept_writes_the_tree_and_the_overlay_fixes_the_spec(face, drifted, tmp_path):
    face.start(drifted)
    assert failed(face, face.run("test getProject"))
    done = face.run("pull getProject --accept --drop description")
    assert done.code == 0, done.error
    ep = face.connector.endpoint("getProject")
    names = {p.name: p for p in ep.response}
    assert names["task_count"].type == "number" and names["owner"].required
    assert "description" not in names  # dropped
    mark = ep.response_schema["x-nbconnect-pulled"]
    assert mark == {"declared": {"$ref": "#/components/schemas/Project"}}
    assert ep.responses["200"]["application/json"] == ep.response_schema
    assert ep.responses["404"]  # the other responses stay
    assert face.connector.endpoint("listProjects") == drifted.endpoint("listProjects")
    if face.name == "cli":  # the package stays valid: manifest, openapi.json, local $refs
        assert face.run(f"validate {face.package}").code == 0
    # the judge now checks the answer against the accepted schema: it passes
    assert not failed(face, face.run("test getProject"))
    done = face.run("pull getProject --json")  # still returned, but dropped on purpose
    assert json.loads(done.out)["drift"] == {
        "added": [{"path": "description", "type": "string"}], "missing": [], "changed": []}
    done = face.run("pull getProject --accept --drop description")
    assert done.code == 0 and face.connector.endpoint("getProject") == ep  # the same tree
    # the accepted change as an OpenAPI Overlay against the imported spec
    out = tmp_path / "fix.overlay.json"
    done = face.run(f"export --format overlay -o {out}")
    assert done.code == 0, done.error
    overlay = json.loads(out.read_text())
    assert overlay["overlay"] == "1.0.0"
    assert "x-nbconnect-pulled" not in json.dumps(overlay)
    spec = yaml.safe_load(nbconnect.demo_spec_path().read_text())
    applied = apply_overlay(spec, overlay)
    member = applied["components"]["schemas"]["Project"]["allOf"][1]
    assert member["properties"]["owner"] == {"type": "string"}
    assert member["properties"]["task_count"]["type"] == "number"
    assert member["properties"]["task_count"]["minimum"] == 0  # the rest of it is kept
    assert member["required"] == ["id", "created_at", "task_count", "owner"]
    spec_input = spec["components"]["schemas"]["ProjectInput"]
    assert applied["components"]["schemas"]["ProjectInput"] == spec_input  # drop != remove
    assert applied["paths"] == spec["paths"]


def test_export_overlay_without_an_accepted_pull_is_refused(face, drifted, tmp_path):
    face.start(drifted)
    out = tmp_path / "o.json"
    done = face.run(f"export --format overlay -o {out}")
    assert done.code == 2 and "no accepted pulled response" in done.error
    assert not out.exists()


def test_pull_from_sample_files(face, drifted, tmp_path):
    face.start(drifted)
    sample = tmp_path / "users.json"
    sample.write_text(json.dumps([{"id": "u1", "display_name": "A", "email": "a@b.co",
                                   "team": None}]))
    done = face.run(f"pull listUsers --sample {sample} --json")
    assert done.code == 0
    data = json.loads(done.out)
    assert data["drift"]["added"] == [{"path": "[*].team", "type": "unknown"}]
    bad = tmp_path / "bad.json"
    bad.write_text("<html>")
    before = face.connector.to_dict()
    done = face.run(f"pull listUsers --sample {bad} --accept")
    assert done.code == 2 and "The sample bad.json is not JSON" in done.error
    assert face.connector.to_dict() == before


def failed(face, done):
    """Whether a test run failed: the CLI's exit code 1, the magic's TestReport."""
    return done.code == 1 if face.name == "cli" else not done.result.ok


# ------------------------------------------------------------------ a minimal Overlay 1.0

_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]")


def _select(doc, target):
    """(parent, key) of a normalized JSONPath (RFC 9535 §2.7), or None when absent."""
    assert target.startswith("$")
    keys = [m.group(1) if m.group(1) is not None else int(m.group(3))
            if m.group(3) is not None else re.sub(r"\\(.)", r"\1", m.group(2))
            for m in _STEP.finditer(target[1:])]
    node = doc
    for key in keys:
        parent = node
        if isinstance(key, int):
            if not isinstance(node, list) or key >= len(node):
                return None
        elif not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return parent, keys[-1]


def _merge(into, update):
    for k, v in update.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _merge(into[k], v)
        else:
            into[k] = v


def apply_overlay(doc, overlay):
    """Apply Overlay 1.0 actions (normalized-path targets: remove, and object update)."""
    doc = json.loads(json.dumps(doc))
    for action in overlay["actions"]:
        hit = _select(doc, action["target"])
        if hit is None:
            continue
        parent, key = hit
        if action.get("remove"):
            del parent[key]
        else:
            _merge(parent[key], action["update"])
    return doc
