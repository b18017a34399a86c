"""A surface over a grid: the loss at every point of a grid of two inputs (or along one, a curve), evaluated as
columns in one sweep over the graph (gradcli/engine/columns.py's ``evaluate_columns``), with a data file's
loss summed or averaged over its rows at each point.

A picture needs the values only, not their last digit: here the op table's transcendental functions run as
numpy's own (one call per node, not one per grid point), the local partials are not computed, and nothing is
marked for a second look. A point where the loss is undefined (log of a negative number) or not finite is
nan: a gap in the picture, not an error.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from .. import limits
from ..errors import GradcliSyntaxError, UsageError
from .columns import BLOCK, _Columns

DEFAULT_POINTS = 200  # per axis, for --format json and a file


class Axis(NamedTuple):
    """One axis of the grid: the input it varies and its range; ``points`` numbers from lo to hi."""

    name: str
    lo: float
    hi: float
    points: int

    def values(self) -> list[float]:
        if self.points == 1:
            return [self.lo]
        step = (self.hi - self.lo) / (self.points - 1)
        return [self.lo + k * step for k in range(self.points - 1)] + [self.hi]


class Surface(NamedTuple):
    """``plot``: the values over the grid, row k of ``z`` at y = ``y.values()[k]`` (a curve: one row per value of
    the varied input), nan where the loss is undefined; a descent's path over it, where there is one."""

    graph: object
    point: dict[str, float]  # the constants held (--let)
    x: Axis
    y: Axis | None  # None: curves
    z: list[list[float]]
    vary: tuple[str, tuple[float, ...]] | None = None  # curves: the input varied and its values, a curve each
    table: object = None
    reduce: str = "sum"
    path: list[tuple[float, float]] | None = None  # (x, y) of each step, or (x, loss) for a curve
    losses: list[float] | None = None  # the loss at each step of the path
    warnings: list[str] = []

    @property
    def command(self) -> str:
        return "plot"

    def minimum(self) -> tuple[int, int, float] | None:
        """The grid's least finite value: (row, column, value); None where no value is finite."""
        best = None
        for r, row in enumerate(self.z):
            for c, v in enumerate(row):
                if math.isfinite(v) and (best is None or v < best[2]):
                    best = (r, c, v)
        return best


def parse_axis(text: str, option: str, ranged: bool = True) -> tuple[str, float | None, float | None]:
    """``phi0=-3:3`` (or, where the range can come from a path, ``phi0``): the name and the range."""
    from ..core.parse import normal_name
    limits.option(text, option)
    name, eq, rest = text.partition("=")
    name = normal_name(name.strip())
    if not name.isidentifier():
        raise GradcliSyntaxError(f"{option} takes NAME=LO:HI, e.g. {option} phi0=-3:3", text, 0, max(1, len(text)),
                                 option + " ")
    if not eq:
        if ranged:
            raise GradcliSyntaxError(f"{option} {name} needs a range: {option} {name}=-3:3", text, 0, len(text),
                                     option + " ")
        return name, None, None
    lo_text, colon, hi_text = rest.partition(":")
    start = len(text) - len(rest)
    if not colon:
        raise GradcliSyntaxError(f"{option} takes a range LO:HI after the name, e.g. {name}=-3:3", text, start,
                                 max(1, len(rest)), option + " ")
    lo = parse_value(lo_text, text, start, option)
    hi = parse_value(hi_text, text, start + len(lo_text) + 1, option)
    if not lo < hi:
        raise GradcliSyntaxError(f"{option} {name}={lo_text}:{hi_text}: the range must run from low to high "
                                 f"(LO < HI)", text, start, max(1, len(rest)), option + " ")
    return name, lo, hi


def parse_vary(text: str) -> tuple[str, tuple[float, ...]]:
    """``phi1=0.5,1,2``: the input held at each value in turn, a curve each."""
    from ..core.parse import normal_name
    from ..core.point import split_top

    limits.option(text, "--vary")
    name, eq, rest = text.partition("=")
    name = normal_name(name.strip())
    if not eq or not name.isidentifier() or not rest.strip():
        raise GradcliSyntaxError("--vary takes NAME=V1,V2,..., e.g. --vary phi1=0.5,1,2", text, 0, max(1, len(text)),
                                 "--vary ")
    start = len(text) - len(rest)
    values = tuple(parse_value(part, text, start + offset, "--vary") for offset, part in split_top(rest))
    if len(values) > MAX_CURVES:
        raise UsageError(f"--vary gives {len(values)} values; a picture shows {MAX_CURVES} curves at most", "--vary")
    return name, values


MAX_CURVES = 8


def parse_value(part: str, text: str, start: int, option: str) -> float:
    """One number of an option (a constant expression allowed), its errors pointing into the whole option."""
    from ..core.point import _value

    return _value(text, start, part, option + " ")


def grid_size(points: str | None) -> tuple[int, int] | None:
    """--grid N or NxM: points along x and along y."""
    if points is None:
        return None
    a, _, b = points.lower().partition("x")
    try:
        n, m = int(a), int(b or a)
    except ValueError:
        raise UsageError(f"{points!r}: --grid takes N or NxM, e.g. --grid 200 or --grid 200x100", "--grid") from None
    if n < 2 or m < 2:
        raise UsageError(f"{points}: at least 2 points along each axis", "--grid")
    return n, m


def check_size(n: int, m: int) -> None:
    limits.count(n * m, f"a grid of {n:,}×{m:,} = {n * m:,} points is", "grid_points")


# --- evaluation ----------------------------------------------------------------------------------------------


class _Values(_Columns):
    """The columns of ``evaluate_columns`` for a picture: numpy's functions for the op table's, the values
    only (no partials, nothing marked)."""

    def __init__(self, np, size: int, stable: dict) -> None:
        super().__init__(np, size)
        with_numpy = {
            "exp": np.exp, "log": np.log, "sin": np.sin, "cos": np.cos, "tan": np.tan, "tanh": np.tanh,
            "sinh": np.sinh, "cosh": np.cosh, "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
            "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh, "log2": np.log2, "log10": np.log10,
            "abs": np.abs, "expm1": np.expm1, "log1p": np.log1p, "sqrt": np.sqrt,
            "relu": lambda x: np.maximum(x, 0.0), "softplus": lambda x: np.logaddexp(0.0, x),
            "sigmoid": lambda x: np.exp(-np.logaddexp(0.0, -x)),
        }
        self.unary = with_numpy
        self.binary = {"pow": np.power}
        # each stable form (gradcli/engine/stable.py) as numpy's: its chain of one-operand ops, from the inside
        self.forms = {}
        for form in stable.values():
            chain, e = [], form.form
            while len(e.args) == 1 and (e.op == "neg" or e.op in with_numpy):
                chain.append(e.op)
                e = e.args[0]
            self.forms[form.fn] = lambda v, chain=tuple(reversed(chain)): self._chain(chain, v)

    def _chain(self, chain, v):
        for op in chain:
            v = -v if op == "neg" else self.unary[op](v)
        return v

    def apply(self, name: str, xs):
        if any(type(x) is self.np.ndarray for x in xs):
            if len(xs) == 1 and name in self.unary:
                return self.unary[name](xs[0])
            if len(xs) == 2 and name in self.binary:
                return self.binary[name](*xs)
        return super().apply(name, xs)

    def mapped(self, fn, xs):
        vector = self.forms.get(fn)
        return vector(*xs) if vector is not None else super().mapped(fn, xs)

    def overridden(self, override, xs):
        return 0.0

    def rule(self, rule, xs, z):
        return 0.0

    def mark(self, x) -> None:
        pass

    def mark_where(self, hit) -> None:
        pass


def evaluate_grid(graph, point: dict[str, float], columns: dict[str, list[float]], table=None,
                  reduce: str = "sum"):
    """The output at each of N points, the inputs ``columns`` gives (N values each) varying, the rest held at
    ``point``; with ``table``, the loss summed (or averaged) over its rows at each point. A list of N floats,
    nan where undefined."""
    import numpy as np

    from .columns import evaluate_columns
    from .stable import plan

    stable = plan(graph)
    size = len(next(iter(columns.values())))
    grid = {name: np.asarray(v, dtype=float) for name, v in columns.items()}
    used = [c for c in (table.columns if table is not None else ()) if c in graph.data_names]
    if table is not None:
        matrix = table.rows.array if hasattr(table.rows, "array") else np.array(table.rows, dtype=float)
        data = {c: matrix[:, table.columns.index(c)] for c in used}
        rows = matrix.shape[0]
    else:
        data, rows = {}, 1
    block = max(1, BLOCK // rows)
    out = np.empty(size)
    with np.errstate(all="ignore"):
        for start in range(0, size, block):
            end = min(start + block, size)
            n = end - start
            given = {name: np.repeat(v[start:end], rows) for name, v in grid.items()}
            given.update({c: np.tile(col, n) for c, col in data.items()})
            cols = _Values(np, n * rows, stable)
            values, _ = evaluate_columns(cols, graph, point, given, stable)
            z = np.broadcast_to(np.asarray(values[graph.output], dtype=float), (n * rows,)).reshape(n, rows)
            total = z.sum(axis=1)
            out[start:end] = total / rows if reduce == "mean" else total
    out[~np.isfinite(out)] = np.nan
    return out.tolist()


def surface(graph, point: dict[str, float], x: Axis, y: Axis | None, table=None, reduce: str = "sum",
            vary: tuple[str, tuple[float, ...]] | None = None) -> list[list[float]]:
    """The rows of the picture: z[k][j] at (x_j, y_k); for curves, one row per value of ``vary`` (or one)."""
    xs = x.values()
    if y is not None:
        ys = y.values()
        flat = evaluate_grid(graph, point, {x.name: xs * len(ys), y.name: [v for v in ys for _ in xs]}, table,
                             reduce)
    elif vary is not None:
        name, values = vary
        flat = evaluate_grid(graph, point, {x.name: xs * len(values), name: [v for v in values for _ in xs]},
                             table, reduce)
    else:
        flat = evaluate_grid(graph, point, {x.name: xs}, table, reduce)
    return [flat[k:k + len(xs)] for k in range(0, len(flat), len(xs))]


def read_path(doc: dict, names: tuple[str, ...], source: str) -> tuple[list[tuple[float, ...]], list[float]]:
    """A descent's JSON (``gradcli descend --format json``): the parameters ``names`` at each step, and the
    loss there."""
    from ..errors import GradcliError

    rows = doc.get("rows") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or doc.get("command") != "descend" or not isinstance(rows, list):
        raise GradcliError(f"--path {source}: not the JSON of gradcli descend (--format json)")
    path, losses = [], []
    for row in rows:
        params = row.get("params", {})
        missing = [n for n in names if n not in params]
        if missing:
            raise GradcliError(f"--path {source}: the descent has no parameter {missing[0]} (it has "
                               f"{', '.join(params)})")
        path.append(tuple(_num(params[n]) for n in names))
        losses.append(_num(row.get("loss")))
    if not path:
        raise GradcliError(f"--path {source}: the descent has no steps")
    return path, losses


def _num(v) -> float:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    return {"inf": math.inf, "-inf": -math.inf}.get(v, math.nan)


def around(values: list[float]) -> tuple[float, float]:
    """A range that holds ``values`` with a margin: an eighth of their spread each side (or 1 where they
    are one value)."""
    finite = [v for v in values if math.isfinite(v)]
    lo, hi = (min(finite), max(finite)) if finite else (-1.0, 1.0)
    pad = (hi - lo) / 8 if hi > lo else max(1.0, abs(lo) / 4)
    return lo - pad, hi + pad
