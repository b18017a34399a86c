"""Exact values too big (or too small) for a double, towers of powers, and check's tolerance: each answer
exact or said in words, never a traceback; small derivatives compared to their own size."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import pytest

from conftest import run, run_json


def _whole(text: str) -> int:
    """An exact whole number as gradcli writes it (10**616, 3125*2**100004), read without eval."""
    m = re.fullmatch(r"(?:(\d+)\*)?(\d+)\*\*(\d+)", text)
    assert m is not None, text[:80]
    factor = int(m.group(1) or 1)
    return factor * int(m.group(2)) ** int(m.group(3))


@pytest.mark.parametrize("source, at, exact", [
    ("x**2", "1e308", lambda: ((10**308) ** 2, 2 * 10**308)),
    ("x**100000", "2", lambda: (2**100000, 100000 * 2**99999)),
    ("2**2**20*x", "1", lambda: (2**(2**20), 2**(2**20))),
], ids=["x**2", "x**100000", "2**2**20*x"])
def test_an_exact_value_beyond_a_double_is_written_exactly(source: str, at: str, exact) -> None:
    value, slope = exact()
    result = run("forward", source, "--at", at, "--exact")
    assert result.exit_code == 0, result.output[-400:]
    assert "beyond a double" in result.stdout
    doc = run_json("forward", source, "--at", at, "--exact")
    assert _whole(doc["exact"]["value"]) == value
    assert _whole(doc["exact"]["gradient"]["x"]) == slope
    assert doc["value"] == "inf" and any("overflowed to inf" in w for w in doc["warnings"])


def test_an_exact_value_too_long_to_write_is_shown_by_its_size() -> None:
    size = 100001 * math.log10(3)  # 3**100001 has 47713 digits
    mantissa = f"{10 ** (size - math.floor(size)):.5g}"
    result = run("reverse", "x**100001", "--at", "3", "--exact")
    assert result.exit_code == 0
    assert f"≈{mantissa}·10**{math.floor(size)}, beyond a double" in result.stdout
    doc = run_json("reverse", "x**100001", "--at", "3", "--exact")
    assert doc["exact"]["value"] == f"~{mantissa}*10**{math.floor(size)}"
    small = run("reverse", "x**-100001", "--at", "3", "--exact")
    assert small.exit_code == 0
    assert f"≈{10 ** (math.ceil(size) - size):.5g}·10**-{math.ceil(size)}, too small for a double" in small.stdout


def test_a_huge_constant_is_proved_and_printed_as_a_power() -> None:
    doc = run_json("check", "x*10**5000", "--claim", "10**5000")
    assert doc["verdict"] == "proved" and doc["claims"][0]["derivative"] == "10**5000"
    wrong = run("check", "x*10**5000", "--claim", "10**4999")
    assert wrong.exit_code == 1
    result = run("forward", "x*10**5000", "--at", "1", "--symbolic")
    assert result.exit_code == 0 and "∂f/∂x = 10**5000" in result.stdout


def test_a_tower_of_powers_is_decided_where_it_can_be_evaluated() -> None:
    # x**x**…**x is about 1.34 at x = 1.245, where 2·x is 2.49: a counterexample; at 2 it cannot be evaluated
    result = run("check", "x**2", "--claim", "x**x**x**x**x**x**x**x")
    assert result.exit_code == 1 and "different" in result.stdout
    doc = run("check", "x**x**x**x**x", "--claim", "5", "--at", "3", "--format", "json")
    assert doc.exit_code == 3
    assert "too large to evaluate" in doc.stdout
    assert "too large to evaluate" in run("check", "x**x**x**x**x", "--claim", "5", "--at", "3").stdout


@pytest.mark.parametrize("source, wrt, wrong, right", [
    ("x**2/1e10", "x", "x/1e10", "2*x/1e10"),  # d/dx = 2x/1e10
    ("(w*x-y)**2 + 1e-10*w**2", "w", "2*x*(w*x-y) + 1e-10*w", "2*x*(w*x-y) + 2e-10*w"),
    ("x**100000", "x", "100000*x**99998", "100000*x**99999"),  # 0 or inf as a double at most points
])
def test_a_claim_is_compared_to_the_derivatives_own_size(source: str, wrt: str, wrong: str, right: str) -> None:
    result = run("check", source, "--wrt", wrt, "--claim", wrong, "--format", "json")
    assert result.exit_code == 1, result.stdout[-400:]
    import json

    claim = json.loads(result.stdout)["claims"][0]
    a, b = claim["claim_value"], claim["derivative_value"]
    assert isinstance(a, float) and isinstance(b, float) and 0 < abs(a) < math.inf and a != b
    assert run("check", source, "--wrt", wrt, "--claim", right).exit_code == 0


def test_a_claim_that_differs_only_by_a_double_s_rounding_is_not_called_different() -> None:
    # log(2) typed to 16 digits: undecided, not wrong
    assert run("check", "log(2)*x", "--claim", "0.6931471805599453").exit_code == 3


UNDERFLOW = "(((y/((x)**2 + 0.5))*(y/((x)**2 + 0.5))))**-2"
POINT = "x=1.5363249905924926e-264,y=8.006942213105753e-41"


def test_a_tangent_lost_to_underflow_is_told() -> None:
    x, y = Fraction(1.5363249905924926e-264), Fraction(8.006942213105753e-41)
    truth = float(8 * x * (x * x + Fraction(1, 2)) ** 3 / y**4)  # f = (x² + 1/2)⁴/y⁴
    rev = run_json("reverse", UNDERFLOW, "--at", POINT)
    assert math.isclose(rev["gradient"]["x"], truth, rel_tol=1e-12)
    fwd = run_json("forward", UNDERFLOW, "--at", POINT)
    assert fwd["gradient"]["x"] != rev["gradient"]["x"]
    told = [w for w in fwd["warnings"] if "underflowed" in w]
    assert len(told) == 1 and "sweep for x" in told[0] and "c6" in told[0]
    assert not any("sweep for y" in w for w in told)


def test_no_underflow_is_told_where_nothing_is_lost() -> None:
    # x*y's value underflows to 0, its partials y and x do not
    doc = run_json("forward", "x*y + x", "--at", "1e-200,1e-200")
    assert not any("underflowed" in w for w in doc["warnings"])
    doc = run_json("reverse", "x*y + x", "--at", "1e-200,1e-200")
    assert not any("underflowed" in w for w in doc["warnings"])
