"""docs/paging.md: its Python examples run as written against the paged test API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "paging.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("number", range(len(BLOCKS)))
def test_the_python_examples_run(number, capsys):
    exec(compile(BLOCKS[number], f"docs/paging.md block {number + 1}", "exec"), {})
    out = capsys.readouterr().out
    assert out.strip()


def test_the_first_example_prints_what_the_doc_says(capsys):
    exec(compile(BLOCKS[0], "docs/paging.md block 1", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("page: param page from 1, next page in field meta.next_page")
    assert lines[1] == ("listCursor: 3 pages, 23 items; stopped: no-next (page 3 had no next "
                        "cursor in field next_cursor).")
    assert lines[2:5] == ["1 200 10", "2 200 10", "3 200 3"]
    assert lines[5:] == ["time-limit", "6"]
