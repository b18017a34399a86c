"""Data: a table whose columns the expression reads as the constants of one sample (--data FILE), and the
loss summed or averaged over its rows (--reduce). The expression is the per-sample loss ℓᵢ; the graph is
built once and evaluated row by row, never unrolled into one graph of every sample.

The totals are correctly rounded sums of the per-sample numbers (math.fsum), as the ``sum`` op's value is:
L = Σᵢ ℓᵢ, and ∂L/∂w = Σᵢ ∂ℓᵢ/∂w; with ``mean`` both divided by N.
"""

from __future__ import annotations

import csv
import math
import re
from typing import NamedTuple

from .. import limits
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


COLUMN_ROWS = 2000  # from this many rows, a file is read and its losses evaluated as columns (gradcli/engine/columns.py)
# what only the row-by-row reader reads: comments, quotes, digit separators, and the line breaks of splitlines
_NOT_PLAIN = ("#", '"', "_", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e")


class Rows:
    """The rows of a table kept as one N×k array of floats: each row read as a tuple of Python floats, and a
    column as a list; no Python object per row is kept."""

    __slots__ = ("array",)

    def __init__(self, array) -> None:
        self.array = array

    def __len__(self) -> int:
        return self.array.shape[0]

    def __getitem__(self, r: int) -> tuple[float, ...]:
        return tuple(self.array[r].tolist())

    def __iter__(self):
        for start in range(0, len(self), 4096):
            yield from map(tuple, self.array[start:start + 4096].tolist())

    def column(self, k: int) -> list[float]:
        return self.array[:, k].tolist()


def chunk(rows, start: int, end: int) -> list:
    """Rows ``start`` to ``end`` of a list of tuples or of ``Rows``, each a sequence of floats."""
    return rows.array[start:end].tolist() if isinstance(rows, Rows) else rows[start:end]


def column(rows, k: int) -> list[float]:
    """The k-th number of every row, of a list of tuples or of ``Rows``."""
    return rows.column(k) if isinstance(rows, Rows) else [g[k] for g in rows]


class Table(NamedTuple):
    """A data file read: its columns' names, and its rows as numbers with the line each came from."""

    source: str  # the file's name as given, or "standard input"
    columns: tuple[str, ...]
    rows: list[tuple[float, ...]] | Rows
    lines: list[int] | range  # the line of the file each row is on, from 1
    text: dict = {}  # the columns left out, each with why: name -> DataError at its first field that is not a number
    index: bool = False  # an unnamed first column (a row index, as pandas writes one) was left out


def read_table(text: str, source: str) -> Table:
    """Read CSV with a header (commas; or tabs, semicolons or blanks where the header has no comma). Blank
    lines and lines that start with # are skipped; every value is a finite number or a constant expression
    such as 1/3 or pi/4."""
    from ..core.parse import normal_name

    text = text.removeprefix("\ufeff")
    if len(text) >= 32 * COLUMN_ROWS:
        fast = _read_plain(text, source)
        if fast is not None:
            return fast
    numbered = [(k + 1, line) for k, line in enumerate(text.splitlines())
                if line.strip() and not line.lstrip().startswith("#")]
    if not numbered:
        raise GradcliError(f"{source} has no data: it needs a header that names the columns (e.g. x,y) and a row "
                           "per sample")
    head_line, head = numbered[0]
    splitter = _splitter(head)

    def split(line: str, number: int | None = None) -> list[tuple[int, str]]:
        try:
            return splitter(line)
        except _Unquoted as e:
            n = head_line if number is None else number
            raise DataError(f"{source}, line {n}: a quote is not closed, or text follows a closing quote", line,
                            e.args[0], 1, f"{source}:{n}: ") from None
    columns: list[str] = []
    comments = [k + 1 for k, line in enumerate(text.splitlines()[:head_line - 1]) if line.lstrip().startswith("#")]
    fields = split(head)
    index = len(fields) > 1 and not fields[0][1].strip()  # ",x,y": pandas' unnamed index column
    for offset, field in fields[index:]:
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
    limits.count(len(columns), f"{source} names {len(columns):,} columns,", "data_columns")
    limits.count(len(numbered) - 1, f"{source} has {len(numbered) - 1:,} rows,", "data_rows")
    rows: list[list[float | None]] = []
    lines: list[int] = []
    width = len(columns) + index
    text_columns: dict[str, DataError] = {}  # a column with a field that is not a number: left out, unless used
    for number, line in numbered[1:]:
        fields = split(line, number)
        where = f"{source}:{number}: "
        if len(fields) != width:
            start = fields[width][0] if len(fields) > width else len(line)
            raise DataError(f"{source}, line {number} has {len(fields)} value{'s' if len(fields) != 1 else ''}; the "
                            f"header names {width} column{'s' if width != 1 else ''} ({', '.join(columns)})",
                            line, start, 1, where)
        row: list[float | None] = []
        for c, (offset, field) in enumerate(fields[index:]):
            try:
                x = float(field) if "_" not in field else None  # Python reads 1_0 as 10; a table does not
            except ValueError:
                x = _constant(field)
            if x is None or not math.isfinite(x):
                if columns[c] not in text_columns:
                    shown = field.strip()
                    what = ("is empty" if not shown else f"is '{shown}', not a finite number" if x is not None
                            else f"is '{shown}', not a number")
                    text_columns[columns[c]] = DataError(
                        f"{source}, line {number}, column {c + 1 + index} ({columns[c]}) {what}", line, offset,
                        max(1, len(field)), where)
                x = None
            row.append(x)
        rows.append(row)
        lines.append(number)
    if not rows:
        raise GradcliError(f"{source} names its columns ({', '.join(columns)}) on line {head_line} but has no rows")
    if len(text_columns) == len(columns):
        raise next(iter(text_columns.values()))  # nothing to read: the first field that is not a number
    kept = [c for c, n in enumerate(columns) if n not in text_columns]
    numbers = [tuple(r[c] for c in kept) for r in rows] if text_columns else [tuple(r) for r in rows]
    return Table(source, tuple(columns[c] for c in kept), numbers, lines, text_columns, bool(index))


def _read_plain(text: str, source: str) -> Table | None:
    """A large file of plain numbers under a header of commas, read by numpy's parser (which converts decimals
    as Python's float does, correctly rounded); None for anything else (a comment, a blank line, a quote, a
    constant such as 1/3, a field that is not a finite number), which the row-by-row reader reads and tells."""
    try:
        import numpy as np
    except ImportError:
        return None
    start, line = 0, 0
    while True:  # the header: the first line that is not blank or a comment
        end = text.find("\n", start)
        head = text[start:] if end < 0 else text[start:end]
        line += 1
        if end < 0 or (head.strip() and not head.lstrip().startswith("#")):
            break
        start = end + 1
    if re.search(r"[^\x20-\x7e\n\r]", text[:start]):
        return None  # the lines above the header are counted as splitlines counts them
    body = text[end + 1:] if end >= 0 else ""
    if "\r" in body:
        body = body.replace("\r\n", "\n")
    if "," not in head or "\r" in head.rstrip("\r") or not body.strip() or not body.isascii() or any(c in body for c in _NOT_PLAIN):
        return None
    head = head.rstrip("\r")
    try:  # the header read as the row-by-row reader reads it, with its errors
        names = read_table(head + "\n" + body[:body.find("\n") + 1], source).columns
    except GradcliError:
        return None
    import io

    try:
        matrix = np.loadtxt(io.StringIO(body), delimiter=",", comments=None, dtype=float, ndmin=2)
    except ValueError:
        return None
    count = body.count("\n") + (not body.endswith("\n"))
    limits.count(count, f"{source} has {count:,} rows,", "data_rows")
    if matrix.shape != (count, len(names)) or not np.isfinite(matrix).all():
        return None
    return Table(source, names, Rows(matrix), range(line + 1, line + 1 + count))


def _splitter(head: str):
    """How the file's lines split into fields, from its header: commas, else tabs, else semicolons, else blanks.
    Each field comes with its offset in the line, for the caret."""
    for sep in (",", "\t", ";"):
        if sep in head:
            return lambda line, sep=sep: _fields(line, sep)
    return lambda line: [(m.start(), m.group()) for m in re.finditer(r"\S+", line)]


class _Unquoted(Exception):
    """A quote not closed, or text after a closing quote; ``args[0]`` is the offset of the last quote."""


def _fields(line: str, sep: str) -> list[tuple[int, str]]:
    """A line's fields as CSV reads them (Python's csv module): a field in double quotes may hold the separator,
    and a quote written twice ("") stands for one; each field with its offset in the line."""
    if '"' not in line:
        out, start = [], 0
        for part in line.split(sep):
            text = part.strip()
            out.append((start + (len(part) - len(part.lstrip())), text if text or not part else part))
            start += len(part) + 1
        return out
    try:
        values = next(csv.reader([line], delimiter=sep, skipinitialspace=True, strict=True))
    except csv.Error:
        at = line.rfind('"')
        raise _Unquoted(line.rfind('"')) from None
    out, k = [], 0
    for v in values:  # where each field starts: after blanks, at its opening quote or its first character
        while k < len(line) and line[k] in " \t" and line[k] != sep:
            k += 1
        start = k
        if k < len(line) and line[k] == '"':
            k += 1
            while k < len(line):
                if line[k] == '"':
                    if line[k + 1:k + 2] == '"':
                        k += 2
                        continue
                    break
                k += 1
        end = line.find(sep, k)
        k = len(line) + 1 if end < 0 else end + 1
        out.append((start, v.strip()))
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
    gradients: list[tuple[float, ...]] | Rows  # ∇ℓᵢ, in the order of ``names``
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

    notes = [f"the column {c} of {table.source} is not read: in an expression {c} is the constant {c}; rename the "
             "column to use it" for c in table.columns if c in CONSTANTS]
    if table.index:
        notes.append(f"the unnamed first column of {table.source} (a row index, as pandas writes one) is not read")
    if table.text:
        names = ", ".join(table.text)
        notes.append(f"the column{'s' if len(table.text) > 1 else ''} {names} of {table.source} "
                     f"{'are' if len(table.text) > 1 else 'is'} not read: not all numbers, and the expression does "
                     "not use them")
    return notes


def refuse_text_columns(table: Table, names) -> None:
    """A name the expression uses that is a column with text in it: the first field that is not a number, with
    a caret."""
    for n in names:
        if n in table.text:
            raise table.text[n]


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
    base = dict(point)
    warned = 0

    def sweep(r: int, row: tuple[float, ...]) -> tuple[float, tuple[float, ...]]:
        nonlocal warned
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
        return ev.values[out], gradient

    got = None
    if len(table.rows) >= COLUMN_ROWS:
        got = _by_columns(graph, point, table, mode, index, stable)
    if got is None:
        values: list[float] = []
        gradients: list[tuple[float, ...]] | Rows = []
        for r, row in enumerate(table.rows):
            value, gradient = sweep(r, row)
            values.append(value)
            gradients.append(gradient)
    else:  # every row at once; the rows that may have something to say are swept again, one by one, in order
        column_values, matrix, marked = got
        for r in marked.nonzero()[0].tolist():
            column_values[r], matrix[r] = sweep(r, table.rows[r])
        values, gradients = column_values.tolist(), Rows(matrix)
    if warned > WARNED_SAMPLES:
        notes.append(f"… and warnings at {warned - WARNED_SAMPLES} more samples (--row K shows sample K's)")
    return values, gradients


def _by_columns(graph: Graph, point: dict[str, float], table: Table, mode: str, index: list[int], stable: dict):
    """The losses and gradients of every row as columns (gradcli/engine/columns.py), or None where numpy is not
    installed or the columns cannot stand for the rows."""
    try:
        import numpy as np
    except ImportError:
        return None
    from .columns import losses_by_columns

    matrix = table.rows.array if isinstance(table.rows, Rows) else np.array(table.rows, dtype=float)
    return losses_by_columns(graph, point, matrix, table.columns, mode, index, stable)


def summed(graph: Graph, point: dict[str, float], table: Table, reduce: str, row: int, mode: str,
           wrt: list[str] | None = None, notes: list[str] | None = None) -> Summed:
    values, gradients = losses(graph, point, table, mode, wrt, notes, row)
    names = tuple(wrt or graph.names)
    gradient = {name: total(column(gradients, k), reduce) for k, name in enumerate(names)}
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
