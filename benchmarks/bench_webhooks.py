"""Benchmark: verified webhook events per second through the real receiver, against a bare
starlette endpoint that only answers 200, on loopback with a concurrent load generator.

Run from the repository root (a script, not a test; one run)::

    .venv/bin/python benchmarks/bench_webhooks.py [--events 4000] [--connections 32]

Each server runs in a **separate process** with the same uvicorn settings
(:class:`nbconnect.serving.BackgroundServer`: one worker, the standard asyncio loop,
``log_level=warning``, no access log), serving one literal path
``/webhooks/orders/<token>``:

* **bare**: a starlette ``Route`` whose endpoint returns ``Response(b'{"status":"stored"}')``
  without reading the body (the floor the goal is measured against);
* **receiver + SQLite**: :class:`nbconnect.webhooks.receiver.Receiver` with the Standard
  Webhooks preset (HMAC-SHA256 over ``{id}.{timestamp}.{body}``, base64), every event
  verified and committed to the SQLite log (WAL, ``synchronous=FULL``, group commit) before
  its 200;
* **receiver + Redis**: the same with the Redis Streams log on Debian's ``redis-server``
  (``appendonly yes``, ``appendfsync always``: every acknowledged event fsynced).

The load generator is a raw asyncio HTTP/1.1 client in this process: ``--connections``
keep-alive connections, each sending its share of ``--events`` pre-signed requests (a ~1 KB
JSON body, unique delivery ids) one after another and reading each response; signing is
done before the clock starts, so the generator costs as little as possible. A run counts
only 200s, and for the receiver checks afterwards that the log holds exactly ``--events``
verified events (a fast wrong answer cannot win). Each case is warmed up (200 requests),
then timed ``--rounds`` times (default 5) interleaved: one round runs bare, SQLite and
Redis one after another, so the three see the same machine load. Printed: the median
round's events/s, its p50/p99 latency and the server process's CPU time per event
(``/proc/PID/stat``), and the ratio to bare as the **median of the per-round ratios**
(each receiver round against the bare round next to it: on a shared machine the load
changes between rounds far more than within one), with their range. Goal: receiver >=
0.7x bare, with either log.

``--app-only`` measures just the receiver's own work, with much less noise: the ASGI app is
called directly (no sockets, no HTTP parsing) with the same pre-signed deliveries, in
bursts of ``--connections`` concurrent requests, over the SQLite log (real fsyncs) and an
in-memory log; printed is this process's CPU time per event (both threads) per round.

"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

SECRET_ENV = "BENCH_WEBHOOK_SECRET"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # Standard Webhooks' format (base64 key)
TOKEN = "benchmarktoken-0123456789abcdef"


def _connector() -> Any:
    from nbconnect.model import Connector
    from nbconnect.model.webhook import Webhook, Webhooks
    from nbconnect.webhooks.presets import preset

    c = Connector(name="bench", base_url="https://api.example.com")
    c.webhooks = Webhooks.of([Webhook("orders", token=TOKEN, signature=preset(
        "standard-webhooks").signature(f"env:{SECRET_ENV}"))])
    return c


# --------------------------------------------------------------------------- servers


def _serve(kind: str, log: str | None) -> None:
    """The server process: print the port, serve until killed."""
    from nbconnect.serving import BackgroundServer

    if kind == "bare":
        from starlette.applications import Starlette
        from starlette.responses import Response
        from starlette.routing import Route

        async def ok(request: Any) -> Any:
            return Response(b'{"status":"stored"}', media_type="application/json")

        app = Starlette(routes=[Route(f"/webhooks/orders/{TOKEN}", ok, methods=["POST"])])
    else:
        from nbconnect.webhooks.eventlog import open_event_log
        from nbconnect.webhooks.receiver import Receiver

        connector = _connector()
        app = Receiver(connector, open_event_log(log, namespace=connector.name)).app
    server = BackgroundServer(app, name=f"bench {kind}")
    server.serve_forever(ready=lambda: print(f"PORT {server.port}", flush=True))


def _start(kind: str, log: str | None) -> tuple[subprocess.Popen[str], int]:
    env = {**os.environ, SECRET_ENV: SECRET}
    cmd = [sys.executable, __file__, "--serve", kind] + (["--log", log] if log else [])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    found = re.match(r"PORT (\d+)", line)
    if not found:
        proc.kill()
        raise SystemExit(f"{kind} server did not start: {line!r}")
    return proc, int(found.group(1))


# --------------------------------------------------------------------------- load


def _requests(n: int, port: int, start: int) -> list[bytes]:
    """``n`` pre-signed raw HTTP/1.1 requests with delivery ids ``start``..."""
    from nbconnect.webhooks.signing import sign

    hook = _connector().webhooks["orders"]
    now = time.time()
    pad = "x" * 900
    out = []
    for i in range(start, start + n):
        body = json.dumps({"type": "order.created", "data": {"id": i, "note": pad}}).encode()
        headers = sign(hook, body, secret=SECRET, now=now, delivery_id=f"msg_{i}")
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        out.append((f"POST /webhooks/orders/{TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                    f"{head}\r\n").encode() + body)
    return out


async def _connection(port: int, requests: list[bytes], latencies: list[float]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    ok = 0
    try:
        for raw in requests:
            t0 = time.perf_counter()
            writer.write(raw)
            status = int((await reader.readline()).split()[1])
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            ok += status == 200
    finally:
        writer.close()
    return ok


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) the process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load(port: int, requests: list[bytes], connections: int) -> dict[str, float]:
    latencies: list[float] = []
    shares = [requests[i::connections] for i in range(connections)]

    async def run() -> int:
        done = await asyncio.gather(*[_connection(port, s, latencies) for s in shares if s])
        return sum(done)

    t0 = time.perf_counter()
    ok = asyncio.run(run())
    wall = time.perf_counter() - t0
    latencies.sort()
    return {"ok": ok, "rate": ok / wall, "p50": latencies[len(latencies) // 2] * 1000,
            "p99": latencies[int(len(latencies) * 0.99)] * 1000}


# --------------------------------------------------------------------------- app only


def _app_only(args: argparse.Namespace) -> None:
    """The receiver app called directly (see the module docstring)."""
    from nbconnect.webhooks.eventlog import EventLog, StoredEvent, open_event_log
    from nbconnect.webhooks.receiver import Receiver
    from nbconnect.webhooks.signing import sign

    class MemoryLog(EventLog):
        location = "memory"

        def __init__(self) -> None:
            self.seen: set[tuple[str, str]] = set()

        def append(self, event: StoredEvent) -> bool:
            key = (event.webhook, event.delivery_id)
            new = key not in self.seen
            self.seen.add(key)
            return new

        async def append_async(self, event: StoredEvent) -> bool:
            return self.append(event)

        def events(self, webhook: str | None = None, *,
                   limit: int | None = None) -> list[StoredEvent]:
            return []

    os.environ[SECRET_ENV] = SECRET
    connector = _connector()
    hook = connector.webhooks["orders"]
    path = f"/webhooks/orders/{TOKEN}"
    tmp = Path(tempfile.mkdtemp(prefix="bench-webhooks-app-"))
    logs = {"SQLite": open_event_log(tmp / "events.sqlite"), "memory": MemoryLog()}
    apps = {name: Receiver(connector, log).app for name, log in logs.items()}
    sent = 0

    def deliveries(n: int) -> list[tuple[list[tuple[bytes, bytes]], bytes]]:
        nonlocal sent
        out = []
        for i in range(sent, sent + n):
            body = json.dumps({"type": "order.created",
                               "data": {"id": i, "note": "x" * 900}}).encode()
            headers = [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                       (b"content-length", str(len(body)).encode())]
            headers += [(k.lower().encode(), v.encode()) for k, v in
                        sign(hook, body, secret=SECRET, delivery_id=f"msg_{i}").items()]
            out.append((headers, body))
        sent += n
        return out

    async def one(app: Any, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        scope = {"type": "http", "method": "POST", "path": path, "raw_path": path.encode(),
                 "root_path": "", "query_string": b"", "headers": headers, "scheme": "http",
                 "http_version": "1.1", "server": ("127.0.0.1", 80),
                 "client": ("127.0.0.1", 1)}
        status: list[int] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await app(scope, receive, send)
        if status != [200]:
            raise SystemExit(f"the receiver answered {status}")

    async def burst(app: Any, items: list[tuple[Any, bytes]]) -> None:
        for i in range(0, len(items), args.connections):
            await asyncio.gather(*[one(app, h, b) for h, b in
                                   items[i:i + args.connections]])

    cpu: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(args.rounds):
        for name, app in apps.items():
            items = deliveries(args.events)
            t0 = time.process_time()
            asyncio.run(burst(app, items))
            cpu[name].append((time.process_time() - t0) / args.events * 1e6)
    for log in logs.values():
        log.close()
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"receiver app only: {args.events} events x {args.rounds} rounds, bursts of "
          f"{args.connections}; this process's CPU per event (median, per round):")
    for name, runs in cpu.items():
        print(f"  {name + ' log':<12} {statistics.median(runs):5.0f} us/event  "
              f"{[round(r) for r in runs]}")


# --------------------------------------------------------------------------- the run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--redis-appendfsync", default="always",
                        choices=("always", "everysec", "no"),
                        help="Redis's fsync policy (only 'always' makes every 200 durable)")
    parser.add_argument("--app-only", action="store_true",
                        help="measure the receiver app alone, called directly (no HTTP)")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--log", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve, args.log)
        return
    if args.app_only:
        _app_only(args)
        return
    from tests.redisserver import RedisServer

    from nbconnect.webhooks.eventlog import open_event_log

    tmp = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    redis_server = RedisServer(tmp / "redis", appendfsync=args.redis_appendfsync).start()
    cases = {"bare": None, "receiver + SQLite": str(tmp / "events.sqlite"),
             "receiver + Redis": redis_server.url}
    servers = {name: _start("bare" if log is None else "receiver", log)
               for name, log in cases.items()}
    results: dict[str, list[dict[str, float]]] = {name: [] for name in cases}
    sent = 0
    try:
        for _, port in servers.values():  # warm-up
            _load(port, _requests(200, port, sent), 8)
            sent += 200
        for _ in range(args.rounds):
            for name, (proc, port) in servers.items():
                reqs = _requests(args.events, port, sent)
                sent += args.events
                cpu = _cpu(proc.pid)
                result = _load(port, reqs, args.connections)
                result["cpu_us"] = (_cpu(proc.pid) - cpu) / args.events * 1e6
                if result["ok"] != args.events:
                    raise SystemExit(f"{name}: only {result['ok']:.0f} of {args.events} "
                                     "requests got 200")
                results[name].append(result)
        for name, log in cases.items():
            if log is not None:
                stored = open_event_log(log, namespace="bench").events("orders")
                expected = 200 + args.rounds * args.events
                if len(stored) != expected or not all(e.verified for e in stored):
                    raise SystemExit(f"{name}: {len(stored)} events stored, {expected} "
                                     "expected, all verified")
    finally:
        for proc, _ in servers.values():
            proc.kill()
            proc.wait()
        redis_server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{args.events} events x {args.rounds} rounds, {args.connections} keep-alive "
          f"connections, ~1 KB JSON bodies, Standard Webhooks signatures, Redis appendfsync "
          f"{args.redis_appendfsync}; median round, ratios: median of per-round ratios:")
    bare = results["bare"]
    for name, runs in results.items():
        med = sorted(runs, key=lambda r: r["rate"])[len(runs) // 2]
        ratios = sorted(r["rate"] / b["rate"] for r, b in zip(runs, bare, strict=True))
        cpus = [r["cpu_us"] / b["cpu_us"] for r, b in zip(runs, bare, strict=True)]
        ratio = statistics.median(ratios)
        met = "met" if ratio >= 0.7 else "NOT met"
        goal = "" if name == "bare" else (f" (per round {ratios[0]:.2f}-{ratios[-1]:.2f}; "
                                          f"goal >= 0.70x: {met})")
        print(f"  {name:<18} {med['rate']:6.0f} events/s  p50 {med['p50']:5.1f} ms  "
              f"p99 {med['p99']:6.1f} ms  server CPU {med['cpu_us']:4.0f} us/event "
              f"({statistics.median(cpus):4.2f}x bare)  {ratio:4.2f}x bare{goal}")


if __name__ == "__main__":
    main()
