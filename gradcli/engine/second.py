"""Several outputs and second order: Jacobians (column by column forward, row by row reverse) and Hessians
by forward-over-reverse, with every step kept for the tables.

Forward-over-reverse differentiates the reverse sweep along a direction v: with ċ the forward tangents
for the seed v and c̄ the adjoints, the tangent of each adjoint is

    c̄̇j = Σ over consumers i of  c̄̇i·∂ci/∂cj + c̄i·(∂ci/∂cj)˙,   (∂ci/∂cj)˙ = Σ_m ∂²ci/∂cj∂cm·ċm,

and at the inputs it is the Hessian times v. The second partials are the op table's rules differentiated
again (gradcli/ops.py second_rules). Every loop runs over the topological order; nothing recurses.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from ..errors import GradcliError
from ..core.graph import OP_NAMES, Graph, paused_gc
from ..core.ops import fmt
from ..core.rules import is_linear, second_partial
from .trace import (Cost, Evaluation, Sweep, Trace, _adjoint_sweep, _all_edges, _dedupe, _edges, _notes,
                    _seeded_sweeps, check_forward_work, evaluate, forward)


class AdjointSweep(NamedTuple):
    """One reverse sweep, seeded at one output."""

    output: int  # the node seeded with 1
    adjoints: list[float]


class SecondSweep(NamedTuple):
    """Forward-over-reverse along one direction: the forward tangents, and the tangent of every adjoint."""

    label: str  # the input seeded, or "direction"
    seed: tuple[float, ...]
    tangents: list[float]  # ċ
    adjoint_tangents: list[float]  # c̄̇
    slopes: list  # per node i: per operand k, (∂ci/∂ck)˙ = Σ_m ∂²ci/∂ck∂cm·ċm (None for a constant operand)


def output_names(graph: Graph) -> list[str]:
    return [graph.nodes[o].id for o in graph.outputs]


def reverse_from(graph: Graph, ev: Evaluation, output: int, notes: list[str]) -> list[float]:
    """The reverse sweep seeded at ``output``: one row of the Jacobian."""
    from .trace import reverse

    return reverse(graph, ev, notes, output)


def edges_to(graph: Graph, output: int) -> int:
    return _edges(graph, output)


@paused_gc()
def run_jacobian(graph: Graph, point: dict[str, float], mode: str = "reverse") -> Trace:
    """The Jacobian of every output in every input: forward mode one sweep per input (its columns), reverse
    mode one sweep per output (its rows)."""
    ev = evaluate(graph, point)
    notes = _notes(graph, ev)
    outs, names = graph.outputs, graph.names
    all_edges = _all_edges(graph)
    if mode == "forward":
        check_forward_work(graph, len(names))
        sweeps = _seeded_sweeps(graph, ev, list(names), notes)
        matrix = [[s.tangents[o] for s in sweeps] for o in outs]
        cost = Cost("forward", len(sweeps), len(sweeps) * all_edges, all_edges, len(names))
        return Trace("jacobian", graph, point, ev.values, ev.partials, tuple(sweeps), None, None, None,
                     _dedupe(notes, graph), cost, ev.stable, jacobian=matrix)
    rows = tuple(AdjointSweep(o, reverse_from(graph, ev, o, notes)) for o in outs)
    matrix = [[r.adjoints[i] for i in graph.inputs] for r in rows]
    products = sum(edges_to(graph, o) for o in outs)
    cost = Cost("reverse", len(rows), products, all_edges, len(names))
    return Trace("jacobian", graph, point, ev.values, ev.partials, (), None, None, None, _dedupe(notes, graph), cost,
                 ev.stable, adjoint_sweeps=rows, jacobian=matrix)


def _slopes(graph: Graph, ev: Evaluation, tangents: list[float]) -> list:
    """(∂ci/∂ck)˙ for every node i and operand k: how each local partial moves along the sweep's tangents."""
    codes, starts, flat, consts, values = graph.codes, graph.starts, graph.flat, graph.consts, ev.values
    n = len(codes)
    out: list = [()] * n
    for i in range(graph.leaves, n):
        args = flat[starts[i]:starts[i + 1]]
        op = OP_NAMES[codes[i]]
        moving = [(m, b) for m, b in enumerate(args) if b < n and tangents[b] != 0]  # most are 0 in a sweep
        if not moving or is_linear(op, len(args)):  # sum(x1, …, x200): every second partial is 0
            out[i] = tuple(None if a >= n else 0.0 for a in args)
            continue
        xs = [values[a] if a < n else consts[a - n].value for a in args]
        z = values[i]
        row = []
        for k, a in enumerate(args):
            if a >= n:
                row.append(None)  # a constant
                continue
            total = 0.0
            for m, b in moving:
                q = second_partial(op, k, m, xs, z)
                if q != 0:
                    total += q * tangents[b]
            row.append(total)
        out[i] = tuple(row)
    return out


def second_sweep(graph: Graph, ev: Evaluation, adjoints: list[float], sweep: Sweep) -> SecondSweep:
    """The tangent of every adjoint along the sweep's seed: forward over reverse."""
    slopes = _slopes(graph, ev, sweep.tangents)
    out = graph.output
    partials, starts = ev.partials.flat, graph.starts
    consumers = graph.consumers
    first, edges, consumer = consumers.start, consumers.edges, consumers.node
    dot_bar = [0.0] * len(graph.codes)
    lo, hi = len(graph.names), graph.leaves  # held constants: no adjoint
    for j in range(out - 1, -1, -1):
        if lo <= j < hi:
            continue
        total = 0.0
        for slot in edges[first[j]:first[j + 1]]:
            i = consumer[slot]
            if i > out:
                break  # consumers are in order: the rest are past the output too
            # a 0 factor makes its term 0 even against inf or nan, as in the first-order sweeps
            if dot_bar[i] != 0:
                total += dot_bar[i] * partials[slot]
            if adjoints[i] != 0:
                total += adjoints[i] * slopes[i][slot - starts[i]]
        dot_bar[j] = total
    return SecondSweep(sweep.label, sweep.seed, sweep.tangents, dot_bar, slopes)


class Curvature(NamedTuple):
    """What the Hessian says at the point."""

    eigenvalues: list[float]
    asymmetry: float  # the largest |H_ij - H_ji|, relative to the largest |H_ij|
    kind: str  # "positive definite", "positive semidefinite", "negative definite", "negative semidefinite",
    #            "indefinite", "zero"
    critical: bool  # the gradient is 0 (to rounding) here


@paused_gc()
def run_hessian(graph: Graph, point: dict[str, float], direction: dict[str, float] | None = None,
                wrt: list[str] | None = None) -> Trace:
    """Forward-over-reverse: one reverse sweep, then along each input (or one direction) the forward tangents
    and the tangent of every adjoint; at the inputs, the Hessian's columns (or ∇²f·d). ``wrt`` restricts it to
    some inputs, the others held at their values (the data of a loss)."""
    if len(graph.outputs) != 1:
        raise GradcliError(f"the Hessian is of one output; this program has {len(graph.outputs)} "
                           f"({', '.join(output_names(graph))}): pick one with --output")
    names = graph.names
    check_forward_work(graph, 1 if direction is not None else 2 * len(names))
    ev = evaluate(graph, point)
    notes = _notes(graph, ev)
    adjoints = _adjoint_sweep(graph, ev, notes)
    chosen = list(wrt or names)
    if direction is not None:
        seeds = [(tuple(direction[n] for n in names), "direction")]
    else:
        seeds = [(tuple(1.0 if m == n else 0.0 for m in names), n) for n in chosen]
    second = []
    for seed, label in seeds:
        sweep = forward(graph, ev, seed, label, notes)
        second.append(second_sweep(graph, ev, adjoints, sweep))
    gradient = {n: adjoints[i] for i, n in zip(graph.inputs, names)}
    matrix = None
    curvature = None
    if direction is None:
        rows = [graph.inputs[names.index(n)] for n in chosen]
        matrix = [[second[c].adjoint_tangents[r] for c in range(len(chosen))] for r in rows]
        curvature = curvature_of(matrix, [gradient[n] for n in chosen])
    all_edges = _all_edges(graph)
    cost = Cost("forward-over-reverse", len(second), len(second) * 2 * all_edges + all_edges, all_edges, len(names))
    for s in second:
        for x in s.adjoint_tangents:
            if not math.isfinite(x):
                notes.append(f"a second derivative along {s.label} is not finite: {fmt(x)}")
                break
    return Trace("hessian", graph, point, ev.values, ev.partials, tuple(Sweep(s.label, s.seed, s.tangents)
                                                                        for s in second),
                 adjoints, gradient, None, _dedupe(notes, graph), cost, ev.stable, second=tuple(second), hessian=matrix,
                 curvature=curvature)


# --- what a symmetric matrix's eigenvalues say -----------------------------------------------------------


LAPACK_FROM = 32  # from this many inputs, numpy's eigvalsh (LAPACK) where numpy is installed


def eigenvalues(matrix: list[list[float]]) -> list[float]:
    """The eigenvalues of a symmetric matrix (its mean with its transpose), in increasing order. A 2×2 matrix
    by its closed form, (a + d)/2 ± √(((a − d)/2)² + b²), so [[2, 2], [2, 2]] gives 0 and 4 to the last digit;
    from ``LAPACK_FROM`` rows numpy's ``eigvalsh`` (0.25 s of pure Python at 200 rows, 4 ms in LAPACK); else
    ``eigenvalues_python``."""
    n = len(matrix)
    a = [[(matrix[i][j] + matrix[j][i]) / 2 for j in range(n)] for i in range(n)]
    if n == 2 and all(map(math.isfinite, (a[0][0], a[0][1], a[1][1]))):
        m, r = (a[0][0] + a[1][1]) / 2, math.hypot((a[0][0] - a[1][1]) / 2, a[0][1])
        if math.isfinite(m) and math.isfinite(r):
            return [m - r, m + r]
    if n >= LAPACK_FROM:
        try:
            import numpy as np
        except ImportError:
            pass
        else:
            return [float(v) for v in np.linalg.eigvalsh(np.array(a, dtype=float))]
    return eigenvalues_python(a)


def eigenvalues_python(matrix: list[list[float]]) -> list[float]:
    """The eigenvalues of a symmetric matrix, in increasing order: Householder reflections to a tridiagonal
    matrix, then the QL method with implicit shifts (Wilkinson and Reinsch's tred2 and tql1, eigenvalues only).
    Pure Python, O(n³) with a small constant."""
    n = len(matrix)
    if n == 0:
        return []
    a = [[(matrix[i][j] + matrix[j][i]) / 2 for j in range(n)] for i in range(n)]
    d, e = _tridiagonal(a)
    return sorted(_ql(d, e))


def _tridiagonal(a: list[list[float]]) -> tuple[list[float], list[float]]:
    """Householder: the diagonal d and the subdiagonal e (e[i] between rows i and i + 1, e[n-1] = 0) of a
    tridiagonal matrix similar to the symmetric ``a``, which is overwritten (its lower triangle is read)."""
    n = len(a)
    e = [0.0] * n
    for i in range(n - 1, 0, -1):
        l = i - 1
        ai = a[i]
        if l == 0:
            e[i] = ai[0]
            continue
        scale = math.fsum(abs(ai[k]) for k in range(l + 1))
        if scale == 0.0:
            e[i] = ai[l]
            continue
        h = 0.0
        for k in range(l + 1):
            ai[k] /= scale
            h += ai[k] * ai[k]
        f = ai[l]
        g = -math.sqrt(h) if f >= 0 else math.sqrt(h)
        e[i] = scale * g
        h -= f * g
        ai[l] = f - g
        f = 0.0
        for j in range(l + 1):
            aj = a[j]
            g = sum(aj[k] * ai[k] for k in range(j + 1)) + sum(a[k][j] * ai[k] for k in range(j + 1, l + 1))
            e[j] = g / h
            f += e[j] * ai[j]
        hh = f / (h + h)
        for j in range(l + 1):
            f = ai[j]
            e[j] = g = e[j] - hh * f
            aj = a[j]
            for k in range(j + 1):
                aj[k] -= f * e[k] + g * ai[k]
    return [a[i][i] for i in range(n)], e[1:] + [0.0]


def _ql(d: list[float], e: list[float]) -> list[float]:
    """The eigenvalues of the tridiagonal matrix (d on the diagonal, e beside it) by QL with implicit shifts."""
    n = len(d)
    for l in range(n):
        for _ in range(100):
            m = l
            while m < n - 1:
                dd = abs(d[m]) + abs(d[m + 1])
                if abs(e[m]) + dd == dd:  # negligible against its neighbours: the matrix splits here
                    break
                m += 1
            if m == l:
                break
            g = (d[l + 1] - d[l]) / (2.0 * e[l])
            r = math.hypot(g, 1.0)
            g = d[m] - d[l] + e[l] / (g + math.copysign(r, g))
            s = c = 1.0
            p = 0.0
            i = m - 1
            while i >= l:
                f, b = s * e[i], c * e[i]
                r = math.hypot(f, g)
                e[i + 1] = r
                if r == 0.0:  # underflow: deflate and start over
                    d[i + 1] -= p
                    e[m] = 0.0
                    break
                s, c = f / r, g / r
                g = d[i + 1] - p
                r = (d[i] - g) * s + 2.0 * c * b
                p = s * r
                d[i + 1] = g + p
                g = c * r - b
                i -= 1
            else:
                d[l] -= p
                e[l] = g
                e[m] = 0.0
    return d


def curvature_of(matrix: list[list[float]], gradient: list[float]) -> Curvature:
    n = len(matrix)
    scale = max((abs(x) for row in matrix for x in row if math.isfinite(x)), default=0.0)
    if not all(math.isfinite(x) for row in matrix for x in row):
        return Curvature([], math.nan, "not finite", False)
    asym = max((abs(matrix[i][j] - matrix[j][i]) for i in range(n) for j in range(n)), default=0.0)
    values = eigenvalues(matrix)
    tol = 1e-12 * max(scale, 1e-300) * max(n, 1)
    pos = sum(v > tol for v in values)
    neg = sum(v < -tol for v in values)
    zero = n - pos - neg
    if pos == n:
        kind = "positive definite"
    elif neg == n:
        kind = "negative definite"
    elif pos and neg:
        kind = "indefinite"
    elif zero == n:
        kind = "zero"
    else:
        kind = "positive semidefinite" if pos else "negative semidefinite"
    big = max((abs(g) for g in gradient), default=0.0)
    critical = big <= 1e-10 * max(1.0, scale)
    return Curvature(values, asym / scale if scale else 0.0, kind, critical)


MEANING = {
    "positive definite": ("the function curves up in every direction here: locally strictly convex",
                          "a strict local minimum"),
    "negative definite": ("the function curves down in every direction here: locally strictly concave",
                          "a strict local maximum"),
    "indefinite": ("the function curves up in some directions and down in others: neither convex nor concave "
                   "here", "a saddle point"),
    "positive semidefinite": ("the function curves up or is flat in every direction here: convex to second "
                              "order, flat along the eigenvectors of eigenvalue 0",
                              "not decided by the Hessian: a minimum or a degenerate point (look at higher order)"),
    "negative semidefinite": ("the function curves down or is flat in every direction here: concave to second "
                              "order, flat along the eigenvectors of eigenvalue 0",
                              "not decided by the Hessian: a maximum or a degenerate point (look at higher order)"),
    "zero": ("the Hessian is 0: the function is flat to second order here", "not decided by the Hessian"),
    "not finite": ("the Hessian is not finite here", "not decided"),
}
