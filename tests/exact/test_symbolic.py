"""Rules as expressions at work: --symbolic, --exact, check, and values that keep their digits.

The sheets' symbolic answers are the references: GEN-AI homework problems 9 and 10 (∂y/∂f3 = f4 + cos f3,
∂y/∂x = f1(1 + 2f1)(f4 + cos f3)), least squares (∂L/∂φ = [2(φ0 + φ1x − y), 2x(φ0 + φ1x − y)]),
s'(γ) = s(γ)(1 − s(γ)), and logistic regression's ∂L/∂w_j = −x_j(y − h).
"""

from __future__ import annotations

import math
import random

import pytest

from conftest import lines, run, run_json
from gradcli.core.expr import from_items
from gradcli.core.graph import graph_of
from gradcli.core.parse import parse_expression
from gradcli.engine.trace import evaluate

TEXTBOOK = "f1 = exp(x); f2 = f1**2; f3 = f1 + f2; f4 = exp(f3); f5 = sin(f3); y = f4 + f5"
LEAST_SQUARES = "L = (phi0 + phi1*x - y)**2"
LOGISTIC = "h = sig(w1*x1 + w2*x2); L = -(y*log(h) + (1 - y)*log(1 - h))"


def value_of(formula: str, point: dict[str, float]) -> float:
    """A formula gradcli printed, read back by gradcli's own parser and evaluated at a point."""
    if not point:
        from gradcli.core.graph import constant_value

        return constant_value(parse_expression(formula), formula)
    g = graph_of(f"r = {formula}" + "".join(f" + 0*{n}" for n in point))
    return evaluate(g, {n: point[n] for n in g.names}).values[g.output]


def check_json(*args: str) -> dict:
    import json

    result = run(*args, "--format", "json")
    assert result.exit_code in (0, 1, 3), result.output
    return json.loads(result.stdout)


# --- --symbolic ----------------------------------------------------------------------------------------


def test_symbolic_reverse_gives_the_sheets_answers_for_problems_9_and_10() -> None:
    out = run_json("reverse", TEXTBOOK, "--at", "0.5", "--symbolic")
    sym = out["symbolic"]
    assert sym["adjoints"]["f3"][0] == "f4 + cos(f3)"  # ∂y/∂f3, from the adjoints already computed
    assert sym["gradient"]["x"][0] == "f1*(2*f1 + 1)*(f4 + cos(f3))"  # ∂y/∂x = f1(1 + 2f1)(f4 + cos f3)
    # and in the input: the closed form evaluates to the derivative gradcli computed
    for x in (0.5, -1.3, 0.1):
        exact = run_json("reverse", TEXTBOOK, "--at", str(x))["gradient"]["x"]
        assert math.isclose(value_of(sym["gradient"]["x"][1], {"x": x}), exact, rel_tol=1e-12)


def test_symbolic_rows_in_the_terminal() -> None:
    out = lines(run("reverse", TEXTBOOK, "--at", "0.5", "--symbolic", "--width", "200").output)
    assert "f̄3 = f̄4·f4 + f̄5·cos(f3)\n   = f4 + cos(f3)\n   = exp(exp(2·x) + exp(x)) + cos(exp(2·x) + exp(x))" in out
    assert "∂y/∂x = f1·(2·f1 + 1)·(f4 + cos(f3)) = " in out


def test_symbolic_least_squares_gradient() -> None:
    out = run_json("reverse", LEAST_SQUARES, "--at", "phi0=0.5,phi1=2,x=1.5,y=0.25", "--symbolic")
    rng = random.Random(1)
    for _ in range(5):
        p = {n: rng.uniform(-2, 2) for n in ("phi0", "phi1", "x", "y")}
        r = p["phi0"] + p["phi1"] * p["x"] - p["y"]
        assert math.isclose(value_of(out["symbolic"]["gradient"]["phi0"][-1], p), 2 * r, rel_tol=1e-12)
        assert math.isclose(value_of(out["symbolic"]["gradient"]["phi1"][-1], p), 2 * p["x"] * r, rel_tol=1e-12)


def test_symbolic_forward_shows_s_prime_is_s_times_one_minus_s() -> None:
    out = run_json("forward", "s = sig(g)", "--at", "0.3", "--symbolic")
    assert out["symbolic"]["gradient"]["g"] == ["s*(1 - s)", "(1 - sigmoid(g))*sigmoid(g)"]


def test_symbolic_in_markdown_and_latex() -> None:
    md = run("reverse", TEXTBOOK, "--at", "0.5", "--symbolic", "--format", "markdown").output
    assert "`f̄4·f4 + f̄5·cos(f3) = f4 + cos(f3) = " in md
    tex = run("reverse", TEXTBOOK, "--at", "0.5", "--symbolic", "--format", "latex").output
    # a row too wide for the page is set one part a line: the rule, then = each form
    assert (r"\bar{f}_{3} &= \bar{f}_{4} \cdot f_{4} + \bar{f}_{5} \cdot \cos\left(f_{3}\right) \\*" + "\n"
            + r"&= f_{4} + \cos\left(f_{3}\right) \\*") in tex


def test_symbolic_refuses_graphs_too_large_for_it() -> None:
    result = run("reverse", "+".join(f"sin(x{k})" for k in range(150)), "--at", ",".join(["1"] * 150), "--symbolic")
    assert result.exit_code == 2 and "--symbolic works on graphs of up to" in result.stderr


# --- --exact -------------------------------------------------------------------------------------------


def test_exact_seed_example() -> None:
    out = run_json("reverse", "exp(x1)*(x1**2+x2**2)**3", "--at", "0,2", "--exact")
    assert out["exact"]["gradient"] == {"x1": "64", "x2": "192"} and out["exact"]["value"] == "64"
    assert out["gradient"] == {"x1": 64.0, "x2": 192.0}


def test_exact_with_e_and_log() -> None:
    out = run_json("reverse", "x*log(x) + exp(2*x)", "--at", "0.5", "--exact")
    shown = out["exact"]["gradient"]["x"]
    assert "log(2)" in shown and "e" in shown
    assert math.isclose(value_of(shown, {}), 1 - math.log(2) + 2 * math.e, rel_tol=1e-15)
    table = lines(run("reverse", "x*log(x) + exp(2*x)", "--at", "0.5", "--exact").output)
    assert "c2 = log(c1) = log(0.5)" in table and "= -log(2) ≈ -0.6931471805599453" in table
    assert "∂f/∂x = -log(2) + 1 + 2·e ≈ 5.743416476358145" in table


def test_exact_reads_the_points_decimals_as_fractions() -> None:
    out = run_json("forward", "x*x*x", "--at", "0.1", "--exact")
    assert out["exact"]["value"] == "1/1000" and out["exact"]["gradient"] == {"x": "3/100"}
    # the float is the double nearest; the exact form says what the decimal means
    table = lines(run("forward", "x*x*x", "--at", "0.1", "--exact").output)
    assert "3/100 ≈ 0.030000000000000006" in table


def test_exact_uses_pi_as_a_symbol() -> None:
    out = run_json("reverse", "sin(x)", "--at", "pi/4", "--exact")
    assert out["exact"]["value"] == "sqrt(2)/2" and out["exact"]["gradient"] == {"x": "sqrt(2)/2"}


# --- check ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("expr,wrt,claims", [
    (TEXTBOOK, "f3", ["f4 + cos(f3)"]),
    (TEXTBOOK, "x", ["f1*(1 + 2*f1)*(f4 + cos(f3))"]),
    (LEAST_SQUARES, "phi0,phi1", ["[2*(phi0 + phi1*x - y), 2*x*(phi0 + phi1*x - y)]"]),
    ("s = sig(g)", None, ["s*(1 - s)"]),
    ("s = sig(g)", None, ["sig(g)*(1 - sig(g))"]),
    ("s = sig(g)", None, ["exp(-g)/(1 + exp(-g))**2"]),
    (LOGISTIC, "w1,w2", ["-x1*(y - h)", "-x2*(y - h)"]),
    ("L = (lam/(2*alpha))*phi**2", "phi", ["(lam/alpha)*phi"]),
])
def test_check_proves_the_sheets_answers(expr: str, wrt: str | None, claims: list[str]) -> None:
    args = ["check", expr] + (["--wrt", wrt] if wrt else []) + [a for c in claims for a in ("--claim", c)]
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert "proved equal" in result.output and "different" not in result.output
    out = check_json(*args)
    assert out["verdict"] == "proved" and all(c["verdict"] == "proved" for c in out["claims"])


# the four errors found in the sheets' own hand solutions
@pytest.mark.parametrize("expr,wrt,claim", [
    (LOGISTIC, "w1", "-x1*(y - sin(w1*x1 + w2*x2))"),  # a sin written for sig
    ("L = (lam/(2*alpha))*phi**2 + (phi*x - t)**2", "phi", "(lam/2)*phi + 2*x*(phi*x - t)"),  # (λ/2)φ for (λ/α)φ
    ("m1 = b*m0 + (1 - b)*g0; m2 = b*m1 + (1 - b)*g1; m3 = b*m2 + (1 - b)*g2", "m0", "b**2"),  # βᵗ for βᵗ⁺¹
    ("z1 = w1*x + b1; a1 = relu(z1); yh = w2*a1 + b2; L = (yh - y)**2", "b1", "1"),  # ∂L/∂b1 = 1
])
def test_check_finds_the_errors_of_the_sheets_hand_solutions(expr: str, wrt: str, claim: str) -> None:
    result = run("check", expr, "--wrt", wrt, "--claim", claim)
    assert result.exit_code == 1, result.output
    out = check_json("check", expr, "--wrt", wrt, "--claim", claim)
    (item,) = out["claims"]
    assert item["verdict"] == "different" and out["verdict"] == "different"
    # the counterexample is real: at its point the claim and gradcli's own derivative differ
    point = item["point"]
    g = graph_of(expr)
    at = ",".join(f"{n}={point[n]!r}" for n in g.names)
    if wrt in g.names:
        true = run_json("reverse", expr, "--at", at)["gradient"][wrt]
    else:
        true = run_json("reverse", expr, "--at", at)["adjoints"][wrt]
    assert math.isclose(true, item["derivative_value"], rel_tol=1e-9, abs_tol=1e-12)
    assert not math.isclose(value_of(_in_inputs(expr, claim), point), true, rel_tol=1e-6)


def _in_inputs(expr: str, claim: str) -> str:
    """A claim with the program's steps written out in the inputs, as text."""
    from gradcli.core.printer import PLAIN
    from gradcli.exact.symbolic import from_sympy, node_expressions, to_sympy

    g = graph_of(expr)
    steps = {n.id: e for n, e in zip(g.nodes, node_expressions(g)) if n.op != "input"}
    tree = from_items(parse_expression(claim), claim)
    return PLAIN.text(from_sympy(to_sympy(tree, steps)))


def test_check_could_not_decide_is_its_own_exit_code() -> None:
    # sympy does not simplify acos(x) + asin(x) - pi/2 to 0; the points agree
    result = run("check", "x*(acos(x) + asin(x))", "--claim", "pi/2 + x*(1/sqrt(1 - x**2) - 1/sqrt(1 - x**2))")
    assert result.exit_code in (0, 3), result.output
    if result.exit_code == 3:
        assert "could not decide" in result.output and "points tried" in result.output


def test_check_errors_point_at_the_claim() -> None:
    result = run("check", "x**2", "--claim", "2*z")
    assert result.exit_code == 2 and "'z' is not an input" in result.stderr and "^" in result.stderr
    result = run("check", "x*y", "--claim", "y")
    assert result.exit_code == 2 and "1 claim for 2 derivatives" in result.stderr
    result = run("check", "x**2", "--claim", "2x")
    assert result.exit_code == 2 and "2*x" in result.stderr


def test_check_at_a_given_point_reports_that_point() -> None:
    out = check_json("check", "x**3", "--claim", "2*x**2", "--at", "2")
    assert out["claims"][0]["point"] == {"x": 2.0}
    assert out["claims"][0]["claim_value"] == 8.0 and out["claims"][0]["derivative_value"] == 12.0


# --- honest precision ----------------------------------------------------------------------------------


def _exact_derivative(expr: str, point: dict[str, float]) -> dict[str, float]:
    from gradcli.exact.exact import gradient

    return gradient(graph_of(expr), point)


@pytest.mark.parametrize("z", [20.0, 35.0, 40.0, -30.0, 700.0])
def test_minus_log_of_one_minus_sigmoid_is_right_to_the_last_digits(z: float) -> None:
    expr = "-log(1 - sig(z))"
    got = run_json("reverse", expr, "--at", repr(z))["gradient"]["z"]
    exact = _exact_derivative(expr, {"z": z})["z"]
    assert math.isclose(got, exact, rel_tol=1e-12), (z, got, exact)


@pytest.mark.parametrize("form", [
    "-(y*log(sig(phi0 + phi1*x)) + (1 - y)*log(1 - sig(phi0 + phi1*x)))",
    "-(y*log(1/(1 + exp(-(phi0 + phi1*x)))) + (1 - y)*log(1 - 1/(1 + exp(-(phi0 + phi1*x)))))",
    "log(1 + exp(phi0 + phi1*x)) - y*(phi0 + phi1*x)",
])
def test_the_logistic_loss_of_the_seed_is_right_to_1e_12(form: str) -> None:
    point = {"phi0": 1.0, "phi1": 6.0, "x": 3.0, "y": 0.0}
    out = run_json("reverse", form, "--at", ",".join(f"{n}={v}" for n, v in point.items()))
    exact = _exact_derivative(form, point)
    for n in ("phi0", "phi1"):
        assert math.isclose(out["gradient"][n], exact[n], rel_tol=1e-12), (n, out["gradient"][n], exact[n])
    assert not any("cancellation" in w for w in out["warnings"])


def test_the_table_says_which_rows_took_a_stable_form() -> None:
    out = lines(run("reverse", "-log(1 - sig(z))", "--at", "35", "--width", "120").output)
    assert "c3 = 1 - c2" in out and "computed as sigmoid(-c1), which keeps every digit" in out


def test_a_sum_that_loses_more_than_half_its_digits_is_a_warning_naming_it() -> None:
    out = run_json("reverse", "sqrt(x**2 + 1) - x", "--at", "1e6")
    assert any("lost" in w and "digits to cancellation" in w and "--exact" in w for w in out["warnings"])
    # and --exact gives the true numbers
    exact = run_json("reverse", "sqrt(x**2 + 1) - x", "--at", "1e6", "--exact")["exact"]["value"]
    from gradcli.exact.symbolic import to_sympy

    true = float(to_sympy(from_items(parse_expression(exact), exact)).evalf(30))
    assert math.isclose(true, 1 / (math.sqrt(1e12 + 1) + 1e6), rel_tol=1e-14)


def test_an_exact_cancellation_is_not_a_warning() -> None:
    out = run_json("reverse", "w1*x1 + w2*x2", "--at", "w1=0.5,w2=-0.25,x1=1,x2=2")
    assert out["warnings"] == []
