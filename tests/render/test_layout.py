"""The terminal layout: lines fit the width, numbers and names are never split, nothing is dropped."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run
from gradcli.render.layout import cells, cuts, wrap, wrap_prose
from strategies import cases

SEED = "exp(x1)*(x1**2+x2**2)**3"
LOGISTIC = "-(y*log(sigmoid(w1*x1 + w2*x2)) + (1-y)*log(1 - sigmoid(w1*x1 + w2*x2)))"
LOGISTIC_AT = "w1=0.5,w2=-0.25,x1=1,x2=2,y=1"
TEXTBOOK = "f1 = exp(x); f2 = f1**2; f3 = f1 + f2; f4 = exp(f3); f5 = sin(f3); y = f4 + f5"
TOKEN = re.compile(r"[\w.\u0300-\u036f]+")  # names and numbers, with their accents (c̄3, -0.69 as 0.69)

EXAMPLES = [
    ("forward", SEED, "0,2"), ("reverse", SEED, "0,2"), ("forward", LOGISTIC, LOGISTIC_AT),
    ("reverse", LOGISTIC, LOGISTIC_AT), ("reverse", TEXTBOOK, "0.5"), ("forward", TEXTBOOK, "0.5"),
    ("reverse", "sin(x)*" + "*".join(f"x{k}" for k in range(1, 13)), ",".join(["0.3"] * 13)),
]


def tokens(text: str) -> Counter:
    return Counter(TOKEN.findall(text))


def table(command: str, expr: str, at: str, width: int, *more: str) -> str:
    result = run(command, expr, "--at", at, "--width", str(width), *more)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command,expr,at", EXAMPLES, ids=[f"{c}-{e[:20]}" for c, e, _ in EXAMPLES])
@pytest.mark.parametrize("width", [20, 33, 40, 60, 80])
def test_narrow_tables_keep_every_number_and_name_whole(command: str, expr: str, at: str, width: int) -> None:
    wide = table(command, expr, at, 10000)
    narrow = table(command, expr, at, width)
    # the same names and numbers, each in one piece: a number split over two lines would be two tokens
    assert tokens(narrow) == tokens(wide)
    for line in narrow.splitlines():
        assert line == line.rstrip(), repr(line)
        # a line is wider than the terminal only when it is one piece that cannot be broken (after its "c3 = ")
        if cells(line) > width:
            assert not cuts(re.sub(r"^\s*((\S+\s+)?= |[+-] )", "", line).strip()), (width, line)


@pytest.mark.parametrize("command,expr,at", EXAMPLES[:5], ids=[f"{c}-{e[:20]}" for c, e, _ in EXAMPLES[:5]])
def test_at_40_columns_and_more_every_line_fits(command: str, expr: str, at: str) -> None:
    for width in (40, 50, 60, 80):
        for line in table(command, expr, at, width).splitlines():
            assert cells(line) <= width, (width, line)


def test_a_stacked_row_reads_as_a_worked_solution() -> None:
    out = table("reverse", LOGISTIC, LOGISTIC_AT, 60)
    assert ("c̄5  = c̄11·c10 - c̄12\n"
            "    = (-1)·(-0.6931471805599453) - 0.6931471805599453\n"
            "    = 0\n") in out


def test_a_long_sum_breaks_between_its_terms_under_its_first_term() -> None:
    expr = " + ".join(f"sin(x{k})*x{k}" for k in range(1, 9))
    out = table("reverse", expr, ",".join(["0.25"] * 8), 60, "--format", "table")
    assert "  + " in out or "  - " in out  # some sum was long enough to break
    for line in out.splitlines():
        stripped = line.lstrip()
        if line != stripped and stripped[:2] in ("+ ", "- "):
            assert not line.rstrip().endswith(("+", "-", "·")), line


def test_graph_at_60_columns_keeps_every_column() -> None:
    wide = run("graph", SEED, "--at", "0,2", "--wrt", "x1", "--width", "10000").output
    for width in (60, 40, 20):
        out = run("graph", SEED, "--at", "0,2", "--wrt", "x1", "--width", str(width)).output
        for header in ("node", "kind", "definition", "operands", "used by", "value", "adjoint"):
            assert header in out, (width, header)
        assert set(TOKEN.findall(wide)) - {"node"} <= set(TOKEN.findall(out)), width  # "node": a column's name
        assert all(line == line.rstrip() for line in out.splitlines())


@pytest.mark.parametrize("fmt", ["table", "markdown", "latex"])
@pytest.mark.parametrize("max_rows", [1, 2, 3])
def test_a_table_clipped_to_few_rows_still_says_rows_were_left_out(fmt: str, max_rows: int) -> None:
    for command in ("forward", "reverse", "graph"):
        out = run(command, "sin(sin(sin(sin(x))))", "--at", "1", "--max-rows", str(max_rows), "--format",
                  fmt).output
        assert "rows left out" in out, (command, fmt, max_rows)


def test_the_rows_left_out_line_does_not_widen_the_columns() -> None:
    out = run("reverse", "sin(" * 300 + "x" + ")" * 300, "--at", "1", "--width", "80").output
    lines = out.splitlines()
    note = next(line for line in lines if "rows left out" in line)
    assert note.startswith("…")
    rows = [line for line in lines if line.startswith("c̄")]
    # the value column stays as wide as its values, not as wide as the note
    assert max(cells(line) for line in rows) <= 80


def test_wrap_keeps_a_sign_with_its_term() -> None:
    for width in range(8, 60):
        for line in wrap("c̄11·c10 - c̄12 + (-1)·(-0.6931471805599453) - 0.6931471805599453", width):
            assert not line.rstrip().endswith((" -", " +")), (width, line)


def test_prose_keeps_a_formula_whole_where_it_fits() -> None:
    text = "graph: 5 inputs (\ue000c1 = w1\ue001, \ue000c2 = w2\ue001), output \ue000f = c17\ue001"
    for width in range(12, 60):
        out = wrap_prose(text, width)
        joined = " ".join(line.strip() for line in out)
        assert "c1 = w1" in joined and "f = c17" in joined, (width, out)
        assert all(cells(line) <= width for line in out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(max_steps=6), st.integers(20, 100), st.sampled_from(["forward", "reverse", "graph"]))
def test_random_programs_lay_out_without_splitting_tokens(case, width: int, command: str) -> None:
    from gradcli.core.graph import graph_of

    names = graph_of(case.text).names
    at = ",".join("0.7" for _ in names)
    wide = run(command, case.text, "--at", at, "--width", "10000")
    if wide.exit_code != 0:
        return  # undefined at this point: the math error has its own tests
    narrow = run(command, case.text, "--at", at, "--width", str(width)).output
    if command == "graph":
        assert set(TOKEN.findall(wide.output)) - {"node"} <= set(TOKEN.findall(narrow))
    else:
        assert tokens(narrow) == tokens(wide.output)
    assert all(line == line.rstrip() for line in narrow.splitlines())


def test_an_indented_line_keeps_its_indentation_when_it_wraps() -> None:
    from gradcli.render.layout import wrap_prose

    text = "  m ← β·m + (1 − β)·g, v ← γ·v + (1 − γ)·g², starting from m = v = 0 at the first step"
    lines = wrap_prose(text, 40)
    assert len(lines) > 1 and all(len(line) <= 40 for line in lines)
    assert lines[0].startswith("  m ←") and not lines[0].startswith("   ")
    assert all(line.startswith("    ") for line in lines[1:])
    assert " ".join(line.strip() for line in lines) == text.strip()
