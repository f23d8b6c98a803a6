"""The real ``nbconnect`` command in its own processes against an OAuth-protected MCP server:
``mcp check`` prints the authorization link and waits on its loopback listener, the test plays
the browser; a later ``mcp call`` (a new process, no keyring here) authorizes again with the
public client the check registered, and neither prints a token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.mcpservers import McpOAuthSetup

import nbconnect

NBCONNECT = [sys.executable, "-m", "nbconnect"]


def _run_authorizing(args: list[str], agent: Any, cwd: Path) -> tuple[int, str, str]:
    """Run ``nbconnect ARGS``; when it prints the authorization link, approve it."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([*NBCONNECT, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=cwd, env=env)
    lines: list[str] = []
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("http://127.0.0.1:") and "/authorize?" in line:
                agent(line.strip())
                break
        rest, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, "".join(lines) + rest, err


def test_check_and_call_in_separate_processes(tmp_path: Path) -> None:
    with McpOAuthSetup() as setup:
        pkg = tmp_path / "pkg"
        nbconnect.export(nbconnect.Connector(name="demo"), pkg)
        added = subprocess.run([*NBCONNECT, "mcp", "add", str(pkg), "secured", setup.url,
                                "--auth", "oauth", "--dcr"], capture_output=True, text=True,
                               cwd=tmp_path, timeout=120)
        assert added.returncode == 0, added.stderr
        code, out, err = _run_authorizing(["mcp", "check", str(pkg), "secured"],
                                          setup.agent, tmp_path)
        assert code == 0, err
        assert "Open this URL in a browser to authorize:" in out
        assert "5. issuer check (RFC 8414 §3.3)" in out
        assert "protocol 2026-07-28" in out and "Registered client" in out
        server = nbconnect.load(pkg).mcp["secured"]
        assert server.registered and server.client_id in setup.auth_server.clients
        code, out2, err2 = _run_authorizing(
            ["mcp", "call", str(pkg), "secured", "add", "--arg", "a=4", "--arg", "b=5"],
            setup.agent, tmp_path)
        assert code == 0, err2
        assert out2.rstrip().endswith("9")
        assert len(setup.registrations) == 1  # the second process reused the client
        for token in setup.auth_server.tokens:
            assert token not in out + err + out2 + err2
            assert token not in (pkg / "connector.yaml").read_text()
