"""A result's blocks as text in one format: every Expr printed by the format's printer style, every piece of
prose and code as the format writes it. The terminal, Markdown and LaTeX renderers lay these out."""

from __future__ import annotations

from typing import NamedTuple

from ..core.expr import Expr
from ..core.printer import Style
from .document import Code, Gap, Grid, Line, Row, Steps


class FlatRow(NamedTuple):
    """A row as text: ``lhs = rule = numbers = value``; ``note`` stands in for the rule of a seed or an input;
    ``gap`` marks the line of rows left out; ``after`` is said under the row."""

    lhs: str
    rule: str
    numbers: str
    value: str
    note: bool = False
    gap: bool = False
    after: str = ""
    symbolic: tuple = ()  # the row in symbols, said after its rule (--symbolic)
    nodes: tuple = ()  # the boxes of the graph's picture the row is about (document.Row.nodes)


class FlatLine(NamedTuple):
    text: str
    kind: str = "text"
    alt: tuple = ()


class FlatSteps(NamedTuple):
    title: str
    rows: list
    head: str


class FlatGrid(NamedTuple):
    headers: list
    rows: list  # lists of cells, or None for the line of rows left out (its text in ``gap``)
    numeric: list
    gaps: dict  # row index -> the text of the rows left out
    lead: int = 1  # columns that lead each row when it is folded into lines
    fold: list = ()  # the other columns in groups, a line each when folded
    nodes: list = ()  # per row, the boxes of the graph's picture it is about (document.Grid.nodes)


class Writer:
    """How one format writes prose, mathematics and code; a subclass says it differently."""

    ellipsis = "…"

    def __init__(self, style: Style) -> None:
        self.style = style

    def math(self, e: Expr) -> str:
        return self.style.text(e)

    def inline(self, e: Expr) -> str:
        """Mathematics inside a line of prose."""
        return self.math(e)

    def code(self, c: Code) -> str:
        return c.text

    def prose(self, text: str) -> str:
        return text

    def note(self, text: str) -> str:
        return f"({text})"

    def left_out(self, n: int, what: str = "rows") -> str:
        return f"{self.ellipsis} {n} {what} left out (--max-rows 0 shows all)"

    def stable(self, form: Expr) -> str:
        return self.prose("computed as ") + self.inline(form) + self.prose(", which keeps every digit")

    def text(self, pieces) -> str:
        out = []
        for p in pieces:
            if isinstance(p, str):
                out.append(self.prose(p))
            elif isinstance(p, Code):
                out.append(self.code(p))
            else:
                out.append(self.inline(p))
        return "".join(out)

    def row(self, r: Row | Gap) -> FlatRow:
        if isinstance(r, Gap):
            return FlatRow(self.ellipsis, "", "", self.left_out(r.count), note=True, gap=True)
        value = self.math(r.value)
        after = self.stable(r.stable) if r.stable is not None else ""
        if r.note:
            return FlatRow(self.math(r.lhs), self.note(r.note), "", value, note=True, after=after, nodes=r.nodes)
        return FlatRow(self.math(r.lhs), self.math(r.rule), self.math(r.numbers) if r.numbers is not None else "",
                       value, after=after, symbolic=tuple(self.math(x) for x in r.symbolic), nodes=r.nodes)

    def block(self, b):
        if isinstance(b, Line):
            return FlatLine(self.text(b.text), b.kind, tuple(self.text(a) for a in b.alt))
        if isinstance(b, Steps):
            return FlatSteps(self.text(b.title), [self.row(r) for r in b.rows], b.head)
        if isinstance(b, Grid):
            rows, gaps = [], {}
            for r in b.rows:
                if isinstance(r, Gap):
                    gaps[len(rows)] = self.left_out(r.count)
                    rows.append(None)
                else:
                    rows.append([self.text(c) for c in r])
            return FlatGrid([self.text(h) for h in b.headers], rows, b.numeric, gaps, b.lead, b.fold, b.nodes)
        raise TypeError(f"no way to write a {type(b).__name__}")

    def blocks(self, blocks: list) -> list:
        return [self.block(b) for b in blocks]
