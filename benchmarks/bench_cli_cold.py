"""Benchmark: the CLI's cold start, and the first import in a kernel, with and without JupyterLab.

Run from the repository root (it is a script, not a test)::

    .venv/bin/python benchmarks/bench_cli_cold.py                 # both environments
    .venv/bin/python benchmarks/bench_cli_cold.py --runs 3
    .venv/bin/python benchmarks/bench_cli_cold.py --no-jupyterlab-python /tmp/v/bin/python

"With JupyterLab" is the interpreter running this script (the project's ``.venv`` has
JupyterLab, which pulls in jsonschema's optional format packages: ``rfc3987-syntax`` builds
Lark parsers when imported, 1.5-2.5 s of CPU). "Without JupyterLab" is a throwaway venv
in the temporary directory with only ``pip install -e <repo>`` (made on the first run and
reused; pass ``--no-jupyterlab-python`` to use another interpreter). The shared ``.venv``
is never modified.

Rows, each the median of ``--runs`` fresh processes:

1. ``nbconnect show PKG`` (a package exported from ``tests/specs/petstore-3.0.yaml``): every
   CLI command that loads a package reads its manifest, checked with jsonschema.
2. ``python -c "import nbconnect; nbconnect.import_spec(petstore)"``: the first
   ``%connect import`` of a kernel.
3. ``import jsonschema`` bare, and through ``nbconnect.spec.oas.validator.import_jsonschema``
   (what nbconnect does), for reference: the difference is the cost nbconnect avoids.

Goal: with JupyterLab, rows 1 and 2 within 0.5 s of the same rows without it.

``--before SRC`` measures the same rows a second time with another source tree first on
``PYTHONPATH`` (for instance the code before a change: ``git archive COMMIT | tar -x -C
/tmp/before`` then ``--before /tmp/before/src``), each package made by that code, and prints
the ratios after/before.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PETSTORE = REPO / "tests" / "specs" / "petstore-3.0.yaml"
VENV = Path(tempfile.gettempdir()) / "nbconnect-bench-no-jupyterlab"
GOAL_S = 0.5


def no_jupyterlab_python(given: str | None) -> str:
    """An interpreter with nbconnect and without JupyterLab (a throwaway venv by default)."""
    if given:
        return given
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"making {VENV} (pip install -e {REPO}; once)...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-e", str(REPO)],
                       check=True)
    return str(python)


def has(python: str, module: str) -> bool:
    code = f"import importlib.util as u, sys; sys.exit(0 if u.find_spec({module!r}) else 1)"
    return subprocess.run([python, "-c", code]).returncode == 0


def _env(src: str | None) -> dict[str, str]:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    if src:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    return env


def timed(cmd: list[str], runs: int, cwd: str, src: str | None = None) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, env=_env(src))
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def make_package(python: str, where: Path, src: str | None = None) -> Path:
    code = ("import nbconnect\nfrom nbconnect.model import Connector\n"
            f"r = nbconnect.import_spec({str(PETSTORE)!r})\n"
            "nbconnect.export(Connector('petstore', base_url='https://api.example.com', "
            f"endpoints=r.endpoints, schemas=r.schemas), {str(where)!r})\n")
    subprocess.run([python, "-c", code], check=True, env=_env(src))
    return where


def rows(python: str, pkg: Path, runs: int, cwd: str,
         src: str | None = None) -> dict[str, float]:
    nbc = [python, "-m", "nbconnect"]
    out = {
        "nbconnect show PKG": timed([*nbc, "show", str(pkg)], runs, cwd, src),
        "first import_spec in a fresh process": timed(
            [python, "-c", f"import nbconnect; nbconnect.import_spec({str(PETSTORE)!r})"],
            runs, cwd, src),
        "import jsonschema (bare)": timed([python, "-c", "import jsonschema"], runs, cwd, src),
    }
    if src is None:  # the helper may not exist in another tree
        out["import jsonschema (nbconnect's import_jsonschema)"] = timed(
            [python, "-c", "from nbconnect.spec.oas.validator import import_jsonschema\n"
             "import_jsonschema()"], runs, cwd, src)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-jupyterlab-python", default=None,
                    help="an interpreter with nbconnect installed and no JupyterLab")
    ap.add_argument("--before", default=None, metavar="SRC",
                    help="also measure the source tree SRC (put first on PYTHONPATH)")
    args = ap.parse_args(argv)
    plain = no_jupyterlab_python(args.no_jupyterlab_python)
    with tempfile.TemporaryDirectory(prefix="nbc-cold-") as tmp:
        pkg = make_package(sys.executable, Path(tmp) / "pkg")
        envs = {"with JupyterLab": sys.executable, "without JupyterLab": plain}
        results = {}
        for label, python in envs.items():
            extras = "yes" if has(python, "rfc3987_syntax") else "no"
            lab = "yes" if has(python, "jupyterlab") else "no"
            print(f"{label}: {python} (jupyterlab: {lab}, rfc3987_syntax: {extras})",
                  flush=True)
            results[label] = rows(python, pkg, args.runs, tmp)
            if args.before:
                old = make_package(python, Path(tmp) / f"pkg-before-{len(results)}",
                                   args.before)
                results[label + " (before)"] = rows(python, old, args.runs, tmp,
                                                    args.before)
    print(f"\n  {'what':<52} {'with JupyterLab':>16} {'without':>10} {'diff':>8}")
    ok = True
    for what in results["with JupyterLab"]:
        a, b = results["with JupyterLab"][what], results["without JupyterLab"][what]
        goal = not what.startswith("import jsonschema")
        verdict = ("PASS" if a - b <= GOAL_S else "MISS") if goal else ""
        ok = ok and verdict != "MISS"
        print(f"  {what:<52} {a:>15.2f}s {b:>9.2f}s {a - b:>+7.2f}s {verdict}")
    if args.before:
        print(f"\n  before = {args.before}")
        print(f"  {'what':<52} {'env':<20} {'before':>8} {'after':>8} {'after/before':>13}")
        for label in envs:
            for what, old in results[label + " (before)"].items():
                new = results[label][what]
                print(f"  {what:<52} {label:<20} {old:>7.2f}s {new:>7.2f}s "
                      f"{new / old:>12.2f}x")
    print(f"\n(medians of {args.runs} fresh processes; goal: with JupyterLab within "
          f"{GOAL_S} s of without)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
