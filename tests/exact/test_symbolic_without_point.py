"""--symbolic without --at: the rows and the gradient in symbols only, as a sheet that gives no point asks.
Each printed partial, typed back in as an expression, must agree with reverse mode at points of the test's
own choosing."""

from __future__ import annotations

import random

import pytest

import gradcli
from conftest import close, load_cases, run, run_json

CASES = [c for c in load_cases() if not c.get("data") and not c.get("let")]


def source(case) -> str:
    return case["program"] or case["expr"]


# every case in reverse mode, and forward mode on every other one: sympy's simplification is the time here
RUNS = [(c, "reverse") for c in CASES] + [(c, "forward") for c in CASES[::2]]


@pytest.mark.parametrize("case,mode", RUNS, ids=[f"{c['id']}-{m}" for c, m in RUNS])
def test_the_gradient_in_symbols_agrees_with_reverse_mode_anywhere(case, mode: str) -> None:
    doc = run_json(mode, source(case), "--symbolic")
    assert doc["point"] is None and doc["gradient"] is None and "value" not in doc
    assert "tangents" not in doc and "adjoints" not in doc  # no numbers of a point nobody gave
    assert all("value" not in n for n in doc["nodes"])
    forms = doc["symbolic"]["gradient"]
    assert set(forms) == set(doc["inputs"])
    rng = random.Random(case["id"])
    names = doc["inputs"]
    checked = 0
    for _ in range(6):
        # near the case's own point, where the function is defined
        p = {n: float(case["point"][n]) + rng.uniform(-0.05, 0.05) for n in names}
        try:
            truth = gradcli.reverse(source(case), p).gradient
        except gradcli.GradcliError:
            continue
        for n in names:
            in_inputs = forms[n][-1]  # the last form is in the inputs alone
            at = {k: v for k, v in p.items() if k in in_inputs} or None
            value = gradcli.forward(in_inputs, at).value if at else gradcli.forward(in_inputs + " + 0*_z", {"_z": 0}).value
            assert close(value, truth[n], 1e-9, 1e-12), (n, in_inputs, p)
        checked += 1
    assert checked >= 3


def test_the_tables_show_forms_where_the_numbers_would_be() -> None:
    out = run("reverse", "exp(x1)*(x1**2+x2**2)**3", "--symbolic", width=100).output
    assert "no point (--at)" in out and "\nat " not in out
    assert "c3 = exp(c1)   = exp(x1)" in out
    assert "c̄6 = c̄7·3·c6**2" in out and "3·(x1**2 + x2**2)**2·exp(x1)" in out
    assert "∂f/∂x2 = 6·c2·c3·c6**2 = 6·x2·(x1**2 + x2**2)**2·exp(x1)" in out
    fwd = run("forward", "h = w*x; f = sin(h) + h", "--symbolic", "--wrt", "w", width=100).output
    assert "ċ1 = cos(h)·ḣ" in fwd and "x·cos(w·x)" in fwd and "∂f/∂w = x·cos(h) + x = x·cos(w·x) + x" in fwd


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_the_write_up_formats_without_a_point(fmt: str) -> None:
    out = run("reverse", "log(x)*y", "--symbolic", "--format", fmt).output
    assert "no point" in out and ("y/x" in out or r"\frac{y}{x}" in out)


@pytest.mark.parametrize("args,said", [
    (("reverse", "x*y", "--symbolic", "--exact"), "--exact"),
    (("reverse", "x*y"), "--at"),
    (("forward", "log(-x**2 - 1)", "--symbolic"), "no point found"),
])
def test_what_needs_a_point_says_so(args, said: str) -> None:
    r = run(*args)
    assert r.exit_code == 2 and said in r.output and "Traceback" not in r.output
