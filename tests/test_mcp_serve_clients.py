"""`nbconnect mcp serve PKG` checked by independent clients over stdio: the `mcp` SDK's client
launching `python -m nbconnect mcp serve PKG`, and the MCP Inspector CLI from npm
(@modelcontextprotocol/inspector 0.15.0, which sends every --tool-arg as a string), each
listing the tools and calling one against the mock API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

import nbconnect
from nbconnect import Connector
from nbconnect.mcp.preflight import _Recorder

KEY = "s3ntinel-mcp-stdio-key"
ROOT = Path(__file__).resolve().parents[1]
INSPECTOR = ROOT / "node_modules" / ".bin" / "mcp-inspector"


@pytest.fixture
def package_on_mock(tmp_path, monkeypatch):
    """(a package of the demo whose default connection points at a running mock, log)."""
    from nbconnect.mock.server import MockServer
    from nbconnect.verbs.connection import add_connection
    from nbconnect.verbs.grammar import make_connection

    monkeypatch.setenv("MCP_STDIO_KEY", KEY)
    c = Connector("demo")
    c.import_spec(nbconnect.demo_spec_path())
    log: list = []
    mock = MockServer(c, credentials={"api-key": KEY})
    mock.app.add_middleware(_Recorder, log=log)
    with mock:
        add_connection(c, make_connection("mock", base_url=mock.url,
                                          secrets={"value": "env:MCP_STDIO_KEY"},
                                          auth=c.auth))
        pkg = tmp_path / "demo-pkg"
        c.export(pkg)
        yield pkg, log


def test_the_sdk_client_over_stdio_lists_and_calls(package_on_mock) -> None:
    from mcp import Client, StdioServerParameters

    pkg, log = package_on_mock
    params = StdioServerParameters(command=sys.executable,
                                   args=["-m", "nbconnect", "mcp", "serve", str(pkg),
                                         "--exclude", "users"],
                                   env={**os.environ, "MCP_STDIO_KEY": KEY})

    async def main():
        async with Client(params, read_timeout_seconds=120) as client:
            listed = await client.list_tools()
            result = await client.call_tool("getTask", {"projectId": "p_launch",
                                                        "taskId": 7})
            return listed, result, client.server_info

    listed, result, info = anyio.run(main)
    names = [t.name for t in listed.tools]
    assert len(names) == 11 and "listUsers" not in names and names[0] == "listProjects"
    assert info.name == "demo"
    assert not result.is_error
    assert result.structured_content["body"]["id"] == 7
    assert dict(log[-1][1])[b"x-api-key"] == KEY.encode()
    assert KEY not in json.dumps(result.model_dump(mode="json"))


def _inspector(pkg: Path, *args: str) -> dict:
    cmd = [str(INSPECTOR), "--cli", "-e", f"MCP_STDIO_KEY={KEY}",
           sys.executable, "-m", "nbconnect", "mcp", "serve", str(pkg), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, cwd=pkg.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_the_mcp_inspector_cli_lists_and_calls_with_string_arguments(package_on_mock) -> None:
    assert INSPECTOR.exists(), "run npm install (package.json devDependencies)"
    pkg, log = package_on_mock
    listed = _inspector(pkg, "--method", "tools/list")
    names = [t["name"] for t in listed["tools"]]
    assert names == ["listProjects", "createProject", "getProject", "updateProject",
                     "deleteProject", "listTasks", "createTask", "getTask", "replaceTask",
                     "deleteTask", "searchTasks", "listUsers"]
    tool = next(t for t in listed["tools"] if t["name"] == "createTask")
    assert tool["outputSchema"]["type"] == "object"
    # the Inspector sends '["launch"]' as a string: the array argument is coerced, so the
    # mock (which checks the body against its schema) accepts the task
    called = _inspector(pkg, "--method", "tools/call", "--tool-name", "createTask",
                        "--tool-arg", "projectId=p_launch", "--tool-arg", "title=Ship it",
                        "--tool-arg", 'labels=["launch"]')
    assert called.get("isError") is not True, called
    assert called["structuredContent"]["status"] == 201
    _query, headers = log[-1]
    assert dict(headers)[b"content-type"] == b"application/json"


def test_serve_http_in_the_foreground_until_stopped(package_on_mock) -> None:
    import re

    from mcp import Client

    pkg, log = package_on_mock
    proc = subprocess.Popen([sys.executable, "-m", "nbconnect", "mcp", "serve", str(pkg),
                             "--http", "--include", "users"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "MCP_STDIO_KEY": KEY})
    try:
        line = proc.stdout.readline()
        found = re.search(r"1 tools at (http://127\.0\.0\.1:\d+/mcp) ", line)
        assert found, line + proc.stderr.read() if proc.poll() is not None else line
        url = found.group(1)

        async def main():
            async with Client(url) as client:
                listed = await client.list_tools()
                return listed, await client.call_tool("listUsers", {})

        listed, result = anyio.run(main)
        assert [t.name for t in listed.tools] == ["listUsers"]
        assert not result.is_error and result.structured_content["status"] == 200
        assert dict(log[-1][1])[b"x-api-key"] == KEY.encode()
    finally:
        proc.terminate()
        proc.wait(timeout=60)
