"""``gradcli check``: a derived formula for a derivative, checked against the true one.

sympy decides where it can: the claim and the derivative are equal when their difference simplifies
to 0 ("proved equal"). Where it does not, the two are compared at random points (a fixed seed, so a
check is reproducible): a point where they differ is a counterexample ("different"); when they agree
at every point tried, the check says it could not decide, and how many points agreed.

The claim is parsed by gradcli's own parser and turned into sympy from its tree; its text never
reaches sympy.
"""

from __future__ import annotations

import math
import random
from typing import NamedTuple

import sympy as sp

from ..errors import GradcliError, GradcliSyntaxError
from ..core.expr import NAME, Expr, from_items, walk
from ..core.graph import Graph
from ..core.ops import CONSTANTS
from ..core.parse import normal_name, parse_expression
from .symbolic import MAX_NODES, apply, from_sympy, node_expressions, simplest, symbol, to_sympy

POINTS = 24  # random points tried where sympy cannot decide
TOLERANCE = 1e-9  # relative difference, at 30 digits, that counts as different


class Verdict(NamedTuple):
    """One claim: ∂f/∂wrt = claim, against the true derivative."""

    wrt: str
    claim: Expr
    truth: Expr  # the derivative, simplified, in the inputs
    status: str  # "proved", "different" or "undecided"
    point: dict | None = None  # where they differ (different) or the last point tried (undecided)
    claim_value: float | None = None
    truth_value: float | None = None
    agreed: int = 0  # points where they agreed


def split_claims(text: str) -> list[tuple[int, str]]:
    """``[a, b]`` or ``a, b``: the claims, with their offsets; commas inside brackets belong to a claim."""
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    if len(stripped) >= 2 and stripped[0] == "[" and stripped[-1] == "]" and _closes_at_end(stripped):
        text, lead = stripped[1:-1], lead + 1
    else:
        lead = 0
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append((lead + start, text[start:i]))
            start = i + 1
    parts.append((lead + start, text[start:]))
    return [(o, p) for o, p in parts if p.strip()]


def _closes_at_end(text: str) -> bool:
    depth = 0
    for i, c in enumerate(text):
        depth += 1 if c in "([" else -1 if c in ")]" else 0
        if depth == 0:
            return i == len(text) - 1
    return False


def parse_claims(texts: list[str], graph: Graph) -> list[Expr]:
    """Each claim as a tree; a name must be an input, a named step of the program, pi or e."""
    known = set(graph.names) | set(graph.data_names) | {n.id for n in graph.nodes if graph.is_program} | set(CONSTANTS)
    claims = []
    for text in texts:
        for offset, part in split_claims(text):
            try:
                tree = from_items(parse_expression(part, "--claim "), part)
            except GradcliSyntaxError as e:
                raise GradcliSyntaxError(e.message, text, offset + e.offset, e.length, "--claim ") from None
            for node in walk(tree):
                if node.op == NAME and node.leaf not in known:
                    where = text.find(node.leaf, offset)
                    raise GradcliSyntaxError(f"'{node.leaf}' is not an input or a step of the function; the inputs "
                                             f"are {', '.join(graph.names)}", text, max(0, where), len(node.leaf),
                                             "--claim ")
            claims.append(tree)
    return claims


def wrt_names(text: str | None, graph: Graph) -> list[str]:
    """The inputs, or the named steps, the claims are derivatives in: --wrt, else every input in order."""
    if text is None:
        return list(graph.names)
    steps = [n.id for n in graph.nodes if graph.is_program and n.op != "input"]
    out = []
    offset = 0
    for part in text.split(","):
        name = normal_name(part.strip())
        if name not in graph.names and name not in steps:
            raise GradcliSyntaxError(f"'{name}' is not an input or a named step; the inputs are "
                                     f"{', '.join(graph.names)}", text, offset + len(part) - len(part.lstrip()),
                                     max(1, len(name)), "--wrt ")
        out.append(name)
        offset += len(part) + 1
    return out


def derivative(graph: Graph, wrt: str):
    """The true ∂output/∂wrt in sympy, in the inputs: wrt an input, or a named step (the adjoint: the step
    made a free symbol, the nodes downstream computed from it, then the step put back)."""
    exprs = node_expressions(graph)
    if wrt in graph.names:
        return sp.diff(exprs[graph.output], symbol(wrt))
    j = next(i for i, n in enumerate(graph.nodes) if n.id == wrt)
    free = sp.Symbol(f"{wrt}__step", real=True)
    down: list = [e if i < j or graph.nodes[i].op == "input" else None for i, e in enumerate(exprs)]
    down[j] = free
    down = graph.replay(apply, lambda c: to_sympy(c.as_expr()), down)
    return sp.diff(down[graph.output], free).xreplace({free: exprs[j]})


def check(graph: Graph, claims: list[Expr], wrt: list[str], at: dict[str, float] | None = None,
          held: dict[str, float] | None = None, typed: dict | None = None) -> list[Verdict]:
    """Each claim against the true derivative: proved equal, different (with a counterexample), or undecided.
    Names held constant (--let) have their values, as typed (``typed``: name -> Expr), in the proof and at
    every point tried; a claim may use them by name or by value."""
    if len(graph.nodes) > MAX_NODES:
        raise GradcliError(f"check works on graphs of up to {MAX_NODES} nodes, the size of a homework problem; this "
                           f"one has {len(graph.nodes)}")
    if len(claims) != len(wrt):
        raise GradcliError(f"{len(claims)} claim{'s' if len(claims) != 1 else ''} for {len(wrt)} "
                           f"derivative{'s' if len(wrt) != 1 else ''} ({', '.join(wrt)}): give one claim per input, "
                           "in order, or pick the derivatives with --wrt")
    exprs = node_expressions(graph)
    steps = {n.id: exprs[i] for i, n in enumerate(graph.nodes) if graph.is_program and n.op != "input"}
    verdicts = []
    values = {symbol(n): to_sympy(t) for n, t in (typed or {}).items()}
    for claim, name in zip(claims, wrt):
        truth = derivative(graph, name).xreplace(values)
        mine = to_sympy(claim, {**{n: symbol(n) for n in graph.names + graph.data_names}, **steps}).xreplace(values)
        verdicts.append(_decide(graph, name, claim, mine, truth, at, held or {}))
    return verdicts


def _decide(graph: Graph, wrt: str, claim: Expr, mine, truth, at, held: dict[str, float]) -> Verdict:
    shown = from_sympy(simplest(truth))
    if _proved(truth - mine):
        return Verdict(wrt, claim, shown, "proved")
    names = graph.names + graph.data_names
    symbols = [symbol(n) for n in names]
    rng = random.Random(0)
    points = ([dict(at)] if at else []) + [None] * POINTS
    agreed, last = 0, None
    for given in points:
        point = {**(given or _random_point(names, rng)), **held}
        a, b = _at(mine, symbols, point), _at(truth, symbols, point)
        if a is None or b is None:
            continue
        last = point
        if abs(a - b) > TOLERANCE * max(1.0, abs(a), abs(b)):
            return Verdict(wrt, claim, shown, "different", point, a, b, agreed)
        agreed += 1
    return Verdict(wrt, claim, shown, "undecided", last, None, None, agreed)


def _proved(difference) -> bool:
    """Whether sympy shows the difference is 0: simplified as it is, then with gradcli's functions (sigmoid,
    softplus) written as exponentials."""
    for form in (difference, difference.rewrite(sp.exp)):
        try:
            if form == 0 or simplest(form, effort=400) == 0:
                return True
        except (TypeError, ValueError, RecursionError, sp.PolynomialError):
            continue
    return False


def _random_point(names, rng: random.Random) -> dict[str, float]:
    # half the points over the reals, half over positive numbers (where log and sqrt are defined)
    if rng.random() < 0.5:
        return {n: round(rng.uniform(-2.0, 2.0), 3) for n in names}
    return {n: round(rng.uniform(0.05, 3.0), 3) for n in names}


def _at(value, symbols, point: dict[str, float]) -> float | None:
    """A formula's value at a point, to 30 digits; None where it is not a finite real number there."""
    subs = {s: sp.Rational(point[s.name]) for s in symbols if s.name in point}
    try:
        v = value.evalf(30, subs=subs)
    except (TypeError, ValueError, ZeroDivisionError, RecursionError):
        return None
    if not v.is_number or not v.is_real:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


class Checked(NamedTuple):
    """What ``gradcli check`` found: the function, and a verdict per claim (gradcli/check.py)."""

    graph: Graph
    verdicts: list
    at: dict | None = None

    @property
    def command(self) -> str:
        return "check"

    @property
    def exit_code(self) -> int:
        """0: every claim proved; 1: one is different; 3: none different, one undecided."""
        statuses = {v.status for v in self.verdicts}
        return 1 if "different" in statuses else 3 if "undecided" in statuses else 0
