"""Symbolic work with sympy: Exprs to sympy and back, each node's value and derivative as formulas.

This module imports sympy, so only the commands and options that need it import this module
(``--symbolic``, ``--exact``, ``check``); the plain ``forward`` and ``reverse`` never do. User text
reaches sympy only as trees built here from gradcli's own parse: never as text to sympify.
"""

from __future__ import annotations

import functools

from fractions import Fraction

import sympy as sp

from .. import limits
from ..core.expr import EXACT, GROUP, MARK, NAME, NUM, Expr, call, name, num, transform
from ..core.ops import OPS
from .sym import functions, namespace

MAX_NODES = limits.SYMPY_NODES  # --symbolic, --exact and check are for the graphs of homework sheets


def number(x: float, text: str | None = None):
    """A number for sympy: its decimal text read exactly (0.1 is 1/10), else the double exactly."""
    if text is not None:
        try:
            f = Fraction(text)
        except (ValueError, ZeroDivisionError):
            f = None
        if f is not None:
            return sp.Rational(f.numerator, f.denominator)
    if x != x:
        return sp.nan
    if x in (float("inf"), float("-inf")):
        return sp.oo if x > 0 else -sp.oo
    return sp.Rational(x) if x != int(x) else sp.Integer(int(x))


def symbol(n: str):
    return sp.Symbol(n, real=True)


def to_sympy(e: Expr, names: dict | None = None, constants: bool = True):
    """An Expr as a sympy expression. ``names`` maps a name to what stands for it (default: a real symbol);
    ``pi`` and ``e`` are sympy's constants unless ``names`` says otherwise."""
    names = names or {}

    def leaf(x: Expr):
        if x.op == NUM:
            return number(*x.leaf)
        if x.op == NAME:
            n = x.leaf
            if n in names:
                return names[n]
            if constants and n in ("pi", "π"):
                return sp.pi
            if constants and n == "e":
                return sp.E
            return symbol(n)
        if x.op == MARK:
            return symbol(f"{x.leaf[1]}_{x.leaf[0]}")
        if x.op == EXACT:
            return x.leaf
        raise ValueError(f"no sympy form for a {x.op}")

    def node(x: Expr, args: tuple):
        if x.op in (GROUP, "copy"):
            return args[0]
        return OPS[x.op].sym(functions, *args)

    return transform(e, leaf, node)


# a sympy function's name -> the op it is: the op's own name, or the one its entry names (Abs for abs)
_FUNCTIONS = {op.sympy or op.name: op.name for op in OPS.values()}


def from_sympy(value) -> Expr:
    """A sympy expression as an Expr, for printing in every format: sums with their minus signs, products
    over their denominators, square roots, gradcli's functions by name."""
    custom = {cls: n for n, cls in namespace().items()}
    stack: list[tuple[object, bool]] = [(value, False)]
    done: list[Expr] = []
    while stack:
        v, visited = stack.pop()
        args = _parts(v)
        if args and not visited:
            stack.append((v, True))
            stack.extend((a, False) for a in reversed(args))
            continue
        n = len(args)
        kids = done[-n:] if n else []
        if n:
            del done[-n:]
        done.append(_build(v, kids, custom))
    return done[0]


def _parts(v) -> list:
    """The sympy subexpressions an Expr is built from: a product's numerator and denominator factors apart."""
    if isinstance(v, sp.Add):
        return list(_ordered_terms(v))
    if isinstance(v, sp.Mul):
        num_, den = v.as_numer_denom()
        if den != 1:
            return [-num_ if num_.could_extract_minus_sign() else num_, den]
        return list(v.as_ordered_factors())
    if isinstance(v, sp.Pow):
        base, e = v.args
        if e == sp.Rational(1, 2):
            return [base]
        if e.is_Rational and e < 0:
            return [sp.Pow(base, -e, evaluate=False)] if e != -1 else [base]
        return [base, e]
    if isinstance(v, (sp.Function, sp.Abs, sp.Max, sp.Min)):
        return list(v.args)
    if isinstance(v, sp.Rational) and not v.is_Integer:
        return []
    return []


def _ordered_terms(v) -> list:
    return list(v.as_ordered_terms())


def _build(v, kids: list[Expr], custom: dict) -> Expr:
    if v is sp.pi:
        return name("pi")
    if v is sp.E:
        return name("e")
    if isinstance(v, sp.Symbol):
        return name(v.name)
    if v is sp.oo or v is -sp.oo or v is sp.nan:
        return num(float(v) if v is not sp.nan else float("nan"))
    if isinstance(v, sp.Rational):
        p, q = int(v.p), int(v.q)
        top, bottom = _whole(abs(p), q != 1), _whole(q, True)
        if top is None or bottom is None:
            return Expr(EXACT, (), v)  # a double cannot hold it: printed by its size (gradcli/core/printer.py)
        frac = top if q == 1 else call("div", top, bottom)
        return call("neg", frac) if p < 0 else frac
    if isinstance(v, sp.Float):
        return num(float(v))
    if isinstance(v, sp.Add):
        out = None
        for term, kid in zip(_ordered_terms(v), kids):
            negative = _negative(term)
            part = _negated(kid) if negative and out is not None else kid
            if out is None:
                out = kid
            else:
                out = call("sub" if negative else "add", out, part)
        return out
    if isinstance(v, sp.Mul):
        num_, den = v.as_numer_denom()
        if den != 1:  # -log(2)/2, not (-log(2))/2
            quotient = call("div", kids[0], kids[1])
            return call("neg", quotient) if num_.could_extract_minus_sign() else quotient
        out = None
        factors = v.as_ordered_factors()
        negate = False
        for f, kid in zip(factors, kids):
            if f == -1:
                negate = not negate
                continue
            out = kid if out is None else call("mul", out, kid)
        out = out if out is not None else num(1.0, "1")
        return call("neg", out) if negate else out
    if isinstance(v, sp.Pow):
        base, e = v.args
        if e == sp.Rational(1, 2):
            return call("sqrt", kids[0])
        if e.is_Rational and e < 0:
            return call("div", num(1.0, "1"), kids[0])
        if base is sp.E:
            return call("exp", kids[1])
        return call("pow", kids[0], kids[1])
    if type(v) in custom:
        return call(_FUNCTIONS.get(custom[type(v)], custom[type(v)]), *kids)
    if isinstance(v, sp.Abs):
        return call("abs", *kids)
    if isinstance(v, (sp.Max, sp.Min)):
        return call("max" if isinstance(v, sp.Max) else "min", *kids)
    if isinstance(v, sp.Function):
        fname = type(v).__name__
        if fname == "log" and len(kids) == 1:
            return call("log", kids[0])
        if fname in _FUNCTIONS and _FUNCTIONS[fname] in OPS:
            return call(_FUNCTIONS[fname], *kids)
    return Expr(EXACT, (), v)  # anything else is shown by sympy's own text


def _whole(n: int, digits: bool) -> Expr | None:
    """A whole number n ≥ 0 as an Expr: in full below 10**15 (up to a double's largest with ``digits``: a
    fraction's parts), as a double up to a double's largest, as m·10**k or m·2**k exactly beyond (10**616,
    3125·2**100004); None where it is none of these."""
    if n < 10**15:
        return num(float(n), str(n))
    if n.bit_length() <= 1023:
        return num(float(n), str(n) if digits else None)
    k = max(0, int(n.bit_length() * 0.30103) - 16)
    base, m = 10, None
    if n % 10**k == 0:
        m = n // 10**k
        while m % 10 == 0:
            m, k = m // 10, k + 1
    if m is None or m >= 10**15:
        base, k = 2, (n & -n).bit_length() - 1
        m = n >> k
    if m >= 10**15:
        return None
    power = call("pow", num(float(base), str(base)), num(float(k), str(k)))
    return power if m == 1 else call("mul", num(float(m), str(m)), power)


def _negative(term) -> bool:
    coeff, _ = term.as_coeff_Mul()
    return bool(coeff.is_negative)


def _negated(kid: Expr) -> Expr:
    """A term shown after a minus sign: -2*x as 2*x, -x as x."""
    if kid.op == "neg":
        return kid.args[0]
    if kid.op == NUM:
        return num(-kid.leaf[0])
    if kid.op == "mul" and kid.args[0].op == NUM:
        v = -kid.args[0].leaf[0]
        return kid.args[1] if v == 1 else call("mul", num(v), kid.args[1])
    if kid.op == "div" and kid.args[0].op == "neg":
        return call("div", kid.args[0].args[0], kid.args[1])
    return call("neg", kid)


def simplest(value, effort: int = 40):
    """The shortest of a few equal forms: as it is, factored, and (for small ones) simplified."""
    candidates = [value]
    try:
        candidates.append(sp.factor(value))
    except (sp.PolynomialError, TypeError, ValueError):
        pass
    if sp.count_ops(value) <= effort:
        try:
            candidates.append(sp.simplify(value))
        except (TypeError, ValueError, RecursionError):
            pass
    return min(candidates, key=lambda c: (sp.count_ops(c), _length(c)))


def _length(value) -> int:
    """The length of sympy's text of a value; a value with a number too long for Python to write counts as
    longest."""
    try:
        return len(str(value))
    except ValueError:  # more than 4300 digits (sys.get_int_max_str_digits)
        return 1 << 62


def node_expressions(graph, names: dict | None = None) -> list:
    """Each node's value as a sympy expression in the inputs (or the values ``names`` gives them), in graph
    order."""
    exprs: list = [None] * len(graph.nodes)
    for i, n in [*zip(graph.inputs, graph.names), *zip(graph.data, graph.data_names)]:
        exprs[i] = (names or {}).get(n, symbol(n))
    return graph.replay(apply, lambda c: to_sympy(c.as_expr()), exprs)


def derivative(graph: Graph, wrt: str):
    """The true ∂output/∂wrt in sympy, in the inputs: wrt an input, or a named step (the adjoint: the step
    made a free symbol, the nodes downstream computed from it, then the step put back)."""
    exprs = node_expressions(graph)
    if wrt in graph.names:
        return sp.diff(exprs[graph.output], symbol(wrt))
    down, free, back = freed(graph, wrt, exprs)
    return sp.diff(down[graph.output], free).xreplace(back)


def freed(graph, step: str, exprs: list) -> tuple[list, object, dict]:
    """The nodes' values with ``step`` made a free symbol and the nodes downstream computed from it; the symbol;
    and the substitution that puts the step back."""
    j = next(i for i, n in enumerate(graph.nodes) if n.id == step)
    free = sp.Symbol(f"{step}__step", real=True)
    down: list = [e if i < j or graph.nodes[i].op == "input" else None for i, e in enumerate(exprs)]
    down[j] = free
    return graph.replay(apply, lambda c: to_sympy(c.as_expr()), down), free, {free: exprs[j]}


def apply(op: str, args: list):
    """An op on sympy operands, by the op table's own rule; a copy step is its operand."""
    return OPS[op].sym(functions, *args) if op != "copy" else args[0]


def rule_in_names(graph, i: int, k: int):
    """∂(node i)/∂(its operand k) as sympy, in the nodes' own names (c3, f4), as the tables print it."""
    return to_sympy(graph.rule(i, k), constants=True)



class Symbolic:
    """A trace's rows in symbols: each node's value in the inputs, each tangent or adjoint in the nodes' names
    and in the inputs (Exprs, simplified), and the closed-form gradient."""

    def __init__(self) -> None:
        self.values: dict[int, Expr] = {}  # node -> its value in the inputs, where that is not its definition
        self.rows: dict[tuple[str, int], tuple[Expr, ...]] = {}  # (sweep label or "adjoint", node) -> forms
        self.gradient: dict[str, tuple[Expr, ...]] = {}  # input -> ∂f/∂input in names, then in the inputs


def symbolic(trace) -> Symbolic:
    """The symbolic forms of a forward or reverse trace: sympy, simplified, turned back into Exprs."""
    pieces: list = []
    symbolic_pieces(pieces.append, trace)
    return symbolic_of(trace, pieces)[0]


def symbolic_pieces(emit, trace) -> None:
    """The work of ``symbolic``, each row emitted as it is done (gradcli/exact/worker.py): ("values", i, its form
    or None where that is its definition), then ("adjoint" or a sweep's label, i, forms)."""
    from ..errors import GradcliError

    graph = trace.graph
    if len(graph.nodes) > MAX_NODES:
        raise GradcliError(f"--symbolic works on graphs of up to {MAX_NODES} nodes, the size of a homework "
                           f"problem; this one has {len(graph.nodes)}")
    nodes = graph.nodes
    syms = {node.id: symbol(node.id) for node in nodes}
    in_inputs = node_expressions(graph)
    to_inputs = {syms[node.id]: in_inputs[i] for i, node in enumerate(nodes)}
    for i, node in enumerate(nodes):
        if node.op != "input" and node.op != "copy":
            shown = from_sympy(simplest(in_inputs[i]))
            emit(("values", i, None if _same_text(shown, graph.definition(i)) else shown))
    rules = {}

    def rule(i: int, k: int):
        key = (i, k)
        if key not in rules:
            rules[key] = to_sympy(graph.rule(i, k), syms)
        return rules[key]

    def forms(label: str, i: int, value) -> None:
        if label != "adjoint" and nodes[i].op == "input" and i != graph.output:
            return
        named = simplest(value)
        inputs = simplest(named.xreplace(to_inputs))
        a, b = from_sympy(named), from_sympy(inputs)
        emit((label, i, (a,) if _same_text(a, b) else (a, b)))

    sweeps(trace, rule, simplest, forms)
    if nodes[graph.output].op == "input":  # f = x: the sweeps leave its derivative as it was seeded
        if trace.adjoints is not None:
            forms("adjoint", graph.output, sp.Integer(1))
        for sweep in trace.sweeps:
            seed = dict(zip(graph.inputs, sweep.seed)).get(graph.output, 0.0)
            forms(sweep.label, graph.output, number(seed))


def symbolic_of(trace, pieces: list) -> tuple[Symbolic, list[str]]:
    """A Symbolic from the pieces ``symbolic_pieces`` emitted, and the rows it lacks (the work stopped at a time
    limit) as the JSON paths that would hold them: symbolic.adjoints.c3, symbolic.tangents.x1.c4."""
    graph = trace.graph
    nodes = graph.nodes
    out = Symbolic()
    done: dict = {}
    for kind, i, value in pieces:
        done[(kind, i)] = value
    missing: list[str] = []
    for i, node in enumerate(nodes):
        if node.op != "input" and node.op != "copy":
            if ("values", i) not in done:
                missing.append(f"symbolic.values.{node.id}")
            elif done[("values", i)] is not None:
                out.values[i] = done[("values", i)]
    if trace.adjoints is not None:
        for j in range(graph.output - 1, -1, -1):
            if ("adjoint", j) in done:
                out.rows[("adjoint", j)] = done[("adjoint", j)]
            else:
                missing.append(f"symbolic.adjoints.{nodes[j].id}")
        for i, n in zip(graph.inputs, graph.names):
            if ("adjoint", i) in done:
                out.gradient[n] = done[("adjoint", i)]
            else:
                missing.append(f"symbolic.gradient.{n}")
    for sweep in trace.sweeps:
        label = sweep.label
        for i, node in enumerate(nodes):
            if node.op != "input":
                if (label, i) in done:
                    out.rows[(label, i)] = done[(label, i)]
                else:
                    missing.append(f"symbolic.tangents.{label}.{node.id}")
        if label != "direction":
            if (label, graph.output) in done:
                out.gradient[label] = done[(label, graph.output)]
            else:
                missing.append(f"symbolic.gradient.{label}")
    return out, missing


def sweeps(trace, rule, tidy, each=None) -> tuple[list | None, dict[str, list]]:
    """The trace's sweeps again in sympy: the reverse sweep if the trace has one, and each forward sweep, with
    ``rule(i, k)`` the local partials and ``tidy`` applied to each sum; ``each("adjoint" or the sweep's label, i,
    the sum)`` is told each as it is done. The same loops as gradcli/trace.py."""
    graph = trace.graph
    adjoints = adjoint_sweep(graph, rule, tidy, each=each) if trace.adjoints is not None else None
    tangents: dict[str, list] = {}
    for sweep in trace.sweeps:
        tangents[sweep.label] = tangent_sweep(graph, rule, tidy, {i: number(v) for i, v in zip(graph.inputs, sweep.seed)},
                                              each=None if each is None else functools.partial(each, sweep.label))
    return adjoints, tangents


def adjoint_sweep(graph, rule, tidy, output: int | None = None, each=None) -> list:
    """Each node's adjoint ∂output/∂node in sympy, by the reverse sweep over ``rule(i, k)``; ``each("adjoint",
    j, adjoint)`` is told each as it is done."""
    output = graph.output if output is None else output
    adjoints = [sp.Integer(0)] * len(graph.nodes)
    adjoints[output] = sp.Integer(1)
    for j in range(output - 1, -1, -1):
        total = sp.Integer(0)
        for i, k in graph.consumers[j]:
            if i <= output:
                total += adjoints[i] * rule(i, k)
        adjoints[j] = tidy(total)
        if each is not None:
            each("adjoint", j, adjoints[j])
    return adjoints


def tangent_sweep(graph, rule, tidy, seed: dict, last: int | None = None, each=None) -> list:
    """Each node's tangent in sympy from ``seed`` (node -> its tangent; the others' start at 0), by the forward
    sweep over ``rule(i, k)``, up to node ``last``. A seeded node keeps its seed; ``each(i, tangent)`` is told
    each other one as it is done."""
    nodes = graph.nodes
    last = len(nodes) - 1 if last is None else last
    tan: list = [sp.Integer(0)] * len(nodes)
    for i, v in seed.items():
        tan[i] = v
    for i in range(last + 1):
        node = nodes[i]
        if node.op == "input" or i in seed:
            continue
        total = sp.Integer(0)
        for k, a in enumerate(node.args):
            if type(a) is int:
                total += rule(i, k) * tan[a]
        tan[i] = tidy(total)
        if each is not None:
            each(i, tan[i])
    return tan


def _same_text(a: Expr, b: Expr) -> bool:
    from ..core.printer import PLAIN

    return PLAIN.text(a) == PLAIN.text(b)


class HessianForms:
    """The Hessian in symbols (--symbolic): in the inputs, with its trace and determinant; and exactly at the
    point (--exact), with exact eigenvalues where sympy finds them."""

    def __init__(self) -> None:
        self.matrix: list | None = None  # Exprs in the inputs
        self.trace: Expr | None = None
        self.determinant: Expr | None = None
        self.exact: list | None = None  # Exprs, the exact entries at the point
        self.eigenvalues: list | None = None  # Exprs
        self.vector: list | None = None  # --direction with --symbolic: H·d in the inputs, an Expr per input
        self.exact_vector: list | None = None  # --direction with --exact: H·d exactly at the point


def exact_point(graph, typed: dict, values: dict[str, float]) -> dict:
    """The point for exact work, by name: a value typed (--at, --let) as its Expr read exactly (0.1 is 1/10,
    pi/4 stays pi/4); a data file's value as its shortest decimal (the cell 0.1 is 1/10)."""
    out = {}
    for n in (*graph.names, *graph.data_names):
        out[n] = to_sympy(typed[n]) if n in typed else number(values[n], repr(values[n]))
    return out


def hessian_forms(trace, symbolic_: bool, exact: bool, typed: dict, direction: dict | None = None) -> HessianForms:
    """The Hessian in symbols and exactly at the point; along ``direction`` (by name, as typed), the whole
    Hessian in every input and the Hessian times d, each entry Σⱼ Hᵢⱼ·dⱼ."""
    pieces: list = []
    hessian_pieces(pieces.append, trace, symbolic_, exact, typed, direction)
    return hessian_of(trace, symbolic_, exact, pieces, direction)[0]


def hessian_pieces(emit, trace, symbolic_: bool, exact: bool, typed: dict, direction: dict | None = None) -> None:
    """The work of ``hessian_forms``, each part emitted as it is done (gradcli/exact/worker.py): ("matrix", i,
    j, Expr), ("trace", Expr), ("determinant", Expr), ("vector", list), ("exact", i, j, Expr), ("exact_vector",
    list), ("eigenvalues", list)."""
    from ..errors import GradcliError

    graph = trace.graph
    if len(graph.nodes) > MAX_NODES:
        raise GradcliError(f"--symbolic and --exact work on graphs of up to {MAX_NODES} nodes, the size of a "
                           f"homework problem; this one has {len(graph.nodes)}")
    f = node_expressions(graph)[graph.output]
    labels = list(graph.names) if direction is not None else [s.label for s in trace.second]
    xs = [symbol(n) for n in labels]
    h = sp.hessian(f, xs)
    d = None
    if direction is not None:
        d = sp.Matrix([to_sympy(direction[m]) if not isinstance(direction[m], float)
                       else number(direction[m], repr(direction[m])) for m in labels])
    n = len(xs)
    if symbolic_:
        simple = sp.zeros(n, n)
        for i in range(n):
            for j in range(n):
                simple[i, j] = simplest(h[i, j])
                emit(("matrix", i, j, from_sympy(simple[i, j])))
        emit(("trace", from_sympy(simplest(simple.trace()))))
        emit(("determinant", from_sympy(simplest(simple.det(method="berkowitz")))))
        if d is not None:
            emit(("vector", [from_sympy(simplest(e)) for e in h * d]))
    if exact:
        point = {symbol(m): v for m, v in exact_point(graph, typed, trace.point).items()}
        at_point = sp.zeros(n, n)
        for i in range(n):
            for j in range(n):
                at_point[i, j] = simplest(h[i, j].xreplace(point), effort=30)
                emit(("exact", i, j, from_sympy(at_point[i, j])))
        if d is not None:
            emit(("exact_vector", [from_sympy(simplest(e, effort=30)) for e in at_point * d]))
        try:
            values = at_point.eigenvals() if n <= 4 else {}
        except (NotImplementedError, TypeError, ValueError):
            values = {}
        listed = []
        for v, multiplicity in values.items():
            listed += [from_sympy(simplest(v, effort=30))] * multiplicity
        emit(("eigenvalues", listed or None))


def hessian_of(trace, symbolic_: bool, exact: bool, pieces: list,
               direction: dict | None = None) -> tuple[HessianForms, list[str]]:
    """HessianForms from the pieces ``hessian_pieces`` emitted, each part only where it is whole, and the parts
    it lacks (the work stopped at a time limit) as the JSON paths that would hold them: symbolic.hessian."""
    n = len(trace.graph.names) if direction is not None else len(trace.second)
    out = HessianForms()
    matrix: dict = {}
    exact_: dict = {}
    found: dict = {}
    for piece in pieces:
        if piece[0] == "matrix":
            matrix[piece[1:3]] = piece[3]
        elif piece[0] == "exact":
            exact_[piece[1:3]] = piece[3]
        else:
            found[piece[0]] = piece[1]
    missing: list[str] = []
    if symbolic_:
        if len(matrix) == n * n and "trace" in found and "determinant" in found:
            out.matrix = [[matrix[i, j] for j in range(n)] for i in range(n)]
            out.trace, out.determinant = found["trace"], found["determinant"]
        else:
            missing += ["symbolic.hessian", "symbolic.trace", "symbolic.determinant"]
        if direction is not None:
            out.vector = found.get("vector")
            if out.vector is None:
                missing.append("symbolic.hessian_vector")
    if exact:
        if len(exact_) == n * n:
            out.exact = [[exact_[i, j] for j in range(n)] for i in range(n)]
            out.eigenvalues = found.get("eigenvalues")
            if "eigenvalues" not in found:
                missing.append("exact.eigenvalues")
        else:
            missing += ["exact.hessian", "exact.eigenvalues"]
        if direction is not None:
            out.exact_vector = found.get("exact_vector")
            if out.exact_vector is None:
                missing.append("exact.hessian_vector")
    return out, missing
