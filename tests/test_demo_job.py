"""The main job: ``nbconnect demo`` runs the quickstart headless (both faces), and
``scripts/lab.sh --check`` starts JupyterLab on the quickstart, prints its URL and stops.

The demo runs the real quickstart in a real kernel (nbclient's ``jupyter execute`` in a child
process) against the bundled mock on loopback; the lab check starts a real JupyterLab.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
from pathlib import Path

import pytest

import nbconnect
from nbconnect.errors import DemoError
from nbconnect.verbs import demo, table

ROOT = Path(__file__).resolve().parents[1]
#: what the mock verb generates as the mock's API key (verbs/mock.py: "mock-" + 24 random bytes)
MOCK_KEY = re.compile(r"mock-[A-Za-z0-9_-]{32}")


def _notebook(path: Path, *sources: str) -> Path:
    cells = [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
              "outputs": [], "source": src} for i, src in enumerate(sources)]
    path.write_text(json.dumps({
        "cells": cells, "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}}}), encoding="utf-8")
    return path


def _processes_in(folder: Path) -> list[str]:
    """Command lines of the processes whose working directory is inside ``folder``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cwd = os.readlink(proc / "cwd")
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if cwd == str(folder) or cwd.startswith(str(folder) + os.sep):
            found.append(cmd)
    return found


# --------------------------------------------------------------------------- nbconnect demo


def test_demo_runs_the_quickstart_and_says_where_things_are(face, tmp_path):
    out = tmp_path / "demo-out"
    outcome = face.run(f"demo --output {out}")
    assert outcome.code == 0, outcome.err
    notebook, package = out / demo.QUICKSTART, out / "build" / "demo-connector"
    if face.name == "cli":
        assert f"Executed notebook: {notebook}" in outcome.out
        assert f"Connector package: {package}" in outcome.out
        assert "no errors" not in outcome.out and "failed:" not in outcome.out
    else:
        result = outcome.result
        assert isinstance(result, demo.DemoResult) and result.ok
        assert (result.notebook, result.package) == (notebook, package)
        assert f"Executed notebook: {notebook}" in repr(result)
    # the notebook ran, every code cell, with no error output
    data = json.loads(notebook.read_text(encoding="utf-8"))
    code = [c for c in data["cells"] if c["cell_type"] == "code"]
    assert code and all(c["execution_count"] for c in code)
    assert not [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    # every endpoint passed its test on the mock
    reports = [o["data"][demo._REPORT_MIME] for c in code for o in c["outputs"]
               if demo._REPORT_MIME in o.get("data", {})]
    assert reports and max(r["passed"] for r in reports) == 12
    assert all(r["failed"] == 0 for r in reports)
    # the package is a whole connector, with no secret value in it or in the notebook
    loaded = nbconnect.load(package)
    assert len(loaded.endpoints) == 12
    assert "mock" in [c.name for c in loaded.connections]
    texts = [notebook.read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8", errors="replace") for p in package.rglob("*")
              if p.is_file()]
    assert not [m for t in texts for m in MOCK_KEY.findall(t)]
    assert (out / demo.MARKER).is_file()
    assert not _processes_in(out)
    # the parameter link and the webhook the quickstart defined are in the package
    assert [(lk.endpoint, lk.param) for lk in loaded.links] == [("searchTasks", "assignee")]
    assert [w.name for w in loaded.webhooks] == ["tasks"]


def test_demo_refuses_a_folder_it_did_not_write(face, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    outcome = face.run(f"demo --output {out}")
    assert outcome.code == 2
    assert "already holds files the demo did not write" in outcome.error
    assert "--output" in outcome.error
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert (out / "notes.txt").read_text() == "keep me"


def test_demo_refuses_a_time_limit_that_is_not_positive(face, tmp_path):
    out = tmp_path / "never"
    outcome = face.run(f"demo --output {out} --timeout 0")
    assert outcome.code == 2 and "time limit must be over 0 seconds" in outcome.error
    assert not out.exists()


def test_a_failing_cell_is_named_and_kept_in_the_executed_notebook(tmp_path):
    source = _notebook(tmp_path / "broken.ipynb", "x = 1", "1 / 0", "print('after')")
    out = tmp_path / "run"
    result = demo.run_demo(out, notebook=source)
    assert not result.ok and result.package is None
    assert [(e.cell, e.name, e.source) for e in result.errors] == [
        (2, "ZeroDivisionError", "1 / 0")]
    text = demo.demo_text(result)
    assert "Cell 2 (1 / 0) failed: ZeroDivisionError: division by zero" in text
    assert "Connector package: not written" in text
    verb = next(v for v in table.verbs() if v.words == ("demo",))
    assert verb.exit_code(result) == 1
    # the run went on after the error (allow-errors), and the error is in the notebook
    cells = json.loads((out / "broken.ipynb").read_text())["cells"]
    assert cells[1]["outputs"][0]["output_type"] == "error"
    assert "".join(cells[2]["outputs"][0]["text"]) == "after\n"


def test_a_second_run_replaces_the_folder_an_earlier_run_wrote(tmp_path):
    source = _notebook(tmp_path / "tiny.ipynb",
                       "from pathlib import Path\nPath('made.txt').write_text('x')")
    out = tmp_path / "run"
    first = demo.run_demo(out, notebook=source)
    assert first.errors == [] and (out / "made.txt").is_file()
    (out / "leftover.txt").write_text("from the first run")
    second = demo.run_demo(out, notebook=source)
    assert second.errors == [] and second.cells == 1
    assert sorted(p.name for p in out.iterdir()) == [demo.MARKER, "made.txt", "tiny.ipynb"]


def test_the_time_limit_stops_the_run_and_its_kernel(tmp_path):
    source = _notebook(tmp_path / "slow.ipynb",
                       "from pathlib import Path\nPath('started').write_text('x')",
                       "import time\ntime.sleep(600)")
    out = tmp_path / "run"
    with pytest.raises(DemoError, match="did not finish within 40 s") as info:
        demo.run_demo(out, notebook=source, timeout=40)
    assert info.value.option == "timeout"
    assert (out / "started").is_file()  # the kernel was running when the time ran out
    assert not _processes_in(out)


def test_missing_runtime_packages_are_named_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "_NEEDED", ("nbclient", "nbconnect_no_such_module"))
    out = tmp_path / "run"
    with pytest.raises(DemoError, match=r"needs nbconnect_no_such_module; install it with "
                                        r"pip install nbconnect_no_such_module\."):
        demo.run_demo(out)
    assert not out.exists()


def test_the_quickstart_is_found():
    assert demo.quickstart_path() == ROOT / "notebooks" / demo.QUICKSTART


# --------------------------------------------------------------------------- scripts/lab.sh


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_lab_script_check_serves_the_quickstart_prints_the_url_and_stops(tmp_path):
    env = {**os.environ, "TMPDIR": str(tmp_path), "NBCONNECT_LAB_TOKEN": "t0ken" * 6}
    env.pop("JUPYTER_CONFIG_DIR", None)
    done = subprocess.run([str(ROOT / "scripts" / "lab.sh"), "--check"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=400, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    found = re.search(r"^  (http://127\.0\.0\.1:(\d+)/lab/tree/notebooks/00-quickstart\.ipynb"
                      r"\?token=(\w+))$", done.stdout, re.MULTILINE)
    assert found, done.stdout
    assert found.group(3) == "t0ken" * 6
    assert "the quickstart and the nbconnect extension are served" in done.stdout
    assert "check passed (server stopped)" in done.stdout
    assert _port_free(int(found.group(2)))
    assert list(tmp_path.iterdir()) == []  # its temporary settings and logs are gone


def test_lab_script_refuses_an_unknown_option(tmp_path):
    done = subprocess.run([str(ROOT / "scripts" / "lab.sh"), "--bogus"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "unknown option --bogus" in done.stderr


def test_lab_script_says_how_to_make_the_venv_when_there_is_none(tmp_path):
    copy = tmp_path / "repo" / "scripts"
    copy.mkdir(parents=True)
    (copy / "lab.sh").write_bytes((ROOT / "scripts" / "lab.sh").read_bytes())
    (copy / "lab.sh").chmod(0o755)
    done = subprocess.run([str(copy / "lab.sh"), "--check"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 1
    assert "python3 -m venv .venv" in done.stderr
