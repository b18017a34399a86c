"""--time-limit: sympy's work runs in a worker process killed at the deadline; what finished is kept, the rest is
numeric and said so; check falls back on numbers at random points. Timing bounds are generous on purpose."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

import gradcli
from conftest import ROOT, run
from gradcli.exact import worker

LIMIT = 2
SLACK = 12  # seconds beyond the limit a run may take on a loaded machine: start-up, sympy's import, the kill
NEST = "sin(" * 30 + "x" + ")" * 30


def _cos_product() -> str:
    inner, factors = "x", ["cos(x)"]
    for _ in range(29):
        inner = f"sin({inner})"
        factors.append(f"cos({inner})")
    return "*".join(reversed(factors))


def timed(*args: str):
    start = time.monotonic()
    result = run(*args, "--time-limit", str(LIMIT), "--format", "json")
    return result, time.monotonic() - start


def test_a_tower_claim_comes_back_undecided_and_says_why() -> None:
    result, took = timed("check", "x", "--claim", "2**2**2**2**2**2**2")
    assert took < LIMIT + SLACK
    assert result.exit_code == 3, result.output
    doc = json.loads(result.stdout)
    assert doc["verdict"] == "undecided" and doc["time_limit_reached"] is True
    assert any("time limit of 2 s was reached" in w for w in doc["warnings"])
    text = run("check", "x", "--claim", "2**2**2**2**2**2**2", "--time-limit", str(LIMIT))
    assert "could not decide: sympy ran out of time" in text.output


def test_a_wrong_claim_is_still_refuted_by_numbers_when_sympy_runs_out_of_time() -> None:
    result, took = timed("check", "sin(cos(tan(sin(cos(tan(x))))))", "--claim", "cos(x)")
    assert took < LIMIT + SLACK
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    claim = doc["claims"][0]
    assert doc["verdict"] == "different" and doc["time_limit_reached"] is True
    # the counterexample holds by an independent reference: a central difference at its point
    import math

    x = claim["point"]["x"]

    def f(t: float) -> float:
        return math.sin(math.cos(math.tan(math.sin(math.cos(math.tan(t))))))

    h = 1e-6
    assert claim["derivative_value"] == pytest.approx((f(x + h) - f(x - h)) / (2 * h), rel=1e-5)
    assert claim["claim_value"] == pytest.approx(math.cos(x))


def test_a_long_expansion_is_undecided_with_the_points_that_agreed() -> None:
    claims = ("30*(x+y+z+w)**29+ (x+y)**20-(y+x)**20, 30*(w+x+y+z)**29, 30*(x+y+z+w)**29, "
              "30*(x+y+z+w)**29")
    result, took = timed("check", "(x+y+z+w)**30", "--claim", claims)
    assert took < LIMIT + SLACK
    assert result.exit_code in (0, 3), result.output  # proved where sympy is quick enough, else undecided
    doc = json.loads(result.stdout)
    assert all(c["verdict"] in ("proved", "undecided") for c in doc["claims"])
    if result.exit_code == 3:
        assert doc["time_limit_reached"] is True
        assert all(c["points_agreed"] > 0 for c in doc["claims"] if c["verdict"] == "undecided")


def test_a_deep_nest_against_its_product_of_cosines() -> None:
    result, took = timed("check", NEST, "--claim", _cos_product())
    assert took < LIMIT + SLACK
    assert result.exit_code in (0, 3), result.output  # a true claim: never different
    wrong = timed("check", NEST, "--claim", _cos_product() + "*2")[0]
    assert wrong.exit_code == 1, wrong.output


def test_exact_at_a_huge_point_keeps_what_finished() -> None:
    result, took = timed("forward", "x**2*exp(x)", "--at", "1e100", "--exact")
    assert took < LIMIT + SLACK
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["time_limit_reached"] is True
    left = set(doc["numeric_rows"])
    assert "exact.values.c3" in left or "exact.values.c1" in left  # exp(10**100) is where sympy stalls
    for node, text in doc["exact"]["values"].items():  # what finished is exact and not listed as numeric
        assert f"exact.values.{node}" not in left and text


def test_symbolic_on_a_deep_graph_keeps_its_first_rows() -> None:
    deep = "sin(" * 99 + "x" + ")" * 99
    result, took = timed("reverse", deep, "--at", "0.5", "--symbolic")
    assert took < LIMIT + SLACK
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["time_limit_reached"] is True
    values = doc["symbolic"]["values"]
    assert values.get("c3") == "sin(sin(x))"  # the shallow rows finished
    assert "symbolic.gradient.x" in doc["numeric_rows"]
    assert doc["gradient"]["x"] == pytest.approx(doc["adjoints"]["c1"])  # the numbers are all there
    text = run("reverse", deep, "--at", "0.5", "--symbolic", "--time-limit", str(LIMIT), "--max-rows", "4")
    assert "time limit of 2 s was reached" in text.output


def test_no_limit_changes_nothing_on_a_normal_case() -> None:
    args = ("reverse", "exp(x1)*(x1**2+x2**2)**3", "--at", "0,2", "--symbolic", "--exact", "--format", "json")
    with_limit, without = run(*args), run(*args, "--time-limit", "0")
    assert with_limit.exit_code == without.exit_code == 0
    assert with_limit.stdout == without.stdout
    doc = json.loads(without.stdout)
    assert "time_limit_reached" not in doc and "numeric_rows" not in doc
    checked = run("check", "x**3", "--claim", "3*x**2", "--time-limit", "0")
    assert checked.exit_code == 0 and "proved" in checked.output


def test_the_python_api_takes_time_limit() -> None:
    r = gradcli.check("sin(cos(tan(sin(cos(tan(x))))))", "cos(x)", time_limit=LIMIT)
    assert r.exit_code == 1
    f = gradcli.reverse("x*y", at="1,2", symbolic=True, time_limit=None)
    assert f.record.numeric_rows == ()
    with pytest.raises(gradcli.GradcliError):
        gradcli.reverse("x*y", at="1,2", symbolic=True, time_limit=-1)


@pytest.mark.parametrize("value", ["-1", "nan", "soon"])
def test_a_bad_time_limit_is_a_usage_error(value: str) -> None:
    result = run("check", "x", "--claim", "1", "--time-limit", value)
    assert result.exit_code == 2
    assert "--time-limit" in result.output and "Traceback" not in result.output


def test_the_worker_streams_pieces_and_stops_at_the_deadline() -> None:
    def task(emit, n):
        for k in range(n):
            emit(k)
        while True:  # a loop no signal handler interrupts: the kill must
            sum(range(10**6))

    start = time.monotonic()
    out = worker.run(task, (3,), worker.deadline(1))
    assert time.monotonic() - start < 1 + 5
    assert out.pieces == [0, 1, 2] and out.finished is False
    done = worker.run(lambda emit: emit("x"), (), worker.deadline(5))
    assert done == worker.Outcome(["x"], True)
    with pytest.raises(gradcli.GradcliError, match="boom"):
        worker.run(_raise, (), worker.deadline(5))


def _raise(emit):
    raise gradcli.GradcliError("boom")


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="reads the process tree from /proc")
def test_ctrl_c_during_the_worker_exits_130_and_leaves_no_child() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen([sys.executable, "-m", "gradcli", "check", "x", "--claim", "2**2**2**2**2**2**2",
                          "--time-limit", "60"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    child = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and child is None:
        kids = _children(p.pid)
        child = kids[0] if kids else None
        time.sleep(0.05)
    assert child is not None, "no worker started"
    time.sleep(0.3)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=20)
    assert p.returncode == 130
    assert err.decode().strip() == "interrupted"
    assert not os.path.exists(f"/proc/{child}") or _zombie_gone(child)


def _zombie_gone(pid: int) -> bool:
    time.sleep(0.5)
    return not os.path.exists(f"/proc/{pid}")


def test_an_array_claim_left_to_the_numbers_is_compared_entry_by_entry() -> None:
    # the fallback itself (what check runs when sympy does not finish): the claim in doubles with the program's
    # own array operations against reverse mode's adjoints of the array's entries, at random points
    import math

    from gradcli.exact.check import numeric_verdict, parse_claims

    problem = gradcli.graph("sum(tanh(W @ x))", shape="W=2x2,x=2")
    g = problem.graph

    def verdict(claim: str):
        (tree,) = parse_claims([claim], g)
        return numeric_verdict(g, tree, "W", None, {}, "2 s")

    right = verdict("(1 - tanh(W @ x)**2) @ xᵀ")
    assert right.status == "undecided" and right.agreed > 10 and right.shape == (2, 2) and right.timed_out
    wrong = verdict("(1 - tanh(W @ x)) @ xᵀ")
    assert wrong.status == "different" and wrong.entry == "W[1,1]"
    p = wrong.point
    z1 = p["W[1,1]"] * p["x[1]"] + p["W[1,2]"] * p["x[2]"]
    assert wrong.claim_value == pytest.approx((1 - math.tanh(z1)) * p["x[1]"])
    assert wrong.truth_value == pytest.approx((1 - math.tanh(z1) ** 2) * p["x[1]"])
    shapes = verdict("x")
    assert shapes.status == "different" and shapes.shapes == ((2, 1), (2, 2))


def test_an_array_claim_left_to_the_numbers_is_valid_json() -> None:
    result = run("check", "sum(tanh(W @ x))", "--shape", "W=2x2,x=2", "--wrt", "W", "--claim",
                 "(1 - tanh(W @ x)) @ xᵀ", "--time-limit", "0.01", "--format", "json")
    assert result.exit_code == 1, result.output
    claim = json.loads(result.stdout)["claims"][0]
    assert claim["verdict"] == "different" and claim["shape"] == [2, 2] and claim["entry"].startswith("W[")
    assert len(claim["derivative"]) == 2 and all(len(row) == 2 for row in claim["derivative"])
