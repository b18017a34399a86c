"""Functions a program defines, as a sheet does: ``s(γ) = 1/(1 + exp(-γ))``, then ``a1 = s(z1)``.

Each definition is an op of its own, made from its body: its value evaluates the body, its local partials are
the body differentiated in each parameter by the op table's own rules (gradcli/core/expr.py ``diff_slot``),
its sympy form is the body in sympy, and a kink of an op inside the body is told at the call. So a call is
one node of the graph, ``a1 = s(z1)``, with the local partial ``∂a1/∂z1`` from the definition, and every
interpretation (values, tangents, adjoints, second order, sympy, the data columns) takes it as it takes exp.

Ops are made once per distinct definition (its name, parameters and body) and kept for the process: a
notebook that runs the same program twice gets the same op. A second, different body for a name already
taken is the op ``s#2``, shown as ``s``. Bodies are walked by loops over postfix lists, never by recursion.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable

from .expr import NAME, NUM, OUT, SLOT, Expr, diff_slot, simplify, slot, transform
from .ops import ARRAY_OPS, CONSTANTS, OPS, Op, register

MAX_OPS = 250  # an op code is one byte; the op table takes about 40 of them


class DefinitionError(ValueError):
    """A definition gradcli cannot take; ``name`` is the name in the body at fault, if one is."""

    def __init__(self, message: str, name: str | None = None) -> None:
        super().__init__(message)
        self.name = name


_DEFINED: dict[tuple, Op] = {}  # (name, parameters, body's text) -> its op


def body_in_slots(name: str, params: tuple[str, ...], body: Expr) -> Expr:
    """The body with parameter k written as slot k, as the op table writes its rules; a name that is neither a
    parameter nor a constant is an error (a function reads only its parameters)."""
    index = {p: k for k, p in enumerate(params)}

    def leaf(x: Expr) -> Expr:
        if x.op == NAME:
            k = index.get(x.leaf)
            if k is not None:
                return slot(k)
            if x.leaf not in CONSTANTS:
                listed = ", ".join(params)
                raise DefinitionError(f"'{x.leaf}' is not a parameter of {name}({listed}): a function's body reads "
                                      f"only its parameters; pass it as one, {name}({listed}, {x.leaf})", x.leaf)
        return x

    return transform(body, leaf)


def _postfix(e: Expr) -> list[Expr]:
    """The subtrees of e in postfix order, each once per occurrence, without recursion."""
    out: list[Expr] = []
    stack: list[tuple[Expr, bool]] = [(e, False)]
    while stack:
        x, done = stack.pop()
        if done or not x.args:
            out.append(x)
            continue
        stack.append((x, True))
        stack.extend((a, False) for a in reversed(x.args))
    return out


def _replayer(body: Expr, number: Callable[[tuple], Any], constant: Callable[[str], Any],
              apply: Callable[[str, list], Any]) -> Callable[..., Any]:
    """A function of the operands that evaluates the body in postfix order: numbers by ``number``, pi and e by
    ``constant``, each op by ``apply(op, operands)``."""
    program = []
    for x in _postfix(body):
        if x.op == SLOT:
            program.append((0, x.leaf))
        elif x.op == NUM:
            program.append((1, x.leaf))
        elif x.op == NAME:
            program.append((2, x.leaf))
        else:
            program.append((3, (x.op, len(x.args))))

    def run(*xs: Any) -> Any:
        stack: list = []
        for kind, arg in program:
            if kind == 0:
                stack.append(xs[arg])
            elif kind == 1:
                stack.append(number(arg))
            elif kind == 2:
                stack.append(constant(arg))
            else:
                op, n = arg
                operands = stack[len(stack) - n:]
                del stack[len(stack) - n:]
                stack.append(apply(op, operands))
        return stack[0]

    return run


def _kinks(name: str, body: Expr) -> Callable[..., str | None]:
    """A kink of an op inside the body, at these operands: the convention that op uses, told at the call."""
    inner = _postfix(body)
    varies: list[bool] = []  # per entry of inner: whether it depends on an operand (a constant has no kink)
    stack: list[bool] = []
    for x in inner:
        n = len(x.args)
        if n:
            below = stack[len(stack) - n:]
            del stack[len(stack) - n:]
            stack.append(any(below))
        else:
            stack.append(x.op == SLOT)
        varies.append(stack[-1])

    def kink(k: int, *xs: float) -> str | None:
        values: list[float] = []
        flags: list[bool] = []
        for x, v in zip(inner, varies):
            if x.op == SLOT:
                values.append(xs[x.leaf])
            elif x.op == NUM:
                values.append(x.leaf[0])
            elif x.op == NAME:
                values.append(CONSTANTS[x.leaf])
            else:
                n = len(x.args)
                operands = values[len(values) - n:]
                del values[len(values) - n:]
                depends = flags[len(flags) - n:]
                del flags[len(flags) - n:]
                spec = OPS[x.op]
                if spec.kink is not None:
                    for j in range(n):
                        note = spec.kink(j, *operands) if depends[j] else None
                        if note is not None:
                            return f"{note}, inside {name}"
                try:
                    values.append(spec.value(*operands))
                except (ValueError, ZeroDivisionError, OverflowError):
                    return None
            flags.append(v)
        return None

    return kink


def _exact(sp, x: float, text: str | None) -> Any:
    """A number of a body for sympy: its decimal text read exactly (0.1 is 1/10), else the double exactly."""
    if text is not None:
        try:
            f = Fraction(text)
        except (ValueError, ZeroDivisionError):
            f = None
        if f is not None:
            return sp.Rational(f.numerator, f.denominator)
    return sp.Integer(int(x)) if x == int(x) else sp.Rational(x)


def define(name: str, params: tuple[str, ...], body: Expr, inline: bool = False) -> Op:
    """The op of the definition ``name(params) = body``, made and entered in the op table the first time it is
    seen. ``inline``: a step kept as written (--as-written), printed as its body with its operands put in.
    Raises DefinitionError."""
    from .rules import _RULES, rules

    slots = body_in_slots(name, params, body)
    key = (name, len(params), inline, tuple((x.op, x.leaf, len(x.args)) for x in _postfix(slots)))
    got = _DEFINED.get(key)
    if got is not None:
        return got
    for x in _postfix(slots):
        if x.op in ARRAY_OPS or (x.op == "softmax" and x.args[0].op != NUM):
            what = "arrays" if x.op in ARRAY_OPS else "softmax of an entry that is not a number written out"
            raise DefinitionError(f"{name}'s body uses {what}, which a function definition cannot hold: a function "
                                  "here is of numbers; write it as steps of the program")
    if len(OPS) >= MAX_OPS:
        raise DefinitionError(f"more than {MAX_OPS - 41} different functions defined in one process")
    op_name, k = name, 1
    while op_name in OPS or op_name == "input":
        k += 1
        op_name = f"{name}#{k}"

    def value_of(op: str, xs: list) -> float:
        return OPS[op].value(*xs)

    value = _replayer(slots, lambda leaf: leaf[0], CONSTANTS.__getitem__, value_of)

    def sym(functions, *args):
        sp = functions  # sympy itself, with gradcli's own functions (gradcli/exact/sym.py)
        return _replayer(slots, lambda leaf: _exact(sp, *leaf), lambda c: sp.E if c == "e" else sp.pi,
                         lambda op, xs: OPS[op].sym(functions, *xs))(*args)

    def fold(op: str, xs: tuple) -> float:
        return OPS[op].value(*xs)

    partials = tuple(simplify(diff_slot(slots, m, (), rules), fold) for m in range(len(params)))
    for p in partials:
        assert all(x.op != OUT for x in _postfix(p))
    from .printer import PLAIN

    op = Op(name=op_name, arity=len(params), value=value, partials=(), sym=sym, names=(name,),
            kink=_kinks(name, slots), domain=f"{name}'s body is undefined there",
            defined=f"{name}({', '.join(params)}) = {PLAIN.text(body)}", inline=slots if inline else None)
    OPS[op_name] = op
    _RULES[(op_name, len(params))] = partials
    register(op_name)
    _DEFINED[key] = op
    return op
