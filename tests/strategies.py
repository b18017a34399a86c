"""Hypothesis strategies: random programs and expressions over the whole op table, and references.

Every function of the op table can appear. Ops with a restricted domain get an argument that
lands inside it (log of a positive guard, asin of a value in (-1, 1)), so most examples are
valid; the few that still fall outside are rejected by the tests, not bent to pass.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from hypothesis import strategies as st

from gradcli.core.ops import OPS
from gradcli.core.rules import partial

POSITIVE = ["({a})**2 + 0.5", "softplus({a}) + 0.25", "exp({a})", "1 + sigmoid({a})"]
UNIT = ["0.9*tanh({a})", "sigmoid({a}) - 0.5", "0.5*sin({a})"]
ABOVE_ONE = ["1.5 + ({a})**2", "2 + softplus({a})"]
DOMAIN = {"log": POSITIVE, "log2": POSITIVE, "log10": POSITIVE, "sqrt": POSITIVE, "asin": UNIT, "acos": UNIT,
          "atanh": UNIT, "acosh": ABOVE_ONE, "tan": UNIT}

# every callable one-argument function of the op table, by each of its names
UNARY = sorted(n for op in OPS.values() if op.arity == 1 for n in op.names)
BINARY = [
    "{a} + {b}", "{a} - {b}", "{a}*{b}", "-{a}", "{a}/(2 + sin({b}))", "{a}/(({b})**2 + 0.5)",
    "({a})**2", "({a})**3", "({a})**-2", "({P})**{b}", "({P})**0.5", "({P})**-1.5", "pow({P}, {b})",
    "log({P}, 2 + softplus({b}))", "({a})^2 + {b}", "{a}*{a} - {b}",
]
NAMES = ["x", "y", "w1", "w2", "theta0", "b_2", "x10", "x2", "z"]


@dataclass(frozen=True)
class Case:
    text: str
    steps: int
    program: bool


def _unary(draw, a: str) -> str:
    f = draw(st.sampled_from(UNARY))
    op = next(o.name for o in OPS.values() if f in o.names and o.arity == 1)
    if op in DOMAIN:
        a = draw(st.sampled_from(DOMAIN[op])).format(a=a)
    return f"{f}({a})"


@st.composite
def cases(draw, max_steps: int = 7, max_inputs: int = 3) -> Case:
    """A program of named steps, or the same computation inlined into one expression."""
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=max_inputs, unique=True))
    pool = list(names)
    steps: list[tuple[str, str]] = []
    for s in range(draw(st.integers(1, max_steps))):
        # recent steps are likelier operands: long chains, and reuse (sharing) of earlier nodes
        a = draw(st.sampled_from(pool[-4:] + pool))
        b = draw(st.sampled_from(pool[-4:] + pool))
        if draw(st.booleans()):
            text = _unary(draw, a)
        else:
            form = draw(st.sampled_from(BINARY))
            text = form.format(a=a, b=b, P=draw(st.sampled_from(POSITIVE)).format(a=a))
        steps.append((f"v{s}", text))
        pool.append(f"v{s}")
    program = "; ".join(f"{n} = {t}" for n, t in steps)
    inline: dict[str, str] = {}
    for n, t in steps:
        for m, u in inline.items():
            t = _replace(t, m, f"({u})")
        inline[n] = t
    expression = inline[steps[-1][0]]
    if len(expression) > 4000 or draw(st.booleans()):
        return Case(program, len(steps), True)
    return Case(expression, len(steps), False)


def _replace(text: str, name: str, by: str) -> str:
    """Replace the whole name ``name`` (not v1 inside v10) in a text."""
    import re

    return re.sub(rf"(?<![\w.]){re.escape(name)}(?![\w])", lambda m: by, text)


def points(names: tuple[str, ...]):
    return st.fixed_dictionaries({n: st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False) for n in names})


class SympyTooSlow(Exception):
    """sympy's exact evaluation ran past the tests' bound (a power of a power, evaluated to 30 digits)."""


SYMPY_SECONDS = 20  # far above a homework problem's milliseconds; a generated tower can take hours


def exact_gradient(graph, point: dict) -> dict[str, float] | None:
    """sympy's exact derivative of the graph, evaluated with 30 digits at the point.

    None when sympy itself cannot (its evalf can recurse without end on unevaluated derivatives); raises
    SympyTooSlow past SYMPY_SECONDS, so that a generated case sympy cannot finish is told, not waited on.
    """
    import signal

    from gradcli.exact.exact import gradient

    def stop(signum, frame):
        raise SympyTooSlow(f"sympy took more than {SYMPY_SECONDS} s")

    timed = hasattr(signal, "setitimer")
    if timed:
        before = signal.signal(signal.SIGALRM, stop)
        signal.setitimer(signal.ITIMER_REAL, SYMPY_SECONDS)
    try:
        return gradient(graph, point)
    except RecursionError:
        return None
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, before)


def absolute_gradient(trace) -> dict[str, float]:
    """The reverse sweep with every partial and adjoint taken in absolute value: Σ over paths of |products|.

    It bounds the magnitude of what the gradient sums, so gradient/absolute_gradient measures cancellation.
    """
    g = trace.graph
    adj = [0.0] * len(g.nodes)
    adj[g.output] = 1.0
    for j in range(g.output - 1, -1, -1):
        adj[j] = sum(adj[i] * abs(trace.partials[i][k]) for i, k in g.consumers[j] if i <= g.output)
    return {n: adj[i] for i, n in zip(g.inputs, g.names)}


def sane(trace) -> bool:
    """Values and local partials below 1e6: beyond, one rounding of a value can swamp a derivative."""
    return (all(math.isfinite(v) and abs(v) <= 1e6 for v in trace.values)
            and all(abs(p) <= 1e6 for ps in trace.partials for p in ps))


def perturbed_gradient(graph, point: dict, rng: random.Random,
                       ulps: int = 4) -> tuple[dict[str, float], dict[str, float]] | None:
    """The gradient, and Σ|paths|, with every node's value nudged by up to ``ulps`` units in the last place.

    A reimplementation of the value sweep and the reverse sweep, straight from the op table: how
    much the gradient moves measures how much the rounding of intermediate values can matter
    (log(exp(1e-109)): exp rounds to 1, and log of it loses everything).
    """
    nodes = graph.nodes
    values = [0.0] * len(nodes)
    partials: list[list[float]] = [[] for _ in nodes]
    for i, name in zip(graph.inputs, graph.names):
        values[i] = point[name]
    for i, node in enumerate(nodes):
        if node.op == "input":
            continue
        op = OPS[node.op]
        xs = [values[a] if isinstance(a, int) else a.value for a in node.args]
        try:
            z = op.value(*xs)
            if math.isfinite(z):
                # at least one ulp, either way: a nudge that rounds back to the value (1.0 from
                # exp(1e-155)) would hide the very sensitivity it is there to show
                z += rng.choice((-1, 1)) * rng.randint(1, ulps) * math.ulp(z)
            partials[i] = [partial(node.op, k, xs, z) if isinstance(a, int) else 0.0 for k, a in enumerate(node.args)]
        except (ValueError, ZeroDivisionError, OverflowError):
            return None
        values[i] = z
    adj = [0.0] * len(nodes)
    absolute = [0.0] * len(nodes)
    adj[graph.output] = absolute[graph.output] = 1.0
    for j in range(graph.output - 1, -1, -1):
        edges = [(i, k) for i, k in graph.consumers[j] if i <= graph.output]
        adj[j] = sum(adj[i] * partials[i][k] for i, k in edges)
        absolute[j] = sum(absolute[i] * abs(partials[i][k]) for i, k in edges)
    return ({n: adj[i] for i, n in zip(graph.inputs, graph.names)},
            {n: absolute[i] for i, n in zip(graph.inputs, graph.names)})


def _perturbations(trace, point: dict) -> list | None:
    """Three nudged replays of the trace (the same three for every caller), or None if one fails."""
    key = id(trace)
    if _PERTURBED.get(key, (None,))[0] is not trace:
        rng = random.Random(0)
        runs = [perturbed_gradient(trace.graph, point, rng) for _ in range(3)]
        _PERTURBED.clear()
        _PERTURBED[key] = (trace, None if any(r is None for r in runs) else runs)
    return _PERTURBED[key][1]


_PERTURBED: dict[int, tuple] = {}


def rounding_insensitive(trace, point: dict) -> bool:
    """Nudging every intermediate value by a few ulps moves no partial derivative by more than 1e-13."""
    runs = _perturbations(trace, point)
    if runs is None:
        return False
    return all(abs(g[n] - v) <= 1e-13 * abs(v) for g, _ in runs for n, v in trace.gradient.items())


def path_bound(trace, point: dict) -> dict[str, float]:
    """Σ|paths| for each input, the largest of the trace's own and of its nudged replays.

    A value that cancelled to exactly 0 in floating point (``(y**2 + y) - y`` at y = 1e-38) can make
    every path through it 0, and the trace's own Σ|paths| 0, while the exact derivative is a tiny
    nonzero number; nudged, the value is not 0 and the paths show how much the sum cancelled.
    """
    bound = absolute_gradient(trace)
    for _, absolute in _perturbations(trace, point) or []:
        bound = {n: max(b, absolute[n]) for n, b in bound.items()}
    return bound


def well_conditioned(trace, exact: dict[str, float], name: str, bound: dict[str, float]) -> bool:
    """A sane trace whose gradient loses at most one digit to cancellation (|∂f/∂x| ≥ Σ|paths| / 10,
    with ``bound`` the Σ|paths| of ``path_bound``)."""
    if not sane(trace):
        return False
    g = bound[name]
    return g == 0 or abs(exact[name]) * 10 >= g
