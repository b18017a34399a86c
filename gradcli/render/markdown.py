"""Markdown for write-ups: the same document, its steps and grids as GitHub tables, formulas in code spans."""

from __future__ import annotations

from ..core.printer import TextStyle
from .document import Code
from .flat import FlatGrid, FlatSteps, Writer


def code(text: str) -> str:
    """A code span that survives a table cell: | escaped, doubled backticks around text with a backtick."""
    if not text:
        return ""
    text = text.replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}"


class MarkdownWriter(Writer):
    """The terminal's notation, with formulas and typed text in code spans so * and _ stay literal."""

    def __init__(self, unicode: bool = True, digits: int = 0) -> None:
        super().__init__(TextStyle(unicode, digits))

    def inline(self, e) -> str:
        return code(self.math(e))

    def code(self, c: Code) -> str:
        return code(c.text)

    def prose(self, text: str) -> str:
        return text.replace("*", "\\*").replace("_", "\\_").replace("|", "\\|")


def _steps(block: FlatSteps) -> list[str]:
    out = [f"**{block.title}**", "", f"| {block.head} | rule | with the numbers | value |",
           "| --- | --- | --- | ---: |"]
    for row in block.rows:
        after = f" ({row.after})" if row.after else ""
        if row.gap:  # the "rows left out" line: prose, with no rule to emphasise
            out.append(f"| {code(row.lhs)} | | | {row.value} |")
        elif row.note:  # (seed), (input): a note in place of the rule
            out.append(f"| {code(row.lhs)} | *{row.rule}* | | {code(row.value)}{after} |")
        else:
            rule = " = ".join((row.rule, *row.symbolic))
            out.append(f"| {code(row.lhs)} | {code(rule)} | {code(row.numbers)} | {code(row.value)}{after} |")
    return out


def _grid(block: FlatGrid) -> list[str]:
    out = ["| " + " | ".join(block.headers) + " |",
           "| " + " | ".join("---:" if n else "---" for n in block.numeric) + " |"]
    for n, row in enumerate(block.rows):
        if row is None:
            out.append("| " + " | ".join([block.gaps[n]] + [""] * (len(block.headers) - 1)) + " |")
        else:
            out.append("| " + " | ".join(row) + " |")
    return out


def render(blocks: list, unicode: bool = True, digits: int = 0) -> str:
    out: list[str] = []
    for block in MarkdownWriter(unicode, digits).blocks(blocks):
        if isinstance(block, FlatSteps):
            out += ["", *_steps(block), ""]
        elif isinstance(block, FlatGrid):
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
