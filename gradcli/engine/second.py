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
import struct
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
    tolerance: float = 0.0  # an eigenvalue this close to 0 is taken as 0: rounding in the sums
    zeros: int = 0  # how many eigenvalues are 0, or within the tolerance of it


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
EXACT_UP_TO = 8  # up to this many inputs, every eigenvalue correctly rounded (exact arithmetic on the matrix)


def eigenvalues(matrix: list[list[float]]) -> list[float]:
    """The eigenvalues of a symmetric matrix (its mean with its transpose), in increasing order.

    Up to ``EXACT_UP_TO`` rows each is the float nearest the exact eigenvalue of the matrix's numbers (the
    floats read as the fractions they are): a 2×2 matrix by its closed form (a + d)/2 ± √(((a − d)/2)² + b²)
    in exact arithmetic, a larger one by cyclic Jacobi rotations, each eigenvalue then settled by counting
    the exact eigenvalues below a number (Sylvester's inertia of A − σI). So [[2, 2], [2, 2]] gives 0 and 4,
    not 3.999999999999999. Below ``LAPACK_FROM`` rows Jacobi alone; from there numpy's ``eigvalsh`` (0.25 s of
    pure Python at 200 rows, 4 ms in LAPACK), or ``eigenvalues_python`` without numpy."""
    n = len(matrix)
    a = [[(matrix[i][j] + matrix[j][i]) / 2 for j in range(n)] for i in range(n)]
    finite = all(math.isfinite(x) for row in matrix for x in row)
    if finite and 1 <= n <= EXACT_UP_TO:
        exact = _exact_eigenvalues(matrix, a)
        if exact is not None:
            return exact
    if n >= LAPACK_FROM:
        try:
            import numpy as np
        except ImportError:
            pass
        else:
            return [float(v) for v in np.linalg.eigvalsh(np.array(a, dtype=float))]
        return eigenvalues_python(a)
    if not finite:
        return eigenvalues_python(a)
    return eigenvalues_jacobi(a)


def eigenvalues_jacobi(matrix: list[list[float]], sweeps: int = 60) -> list[float]:
    """The eigenvalues of a symmetric matrix by cyclic Jacobi rotations, in increasing order: each rotation
    zeroes one off-diagonal entry, a sweep visits each once, and a few sweeps leave a diagonal matrix. Slower
    than Householder and QL, but each eigenvalue comes out with an error small against the matrix."""
    n = len(matrix)
    a = [[(matrix[i][j] + matrix[j][i]) / 2 for j in range(n)] for i in range(n)]
    for _ in range(sweeps):
        off = math.fsum(a[i][j] ** 2 for i in range(n) for j in range(i + 1, n))
        if off == 0.0 or off <= 1e-40 * math.fsum(a[i][i] ** 2 for i in range(n)):
            break
        for p in range(n - 1):
            for q in range(p + 1, n):
                apq = a[p][q]
                if apq == 0.0:
                    continue
                theta = (a[q][q] - a[p][p]) / (2.0 * apq)
                if math.isinf(theta):  # apq negligible against the gap: a rotation by (apq/gap)
                    t = apq / (a[q][q] - a[p][p])
                else:
                    t = math.copysign(1.0, theta) / (abs(theta) + math.hypot(theta, 1.0))
                c = 1.0 / math.hypot(t, 1.0)
                s = t * c
                tau = s / (1.0 + c)
                a[p][p] -= t * apq
                a[q][q] += t * apq
                a[p][q] = a[q][p] = 0.0
                for k in range(n):
                    if k == p or k == q:
                        continue
                    akp, akq = a[k][p], a[k][q]
                    a[k][p] = a[p][k] = akp - s * (akq + tau * akp)
                    a[k][q] = a[q][k] = akq + s * (akp - tau * akq)
    return sorted(a[i][i] for i in range(n))


def _exact_eigenvalues(matrix: list[list[float]], a: list[list[float]]) -> list[float] | None:
    """Each eigenvalue of the symmetric part of ``matrix``, taken exactly, rounded to the nearest float (ties
    to even); None where the matrix is too large in magnitude for that (an eigenvalue could overflow)."""
    from fractions import Fraction

    n = len(matrix)
    exact = [[(Fraction(matrix[i][j]) + Fraction(matrix[j][i])) / 2 for j in range(n)] for i in range(n)]
    bound = max(sum(abs(x) for x in row) for row in exact)  # Gershgorin: every |eigenvalue| is at most this
    if bound > Fraction(2.0 ** 1020):
        return None
    if n == 1:
        return [a[0][0]]
    if n == 2:
        return _two_by_two(exact)
    return [_settled(exact, k, v, bound) for k, v in enumerate(eigenvalues_jacobi(a))]


def _two_by_two(a) -> list[float]:
    """m ∓ √q with m = (a + d)/2 and q = ((a − d)/2)² + b², exactly, each rounded once: √q is pinned between
    two fractions 2^-p apart, closer until both ends of the eigenvalue round to the same float (√q is either
    rational, and then exact, or irrational, and then no float midpoint is the eigenvalue)."""
    from fractions import Fraction

    m = (a[0][0] + a[1][1]) / 2
    q = ((a[0][0] - a[1][1]) / 2) ** 2 + a[0][1] ** 2
    root = _rational_sqrt(q)
    if root is not None:
        return [float(m - root), float(m + root)]
    out = []
    for sign in (-1, 1):
        p = 64 + max(0, -q.numerator.bit_length() + q.denominator.bit_length())
        while True:
            low = Fraction(math.isqrt(q.numerator * 4 ** p // q.denominator), 2 ** p)  # √q in [low, low + 2^-p]
            ends = float(m + sign * low), float(m + sign * (low + Fraction(1, 2 ** p)))
            if ends[0] == ends[1]:
                out.append(ends[0])
                break
            p *= 2
    return out


def _rational_sqrt(q):
    from fractions import Fraction

    r, s = math.isqrt(q.numerator), math.isqrt(q.denominator)
    return Fraction(r, s) if r * r == q.numerator and s * s == q.denominator else None


def _float_key(x: float) -> int:
    """The floats in order as integers: neighbours differ by 1, 0.0 and -0.0 are 0."""
    bits = struct.unpack("<q", struct.pack("<d", abs(x)))[0]
    return bits if x > 0 else -bits


def _key_float(u: int) -> float:
    x = struct.unpack("<d", struct.pack("<q", abs(u)))[0]
    return x if u >= 0 else -x


def _settled(a, k: int, guess: float, bound) -> float:
    """The k-th smallest exact eigenvalue of ``a`` (Fractions of powers of 2), rounded to the nearest float:
    the smallest float v with round(λk) ≤ v, found from ``guess`` outward, then by bisection over the floats.
    Whether λk is below the midpoint above v is a count of the eigenvalues below that midpoint."""
    from fractions import Fraction

    scale = max(x.denominator for row in a for x in row).bit_length() - 1  # a·2^scale is integers
    ints = [[x.numerator << (scale - x.denominator.bit_length() + 1) for x in row] for row in a]

    def at_most(u: int) -> bool:  # round(λk) ≤ the float u
        mid = (Fraction(_key_float(u)) + Fraction(_key_float(u + 1))) / 2
        below, zero = _below(a, ints, scale, mid)
        if below > k:
            return True
        return below + zero > k and u % 2 == 0  # λk is the midpoint: it rounds to the even one

    limit = _float_key(float(bound)) + 2
    u = _float_key(guess)
    if at_most(u):
        good, step = u, 1
        while True:
            bad = max(good - step, -limit)
            if not at_most(bad):
                break
            good, step = bad, step * 2
    else:
        bad, step = u, 1
        while True:
            good = min(bad + step, limit)
            if at_most(good):
                break
            bad, step = good, step * 2
    while good - bad > 1:
        mid = (good + bad) // 2
        if at_most(mid):
            good = mid
        else:
            bad = mid
    return _key_float(good)


def _below(a, ints: list[list[int]], scale: int, sigma) -> tuple[int, int]:
    """How many eigenvalues of ``a`` are below ``sigma`` and how many equal it. In integers, where the leading
    minors of (A − σI)·2^e are all nonzero (Bareiss's fraction-free elimination gives them; the sign changes
    along 1, D1, …, Dn are the negative eigenvalues, Jacobi's rule); else ``_inertia`` in fractions."""
    e = max(scale, sigma.denominator.bit_length() - 1)
    s = sigma.numerator << (e - sigma.denominator.bit_length() + 1)
    up = e - scale
    n = len(ints)
    m = [[(x << up) - (s if i == j else 0) for j, x in enumerate(row)] for i, row in enumerate(ints)]
    prev, sign, changes = 1, 1, 0
    for k in range(n):
        pivot = m[k][k]
        if pivot == 0:
            neg, zero, _ = _inertia([[x - sigma if i == j else x for j, x in enumerate(row)]
                                     for i, row in enumerate(a)])
            return neg, zero
        if (pivot > 0) != (sign > 0):
            changes += 1
        sign = pivot
        mk = m[k]
        for i in range(k + 1, n):
            mi, f = m[i], m[i][k]
            for j in range(k + 1, n):
                mi[j] = (pivot * mi[j] - f * mk[j]) // prev
        prev = pivot
    return changes, 0


def _inertia(a) -> tuple[int, int, int]:
    """How many eigenvalues of the symmetric matrix ``a`` (Fractions, overwritten) are negative, zero and
    positive: symmetric elimination in exact arithmetic, a congruence, which keeps those counts (Sylvester).
    A nonzero diagonal pivot counts by its sign; where the diagonal left is all 0, a 2×2 pivot [[0, b], [b, 0]]
    counts one of each; a block left all 0 is that many zero eigenvalues."""
    left = list(range(len(a)))
    neg = zero = pos = 0
    while left:
        p = next((i for i in left if a[i][i] != 0), None)
        if p is not None:
            pivot, row = a[p][p], a[p]
            if pivot > 0:
                pos += 1
            else:
                neg += 1
            left.remove(p)
            for i in left:
                if a[i][p] != 0:
                    f, ai = a[i][p] / pivot, a[i]
                    for j in left:
                        if row[j] != 0:
                            ai[j] -= f * row[j]
            continue
        pair = next(((i, j) for i in left for j in left if i < j and a[i][j] != 0), None)
        if pair is None:
            zero += len(left)
            break
        p, q = pair
        b = a[p][q]
        pos += 1
        neg += 1
        left.remove(p)
        left.remove(q)
        for r in left:
            arp, arq = a[r][p], a[r][q]
            if arp == 0 and arq == 0:
                continue
            ar = a[r]
            for s in left:
                ar[s] -= (arp * a[q][s] + arq * a[p][s]) / b
    return neg, zero, pos


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


ZERO_TOLERANCE = 1e-12  # an eigenvalue within this times n·max|H_jk| of 0 is taken as 0


def curvature_of(matrix: list[list[float]], gradient: list[float]) -> Curvature:
    """The eigenvalues' signs: positive definite, indefinite, and so on. An eigenvalue within
    ``ZERO_TOLERANCE``·n·max|H_jk| of 0 counts as 0 (the entries are sums rounded along the way), and a 0
    makes the matrix semidefinite: the second-derivative test is then inconclusive."""
    n = len(matrix)
    scale = max((abs(x) for row in matrix for x in row if math.isfinite(x)), default=0.0)
    if not all(math.isfinite(x) for row in matrix for x in row):
        return Curvature([], math.nan, "not finite", False)
    asym = max((abs(matrix[i][j] - matrix[j][i]) for i in range(n) for j in range(n)), default=0.0)
    values = eigenvalues(matrix)
    tol = ZERO_TOLERANCE * scale * max(n, 1)
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
    return Curvature(values, asym / scale if scale else 0.0, kind, critical, tol, zero)


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
