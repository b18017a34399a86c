"""Gradient descent, step by step: the loss and its gradient by reverse mode at each step (summed over a data
file's samples with --data), then the update the sheets write:

    plain:          φ ← φ − α·g
    momentum β:     m ← β·m + (1 − β)·g,   φ ← φ − α·m        (m starts at 0)
    weight decay λ: φ ← (1 − λ)·φ − α·(g or m)

Each step's update Δφ = −α·(g or m) − λ·φ is computed once and added, φ ← φ + Δφ, so every row of the
table adds up as printed. Plain Python floats in a fixed order: the same command gives the same digits everywhere.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from .. import limits
from ..errors import GradcliError
from ..core.graph import Graph
from ..core.ops import fmt

MAX_STEPS = limits.STEPS


class Step(NamedTuple):
    """One row: the parameters at step t, the loss and its gradient there, and the update made from them (none
    on the last row)."""

    t: int
    params: tuple[float, ...]
    loss: float
    gradient: tuple[float, ...]
    momentum: tuple[float, ...] | None  # m after this step's gradient, with --momentum
    update: tuple[float, ...] | None  # Δφ; None where the descent stopped
    batch: tuple[int, ...] = ()  # with --batch: the samples (from 1) this step's loss and gradient are over

    @property
    def norm(self) -> float:
        return math.hypot(*self.gradient)  # no overflow where the gradient is large but finite


class Descent(NamedTuple):
    """What ``gradcli descend`` did: the settings, a row per step, and why it stopped."""

    graph: Graph
    names: tuple[str, ...]  # the parameters
    point: dict[str, float]  # the start, with the constants held
    lr: float
    steps: int
    momentum: float
    decay: float
    until: float | None
    rows: list[Step]
    stopped: str  # "steps", "gradient", "diverged" or "undefined" (a math error at the next point)
    table: object = None  # the data file (gradcli/data.py Table), with --data
    reduce: str = "sum"
    warnings: list[str] = []
    batch: int | None = None  # samples per step (--batch), taken in the file's order, from the first again at the end

    @property
    def command(self) -> str:
        return "descend"


def descend(graph: Graph, point: dict[str, float], lr: float, steps: int, momentum: float = 0.0,
            decay: float = 0.0, until: float | None = None, table=None, reduce: str = "sum",
            batch: int | None = None) -> Descent:
    """Take ``steps`` steps of gradient descent from ``point``, or fewer where the gradient's norm falls to
    ``until`` or a number stops being finite. With ``batch``, each step's loss is over the next ``batch`` samples
    of the table, in order (stochastic gradient descent with a fixed order: the same steps on every run)."""
    from .data import column, losses, total
    from ..errors import MathError
    from .stable import plan
    from .trace import evaluate, reverse

    if steps < 0:
        raise GradcliError(f"--steps {steps}: from 0")
    limits.count(steps, f"--steps {steps} is", "steps")
    if len(graph.outputs) != 1:
        raise GradcliError(f"descent needs one loss; this program has {len(graph.outputs)} outputs: pick one with "
                           f"--output")
    names = graph.names  # the parameters: --wrt holds the other inputs as constants
    stable = plan(graph)
    notes: list[str] = list(graph.notes)
    here = dict(point)

    if batch is not None and (table is None or not 1 <= batch <= len(table.rows)):
        raise GradcliError("--batch K takes K samples of --data per step: add --data FILE" if table is None else
                           f"--batch {batch}: from 1 to the number of samples, {len(table.rows)}")

    def loss_and_gradient(t: int) -> tuple[float, tuple[float, ...], list[str]]:
        if table is not None:
            mine: list[str] = []
            part = table
            if batch is not None:
                picked = _batch(t, batch, len(table.rows))
                part = table._replace(rows=[table.rows[r] for r in picked], lines=[table.lines[r] for r in picked])
            values, gradients = losses(graph, here, part, "reverse", list(names), mine)
            return total(values, reduce), tuple(total(column(gradients, k), reduce)
                                                for k in range(len(names))), mine
        ev = evaluate(graph, here, stable)
        mine = list(ev.warnings)
        adjoints = reverse(graph, ev, mine)
        return ev.values[graph.output], tuple(adjoints[i] for i in graph.inputs), mine

    rows: list[Step] = []
    m = [0.0] * len(names)
    stopped = "steps"
    for t in range(steps + 1):
        params = tuple(here[n] for n in names)
        try:
            loss, g, mine = loss_and_gradient(t)
        except MathError as e:  # the last step went where the loss is undefined: keep the rows that led there
            if not rows:
                raise
            notes.append(f"step {t}: {e}")
            stopped = "undefined"
            break
        which = tuple(r + 1 for r in _batch(t, batch, len(table.rows))) if batch is not None else ()
        if mine:
            notes.extend(f"step {t}: {w}" for w in dict.fromkeys(mine))
        finite = math.isfinite(loss) and all(map(math.isfinite, g))
        norm = math.hypot(*g) if finite else math.inf
        if t == steps or not finite or (until is not None and norm <= until):
            stopped = "steps" if t == steps and finite else "diverged" if not finite else "gradient"
            rows.append(Step(t, params, loss, g, None, None, which))
            break
        if momentum:
            m = [momentum * mi + (1.0 - momentum) * gi for mi, gi in zip(m, g)]
            direction = m
        else:
            direction = list(g)
        update = tuple(-lr * d - decay * p if decay else -lr * d for d, p in zip(direction, params))
        rows.append(Step(t, params, loss, g, tuple(m) if momentum else None, update, which))
        for n, p, u in zip(names, params, update):
            here[n] = p + u
    if len(notes) > 20:
        notes = notes[:20] + [f"… and {len(notes) - 20} more warnings"]
    # with --batch each step's loss is over other samples: a rise says nothing about the step
    rose = None if batch is not None else next((k for k in range(1, len(rows)) if rows[k].loss > rows[k - 1].loss),
                                               None)
    if rose is not None:
        notes.append(f"the loss rose at step {rose} (from {fmt(rows[rose - 1].loss)} to {fmt(rows[rose].loss)}): the "
                     "step may be too long for this loss; try a smaller --lr")
    return Descent(graph, names, dict(point), lr, steps, momentum, decay, until, rows, stopped, table, reduce,
                   notes, batch)


def _batch(t: int, size: int, n: int) -> list[int]:
    """The samples (from 0) of step t: the next ``size`` in order, from the first again after the last."""
    return [(t * size + k) % n for k in range(size)]
