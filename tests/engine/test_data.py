"""Constants (--let), variables picked with reverse --wrt, and losses summed over a data file (--data)."""

from __future__ import annotations

import json
import math
import random
from fractions import Fraction
from pathlib import Path

import pytest

from conftest import ROOT, close, load_cases, run, run_json
from gradcli.engine.data import read_table
from gradcli.errors import GradcliError

LOGISTIC = "-(y*log(sigmoid(w1*x1+w2*x2+b)) + (1-y)*log(1-sigmoid(w1*x1+w2*x2+b)))"
EXAMPLE = ROOT / "examples" / "logistic20.csv"


def write(tmp_path: Path, text: str, name: str = "data.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def csv_of(columns: list[str], rows: list[tuple]) -> str:
    return ",".join(columns) + "\n" + "".join(",".join(repr(float(x)) for x in row) + "\n" for row in rows)


# --- --let: names held constant ---------------------------------------------------------------------------


def test_let_holds_names_constant_with_no_derivatives() -> None:
    doc = run_json("reverse", "(w*x - y)**2/2", "--at", "0.5", "--let", "x=2,y=3")
    assert doc["inputs"] == ["w"] and doc["point"] == {"w": 0.5} and doc["data"] == {"x": 2.0, "y": 3.0}
    assert doc["gradient"] == {"w": (0.5 * 2 - 3) * 2}
    assert set(doc["adjoints"]) == {"c1", "c2", "c3", "c4", "c5"}  # no adjoint for x or y
    held = [n for n in doc["nodes"] if n["id"] in ("x", "y")]
    assert [n["value"] for n in held] == [2.0, 3.0]


def test_let_is_the_same_as_typing_the_numbers() -> None:
    held = run_json("reverse", "exp(a*x)*sin(b*x)", "--at", "0.7", "--let", "a=1.5,b=-2")
    typed = run_json("reverse", "exp(1.5*x)*sin(-2*x)", "--at", "0.7")
    assert held["value"] == typed["value"] and held["gradient"] == typed["gradient"]


def test_let_tables_name_the_constants_and_give_them_no_rows() -> None:
    out = run("forward", "(w*x - y)**2/2", "--at", "0.5", "--let", "x=2,y=3").output
    assert "held constant (no derivatives): x = 2, y = 3" in out
    assert "x    (constant)" in out
    assert "ẋ" not in out and "ẏ" not in out  # no tangent of a constant, not even a 0 term
    out = run("reverse", "(w*x - y)**2/2", "--at", "0.5", "--let", "x=2,y=3").output
    assert "x̄" not in out and "ȳ" not in out
    assert "∂f/∂w = -4" in out and "∂f/∂x" not in out


def test_forward_and_reverse_agree_with_constants_and_with_sympy() -> None:
    from gradcli.exact.exact import gradient
    from gradcli.core.graph import graph_of

    f = "log(1 + exp(-y*(w*x + b)))"
    args = ("--at", "w=0.3,b=-0.2", "--let", "x=1.7,y=-1")
    fwd, rev = run_json("forward", f, *args), run_json("reverse", f, *args)
    assert fwd["gradient"].keys() == {"w", "b"}
    graph = graph_of(f, held=("x", "y"))
    reference = gradient(graph, {"w": 0.3, "b": -0.2, "x": 1.7, "y": -1.0})
    for n in ("w", "b"):
        assert close(fwd["gradient"][n], rev["gradient"][n], 1e-15) and close(rev["gradient"][n], reference[n], 1e-14)


@pytest.mark.parametrize("args,message", [
    (("--let", "z=1"), "'z' is given a value (--let) but is not a name the expression reads"),
    (("--let", "x"), "--let takes name=value pairs"),
    (("--let", "x=abc"), "abc"),
    (("--let", "x=1,x=2"), "given twice"),
])
def test_let_mistakes_are_one_line_errors(args, message) -> None:
    result = run("reverse", "w*x", "--at", "1", *args)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_a_held_name_is_not_an_input_of_at() -> None:
    result = run("reverse", "w*x", "--at", "w=1,x=2", "--let", "x=2")
    assert result.exit_code == 2 and "'x' is held constant by --let: give it there or here, not both" in result.output


def test_check_proves_a_claim_with_constants_in_it() -> None:
    ok = run("check", "(w*x - y)**2/2", "--claim", "(w*x - y)*x", "--let", "x=2,y=3")
    assert ok.exit_code == 0, ok.output
    wrong = run("check", "(w*x - y)**2/2", "--claim", "(w*x - y)*y", "--let", "x=2,y=3")
    assert wrong.exit_code == 1 and "x = 2, y = 3" in wrong.output  # the counterexample keeps the constants


def test_hessian_with_constants_is_in_the_variables_only() -> None:
    doc = run_json("hessian", "(w*x + b - y)**2", "--at", "0.5,0.1", "--let", "x=2,y=3")
    assert doc["hessian"] == {"w": {"w": 8.0, "b": 4.0}, "b": {"w": 4.0, "b": 2.0}}


# --- reverse --wrt: the other inputs held ------------------------------------------------------------------


def test_reverse_wrt_holds_the_other_inputs() -> None:
    full = run_json("reverse", LOGISTIC, "--at", "w1=0.5,w2=-0.25,b=0.1,x1=1,x2=2,y=1")
    some = run_json("reverse", LOGISTIC, "--at", "w1=0.5,w2=-0.25,b=0.1,x1=1,x2=2,y=1", "--wrt", "w1,w2,b")
    assert some["inputs"] == ["b", "w1", "w2"] and set(some["data"]) == {"x1", "x2", "y"}
    assert some["gradient"] == {n: full["gradient"][n] for n in ("b", "w1", "w2")}
    assert some["value"] == full["value"]


def test_reverse_wrt_names_an_input() -> None:
    result = run("reverse", "x*y", "--at", "1,2", "--wrt", "z")
    assert result.exit_code == 2 and "'z' is not an input; the inputs are x, y" in result.output


# --- reading a data file -----------------------------------------------------------------------------------


def test_read_table_formats() -> None:
    t = read_table("# a comment\nx,y\n1,2\n\n 3 , pi/4\n", "d.csv")
    assert t.columns == ("x", "y") and t.rows == [(1.0, 2.0), (3.0, math.pi / 4)] and t.lines == [3, 5]
    assert read_table("x\ty\n1\t2\n", "t").rows == [(1.0, 2.0)]
    assert read_table("x y\n1 2\n", "t").rows == [(1.0, 2.0)]
    assert read_table("x;y\n1;2\n", "t").rows == [(1.0, 2.0)]
    assert read_table('"x","y"\n"1","2"\n', "t").rows == [(1.0, 2.0)]
    assert read_table("\ufeffx₁\n1\n", "t").columns == ("x1",)  # a BOM is gone already; subscripts as names


@pytest.mark.parametrize("text,message", [
    ("x,y\n1,2\n2,abc\n", "d.csv, line 3, column 2 (y) is 'abc', not a number"),
    ("x,y\n1,2\n2\n", "d.csv, line 3 has 1 value; the header names 2 columns (x, y)"),
    ("x,y\n1,2,3\n", "d.csv, line 2 has 3 values"),
    ("1,2\n3,4\n", "d.csv, line 1: the first line must name the columns"),
    ("x,x\n1,2\n", "the column 'x' is named twice"),
    ("x,y\n1,\n", "d.csv, line 2, column 2 (y) is empty"),
    ("x,y\n1,inf\n", "line 2, column 2 (y) is 'inf', not a finite number"),
    ("x,y\n1,1e999\n", "not a finite number"),
    ("x,y\n", "names its columns (x, y) on line 1 but has no rows"),
    ("\n# nothing\n", "has no data"),
])
def test_a_bad_file_is_exit_2_naming_the_line_and_column(tmp_path, text: str, message: str) -> None:
    path = write(tmp_path, text, "d.csv")
    result = run("reverse", "(p*x - y)**2", "--at", "1", "--data", path)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert "error:" in result.output.splitlines()[-1]


def test_the_caret_is_under_the_bad_value(tmp_path) -> None:
    path = write(tmp_path, "x,y\n1,2\n2, abc\n", "d.csv")
    lines = run("reverse", "(p*x - y)**2", "--at", "1", "--data", path).output.splitlines()
    shown, caret = lines[-3], lines[-2]
    assert shown.endswith("2, abc") and caret.index("^") == shown.index("abc") and caret.count("^") == 3


def test_a_column_the_expression_does_not_read_is_said(tmp_path) -> None:
    path = write(tmp_path, "id,x,y\n1,1,2\n2,2,3\n")
    out = run("reverse", "(p*x - y)**2", "--at", "1", "--data", path).output
    assert "not read: id" in out
    doc = run_json("reverse", "(p*x - y)**2", "--at", "1", "--data", path)
    assert doc["dataset"]["used"] == ["x", "y"] and doc["dataset"]["columns"] == ["id", "x", "y"]


def test_a_missing_column_says_what_the_file_has(tmp_path) -> None:
    path = write(tmp_path, "x,z\n1,2\n")
    result = run("reverse", "(p*x - y)**2", "--at", "1", "--data", path)
    assert result.exit_code == 2 and "the data's columns are x, z (z not read by the expression)" in result.output


# --- the loss over the data ---------------------------------------------------------------------------------


def least_squares_case() -> dict:
    return next(c for c in load_cases() if c["id"] == "least-squares-line")


def test_least_squares_from_a_csv_is_the_typed_out_sum(tmp_path) -> None:
    """The sheet's L[φ] = Σᵢ (φ0 + φ1xᵢ − yᵢ)² over (1, 2), (2, 3), (3, 5): from a file, as the public case types it."""
    case = least_squares_case()
    path = write(tmp_path, "x,y\n1,2\n2,3\n3,5\n")
    at = "p0={p0},p1={p1}".format(**case["point"])
    doc = run_json("reverse", "(p0 + p1*x - y)**2", "--at", at, "--data", path)
    assert doc["total"] == {"value": case["value"], "gradient": case["gradient"]}
    typed = run_json("reverse", case["expr"], "--at", at)
    assert typed["value"] == doc["total"]["value"] and typed["gradient"] == doc["total"]["gradient"]
    assert len(doc["samples"]) == 3 and doc["dataset"]["reduce"] == "sum"


def exact_least_squares(rows, p0, p1):
    """L and ∇L exactly, in fractions: the reference the correctly rounded totals must equal."""
    p0, p1 = Fraction(p0), Fraction(p1)
    r = [(p0 + p1 * Fraction(x) - Fraction(y), Fraction(x)) for x, y in rows]
    return sum(e * e for e, _ in r), [sum(2 * e for e, _ in r), sum(2 * e * x for e, x in r)]


def test_totals_are_correctly_rounded_sums(tmp_path) -> None:
    rng = random.Random(3)
    rows = [(rng.uniform(-5, 5), rng.uniform(-5, 5)) for _ in range(200)]
    path = write(tmp_path, csv_of(["x", "y"], rows))
    doc = run_json("reverse", "(p0 + p1*x - y)**2", "--at", "0.25,-1.5", "--data", path)
    # each sample's numbers are doubles; their sum is rounded once
    samples = doc["samples"]
    assert doc["total"]["value"] == float(sum(Fraction(s["value"]) for s in samples))
    for n in ("p0", "p1"):
        assert doc["total"]["gradient"][n] == float(sum(Fraction(s["gradient"][n]) for s in samples))
    value, gradient = exact_least_squares(rows, 0.25, -1.5)
    assert close(doc["total"]["value"], float(value), 1e-13)
    assert close(doc["total"]["gradient"]["p0"], float(gradient[0]), 1e-12)
    assert close(doc["total"]["gradient"]["p1"], float(gradient[1]), 1e-12)


def logistic_rows(n: int, seed: int = 0) -> list[tuple[float, float, float]]:
    rng = random.Random(seed)
    rows = []
    for k in range(n):
        y = k % 2
        rows.append((round(rng.gauss(2 * y - 1, 1), 3), round(rng.gauss(2 * y - 1, 1), 3), float(y)))
    return rows


def test_logistic_regression_from_a_csv_is_the_typed_out_sum(tmp_path) -> None:
    rows = logistic_rows(12)
    path = write(tmp_path, csv_of(["x1", "x2", "y"], rows))
    at = "w1=0.4,w2=-0.3,b=0.05"
    doc = run_json("reverse", LOGISTIC, "--at", at, "--data", path)
    terms = [LOGISTIC.replace("x1", f"({x1!r})").replace("x2", f"({x2!r})").replace("y", f"({y!r})")
             for x1, x2, y in rows]
    typed = run_json("reverse", " + ".join(terms), "--at", at)
    assert close(doc["total"]["value"], typed["value"], 1e-14)
    for n in ("w1", "w2", "b"):
        assert close(doc["total"]["gradient"][n], typed["gradient"][n], 1e-13)
    # and the typed sum as one sum(...) node: its value is correctly rounded too, so equal to the last digit
    summed = run_json("reverse", "sum(" + ", ".join(terms) + ")", "--at", at)
    assert summed["value"] == doc["total"]["value"]


def test_mean_cross_entropy_gradient_is_the_sheets_formula(tmp_path) -> None:
    """∇J = (1/N) Σ (ŷₙ − yₙ) xₙ: the cross-entropy's gradient in closed form, an independent reference."""
    rows = logistic_rows(25, seed=7)
    path = write(tmp_path, csv_of(["x1", "x2", "y"], rows))
    w1, w2, b = 0.4, -0.3, 0.05
    doc = run_json("reverse", LOGISTIC, "--at", f"w1={w1},w2={w2},b={b}", "--data", path, "--reduce", "mean")
    yhat = [1 / (1 + math.exp(-(w1 * x1 + w2 * x2 + b))) for x1, x2, _ in rows]
    n = len(rows)
    expected = {"w1": math.fsum((h - y) * x1 for h, (x1, _, y) in zip(yhat, rows)) / n,
                "w2": math.fsum((h - y) * x2 for h, (_, x2, y) in zip(yhat, rows)) / n,
                "b": math.fsum(h - y for h, (_, _, y) in zip(yhat, rows)) / n}
    for k, v in expected.items():
        assert close(doc["total"]["gradient"][k], v, 1e-12)
    loss = -math.fsum(y * math.log(h) + (1 - y) * math.log(1 - h) for h, (_, _, y) in zip(yhat, rows)) / n
    assert close(doc["total"]["value"], loss, 1e-13)
    assert doc["dataset"]["reduce"] == "mean"


def test_forward_and_reverse_agree_over_data(tmp_path) -> None:
    path = write(tmp_path, csv_of(["x1", "x2", "y"], logistic_rows(30, seed=2)))
    args = ("--at", "w1=0.4,w2=-0.3,b=0.05", "--data", path)
    fwd, rev = run_json("forward", LOGISTIC, *args), run_json("reverse", LOGISTIC, *args)
    assert fwd["total"]["value"] == rev["total"]["value"]
    for n in ("w1", "w2", "b"):
        assert close(fwd["total"]["gradient"][n], rev["total"]["gradient"][n], 1e-14)
    for a, b in zip(fwd["samples"], rev["samples"]):
        assert a["value"] == b["value"] and all(close(a["gradient"][n], b["gradient"][n], 1e-14) for n in a["gradient"])


def test_each_sample_is_the_loss_with_its_row_held(tmp_path) -> None:
    rows = logistic_rows(6, seed=5)
    path = write(tmp_path, csv_of(["x1", "x2", "y"], rows))
    doc = run_json("reverse", LOGISTIC, "--at", "w1=0.4,w2=-0.3,b=0.05", "--data", path)
    for sample, (x1, x2, y) in zip(doc["samples"], rows):
        alone = run_json("reverse", LOGISTIC, "--at", "w1=0.4,w2=-0.3,b=0.05", "--let", f"x1={x1!r},x2={x2!r},y={y!r}")
        assert sample["data"] == {"x1": x1, "x2": x2, "y": y}
        assert sample["value"] == alone["value"] and sample["gradient"] == alone["gradient"]


def test_row_picks_the_sample_the_tables_are_of(tmp_path) -> None:
    path = write(tmp_path, "x,y\n1,2\n2,3\n3,5\n")
    doc = run_json("reverse", "(p0 + p1*x - y)**2", "--at", "0,1", "--data", path, "--row", "3")
    assert doc["data"] == {"x": 3.0, "y": 5.0} and doc["dataset"]["row"] == 3 and doc["dataset"]["line"] == 4
    assert doc["sample"]["value"] == doc["samples"][2]["value"] == 4.0 and doc["sample"]["row"] == 3
    assert doc["sample"]["gradient"] == doc["samples"][2]["gradient"] == {"p0": -4.0, "p1": -12.0}
    assert doc["value"] == doc["total"]["value"]  # the loss's, whichever sample the tables show
    out = run("reverse", "(p0 + p1*x - y)**2", "--at", "0,1", "--data", path, "--row", "3").output
    assert "The tables are for sample 3 (line 4): x = 3, y = 5" in out
    bad = run("reverse", "(p0 + p1*x - y)**2", "--at", "0,1", "--data", path, "--row", "4")
    assert bad.exit_code == 2 and "has 3 samples" in bad.output


def test_the_sample_table_reads_like_the_sheet(tmp_path) -> None:
    path = write(tmp_path, "x,y\n1,2\n2,3\n3,5\n")
    out = run("reverse", "(p0 + p1*x - y)**2", "--at", "0,1", "--data", path).output
    assert "L = Σᵢ fᵢ = 6   (the sum over 3 samples)" in out
    assert "∇L(0, 1) = [-8, -18]" in out and "∂L/∂p0 = Σᵢ ∂fᵢ/∂p0 = -8" in out
    assert "Sample 1 alone:" in out
    mean = run("reverse", "(p0 + p1*x - y)**2", "--at", "0,1", "--data", path, "--reduce", "mean").output
    assert "L = (1/3)·Σᵢ fᵢ = 2" in mean
    ascii_ = run("reverse", "(p0 + p1*x - y)**2", "--at", "0,1", "--data", path, "--ascii").output
    assert "L = sum_i f_i = 6" in ascii_ and ascii_.isascii()


def test_a_named_loss_keeps_its_name(tmp_path) -> None:
    path = write(tmp_path, "x,y\n1,2\n2,3\n")
    out = run("reverse", "r = p*x - y; loss = r**2", "--at", "1", "--data", path).output
    assert "lossᵢ" in out and "∂L/∂p = Σᵢ ∂lossᵢ/∂p" in out


def test_sample_table_is_clipped_by_max_rows_and_json_has_them_all(tmp_path) -> None:
    path = write(tmp_path, csv_of(["x", "y"], [(k, 2 * k + 1) for k in range(50)]))
    out = run("reverse", "(p*x - y)**2", "--at", "2", "--data", path, "--max-rows", "10").output
    assert "40 rows left out" in out
    doc = run_json("reverse", "(p*x - y)**2", "--at", "2", "--data", path, "--max-rows", "10")
    assert [s["row"] for s in doc["samples"]] == list(range(1, 51))


def test_data_from_standard_input() -> None:
    result = run("reverse", "(p*x - y)**2", "--at", "1", "--data", "-", "--format", "json", input="x,y\n1,2\n2,3\n")
    doc = json.loads(result.stdout)
    assert doc["dataset"]["source"] == "standard input" and doc["total"]["gradient"] == {"p": -2.0 + -4.0}
    both = run("reverse", "-", "--at", "1", "--data", "-", input="x,y\n1,2\n")
    assert both.exit_code == 2 and "only one of" in both.output


def test_reduce_and_row_need_data() -> None:
    for args in (("--reduce", "mean"), ("--row", "2")):
        result = run("reverse", "x**2", "--at", "1", *args)
        assert result.exit_code == 2 and "--data" in result.output


def test_a_sample_where_the_loss_is_undefined_is_named(tmp_path) -> None:
    path = write(tmp_path, "x\n1\n2\n-1\n")
    result = run("reverse", "log(p*x)", "--at", "1", "--data", path)
    assert result.exit_code == 1 and "sample 3, line 4 of" in result.output and "Traceback" not in result.output


def test_warnings_of_other_samples_are_told_with_their_number(tmp_path) -> None:
    path = write(tmp_path, "x\n1\n0\n")
    out = run("reverse", "relu(p*x)", "--at", "0", "--data", path, "--row", "1").output
    assert "sample 2 (line 3):" in out


def test_wrt_and_data_together(tmp_path) -> None:
    path = write(tmp_path, "x,y\n1,2\n2,3\n3,5\n")
    doc = run_json("reverse", "(p0 + p1*x - y)**2", "--at", "0,1", "--data", path, "--wrt", "p1")
    assert doc["inputs"] == ["p1"] and doc["total"]["gradient"] == {"p1": -18.0}


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_write_ups_carry_the_samples_and_the_total(tmp_path, fmt: str) -> None:
    path = write(tmp_path, "x,y\n1,2\n2,3\n3,5\n")
    out = run("reverse", "(p0 + p1*x - y)**2", "--at", "0,1", "--data", path, "--format", fmt).output
    if fmt == "markdown":
        assert "| i |" in out.replace("  ", " ") and "Σᵢ" in out
    else:
        assert r"\sum_{i}" in out and "{f}_{i}" in out


def test_latex_of_data_compiles(tmp_path) -> None:
    from texcheck import compile_fragments

    path = write(tmp_path, "x,y\n1,2\n2,3\n3,5\n")
    docs = [(" ".join(extra) or "sum", run("reverse", "(p0 + p1*x - y)**2", "--at", "0,1", "--data", path,
                                            "--format", "latex", *extra).stdout)
            for extra in ((), ("--reduce", "mean"), ("--ascii",))]
    compiled = compile_fragments(docs, tmp_path / "tex")
    assert compiled.ok, compiled.report()


def test_the_readme_example_data_is_the_generated_file() -> None:
    """examples/logistic20.csv is what examples/make_logistic20.py writes: 20 points, 10 of each class."""
    import runpy

    made = runpy.run_path(str(ROOT / "examples" / "make_logistic20.py"), run_name="not_main")["table"]()
    assert made == EXAMPLE.read_text()
    table = read_table(made, "logistic20.csv")
    assert table.columns == ("x1", "x2", "y") and len(table.rows) == 20
    assert sorted(r[2] for r in table.rows) == [0.0] * 10 + [1.0] * 10


def test_read_table_rejects_what_is_not_a_table() -> None:
    with pytest.raises(GradcliError):
        read_table("", "empty")


# --- the Hessian over data -----------------------------------------------------------------------------------


def test_hessian_over_data_is_the_typed_out_sums(tmp_path) -> None:
    case = least_squares_case()
    path = write(tmp_path, "x,y\n1,2\n2,3\n3,5\n")
    doc = run_json("hessian", "(p0 + p1*x - y)**2", "--at", "0,1", "--data", path)
    typed = run_json("hessian", case["expr"], "--at", "0,1")
    assert doc["total"]["hessian"] == typed["hessian"] == {"p0": {"p0": 6.0, "p1": 12.0}, "p1": {"p0": 12.0, "p1": 28.0}}
    assert doc["total"]["definiteness"] == typed["definiteness"] == "positive definite"
    assert doc["total"]["gradient"] == typed["gradient"]


def test_logistic_hessian_is_the_closed_form() -> None:
    """∇²J = (1/N) Σ σ(1 − σ) x̃ x̃ᵀ with x̃ = (1, x1, x2): positive semidefinite, the loss convex."""
    table = read_table(EXAMPLE.read_text(), "logistic20.csv")
    b, w1, w2 = 0.1, 0.2, 0.3
    doc = run_json("hessian", LOGISTIC, "--at", f"b={b},w1={w1},w2={w2}", "--data", str(EXAMPLE), "--reduce", "mean")
    n = len(table.rows)
    expected = [[0.0] * 3 for _ in range(3)]
    for x1, x2, _ in table.rows:
        s = 1 / (1 + math.exp(-(w1 * x1 + w2 * x2 + b)))
        v = (1.0, x1, x2)
        for i in range(3):
            for j in range(3):
                expected[i][j] += s * (1 - s) * v[i] * v[j] / n
    names = ["b", "w1", "w2"]
    for i, r in enumerate(names):
        for j, c in enumerate(names):
            assert close(doc["total"]["hessian"][r][c], expected[i][j], 1e-12), (r, c)
    assert doc["total"]["definiteness"] == "positive definite"
    out = run("hessian", LOGISTIC, "--at", "0.1,0.2,0.3", "--data", str(EXAMPLE), "--reduce", "mean").output
    assert "Hⱼₖ = ∂²L/∂uⱼ∂uₖ = (1/20)·Σᵢ Hᵢ" in out and "Sample 1 alone:" in out


def test_hessian_over_data_says_whether_the_losss_gradient_is_zero(tmp_path) -> None:
    """critical_point, like the matrix, is the loss's: at w = 2 the loss (w - 1)² + (w - 3)² is at its minimum,
    though each sample's gradient, ±2, is not 0; the sample's own is under "sample"."""
    path = write(tmp_path, "y\n1\n3\n")
    doc = run_json("hessian", "(w - y)**2", "--at", "2", "--data", path)
    assert doc["gradient"] == {"w": 0.0} and doc["critical_point"] is True
    assert doc["sample"]["gradient"] == {"w": 2.0} and doc["sample"]["critical_point"] is False
    assert "The gradient is 0 here" in run("hessian", "(w - y)**2", "--at", "2", "--data", path).output
    off = run_json("hessian", "(w - y)**2", "--at", "1", "--data", path)  # the loss's gradient is -4 there
    assert off["critical_point"] is False and off["sample"]["critical_point"] is True


def test_hessian_data_needs_the_whole_matrix() -> None:
    result = run("hessian", "(p*x1)**2", "--at", "1", "--data", str(EXAMPLE), "--direction", "1")
    assert result.exit_code == 2 and "--direction and --data" in result.output


def test_review_findings_stay_fixed(tmp_path) -> None:
    # --exact reads --let and data values as typed: 0.1 is 1/10, pi/4 stays pi/4
    path = write(tmp_path, "x,y\n0.1,0.3\n")
    assert "∂f/∂w = -1/25" in run("reverse", "(w*x - y)**2", "--at", "w=1", "--data", path, "--exact").output
    out = run("reverse", "(w*x - y)**2", "--at", "w=1", "--let", "x=0.1,y=pi/4", "--exact").output
    assert "∂f/∂w = 1/50 - pi/20" in out
    # check proves a claim written with the held values put in
    assert run("check", "(w*x - y)**2", "--let", "x=2,y=3", "--claim", "4*(2*w - 3)").exit_code == 0
    # cells that are not numbers in a table
    for cell in ("v=3", "[2]", "1_0"):
        bad = write(tmp_path, f"x,y\n{cell},2\n", "bad.csv")
        result = run("reverse", "(p*x - y)**2", "--at", "1", "--data", bad)
        assert result.exit_code == 2 and "not a number" in result.output, cell
    # a column that shadows a parameter, a --let that repeats a column, nothing left to differentiate
    both = write(tmp_path, "x,y,w\n1,2,100\n", "w.csv")
    result = run("reverse", "(w*x - y)**2", "--at", "w=0.5", "--data", both)
    assert result.exit_code == 2 and "w, x, y are columns of the data" in result.output
    result = run("reverse", "(w*x - y)**2", "--at", "w=0.5", "--data", path, "--let", "y=1")
    assert result.exit_code == 2 and "'y' is a column of the data" in result.output
    result = run("reverse", "x*y", "--let", "x=1,y=2")
    assert result.exit_code == 2 and "--let holds x, y" in result.output and "()" not in result.output
    assert "'pi' is the constant pi" in run("reverse", "pi*x", "--at", "1", "--let", "pi=3").output
    # a column named like a constant is said
    named_e = write(tmp_path, "e,x\n1,2\n", "e.csv")
    assert "the column e of" in run("reverse", "w*x*e", "--at", "1", "--data", named_e).output
    # a math error at the sample the tables show names the sample
    neg = write(tmp_path, "x\n1\n-1\n", "neg.csv")
    result = run("reverse", "log(p*x)", "--at", "1", "--data", neg, "--row", "2")
    assert result.exit_code == 1 and "sample 2, line 3" in result.output
    # a comment where the header should be
    hashed = write(tmp_path, "#x,y\n1,2\n", "hash.csv")
    assert "line 1 starts with #" in run("reverse", "(p*x - y)**2", "--at", "1", "--data", hashed).output


def test_hessian_wrt_holds_the_other_inputs() -> None:
    doc = run_json("hessian", "(w*x + b - y)**2", "--at", "w=0.5,b=0,x=2,y=3", "--wrt", "w,b")
    assert doc["inputs"] == ["b", "w"] and doc["hessian"] == {"b": {"b": 2.0, "w": 4.0}, "w": {"b": 4.0, "w": 8.0}}
    assert set(doc["data"]) == {"x", "y"} and set(doc["gradient"]) == {"b", "w"}


def test_held_constants_have_no_derivatives_anywhere() -> None:
    """graph, DOT, JSON, jacobian and hessian: a held constant shows its value and nothing else."""
    out = run("graph", "x*y + z**2", "--at", "1", "--let", "x=2,y=3", "--wrt", "z", width=120).output
    row = next(line for line in out.splitlines() if line.startswith("x "))
    assert row.split() == ["x", "constant", "x", "c2", "2"]
    dot = run("graph", "x*y + z**2", "--at", "1", "--let", "x=2,y=3", "--dot").output
    assert '"x" [label="x\\nconstant 2", shape=box, style="filled,dashed"' in dot
    doc = run_json("graph", "x*y + z**2", "--at", "1", "--let", "x=2,y=3", "--adjoints")
    assert [n["op"] for n in doc["nodes"][:3]] == ["input", "constant", "constant"]
    assert set(doc["adjoints"]) == {"c1", "c2", "c3", "c4"}
    jac = run("jacobian", "a = x*y + z; b = z*x; a, b", "--at", "1", "--let", "x=2,y=3").output
    hes = run("hessian", "x*y*z**2", "--at", "1", "--let", "x=2,y=3").output
    for text in (jac, hes):
        assert "x̄" not in text and "ȳ" not in text and "ẋ" not in text
    warned = run("reverse", "sqrt(w*x)", "--at", "0", "--let", "x=1").output
    assert "adjoint of x" not in warned


def test_json_says_the_losss_answer_at_the_top_and_the_samples_under_its_own_key(tmp_path) -> None:
    """``jq .gradient`` gives ∇L, the total the tables end with; the sample the tables show is in "sample"."""
    path = write(tmp_path, "x,y\n1,2\n2,3\n3,5\n")
    doc = run_json("reverse", "(p0 + p1*x - y)**2", "--at", "p0=0.5,p1=1", "--data", path)
    assert doc["value"] == doc["total"]["value"] == 0.25 + 0.25 + 2.25
    assert doc["gradient"] == doc["total"]["gradient"] == {"p0": 2 * (-0.5 - 0.5 - 1.5),
                                                             "p1": 2 * (-0.5 * 1 - 0.5 * 2 - 1.5 * 3)}
    first = doc["samples"][0]
    assert doc["sample"] == {"row": 1, "line": 2, "value": first["value"], "gradient": first["gradient"]}
    mean = run_json("reverse", "(p0 + p1*x - y)**2", "--at", "p0=0.5,p1=1", "--data", path, "--reduce", "mean")
    assert mean["value"] == doc["value"] / 3
    h = run_json("hessian", "(p0 + p1*x - y)**2", "--at", "p0=0.5,p1=1", "--data", path)
    assert h["hessian"] == h["total"]["hessian"] == {"p0": {"p0": 6.0, "p1": 12.0}, "p1": {"p0": 12.0, "p1": 28.0}}
    assert h["sample"]["hessian"] == {"p0": {"p0": 2.0, "p1": 2.0}, "p1": {"p0": 2.0, "p1": 2.0}}
    from gradcli import api

    r = api.reverse("(p0 + p1*x - y)**2", "p0=0.5,p1=1", data=path)
    assert r.gradient == doc["gradient"] and r.value == doc["value"] and r.sample["gradient"] == first["gradient"]


def test_csv_as_pandas_writes_it_is_read(tmp_path) -> None:
    """An unnamed index column (``,x,y``, DataFrame.to_csv's default) and a text column the expression does not
    use are left out, each with a warning; the loss is the loss of the numeric columns alone."""
    plain = write(tmp_path, "x,y\n1,2\n2,3\n", "plain.csv")
    pandas = write(tmp_path, ",x,y,species\n0,1,2,setosa\n1,2,3,virginica\n", "pandas.csv")
    a = json.loads(run("reverse", "(w*x - y)**2", "--at", "0.5", "--data", plain, "--format", "json").output)
    b = json.loads(run("reverse", "(w*x - y)**2", "--at", "0.5", "--data", pandas, "--format", "json").output)
    assert a["gradient"] == b["gradient"] and a["value"] == b["value"]
    assert b["dataset"]["columns"] == ["x", "y"]
    said = " ".join(" ".join(b["warnings"]).split())
    assert "unnamed first column of" in said and "column species of" in said and "not read" in said


def test_a_text_column_the_expression_uses_is_refused_at_its_first_text(tmp_path) -> None:
    path = write(tmp_path, "x,y\n1,2\n2,abc\n3,4\n", "d.csv")
    result = run("reverse", "(w*x - y)**2", "--at", "1", "--data", path)
    assert result.exit_code == 2 and "line 3, column 2 (y) is 'abc', not a number" in result.output
    assert run("reverse", "(w*x)**2", "--at", "1", "--data", path).exit_code == 0  # y unused: read without it
    shifted = write(tmp_path, ",x,y\n0,1,2\n1,2,oops\n", "i.csv")
    result = run("reverse", "(w*x - y)**2", "--at", "1", "--data", shifted)
    assert result.exit_code == 2 and "line 3, column 3 (y) is 'oops'" in result.output
