"""docs/links.md: its Python example runs as written against the bundled demo mock on
loopback, and each print gives what its comment says."""

from __future__ import annotations

import re
from pathlib import Path

from nbconnect.links.options import clear_cache

DOC = Path(__file__).resolve().parent.parent / "docs" / "links.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_the_python_example_runs_and_prints_what_its_comments_say(capsys):
    clear_cache()
    (block,) = BLOCKS
    exec(compile(block, "docs/links.md block 1", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    lines = block.splitlines()
    said = []
    for i, line in enumerate(lines):  # a print's comment: on its line, else the next one
        if line.strip().startswith("print("):
            note = line if "# " in line else lines[i + 1]
            said.append(note.split("# ", 1)[1].split(":", 1)[0].rstrip(". "))
    assert len(out) == len(said) == 7
    for got, comment in zip(out, said, strict=True):
        stem = comment.split(" ...")[0].split(", ...")[0]
        if stem.startswith("the removed"):
            assert got.startswith("Link('getProject', 'projectId'")
        else:
            assert got.startswith(stem), (got, comment)
    clear_cache()
