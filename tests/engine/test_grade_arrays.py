"""grade and worksheet on a program written in arrays: a cell per row of the tables at the sheet's level
(``h = relu(z) = [2, 4]``, ``W̄ = [[…], […]]``), each entry graded against the key and against the entry
recomputed from the student's own earlier cells.

The layer's numbers are worked here by hand in plain floats (lists and loops), mistakes and all, so the
follow-through each test expects comes from arithmetic the test does itself, not from gradcli's sweeps."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

import gradcli
from conftest import ROOT, run
from texcheck import pdflatex

LAYER = "z = W @ x + b; h = relu(z); L = sum(v * h)"
SHAPE = "W=2x2,x=2,b=2,v=2"
W, X, B, V = [[1.0, 2.0], [3.0, 4.0]], [1.0, 0.5], [0.0, -1.0], [1.0, -2.0]
AT = "W=[[1,2],[3,4]],x=[1,0.5],b=[0,-1],v=[1,-2]"
FAY = ROOT / "examples" / "grade" / "fay-layer.txt"


def vec(xs) -> str:
    return "[" + ", ".join(f"{x:g}" for x in xs) + "]"


def mat(rows) -> str:
    return "[" + ", ".join(vec(r) for r in rows) + "]"


def layer_sheet(hbar_sign: float = 1.0, wx_slip: float = 0.0) -> str:
    """The layer's reverse table by hand; ``hbar_sign`` -1 flips v's sign in h̄'s second entry (h̄ = c̄2 ⊙ v
    written [1, 2]); ``wx_slip`` is added to the second entry of W @ x, and everything after follows."""
    wx = [sum(W[i][j] * X[j] for j in range(2)) for i in range(2)]
    wx[1] += wx_slip
    z = [wx[i] + B[i] for i in range(2)]
    h = [max(zi, 0.0) for zi in z]
    c2 = [V[i] * h[i] for i in range(2)]
    loss = sum(c2)
    c2bar = [1.0, 1.0]
    hbar = [c2bar[0] * V[0], hbar_sign * c2bar[1] * V[1]]
    zbar = [hbar[i] * (1.0 if z[i] > 0 else 0.0) for i in range(2)]
    xbar = [sum(W[i][j] * zbar[i] for i in range(2)) for j in range(2)]
    vbar = [c2bar[i] * h[i] for i in range(2)]
    wbar = [[zbar[i] * X[j] for j in range(2)] for i in range(2)]
    return "\n".join([
        f"c1 = W @ x = {vec(wx)}", f"z = c1 + b = {vec(z)}", f"h = relu(z) = {vec(h)}", f"c2 = {vec(c2)}",
        f"L = {loss:g}", "L̄ = 1", f"c̄2 = {vec(c2bar)}", f"h̄ = {vec(hbar)}", f"z̄ = {vec(zbar)}",
        f"c̄1 = {vec(zbar)}", f"x̄ = {vec(xbar)}", f"v̄ = {vec(vbar)}", f"b̄ = {vec(zbar)}", f"W̄ = {mat(wbar)}",
        f"∂L/∂W = {mat(wbar)}", f"∂L/∂b = {vec(zbar)}", f"∂L/∂v = {vec(vbar)}", f"∂L/∂x = {vec(xbar)}"]) + "\n"


def graded(text: str, **options):
    return gradcli.grade(LAYER, AT, text, shape=SHAPE, **options)


def test_the_right_table_in_arrays_scores_full_marks() -> None:
    r = graded(layer_sheet())
    assert r.exit_code == 0 and r.record.score == r.record.max == 18
    by = {c.label: c for c in r.cells}
    assert by["W̄"].key == ((1.0, 0.5), (-2.0, -1.0)) and by["h"].key == (2.0, 4.0) and by["L"].key == -6.0


def test_the_key_agrees_with_central_differences() -> None:
    by = {c.label: c for c in graded(layer_sheet()).cells}

    def loss(w, x, b, v) -> float:
        return sum(v[i] * max(sum(w[i][j] * x[j] for j in range(2)) + b[i], 0.0) for i in range(2))

    h = 1e-6
    for i in range(2):
        for j in range(2):
            up = [r[:] for r in W]
            down = [r[:] for r in W]
            up[i][j] += h
            down[i][j] -= h
            assert by["∂L/∂W"].key[i][j] == pytest.approx((loss(up, X, B, V) - loss(down, X, B, V)) / (2 * h))
    for j in range(2):
        up, down = X[:], X[:]
        up[j] += h
        down[j] -= h
        assert by["∂L/∂x"].key[j] == pytest.approx((loss(W, up, B, V) - loss(W, down, B, V)) / (2 * h))


def test_a_sign_slip_in_one_entry_is_one_charge_and_the_rest_follow() -> None:
    r = graded(layer_sheet(hbar_sign=-1.0))
    (charged,) = r.charged
    assert charged.label == "h̄" and charged.error == "sign" and "entry [2]" in charged.feedback
    assert charged.student == (1.0, 2.0) and charged.expected_own == (1.0, -2.0)
    by = {c.label: c for c in r.cells}
    for label in ("z̄", "c̄1", "x̄", "b̄", "W̄", "∂L/∂W", "∂L/∂x"):
        assert by[label].verdict == "follows" and by[label].follows == "h̄", label
    assert by["v̄"].verdict == "correct" and r.record.score == 17


def test_a_slip_inside_a_matrix_product_is_arithmetic_and_carries_through() -> None:
    r = graded(layer_sheet(wx_slip=-1.0))
    (charged,) = r.charged
    assert charged.label == "c1" and charged.error == "arithmetic" and "W @ x" in charged.feedback
    by = {c.label: c for c in r.cells}
    assert by["z"].follows == "c1" and by["v̄"].follows == "c1" and by["W̄"].verdict == "correct"


def test_the_example_submission() -> None:
    result = run("grade", LAYER, "--shape", SHAPE, "--at", AT, str(FAY), "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["student"] == "Fay" and (doc["score"], doc["max"]) == (17, 18)
    cell = next(c for c in doc["cells"] if c["label"] == "W̄")
    assert cell["student"] == [[1, 0.5], [2, 1]] and cell["key"] == [[1, 0.5], [-2, -1]]
    assert cell["verdict"] == "follows"
    assert "the rules written for arrays are not checked, only their numbers" in doc["warnings"]


def test_shapes_that_do_not_fit_are_reported_not_graded() -> None:
    text = layer_sheet().replace("W̄ = [[1, 0.5], [-2, -1]]", "W̄ = [1, 0.5, -2]")
    text = text.replace("z = c1 + b = [2, 4]", "z = c1 + b = [[2], [4], [1]]")
    r = graded(text)
    why = {n: w for _, n, w in r.record.unknown}
    assert "3 entries" in why["W̄"] and "2×2" in why["W̄"]
    assert "3 rows" in why["z"] or "3 entries" in why["z"]
    by = {c.label: c for c in r.cells}
    assert by["W̄"].verdict == "missing" and by["z"].verdict == "missing"


def test_a_column_vector_written_as_rows_and_a_blank_entry() -> None:
    text = layer_sheet().replace("h = relu(z) = [2, 4]", "h = relu(z) = [[2], [4]]")
    text = text.replace("v̄ = [2, 4]", "v̄ = [2, _]")
    by = {c.label: c for c in graded(text).cells}
    assert by["h"].verdict == "correct"
    assert by["v̄"].verdict == "wrong" and by["v̄"].student == (2.0, None) and by["v̄"].error == "missing cell"


def test_arrays_are_graded_in_reverse_mode_only() -> None:
    result = run("grade", LAYER, "--shape", SHAPE, "--at", AT, "--mode", "forward", "-", input="h = [2, 4]\n")
    assert result.exit_code == 2 and "reverse mode" in result.output and "Traceback" not in result.output
    result = run("worksheet", LAYER, "--shape", SHAPE, "--at", AT, "--mode", "forward")
    assert result.exit_code == 2 and "reverse mode" in result.output


@pytest.mark.parametrize("given", [[], ["--given", "values,rules"]])
def test_an_array_worksheet_filled_with_its_key_gets_full_marks(tmp_path, given) -> None:
    sheet = run("worksheet", LAYER, "--shape", SHAPE, "--at", AT, *given)
    assert sheet.exit_code == 0, sheet.output
    assert "h̄ = ____" in sheet.stdout or "h̄ = c̄2 ⊙ v = ____" in sheet.stdout
    key = run("worksheet", LAYER, "--shape", SHAPE, "--at", AT, "--key", *given)
    assert "W̄ = c̄1 @ xᵀ = [[1, 0.5], [-2, -1]]" in key.stdout
    f = tmp_path / "key.txt"
    f.write_text(key.stdout)
    result = run("grade", LAYER, "--shape", SHAPE, "--at", AT, str(f), "--format", "json")
    doc = json.loads(result.stdout)
    assert result.exit_code == 0 and doc["score"] == doc["max"] == 18, result.stdout
    blank = run("grade", LAYER, "--shape", SHAPE, "--at", AT, "-", "--format", "json", input=sheet.stdout)
    cells = json.loads(blank.stdout)["cells"]
    assert {c["verdict"] for c in cells if c["kind"] != "value"} == {"missing"}
    assert {c["verdict"] for c in cells if c["kind"] == "value"} == {"correct" if given else "missing"}


def test_an_array_worksheet_and_key_compile_with_brackets_to_fill(tmp_path) -> None:
    for n, extra in enumerate([[], ["--key", "--given", "rules"]]):
        tex = run("worksheet", LAYER, "--shape", SHAPE, "--at", AT, "--format", "latex", "--standalone",
                  *extra).stdout
        assert ("\\underline{\\hspace{2.5em}} & \\underline{\\hspace{2.5em}}" in tex) == (not extra)
        assert "W = \\begin{bmatrix}" in tex.replace("\\;", "").replace(" ", "").replace("W=", "W = ")
        log = compiled(tex, tmp_path / str(n))
        assert "Overfull" not in log


def compiled(tex: str, where) -> str:
    """pdflatex on a whole document; its log."""
    where.mkdir(parents=True, exist_ok=True)
    (where / "doc.tex").write_text(tex)
    env = dict(os.environ, TEXMFVAR=str(where / "texmf-var"), max_print_line="100000")
    proc = subprocess.run([pdflatex(), "-no-mktex=pk", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=where, capture_output=True, env=env, timeout=120)
    log = (where / "doc.log").read_bytes().decode("latin-1")
    assert proc.returncode == 0 and "Output written" in log, log[-2000:]
    return log


def test_a_table_too_wide_for_the_terminal_is_a_block_per_cell() -> None:
    text = run("grade", LAYER, "--shape", SHAPE, "--at", AT, str(FAY), "--width", "60").stdout
    assert "W̄  follows h̄  1/1\n  student   [[1, 0.5], [2, 1]]\n  own work  [[1, 0.5], [2, 1]]\n" in text
    assert max(len(line) for line in text.split("\nfeedback")[0].splitlines()[2:]) <= 60
    wide = run("grade", LAYER, "--shape", SHAPE, "--at", AT, str(FAY), "--width", "120").stdout
    assert "cell   student" in wide and "  student   [" not in wide
