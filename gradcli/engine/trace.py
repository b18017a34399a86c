"""The sweeps: values, forward-mode tangents and reverse-mode adjoints, as plain records.

Each node's local partials ∂ci/∂cj are computed once, in the value sweep. Forward mode
sums ċi = Σ ∂ci/∂cj·ċj over a node's operands; reverse mode sums c̄j = Σ c̄i·∂ci/∂cj over
a node's consumers. Both read the same partials, so they cannot disagree on a rule.
Every loop runs over the topological order; nothing here recurses or prints.
"""

from __future__ import annotations

import math
import sys
from array import array
from typing import NamedTuple

from ..errors import GradcliError, MathError
from ..core.graph import OP_NAMES, Graph, describe_operands, paused_gc
from ..core.ops import OPS, DomainError, fmt
from ..core.rules import partial_functions

# A term with an exact zero factor (a zero tangent or adjoint, or a zero partial) is 0 even
# when the other factor is inf or nan: that node does not depend on the seeded input, as a
# hand derivation would say. PyTorch computes nan there; forward and reverse then disagree.
ZERO_TIMES_NONFINITE = "a term 0·{other} was taken as 0 (the factor 0 means no dependence; PyTorch gives nan)"


class Evaluation(NamedTuple):
    """The value sweep: each node's value and its local partials, one per operand (0 for constants)."""

    values: list[float]
    partials: "Partials"
    warnings: list[str]
    stable: dict[int, object] = {}  # node -> the stable form (an Expr) its value was computed from


class Sweep(NamedTuple):
    """One forward-mode sweep: the seed on the inputs and the tangent of every node."""

    label: str  # the seeded input's name, or "direction"
    seed: tuple[float, ...]  # one per input, in input order
    tangents: list[float]


class Cost(NamedTuple):
    """What a mode did: its sweeps over the graph and its products of a local partial with a tangent or
    an adjoint (one per edge and sweep). The value sweep computed each edge's local partial once."""

    mode: str  # "forward" or "reverse"
    sweeps: int
    products: int
    edges: int  # node-to-node edges that lead to the output
    inputs: int


class Trace(NamedTuple):
    """Everything one command computed; renderers read this and compute nothing."""

    command: str  # "forward", "reverse", "graph", "jacobian" or "hessian"
    graph: Graph
    point: dict[str, float] | None
    values: list[float] | None = None
    partials: list[tuple[float, ...]] | None = None
    sweeps: tuple[Sweep, ...] = ()
    adjoints: list[float] | None = None
    gradient: dict[str, float] | None = None  # ∂f/∂x for each input asked for
    directional: float | None = None  # ∇f·d for --direction
    warnings: list[str] | tuple[str, ...] = ()
    cost: Cost | None = None
    stable: dict = {}  # node -> the stable form its value was computed from (gradcli/stable.py)
    symbolic: object = None  # the rows in symbols (gradcli/symbolic.py), with --symbolic
    exact: object = None  # the exact numbers (gradcli/exact.py), with --exact
    # several outputs and second order (gradcli/second.py)
    adjoint_sweeps: tuple = ()  # jacobian --mode reverse: one reverse sweep per output
    jacobian: list | None = None  # rows: outputs, columns: inputs
    second: tuple = ()  # hessian: forward over reverse, one sweep per direction
    hessian: list | None = None
    curvature: object = None  # what the Hessian's eigenvalues say
    forms: object = None  # the Hessian in symbols and exactly (gradcli/symbolic.py), with --symbolic, --exact
    summed: object = None  # --data: every sample's loss and gradient, and their total (gradcli/data.py)
    symbols_only: bool = False  # --symbolic without --at: the numbers were taken at a point of gradcli's, not shown
    # --time-limit reached: the JSON paths of the symbolic and exact forms left out (symbolic.adjoints.c3)
    numeric_rows: tuple = ()

    @property
    def value(self) -> float | None:
        return None if self.values is None else self.values[self.graph.output]


class Partials:
    """Each node's local partials ∂ci/∂(operand k), one per operand slot (0 for a constant), kept flat in one
    array beside the graph's operand slots: node i's are ``flat[starts[i]:starts[i + 1]]``."""

    __slots__ = ("flat", "starts")

    def __init__(self, flat: array, starts: array) -> None:
        self.flat, self.starts = flat, starts

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __getitem__(self, i: int) -> tuple[float, ...]:
        if i < 0:
            i += len(self)
        return tuple(self.flat[self.starts[i]:self.starts[i + 1]])

    def __iter__(self):
        return map(self.__getitem__, range(len(self)))

    def __eq__(self, other) -> bool:
        return isinstance(other, Partials) and list(self) == list(other)


_OPS_BY_CODE = [None] + [OPS[name] for name in OP_NAMES[1:]]
_FUNCTIONS: dict[int, tuple] = {}  # op code * 1024 + operands -> the partial functions


def _functions(code: int, arity: int) -> tuple:
    got = _FUNCTIONS.get(code << 10 | arity)
    if got is None:
        got = _FUNCTIONS[code << 10 | arity] = partial_functions(OP_NAMES[code], arity)
    return got


def evaluate(graph: Graph, point: dict[str, float], stable: dict | None = None) -> Evaluation:
    """The value of every node and its local partials; raises MathError at an undefined node.

    One loop in graph order: zi = op(operands), then ∂zi/∂(operand k) from the op's compiled rules. Nodes
    written in a cancelling form that has a stable one (``1 - sigmoid(z)``) get their value from the stable
    form (gradcli/engine/stable.py); ``stable`` is the graph's plan of them, where the caller evaluates the
    graph many times (a data file's rows). What the numbers should tell a student (kinks, overflow,
    cancellation) is a pass over the result afterwards (gradcli/engine/checks.py)."""
    from .checks import warnings_of
    from .stable import plan

    codes, starts, flat = graph.codes, graph.starts, graph.flat
    n = len(codes)
    values = [0.0] * n
    values += [c.value for c in graph.consts]  # constant k is slot n + k
    partials = array("d", bytes(8 * len(flat)))
    stable = plan(graph) if stable is None else stable
    used: dict[int, object] = {}
    for i, name in zip(graph.inputs, graph.names):
        values[i] = float(point[name])
    for i, name in zip(graph.data, graph.data_names):
        values[i] = float(point[name])
    isfinite = math.isfinite
    ops = _OPS_BY_CODE
    if len(ops) < len(OP_NAMES):  # functions a program defined since
        ops.extend(OPS[name] for name in OP_NAMES[len(ops):])
    functions, partial_table = _functions, _FUNCTIONS
    s = starts[graph.leaves]
    for i in range(graph.leaves, n):
        code = codes[i]
        e = starts[i + 1]
        if e - s == 2:
            xs = [values[flat[s]], values[flat[s + 1]]]
        elif e - s == 1:
            xs = [values[flat[s]]]
        else:
            xs = [values[a] for a in flat[s:e]]
        try:
            z = ops[code].value(*xs)
        except (ValueError, ZeroDivisionError) as ex:
            if all(map(isfinite, xs)):
                op = ops[code]
                reason = str(ex) if isinstance(ex, DomainError) else op.domain or "the value is undefined"
                raise MathError(graph.ids[i], graph.expr(i), describe_operands(graph, graph.nodes[i], values),
                                reason) from None
            z = math.nan  # a non-finite operand was already reported where it arose
        if stable:
            form = stable.get(i)
            if form is not None:
                w = form.operand
                better = form.fn(values[w] if type(w) is int else w.value)
                if isfinite(better) or not isfinite(z):
                    if better != z:
                        used[i] = form.form
                    z = better
        values[i] = z
        k = s
        for fn in partial_table.get(code << 10 | e - s) or functions(code, e - s):
            if flat[k] < n:  # a constant's partial stays 0
                partials[k] = fn if type(fn) is float else fn(xs, z)
            k += 1
        s = e
    del values[n:]
    return Evaluation(values, Partials(partials, starts), warnings_of(graph, values, partials, stable), used)


def _product(a: float, b: float, notes: list[str], where: str) -> float:
    """a·b, with 0 times inf or nan taken as 0 (see ZERO_TIMES_NONFINITE)."""
    t = a * b
    if t != t and (a == 0 or b == 0):
        other = fmt(b if a == 0 else a)
        notes.append(f"{where}: " + ZERO_TIMES_NONFINITE.format(other=other))
        return 0.0
    return t


def forward_many(graph: Graph, ev: Evaluation, seeds: list[tuple[float, ...]], labels: list[str],
                 notes: list[str]) -> list[Sweep]:
    """Several forward sweeps in one pass over the graph, each node carrying one tangent per seed.

    Each tangent is summed exactly as in a sweep of its own: ċi = Σ_k ∂ci/∂(arg k)·ċ(arg k),
    operands in order, so the numbers are the same; the pass over the graph is shared.
    """
    starts, flat, ids = graph.starts, graph.flat, graph.ids
    n = len(graph.codes)
    m = len(seeds)
    tangents: list[list[float]] = [[]] * n
    for j, i in enumerate(graph.inputs):
        tangents[i] = [float(s[j]) for s in seeds]
    zero = [0.0] * m
    for i in graph.data:  # held constants: no tangent
        tangents[i] = zero
    partials = ev.partials.flat
    isfinite = math.isfinite
    s = starts[graph.leaves]
    for i in range(graph.leaves, n):
        e = starts[i + 1]
        total = None
        for slot in range(s, e):
            a = flat[slot]
            if a >= n:
                continue  # a constant
            p = partials[slot]
            ta = tangents[a]
            if p != 0 and isfinite(p):
                terms = [p * t for t in ta]
            else:  # 0·inf and inf·0 are taken as 0 (see ZERO_TIMES_NONFINITE)
                terms = [_product(p, t, notes, f"tangent of {ids[i]} in the sweep for {labels[k]}")
                         for k, t in enumerate(ta)]
            total = terms if total is None else [x + y for x, y in zip(total, terms)]
        tangents[i] = total if total is not None else zero
        s = e
    return [Sweep(labels[k], tuple(seeds[k]), [t[k] for t in tangents]) for k in range(m)]


def forward(graph: Graph, ev: Evaluation, seed: tuple[float, ...], label: str, notes: list[str]) -> Sweep:
    """One forward sweep: ċi = Σ_k ∂ci/∂(arg k)·ċ(arg k), with the inputs' tangents set to ``seed``."""
    return forward_many(graph, ev, [seed], [label], notes)[0]


def reverse(graph: Graph, ev: Evaluation, notes: list[str], output: int | None = None) -> list[float]:
    """The reverse sweep: c̄j = Σ over consumers i of c̄i·∂ci/∂cj, from the output back to the inputs; seeded at
    ``output`` where given (one row of a Jacobian), its notes saying so. Each sum runs over the consumers in
    topological order, as the tables print it."""
    n = len(graph.codes)
    adjoints = [0.0] * n
    out = graph.output if output is None else output
    seeded = "" if output is None else f" for {graph.ids[output]}"
    adjoints[out] = 1.0
    partials = ev.partials.flat
    consumers = graph.consumers
    first, edges, consumer = consumers.start, consumers.edges, consumers.node
    lo, hi = len(graph.names), graph.leaves  # held constants: no adjoint
    for j in range(out - 1, -1, -1):
        f, t = first[j], first[j + 1]
        if f == t or lo <= j < hi:
            continue  # no consumer (the adjoint stays 0), or a held constant (no adjoint)
        total = None
        for slot in edges[f:t]:
            i = consumer[slot]
            if i > out:
                break  # a step after the output does not affect it (consumers are in order)
            g = adjoints[i]
            p = partials[slot]
            term = g * p
            if term != term and (g == 0 or p == 0):  # 0·inf and inf·0 are taken as 0
                term = _product(g, p, notes, f"adjoint of {graph.ids[j]}{seeded}")
            total = term if total is None else total + term
        if total is not None:
            adjoints[j] = total
    return adjoints


def _edges(graph: Graph, output: int | None = None) -> int:
    """Edges from a node to a consumer that is not past the output (or ``output``): the products one sweep
    makes."""
    n = len(graph.codes)
    end = graph.starts[(graph.output if output is None else output) + 1]
    return end if not graph.consts else sum(1 for a in graph.flat[:end] if a < n)


def _all_edges(graph: Graph) -> int:
    """Every edge from a node to a consumer: the products a forward sweep makes."""
    n = len(graph.codes)
    return len(graph.flat) if not graph.consts else sum(1 for a in graph.flat if a < n)


def _first_nonfinite(graph: Graph, xs: list[float], what: str, notes: list[str]) -> None:
    for i, x in enumerate(xs):
        if not math.isfinite(x):
            notes.append(f"the first non-finite {what} is at {graph.nodes[i].id} = {graph.expr(i)}: {fmt(x)}")
            return


TINY = sys.float_info.min  # the smallest normal double: a product below it has lost digits, or all of them


def _first_underflow(graph: Graph, ev: Evaluation, xs: list[float], what: str, notes: list[str]) -> None:
    """A note at the first node whose tangent lost a term to underflow: a product ∂ci/∂cj·ċj of two nonzero
    numbers that is 0 or subnormal (1.6e-40·9.8e-304). Reverse mode multiplies the same partials in another
    order and may not underflow, so the two modes can then disagree; the note says why."""
    n, starts, flat, ids = len(graph.codes), graph.starts, graph.flat, graph.ids
    partials = ev.partials.flat
    isfinite = math.isfinite
    for i in [i for i, x in enumerate(xs) if -TINY < x < TINY]:
        if i < graph.leaves:
            continue
        for slot in range(starts[i], starts[i + 1]):
            a = flat[slot]
            if a >= n:
                continue
            p, t = partials[slot], xs[a]
            if p and t and isfinite(p) and isfinite(t) and abs(p * t) < TINY:
                product = f"{fmt(p)}·{fmt(t) if t > 0 else '(' + fmt(t) + ')'}"
                notes.append(f"{what} underflowed at {ids[i]} = {graph.expr(i)}: "
                             f"∂{ids[i]}/∂{ids[a]}·{_marked(ids[a], DOT)} = {product} is below the smallest double, "
                             f"so {_marked(ids[i], DOT)} = {fmt(xs[i])} and the tangents after it may be 0 or wrong "
                             "in every digit; reverse mode multiplies in another order and may not underflow")
                return


def _first_adjoint_underflow(graph: Graph, ev: Evaluation, adjoints: list[float], notes: list[str]) -> None:
    """The same for the reverse sweep, from the output back: a product c̄i·∂ci/∂cj of two nonzero numbers that is
    0 or subnormal."""
    partials = ev.partials.flat
    consumers = graph.consumers
    first, edges, consumer, ids = consumers.start, consumers.edges, consumers.node, graph.ids
    isfinite = math.isfinite
    out = graph.output
    for j in sorted((j for j, x in enumerate(adjoints) if -TINY < x < TINY and j < out), reverse=True):
        for slot in edges[first[j]:first[j + 1]]:
            i = consumer[slot]
            if i > out:
                break
            g, p = adjoints[i], partials[slot]
            if g and p and isfinite(g) and isfinite(p) and abs(g * p) < TINY:
                notes.append(f"the adjoint of {ids[j]} underflowed: {_marked(ids[i], BAR)}·∂{ids[i]}/∂{ids[j]} = "
                             f"{fmt(g) if g > 0 else '(' + fmt(g) + ')'}·{fmt(p) if p > 0 else '(' + fmt(p) + ')'} "
                             f"is below the smallest double, so it is {fmt(adjoints[j])} and the adjoints computed "
                             "from it may be 0 or wrong in every digit; forward mode multiplies in another order and "
                             "may not underflow")
                return


DOT, BAR = "\u0307", "\u0304"  # the combining accents of a tangent and an adjoint


def _marked(node_id: str, accent: str) -> str:
    from ..core.printer import mark_letter

    return mark_letter(node_id, accent)


def _notes(graph: Graph, ev: Evaluation) -> list[str]:
    """The notes a run starts with, which its sweeps add to: the graph's (but those of steps that do not affect
    the output, which ``_dedupe`` puts back in their place) and the evaluation's warnings."""
    return [*graph.notes.before, *ev.warnings]


def _dedupe(notes: list[str], graph: Graph | None = None):
    """Each note once; with ``graph``, the notes of ``_notes(graph, …)`` with the graph's others in place."""
    return list(dict.fromkeys(notes)) if graph is None else graph.notes.then(notes)


FORWARD_LIMIT = 2_000_000  # tangents one forward-mode run may compute: sweeps × nodes (about a second)


def check_forward_work(graph: Graph, sweeps: int) -> None:
    """Forward mode costs one sweep per input over every node: refuse more than FORWARD_LIMIT tangents, and say
    what would do."""
    work = sweeps * len(graph.nodes)
    if work > FORWARD_LIMIT:
        raise GradcliError(f"forward mode would make {sweeps:,} sweeps, one per input, over {len(graph.nodes):,} nodes: "
                           f"{work:,} tangents, more than the {FORWARD_LIMIT:,} gradcli computes in one run. Reverse "
                           f"mode gets the whole gradient in one sweep (gradcli reverse), or pick a few inputs with "
                           f"--wrt, or one direction with --direction")


def _seeded_sweeps(graph: Graph, ev: Evaluation, labels: list[str], notes: list[str]) -> list[Sweep]:
    """One forward sweep per input named in ``labels``, seeding its tangent with 1 and the others with 0."""
    seeds = [tuple(1.0 if n == name else 0.0 for n in graph.names) for name in labels]
    sweeps = forward_many(graph, ev, seeds, labels, notes)
    for s in sweeps:
        _first_nonfinite(graph, s.tangents, f"tangent in the sweep for {s.label}", notes)
        _first_underflow(graph, ev, s.tangents, f"the tangent in the sweep for {s.label}", notes)
    return sweeps


def _adjoint_sweep(graph: Graph, ev: Evaluation, notes: list[str]) -> list[float]:
    """The reverse sweep, with a note at the first non-finite adjoint from the output back."""
    adjoints = reverse(graph, ev, notes)
    for j in range(len(adjoints) - 1, -1, -1):
        if not math.isfinite(adjoints[j]):
            node = graph.nodes[j]
            notes.append(f"the first non-finite adjoint, from the output back, is {node.id}'s: {fmt(adjoints[j])}")
            break
    _first_adjoint_underflow(graph, ev, adjoints, notes)
    return adjoints


@paused_gc()
def run_forward(graph: Graph, point: dict[str, float], wrt: list[str] | None = None,
                direction: dict[str, float] | None = None) -> Trace:
    """Forward mode: one sweep per input in ``wrt`` (all by default), or one along ``direction``."""
    check_forward_work(graph, 1 if direction is not None else len(wrt or graph.names))
    ev = evaluate(graph, point)
    notes = _notes(graph, ev)
    if direction is not None:
        sweeps = [forward(graph, ev, tuple(direction[n] for n in graph.names), "direction", notes)]
        _first_nonfinite(graph, sweeps[0].tangents, "tangent in the sweep for direction", notes)
        _first_underflow(graph, ev, sweeps[0].tangents, "the tangent in the sweep for direction", notes)
    else:
        sweeps = _seeded_sweeps(graph, ev, list(wrt or graph.names), notes)
    out = graph.output
    gradient = None if direction is not None else {s.label: s.tangents[out] for s in sweeps}
    directional = sweeps[0].tangents[out] if direction is not None else None
    edges = _all_edges(graph)  # a forward sweep visits every edge, even past the output
    cost = Cost("forward", len(sweeps), len(sweeps) * edges, edges, len(graph.inputs))
    return Trace("forward", graph, point, ev.values, ev.partials, tuple(sweeps), None, gradient, directional,
                 _dedupe(notes, graph), cost, ev.stable)


@paused_gc()
def run_reverse(graph: Graph, point: dict[str, float]) -> Trace:
    """Reverse mode: one value sweep, then one adjoint sweep gives the whole gradient."""
    ev = evaluate(graph, point)
    notes = _notes(graph, ev)
    adjoints = _adjoint_sweep(graph, ev, notes)
    gradient = {n: adjoints[i] for i, n in zip(graph.inputs, graph.names)}
    edges = _edges(graph)
    return Trace("reverse", graph, point, ev.values, ev.partials, (), adjoints, gradient, None, _dedupe(notes, graph),
                 Cost("reverse", 1, edges, edges, len(graph.inputs)), ev.stable)


@paused_gc()
def run_graph(graph: Graph, point: dict[str, float] | None, adjoints: bool, wrt: list[str] | None = None) -> Trace:
    """The graph alone, or at a point: values and local partials, the tangents of the inputs in ``wrt``
    (one forward sweep each) and the adjoints (one reverse sweep) if asked, all from one evaluation."""
    if point is None:
        return Trace("graph", graph, None, warnings=list(graph.notes))
    check_forward_work(graph, len(wrt or ()))
    ev = evaluate(graph, point)
    notes = _notes(graph, ev)
    sweeps = tuple(_seeded_sweeps(graph, ev, wrt, notes)) if wrt else ()
    adj = _adjoint_sweep(graph, ev, notes) if adjoints else None
    out = graph.output
    if adj is not None:
        gradient = {n: adj[i] for i, n in zip(graph.inputs, graph.names)}
    elif sweeps:
        gradient = {s.label: s.tangents[out] for s in sweeps}
    else:
        gradient = None
    return Trace("graph", graph, point, ev.values, ev.partials, sweeps, adj, gradient, None, _dedupe(notes, graph),
                 None, ev.stable)
