"""The table of operations: each op's value, its local partials as expressions, and its conventions.

Adding an operation is adding one entry to ``OPS`` (and its name to the lists of functions in the README,
docs/language.md and the man page). Its partials ∂out/∂arg_k are written in gradcli's own language, in the operands
``{0}``, ``{1}`` and the op's own result ``{out}`` (exp' is ``{out}``, sigmoid' is ``{out}*(1 - {out})``).
They are parsed once and serve everything: the numbers of both sweeps, the rule each table prints,
sympy's form of it, and second derivatives. A numeric override (``numeric``) stands in for the float
value only where the expression would lose digits or break a convention (tanh' = 1 - tanh² cancels to
0 at 20; 1/cosh² does not), and a test checks every override against its expression.
"""

from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple

inf = math.inf
nan = math.nan


class DomainError(ValueError):
    """The value of an op is undefined at its operands (``log(-1)``, ``1/0``)."""


class Op(NamedTuple):
    """One operation. Give every field by keyword."""

    name: str
    arity: int
    value: Callable[..., float]  # the float value; raises DomainError where it is undefined
    partials: tuple[str, ...]  # ∂out/∂arg_k in gradcli's language, in {0}, {1} and {out}
    sym: Callable[..., Any]  # the op in sympy: sym(functions, *args) with gradcli.sym.functions
    # float overrides f(*xs, z) for partials whose expression loses digits or breaks a convention
    numeric: tuple[Callable[..., float] | None, ...] = ()
    names: tuple[str, ...] = ()  # names a user may call it by; operators and internal ops have none
    domain: str = ""  # what the value needs, said when it is undefined
    # kink(k, *args) -> the convention used for partial k at a non-differentiable point, or None
    kink: Callable[..., str | None] | None = None
    # LaTeX for a function: a command (\exp) or a template with "{0}" (\sqrt{{{0}}}); empty: \operatorname{name}
    tex: str = ""
    # an op of any number of operands (arity -1): its partial in operand k of n, in the same language
    rule: Callable[[int, int], str] | None = None
    numeric_rule: Callable[[int, int], Callable[..., float] | None] | None = None  # and its float overrides
    min_args: int = 1  # the fewest operands a variadic op takes
    # where the float value is exact though the op is not exact arithmetic: (operand, value), as sin(0) = 0; a
    # sum that cancels such values loses no digits (gradcli/engine/trace.py)
    exact_at: tuple[float, float] | None = None
    always_exact: bool = False  # the float value is always the exact value of its operand (-x, |x|, relu)
    sympy: str = ""  # the name of sympy's function for the op where it is not the op's own (Abs for abs)
    defined: str = ""  # a function a program defines (gradcli/core/functions.py): its definition, s(g) = …
    inline: Any = None  # a step kept as written (--as-written): its body in slots, printed in place of a call


def fmt(x: float) -> str:
    """A number as short as it can be and still exact: 64.0 -> '64', 0.1 -> '0.1'."""
    if x != x:
        return "nan"
    if x in (inf, -inf):
        return "inf" if x > 0 else "-inf"
    if x == int(x) and abs(x) < 1e16:
        return str(int(x))
    return repr(x)


# --- values that must not raise on overflow ------------------------------------------------------------


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


def _log1p(x: float) -> float:
    if x == -1:
        return -inf
    if x < -1:
        raise DomainError("log1p needs an argument above -1")
    return math.log1p(x)


def _expm1(x: float) -> float:
    try:
        return math.expm1(x)
    except OverflowError:
        return inf


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


def _step(x: float) -> float:
    return 1.0 if x > 0 else 0.0


def _sign(x: float) -> float:
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0


def _mean(*xs: float) -> float:
    return math.fsum(xs) / len(xs)


def _logsumexp(*xs: float) -> float:
    m = max(xs)
    if math.isinf(m):
        return m
    return m + math.log(math.fsum(math.exp(x - m) for x in xs))


def _softmax(k: float, *os: float) -> float:
    if not (k == int(k) and 1 <= k <= len(os)):
        raise DomainError(f"softmax(k, o1, …, on) needs k a whole number from 1 to n = {len(os)}")
    m = max(os)
    es = [math.exp(o - m) for o in os]
    return es[int(k) - 1] / math.fsum(es)


def _tie_share(k: int, n: int):
    """max and min: the derivative goes to the operand equal to the result, shared equally among ties, as
    PyTorch's max and min over a tensor do."""
    def share(*args: float) -> float:
        *xs, z = args
        if xs[k] != z:
            return 0.0
        return 1.0 / sum(1 for x in xs if x == z)

    return share


def _ties(which: str):
    def kink(k: int, *xs: float) -> str | None:
        """A note where max or min has tied operands (said once, at the first of them)."""
        z = max(xs) if which == "max" else min(xs)
        tied = [i for i, x in enumerate(xs) if x == z]
        if len(tied) > 1 and k == tied[0]:
            return (f"{len(tied)} operands tie for the {which}: each gets 1/{len(tied)} of the derivative, as "
                    f"PyTorch's {which} over a tensor gives")
        return None

    return kink


# --- partials whose expression would lose digits or break a convention -----------------------------------


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


_LN2 = math.log(2)
_LN10 = math.log(10)

OPS: dict[str, Op] = {
    op.name: op
    for op in [
        # operators
        Op(name="add", arity=2, value=lambda x, y: x + y, partials=("1", "1"), sym=lambda sp, x, y: x + y),
        Op(name="sub", arity=2, value=lambda x, y: x - y, partials=("1", "-1"), sym=lambda sp, x, y: x - y),
        Op(name="mul", arity=2, value=lambda x, y: x * y, partials=("{1}", "{0}"), sym=lambda sp, x, y: x * y),
        Op(name="div", arity=2, value=_div, partials=("1/{1}", "-{0}/{1}**2"), sym=lambda sp, x, y: x / y,
           # -z/y, not -x/y**2, whose y**2 underflows to 0 at y = 1e-200
           numeric=(None, lambda x, y, z: -z / y), domain="division by zero"),
        Op(name="pow", arity=2, value=_pow, partials=("{1}*{0}**({1} - 1)", "{out}*log({0})"),
           sym=lambda sp, x, y: x**y, numeric=(_pow_dx, _pow_dy), names=("pow",),
           domain="a negative base needs an integer exponent", kink=_pow_kink),
        Op(name="neg", always_exact=True, arity=1, value=lambda x: -x, partials=("-1",), sym=lambda sp, x: -x),
        # a step that renames another (y = v5): the identity
        Op(name="copy", always_exact=True, arity=1, value=lambda x: x, partials=("1",), sym=lambda sp, x: x),
        # functions
        Op(name="exp", exact_at=(0.0, 1.0), arity=1, value=_exp, partials=("{out}",), sym=lambda sp, x: sp.exp(x), names=("exp",),
           tex=r"\exp"),
        Op(name="log", arity=1, value=_log, partials=("1/{0}",), sym=lambda sp, x: sp.log(x), names=("log", "ln"),
           domain="log needs a positive argument", tex=r"\log"),
        Op(name="logb", arity=2, value=_logb, partials=("1/({0}*log({1}))", "-log({0})/({1}*log({1})**2)"),
           sym=lambda sp, x, b: sp.log(x) / sp.log(b), names=("log",),
           domain="log needs a positive argument and a positive base other than 1",
           tex=r"\log_{{{1}}}\left({0}\right)"),
        Op(name="log1p", exact_at=(0.0, 0.0), arity=1, value=lambda x: _log1p(x), partials=("1/(1 + {0})",),
           sym=lambda sp, x: sp.log1p(x), names=("log1p",), domain="log1p needs an argument above -1",
           tex=r"\operatorname{{log1p}}\left({0}\right)"),
        Op(name="expm1", exact_at=(0.0, 0.0), arity=1, value=lambda x: _expm1(x), partials=("{out} + 1",), sym=lambda sp, x: sp.expm1(x),
           names=("expm1",), tex=r"\operatorname{{expm1}}\left({0}\right)"),
        Op(name="log2", arity=1, value=lambda x: _log(x) / _LN2, partials=("1/({0}*log(2))",),
           sym=lambda sp, x: sp.log(x) / sp.log(2), names=("log2",), domain="log2 needs a positive argument",
           tex=r"\log_{{2}}\left({0}\right)"),
        Op(name="log10", arity=1, value=lambda x: _log(x) / _LN10, partials=("1/({0}*log(10))",),
           sym=lambda sp, x: sp.log(x) / sp.log(10), names=("log10",), domain="log10 needs a positive argument",
           tex=r"\log_{{10}}\left({0}\right)"),
        Op(name="sqrt", arity=1, value=math.sqrt, partials=("1/(2*{out})",), sym=lambda sp, x: sp.sqrt(x),
           names=("sqrt",), domain="sqrt needs a non-negative argument",
           kink=_at_zero("sqrt'(0) = inf was used (the slope is unbounded at 0)"), tex=r"\sqrt{{{0}}}"),
        Op(name="sin", exact_at=(0.0, 0.0), arity=1, value=math.sin, partials=("cos({0})",), sym=lambda sp, x: sp.sin(x), names=("sin",),
           domain="sin needs a finite argument", tex=r"\sin"),
        Op(name="cos", exact_at=(0.0, 1.0), arity=1, value=math.cos, partials=("-sin({0})",), sym=lambda sp, x: sp.cos(x),
           names=("cos",), domain="cos needs a finite argument", tex=r"\cos"),
        Op(name="tan", exact_at=(0.0, 0.0), arity=1, value=math.tan, partials=("1 + {out}**2",), sym=lambda sp, x: sp.tan(x),
           names=("tan",), domain="tan needs a finite argument", tex=r"\tan"),
        # 1 - x**2 as (1 - x)*(1 + x): near ±1 the square rounds away the digits that the difference needs
        Op(name="asin", exact_at=(0.0, 0.0), arity=1, value=math.asin, partials=("1/sqrt(1 - {0}**2)",), sym=lambda sp, x: sp.asin(x),
           numeric=(lambda x, z: _inv_sqrt((1.0 - x) * (1.0 + x)),), names=("asin", "arcsin"),
           domain="asin needs an argument in [-1, 1]",
           kink=_at_unit("asin'(±1) = inf was used (the slope is unbounded at ±1)"), tex=r"\arcsin"),
        Op(name="acos", arity=1, value=math.acos, partials=("-1/sqrt(1 - {0}**2)",), sym=lambda sp, x: sp.acos(x),
           numeric=(lambda x, z: -_inv_sqrt((1.0 - x) * (1.0 + x)),), names=("acos", "arccos"),
           domain="acos needs an argument in [-1, 1]",
           kink=_at_unit("acos'(±1) = -inf was used (the slope is unbounded at ±1)"), tex=r"\arccos"),
        Op(name="atan", exact_at=(0.0, 0.0), arity=1, value=math.atan, partials=("1/(1 + {0}**2)",), sym=lambda sp, x: sp.atan(x),
           names=("atan", "arctan"), tex=r"\arctan"),
        Op(name="sinh", exact_at=(0.0, 0.0), arity=1, value=_sinh, partials=("cosh({0})",), sym=lambda sp, x: sp.sinh(x),
           names=("sinh",), tex=r"\sinh"),
        Op(name="cosh", exact_at=(0.0, 1.0), arity=1, value=_cosh, partials=("sinh({0})",), sym=lambda sp, x: sp.cosh(x),
           names=("cosh",), tex=r"\cosh"),
        # 1 - tanh**2 is 0 at 20, where the derivative is 1.7e-17: 1/cosh**2 keeps every digit
        Op(name="tanh", exact_at=(0.0, 0.0), arity=1, value=math.tanh, partials=("1 - {out}**2",), sym=lambda sp, x: sp.tanh(x),
           numeric=(lambda x, z: 1.0 / _cosh(x) / _cosh(x),), names=("tanh",), tex=r"\tanh"),
        Op(name="asinh", exact_at=(0.0, 0.0), arity=1, value=math.asinh, partials=("1/sqrt({0}**2 + 1)",), sym=lambda sp, x: sp.asinh(x),
           numeric=(lambda x, z: 1.0 / math.hypot(x, 1.0),), names=("asinh", "arcsinh")),
        Op(name="acosh", arity=1, value=math.acosh, partials=("1/sqrt({0}**2 - 1)",), sym=lambda sp, x: sp.acosh(x),
           numeric=(lambda x, z: _inv_sqrt((x - 1.0) * (x + 1.0)),), names=("acosh", "arccosh"),
           domain="acosh needs an argument >= 1", kink=_at_unit("acosh'(1) = inf was used (the slope is unbounded at 1)")),
        Op(name="atanh", exact_at=(0.0, 0.0), arity=1, value=math.atanh, partials=("1/(1 - {0}**2)",), sym=lambda sp, x: sp.atanh(x),
           numeric=(lambda x, z: 1.0 / ((1.0 - x) * (1.0 + x)),), names=("atanh", "arctanh"),
           domain="atanh needs an argument strictly between -1 and 1"),
        # s*(1 - s) is 0 once s rounds to 1 (z = 37): s(z)*s(-z) keeps every digit
        Op(name="sigmoid", exact_at=(0.0, 0.5), arity=1, value=_sigmoid, partials=("{out}*(1 - {out})",), sym=lambda sp, x: sp.sigmoid(x),
           numeric=(lambda x, z: z * _sigmoid(-x),), names=("sigmoid", "sig", "logistic", "σ"), tex=r"\sigma"),
        Op(name="relu", always_exact=True, arity=1, value=_relu, partials=("step({0})",), sym=lambda sp, x: sp.relu(x),
           names=("relu",), kink=_at_zero("relu'(0) = 0 was used, as in PyTorch")),
        Op(name="step", always_exact=True, arity=1, value=_step, partials=("0",), sym=lambda sp, x: sp.step(x), names=("step",),
           kink=_at_zero("step jumps at 0, where it has no derivative; 0 was used")),
        Op(name="softplus", arity=1, value=_softplus, partials=("sigmoid({0})",), sym=lambda sp, x: sp.softplus(x),
           names=("softplus",)),
        Op(name="sign", always_exact=True, arity=1, value=_sign, partials=("0",), sym=lambda sp, x: sp.sign(x), names=("sign",),
           kink=_at_zero("sign'(0) = 0 was used, as in PyTorch")),
        Op(name="abs", always_exact=True, sympy="Abs", arity=1, value=math.fabs, partials=("sign({0})",), sym=lambda sp, x: sp.Abs(x), names=("abs",),
           kink=_at_zero("abs'(0) = 0 was used, as in PyTorch"), tex=r"\left|{0}\right|"),
        Op(name="erf", arity=1, value=math.erf, partials=("2/sqrt(pi)*exp(-{0}**2)",), sym=lambda sp, x: sp.erf(x),
           names=("erf",), tex=r"\operatorname{{erf}}\left({0}\right)"),
        Op(name="eq", arity=2, value=lambda x, y: 1.0 if x == y else 0.0, partials=("0", "0"),
           sym=lambda sp, x, y: sp.eq(x, y), names=("eq",), tex=r"\left[{0} = {1}\right]"),
        # reductions: any number of operands, one partial each
        Op(name="sum", arity=-1, value=lambda *xs: math.fsum(xs), partials=(), rule=lambda k, n: "1",
           sym=lambda sp, *xs: sp.Add(*xs), names=("sum",)),
        Op(name="mean", arity=-1, value=_mean, partials=(), rule=lambda k, n: f"1/{n}",
           sym=lambda sp, *xs: sp.Add(*xs) / len(xs), names=("mean",)),
        Op(name="max", sympy="Max", arity=-1, value=lambda *xs: max(xs), partials=(), rule=lambda k, n: "eq({%d}, {out})" % k,
           numeric_rule=_tie_share, sym=lambda sp, *xs: sp.Max(*xs), names=("max",), tex=r"\max", kink=_ties("max")),
        Op(name="min", sympy="Min", arity=-1, value=lambda *xs: min(xs), partials=(), rule=lambda k, n: "eq({%d}, {out})" % k,
           numeric_rule=_tie_share, sym=lambda sp, *xs: sp.Min(*xs), names=("min",), tex=r"\min", kink=_ties("min")),
        Op(name="logsumexp", arity=-1, value=_logsumexp, partials=(), rule=lambda k, n: "exp({%d} - {out})" % k,
           sym=lambda sp, *xs: sp.log(sp.Add(*(sp.exp(x) for x in xs))), names=("logsumexp",)),
        # softmax(k, o1, …, on): the k-th of the n outputs of softmax, k a whole number (constant)
        Op(name="softmax", arity=-1, value=_softmax, partials=(), min_args=2,
           rule=lambda j, n: "0" if j == 0 else "{out}*(eq({0}, %d) - softmax(%d, %s))" % (
               j, j, ", ".join("{%d}" % m for m in range(1, n))),
           sym=lambda sp, k, *os: sp.exp(os[int(k) - 1]) / sp.Add(*(sp.exp(o) for o in os)), names=("softmax",),
           domain="softmax(k, o1, …, on) needs k a whole number from 1 to n"),
    ]
}

VARIADIC: dict[str, str] = {n: op.name for op in OPS.values() if op.arity < 0 for n in op.names}

# (call name, number of arguments) -> op name
CALLS: dict[tuple[str, int], str] = {(n, op.arity): op.name for op in OPS.values() for n in op.names}
FUNCTION_NAMES: frozenset[str] = frozenset(n for n, _ in CALLS)
BINARY: dict[str, str] = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "^": "pow", "@": "matmul",
                          "·": "cdot", "⋅": "cdot", "×": "mul"}
CONSTANTS: dict[str, float] = {"pi": math.pi, "π": math.pi, "e": math.e}


FUNCTION_NAMES = FUNCTION_NAMES | frozenset(VARIADIC)

# functions of arrays, and the operators on them: gradcli/core/arrays.py writes each as the scalar ops above, one
# node per entry. sum, mean, max, min and logsumexp of one array, and softmax(v), are the variadic ops' own names.
ARRAY_FUNCTIONS: dict[str, tuple[int, ...]] = {"dot": (2,), "norm": (1,), "outer": (2,), "diag": (1,),
                                               "onehot": (2,), "transpose": (1,)}
ARRAY_OPS = frozenset({"matmul", "cdot", "transpose", "index", "array", *ARRAY_FUNCTIONS})
CALLS.update({(n, k): n for n, ks in ARRAY_FUNCTIONS.items() for k in ks})
CALLS[("softmax", 1)] = "softmax"  # softmax(v), a vector; softmax(k, o1, …, on) is its k-th entry
FUNCTION_NAMES = FUNCTION_NAMES | frozenset(ARRAY_FUNCTIONS)


def arities(name: str) -> list[int]:
    """The numbers of arguments a function name accepts (a variadic one: its fewest)."""
    if name in VARIADIC:
        return [OPS[VARIADIC[name]].min_args]
    return sorted(n for f, n in CALLS if f == name)


def op_for_call(name: str, count: int) -> str | None:
    """The op a call ``name(…)`` with ``count`` arguments is, or None."""
    op = CALLS.get((name, count))
    if op is None and name in VARIADIC and count >= OPS[VARIADIC[name]].min_args:
        return VARIADIC[name]
    return op


def arity_of(name: str, n: int) -> int:
    """How many operands a node of op ``name`` has: the op's arity, or ``n`` for a variadic op."""
    arity = OPS[name].arity
    return n if arity < 0 else arity


def ieee(name: str) -> Callable[..., float]:
    """The op's value as IEEE arithmetic gives it, for evaluating rules: inf where it divides by zero or
    overflows, nan where it is undefined; never an exception."""
    got = _IEEE.get(name)
    if got is None:
        value = OPS[name].value

        def fallback(xs: tuple, e: Exception) -> float:
            if isinstance(e, OverflowError):
                return inf
            if name == "div" and xs[0] == xs[0] and xs[0] != 0:
                return math.copysign(inf, xs[0]) * math.copysign(1.0, xs[1])
            if name == "pow" and xs[0] == 0 and xs[1] < 0:
                return inf
            return nan

        # the common arities without packing the operands in a tuple: rules call these in every sweep
        if OPS[name].arity == 1:
            def total(x: float) -> float:
                try:
                    return value(x)
                except (OverflowError, ValueError, ZeroDivisionError) as e:
                    return fallback((x,), e)
        elif OPS[name].arity == 2:
            def total(x: float, y: float) -> float:
                try:
                    return value(x, y)
                except (OverflowError, ValueError, ZeroDivisionError) as e:
                    return fallback((x, y), e)
        else:
            def total(*xs: float) -> float:
                try:
                    return value(*xs)
                except (OverflowError, ValueError, ZeroDivisionError) as e:
                    return fallback(xs, e)

        got = _IEEE[name] = total
    return got


_IEEE: dict[str, Callable[..., float]] = {}


# op codes: a graph's column of ops holds these small ints (gradcli/core/graph.py); 0 is a leaf
OP_NAMES: list[str] = ["input", *OPS]  # grows by the functions programs define (gradcli/core/functions.py)
OP_CODES: dict[str, int] = {name: k for k, name in enumerate(OP_NAMES)}


def register(op_name: str) -> int:
    """A new op of the op table (a function a program defines) given the next code: the tables by code that
    other modules keep grow to it as they are next used."""
    OP_CODES[op_name] = len(OP_NAMES)
    OP_NAMES.append(op_name)
    return OP_CODES[op_name]
