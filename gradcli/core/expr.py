"""Expr: the one expression tree, for op rules, node definitions, the rows of every table and symbolic work.

An Expr is an op of the op table applied to operand Exprs, or a leaf: a number, a name, a marked name
(ċ3, c̄3), an operand slot of a rule (``{0}``) or the rule's own result (``{out}``). A few nodes exist only
to be shown (``=``, ``∂a/∂b``, a list, the terms a long sum leaves out). Trees are built, walked and
printed with explicit stacks, never by recursion, so any depth is fine.

Printing lives in gradcli/printer.py; sympy conversion in gradcli/symbolic.py.
"""

from __future__ import annotations

import math
from typing import Callable, Iterable, NamedTuple


class Expr(NamedTuple):
    """``op`` applied to ``args``, or a leaf (``args`` empty) whose content is ``leaf``."""

    op: str
    args: tuple = ()
    leaf: object = None

    def __repr__(self) -> str:  # short, whatever the depth: the printer shows the whole tree
        if self.op in LEAVES:
            return f"Expr({self.op!r}, leaf={self.leaf!r})"
        return f"Expr({self.op!r}, {len(self.args)} operands)"


# leaves
NUM = "num"  # leaf: (value, text or None); the text is shown as typed (1e-3, 0.10) where there is one
NAME = "name"  # leaf: the name
MARK = "mark"  # leaf: (accent, name) with accent "dot" (tangent) or "bar" (adjoint)
SLOT = "slot"  # leaf: k, the rule's k-th operand
OUT = "out"  # the rule's own result (exp' = out)
MORE = "more"  # leaf: (n, verbose): the terms a long sum leaves out
EXACT = "exact"  # leaf: an exact value (a sympy number), shown in its exact form
# shown only
EQ = "equation"  # a = b = c
PARTIAL = "partial"  # ∂a/∂b
PARTIAL2 = "partial2"  # ∂²a/∂b∂c
GRAD = "grad"  # ∇f(args): args[0] the function's name, the rest its arguments
VECTOR = "vector"  # [a, b, c]
LIST = "list"  # a, b, c
APPROX = "approx"  # a ≈ b
GROUP = "group"  # one constant folded from a subexpression: shown in parentheses as one, (2*pi)*c1
SUMOVER = "sumover"  # Σᵢ a: a sum over the samples of a data file; leaf: the index ("i")
INDEXED = "indexed"  # aᵢ: one sample's a; leaf: the index

LEAVES = frozenset({NUM, NAME, MARK, SLOT, OUT, MORE, EXACT})


def num(x: float, text: str | None = None) -> Expr:
    return Expr(NUM, (), (x, text))


def name(s: str) -> Expr:
    return Expr(NAME, (), s)


def mark(accent: str, s: str) -> Expr:
    return Expr(MARK, (), (accent, s))


def slot(k: int) -> Expr:
    return Expr(SLOT, (), k)


OUT_LEAF = Expr(OUT)
ZERO, ONE = num(0.0), num(1.0)


def call(op: str, *args: Expr) -> Expr:
    return Expr(op, tuple(args))


def value_of(e: Expr) -> float | None:
    """The number a NUM leaf holds, else None."""
    return e.leaf[0] if e.op == NUM else None


def walk(e: Expr) -> Iterable[Expr]:
    """Every subexpression, parents before children."""
    stack = [e]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.args))


def same(a: Expr, b: Expr) -> bool:
    """Whether two trees are equal, compared with a loop (``==`` on tuples recurses, and a sum of 10^5 terms is
    10^5 deep)."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if x is y:
            continue
        if x.op != y.op or x.leaf != y.leaf or len(x.args) != len(y.args):
            return False
        stack.extend(zip(x.args, y.args))
    return True


def size(e: Expr) -> int:
    return sum(1 for _ in walk(e))


def transform(e: Expr, leaf: Callable[[Expr], Expr], node: Callable[[Expr, tuple], Expr] | None = None) -> Expr:
    """Rebuild a tree bottom-up: ``leaf`` maps each leaf, ``node(e, new_args)`` each inner node (default:
    the same op with the new operands)."""
    stack: list[tuple[Expr, bool]] = [(e, False)]
    done: list[Expr] = []
    while stack:
        x, visited = stack.pop()
        if not x.args:
            done.append(leaf(x))
        elif visited:
            n = len(x.args)
            args = tuple(done[-n:])
            del done[-n:]
            done.append(node(x, args) if node is not None else Expr(x.op, args, x.leaf))
        else:
            stack.append((x, True))
            stack.extend((a, False) for a in reversed(x.args))
    return done[0]


def substitute(e: Expr, operands: tuple[Expr, ...], out: Expr | None = None) -> Expr:
    """A rule with its slots filled: ``{k}`` by ``operands[k]``, ``{out}`` by ``out``."""

    def leaf(x: Expr) -> Expr:
        if x.op == SLOT:
            return operands[x.leaf]
        if x.op == OUT and out is not None:
            return out
        return x

    return transform(e, leaf)


# --- from the parser ---------------------------------------------------------------------------------


def from_items(items, source: str, slots: bool = False) -> Expr:
    """The parser's postfix items as a tree. With ``slots``, the names ``_0``, ``_1`` and ``out`` are a rule's
    operand slots and its result (the op table writes them ``{0}``, ``{1}``, ``{out}``)."""
    stack: list[Expr] = []
    for it in items:
        if it.kind == "num":
            text = source[it.start:it.end]
            stack.append(num(it.arg, text if text.isascii() else None))
        elif it.kind == "name":
            n = it.arg
            if slots and n == "out":
                stack.append(OUT_LEAF)
            elif slots and n.startswith("_") and n[1:].isdigit():
                stack.append(slot(int(n[1:])))
            else:
                stack.append(name(n))
        else:
            args = tuple(stack[-it.arity:]) if it.arity else ()
            if it.arity:
                del stack[-it.arity:]
            stack.append(Expr(it.arg, args))
    return stack[0]


# --- light algebra for showing rules --------------------------------------------------------------------


def simplify(e: Expr, value: Callable[[str, tuple[float, ...]], float] | None = None) -> Expr:
    """The identities a hand derivation applies without a word: numbers folded (3 - 1 is 2), x*1, 1*x, x**1,
    x + 0 and --x dropped, x**0 and 0*x made 1 and 0. ``value(op, xs)`` folds an op on numbers."""

    def node(x: Expr, args: tuple) -> Expr:
        op = x.op
        vals = [value_of(a) for a in args]
        if value is not None and args and all(v is not None for v in vals) and op in _FOLD:
            try:
                v = value(op, tuple(vals))
            except (ValueError, ZeroDivisionError, OverflowError):
                v = None
            if v is not None and math.isfinite(v) and _short(v, vals):
                return num(v)
        if op == "mul":
            a, b = vals
            if args[0].op == "neg" and args[1].op == "neg":
                return Expr("mul", (args[0].args[0], args[1].args[0]))
            if args[0].op == "neg" or args[1].op == "neg":  # a*(-b) is -(a*b)
                inner = Expr("mul", (args[0].args[0] if args[0].op == "neg" else args[0],
                                     args[1].args[0] if args[1].op == "neg" else args[1]))
                return Expr("neg", (node(inner, inner.args),))
            if a == -1:
                return Expr("neg", (args[1],))
            if b == -1:
                return Expr("neg", (args[0],))
            if a == 1:
                return args[1]
            if b == 1:
                return args[0]
            if a == 0 or b == 0:
                return ZERO
            if a == -1:
                return Expr("neg", (args[1],))
        elif op == "div" and vals[1] == 1:
            return args[0]
        elif op == "div" and args[0].op == "neg":  # (-a)/b is -(a/b)
            inner = Expr("div", (args[0].args[0], args[1]))
            return Expr("neg", (node(inner, inner.args),))
        elif op == "div" and vals[0] is not None and vals[0] < 0:
            inner = Expr("div", (num(-vals[0]), args[1]))
            return Expr("neg", (node(inner, inner.args),))
        elif op == "pow":
            if vals[1] == 1:
                return args[0]
            if vals[1] == 0:
                return ONE
        elif op == "add":
            if vals[0] == 0:
                return args[1]
            if vals[1] == 0:
                return args[0]
            if args[1].op == "neg":  # a + (-b) is a - b
                return Expr("sub", (args[0], args[1].args[0]))
        elif op == "sub":
            if vals[1] == 0:
                return args[0]
            if vals[0] == 0:
                return Expr("neg", (args[1],))
        elif op == "neg":
            if args[0].op == "neg":
                return args[0].args[0]
            if vals[0] is not None:
                return num(-vals[0])
        return Expr(op, args, x.leaf)

    return transform(e, lambda x: x, node)


_FOLD = frozenset({"add", "sub", "mul", "neg", "pow", "eq"})


def _short(v: float, operands: list) -> bool:
    """Whether a folded number reads as simply as its operands: 3 - 1 is 2 and 0.5 - 1 is -0.5, but
    0.1 + 0.2 stays, not 0.30000000000000004."""
    return len(repr(v)) <= max(len(repr(float(x))) for x in operands) + 1


def diff_slot(e: Expr, m: int, first: tuple[Expr, ...], rules_of) -> Expr:
    """∂e/∂{m}: a rule differentiated again in its m-th operand, by the op table's own rules.

    ``first`` are the rules of the op the slots belong to (so ``{out}``' = ``first[m]``); ``rules_of(op)``
    gives any op's rules, to differentiate the ops the rule uses. Returns an unsimplified Expr."""

    def leaf(x: Expr):
        if x.op == SLOT:
            return x, (ONE if x.leaf == m else ZERO)
        if x.op == OUT:
            return x, first[m]
        return x, ZERO

    def node(x: Expr, args: tuple):
        exprs = tuple(a for a, _ in args)
        here = Expr(x.op, exprs, x.leaf)
        if x.op in ("copy", "group"):
            return here, args[0][1]
        total = None
        for k, (_, d) in enumerate(args):
            if d.op == NUM and d.leaf[0] == 0:
                continue
            local = substitute(rules_of(x.op, len(exprs))[k], exprs, here)
            term = Expr("mul", (local, d))
            total = term if total is None else Expr("add", (total, term))
        return here, total if total is not None else ZERO

    return transform(e, leaf, node)[1]
