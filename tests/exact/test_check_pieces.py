"""check decides claims about functions with kinks (abs, relu, step, sign, max, min) piece by piece."""

from __future__ import annotations

import pytest

from conftest import run


@pytest.mark.parametrize("f, claim", [
    ("abs(x)", "sign(x)"),
    ("relu(x)", "step(x)"),
    ("relu(x - 1)", "step(x - 1)"),
    ("x*abs(x)", "2*abs(x)"),
    ("relu(x)**2", "2*relu(x)"),
    ("abs(x)**2", "2*x"),
    ("max(x, 0)", "step(x)"),  # sympy's Heaviside(x), whose value at the kink is a convention
    ("min(x, 0)", "1 - step(x)"),
    ("abs(x*y)", "[y*sign(x*y), x*sign(x*y)]"),
])
def test_a_right_claim_about_a_kinked_function_is_proved(f: str, claim: str) -> None:
    result = run("check", f, "--claim", claim)
    assert result.exit_code == 0, result.output
    assert "proved equal" in result.stdout


@pytest.mark.parametrize("f, claim", [
    ("abs(x)", "1"),
    ("abs(x)", "-sign(x)"),
    ("relu(x)", "1 - step(x)"),
    ("max(x, 0)", "1"),
    ("abs(x)", "x"),
])
def test_a_wrong_claim_about_a_kinked_function_is_shown_different(f: str, claim: str) -> None:
    result = run("check", f, "--claim", claim)
    assert result.exit_code == 1, result.output
    assert "different" in result.stdout
