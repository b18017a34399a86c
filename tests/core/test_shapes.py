"""The ways to build a graph agree: ``graph_of`` (which builds plain lines from their shapes, and has the parser
read a line the shape cannot take), the general way in one pass (the parser hands each statement to the builder),
and ``build(parse(...))`` (the whole source parsed first, then built).

Each case builds its source with the same options and compares every column of the graphs; where one way raises,
the other must raise the same error, with the same message, caret and span. Errors are told in the order of the
source, so where a source has two, ``build(parse(...))`` (which parses all of it first) may tell a later syntax
error instead of an earlier step's: it is compared where the source builds."""

from __future__ import annotations

import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT

from gradcli.errors import GradcliError, GradcliSyntaxError
from gradcli.core.graph import _builder, build, graph_of, paused_gc
from gradcli.core.parse import MAX_OPERATIONS, parse

sys.path.insert(0, str(ROOT / "bench"))

from programs import program  # noqa: E402


# --- comparing the two ways ---------------------------------------------------------------------------------

def snapshot(g) -> dict:
    """Everything a graph holds that the rest of gradcli reads."""
    return {
        "nodes": list(g.nodes), "ids": list(g.ids), "names": g.names, "inputs": g.inputs, "output": g.output,
        "outputs": g.outputs, "functions": g.functions, "function": g.function, "constants": g.constants,
        "notes": g.notes, "is_program": g.is_program, "params": g.params, "data": g.data,
        "data_names": g.data_names, "codes": tuple(g.codes), "starts": tuple(g.starts), "flat": tuple(g.flat),
        "consts": list(g.consts),
    }


def outcome(make) -> tuple:
    """("graph", snapshot) or ("error", type, message, and for a syntax error where its caret is)."""
    try:
        graph = make()
    except GradcliError as e:
        where = (e.source, e.offset, e.length, e.prefix, e.line, e.column) if isinstance(e, GradcliSyntaxError) \
            else ()
        return ("error", type(e), str(e), where)
    return ("graph", snapshot(graph))


def streamed(source: str, prefix: str = "c", share: bool = True, outputs: str | None = None,
             held: tuple = (), columns: tuple = ()):
    """The general way in one pass: the parser hands each statement to the builder as it reads it."""
    with paused_gc():
        builder = _builder(source, prefix, share, outputs)
        builder.parse()
        return builder.build(outputs, tuple(held), tuple(columns))


def both(source: str, **options) -> tuple[tuple, tuple]:
    """graph_of (shapes where it can) and the general way in one pass; where the source has no error, both must
    also be what parsing the whole source first and then building gives."""
    fast = outcome(lambda: graph_of(source, **options))
    general = outcome(lambda: streamed(source, **options))
    if general[0] == "graph":
        assert outcome(lambda: build(parse(source), **options)) == general, source
    return fast, general


def assert_agree(source: str, **options) -> tuple:
    fast, general = both(source, **options)
    if fast[0] == general[0] == "graph":
        for key, value in general[1].items():  # the first column that differs, named
            assert fast[1][key] == value, f"{key} differs for {source!r} {options}"
    assert fast == general, f"graph_of and build(parse()) disagree on {source!r} {options}:\n" \
                            f"  graph_of: {fast[:3]}\n  build:    {general[:3]}"
    return general


# --- the benchmark's generated programs ----------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2, 3, 7])
def test_bench_programs(seed: int) -> None:
    src = program(300, seed)
    assert assert_agree(src)[0] == "graph"
    # the same program with blank lines, indents and trailing spaces between its steps
    assert_agree("\n" + src.replace("\n", "  \n\n\t") + "\n\n")


def test_bench_program_longer_than_one_chunk() -> None:
    """More than 64K characters: the fast path reads the source in chunks of lines."""
    src = program(5000, 3)
    assert len(src) > 1 << 16
    assert assert_agree(src)[0] == "graph"


@pytest.mark.parametrize("options", [
    {"share": False}, {"prefix": "v"}, {"outputs": "v1,v2"}, {"outputs": "v299"}, {"outputs": "v1,nope"},
    {"outputs": "x0"}, {"held": ("x0",)}, {"held": ("x3", "x1")}, {"columns": ("x0", "y")},
    {"held": ("x1",), "columns": ("x2", "x1")},
], ids=repr)
def test_bench_program_with_options(options: dict) -> None:
    assert_agree(program(300, 5), **options)


# --- hand-written programs -----------------------------------------------------------------------------------

PROGRAMS = {
    # numbers
    "numbers": "v1 = x*2\nv2 = 0.5*v1 + x*3\nv3 = v2*1e-3 + .5*x - 2.*v1\nv3",
    "exponents": "y = x*1E3 + x*2.5e-3 + x*3e+2",
    "number dot exponent": "y = 2.e3*x",
    "number dot name": "y = 2.x",
    "number times name": "y = 2x",
    "number e name": "y = 2e*x",
    "same number twice": "a = x*2\nb = x*2.0\nc = a + b",
    "huge number": "y = x*1e999",
    # constants pi and e
    "pi and e read": "y = pi*x + e*x\nz = y*pi",
    "e assigned before read": "e = 2\ny = e*x",
    "e assigned after read": "y = e*x\ne = 2",
    "e assigned a node after read": "y = e*x\ne = x*3\nz = e",
    "pi assigned a node": "pi = exp(x)\ny = pi*x",
    "pi assigned a constant of itself": "pi = exp(pi)\ny = x*pi",
    "constant named": "lr = 0.1\ny = lr*x\nz = y - lr",
    "constant folded from a named one": "lr = 0.1\nk = lr*2\ny = k*x",
    "constant step output": "y = 2",
    "constant bare output": "x = 3\n2*x",
    # names
    "step assigned twice": "y = x*2\ny = x*3",
    "step assigned twice, simple": "y = exp(x)\ny = exp(x)",
    "input assigned": "y = x*2\nx = 3*y",
    "reads its own name": "x = x + 1",
    "reads its own name, simple": "x = exp(x)",
    "reads its own new name": "y = y*2",
    "rename of an input": "y = x\nz = y*2",
    "rename of a step": "v5 = x*2\ny = v5\nz = y + 1",
    "renames twice": "y = x\nz = x\nw = z*y",
    "copy node": "a = x*y\nb = x*y\nb",
    "copy node simple": "a = exp(x)\nb = exp(x)\nc = a + b",
    "copy of a copy": "a = x*y\nb = a\nc = a\nd = b + c",
    "copy of an input": "a = x\nb = x\nc = a*b",
    "shared subexpression": "a = exp(x) + sin(x)\nb = exp(x)*sin(x)\nc = a - b",
    "unused input": "f(x, y) = x*2",
    "unused step": "a = x*2\nb = x*3\nb",
    "generated ids clash": "c1 = x*2\nc3 = c1 + x\nsin(c3)*c1",
    "names like ids, bare": "c1*c2 + exp(c1)",
    "names with digits and e": "y = x2e3*2 + x2E3\nz = y*_a_1",
    "underscore names": "_ = x*2\n__ = _*_",
    # bare expressions
    "bare expression last": "y = x*2\ny + exp(x)",
    "bare expression only": "exp(x)*y + sin(x*y)",
    "bare expression not last": "y*2\nz = y + 1",
    "bare name last": "y = x*2\ny",
    "bare input last": "y = x*2\nx",
    "bare constant last": "y = x*2\n3",
    # blank lines and spaces
    "trailing blank lines": "y = x*2\nz = y + 1\n\n\n",
    "trailing spaces": "y = x*2   \nz = y + 1  \t ",
    "trailing blank line of spaces": "y = x*2\n   \n\t\n",
    "blank lines between": "y = x*2\n\n\n  \nz = y + 1",
    "leading blank lines and indent": "\n\n   y = x*2\n\tz = y + 1",
    "tabs": "y\t=\tx\t*\t2\nz =\texp(\ty\t)",
    "crlf": "y = x*2\r\nz = y + 1\r\n",
    "crlf bare": "exp(x)\r\n",
    "empty": "",
    "only blank lines": "\n\n   \n\t\n",
    "only spaces": "   ",
    # statements the general way reads in any case
    "semicolons": "y = x*2; z = y + 1; z*2",
    "comments": "# a program\ny = x*2  # double\nz = y + 1\n",
    "comment only": "# nothing",
    "commas between steps": "f1 = exp(x), f2 = f1**2",
    "commas between steps then steps": "f1 = exp(x), f2 = f1**2\nf3 = f2*f1\nf4 = exp(f3), f5 = f4 + 1",
    "trailing comma and full stop": "f1 = exp(x),\nf2 = f1**2.\nf3 = f2 + f1 .",
    "outputs list": "s1 = x*2\ns2 = x*3\ns1, s2",
    "outputs list of expressions": "s1 = x*2\ns1, s1*y, exp(x)",
    "outputs list not last": "s1 = x*2\ns1, x\ns2 = s1*2",
    "outputs list with a constant": "s1 = x*2\ns1, 2",
    "outputs list of the same step": "s1 = x*2\ns1, s1",
    "inputs listed": "f(x1, x2) = x1*x2 + exp(x1)",
    "inputs listed first": "f(x2, x1) = x1*x2\ny = f*2",
    "inputs listed then steps": "f(x, y) = x*y\ng = f + x",
    "inputs listed, then assigned": "f(x, y) = x*y\ny = 2",
    "inputs listed twice": "f(x, y) = x*y\ng(x) = x",
    "inputs listed unused": "f(x, y, z) = x*y",
    "inputs listed with a step name": "a = x*2\nf(a, x) = a*x",
    "brackets": "y = [x + 1]*2",
    "non-ascii name": "y = θ*2\nz = y + θ",
    "latex": "y = \\sigma(x)\nz = y \\cdot 2",
    # constant folding
    "fold 2 pi x": "y = 2*pi*x",
    "fold group": "y = x*(1+2)",
    "fold group, simple shape twice": "y = x*(1+2)\nz = x*(1+2)\nw = y + z",
    "fold negative": "y = -2*x\nz = x - -3",
    "fold unary": "y = x*exp(1)\nz = x*sqrt(2)",
    "fold division by zero": "y = x*(1/0)",
    "fold nan": "y = x*(0*1e308*1e308)",
    "fold overflow": "y = x*(1e308*10)",
    "fold domain": "y = x + log(0)",
    "fold long": "y = x*(1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 + 11 + 12 + 13 + 14)",
    "fold inside a call": "y = max(x, 2*3, pi)",
    # softmax
    "softmax": "a = exp(x)\nb = sin(x)\ny = softmax(1, a, b)",
    "softmax second": "y = softmax(2, x, z, w)",
    "softmax bad index": "y = softmax(3, x, z)",
    "softmax index a name": "y = softmax(x, x, z)",
    "softmax index folded": "y = softmax(1+1, x, z)",
    # function names and not-numbers as names
    "function name assigned": "exp = x",
    "function name read": "y = exp + 1",
    "function name assigned after use": "y = exp(x)\nexp = y",
    "function name on its own line": "y = exp\nz = 2",
    "function name then bracket on the next line": "y = exp\n(x)",
    "inf": "y = inf*x",
    "Inf": "y = x*Inf",
    "nan assigned": "nan = x",
    "infinity": "y = x + INFINITY",
    "inf call": "y = inf(x)",
    # operators
    "unary minus": "y = -x\nz = --y\nw = -exp(-z)",
    "unary plus": "y = +x\nz = -+y",
    "power chain": "y = x**2**3",
    "caret": "y = x^2\nz = x^y^2",
    "mixed precedence": "y = a + b*c**2 - d/e2*-f",
    "subtraction chain": "y = a - b - c\nz = a/b/c",
    "calls with several arguments": "y = log(x, 2)\nz = max(a, b, c)\nw = pow(x, y)\nv = min(a, b) + sum(a, b, c, y)",
    "log base variable": "y = log(x, z)",
    "nested calls": "y = exp(sin(log(sqrt(x*y))))\nz = max(exp(y), tanh(sigmoid(y)), y)",
    "call with spaces": "y = exp (x)\nz = log( y , 2 )",
    "all ops": "y = sin(x) + cos(x) + tan(x) + asin(x) + acos(x) + atan(x) + sinh(x) + cosh(x) + tanh(x) + "
               "asinh(x) + acosh(x) + atanh(x) + sigmoid(x) + relu(x) + step(x) + softplus(x) + sign(x) + abs(x) + "
               "erf(x) + log1p(x) + expm1(x) + log2(x) + log10(x) + eq(x, y) + mean(x, y) + logsumexp(x, y)",
    "function aliases": "y = ln(x) + arcsin(x) + sig(x) + logistic(x)",
    # errors
    "brackets over two lines": "y = (x +\n 1)\nz = y*2",
    "call over two lines": "y = exp(x +\n 1)",
    "brackets over lines later": "a = x*2\nb = exp(a)\ny = (a +\n b)",
    "unbalanced line": "y = (x + 1",
    "unbalanced line then more": "y = (x + 1\nz = 2*y",
    "unbalanced close": "y = x + 1)\nz = 2",
    "balanced but reversed": "y = )x(",
    "unknown function": "y = foo(x)",
    "unknown function near a known one": "y = exq(x)",
    "not a function": "y = prod(x, y)",
    "wrong argument count": "y = exp(x, y)",
    "no arguments": "y = exp()",
    "empty brackets": "y = x*()",
    "incomplete": "y = x +",
    "incomplete middle": "y = x +\nz = 2",
    "no name": "= x",
    "number as name": "1 = x",
    "two equals": "y = z = x",
    "missing operator": "y = x y",
    "bad character": "y = x % 2",
    "comma in a group": "y = (x, y)",
    "step then a comma list": "y = x, 2",
}

OPTIONS = [{}, {"share": False}, {"prefix": "v"}]


@pytest.mark.parametrize("options", OPTIONS, ids=repr)
@pytest.mark.parametrize("source", PROGRAMS.values(), ids=PROGRAMS.keys())
def test_hand_written(source: str, options: dict) -> None:
    assert_agree(source, **options)


OPTION_CASES = [
    ("v1 = x*2\nv2 = v1 + y\nv3 = exp(v2)", {"outputs": "v1,v2"}),
    ("v1 = x*2\nv2 = v1 + y\nv3 = exp(v2)", {"outputs": "v3, x"}),
    ("v1 = x*2\nv2 = v1 + y\nv3 = exp(v2)", {"outputs": "v1,nope"}),
    ("v1 = x*2\nv2 = v1 + y\nv3 = exp(v2)", {"outputs": ""}),
    ("lr = 0.1\nv1 = x*lr\nv2 = exp(v1)", {"outputs": "lr"}),
    ("v1 = x*2\nv2 = v1 + y\nv3 = exp(v2)", {"held": ("x",)}),
    ("v1 = x*2\nv2 = v1 + y\nv3 = exp(v2)", {"held": ("y",), "outputs": "v2"}),
    ("v1 = x*2\nv2 = v1 + y\nv3 = exp(v2)", {"held": ("q",)}),
    ("v1 = x*2\nv2 = v1 + y\nv3 = exp(v2)", {"held": ("pi",)}),
    ("v1 = x*2\nv2 = v1 + y\nv3 = exp(v2)", {"held": ("x", "y")}),
    ("v1 = x*2\nv2 = v1 + y\nv3 = exp(v2)", {"columns": ("x", "y")}),
    ("v1 = x*2\nv2 = v1 + y\nv3 = exp(v2)", {"columns": ("x", "z")}),
    ("v1 = x*2\nv2 = v1 + y\nv3 = exp(v2)", {"prefix": "v"}),
    ("x*y + exp(x)", {"prefix": "v"}),
    ("v1*x + exp(v1)", {"prefix": "v"}),
    ("x*y + exp(x)", {"prefix": "1v"}),
    ("f(x1, x2) = x1*x2", {"prefix": "x"}),
    ("a = exp(x)\nb = exp(x)\nc = a*b", {"share": False}),
    ("a = exp(x) + exp(x)\nb = a*exp(x)", {"share": False}),
    ("s1 = x*2\ns2 = y*3\ns1, s2", {"outputs": "s2"}),
]


@pytest.mark.parametrize("source,options", OPTION_CASES, ids=[f"{s!r} {o}" for s, o in OPTION_CASES])
def test_options(source: str, options: dict) -> None:
    assert_agree(source, **options)


# --- disagreements found ------------------------------------------------------------------------------------
# These fail while the fast path differs from build(parse()).

@pytest.mark.parametrize("source", [
    "e = e + x",
    "pi = pi*x",
    "e = e",
    "y = x\ne = x*e",
])
def test_a_step_may_not_assign_a_constant_it_reads(source: str) -> None:
    """The general way refuses ``e = e + x`` ('e' was already read as the constant 'e'). The fast path must too;
    it checks a step's name against the constants read before the step, not those the step itself reads."""
    fast, general = both(source)
    assert general[0] == "error" and "already read as the constant" in general[2]
    assert fast == general


@pytest.mark.parametrize("source,options,says", [
    ("y = x\ny = 2*x\nz = )", {}, "already assigned"),
    ("y = x\ny = 2*x\nz = 1\nw = )", {}, "already assigned"),
    ("y*2\nz = (y", {}, "never closed"),  # the first step is an error only once a second one is read
    ("y*2\nz = y", {}, "only the last step"),
    ("y = x*(1/0)\nz = x +", {}, "division by zero"),
    ("y = x\ny = 2*x\nz = 1\nw = )", {"share": False}, "already assigned"),
    ("y = x\ny = 2*x\nz = 1\nw = )  # a comment", {}, "already assigned"),
    ("y = x\ny = )\ny = 2*x", {}, "expected a number"),
])
def test_of_two_errors_the_first_in_the_source_is_told(source: str, options: dict, says: str) -> None:
    """The parser hands each statement to the builder as it reads it, so of two errors the one that comes first in
    the source is told, by every way graph_of builds (build(parse()), which reads the whole source first, tells a
    later syntax error instead)."""
    fast, general = both(source, **options)
    assert fast == general
    assert general[0] == "error" and says in general[2], general


def test_the_operation_limit_holds_for_steps_built_from_their_shapes() -> None:
    """One step past MAX_OPERATIONS in steps of one operation each: refused where the limit is passed, as the
    parser refuses it."""
    src = "v0 = sin(x)\n" + "\n".join(f"v{k} = v{k - 1}*x" for k in range(1, MAX_OPERATIONS + 1))
    fast, general = both(src)
    assert general[0] == "error" and "operations" in general[2]
    assert fast == general


def test_the_operation_limit_holds_for_lines_the_parser_reads() -> None:
    """More than MAX_OPERATIONS operations in lines of several steps each (which the fast path hands to the parser
    line by line): the general way refuses the program, so must the fast path."""
    per = 200
    lines = MAX_OPERATIONS // (per + 1) + 1
    terms = ",".join(["-x"] * per)
    src = "\n".join(f"a{k} = max({terms}), b{k} = x" for k in range(lines))
    fast, general = both(src)
    assert general[0] == "error" and "operations" in general[2]
    assert fast[:3] == general[:3]


# --- generated programs ---------------------------------------------------------------------------------------

PLAIN_NAMES = ["x", "y", "z", "a1", *(f"v{k}" for k in range(10))]
NAMES = [*PLAIN_NAMES, "e", "pi", "e", "pi"]
NUMBERS = ["2", "3", "0.5", ".5", "2.", "1e-3", "3E2", "10", "1.5e+1", "0"]
UNARY = ["exp", "sin", "log", "sqrt", "tanh", "sigmoid", "-"]
BINARY = ["+", "-", "*", "/", "**"]
SPACES = ["", " ", "", "  ", "\t"]
ENDS = ["\n", "\n\n", "\n  \n", "  \n", "\n\t"]
ERRORS = ["y = ", "= x", "v1 = x +", "v2 = (x", "v3 = x)", "v4 = foo(x)", "v5 = 2x", "1 = x", "v6 = x y",
          "v7 = exp", "v8 = x,, y", "v9 = log()", "inf = x", "exp = x", "v1 = x*nan", "z = (x +\n 1)"]


class Choices:
    """A program drawn from a list of small numbers, each choosing among options; past the end of the list every
    choice is the first option, so hypothesis shrinks a program by shrinking the list. (Much faster to draw than
    nested strategies.)"""

    def __init__(self, numbers: list[int]) -> None:
        self.numbers, self.k = numbers, 0
        # without pi and e most steps of two names are built inline (name = op(name, name)), until a constant is read
        self.names = self.pick([NAMES, NAMES, PLAIN_NAMES])

    def pick(self, options):
        n = self.numbers[self.k] if self.k < len(self.numbers) else 0
        self.k += 1
        return options[n % len(options)]

    def expression(self, depth: int = 0) -> str:
        kind = self.pick(["name", "number", "name", "binary", "unary", "group", "max", "log", "binary"]) \
            if depth < 3 else self.pick(["name", "number", "name"])
        if kind == "name":
            return self.pick(self.names)
        if kind == "number":
            return self.pick(NUMBERS)
        if kind == "binary":
            a = self.expression(depth + 1)
            return f"{a}{self.pick(SPACES)}{self.pick(BINARY)}{self.pick(SPACES)}{self.expression(depth + 1)}"
        if kind == "unary":
            f, s = self.pick(UNARY), self.pick(SPACES)
            return f"-{s}{self.expression(depth + 1)}" if f == "-" else f"{f}({s}{self.expression(depth + 1)})"
        if kind == "group":
            return f"({self.expression(depth + 1)})"
        if kind == "max":
            return f"max({', '.join(self.expression(depth + 1) for _ in range(self.pick([1, 2, 3])))})"
        return f"log({self.expression(depth + 1)}, {self.expression(depth + 1)})"

    def line(self, errors: bool) -> str:
        kind = self.pick(["step"] * 8 + ["bare", "pair", "outputs"] + (["error"] if errors else []))
        if kind == "step":
            text = f"{self.pick(self.names)}{self.pick(SPACES)}={self.pick(SPACES)}{self.expression()}"
        elif kind == "bare":
            text = self.expression()
        elif kind == "pair":
            text = f"{self.pick(self.names)} = {self.expression()}, {self.pick(self.names)} = {self.expression()}"
        elif kind == "outputs":
            text = ", ".join(self.expression() for _ in range(self.pick([2, 3])))
        else:
            text = self.pick(ERRORS)
        return self.pick(SPACES) + text + self.pick(SPACES)

    def program(self, errors: bool) -> str:
        lines = [self.line(errors) for _ in range(self.pick(range(1, 9)))]
        ends = [self.pick(ENDS) for _ in lines]
        return "".join(s + e for s, e in zip(lines, ends))[:-1] + self.pick(["", "\n", "  ", "\n\n"])


def programs(errors: bool) -> st.SearchStrategy[str]:
    return st.lists(st.integers(0, 255), min_size=60, max_size=300).map(lambda ns: Choices(ns).program(errors))


option_sets = st.sampled_from([{}, {}, {}, {"prefix": "v"}, {"outputs": "v1,v2"}, {"outputs": "x"},
                               {"held": ("x",)}, {"columns": ("x", "y")}, {"share": False}])

SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=400, **SETTINGS)
@given(programs(errors=False), option_sets)
def test_generated_programs(source: str, options: dict) -> None:
    """Lines that each parse: the two ways build the same graph, or refuse with the same error."""
    assert_agree(source, **options)


@settings(max_examples=200, **SETTINGS)
@given(programs(errors=True), option_sets)
def test_generated_programs_with_errors(source: str, options: dict) -> None:
    """Some lines are not in the language: the same error either way (a syntax error on a later line is the one
    told, as in test_a_syntax_error_later_is_told_as_the_general_way_tells_it)."""
    assert_agree(source, **options)
