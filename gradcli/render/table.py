"""Terminal output with rich: the document's steps as aligned equations, its grids as tables."""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.cells import cell_len
from rich.text import Text

from .document import Block, Grid, Steps
from .rows import Notation, Row

STYLES = {"source": "bold", "result": "bold", "warning": "yellow"}


def _cells(row: Row, nt: Notation) -> list[tuple[str, str]]:
    """The seven cells of a row, (text, style): lhs = rule = numbers = value."""
    gap = row.lhs == nt.ellipsis
    return [
        (row.lhs, "bold"),
        ("" if row.note else "=", ""),
        (row.rule, "dim" if row.note else ""),
        ("=" if row.numbers else "", ""),
        (row.numbers, ""),
        ("=" if row.value and not gap else "", ""),
        (row.value, "dim" if gap else "bold"),
    ]


def _aligned(block: Steps, nt: Notation, width: int) -> list | None:
    """The rows as lines of aligned columns, as rich's Table would lay them out when nothing wraps;
    None when they do not fit in ``width`` (then rich wraps them). Much faster than a Table."""
    rows = [_cells(row, nt) for row in block.rows]
    widths = [max((cell_len(r[c][0]) for r in rows), default=0) for c in range(7)]
    if sum(widths) + 6 > width:
        return None
    lines = []
    for r in rows:
        line = Text()
        for c, (text, style) in enumerate(r):
            line.append(text, style=style or None)
            pad = widths[c] - cell_len(text) + (1 if c < 6 else 0)
            if pad:
                line.append(" " * pad)
        lines.append(line)
    return lines


def _steps(block: Steps, nt: Notation, width: int = 0) -> list:
    """A title, then rows as aligned equations: ``lhs = rule = numbers = value``."""
    fast = _aligned(block, nt, width) if width else None
    if fast is not None:
        return [Text(block.title, style="bold"), Text("\n").join(fast)]
    table = Table(box=None, show_header=False, padding=(0, 1, 0, 0), pad_edge=False, expand=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True, style="bold")
    for row in block.rows:
        table.add_row(*(Text(text, style=style) for text, style in _cells(row, nt)))
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


def render(blocks: list[Block], nt: Notation, width: int = 0) -> list:
    """Rich renderables for a console ``width`` wide, a blank line before each table of steps."""
    out: list = []
    for n, block in enumerate(blocks):
        if isinstance(block, Steps):
            out += [Text(), *_steps(block, nt, width)]
        elif isinstance(block, Grid):
            out.append(_grid(block, nt))
        else:
            if block.kind in ("result",) and n > 0 and isinstance(blocks[n - 1], Steps):
                out.append(Text())
            out.append(Text(("warning: " if block.kind == "warning" else "") + block.text,
                            style=STYLES.get(block.kind, "")))
    return out
