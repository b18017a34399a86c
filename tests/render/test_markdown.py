"""Markdown write-ups read by a CommonMark renderer with GitHub tables (markdown-it-py, which rich uses)."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from conftest import run

MD = MarkdownIt("commonmark").enable("table")


def cells_per_row(source: str) -> list[list[int]]:
    """For each table in the source, the number of cells of each row, split at unescaped pipes."""
    tables, current = [], []
    for line in source.splitlines() + [""]:
        if line.startswith("|"):
            current.append(len(re.split(r"(?<!\\)\|", line.strip())) - 2)
        elif current:
            tables.append(current)
            current = []
    return tables


def rendered_cells(source: str) -> list[list[tuple[str, list[str]]]]:
    """Each table row as its cells: the cell's text as a reader sees it, and the kinds of its inline tokens."""
    rows, row, in_cell = [], [], False
    for tok in MD.parse(source):
        if tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close":
            rows.append(row)
        elif tok.type in ("th_open", "td_open"):
            in_cell = True
        elif tok.type in ("th_close", "td_close"):
            in_cell = False
        elif tok.type == "inline" and in_cell:
            kids = tok.children or []
            row.append(("".join(k.content for k in kids), [k.type for k in kids]))
    return rows


@pytest.mark.parametrize("args", [
    ("forward", "sin(sin(sin(sin(x))))", "--at", "1", "--max-rows", "2"),
    ("reverse", "sin(sin(sin(sin(x))))", "--at", "1", "--max-rows", "3"),
    ("graph", "sin(sin(sin(sin(x))))", "--at", "1", "--max-rows", "2"),
    ("reverse", "exp(x1)*(x1**2+x2**2)**3", "--at", "0,2"),
])
def test_tables_render_without_empty_emphasis_or_stray_stars(args: tuple) -> None:
    out = run(*args, "--format", "markdown").stdout
    for table in cells_per_row(out):
        assert table == [table[0]] * len(table), table
    rows = rendered_cells(out)
    assert rows
    for row in rows:
        for text, kinds in row:
            pairs = list(zip(kinds, kinds[1:]))
            assert ("em_open", "em_close") not in pairs and ("strong_open", "strong_close") not in pairs, row
            assert not re.fullmatch(r"[*_]+", text), row  # emphasis marks around nothing print as themselves
    if "--max-rows" in args:
        notes = [" ".join(text for text, _ in row) for row in rows if any("rows left out" in t for t, _ in row)]
        assert notes and all(re.search(r"\d+ rows left out \(?--max-rows 0 shows all", n) for n in notes), notes
