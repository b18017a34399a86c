"""check names the slip behind a claim that differs, and each named slip is true of the claim: the factor or
term it names, put back, gives the derivative, checked here by central differences, not by sympy."""

from __future__ import annotations

import json
import math
import re

import pytest

import gradcli
from conftest import run

GENAI = "f1 = exp(x); f2 = f1**2; f3 = f1 + f2; f4 = exp(f3); f5 = sin(f3); y = f4 + f5"


def claims(source: str, claim: str, *options: str) -> dict:
    result = run("check", source, "--claim", claim, "--format", "json", *options)
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout)["claims"][0]


def central(f, x: float, h: float = 1e-6) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


POINTS = (0.3, 0.8, 1.7)


@pytest.mark.parametrize("source, f, claim, c, kind", [
    ("x**3", lambda x: x ** 3, "x**3", lambda x: x ** 3, "the function"),
    ("x**3", lambda x: x ** 3, "x**4/4", lambda x: x ** 4 / 4, "integrated"),
    ("x*exp(x)", lambda x: x * math.exp(x), "-exp(x)*(x + 1)", lambda x: -math.exp(x) * (x + 1), "sign"),
])
def test_the_function_an_antiderivative_and_a_sign_are_named(source, f, claim, c, kind) -> None:
    m = claims(source, claim)["likely_mistake"]
    assert m["kind"] == kind
    for x in POINTS:
        if kind == "the function":
            assert close(c(x), f(x))
        elif kind == "integrated":
            assert close(central(c, x), f(x))  # the claim's derivative is the function
        else:
            assert close(c(x), -central(f, x))


def test_a_forgotten_exponent_is_a_constant_factor_and_the_factor_is_right() -> None:
    m = claims("x**3", "x**2")["likely_mistake"]
    assert m["kind"] == "constant factor" and m["factor"] == "3"
    assert "df/dx is 3 times the claim" in m["says"]
    for x in POINTS:  # the factor, times the claim, is the derivative
        assert close(float(m["factor"]) * x ** 2, central(lambda t: t ** 3, x))


def test_a_missing_inner_derivative_names_the_step_and_its_derivative() -> None:
    c = claims("sin(x**2)", "cos(x**2)")
    m = c["likely_mistake"]
    assert m["kind"] == "stopped early" and m["step"] == "c2" and m["factor"] == "2*x"
    for x in POINTS:  # the claim times the factor is the derivative
        assert close(math.cos(x ** 2) * 2 * x, central(lambda t: math.sin(t ** 2), x))
    table = run("check", "sin(x**2)", "--claim", "cos(x**2)").stdout
    assert "likely: a missing inner derivative" in table and "∂c2/∂x = 2·x" in " ".join(table.split())


def test_stopping_one_edge_early_in_a_program_is_told_in_its_step_names() -> None:
    """The sheet's slip: ∂y/∂f1 claimed as f4 + cos(f3), which is ∂y/∂f3; the truth over it is ∂f3/∂f1 = 1 + 2·f1."""
    c = claims(GENAI, "f4 + cos(f3)", "--wrt", "f1")
    m = c["likely_mistake"]
    assert m["kind"] == "stopped early" and m["step"] == "f3"
    assert m["factor"].replace(" ", "") in ("2*f1+1", "1+2*f1")
    assert c["derivative_in_steps"].replace(" ", "") in ("(2*f1+1)*(f4+cos(f3))", "(1+2*f1)*(f4+cos(f3))")
    text = " ".join(run("check", GENAI, "--wrt", "f1", "--claim", "f4 + cos(f3)").stdout.split())
    assert "∂y/∂f1 = (2·f1 + 1)·(f4 + cos(f3)) =" in text
    assert "the chain rule stopped one edge early, at f3 = f1 + f2" in text


def test_the_true_form_in_step_names_is_the_derivative() -> None:
    """derivative_in_steps, with each step's value put in, is the derivative (central differences)."""
    named = claims(GENAI, "1", "--wrt", "x")["derivative_in_steps"]
    used = sorted(set(re.findall(r"\bf\d\b", named)))
    assert used

    def y(t: float) -> float:
        return math.exp(math.exp(t) + math.exp(2 * t)) + math.sin(math.exp(t) + math.exp(2 * t))

    for x in POINTS:
        f1 = math.exp(x)
        f3 = f1 + f1 ** 2
        steps = {"f1": f1, "f2": f1 ** 2, "f3": f3, "f4": math.exp(f3), "f5": math.sin(f3)}
        got = gradcli.forward(named, ",".join(f"{n}={steps[n]!r}" for n in used)).value
        assert math.isclose(got, central(y, x, 1e-7), rel_tol=1e-5)


def test_a_missing_term_of_a_sum_is_named() -> None:
    m = claims("sin(x)**2 + x", "2*sin(x)*cos(x)")["likely_mistake"]
    assert m["kind"] == "missing term" and m["term"] == "1"


def test_a_claim_no_single_slip_explains_names_none() -> None:
    c = claims("x**3", "x + 7")
    assert "likely_mistake" not in c
    assert "likely:" not in run("check", "x**3", "--claim", "x + 7").stdout


def test_a_form_in_steps_that_is_not_the_derivative_is_left_out() -> None:
    """min's rule shares a tie between its operands; the steps' form of four tied operands reads 4·eq(θ, v0),
    which is not the derivative 1: it is not shown."""
    c = claims("v0 = min(theta0, theta0, theta0, theta0)", "2")
    assert c["derivative"] == "1" and "derivative_in_steps" not in c
