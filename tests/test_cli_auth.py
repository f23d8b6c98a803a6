"""The command-line face of auth and connections: ``nbconnect auth PKG TYPE ...`` and
``nbconnect connection add|list|remove|default PKG ...`` (the grammar of the magics).

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
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    Connection,
    JwtAuth,
    OAuth2ClientCredentials,
    OAuth2Code,
    OAuth2Password,
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


@pytest.mark.parametrize(("args", "expected"), [
    (["api-key", "--key", "api_key", "--add-to", "query"],
     ApiKeyAuth(key="api_key", add_to="query")),
    (["basic"], BasicAuth()),
    (["bearer"], BearerAuth()),
    (["jwt", "--algorithm", "EdDSA", "--header-name", "X-JWT",
      "--payload", '{"sub": "ci", "iat": "now", "exp": "+60s", "jti": "random"}'],
     JwtAuth(algorithm="EdDSA", header_name="X-JWT",
             payload={"sub": "ci", "iat": "now", "exp": "+60s", "jti": "random"})),
    (["oauth2-client-credentials", "--token-url", "https://auth.example.com/token",
      "--scope", "read", "--client-auth", "body"],
     OAuth2ClientCredentials(token_url="https://auth.example.com/token", scope="read",
                             client_auth="body")),
    (["oauth2-password", "--token-url=https://auth.example.com/token", "--client-id=cli"],
     OAuth2Password(token_url="https://auth.example.com/token", client_id="cli")),
    (["oauth2-code", "--token-url", "https://a.example.com/token", "--authorization-url",
      "https://a.example.com/authorize", "--identity-endpoint", "/userinfo",
      "--identity-param", "email"],
     OAuth2Code(token_url="https://a.example.com/token",
                authorization_url="https://a.example.com/authorize",
                identity_endpoint="/userinfo", identity_param="email")),
])
def test_auth_sets_each_type_in_the_package(capsys, pkg, args, expected):
    before = nbconnect.load(pkg)
    code, out, err = run(capsys, "auth", pkg, *args)
    assert (code, err) == (0, "")
    assert out.startswith(f"auth of tasks: {expected.type}") and out.endswith(f"-> {pkg}\n")
    after = nbconnect.load(pkg)
    assert after.auth == expected
    assert after.endpoints == before.endpoints and after.base_url == before.base_url


def test_auth_in_a_zip_package(capsys, zpkg):
    code, _, err = run(capsys, "auth", zpkg, "bearer")
    assert (code, err) == (0, "")
    assert zpkg.is_file()
    assert nbconnect.load(zpkg).auth == BearerAuth()


@pytest.mark.parametrize(("args", "pattern"), [
    (["apikey"], "Unknown auth type 'apikey' (did you mean api-key?)"),
    ([SENTINEL], "Unknown auth type (the word given, not repeated here)"),
    (["api-key", "--value", SENTINEL], "--value is a secret"),
    (["basic", f"--password={SENTINEL}"], "--password is a secret"),
    (["bearer", "--token", SENTINEL], "--token is a secret"),
    (["jwt", "--secret", SENTINEL], "--secret is a secret"),
    (["oauth2-client-credentials", "--client-secret", SENTINEL], "--client-secret is a secret"),
    (["bearer", SENTINEL], "Argument 1 after auth type bearer is not a --FIELD flag"),
    (["api-key", "--colour", "red"], "has no field --colour; its fields are --key, --add-to"),
    (["jwt", "--algorithm", "none"], "'none' makes unsigned tokens"),
    (["jwt", "--algorithm", "HS256", "--payload", "{"], "is not valid JSON"),
    (["oauth2-client-credentials"], "--token-url"),
    (["oauth2-password", "--token-url", "http://auth.example.com/t"], "plain http"),
    (["basic", "--username", "ada"], "--set username=VALUE"),
])
def test_auth_errors_exit_2_and_leave_the_package(capsys, pkg, args, pattern):
    before = snapshot(pkg)
    line = user_error(*run(capsys, "auth", pkg, *args))
    assert pattern in line
    assert SENTINEL not in line
    assert snapshot(pkg) == before


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


def test_connection_add_list_default_remove(capsys, pkg):
    assert run(capsys, "auth", pkg, "basic")[0] == 0
    code, out, err = run(capsys, "connection", "add", pkg, "dev", "--secret",
                         "password=env:TASKS_PW", "--set", "username=ada")
    assert (code, err) == (0, "")
    assert out == f"connection dev (default) added to tasks -> {pkg}\n"
    code, out, _ = run(capsys, "connection", "add", pkg, "local", "--base-url",
                       "http://127.0.0.1:8000/v1", "--secret", "password=prompt", "--set",
                       "username=bob")
    assert out == f"connection local added to tasks -> {pkg}\n"
    loaded = nbconnect.load(pkg)
    assert loaded.connections == (
        Connection("dev", "https://tasks.example.com/v1", secrets={"password": "env:TASKS_PW"},
                   settings={"username": "ada"}, default=True),
        Connection("local", "http://127.0.0.1:8000/v1", secrets={"password": "prompt"},
                   settings={"username": "bob"}),
    )
    code, out, _ = run(capsys, "connection", "list", pkg)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "DEFAULT", "BASE", "URL", "SECRETS", "SETTINGS"]
    assert lines[2].split() == ["dev", "yes", "https://tasks.example.com/v1",
                                "password=env:TASKS_PW", "username=ada"]
    code, out, _ = run(capsys, "connection", "list", pkg, "--json")
    assert [c["name"] for c in json.loads(out)] == ["dev", "local"]
    assert run(capsys, "connection", "default", pkg, "local")[0] == 0
    assert [c.default for c in nbconnect.load(pkg).connections] == [False, True]
    code, out, _ = run(capsys, "connection", "remove", pkg, "local")
    assert out == f"connection local removed from tasks -> {pkg}\n"
    assert [(c.name, c.default) for c in nbconnect.load(pkg).connections] == [("dev", True)]


def test_connection_list_of_an_empty_package(capsys, zpkg):
    assert run(capsys, "connection", "list", zpkg)[1] == "(no connections)\n"


@pytest.mark.parametrize(("args", "pattern"), [
    (["dev", "--secret", f"password={SENTINEL}", "--set", "username=a"],
     "was given as a value"),
    (["dev", "--secret", SENTINEL], "is not FIELD=VALUE"),
    (["--secret", f"password={SENTINEL}"], "needs a name first"),
    (["dev", f"--password={SENTINEL}"], "--password is not an option"),
    (["dev", "--set", f"password={SENTINEL}"], "--set cannot carry it"),
    (["dev", SENTINEL], "is not a --FIELD flag"),
    (["dev", "--secret", "password=env:X"], "needs --set username=VALUE"),
    (["dev", "--secret", "token=env:X", "--set", "username=a"], "no secret field 'token'"),
    (["dev", "--secret", "password=keyring:", "--set", "username=a"], "malformed keyring:"),
    (["dev", "--base-url", "ftp://x.example.com", "--secret", "password=env:X", "--set",
      "username=a"], "ftp"),
    (["taken", "--secret", "password=env:X", "--set", "username=a"],
     "already has a connection 'taken'"),
])
def test_connection_add_errors_exit_2_and_leave_the_package(capsys, pkg, args, pattern):
    run(capsys, "auth", pkg, "basic")
    run(capsys, "connection", "add", pkg, "taken", "--secret", "password=env:T", "--set",
        "username=t")
    before = snapshot(pkg)
    line = user_error(*run(capsys, "connection", "add", pkg, *args))
    assert pattern in line
    assert SENTINEL not in line
    assert snapshot(pkg) == before


@pytest.mark.parametrize("args", [
    ["remove", "{pkg}", "nope"],
    ["default", "{pkg}", "nope"],
    ["frobnicate", "{pkg}"],
    ["list", "{pkg}", SENTINEL],
    [SENTINEL],
])
def test_other_connection_errors(capsys, pkg, args):
    before = snapshot(pkg)
    line = user_error(*run(capsys, "connection", *[a.format(pkg=pkg) for a in args]))
    assert SENTINEL not in line
    assert snapshot(pkg) == before


# --------------------------------------------------------------------------- real processes


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
