"""--brief: the answer and the tables a sheet asks for; and the default without its repeats."""

from __future__ import annotations

import json

import pytest
import sympy as sp

from conftest import ROOT, run, run_json

EXPR = "exp(x1)*(x1**2+x2**2)**3"
LOGISTIC = "-(y*log(sigmoid(w1*x1 + w2*x2 + b)) + (1-y)*log(1 - sigmoid(w1*x1 + w2*x2 + b)))"
DATA = str(ROOT / "examples" / "logistic20.csv")
FORMATS = ("table", "markdown", "latex")


def out(*args: str, width: int = 80) -> str:
    result = run(*args, width=width)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("fmt", FORMATS)
def test_reverse_brief_is_the_value_the_adjoints_and_the_gradient(fmt: str) -> None:
    doc = run_json("reverse", EXPR, "--at", "0,2")
    text = out("reverse", EXPR, "--at", "0,2", "--brief", "--format", fmt)
    full = out("reverse", EXPR, "--at", "0,2", "--format", fmt)
    assert "Evaluation trace" in full and "Evaluation trace" not in text
    assert "Reverse mode: adjoints" in text and "Cost" not in text
    if fmt == "table":
        assert "exp(0)" in full and "exp(0)" not in text  # the evaluation rows are gone
    assert str(int(doc["value"])) in text
    for v in doc["gradient"].values():
        assert str(int(v)) in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_forward_brief_is_the_tangent_tables_without_the_trace(fmt: str) -> None:
    text = out("forward", EXPR, "--at", "0,2", "--brief", "--format", fmt)
    assert "Evaluation trace" not in text and "exp(0)" not in text
    assert text.count("Forward mode, sweep") == 2 and "Cost" not in text
    assert "64" in text and "192" in text


def test_brief_keeps_the_shared_options() -> None:
    exact = out("reverse", "exp(x)*y", "--at", "1,2", "--brief", "--exact")
    assert "e" in exact and "Evaluation trace" not in exact
    symbolic = out("forward", EXPR, "--brief", "--symbolic")  # no point: the gradient in symbols
    assert "The gradient in symbols" in symbolic and "Evaluation trace" not in symbolic
    wrt = out("reverse", "x*y + z", "--at", "1,2,3", "--wrt", "x", "--brief")
    assert "∂f/∂x = 2" in wrt and "∂f/∂y" not in wrt
    let = out("forward", "x*y", "--at", "3", "--let", "y=2", "--brief")
    assert "value: f = 6" in let and "constant" not in let.split("value:")[1].split("\n")[0]
    data = out("reverse", LOGISTIC, "--at", "0,0,0", "--data", DATA, "--reduce", "mean", "--brief")
    assert "Evaluation trace" not in data and "L = (1/20)·Σᵢ fᵢ = 0.6931471805599453" in data


@pytest.mark.parametrize("command,args", [
    ("forward", ("--at", "0,2")), ("reverse", ("--at", "0,2")), ("hessian", ("--at", "0,2")),
    ("gradcheck", ("--at", "0,2")), ("descend", ("--at", "0,2", "--lr", "1e-4", "--steps", "3")),
])
def test_json_is_the_same_with_brief(command: str, args: tuple) -> None:
    plain = run(command, EXPR, *args, "--format", "json").stdout
    brief = run(command, EXPR, *args, "--format", "json", "--brief").stdout
    assert json.loads(plain) == json.loads(brief)


@pytest.mark.parametrize("fmt", FORMATS)
def test_hessian_brief_is_the_matrix_and_its_reading(fmt: str) -> None:
    text = out("hessian", EXPR, "--at", "0,2", "--brief", "--format", fmt)
    assert "Forward over reverse" not in text and "Reverse mode" not in text and "Evaluation trace" not in text
    assert "positive definite" in text and "Eigenvalues" in text
    for entry in ("160", "192", "480"):
        assert entry in text


def test_hessian_brief_with_data_is_the_loss_alone() -> None:
    text = out("hessian", LOGISTIC, "--at", "0,0,0", "--data", DATA, "--reduce", "mean", "--brief")
    assert "Sample 1 alone" not in text and "Every sample" not in text
    assert text.count("The Hessian") == 1 and "positive definite" in " ".join(text.split())
    assert len(text.splitlines()) <= 30


def test_jacobian_gradcheck_descend_brief() -> None:
    jac = out("jacobian", "s1 = x*y; s2 = x + y", "--at", "2,3", "--brief")
    assert "The Jacobian" in jac and "Evaluation trace" not in jac and "sweep" not in jac
    grad = out("gradcheck", EXPR, "--at", "0,2", "--brief")
    assert "agree with the central differences" in grad and "CS231n" not in grad and "truncation" not in grad
    desc = out("descend", "x**2 + y**2", "--at", "1,2", "--steps", "3", "--momentum", "0.9", "--brief")
    assert "m_x" not in desc and "Δx" not in desc and "After 3 steps" in desc and "Each row" not in desc
    assert [line.split()[0] for line in desc.splitlines() if line[:1].isdigit()] == ["0", "1", "2", "3"]


def test_the_default_hessian_shows_the_tangents_once_not_a_table_per_sweep() -> None:
    text = out("hessian", EXPR, "--at", "0,2")
    assert "Forward mode, sweep" not in text  # the tangent rules, once, in one table with a column per input
    assert text.count("ċ8") == 1  # its row in the grid; no sweep table repeats the rule
    assert "along x1" in text and "along x2" in text
    data = out("hessian", LOGISTIC, "--at", "0,0,0", "--data", DATA, "--reduce", "mean")
    assert data.count("Eigenvalues") == 1  # the loss's reading; the sample's matrix alone


def test_the_default_forward_title_does_not_repeat_the_seed_rows() -> None:
    text = out("forward", EXPR, "--at", "0,2")
    assert "(seed ċ1" not in text and text.count("(seed)") == 4


def test_line_counts_at_80_columns() -> None:
    assert len(out("reverse", EXPR, "--at", "0,2", "--brief").splitlines()) <= 16
    assert len(out("forward", EXPR, "--at", "0,2", "--brief").splitlines()) <= 26
    assert len(out("hessian", EXPR, "--at", "0,2").splitlines()) <= 82
    assert len(out("hessian", EXPR, "--at", "0,2", "--symbolic", "--brief").splitlines()) <= 35
    assert len(out("hessian", LOGISTIC, "--at", "0,0,0", "--data", DATA, "--reduce", "mean").splitlines()) <= 215
    desc = out("descend", LOGISTIC, "--at", "0,0,0", "--data", DATA, "--reduce", "mean", "--lr", "1", "--steps",
               "10", "--momentum", "0.9")
    assert len(desc.splitlines()) <= 80 and max(len(line) for line in desc.splitlines()) <= 80


def test_brief_and_the_folded_descent_fit_60_columns() -> None:
    for args in (("reverse", EXPR, "--at", "0,2", "--brief"), ("hessian", EXPR, "--at", "0,2", "--brief"),
                 ("descend", LOGISTIC, "--at", "0,0,0", "--data", DATA, "--steps", "3", "--momentum", "0.9")):
        assert max(len(line) for line in out(*args, width=60).splitlines()) <= 60


@pytest.mark.parametrize("flag", ["--symbolic", "--exact"])
def test_hessian_direction_in_symbols_is_the_hessian_times_d(flag: str) -> None:
    doc = run_json("hessian", EXPR, "--at", "0,2", "--direction", "1,-3", flag)
    x1, x2 = sp.symbols("x1 x2")
    f = sp.exp(x1) * (x1**2 + x2**2)**3
    h = sp.hessian(f, (x1, x2))
    hv = h * sp.Matrix([1, -3])
    key = "symbolic" if flag == "--symbolic" else "exact"
    got = doc[key]["hessian_vector"]
    names = {"x1": x1, "x2": x2, "exp": sp.exp}
    for k, n in enumerate(("x1", "x2")):
        mine = sp.sympify(got[n], locals=names)  # gradcli's own output, read back by the test
        want = hv[k] if key == "symbolic" else hv[k].subs({x1: 0, x2: 2})
        assert sp.simplify(mine - want) == 0
    whole = [[sp.sympify(e, locals=names) for e in row] for row in doc[key]["hessian"]]
    ref = h if key == "symbolic" else h.subs({x1: 0, x2: 2})
    assert all(sp.simplify(whole[i][j] - ref[i, j]) == 0 for i in range(2) for j in range(2))
    assert whole != [[0]]
