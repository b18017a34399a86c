"""The op table's rules as trees and as float functions: each partial derivative is text in gradcli's own
language (gradcli/ops.py), parsed once on first use and compiled to closures over the op table; the second
partials are the first ones differentiated again by the same rules. No Python text is made or run."""

from __future__ import annotations

import re
from typing import Callable

from .expr import NAME, NUM, OUT, SLOT, Expr, diff_slot, from_items, simplify, transform
from .ops import CONSTANTS, OPS, arity_of, ieee
from .parse import parse_expression


def parse_rule(text: str) -> Expr:
    """A rule of the op table, in gradcli's own language with ``{0}``, ``{1}`` and ``{out}``."""
    source = re.sub(r"\{(\d+)\}", r"_\1", text.replace("{out}", "out"))
    return from_items(parse_expression(source), source, slots=True)


# --- the rules, parsed once and compiled to float functions ---------------------------------------------

_RULES: dict[str, tuple] = {}
_PARTIALS: dict[str, tuple] = {}


def rules(name: str, n: int = 0) -> tuple:
    """The op's partials as Exprs, parsed from the table on first use; ``n`` operands for a variadic op."""
    op = OPS[name]
    key = (name, n if op.arity < 0 else op.arity)
    got = _RULES.get(key)
    if got is None:
        texts = op.partials if op.arity >= 0 else tuple(op.rule(k, n) for k in range(n))
        got = _RULES[key] = tuple(parse_rule(r) for r in texts)
    return got


def partial_functions(name: str, n: int = 0) -> tuple[Callable[..., float] | float, ...]:
    """For each operand, the float partial as f(xs, z), or the number itself where the rule is a number."""
    op = OPS[name]
    key = (name, n if op.arity < 0 else op.arity)
    got = _PARTIALS.get(key)
    if got is None:
        got = _PARTIALS[key] = tuple(compile_rule(rule) if override is None else
                                     (lambda xs, z, f=override: f(*xs, z))
                                     for rule, override in partial_sources(name, n))
    return got


def partial_sources(name: str, n: int = 0) -> tuple[tuple[Expr, Callable[..., float] | None], ...]:
    """For each operand, its rule and the float override f(*xs, z) that stands in for it (or None): what both
    the float functions here and the columns of a data file (gradcli/engine/columns.py) compute from."""
    op = OPS[name]
    out = []
    for k, rule in enumerate(rules(name, n)):
        if op.arity < 0:
            override = op.numeric_rule(k, n) if op.numeric_rule is not None else None
        else:
            override = op.numeric[k] if k < len(op.numeric) else None
        out.append((rule, override))
    return tuple(out)



def compile_rule(rule) -> Callable[..., float] | float:
    """A rule as a float function f(xs, z) of the operands and the result, built from closures over the op
    table (no Python text is made or run), or a plain number when the rule is one. An operand that is an
    operand slot, the result or a number is read in place, without a call of its own."""
    def leaf(e):
        if e.op == NUM:
            return ("number", e.leaf[0])
        if e.op == SLOT:
            return ("slot", e.leaf)
        if e.op == OUT:
            return ("out", None)
        if e.op == NAME and e.leaf in CONSTANTS:
            return ("number", CONSTANTS[e.leaf])
        raise ValueError(f"a rule can only use its operands, {{out}}, numbers, pi and e, not {e.leaf!r}")

    def call(a):
        """A compiled operand as a function of (xs, z)."""
        kind, x = a
        if kind == "number":
            return lambda xs, z: x
        if kind == "slot":
            return lambda xs, z: xs[x]
        if kind == "out":
            return lambda xs, z: z
        return x

    def node(e, args):
        f = ieee(e.op)
        if len(args) == 1:
            kind, x = args[0]
            if kind == "slot":
                return ("call", lambda xs, z: f(xs[x]))
            if kind == "out":
                return ("call", lambda xs, z: f(z))
            a = call(args[0])
            return ("call", lambda xs, z: f(a(xs, z)))
        if len(args) == 2:
            (ka, xa), (kb, xb) = args
            if ka == "slot" and kb == "number":
                return ("call", lambda xs, z: f(xs[xa], xb))
            if ka == "number" and kb == "slot":
                return ("call", lambda xs, z: f(xa, xs[xb]))
            if ka == "slot" and kb == "slot":
                return ("call", lambda xs, z: f(xs[xa], xs[xb]))
            if ka == "number" and kb == "out":
                return ("call", lambda xs, z: f(xa, z))
            if ka == "out" and kb == "number":
                return ("call", lambda xs, z: f(z, xb))
            if ka == "out" and kb == "out":
                return ("call", lambda xs, z: f(z, z))
            a, b = call(args[0]), call(args[1])
            return ("call", lambda xs, z: f(a(xs, z), b(xs, z)))
        fs = [call(a) for a in args]
        return ("call", lambda xs, z: f(*(a(xs, z) for a in fs)))

    if rule.op == NUM:
        return rule.leaf[0]
    return call(transform(rule, leaf, node))


def partial(name: str, k: int, xs, z: float) -> float:
    """The float value of op ``name``'s k-th partial at operands ``xs`` with result ``z``."""
    fn = partial_functions(name, len(xs))[k]
    return fn if type(fn) is float else fn(tuple(xs), z)


_LINEAR: dict[tuple, bool] = {}


def is_linear(name: str, n: int = 0) -> bool:
    """Whether every partial of the op is a number (sum, mean, add, neg): then every second partial is 0, and
    the second rules of sum(x1, …, x200), 40,000 of them, need not be derived."""
    key = (name, arity_of(name, n))
    got = _LINEAR.get(key)
    if got is None:
        got = _LINEAR[key] = all(r.op == NUM for r in rules(name, n))
    return got


_SECOND: dict[tuple, tuple] = {}


def second_rules(name: str, n: int = 0) -> tuple[tuple, ...]:
    """∂²out/∂arg_k∂arg_m as Exprs: each first rule differentiated again by the op table's rules, simplified."""
    key = (name, arity_of(name, n))
    got = _SECOND.get(key)
    if got is None:
        first = rules(name, n)
        fold = lambda op, xs: OPS[op].value(*xs)  # noqa: E731
        got = _SECOND[key] = tuple(tuple(simplify(diff_slot(first[k], m, first, rules), fold)
                                         for m in range(len(first))) for k in range(len(first)))
    return got


_SECOND_FUNCTIONS: dict[tuple, tuple] = {}


def second_functions(name: str, n: int = 0) -> tuple[tuple, ...]:
    """The second partials as float functions f(xs, z), or numbers where they are numbers."""
    key = (name, arity_of(name, n))
    got = _SECOND_FUNCTIONS.get(key)
    if got is None:
        got = _SECOND_FUNCTIONS[key] = tuple(tuple(compile_rule(q) for q in row) for row in second_rules(name, n))
    return got


def second_partial(name: str, k: int, m: int, xs, z: float) -> float:
    n = len(xs)
    if n > 2 and _symmetric(name, n):  # logsumexp(x1, …, x200): the rules of two operands, for operands k and m
        fn = second_functions(name, 2)[0][0 if k == m else 1]
        return fn if type(fn) is float else fn((xs[k], xs[m]), z)
    fn = second_functions(name, n)[k][m]
    return fn if type(fn) is float else fn(tuple(xs), z)


_SYMMETRIC: dict[tuple, bool] = {}


def _symmetric(name: str, n: int) -> bool:
    """Whether a variadic op's partial in operand k is one rule with k in place of 0, whatever n (logsumexp:
    exp({k} - {out}); max: eq({k}, {out})): then ∂²out/∂xk∂xm is the rule of two operands, (0, 0) where k = m
    and (0, 1) where not, at xk and xm, and the n² second rules of n operands need not be derived."""
    key = (name, n)
    got = _SYMMETRIC.get(key)
    if got is None:
        op = OPS[name]
        got = False
        if op.arity < 0 and op.rule is not None:
            first = op.rule(0, n)
            got = op.rule(0, 2) == first and all(op.rule(k, n) == first.replace("{0}", "{%d}" % k)
                                                 for k in range(1, n))
        _SYMMETRIC[key] = got
    return got
