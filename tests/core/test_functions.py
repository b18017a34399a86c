"""Functions a program defines, as the sheets do: ``s(γ) = 1/(1 + exp(-γ))``, then ``a1 = s(z1)``.

A call is one node, named as written, whose local partial comes from the definition. Every number is checked
against the same program with the body written out in place (an independent graph of built-in ops), against
sympy's derivative, and forward against reverse.
"""

from __future__ import annotations

import json
import math

import pytest
import sympy as sp

from conftest import close, op_case, run, run_json
from gradcli.core.graph import graph_of
from gradcli.core.ops import OPS

LOGISTIC = ("s(g) = 1/(1 + exp(-g))\n"
            "z1 = w1*x1 + w2*x2\n"
            "a1 = s(z1)\n"
            "L = -(y*log(a1) + (1 - y)*log(1 - a1))")
INLINED = ("z1 = w1*x1 + w2*x2\n"
           "a1 = 1/(1 + exp(-z1))\n"
           "L = -(y*log(a1) + (1 - y)*log(1 - a1))")
POINT = "w1=0.5,w2=-1,x1=1,x2=2,y=1"


def _gradient(source: str, at: str, command: str = "reverse") -> dict[str, float]:
    return run_json(command, source, "--at", at)["gradient"]


def test_a_call_is_one_node_named_as_written_with_the_definitions_partial() -> None:
    graph = graph_of(LOGISTIC)
    calls = [n for n in graph.nodes if n.id == "a1"]
    assert len(calls) == 1 and OPS[calls[0].op].names == ("s",)
    assert graph.names == ("w1", "w2", "x1", "x2", "y")  # g is the function's parameter, not an input
    a1 = graph.ids.index("a1")
    assert "z1" in graph.expr(a1) and "s(z1)" == graph.expr(a1)
    out = run("reverse", LOGISTIC, "--at", POINT).stdout
    assert "a1 = s(z1)" in out and "= s(-1.5)" in out


def test_the_logistic_sheet_gives_the_gradient_of_its_body_written_out() -> None:
    mine, inlined = _gradient(LOGISTIC, POINT), _gradient(INLINED, POINT)
    assert mine.keys() == inlined.keys()
    for name in mine:
        assert close(mine[name], inlined[name], rel=1e-14), name
    # ∂L/∂w1 = (a1 - y)·x1, by hand
    a1 = 1 / (1 + math.exp(1.5))
    assert close(mine["w1"], (a1 - 1) * 1, rel=1e-14) and close(mine["x2"], (a1 - 1) * -1, rel=1e-14)


def test_forward_agrees_with_reverse_and_the_hessian_with_the_body_written_out() -> None:
    rev, fwd = _gradient(LOGISTIC, POINT), _gradient(LOGISTIC, POINT, "forward")
    assert all(close(rev[n], fwd[n], rel=1e-14) for n in rev)
    mine = run_json("hessian", LOGISTIC, "--at", POINT)["hessian"]
    theirs = run_json("hessian", INLINED, "--at", POINT)["hessian"]
    for r in mine:
        for c in mine[r]:
            assert close(mine[r][c], theirs[r][c], rel=1e-12, abs_=1e-15), (r, c)


def test_the_exact_gradient_is_sympys_derivative_of_the_body() -> None:
    doc = run_json("reverse", "s(g) = 1/(1 + exp(-g)); f = s(x**2)", "--at", "0.5", "--exact")
    x = sp.Symbol("x", real=True)
    truth = sp.diff(1 / (1 + sp.exp(-x**2)), x).subs(x, sp.Rational(1, 2))
    assert close(doc["gradient"]["x"], float(truth), rel=1e-15)
    assert close(float(sp.sympify(doc["exact"]["gradient"]["x"].replace("·", "*"), locals={"x": x})),
                 float(truth), rel=1e-15)


@pytest.mark.parametrize("name", sorted(n for n in OPS if n != "copy" and not OPS[n].defined))
def test_every_op_inside_a_definition_gives_the_numbers_of_the_op_itself(name: str) -> None:
    """Each built-in op as the body of a function the program defines: the gradient and the Hessian of
    calling it are those of the op written in place."""
    expr, at = op_case(OPS[name])
    params = graph_of(expr).names
    program = f"g({', '.join(params)}) = {expr}\nf = g({', '.join(params)})"
    assert OPS[graph_of(program).nodes[-1].op].names == ("g",)
    mine, theirs = _gradient(program, at), _gradient(expr, at)
    assert all(close(mine[n], theirs[n], rel=1e-13, abs_=1e-300) for n in theirs), (mine, theirs)
    h_mine = run_json("hessian", program, "--at", at)["hessian"]
    h_theirs = run_json("hessian", expr, "--at", at)["hessian"]
    for r in h_theirs:
        for c in h_theirs[r]:
            assert close(h_mine[r][c], h_theirs[r][c], rel=1e-9, abs_=1e-12), (r, c, h_mine, h_theirs)


def test_functions_of_two_parameters_and_functions_calling_functions() -> None:
    program = ("q(a, b) = a**2*b + sin(b)\n"
               "p(t) = q(t, 2*t) + exp(t)\n"
               "f = p(x) * q(x, y)")
    inlined = "f = ((x**2*(2*x) + sin(2*x)) + exp(x)) * (x**2*y + sin(y))"
    mine, theirs = _gradient(program, "x=0.7,y=-1.3"), _gradient(inlined, "x=0.7,y=-1.3")
    assert all(close(mine[n], theirs[n], rel=1e-13) for n in theirs)


def test_a_function_applies_to_each_entry_of_an_array() -> None:
    program = "s(g) = 1/(1 + exp(-g)); h = s(W @ x); L = sum(h)"
    at = "W=[[1,2],[3,-4]],x=[0.5,-0.25]"
    mine = _gradient(program, at)
    theirs = _gradient("h = sigmoid(W @ x); L = sum(h)", at)
    assert all(close(mine[n], theirs[n], rel=1e-14) for n in theirs)


def test_a_function_with_a_name_of_the_sheets_and_greek_parameters() -> None:
    mine = _gradient("σ2(γ) = γ**2/2\nL = σ2(φ - 3)", "φ=5")
    assert mine == {"φ": 2.0}


def test_check_proves_a_claim_that_calls_the_function() -> None:
    doc = run_json("check", "s(g) = 1/(1+exp(-g)); f = s(x)", "--claim", "s(x)*(1 - s(x))")
    assert doc["verdict"] == "proved" and doc["claims"][0]["claim"] == "s(x)*(1 - s(x))"
    result = run("check", "s(g) = 1/(1+exp(-g)); f = s(x)", "--claim", "s(x)*(1 + s(x))")
    assert result.exit_code == 1


def test_check_of_the_function_itself_reads_its_name_as_the_output() -> None:
    """``s(γ) = …`` alone is the function to differentiate, named s: a claim s·(1 - s) is proved, as for s = …."""
    for source in ("s(γ) = 1/(1+exp(-γ))", "s = 1/(1+exp(-γ))"):
        result = run("check", source, "--claim", "s*(1-s)")
        assert result.exit_code == 0, result.output
        assert "proved equal" in result.stdout
    assert run("check", "s(γ) = 1/(1+exp(-γ))", "--claim", "s*(1+s)").exit_code == 1


def test_a_kink_inside_a_function_is_told_at_the_call() -> None:
    doc = run_json("reverse", "r(t) = relu(t) + 1; f = r(x)", "--at", "0")
    assert doc["gradient"] == {"x": 0.0}
    assert any("relu" in w and "inside r" in w for w in doc["warnings"]), doc["warnings"]


def test_the_same_definition_again_is_the_same_op_and_another_body_is_another() -> None:
    a = graph_of("s(g) = g**2; f = s(x)")
    b = graph_of("s(g) = g**2; f = s(x)")
    c = graph_of("s(g) = g**3; f = s(x)")
    op = lambda g: g.nodes[g.output].op  # noqa: E731
    assert op(a) == op(b) and op(c) != op(a)
    assert _gradient("s(g) = g**2; f = s(x)", "3") == {"x": 6.0}
    assert _gradient("s(g) = g**3; f = s(x)", "3") == {"x": 27.0}
    assert "s(x)" in run("reverse", "s(g) = g**3; f = s(x)", "--at", "3").stdout


def test_json_names_the_call_and_every_format_prints_it() -> None:
    doc = run_json("reverse", LOGISTIC, "--at", POINT)
    node = next(n for n in doc["nodes"] if n["id"] == "a1")
    assert node["args"] == ["z1"] and node["expr"] == "s(z1)"
    for fmt in ("markdown", "latex"):
        out = run("reverse", LOGISTIC, "--at", POINT, "--format", fmt).stdout
        assert "s(z1)" in out or r"\operatorname{s}\left(z_{1}\right)" in out or "s\\left(z_{1}\\right)" in out, out
    dot = run("graph", LOGISTIC, "--at", POINT, "--dot").stdout
    assert '"a1"' in dot and "s(z1)" in dot


@pytest.mark.parametrize("program, message, caret", [
    ("s(g) = g*w; f = s(x)", "'w' is not a parameter of s(g)", "w"),
    ("s(g) = g**2; f = s(x, y)", "s takes 1 argument, as its definition says, not 2", "s(x, y)"),
    ("f = s(x); s(g) = g**2; h = s(f)", "s is called before its definition", "s(x)"),
    ("s(g) = s(g) + 1; f = s(x)", "s is called in its own definition", "s(g)"),
    ("s(g) = g**2; s = x + 1; f = s(x)", "'s' is a function this program defines", "s"),
    ("s(g) = g**2; f = s + 1; h = s(f)", "'s' is a function; write s(...) to call it", "s"),
])
def test_a_definition_that_cannot_be_taken_is_one_line_with_a_caret(program: str, message: str, caret: str) -> None:
    result = run("reverse", program, "--at", "1")
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    lines = result.output.splitlines()
    marks = next(line for line in lines if "^" in line)
    shown = lines[lines.index(marks) - 1]
    start = marks.index("^")
    assert shown[start:start + len(caret)] == caret, result.output


def test_a_step_that_lists_the_inputs_is_still_the_function_of_the_sheet() -> None:
    """``f(x1, x2) = …`` with no call of f lists the inputs, as before: f is not a function definition."""
    doc = run_json("reverse", "f(x2, x1) = exp(x1)*(x1**2 + x2**2)**3", "--at", "2,0")
    assert doc["inputs"] == ["x2", "x1"] and doc["gradient"] == {"x2": 192.0, "x1": 64.0}


def test_a_definition_in_a_long_program_of_plain_lines() -> None:
    """The fast path for plain ASCII lines hands the definition and the calls to the parser."""
    steps = [f"v{k} = sin(sq(v{k - 1}))" for k in range(1, 300)]
    program = "\n".join(["sq(t) = t*t", "v0 = x", *steps, "f = v299"])
    inlined = "\n".join(["v0 = x", *(f"v{k} = sin(v{k - 1}*v{k - 1})" for k in range(1, 300)), "f = v299"])
    doc = run_json("reverse", program, "--at", "0.9")
    assert sum(1 for n in doc["nodes"] if n["expr"].startswith("sq(")) == 299
    theirs = run_json("reverse", inlined, "--at", "0.9")
    assert doc["value"] == theirs["value"]
    assert close(doc["gradient"]["x"], theirs["gradient"]["x"], rel=1e-9)
