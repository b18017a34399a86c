"""Gradient descent, step by step: the loss and its gradient by reverse mode at each step (summed over a data
file's samples with --data), then the update the sheets write:

    sgd:            φ ← φ − α·g
    momentum β:     m ← β·m + (1 − β)·g,   φ ← φ − α·m                     (UDL 6.11; m starts at 0)
    nesterov β:     m ← β·m + (1 − β)·∇L(φ − α·β·m),   φ ← φ − α·m         (UDL 6.12)
    adam β, γ, ε:   m ← β·m + (1 − β)·g,   v ← γ·v + (1 − γ)·g²,            (UDL 6.15–6.17)
                    m̂ = m/(1 − β^(t+1)),   v̂ = v/(1 − γ^(t+1)),   φ ← φ − α·m̂/(√v̂ + ε)
    weight decay λ: φ ← (1 − λ)·φ − α·(the step above), decoupled from the moments (AdamW's way)

Each step's update Δφ = −α·(g, m or m̂/(√v̂ + ε)) − λ·φ is computed once and added, φ ← φ + Δφ, so every row
of the table adds up as printed. Plain Python floats in a fixed order: the same command gives the same digits everywhere.
"""

from __future__ import annotations

import math
import time
from typing import NamedTuple

from .. import limits
from ..errors import GradcliError
from ..core.graph import Graph
from ..core.ops import fmt

MAX_STEPS = limits.STEPS
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam")


class Step(NamedTuple):
    """One row: the parameters at step t, the loss and its gradient there, and the update made from them (none
    on the last row)."""

    t: int
    params: tuple[float, ...]
    loss: float
    gradient: tuple[float, ...]
    momentum: tuple[float, ...] | None  # m after this step's gradient (momentum, nesterov, adam)
    update: tuple[float, ...] | None  # Δφ; None where the descent stopped
    batch: tuple[int, ...] = ()  # with --batch: the samples (from 1) this step's loss and gradient are over
    second: tuple[float, ...] | None = None  # Adam's v after this step's gradient
    lookahead: tuple[float, ...] | None = None  # Nesterov: φ − α·β·m, where the gradient was taken

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
    optimizer: str = "sgd"
    gamma: float = 0.999  # Adam's decay of v
    epsilon: float = 1e-8  # Adam's ε, added to √v̂
    shuffle: int | None = None  # the seed of the batches' order, with --shuffle

    @property
    def command(self) -> str:
        return "descend"


def descend(graph: Graph, point: dict[str, float], lr: float, steps: int, momentum: float = 0.0,
            decay: float = 0.0, until: float | None = None, table=None, reduce: str = "sum",
            batch: int | None = None, optimizer: str | None = None, gamma: float = 0.999, epsilon: float = 1e-8,
            shuffle: int | None = None, progress=None) -> Descent:
    """Take ``steps`` steps of gradient descent from ``point``, or fewer where the gradient's norm falls to
    ``until`` or a number stops being finite. ``optimizer`` is sgd, momentum, nesterov or adam (by default
    momentum where ``momentum`` is not 0, else sgd); ``momentum`` is their β. With ``batch``, each step's loss is
    over the next ``batch`` samples of the table, in the file's order, or with ``shuffle`` in an order drawn
    afresh each pass from that seed (the same steps on every run). ``progress(t, steps)`` is called about every
    tenth of a second once a descent has run for a second."""
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
    if optimizer is None:
        optimizer = "momentum" if momentum else "sgd"
    if optimizer not in OPTIMIZERS:
        raise GradcliError(f"--optimizer {optimizer}: one of {', '.join(OPTIMIZERS)}")
    if optimizer == "sgd" and momentum:
        raise GradcliError("--momentum is for --optimizer momentum, nesterov or adam; sgd takes the gradient itself")
    names = graph.names  # the parameters: --wrt holds the other inputs as constants
    stable = plan(graph)
    notes: list[str] = list(graph.notes)
    here = dict(point)

    if batch is not None and (table is None or not 1 <= batch <= len(table.rows)):
        raise GradcliError("--batch K takes K samples of --data per step: add --data FILE" if table is None else
                           f"--batch {batch}: from 1 to the number of samples, {len(table.rows)}")
    if shuffle is not None and batch is None:
        raise GradcliError("--shuffle SEED orders the batches: add --batch K (and --data FILE)")
    order = _Order(len(table.rows), batch, shuffle) if batch is not None else None

    def loss_and_gradient(at: dict[str, float], t: int) -> tuple[float, tuple[float, ...], list[str]]:
        if table is not None:
            mine: list[str] = []
            part = table
            if order is not None:
                picked = order.batch(t)
                part = table._replace(rows=[table.rows[r] for r in picked], lines=[table.lines[r] for r in picked])
            values, gradients = losses(graph, at, part, "reverse", list(names), mine)
            return total(values, reduce), tuple(total(column(gradients, k), reduce)
                                                for k in range(len(names))), mine
        ev = evaluate(graph, at, stable)
        mine = list(ev.warnings)
        adjoints = reverse(graph, ev, mine)
        return ev.values[graph.output], tuple(adjoints[i] for i in graph.inputs), mine

    rows: list[Step] = []
    m = [0.0] * len(names)
    v = [0.0] * len(names)
    moments = optimizer != "sgd"
    stopped = "steps"
    began = time.monotonic()
    shown = began + 1.0
    for t in range(steps + 1):
        if progress is not None and t % 64 == 0 and time.monotonic() >= shown:
            progress(t, steps)
            shown = time.monotonic() + 0.1
        params = tuple(here[n] for n in names)
        ahead = None
        try:
            loss, g, mine = loss_and_gradient(here, t)
            if optimizer == "nesterov":  # the gradient where the momentum is about to carry φ
                ahead = tuple(p - lr * momentum * mi for p, mi in zip(params, m))
                _, g, more = loss_and_gradient(dict(here, **dict(zip(names, ahead))), t)
                mine += more
        except MathError as e:  # the last step went where the loss is undefined: keep the rows that led there
            if not rows:
                raise
            notes.append(f"step {t}: {e}")
            stopped = "undefined"
            break
        which = tuple(r + 1 for r in order.batch(t)) if order is not None else ()
        if mine:
            notes.extend(f"step {t}: {w}" for w in dict.fromkeys(mine))
        finite = math.isfinite(loss) and all(map(math.isfinite, g))
        norm = math.hypot(*g) if finite else math.inf
        if t == steps or not finite or (until is not None and norm <= until):
            stopped = "steps" if t == steps and finite else "diverged" if not finite else "gradient"
            rows.append(Step(t, params, loss, g, None, None, which, lookahead=ahead))
            break
        if moments:
            m = [momentum * mi + (1.0 - momentum) * gi for mi, gi in zip(m, g)]
        if optimizer == "adam":
            v = [gamma * vi + (1.0 - gamma) * gi * gi for vi, gi in zip(v, g)]
            mc, vc = 1.0 - momentum ** (t + 1), 1.0 - gamma ** (t + 1)
            direction = [(mi / mc) / (math.sqrt(vi / vc) + epsilon) for mi, vi in zip(m, v)]
        else:
            direction = m if moments else list(g)
        update = tuple(-lr * d - decay * p if decay else -lr * d for d, p in zip(direction, params))
        rows.append(Step(t, params, loss, g, tuple(m) if moments else None, update, which,
                         tuple(v) if optimizer == "adam" else None, ahead))
        for n, p, u in zip(names, params, update):
            here[n] = p + u
    if progress is not None and time.monotonic() >= began + 1.0:
        progress(None, steps)  # done: clear the line
    if len(notes) > 20:
        notes = notes[:20] + [f"… and {len(notes) - 20} more warnings"]
    # with --batch each step's loss is over other samples: a rise says nothing about the step
    rose = None if batch is not None else next((k for k in range(1, len(rows)) if rows[k].loss > rows[k - 1].loss),
                                               None)
    if rose is not None:
        notes.append(f"the loss rose at step {rose} (from {fmt(rows[rose - 1].loss)} to {fmt(rows[rose].loss)}): the "
                     "step may be too long for this loss; try a smaller --lr")
    return Descent(graph, names, dict(point), lr, steps, momentum, decay, until, rows, stopped, table, reduce,
                   notes, batch, optimizer, gamma, epsilon, shuffle)


class _Order:
    """Which samples (from 0) each step's batch takes: the next ``size`` of a sequence of passes over the ``n``
    samples, each pass in the file's order, or with a seed each pass in an order shuffled afresh (Python's
    seeded Mersenne Twister, the same on every machine)."""

    def __init__(self, n: int, size: int, seed: int | None):
        self.n, self.size = n, size
        self.passes: dict[int, list[int]] = {}  # the passes the last batches were in: the rest are dropped
        self.drawn = -1  # the last pass drawn
        self.rng = None
        if seed is not None:
            import random

            self.rng = random.Random(seed)

    def _pass(self, k: int) -> list[int]:
        while self.drawn < k:  # steps come in order, so the passes are drawn in order, each once
            self.drawn += 1
            p = list(range(self.n))
            self.rng.shuffle(p)
            self.passes[self.drawn] = p
            self.passes.pop(self.drawn - 2, None)
        return self.passes[k]

    def batch(self, t: int) -> list[int]:
        out = []
        for j in range(t * self.size, (t + 1) * self.size):
            k, r = divmod(j, self.n)
            out.append(r if self.rng is None else self._pass(k)[r])
        return out
