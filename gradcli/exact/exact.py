"""Exact work with sympy: the exact numbers of a trace (--exact), a graph as one symbolic expression, and
its exact gradient at a point (the tests' reference).

sympy is imported here only, and only when asked for: the plain commands never need it.
"""

from __future__ import annotations

import math

from ..core.graph import Graph
from ..core.ops import OPS


def expression(graph: Graph):
    """The graph's output as a sympy expression in its inputs and held constants (real symbols), built node by
    node."""
    import sympy as sp

    from .sym import functions

    symbols = {name: sp.Symbol(name, real=True) for name in graph.names + graph.data_names}
    exprs: list = [None] * len(graph.nodes)
    for i, name in [*zip(graph.inputs, graph.names), *zip(graph.data, graph.data_names)]:
        exprs[i] = symbols[name]
    exprs = graph.replay(lambda op, args: OPS[op].sym(functions, *args), lambda c: _number(sp, c.value), exprs)
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
    # holds (2*(x - y) at x = y gives 0.e-165, |value| below 1e-165): that is 0. It may also return a residue
    # that claims its bits (-sin(x - y) at x = y gives -6.8e-167): a tiny value that moves when evaluated with
    # twice the digits (to -2.9e-216) is such a residue, and 0 too.
    subs = {symbols[n]: sp.Rational(point[n]) for n in graph.names + graph.data_names}
    out = {}
    for n in graph.names:
        d = sp.diff(f, symbols[n])
        value = d.evalf(digits, subs=subs)
        if isinstance(value, sp.Float) and value._prec < 53:
            out[n] = 0.0
            continue
        out[n] = float(value)
        if out[n] != 0 and abs(out[n]) < 1e-100 and \
                not math.isclose(out[n], float(d.evalf(2 * digits, subs=subs)), rel_tol=1e-6):
            out[n] = 0.0
    return out


class Exact:
    """A trace's numbers exactly, the point's decimals read as fractions (0.1 is 1/10) and pi and e as symbols:
    sympy values by node, and by sweep."""

    def __init__(self) -> None:
        self.values: list = []
        self.adjoints: list | None = None
        self.tangents: dict[str, list] = {}
        self.gradient: dict[str, object] = {}


def exact_trace(trace, typed: dict):
    """The exact numbers of a forward or reverse trace at its point, each value as typed (``typed``: name ->
    Expr, from --at and --let)."""
    pieces: list = []
    exact_pieces(pieces.append, trace, typed)
    return exact_of(trace, pieces)[0]


def exact_pieces(emit, trace, typed: dict) -> None:
    """The work of ``exact_trace``, each number emitted as it is done (gradcli/exact/worker.py): ("values", i,
    v), then ("adjoint" or a sweep's label, i, v)."""
    from ..errors import GradcliError
    from .symbolic import MAX_NODES, exact_point, node_expressions, sweeps, to_sympy

    graph = trace.graph
    if len(graph.nodes) > MAX_NODES:
        raise GradcliError(f"--exact works on graphs of up to {MAX_NODES} nodes, the size of a homework problem; "
                           f"this one has {len(graph.nodes)}")
    point = exact_point(graph, typed, trace.point)
    values = []
    for i, v in enumerate(node_expressions(graph, point)):
        values.append(_tidy(v))
        emit(("values", i, values[-1]))
    ids = {node.id: values[i] for i, node in enumerate(graph.nodes)}
    rules: dict = {}

    def rule(i: int, k: int):
        if (i, k) not in rules:
            rules[(i, k)] = _tidy(to_sympy(graph.rule(i, k), ids))
        return rules[(i, k)]

    sweeps(trace, rule, _tidy, lambda label, i, v: emit((label, i, v)))


def exact_of(trace, pieces: list) -> tuple[Exact, list[str]]:
    """An Exact from the pieces ``exact_pieces`` emitted (None where one is missing), and the numbers it lacks
    (the work stopped at a time limit) as the JSON paths that would hold them: exact.values.c3."""
    import sympy as sp

    from .symbolic import number

    graph = trace.graph
    nodes = graph.nodes
    n = len(nodes)
    done = {(kind, i): v for kind, i, v in pieces}
    missing: list[str] = []
    out = Exact()
    out.values = [done.get(("values", i)) for i in range(n)]
    missing += [f"exact.values.{nodes[i].id}" for i in range(n) if ("values", i) not in done]
    if trace.adjoints is not None:
        out.adjoints = [sp.Integer(0)] * n
        out.adjoints[graph.output] = sp.Integer(1)
        for j in range(graph.output):
            out.adjoints[j] = done.get(("adjoint", j))
            if out.adjoints[j] is None:
                missing.append(f"exact.adjoints.{nodes[j].id}")
    for sweep in trace.sweeps:
        tan: list = [sp.Integer(0)] * n
        for i, v in zip(graph.inputs, sweep.seed):
            tan[i] = number(v)
        for i, node in enumerate(nodes):
            if node.op != "input":
                tan[i] = done.get((sweep.label, i))
                if tan[i] is None:
                    missing.append(f"exact.tangents.{sweep.label}.{node.id}")
        out.tangents[sweep.label] = tan
    if out.adjoints is not None:
        out.gradient = {m: out.adjoints[i] for i, m in zip(graph.inputs, graph.names)}
    for label, tan in out.tangents.items():
        if label != "direction":
            out.gradient[label] = tan[graph.output]
    missing += [f"exact.gradient.{m}" for m, v in out.gradient.items() if v is None]
    out.gradient = {m: v for m, v in out.gradient.items() if v is not None}
    return out, missing


def _tidy(value):
    """An exact number in its plainest form: sympy's simplification where the number is small enough."""
    import sympy as sp

    from .symbolic import simplest

    if value.is_Rational or value.is_number is False:
        return value
    try:
        return simplest(value, effort=30)
    except (TypeError, ValueError, RecursionError, sp.PolynomialError):
        return value
