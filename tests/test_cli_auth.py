"""What only the command line shows of auth and connections: zip packages, missing packages,
the console script's exit codes and output (the scenarios shared with the magics, each auth
type, the auth and connection errors, are in tests/test_cli_and_magics.py, run through both
faces).

In-process through ``main([...])`` for the grammar, and as real processes (the console
script) for exit codes and what a terminal shows. Every refused command leaves the
package's bytes as they were and never repeats a secret value.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import nbconnect
from nbconnect.cli import main
from nbconnect.model import (
    BearerAuth,
)

BIN = Path(sys.executable).parent
SENTINEL = "s3ntinel-Cli7YtR2mQ9-do-not-leak"


@pytest.fixture
def pkg(tmp_path: Path) -> Path:
    c = nbconnect.Connector("tasks")
    c.import_spec(nbconnect.demo_spec_path())
    return c.export(tmp_path / "pkg")


@pytest.fixture
def zpkg(tmp_path: Path) -> Path:
    c = nbconnect.Connector("tasks", base_url="https://tasks.example.com/v1")
    return c.export(tmp_path / "pkg.zip", zip=True)


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(path: Path) -> dict[str, bytes]:
    if path.is_file():
        return {path.name: path.read_bytes()}
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*"))
            if p.is_file()}


def user_error(code: int, out: str, err: str) -> str:
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("nbconnect: error: ")
    return lines[0]


# --------------------------------------------------------------------------- auth


def test_auth_in_a_zip_package(capsys, zpkg):
    code, _, err = run(capsys, "auth", zpkg, "bearer")
    assert (code, err) == (0, "")
    assert zpkg.is_file()
    assert nbconnect.load(zpkg).auth == BearerAuth()


def test_auth_on_a_missing_package(capsys, tmp_path):
    line = user_error(*run(capsys, "auth", tmp_path / "nope", "basic"))
    assert "nope" in line
    assert not (tmp_path / "nope").exists()


def test_auth_help_lists_types_and_fields(capsys):
    code, out, _ = run(capsys, "help", "auth")
    assert code == 0
    for text in ("api-key: --key KEY --add-to header|query|cookie",
                 "--client-auth basic|body|basic-form-encoded", "--identity-endpoint",
                 "--secret client-secret, password", "connection add PKG NAME"):
        assert text in out


# --------------------------------------------------------------------------- connections


def test_connection_list_of_an_empty_package(capsys, zpkg):
    assert run(capsys, "connection", "list", zpkg)[1] == "(no connections)\n"


def _proc(*argv: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "nbconnect"), *map(str, argv)], capture_output=True,
                          text=True, timeout=120, env=env)


def test_console_script_refuses_a_literal_secret(pkg):
    before = snapshot(pkg)
    proc = _proc("auth", pkg, "bearer", "--token", SENTINEL)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("nbconnect: error: --token")
    proc2 = _proc("connection", "add", pkg, "ci", "--secret", f"value={SENTINEL}")
    assert proc2.returncode == 2
    assert "pass a reference instead: --secret value=env:CI_VALUE" in proc2.stderr
    for p in (proc, proc2):
        assert SENTINEL not in p.stdout + p.stderr
    assert snapshot(pkg) == before


def test_console_script_configures_a_package_for_ci(pkg):
    assert _proc("auth", pkg, "bearer").returncode == 0
    proc = _proc("connection", "add", pkg, "ci", "--secret", "token=env:CI_TOKEN", "--default")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert _proc("validate", pkg).returncode == 0
    proc = _proc("show", pkg, "--json")
    shown = json.loads(proc.stdout)
    assert shown["auth"] == {"type": "bearer"}
    assert shown["connections"] == [{"name": "ci", "base_url": "https://tasks.example.com/v1",
                                     "secrets": {"token": "env:CI_TOKEN"}, "settings": {},
                                     "default": True}]
