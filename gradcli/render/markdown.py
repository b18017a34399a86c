"""Markdown for write-ups: the same document, its steps and grids as GitHub tables."""

from __future__ import annotations

from .document import Block, Grid, Steps
from .rows import Notation


def code(text: str) -> str:
    """A code span that survives a table cell: | escaped, doubled backticks around text with a backtick."""
    if not text:
        return ""
    text = text.replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}"


class MarkdownNotation(Notation):
    """The terminal's notation, with formulas and typed text in code spans so * and _ stay literal."""

    __slots__ = ()

    def inline(self, math: str) -> str:
        return code(math)

    def code(self, text: str) -> str:
        return code(text)

    def command(self, text: str) -> str:
        return code(text)

    def text(self, text: str) -> str:
        return text.replace("*", "\\*").replace("_", "\\_").replace("|", "\\|")


def _steps(block: Steps) -> list[str]:
    out = [f"**{block.title}**", "", f"| {block.head} | rule | with the numbers | value |",
           "| --- | --- | --- | ---: |"]
    for row in block.rows:
        if row.note and row.rule:  # (seed), (input): a note in place of the rule
            out.append(f"| {code(row.lhs)} | *{row.rule}* | | {code(row.value)} |")
        elif row.note:  # the "rows left out" line: prose, with no rule to emphasise
            out.append(f"| {code(row.lhs)} | | | {row.value} |")
        else:
            out.append(f"| {code(row.lhs)} | {code(row.rule)} | {code(row.numbers)} | {code(row.value)} |")
    return out


def _grid(block: Grid) -> list[str]:
    out = ["| " + " | ".join(block.headers) + " |",
           "| " + " | ".join("---:" if n else "---" for n in block.numeric) + " |"]
    out += ["| " + " | ".join(row) + " |" for row in block.rows]
    return out


def render(blocks: list[Block], nt: Notation) -> str:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Steps):
            out += ["", *_steps(block), ""]
        elif isinstance(block, Grid):
            out += ["", *_grid(block), ""]
        elif block.kind == "result":
            out.append(f"**{block.text.strip()}**  ")
        elif block.kind == "warning":
            out.append(f"> **warning:** {block.text}  ")
        else:
            out.append(block.text + "  ")  # two spaces: a line break
    text = "\n".join(out).strip() + "\n"
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text
