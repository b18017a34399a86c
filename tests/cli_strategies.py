"""Hypothesis strategies for whole gradcli calls: valid programs built from the op table, and valid option sets
for every command (tests/test_fuzz_commands.py).

A program is a list of steps, each one op of the op table applied to earlier names or numbers. An op whose
value needs a restricted operand gets it from a guard step (log of an exp, asin of a tanh), so most points lie
inside every domain; a small share of guards is left out, and some points are edges (0, ±1), so the kinks and
the undefined values are reached too. Because each step is a single op, the true derivative of a program can be
written from the op table's own partials (in the steps' names), which gives check a claim that is right and
one that is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hypothesis import strategies as st

from gradcli.core.ops import OPS

# Extra arguments for every call that runs sympy (--symbolic, --exact, check): a short time limit on sympy's work,
# which the wall-clock bound below holds it to.
SYMPY_ARGS: list[str] = ["--time-limit", "2"]
# Every call, sympy's work included, must end within this many seconds of wall-clock time: the limit, the
# start of a worker and the rendering, with room for a loaded machine.
WALL_SECONDS = 30.0

COMMANDS = ("forward", "reverse", "graph", "jacobian", "hessian", "check", "gradcheck", "descend")
FORMATS = ("table", "json", "markdown", "latex")
GRAPH_FORMATS = FORMATS + ("dot", "mermaid", "svg")
DATA_COMMANDS = ("forward", "reverse", "hessian", "descend")

NAMES = ["x", "y", "w1", "w2", "theta0", "b_2", "x10", "x2", "z"]

# what an operand must be for the op's value to be defined: "pos" > 0, "unit" in (-1, 1), "ge1" >= 1
GUARDS: dict[str, tuple[str | None, ...]] = {
    "log": ("pos",), "log2": ("pos",), "log10": ("pos",), "sqrt": ("pos",), "log1p": ("pos",),
    "asin": ("unit",), "acos": ("unit",), "atanh": ("unit",), "tan": ("unit",), "acosh": ("ge1",),
    "div": (None, "pos"), "logb": ("pos", "base"), "pow": ("pow",), "softmax": ("softmax",),
}
# ops with a domain that is only "a finite argument": every generated value is finite or told
FINITE_ONLY = frozenset({"sin", "cos"})
# single-op steps whose value lies in each guarded set, whatever their operand
GUARD_STEPS = {"pos": ["exp", "cosh", "sigmoid"], "unit": ["tanh", "sigmoid"], "ge1": ["cosh"]}
OPERATORS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}


def scalar_ops() -> list[str]:
    """The ops a step can be: every op of the op table a user can write, but copy (a rename, drawn on its own)."""
    return [name for name, op in OPS.items()
            if (op.names or name in OPERATORS or name == "neg") and not op.defined]  # not a program's own s(g)


def natural(name: str):
    """The inputs' order: natural order of their names (x2 before x10)."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", name) if p]


def _replace(text: str, name: str, by: str) -> str:
    return re.sub(rf"(?<![\w.\[]){re.escape(name)}(?![\w\[])", lambda m: by, text)


@dataclass
class Step:
    name: str
    op: str  # an op of the op table, or "copy"
    args: list[str]  # operand names or number literals
    text: str  # the step's right-hand side as written


@dataclass
class Program:
    steps: list[Step]
    inputs: list[str]  # in the inputs' order
    arrays: dict[str, str] = field(default_factory=dict)  # array programs: input -> its value, "[[1,2],[3,4]]"
    source: str = ""  # array programs: the text as written

    @property
    def is_array(self) -> bool:
        return bool(self.arrays)

    def text(self, sep: str = "; ") -> str:
        return self.source or sep.join(f"{s.name} = {s.text}" for s in self.steps)

    def reads(self, name: str) -> set[str]:
        """The inputs a step depends on."""
        by = {s.name: s for s in self.steps}
        seen, todo, found = set(), [name], set()
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            if n in by:
                todo.extend(by[n].args)
            elif n in self.inputs:
                found.add(n)
        return found

    def _written_out(self) -> dict[str, str]:
        """Each step as an expression in the inputs alone."""
        done: dict[str, str] = {}
        for s in self.steps:
            t = s.text
            for n in sorted(done, key=len, reverse=True):
                t = _replace(t, n, f"({done[n]})")
            done[s.name] = t
        return done

    def inline(self) -> str:
        """The same computation as one expression."""
        return self._written_out()[self.steps[-1].name]

    def derivative(self, wrt: str) -> str:
        """∂(last step)/∂wrt in gradcli's language, in the steps' names, from the op table's partials."""
        d: dict[str, str] = {n: ("1" if n == wrt else "0") for n in self.inputs}
        for s in self.steps:
            if s.op == "copy":
                d[s.name] = d.get(s.args[0], "0")
                continue
            op = OPS[s.op]
            operands = [f"({a})" for a in s.args]
            terms = []
            for k, a in enumerate(s.args):
                if d.get(a, "0") == "0":
                    continue
                template = op.rule(k, len(s.args)) if op.arity < 0 else op.partials[k]
                p = template.format(*operands, out=s.name)
                terms.append(f"({p})" if d[a] == "1" else f"({p})*({d[a]})")
            d[s.name] = " + ".join(terms) or "0"
        return d[self.steps[-1].name]

    def inlined(self, text: str) -> str:
        """A formula in the steps' names written in the inputs alone."""
        done = self._written_out()
        for n in sorted(done, key=len, reverse=True):
            text = _replace(text, n, f"({done[n]})")
        return text


def _literal(x: float) -> str:
    return f"({x:g})" if x < 0 else f"{x:g}"


def _render(op: str, args: list[str], draw) -> str:
    if op == "neg":
        return f"-{args[0]}"
    if op == "copy":
        return args[0]
    if op in OPERATORS:
        sym = OPERATORS[op]
        if op == "pow" and draw(st.integers(0, 4)) == 0:
            sym = "^"
        return f"{args[0]} {sym} {args[1]}"
    call = draw(st.sampled_from(OPS[op].names))
    return f"{call}({', '.join(args)})"


@st.composite
def programs(draw, max_steps: int = 6, max_inputs: int = 3, edges: bool = True) -> Program:
    """A program of one-op steps over the whole op table (inputs from NAMES, steps v0, v1, …)."""
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=max_inputs, unique=True))
    pool = list(names)
    steps: list[Step] = []
    used: set[str] = set()
    ops = scalar_ops()

    def new(op: str, args: list[str]) -> str:
        name = f"v{len(steps)}"
        used.update(a for a in args if a in names)
        steps.append(Step(name, op, args, _render(op, args, draw)))
        pool.append(name)
        return name

    def operand() -> str:
        return draw(st.sampled_from(pool[-3:] + pool))  # recent steps likelier: chains, and reuse of earlier nodes

    def guarded(kind: str, a: str) -> str:
        if edges and draw(st.integers(0, 19)) == 0:
            return a  # no guard: the value may be undefined at the point (exit 1), or on a kink
        return new(draw(st.sampled_from(GUARD_STEPS[kind])), [a])

    for _ in range(draw(st.integers(1, max_steps))):
        op = draw(st.sampled_from(ops + ["copy"]))
        guard = GUARDS.get(op, ())
        if op == "copy":
            new("copy", [operand()])
        elif op == "pow":
            if draw(st.booleans()):
                new("pow", [operand(), _literal(draw(st.sampled_from([2, 3, -1, -2, 0.5, 1.5])))])
            else:
                new("pow", [guarded("pos", operand()), operand()])
        elif op == "softmax":
            n = draw(st.integers(2, 3))
            new("softmax", [str(draw(st.integers(1, n)))] + [operand() for _ in range(n)])
        elif op == "logb":
            new("logb", [guarded("pos", operand()), draw(st.sampled_from(["2", "10", "0.5"]))])
        elif OPS[op].arity < 0:
            args = [operand() for _ in range(draw(st.integers(OPS[op].min_args, 4)))]
            if op in ("max", "min"):  # operands that tie by construction share the derivative (1/n each), which
                args = list(dict.fromkeys(args)) + ["0.5"] * (len(set(args)) < 2)  # the rule's eq() does not say
            new(op, args)
        else:
            args = [operand() for _ in range(OPS[op].arity)]
            args = [guarded(g, a) if g else a for a, g in zip(args, guard + (None,) * len(args))]
            if draw(st.integers(0, 9)) == 0 and OPS[op].arity == 2:
                args[draw(st.integers(0, 1))] = _literal(draw(st.sampled_from([2, 0.5, -1, 3])))
            new(op, args)
    if not used:  # a program of constants only: make the last step read an input
        new("mul", [pool[-1], names[0]])
    inputs = sorted({a for s in steps for a in s.args if a in names}, key=natural)
    prog = Program(steps, inputs)
    missing = [n for n in inputs if n not in prog.reads(steps[-1].name)]
    if missing:  # the last step reads every input, so that the program and its one expression have the same inputs
        new("sum", [steps[-1].name, *missing])
    return prog


# --- arrays: the sheets' networks and forms, in matrix notation --------------------------------------------------


def _vector(draw, n: int, lo: float = -2, hi: float = 2) -> list[float]:
    return [draw(st.sampled_from([0, 1, -1, 0.5, 2, -0.25, 1.5, -2])) for _ in range(n)]


def _array_text(v) -> str:
    if isinstance(v[0], list):
        return "[" + ",".join(_array_text(r) for r in v) + "]"
    return "[" + ",".join(f"{x:g}" for x in v) + "]"


ARRAY_TEMPLATES = [
    ("h = relu(W @ x + b); L = sum(h**2)", {"W": "mn", "x": "n", "b": "m"}),
    ("s = softmax(W @ x); L = -log(s[{k}])", {"W": "mn", "x": "n"}),
    ("L = xᵀ @ A @ x", {"A": "nn", "x": "n"}),
    ("L = x.T @ A @ x + sum(x)", {"A": "nn", "x": "n"}),
    ("z = dot(u, v); L = z*z + mean(u)", {"u": "n", "v": "n"}),
    ("L = logsumexp(W @ x) + max(x)", {"W": "mn", "x": "n"}),
    ("o = outer(u, v); L = sum(o*o) + min(v)", {"u": "m", "v": "n"}),
    ("d = diag(u); L = sum(d @ u) + norm(u)", {"u": "n"}),
    ("h = sigmoid(transpose(W) @ x); L = sum(h*h)", {"W": "nm", "x": "n"}),
]


@st.composite
def array_programs(draw) -> Program:
    text, shapes = draw(st.sampled_from(ARRAY_TEMPLATES))
    m, n = draw(st.integers(2, 3)), draw(st.integers(2, 3))  # a vector of 1 entry is a number
    dims = {"m": m, "n": n}
    text = text.replace("{k}", str(draw(st.integers(1, m))))
    arrays = {}
    for name, shape in shapes.items():
        if len(shape) == 1:
            arrays[name] = _array_text(_vector(draw, dims[shape]))
        else:
            arrays[name] = _array_text([_vector(draw, dims[shape[1]]) for _ in range(dims[shape[0]])])
    return Program([Step("L", "", [], "")], sorted(arrays, key=natural), arrays, source=text)


# --- values and options -----------------------------------------------------------------------------------------

EDGES = ["0", "1", "-1", "0.5", "1e-8", "1e3", "pi/4", "-2", "e"]


@st.composite
def values(draw) -> str:
    if draw(st.integers(0, 7)) == 0:
        return draw(st.sampled_from(EDGES))
    return f"{draw(st.integers(-2000, 2000)) / 1000:g}"


def _point(draw, prog: Program, names: list[str]) -> str:
    if prog.is_array:
        return ",".join(f"{n}={prog.arrays[n]}" for n in names)
    vals = [draw(values()) for _ in names]
    if len(names) == 1 or draw(st.integers(0, 3)) == 0:
        return ",".join(vals)  # in the inputs' order
    return ",".join(f"{n}={v}" for n, v in zip(names, vals))


def _subset(draw, names: list[str], min_size: int = 1) -> list[str]:
    picked = draw(st.lists(st.sampled_from(names), min_size=min_size, max_size=len(names), unique=True))
    return sorted(picked, key=natural)


@dataclass
class Call:
    command: str
    args: list[str]  # "{data}" and "{prog}" stand for files that files() gives
    files: dict[str, str] = field(default_factory=dict)  # placeholder -> the file's text
    input: str | None = None  # standard input
    heavy: bool = False  # runs sympy (--symbolic, --exact, check)
    mutated: bool = False  # one character changed: expected to be an error, perhaps
    expect: frozenset[int] | None = None  # the exit codes the call must end with, where the generator knows
    fmt: str = "table"

    def argv(self, folder) -> list[str]:
        paths = {}
        for key, text in self.files.items():
            p = folder / f"{key}-{abs(hash((key, text))) % 10**12}.txt"
            p.write_text(text, encoding="utf-8")
            paths[key] = str(p)
        return [paths.get(a[1:-1], a) if a in ("{data}", "{prog}") else a for a in self.args]


def _common(draw, prog: Program, fmts: tuple[str, ...]) -> tuple[list[str], str]:
    """The display options every command shares (and --format)."""
    opts: list[str] = []
    fmt = draw(st.sampled_from(fmts))
    if fmt != "table" or draw(st.booleans()):
        opts += ["--format", fmt]
    if draw(st.integers(0, 5)) == 0:
        opts += ["--prefix", draw(st.sampled_from(["c", "n", "t", "node"]))]
    if draw(st.integers(0, 6)) == 0:
        opts.append("--no-share")
    if not prog.is_array and len(prog.steps) > 1 and draw(st.integers(0, 6)) == 0:
        opts.append("--as-written")
    if draw(st.integers(0, 4)) == 0:
        opts += ["--width", str(draw(st.sampled_from([20, 40, 80, 132, 300])))]
    if draw(st.integers(0, 5)) == 0:
        opts.append("--ascii")
    if draw(st.integers(0, 5)) == 0:
        opts += ["--max-rows", str(draw(st.sampled_from([0, 1, 3, 50])))]
    if draw(st.integers(0, 4)) == 0:
        opts += ["--digits", str(draw(st.integers(1, 17)))]
    return opts, fmt


def _source(draw, prog: Program, call_args: list[str], files: dict) -> tuple[list[str], str | None]:
    """The program as EXPR (a program or the one expression), from -f FILE, or from standard input."""
    if prog.is_array:
        text = prog.text()
    elif draw(st.booleans()):
        text = prog.text(draw(st.sampled_from(["; ", "\n"])))
    else:
        text = prog.inline()
    call_args.append(text)
    how = draw(st.integers(0, 9))
    if how == 0:
        files["prog"] = "# a generated program\n" + text + "\n"
        return ["-f", "{prog}"], None
    if how == 1:
        return ["-"], text
    if text.startswith("-"):
        return ["--", text], None
    return [text], None


def _data(draw, prog: Program, files: dict, names: list[str]) -> tuple[list[str], list[str]]:
    """--data: some inputs become a CSV file's columns; returns the options and the inputs left as variables."""
    if prog.is_array or len(names) < 2 or draw(st.integers(0, 3)) != 0:
        return [], names
    columns = _subset(draw, names[1:])
    rows = 2000 if draw(st.integers(0, 29)) == 0 else draw(st.integers(1, 5))
    body = [",".join(columns)]
    for i in range(rows):
        body.append(",".join(f"{((i * 7 + j * 3) % 11 - 5) / 4:g}" for j in range(len(columns))))
    files["data"] = "\n".join(body) + "\n"
    opts = ["--data", "{data}"]
    if draw(st.booleans()):
        opts += ["--reduce", draw(st.sampled_from(["sum", "mean"]))]
    return opts, [n for n in names if n not in columns]


def _let(draw, prog: Program, names: list[str]) -> tuple[list[str], list[str]]:
    if prog.is_array or len(names) < 2 or draw(st.integers(0, 4)) != 0:
        return [], names
    held = _subset(draw, names[1:])
    return ["--let", ",".join(f"{n}={draw(values())}" for n in held)], [n for n in names if n not in held]


@st.composite
def calls(draw, command: str | None = None, mutations: bool = True) -> Call:
    """A whole valid call of one command (or of any): its program, its point and a valid set of its options."""
    command = command or draw(st.sampled_from(COMMANDS))
    heavy = command == "check" or (command in ("forward", "reverse", "hessian") and draw(st.integers(0, 4)) == 0)
    arrays = command != "check" and draw(st.integers(0, 6)) == 0
    if arrays:
        prog = draw(array_programs())
    elif heavy:
        prog = draw(programs(max_steps=3, max_inputs=2))
    else:
        prog = draw(programs())
    files: dict[str, str] = {}
    source: list[str] = []
    args, stdin = _source(draw, prog, source, files)
    opts, fmt = _common(draw, prog, GRAPH_FORMATS if command == "graph" else FORMATS)
    names = list(prog.inputs)
    let, names = _let(draw, prog, names)
    opts += let
    expect = None
    if command in DATA_COMMANDS:
        data, variables = _data(draw, prog, files, names)
        if data and command != "descend" and draw(st.booleans()):
            data += ["--row", str(draw(st.integers(1, 2 if len(files["data"].splitlines()) > 2 else 1)))]
    else:
        data, variables = [], names
    opts += data
    at = ["--at", _point(draw, prog, variables)]
    if command in ("forward", "reverse"):
        opts += at
        if draw(st.integers(0, 3)) == 0:
            opts += ["--wrt", ",".join(_subset(draw, variables))]
        elif command == "forward" and not prog.is_array and draw(st.integers(0, 4)) == 0:
            opts += ["--direction", ",".join(draw(values()) for _ in variables)]
        for flag in ("--cost", "--scalar"):
            if draw(st.integers(0, 5)) == 0:
                opts.append(flag)
        if heavy:
            opts += draw(st.sampled_from([["--symbolic"], ["--exact"], ["--symbolic", "--exact"]]))
    elif command == "graph":
        with_point = draw(st.booleans())
        if prog.is_array and not with_point:
            opts += ["--shape", ",".join(f"{n}={_shape(prog.arrays[n])}" for n in variables)]
        if with_point:
            opts += at
            if draw(st.integers(0, 3)) == 0:
                opts += ["--wrt", ",".join(_subset(draw, variables))]
            if draw(st.integers(0, 4)) == 0:
                opts.append("--tangents")
            if draw(st.integers(0, 3)) == 0:
                opts.append(draw(st.sampled_from(["--adjoints", "--no-adjoints"])))
        if draw(st.integers(0, 5)) == 0:
            opts.append("--scalar")
        if draw(st.integers(0, 5)) == 0:
            opts.append("--dot")
            fmt = "dot"
        if fmt in ("dot", "mermaid", "svg") and draw(st.integers(0, 3)) == 0:
            opts.append("--no-edge-labels")
        if fmt in ("dot", "mermaid", "svg") and draw(st.integers(0, 3)) == 0:
            opts += ["--rankdir", "TB"]
    elif command == "jacobian":
        args, stdin = _jacobian_source(draw, prog, files)
        opts += at
        if draw(st.booleans()):
            opts += ["--mode", draw(st.sampled_from(["forward", "reverse"]))]
        if draw(st.integers(0, 3)) == 0:
            opts.append("--cost")
    elif command == "hessian":
        opts += at
        if draw(st.integers(0, 3)) == 0:
            opts += ["--wrt", ",".join(_subset(draw, variables))]
        elif not prog.is_array and not data and draw(st.integers(0, 4)) == 0:
            opts += ["--direction", ",".join(draw(values()) for _ in variables)]
        if heavy:
            opts += draw(st.sampled_from([["--symbolic"], ["--exact"]]))
    elif command == "check":
        wrt = _subset(draw, variables)
        right = draw(st.sampled_from([True, True, False]))  # a true claim, or one made wrong
        inline = "=" not in source[0]  # one expression: the claims are written in the inputs
        claims = []
        for n in wrt:
            d = prog.derivative(n)
            if not right and (n == wrt[0]):
                d = draw(st.sampled_from(["({d}) + 1", "({d}) - 0.5", "({d}) + {n}**2 + 1"])).format(d=d, n=n)
            claims.append(prog.inlined(d) if inline else d)
        if len(wrt) == len(variables) and draw(st.booleans()):
            pass  # the default --wrt: every input, in order
        else:
            opts += ["--wrt", ",".join(wrt)]
        if len(claims) > 1 and draw(st.booleans()):
            opts += [a for c in claims for a in ("--claim", c)]
        else:
            opts += ["--claim", "[" + ", ".join(claims) + "]" if len(claims) > 1 else claims[0]]
        if draw(st.integers(0, 3)) == 0:
            opts += at
        expect = frozenset({0, 3}) if right else frozenset({1, 3})
    elif command == "gradcheck":
        opts += at
        if draw(st.integers(0, 3)) == 0:
            opts += ["--wrt", ",".join(_subset(draw, variables))]
        elif not prog.is_array and draw(st.integers(0, 3)) == 0:
            opts += ["--claim", ",".join(draw(values()) for _ in variables)]
        if draw(st.integers(0, 4)) == 0:
            opts += ["--step", draw(st.sampled_from(["1e-3", "1e-6", "0.01", "1e-8"]))]
    elif command == "descend":
        opts += at
        opts += ["--steps", str(draw(st.integers(0, 12)))]
        if draw(st.booleans()):
            opts += ["--lr", draw(st.sampled_from(["0.01", "0.1", "0.5", "1"]))]
        optimizer = draw(st.sampled_from([None, "sgd", "momentum", "nesterov", "adam"]))
        if optimizer:
            opts += ["--optimizer", optimizer]
        if optimizer != "sgd" and draw(st.integers(0, 2)) == 0:
            opts += ["--momentum", draw(st.sampled_from(["0", "0.5", "0.9"]))]
        if optimizer == "adam" and draw(st.booleans()):
            opts += ["--gamma", draw(st.sampled_from(["0.9", "0.999"])), "--epsilon", "1e-8"]
        if draw(st.integers(0, 4)) == 0:
            opts += ["--weight-decay", draw(st.sampled_from(["0.01", "0.1"]))]
        if draw(st.integers(0, 4)) == 0:
            opts += ["--until-grad", draw(st.sampled_from(["1e-8", "1e-3"]))]
        if draw(st.integers(0, 4)) == 0:
            opts += ["--wrt", ",".join(_subset(draw, variables))]
        if data and draw(st.booleans()):
            opts += ["--batch", str(draw(st.integers(1, 3)))]
            if draw(st.booleans()):
                opts += ["--shuffle", str(draw(st.integers(0, 99)))]
    if heavy:
        opts += SYMPY_ARGS
    # an expression that starts with a minus goes last, after --, where no option follows it
    argv = [*opts, *args] if args[0] == "--" else [*args, *opts]
    call = Call(command, argv, files, stdin, heavy, False, expect, fmt)
    if mutations and draw(st.integers(0, 11)) == 7:  # not 0, which hypothesis draws most
        call = _mutate(draw, call)
    return call


def _shape(value: str) -> str:
    """The --shape of an array value: "[1,2,3]" is 3, "[[1,2],[3,4]]" is 2x2."""
    rows = value.count("[") - 1
    if rows <= 0:
        return str(value.count(",") + 1)
    entries = value.count(",") - (rows - 1) + rows
    return f"{rows}x{entries // rows}"


def _jacobian_source(draw, prog: Program, files: dict) -> tuple[list[str], str | None]:
    """Several outputs: a last step listing named steps, or a bare list of expressions."""
    if prog.is_array:  # the first step, a vector (diag's matrix has constant entries: the whole program instead)
        text = prog.text()
        return [text.split(";", 1)[0] if ";" in text and "diag(" not in text else text], None
    names = [s.name for s in prog.steps]
    outs = _subset(draw, names) if len(names) > 1 else names
    if draw(st.booleans()) or len(outs) == 1 or set().union(*map(prog.reads, outs)) != set(prog.inputs):
        text = prog.text() + "; " + ", ".join(sorted(outs, key=natural))
    else:
        text = ", ".join(Program(prog.steps[: names.index(o) + 1], prog.inputs).inline() for o in outs)
    return (["--", text] if text.startswith("-") else [text]), None


MUTATION_CHARS = "x1(),=+-*/^.;[] e@#'\"\\é\x00"


def _mutate(draw, call: Call) -> Call:
    """One character of the expression or of an option's value changed, deleted or inserted."""
    positions = [i for i, a in enumerate(call.args) if not a.startswith("--") and a not in ("{data}", "{prog}")]
    if not positions:
        return call
    i = draw(st.sampled_from(positions))
    a = call.args[i]
    k = draw(st.integers(0, len(a)))
    c = draw(st.sampled_from(MUTATION_CHARS))
    kind = draw(st.integers(0, 2))
    b = a[:k] + c + a[k + 1:] if kind == 0 else a[:k] + a[k + 1:] if kind == 1 else a[:k] + c + a[k:]
    args = list(call.args)
    args[i] = b
    return Call(call.command, args, call.files, call.input, call.heavy, True, None, call.fmt)
