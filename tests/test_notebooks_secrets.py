"""The docs notebook on auth (notebooks/02-auth.ipynb) never writes a secret value.

The notebook reads its secrets from environment variables it only fills in when they are
unset (``os.environ.setdefault``). This test sets each of them to a sentinel first, runs
the notebook with nbclient in a temporary directory (widget state stored, as Jupyter
saves it; its own IPython directory, so the kernel's input history is written there
too), saves it, and then looks for every sentinel, in plain form and in the forms a
client sends (Basic credentials, URL-encoded), in every byte written: the saved
notebook (outputs and ``metadata.widgets``), the exported package, the spec file and the
kernel's history database. The notebook's clean-up cell is left out so its exports
stay on disk to be checked.

Every auth test in the notebook must pass: the mock API and the identity server check
the credentials they receive against the same environment variables, so a pass proves
the sentinels were really sent over the wire - and still written nowhere.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from urllib.parse import quote

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "02-auth.ipynb"

SENTINELS = {
    "DEMO_API_KEY": "s3ntinel-ApiKey-7f41c09e2b",
    "DEMO_PASSWORD": "s3ntinel-Password-58d2a61c",
    "DEMO_TOKEN": "s3ntinel-Bearer-e03b9f7d14",
    "DEMO_CLIENT_SECRET": "s3ntinel-ClientSecret-a9c4e2",
    "DEMO_JWT_SECRET": "s3ntinel-HmacSecret-0123456789abcdef0123",
}
#: the auth tests the notebook runs, each of which must pass
PASSING = ["keyInHeader", "keyInQuery", "basicUser", "bearerUser", "oauthUser", "oauthUser",
           "jwtUser", "jwtUser", "me"]


def _forms(value: str) -> set[str]:
    """The ways a secret could show up: as is, URL-encoded, and inside Basic credentials."""
    forms = {value, quote(value, safe="")}
    for user in ("ada", "demo-client"):
        forms.add(base64.b64encode(f"{user}:{value}".encode()).decode().rstrip("="))
    return forms


def _run(tmp_path: Path, monkeypatch) -> tuple[Path, nbformat.NotebookNode]:
    for name, value in SENTINELS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells = [c for c in nb.cells if "cleanup" not in c.metadata.get("tags", [])]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    work = tmp_path / "work"
    work.mkdir()
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(work)}},
                            store_widget_state=True,
                            ipython_hist_file=str(tmp_path / "ipython" / "history.sqlite"))
    client.execute()
    saved = work / "02-auth.ipynb"
    nbformat.write(nb, saved)
    return saved, nb


def _report_lines(nb: nbformat.NotebookNode) -> list[str]:
    lines = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("data", {}).get("text/plain", "")
            lines += [ln for ln in text.splitlines() if re.match(r"\s+(ok|FAIL)\s", ln)]
    return lines


def test_auth_notebook_writes_no_secret_anywhere(tmp_path, monkeypatch):
    saved, nb = _run(tmp_path, monkeypatch)

    # every auth test passed, so every sentinel was sent and accepted
    lines = _report_lines(nb)
    assert [ln.split()[1] for ln in lines] == PASSING, lines
    assert all(ln.split()[0] == "ok" for ln in lines), lines
    # the one-line errors for the bad inputs are there, naming no value
    errors = "".join(out.get("text", "") for cell in nb.cells for out in cell.get("outputs", [])
                     if out.get("name") == "stderr")
    assert "secret values are refused here" in errors
    assert "shorter than 32 bytes" in errors
    assert "my-pasted-api-key-123" not in errors

    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    names = {p.relative_to(tmp_path).as_posix() for p in written}
    assert "work/02-auth.ipynb" in names
    assert "work/build/auth-demo/connector.yaml" in names
    history = tmp_path / "ipython" / "history.sqlite"
    assert b"os.environ.setdefault" in history.read_bytes()  # the inputs were saved, and checked
    assert json.loads(saved.read_text())["cells"]  # a real notebook was saved

    for path in written:
        content = path.read_bytes()
        for name, value in SENTINELS.items():
            for form in _forms(value):
                assert form.encode() not in content, (name, form, path.relative_to(tmp_path))
        # the ES256 private key the notebook makes never shows either
        assert b"PRIVATE KEY" not in content, path.relative_to(tmp_path)
