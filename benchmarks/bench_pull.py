"""Benchmark: inferring a response tree from ~20 MB of JSON, nbconnect's pull vs genson.

Run from the repository root (it is a script, not a test)::

    .venv/bin/python benchmarks/bench_pull.py              # ~20 MB, 5 runs each
    .venv/bin/python benchmarks/bench_pull.py --mb 5 --runs 3

The input is a JSON array of realistic API objects (users with nested addresses, orders and
their lines, nullable and optional fields, dates, e-mails, URLs, UUIDs) made from a fixed
seed, so every run reads the same bytes. Both tools get the same parsed data in the same
process: nbconnect's :class:`nbconnect.pull.infer.Inference` (plus building the field
list, :func:`nbconnect.pull.tree.fields_from`) and genson's ``SchemaBuilder`` (``add_object``
then ``to_schema``). Times are medians of ``--runs`` interleaved runs (A B A B ..., so a
change of load hits both alike) and the ratio the median of the per-run ratios; memory is
measured with tracemalloc: the parsed input's size (what ``json.loads`` keeps) and the peak
while inferring (input included), for both tools.

Goals (issue 9): nbconnect at least 2x faster than genson, and its peak at most 2x the
parsed input.
A goal that is missed is printed as FAIL (exit status 1); the benchmark never crashes on it.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import string
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
          "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo",
          "sierra", "tango", "uniform", "victor", "whiskey", "xray")
_CITIES = ("Lisbon", "Porto", "Berlin", "Paris", "Oslo", "Austin", "Kyoto", "Lima")


def _user(rng: random.Random, n: int) -> dict[str, Any]:
    created = f"20{rng.randint(10, 25):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    user: dict[str, Any] = {
        "id": n,
        "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "login": "".join(rng.choices(string.ascii_lowercase, k=rng.randint(5, 10))),
        "name": f"{rng.choice(_WORDS).title()} {rng.choice(_WORDS).title()}",
        "email": f"user{n}@example.{rng.choice(('com', 'org', 'net'))}",
        "avatar_url": f"https://cdn.example.com/avatars/{n}.png",
        "created_at": f"{created}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z",
        "updated_at": None if rng.random() < 0.3 else f"{created}T12:00:00+02:00",
        "birthday": created if rng.random() < 0.5 else None,
        "score": round(rng.uniform(0, 100), 2) if rng.random() < 0.9 else rng.randint(0, 100),
        "active": rng.random() < 0.8,
        "tags": rng.sample(_WORDS, rng.randint(0, 4)),
        "address": {
            "street": f"{rng.randint(1, 300)} {rng.choice(_WORDS).title()} Street",
            "city": rng.choice(_CITIES),
            "zip": f"{rng.randint(10000, 99999)}",
            "geo": {"lat": rng.uniform(-90, 90), "lng": rng.uniform(-180, 180)},
        },
        "orders": [
            {"order_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
             "total": round(rng.uniform(1, 500), 2),
             "currency": rng.choice(("EUR", "USD")),
             "placed": f"{created}T10:00:00Z",
             "lines": [{"sku": f"SKU-{rng.randint(1, 9999)}", "qty": rng.randint(1, 5),
                        "price": round(rng.uniform(1, 99), 2)}
                       for _ in range(rng.randint(1, 3))]}
            for _ in range(rng.randint(0, 3))],
    }
    if rng.random() < 0.4:
        user["bio"] = " ".join(rng.choices(_WORDS, k=rng.randint(3, 12)))
    if rng.random() < 0.1:
        user["manager"] = {"id": rng.randint(1, n + 1), "name": rng.choice(_WORDS)}
    return user


def make_input(mb: float, seed: int = 20261130) -> bytes:
    """A JSON array of users, about ``mb`` megabytes, the same bytes for the same seed."""
    rng = random.Random(seed)
    target = int(mb * 1024 * 1024)
    parts: list[str] = []
    size = 2
    n = 0
    while size < target:
        text = json.dumps(_user(rng, n), separators=(",", ":"))
        parts.append(text)
        size += len(text) + 1
        n += 1
    return ("[" + ",".join(parts) + "]").encode()


def ours(data: Any) -> Any:
    from nbconnect.pull.infer import Inference
    from nbconnect.pull.tree import fields_from

    inference = Inference()
    inference.add(data)
    return fields_from(inference.root)


def genson(data: Any) -> Any:
    from genson import SchemaBuilder

    builder = SchemaBuilder()
    builder.add_object(data)
    return builder.to_schema()


def timed(fns: list[Callable[[Any], Any]], data: Any, runs: int) -> list[list[float]]:
    """Seconds per run of each of ``fns``, the runs interleaved (A B A B ...), so a change
    of load on a shared machine hits both tools alike."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for i, fn in enumerate(fns):
            gc.collect()
            start = time.perf_counter()
            fn(data)
            times[i].append(time.perf_counter() - start)
    return times


def peak(fn: Callable[[Any], Any], raw: bytes) -> tuple[int, int]:
    """(bytes json.loads keeps for ``raw``, peak traced bytes while ``fn`` runs on it,
    the input included)."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    data = json.loads(raw)
    parsed = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.reset_peak()
    fn(data)
    top = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    del data
    return parsed, top


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=20.0, help="input size in MB (default 20)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per tool (default 5)")
    ap.add_argument("--seed", type=int, default=20261130)
    args = ap.parse_args(argv)
    failures: list[str] = []
    try:
        raw = make_input(args.mb, args.seed)
        data = json.loads(raw)
        print(f"input: {len(raw) / 1e6:.1f} MB of JSON, {len(data):,} objects "
              f"(seed {args.seed})")
        ours(data)  # warm imports
        genson(data[:10])
        mine, theirs = timed([ours, genson], data, args.runs)
        t_ours, t_genson = statistics.median(mine), statistics.median(theirs)
        speed = statistics.median(g / o for o, g in zip(mine, theirs, strict=True))
        print(f"time   nbconnect pull {t_ours:.3f} s   genson {t_genson:.3f} s   (medians of "
              f"{args.runs} interleaved runs)   ratio {speed:.2f}x faster (median of the "
              "per-run ratios; goal >= 2x)")
        if speed < 2:
            failures.append(f"speed ratio {speed:.2f}x < 2x")
        del data
        parsed, ours_peak = peak(ours, raw)
        _, genson_peak = peak(genson, raw)
        ratio = ours_peak / parsed
        print(f"memory parsed input {parsed / 1e6:.1f} MB   peak while inferring (input "
              f"included): nbconnect {ours_peak / 1e6:.1f} MB ({ratio:.2f}x the input, "
              f"goal <= 2x), genson {genson_peak / 1e6:.1f} MB "
              f"({genson_peak / parsed:.2f}x)")
        print(f"memory beyond the input: nbconnect {(ours_peak - parsed) / 1e6:.2f} MB, "
              f"genson {(genson_peak - parsed) / 1e6:.2f} MB")
        if ratio > 2:
            failures.append(f"peak {ratio:.2f}x the parsed input > 2x")
    except Exception as exc:  # a benchmark reports, it does not crash
        failures.append(f"the benchmark could not run ({type(exc).__name__}: {exc})")
    for f in failures:
        print(f"FAIL: {f}")
    if not failures:
        print("ok: both goals met")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
