"""Running newman (the Postman collection runner, installed by ``npm ci`` at the repository
root) in tests: one helper for every test that runs an exported collection."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
NEWMAN = ROOT / "node_modules" / ".bin" / "newman"


def run_newman(collection: Path, tmp_path: Path, env: dict[str, str], *,
               timeout: float = 180) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """Run newman on ``collection`` with ``--env-var`` pairs from ``env``; returns the process
    and newman's JSON report (``report["run"]["executions"]``, ``["failures"]``)."""
    if not NEWMAN.exists():
        pytest.fail("node_modules/.bin/newman is missing: run `npm ci` at the repository root.")
    report = tmp_path / f"newman-{time.monotonic_ns()}.json"
    cmd = [str(NEWMAN), "run", str(collection), "-r", "json", "--reporter-json-export",
           str(report), "--timeout-request", "10000", "--disable-unicode"]
    for key, value in env.items():
        cmd += ["--env-var", f"{key}={value}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "NO_COLOR": "1"})
    assert report.exists(), proc.stderr[-2000:]
    return proc, json.loads(report.read_text())
