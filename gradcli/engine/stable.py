"""Values that keep their digits: the common ML losses' cancelling forms, computed in a stable form.

``1 - sigmoid(z)`` at z = 35 is 1 - 0.9999999999999993, which keeps one digit of the true 6.3e-16;
``sigmoid(-z)`` keeps all of them. A node written in one of these forms gets its value from the stable
form; the tables still show the node as written, and say which form gave its value. Local partials are
unchanged (they are computed from these values), so the derivatives keep their digits too.

| written | computed as |
| --- | --- |
| ``1 - sigmoid(a)``, ``1 - 1/(1 + exp(a))`` | ``sigmoid(-a)``, ``sigmoid(a)`` |
| ``log(sigmoid(a))``, ``log(1 - sigmoid(a))`` | ``-softplus(-a)``, ``-softplus(a)`` |
| ``log(1/(1 + exp(a)))`` | ``-softplus(a)`` |
| ``log(1 + x)``, ``log(1 - x)`` | ``log1p(x)``, ``log1p(-x)`` |
| ``log(1 + exp(a))`` | ``softplus(a)`` |
| ``exp(a) - 1``, ``1 - exp(a)`` | ``expm1(a)``, ``-expm1(a)`` |
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from ..core.expr import Expr, call
from ..core.ops import _expm1, _log1p, _sigmoid, _softplus

_ONE = 1.0


class Stable(NamedTuple):
    """How node i's value is computed instead: ``fn`` of the value of ``operand`` (a node index or a Const),
    and the form as an Expr in node ids."""

    fn: Callable[[float], float]
    operand: object
    form: Expr


def plan(graph) -> dict[int, Stable]:
    """The nodes of a graph whose value has a stable form, and that form."""
    from ..core.graph import OP_CODES

    nodes = graph.nodes
    out: dict[int, Stable] = {}

    def op(a) -> str | None:
        return graph.op(a) if type(a) is int else None

    def is_one(a) -> bool:
        return type(a) is not int and a.value == _ONE

    def expr(a) -> Expr:
        return graph.operand(a)

    def exp_of_sum_with_one(a):
        """a = 1 + exp(w) or exp(w) + 1: w; else None."""
        if op(a) != "add":
            return None
        x, y = nodes[a].args
        if is_one(x) and op(y) == "exp":
            return nodes[y].args[0]
        if is_one(y) and op(x) == "exp":
            return nodes[x].args[0]
        return None

    codes = graph.codes.tobytes()
    candidates = []  # the subtractions and logarithms: only they have stable forms
    for code in (OP_CODES["sub"], OP_CODES["log"]):
        i = codes.find(code)
        while i >= 0:
            candidates.append(i)
            i = codes.find(code, i + 1)
    for i in candidates:
        node = nodes[i]
        if node.op == "sub":
            a, b = node.args
            if is_one(a) and op(b) == "sigmoid":  # 1 - sigmoid(w) = sigmoid(-w)
                w = nodes[b].args[0]
                out[i] = Stable(lambda v: _sigmoid(-v), w, call("sigmoid", call("neg", expr(w))))
            elif is_one(a) and op(b) == "div" and is_one(nodes[b].args[0]) and \
                    (w := exp_of_sum_with_one(nodes[b].args[1])) is not None:  # 1 - 1/(1 + exp(w)) = sigmoid(w)
                out[i] = Stable(_sigmoid, w, call("sigmoid", expr(w)))
            elif is_one(a) and op(b) == "exp":  # 1 - exp(w) = -expm1(w)
                w = nodes[b].args[0]
                out[i] = Stable(lambda v: -_expm1(v), w, call("neg", call("expm1", expr(w))))
            elif is_one(b) and op(a) == "exp":  # exp(w) - 1 = expm1(w)
                w = nodes[a].args[0]
                out[i] = Stable(_expm1, w, call("expm1", expr(w)))
        elif node.op == "log":
            (a,) = node.args
            if op(a) == "sigmoid":  # log(sigmoid(w)) = -softplus(-w)
                w = nodes[a].args[0]
                out[i] = Stable(lambda v: -_softplus(-v), w, call("neg", call("softplus", call("neg", expr(w)))))
            elif op(a) == "sub" and is_one(nodes[a].args[0]) and op(nodes[a].args[1]) == "sigmoid":
                w = nodes[nodes[a].args[1]].args[0]  # log(1 - sigmoid(w)) = -softplus(w)
                out[i] = Stable(lambda v: -_softplus(v), w, call("neg", call("softplus", expr(w))))
            elif op(a) == "div" and is_one(nodes[a].args[0]) and \
                    (w := exp_of_sum_with_one(nodes[a].args[1])) is not None:  # log(1/(1 + exp(w)))
                out[i] = Stable(lambda v: -_softplus(v), w, call("neg", call("softplus", expr(w))))
            elif (w := exp_of_sum_with_one(a)) is not None:  # log(1 + exp(w)) = softplus(w)
                out[i] = Stable(_softplus, w, call("softplus", expr(w)))
            elif op(a) == "add" and (is_one(nodes[a].args[0]) or is_one(nodes[a].args[1])):
                x = nodes[a].args[1] if is_one(nodes[a].args[0]) else nodes[a].args[0]
                out[i] = Stable(_log1p, x, call("log1p", expr(x)))  # log(1 + x)
            elif op(a) == "sub" and is_one(nodes[a].args[0]):
                x = nodes[a].args[1]  # log(1 - x) = log1p(-x)
                out[i] = Stable(lambda v: _log1p(-v), x, call("log1p", call("neg", expr(x))))
    return out

