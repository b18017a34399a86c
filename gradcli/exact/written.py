"""A rule a student wrote in a graded table (``c̄6 = c̄7·3·c6``), decided equal to the true local chain-rule term
by sympy, as ``check`` decides a claim.

Both sides are Exprs over the graph's node ids (the values) and marks (``c̄7``, ``ċ1``: adjoints and tangents);
the student's was parsed by gradcli's own parser. A node's value is its expression in the inputs, so
``(c4 + c5)**3`` is ``c6**3``; an adjoint or a tangent is a free symbol, as the local term leaves it.
"""

from __future__ import annotations

from ..core.expr import Expr, transform
from ..core.ops import fmt
from .check import _proved
from .symbolic import MAX_NODES, node_expressions, number, symbol, to_sympy


class Decider:
    """Rules of one graph against their true terms; the graph's node expressions are built once."""

    def __init__(self, graph) -> None:
        self.graph = graph
        self.names: dict | None = None

    def __call__(self, student: Expr, truth: Expr) -> bool | None:
        """True where sympy proves the two equal, None where it cannot decide (the caller compares numbers)."""
        graph = self.graph
        if len(graph.nodes) > MAX_NODES:
            return None
        if self.names is None:
            exprs = node_expressions(graph)
            self.names = {graph.ids[i]: e for i, e in enumerate(exprs) if e is not None}
            self.values = {symbol(n): number(v, fmt(v)) for n, v in graph.constants}
        try:
            difference = (to_sympy(_products(student), self.names)
                          - to_sympy(_products(truth), self.names)).xreplace(self.values)
        except (KeyError, ValueError, TypeError, ZeroDivisionError):
            return None
        return True if _proved(difference) else None


def _products(e: Expr) -> Expr:
    """A rule's written product (c̄7·3, the tables' cdot) as the op table's mul."""
    return transform(e, lambda x: x, lambda x, args: Expr("mul" if x.op == "cdot" else x.op, args, x.leaf))


def decider(graph, until: float | None = None):
    """The function that decides written rules; with ``until`` (a monotonic deadline, gradcli/exact/worker.py)
    each decision runs in the worker, and one not reached by then is undecided (the caller compares numbers)."""
    decide = Decider(graph)
    if until is None:
        return decide

    def bounded(student: Expr, truth: Expr) -> bool | None:
        from . import worker

        done = worker.run(_decision, (decide, student, truth), until)
        return done.pieces[0] if done.finished and done.pieces else None

    return bounded


def _decision(emit, decide: Decider, student: Expr, truth: Expr) -> None:
    emit(decide(student, truth))
