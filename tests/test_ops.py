"""Every entry of the op table: partials against central differences and sympy, rule texts, conventions."""

from __future__ import annotations

import math

import pytest

from gradcli.graph import graph_of
from gradcli.ops import CALLS, OPS, DomainError, Operand, dtext
from gradcli.trace import evaluate

XS = [-2.5, -1.5, -0.6, -0.3, 0.35, 0.8, 1.7, 2.6, 4.1]
YS = [-1.5, -1.0, 0.5, 2.0, 3.0, 1.7]


def _defined(op, *xs: float) -> bool:
    try:
        z = op.value(*xs)
    except (ValueError, ZeroDivisionError):
        return False
    return math.isfinite(z)


def points(op) -> list[tuple[float, ...]]:
    """Points inside the op's domain, away from kinks, where a central difference is defined too."""
    grid = [(x,) for x in XS] if op.arity == 1 else [(x, y) for x in XS for y in YS]
    good = []
    for p in grid:
        h = 1e-5
        near = [tuple(v + d if j == k else v for j, v in enumerate(p)) for k in range(op.arity) for d in (-h, h)]
        if not all(_defined(op, *q) for q in [p, *near]):
            continue
        if op.kink is not None and any(op.kink(k, *p) for k in range(op.arity)):
            continue
        if op.name == "sign" and abs(p[0]) < 1e-3:
            continue
        good.append(p)
    return good


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_has_points_and_everything_it_needs(name: str) -> None:
    op = OPS[name]
    assert op.arity in (1, 2)  # the graph builder and the LaTeX layout know no other
    assert len(op.partials) == op.arity == len(op.dtext)
    assert len(points(op)) >= 3, f"{name}: too few points to check it at"
    for n in op.names:
        assert CALLS[(n, op.arity)] == name


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
        for k in range(op.arity):
            got = op.partials[k](*p, z)
            want = central(op, p, k)
            assert math.isclose(got, want, rel_tol=1e-5, abs_tol=1e-6), (name, p, k, got, want)


@pytest.mark.parametrize("name", sorted(OPS))
def test_partials_match_sympy(name: str) -> None:
    import sympy as sp

    op = OPS[name]
    syms = sp.symbols("a b", real=True)[: op.arity]
    from gradcli.sym import functions

    f = op.sym(functions, *syms)
    for p in points(op):
        z = op.value(*p)
        subs = {s: sp.Float(v, 40) for s, v in zip(syms, p)}
        assert math.isclose(z, float(f.evalf(30, subs=subs)), rel_tol=1e-13, abs_tol=1e-15), (name, p)
        for k in range(op.arity):
            want = float(sp.diff(f, syms[k]).evalf(30, subs=subs))
            got = op.partials[k](*p, z)
            assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-14), (name, p, k, got, want)


def _text_value(text: str, p: tuple[float, ...]) -> float:
    """Evaluate a rule text in operands a, b with gradcli's own parser and op table."""
    text = text.replace("[a > 0]", "(sign(a) + 1)/2")  # relu's rule, away from its kink
    graph = graph_of(f"r = {text} + 0*a" + (" + 0*b" if len(p) > 1 else ""))
    names = dict(zip("ab", p))
    ev = evaluate(graph, {n: names[n] for n in graph.names})
    return ev.values[graph.output]


@pytest.mark.parametrize("name", sorted(n for n in OPS))
def test_rule_texts_say_what_the_numbers_do(name: str) -> None:
    """The partial printed in tables (e.g. "exp(c1)", "2*c1") evaluates to the partial used."""
    op = OPS[name]
    for p in points(op):
        z = op.value(*p)
        forms = [tuple(Operand(n) for n in "ab"[: op.arity])]
        if op.arity == 2:  # also with a constant second operand, as in c1**3
            forms.append((Operand("a"), Operand(repr(p[1]), p[1])))
        for operands in forms:
            for k in range(op.arity):
                if operands[k].const is not None:
                    continue
                text = dtext(op, k, operands)
                assert math.isclose(_text_value(text, p), op.partials[k](*p, z), rel_tol=1e-12, abs_tol=1e-14), (
                    name, p, k, text)


@pytest.mark.parametrize("name,args,partial", [
    ("abs", (0.0,), 0.0), ("relu", (0.0,), 0.0), ("sign", (0.0,), 0.0), ("sqrt", (0.0,), math.inf),
    ("asin", (1.0,), math.inf), ("acos", (-1.0,), -math.inf), ("acosh", (1.0,), math.inf),
])
def test_kink_conventions(name: str, args: tuple, partial: float) -> None:
    op = OPS[name]
    z = op.value(*args)
    assert op.partials[0](*args, z) == partial
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
    dx, dy = pow_.partials
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
