"""A finite-difference check of a gradient: for each input, the central difference
(f(x + h) − f(x − h)) / 2h beside the analytic partial (reverse mode's, or a student's claimed numbers),
their relative error |a − n| / max(|a|, |n|), and CS231n's reading of it.

The step: h = ε^(1/3)·max(1, |x|) with ε = 2^-52, about 6·10^-6 for |x| ≤ 1. A central difference is off by
about h²·|f'''|/6 from truncation and ε·|f|/h from rounding; h ~ ε^(1/3) balances the two, leaving about 10
correct digits (a one-sided difference, off by h·|f''|/2, keeps about 8 at its best step and reads 10^-4 where
the step is 10^-4, as UDL's notebook 7.1 shows). x + h is rounded to a double, so the step used is
((x + h) − (x − h))/2, the distance actually travelled. torch.autograd.gradcheck takes eps = 10^-6 with
atol 10^-5 and rtol 10^-3; jax.test_util.check_grads compares at eps = 10^-4 (float64) to a tolerance.

A kink inside the step (relu, abs, step or sign changing sides, max or min changing its winner between
x − h and x + h) makes the difference mix the two sides' slopes: its error says nothing about the gradient,
and the row says so. Where f is undefined at x ± h (log near 0), the step is taken relative to |x| itself
(ε^(1/3)·|x|), then cut to a tenth, up to three times.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from ..core.graph import Graph
from ..errors import MathError
from .trace import evaluate, run_reverse

EPS = 2.0 ** -52
STEP = EPS ** (1 / 3)  # ≈ 6.06e-6
SHORTER = 5  # steps tried where f is undefined at x ± h

# CS231n's reading of the relative error (https://cs231n.github.io/neural-networks-3/#gradcheck)
READINGS = ((1e-2, "probably wrong"), (1e-4, "uncomfortable"), (1e-7, "fine only near a kink"), (0.0, "good"))
_SIGNED = frozenset({"relu", "abs", "step", "sign"})  # a kink where the operand is 0
_WINNER = frozenset({"max", "min"})  # a kink where the winner changes


class Row(NamedTuple):
    """One input's check."""

    name: str
    x: float
    h: float  # the step travelled each way
    analytic: float  # the partial checked: the claim's, or reverse mode's
    reverse: float  # reverse mode's partial
    numeric: float | None  # the central difference; None where f is undefined at x ± h
    error: float | None  # |a − n| / max(|a|, |n|), 0 where both are 0
    reading: str
    kinks: tuple[str, ...]  # the kink nodes the step crosses


class GradCheck(NamedTuple):
    command: str  # "gradcheck"
    graph: Graph
    point: dict[str, float]
    value: float
    claimed: bool  # the analytic partials are a claim's, not reverse mode's
    rows: tuple[Row, ...]
    warnings: tuple[str, ...]

    @property
    def gradient(self) -> dict[str, float]:
        return {r.name: r.reverse for r in self.rows}

    @property
    def ok(self) -> bool:
        """No row probably wrong (a row with a kink inside its step says nothing either way)."""
        return not any(r.reading == "probably wrong" for r in self.rows)


def relative_error(a: float, n: float) -> float:
    if a == n:
        return 0.0
    return abs(a - n) / max(abs(a), abs(n))


def reading(error: float | None) -> str:
    if error is None or math.isnan(error):
        return "undefined at x ± h"
    return next(text for bound, text in READINGS if error > bound or bound == 0.0)


def _branches(graph: Graph, values: list[float]) -> dict[int, object]:
    """Which side of its kink each kinked node is on: the operand's sign, or the winner of max or min."""
    out: dict[int, object] = {}
    for i, node in enumerate(graph.nodes):
        if node.op not in _SIGNED and node.op not in _WINNER:
            continue
        xs = [values[a] if type(a) is int else a.value for a in node.args]
        if node.op in _SIGNED:
            out[i] = (xs[0] > 0) - (xs[0] < 0)
        else:
            best = max(xs) if node.op == "max" else min(xs)
            out[i] = tuple(k for k, x in enumerate(xs) if x == best)
    return out


def run_gradcheck(graph: Graph, point: dict[str, float], wrt: list[str], claim: dict[str, float] | None = None,
                  step: float | None = None) -> GradCheck:
    """Central differences for the inputs ``wrt``, against ``claim`` (numbers by input) or reverse mode."""
    trace = run_reverse(graph, point)
    assert trace.gradient is not None and trace.values is not None
    value = trace.values[graph.output]
    rows = []
    for name in wrt:
        x = point[name]
        rel = STEP if step is None else step
        h = rel * max(1.0, abs(x))
        # near the edge of the domain (log at 1e-7): a step relative to |x| itself, then a tenth of it, and so on
        near = rel * abs(x) if 0 < rel * abs(x) < h else h / 10
        steps = [h] + [near / 10 ** k for k in range(SHORTER - 1)]
        kinks: tuple[str, ...] = ()
        numeric = None
        for h in steps:
            up, down = x + h, x - h
            h = (up - down) / 2
            try:
                hi = evaluate(graph, {**point, name: up})
                lo = evaluate(graph, {**point, name: down})
            except MathError:
                continue
            numeric = (hi.values[graph.output] - lo.values[graph.output]) / (2 * h)
            if not math.isfinite(numeric):
                numeric = None
                continue
            b_hi, b_lo, b_at = _branches(graph, hi.values), _branches(graph, lo.values), _branches(graph, trace.values)
            kinks = tuple(graph.nodes[i].id for i in b_at if not b_hi[i] == b_lo[i] == b_at[i])
            break
        analytic = trace.gradient[name] if claim is None else claim[name]
        error = None if numeric is None else relative_error(analytic, numeric)
        said = "crosses a kink" if kinks and error is not None and error > 1e-7 else reading(error)
        rows.append(Row(name, x, h, analytic, trace.gradient[name], numeric, error, said, kinks))
    return GradCheck("gradcheck", graph, point, value, claim is not None, tuple(rows), tuple(trace.warnings))
