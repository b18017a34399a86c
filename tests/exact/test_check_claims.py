"""check reaches what the tables print: a bare expression's node ids (--wrt c6, c3 in a claim), and claims
of plain numbers at the point (--claim "[64, 192]" --at 0,2)."""

from __future__ import annotations

import pytest

from conftest import run, run_json

SHEET = "exp(x1)*(x1**2+x2**2)**3"  # c3 = exp(c1), c6 = c4 + c5, c7 = c6**3, c8 = c3·c7


def test_a_bare_expressions_node_ids_are_names_for_wrt_and_claims() -> None:
    doc = run_json("check", SHEET, "--wrt", "c6", "--claim", "3*c6**2*c3")
    assert doc["verdict"] == "proved" and doc["claims"][0]["wrt"] == "c6"
    assert run("check", SHEET, "--wrt", "c6", "--claim", "3*c6**2").exit_code == 1
    # an input's id is the input: c1 is x1
    doc = run_json("check", SHEET, "--wrt", "c1", "--claim", "c8 + 6*c1*c6**2*c3")
    assert doc["verdict"] == "proved" and doc["claims"][0]["wrt"] == "x1"


def test_a_name_that_is_no_node_is_still_an_error_with_a_caret() -> None:
    result = run("check", SHEET, "--wrt", "c9", "--claim", "1")
    assert result.exit_code == 2 and "'c9' is not an input or a named step" in result.output


def test_a_claim_of_numbers_is_compared_at_the_point() -> None:
    doc = run_json("check", SHEET, "--claim", "[64, 192]", "--at", "0,2")
    assert doc["verdict"] == "agrees"
    assert [c["verdict"] for c in doc["claims"]] == ["agrees", "agrees"]
    assert [c["derivative_value"] for c in doc["claims"]] == [64.0, 192.0]
    result = run("check", SHEET, "--claim", "[64, 48]", "--at", "0,2")
    assert result.exit_code == 1
    assert "the claim is 48 and ∂f/∂x2 is 192" in result.stdout


@pytest.mark.parametrize("claim", ["2*pi", "6.283185307179586"])
def test_a_number_with_constants_is_a_number_too(claim: str) -> None:
    doc = run_json("check", "pi*x**2", "--claim", claim, "--at", "1")
    assert doc["verdict"] == "agrees"


def test_a_number_without_a_point_is_a_formula_to_prove() -> None:
    assert run_json("check", "2*x", "--claim", "2")["verdict"] == "proved"
    assert run("check", "x**2", "--claim", "2").exit_code == 1


@pytest.mark.parametrize("expr,claim,code", [
    ("exp(x1)*sin(x2)**2", "exp(x1)·sin(x2)**2, exp(x1)⋅sin(2×x2)", 0),  # the printer's products read back
    ("acosh(x)", "1/sqrt(x**2 - 1)", 0),  # equal on the domain x ≥ 1; below it acosh has no real value
    ("acosh(x)", "-1/sqrt(x**2 - 1)", 1),
    ("max(x, y, x*y)", "y·eq(x·y, max(x, y, x·y)) + eq(x, max(x, y, x·y))", 0),  # max's rule as tables print it
    ("max(x, y)", "eq(y, max(x, y))", 1),
    ("min(x, y)", "eq(x, min(x, y))", 0),
    ("sqrt(x**2)", "1", 1),  # |x|: combining powers must not make it x
])
def test_claims_as_the_tables_print_them_are_decided(expr: str, claim: str, code: int) -> None:
    result = run("check", expr, "--wrt", "x" if "x1" not in expr else "x1,x2", "--claim", claim)
    assert result.exit_code == code, result.output
