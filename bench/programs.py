"""Generated straight-line programs for the benchmarks (the plain-Python tape they are measured against is
gradcli/engine/tape.py).

A program has N steps over 10 inputs, each step one operation drawn from the whole op table,
its operands drawn with heavy reuse of recent and earlier steps. Every step is evaluated at the
benchmark point as it is drawn and kept only if its value is finite and moderate, so the whole
program evaluates without overflow or domain errors.
"""

from __future__ import annotations

import math
import random

from gradcli.core.ops import OPS
from gradcli.core.rules import partial

INPUTS = [f"x{i}" for i in range(10)]
POINT = {name: 0.1 + 0.08 * i for i, name in enumerate(INPUTS)}
_INFIX = {"add": "{0} + {1}", "sub": "{0} - {1}", "mul": "{0}*{1}", "div": "{0}/{1}", "pow": "{0}**{1}"}
# the ops drawn from: the op table as it was when these benchmarks were first recorded, so that the same seed
# gives the same programs from run to run and the numbers stay comparable as the table grows
BENCH_OPS = ("add", "sub", "mul", "div", "pow", "neg", "copy", "exp", "log", "logb", "log1p", "expm1", "log2",
             "log10", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh",
             "atanh", "sigmoid", "relu", "step", "softplus", "sign", "abs")


def _forms() -> list[tuple[str, str]]:
    """(op name, template) for every op a user can write: operators and each function."""
    forms = [(op, text) for op, text in _INFIX.items()] + [("neg", "-{0}")]
    for op in OPS.values():
        if op.names and op.name != "pow" and op.name in BENCH_OPS:
            args = ", ".join("{%d}" % k for k in range(op.arity))
            forms.append((op.name, f"{op.names[0]}({args})"))
    return forms


def program(steps: int, seed: int = 0) -> str:
    """A program of ``steps`` named steps, one operation each."""
    rng = random.Random(seed)
    forms = _forms()
    names = list(INPUTS)
    values = [POINT[n] for n in INPUTS]
    lines = []
    while len(lines) < steps:
        op, template = rng.choice(forms)
        arity = OPS[op].arity
        picks = []
        for _ in range(arity):
            # heavy reuse: mostly the last few steps, often any earlier one
            k = len(names) - 1 - rng.randrange(min(8, len(names))) if rng.random() < 0.6 else rng.randrange(len(names))
            picks.append(k)
        xs = [values[k] for k in picks]
        try:
            v = OPS[op].value(*xs)
            slopes = [partial(op, k, xs, v) for k in range(arity)]
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        if not math.isfinite(v) or abs(v) > 1e3 or (v != 0 and abs(v) < 1e-6):
            continue
        if not all(math.isfinite(d) and abs(d) < 1e6 for d in slopes):
            continue  # no kinks, no infinite slopes: every derivative is finite too
        name = f"v{len(lines)}"
        lines.append(f"{name} = {template.format(*(names[k] for k in picks))}")
        names.append(name)
        values.append(v)
    return "\n".join(lines)

