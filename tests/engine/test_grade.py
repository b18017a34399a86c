"""gradcli grade: a student's table graded against the key and against their own earlier cells.

The submissions are worked here by hand in plain floats (math only), mistakes and all, so the follow-through
each test expects comes from arithmetic the test does itself, not from gradcli's sweeps."""

from __future__ import annotations

import json
import math

import pytest

import gradcli
from conftest import run

MFML = "exp(x1)*(x1**2+x2**2)**3"
GENAI = "f1 = exp(x); f2 = f1**2; f3 = f1 + f2; f4 = exp(f3); f5 = sin(f3); y = f4 + f5"
NET = "z1 = x*w1; a1 = sigmoid(z1); z2 = a1*w2; a2 = sigmoid(z2); loss = 0.5*(a2 - ystar)**2"
NET_AT = "x=1.5,w1=0.8,w2=-1.2,ystar=1"


def r5(x: float) -> str:
    """A number as a student writes it: 5 significant digits."""
    return f"{x:.5g}"


def mfml_reverse(c6bar_rule: str = "3·c6") -> str:
    """MFML problem 3 at (0, 2), with c̄6 = c̄7·3·c6 (3·c6 for 3·c6²) and everything after it following."""
    c1, c2 = 0.0, 2.0
    c3, c4, c5 = math.exp(c1), c1 ** 2, c2 ** 2
    c6 = c4 + c5
    c7 = c6 ** 3
    c8 = c3 * c7
    b8 = 1.0
    b7 = b8 * c3
    b6 = b7 * 3 * c6  # the slip
    b5 = b4 = b6
    b3 = b8 * c7
    b2 = b5 * 2 * c2
    b1 = b3 * c3 + b4 * 2 * c1
    return "\n".join([
        "# student: Ada", f"c3 = exp(c1) = {r5(c3)}", f"c4 = {r5(c4)}", f"c5 = {r5(c5)}", f"c6 = c4 + c5 = {r5(c6)}",
        f"c7 = c6**3 = {r5(c7)}", f"c8 = c3·c7 = {r5(c8)}", "c̄8 = 1", f"c̄7 = c̄8·c3 = {r5(b7)}",
        f"cbar6 = {r5(b6)}", f"c5_bar = {r5(b5)}", f"\\bar{{c}}_4 = {r5(b4)}", f"df/dc3 = {r5(b3)}",
        f"c̄2 = c̄5·2·c2 = {r5(b2)}", f"c̄1 = {r5(b1)}", f"grad = [{r5(b1)}, {r5(b2)}]", ""])


def test_mfml_problem_3_reverse_one_wrong_local_partial_the_rest_follow() -> None:
    r = gradcli.grade(MFML, "0,2", mfml_reverse())
    assert (r.score, r.max) == (15, 16)
    (charged,) = r.charged
    assert charged.label == "c̄6" and charged.error == "wrong local partial"
    assert "wrong local partial on c6 → c7" in charged.feedback and "3·c6**2" in charged.feedback
    by = {c.label: c for c in r.cells}
    for label in ("c̄5", "c̄4", "c̄2", "∂f/∂x2"):
        assert by[label].verdict == "follows" and by[label].follows == "c̄6", label
    assert by["∂f/∂x2"].student == 48 and by["∂f/∂x2"].key == 192
    assert by["c̄1"].verdict == "correct" and "cannot be told" in by["c̄1"].note  # c̄4·2·c1 is 0 at c1 = 0
    assert r.exit_code == 1 and r.student == "Ada"


def test_genai_problem_9_a_forgotten_fan_out_is_one_missing_term() -> None:
    x = 0.5
    f1 = math.exp(x)
    f2 = f1 ** 2
    f3 = f1 + f2
    f4, f5 = math.exp(f3), math.sin(f3)
    y = f4 + f5
    b4 = b5 = 1.0
    b3 = b4 * f4 + b5 * math.cos(f3)
    b2 = b3
    b1 = b2 * 2 * f1  # + f̄3 left out
    xb = b1 * f1
    text = "\n".join([f"f1 = {r5(f1)}", f"f2 = {r5(f2)}", f"f3 = {r5(f3)}", f"f4 = {r5(f4)}", f"f5 = {r5(f5)}",
                      f"y = {r5(y)}", "ȳ = 1", "f̄5 = 1", "f4bar = 1", f"f̄3 = f̄4·f4 + f̄5·cos(f3) = {r5(b3)}",
                      f"f̄2 = {r5(b2)}", f"f̄1 = f̄2·2·f1 = {r5(b1)}", f"x̄ = f̄1·f1 = {r5(xb)}",
                      f"dy/dx = {r5(xb)}"])
    assert r5(b1) == "258.75"
    r = gradcli.grade(GENAI, "0.5", text)
    (charged,) = r.charged
    assert charged.label == "f̄1" and charged.error == "missing term"
    assert "f1 feeds f2 and f3" in charged.feedback
    assert r.score == r.max - 1
    assert all(c.verdict == "follows" for c in r.cells if c.label in ("x̄", "∂y/∂x"))


def net_submission(slip: float = 0.1) -> str:
    x, w1, w2, ys = 1.5, 0.8, -1.2, 1.0
    s = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    z1 = x * w1
    a1 = s(z1)
    z2 = a1 * w2 + slip  # -0.82223 instead of -0.92223
    a2 = s(z2)
    c1 = a2 - ys
    c2 = c1 ** 2
    loss = 0.5 * c2
    b2 = 0.5
    b1 = b2 * 2 * c1
    ba2 = b1
    bz2 = ba2 * a2 * (1 - a2)
    ba1 = bz2 * w2
    bz1 = ba1 * a1 * (1 - a1)
    return "\n".join([f"z1 = x·w1 = {r5(z1)}", f"a1 = σ(z1) = {r5(a1)}", f"z2 = a1·w2 = {r5(z2)}",
                      f"a2 = {r5(a2)}", f"c1 = a2 - ystar = {r5(c1)}", f"c2 = {r5(c2)}", f"loss = {r5(loss)}",
                      "loss_bar = 1", f"c2bar = {r5(b2)}", f"c̄1 = {r5(b1)}", f"ā2 = {r5(ba2)}",
                      f"z̄2 = ā2·a2·(1 - a2) = {r5(bz2)}", f"ā1 = z̄2·w2 = {r5(ba1)}", f"z̄1 = {r5(bz1)}",
                      f"ȳstar = {r5(-b1)}", f"x̄ = {r5(bz1 * w1)}", f"w̄2 = {r5(bz2 * a1)}", f"w̄1 = {r5(bz1 * x)}",
                      f"grad = [{r5(bz1 * x)}, {r5(bz2 * a1)}, {r5(bz1 * w1)}, {r5(-b1)}]"])


def test_discussion_11_an_arithmetic_slip_the_rest_following() -> None:
    text = net_submission()
    assert "z2 = a1·w2 = -0.82223" in text
    r = gradcli.grade(NET, NET_AT, text)
    (charged,) = r.charged
    assert charged.label == "z2" and charged.error == "arithmetic" and "-0.92223" in charged.feedback
    deviating = [c for c in r.cells if c.student is not None and abs(c.student - c.key) > 1e-3 * max(1, abs(c.key))]
    assert len(deviating) > 5
    assert all(c.verdict == "follows" and c.follows == "z2" for c in deviating if c is not charged)
    assert r.score == r.max - 1


def test_the_right_table_scores_full_marks_and_exits_0(tmp_path) -> None:
    text = net_submission(slip=0.0)
    r = gradcli.grade(NET, NET_AT, text)
    assert r.charged == [] and r.score == r.max and r.exit_code == 0
    f = tmp_path / "ok.txt"
    f.write_text(text)
    assert run("grade", NET, "--at", NET_AT, str(f)).exit_code == 0


def test_follow_through_half_and_none() -> None:
    full = gradcli.grade(MFML, "0,2", mfml_reverse())
    half = gradcli.grade(MFML, "0,2", mfml_reverse(), follow_through="half")
    none = gradcli.grade(MFML, "0,2", mfml_reverse(), follow_through="none")
    follows = sum(c.verdict == "follows" for c in full.cells)
    assert follows == 4
    assert half.score == full.score - follows / 2 and none.score == full.score - follows
    scaled = gradcli.grade(MFML, "0,2", mfml_reverse(), points=8)
    assert scaled.max == 8 and scaled.score == pytest.approx(7.5)


def test_forward_mode_sweep_with_a_sign_slip_in_cos() -> None:
    # y = cos(x)*x at x = 1: ċ2 = -sin(1)·ẋ; the student writes +sin(1)
    x = 1.0
    text = "\n".join(["[sweep x]", f"c2 = {r5(math.cos(x))}", f"c3 = {r5(math.cos(x) * x)}", "ẋ = 1",
                      f"ċ2 = {r5(math.sin(x))}", f"dc3/dx = {r5(math.sin(x) * x + math.cos(x))}"])
    r = gradcli.grade("cos(x)*x", "1", text)
    assert r.record.mode == "forward"
    (charged,) = r.charged
    assert charged.label == "ċ2" and charged.error == "wrong local partial" and "cos′" in charged.feedback
    by = {c.label: c for c in r.cells}
    assert by["ċ3"].verdict == "follows" and by["∂f/∂x"].verdict == "follows"


def test_a_let_constant_has_no_tangent_in_the_true_rule() -> None:
    # y = a·x² with a = 3 held by --let: ċ3 = a·ċ2, as forward's table writes it, not c2·ȧ + a·ċ2
    text = "[sweep x]\nc2 = 4\nc3 = 12\nċ1 = 1\nċ2 = 2·c1·ċ1 = 4\nċ3 = 10\n"
    r = gradcli.grade("a*x**2", "x=2", text, let="a=3")
    (charged,) = r.charged
    assert charged.label == "ċ3" and charged.error == "arithmetic"
    assert "ċ3 = a·ċ2 = 3·4 = 12" in charged.feedback and "ȧ" not in charged.feedback
    right = gradcli.grade("a*x**2", "x=2", text.replace("ċ3 = 10", "ċ3 = a·ċ2 = 12"), let="a=3")
    assert right.exit_code == 0, [(c.label, c.verdict, c.feedback) for c in right.cells]


def test_missing_blank_unknown_and_extra_cells_are_reported() -> None:
    text = "c3 = 1\nc4 =\nzz9 = 3\nc1 = 5\nc3 = 2\n"
    r = gradcli.grade(MFML, "0,2", text, mode="reverse")
    by = {c.label: c for c in r.cells}
    assert by["c4"].verdict == "missing" and by["c4"].error == "missing cell" and "blank" in by["c4"].feedback
    assert by["c5"].verdict == "missing" and by["c5"].line is None
    assert [u[1] for u in r.record.unknown] == ["zz9"]
    assert {e[1] for e in r.record.extra} == {"c1", "c3"}
    assert r.exit_code == 1


def test_a_written_rule_that_is_right_with_a_wrong_number_is_arithmetic() -> None:
    text = "c̄8 = 1\nc̄7 = c̄8·c3 = 1\nc̄6 = c̄7·3·c6² = 1·3·4² = 36\n"
    r = gradcli.grade(MFML, "0,2", text, mode="reverse")
    c = next(c for c in r.cells if c.label == "c̄6")
    assert c.error == "arithmetic" and "not 36" in c.feedback and "48" in c.feedback


def test_csv_submission_and_map() -> None:
    text = "cell,rule,value\na,exp(c1),1\nc4,c1**2,0\n"
    r = gradcli.grade(MFML, "0,2", text, mode="reverse", map="a=c3")
    by = {c.label: c for c in r.cells}
    assert by["c3"].verdict == "correct" and by["c3"].line == 2 and by["c4"].verdict == "correct"


def test_cli_json_exit_codes_and_gradebook(tmp_path) -> None:
    a = tmp_path / "ada.txt"
    a.write_text(mfml_reverse())
    bad = tmp_path / "bob.txt"
    bad.write_text("c3 = 1\nc4 0\n")
    result = run("grade", MFML, "--at", "0,2", str(a), "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert (doc["score"], doc["max"], doc["student"]) == (15, 16, "Ada")
    assert {"id", "kind", "student", "expected_own", "key", "verdict", "error", "feedback"} <= set(doc["cells"][0])
    result = run("grade", MFML, "--at", "0,2", str(bad))
    assert result.exit_code == 2 and "line 2" in result.stderr and "^" in result.stderr
    assert "Traceback" not in result.output
    result = run("grade", MFML, "--at", "0,2", str(a), str(bad), str(a))
    assert result.exit_code == 2
    rows = result.stdout.strip().splitlines()
    assert rows[0].startswith("student,score,max") and rows[1].startswith("Ada,15,16,1") and len(rows) == 3
    text = run("grade", MFML, "--at", "0,2", str(a)).stdout
    assert "score: 15/16" in text and "wrong local partial on c6 → c7" in text


# --- written rules, decided by sympy ---

def mfml_rules(c6bar: str = "c̄7·3·c6 = 12", c7: str = "c6**3") -> str:
    return "\n".join(["c3 = exp(c1) = 1", "c4 = c1**2 = 0", "c5 = c2**2 = 4", "c6 = c4 + c5 = 4", f"c7 = {c7} = 64",
                      "c8 = c3·c7 = 64", "c̄8 = 1", "c̄7 = c̄8·c3 = 1", f"c̄6 = {c6bar}", ""])


def test_a_wrong_rule_whose_number_follows_it_is_a_wrong_local_partial_naming_both_rules() -> None:
    r = gradcli.grade(MFML, "0,2", mfml_rules(), mode="reverse")
    c = next(c for c in r.cells if c.label == "c̄6")
    assert c.verdict == "wrong" and c.error == "wrong local partial" and c.rule_check == "different"
    assert "c̄7·3·c6," in c.feedback  # the student's rule
    assert "c̄6 = c̄7·3·c6**2 = 1·3·4**2 = 48" in c.feedback  # the true one, as the reverse table prints it


def test_a_rule_written_in_another_form_is_proved_equal() -> None:
    # (c4 + c5)**3 is c6**3 once c6 is its definition; c̄7·c6**2·3 is the chain rule's term reordered
    r = gradcli.grade(MFML, "0,2", mfml_rules("c̄7·c6**2·3 = 48", "(c4 + c5)**3"), mode="reverse")
    by = {c.label: c for c in r.cells}
    assert by["c7"].rule_check == "proved" and by["c7"].note is None
    assert by["c̄6"].rule_check == "proved" and by["c̄6"].verdict == "correct" and by["c̄6"].note is None
    assert by["c̄8"].rule_check is None  # no rule written


def test_a_wrong_rule_with_the_right_number_at_the_point_is_noted() -> None:
    # c̄1 = c̄3·c3 leaves out c̄4·2·c1, which is 0 at c1 = 0: the number is right, the rule is not
    text = mfml_rules("c̄7·3·c6**2 = 48") + "c̄5 = 48\nc̄4 = 48\nc̄3 = c̄8·c7 = 64\nc̄1 = c̄3·c3 = 64\n"
    r = gradcli.grade(MFML, "0,2", text, mode="reverse")
    c = next(c for c in r.cells if c.label == "c̄1")
    assert c.verdict == "correct" and c.rule_check == "different"
    assert "the rule written, c̄3·c3, is not the chain rule's c̄1 = c̄3·c3 + c̄4·2·c1" in c.note


def test_where_sympy_cannot_decide_the_points_decide_and_it_says_undecided() -> None:
    from gradcli.core.submission import read
    from gradcli.engine.grade import grade

    graph = gradcli.graph(MFML).graph
    never = lambda g: (lambda student, truth, sweep=None: None)  # noqa: E731  a prover that proves nothing
    r = grade(graph, {"x1": 0.0, "x2": 2.0}, read(mfml_rules("c̄7·3·c6**2 = 48")), "reverse", decide=never)
    c = next(c for c in r.cells if c.label == "c̄6")
    assert c.rule_check == "undecided" and "undecided" in c.note and c.verdict == "correct"
    r = grade(graph, {"x1": 0.0, "x2": 2.0}, read(mfml_rules()), "reverse", decide=never)
    c = next(c for c in r.cells if c.label == "c̄6")
    assert c.rule_check == "different" and c.error == "wrong local partial"  # a point where they differ


def test_a_rule_that_writes_a_later_adjoint_out_is_right() -> None:
    # c̄6 = c̄8·c3·3·c6² is c̄7·3·c6² with c̄7 = c̄8·c3 written out: proved by sympy, and where sympy is not asked
    # the points agree once the adjoints are the true ones (undecided, never "different")
    from gradcli.core.submission import read
    from gradcli.engine.grade import grade

    text = "c̄8 = 1\nc̄7 = c̄8·c3 = 1\nc̄6 = c̄8·c3·3·c6**2 = 48\n"
    c = next(c for c in gradcli.grade(MFML, "0,2", text, mode="reverse").cells if c.label == "c̄6")
    assert (c.verdict, c.rule_check, c.note) == ("correct", "proved", None)
    graph = gradcli.graph(MFML).graph
    never = lambda g: (lambda student, truth, sweep=None: None)  # noqa: E731
    c = next(c for c in grade(graph, {"x1": 0.0, "x2": 2.0}, read(text), "reverse", decide=never).cells
             if c.label == "c̄6")
    assert c.rule_check == "undecided" and c.verdict == "correct"
    wrong = text.replace("3·c6**2 = 48", "3·c6 = 12")  # the slip of MFML 3, written out: still the slip
    c = next(c for c in gradcli.grade(MFML, "0,2", wrong, mode="reverse").cells if c.label == "c̄6")
    assert c.rule_check == "different" and c.error == "wrong local partial"


def test_a_tangent_rule_that_writes_an_earlier_tangent_out_is_right() -> None:
    # forward mode of the same f: ċ6 = ċ4 + ċ5 written out as 2·c1·ċ1 + 2·c2·ċ2
    text = "[sweep x2]\nċ1 = 0\nċ2 = 1\nċ4 = 0\nċ5 = 4\nċ6 = 2·c1·ċ1 + 2·c2·ċ2 = 4\n"
    c = next(c for c in gradcli.grade(MFML, "0,2", text, mode="forward").cells if c.label == "ċ6")
    assert (c.verdict, c.rule_check) == ("correct", "proved"), c.note


def test_json_feedback_is_plain_text_and_the_table_prints_as_the_tables_do(tmp_path) -> None:
    f = tmp_path / "s.txt"
    f.write_text(mfml_rules())
    doc = json.loads(run("grade", MFML, "--at", "0,2", str(f), "--format", "json").stdout)
    c = next(c for c in doc["cells"] if c["id"] == "c6" and c["kind"] == "adjoint")
    assert "c6_bar = c7_bar*3*c6**2 = 1*3*4**2 = 48" in c["feedback"] and c["rule_check"] == "different"
    reverse = run("reverse", MFML, "--at", "0,2").stdout
    table = run("grade", MFML, "--at", "0,2", str(f)).stdout
    rule = next(ln.split("=")[1].strip() for ln in reverse.splitlines() if ln.startswith("c̄6 ="))
    assert f"c̄6 = {rule} = " in table
    ascii_ = run("grade", MFML, "--at", "0,2", str(f), "--ascii").stdout
    assert "c6_bar = c7_bar*3*c6**2" in ascii_


def test_a_sheet_of_numbers_does_not_import_sympy(tmp_path) -> None:
    import subprocess
    import sys

    from conftest import ROOT, clean_env

    numbers_only = tmp_path / "n.txt"
    numbers_only.write_text("c3 = 1\nc̄8 = 1\ngrad = [64, 192]\n")
    ruled = tmp_path / "r.txt"
    ruled.write_text("c3 = exp(c1) = 1\n")
    code = ("import sys; from gradcli.cli import cli; from click.testing import CliRunner; "
            f"CliRunner().invoke(cli, ['grade', {MFML!r}, '--at', '0,2', {str(numbers_only)!r}]); "
            "print('sympy' in sys.modules); "
            f"CliRunner().invoke(cli, ['grade', {MFML!r}, '--at', '0,2', {str(ruled)!r}]); "
            "print('sympy' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=clean_env())
    assert proc.stdout.split() == ["False", "True"], proc.stderr


# --- the student's own numbering, matched by the definitions written ---

def test_a_sheet_numbered_otherwise_is_matched_by_its_definitions(tmp_path) -> None:
    # Eve numbers x2**2 as c4 and x1**2 as c5 (we number them the other way round); every cell is right
    path = "examples/grade/eve-renumbered.txt"
    from conftest import ROOT

    text = (ROOT / path).read_text()
    r = gradcli.grade(MFML, "0,2", text)
    assert r.record.mapping == {"c4": "c5", "c5": "c4"} and set(r.record.matched) == {"c4", "c5"}
    assert r.charged == [] and r.score == r.max
    by = {c.label: c for c in r.cells}
    assert by["c5"].line == 3 and by["c4"].line == 4  # our c5 is her line 3 (c4 = c2**2)
    assert by["c̄2"].rule_check == "proved"  # her c̄4·2·c2 is our c̄5·2·c2
    doc = json.loads(run("grade", MFML, "--at", "0,2", str(ROOT / path), "--format", "json").stdout)
    assert doc["mapping"] == {"c4": "c5", "c5": "c4"} and sorted(doc["matched_by_definition"]) == ["c4", "c5"]
    assert "matched to ours by the definitions written: c4 is c5, c5 is c4" in run(
        "grade", MFML, "--at", "0,2", str(ROOT / path)).stdout


def test_a_match_made_through_a_cell_that_loses_its_match_is_made_again() -> None:
    # a and b are both c1**2, so neither is our c4; d = a + c5 was matched to c6 through a, and is not any more
    from gradcli.core.submission import read
    from gradcli.engine.grade import match_definitions

    graph = gradcli.graph(MFML).graph
    both = "a = c1**2 = 0\nd = a + c5 = 4\nb = c1**2 = 0\nc5 = c2**2 = 4\n"
    assert match_definitions(graph, read(both)) == {}
    one = "a = c1**2 = 0\nd = a + c5 = 4\nc5 = c2**2 = 4\n"
    assert match_definitions(graph, read(one)) == {"a": "c4", "d": "c6"}


def test_without_the_definitions_the_numbering_is_taken_as_ours_and_map_still_applies() -> None:
    text = "c4 = 4\nc5 = 0\n"  # numbers only: nothing to match by, so c4 is our c4 and wrong
    r = gradcli.grade(MFML, "0,2", text, mode="reverse")
    assert r.record.mapping == {} and {c.label for c in r.charged} >= {"c4", "c5"}
    r = gradcli.grade(MFML, "0,2", text, mode="reverse", map="c4=c5,c5=c4")
    by = {c.label: c for c in r.cells}
    assert by["c4"].verdict == by["c5"].verdict == "correct" and r.record.matched == ()


def test_a_wrong_operand_is_not_taken_for_another_numbering() -> None:
    # c5 = c1**2 is our c4's definition, but the student writes c4 too: c5 is a wrong operand, not a renaming
    text = "c3 = exp(c1) = 1\nc4 = c1**2 = 0\nc5 = c1**2 = 0\n"
    r = gradcli.grade(MFML, "0,2", text, mode="reverse")
    assert r.record.mapping == {}
    c5 = next(c for c in r.cells if c.label == "c5")
    assert c5.verdict == "wrong" and c5.rule_check == "different"
    text = "c3 = exp(c1) = 1\nc5 = c1**2 = 0\nc4 = 0\n"  # c4 written without a rule: still not a renaming
    assert gradcli.grade(MFML, "0,2", text, mode="reverse").record.mapping == {}


# --- the common slips, each diagnosed from the number alone ---

def sig(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_sigma_for_sigma_times_one_minus_sigma() -> None:
    # f = sigmoid(x)**2 at x = 0.5: c̄1 = c̄2·σ(1−σ); the student writes c̄2·σ
    x = 0.5
    c2 = sig(x)
    b2 = 2 * c2
    text = f"c2 = {r5(c2)}\nc3 = {r5(c2 ** 2)}\nc̄3 = 1\nc̄2 = {r5(b2)}\nc̄1 = {r5(b2 * c2)}\n"
    r = gradcli.grade("sigmoid(x)**2", "0.5", text)
    (charged,) = r.charged
    assert charged.label == "c̄1" and charged.error == "wrong local partial"
    assert "σ for σ(1−σ)" in charged.feedback and "cannot tell" not in charged.feedback
    assert charged.feedback.endswith(f"= {b2 * c2 * (1 - c2):.6g}")  # the true c̄1, worked here by hand


def test_the_sign_of_sin_prime() -> None:
    # y = sin(x)*x at x = 1, forward: ċ2 = cos(1)·ẋ; the student writes −cos(1)
    x = 1.0
    text = "\n".join(["[sweep x]", f"c2 = {r5(math.sin(x))}", f"c3 = {r5(math.sin(x) * x)}", "ẋ = 1",
                      f"ċ2 = {r5(-math.cos(x))}", f"ċ3 = {r5(-math.cos(x) * x + math.sin(x))}"])
    r = gradcli.grade("sin(x)*x", "1", text)
    (charged,) = r.charged
    assert charged.label == "ċ2" and charged.error == "wrong local partial" and "sin′" in charged.feedback
    assert {c.label: c.verdict for c in r.cells}["ċ3"] == "follows"


def test_a_missing_inner_derivative() -> None:
    # f = exp(x**3) at x = 0.5, forward: ċ3 = c3·ċ2 with ċ2 = 3·x² = 0.75; the student writes ċ3 = c3
    x = 0.5
    c2, c3 = x ** 3, math.exp(x ** 3)
    text = "\n".join(["[sweep x]", f"c2 = {r5(c2)}", f"c3 = {r5(c3)}", "ẋ = 1", f"ċ2 = {r5(3 * x ** 2)}",
                      f"ċ3 = {r5(c3)}"])
    r = gradcli.grade("exp(x**3)", "0.5", text)
    (charged,) = r.charged
    assert charged.label == "ċ3" and charged.error == "wrong local partial"
    assert "missing inner derivative on c2 → c3: ċ2 left out" in charged.feedback
    assert "cannot tell" not in charged.feedback


def test_a_forgotten_fan_out_term_in_reverse_and_in_a_rule() -> None:
    # f = x*exp(x) at x = 1: x feeds c2 = exp(c1) and c3 = c1·c2; c̄1 = c̄3·c2 + c̄2·c2 with c̄2 = c̄3·c1
    e = math.e
    text = f"c2 = {r5(e)}\nc3 = {r5(e)}\nc̄3 = 1\nc̄2 = 1\nc̄1 = {r5(e)}\n"  # c̄3·c2 only
    r = gradcli.grade("x*exp(x)", "1", text)
    (charged,) = r.charged
    assert charged.label == "c̄1" and charged.error == "missing term" and "c1 feeds" in charged.feedback
    ruled = text.replace(f"c̄1 = {r5(e)}", f"c̄1 = c̄3·c2 = {r5(e)}")
    (charged,) = gradcli.grade("x*exp(x)", "1", ruled).charged
    assert charged.error == "missing term" and charged.rule_check == "different" and "c̄3·c2," in charged.feedback


def test_an_arithmetic_slip_with_every_rule_right() -> None:
    r = gradcli.grade("x**3", "3", "c2 = 27\nc̄2 = 1\nc̄1 = c̄2·3·c1**2 = 26\n")  # 3·3² is 27
    (charged,) = r.charged
    assert charged.error == "arithmetic" and "the rule is right" in charged.feedback and "not 26" in charged.feedback


def test_where_the_point_cannot_tell_two_slips_apart_the_feedback_says_so() -> None:
    # x**3 at x = 3: n·x = 9 and x^(n−1) = 9, so c̄1 = 9 is either slip
    r = gradcli.grade("x**3", "3", "c2 = 27\nc̄2 = 1\nc̄1 = 9\n")
    (charged,) = r.charged
    assert charged.error == "wrong local partial"
    assert charged.feedback.startswith("this point cannot tell apart:")
    assert "n·x for n·x^(n−1)" in charged.feedback and "x^(n−1) for n·x^(n−1) (the factor n left out)" in \
        charged.feedback
    # σ at 0 is 1/2 = 1 − σ: σ for σ(1−σ) and 1−σ for σ(1−σ) give the same number
    r = gradcli.grade("sigmoid(x)", "0", "c2 = 0.5\nc̄2 = 1\nc̄1 = 0.5\n")
    (charged,) = r.charged
    assert charged.feedback.startswith("this point cannot tell apart:") and "1−σ for σ(1−σ)" in charged.feedback
    # at x = 2 the same slip is told apart
    (charged,) = gradcli.grade("x**3", "2", "c2 = 8\nc̄2 = 1\nc̄1 = 6\n").charged
    assert "cannot tell" not in charged.feedback and "n·x for n·x^(n−1)" in charged.feedback


def test_a_written_rule_sympy_cannot_finish_is_left_to_the_numbers_within_the_time_limit(tmp_path) -> None:
    """A rule whose proof would take sympy minutes (a tower) is undecided at --time-limit, not waited for."""
    import time

    sheet = tmp_path / "s.txt"
    sheet.write_text("c2 = c1**2 + 2**2**2**2**2**2**2 - 2**2**2**2**2**2**2 = 4\n")
    start = time.monotonic()
    result = run("grade", "x**2", "--at", "2", str(sheet), "--time-limit", "1", "--format", "json")
    assert time.monotonic() - start < 30
    assert result.exit_code in (0, 1) and "Traceback" not in result.output
