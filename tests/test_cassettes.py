"""Record/replay (nbconnect.testing.cassettes) with real httpx2 clients against a local uvicorn
server: pass-through while recording, replay with the server stopped, replay misses,
deterministic files, redaction of a sentinel secret sent every way a credential travels,
and cassettes surviving a package re-export."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import logging
from pathlib import Path
from urllib.parse import parse_qsl

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from tests.servers import serve

import nbconnect
from nbconnect.auth import secrets as nbsecrets
from nbconnect.errors import PackageError
from nbconnect.testing.cassettes import (
    CASSETTE_DIR,
    MAX_BODY_BYTES,
    CassetteStore,
    RecordingTransport,
    ReplayMissError,
    ReplayTransport,
    sensitive_names,
)

SENTINEL = "s3ntinel-Cass3tte-do-not-leak-0123456789abcdef"
PNG = bytes(range(256)) * 4
BIG = ("0123456789abcdef" * 8 + "\n") * 20_000  # 2.58 MB of text


async def item(request: Request) -> JSONResponse:
    return JSONResponse({"id": request.path_params["item_id"], "name": "Widget",
                         "tags": request.query_params.getlist("tag")},
                        headers={"X-Request-Id": "changes-every-time", "ETag": '"abc"'})


async def login(request: Request) -> JSONResponse:
    data = await request.json()
    ok = data.get("password") == SENTINEL
    return JSONResponse({"user": data.get("username"), "ok": ok,
                         "access_token": "tok-" + SENTINEL if ok else None})


async def echo(request: Request) -> JSONResponse:
    # a careless API that echoes the credentials it received
    return JSONResponse({"headers": dict(request.headers), "query": dict(request.query_params)})


async def binary(request: Request) -> Response:
    return Response(PNG, media_type="image/png")


async def big(request: Request) -> PlainTextResponse:
    return PlainTextResponse(BIG)


async def gzipped(request: Request) -> Response:
    return Response(gzip.compress(b'{"zipped": true}', mtime=0), media_type="application/json",
                    headers={"Content-Encoding": "gzip"})


async def form(request: Request) -> JSONResponse:
    data = dict(parse_qsl((await request.body()).decode()))  # no python-multipart needed
    return JSONResponse({"grant_type": data.get("grant_type"), "n": len(data)}, status_code=201)


async def missing(request: Request) -> JSONResponse:
    return JSONResponse({"error": "not found"}, status_code=404)


APP = Starlette(routes=[
    Route("/v1/items/{item_id}", item),
    Route("/v1/login", login, methods=["POST"]),
    Route("/v1/echo", echo),
    Route("/v1/binary", binary),
    Route("/v1/big", big),
    Route("/v1/gzip", gzipped),
    Route("/v1/token", form, methods=["POST"]),
    Route("/v1/missing", missing),
])


def _ep(name: str) -> dict[str, str]:
    return {"nbconnect.endpoint": name}


def _record_session(url: str, store: CassetteStore) -> dict[str, tuple[int, bytes]]:
    """Run a fixed set of requests through a RecordingTransport; return what the
    caller saw, by endpoint."""
    seen: dict[str, tuple[int, bytes]] = {}
    transport = RecordingTransport(httpx2.HTTPTransport(), store)
    with httpx2.Client(base_url=url, transport=transport) as client:
        calls = [
            ("getItem", "GET", "/v1/items/42", {"params": {"tag": ["a", "b"]}}),
            ("login", "POST", "/v1/login", {"json": {"username": "ada",
                                                      "password": SENTINEL}}),
            ("binary", "GET", "/v1/binary", {}),
            ("gzip", "GET", "/v1/gzip", {}),
            ("missing", "GET", "/v1/missing", {}),
        ]
        for name, method, path, kw in calls:
            r = client.request(method, path, extensions=_ep(name), **kw)
            seen[name] = (r.status_code, r.content)
    assert transport.errors == []
    return seen


def test_record_then_replay_without_the_server(tmp_path):
    store = CassetteStore(tmp_path / CASSETTE_DIR)
    with serve(APP) as srv:
        url = srv.url
        live = _record_session(url, store)
    assert live["getItem"][0] == 200 and json.loads(live["getItem"][1])["tags"] == ["a", "b"]
    assert live["binary"][1] == PNG
    assert live["gzip"][1] == b'{"zipped": true}'
    assert sorted(p.name for p in (tmp_path / CASSETTE_DIR).iterdir()) == [
        "binary.json", "getItem.json", "gzip.json", "login.json", "missing.json"]

    # the server is gone: a real connection would be refused
    with pytest.raises(httpx2.ConnectError), httpx2.Client() as probe:
        probe.get(url + "/v1/items/42")

    replay = ReplayTransport(CassetteStore(tmp_path / CASSETTE_DIR))
    with httpx2.Client(base_url=url, transport=replay) as client:
        r = client.get("/v1/items/42", params={"tag": ["a", "b"]}, extensions=_ep("getItem"))
        assert (r.status_code, r.content) == live["getItem"]
        assert r.headers["content-type"] == "application/json"
        assert "x-request-id" not in r.headers  # not on the allow-list
        r = client.post("/v1/login", json={"password": SENTINEL, "username": "ada"},
                        extensions=_ep("login"))
        assert r.status_code == 200 and r.json()["ok"] is True
        assert r.json()["access_token"] == "***"  # a token in a response is not kept
        r = client.get("/v1/binary", extensions=_ep("binary"))
        assert (r.status_code, r.content) == live["binary"]
        assert r.headers["content-type"] == "image/png"
        r = client.get("/v1/gzip", extensions=_ep("gzip"))
        assert r.json() == {"zipped": True} and "content-encoding" not in r.headers
        r = client.get("/v1/missing", extensions=_ep("missing"))
        assert (r.status_code, r.content) == live["missing"]
        # the body is matched by content, not by key order or the secret's value
        r = client.post("/v1/login", json={"username": "ada", "password": "other-value"},
                        extensions=_ep("login"))
        assert r.status_code == 200


def test_replay_misses_raise_a_transport_error_with_the_agreed_message(tmp_path):
    store = CassetteStore(tmp_path)
    with serve(APP) as srv:
        url = srv.url
        _record_session(url, store)
    with httpx2.Client(base_url=url, transport=ReplayTransport(store)) as client:
        cases = [
            ("GET", "/v1/items/43", {}),                                   # other path
            ("GET", "/v1/items/42", {"params": {"tag": "a"}}),               # other query
            ("DELETE", "/v1/items/42", {"params": {"tag": ["a", "b"]}}),   # other method
            ("POST", "/v1/login", {"json": {"username": "bob", "password": "x"}}),  # body
        ]
        for method, path, kw in cases:
            with pytest.raises(ReplayMissError) as info:
                client.request(method, path, extensions=_ep("getItem"), **kw)
            assert str(info.value) == (f"no recorded exchange for {method} {path} "
                                       "(record it with --record)")
            assert isinstance(info.value, httpx2.TransportError)
            assert info.value.method == method and info.value.path == path


def test_async_clients_record_and_replay(tmp_path):
    store = CassetteStore(tmp_path)

    async def run(transport: object, url: str) -> list[tuple[int, bytes]]:
        async with httpx2.AsyncClient(base_url=url, transport=transport) as client:
            rs = await asyncio.gather(*(client.get(f"/v1/items/{i}", extensions=_ep(f"item{i}"))
                                        for i in range(8)))
            return [(r.status_code, r.content) for r in rs]

    with serve(APP) as srv:
        url = srv.url
        live = asyncio.run(run(RecordingTransport(httpx2.AsyncHTTPTransport(), store), url))
    assert store.endpoint_ids() == [f"item{i}" for i in range(8)]
    assert asyncio.run(run(ReplayTransport(CassetteStore(tmp_path)), url)) == live


def test_recording_twice_gives_the_same_bytes(tmp_path):
    with serve(APP) as srv:
        _record_session(srv.url, CassetteStore(tmp_path / "a"))
        _record_session(srv.url, CassetteStore(tmp_path / "b"))
        # recording again into an existing store replaces, it does not append
        again = CassetteStore(tmp_path / "a")
        _record_session(srv.url, again)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    doc = json.loads((tmp_path / "a" / "getItem.json").read_text())
    assert len(doc["exchanges"]) == 1
    assert list(doc) == sorted(doc)
    text = json.dumps(doc)
    for word in ("elapsed", "latency", "date", "changes-every-time", "user-agent"):
        assert word not in text.lower()


def test_a_new_recording_session_replaces_an_endpoints_old_exchanges(tmp_path):
    with serve(APP) as srv:
        with httpx2.Client(base_url=srv.url, transport=RecordingTransport(
                None, CassetteStore(tmp_path))) as client:
            for i in (1, 2):
                client.get(f"/v1/items/{i}", extensions=_ep("getItem"))
        assert [ex["match"]["path"] for ex in CassetteStore(tmp_path).exchanges(
            "getItem")] == ["/v1/items/1", "/v1/items/2"]
        with httpx2.Client(base_url=srv.url, transport=RecordingTransport(
                None, CassetteStore(tmp_path))) as client:
            client.get("/v1/items/3", extensions=_ep("getItem"))
    assert [ex["match"]["path"] for ex in CassetteStore(tmp_path).exchanges("getItem")] == [
        "/v1/items/3"]


def test_cassette_content(tmp_path):
    store = CassetteStore(tmp_path)
    with serve(APP) as srv:
        _record_session(srv.url, store)
    doc = json.loads((tmp_path / "getItem.json").read_text())
    assert doc["format"] == "nbconnect-cassette/1" and doc["endpoint"] == "getItem"
    ex = doc["exchanges"][0]
    assert ex["match"] == {"method": "GET", "path": "/v1/items/42",
                           "query": [["tag", "a"], ["tag", "b"]], "ignored_query": [],
                           "body_sha256": None}
    assert ex["request"]["url"].endswith("/v1/items/42?tag=a&tag=b")
    assert ex["request"]["headers"] == {"accept": "*/*"}
    assert ex["response"]["status"] == 200
    assert ex["response"]["headers"] == {"content-type": "application/json"}
    assert json.loads(ex["response"]["body"]["text"])["id"] == "42"
    binary = json.loads((tmp_path / "binary.json").read_text())["exchanges"][0]
    assert base64.b64decode(binary["response"]["body"]["base64"]) == PNG
    assert binary["response"]["body"]["size"] == len(PNG)


def test_big_bodies_are_cut_with_a_marker_but_reach_the_caller_whole(tmp_path):
    store = CassetteStore(tmp_path)
    with serve(APP) as srv, httpx2.Client(
            base_url=srv.url, transport=RecordingTransport(None, store)) as client:
        r = client.get("/v1/big", extensions=_ep("big"))
        assert r.text == BIG
        # a streamed response the caller stops reading early is recorded as cut too
        with client.stream("GET", "/v1/big", params={"part": "1"},
                           extensions=_ep("bigStream")) as stream:
            first = next(stream.iter_bytes())
        assert first
    body = store.exchanges("big")[0]["response"]["body"]
    assert body["truncated"] is True and body["size"] == len(BIG.encode())
    assert len(body["text"].encode()) == MAX_BODY_BYTES
    assert (tmp_path / "big.json").stat().st_size < MAX_BODY_BYTES + 20_000
    cut = store.exchanges("bigStream")[0]["response"]["body"]
    assert cut["truncated"] is True and cut["size"] < len(BIG.encode())


def test_a_sentinel_secret_never_lands_in_a_cassette(tmp_path, caplog):
    """Header, query parameter, Basic credentials, JSON and form body fields; the
    connector's own auth names are masked even before the value is registered."""
    nbsecrets.install_log_filter()
    caplog.set_level(logging.DEBUG)
    connector = nbconnect.Connector("scan", base_url="https://api.example.com",
                                    auth=nbconnect.ApiKeyAuth(key="sig", add_to="query"))
    query_names, header_names = sensitive_names(connector.auth)
    assert (query_names, header_names) == (("sig",), ())
    other = "unregistered-Cred-value-0123456789"  # never registered as a Secret
    store = CassetteStore(tmp_path, query_names=query_names,
                          header_names=("X-Custom-Key",))
    with serve(APP) as srv, httpx2.Client(
            base_url=srv.url, transport=RecordingTransport(None, store)) as client:
        calls = [
            ("hdr", client.get, "/v1/echo", {"headers": {"X-API-Key": other,
                                                          "X-Custom-Key": other}}),
            ("qry", client.get, "/v1/echo", {"params": {"sig": other, "api_key": other,
                                                        "page": "2"}}),
            ("basic", client.get, "/v1/echo", {"auth": ("ada", other)}),
            ("bearer", client.get, "/v1/echo", {"headers": {"Authorization":
                                                            f"Bearer {other}"}}),
            ("cookie", client.get, "/v1/echo", {"headers": {"Cookie": f"session={other}"}}),
            ("json", client.post, "/v1/login", {"json": {
                "username": "ada", "password": other, "token": other,
                "nested": {"client_secret": other, "apiKey": other}}}),
            ("form", client.post, "/v1/token", {"data": {
                "grant_type": "client_credentials", "client_secret": other}}),
        ]
        for name, call, path, kw in calls:
            assert call(path, extensions=_ep(name), **kw).status_code in (200, 201)
        # a registered secret is redacted wherever it shows up, even echoed back
        nbsecrets.register(nbsecrets.Secret(SENTINEL, "scan"))
        r = client.get("/v1/echo", params={"q": SENTINEL}, extensions=_ep("echo"),
                       headers={"X-Trace": SENTINEL})
        assert SENTINEL in r.text  # the caller still gets the real response
        r = client.post("/v1/login", content=json.dumps({"password": SENTINEL}).encode(),
                        headers={"Content-Type": "application/json"},
                        extensions=_ep("login"))
        assert r.json()["ok"] is True
    files = sorted(tmp_path.glob("*.json"))
    assert len(files) == 9
    for file in files:
        raw = file.read_text()
        for value in (other, SENTINEL):
            assert value not in raw, file.name
            assert base64.b64encode(f"ada:{value}".encode()).decode() not in raw
    assert "Basic ***" in (tmp_path / "basic.json").read_text()
    qry = json.loads((tmp_path / "qry.json").read_text())["exchanges"][0]
    assert qry["match"]["query"] == [["page", "2"]]
    assert qry["match"]["ignored_query"] == ["api_key", "sig"]
    hdr = json.loads((tmp_path / "hdr.json").read_text())["exchanges"][0]
    assert hdr["request"]["headers"]["x-api-key"] == "***"
    assert hdr["request"]["headers"]["x-custom-key"] == "***"
    for record in caplog.records:
        assert SENTINEL not in record.getMessage()
    assert SENTINEL not in repr(store)

    # replay matches although the credentials differ (or are absent)
    with httpx2.Client(base_url="http://127.0.0.1:9",
                       transport=ReplayTransport(CassetteStore(tmp_path))) as client:
        r = client.get("/v1/echo", params={"sig": "another", "page": "2"},
                       extensions=_ep("qry"))
        assert r.status_code == 200
        r = client.get("/v1/echo", params={"page": "2"}, extensions=_ep("qry"))
        assert r.status_code == 200
        r = client.post("/v1/token", data={"grant_type": "client_credentials",
                                           "client_secret": "else"}, extensions=_ep("form"))
        assert r.status_code == 201


def test_requests_without_an_endpoint_name_get_a_slug(tmp_path):
    store = CassetteStore(tmp_path)
    with serve(APP) as srv:
        with httpx2.Client(base_url=srv.url,
                           transport=RecordingTransport(None, store)) as client:
            client.get("/v1/items/7")
            client.get("/v1/items/8", extensions={"nbconnect.endpoint": "../../evil"})
        assert store.endpoint_ids() == ["get_v1_items_7", "get_v1_items_8"]
        with httpx2.Client(base_url=srv.url, transport=ReplayTransport(store)) as client:
            assert client.get("/v1/items/7").json()["id"] == "7"
    assert not (tmp_path.parent / "evil.json").exists()


def test_package_store_keeps_cassettes_across_exports(tmp_path):
    connector = nbconnect.Connector("pkg", base_url="https://api.example.com")
    connector.add_endpoint("GET", "/v1/items/{item_id}", id="getItem")
    pkg = tmp_path / "pkg"
    connector.export(pkg)
    store = CassetteStore.for_package(pkg)
    assert store.directory == pkg / CASSETTE_DIR
    with serve(APP) as srv, httpx2.Client(
            base_url=srv.url, transport=RecordingTransport(None, store)) as client:
        client.get("/v1/items/1", extensions=_ep("getItem"))
    before = (pkg / CASSETTE_DIR / "getItem.json").read_bytes()
    connector.description = "changed"
    connector.export(pkg)  # an existing package keeps files it does not write
    assert (pkg / CASSETTE_DIR / "getItem.json").read_bytes() == before
    assert nbconnect.load(pkg).description == "changed"

    # a zip package carries them too, and replays from them (read only)
    zipped = connector.export(tmp_path / "pkg.zip")
    memory = CassetteStore(None)
    memory.record(httpx2.Request("GET", "https://api.example.com/v1/items/1",
                                 extensions=_ep("getItem")), 200,
                  {"content-type": "application/json"}, b'{"id": "1"}')
    assert memory.dumps("getItem").startswith(b"{\n")
    import zipfile

    with zipfile.ZipFile(zipped, "a") as zf:
        zf.writestr("cassettes/getItem.json", before)
    zstore = CassetteStore.for_package(zipped)
    assert zstore.endpoint_ids() == ["getItem"]
    with httpx2.Client(transport=ReplayTransport(zstore)) as client:
        assert client.get("http://x.test/v1/items/1",
                          extensions=_ep("getItem")).json()["id"] == "1"
    # a zip store does not write as it records, but an explicit save() rewrites the zip
    assert zstore.directory is None and not zstore.autosave
    assert zstore.save() == []  # nothing changed: the zip is not rewritten
    zstore.clear("getItem")
    assert zstore.save() == [Path(f"{zipped}!cassettes/getItem.json")]
    with zipfile.ZipFile(zipped) as zf:
        assert zf.namelist() == ["connector.yaml", "openapi.json"]
    assert memory.save(zipped) == [Path(f"{zipped}!cassettes/getItem.json")]
    assert CassetteStore.for_package(zipped).endpoint_ids() == ["getItem"]
    with pytest.raises(PackageError, match="memory only"):
        CassetteStore(None).save()

    # save() into another package directory
    other = tmp_path / "other"
    connector.export(other)
    written = memory.save(other)
    assert written == [other / CASSETTE_DIR / "getItem.json"]
    assert memory.save(other) == written  # explicit saves always write


def test_bad_inputs_are_typed_errors(tmp_path):
    with pytest.raises(PackageError, match="not a connector package"):
        CassetteStore.for_package(tmp_path)
    with pytest.raises(PackageError, match="not a connector package"):
        CassetteStore(None).save(tmp_path)
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "x.json").write_text("{not json")
    with pytest.raises(PackageError, match=r"x\.json is not valid JSON.*record again"):
        CassetteStore(folder)
    (folder / "x.json").write_text('{"format": "other"}')
    with pytest.raises(PackageError, match="not an nbconnect cassette"):
        CassetteStore(folder)
    (folder / "x.json").write_text('{"format": "nbconnect-cassette/1", "exchanges": [{}]}')
    with pytest.raises(PackageError, match=r"malformed exchange at \$\.exchanges\[0\]"):
        CassetteStore(folder)


def test_clear_removes_files_on_save(tmp_path):
    store = CassetteStore(tmp_path)
    with serve(APP) as srv:
        _record_session(srv.url, store)
    store.clear("binary")
    removed = store.save()
    assert tmp_path / "binary.json" in removed
    assert not (tmp_path / "binary.json").exists()
    assert store.save() == []  # nothing changed: nothing rewritten
    assert "binary" not in CassetteStore(tmp_path).endpoint_ids()


def test_cassettes_module_is_not_loaded_by_import_nbconnect():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", "import nbconnect, sys; "
                          "print('nbconnect.testing.cassettes' in sys.modules)"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert Path(nbconnect.__file__).parent.joinpath("testing", "cassettes.py").is_file()


def test_runner_test_all_records_then_replays_offline(tmp_path, monkeypatch):
    """The runner's test-all through a RecordingTransport against the mock API, then
    through a ReplayTransport with the mock stopped: the same results."""
    from nbconnect.mock.server import MockServer
    from nbconnect.testing.runner import test_endpoints

    monkeypatch.setenv("NBC_CASSETTE_KEY", SENTINEL)
    connector = nbconnect.Connector("demo")
    connector.import_spec(nbconnect.demo_spec_path())
    pkg = tmp_path / "demo"
    with MockServer(nbconnect.demo_spec_path(), credentials={"apiKey": SENTINEL}) as mock:
        connector.connections = (nbconnect.Connection(
            "mock", mock.url, secrets={"value": "env:NBC_CASSETTE_KEY"}),)
        connector.export(pkg)
        store = CassetteStore.for_package(pkg)
        live = test_endpoints(connector, transport=RecordingTransport(None, store),
                              progress=lambda *a: None)
    assert live.ok, live.failures()
    files = sorted(p.stem for p in (pkg / CASSETTE_DIR).glob("*.json"))
    assert files == sorted(e.id for e in connector.endpoints)
    for file in (pkg / CASSETTE_DIR).iterdir():
        assert SENTINEL not in file.read_text()

    replayed = test_endpoints(connector, transport=ReplayTransport(CassetteStore.for_package(
        pkg)), progress=lambda *a: None)
    assert repr(replayed) == repr(live)
    assert [(r.endpoint_id, r.status, r.ok) for r in replayed.results] == \
        [(r.endpoint_id, r.status, r.ok) for r in live.results]

    # a cassette removed: that endpoint fails with the replay-miss reason
    (pkg / CASSETTE_DIR / "getTask.json").unlink()
    report = test_endpoints(connector, ["getTask"], transport=ReplayTransport(
        CassetteStore.for_package(pkg)), progress=lambda *a: None)
    result = report.results[0]
    assert not result.ok
    assert result.reason == ("no recorded exchange for GET /v1/projects/p_launch/tasks/7 "
                             "(record it with --record)")


def _zip_folder(folder: Path, target: Path, top: str) -> Path:
    """Zip ``folder`` the way a file manager does: every file under one top folder."""
    import zipfile

    with zipfile.ZipFile(target, "w") as zf:
        zf.writestr(f"{top}/", b"")
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                zf.write(file, f"{top}/{file.relative_to(folder).as_posix()}")
    return target


def test_replay_from_a_zip_that_holds_the_package_folder(tmp_path, monkeypatch):
    """Record into a package directory, zip it with one top folder, stop the API: every
    endpoint is answered from the zipped cassettes (the cassette store and load() read the
    package the same way), through the Python API and through the CLI."""
    import subprocess
    import sys
    import zipfile

    from nbconnect.mock.server import MockServer
    from nbconnect.testing.runner import test_endpoints

    monkeypatch.setenv("NBC_CASSETTE_KEY", SENTINEL)
    connector = nbconnect.Connector("demo")
    connector.import_spec(nbconnect.demo_spec_path())
    pkg = tmp_path / "demo"
    with MockServer(nbconnect.demo_spec_path(), credentials={"apiKey": SENTINEL}) as mock:
        connector.connections = (nbconnect.Connection(
            "mock", mock.url, secrets={"value": "env:NBC_CASSETTE_KEY"}),)
        connector.export(pkg)
        live = test_endpoints(connector, transport=RecordingTransport(
            None, CassetteStore.for_package(pkg)), progress=lambda *a: None)
        url = mock.url
    assert live.ok, live.failures()
    with pytest.raises(httpx2.ConnectError), httpx2.Client() as probe:
        probe.get(url)  # the API is gone

    zipped = _zip_folder(pkg, tmp_path / "demo.zip", "demo")
    with zipfile.ZipFile(zipped) as zf:
        assert "demo/connector.yaml" in zf.namelist() and "connector.yaml" not in zf.namelist()
    store = CassetteStore.for_package(zipped)
    assert store.endpoint_ids() == sorted(e.id for e in connector.endpoints)
    assert repr(store) == f"CassetteStore('{zipped}!demo/cassettes', endpoints=12)"
    loaded = nbconnect.load(zipped)
    replayed = test_endpoints(loaded, transport=ReplayTransport(store),
                              progress=lambda *a: None)
    assert replayed.ok, replayed.failures()
    assert [(r.endpoint_id, r.status, r.ok) for r in replayed.results] == \
        [(r.endpoint_id, r.status, r.ok) for r in live.results]

    # the same through the CLI, without the secret in the environment
    env = {k: v for k, v in __import__("os").environ.items() if k != "NBC_CASSETTE_KEY"}
    proc = subprocess.run([sys.executable, "-m", "nbconnect", "test", str(zipped),
                           "--replay"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "12 passed, 0 failed" in proc.stdout
    with zipfile.ZipFile(zipped) as zf:  # the report went into the package folder
        assert json.loads(zf.read("demo/tests/last-report.json"))["failed"] == 0
        assert not [n for n in zf.namelist() if not n.startswith("demo/")]
