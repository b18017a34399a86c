"""The parser: precedence, errors with a caret and a suggestion, hostile and very deep inputs."""

from __future__ import annotations

import math
import re

import pytest

from conftest import ROOT
from gradcli.errors import GradcliSyntaxError
from gradcli.core.graph import graph_of
from gradcli.core.parse import parse
from gradcli.engine.trace import evaluate


def value(expr: str, **point: float) -> float:
    g = graph_of(expr)
    return evaluate(g, {n: point[n] for n in g.names}).values[g.output]


@pytest.mark.parametrize("expr,point,expected", [
    ("-x**2", {"x": 3}, -9.0),
    ("2**3**2", {"x": 0}, 512.0 + 0),
    ("2**-x**2", {"x": 1}, 0.5),
    ("-2*x", {"x": 3}, -6.0),
    ("x - y - z", {"x": 1, "y": 2, "z": 3}, -4.0),
    ("x / y / z", {"x": 8, "y": 2, "z": 2}, 2.0),
    ("x^2", {"x": 3}, 9.0),
    ("(x+1)*(x-1)", {"x": 3}, 8.0),
    ("+x - -x", {"x": 2}, 4.0),
    (".5*x + 1e-3*x + 2.*x", {"x": 1}, 2.501),
    ("log(x, 2)", {"x": 8}, 3.0),
    ("ln(x) - log(x)", {"x": 5}, 0.0),
    ("pow(x, 3)", {"x": 2}, 8.0),
    ("sig(x) - sigmoid(x) + logistic(x)", {"x": 0}, 0.5),
    ("pi*x + e", {"x": 1}, math.pi + math.e),
    ("x # a comment", {"x": 4}, 4.0),
])
def test_precedence_and_syntax(expr: str, point: dict, expected: float) -> None:
    if expr == "2**3**2":
        expr = "2**3**2 + 0*x"
    assert value(expr, **point) == pytest.approx(expected, rel=1e-15)


def error(text: str) -> GradcliSyntaxError:
    with pytest.raises(GradcliSyntaxError) as info:
        graph_of(text)
    return info.value


@pytest.mark.parametrize("text,column,says", [
    ("2x", 1, "write 2*x"),
    ("exq(x1)", 1, "did you mean 'exp'"),
    ("sinn(x)", 1, "did you mean 'sin'"),
    ("exp(x1)*", 9, "incomplete"),
    ("(x+1", 1, "never closed"),
    ("x+1)", 4, "no matching '('"),
    ("²x", 1, "expected a number"),
    ("1e999*x", 1, "too large"),
    ("log(x, 2, 3)", 1, "1 or 2 arguments"),
    ("exp()", 5, "needs 1 argument"),
    ("exp + x", 1, "is a function"),
    ("x y", 3, "missing operator"),
    ("W x", 3, "for a product write W*x (W @ x if they are arrays)"),
    ("wᵀx", 3, "for the matrix product write wᵀ @ x"),
    ("(x)(y)", 4, "missing operator"),
    ("(x,y)", 3, "brackets that are not a function call's"),
    ("x = ", 5, "incomplete"),
    ("a.b", 2, "attributes"),
    ("'x'", 1, "strings"),
    ("", 1, "empty"),
    ("   # only a comment", 1, "empty"),
    ("log(x, base=2)", 12, "'='"),
    ("()", 1, "empty parentheses"),
    ("x[]", 2, "an entry's index is a whole number from 1"),
    ("sum([])", 5, "an array needs entries"),
    ("1ex", 1, "exponent needs digits"),
])
def test_errors_point_at_the_column_and_say_what_is_right(text: str, column: int, says: str) -> None:
    e = error(text)
    assert e.column == column, (e.column, e.render())
    assert says in e.message
    shown, caret = e.render().splitlines()[:2]
    assert shown == "  " + text
    assert caret.index("^") == 2 + column - 1


@pytest.mark.parametrize("text", [
    "__import__('os').system('echo hacked')",
    "exec('1')",
    "eval(x)",
    "lambda x: x",
    "[x for x in y]",
    "x.__class__",
    "open('/etc/passwd').read()",
    "f(x=1)",
    "x if y else z",
    "x; import os",
    "\x00\x01",
    "x @ y",
    "𝑥 + 1 ×",
])
def test_python_code_is_a_clean_syntax_error(text: str) -> None:
    e = error(text)
    assert "^" in e.render()


def test_deep_nesting_of_calls_parses_and_evaluates() -> None:
    depth = 100_000
    g = graph_of("sin(" * depth + "x" + ")" * depth)
    assert g.op_count == depth
    v = evaluate(g, {"x": 1.0}).values[g.output]
    assert 0 < v < 0.01  # sin iterated 1e5 times from 1 tends to 0 like sqrt(3/n)


def test_deep_parentheses() -> None:
    depth = 100_000
    g = graph_of("(" * depth + "x + 1" + ")" * depth + "*2")
    assert g.op_count == 2


def test_long_right_associative_power_chain() -> None:
    g = graph_of("x" + "**x" * 100_000)
    assert g.op_count == 100_000


def test_long_constant_chain_folds_in_linear_time() -> None:
    g = graph_of("x*" + "(1+" * 100_000 + "1" + ")" * 100_000)
    assert g.op_count == 1
    assert g.expr(g.output) == "c1*100001"


def test_megabyte_program() -> None:
    steps = ["v0 = x"]
    i = size = 0
    while size < 1_000_000:
        i += 1
        steps.append(f"v{i} = sin(v{i - 1})*0.5 + x*{i % 7}")
        size += len(steps[-1]) + 1
    text = "\n".join(steps)
    assert len(text) >= 1_000_000
    g = graph_of(text)
    assert g.nodes[g.output].id == f"v{i}"


def test_a_long_line_error_shows_a_window_around_the_caret() -> None:
    text = "x + " * 5000 + "2y"
    e = error(text)
    first, caret = e.render().splitlines()[:2]
    assert len(first) < 200 and first.lstrip().startswith("…")
    assert first[caret.index("^"):].startswith("2y")


def test_error_in_a_program_names_the_line() -> None:
    e = error("a = exp(x)\nb = a +* 2\ny = b")
    assert (e.line, e.column) == (2, 8)
    assert e.render().splitlines()[0] == "  line 2: b = a +* 2"


def test_newlines_inside_parentheses_continue_the_expression() -> None:
    assert len(parse("y = (x +\n 1)").statements) == 1


def test_no_user_text_is_ever_executed() -> None:
    """The modules that read user text call none of eval, exec, compile, sympify, parse_expr."""
    # (sympy's Function API has its subclasses define a method named eval: a definition, not a call)
    forbidden = re.compile(r"(?<!def )\b(eval|exec|compile|sympify|parse_expr|S)\(")
    pkg = ROOT / "gradcli"
    for path in pkg.rglob("*.py"):
        text = re.sub(r"re\.compile\(", "", path.read_text())
        assert not forbidden.search(text), path


# --- the notation of homework sheets -------------------------------------------------------------------


def same_graph(a: str, b: str) -> bool:
    """Two texts that build the same graph: the same ops, operands and constants, node by node."""
    ga, gb = graph_of(a), graph_of(b)

    def shape(g) -> list:
        return [(n.op, [a if isinstance(a, int) else a.value for a in n.args]) for n in g.nodes]

    return ga.names == gb.names and shape(ga) == shape(gb)


@pytest.mark.parametrize("sheet,ours", [
    ("exp[x]", "exp(x)"),
    ("sig[z]", "sigmoid(z)"),
    ("log[1 - sig[z]]", "log(1 - sigmoid(z))"),
    ("[x + 1]*2", "(x + 1)*2"),
    ("σ(z)", "sigmoid(z)"),
    ("\\sigma(z)", "sigmoid(z)"),
    ("\\exp(x) \\cdot \\theta", "exp(x)*θ"),
    ("x₁ + x₂", "x1 + x2"),
    ("ｘ*２", "x*2"),
    ("x² + y³", "x**2 + y**3"),
    ("-x²", "-x**2"),
    ("x⁻¹", "x**-1"),
    ("(x + 1)²", "(x + 1)**2"),
    ("2**x²", "2**(x**2)"),
    ("σ*2 + x", "σ*2 + x"),  # σ alone is a name, a standard deviation
    # the LaTeX sheets are typed in
    ("x_{1}*w_{12}", "x_1*w_12"),
    ("x_{i} + x_{j}", "x_i + x_j"),
    ("\\phi_0 * x", "φ_0*x"),
    ("\\phi_{0} + \\phi_1*x", "φ_0 + φ_1*x"),
    ("\\frac{a}{b}", "a/b"),
    ("\\frac{1}{1 + e^{-z}}", "1/(1 + e**(-z))"),
    ("\\frac {a+1} {b}", "(a + 1)/b"),
    ("\\frac{\\frac{1}{2}}{x}", "(1/2)/x"),
    ("\\sqrt{x_{1}}", "sqrt(x_1)"),
    ("\\left(x+1\\right)^2", "(x + 1)**2"),
    ("\\exp\\left(-\\frac{x^{2}}{2}\\right)", "exp(-(x**2/2))"),
    ("\\Big(x\\Big)", "x"),
    ("tanh^2(x)", "tanh(x)**2"),
    ("\\tanh^2(x) + 1", "tanh(x)**2 + 1"),
    ("\\sin^2 x + \\cos^2 x", "sin(x)**2 + cos(x)**2"),
    ("\\sin^{2}(x)", "sin(x)**2"),
    ("\\sigma^2(z)", "sigmoid(z)**2"),
    ("log^{-1}(x)", "log(x)**(-1)"),
    ("a × b", "a*b"),
    ("a · b + a ⋅ b", "a*b + a*b"),
    ("(y - y^*)^2", "(y - y_star)**2"),
    ("y^{*}", "y_star"),
    ("\\phi^*_0 + \\phi_0^*", "φ_star_0 + φ_0_star"),
])
def test_sheet_notation_builds_the_same_graph(sheet: str, ours: str) -> None:
    assert same_graph(sheet, ours)


@pytest.mark.parametrize("sheet", [
    "f1 = exp[x],\nf2 = f1**2,\nf3 = f1 + f2,\nf4 = exp[f3],\nf5 = sin[f3],\ny = f4 + f5",
    "f1 = exp(x).\nf2 = f1**2.\nf3 = f1 + f2.\nf4 = exp(f3).\nf5 = sin(f3).\ny = f4 + f5.",
    "f1 = exp(x), f2 = f1**2, f3 = f1 + f2, f4 = exp(f3), f5 = sin(f3), y = f4 + f5",
    "f1 = exp(x); f2 = f1**2; f3 = f1 + f2; f4 = exp(f3); f5 = sin(f3); y = f4 + f5,",
])
def test_steps_ended_or_separated_as_a_sheet_writes_them(sheet: str) -> None:
    g = graph_of(sheet)
    assert [n.id for n in g.nodes] == ["x", "f1", "f2", "f3", "f4", "f5", "y"] and g.function == "y"
    assert same_graph(sheet, "f1 = exp(x); f2 = f1**2; f3 = f1 + f2; f4 = exp(f3); f5 = sin(f3); y = f4 + f5")


def test_a_full_stop_after_a_number_is_part_of_it() -> None:
    assert value("y = x + 2.", x=1) == 3.0 and value("y = x*2.\nz = y + 1.", x=1) == 3.0


def test_the_output_step_may_list_the_inputs_in_their_order() -> None:
    g = graph_of("f(x2, x1) = x1 - x2")
    assert g.names == ("x2", "x1") and g.function == "f" and g.params == ("x2", "x1")
    assert evaluate(g, {"x2": 1.0, "x1": 5.0}).values[g.output] == 4.0
    # the same graph as the bare expression, numbered c1..cn, the output named f
    g = graph_of("f(x1, x2) = exp(x1)*(x1**2+x2**2)**3")
    assert [n.id for n in g.nodes][:7] == ["c1", "c2", "c3", "c4", "c5", "c6", "c7"] and g.nodes[-1].id == "f"
    # a listed input that the function does not use is an input with derivative 0
    g = graph_of("f(x, y) = x**2")
    assert g.names == ("x", "y") and any("input y does not affect" in n for n in g.notes)


@pytest.mark.parametrize("text,column,says", [
    ("rect(x)", 1, "relu(x)"),
    ("prod(a, b)", 1, "write the factors out"),
    ("softmax(z1, z2)", 1, "the index k, a whole number"),
    ("softmax(3, z1, z2)", 1, "from 1 to 2"),
    ("x[1]", 1, "x is a number, not an array"),
    ("exp[x)", 6, "closes the '['"),
    ("exp(x]", 6, "closes the '('"),
    ("x]", 2, "no matching '['"),
    ("[x", 1, "'[' is never closed"),
    ("x + inf", 5, "finite numbers only"),
    ("nan*x", 1, "finite numbers only"),
    ("x + х", 5, "CYRILLIC SMALL LETTER HA"),
    ("ехр(x)", 1, "letters of another alphabet"),
    ("f(x, x) = x", 6, "listed twice"),
    ("a = x; f(a) = a", 10, "a step, not an input"),
    ("f(x) = x; g(y) = f*y", 11, "only one step"),
    ("y = a, b", 6, "a step names one value"),
    ("x_{1", 3, "'{': it is never closed"),
    ("\\frac{a}{", 9, "never closed"),
    ("}x", 1, "no '{' opens it"),
    ("x_{1}}", 6, "no '{' opens it"),
    ("\\frac(x)", 1, "in braces, \\frac{a}{b}"),
    ("\\frac12", 1, "in braces"),
    ("y^**2", 3, "after '^'"),
])
def test_sheet_notation_errors(text: str, column: int, says: str) -> None:
    e = error(text)
    assert says in e.message and e.column == column, (e.column, e.message)


def test_the_list_of_functions_names_each_once() -> None:
    message = error("foo(x)").message
    listed = message.split("the functions are ")[1].split(", ")
    assert len(listed) == len(set(listed)) and "log" in listed and "sigmoid" in listed


def test_names_are_normalised_as_python_normalises_identifiers() -> None:
    import unicodedata

    for typed in ["x₁", "ｘ1", "𝑥1", "x\u00b9" if False else "x1"]:
        g = graph_of(f"{typed}*2")
        assert g.names == (unicodedata.normalize("NFKC", typed),) == ("x1",)


@pytest.mark.parametrize("text", ["x + 1e308*10", "x + exp(1000)", "x + 0*exp(1000)", "x*(1e200*1e200 - 1)"])
def test_a_constant_that_is_not_finite_is_a_warning(text: str) -> None:
    g = graph_of(text)
    assert any("the constant" in n and ("inf" in n or "nan" in n) for n in g.notes), g.notes


def test_a_centre_dot_between_numbers_is_their_product() -> None:
    """``0·0`` and ``2·x``: the centre dot of the sheets is a product of numbers, as * is."""
    from conftest import run_json

    assert run_json("reverse", "0·0 + 2·x", "--at", "3")["gradient"] == {"x": 2.0}
    assert run_json("reverse", "2·3·x", "--at", "1")["value"] == 6.0
