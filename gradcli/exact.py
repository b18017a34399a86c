"""Exact work with sympy: a graph as one symbolic expression, and its exact gradient at a point.

sympy is imported here only, and only when asked for: the commands never need it.
"""

from __future__ import annotations

import math

from .graph import Graph
from .ops import OPS


def expression(graph: Graph):
    """The graph's output as a sympy expression in its inputs (real symbols), built node by node."""
    import sympy as sp

    symbols = {name: sp.Symbol(name, real=True) for name in graph.names}
    exprs: list = [None] * len(graph.nodes)
    for i, name in zip(graph.inputs, graph.names):
        exprs[i] = symbols[name]
    for i, node in enumerate(graph.nodes):
        if node.op == "input":
            continue
        args = [exprs[a] if isinstance(a, int) else _number(sp, a.value) for a in node.args]
        exprs[i] = OPS[node.op].sym(sp, *args)
    return exprs[graph.output], symbols


def _number(sp, x: float):
    """A constant for sympy: the double exactly, as a Rational (an Integer when it is one)."""
    if math.isfinite(x):
        return sp.Rational(x)
    return sp.oo if x > 0 else -sp.oo if x < 0 else sp.nan


def gradient(graph: Graph, point: dict[str, float], digits: int = 30) -> dict[str, float]:
    """sympy's exact derivative in each input, evaluated with ``digits`` digits at the point."""
    import sympy as sp

    f, symbols = expression(graph)
    # the point as exact Rationals (every double is one): the derivative at it is then an exact number,
    # which evalf approximates adaptively, raising its precision where terms cancel (1 - tanh(64)**2).
    # With Floats substituted, an exact 0 such as 2*(x - y) at x = y came out as a residue like 2e-165.
    exact = {symbols[n]: sp.Rational(point[n]) for n in graph.names}
    return {n: float(sp.diff(f, symbols[n]).subs(exact).evalf(digits)) for n in graph.names}
