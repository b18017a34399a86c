"""The table of operations: each op's value, local partials (numeric and as text) and kink conventions.

Adding an operation is adding one entry to ``OPS``. The parser reads the call names,
the engine reads ``value``/``partials``/``kink``, the renderers read ``text``/``dtext``,
and the tests read ``sym`` (the sympy form) to check every partial.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any, Callable, NamedTuple

inf = math.inf
nan = math.nan


class DomainError(ValueError):
    """The value of an op is undefined at its operands (``log(-1)``, ``1/0``)."""


class Operand(NamedTuple):
    """What an op's text templates see of one operand: its label, and its value if constant."""

    label: str
    const: float | None = None


class Op(NamedTuple):
    """One operation: value, local partials ∂out/∂arg_k, their text, and conventions."""

    name: str
    arity: int
    value: Callable[..., float]
    # partials[k](*args, out) -> ∂out/∂arg_k; out is passed so exp' = out is free
    partials: tuple[Callable[..., float], ...]
    # definition, with "{0}", "{1}" standing for the operands' labels
    text: str
    # each partial as text in operand names: a template, or a function of the Operands
    dtext: tuple[str | Callable[..., str], ...]
    # the op in sympy: sym(sympy_module, *args); used by tests and exact work
    sym: Callable[..., Any]
    # what the value needs, said when it is undefined
    domain: str = ""
    # kink(k, *args) -> the convention used for partial k at a non-differentiable point
    kink: Callable[..., str | None] | None = None
    # names a user may call it by; binary operators and internal ops have none
    names: tuple[str, ...] = ()
    # LaTeX for a function: a command (\exp) or a template with "{0}" (\sqrt{{{0}}}); empty: \operatorname{name}.
    # Operators are laid out by precedence in render/latex.py.
    tex: str = ""


def fmt(x: float) -> str:
    """A number as short as it can be and still exact: 64.0 -> '64', 0.1 -> '0.1'."""
    if x != x:
        return "nan"
    if x in (inf, -inf):
        return "inf" if x > 0 else "-inf"
    if x == int(x) and abs(x) < 1e16:
        return str(int(x))
    return repr(x)


_ATOM = re.compile(r"[^\W\d]\w*|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


@functools.lru_cache(maxsize=4096)
def atom(label: str) -> str:
    """Wrap a label in parentheses unless it is a name, an unsigned number or one call."""
    if _ATOM.fullmatch(label) or _closes_at_end(label):
        return label
    return f"({label})"


def _closes_at_end(label: str) -> bool:
    """True for ``f(...)`` and ``(...)`` whose first parenthesis closes at the very end."""
    head = _ATOM.match(label)
    start = head.end() if head and not label[0].isdigit() else 0
    if start >= len(label) or label[start] != "(" or label[-1] != ")":
        return False
    depth = 0
    for i in range(start, len(label)):
        depth += {"(": 1, ")": -1}.get(label[i], 0)
        if depth == 0:
            return i == len(label) - 1
    return False


_SLOT = re.compile(r"\{(\d)\}")


def fill(template: str, labels: tuple[str, ...]) -> str:
    """Put labels into a template, in parentheses where precedence needs them (not as a call's argument)."""

    def one(m: re.Match) -> str:
        label = labels[int(m.group(1))]
        before = template[m.start() - 2:m.start()]
        after = template[m.end():m.end() + 1]
        bare = (before.endswith("(") or before == ", ") and after in (")", ",")
        return label if bare else atom(label)

    return _SLOT.sub(one, template)


def dtext(op: Op, k: int, operands: tuple[Operand, ...]) -> str:
    """The k-th local partial of ``op`` as text in the operands' labels."""
    rule = op.dtext[k]
    if callable(rule):
        return rule(*operands)
    return fill(rule, tuple(o.label for o in operands))


def define(op: Op, labels: tuple[str, ...]) -> str:
    """The op's definition with the given operand labels: ``exp(c1)``, ``c1**2``."""
    template, bare = definition(op.name)
    return template.format(*(lab if b else atom(lab) for lab, b in zip(labels, bare)))


_DEFINITIONS: dict[str, tuple[str, tuple[bool, ...]]] = {}


def definition(name: str) -> tuple[str, tuple[bool, ...]]:
    """An op's definition as a format string, and for each operand whether it is a call's argument
    (then it is never put in parentheses). Node ids never need parentheses; constants may."""
    cached = _DEFINITIONS.get(name)
    if cached is None:
        text = OPS[name].text
        bare = [False] * OPS[name].arity
        for m in _SLOT.finditer(text):
            before, after = text[m.start() - 2:m.start()], text[m.end():m.end() + 1]
            bare[int(m.group(1))] = (before.endswith("(") or before == ", ") and after in (")", ",")
        cached = _DEFINITIONS[name] = (text, tuple(bare))
    return cached


# --- values that must not raise on overflow ------------------------------------------


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return inf


def _sinh(x: float) -> float:
    try:
        return math.sinh(x)
    except OverflowError:
        return math.copysign(inf, x)


def _cosh(x: float) -> float:
    try:
        return math.cosh(x)
    except OverflowError:
        return inf


def _mul(x: float, y: float) -> float:
    return x * y


def _div(x: float, y: float) -> float:
    if y == 0:
        raise DomainError("division by zero")
    return x / y


def _is_int(y: float) -> bool:
    return math.isfinite(y) and y == math.floor(y)


def _pow(x: float, y: float) -> float:
    if x == 0 and y < 0:
        raise DomainError("0 to a negative power divides by zero")
    if x < 0 and math.isfinite(y) and not _is_int(y):
        raise DomainError("a negative base needs an integer exponent")
    try:
        return math.pow(x, y)
    except OverflowError:
        odd = _is_int(y) and math.fmod(y, 2) != 0
        return -inf if x < 0 and odd else inf


def _log(x: float) -> float:
    # log(0) = -inf as in IEEE and PyTorch; reported as a non-finite value, not an error
    if x == 0:
        return -inf
    return math.log(x)


def _logb(x: float, b: float) -> float:
    if b <= 0 or b == 1:
        raise DomainError("the base of a logarithm must be positive and not 1")
    return _log(x) / math.log(b)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _relu(x: float) -> float:
    return x if x > 0 else 0.0


def _sign(x: float) -> float:
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0


# --- partials that need care -----------------------------------------------------------
# Partials avoid cancellation: tanh' is 1/cosh(x)**2, not 1 - tanh(x)**2 (which loses every digit as
# tanh(x) -> 1); sigmoid' is sigmoid(x)*sigmoid(-x), not s*(1 - s); 1 - x**2 is (1 - x)*(1 + x).


def _pow_dx(x: float, y: float, z: float) -> float:
    if y == 0:
        return 0.0  # PyTorch: d/dx x**0 = 0, also at x = 0
    if x == 0 and y < 1:
        return math.copysign(inf, y)
    return y * _pow(x, y - 1)


def _pow_dy(x: float, y: float, z: float) -> float:
    if x == 0 and y >= 0:
        return 0.0  # PyTorch masks d/dy 0**y to 0 for y >= 0
    if x < 0:
        return nan  # needs log(x) of a negative x
    return z * math.log(x)


def _pow_kink(k: int, x: float, y: float) -> str | None:
    if k == 0 and x == 0 and y == 0:
        return "d/dx x**0 = 0 was used at x = 0, as in PyTorch"
    if k == 0 and x == 0 and 0 < y < 1:
        return f"d/dx x**{fmt(y)} is inf at x = 0"
    if k == 1 and x < 0:
        return "the partial in the exponent needs log of a negative base; nan was used"
    if k == 1 and x == 0:
        return "d/dy 0**y = 0 was used for y >= 0, as in PyTorch"
    return None


def _pow_dtext(a: Operand, b: Operand) -> str:
    base = atom(a.label)
    if b.const is None:
        return f"{atom(b.label)}*{base}**({b.label} - 1)"
    c = b.const
    if c == 0:
        return "0"
    if c == 1:
        return "1"
    if c == 2:
        return f"2*{base}"
    if _is_int(c) and abs(c) < 1e15:
        return f"{atom(fmt(c))}*{base}**{atom(fmt(c - 1))}"
    return f"{atom(b.label)}*{base}**({b.label} - 1)"


def _pow_dy_text(a: Operand, b: Operand) -> str:
    return f"{atom(a.label)}**{atom(b.label)}*log({a.label})"


def _at_zero(note: str) -> Callable[..., str | None]:
    def kink(k: int, x: float) -> str | None:
        return note if x == 0 else None

    return kink


def _at_unit(note: str) -> Callable[..., str | None]:
    def kink(k: int, x: float) -> str | None:
        return note if abs(x) == 1 else None

    return kink


def _inv_sqrt(t: float) -> float:
    """1/sqrt(t) for t >= 0, inf at 0."""
    return inf if t == 0 else 1.0 / math.sqrt(t)


def _one(*_: float) -> float:
    return 1.0


def _minus_one(*_: float) -> float:
    return -1.0


_LN2 = math.log(2)
_LN10 = math.log(10)

OPS: dict[str, Op] = {
    op.name: op
    for op in [
        # binary operators
        Op("add", 2, lambda x, y: x + y, (_one, _one), "{0} + {1}", ("1", "1"), lambda sp, x, y: x + y),
        Op("sub", 2, lambda x, y: x - y, (_one, _minus_one), "{0} - {1}", ("1", "-1"), lambda sp, x, y: x - y),
        Op("mul", 2, _mul, (lambda x, y, z: y, lambda x, y, z: x), "{0}*{1}", ("{1}", "{0}"), lambda sp, x, y: x * y),
        Op("div", 2, _div, (lambda x, y, z: 1.0 / y, lambda x, y, z: -z / y), "{0}/{1}", ("1/{1}", "-{0}/{1}**2"),
            lambda sp, x, y: x / y, domain="division by zero"),
        Op("pow", 2, _pow, (_pow_dx, _pow_dy), "{0}**{1}", (_pow_dtext, _pow_dy_text), lambda sp, x, y: x**y,
            domain="a negative base needs an integer exponent", kink=_pow_kink, names=("pow",)),
        Op("neg", 1, lambda x: -x, (_minus_one,), "-{0}", ("-1",), lambda sp, x: -x),
        # a step that renames another (y = v5): the identity
        Op("copy", 1, lambda x: x, (_one,), "{0}", ("1",), lambda sp, x: x),
        # functions
        Op("exp", 1, _exp, (lambda x, z: z,), "exp({0})", ("exp({0})",), lambda sp, x: sp.exp(x), names=("exp",),
            tex=r"\exp"),
        Op("log", 1, _log, (lambda x, z: 1.0 / x if x else inf,), "log({0})", ("1/{0}",), lambda sp, x: sp.log(x),
            domain="log needs a positive argument", names=("log", "ln"), tex=r"\log"),
        Op("logb", 2, _logb,
            (lambda x, b, z: 1.0 / (x * math.log(b)) if x else inf, lambda x, b, z: -z / (b * math.log(b))),
            "log({0}, {1})", ("1/({0}*log({1}))", "-log({0})/({1}*log({1})**2)"),
            lambda sp, x, b: sp.log(x) / sp.log(b),
            domain="log needs a positive argument and a positive base other than 1", names=("log",),
            tex=r"\log_{{{1}}}\left({0}\right)"),
        Op("log2", 1, lambda x: _log(x) / _LN2, (lambda x, z: 1.0 / (x * _LN2) if x else inf,), "log2({0})",
            ("1/({0}*log(2))",), lambda sp, x: sp.log(x) / sp.log(2), domain="log2 needs a positive argument",
            names=("log2",), tex=r"\log_{{2}}\left({0}\right)"),
        Op("log10", 1, lambda x: _log(x) / _LN10, (lambda x, z: 1.0 / (x * _LN10) if x else inf,), "log10({0})",
            ("1/({0}*log(10))",), lambda sp, x: sp.log(x) / sp.log(10), domain="log10 needs a positive argument",
            names=("log10",), tex=r"\log_{{10}}\left({0}\right)"),
        Op("sqrt", 1, math.sqrt, (lambda x, z: inf if z == 0 else 0.5 / z,), "sqrt({0})", ("1/(2*sqrt({0}))",),
            lambda sp, x: sp.sqrt(x), domain="sqrt needs a non-negative argument",
            kink=_at_zero("sqrt'(0) = inf was used (the slope is unbounded at 0)"), names=("sqrt",),
            tex=r"\sqrt{{{0}}}"),
        Op("sin", 1, math.sin, (lambda x, z: math.cos(x),), "sin({0})", ("cos({0})",), lambda sp, x: sp.sin(x),
            domain="sin needs a finite argument", names=("sin",), tex=r"\sin"),
        Op("cos", 1, math.cos, (lambda x, z: -math.sin(x),), "cos({0})", ("-sin({0})",), lambda sp, x: sp.cos(x),
            domain="cos needs a finite argument", names=("cos",), tex=r"\cos"),
        Op("tan", 1, math.tan, (lambda x, z: 1.0 + z * z,), "tan({0})", ("1/cos({0})**2",), lambda sp, x: sp.tan(x),
            domain="tan needs a finite argument", names=("tan",), tex=r"\tan"),
        Op("asin", 1, math.asin, (lambda x, z: _inv_sqrt((1.0 - x) * (1.0 + x)),), "asin({0})", ("1/sqrt(1 - {0}**2)",),
            lambda sp, x: sp.asin(x), domain="asin needs an argument in [-1, 1]",
            kink=_at_unit("asin'(±1) = inf was used (the slope is unbounded at ±1)"), names=("asin", "arcsin"),
            tex=r"\arcsin"),
        Op("acos", 1, math.acos, (lambda x, z: -_inv_sqrt((1.0 - x) * (1.0 + x)),), "acos({0})",
            ("-1/sqrt(1 - {0}**2)",),
            lambda sp, x: sp.acos(x), domain="acos needs an argument in [-1, 1]",
            kink=_at_unit("acos'(±1) = -inf was used (the slope is unbounded at ±1)"), names=("acos", "arccos"),
            tex=r"\arccos"),
        Op("atan", 1, math.atan, (lambda x, z: 1.0 / (1.0 + x * x),), "atan({0})", ("1/(1 + {0}**2)",),
            lambda sp, x: sp.atan(x), names=("atan", "arctan"), tex=r"\arctan"),
        Op("sinh", 1, _sinh, (lambda x, z: _cosh(x),), "sinh({0})", ("cosh({0})",), lambda sp, x: sp.sinh(x),
            names=("sinh",), tex=r"\sinh"),
        Op("cosh", 1, _cosh, (lambda x, z: _sinh(x),), "cosh({0})", ("sinh({0})",), lambda sp, x: sp.cosh(x),
            names=("cosh",), tex=r"\cosh"),
        Op("tanh", 1, math.tanh, (lambda x, z: 1.0 / _cosh(x) / _cosh(x),), "tanh({0})", ("1 - tanh({0})**2",),
            lambda sp, x: sp.tanh(x), names=("tanh",), tex=r"\tanh"),
        Op("asinh", 1, math.asinh, (lambda x, z: 1.0 / math.hypot(x, 1.0),), "asinh({0})", ("1/sqrt({0}**2 + 1)",),
            lambda sp, x: sp.asinh(x), names=("asinh", "arcsinh")),
        Op("acosh", 1, math.acosh, (lambda x, z: _inv_sqrt((x - 1.0) * (x + 1.0)),), "acosh({0})",
            ("1/sqrt({0}**2 - 1)",),
            lambda sp, x: sp.acosh(x), domain="acosh needs an argument >= 1",
            kink=_at_unit("acosh'(1) = inf was used (the slope is unbounded at 1)"), names=("acosh", "arccosh")),
        Op("atanh", 1, math.atanh, (lambda x, z: 1.0 / ((1.0 - x) * (1.0 + x)),), "atanh({0})", ("1/(1 - {0}**2)",),
            lambda sp, x: sp.atanh(x), domain="atanh needs an argument strictly between -1 and 1",
            names=("atanh", "arctanh")),
        Op("sigmoid", 1, _sigmoid, (lambda x, z: z * _sigmoid(-x),), "sigmoid({0})",
            ("sigmoid({0})*(1 - sigmoid({0}))",), lambda sp, x: sp.sigmoid(x),
            names=("sigmoid", "sig", "logistic", "σ"), tex=r"\sigma"),
        Op("relu", 1, _relu, (lambda x, z: 1.0 if x > 0 else 0.0,), "relu({0})", ("[{0} > 0]",),
            lambda sp, x: sp.relu(x), kink=_at_zero("relu'(0) = 0 was used, as in PyTorch"),
            names=("relu",)),
        Op("softplus", 1, _softplus, (lambda x, z: _sigmoid(x),), "softplus({0})", ("sigmoid({0})",),
            lambda sp, x: sp.softplus(x), names=("softplus",)),
        Op("sign", 1, _sign, (lambda x, z: 0.0,), "sign({0})", ("0",),
            lambda sp, x: sp.sign(x),
            kink=_at_zero("sign'(0) = 0 was used, as in PyTorch"), names=("sign",)),
        Op("abs", 1, math.fabs, (lambda x, z: _sign(x),), "abs({0})", ("sign({0})",), lambda sp, x: sp.Abs(x),
            kink=_at_zero("abs'(0) = 0 was used, as in PyTorch"), names=("abs",), tex=r"\left|{0}\right|"),
    ]
}

# (call name, number of arguments) -> op name
CALLS: dict[tuple[str, int], str] = {(n, op.arity): op.name for op in OPS.values() for n in op.names}
FUNCTION_NAMES: frozenset[str] = frozenset(n for n, _ in CALLS)
BINARY: dict[str, str] = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "^": "pow"}
CONSTANTS: dict[str, float] = {"pi": math.pi, "π": math.pi, "e": math.e}


def arities(name: str) -> list[int]:
    """The numbers of arguments a function name accepts."""
    return sorted(n for f, n in CALLS if f == name)
