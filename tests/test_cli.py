"""Tests of the ``nbconnect`` command line (cli.py) and the plain-text views (render.py): what
only the CLI shows (packages on disk, zips, stdin, exit codes, processes). The scenarios shared
with the magics (import selection, overwrite, bad specs, strict/lenient) are in
tests/test_cli_and_magics.py, run through both faces.

The CLI runs in-process through ``main([...])`` and, for the parts that only a real
process shows (exit status, console script, ``python -m``, stdin, Ctrl-C), as a
subprocess.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import nbconnect
from nbconnect import render
from nbconnect.cli import main

BIN = Path(sys.executable).parent

TINY = """\
openapi: 3.0.3
info:
  title: Tiny API
  version: "1.0"
  description: A tiny pet API.
servers:
  - url: https://api.tiny.example/v1
components:
  securitySchemes:
    key:
      type: apiKey
      in: header
      name: X-Tiny-Key
  schemas:
    Pet:
      type: object
      properties:
        id: {type: integer}
        name: {type: string}
security:
  - key: []
paths:
  /pets:
    get:
      operationId: listPets
      summary: List pets
      tags: [pets]
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Pet"}}
    post:
      operationId: createPet
      summary: Create a pet
      tags: [pets]
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Pet"}
      responses:
        "201": {description: created}
  /pets/{petId}:
    get:
      operationId: getPet
      summary: Get a pet
      tags: [pets]
      parameters:
        - {name: petId, in: path, required: true, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Pet"}
  /stores:
    get:
      operationId: listStores
      summary: List stores
      tags: [stores]
      responses:
        "200": {description: ok}
"""

@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_user_error(code: int, err: str) -> str:
    """Exit 2, one 'nbconnect: error:' line (plus indented details), no traceback."""
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines, "no error message"
    assert lines[0].startswith("nbconnect: error: "), err
    assert len(lines[0]) > len("nbconnect: error: ") + 10
    assert all(line.startswith("  ") for line in lines[1:]), err
    return lines[0][len("nbconnect: error: "):]


def snapshot(path: Path) -> dict[str, bytes]:
    if path.is_file():
        return {path.name: path.read_bytes()}
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*"))
            if p.is_file()}


# --------------------------------------------------------------------------- render


def _connector() -> nbconnect.Connector:
    c = nbconnect.Connector("demo", base_url="https://api.example.com/v1",
                            auth=nbconnect.ApiKeyAuth(key="X-Key"))
    c.add_endpoint("GET", "/users/:id", name="Get user")
    c.add_endpoint("POST", "/users", name="Create\nuser " + "x" * 100)
    c.connections = (nbconnect.Connection("prod", "https://api.example.com/v1",
                                          secrets={"value": "env:DEMO_KEY"}, default=True),)
    return c


def test_endpoints_table_is_aligned_and_deterministic() -> None:
    c = _connector()
    table = render.endpoints_table(c.endpoints)
    assert table == render.endpoints_table(_connector().endpoints)
    lines = table.splitlines()
    assert lines[0].split() == ["ID", "METHOD", "PATH", "NAME"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split()[:3] == ["get_user", "GET", "/users/{id}"]
    # columns line up: METHOD starts at the same offset on every row
    col = lines[0].index("METHOD")
    assert all(line[col:].split()[0] in ("METHOD", "------", "GET", "POST")
               for line in lines)
    # a long multi-line name is cut to one line; the id is never cut
    assert len(lines) == 4
    assert lines[3].endswith("…")
    assert c.endpoints[1].id in lines[3]
    assert all(line == line.rstrip() for line in lines)
    assert render.endpoints_table(()) == "(no endpoints)"


def test_connector_summary_and_json() -> None:
    c = _connector()
    text = render.connector_summary(c)
    assert "connector: demo" in text
    assert "base URL: https://api.example.com/v1" in text
    assert "auth: api-key (key=X-Key, add_to=header)" in text
    assert "endpoints: 2" in text
    assert "prod (default)" in text and "value=env:DEMO_KEY" in text
    data = render.connector_json(c)
    assert list(data) == ["name", "description", "base_url", "auth", "endpoints",
                          "connections"]
    assert data["auth"] == {"type": "api-key", "key": "X-Key", "add_to": "header"}
    assert data["endpoints"][0] == {"id": "get_user", "method": "GET",
                                    "path": "/users/{id}", "name": "Get user"}
    assert data["connections"][0]["secrets"] == {"value": "env:DEMO_KEY"}
    json.dumps(data)  # plain data
    empty = nbconnect.Connector("empty")
    assert "base URL: (not set)" in render.connector_summary(empty)
    assert "auth: none" in render.connector_summary(empty)
    assert render.connector_json(empty)["auth"] is None


# --------------------------------------------------------------------------- basics


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert (code, out.strip()) == (0, f"nbconnect {nbconnect.__version__}")
    code, out, _ = run(capsys, "help")
    assert code == 0
    for verb in ("import", "validate", "show"):
        assert verb in out
    code, out, _ = run(capsys, "help", "import")
    assert code == 0 and "--overwrite" in out and "--max-bytes" in out
    code, _, err = run(capsys, "help", "frobnicate")
    assert "frobnicate" in assert_user_error(code, err)


@pytest.mark.parametrize("argv", [
    [],
    ["frobnicate"],
    ["import", "spec.yaml"],                      # no -o
    ["import", "spec.yaml", "-o", "p", "--max-bytes", "lots"],
    ["import", "spec.yaml", "-o", "p", "--timeout", "-1"],
    ["show"],
    ["show", "p", "--colour"],
])
def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv)
    assert_user_error(code, err)
    assert len(err.splitlines()) == 1
    assert out == ""
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- import


def test_import_show_validate(capsys: pytest.CaptureFixture[str], tiny: Path,
                              tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    code, out, err = run(capsys, "import", tiny, "-o", pkg)
    assert code == 0, err
    assert re.fullmatch(rf"4 endpoints from Tiny API -> {re.escape(str(pkg))}\n", out)
    assert "Traceback" not in err

    code, out, err = run(capsys, "show", pkg, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["name"] == "tiny-api"
    assert data["base_url"] == "https://api.tiny.example/v1"
    assert data["auth"]["type"] == "api-key" and data["auth"]["key"] == "X-Tiny-Key"
    assert [e["id"] for e in data["endpoints"]] == ["listPets", "createPet", "getPet",
                                                     "listStores"]
    assert data["endpoints"][2] == {"id": "getPet", "method": "GET", "path": "/pets/{petId}",
                                    "name": "Get a pet"}
    assert all(list(e) == ["id", "method", "path", "name"] for e in data["endpoints"])
    # stable: the same bytes twice
    assert run(capsys, "show", pkg, "--json")[1] == out

    code, out, err = run(capsys, "show", pkg)
    assert code == 0, err
    assert "connector: tiny-api" in out
    assert "base URL: https://api.tiny.example/v1" in out
    assert re.search(r"^getPet\s+GET\s+/pets/\{petId\}\s+Get a pet$", out, re.M)

    code, out, err = run(capsys, "validate", pkg)
    assert code == 0, err
    assert out.startswith("ok: ") and "4 endpoints" in out


def test_import_to_zip_and_empty_dir(capsys: pytest.CaptureFixture[str], tiny: Path,
                                     tmp_path: Path) -> None:
    zpath = tmp_path / "tiny.zip"
    code, _out, err = run(capsys, "import", tiny, "-o", zpath)
    assert code == 0, err
    assert zpath.is_file() and zpath.read_bytes()[:2] == b"PK"
    assert json.loads(run(capsys, "show", zpath, "--json")[1])["name"] == "tiny-api"
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run(capsys, "import", tiny, "-o", empty)
    assert code == 0, err
    assert run(capsys, "validate", empty)[0] == 0


def test_import_into_something_that_is_not_a_package(capsys: pytest.CaptureFixture[str],
                                                     tiny: Path, tmp_path: Path) -> None:
    stuff = tmp_path / "stuff"
    stuff.mkdir()
    (stuff / "notes.txt").write_text("mine")
    before = snapshot(stuff)
    code, _, err = run(capsys, "import", tiny, "-o", stuff)
    assert_user_error(code, err)
    assert snapshot(stuff) == before


def test_max_bytes_too_small(capsys: pytest.CaptureFixture[str], tiny: Path,
                             tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    code, out, err = run(capsys, "import", tiny, "-o", pkg, "--max-bytes", "100")
    assert_user_error(code, err)
    assert out == ""
    assert not pkg.exists()
    # K/M suffixes are sizes too
    assert run(capsys, "import", tiny, "-o", pkg, "--max-bytes", "1K")[0] == 2
    assert run(capsys, "import", tiny, "-o", pkg, "--max-bytes", "1M")[0] == 0


def test_show_and_validate_of_missing_package(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    for verb in ("show", "validate"):
        code, _, err = run(capsys, verb, tmp_path / "absent")
        assert_user_error(code, err)


@pytest.mark.parametrize("breakage", ["manifest-yaml", "manifest-schema", "no-manifest",
                                      "openapi-mismatch", "openapi-invalid", "openapi-json"])
def test_validate_broken_package(capsys: pytest.CaptureFixture[str], tiny: Path,
                                 tmp_path: Path, breakage: str) -> None:
    pkg = tmp_path / "pkg"
    assert run(capsys, "import", tiny, "-o", pkg)[0] == 0
    manifest = pkg / "connector.yaml"
    if breakage == "manifest-yaml":
        manifest.write_text("name: [unclosed\n")
    elif breakage == "manifest-schema":
        manifest.write_text(manifest.read_text().replace("method: GET", "method: FETCH", 1))
    elif breakage == "no-manifest":
        manifest.unlink()
    elif breakage == "openapi-mismatch":  # valid OAS 3.1, but not what the manifest says
        doc = json.loads((pkg / "openapi.json").read_text())
        doc["paths"].pop("/stores")
        (pkg / "openapi.json").write_text(json.dumps(doc))
    elif breakage == "openapi-invalid":
        (pkg / "openapi.json").write_text('{"openapi": "3.1.0", "paths": 5}')
    else:
        (pkg / "openapi.json").write_text('{"openapi": "3.1.0", "info": ')
    code, out, err = run(capsys, "validate", pkg)
    assert_user_error(code, err)
    assert not out.startswith("ok")


# --------------------------------------------------------------------------- processes


def _proc(*argv: object, stdin: bytes | None = None,
          cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                          input=stdin.decode() if stdin is not None else None, cwd=cwd,
                          timeout=120)


def test_python_dash_m(tiny: Path, tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    done = _proc(sys.executable, "-m", "nbconnect", "import", tiny, "-o", pkg)
    assert done.returncode == 0, done.stderr
    assert "4 endpoints from Tiny API" in done.stdout
    done = _proc(sys.executable, "-m", "nbconnect", "show", pkg, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {"name", "base_url", "auth", "endpoints"} <= set(data)
    assert all(set(e) == {"id", "method", "path", "name"} for e in data["endpoints"])
    done = _proc(sys.executable, "-m", "nbconnect", "--version")
    assert (done.returncode, done.stdout.strip()) == (0, f"nbconnect {nbconnect.__version__}")


def test_console_script(tiny: Path, tmp_path: Path) -> None:
    script = BIN / "nbconnect"
    assert script.exists()
    pkg = tmp_path / "pkg"
    done = _proc(script, "import", tiny, "-o", pkg)
    assert done.returncode == 0, done.stderr
    done = _proc(script, "validate", pkg)
    assert done.returncode == 0 and done.stdout.startswith("ok: "), done.stderr
    # a user error: exit 2, one line, no traceback
    before = snapshot(pkg)
    done = _proc(script, "import", tiny, "-o", pkg)
    assert_user_error(done.returncode, done.stderr)
    assert snapshot(pkg) == before
    done = _proc(script, "show", tmp_path / "absent")
    assert_user_error(done.returncode, done.stderr)
    done = _proc(script, "import")
    assert_user_error(done.returncode, done.stderr)
    assert len(done.stderr.splitlines()) == 1


def test_import_from_stdin(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    done = _proc(BIN / "nbconnect", "import", "-", "-o", pkg, "--tag", "stores",
                 stdin=TINY.encode())
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("1 endpoint (of 4 operations) from Tiny API")
    done = _proc(BIN / "nbconnect", "import", "-", "-o", tmp_path / "p2", stdin=b"")
    assert_user_error(done.returncode, done.stderr)


def test_demo_spec(tmp_path: Path) -> None:
    pkg = tmp_path / "demo"
    done = _proc(BIN / "nbconnect", "import", nbconnect.demo_spec_path(), "-o", pkg)
    assert done.returncode == 0, done.stderr
    done = _proc(BIN / "nbconnect", "show", pkg, "--json")
    data = json.loads(done.stdout)
    assert data["base_url"] == "https://tasks.example.com/v1"
    assert len(data["endpoints"]) >= 10


def _wait_for_pipe_read(pid: int) -> None:
    """Wait until the process blocks reading its stdin pipe (Linux: /proc/PID/wchan)."""
    wchan = Path(f"/proc/{pid}/wchan")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if "pipe_read" in wchan.read_text():
                return
        except OSError:
            break
        time.sleep(0.05)
    time.sleep(2.0)  # no wchan here: give it ample time to reach the read


def test_ctrl_c_exits_130(tmp_path: Path) -> None:
    # the CLI waits on stdin for a spec that never comes; Ctrl-C ends it cleanly
    proc = subprocess.Popen([str(BIN / "nbconnect"), "import", "-", "-o", str(tmp_path / "p")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_pipe_read(proc.pid)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip() == "nbconnect: interrupted"
    assert not (tmp_path / "p").exists()


def test_new_without_a_name_takes_the_package_folders(capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path) -> None:
    """``nbconnect new build/demo-2 --demo`` as ``help new`` shows it (NAME is optional)."""
    assert main(["new", str(tmp_path / "demo 2"), "--demo"]) == 0
    assert nbconnect.load(tmp_path / "demo 2").name == "demo-2"
    assert "connector demo-2 (12 endpoints)" in capsys.readouterr().out



def test_show_names_links_webhooks_mcp_servers_and_paging(capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path) -> None:
    pkg = str(tmp_path / "d")
    assert main(["new", pkg, "--demo"]) == 0
    assert main(["show", pkg]) == 0
    plain = capsys.readouterr().out
    assert "links:" not in plain and "webhooks:" not in plain and "MCP servers" not in plain
    for argv in (["webhook", "add", pkg, "orders", "--preset", "github", "--secret", "env:GH"],
                 ["mcp", "add", pkg, "tools", "http://127.0.0.1:9/mcp"],
                 ["link", "add", pkg, "getTask", "taskId", "--values", "1,2"],
                 ["paging", pkg, "listProjects", "--type", "page", "--param", "page"]):
        assert main(argv) == 0, argv
    capsys.readouterr()
    assert main(["show", pkg]) == 0
    out = capsys.readouterr().out
    assert "links: 1\nwebhooks: orders (static)\nMCP servers: tools http://127.0.0.1:9/mcp" in out
    assert main(["show", pkg, "listProjects"]) == 0
    assert "paging: page: param page from 1" in capsys.readouterr().out
