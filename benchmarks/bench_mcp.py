"""Benchmark: ``nbconnect mcp serve`` against FastMCP's ``FastMCP.from_openapi`` over stdio.

Run from the repository root (a script, not a test; one run)::

    .venv/bin/python benchmarks/bench_mcp.py [--calls 200] [--starts 5] [--spec FILE]

The peer is what a user would pick instead: FastMCP (PyPI ``fastmcp``, 4.1.6), installed by
this script into its **own** venv under ``/tmp/nbconnect-bench-fastmcp`` (never into the
project's ``.venv``). Both servers get the same spec (default: the bundled demo, 12
operations) and call the same loopback API: the project's mock of that spec, served in a
separate process (``nbconnect.mock.server.serve``) that requires an API key, which both
servers send (nbconnect from the connection's ``env:`` reference, FastMCP from its httpx2
client's headers).

Measured, each with the ``mcp`` SDK's client launching the server as a subprocess over stdio
(initialize handshake, ``mode="legacy"``, the same for both):

* **start-up**: from process start to the ``tools/list`` answer (median of ``--starts``
  runs, interleaved);
* **calls**: ``--calls`` sequential ``tools/call`` of ``getTask`` in one session per server
  (after 10 warm-up calls; both sessions open, the calls in 10 interleaved blocks, as the
  shared machine's load changes), as calls per second; every answer must be a success,
  else the case is reported as failing;
* **overhead**: nbconnect's time per ``tools/call`` over a direct runner call of the same
  request in this process, both the public one-call API
  (``nbconnect.testing.running.test_endpoint``, a client per call) and a prepared run (one
  kept client, the runner's ``_run_one``: the floor), timed in the same interleaved blocks.

Goals (issue 11): start-up <= FastMCP's, call rate >= 1x FastMCP's, overhead <= 1.2x. A
case that fails (the peer does not install, a server does not start, a call errors) is
reported, never a crash.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

PEER_VENV = Path("/tmp/nbconnect-bench-fastmcp")
PEER = "fastmcp==4.1.6"
KEY_ENV = "BENCH_MCP_KEY"
KEY = "bench-mcp-key-0123456789"
TOOL = "getTask"
ARGS = {"projectId": "p_launch", "taskId": 7}

FASTMCP_SERVER = """\
import json, sys
import httpx2
from fastmcp import FastMCP

spec = json.load(open(sys.argv[1], encoding="utf-8"))
headers = {sys.argv[3]: sys.argv[4]} if sys.argv[3] else {}
client = httpx2.AsyncClient(base_url=sys.argv[2], headers=headers, timeout=30)
FastMCP.from_openapi(openapi_spec=spec, client=client, name="demo").run(show_banner=False)
"""

MOCK_SERVER = """\
import sys
from nbconnect.mock.server import serve
serve(sys.argv[1], credentials={sys.argv[2]: sys.argv[3]} if sys.argv[2] else None)
"""


def _peer_python() -> Path:
    """The peer venv's python, making the venv and installing FastMCP when missing."""
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    probe = subprocess.run([str(python), "-c", "import fastmcp; print(fastmcp.__version__)"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", PEER], check=True,
                       timeout=600)
    return python


def _api_key(spec: dict[str, Any]) -> tuple[str, str]:
    """(scheme name, header name) of the spec's first API-key-in-a-header scheme, or
    ("", "") when it has none (then the mock checks no credential)."""
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    for name, scheme in schemes.items():
        if isinstance(scheme, dict) and scheme.get("type") == "apiKey" and \
                scheme.get("in") == "header":
            return str(name), str(scheme.get("name"))
    return "", ""


def _start_mock(spec: Path, scheme: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-c", MOCK_SERVER, str(spec), scheme, KEY],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if " at http" in line:
            return proc, line.rsplit(" at ", 1)[1].strip()
    proc.kill()
    raise RuntimeError("the mock did not start: " + (proc.stderr.read() if proc.stderr else ""))


def _package(spec: Path, url: str, where: Path) -> Path:
    from nbconnect import Connector
    from nbconnect.model import Connection

    c = Connector("demo")
    c.import_spec(spec)
    secrets = {"value": f"env:{KEY_ENV}"} if c.auth is not None and \
        c.auth.type == "api-key" else {}
    c.connections = (Connection("bench", url, secrets=secrets, default=True),)
    pkg = where / "demo-pkg"
    c.export(pkg)
    return pkg


def _params(command: str, args: list[str]) -> Any:
    from mcp import StdioServerParameters

    return StdioServerParameters(command=command, args=args,
                                 env={**os.environ, KEY_ENV: KEY})


async def _start_once(params: Any) -> tuple[float, int]:
    from mcp import Client

    start = time.perf_counter()
    async with Client(params, mode="legacy", read_timeout_seconds=120) as client:
        tools = await client.list_tools()
        elapsed = time.perf_counter() - start
    return elapsed, len(tools.tools)


async def _calls(servers: list[tuple[str, Any]], pkg: Path, n: int,
                 rounds: int = 10) -> dict[str, tuple[float, int]]:
    """{case: (seconds for n calls, failed calls)} for each MCP server (one session each,
    all open at once) and for the two direct runner calls (``test_endpoint``, a client per
    call; ``prepared run``, the runner's ``_run_one`` with one kept client), the calls
    made in ``rounds`` interleaved blocks (the shared machine's load changes)."""
    from contextlib import AsyncExitStack

    from mcp import Client

    import nbconnect
    from nbconnect.testing.running import _make_run, _run_one, test_endpoint

    connector = nbconnect.load(pkg)
    run = _make_run(connector, None, prompt=None, verify=True, timeout=None, transport=None,
                    concurrency=1, retries=None, retry_wait=None, sample_bytes=None)
    ep = connector.endpoint(TOOL)
    cases: dict[str, Any] = {}
    async with AsyncExitStack() as stack:
        for name, params in servers:
            client = await stack.enter_async_context(
                Client(params, mode="legacy", read_timeout_seconds=120))

            async def call(client: Any = client) -> bool:
                return not (await client.call_tool(TOOL, ARGS)).is_error

            cases[name] = call

        async def public() -> bool:
            return test_endpoint(connector, TOOL, params=ARGS).ok

        async def prepared() -> bool:
            return _run_one(run, ep, ARGS).ok

        cases["test_endpoint"] = public
        cases["prepared run"] = prepared
        out: dict[str, list[float]] = {name: [0.0, 0] for name in cases}
        for fn in cases.values():
            for _ in range(10):
                await fn()
        block = max(1, n // rounds)
        done = 0
        while done < n:
            size = min(block, n - done)
            for name, fn in cases.items():
                start = time.perf_counter()
                for _ in range(size):
                    out[name][1] += not await fn()
                out[name][0] += time.perf_counter() - start
            done += size
    run.client.close()
    return {name: (secs, int(failed)) for name, (secs, failed) in out.items()}


def _case(label: str, fn: Any, *args: Any) -> Any:
    import inspect

    import anyio

    try:
        return anyio.run(fn, *args) if inspect.iscoroutinefunction(fn) else fn(*args)
    except Exception as exc:  # a failing case is reported, never a crash
        print(f"  {label}: FAILED ({type(exc).__name__}: {str(exc)[:200]})")
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--spec", type=Path, default=None)
    opts = parser.parse_args()
    import yaml

    import nbconnect

    spec_src = opts.spec or Path(nbconnect.demo_spec_path())
    tmp = Path(tempfile.mkdtemp(prefix="bench-mcp-"))
    spec_json = tmp / "spec.json"
    text = spec_src.read_text(encoding="utf-8")
    spec_json.write_text(json.dumps(yaml.safe_load(text)), encoding="utf-8")
    (tmp / "fastmcp_server.py").write_text(FASTMCP_SERVER, encoding="utf-8")
    os.environ[KEY_ENV] = KEY
    print(f"spec: {spec_src.name}; {opts.calls} calls of {TOOL}; {opts.starts} start-ups each")
    peer = _case("installing FastMCP into " + str(PEER_VENV), _peer_python)
    scheme, header = _api_key(json.loads(spec_json.read_text(encoding="utf-8")))
    started = _case("the mock API", _start_mock, spec_json, scheme)
    if started is None:
        return 1
    mock, url = started
    try:
        pkg = _case("the package", _package, spec_json, url, tmp)
        if pkg is None:
            return 1
        ours = _params(sys.executable, ["-m", "nbconnect", "mcp", "serve", str(pkg)])
        theirs = _params(str(peer), [str(tmp / "fastmcp_server.py"), str(spec_json), url,
                                     header, KEY]) if peer else None
        servers = [("nbconnect", ours)] + ([("FastMCP", theirs)] if theirs else [])
        starts: dict[str, list[float]] = {name: [] for name, _ in servers}
        counts: dict[str, int] = {}
        for _ in range(opts.starts):
            for name, params in servers:
                got = _case(f"{name} start-up", _start_once, params)
                if got is not None and got[1] == 0:
                    print(f"  {name} start-up: FAILED (it listed no tools)")
                elif got is not None:
                    starts[name].append(got[0])
                    counts[name] = got[1]
        rates: dict[str, float] = {}
        timed = _case("calls", _calls, servers, pkg, opts.calls) or {}
        for name, (seconds, failed) in timed.items():
            if failed:
                print(f"  {name} calls: FAILED ({failed} of {opts.calls} answers were errors)")
                continue
            rates[name] = opts.calls / seconds
    finally:
        mock.kill()
        mock.wait()
    print()
    print(f"{'server':<10} {'tools':>5} {'start-up (median)':>18} {'calls/s':>9} {'ms/call':>8}")
    for name, _ in servers:
        med = statistics.median(starts[name]) if starts[name] else float("nan")
        rate = rates.get(name, float("nan"))
        print(f"{name:<10} {counts.get(name, 0):>5} {med:>16.3f} s {rate:>9.1f} "
              f"{1000 / rate if rate == rate else float('nan'):>8.2f}")
    print()
    ok = True
    measured = 0
    if starts.get("FastMCP") and starts["nbconnect"]:
        measured += 1
        ratio = statistics.median(starts["nbconnect"]) / statistics.median(starts["FastMCP"])
        ok &= ratio <= 1.0
        print(f"start-up nbconnect / FastMCP: {ratio:.2f}x (goal <= 1.0x)")
    if "FastMCP" in rates and "nbconnect" in rates:
        measured += 1
        ratio = rates["nbconnect"] / rates["FastMCP"]
        ok &= ratio >= 1.0
        print(f"call rate nbconnect / FastMCP: {ratio:.2f}x (goal >= 1.0x)")
    if {"nbconnect", "test_endpoint", "prepared run"} <= set(rates):
        measured += 1
        per_call = 1 / rates["nbconnect"]
        public, floor = 1 / rates["test_endpoint"], 1 / rates["prepared run"]
        print(f"direct runner call: {public * 1000:.2f} ms (test_endpoint), "
              f"{floor * 1000:.2f} ms (prepared run)")
        print(f"tool-call overhead over test_endpoint: {per_call / public:.2f}x (goal <= 1.2x)")
        print(f"tool-call overhead over a prepared run: {per_call / floor:.2f}x")
        ok &= per_call / public <= 1.2
    if measured < 3:
        print(f"goals: only {measured} of 3 could be measured (see the failures above)")
        return 1
    print("goals met" if ok else "goals NOT all met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
