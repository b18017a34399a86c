"""Terminal output: the document laid out in lines that fit the width, each a list of (text, style).

Steps are aligned equations ``lhs = rule = numbers = value``. A row too long for the columns is
laid out as a worked solution is written: the rule, then ``= numbers`` on the next line, then
``= value``, each ``=`` under the first, a long sum broken between its terms (render/layout.py).
Grids that do not fit wrap their text cells; a grid that says how (descend's steps) folds each row
into lines; others that still do not fit are split in two, and failing that each node is a paragraph. No column is ever dropped; no line ends in a space.
"""

from __future__ import annotations

from ..core.printer import TextStyle
from .document import Code
from .flat import FlatGrid as Grid
from .flat import FlatRow as Row
from .flat import FlatSteps as Steps
from .flat import Writer
from .layout import MATH_CLOSE, MATH_OPEN, cells, cuts, plain, wrap, wrap_prose


class TerminalWriter(Writer):
    """Formulas and code marked, so the line breaking keeps them whole where they fit on a line."""

    def __init__(self, unicode: bool = True, digits: int = 0) -> None:
        super().__init__(TextStyle(unicode, digits))
        self.unicode = unicode
        if not unicode:
            self.ellipsis = "..."

    def inline(self, e) -> str:
        return f"{MATH_OPEN}{self.math(e)}{MATH_CLOSE}"

    def code(self, c: Code) -> str:
        text = c.text if self.unicode else c.text.translate(_TO_ASCII)
        if c.steps:
            return "; ".join(f"{MATH_OPEN}{step}{MATH_CLOSE}" for step in text.split("; "))
        return f"{MATH_OPEN}{text}{MATH_CLOSE}"

    def prose(self, text: str) -> str:
        return text if self.unicode else text.translate(_TO_ASCII)


_TO_ASCII = str.maketrans({"·": "*", "∂": "d", "∇": "grad ", "…": "...", "±": "+/-", "−": "-", "×": "x",
                           "≈": "~", "θ": "theta", "φ": "phi", "α": "alpha", "β": "beta", "λ": "lambda",
                           "←": "<-", "Δ": "delta ", "Σ": "sum ", "²": "**2", "ᵢ": "_i"})

Segment = tuple[str, str]  # (text, style); style "" is plain
Out = list[list[Segment]]  # lines

STYLES = {"source": "bold", "result": "bold", "warning": "yellow", "verdict": "bold yellow"}
GAP = 2  # spaces between the columns of a grid
MAX_PANELS = 8  # a wide grid of numbers split into more panels than this is a paragraph a row instead


def _cells(row: Row) -> list[Segment]:
    """The seven cells of a row: lhs = rule = numbers = value."""
    return [
        (row.lhs, "bold"),
        ("" if row.note else "=", ""),
        (row.rule, "dim" if row.note else ""),
        ("=" if row.numbers else "", ""),
        (row.numbers, ""),
        ("=" if row.value else "", ""),
        (row.value, "bold"),
    ]


def _line(segments: list[Segment]) -> list[Segment]:
    """A line without trailing spaces."""
    while segments and not segments[-1][0].strip():
        segments.pop()
    if segments:
        text, style = segments[-1]
        segments[-1] = (text.rstrip(), style)
    return segments


def steps(block: Steps, width: int) -> Out:
    """A table of steps: aligned where the columns fit, each row that does not fit stacked."""
    out: Out = [[(line, "bold")] for line in wrap_prose(block.title, width)]
    rows = [r for r in block.rows if not r.gap]
    table = [_cells(r) for r in rows]
    widths = [[cells(t) for t, _ in cs] for cs in table]
    lhs = max((w[0] for w in widths), default=0)
    stacked = _to_stack(widths, lhs, width) | {n for n, r in enumerate(rows) if r.symbolic}
    cols = [lhs] + [max((w[c] for n, w in enumerate(widths) if n not in stacked), default=0) for c in range(1, 7)]
    index = {id(r): n for n, r in enumerate(rows)}
    for row in block.rows:
        if row.gap:
            text = f"{row.lhs.ljust(lhs)}   {row.value}"
            out += [[(line, "dim")] for line in wrap_prose(text, width, lhs + 3)]
            continue
        n = index[id(row)]
        cs = table[n]
        if n not in stacked:
            line: list[Segment] = []
            for c, (text, style) in enumerate(cs):
                line.append((text, style))
                pad = cols[c] - widths[n][c] + (1 if c < 6 else 0)
                if pad:
                    line.append((" " * pad, ""))
            out.append(_line(line))
        else:
            out += _stack(row, lhs, width)
        if row.after:  # said under the row: where its value came from
            out += [[(line, "dim")] for line in wrap_prose(" " * (lhs + 3) + row.after, width, lhs + 5)]
    return out


def _to_stack(widths: list[list[int]], lhs: int, width: int) -> set[int]:
    """The rows to stack so the others fit as aligned columns, few of them: each round stacks the rows that
    make one column widest, choosing the column that gains the most cells per row stacked."""
    stacked: set[int] = set()
    columns = (2, 4, 6)  # rule, numbers, value; the lhs is always aligned, the = signs are one cell
    by = {c: sorted(range(len(widths)), key=lambda n: -widths[n][c]) for c in columns}

    def top(c: int) -> tuple[int, list[int]]:
        """The column's width over the rows not stacked, and the rows that give it."""
        rows = [n for n in by[c] if n not in stacked]
        if not rows:
            return 0, []
        w = widths[rows[0]][c]
        return w, [n for n in rows if widths[n][c] == w]

    def aligned() -> int:
        rest = [w for n, w in enumerate(widths) if n not in stacked]
        return lhs + sum(max((w[c] for w in rest), default=0) for c in range(1, 7)) + 6

    while len(stacked) < len(widths) and aligned() > width:
        best = None
        for c in columns:
            w, rows = top(c)
            if not rows:
                continue
            after = next((widths[n][c] for n in by[c] if n not in stacked and widths[n][c] < w), 0)
            gain = (w - after) / len(rows)
            if best is None or gain > best[0]:
                best = (gain, rows)
        if best is None:
            break
        stacked.update(best[1])
    return stacked


def _stack(row: Row, lhs: int, width: int) -> Out:
    """One row as a worked solution writes a long equation: the rule, then ``= numbers``, then ``= value``."""
    head = row.lhs + " " * (lhs - cells(row.lhs))
    room = max(1, width - lhs - 3)
    out: Out = []
    if row.note:
        out.append(_line([(head, "bold"), ("   ", ""), (row.rule, "dim"), (" = ", ""), (row.value, "bold")]))
        return out
    parts = [(row.rule, "")] + [(x, "") for x in row.symbolic] + ([(row.numbers, "")] if row.numbers else []) + \
        [(row.value, "bold")]
    for n, (text, style) in enumerate(parts):
        lines = wrap(text, room, 2)
        for m, piece in enumerate(lines):
            if m == 0:
                lead = [(head, "bold"), (" = ", "")] if n == 0 else [(" " * lhs, ""), (" = ", "")]
            else:
                lead = [(" " * (lhs + 3), "")]
            out.append(_line(lead + [(piece, style)]))
    return out


# --- grids -----------------------------------------------------------------------------------------


def _narrowest(text: str) -> int:
    """The widest piece of a cell that cannot be broken."""
    text = plain(text)
    if not text:
        return 0
    best, start = 0, 0
    for cut in cuts(text):
        best = max(best, cells(text[start:cut.end].strip()))
        start = cut.start
    return max(best, cells(text[start:]))


def _grid_row(texts: list[str], numeric: list[bool], widths: list[int], style: str) -> Out:
    """One row of a grid, its text cells wrapped to their columns (numbers never are)."""
    wrapped = [[plain(t)] if numeric[c] else wrap(plain(t), widths[c], 1) for c, t in enumerate(texts)]
    out: Out = []
    for m in range(max(len(x) for x in wrapped)):
        line: list[Segment] = []
        for c, lines in enumerate(wrapped):
            text = lines[m] if m < len(lines) else ""
            pad = " " * max(0, widths[c] - cells(text))
            line += [(pad, ""), (text, style)] if numeric[c] else [(text, style), (pad, "")]
            if c < len(wrapped) - 1:
                line.append((" " * GAP, ""))
        out.append(_line(line))
    return out


def _fit(headers: list[str], rows: list[list[str]], numeric: list[bool], width: int) -> list[int] | None:
    """Column widths that fit ``width``, text columns wrapped as little as they can be; None if none do.
    Headers and numbers are never wrapped."""
    natural = [max([cells(plain(headers[c]))] + [cells(plain(r[c])) for r in rows]) for c in range(len(headers))]
    gaps = GAP * (len(headers) - 1)
    if sum(natural) + gaps <= width:
        return natural
    least = [natural[c] if numeric[c] else max([cells(plain(headers[c]))] + [_narrowest(r[c]) for r in rows])
             for c in range(len(headers))]
    if sum(least) + gaps > width:
        return None
    spare = width - gaps - sum(least)
    want = [natural[c] - least[c] for c in range(len(headers))]
    total = sum(want) or 1
    return [least[c] + want[c] * spare // total for c in range(len(headers))]


def grid(block: Grid, unicode: bool, width: int) -> Out:
    """A grid that fits: whole, wrapped, split in two (structure, then numbers), or one paragraph a row."""
    rule = "─" if unicode else "-"
    body = [r for r in block.rows if r is not None]

    def lay(cols: list[int]) -> Out | None:
        headers = [block.headers[c] for c in cols]
        numeric = [block.numeric[c] for c in cols]
        widths = _fit(headers, [[r[c] for c in cols] for r in body], numeric, width)
        if widths is None:
            return None
        out = _grid_row(headers, numeric, widths, "bold")
        out.append([(rule * (sum(widths) + GAP * (len(widths) - 1)), "")])
        for n, r in enumerate(block.rows):
            if r is None:
                out += [[(line, "dim")] for line in wrap_prose(block.gaps[n], width)]
            else:
                out += _grid_row([r[c] for c in cols], numeric, widths, "")
        return out

    everything = list(range(len(block.headers)))
    whole = lay(everything)
    if whole is not None:
        return whole
    folded = _folded(block, body, rule, width) if block.fold else None
    if folded is not None:
        return folded
    numbers = [c for c in everything if block.numeric[c]]
    if numbers:
        first, second = lay([c for c in everything if not block.numeric[c]]), lay([0] + numbers)
        if first is not None and second is not None:
            return first + [[]] + second
    panels = _panels(block, body, width)
    if panels is not None:  # a wide table of numbers: its columns in panels, each led by the first column
        out: Out = []
        for cols in panels:
            out += ([[]] if out else []) + (lay(cols) or [])
        return out
    return _records(block, width)


def _folded(block: Grid, body: list, rule: str, width: int) -> Out | None:
    """One table, each row folded into lines: its leading columns (t) on the first, then each group of the
    other columns (the parameters, the gradient, the update) on a line of its own, the entries of a group
    in slots so each stands under the same parameter; a group longer than the slots breaks into lines. The
    most slots that fit; None if not even one does."""
    lead = list(range(block.lead))

    def size(c: int) -> int:
        return max([cells(plain(block.headers[c]))] + [cells(plain(r[c])) for r in body])

    lead_widths = [size(c) for c in lead]
    for s in range(max(len(g) for g in block.fold), 0, -1):
        lines = [g[i:i + s] for g in block.fold for i in range(0, len(g), s)]
        slots = [max((size(line[j]) for line in lines if j < len(line)), default=0) for j in range(s)]
        if sum(lead_widths) + sum(slots) + GAP * (len(lead) + s - 1) <= width:
            break
    else:
        return None

    def row(texts: list[str], style: str) -> Out:
        out: Out = []
        for m, line in enumerate(lines):
            if m and not any(plain(texts[c]) for c in line):
                continue  # the last step has no update: no line of blanks
            segments: list[Segment] = []
            for k, c in enumerate(lead):
                text = plain(texts[c]) if m == 0 else ""
                segments += [(text, style), (" " * (lead_widths[k] - cells(text) + GAP), "")]
            for j, c in enumerate(line):
                text = plain(texts[c])
                pad = " " * (slots[j] - cells(text))
                segments += [(pad, ""), (text, style)] if block.numeric[c] else [(text, style), (pad, "")]
                segments.append((" " * GAP, ""))
            out.append(_line(segments))
        return out

    out = row(block.headers, "bold")
    out.append([(rule * (sum(lead_widths) + sum(slots) + GAP * (len(lead) + len(slots) - 1)), "")])
    for n, r in enumerate(block.rows):
        if r is None:
            out += [[(line, "dim")] for line in wrap_prose(block.gaps[n], width)]
        else:
            out += row(r, "")
    return out


def _panels(block: Grid, body: list, width: int) -> list[list[int]] | None:
    """The columns after the first in groups, in order, each of which fits beside the first; None if one
    column does not fit even so, or if there would be more than MAX_PANELS groups."""
    groups: list[list[int]] = []
    group: list[int] = []
    for c in range(1, len(block.headers)):
        cols = [0, *group, c]
        fits = _fit([block.headers[k] for k in cols], [[r[k] for k in cols] for r in body],
                    [block.numeric[k] for k in cols], width) is not None
        if fits:
            group.append(c)
        elif group:
            groups.append([0, *group])
            group = [c]
            if _fit([block.headers[0], block.headers[c]], [[r[0], r[c]] for r in body],
                    [block.numeric[0], block.numeric[c]], width) is None:
                return None
        else:
            return None
    groups.append([0, *group])
    return groups if len(groups) <= MAX_PANELS else None


def _records(block: Grid, width: int) -> Out:
    """Each row as a paragraph, ``c8: kind mul (output); definition c3·c7; …``, each field kept whole
    where it fits on a line."""
    out: Out = []
    for n, r in enumerate(block.rows):
        if r is None:
            out += [[(line, "dim")] for line in wrap_prose(block.gaps[n], width)]
            continue
        fields = "; ".join(f"{MATH_OPEN}{plain(h)} {plain(v)}{MATH_CLOSE}"
                           for h, v in zip(block.headers[1:], r[1:]) if plain(v))
        out += [[(line, "")] for line in wrap_prose(f"{plain(r[0])}: {fields}", width, 4)]
    return out


def render(blocks: list, unicode: bool, digits: int, width: int) -> Out:
    """A result's blocks as lines ``width`` cells wide, a blank line before each table."""
    flat = TerminalWriter(unicode, digits).blocks(blocks)
    out: Out = []
    for n, block in enumerate(flat):
        if isinstance(block, Steps):
            out.append([])
            out += steps(block, width)
        elif isinstance(block, Grid):
            out.append([])
            out += grid(block, unicode, width)
            out.append([])
        else:
            if block.kind == "result" and n > 0 and isinstance(flat[n - 1], Steps):
                out.append([])
            text = ("warning: " if block.kind == "warning" else "") + block.text
            style = STYLES.get(block.kind, "")
            if block.alt and cells(plain(text)) > width:
                lines = [x for alt in block.alt for x in wrap_prose(alt, width)]
            else:
                lines = wrap_prose(text, width)
            out += [[(line, style)] for line in lines]
    return out
