"""docs/pull.md: its Python examples run as written (in order, one namespace) against the
bundled demo mock on loopback, and print what the doc says they print."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "pull.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def _printed(block: str) -> list[str]:
    """The '# ...' lines right after a print(...) (what the doc says it prints)."""
    return [line[2:] for line in block.splitlines() if line.startswith("# ")]


def test_the_python_examples_run_and_print_what_the_doc_says(capsys, monkeypatch):
    monkeypatch.delenv("DEMO_KEY", raising=False)
    assert len(BLOCKS) >= 2
    namespace: dict = {}
    for number, block in enumerate(BLOCKS, start=1):
        exec(compile(block, f"docs/pull.md block {number}", "exec"), namespace)
    out = capsys.readouterr().out.splitlines()
    expected = [line for block in BLOCKS for line in _printed(block)]
    assert [line.rstrip() for line in out] == [line.rstrip() for line in expected]
