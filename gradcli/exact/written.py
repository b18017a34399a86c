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
from .symbolic import MAX_NODES, adjoint_sweep, node_expressions, number, symbol, tangent_sweep, to_sympy


class Decider:
    """Rules of one graph against their true terms; the graph's node expressions are built once."""

    def __init__(self, graph) -> None:
        self.graph = graph
        self.names: dict | None = None

    def __call__(self, student: Expr, truth: Expr, sweep: str | None = None) -> bool | None:
        """True where sympy proves the two equal, None where it cannot decide (the caller compares numbers).

        First as written, the adjoints and tangents free symbols: ``c̄7·3·c6**2`` is the true term of c̄6. Then,
        where that fails and a mark is named, with every adjoint and tangent put back as what it is (the output's
        adjoint 1, the sweep's input's tangent 1): a rule that writes a later adjoint out (``c̄8·c3·3·c6**2``,
        c̄7 being c̄8·c3) is the same number at every point, and is right."""
        graph = self.graph
        if len(graph.nodes) > MAX_NODES:
            return None
        if self.names is None:
            exprs = node_expressions(graph)
            self.names = {graph.ids[i]: e for i, e in enumerate(exprs) if e is not None}
            self.values = {symbol(n): number(v, fmt(v)) for n, v in graph.constants}
        try:
            mine, true = to_sympy(_products(student), self.names), to_sympy(_products(truth), self.names)
            if _proved((mine - true).xreplace(self.values)):
                return True
            marks = (mine.free_symbols | true.free_symbols) & set(self.marks(sweep))
            if not marks:
                return None
            put = {m: self.marks(sweep)[m] for m in marks}
            return True if _proved((mine.xreplace(put) - true.xreplace(put)).xreplace(self.values)) else None
        except (KeyError, ValueError, TypeError, ZeroDivisionError):
            return None

    def marks(self, sweep: str | None) -> dict:
        """Each adjoint's and (for ``sweep``) each tangent's symbol, as to_sympy names them, and its value in
        the inputs; the reverse and forward sweeps are run in sympy once each."""
        cache = self.__dict__.setdefault("_marks", {})
        if sweep not in cache:
            graph = self.graph
            tidy = lambda x: x  # noqa: E731
            rule = lambda i, k: to_sympy(_products(graph.rule(i, k)), self.names)  # noqa: E731
            if "adjoints" not in cache:
                adjoints = adjoint_sweep(graph, rule, tidy)
                cache["adjoints"] = {symbol(f"{graph.ids[j]}_bar"): a for j, a in enumerate(adjoints)}
            got = dict(cache["adjoints"])
            if sweep in graph.names:
                tangents = tangent_sweep(graph, rule, tidy, {graph.inputs[graph.names.index(sweep)]: 1})
                got.update({symbol(f"{graph.ids[j]}_dot"): t for j, t in enumerate(tangents)})
            cache[sweep] = got
        return cache[sweep]


def _products(e: Expr) -> Expr:
    """A rule's written product (c̄7·3, the tables' cdot) as the op table's mul."""
    return transform(e, lambda x: x, lambda x, args: Expr("mul" if x.op == "cdot" else x.op, args, x.leaf))


def decider(graph, until: float | None = None):
    """The function that decides written rules; with ``until`` (a monotonic deadline, gradcli/exact/worker.py)
    each decision runs in the worker, and one not reached by then is undecided (the caller compares numbers)."""
    decide = Decider(graph)
    if until is None:
        return decide

    def bounded(student: Expr, truth: Expr, sweep: str | None = None) -> bool | None:
        from . import worker

        done = worker.run(_decision, (decide, student, truth, sweep), until)
        return done.pieces[0] if done.finished and done.pieces else None

    return bounded


def _decision(emit, decide: Decider, student: Expr, truth: Expr, sweep: str | None) -> None:
    emit(decide(student, truth, sweep))
