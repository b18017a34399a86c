"""The sweeps: forward == reverse == sympy's exact derivative == central differences; edge cases."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import close
from gradcli.errors import MathError
from gradcli.core.graph import graph_of
from gradcli.engine.trace import evaluate, run_forward, run_graph, run_reverse

EXPRESSIONS = [
    ("exp(x1)*(x1**2+x2**2)**3", {"x1": 0.3, "x2": -1.2}),
    ("sin(x*y) + cos(x)/y - tan(y/4)", {"x": 0.7, "y": 1.9}),
    ("log(x) + log(x, 3) + log2(x) + log10(x) + sqrt(x)", {"x": 2.5}),
    ("asin(x) + acos(x) + atan(x*y)", {"x": 0.4, "y": -2.0}),
    ("sinh(x) + cosh(y) + tanh(x*y) + asinh(y) + acosh(x + 2) + atanh(x/2)", {"x": 0.4, "y": -0.8}),
    ("sigmoid(x) + relu(y) + softplus(x - y) + abs(y)", {"x": -0.3, "y": 1.1}),
    ("x**y + pow(y, x) + (x*y)**-2", {"x": 1.3, "y": 2.2}),
    ("-x**2 - -y + x/y/x", {"x": 1.5, "y": -0.25}),
    ("z1 = x*w1; a1 = sigmoid(z1); z2 = a1*w2; a2 = sigmoid(z2); loss = 0.5*(a2 - ystar)**2",
     {"x": 1.5, "w1": 0.8, "w2": -1.2, "ystar": 1.0}),
    ("x*x*x + x*x", {"x": -0.7}),
    ("a = exp(x); b = a*a; y = b + a", {"x": 0.2}),
]


def sympy_gradient(graph, point: dict) -> dict:
    from gradcli.exact.exact import gradient

    return gradient(graph, point)


def central_gradient(graph, point: dict) -> dict:
    out = {}
    for n in graph.names:
        h = 1e-6 * max(1.0, abs(point[n]))
        up = evaluate(graph, {**point, n: point[n] + h}).values[graph.output]
        down = evaluate(graph, {**point, n: point[n] - h}).values[graph.output]
        out[n] = (up - down) / (2 * h)
    return out


@pytest.mark.parametrize("expr,point", EXPRESSIONS, ids=[e[:30] for e, _ in EXPRESSIONS])
def test_forward_reverse_sympy_and_differences_agree(expr: str, point: dict) -> None:
    g = graph_of(expr)
    fwd = run_forward(g, point).gradient
    rev = run_reverse(g, point).gradient
    exact = sympy_gradient(g, point)
    approx = central_gradient(g, point)
    for n in g.names:
        assert close(fwd[n], rev[n], rel=1e-13), (n, fwd[n], rev[n])
        assert close(rev[n], exact[n], rel=1e-12), (n, rev[n], exact[n])
        assert close(rev[n], approx[n], rel=1e-5, abs_=1e-6), (n, rev[n], approx[n])


@pytest.mark.parametrize("expr,point", EXPRESSIONS[:4], ids=[e[:30] for e, _ in EXPRESSIONS[:4]])
def test_direction_is_gradient_dot_direction(expr: str, point: dict) -> None:
    g = graph_of(expr)
    d = {n: 0.5 + k for k, n in enumerate(g.names)}
    grad = run_reverse(g, point).gradient
    assert close(run_forward(g, point, direction=d).directional, sum(grad[n] * d[n] for n in g.names), rel=1e-12)


@pytest.mark.parametrize("expr,point", EXPRESSIONS, ids=[e[:30] for e, _ in EXPRESSIONS])
def test_graph_at_a_point_carries_the_sweeps_of_both_modes(expr: str, point: dict) -> None:
    g = graph_of(expr)
    wrt = list(g.names[::2])  # every other input: the sweeps asked for, not all
    t = run_graph(g, point, True, wrt)
    fwd, rev = run_forward(g, point, wrt), run_reverse(g, point)
    assert [s.label for s in t.sweeps] == wrt
    assert [s.tangents for s in t.sweeps] == [s.tangents for s in fwd.sweeps]
    assert t.adjoints == rev.adjoints and t.values == rev.values and t.partials == rev.partials
    assert t.gradient == rev.gradient
    alone = run_graph(g, point, False, wrt)
    assert alone.adjoints is None and alone.gradient == fwd.gradient
    assert run_graph(g, point, False).sweeps == ()


def test_graph_at_a_point_keeps_the_warnings_of_both_modes() -> None:
    g = graph_of("sqrt(x1) + x2")
    point = {"x1": 0.0, "x2": 1.0}
    t = run_graph(g, point, True, ["x1"])
    for w in run_forward(g, point, ["x1"]).warnings + run_reverse(g, point).warnings:
        assert w in t.warnings
    assert len(set(t.warnings)) == len(t.warnings)


def test_every_adjoint_is_the_sum_of_its_edge_terms_in_printed_order() -> None:
    g = graph_of("exp(exp(x) + exp(x)**2) + sin(exp(x) + exp(x)**2)")
    t = run_reverse(g, {"x": 0.5})
    for j in range(len(g.nodes)):
        terms = [t.adjoints[i] * t.partials[i][k] for i, k in g.consumers[j]]
        if terms:
            total = terms[0]
            for term in terms[1:]:
                total += term
            assert t.adjoints[j] == total


OPS1 = ["sin", "cos", "exp", "tanh", "sigmoid", "atan", "softplus", "sinh"]


@st.composite
def expressions(draw, depth: int = 4):
    """Small random expressions over x and y with sharing, kept well inside every domain."""
    leaves = ["x", "y", "(x*y)", "(x + 1.5)"]
    parts = [draw(st.sampled_from(leaves))]
    for _ in range(draw(st.integers(1, depth))):
        a = draw(st.sampled_from(parts + leaves))
        b = draw(st.sampled_from(parts + leaves))
        kind = draw(st.integers(0, 4))
        if kind == 0:
            parts.append(f"{draw(st.sampled_from(OPS1))}({a})")
        elif kind == 1:
            parts.append(f"({a} {draw(st.sampled_from(['+', '-', '*']))} {b})")
        elif kind == 2:
            parts.append(f"({a})/(2 + sin({b}))")
        elif kind == 3:
            parts.append(f"log(1 + ({a})**2)")
        else:
            parts.append(f"sqrt(1 + exp({a}))")
    return parts[-1]


@settings(max_examples=150, deadline=None)
@given(expressions(), st.floats(-2, 2), st.floats(-2, 2))
def test_random_expressions_agree_with_sympy(expr: str, x: float, y: float) -> None:
    g = graph_of(expr + " + 0*x + 0*y")
    point = {"x": x, "y": y}
    rev = run_reverse(g, point).gradient
    fwd = run_forward(g, point).gradient
    exact = sympy_gradient(g, point)
    for n in g.names:
        assert close(fwd[n], rev[n], rel=1e-11, abs_=1e-12)
        assert close(rev[n], exact[n], rel=1e-9, abs_=1e-9), (expr, n, rev[n], exact[n])


def test_math_error_names_the_first_bad_node_its_definition_and_operands() -> None:
    g = graph_of("log(x - 2) + sqrt(x - 3)")
    with pytest.raises(MathError) as info:
        evaluate(g, {"x": 1.0})
    e = info.value
    assert (e.node, e.definition, e.operands) == ("c3", "log(c2)", "c2 = -1")
    assert "positive" in e.reason


@pytest.mark.parametrize("expr,point,says", [
    ("1/x", {"x": 0.0}, "division by zero"),
    ("sqrt(x)", {"x": -4.0}, "non-negative"),
    ("x**(1/3)", {"x": -8.0}, "integer exponent"),
    ("asin(x)", {"x": 2.0}, "[-1, 1]"),
])
def test_undefined_at_the_point(expr: str, point: dict, says: str) -> None:
    with pytest.raises(MathError) as info:
        evaluate(graph_of(expr), point)
    assert says in str(info.value)


def test_kinks_give_a_result_and_a_warning_naming_the_node() -> None:
    t = run_reverse(graph_of("abs(x) + relu(x)"), {"x": 0.0})
    assert t.gradient == {"x": 0.0}
    assert any(w.startswith("c2 = abs(c1)") and "abs'(0) = 0" in w for w in t.warnings)
    assert any(w.startswith("c3 = relu(c1)") and "relu'(0) = 0" in w for w in t.warnings)


def test_sqrt_at_zero_is_inf_with_a_warning() -> None:
    t = run_reverse(graph_of("sqrt(x)"), {"x": 0.0})
    assert t.gradient == {"x": math.inf}
    assert any("sqrt'(0) = inf" in w for w in t.warnings)


def test_overflow_names_the_first_node_and_keeps_going() -> None:
    t = run_reverse(graph_of("exp(exp(x)) + x"), {"x": 10.0})
    assert t.value == math.inf
    assert any(w.startswith("c3 = exp(c2) overflowed to inf") for w in t.warnings)


def test_negative_base_with_a_variable_integer_exponent() -> None:
    t = run_reverse(graph_of("x**y"), {"x": -2.0, "y": 3.0})
    assert t.value == -8.0 and t.gradient["x"] == 12.0 and math.isnan(t.gradient["y"])
    assert any("c3 = c1**c2" in w and "nan" in w for w in t.warnings)
    f = run_forward(graph_of("x**y"), {"x": -2.0, "y": 3.0})
    assert f.gradient["x"] == 12.0 and math.isnan(f.gradient["y"])


def test_zero_times_infinite_partial_is_zero_so_the_modes_agree() -> None:
    g = graph_of("sqrt(x1) + x2")
    point = {"x1": 0.0, "x2": 1.0}
    fwd, rev = run_forward(g, point), run_reverse(g, point)
    assert fwd.gradient == rev.gradient == {"x1": math.inf, "x2": 1.0}
    assert any("0·inf was taken as 0" in w for w in fwd.warnings)


def test_output_may_be_an_input() -> None:
    t = run_reverse(graph_of("y = x"), {"x": 3.0})
    assert t.gradient == {"x": 1.0} and t.value == 3.0
