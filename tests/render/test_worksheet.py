"""gradcli worksheet: its cells are the ones grade reads, its key gets full marks, its pages compile and fit."""

from __future__ import annotations

import json
import math
import os
import subprocess

import pytest

from conftest import load_cases, run
from texcheck import pdflatex

import gradcli

CASES = load_cases()
SEED = "exp(x1)*(x1**2+x2**2)**3"
NET = "z1 = x*w1; a1 = sigmoid(z1); z2 = a1*w2; a2 = sigmoid(z2); loss = 0.5*(a2 - ystar)**2"
GEN_AI_9 = next(c for c in CASES if c["id"] == "nested-exp-sin-program")


def source(case: dict) -> str:
    return case["program"] or case["expr"]


def at(case: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in case["point"].items())


def sheet(*args: str) -> str:
    result = run("worksheet", *args)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_the_key_filled_in_gets_full_marks_and_the_blank_sheet_none(case: dict, mode: str) -> None:
    key = sheet(source(case), "--at", at(case), "--mode", mode, "--key")
    graded = gradcli.grade(source(case), at(case), key, mode=mode)
    assert graded.record.full_marks, [(c.label, c.verdict, c.feedback) for c in graded.cells if c.verdict != "correct"]
    blank = sheet(source(case), "--at", at(case), "--mode", mode)
    empty = gradcli.grade(source(case), at(case), blank, mode=mode)
    # every blank is a cell grade reads, and reports as left blank: nothing unknown, nothing extra
    assert empty.record.unknown == [] and empty.record.extra == []
    assert empty.score == 0 and [c.verdict for c in empty.cells] == ["missing"] * len(graded.cells)
    assert [(c.id, c.kind, c.sweep) for c in empty.cells] == [(c.id, c.kind, c.sweep) for c in graded.cells]
    # the key's gradient is the worked example's, which its notes check against torch or by hand
    entries = {c.id: c.key for c in graded.cells if c.kind == "gradient"}
    assert entries.keys() == case["gradient"].keys()
    for x, v in case["gradient"].items():
        assert math.isclose(entries[x], v, rel_tol=1e-12, abs_tol=1e-12), x


def test_the_json_cells_are_grades_cells() -> None:
    doc = json.loads(sheet(SEED, "--at", "0,2", "--format", "json"))
    graded = gradcli.grade(SEED, "0,2", "").to_dict()
    assert [(c["id"], c["kind"], c["sweep"]) for c in doc["cells"]] == \
        [(c["id"], c["kind"], c["sweep"]) for c in graded["cells"]]
    assert all(c["value"] is None and c["rule"] is None and not c["given"] for c in doc["cells"])
    key = json.loads(sheet(SEED, "--at", "0,2", "--format", "json", "--key"))
    assert [c["value"] for c in key["cells"]] == [c["key"] for c in graded["cells"]]


def test_a_student_who_fills_the_sheet_is_graded_cell_by_cell() -> None:
    """The template as a submission: a few cells filled (one wrong), the rest left as ____."""
    text = sheet(SEED, "--at", "0,2").replace("c3 = ____", "c3 = 1").replace("c̄6 = ____", "c̄6 = 12")
    graded = gradcli.grade(SEED, "0,2", text)
    verdicts = {c.label: c.verdict for c in graded.cells}
    assert verdicts["c3"] == "correct" and verdicts["c̄6"] == "wrong" and verdicts["c4"] == "missing"
    assert graded.record.unknown == []


def test_given_values_and_rules_are_on_the_sheet_and_grade_accepts_them() -> None:
    text = sheet(NET, "--at", "x=1.5,w1=0.8,w2=-1.2,ystar=1", "--given", "values,rules")
    assert "z1 = x·w1 = 1.2000000000000002" in text  # a value given, with its rule
    assert "z̄1 = ā1·a1·(1 - a1) = ____" in text  # a blank, its rule given
    filled = sheet(NET, "--at", "x=1.5,w1=0.8,w2=-1.2,ystar=1", "--given", "values,rules", "--key")
    assert gradcli.grade(NET, "x=1.5,w1=0.8,w2=-1.2,ystar=1", filled).record.full_marks
    doc = json.loads(sheet(NET, "--at", "x=1.5,w1=0.8,w2=-1.2,ystar=1", "--given", "values", "--format", "json"))
    assert {c["kind"] for c in doc["cells"] if c["given"]} == {"value"}


def test_names_follow_the_sheets_numbering_and_grade_reads_them_with_map() -> None:
    key = sheet(SEED, "--at", "0,2", "--names", "a=c3,b=c4,f8=c8", "--key")
    assert "a = exp(c1) = exp(0) = 1" in key and "f̄8 = 1" in key and "b̄ = c̄6 = 48" in key
    assert "c3" not in key.split("# the graph")[1]
    graded = gradcli.grade(SEED, "0,2", key, map="a=c3,b=c4,f8=c8")
    assert graded.record.full_marks
    for bad in ("a=c99", "a=c3,a=c4", "c4=c3", "a=c3,b=c3"):
        result = run("worksheet", SEED, "--at", "0,2", "--names", bad)
        assert result.exit_code == 2 and "Traceback" not in result.output, (bad, result.output)


def test_a_seed_draws_the_same_point_on_every_run_and_another_for_another_seed() -> None:
    first = json.loads(sheet(NET, "--seed", "1", "--format", "json"))
    assert first["point"] == json.loads(sheet(NET, "--seed", "1", "--format", "json"))["point"]
    points = {json.dumps(json.loads(sheet(NET, "--seed", str(k), "--format", "json"))["point"]) for k in range(5)}
    assert len(points) == 5
    key = sheet(NET, "--seed", "1", "--key")
    point = ",".join(f"{k}={v!r}" for k, v in first["point"].items())
    assert gradcli.grade(NET, point, key).record.full_marks
    # where a function is undefined at most points, the draw keeps to where it is defined
    doc = json.loads(sheet("log(x - 1.5) + sqrt(y)", "--seed", "2", "--format", "json"))
    assert doc["point"]["x"] > 1.5 and doc["point"]["y"] >= 0


@pytest.mark.parametrize("args", [
    ["--seed", "1", "--at", "0,2"], [], ["--at", "0,2", "--given", "answers"], ["--at", "0,2", "--wrt", "x1"],
    ["--at", "0,2", "--standalone"], ["--at", "0,2", "--seed", "-1"],
])
def test_options_that_do_not_go_together_are_one_line_exit_2(args: list[str]) -> None:
    result = run("worksheet", SEED, *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_the_cli_round_trip_grade_reads_the_file_worksheet_writes(tmp_path) -> None:
    path = tmp_path / "key.txt"
    path.write_text(sheet(SEED, "--at", "0,2", "--mode", "forward", "--key"))
    result = run("grade", SEED, "--at", "0,2", str(path))
    assert result.exit_code == 0, result.output
    path.write_text(sheet(SEED, "--at", "0,2", "--mode", "forward"))
    assert run("grade", SEED, "--at", "0,2", str(path)).exit_code == 1


def test_markdown_has_a_table_per_section_with_blanks() -> None:
    md = sheet(SEED, "--at", "0,2", "--format", "markdown", "--given", "rules")
    assert "| `c̄6` | `c̄7·3·c6**2` |  | \\_\\_\\_\\_\\_\\_ |" in md
    assert md.count("| cell | rule | with the numbers | value |") == 3


# --- LaTeX: whole documents that compile, and fit the page -----------------------------------------------------


def compile_document(tex: str, where, name: str = "doc") -> str:
    """pdflatex on a whole document; its log."""
    binary = pdflatex()
    where.mkdir(parents=True, exist_ok=True)
    (where / f"{name}.tex").write_text(tex)
    env = dict(os.environ, TEXMFVAR=str(where / "texmf-var"), max_print_line="100000")
    proc = subprocess.run([binary, "-no-mktex=pk", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
                          cwd=where, capture_output=True, env=env, timeout=120)
    log = (where / f"{name}.log").read_bytes().decode("latin-1")
    assert proc.returncode == 0 and "Output written" in log, log[-2000:]
    return log


def overfull(log: str) -> list[str]:
    lines = log.splitlines()
    return [" ".join(lines[n:n + 2])[:300] for n, line in enumerate(lines) if line.startswith("Overfull")]


def _mode(command: str) -> list[str]:
    return [command] if command in ("forward", "reverse") else ["worksheet", "--mode", command.split("-")[1]]


@pytest.mark.parametrize("command", ["reverse", "forward"])
def test_symbolic_documents_of_the_public_cases_compile_with_no_overfull_box(tmp_path, command: str) -> None:
    """Every public case, --symbolic (the longest rows: GEN-AI 9's run to 700 pt in one line), as a whole
    document and as a fragment in an article's own width."""
    fragments = []
    for n, case in enumerate(CASES):
        result = run(command, source(case), "--at", at(case), "--symbolic", "--format", "latex", "--standalone")
        assert result.exit_code == 0, result.output
        log = compile_document(result.stdout, tmp_path / f"{n}")
        assert overfull(log) == [], case["id"]
        fragment = run(command, source(case), "--at", at(case), "--symbolic", "--format", "latex")
        fragments.append(fragment.stdout)
    body = "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n" + "\n".join(fragments) + \
        "\\end{document}\n"
    assert overfull(compile_document(body, tmp_path / "fragments")) == []


def test_gen_ai_9_symbolic_rows_are_broken_and_keep_every_number(tmp_path) -> None:
    tex = run("reverse", GEN_AI_9["program"], "--at", at(GEN_AI_9), "--symbolic", "--format", "latex",
              "--standalone").stdout
    assert r"\qquad {}+" in tex  # a long form broken before a +, as the terminal breaks it
    log = compile_document(tex, tmp_path)
    assert overfull(log) == []
    # the adjoints' numbers are on the page: every row's value is there
    for v in ("78.46854058534005", "337.2140444730329", "555.9719679015084"):
        assert v in tex


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("extra", [[], ["--key"], ["--key", "--given", "values,rules", "--names", "a=c3"]])
def test_worksheets_and_keys_compile_as_documents_and_fragments(tmp_path, mode: str, extra: list[str]) -> None:
    for n, case in enumerate(CASES):
        names = extra if "--names" not in extra or case["expr"] else extra[:-2]
        tex = sheet(source(case), "--at", at(case), "--mode", mode, "--format", "latex", "--standalone", *names)
        assert tex.startswith("\\documentclass") and "\\begin{picture}" in tex
        assert "--" not in tex.replace("-{}-", ""), "an option name on the page"
        log = compile_document(tex, tmp_path / f"{n}")
        assert overfull(log) == [], case["id"]


def test_the_figure_runs_top_to_bottom_with_rounded_labels() -> None:
    from gradcli.render.figure import levels, picture

    r = gradcli.reverse(GEN_AI_9["program"], at=GEN_AI_9["point"])
    tex = picture(r.graph, r.record.values)
    assert levels(r.graph) == [0, 1, 2, 3, 4, 4, 5]
    assert "1.649" in tex and "1.6487212707001282" not in tex  # 4 digits, not 17
    ys = [float(m.split(",")[1].rstrip(")")) for m in __import__("re").findall(r"\\put\([0-9.]+,[0-9.]+\)", tex)]
    assert ys == sorted(ys, reverse=True) and ys[0] > ys[-1]  # the inputs on top, the output at the foot


def test_dot_rankdir_and_constants_without_partials() -> None:
    out = run("graph", "y = w*x + b", "--let", "x=2", "--at", "w=1,b=0", "--dot", "--rankdir", "TB").stdout
    assert "rankdir=TB;" in out
    assert '"x" -> "c1";' in out  # --let holds x: its edge has no partial
    assert '"w" -> "c1" [label="∂c1/∂w = x = 2"];' in out
    assert "rankdir=LR;" in run("graph", "x*y", "--dot").stdout
    assert run("graph", "x*y", "--rankdir", "TB").exit_code == 2
