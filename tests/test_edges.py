"""Numerical edge cases, each with its documented behaviour (docs/language.md, "Conventions")."""

from __future__ import annotations

import math

import pytest

from conftest import run, run_json


def test_overflow_is_inf_with_a_warning_naming_the_node() -> None:
    out = run_json("reverse", "exp(x)", "--at", "1000")
    assert out["value"] == "inf" and out["gradient"] == {"x": "inf"}
    assert out["warnings"][0].startswith("c2 = exp(c1) overflowed to inf at c1 = 1000")


def test_underflow_is_a_silent_zero() -> None:
    out = run_json("reverse", "exp(x)", "--at", "-1000")
    assert out["value"] == 0.0 and out["gradient"] == {"x": 0.0} and out["warnings"] == []


def test_zero_times_inf_inside_a_sweep_is_zero_with_a_warning() -> None:
    for mode in ("reverse", "forward"):
        out = run_json(mode, "0*sqrt(x)", "--at", "0")
        assert out["gradient"] == {"x": 0.0}
        assert any("0·inf was taken as 0" in w for w in out["warnings"])


def test_log_of_zero_is_minus_inf_with_a_warning() -> None:
    out = run_json("reverse", "log(x)", "--at", "0")
    assert out["value"] == "-inf" and out["gradient"] == {"x": "inf"}
    assert out["warnings"][0].startswith("c2 = log(c1) is -inf at c1 = 0")


def test_negative_base_with_a_fractional_exponent_is_a_math_error() -> None:
    result = run("reverse", "x**0.5", "--at", "-4")
    assert result.exit_code == 1
    assert "c2 = c1**0.5 is undefined at c1 = -4: a negative base needs an integer exponent" in result.stderr


def test_negative_base_with_an_integer_exponent_is_fine() -> None:
    out = run_json("reverse", "x**3 + x**y", "--at", "x=-2,y=2")
    assert out["value"] == -4.0 and out["gradient"]["x"] == 12.0 - 4.0
    assert out["gradient"]["y"] == "nan"
    assert any("log of a negative base; nan was used" in w for w in out["warnings"])


def test_zero_to_the_zero() -> None:
    out = run_json("reverse", "x**0 + x**y", "--at", "x=0,y=0")
    assert out["value"] == 2.0 and out["gradient"] == {"x": 0.0, "y": 0.0}
    assert any("d/dx x**0 = 0" in w for w in out["warnings"])
    assert any("d/dy 0**y = 0" in w for w in out["warnings"])


def test_variable_exponent_at_zero() -> None:
    out = run_json("reverse", "pow(x, y)", "--at", "x=0,y=2.5")
    assert out["value"] == 0.0 and out["gradient"] == {"x": 0.0, "y": 0.0}
    out = run_json("reverse", "pow(x, y)", "--at", "x=0,y=0.5")
    assert out["gradient"]["x"] == "inf"


@pytest.mark.parametrize("expr,gradient,says", [
    ("sqrt(x)", "inf", "sqrt'(0) = inf"), ("abs(x)", 0.0, "abs'(0) = 0"), ("relu(x)", 0.0, "relu'(0) = 0"),
    ("sign(x)", 0.0, "sign'(0) = 0"),
])
def test_kinks(expr: str, gradient, says: str) -> None:
    out = run_json("reverse", expr, "--at", "0")
    assert out["gradient"] == {"x": gradient}
    assert out["warnings"][0].startswith(f"c2 = {expr.replace('x', 'c1')} at c1 = 0: {says}")


def test_tan_at_half_pi_is_large_but_finite() -> None:
    out = run_json("reverse", "tan(x)", "--at", "pi/2")
    assert out["value"] == math.tan(math.pi / 2) > 1e16
    assert out["gradient"]["x"] == 1 + math.tan(math.pi / 2) ** 2 and out["warnings"] == []


def test_asin_at_one_has_an_infinite_derivative() -> None:
    out = run_json("reverse", "asin(x)", "--at", "1")
    assert out["value"] == math.pi / 2 and out["gradient"] == {"x": "inf"}
    assert "asin'(±1) = inf" in out["warnings"][0]


def test_catastrophic_cancellation_in_the_value_not_the_derivative() -> None:
    out = run_json("reverse", "(1+x)-1", "--at", "1e-17")
    assert out["value"] == 0.0  # 1 + 1e-17 rounds to 1
    assert out["gradient"] == {"x": 1.0}  # the derivative follows the program, and it is exact


def test_huge_and_tiny_points() -> None:
    assert run_json("reverse", "x*2", "--at", "1e308")["gradient"] == {"x": 2.0}
    assert run_json("reverse", "x*x", "--at", "5e-324")["gradient"] == {"x": 1e-323}
