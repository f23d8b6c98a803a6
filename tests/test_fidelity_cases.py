"""Issue 8, "Must show": newman on the Postman export of each spec-fidelity case sends what
``nbconnect test`` sends and gets the same statuses against the mock.

For every case spec in ``tests/specs/fidelity/`` (copies of ``../shared/cases/spec-fidelity/``),
one parametrized test:

1. against a loopback server that records what it receives, ``nbconnect test`` and newman
   (running the exported collection) send the same requests: method, path and query bytes,
   the headers the runner writes (parameters, auth, Content-Type) and the same body (JSON
   bodies compared as documents: the collection pretty-prints them);
2. against the mock of the spec (``nbconnect mock SPEC``), newman gets the statuses
   ``nbconnect test`` gets, every one a 2xx, and newman's own checks pass where the runner's
   do.

A case's extra base URLs (path/operation ``servers``, case 05) and keys (case 19) are given
to newman as the collection's variables, as a user would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tests.newman import run_newman

import nbconnect
from nbconnect.exports.postman import write_postman
from nbconnect.mock.server import MockServer
from nbconnect.model import Connection

CASES = Path(__file__).resolve().parent / "specs" / "fidelity"
CASE_FILES = sorted(p.name for p in CASES.glob("*.yaml"))

#: the keys of case 19 (any non-empty value: the mock checks that both are there)
KEYS = {"value": "app-id-1", "value_2": "app-key-2"}
#: headers only one of the two clients writes (transport and client identity)
_TRANSPORT = {"host", "user-agent", "accept", "accept-encoding", "connection",
              "content-length", "postman-token", "cache-control"}


def test_the_sample_is_every_case() -> None:
    """Every case of the README is here (a case added there must be copied here)."""
    assert CASE_FILES == [
        "01-query-array-style.yaml", "01b-path-array-header-object.yaml",
        "02-query-deepobject.yaml", "05-path-level-servers.yaml",
        "06-writeonly-required.yaml", "07-multipleof-decimal.yaml",
        "08-mock-pattern-minlength.yaml", "11-postman-path-vars.yaml",
        "13-undocumented-2xx.yaml", "19-security-and-pair.yaml"]


def _connector(case: str, monkeypatch: pytest.MonkeyPatch) -> nbconnect.Connector:
    c = nbconnect.Connector("case")
    c.import_spec(CASES / case)
    if c.auth is not None:
        monkeypatch.setenv("CASE_KEY_1", KEYS["value"])
        monkeypatch.setenv("CASE_KEY_2", KEYS["value_2"])
    return c


def _connection(c: nbconnect.Connector, root: str) -> Connection:
    """A connection at ``root`` (scheme://host:port) keeping the base URL's path."""
    secrets = {name: f"env:CASE_KEY_{i + 1}"
               for i, name in enumerate(c.auth.secret_fields)} if c.auth else {}
    return Connection("here", root + urlsplit(c.base_url or "").path.rstrip("/"),
                      secrets=secrets)


def _env(collection: Path, root: str) -> dict[str, str]:
    """newman's variables: every base URL moved to ``root`` (its path kept), the keys."""
    env: dict[str, str] = {}
    keys = iter(KEYS.values())
    for var in json.loads(collection.read_text()).get("variable", []):
        name, value = var["key"], str(var.get("value") or "")
        if name.startswith("baseUrl"):
            env[name] = root + urlsplit(value).path.rstrip("/")
        elif name.startswith("apiKey"):
            env[name] = next(keys)
    return env


def _recorder(seen: list[dict[str, Any]]) -> Starlette:
    """A loopback API that records each request into ``seen`` and answers 200 ``{}``."""

    async def record(request: Request) -> Response:
        query = request.scope.get("query_string") or b""
        seen.append({
            "method": request.method,
            "target": (request.scope.get("raw_path") or b"").decode("latin-1") +
            ("?" + query.decode("latin-1") if query else ""),
            "headers": {k.lower(): v for k, v in request.headers.items()},
            "body": await request.body()})
        return Response("{}", media_type="application/json")

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(routes=[Route("/{p:path}", record, methods=methods)])


def _comparable(request: dict[str, Any], names: set[str]) -> tuple[Any, ...]:
    headers = tuple(sorted((k, v) for k, v in request["headers"].items() if k in names))
    body: Any = request["body"]
    ctype = request["headers"].get("content-type", "")
    if body and "json" in ctype:
        body = json.loads(body)
    return request["method"], request["target"], headers, json.dumps(body, sort_keys=True) \
        if not isinstance(body, bytes) else body


@pytest.mark.parametrize("case", CASE_FILES)
def test_newman_and_nbconnect_test_send_the_same_and_get_the_same_statuses(
        case: str, tmp_path: Path, serve_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    c = _connector(case, monkeypatch)
    collection = write_postman(c, tmp_path / "case.postman_collection.json")
    collection_text = collection.read_text()
    assert all(v not in collection_text for v in KEYS.values())

    # 1. the same requests, recorded by a loopback server
    seen: list[dict[str, Any]] = []
    server = serve_app(_recorder(seen))
    c.connections = (_connection(c, server.url),)
    runner = c.test(connection="here", concurrency=1, progress=lambda *a: None)
    assert all(r.status == 200 for r in runner.results), runner.text()
    by_runner = list(seen)
    seen.clear()
    proc, _ = run_newman(collection, tmp_path, _env(collection, server.url))
    by_newman = list(seen)
    names = {k for r in by_runner for k in r["headers"]} - _TRANSPORT
    assert sorted(_comparable(r, names) for r in by_newman) == \
        sorted(_comparable(r, names) for r in by_runner), proc.stdout[-2000:]
    assert len(by_runner) == len(c.endpoints)

    # 2. the same statuses from the mock of the spec
    with MockServer(CASES / case) as mock:
        c.connections = (_connection(c, mock.root_url),)
        report = c.test(connection="here", progress=lambda *a: None)
        proc, data = run_newman(collection, tmp_path, _env(collection, mock.root_url))
    runner_codes = {r.endpoint_id: r.status for r in report.results}
    executions = data["run"]["executions"]
    newman_codes = {e["item"]["name"]: e["response"]["code"] for e in executions}
    assert len(executions) == len(c.endpoints)
    assert sorted(newman_codes.values()) == sorted(runner_codes.values()), report.text()
    assert all(200 <= code < 300 for code in runner_codes.values()), report.text()
    assert report.ok, report.text()
    assert data["run"]["failures"] == [], [f["error"]["message"]
                                           for f in data["run"]["failures"]]


def test_the_docs_examples_print_what_they_say(capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """``docs/spec-fidelity.md``: each Python block runs, printing its ``# ...`` lines."""
    import re

    doc = (Path(__file__).resolve().parent.parent / "docs" / "spec-fidelity.md").read_text()
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    scope: dict[str, Any] = {}
    blocks = re.findall(r"```python\n(.*?)```", doc, re.S)
    assert len(blocks) >= 4
    for block in blocks:
        expected: list[str] = []
        for line in block.splitlines():
            if line.startswith("#   "):
                expected[-1] += " " + line[4:]
            elif line.startswith("# "):
                expected.append(line[2:])
        exec(compile(block, "docs/spec-fidelity.md", "exec"), scope)
        assert capsys.readouterr().out.splitlines() == expected, block
