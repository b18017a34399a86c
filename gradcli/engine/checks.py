"""What an evaluation should tell a student, found by a pass over it: kinks, non-finite values, infinite
slopes, and sums that cancelled.

``evaluate`` (gradcli/engine/trace.py) computes the values and local partials and nothing else; this pass
reads them afterwards, node by node in graph order, and says for each node, in this order: that a sum lost
most of its digits to cancellation, that its value is the first non-finite one, and, operand by operand, the
convention used at a kink or an infinite partial. Only the nodes that can have something to say are looked
at: sums, ops with a kink, and (only where some value or partial is not finite) the nodes where it is not.
"""

from __future__ import annotations

import math

from ..core.graph import OP_CODES, OP_NAMES, Graph, describe_operands
from ..core.ops import OPS, fmt

HALF_THE_DIGITS = 8  # a sum that loses more than this many of a double's 16 digits to cancellation is told
EXACT_BUDGET = 2000  # nodes looked at to show that a cancelling sum's operands carry no rounding

_ADD, _SUB = OP_CODES["add"], OP_CODES["sub"]
_KINKS = [None] + [OPS[name].kink for name in OP_NAMES[1:]]  # by op code
_LOOK = [code in (_ADD, _SUB) or kink is not None for code, kink in enumerate(_KINKS)]


def _grow() -> None:
    for name in OP_NAMES[len(_KINKS):]:
        _KINKS.append(OPS[name].kink)
        _LOOK.append(OPS[name].kink is not None)


def warnings_of(graph: Graph, values: list[float], partials, stable: dict) -> list[str]:
    """The notes of an evaluation, in graph order (``partials`` is the flat array beside the operand slots;
    ``stable`` the graph's plan of stable forms: a node computed from one is not a cancelling sum)."""
    codes, starts, flat, consts, ids = graph.codes, graph.starts, graph.flat, graph.consts, graph.ids
    n, leaves = len(codes), graph.leaves
    if len(_KINKS) < len(OP_NAMES):  # functions a program defined since
        _grow()
    isfinite = math.isfinite
    all_finite = (all(map(isfinite, values)) and all(map(isfinite, partials))
                  and all(isfinite(c.value) for c in consts))
    if all_finite:  # only sums and kinks can have something to say
        candidates = [i for i in range(leaves, n) if _LOOK[codes[i]]]
    else:
        candidates = [i for i in range(leaves, n)
                      if _LOOK[codes[i]] or not isfinite(values[i])
                      or not all(map(isfinite, partials[starts[i]:starts[i + 1]]))]
    warnings: list[str] = []
    say = warnings.append
    origin_reported = False
    for i in candidates:
        code, s, e = codes[i], starts[i], starts[i + 1]
        args = flat[s:e]
        z = values[i]
        if code == _ADD or code == _SUB:
            a, b = args
            if i in stable or not (leaves <= a < n or leaves <= b < n) or not isfinite(z):
                pass  # a sum of inputs and constants only is exact; a stable form does not cancel
            else:  # a sum of a computed value; z finite, so both operands are
                xs = [values[a] if a < n else consts[a - n].value, values[b] if b < n else consts[b - n].value]
                # fewer than 10^8 times the result: at most 8 digits lost, nothing to tell
                if max(abs(xs[0]), abs(xs[1])) >= 1e8 * abs(z):
                    lost = _lost_digits(xs, z)
                    if lost > HALF_THE_DIGITS and not all(_exact(graph, a, values) for a in args if a < n):
                        say(f"{ids[i]} = {graph.expr(i)} lost {min(lost, 16)} of its 16 digits to cancellation "
                            f"({_spelled(OP_NAMES[code], xs)} = {fmt(z)}): it and what depends on it may be off "
                            "in every digit; --exact gives the true numbers")
            if all_finite:
                continue
        xs = [values[a] if a < n else consts[a - n].value for a in args]
        finite = all_finite or all(map(isfinite, xs))
        if not finite:
            continue  # a non-finite operand was told where it arose
        if not origin_reported and not isfinite(z):
            origin_reported = True
            # inf from nonzero finite operands is an overflow (exp(1000)); log(0) = -inf is not
            kind = "overflowed to" if math.isinf(z) and all(xs) else "is"
            say(f"{ids[i]} = {graph.expr(i)} {kind} {fmt(z)} at {describe_operands(graph, graph.nodes[i], values)}; "
                "the values and derivatives that depend on it are not finite")
        kink = _KINKS[code]
        for k, a in enumerate(args):
            if a >= n:
                continue  # a constant has no partial
            note = kink(k, *xs) if kink is not None else None
            if note is not None:
                say(f"{ids[i]} = {graph.expr(i)} at {describe_operands(graph, graph.nodes[i], values)}: {note}")
            elif not isfinite(partials[s + k]) and isfinite(z):
                say(f"∂{ids[i]}/∂{ids[a]} = {fmt(partials[s + k])} at "
                    f"{describe_operands(graph, graph.nodes[i], values)}")
    return warnings


def _lost_digits(xs: list[float], z: float) -> int:
    """How many decimal digits a sum lost to cancellation (the caller asks only where an operand is computed:
    the difference of two exact doubles, inputs or constants, is exact, nothing is lost)."""
    big = max(abs(x) for x in xs)
    if big == 0:
        return 0
    if z == 0:
        return 16
    return max(0, int(math.log10(big / abs(z))))


def _exact(graph: Graph, i: int, values: list[float]) -> bool:
    """Whether node i's float value is its exact value: every node it depends on computed without rounding
    (0.5*1 and -0.25*2 are, so 0.5 + (-0.5) = 0 lost nothing). Looked at only where a sum cancels; a graph
    too large to look through within EXACT_BUDGET nodes counts as rounded."""
    from fractions import Fraction

    codes, starts, flat, consts = graph.codes, graph.starts, graph.flat, graph.consts
    n = len(codes)
    memo: dict[int, bool] = {}
    stack = [(i, False)]
    pop, push = stack.pop, stack.append
    seen = 0
    while stack:
        j, visited = pop()
        if j in memo:
            continue
        if codes[j] == 0:
            memo[j] = True
            continue
        args = flat[starts[j]:starts[j + 1]]
        if not visited:
            seen += 1
            if seen > EXACT_BUDGET:
                return False
            push((j, True))
            for a in args:
                if a < n and a not in memo:
                    push((a, False))
            continue
        for a in args:
            if a < n and not memo[a]:
                break
        else:
            a = None
        if a is not None:
            memo[j] = False
            continue
        xs = [values[a] if a < n else consts[a - n].value for a in args]
        z, op = values[j], OP_NAMES[codes[j]]
        if not all(map(math.isfinite, [*xs, z])):
            ok = False
        elif OPS[op].always_exact:
            ok = True
        elif op in ("add", "sub", "mul", "div"):
            a, b = Fraction(xs[0]), Fraction(xs[1])
            if op == "div" and b == 0:
                ok = False
            else:
                ok = {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b if b else None}[op] == Fraction(z)
        elif op == "pow":
            ok = xs[1] == int(xs[1]) and abs(xs[1]) <= 64 and (xs[0] != 0 or xs[1] >= 0) and \
                Fraction(xs[0]) ** int(xs[1]) == Fraction(z)
        elif op == "sqrt":
            ok = Fraction(z) ** 2 == Fraction(xs[0])
        elif op == "log":
            ok = xs[0] == 1.0
        else:
            at = OPS[op].exact_at
            ok = at is not None and xs[0] == at[0] and z == at[1]
        memo[j] = ok
    return memo[i]


def _spelled(op: str, xs: list[float]) -> str:
    a, b = xs
    if op == "add":
        return f"{fmt(a)} + {fmt(b)}" if b >= 0 else f"{fmt(a)} + ({fmt(b)})"
    return f"{fmt(a)} - {fmt(b)}" if b >= 0 else f"{fmt(a)} - ({fmt(b)})"
