"""The Python API (gradcli/api.py): each command's result shows exactly what the command line prints for the
same arguments (JSON, the table at 80 columns, Markdown, LaTeX, DOT); a point in every form the API takes; its
errors as the command line reports them; and each result's properties against independent references."""

from __future__ import annotations

import json
import shutil
import math
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction

import pytest

import gradcli
from conftest import ROOT, clean_env, run
from gradcli import GradcliError, GradcliSyntaxError, MathError, UsageError

SEED = "exp(x1)*(x1**2+x2**2)**3"
PROGRAM = "h = tanh(w*x)\nloss = (h - 1)**2"  # named steps, one a line
TEXTBOOK = "f1 = exp(x); f2 = f1**2; f3 = f1 + f2; f4 = exp(f3); f5 = sin(f3); y = f4 + f5"
LINEAR = "(w*x + b - y)**2"
FIT = "(p0 + p1*x - y)**2"  # one sample's loss; x and y are the data's columns
PAIR = "a = x*y + z; b = z*x; a, b"  # two outputs
CUBIC = "x**2*y + y**3"
DATA = "x,y\n1,2\n2,3\n3,5\n"
DATA_PATH = "<the data file>"  # stands for the CSV file's path, in the CLI's arguments and the API's keywords


@pytest.fixture(scope="module")
def data_path(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("data") / "samples.csv"
    path.write_text(DATA)
    return str(path)


def cli(*args: str):
    """The command line in-process, as the other tests run it (80 columns, no colour, output not a terminal)."""
    return run(*args)


def cli_json(*args: str) -> dict:
    result = cli(*args, "--format", "json")
    assert result.exit_code in (0, 1), result.output  # check exits 1 when a claim is wrong, and says so in JSON
    return json.loads(result.stdout)


def cli_error(result) -> str:
    """What the command line prints after "Error: " for a usage error (click's last line)."""
    assert result.exit_code == 2, result.output
    last = result.stderr.rstrip("\n").splitlines()[-1]
    assert last.startswith("Error: "), result.stderr
    return last.removeprefix("Error: ")


def as_cli_says(e: UsageError) -> str:
    """A UsageError as the command line words it: click's "Invalid value for" where it names the option."""
    return f"Invalid value for '{e.option}': {e}" if e.option else str(e)


# --- the same arguments through the command line and through the API ------------------------------------------

# (id, command, source, the command line's options, the API's keywords); both spell the same request, the API
# often in its other forms (a list, a mapping, a sequence of names)
CASES = [
    ("reverse", "reverse", SEED, ["--at", "0,2"], {"at": "0,2"}),
    ("forward", "forward", SEED, ["--at", "0,2"], {"at": [0, 2]}),
    ("reverse-program", "reverse", PROGRAM, ["--at", "w=0.5,x=2"], {"at": {"w": 0.5, "x": 2}}),
    ("forward-program", "forward", TEXTBOOK, ["--at", "0.5"], {"at": 0.5}),
    ("reverse-let", "reverse", LINEAR, ["--at", "0.5,0.1", "--let", "x=2,y=3"],
     {"at": "0.5,0.1", "let": {"x": 2, "y": 3}}),
    ("forward-let", "forward", LINEAR, ["--at", "w=0.5,b=0.1", "--let", "x=2,y=3"],
     {"at": {"w": 0.5, "b": 0.1}, "let": "x=2,y=3"}),
    ("forward-wrt", "forward", SEED, ["--at", "0,2", "--wrt", "x2"], {"at": "0,2", "wrt": ["x2"]}),
    ("reverse-wrt", "reverse", LINEAR, ["--at", "w=0.5,b=0,x=2,y=3", "--wrt", "w,b"],
     {"at": "w=0.5,b=0,x=2,y=3", "wrt": "w,b"}),
    ("forward-direction", "forward", SEED, ["--at", "0,2", "--direction", "1,1"], {"at": "0,2", "direction": [1, 1]}),
    ("forward-data-row", "forward", FIT, ["--at", "0,1", "--data", DATA_PATH, "--row", "2"],
     {"at": "0,1", "data": DATA_PATH, "row": 2}),
    ("reverse-data-mean", "reverse", FIT, ["--at", "0,1", "--data", DATA_PATH, "--reduce", "mean"],
     {"at": "0,1", "data": DATA_PATH, "reduce": "mean"}),
    ("reverse-symbolic-exact", "reverse", "x*sin(y) + x**2", ["--at", "1/2,pi/6", "--symbolic", "--exact"],
     {"at": "1/2,pi/6", "symbolic": True, "exact": True}),
    ("reverse-cost-digits", "reverse", SEED, ["--at", "0.3,1.7", "--cost", "--digits", "3"],
     {"at": "0.3,1.7", "cost": True, "digits": 3}),
    ("forward-ascii-max-rows", "forward", TEXTBOOK, ["--at", "0.5", "--ascii", "--max-rows", "3"],
     {"at": "0.5", "ascii": True, "max_rows": 3}),
    ("reverse-prefix-no-share", "reverse", "sin(x)*sin(x)", ["--at", "1", "--prefix", "v", "--no-share"],
     {"at": "1", "prefix": "v", "share": False}),
    ("graph", "graph", SEED, [], {}),
    ("graph-at-adjoints", "graph", SEED, ["--at", "0,2", "--adjoints"], {"at": "0,2", "adjoints": True}),
    ("graph-at-no-adjoints", "graph", SEED, ["--at", "0,2", "--no-adjoints"], {"at": "0,2", "adjoints": False}),
    ("graph-tangents", "graph", SEED, ["--at", "0,2", "--tangents", "--adjoints"],
     {"at": "0,2", "tangents": True, "adjoints": True}),
    ("graph-wrt", "graph", PROGRAM, ["--at", "1,2", "--wrt", "x", "--no-adjoints"],
     {"at": [1, 2], "wrt": "x", "adjoints": False}),
    ("graph-outputs", "graph", PAIR, ["--at", "1,2,3"], {"at": "1,2,3"}),
    ("jacobian-forward", "jacobian", PAIR, ["--at", "1,2,3", "--mode", "forward"], {"at": "1,2,3", "mode": "forward"}),
    ("jacobian-reverse", "jacobian", PAIR, ["--at", "1,2,3", "--mode", "reverse", "--cost"],
     {"at": [1, 2, 3], "mode": "reverse", "cost": True}),
    ("jacobian-output", "jacobian", "a = x*y; b = a + z; c = sin(b)", ["--at", "1,2,3", "--output", "a,c"],
     {"at": "1,2,3", "output": ["a", "c"]}),
    ("jacobian-let", "jacobian", PAIR, ["--at", "1", "--let", "x=2,y=3"], {"at": [1], "let": {"x": 2, "y": 3}}),
    ("hessian", "hessian", CUBIC, ["--at", "1,2"], {"at": "1,2"}),
    ("hessian-direction", "hessian", CUBIC, ["--at", "1,2", "--direction", "1,0"], {"at": "1,2", "direction": [1, 0]}),
    ("hessian-wrt", "hessian", LINEAR, ["--at", "w=0.5,b=0,x=2,y=3", "--wrt", "w,b"],
     {"at": "w=0.5,b=0,x=2,y=3", "wrt": "w,b"}),
    ("hessian-data", "hessian", FIT, ["--at", "0,1", "--data", DATA_PATH], {"at": "0,1", "data": DATA_PATH}),
    ("hessian-exact", "hessian", "x**3*y", ["--at", "1/3,2", "--exact", "--symbolic"],
     {"at": [Fraction(1, 3), 2], "exact": True, "symbolic": True}),
    ("check-proved", "check", "x**2*y", ["--claim", "[2*x*y, x**2]"], {"claims": "[2*x*y, x**2]"}),
    ("check-different", "check", "x**2*y", ["--claim", "[2*x, x**2]"], {"claims": "[2*x, x**2]"}),
    ("check-repeated-claims", "check", "x**2*y", ["--claim", "2*x*y", "--claim", "x**2"],
     {"claims": ["2*x*y", "x**2"]}),
    ("check-wrt-at", "check", "h = x*y; f = h**2", ["--claim", "2*x", "--wrt", "h", "--at", "1,2"],
     {"claims": "2*x", "wrt": ["h"], "at": "1,2"}),
    ("check-let", "check", "(w*x - y)**2", ["--claim", "4*(2*w - 3)", "--let", "x=2,y=3"],
     {"claims": "4*(2*w - 3)", "let": {"x": 2, "y": 3}}),
    ("gradcheck", "gradcheck", CUBIC, ["--at", "1,2"], {"at": "1,2"}),
    ("gradcheck-claim-wrt-step", "gradcheck", CUBIC, ["--at", "1,2", "--claim", "y=1", "--wrt", "y", "--step", "1e-4"],
     {"at": [1, 2], "claim": {"y": 1}, "wrt": "y", "step": 1e-4}),
    ("descend-momentum", "descend", "(w*x - y)**2", ["--at", "0", "--let", "x=2,y=3", "--momentum", "0.9",
                                                     "--steps", "5", "--lr", "0.05"],
     {"at": 0, "let": "x=2,y=3", "momentum": 0.9, "steps": 5, "lr": 0.05}),
    ("descend-decay-until", "descend", "x**2 + y**2", ["--at", "1,2", "--weight-decay", "0.01", "--lr", "0.25",
                                                       "--steps", "100", "--until-grad", "1e-3"],
     {"at": [1, 2], "weight_decay": 0.01, "lr": 0.25, "steps": 100, "until_grad": 1e-3}),
    ("descend-data-batch", "descend", FIT, ["--at", "0,1", "--data", DATA_PATH, "--batch", "2", "--reduce", "mean",
                                            "--steps", "4", "--lr", "0.02"],
     {"at": "0,1", "data": DATA_PATH, "batch": 2, "reduce": "mean", "steps": 4, "lr": 0.02}),
    ("descend-wrt", "descend", LINEAR, ["--at", "w=0,b=0,x=2,y=3", "--wrt", "w", "--steps", "2"],
     {"at": "w=0,b=0,x=2,y=3", "wrt": "w", "steps": 2}),
]

FORMATS = {"forward": ("table", "markdown", "latex"), "reverse": ("table", "markdown", "latex"),
           "graph": ("table", "markdown", "latex", "dot", "mermaid", "svg"), "jacobian": ("table", "markdown", "latex"),
           "hessian": ("table", "markdown", "latex"), "check": ("table", "markdown", "latex"),
           "descend": ("table", "markdown", "latex"), "gradcheck": ("table", "markdown", "latex")}


def test_the_cases_cover_every_command_and_format() -> None:
    from gradcli.render import COMMANDS, formats

    assert {command for _, command, *_ in CASES} == set(COMMANDS)
    for command in COMMANDS:
        assert set(FORMATS[command]) | {"json"} == set(formats(command)), command


def _both(case, data_path: str):
    """The command line's arguments and the API's result for a case."""
    _, command, source, options, keywords = case
    options = [data_path if o == DATA_PATH else o for o in options]
    keywords = {k: data_path if v == DATA_PATH else v for k, v in keywords.items()}
    return [command, source, *options], getattr(gradcli, command)(source, **keywords)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_to_dict_is_the_commands_json(case, data_path: str) -> None:
    args, result = _both(case, data_path)
    doc = result.to_dict()
    assert doc == cli_json(*args)
    assert doc["command"] == case[1] and doc["source"] == case[2]


@pytest.mark.parametrize("case,fmt", [(c, f) for c in CASES for f in FORMATS[c[1]]],
                         ids=[f"{c[0]}-{f}" for c in CASES for f in FORMATS[c[1]]])
def test_each_format_is_what_the_command_prints(case, fmt: str, data_path: str) -> None:
    args, result = _both(case, data_path)
    out = cli(*args, "--width", "80", *(["--format", fmt] if fmt != "table" else []))
    assert out.exit_code == getattr(result, "exit_code", 0), out.output
    shown = str(result) if fmt == "table" else result.render(fmt)
    assert shown == out.stdout
    assert shown.strip()
    # a notebook shows the Markdown (or, exported, the LaTeX); a graph shows its picture instead (Graphviz's or
    # gradcli's own), and then leaves the two out, as a front end would show them before the picture
    pictured = result.command == "graph"
    if fmt == "markdown":
        assert result._repr_markdown_() == (None if pictured else out.stdout)
    if fmt == "latex":
        assert result._repr_latex_() == (None if pictured else out.stdout)
    if fmt == "dot":
        assert result.dot() == out.stdout
    if fmt == "mermaid":
        assert result.mermaid() == out.stdout
    if fmt == "svg" and shutil.which("dot") is None:
        assert result.svg() == out.stdout


def test_data_from_standard_input_is_read_data_with_text() -> None:
    table = gradcli.read_data("standard input", DATA)
    result = gradcli.reverse(FIT, at="0,1", data=table)
    out = run("reverse", FIT, "--at", "0,1", "--data", "-", "--format", "json", input=DATA)
    assert out.exit_code == 0, out.output
    assert result.to_dict() == json.loads(out.stdout)
    # the loss summed over the rows, worked out here: d/dp0 = sum 2(p0 + p1 x - y), d/dp1 = sum 2(p0 + p1 x - y) x
    rows = [(1, 2), (2, 3), (3, 5)]
    assert result.total["value"] == sum((0 + 1 * x - y) ** 2 for x, y in rows)
    assert result.total["gradient"] == {"p0": sum(2 * (x - y) for x, y in rows),
                                        "p1": sum(2 * (x - y) * x for x, y in rows)}


def test_graph_at_a_point_has_adjoints_unless_asked_not_to() -> None:
    # a graph result is shown as a table by default, with its adjoints; the command line's JSON leaves them
    # out unless --adjoints asks: to_dict() is the JSON of what was computed
    assert gradcli.graph(SEED, at="0,2").to_dict() == cli_json("graph", SEED, "--at", "0,2", "--adjoints")
    assert gradcli.graph(SEED, at="0,2", adjoints=False).to_dict() == cli_json("graph", SEED, "--at", "0,2")


# --- a point in each form the API takes -------------------------------------------------------------------------


@pytest.mark.parametrize("at", ["0,2", "x1=0,x2=2", {"x1": 0, "x2": 2}, {"x2": 2, "x1": 0}, [0, 2], (0.0, 2.0),
                                {"x1": "0", "x2": "4/2"}, [Fraction(0), Fraction(2)], iter([0, 2])],
                         ids=["text", "text-by-name", "dict", "dict-out-of-order", "list", "tuple-of-floats",
                              "dict-of-text", "fractions", "iterator"])
def test_every_form_of_the_point_is_the_same_as_at_0_2(at) -> None:
    result = gradcli.reverse(SEED, at=at)
    assert result.point == {"x1": 0.0, "x2": 2.0}
    assert result.to_dict() == cli_json("reverse", SEED, "--at", "0,2")
    assert str(result) == cli("reverse", SEED, "--at", "0,2", "--width", "80").stdout


def test_a_dict_of_constant_expressions() -> None:
    result = gradcli.reverse("sin(x)*y", at={"x": "pi/4", "y": "2"})
    assert result.point == {"x": math.pi / 4, "y": 2.0}
    assert result.gradient == pytest.approx({"x": 2 * math.cos(math.pi / 4), "y": math.sin(math.pi / 4)},
                                            rel=1e-15)
    assert result.to_dict() == cli_json("reverse", "sin(x)*y", "--at", "x=pi/4,y=2")


def test_a_fraction_stays_exact() -> None:
    third = Fraction(1, 3)
    result = gradcli.reverse("x**2 + x", at=third, exact=True)
    doc = result.to_dict()
    assert doc == cli_json("reverse", "x**2 + x", "--at", "1/3", "--exact")
    # f(1/3) = 1/9 + 1/3 and f'(1/3) = 2/3 + 1, as fractions, where floats would round
    assert doc["exact"]["value"] == str(third ** 2 + third) == "4/9"
    assert doc["exact"]["gradient"] == {"x": str(2 * third + 1)} == {"x": "5/3"}
    assert doc["exact"]["values"]["c1"] == "1/3"
    # the same number typed as a float is the float's decimal, not 1/3
    rounded = gradcli.reverse("x**2 + x", at=float(third), exact=True).to_dict()
    assert rounded["exact"]["values"]["c1"] != "1/3"
    assert Fraction(rounded["exact"]["values"]["c1"]) == Fraction(repr(float(third)))
    # in a mapping or a list too
    for at in ({"x": third}, [third]):
        assert gradcli.reverse("x**2 + x", at=at, exact=True).to_dict() == doc


def test_a_decimal_and_an_object_with_float_are_numbers() -> None:
    class Half:
        def __float__(self) -> float:
            return 0.5

    assert gradcli.reverse("x**2", at=Decimal("0.1"), exact=True).to_dict()["exact"]["gradient"] == {"x": "1/5"}
    assert gradcli.reverse("x**3", at=Half()).gradient == {"x": 0.75}
    assert gradcli.reverse("x*y", at={"x": Half(), "y": 4}).gradient == {"x": 4.0, "y": 0.5}


def test_numpy_scalars_are_numbers() -> None:
    np = pytest.importorskip("numpy")
    expected = cli_json("reverse", "x**2*y", "--at", "0.25,3")
    for at in ([np.float64(0.25), np.int64(3)], {"x": np.float32(0.25), "y": np.float64(3.0)},
               np.array([0.25, 3.0])):
        assert gradcli.reverse("x**2*y", at=at).to_dict() == expected


def test_a_bool_is_not_a_number() -> None:
    with pytest.raises(UsageError, match="True is not a number"):
        gradcli.reverse("x**2", at=True)


# --- the example from the issue ---------------------------------------------------------------------------------


def test_the_issues_example_against_sympy() -> None:
    sympy = pytest.importorskip("sympy")
    x1, x2 = sympy.symbols("x1 x2")
    f = sympy.sympify(SEED, locals={"x1": x1, "x2": x2})  # a trusted string, parsed in the test only
    at = {x1: 0, x2: 2}
    exact_value = f.subs(at)
    exact_gradient = {str(v): sympy.diff(f, v).subs(at) for v in (x1, x2)}
    assert exact_value == 64 and exact_gradient == {"x1": 64, "x2": 192}  # sympy's own, exactly

    r = gradcli.reverse(SEED, at={"x1": 0, "x2": 2})
    assert r.value == float(exact_value) == 64
    assert r.gradient == {name: float(g) for name, g in exact_gradient.items()} == {"x1": 64.0, "x2": 192.0}
    fwd = gradcli.forward(SEED, at={"x1": 0, "x2": 2})
    assert fwd.value == r.value and fwd.gradient == r.gradient
    # away from the integers too, within rounding
    at = {x1: sympy.Rational(3, 10), x2: sympy.Rational(-7, 5)}
    r = gradcli.reverse(SEED, at={"x1": "0.3", "x2": "-1.4"})
    fwd = gradcli.forward(SEED, at=[0.3, -1.4])
    for name, v in (("x1", x1), ("x2", x2)):
        truth = float(sympy.diff(f, v).subs(at))
        assert math.isclose(r.gradient[name], truth, rel_tol=1e-13)
        assert math.isclose(fwd.gradient[name], truth, rel_tol=1e-13)
    assert math.isclose(r.value, float(f.subs(at)), rel_tol=1e-14)


# --- errors -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source,at,prefix", [
    ("exp(x1)*(x1**2+x2**2)**", "0,2", ""),  # the expression ends too soon
    ("x*y", "1,q", "--at "),  # the point
    ("h = x*\ny = h + 1", "1", "line 1: "),  # a program: the line is named
])
def test_a_syntax_error_has_the_caret_and_renders_as_the_command_line_prints(source: str, at: str,
                                                                               prefix: str) -> None:
    with pytest.raises(GradcliSyntaxError) as caught:
        gradcli.reverse(source, at=at)
    e = caught.value
    assert isinstance(e, GradcliError) and e.exit_code == 2
    out = cli("reverse", source, "--at", at)
    assert out.exit_code == 2 and out.stdout == ""
    assert e.render() + "\n" == out.stderr
    shown, caret = out.stderr.splitlines()[:2]
    text = str(e).splitlines()
    assert text[0] == f"{e.message} (at {e.where})"
    assert text[1:] == [shown, caret]  # the line, and the caret under the mistake
    assert shown.startswith("  " + prefix) and set(caret.strip()) == {"^"}
    # the caret stands under the column the message names
    assert caret.index("^") - len("  " + prefix) == e.column - 1


OPTION_ERRORS = [
    ("wrt-and-direction", lambda: gradcli.forward(SEED, "0,2", wrt="x1", direction="1,0"),
     ["forward", SEED, "--at", "0,2", "--wrt", "x1", "--direction", "1,0"]),
    ("hessian-wrt-and-direction", lambda: gradcli.hessian(SEED, "0,2", wrt=["x1"], direction=[1, 0]),
     ["hessian", SEED, "--at", "0,2", "--wrt", "x1", "--direction", "1,0"]),
    ("row-without-data", lambda: gradcli.reverse(SEED, "0,2", row=2), ["reverse", SEED, "--at", "0,2", "--row", "2"]),
    ("reduce-without-data", lambda: gradcli.forward(SEED, "0,2", reduce="mean"),
     ["forward", SEED, "--at", "0,2", "--reduce", "mean"]),
    ("lr-zero", lambda: gradcli.descend("x**2", "1", lr=0), ["descend", "x**2", "--at", "1", "--lr", "0"]),
    ("lr-negative", lambda: gradcli.descend("x**2", "1", lr=-0.5), ["descend", "x**2", "--at", "1", "--lr", "-0.5"]),
    ("momentum-1", lambda: gradcli.descend("x**2", "1", momentum=1.0),
     ["descend", "x**2", "--at", "1", "--momentum", "1.0"]),
    ("steps-negative", lambda: gradcli.descend("x**2", "1", steps=-1),
     ["descend", "x**2", "--at", "1", "--steps", "-1"]),
    ("width-too-small", lambda: gradcli.reverse("x", "1", width=10),
     ["reverse", "x", "--at", "1", "--width", "10"]),
    ("until-grad-zero", lambda: gradcli.descend("x**2", "1", until_grad=0),
     ["descend", "x**2", "--at", "1", "--until-grad", "0"]),
    ("mode-unknown", lambda: gradcli.jacobian(PAIR, "1,2,3", mode="sideways"),
     ["jacobian", PAIR, "--at", "1,2,3", "--mode", "sideways"]),
]


@pytest.mark.parametrize("name,call,args", OPTION_ERRORS,
                         ids=[c.values[0] if hasattr(c, "values") else c[0] for c in OPTION_ERRORS])
def test_options_that_do_not_go_together_raise_the_command_lines_usage_error(name, call, args) -> None:
    with pytest.raises(UsageError) as caught:
        call()
    e = caught.value
    assert isinstance(e, GradcliError) and e.exit_code == 2
    assert as_cli_says(e) == cli_error(cli(*args))


def test_the_options_that_are_wrong_are_named() -> None:
    for call, option in ((lambda: gradcli.descend("x**2", "1", lr=0), "--lr"),
                         (lambda: gradcli.descend("x**2", "1", momentum=1.0), "--momentum"),
                         (lambda: gradcli.descend("x**2", "1", steps=-1), "--steps"),
                         (lambda: gradcli.reverse("x", "1", digits=0), "--digits"),
                         (lambda: gradcli.forward(SEED, "0,2", wrt="x1", direction="1,0"), None)):
        with pytest.raises(UsageError) as caught:
            call()
        assert caught.value.option == option


def test_an_unknown_keyword_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="'widht'") as caught:
        gradcli.reverse(SEED, at="0,2", widht=100)
    assert "width" in str(caught.value).split(";", 1)[1]  # it names the display options there are
    assert not isinstance(caught.value, GradcliError)
    for command, args in (("forward", (SEED, "0,2")), ("graph", (SEED,)), ("jacobian", (PAIR, "1,2,3")),
                          ("hessian", (CUBIC, "1,2")), ("check", ("x**2", "2*x")), ("descend", ("x**2", "1"))):
        with pytest.raises(TypeError, match="'widht'"):
            getattr(gradcli, command)(*args, widht=100)
    assert cli("reverse", SEED, "--at", "0,2", "--widht", "100").exit_code == 2  # the CLI refuses it too


def test_a_math_error_exits_1_as_the_command_line_does() -> None:
    with pytest.raises(MathError) as caught:
        gradcli.reverse("sqrt(x)", at=-1)
    e = caught.value
    assert isinstance(e, GradcliError) and e.exit_code == 1
    assert (e.node, e.definition, e.operands) == ("c2", "sqrt(c1)", "c1 = -1")
    out = cli("reverse", "sqrt(x)", "--at", "-1")
    assert out.exit_code == e.exit_code == 1
    assert out.stderr == e.render() + "\n" and e.render().startswith("math error: ")
    with pytest.raises(MathError):
        gradcli.forward("sqrt(x)", at={"x": "-1"})
    assert gradcli.reverse("sqrt(x)", at=4).gradient == {"x": 0.25}  # where it is defined, it is not an error


# --- what each result holds -------------------------------------------------------------------------------------


def _ids(result) -> list[str]:
    return [n["id"] for n in result.to_dict()["nodes"]]


def test_forward_tangents() -> None:
    r = gradcli.forward(SEED, at="0,2")
    ids = _ids(r)
    assert r.tangents == r.to_dict()["tangents"]
    assert list(r.tangents) == ["x1", "x2"]
    for name, tangents in r.tangents.items():
        assert list(tangents) == ids
        # the seed: 1 for this input's node, 0 for the other's; the output's tangent is the partial
        assert {i: tangents[i] for i in ("c1", "c2")} == {"c1": float(name == "x1"), "c2": float(name == "x2")}
        assert tangents[r.to_dict()["output"]] == r.gradient[name]
    assert r.gradient == gradcli.reverse(SEED, at="0,2").gradient
    only = gradcli.forward(SEED, at="0,2", wrt="x2")
    assert list(only.tangents) == ["x2"] and only.gradient == {"x2": 192.0}
    along = gradcli.forward(SEED, at="0,2", direction=[1, -3])
    assert list(along.tangents) == ["direction"] and along.gradient is None
    g = r.gradient
    assert along.directional == 1 * g["x1"] - 3 * g["x2"] == along.tangents["direction"]["c8"]


def test_reverse_adjoints_are_keyed_by_node_id() -> None:
    r = gradcli.reverse(PROGRAM, at="w=0.5,x=2")
    doc = r.to_dict()
    assert set(r.adjoints) == set(_ids(r)) and "loss" in r.adjoints and "h" in r.adjoints
    assert r.adjoints == doc["adjoints"]
    assert r.adjoints[doc["output"]] == 1.0  # the seed
    assert {name: r.adjoints[name] for name in ("w", "x")} == r.gradient
    # loss = (h - 1)**2: its adjoint at h is 2(h - 1), with h = tanh(w x)
    h = math.tanh(0.5 * 2)
    assert math.isclose(r.adjoints["h"], 2 * (h - 1), rel_tol=1e-15)
    assert r.values["h"] == h and r.value == (h - 1) ** 2
    assert not hasattr(r, "tangents")


def _jacobian_of_pair(x: float, y: float, z: float) -> list[list[float]]:
    # a = x*y + z, b = z*x: rows a, b; columns x, y, z
    return [[y, x, 1.0], [z, 0.0, x]]


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian(mode: str) -> None:
    j = gradcli.jacobian(PAIR, at="1,2,3", mode=mode)
    assert j.mode == mode and j.outputs == ("a", "b") and j.inputs == ("x", "y", "z")
    assert j.jacobian == _jacobian_of_pair(1, 2, 3)
    assert j.value == {"a": 1 * 2 + 3, "b": 3 * 1}
    doc = j.to_dict()
    assert doc["mode"] == mode and doc["outputs"] == list(j.outputs)
    assert doc["jacobian"] == {o: dict(zip(j.inputs, row)) for o, row in zip(j.outputs, j.jacobian)}
    other = gradcli.jacobian(PAIR, at="1,2,3", mode="reverse" if mode == "forward" else "forward")
    assert other.jacobian == j.jacobian and other.mode != j.mode


def test_jacobian_against_sympy() -> None:
    sympy = pytest.importorskip("sympy")
    x, y, z = sympy.symbols("x y z")
    outputs = sympy.Matrix([sympy.sin(x * y) + z, z * sympy.exp(x)])
    at = {x: sympy.Rational(1, 2), y: sympy.Rational(3, 2), z: -2}
    truth = outputs.jacobian([x, y, z]).subs(at)
    j = gradcli.jacobian("a = sin(x*y) + z; b = z*exp(x); a, b", at="0.5,1.5,-2")
    assert len(j.jacobian) == 2 and all(len(row) == 3 for row in j.jacobian)
    for i in range(2):
        for k in range(3):
            assert math.isclose(j.jacobian[i][k], float(truth[i, k]), rel_tol=1e-14, abs_tol=1e-15), (i, k)


def _eigenvalues_2x2(h: list[list[float]]) -> list[float]:
    half_trace = (h[0][0] + h[1][1]) / 2
    det = h[0][0] * h[1][1] - h[0][1] * h[1][0]
    root = math.sqrt(half_trace ** 2 - det)
    return [half_trace - root, half_trace + root]


@pytest.mark.parametrize("source,at,kind", [
    (CUBIC, (1, 2), "positive definite"),
    ("x**2 - y**2 + x*y", (0.5, 1), "indefinite"),
    ("-x**2 - 3*y**2 + x*y", (1, -1), "negative definite"),
])
def test_hessian(source: str, at: tuple, kind: str) -> None:
    sympy = pytest.importorskip("sympy")
    x, y = sympy.symbols("x y")
    f = sympy.sympify(source, locals={"x": x, "y": y})
    truth = [[float(sympy.diff(f, a, b).subs({x: at[0], y: at[1]})) for b in (x, y)] for a in (x, y)]
    h = gradcli.hessian(source, at=list(at))
    assert h.hessian == truth
    assert h.eigenvalues == pytest.approx(_eigenvalues_2x2(truth), rel=1e-12)
    assert h.definiteness == kind
    assert h.to_dict()["hessian"] == {"x": dict(zip("xy", truth[0])), "y": dict(zip("xy", truth[1]))}
    assert h.hessian_vector is None
    hv = gradcli.hessian(source, at=list(at), direction=[2, -1])
    assert hv.hessian is None and hv.eigenvalues is None and hv.definiteness is None
    assert hv.hessian_vector == pytest.approx({"x": 2 * truth[0][0] - truth[0][1], "y": 2 * truth[1][0] - truth[1][1]},
                                              rel=1e-15)


def test_check_verdicts() -> None:
    proved = gradcli.check("x**2*y", "[2*x*y, x**2]")
    assert proved.verdict == "proved" and bool(proved) is True and proved.exit_code == 0
    assert [v.status for v in proved.verdicts] == ["proved", "proved"]
    wrong = gradcli.check("x**2*y", ["2*x", "x**2"])
    assert wrong.verdict == "different" and bool(wrong) is False and wrong.exit_code == 1
    assert [v.status for v in wrong.verdicts] == ["different", "proved"]
    # at the counterexample, the claim and the derivative 2xy really differ
    claim = next(c for c in wrong.to_dict()["claims"] if c["verdict"] == "different")
    p = claim["point"]
    assert claim["claim_value"] == pytest.approx(2 * p["x"], rel=1e-12)
    assert claim["derivative_value"] == pytest.approx(2 * p["x"] * p["y"], rel=1e-12)
    assert claim["claim_value"] != pytest.approx(claim["derivative_value"])
    assert cli("check", "x**2*y", "--claim", "[2*x*y, x**2]").exit_code == proved.exit_code
    assert cli("check", "x**2*y", "--claim", "[2*x, x**2]").exit_code == wrong.exit_code


def test_check_with_no_claims_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as caught:
        gradcli.check("x**2", [])
    assert caught.value.option == "--claim"


def _descent(grad, start: list[float], lr: float, steps: int, beta: float = 0.0, decay: float = 0.0,
             until: float | None = None) -> list[list[float]]:
    """The parameters at each step, by the rules the help gives: m ← β·m + (1 − β)·∇L, φ ← (1 − λ)·φ − α·m."""
    params, m, seen = list(start), [0.0] * len(start), [list(start)]
    for _ in range(steps):
        g = grad(params)
        if until is not None and math.sqrt(sum(v * v for v in g)) <= until:
            break
        m = [beta * mi + (1 - beta) * gi for mi, gi in zip(m, g)] if beta else g
        params = [(1 - decay) * p - lr * mi for p, mi in zip(params, m)]
        seen.append(list(params))
    return seen


def test_descend_with_momentum() -> None:
    # (w x - y)**2 at x = 2, y = 3: dL/dw = 2(2w - 3)·2
    d = gradcli.descend("(w*x - y)**2", at=0, let={"x": 2, "y": 3}, lr=0.05, steps=6, momentum=0.9)
    expected = _descent(lambda p: [4 * (2 * p[0] - 3)], [0.0], 0.05, 6, beta=0.9)
    assert len(d.steps) == 7 and [s.t for s in d.steps] == list(range(7))
    for step, params in zip(d.steps, expected):
        assert step.params == pytest.approx(tuple(params), rel=1e-12, abs=1e-15)
    w = expected[-1][0]
    assert d.params == pytest.approx({"w": w}, rel=1e-12)
    assert d.value == pytest.approx((2 * w - 3) ** 2, rel=1e-12)
    assert d.gradient == pytest.approx({"w": 4 * (2 * w - 3)}, rel=1e-12)
    assert d.stopped == "steps" and d.inputs == ("w",)
    plain = gradcli.descend("(w*x - y)**2", at=0, let={"x": 2, "y": 3}, lr=0.05, steps=6)
    assert plain.params["w"] != pytest.approx(w)  # the momentum made a difference


def test_descend_stops_where_the_gradient_is_small() -> None:
    d = gradcli.descend("x**2 + y**2", at=[1, 2], lr=0.25, steps=100, weight_decay=0.01, until_grad=1e-3)
    expected = _descent(lambda p: [2 * p[0], 2 * p[1]], [1.0, 2.0], 0.25, 100, decay=0.01, until=1e-3)
    assert d.stopped == "gradient" and len(d.steps) == len(expected) < 100
    assert d.params == pytest.approx(dict(zip("xy", expected[-1])), rel=1e-12)
    assert math.hypot(*d.gradient.values()) <= 1e-3 < math.hypot(*d.steps[-2].gradient)
    assert gradcli.descend("exp(x**2)", at=1, lr=10, steps=50).stopped == "diverged"


def test_results_hold_their_point_and_inputs() -> None:
    r = gradcli.reverse(LINEAR, at="w=0.5,b=0,x=2,y=3", wrt="w,b")
    assert r.inputs == ("b", "w") and r.source == LINEAR
    assert set(r.gradient) == {"w", "b"}
    assert r.gradient == pytest.approx({"w": 2 * (0.5 * 2 - 3) * 2, "b": 2 * (0.5 * 2 - 3)})
    assert gradcli.graph(SEED).point is None and gradcli.graph(SEED).value is None


@pytest.mark.parametrize("make", [
    lambda: gradcli.forward(SEED, at="0,2"),
    lambda: gradcli.reverse(PROGRAM, at="w=0.5,x=2"),
    lambda: gradcli.graph(PROGRAM),
    lambda: gradcli.graph(SEED, at="0,2"),
    lambda: gradcli.jacobian(PAIR, at="1,2,3"),
    lambda: gradcli.hessian(CUBIC, at="1,2"),
    lambda: gradcli.check("x**2*y", "[2*x*y, x**2]"),
    lambda: gradcli.descend("x**2", at=1, steps=3),
], ids=["forward", "reverse", "graph", "graph-at", "jacobian", "hessian", "check", "descend"])
def test_repr_is_one_short_line(make) -> None:
    result = make()
    text = repr(result)
    assert "\n" not in text and len(text) <= 160, text
    assert text.startswith(f"<gradcli {result.command}: ") and text.endswith(">")
    assert text != str(result)
    gradient = getattr(result, "gradient", None)
    if gradient is not None:
        assert all(f"{k}: {v!r}" in text for k, v in gradient.items()), text


def test_a_long_repr_is_cut() -> None:
    names = [f"x{i}" for i in range(300)]
    text = repr(gradcli.reverse("+".join(names), [1] * 300))
    assert len(text) <= 240 and "294 more" in text, text
    d = gradcli.descend("x**2", "1", steps=2, lr=0.1)  # x: 1 -> 0.8 -> 0.64, loss 0.64**2
    assert repr(d) == "<gradcli descend: f from (x=1.0) to (x=0.64) after 2 steps (steps) loss=0.4096 gradient={x: 1.28}>"


def test_the_api_functions_are_not_shadowed_by_modules() -> None:
    import gradcli.api
    import gradcli.core.graph
    import gradcli.engine.descend
    import gradcli.exact.check  # noqa: F401

    for name in ("check", "descend", "graph", "forward", "reverse", "jacobian", "hessian"):
        assert getattr(gradcli, name) is getattr(gradcli.api, name), name
    assert gradcli.check("x**2", "2*x").verdict == "proved"
    # in a fresh interpreter, the modules imported first
    code = ("import gradcli.exact.check, gradcli.engine.descend, gradcli.core.graph, gradcli, gradcli.api, types; "
            "print(all(getattr(gradcli, n) is getattr(gradcli.api, n) and isinstance(getattr(gradcli, n), "
            "types.FunctionType) for n in ('check', 'descend', 'graph')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=clean_env())
    assert proc.stdout.strip() == "True", proc.stderr
