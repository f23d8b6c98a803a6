"""Tests of the connector package (nbconnect.package: the Package object, load/export/validate)
and the OpenAPI writer (spec/writer.py)."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import OpenAPIV31SpecValidator

import nbconnect
from nbconnect.auth.secrets import Secret
from nbconnect.errors import EndpointError, PackageError, SecretError
from nbconnect.model import (
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    Connection,
    Connector,
    Endpoint,
    JwtAuth,
    OAuth2ClientCredentials,
    OAuth2Code,
    OAuth2Password,
    Param,
)
from nbconnect.package import format as package
from nbconnect.package import members as pkg_members
from nbconnect.package.package import Package
from nbconnect.spec.writer import param_schema, security_scheme, to_openapi

SECRET_VALUE = "sk_live_9f8e7d6c5b4a-do-not-leak"

AUTHS = [
    None,
    ApiKeyAuth(),
    ApiKeyAuth(key="api_key", add_to="query"),
    ApiKeyAuth(key="session", add_to="cookie"),
    BasicAuth(),
    BearerAuth(),
    JwtAuth(algorithm="RS256", payload={"iss": "me", "aud": ["a", "b"], "n": 3}),
    JwtAuth(add_to="query", query_name="token"),
    JwtAuth(header_name="X-JWT"),
    OAuth2ClientCredentials(token_url="https://auth.example.com/token", scope="read write",
                            client_id="cid", client_auth="body"),
    OAuth2Password(token_url="https://auth.example.com/token",
                   refresh_url="https://auth.example.com/refresh"),
    OAuth2Code(token_url="https://auth.example.com/token",
               authorization_url="https://auth.example.com/authorize", scope="repo user",
               redirect_url="http://127.0.0.1:8765/callback", identity_endpoint="/me",
               identity_param="login"),
]

# Strings that stress YAML: multi-line, trailing blanks, YAML 1.1 booleans, numbers,
# dates, unicode, leading blanks, quotes, colons, a '#'.
TRICKY = ["line one\nline two\n", "trailing  \n\n", "  leading", "yes", "off", "0777",
          "2024-01-02", "1e3", "ümlaut ✓ 日本", "'quoted' \"double\"", "a: b # c", "", "null",
          "~", "-", "tab\there", "\x01ctl"]


def manual_connector(auth=None) -> Connector:
    c = Connector("tasks", base_url="https://api.example.com/v1", auth=auth,
                  description="A task tracker.\nSecond line.")
    c.add_endpoint("GET", "/tasks/:task_id", name="Get task", description="One task.",
                   params=[Param("verbose", type="boolean", default=False),
                           Param("X-Trace", location="header", description="trace id"),
                           Param("sid", location="cookie")],
                   response=[Param("id", type="integer", location="response", required=True),
                             Param("labels", type="array", items="string", location="response"),
                             Param("owner", type="object", location="response", children=(
                                 Param("login", location="response", required=True),
                                 Param("age", type="number", location="response",
                                       nullable=True),
                             )),
                             Param("subtasks", type="array", location="response", children=(
                                 Param("title", location="response", example="Write"),
                             ))])
    c.add_endpoint("POST", "/tasks?kind=bug&team=core#create", name="Create bug",
                   body=[Param("title", location="body", required=True),
                         Param("state", location="body", enum=("open", "done"),
                               default="open", nullable=True),
                         Param("meta", type="any", location="body")])
    c.add_endpoint("DELETE", c.base_url + "/tasks/{task_id}",
                   name="Delete task")
    c.add_endpoint("PATCH", "/tasks/{task_id}/notes", id="note.patch-1", name="Patch note",
                   body=[Param("text", location="body")],
                   body_content_type="application/x-www-form-urlencoded")
    return c


def imported_connector(auth=None) -> Connector:
    """A connector shaped like an import: declared schemas referring to components."""
    schemas = {
        "Node": {"type": "object", "properties": {
            "id": {"type": "integer"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}},
        "Task": {"type": "object", "required": ["title"], "properties": {
            "title": {"type": "string", "examples": ["Write"]},
            "due": {"type": ["string", "null"], "format": "date"},
            "tree": {"$ref": "#/components/schemas/Node"}}},
        "Error": {"type": "object", "properties": {"message": {"type": "string"}}},
    }
    eps = (
        Endpoint(id="createTask", method="POST", path="/tasks", name="Create a task",
                 tags=("tasks",), source="openapi",
                 body=(Param("title", location="body", required=True),),
                 body_content_type="application/json",
                 request_schema={"$ref": "#/components/schemas/Task"},
                 response=(Param("title", location="response"),
                           Param("tree", type="object", location="response",
                                 recursive="Node")),
                 response_status="201", response_content_type="application/json",
                 response_schema={"$ref": "#/components/schemas/Task"}),
        Endpoint(id="listTasks", method="GET", path="/tasks", name="List tasks",
                 tags=("tasks", "read"), source="openapi",
                 params=(Param("limit", type="integer", default=20, format="int32"),),
                 response_schema={"type": "array",
                                  "items": {"$ref": "#/components/schemas/Task"}}),
        Endpoint(id="DescribeThing", method="POST", path="/#Action=DescribeThing",
                 source="openapi", response_status="default",
                 response_schema={"$ref": "#/components/schemas/Error"}),
    )
    c = Connector("imported", base_url="https://api.example.com", auth=auth)
    c.schemas = schemas
    c.endpoints = eps
    return c


CODE_AUTH = OAuth2Code(token_url="https://auth.example.com/token",
                       authorization_url="https://auth.example.com/a")


def full_connector(auth=CODE_AUTH):
    c = imported_connector(auth)
    c.endpoints = (*c.endpoints, *manual_connector().endpoints)
    c.description = "All features."
    c.connections = (
        Connection("prod", "https://api.example.com", default=True,
                   secrets={"client_secret": "env:TASKS_SECRET", "password": "prompt"},
                   settings={"client_id": "abc", "username": "me"}),
        Connection("local", "http://127.0.0.1:8080",
                   secrets={"client_secret": "keyring:tasks/local"}),
    )
    return c


def all_bytes(path: Path) -> bytes:
    """Every byte of a package (directory files or zip members, decompressed)."""
    if path.is_dir():
        return b"".join(p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file())
    with zipfile.ZipFile(path) as zf:
        return path.read_bytes() + b"".join(zf.read(n) for n in zf.namelist())


def snapshot(path: Path) -> dict[str, bytes]:
    if path.is_dir():
        return {str(p.relative_to(path)): p.read_bytes()
                for p in sorted(path.rglob("*")) if p.is_file()}
    return {"": path.read_bytes()}


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("auth", AUTHS, ids=lambda a: a.type if a else "none")
@pytest.mark.parametrize("as_zip", [False, True], ids=["dir", "zip"])
def test_round_trip_every_auth(tmp_path, auth, as_zip):
    c = full_connector(auth)
    out = nbconnect.export(c, tmp_path / ("pkg.zip" if as_zip else "pkg"))
    back = nbconnect.load(out)
    assert back == c
    assert back.to_dict() == c.to_dict()
    assert package.validate(out) == c


def test_round_trip_manual_and_imported(tmp_path):
    for c in (manual_connector(), imported_connector(), Connector("empty")):
        out = c.export(tmp_path / c.name)
        assert nbconnect.load(out) == c
        assert package.validate(out) == c


def test_round_trip_tricky_strings(tmp_path):
    c = Connector("tricky", base_url="https://api.example.com")
    for i, text in enumerate(TRICKY):
        c.add_endpoint("GET", f"/t{i}", name=f"t{i}", description=text,
                       params=[Param("q", default=text, example=text, description=text)])
    c.schemas = {"S": {"enum": TRICKY, "default": 1.5, "maximum": 10**30}}
    for target in (tmp_path / "d", tmp_path / "z.zip"):
        assert nbconnect.load(c.export(target)) == c


def test_export_zip_when_asked_or_by_suffix(tmp_path):
    c = manual_connector()
    z1 = nbconnect.export(c, tmp_path / "a.zip")
    z2 = nbconnect.export(c, tmp_path / "b.pkg", zip=True)
    assert zipfile.is_zipfile(z1) and zipfile.is_zipfile(z2)
    assert z1.read_bytes() == z2.read_bytes()
    d = nbconnect.export(c, tmp_path / "dir")
    assert sorted(p.name for p in d.iterdir()) == ["connector.yaml", "openapi.json"]


def test_manifest_layout(tmp_path):
    c = full_connector()
    out = c.export(tmp_path / "p")
    text = (out / "connector.yaml").read_text()
    assert text.startswith("format: nbconnect/1\nname: imported\n")
    data = yaml.safe_load(text)
    assert list(data) == ["format", "name", "description", "base_url", "auth", "connections",
                          "endpoints", "schemas"]
    assert data["endpoints"][0]["id"] == "createTask"
    # multi-line text is written as a literal block, for readable diffs
    text = manual_connector().export(tmp_path / "m").joinpath("connector.yaml").read_text()
    assert "description: |-\n  A task tracker.\n  Second line.\n" in text


def test_load_of_a_zipped_folder_and_of_the_manifest_path(tmp_path):
    c = manual_connector()
    d = c.export(tmp_path / "pkg")
    z = tmp_path / "folder.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in sorted(d.iterdir()):
            zf.write(f, f"pkg/{f.name}")
    assert nbconnect.load(z) == c
    assert package.validate(z) == c
    assert nbconnect.load(d / "connector.yaml") == c


# --------------------------------------------------------------------------- determinism


def test_double_export_is_byte_identical(tmp_path):
    c = full_connector()
    a = c.export(tmp_path / "a")
    b = full_connector().export(tmp_path / "b")
    assert snapshot(a) == snapshot(b)
    za = c.export(tmp_path / "a.zip")
    zb = nbconnect.load(b).export(tmp_path / "b.zip")  # export(load(export(c)))
    assert za.read_bytes() == zb.read_bytes()
    # re-export onto itself changes nothing
    before = snapshot(a)
    c.export(a)
    assert snapshot(a) == before


def test_zip_entries_are_normalised(tmp_path):
    z = full_connector().export(tmp_path / "p.zip")
    with zipfile.ZipFile(z) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == ["connector.yaml", "openapi.json"]
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert (info.external_attr >> 16) & 0o777 == 0o644
        assert info.create_system == 3
        assert info.compress_type == zipfile.ZIP_DEFLATED
        assert info.extra == b""


def test_directory_files_have_fixed_modes(tmp_path):
    d = manual_connector().export(tmp_path / "p")
    assert d.stat().st_mode & 0o777 == 0o755
    for f in d.iterdir():
        assert f.stat().st_mode & 0o777 == 0o644
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left


_CHILD = """
import hashlib, sys
sys.path.insert(0, {tests!r})
from test_package import full_connector
from pathlib import Path
out = full_connector().export(Path({out!r}))
print(hashlib.sha256(out.read_bytes()).hexdigest())
"""


def test_export_is_identical_across_processes(tmp_path):
    digests = []
    for i in range(2):
        code = _CHILD.format(tests=str(Path(__file__).parent), out=str(tmp_path / f"{i}.zip"))
        env = {**os.environ, "PYTHONHASHSEED": str(i + 1)}  # different str hashing per run
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, check=True)
        digests.append(res.stdout.strip())
    here = hashlib.sha256(full_connector().export(tmp_path / "here.zip").read_bytes())
    assert digests[0] == digests[1] == here.hexdigest()


def test_package_module_imports_are_lazy():
    code = ("import sys, nbconnect.package.format, nbconnect.spec.writer; "
            "print(sorted(m for m in ('yaml', 'jsonschema', 'openapi_spec_validator') "
            "if m in sys.modules))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert res.stdout.strip() == "[]"


# --------------------------------------------------------------------------- openapi.json


@pytest.mark.parametrize("auth", AUTHS, ids=lambda a: a.type if a else "none")
def test_openapi_json_is_valid_oas31(tmp_path, auth):
    out = full_connector(auth).export(tmp_path / "p")
    doc = json.loads((out / "openapi.json").read_text())
    assert doc["openapi"] == "3.1.0"
    errors = [e.message for e in OpenAPIV31SpecValidator(doc).iter_errors()]
    assert errors == []


def test_openapi_document_contents():
    c = full_connector(OAuth2ClientCredentials(token_url="https://auth.example.com/token",
                                               scope="read write read"))
    doc = to_openapi(c)
    assert doc["info"] == {"title": "imported", "version": "1.0.0",
                           "description": "All features."}
    assert doc["servers"] == [{"url": "https://api.example.com"}]
    paths = doc["paths"]
    # ?query part left out of the key, #fragment kept
    assert "/tasks#create" in paths and "/#Action=DescribeThing" in paths
    assert "/tasks/{task_id}" in paths and set(paths["/tasks/{task_id}"]) == {"get", "delete"}
    create_bug = paths["/tasks#create"]["post"]
    assert create_bug["operationId"] == "create_bug"
    assert create_bug["summary"] == "Create bug"
    q = {p["name"]: p for p in create_bug["parameters"]}
    assert q["kind"] == {"name": "kind", "in": "query", "schema": {"type": "string",
                                                                  "default": "bug"}}
    assert q["team"]["schema"]["default"] == "core"
    body = create_bug["requestBody"]
    assert body["required"] is True
    schema = body["content"]["application/json"]["schema"]
    assert schema["required"] == ["title"]
    assert schema["properties"]["state"] == {"type": ["string", "null"],
                                             "enum": ["open", "done", None],
                                             "default": "open"}
    assert schema["properties"]["meta"] == {}
    form = paths["/tasks/{task_id}/notes"]["patch"]["requestBody"]["content"]
    assert list(form) == ["application/x-www-form-urlencoded"]
    create = paths["/tasks"]["post"]
    assert create["tags"] == ["tasks"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Task"}
    assert list(create["responses"]) == ["201"]
    assert create["responses"]["201"]["description"] == "Created"
    assert paths["/#Action=DescribeThing"]["post"]["responses"]["default"]["description"]
    get = paths["/tasks/{task_id}"]["get"]
    assert get["parameters"][0] == {"name": "task_id", "in": "path", "required": True,
                                    "schema": {"type": "string"}}
    assert {p["in"] for p in get["parameters"]} == {"path", "query", "header", "cookie"}
    resp = get["responses"]["200"]["content"]["application/json"]["schema"]
    assert resp["properties"]["subtasks"]["items"]["properties"]["title"] == {
        "type": "string", "examples": ["Write"]}
    assert resp["properties"]["owner"]["required"] == ["login"]
    assert resp["properties"]["owner"]["properties"]["age"] == {"type": ["number", "null"]}
    delete = paths["/tasks/{task_id}"]["delete"]["responses"]["200"]
    assert delete == {"description": "OK"}
    assert doc["components"]["schemas"] == c.schemas
    assert doc["components"]["securitySchemes"] == {"oauth2-client-credentials": {
        "type": "oauth2", "flows": {"clientCredentials": {
            "tokenUrl": "https://auth.example.com/token",
            "scopes": {"read": "", "write": ""}}}}}
    assert doc["security"] == [{"oauth2-client-credentials": ["read", "write"]}]
    assert to_openapi(c) == doc  # deterministic


@pytest.mark.parametrize(("auth", "scheme"), [
    (ApiKeyAuth(key="api_key", add_to="query"), {"type": "apiKey", "name": "api_key",
                                                 "in": "query"}),
    (BasicAuth(), {"type": "http", "scheme": "basic"}),
    (BearerAuth(), {"type": "http", "scheme": "bearer"}),
    (JwtAuth(), {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}),
    (OAuth2Password(token_url="https://a.example.com/t"),
     {"type": "oauth2", "flows": {"password": {"tokenUrl": "https://a.example.com/t",
                                               "scopes": {}}}}),
    (OAuth2Code(token_url="https://a.example.com/t", authorization_url="https://a.example.com/a",
                refresh_url="https://a.example.com/r", scope="x"),
     {"type": "oauth2", "flows": {"authorizationCode": {
         "authorizationUrl": "https://a.example.com/a", "tokenUrl": "https://a.example.com/t",
         "refreshUrl": "https://a.example.com/r", "scopes": {"x": ""}}}}),
])
def test_security_schemes(auth, scheme):
    assert security_scheme(auth) == scheme


def test_param_schema():
    p = Param("tags", type="array", items="integer", location="body", nullable=True,
              description="d", default=[1], format="int64")
    assert param_schema(p) == {"type": ["array", "null"], "format": "int64", "description": "d",
                               "default": [1], "items": {"type": "integer"}}
    assert param_schema(Param("x", type="any", location="body")) == {}
    assert param_schema(Param("x", type="array", items="any", location="body")) == {
        "type": "array", "items": {}}
    cut = Param("tree", type="object", location="response", recursive="Node")
    assert param_schema(cut) == {"type": "object"}
    assert param_schema(cut, schemas={"Node": {}}) == {"$ref": "#/components/schemas/Node"}


def test_query_default_collision_is_a_clear_error(tmp_path):
    c = Connector("search", base_url="https://api.example.com")
    c.add_endpoint("GET", "/search?type=user", name="Find users")
    c.add_endpoint("GET", "/search?type=repo", name="Find repos")
    with pytest.raises(EndpointError, match=r"find_users.*find_repos.*#fragment"):
        to_openapi(c)
    with pytest.raises(PackageError, match="cannot be exported"):
        c.export(tmp_path / "p")
    assert not (tmp_path / "p").exists()
    c.remove_endpoint("find_repos")
    c.add_endpoint("GET", "/search?type=repo#repos", name="Find repos")
    assert nbconnect.load(c.export(tmp_path / "p")) == c


# --------------------------------------------------------------------------- refusals


def test_export_into_non_empty_non_package_dir_is_refused(tmp_path):
    target = tmp_path / "work"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(PackageError, match="non-empty directory that is not a connector"):
        manual_connector().export(target)
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert nbconnect.load(manual_connector().export(empty)) == manual_connector()


def test_export_onto_a_file_is_refused_and_missing_folders_are_made(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(PackageError, match="not a directory"):
        manual_connector().export(f)
    with pytest.raises(PackageError, match="exists and is not a connector package"):
        manual_connector().export(f, zip=True)
    assert f.read_text() == "x"
    with pytest.raises(PackageError, match="cannot be created"):
        manual_connector().export(f / "under" / "a" / "file")
    for made in (tmp_path / "new" / "dirs" / "pkg", tmp_path / "more" / "pkg.zip"):
        assert package.load(manual_connector().export(made)) == manual_connector()
    with pytest.raises(PackageError, match="is a directory"):
        manual_connector().export(tmp_path, zip=True)


def test_user_files_in_a_package_survive_re_export(tmp_path):
    c = manual_connector()
    d = c.export(tmp_path / "p")
    (d / "tests").mkdir()
    (d / "tests" / "smoke.yaml").write_text("check: 1\n")
    (d / "README.md").write_text("hi\n")
    c.add_endpoint("GET", "/extra", name="Extra")
    c.export(d)
    assert (d / "tests" / "smoke.yaml").read_text() == "check: 1\n"
    assert (d / "README.md").read_text() == "hi\n"
    assert nbconnect.load(d) == c
    # the same for a zip package
    z = manual_connector().export(tmp_path / "p.zip")
    with zipfile.ZipFile(z, "a") as zf:
        zf.writestr("cassettes/one.json", "{}")
    c.export(z)
    with zipfile.ZipFile(z) as zf:
        assert zf.namelist() == ["cassettes/one.json", "connector.yaml", "openapi.json"]
        assert zf.read("cassettes/one.json") == b"{}"
    assert nbconnect.load(z) == c


@pytest.mark.parametrize("as_zip", [False, True], ids=["dir", "zip"])
def test_failed_export_leaves_the_old_package(tmp_path, as_zip, monkeypatch):
    c = manual_connector()
    out = c.export(tmp_path / ("p.zip" if as_zip else "p"))
    before = snapshot(out)
    # 1: a connector that cannot be written (OpenAPI collision)
    c.add_endpoint("GET", "/tasks/{task_id}?x=1", name="Variant")
    with pytest.raises(PackageError):
        c.export(out)
    assert snapshot(out) == before
    # 2: an in-memory Secret (a literal string is refused by Connection itself)
    c.remove_endpoint("variant")
    c.connections = (Connection("prod", "https://api.example.com",
                                secrets={"token": Secret(SECRET_VALUE)}),)
    with pytest.raises(PackageError):
        c.export(out)
    assert snapshot(out) == before
    # 3: the disk fails half-way: the manifest (written last) cannot be replaced
    c.connections = ()
    c.add_endpoint("GET", "/new", name="New")
    real_replace = os.replace

    def failing_replace(src, dst):
        if Path(dst).name == ("p.zip" if as_zip else "connector.yaml"):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(package.os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space"):
        c.export(out)
    monkeypatch.undo()
    assert snapshot(out) == before
    assert not [p.name for p in out.parent.rglob(".*")]  # no temp files left
    # and a new package that fails to land leaves nothing behind
    def failing_rename(src, dst):
        raise OSError(5, "I/O error")

    monkeypatch.setattr(package.os, "rename", failing_rename)
    with pytest.raises(OSError, match="I/O error"):
        c.export(tmp_path / "fresh")
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_a_literal_secret_is_refused_and_never_shown(tmp_path):
    # A literal string never gets into a Connection (SecretError when it is made) ...
    with pytest.raises(SecretError) as made:
        Connection("prod", "https://api.example.com", secrets={"token": SECRET_VALUE})
    assert SECRET_VALUE not in str(made.value) and SECRET_VALUE not in repr(made.value)
    # ... and an in-memory Secret (Python API) is refused by export, which writes nothing.
    c = manual_connector()
    c.connections = (Connection("prod", "https://api.example.com",
                                secrets={"token": Secret(SECRET_VALUE)}),)
    for target in (tmp_path / "p", tmp_path / "p.zip"):
        with pytest.raises(PackageError) as info:
            c.export(target)
        text = info.value.full_text()
        assert SECRET_VALUE not in text and SECRET_VALUE not in repr(info.value)
        assert "'prod'" in text and "'token'" in text and "env:TOKEN" in text
        assert not target.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("ref", ["env:API_TOKEN", "keyring:tasks/prod", "prompt",
                                 "prompt:Your token"])
def test_secret_references_are_accepted(tmp_path, ref):
    c = manual_connector()
    c.connections = (Connection("prod", "https://api.example.com", secrets={"token": ref}),)
    assert nbconnect.load(c.export(tmp_path / "p")) == c


@pytest.mark.parametrize("bad", ["env:", "env:1X", "env:A B", "keyring:", "prompted",
                                 "env:TOKEN\n", SECRET_VALUE])
def test_non_references_are_refused(bad):
    # Refused when the Connection is made (was: on export), so none can reach a package.
    with pytest.raises(SecretError, match="reference") as info:
        Connection("prod", "https://api.example.com", secrets={"token": bad})
    assert "'prod'" in str(info.value) and "'token'" in str(info.value)
    assert SECRET_VALUE not in str(info.value)


def test_no_secret_value_in_any_exported_byte(tmp_path, monkeypatch):
    monkeypatch.setenv("TASKS_TOKEN", SECRET_VALUE)
    c = full_connector(BearerAuth())
    c.connections = (Connection("prod", "https://api.example.com",
                                secrets={"token": "env:TASKS_TOKEN"}),)
    for target in (tmp_path / "p", tmp_path / "p.zip"):
        out = c.export(target)
        data = all_bytes(out)
        assert b"env:TASKS_TOKEN" in data  # the reference is written ...
        assert SECRET_VALUE.encode() not in data  # ... never the value
        assert nbconnect.load(out) == c


def test_hand_edited_literal_secret_is_refused_on_load_without_showing_it(tmp_path):
    d = full_connector().export(tmp_path / "p")
    m = d / "connector.yaml"
    m.write_text(m.read_text().replace("env:TASKS_SECRET", SECRET_VALUE))
    with pytest.raises(PackageError, match=r"\$\.connections\[0\]\.secrets\.client_secret") \
            as info:
        nbconnect.load(d)
    assert SECRET_VALUE not in info.value.full_text()


# --------------------------------------------------------------------------- bad packages


class NoAliasDumper(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


def edit_manifest(tmp_path, change) -> Path:
    d = full_connector().export(tmp_path / "p")
    m = d / "connector.yaml"
    data = yaml.safe_load(m.read_text())
    change(data)
    m.write_text(yaml.dump(data, Dumper=NoAliasDumper, sort_keys=False))
    return d


@pytest.mark.parametrize(("change", "path"), [
    (lambda d: d["endpoints"][1].__setitem__("method", "FETCH"), r"$.endpoints[1].method"),
    (lambda d: d["endpoints"][0].__setitem__("colour", "red"), r"$.endpoints[0]"),
    (lambda d: d.__setitem__("extra", 1), "$"),
    (lambda d: d["endpoints"][3]["params"][1].__setitem__("type", "float"),
     r"$.endpoints[3].params[1].type"),
    (lambda d: d["auth"].__setitem__("client_auth", "magic"), r"$.auth.client_auth"),
    (lambda d: d["connections"][0].__setitem__("default", "yes"),
     r"$.connections[0].default"),
    (lambda d: d.__setitem__("name", 7), r"$.name"),
])
def test_schema_violations_name_the_file_and_path(tmp_path, change, path):
    d = edit_manifest(tmp_path, change)
    with pytest.raises(PackageError) as info:
        nbconnect.load(d)
    msg = str(info.value)
    assert "connector.yaml" in msg and f"at {path} " in msg
    assert "\n" not in msg
    assert info.value.details and info.value.details[0].startswith("$")


@pytest.mark.parametrize(("change", "where", "words"), [
    (lambda d: d["endpoints"][3].__setitem__("path", "/tasks/{id"), "$.endpoints[3]",
     "balance the braces"),
    (lambda d: d.__setitem__("base_url", "http://api.example.com"), "$.base_url",
     "plain http"),
    (lambda d: d["connections"].append(dict(d["connections"][0])), "$.connections",
     "named 'prod'"),
    (lambda d: d["endpoints"].append(dict(d["endpoints"][0])), "$.endpoints",
     "createTask"),
])
def test_model_violations_name_the_file_and_path(tmp_path, change, where, words):
    d = edit_manifest(tmp_path, change)
    with pytest.raises(PackageError) as info:
        nbconnect.load(d)
    msg = str(info.value)
    assert "connector.yaml" in msg and f"at {where} " in msg and words in msg


@pytest.mark.parametrize(("text", "words"), [
    (b"format: nbconnect/1\nname: [unclosed\n", "not valid YAML at line"),
    (b"format: nbconnect/1\nname: a\nname: b\n", "has the key 'name' twice at line 3"),
    (b"format: nbconnect/1\nname: &n a\ndescription: *n\n", "YAML alias"),
    (b"format: nbconnect/1\nname: !!python/object/apply:os.system [echo hi]\n",
     "not valid YAML"),
    (b"format: nbconnect/1\nname: caf\xe9\n", "not UTF-8"),
    (b"- just\n- a list\n", "not a mapping"),
    (b"name: x\n", "no 'format: nbconnect/1' key"),
    (b"format: nbconnect/9\nname: x\n", "upgrade nbconnect"),
    (b"format: nbconnect/1\nname: x\nschemas:\n  A: {$ref: 'https://evil.example/x.json'}\n",
     "not local"),
    (b"format: nbconnect/1\nname: x\ndescription: " + b"[" * 5000 + b"]" * 5000 + b"\n",
     "nesting depth"),
])
def test_bad_manifests(tmp_path, text, words):
    d = tmp_path / "p"
    d.mkdir()
    (d / "connector.yaml").write_bytes(text)
    with pytest.raises(PackageError, match=r"connector\.yaml") as info:
        nbconnect.load(d)
    assert words in str(info.value)


def test_alias_bomb_is_refused_quickly(tmp_path):
    lines = ["format: nbconnect/1", "name: x", "a0: &a0 [lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]
    d = tmp_path / "p"
    d.mkdir()
    (d / "connector.yaml").write_text("\n".join(lines) + "\n")
    with pytest.raises(PackageError, match="alias"):
        nbconnect.load(d)


def test_dates_and_yaml11_words_stay_strings(tmp_path):
    d = tmp_path / "p"
    d.mkdir()
    (d / "connector.yaml").write_text(
        "format: nbconnect/1\nname: x\ndescription: 2024-01-02\n")
    assert nbconnect.load(d).description == "2024-01-02"


def test_not_a_package(tmp_path):
    with pytest.raises(PackageError, match="No connector package at"):
        nbconnect.load(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PackageError, match=r"has\ no\ connector\.yaml"):
        nbconnect.load(tmp_path / "empty")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(PackageError, match=r"neither\ a\ package\ directory\ nor\ a\ \.zip"):
        nbconnect.load(tmp_path / "notes.txt")
    z = tmp_path / "other.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a/readme.txt", "x")
        zf.writestr("b/readme.txt", "x")
    with pytest.raises(PackageError, match=r"the\ zip\ has\ no\ connector\.yaml"):
        nbconnect.load(z)


@pytest.mark.parametrize("entry", ["../evil.txt", "/etc/evil", "a/../../evil", "..\\evil",
                                   "C:/evil"])
def test_zip_slip_entries_are_refused(tmp_path, entry):
    z = manual_connector().export(tmp_path / "p.zip")
    with zipfile.ZipFile(z, "a") as zf:
        zf.writestr(entry, "boom")
    for op in (nbconnect.load, package.validate,
               lambda p: manual_connector().export(p)):
        with pytest.raises(PackageError, match="zip slip"):
            op(z)
    assert not (tmp_path.parent / "evil.txt").exists()


def test_oversize_files_are_refused(tmp_path):
    c = full_connector()
    d = c.export(tmp_path / "p")
    z = c.export(tmp_path / "p.zip")
    size = (d / "connector.yaml").stat().st_size
    for target in (d, z):
        with pytest.raises(PackageError, match="over the 100-byte limit"):
            package.load(target, max_bytes=100)
        assert package.load(target, max_bytes=size) == c


def test_zip_with_a_lying_size_header_is_capped(tmp_path):
    z = tmp_path / "p.zip"
    manual_connector().export(z)
    data = bytearray(z.read_bytes())
    # set the central-directory uncompressed size of connector.yaml to 10 bytes
    cd = data.find(b"PK\x01\x02")
    data[cd + 24:cd + 28] = (10).to_bytes(4, "little")
    z.write_bytes(bytes(data))
    with pytest.raises(PackageError):
        package.load(z, max_bytes=50)


# --------------------------------------------------------------------------- validate


def test_validate_reports_a_missing_or_stale_openapi_json(tmp_path):
    d = full_connector().export(tmp_path / "p")
    o = d / "openapi.json"
    doc = json.loads(o.read_text())
    doc["paths"]["/tasks"]["get"]["summary"] = "Changed by hand"
    del doc["info"]["description"]
    o.write_text(json.dumps(doc))
    assert nbconnect.load(d) == full_connector()  # load reads the manifest only
    with pytest.raises(PackageError, match=r"does\ not\ match\ connector\.yaml") as info:
        package.validate(d)
    details = "\n".join(info.value.details)
    assert '$.paths["/tasks"].get.summary' in details and "$.info.description" in details
    o.unlink()
    with pytest.raises(PackageError, match=r"has\ no\ openapi\.json"):
        package.validate(d)


def test_validate_reports_invalid_oas(tmp_path):
    d = manual_connector().export(tmp_path / "p")
    o = d / "openapi.json"
    doc = json.loads(o.read_text())
    doc["paths"]["/tasks/{task_id}"]["get"]["parameters"][1]["in"] = "body"
    o.write_text(json.dumps(doc))
    with pytest.raises(PackageError, match=r"not\ a\ valid\ OpenAPI\ 3\.1\ document") as info:
        package.validate(d)
    assert any("parameters" in line for line in info.value.details)
    o.write_text('{"openapi": "3.1.0", "paths": 5}')  # the validator itself trips on this
    with pytest.raises(PackageError, match=r"not a valid OpenAPI 3\.1 document") as info:
        package.validate(d)
    assert any("info" in line for line in info.value.details)
    o.write_text("{not json")
    with pytest.raises(PackageError, match="not valid UTF-8 JSON"):
        package.validate(d)


def test_validate_never_fetches_a_remote_ref(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    try:
        d = manual_connector().export(tmp_path / "p")
        o = d / "openapi.json"
        doc = json.loads(o.read_text())
        doc["components"] = {"schemas": {"X": {"$ref": f"http://127.0.0.1:{port}/x.json"}}}
        o.write_text(json.dumps(doc))
        with pytest.raises(PackageError, match="not local"):
            package.validate(d)
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody connected
    finally:
        listener.close()


def test_validate_names_the_package_problem_in_one_sentence(tmp_path):
    d = manual_connector().export(tmp_path / "p")
    (d / "openapi.json").write_text("[]")
    with pytest.raises(PackageError) as info:
        package.validate(d)
    assert "\n" not in str(info.value) and "openapi.json" in str(info.value)


def test_manifest_schema_is_shipped_and_matches_exports(tmp_path):
    import jsonschema

    schema = package.manifest_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for auth in AUTHS:
        d = full_connector(auth).export(tmp_path / (auth.type if auth else "none"))
        data = yaml.safe_load((d / "connector.yaml").read_text())
        jsonschema.validate(data, schema)


# --------------------------------------------------------------------------- imported specs


@pytest.mark.parametrize("spec", [
    Path(__file__).parent / "specs" / "petstore-3.0.yaml",
    Path(__file__).parent / "specs" / "files-3.1.json",
    nbconnect.demo_spec_path(),
], ids=lambda p: p.name)
def test_round_trip_of_an_imported_spec(tmp_path, spec):
    c = Connector("imported")
    c.import_spec(spec)
    assert c.endpoints and all(e.source == "openapi" for e in c.endpoints)
    for target in (tmp_path / "p", tmp_path / "p.zip"):
        out = c.export(target)
        assert nbconnect.load(out) == c
        assert package.validate(out) == c
    assert snapshot(c.export(tmp_path / "again.zip")) == snapshot(tmp_path / "p.zip")


def test_values_that_cannot_be_written_are_refused_before_writing(tmp_path):
    import enum

    class Size(enum.IntEnum):
        BIG = 3

    c = Connector("odd")
    c.add_endpoint("GET", "/a", name="A", params=[Param("n", type="integer", default=Size.BIG)])
    assert nbconnect.load(c.export(tmp_path / "ok")).endpoints[0].params[0].default == 3
    for bad, words in ((float("nan"), "finite"), ("\ud800", "surrogate"), (object(), "plain")):
        c.schemas = {"S": {"default": bad}}
        with pytest.raises(PackageError, match=words) as info:
            c.export(tmp_path / "p")
        assert r'$.schemas.S.default' in str(info.value)
        assert not (tmp_path / "p").exists()


# --------------------------------------------------------------------------- the Package object


def _three_kinds(tmp_path: Path) -> dict[str, Path]:
    """The same package as a directory, a zip, and a zip that holds the package folder
    (what zipping a folder in a file manager gives), each with a cassette and a report."""
    d = manual_connector().export(tmp_path / "pkg")
    (d / "cassettes").mkdir()
    (d / "cassettes" / "getTask.json").write_text('{"format": "x"}\n')
    (d / "tests").mkdir()
    (d / "tests" / "last-report.json").write_text('{"failed": 0}\n')
    z = tmp_path / "flat.zip"
    folder = tmp_path / "folder.zip"
    with zipfile.ZipFile(z, "w") as flat, zipfile.ZipFile(folder, "w") as nested:
        nested.writestr("pkg/", b"")
        for f in sorted(d.rglob("*")):
            if f.is_file():
                flat.write(f, f.relative_to(d).as_posix())
                nested.write(f, f"pkg/{f.relative_to(d).as_posix()}")
    return {"dir": d, "zip": z, "folder-zip": folder}


def test_members_are_named_in_one_place():
    m = pkg_members
    assert (m.MANIFEST, m.OPENAPI, m.CASSETTES, m.REPORT) == (
        "connector.yaml", "openapi.json", "cassettes", "tests/last-report.json")
    assert {"webhooks", "mcp", "samples", "cassettes", "tests"} <= set(m.RESERVED_DIRS)
    names = [member.name for member in m.MEMBERS]
    assert names[:4] == ["connector.yaml", "openapi.json", "cassettes", "tests/last-report.json"]
    assert {"webhooks", "mcp", "samples"} <= set(names)
    # the old module keeps the names other folders import
    assert (package.MANIFEST, package.OPENAPI, package.FORMAT, package.REPORT) == (
        m.MANIFEST, m.OPENAPI, m.FORMAT, m.REPORT)
    for bad in ("../x", "a/../../x", "/etc/passwd", "C:/x", "a\\b", "", "a//b", "./a"):
        with pytest.raises(PackageError, match="points outside the package"):
            m.check_member(bad)
    assert m.check_member("cassettes/getTask.json") == "cassettes/getTask.json"


@pytest.mark.parametrize("kind", ["dir", "zip", "folder-zip"])
def test_package_reads_every_kind_the_same(tmp_path, kind):
    path = _three_kinds(tmp_path)[kind]
    pkg = Package(path)
    assert pkg.path == path and pkg.is_zip == (kind != "dir")
    assert pkg.prefix == ("pkg/" if kind == "folder-zip" else "")
    assert pkg.connector() == manual_connector() == pkg.validate()
    assert pkg.has("openapi.json") and not pkg.has("webhooks/x.json")
    assert pkg.read_text("connector.yaml").startswith("format: nbconnect/1\n")
    assert pkg.read_json("tests/last-report.json") == {"failed": 0}
    assert pkg.read_json("openapi.json")["openapi"].startswith("3.1")
    assert pkg.list_folder("cassettes") == ["cassettes/getTask.json"]
    assert pkg.list_folder("webhooks") == []
    assert pkg.read_many(["cassettes/getTask.json"]) == {
        "cassettes/getTask.json": b'{"format": "x"}\n'}
    where = pkg.where("openapi.json")
    assert where == (f"{path}/openapi.json" if kind == "dir"
                     else f"{path}!{pkg.prefix}openapi.json")
    with pytest.raises(PackageError, match=r"has no mcp/servers\.json"):
        pkg.read_bytes("mcp/servers.json")
    with pytest.raises(PackageError, match="points outside the package"):
        pkg.read_bytes("../pkg/connector.yaml")
    with pytest.raises(PackageError, match="points outside the package"):
        pkg.write({"../evil.json": b"x"})
    assert not (tmp_path / "evil.json").exists()
    assert Package(path).max_bytes is None
    with pytest.raises(PackageError, match="over the 10-byte limit"):
        Package(path, max_bytes=10).connector()
    assert "Package(" in repr(pkg) and ("zip" if pkg.is_zip else "directory") in repr(pkg)


@pytest.mark.parametrize("kind", ["dir", "zip", "folder-zip"])
def test_package_writes_keep_the_layout_and_other_members(tmp_path, kind):
    path = _three_kinds(tmp_path)[kind]
    pkg = Package(path)
    written = pkg.write_bytes("samples/getTask/200.json", b"{}\n")
    assert written == pkg.member_path("samples/getTask/200.json")
    assert pkg.read_bytes("samples/getTask/200.json") == b"{}\n"
    assert pkg.remove("cassettes/getTask.json") is True
    assert pkg.remove("cassettes/getTask.json") is False
    assert pkg.list_folder("cassettes") == []
    c = manual_connector()
    c.description = "changed"
    pkg.save_connector(c)
    assert Package(path).connector() == c and Package(path).validate() == c
    assert pkg.read_json("tests/last-report.json") == {"failed": 0}  # kept
    if kind == "dir":
        assert (path / "samples" / "getTask" / "200.json").read_bytes() == b"{}\n"
        assert not [p for p in path.rglob(".*")]  # no temp files left
        return
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    top = "pkg/" if kind == "folder-zip" else ""
    assert names == sorted(names)  # rewritten deterministically ...
    assert all(n.startswith(top) for n in names)  # ... in the same top folder
    assert f"{top}samples/getTask/200.json" in names
    assert f"{top}cassettes/getTask.json" not in names
    # export onto a zipped package folder updates it in place, in its folder
    c.description = "again"
    assert nbconnect.export(c, path) == path
    assert nbconnect.load(path) == c
    with zipfile.ZipFile(path) as zf:
        assert all(n.startswith(top) for n in zf.namelist())
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize("kind", ["dir", "zip", "folder-zip"])
def test_a_failed_package_write_leaves_the_old_bytes(tmp_path, kind, monkeypatch):
    path = _three_kinds(tmp_path)[kind]
    pkg = Package(path)
    before = snapshot(path)
    real_replace = os.replace

    def failing_replace(src, dst):
        if Path(dst).name in ("last-report.json", path.name):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space"):
        # the openapi.json write succeeds first in a directory, then is rolled back
        pkg.write({"openapi.json": b"{}", "samples/get/200.json": b"{}",
                   "tests/last-report.json": b"new"})
    monkeypatch.undo()
    assert snapshot(path) == before
    assert not (tmp_path / "pkg" / "samples").exists()  # the folder it made is gone too
    assert not [p for p in tmp_path.rglob(".*")]  # no temp files left
    assert pkg.read_json("tests/last-report.json") == {"failed": 0}


def test_zips_that_are_not_one_package_are_refused(tmp_path):
    d = manual_connector().export(tmp_path / "pkg")
    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as zf:
        for top in ("a", "b"):
            for f in sorted(d.iterdir()):
                zf.write(f, f"{top}/{f.name}")
    for op in (Package, nbconnect.load, package.validate,
               lambda p: manual_connector().export(p),
               lambda p: package.save_report(p, _Report())):
        with pytest.raises(PackageError, match=r"2 top folders \('a', 'b'\).*one package "
                                               r"folder alone") as info:
            op(two)
        assert type(info.value) is PackageError
    deep = tmp_path / "deep.zip"
    with zipfile.ZipFile(deep, "w") as zf:
        for f in sorted(d.iterdir()):
            zf.write(f, f"outer/inner/{f.name}")
    with pytest.raises(PackageError, match=r"the zip has no connector\.yaml at its root or "
                                           r"in a single top folder"):
        Package(deep)
    slip = tmp_path / "slip.zip"
    with zipfile.ZipFile(slip, "w") as zf:
        for f in sorted(d.iterdir()):
            zf.write(f, f"pkg/{f.name}")
        zf.writestr("pkg/../../evil.txt", "boom")
    with pytest.raises(PackageError, match="zip slip"):
        Package(slip)
    assert not (tmp_path.parent / "evil.txt").exists()


class _Report:
    def to_json(self, latency=True, indent=None):
        return json.dumps({"failed": 0}, indent=indent)


@pytest.mark.parametrize("kind", ["dir", "zip", "folder-zip"])
def test_save_report_goes_through_package_for_every_kind(tmp_path, kind):
    path = _three_kinds(tmp_path)[kind]
    written = package.save_report(path, _Report())
    assert written == Package(path).member_path("tests/last-report.json")
    assert Package(path).read_text("tests/last-report.json") == '{\n  "failed": 0\n}\n'
    assert nbconnect.load(path) == manual_connector()
    if kind == "folder-zip":
        assert str(written).endswith("folder.zip!pkg/tests/last-report.json")


def test_package_export_returns_the_package_and_errors_name_no_face(tmp_path):
    pkg = Package.export(manual_connector(), tmp_path / "p.zip")
    assert isinstance(pkg, Package) and pkg.is_zip and pkg.connector() == manual_connector()
    f = tmp_path / "file.txt"
    f.write_text("x")
    messages = []
    for op in (lambda: Package(tmp_path / "missing"), lambda: Package(f),
               lambda: Package(tmp_path), lambda: manual_connector().export(f),
               lambda: manual_connector().export(tmp_path, zip=True)):
        with pytest.raises(PackageError) as info:
            op()
        messages.append(str(info.value))
    for text in messages:
        assert "%connect" not in text and "nbconnect " not in text and "--" not in text
