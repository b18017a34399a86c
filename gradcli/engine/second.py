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
from ..core.rules import second_partial
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
        xs = [values[a] if a < n else consts[a - n].value for a in args]
        z = values[i]
        row = []
        for k, a in enumerate(args):
            if a >= n:
                row.append(None)  # a constant
                continue
            total = 0.0
            for m, b in enumerate(args):
                if b < n and tangents[b] != 0:
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


def eigenvalues(matrix: list[list[float]], sweeps: int = 100) -> list[float]:
    """The eigenvalues of a symmetric matrix, by Jacobi rotations (pure Python, for the small Hessians of a
    homework sheet), in increasing order."""
    n = len(matrix)
    a = [[(matrix[i][j] + matrix[j][i]) / 2 for j in range(n)] for i in range(n)]
    for _ in range(sweeps):
        off = sum(a[i][j] ** 2 for i in range(n) for j in range(n) if i != j)
        if off <= 1e-30 * max(1.0, sum(a[i][i] ** 2 for i in range(n))):
            break
        for p in range(n - 1):
            for q in range(p + 1, n):
                if a[p][q] == 0:
                    continue
                theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                t = math.copysign(1.0, theta) / (abs(theta) + math.sqrt(theta * theta + 1))
                c = 1 / math.sqrt(t * t + 1)
                s = t * c
                for k in range(n):  # columns p and q
                    akp, akq = a[k][p], a[k][q]
                    a[k][p], a[k][q] = c * akp - s * akq, s * akp + c * akq
                for k in range(n):  # rows p and q
                    apk, aqk = a[p][k], a[q][k]
                    a[p][k], a[q][k] = c * apk - s * aqk, s * apk + c * aqk
    return sorted(a[i][i] for i in range(n))


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
