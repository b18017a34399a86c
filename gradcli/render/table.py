"""Terminal output with rich: the document's steps as aligned equations, its grids as tables."""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text

from .document import Block, Grid, Steps
from .rows import Notation

STYLES = {"source": "bold", "result": "bold", "warning": "yellow"}


def _steps(block: Steps, nt: Notation) -> list:
    """A title, then rows as aligned equations: ``lhs = rule = numbers = value``."""
    table = Table(box=None, show_header=False, padding=(0, 1, 0, 0), pad_edge=False, expand=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True, style="bold")
    for row in block.rows:
        gap = row.lhs == nt.ellipsis
        table.add_row(
            Text(row.lhs),
            Text("" if row.note else "="),
            Text(row.rule, style="dim" if row.note else ""),
            Text("=" if row.numbers else ""),
            Text(row.numbers),
            Text("=" if row.value and not gap else ""),
            Text(row.value, style="dim" if gap else ""),
        )
    return [Text(block.title, style="bold"), table]


def _grid(block: Grid, nt: Notation) -> Table:
    """A table whose text columns keep a readable width; long numbers fold rather than squeeze them."""
    table = Table(box=box.ASCII if not nt.unicode else box.SIMPLE_HEAD, pad_edge=False)
    for n, (name, numeric) in enumerate(zip(block.headers, block.numeric)):
        widest = max([len(name)] + [len(row[n]) for row in block.rows])
        if numeric:
            table.add_column(name, overflow="fold", justify="right", min_width=min(widest, 6))
        else:
            table.add_column(name, overflow="fold", min_width=min(widest, 16 if n == 2 else 8))
    for row in block.rows:
        table.add_row(*map(Text, row))
    return table


def render(blocks: list[Block], nt: Notation) -> list:
    """Rich renderables for the console, a blank line before each table of steps and after the last."""
    out: list = []
    for n, block in enumerate(blocks):
        if isinstance(block, Steps):
            out += [Text(), *_steps(block, nt)]
        elif isinstance(block, Grid):
            out.append(_grid(block, nt))
        else:
            if block.kind in ("result",) and n > 0 and isinstance(blocks[n - 1], Steps):
                out.append(Text())
            out.append(Text(("warning: " if block.kind == "warning" else "") + block.text,
                            style=STYLES.get(block.kind, "")))
    return out
