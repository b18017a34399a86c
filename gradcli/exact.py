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

    from .sym import functions

    symbols = {name: sp.Symbol(name, real=True) for name in graph.names}
    exprs: list = [None] * len(graph.nodes)
    for i, name in zip(graph.inputs, graph.names):
        exprs[i] = symbols[name]
    for i, node in enumerate(graph.nodes):
        if node.op == "input":
            continue
        args = [exprs[a] if isinstance(a, int) else _number(sp, a.value) for a in node.args]
        exprs[i] = OPS[node.op].sym(functions, *args)
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
    # The point as exact Rationals (every double is one), evaluated numerically by evalf, which raises its
    # precision where terms cancel (1 - tanh(64)**2). Substituting them exactly instead can make sympy expand
    # a rational to a power of thousands of digits and run for hours; Floats leave a residue where the exact
    # value is 0. Where evalf cancels to nothing it returns a number with fewer significant bits than a double
    # holds (2*(x - y) at x = y gives 0.e-165, |value| below 1e-165): that is 0.
    subs = {symbols[n]: sp.Rational(point[n]) for n in graph.names}
    out = {}
    for n in graph.names:
        value = sp.diff(f, symbols[n]).evalf(digits, subs=subs)
        out[n] = 0.0 if isinstance(value, sp.Float) and value._prec < 53 else float(value)
    return out
