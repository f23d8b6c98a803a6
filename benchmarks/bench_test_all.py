"""Benchmark: "test all" (nbconnect.testing.runner) against newman and a bare httpx2 client loop.

Run from the repository root after ``npm ci`` (it is a script, not a test; one run)::

    .venv/bin/python benchmarks/bench_test_all.py

A local API runs in a **separate process** (uvicorn on 127.0.0.1, a raw ASGI app so the
server costs as little as possible): 150 GET operations ``/v1/r000/{itemId}`` ...
``/v1/r149/{itemId}``, each checking the ``X-API-Key`` header and answering a small JSON
object after a fixed delay. The connector is imported from the matching OpenAPI 3.0
spec (150 operations, an API-key security scheme, a response schema per operation, so
nbconnect checks every body against it), with a test connection whose key comes from an
``env:`` reference.

Cases:

1. **~20 ms per request, 150 endpoints.** ``Connector.test()`` (default concurrency,
   :data:`nbconnect.testing.runner.DEFAULT_CONCURRENCY`) vs **newman** (``./node_modules/.bin/
   newman run`` on our Postman export of the same connector; newman runs requests one
   after another; its wall time includes starting node, as a user sees it) vs the
   **floor**: a bare httpx2 loop, the same concurrency (a thread pool and one shared
   ``httpx2.Client`` with the same connection limits), each thread doing
   ``client.get(url, headers=...)`` and reading the body. Goals: test-all >= 12x faster
   than newman; test-all <= 1.25x the floor. The ``nbconnect test PKG`` CLI (a fresh
   process, imports included) is timed too when it exists, for information.
2. **No delay.** Per-request overhead of nbconnect (request building, auth, schema
   check, result) over the bare httpx2 loop: the median of 5 interleaved runs of 150
   requests each, at concurrency 1 (the cleanest per-request figure: no thread
   contention on this 2-CPU kind of machine) and at the default concurrency. Goal:
   overhead <= 25 %. The server shares the machine, so wall time hides part of the
   client's cost: the client process's CPU time per request is printed too.
3. **2 MB per response, 150 endpoints.** Peak RSS (``resource.getrusage``,
   ``ru_maxrss``) of a fresh Python process that imports nbconnect and runs test-all;
   a process that does everything but the test run gives the baseline. Goal: peak
   <= 300 MB.

Every contender is run once untimed first (warm-up: imports, the first connection,
jsonschema compiling the validators). In case 1 test-all and the floor are then timed
as the median of 3 interleaved runs (a shared machine is noisy), newman and the CLI
once; cases 1 and 3 check that every endpoint passed, so a fast wrong answer cannot
win.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NEWMAN = ROOT / "node_modules" / ".bin" / "newman"
N_ENDPOINTS = 150
DELAY_S = 0.020
BIG_BYTES = 2_000_000
API_KEY = "bench-key-0123456789"
ENV_NAME = "NBCONNECT_BENCH_KEY"

NEWMAN_GOAL = 12.0  # test-all at least this many times faster than newman
FLOOR_GOAL = 1.25  # test-all at most this many times the bare httpx2 floor
OVERHEAD_GOAL = 0.25  # per-request overhead over bare httpx2
RSS_GOAL_MB = 300.0
SWEEP = (1, 5, 10, 20, 50)


# --------------------------------------------------------------------------- server


def _body(i: int, size: int) -> bytes:
    if size <= 0:
        return json.dumps({"id": 7, "name": f"item {i}", "tags": ["a", "b"]}).encode()
    head = json.dumps({"id": 7, "name": f"item {i}", "tags": ["a"], "data": ""}).encode()
    return head[:-2] + b"x" * max(0, size - len(head)) + b'"}'


def make_app(delay: float, size: int) -> Any:
    """A raw ASGI app: GET /v1/rNNN/{itemId} with the API key -> a JSON item."""
    import asyncio

    bodies = {i: _body(i, size) for i in range(N_ENDPOINTS)}
    key = API_KEY.encode()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        parts = scope["path"].split("/")
        status, body = 404, b'{"error": "not found"}'
        if len(parts) == 4 and parts[1] == "v1" and parts[2][:1] == "r" \
                and parts[2][1:].isdigit() and int(parts[2][1:]) in bodies:
            if dict(scope["headers"]).get(b"x-api-key") != key:
                status, body = 401, b'{"error": "unauthorized"}'
            else:
                status, body = 200, bodies[int(parts[2][1:])]
        if delay:
            await asyncio.sleep(delay)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    return app


def serve(delay: float, size: int) -> None:
    """Run the app under uvicorn on a free loopback port; print the port, serve forever."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit TCP_NODELAY on Linux. Without it the response body (a
    # second small write after the headers) waits for the client's delayed ACK: ~40 ms
    # per request on a keep-alive connection, which would dwarf everything measured.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(make_app(delay, size), log_config=None, log_level="warning",
                            access_log=False, lifespan="off", server_header=False,
                            date_header=False, backlog=1024)
    uvicorn.Server(config).run(sockets=[sock])


class Server:
    """The API in a subprocess (``with Server(delay, size) as url:``)."""

    def __init__(self, delay: float, size: int = 0) -> None:
        self.delay, self.size = delay, size
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> str:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(self.delay), str(self.size)],
            stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        port = int(self.proc.stdout.readline())
        url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 10
        while True:  # wait until uvicorn answers
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        return url

    def __exit__(self, *exc: Any) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(timeout=10)


# --------------------------------------------------------------------------- connector


def spec() -> dict[str, Any]:
    item = {"type": "object", "required": ["id", "name"],
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                           "tags": {"type": "array", "items": {"type": "string"}},
                           "data": {"type": "string"}}}
    paths = {}
    for i in range(N_ENDPOINTS):
        paths[f"/r{i:03d}/{{itemId}}"] = {"get": {
            "operationId": f"getR{i:03d}", "summary": f"Get item of resource {i}",
            "parameters": [{"name": "itemId", "in": "path", "required": True,
                            "schema": {"type": "integer", "example": 7}}],
            "responses": {"200": {"description": "The item.", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}}}}}
    return {"openapi": "3.0.3", "info": {"title": "Bench API", "version": "1.0"},
            "servers": [{"url": "https://bench.example.com/v1"}],
            "security": [{"apiKey": []}], "paths": paths,
            "components": {"schemas": {"Item": item}, "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}}}


def connector(url: str) -> Any:
    import nbconnect
    from nbconnect.model import Connection

    os.environ[ENV_NAME] = API_KEY
    c = nbconnect.Connector("bench")
    c.import_spec(json.dumps(spec()))
    c.connections = (Connection("local", url, secrets={"value": f"env:{ENV_NAME}"},
                                default=True),)
    return c


def urls(base: str) -> list[str]:
    return [f"{base}/r{i:03d}/7" for i in range(N_ENDPOINTS)]


# --------------------------------------------------------------------------- contenders


CPU: dict[str, float] = {}  # the client process's CPU seconds of the last run of each


def run_nbconnect(c: Any, concurrency: int | None = None) -> float:
    cpu = time.process_time()
    start = time.perf_counter()
    report = c.test(concurrency=concurrency, progress=lambda *a: None)
    took = time.perf_counter() - start
    CPU["nbconnect"] = time.process_time() - cpu
    if report.failed:
        raise SystemExit(f"nbconnect: {report.failed} endpoints failed:\n{report}")
    return took


_SSL_CONTEXT: list[Any] = []


def run_bare(base: str, concurrency: int) -> float:
    import httpx2

    if not _SSL_CONTEXT:  # made once, as nbconnect does: loading the CA bundle is slow
        _SSL_CONTEXT.append(httpx2.create_ssl_context())
    limits = httpx2.Limits(max_connections=concurrency,
                           max_keepalive_connections=concurrency)
    headers = {"X-API-Key": API_KEY, "Accept": "application/json"}
    cpu = time.process_time()
    start = time.perf_counter()
    with httpx2.Client(limits=limits, timeout=10.0, verify=_SSL_CONTEXT[0]) as client, \
            ThreadPoolExecutor(max_workers=concurrency) as pool:
        def get(url: str) -> int:
            response = client.get(url, headers=headers)
            response.read()
            return response.status_code

        codes = list(pool.map(get, urls(base)))
    took = time.perf_counter() - start
    CPU["bare"] = time.process_time() - cpu
    if any(code != 200 for code in codes):
        raise SystemExit(f"bare httpx2: statuses {sorted(set(codes))}")
    return took


def run_newman(collection: Path, base: str, tmp: Path) -> tuple[float, float]:
    """(wall seconds, newman's own run time in seconds)."""
    report = tmp / "newman-report.json"
    cmd = [str(NEWMAN), "run", str(collection), "--env-var", f"baseUrl={base}",
           "--env-var", f"apiKey={API_KEY}", "-r", "json", "--reporter-json-export",
           str(report), "--timeout-request", "10000"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    took = time.perf_counter() - start
    data = json.loads(report.read_text())
    stats = data["run"]["stats"]
    if proc.returncode != 0 or stats["requests"]["total"] != N_ENDPOINTS \
            or stats["assertions"]["failed"]:
        raise SystemExit(f"newman failed (exit {proc.returncode}): {stats}")
    timings = data["run"]["timings"]
    return took, (timings["completed"] - timings["started"]) / 1000.0


def run_cli(pkg: Path) -> float | None:
    exe = Path(sys.executable).parent / "nbconnect"
    probe = subprocess.run([str(exe), "test", "--help"], capture_output=True, text=True)
    if probe.returncode != 0:
        return None
    start = time.perf_counter()
    proc = subprocess.run([str(exe), "test", str(pkg)], capture_output=True, text=True,
                          env={**os.environ, ENV_NAME: API_KEY})
    took = time.perf_counter() - start
    if proc.returncode != 0:
        print(f"  (nbconnect test exited {proc.returncode}: {proc.stderr.strip()[-300:]})")
        return None
    return took


# --------------------------------------------------------------------------- peak RSS

_RSS_CHILD = """
import json, os, resource, sys, time
sys.path.insert(0, {here!r})
import bench_test_all as b
c = b.connector({url!r})
import nbconnect.testing.runner, httpx2, jsonschema  # everything a run needs, loaded
if {run!r}:
    report = c.test(progress=lambda *a: None)
    assert report.failed == 0, str(report)
    assert all(r.size == {size} for r in report.results), [r.size for r in report.results]
print(json.dumps({{"maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""


def peak_rss_mb(url: str, run: bool) -> float:
    code = _RSS_CHILD.format(here=str(Path(__file__).parent), url=url, run=run,
                             size=BIG_BYTES)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"RSS child failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])["maxrss_kb"] / 1024.0


# --------------------------------------------------------------------------- main


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> None:
    from nbconnect.exports.postman import write_postman
    from nbconnect.testing.runner import DEFAULT_CONCURRENCY

    n = DEFAULT_CONCURRENCY
    print(f"{N_ENDPOINTS} endpoints, default concurrency {n}, {os.cpu_count()} CPUs, "
          f"Python {sys.version.split()[0]}")
    if not NEWMAN.exists():
        raise SystemExit(f"{NEWMAN} is missing: run `npm ci` at the repository root.")
    tmp = Path(tempfile.mkdtemp(prefix="nbconnect-bench-"))
    try:
        # -- 1. ~20 ms delay -------------------------------------------------------
        print(f"\n1. {N_ENDPOINTS} endpoints, {DELAY_S * 1000:.0f} ms server delay")
        with Server(DELAY_S) as url:
            c = connector(url)
            collection = write_postman(c, tmp / "bench.postman_collection.json")
            pkg = c.export(tmp / "bench-pkg")
            run_nbconnect(c)
            run_bare(url, n)
            nbs, bares = [], []
            for _ in range(3):  # interleaved, so a busy machine slows both alike
                nbs.append(run_nbconnect(c))
                bares.append(run_bare(url, n))
            t_nb, t_bare = statistics.median(nbs), statistics.median(bares)
            t_newman, t_newman_run = run_newman(collection, url, tmp)
            t_cli = run_cli(pkg)
            sweep = [(k, run_nbconnect(c, k), run_bare(url, k)) for k in SWEEP]
        seq = N_ENDPOINTS * DELAY_S
        print(f"   nbconnect test-all   {t_nb:7.3f} s   (median of 3)")
        print(f"   bare httpx2 (floor)  {t_bare:7.3f} s   (median of 3; {n} threads, one "
              "Client)")
        print(f"   newman               {t_newman:7.3f} s   (its own run timing "
              f"{t_newman_run:.3f} s; sequential, {seq:.1f} s of delays)")
        if t_cli is not None:
            print(f"   nbconnect test CLI   {t_cli:7.3f} s   (fresh process, imports "
                  "included)")
        else:
            print("   nbconnect test CLI   n/a (the `nbconnect test` verb is not there yet)")
        r_newman = t_newman / t_nb
        r_newman_run = t_newman_run / t_nb
        r_floor = t_nb / t_bare
        print(f"   newman / test-all    {r_newman:6.1f}x  (goal >= {NEWMAN_GOAL:g}x: "
              f"{verdict(r_newman >= NEWMAN_GOAL)}; on newman's own run timing "
              f"{r_newman_run:.1f}x)")
        print(f"   test-all / floor     {r_floor:6.2f}x  (goal <= {FLOOR_GOAL:g}x: "
              f"{verdict(r_floor <= FLOOR_GOAL)})")
        if t_cli is not None:
            print(f"   newman / CLI         {t_newman / t_cli:6.1f}x")
        print("   by concurrency (one run each; the default is picked from these):")
        for k, t_k, b_k in sweep:
            print(f"     {k:>3}: nbconnect {t_k:6.3f} s, bare httpx2 {b_k:6.3f} s")

        # -- 2. no delay: per-request overhead ---------------------------------------
        print(f"\n2. {N_ENDPOINTS} endpoints, no server delay: per-request overhead "
              "(median of 5 interleaved runs)")
        with Server(0.0) as url:
            c = connector(url)
            for conc in (1, n):
                run_nbconnect(c, conc)
                run_bare(url, conc)
                nbs, bares, cpu_nb, cpu_bare = [], [], [], []
                for _ in range(5):
                    nbs.append(run_nbconnect(c, conc))
                    cpu_nb.append(CPU["nbconnect"])
                    bares.append(run_bare(url, conc))
                    cpu_bare.append(CPU["bare"])
                m_nb, m_bare = statistics.median(nbs), statistics.median(bares)
                c_nb = statistics.median(cpu_nb) / N_ENDPOINTS * 1000
                c_bare = statistics.median(cpu_bare) / N_ENDPOINTS * 1000
                over = m_nb / m_bare - 1.0
                per_nb = m_nb / N_ENDPOINTS * 1000
                per_bare = m_bare / N_ENDPOINTS * 1000
                print(f"   concurrency {conc:>2}: nbconnect {m_nb:6.3f} s "
                      f"({per_nb:.2f} ms/request), bare httpx2 {m_bare:6.3f} s "
                      f"({per_bare:.2f} ms/request): overhead {over * 100:+.0f} % "
                      f"({per_nb - per_bare:+.2f} ms/request; goal <= "
                      f"{OVERHEAD_GOAL * 100:.0f} %: {verdict(over <= OVERHEAD_GOAL)})")
                print(f"                   client CPU: nbconnect {c_nb:.2f} ms/request, bare "
                      f"httpx2 {c_bare:.2f} ms/request ({(c_nb / c_bare - 1) * 100:+.0f} %)")

        # -- 3. 2 MB responses: peak RSS ---------------------------------------------
        print(f"\n3. {N_ENDPOINTS} endpoints x {BIG_BYTES / 1e6:g} MB responses: peak RSS "
              "of a fresh process")
        with Server(0.0, BIG_BYTES) as url:
            base_mb = peak_rss_mb(url, run=False)
            peak_mb = peak_rss_mb(url, run=True)
        print(f"   before the run {base_mb:6.1f} MB; peak with test-all {peak_mb:6.1f} MB "
              f"(+{peak_mb - base_mb:.1f} MB for {N_ENDPOINTS * BIG_BYTES / 1e6:.0f} MB "
              f"downloaded; goal <= {RSS_GOAL_MB:g} MB: {verdict(peak_mb <= RSS_GOAL_MB)})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve(float(sys.argv[2]), int(sys.argv[3]))
    else:
        argparse.ArgumentParser(description=__doc__.split("\n")[0]).parse_args()
        main()
