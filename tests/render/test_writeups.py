"""Markdown and LaTeX write-ups: the same steps as the terminal, typeset; LaTeX compiled for real."""

from __future__ import annotations

import re

import pytest

from conftest import run
from gradcli.render.latex import tex
from texcheck import compile_fragments

SEED = "exp(x1)*(x1**2+x2**2)**3"


@pytest.mark.parametrize("text,expected", [
    ("c1**2", "c_{1}^{2}"),
    ("exp(c1)*c7", r"\exp\left(c_{1}\right) \cdot c_{7}"),
    ("1/(2*sqrt(c1))", r"\frac{1}{2 \cdot \sqrt{c_{1}}}"),
    ("-c1/c2**2", r"\frac{-c_{1}}{c_{2}^{2}}"),
    ("(x1**2+x2**2)**3", r"\left(x_{1}^{2} + x_{2}^{2}\right)^{3}"),
    ("a - (b - c)", r"a - \left(b - c\right)"),
    ("a*(b + c)", r"a \cdot \left(b + c\right)"),
    ("a*-b", r"a \cdot \left(-b\right)"),
    ("(-2)**2", r"\left(-2\right)^{2}"),
    ("-x**2", r"-x^{2}"),
    ("1e-05*w1", r"10^{-5} \cdot w_{1}"),
    ("2.5e+20", r"2.5 \times 10^{20}"),
    ("log(x, 2) + ln(y)", r"\log_{2}\left(x\right) + \log\left(y\right)"),
    ("sigmoid(z1)*(1 - sigmoid(z1))", r"\sigma\left(z_{1}\right) \cdot \left(1 - \sigma\left(z_{1}\right)\right)"),
    ("relu(θ0) + abs(phi) + loss", r"\operatorname{relu}\left(\theta_{0}\right) + \left|\phi\right| + \mathrm{loss}"),
    ("step(c1)", r"\operatorname{step}\left(c_{1}\right)"),
    ("exp(inf)", r"\exp\left(\infty\right)"),
    ("0.5 + -0.5", r"0.5 + \left(-0.5\right)"),
    ("3 + -2e-20 - -1", r"3 + \left(-2 \times 10^{-20}\right) - \left(-1\right)"),
    ("-1e-05*w + 2**-1", r"\left(-10^{-5}\right) \cdot w + 2^{-1}"),
    ("-(-2) + -inf", r"-\left(-2\right) + \left(-\infty\right)"),
])
def test_tex(text: str, expected: str) -> None:
    assert tex(text) == expected


def test_markdown_reverse_table() -> None:
    out = run("reverse", SEED, "--at", "0,2", "--format", "markdown").output
    assert "| `c̄1` | `c̄3·c3 + c̄4·2·c1` | `64·1 + 48·2·0` | `64` |" in out
    assert "| `c̄8` | *(seed)* | | `1` |" in out
    assert "**`∇f(0, 2) = [64, 192]`" in out
    tables = [line for line in out.splitlines() if line.startswith("|")]
    cells = [len(re.split(r"(?<!\\)\|", line)) for line in tables]
    assert cells == [cells[0]] * len(cells)


def test_arrays_print_as_typed_in_every_format() -> None:
    expr = "L = relu(W @ x)ᵀ @ v + sum([[1, 2], [3, 4]] @ x)"
    at = "W=[[1,2],[3,4]],x=[1,-1],v=[2,3]"
    assert run("reverse", expr, "--at", at, "--format", "latex").stdout.split("\n")[1] == (
        r"\par\noindent program: $L = \operatorname{relu}\left(W \, x\right)^{\top} \, v + \operatorname{sum}\left("
        r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix} \, x\right)$\par")
    md = run("reverse", expr, "--at", at, "--format", "markdown").stdout
    assert "| `c̄1 (2×1)` | `c̄2 ⊙ step(c1)` |  | `[0, 0]` |" in md
    assert "| `x̄ (2×1)` | `Wᵀ @ c̄1 + [[1, 2], [3, 4]]ᵀ @ c̄4` |  | `[4, 6]` |" in md
    md = run("reverse", expr, "--at", at, "--format", "markdown", "--scalar").stdout
    assert "| `W̄[1,2]` | `c̄2·x[2]` | `0·(-1)` | `0` |" in md
    tex = run("reverse", expr, "--at", at, "--format", "latex").stdout
    assert r"\bar{c}_{1} \;\, (2 \times 1) &= \bar{c}_{2} \odot \operatorname{step}\left(c_{1}\right)" in tex
    assert r"\bar{c}_{4} \;\, (2 \times 1) &= \bar{c}_{5} \cdot \mathbf{1}" in tex


def test_markdown_keeps_stars_and_bars_literal() -> None:
    out = run("graph", "a_b = x*y; z = abs(a_b)**2", "--at", "1,2", "--format", "markdown").output
    for line in out.splitlines():
        if line.startswith("| `"):
            stripped = "".join(part for n, part in enumerate(line.split("`")) if n % 2 == 0)
            assert "*" not in stripped and "_" not in stripped, line


WRITEUPS = [
    ("reverse", SEED, "0,2"),
    ("forward", SEED, "0,2"),
    ("forward", SEED, "0,2", "--direction", "1,-1"),
    ("graph", SEED, "0,2"),
    ("graph", "θ1 = x*w_1; y = sigmoid(θ1)", "1,2", "--tangents"),  # tangent columns headed ∂/∂w_1 in math
    ("reverse", "z1 = x*w1; a1 = sigmoid(z1); z2 = a1*w2; a2 = sigmoid(z2); loss = 0.5*(a2 - ystar)**2",
     "1.5,0.8,-1.2,1"),
    ("reverse", "abs(x) + relu(x) + sqrt(x) + log(x + 1, 2) + θ**x % 1", "0,2"),
    ("reverse", "abs(x) + relu(x) + sqrt(x) + log(x + 1, 2) + θ**x", "0,2"),
    ("reverse", "exp(x)*1e-5 + x_1/x", "1000,3"),
    ("reverse", "+".join(f"sin({i}*x)" for i in range(1, 40)), "1", "--max-rows", "10"),
    ("reverse", SEED, "0,2", "--cost"),
    ("forward", SEED, "0,2", "--cost", "--max-rows", "3"),
    ("graph", "log(x) + sqrt(x)", "0", "--max-rows", "2"),
    # arrays: the program's matrices as bmatrix, the entries W[1,2] by name, their adjoints barred
    ("reverse", "h = relu(Wᵀ @ x + [[1, 2], [3, 4]] @ b); L = -log(softmax(h)[2]) + x.T @ x", "W=[[1, 2], [3, 4]],"
     "x=[1, -1],b=[0.5, 0]"),
    ("forward", "L = outer(u, v)[1, 2]*dot(u, v) + norm(u)", "u=[1, 2],v=[3, 4]"),
]


@pytest.mark.parametrize("args", WRITEUPS, ids=[f"{w[0]}-{n}" for n, w in enumerate(WRITEUPS)])
def test_latex_compiles(args: tuple, tmp_path) -> None:
    command, expr, at, *rest = args
    result = run(command, expr, "--at", at, "--format", "latex", *rest)
    if "%" in expr:
        assert result.exit_code == 2  # not in the language: a clean error, no LaTeX
        return
    assert result.exit_code == 0, result.output
    assert result.stdout.count(r"\begin{align*}") == result.stdout.count(r"\end{align*}")
    compiled = compile_fragments([(command, result.stdout)], tmp_path)
    assert compiled.ok, compiled.report()
    assert (tmp_path / "doc.pdf").exists()
