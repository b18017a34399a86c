"""Why a claimed derivative differs: the slips a hand derivation makes, each tried against the true derivative.

A claim that ``check`` shows different is compared with the derivative in a few exact ways, most specific
first: it is the function itself, or an antiderivative of it; it has the wrong sign; it is the derivative with
respect to a later step (the chain stopped one edge early); the derivative is the claim times the inner
derivative of a step; the derivative is the claim times a number; the claim lacks one term of the derivative.
Each test is a sympy identity (the difference simplifies to 0), never a guess from numbers, so a named slip is
a true statement about the claim.
"""

from __future__ import annotations

from typing import NamedTuple

import sympy as sp

from ..core.graph import Graph
from .symbolic import adjoint_sweep, derivative, freed, from_sympy, node_expressions, simplest, symbol, tangent_sweep, to_sympy

LONGEST = 60  # operations: a missing factor or term longer than this is not named (it would not read as a slip)


class Mistake(NamedTuple):
    """A slip the claim is exactly explained by. ``factor`` is the derivative over the claim where that is the
    explanation, ``term`` the missing term, ``node`` the step it concerns (an id the tables print)."""

    kind: str  # "the function", "integrated", "sign", "stopped early", "inner derivative", "constant factor",
    #            "missing term"
    factor: object = None  # an Expr
    term: object = None  # an Expr
    node: str | None = None


def likely_mistake(graph: Graph, wrt: str, mine, truth, proved) -> Mistake | None:
    """The slip that explains a claim ``mine`` (sympy, in the inputs) of ∂f/∂wrt whose true value is ``truth``,
    or None. ``proved(e)`` says whether e is 0 (check's own test, with its bounds). Each reading is first
    tried in numbers at a few points, and sympy asked only for one the numbers do not rule out."""
    if mine == 0 or not mine.free_symbols and not truth.free_symbols:
        return None
    if sp.count_ops(mine) + sp.count_ops(truth) > 4 * LONGEST:
        return None
    points = _points(graph)
    at = _at(points)
    exprs = node_expressions(graph)
    f = exprs[graph.output]
    x = symbol(wrt) if wrt in graph.names else None

    def same(a, b) -> bool:
        return _agree(at(a), at(b)) and proved(a - b)

    if same(mine, f):
        return Mistake("the function")
    if x is not None and mine.has(x) and same(sp.diff(mine, x), f):
        return Mistake("integrated")
    if same(mine, -truth):
        return Mistake("sign")
    ratios = [None if m is None or t is None or m == 0 else t / m for m, t in zip(at(mine), at(truth))]
    if _agree(ratios, [next((r for r in ratios if r is not None), None)] * len(ratios)):
        ratio = simplest(truth / mine)
        if ratio.is_number and ratio.is_finite and ratio != 0:
            return Mistake("constant factor", factor=from_sympy(ratio))
    inner = _inner_derivatives(graph, wrt, exprs)
    for j, node in _steps_below_output(graph, wrt):
        if _agree(ratios, at(inner(j))) and proved(truth - mine * inner(j)):
            early = same(mine, derivative(graph, node.id))
            return Mistake("stopped early" if early else "inner derivative",
                           factor=_shown(graph, wrt, j, simplest(inner(j))), node=node.id)
    missing = truth - mine
    for t in sp.Add.make_args(simplest(truth)):
        if t != truth and _short(t) and same(missing, t):
            return Mistake("missing term", term=from_sympy(simplest(t)))
    return None


def _points(graph: Graph) -> list[dict]:
    """A few points to screen readings at, the same on every run."""
    import random

    from ..core.point import sample_point

    rng = random.Random(1)
    names = [*graph.names, *graph.data_names]
    return [{symbol(n): sp.Float(v) for n, v in sample_point(names, rng).items()} for _ in range(3)]


def _at(points: list[dict]):
    def values(e) -> list:
        out = []
        for p in points:
            try:
                v = complex(e.evalf(15, subs=p))
            except (TypeError, ValueError, ZeroDivisionError, OverflowError, RecursionError):
                v = None
            out.append(v if v is not None and v == v and abs(v) != float("inf") else None)
        return out
    return values


def _agree(a: list, b: list) -> bool:
    """Equal to 1e-9 of their size at every point where both are numbers, and there is such a point."""
    both = [(u, v) for u, v in zip(a, b) if u is not None and v is not None]
    return bool(both) and all(abs(u - v) <= 1e-9 * max(abs(u), abs(v), 1e-300) for u, v in both)


def _steps_below_output(graph: Graph, wrt: str):
    """The operation nodes between ``wrt`` and the output, last first (the nearest the output is the likeliest
    place to stop)."""
    nodes = graph.nodes
    first = 0 if wrt in graph.names else next(i for i, n in enumerate(nodes) if n.id == wrt) + 1
    return [(j, nodes[j]) for j in range(graph.output - 1, first - 1, -1)
            if nodes[j].op not in ("input", "copy") and j not in graph.data]


def _inner_derivatives(graph: Graph, wrt: str, exprs: list):
    """j -> ∂(node j)/∂wrt in the inputs: wrt an input, or a step (made a free symbol, as check.derivative does)."""
    if wrt in graph.names:
        x = symbol(wrt)
        return lambda j: sp.diff(exprs[j], x)
    down, free, back = freed(graph, wrt, exprs)
    return lambda j: sp.diff(down[j], free).xreplace(back)


def _index(graph: Graph, wrt: str) -> int:
    if wrt in graph.names:
        return graph.inputs[graph.names.index(wrt)]
    return next(i for i, n in enumerate(graph.nodes) if n.id == wrt)


def _rules(graph: Graph):
    syms = {node.id: symbol(node.id) for node in graph.nodes}
    return lambda i, k: to_sympy(graph.rule(i, k), syms)


def _shown(graph: Graph, wrt: str, j: int, in_inputs):
    """∂(node j)/∂wrt as the tables would write it: in the program's step names (``1 + 2·f1``), or, for a bare
    expression (whose ids gradcli made up), in the inputs."""
    if not graph.is_program:
        return from_sympy(in_inputs)
    tangents = tangent_sweep(graph, _rules(graph), simplest, {_index(graph, wrt): sp.Integer(1)}, j)
    return from_sympy(simplest(tangents[j]))


def in_steps(graph: Graph, wrt: str, truth=None):
    """∂output/∂wrt in the program's step names (``f1·(1 + 2·f1)·(f4 + cos(f3))``), by the reverse sweep: the
    form a hand solution ends with; None for a bare expression, or where, with each step's value put in, it
    does not agree with ``truth`` in numbers (a rule that holds only away from ties, as min's shares)."""
    if not graph.is_program:
        return None
    adjoints = adjoint_sweep(graph, _rules(graph), simplest)
    named = simplest(adjoints[_index(graph, wrt)])
    if truth is not None:
        exprs = node_expressions(graph)
        filled = named.xreplace({symbol(n.id): exprs[i] for i, n in enumerate(graph.nodes) if n.op != "input"})
        at = _at(_points(graph))
        if not _agree(at(filled), at(truth)):
            return None
    return from_sympy(named)


def _short(value) -> bool:
    return sp.count_ops(value) <= LONGEST


def says(m: Mistake, graph: Graph, wrt: str) -> tuple:
    """The slip in words, as parts of a line (text and Exprs), after "likely: "."""
    from ..core.expr import EQ, PARTIAL, Expr, name

    f = name(graph.function)
    d = Expr(PARTIAL, (f, name(wrt)))
    if m.kind == "the function":
        return ("the claim is ", f, " itself, not its derivative",)
    if m.kind == "integrated":
        return ("integrated instead of differentiated: the derivative of the claim is ", f,)
    if m.kind == "sign":
        return ("a sign error: the claim is minus ", d,)
    if m.kind == "constant factor":
        return ("a constant factor: ", d, " is ", m.factor, " times the claim",)
    if m.kind == "missing term":
        return ("a missing term: ", d, " is the claim plus ", m.term,
                " (a path through a step used twice, forgotten?)",)
    i = next(j for j, n in enumerate(graph.nodes) if n.id == m.node)
    step = Expr(EQ, (name(m.node), graph.definition(i)))
    inner = Expr(EQ, (Expr(PARTIAL, (name(m.node), name(wrt))), m.factor))
    if m.kind == "stopped early":
        return ("a missing inner derivative: the claim is ", Expr(PARTIAL, (f, name(m.node))), " (the chain rule "
                "stopped one edge early, at ", step, "); times ", inner, " it is ", d,)
    return ("a missing inner derivative: ", d, " is the claim times ", inner, ", of ", step,)
