"""Generated straight-line programs for the benchmarks, and the plain-Python tape they are measured against.

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


class Tape:
    """The floor: a minimal plain-Python tape (micrograd without objects): one list of steps,
    one forward loop for the values, one reverse loop for the adjoints."""

    def __init__(self, graph) -> None:
        self.inputs = list(graph.inputs)
        self.steps = []  # (value function, partial functions, operand indices, constant values)
        for node in graph.nodes:
            if node.op == "input":
                self.steps.append(None)
                continue
            op = OPS[node.op]
            self.steps.append((op.value, [lambda *a, n=node.op, k=k: partial(n, k, a[:-1], a[-1])
                                          for k in range(op.arity)], node.args))
        self.output = graph.output

    def gradient(self, point: list[float]) -> list[float]:
        n = len(self.steps)
        values = [0.0] * n
        local = [None] * n
        for i, x in zip(self.inputs, point):
            values[i] = x
        for i, step in enumerate(self.steps):
            if step is None:
                continue
            value, partials, args = step
            xs = [values[a] if type(a) is int else a.value for a in args]
            z = value(*xs)
            values[i] = z
            local[i] = [(a, partials[k](*xs, z)) for k, a in enumerate(args) if type(a) is int]
        grad = [0.0] * n
        grad[self.output] = 1.0
        for i in range(n - 1, -1, -1):
            edges = local[i]
            g = grad[i]
            if edges and g:  # a step that does not reach the output adds nothing (not 0·nan)
                for a, p in edges:
                    grad[a] += g * p
        return [grad[i] for i in self.inputs]
