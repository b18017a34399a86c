"""gradcheck: central differences beside the analytic partials, with CS231n's reading of the relative error."""

from __future__ import annotations

import math

import pytest

from conftest import load_cases, run, run_json
from gradcli import gradcheck
from gradcli.core.graph import graph_of
from gradcli.engine.gradcheck import STEP, reading, relative_error, run_gradcheck
from test_cases import _at, _source

CASES = load_cases()
SEED = "exp(x1)*(x1**2+x2**2)**3"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_every_homework_case_is_good_against_the_central_differences_and_its_own_gradient(case) -> None:
    doc = run_json("gradcheck", _source(case), "--at", _at(case))
    assert doc["ok"] is True
    for row in doc["rows"]:
        assert row["reading"] == "good", row
        assert math.isclose(row["numeric"], case["gradient"][row["input"]], rel_tol=1e-7, abs_tol=1e-9)
    # the sheet's own gradient as a claim is good too; one partial changed is probably wrong, exit 1
    claim = ",".join(f"{k}={v}" for k, v in case["gradient"].items())
    assert run_json("gradcheck", _source(case), "--at", _at(case), "--claim", claim)["ok"] is True
    name, value = next(iter(case["gradient"].items()))
    wrong = run("gradcheck", _source(case), "--at", _at(case), "--wrt", name, "--claim", f"{1.5 * value + 1}")
    assert wrong.exit_code == 1 and "is probably wrong" in wrong.stdout


def test_the_step_balances_truncation_and_rounding() -> None:
    # the seed example: about 10 correct digits at the default step, fewer at 1e-3 and at 1e-10
    errors = {}
    for step in (None, 1e-3, 1e-10):
        result = gradcheck(SEED, at="0,2", step=step)
        errors[step] = max(result.errors.values())
    assert errors[None] < 1e-9
    assert errors[1e-3] > 100 * errors[None] and errors[1e-10] > 10 * errors[None]
    assert gradcheck(SEED, at="0,2").rows[1].h == pytest.approx(STEP * 2)  # relative to |x| = 2


def test_the_readings_follow_cs231n() -> None:
    assert [reading(e) for e in (0.5, 1e-3, 1e-5, 1e-8, 0.0)] == [
        "probably wrong", "uncomfortable", "fine only near a kink", "good", "good"]
    assert relative_error(0.0, 0.0) == 0.0 and relative_error(2.0, 1.0) == 0.5 and relative_error(-1.0, 1.0) == 2.0


@pytest.mark.parametrize("expression,at,node", [
    ("relu(x) + y", "0,1", "c3"),
    ("abs(x - 1e-7) + y", "0,1", None),  # the kink of abs lies 1e-7 away, inside a step of 6e-6
])
def test_a_step_across_a_kink_is_told_and_not_called_wrong(expression, at, node) -> None:
    result = gradcheck(expression, at=at, wrt="x")
    row = result.rows[0]
    assert row.kinks and (node is None or node in row.kinks)
    assert row.reading == "crosses a kink" and bool(result)
    assert "crosses a kink at" in str(result)


def test_a_tie_is_a_kink_that_the_shared_partial_agrees_with() -> None:
    row = gradcheck("max(x, y)", at="1,1", wrt="x").rows[0]  # the winner changes across the step
    assert row.kinks and row.analytic == 0.5 and row.numeric == pytest.approx(0.5) and row.reading == "good"


def test_away_from_a_kink_nothing_is_told() -> None:
    row = gradcheck("relu(x) + abs(y)", at="0.5,-2").rows
    assert all(r.kinks == () and r.reading == "good" for r in row)


def test_near_the_edge_of_the_domain_the_step_is_taken_relative_to_x() -> None:
    row = gradcheck("log(x)", at="1e-7").rows[0]
    assert row.h < 1e-7 and row.reading == "good"
    row = gradcheck("sqrt(x)", at="0").rows[0]
    assert row.numeric is None and row.reading == "undefined at x ± h"


def test_arrays_are_checked_entry_by_entry() -> None:
    result = gradcheck("L = sum(relu(W @ x))", at="W=[[1,2],[3,4]],x=[1,-0.25]")
    assert [r.name for r in result.rows] == ["W[1,1]", "W[1,2]", "W[2,1]", "W[2,2]", "x[1]", "x[2]"]
    assert bool(result) and all(r.reading == "good" for r in result.rows)


def test_a_claim_of_the_wrong_length_is_a_caret() -> None:
    out = run("gradcheck", SEED, "--at", "0,2", "--claim", "1,2,3")
    assert out.exit_code == 2 and "^" in out.stderr and "3 values for 2 inputs" in out.stderr


def test_the_engine_record_agrees_with_the_json() -> None:
    graph = graph_of(SEED)
    record = run_gradcheck(graph, {"x1": 0.0, "x2": 2.0}, ["x1", "x2"])
    doc = run_json("gradcheck", SEED, "--at", "0,2")
    assert [r["numeric"] for r in doc["rows"]] == [r.numeric for r in record.rows]
    assert doc["gradient"] == {"x1": 64.0, "x2": 192.0} and doc["analytic"] == "reverse"
