"""LaTeX that always compiles and never loses rows: numbers, prose, page breaks, names and every op."""

from __future__ import annotations

import re

import pytest

from conftest import run

LOGISTIC = "-(y*log(sigmoid(w1*x1 + w2*x2)) + (1-y)*log(1 - sigmoid(w1*x1 + w2*x2)))"
LOGISTIC_AT = "w1=0.5,w2=-0.25,x1=1,x2=2,y=1"


def latex(*args: str) -> str:
    result = run(*args, "--format", "latex")
    assert result.exit_code == 0, result.output
    return result.stdout


# --- negative numbers --------------------------------------------------------------------------------

_NEGATIVE = re.compile(r"-10\^\{-?[0-9]+\}|-(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?: \\times 10\^\{-?[0-9]+\})?|-\\infty")


def numbers_cells(fragment: str) -> list[str]:
    """The 'with the numbers' cell of every row of every align* (rows are lhs &= rule && = numbers && = value)."""
    cells = []
    for block in re.findall(r"\\begin\{align\*\}\n(.*?)\n\\end\{align\*\}", fragment, re.S):
        for line in block.split("\\\\\n"):
            parts = line.split("&&")
            if len(parts) == 3:
                cells.append(parts[1].strip().removeprefix("=").strip())
    return cells


def bare_negatives(cell: str) -> tuple[int, list[str]]:
    """How many negative numbers a cell holds, and the minus signs that stand bare where a term or a factor
    is: right after + or - or a product's dot, or a negative number beside a dot or under an exponent.
    A negative number is fine in parentheses, or alone at the start of the cell, of a fraction's part or
    of an exponent, and followed by nothing or + or -."""
    seen, bad = 0, []
    for i in (i for i, c in enumerate(cell) if c == "-"):
        before = cell[:i].rstrip()
        operator = re.search(r"\\[A-Za-z]+$", before) and not before.endswith("\\infty")  # \cdot, \times
        if before and (before[-1].isalnum() or before[-1] in ")}]") and not operator:
            continue  # a binary minus: 1 - 2
        m = _NEGATIVE.match(cell, i)
        seen += m is not None
        end = m.end() if m else i + 1
        after = cell[end:].lstrip()
        shown = f"{before[-20:]}[{cell[i:end]}]{after[:20]}"
        if before.endswith(("+", "-", "\\cdot", "\\times")):
            bad.append(shown)  # 0.5 + -0.5, 2 \cdot -1, 3 + -\left(...\right)
        elif m:
            wrapped = before.endswith("\\left(") and after.startswith("\\right)")
            alone = before == "" or before.endswith("{")
            ends = after == "" or after.startswith(("}", "+", "- "))
            if not (wrapped or (alone and ends)):
                bad.append(shown)
    return seen, bad


NEGATIVE_CASES = [
    ("reverse", LOGISTIC, LOGISTIC_AT),
    ("forward", LOGISTIC, LOGISTIC_AT),
    ("reverse", "x*-2", "3"),
    ("forward", "x*-2", "-3"),
    ("reverse", "-3*x + 1e-20*y", "-1,-2"),
    ("forward", "-3*x + 1e-20*y", "-1,-2"),
    ("reverse", "(-2)**x + x**-3 - -x + x*1e-300*1e-300", "-2"),
    ("forward", "y - 2*x + x*y**2 - exp(-y)", "-0.5,-1e-7"),
]


@pytest.mark.parametrize("command,expr,at", NEGATIVE_CASES)
def test_negative_numbers_are_parenthesised_as_terms_factors_and_bases(command: str, expr: str, at: str) -> None:
    cells = numbers_cells(latex(command, expr, "--at", at, "--max-rows", "0"))
    assert cells
    seen, bad = 0, []
    for cell in cells:
        n, b = bare_negatives(cell)
        seen, bad = seen + n, bad + b
    assert seen > 0  # the case does put negative numbers in the numbers column
    assert not bad, bad


def test_the_check_finds_bare_negatives() -> None:
    assert bare_negatives(r"0.5 + -0.5")[1] == ["0.5 +[-0.5]"]
    assert bare_negatives(r"3 + -\left(2 \times 10^{-20}\right)")[1]
    assert bare_negatives(r"-0.25 \cdot 2")[1]
    assert bare_negatives(r"-2^{2}")[1]
    assert bare_negatives(r"1 - -3 \times 10^{-20}")[1]
    assert bare_negatives(r"1 \cdot -10^{-5}")[1]
    assert bare_negatives(r"0.5 + \left(-0.5\right) - 2 \cdot \left(-1\right)") == (2, [])
    assert bare_negatives(r"-1 + \frac{-1}{2} \cdot 10^{-5}") == (3, [])
