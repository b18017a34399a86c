"""Columns: every row of a data file evaluated at once, one numpy operation per node and rule, with the same
numbers, to the last bit, as the sweeps of one row at a time (gradcli/engine/trace.py).

The same loop as ``evaluate``, ``reverse`` and ``forward_many`` over the same graph and rules, where a value
is a column of N numbers (a node that reads the data) or one number (a node of the parameters only). The
numbers agree with the row-by-row sweeps because each operation is the one they make:

- ``+ - * /``, negation and ``sqrt`` are single IEEE operations, correctly rounded in numpy as in Python;
  they run on whole columns;
- every other op (exp, log, sigmoid, pow, …) and every float override of a rule calls the op table's own
  function on each row's numbers (``ieee``: its value, with inf or nan where it would raise), so no libm
  or SIMD routine of numpy's decides a digit;
- sums run over the same terms in the same order.

What a row can have to say (a math error, a non-finite number, a kink, a sum that cancelled, a term 0·inf)
is not worked out here: each row where it can arise is marked, and the caller sweeps the marked rows again
one by one, which says it in the words of a single evaluation. A graph whose parameter-only part already
says something (every row would) is left to the row-by-row sweeps: ``Unsuited``.
"""

from __future__ import annotations

import math
import operator
from itertools import repeat

from ..core.expr import NAME, NUM, OUT, SLOT, transform
from ..core.graph import OP_CODES, OP_NAMES, Graph
from ..core.ops import CONSTANTS, OPS, ieee
from ..core.rules import partial_sources

_NATIVE = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
           "neg": operator.neg}  # and sqrt, numpy's own; "copy" is the operand itself
_ADD, _SUB = OP_CODES["add"], OP_CODES["sub"]


class Unsuited(Exception):
    """The columns cannot stand for the rows here; the rows are swept one by one."""


class _Columns:
    """The operations on columns of ``size`` rows, and the rows marked for a sweep of their own."""

    def __init__(self, np, size: int) -> None:
        self.np, self.size = np, size
        self.marked = np.zeros(size, dtype=bool)
        self.native = dict(_NATIVE, sqrt=np.sqrt)

    def is_column(self, x) -> bool:
        return type(x) is self.np.ndarray

    def listed(self, x):
        """The numbers of each row as Python floats, for the op table's functions."""
        return x.tolist() if type(x) is self.np.ndarray else repeat(x, self.size)

    def mapped(self, fn, xs):
        return self.np.fromiter(map(fn, *(self.listed(x) for x in xs)), float, self.size)

    def apply(self, name: str, xs):
        """op ``name`` of ``xs`` as the op table's IEEE function gives it, row by row."""
        if name == "copy":
            return xs[0]
        if not any(type(x) is self.np.ndarray for x in xs):
            return ieee(name)(*xs)
        native = self.native.get(name)
        if native is not None and len(xs) <= 2:
            return native(*xs)
        try:  # the op's value itself, where no row makes it raise: the same numbers, a call fewer a row
            return self.mapped(OPS[name].value, xs)
        except (ArithmeticError, ValueError):
            return self.mapped(ieee(name), xs)

    def overridden(self, override, xs):
        """A float override of a rule, f(*xs, z); nan in a row where it raises (a row whose value was undefined,
        which is marked and swept again)."""
        def total(*row):
            try:
                return override(*row)
            except (ArithmeticError, ValueError):
                return math.nan

        if not any(type(x) is self.np.ndarray for x in xs):
            return total(*xs)
        try:
            return self.mapped(override, xs)
        except (ArithmeticError, ValueError):
            return self.mapped(total, xs)

    def subset(self, rows) -> "_Columns":
        """The same operations on the rows ``rows`` (a mask) only."""
        part = _Columns(self.np, int(rows.sum()))
        part.marked = self.marked[rows]
        return part

    def mark(self, x) -> None:
        """Mark the rows where ``x`` is not finite; one number not finite is in every row."""
        if type(x) is self.np.ndarray:
            self.marked |= ~self.np.isfinite(x)
        elif not math.isfinite(x):
            raise Unsuited

    def mark_where(self, hit) -> None:
        hit = self.np.asarray(hit)
        if hit.ndim == 0:
            if hit:
                raise Unsuited
        else:
            self.marked |= hit

    def rule(self, rule, xs, z):
        """A rule of the op table on columns: its ops applied as the values' are."""
        def leaf(e):
            if e.op == NUM:
                return e.leaf[0]
            if e.op == SLOT:
                return xs[e.leaf]
            if e.op == OUT:
                return z
            if e.op == NAME and e.leaf in CONSTANTS:
                return CONSTANTS[e.leaf]
            raise Unsuited

        return transform(rule, leaf, lambda e, args: self.apply(e.op, args))


def evaluate_columns(cols: _Columns, graph: Graph, point: dict[str, float], data: dict[str, object],
                     stable: dict) -> tuple[list, list]:
    """Each node's value and each operand slot's local partial, a column or a number, as ``evaluate`` computes
    them row by row; ``data`` holds the columns of the data names the file gives."""
    np = cols.np
    codes, starts, flat = graph.codes, graph.starts, graph.flat
    n, leaves = len(codes), graph.leaves
    values: list = [0.0] * n + [c.value for c in graph.consts]
    for c in graph.consts:
        if not math.isfinite(c.value):
            raise Unsuited
    for i, name in zip(graph.inputs, graph.names):
        values[i] = float(point[name])
    for i, name in zip(graph.data, graph.data_names):
        values[i] = data[name] if name in data else float(point[name])
    partials: list = [0.0] * len(flat)
    sources: dict[tuple, tuple] = {}
    for i in range(leaves, n):
        code, s, e = codes[i], starts[i], starts[i + 1]
        name = OP_NAMES[code]
        args = flat[s:e]
        xs = [values[a] for a in args]
        form = stable.get(i)
        w = None if form is None else form.operand
        operand = None if w is None else values[w] if type(w) is int else w.value
        if form is not None and cols.is_column(operand):
            # the stable form's value, and the written form's only in the rows where that one is not finite: no
            # written form of gradcli/engine/stable.py's table raises where its stable form does not
            try:
                z = cols.mapped(form.fn, [operand])
            except (ArithmeticError, ValueError):
                raise Unsuited from None
            other = ~np.isfinite(z)
            if other.any():
                part = cols.subset(other)
                written = part.apply(name, [x[other] if cols.is_column(x) else x for x in xs])
                z[other] = np.where(np.isfinite(z[other]) | ~np.isfinite(written), z[other], written)
        else:
            z = cols.apply(name, xs)
            if form is not None:
                try:
                    better = form.fn(operand)
                except (ArithmeticError, ValueError):
                    raise Unsuited from None
                if math.isfinite(better) or not math.isfinite(z):
                    z = better
        values[i] = z
        cols.mark(z)
        got = sources.get((code, e - s))
        if got is None:
            got = sources[(code, e - s)] = partial_sources(name, e - s)
        for k, (rule, override) in enumerate(got):
            if args[k] >= n:
                continue  # a constant's partial stays 0
            if override is not None:
                p = cols.overridden(override, [*xs, z])
            elif rule.op == NUM:
                p = rule.leaf[0]
            else:
                p = cols.rule(rule, xs, z)
            partials[s + k] = p
            cols.mark(p)
        kink = OPS[name].kink
        if kink is not None:
            for k, a in enumerate(args):
                if a >= n:
                    continue
                try:
                    if any(map(cols.is_column, xs)):
                        rows = zip(*(cols.listed(x) for x in xs))
                        cols.mark_where(np.fromiter((kink(k, *r) is not None for r in rows), bool, cols.size))
                    elif kink(k, *xs) is not None:
                        raise Unsuited
                except (ArithmeticError, ValueError):
                    raise Unsuited from None
        if (code == _ADD or code == _SUB) and i not in stable and (leaves <= args[0] < n or leaves <= args[1] < n):
            # where a sum may have lost digits to cancellation (gradcli/engine/checks.py looks closer)
            with np.errstate(all="ignore"):
                big = np.maximum(np.abs(xs[0]), np.abs(xs[1]))
                cols.mark_where(np.isfinite(z) & (big >= 1e8 * np.abs(z)))
    del values[n:]
    return values, partials


def _sum(cols: _Columns, terms):
    """The terms added left to right, as the sweeps add them, and the rows where the total is not finite marked;
    None for no terms."""
    total = None
    for term in terms:
        total = term if total is None else total + term
    if total is not None:
        cols.mark(total)
    return total


def reverse_columns(cols: _Columns, graph: Graph, partials: list) -> list:
    """The adjoints, as ``reverse`` sums them: over each node's consumers in order."""
    n = len(graph.codes)
    adjoints: list = [0.0] * n
    out = graph.output
    adjoints[out] = 1.0
    consumers = graph.consumers
    first, edges, consumer = consumers.start, consumers.edges, consumers.node
    lo, hi = len(graph.names), graph.leaves
    for j in range(out - 1, -1, -1):
        f, t = first[j], first[j + 1]
        if f == t or lo <= j < hi:
            continue
        total = _sum(cols, (adjoints[consumer[slot]] * partials[slot] for slot in edges[f:t] if consumer[slot] <= out))
        if total is not None:
            adjoints[j] = total
    return adjoints


def forward_columns(cols: _Columns, graph: Graph, partials: list, seed: tuple[float, ...]) -> list:
    """The tangents of one sweep, as ``forward_many`` sums them: over each node's operands in order."""
    starts, flat = graph.starts, graph.flat
    n = len(graph.codes)
    tangents: list = [0.0] * n
    for j, i in enumerate(graph.inputs):
        tangents[i] = float(seed[j])
    s = starts[graph.leaves]
    for i in range(graph.leaves, n):
        e = starts[i + 1]
        total = _sum(cols, (partials[slot] * tangents[flat[slot]] for slot in range(s, e) if flat[slot] < n))
        if total is not None:
            tangents[i] = total
        s = e
    return tangents


BLOCK = 1 << 16  # rows evaluated together: each node's column and each edge's partial hold this many at most


def losses_by_columns(graph: Graph, point: dict[str, float], matrix, columns: tuple[str, ...], mode: str,
                      index: list[int], stable: dict):
    """ℓᵢ and ∇ℓᵢ of every row (a column of N, and an N×k array in the order of ``index``), and the rows
    to sweep again one by one; None where the columns cannot stand for the rows (``Unsuited``). The rows go
    in blocks of ``BLOCK``, so the memory of the columns is bounded by the block, not by the file."""
    import numpy as np

    size = matrix.shape[0]
    losses = np.empty(size)
    grads = np.empty((size, len(index)))
    marked = np.zeros(size, dtype=bool)
    where = [columns.index(name) for name in graph.data_names if name in columns]
    names = [name for name in graph.data_names if name in columns]
    for start in range(0, size, BLOCK):
        end = min(start + BLOCK, size)
        cols = _Columns(np, end - start)
        data = {name: np.ascontiguousarray(matrix[start:end, k]) for name, k in zip(names, where)}
        try:
            with np.errstate(all="ignore"):
                values, partials = evaluate_columns(cols, graph, point, data, stable)
                out = graph.output
                if mode == "reverse":
                    adjoints = reverse_columns(cols, graph, partials)
                    gradient = [adjoints[graph.inputs[j]] for j in index]
                else:
                    gradient = []
                    for j in index:
                        seed = tuple(1.0 if k == j else 0.0 for k in range(len(graph.names)))
                        gradient.append(forward_columns(cols, graph, partials, seed)[out])
        except Unsuited:
            return None
        losses[start:end] = values[out]
        for k, g in enumerate(gradient):
            grads[start:end, k] = g
        marked[start:end] = cols.marked
        del values, partials, gradient
    return losses, grads, marked
