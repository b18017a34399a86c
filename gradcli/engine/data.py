"""Data: a table whose columns the expression reads as the constants of one sample (--data FILE), and the
loss summed or averaged over its rows (--reduce). The expression is the per-sample loss ℓᵢ; the graph is
built once and evaluated row by row, never unrolled into one graph of every sample.

The totals are correctly rounded sums of the per-sample numbers (math.fsum), as the ``sum`` op's value is:
L = Σᵢ ℓᵢ, and ∂L/∂w = Σᵢ ∂ℓᵢ/∂w; with ``mean`` both divided by N.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from ..errors import GradcliError, GradcliSyntaxError, MathError
from ..core.graph import Graph

REDUCTIONS = ("sum", "mean")
WARNED_SAMPLES = 5  # samples whose warnings are told one by one; the rest are counted
_NAME = re.compile(r"[^\W\d]\w*")


class DataError(GradcliSyntaxError):
    """A data file that cannot be read: the line shown with a caret under the culprit, and its line and
    column named."""

    exit_code = 2

    def render(self) -> str:
        lines = super().render().split("\n")
        lines[-1] = f"error: {self.message}"  # the message names the line and the column already
        return "\n".join(lines)


class Table(NamedTuple):
    """A data file read: its columns' names, and its rows as numbers with the line each came from."""

    source: str  # the file's name as given, or "standard input"
    columns: tuple[str, ...]
    rows: list[tuple[float, ...]]
    lines: list[int]  # the line of the file each row is on, from 1


def read_table(text: str, source: str) -> Table:
    """Read CSV with a header (commas; or tabs, semicolons or blanks where the header has no comma). Blank
    lines and lines that start with # are skipped; every value is a finite number or a constant expression
    such as 1/3 or pi/4."""
    from ..core.parse import normal_name

    numbered = [(k + 1, line) for k, line in enumerate(text.removeprefix("\ufeff").splitlines())
                if line.strip() and not line.lstrip().startswith("#")]
    if not numbered:
        raise GradcliError(f"{source} has no data: it needs a header that names the columns (e.g. x,y) and a row "
                           "per sample")
    head_line, head = numbered[0]
    split = _splitter(head)
    columns: list[str] = []
    comments = [k + 1 for k, line in enumerate(text.splitlines()[:head_line - 1]) if line.lstrip().startswith("#")]
    for offset, field in split(head):
        label = normal_name(field.strip())
        if not _NAME.fullmatch(label):
            what = "a number" if _is_number(field) else f"'{field.strip()}'"
            hint = f" (line {comments[-1]} starts with #, which makes it a comment)" if comments else ""
            raise DataError(f"{source}, line {head_line}: the first line must name the columns (e.g. x,y), and "
                            f"{what} is not a name{hint}", head, offset, len(field), f"{source}:{head_line}: ")
        if label in columns:
            raise DataError(f"{source}, line {head_line}: the column '{label}' is named twice", head, offset,
                            len(field), f"{source}:{head_line}: ")
        columns.append(label)
    rows: list[tuple[float, ...]] = []
    lines: list[int] = []
    width = len(columns)
    for number, line in numbered[1:]:
        fields = split(line)
        where = f"{source}:{number}: "
        if len(fields) != width:
            start = fields[width][0] if len(fields) > width else len(line)
            raise DataError(f"{source}, line {number} has {len(fields)} value{'s' if len(fields) != 1 else ''}; the "
                            f"header names {width} column{'s' if width != 1 else ''} ({', '.join(columns)})",
                            line, start, 1, where)
        row = []
        for c, (offset, field) in enumerate(fields):
            try:
                x = float(field) if "_" not in field else None  # Python reads 1_0 as 10; a table does not
            except ValueError:
                x = _constant(field)
            if x is None or not math.isfinite(x):
                shown = field.strip()
                what = ("is empty" if not shown else f"is '{shown}', not a finite number" if x is not None
                        else f"is '{shown}', not a number")
                raise DataError(f"{source}, line {number}, column {c + 1} ({columns[c]}) {what}", line, offset,
                                max(1, len(field)), where)
            row.append(x)
        rows.append(tuple(row))
        lines.append(number)
    if not rows:
        raise GradcliError(f"{source} names its columns ({', '.join(columns)}) on line {head_line} but has no rows")
    return Table(source, tuple(columns), rows, lines)


def _splitter(head: str):
    """How the file's lines split into fields, from its header: commas, else tabs, else semicolons, else blanks.
    Each field comes with its offset in the line, for the caret."""
    for sep in (",", "\t", ";"):
        if sep in head:
            return lambda line, sep=sep: _fields(line, sep)
    return lambda line: [(m.start(), m.group()) for m in re.finditer(r"\S+", line)]


def _fields(line: str, sep: str) -> list[tuple[int, str]]:
    out, start = [], 0
    for part in line.split(sep):
        text = part.strip().strip('"')
        out.append((start + (len(part) - len(part.lstrip())), text if text or not part else part))
        start += len(part) + 1
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _constant(text: str) -> float | None:
    """A value written as a constant expression (1/3, pi/4, exp(-1)); None where it is not one (v=3, [2])."""
    if not text.strip() or any(c in text for c in "=[]_,;"):
        return None
    from ..core.graph import constant_value
    from ..core.parse import parse_expression

    try:
        return constant_value(parse_expression(text), text)
    except GradcliError:
        return None


# --- the loss over the data ---------------------------------------------------------------------------------


class Summed(NamedTuple):
    """The per-sample losses and gradients, and their sum or mean; the worked trace is of one sample."""

    table: Table
    reduce: str  # "sum" or "mean"
    row: int  # the sample whose tables are shown, from 0
    used: tuple[str, ...]  # the columns the expression reads, in the graph's order of held names
    names: tuple[str, ...]  # the variables the gradient is in
    values: list[float]  # ℓᵢ
    gradients: list[tuple[float, ...]]  # ∇ℓᵢ, in the order of ``names``
    total: float  # L
    gradient: dict[str, float]  # ∇L
    hessian: list | None = None  # hessian --data: Σᵢ Hᵢ (or the mean), in the order of ``names``
    curvature: object = None  # what its eigenvalues say (gradcli/second.py)

    @property
    def unused(self) -> tuple[str, ...]:
        return tuple(c for c in self.table.columns if c not in self.used)


def at_sample(e: MathError, table: Table, r: int) -> MathError:
    """A math error at a sample, saying which sample and where it is in the file."""
    return MathError(e.node, e.definition, f"{e.operands} (sample {r + 1}, line {table.lines[r]} of {table.source})",
                     e.reason)


def column_notes(table: Table, graph: Graph) -> list[str]:
    """A column the expression cannot read because its name is a constant's (e, pi)."""
    from ..core.ops import CONSTANTS

    return [f"the column {c} of {table.source} is not read: in an expression {c} is the constant {c}; rename the "
            "column to use it" for c in table.columns if c in CONSTANTS]


def sample_point(table: Table, row: int, graph: Graph, point: dict[str, float]) -> dict[str, float]:
    """The point with one row's values for the columns the expression reads."""
    out = dict(point)
    for c, x in zip(table.columns, table.rows[row]):
        if c in graph.data_names:
            out[c] = x
    return out


def losses(graph: Graph, point: dict[str, float], table: Table, mode: str, wrt: list[str] | None = None,
           notes: list[str] | None = None, shown: int = -1) -> tuple[list[float], list[tuple[float, ...]]]:
    """ℓᵢ and ∇ℓᵢ for every row: one evaluation and one sweep per row (reverse mode), or one forward sweep per
    variable (forward mode), by the same code as the tables, so the row shown agrees to the last digit. The
    warnings of each sample but the one ``shown`` (its table has them) go to ``notes``."""
    from .stable import plan
    from .trace import evaluate, forward_many, reverse

    notes = [] if notes is None else notes
    names = list(wrt or graph.names)
    index = [graph.names.index(n) for n in names]
    stable = plan(graph)
    slots = [(table.columns.index(n), i) for n, i in zip(graph.data_names, graph.data) if n in table.columns]
    out = graph.output
    seeds = [tuple(1.0 if k == j else 0.0 for k in range(len(graph.names))) for j in index]
    values: list[float] = []
    gradients: list[tuple[float, ...]] = []
    base = dict(point)
    warned = 0
    for r, row in enumerate(table.rows):
        for c, _ in slots:
            base[table.columns[c]] = row[c]
        try:
            ev = evaluate(graph, base, stable)
        except MathError as e:
            raise at_sample(e, table, r) from None
        mine: list[str] = list(ev.warnings)
        if mode == "reverse":
            adjoints = reverse(graph, ev, mine)
            gradient = tuple(adjoints[graph.inputs[j]] for j in index)
        else:
            sweeps = forward_many(graph, ev, seeds, names, mine)
            gradient = tuple(s.tangents[out] for s in sweeps)
        if mine and r != shown:
            warned += 1
            if warned <= WARNED_SAMPLES:
                notes.extend(f"sample {r + 1} (line {table.lines[r]}): {w}" for w in dict.fromkeys(mine))
        values.append(ev.values[out])
        gradients.append(gradient)
    if warned > WARNED_SAMPLES:
        notes.append(f"… and warnings at {warned - WARNED_SAMPLES} more samples (--row K shows sample K's)")
    return values, gradients


def summed(graph: Graph, point: dict[str, float], table: Table, reduce: str, row: int, mode: str,
           wrt: list[str] | None = None, notes: list[str] | None = None) -> Summed:
    values, gradients = losses(graph, point, table, mode, wrt, notes, row)
    names = tuple(wrt or graph.names)
    gradient = {name: total([g[k] for g in gradients], reduce) for k, name in enumerate(names)}
    used = tuple(n for n in graph.data_names if n in table.columns)
    return Summed(table, reduce, row, used, names, values, gradients, total(values, reduce), gradient)


def summed_hessian(graph: Graph, point: dict[str, float], table: Table, reduce: str, row: int,
                   wrt: list[str] | None = None, notes: list[str] | None = None) -> Summed:
    """Every sample's loss, gradient and Hessian (forward over reverse, as ``gradcli hessian`` computes one), and
    their totals: the Hessian of a sum is the sum of the Hessians."""
    from .second import curvature_of, run_hessian

    notes = [] if notes is None else notes
    names = tuple(wrt or graph.names)
    values: list[float] = []
    gradients: list[tuple[float, ...]] = []
    matrices: list[list[list[float]]] = []
    warned = 0
    for r in range(len(table.rows)):
        try:
            t = run_hessian(graph, sample_point(table, r, graph, point), None, list(names))
        except MathError as e:
            raise at_sample(e, table, r) from None
        if t.warnings and r != row:
            warned += 1
            if warned <= WARNED_SAMPLES:
                notes.extend(f"sample {r + 1} (line {table.lines[r]}): {w}" for w in t.warnings)
        values.append(t.value)
        gradients.append(tuple(t.gradient[n] for n in names))
        matrices.append(t.hessian)
    if warned > WARNED_SAMPLES:
        notes.append(f"… and warnings at {warned - WARNED_SAMPLES} more samples (--row K shows sample K's)")
    k = len(names)
    gradient = {n: total([g[j] for g in gradients], reduce) for j, n in enumerate(names)}
    matrix = [[total([m[a][b] for m in matrices], reduce) for b in range(k)] for a in range(k)]
    used = tuple(n for n in graph.data_names if n in table.columns)
    return Summed(table, reduce, row, used, names, values, gradients, total(values, reduce), gradient, matrix,
                  curvature_of(matrix, list(gradient.values())))


def total(xs: list[float], reduce: str) -> float:
    """The sum of the samples' numbers, correctly rounded (math.fsum), or their mean."""
    s = math.fsum(xs) if all(map(math.isfinite, xs)) else sum(xs)  # fsum refuses inf - inf
    return s if reduce == "sum" else s / len(xs)


def pick_row(text: int | None, table: Table) -> int:
    """--row K, from 1 (the default, the first); returned from 0."""
    if text is None:
        return 0
    if not 1 <= text <= len(table.rows):
        raise GradcliError(f"--row {text}: {table.source} has {len(table.rows)} sample"
                           f"{'s' if len(table.rows) != 1 else ''}, numbered from 1")
    return text - 1
