"""Every entry of the op table: partials against central differences and sympy, rule texts, conventions."""

from __future__ import annotations

import math

import pytest

from gradcli.core.graph import graph_of
from gradcli.core.ops import CALLS, OPS, DomainError, op_for_call
from gradcli.core.rules import compile_rule, partial, rules
from gradcli.engine.trace import evaluate

XS = [-2.5, -1.5, -0.6, -0.3, 0.35, 0.8, 1.7, 2.6, 4.1]
YS = [-1.5, -1.0, 0.5, 2.0, 3.0, 1.7]


def _defined(op, *xs: float) -> bool:
    try:
        z = op.value(*xs)
    except (ValueError, ZeroDivisionError):
        return False
    return math.isfinite(z)


def arity(op) -> int:
    """How many operands the tests give an op: its own, or 3 for one that takes any number (softmax: its
    index, then 3)."""
    if op.arity >= 0:
        return op.arity
    return 4 if op.name == "softmax" else 3


def differentiable(op) -> range:
    """The operands a central difference can move: all but softmax's index."""
    return range(1, arity(op)) if op.name == "softmax" else range(arity(op))


def points(op) -> list[tuple[float, ...]]:
    """Points inside the op's domain, away from kinks, where a central difference is defined too."""
    if op.arity == 1:
        grid = [(x,) for x in XS]
    elif op.arity == 2:
        grid = [(x, y) for x in XS for y in YS]
    elif op.name == "softmax":
        grid = [(float(k), x, y, x * y) for k in (1, 2, 3) for x in XS[::2] for y in YS[::2]]
    else:
        grid = [(x, y, x - y) for x in XS for y in YS]
    good = []
    for p in grid:
        h = 1e-5
        near = [tuple(v + d if j == k else v for j, v in enumerate(p)) for k in differentiable(op) for d in (-h, h)]
        if not all(_defined(op, *q) for q in [p, *near]):
            continue
        if op.kink is not None and any(op.kink(k, *p) for k in range(arity(op))):
            continue
        if op.name in ("max", "min") and len({round(v, 3) for v in p}) < len(p):
            continue  # near a tie, max has a kink
        if op.name == "sign" and abs(p[0]) < 1e-3:
            continue
        good.append(p)
    return good


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_has_points_and_everything_it_needs(name: str) -> None:
    op = OPS[name]
    if op.arity >= 0:
        assert len(op.partials) == op.arity == len(rules(name))
        assert len(op.numeric) <= op.arity
        for n in op.names:
            assert CALLS[(n, op.arity)] == name
    else:  # any number of operands: a rule for each of n, whatever n
        assert op.rule is not None and not op.partials and not op.numeric
        for n in range(op.min_args, 6):
            assert len(rules(name, n)) == n
        for n in op.names:
            assert op_for_call(n, 5) == name
    assert len(points(op)) >= 3, f"{name}: too few points to check it at"


def central(op, p: tuple[float, ...], k: int) -> float:
    h = 1e-6 * max(1.0, abs(p[k]))
    up = tuple(v + h if j == k else v for j, v in enumerate(p))
    down = tuple(v - h if j == k else v for j, v in enumerate(p))
    return (op.value(*up) - op.value(*down)) / (2 * h)


@pytest.mark.parametrize("name", sorted(OPS))
def test_partials_match_central_differences(name: str) -> None:
    op = OPS[name]
    for p in points(op):
        z = op.value(*p)
        for k in differentiable(op):
            got = partial(name, k, p, z)
            want = central(op, p, k)
            assert math.isclose(got, want, rel_tol=1e-5, abs_tol=1e-6), (name, p, k, got, want)


@pytest.mark.parametrize("name", sorted(OPS))
def test_partials_match_sympy(name: str) -> None:
    import sympy as sp

    op = OPS[name]
    syms = sp.symbols("a b c d", real=True)[: arity(op)]
    from gradcli.exact.sym import functions

    for p in points(op):
        args = list(syms)
        if op.name == "softmax":
            args[0] = sp.Integer(int(p[0]))  # the index is a whole number, not a variable
        f = op.sym(functions, *args)
        z = op.value(*p)
        subs = {s: sp.Float(v, 40) for s, v in zip(syms, p)}
        assert math.isclose(z, float(f.evalf(30, subs=subs)), rel_tol=1e-13, abs_tol=1e-15), (name, p)
        for k in differentiable(op):
            want = float(sp.diff(f, syms[k]).evalf(30, subs=subs))
            got = partial(name, k, p, z)
            assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-14), (name, p, k, got, want)


@pytest.mark.parametrize("name", sorted(n for n in OPS))
def test_every_numeric_override_is_its_rule(name: str) -> None:
    """Where a float override stands in for a rule (tanh' as 1/cosh**2 for 1 - tanh**2), the rule evaluated
    from the op table gives the same number wherever neither cancels: the override changes digits, not maths."""
    op = OPS[name]
    for k, override in enumerate(op.numeric):
        if override is None:
            continue
        rule = compile_rule(rules(name)[k])
        checked = 0
        for p in points(op):
            z = op.value(*p)
            want = override(*p, z)
            got = rule if isinstance(rule, float) else rule(p, z)
            assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), (name, k, p, got, want)
            checked += 1
        assert checked >= 3, (name, k)


@pytest.mark.parametrize("name", sorted(n for n in OPS))
def test_rules_print_and_read_back_as_the_same_rule(name: str) -> None:
    """Each rule is an expression in gradcli's own language: printed, it parses back to the same tree."""
    from gradcli.core.rules import parse_rule
    from gradcli.core.printer import PLAIN

    for rule in rules(name):
        assert parse_rule(PLAIN.text(rule)) == rule, (name, PLAIN.text(rule))


def test_the_rules_of_the_textbook() -> None:
    from gradcli.core.printer import PLAIN

    shown = {name: [PLAIN.text(r) for r in rules(name)] for name in ("exp", "sigmoid", "tanh", "mul", "relu")}
    assert shown == {"exp": ["{out}"], "sigmoid": ["{out}*(1 - {out})"], "tanh": ["1 - {out}**2"],
                     "mul": ["{1}", "{0}"], "relu": ["step({0})"]}


def test_a_rule_in_a_node_is_simplified_as_by_hand() -> None:
    from gradcli.core.graph import graph_of
    from gradcli.core.printer import PLAIN

    g = graph_of("y = x**3 + x**2 + x**1 + x**0.5 + exp(x) + sigmoid(x)")
    shown = [PLAIN.text(g.rule(i, 0)) for i in range(1, len(g.nodes)) if g.nodes[i].op != "add"]
    e, s = (next(n.id for n in g.nodes if n.op == op) for op in ("exp", "sigmoid"))
    assert shown == ["3*x**2", "2*x", "1", "0.5*x**(-0.5)", e, f"{s}*(1 - {s})"], shown


@pytest.mark.parametrize("name,args,expected", [
    ("abs", (0.0,), 0.0), ("relu", (0.0,), 0.0), ("sign", (0.0,), 0.0), ("sqrt", (0.0,), math.inf),
    ("asin", (1.0,), math.inf), ("acos", (-1.0,), -math.inf), ("acosh", (1.0,), math.inf),
])
def test_kink_conventions(name: str, args: tuple, expected: float) -> None:
    op = OPS[name]
    z = op.value(*args)
    assert partial(name, 0, args, z) == expected
    assert op.kink is not None and op.kink(0, *args), "a kink must state its convention"


@pytest.mark.parametrize("name,args", [
    ("log", (-1.0,)), ("sqrt", (-4.0,)), ("div", (1.0, 0.0)), ("div", (0.0, 0.0)), ("pow", (-8.0, 1 / 3)),
    ("pow", (0.0, -1.0)), ("asin", (2.0,)), ("acos", (-1.5,)), ("acosh", (0.5,)), ("atanh", (1.0,)),
    ("logb", (8.0, 1.0)), ("logb", (8.0, -2.0)), ("log2", (-1.0,)), ("log10", (-3.0,)),
])
def test_undefined_values_raise(name: str, args: tuple) -> None:
    with pytest.raises((DomainError, ValueError, ZeroDivisionError)):
        OPS[name].value(*args)


def test_pow_conventions_match_pytorch() -> None:
    pow_ = OPS["pow"]

    def dx(x, y, z):
        return partial("pow", 0, (x, y), z)

    def dy(x, y, z):
        return partial("pow", 1, (x, y), z)

    assert pow_.value(-2.0, 3.0) == -8.0
    assert math.isnan(dy(-2.0, 3.0, -8.0))  # needs log(-2)
    assert dy(0.0, 2.0, 0.0) == 0.0  # PyTorch masks d/dy 0**y for y >= 0
    assert dx(0.0, 0.0, 1.0) == 0.0  # d/dx x**0 = 0
    assert dx(0.0, 0.5, 0.0) == math.inf
    assert pow_.value(10.0, 400.0) == math.inf and pow_.value(-10.0, 401.0) == -math.inf


def test_overflow_is_inf_not_an_exception() -> None:
    assert OPS["exp"].value(1000.0) == math.inf
    assert OPS["sinh"].value(-1000.0) == -math.inf
    assert OPS["cosh"].value(1000.0) == math.inf
    assert OPS["log"].value(0.0) == -math.inf
