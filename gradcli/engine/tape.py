"""The algorithm in its plainest form, the reference the engine is tested against.

A tape is the graph as one list of steps, each an op's value function, its local partials and its operands
(micrograd's engine without the objects). One loop forward gives every value and local partial, one loop
forward again gives the tangents (ċi = Σ_k ∂ci/∂ak·ȧk), one loop backward gives the adjoints
(c̄a += c̄i·∂ci/∂a, from the output down). gradcli/engine/trace.py computes the same numbers over the graph's
columns, with the notes a student needs (kinks, overflow, cancellation) and the stable forms; the tests
compare the two on every kind of program. Nothing here is used by the commands.
"""

from __future__ import annotations

from ..core.graph import Graph
from ..core.ops import OPS
from ..core.rules import partial


class Tape:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.steps = []  # per node: None for a leaf, else (op name, operands: node indices or Consts)
        for node in graph.nodes:
            self.steps.append(None if node.op == "input" else (node.op, node.args))

    def values(self, point: dict[str, float]) -> tuple[list[float], list[list[tuple[int, float]]]]:
        """Every node's value, and its local partials as (operand node, ∂ci/∂operand) pairs."""
        g = self.graph
        values = [0.0] * len(self.steps)
        local: list[list[tuple[int, float]]] = [[] for _ in self.steps]
        for i, name in [*zip(g.inputs, g.names), *zip(g.data, g.data_names)]:
            values[i] = float(point[name])
        for i, step in enumerate(self.steps):
            if step is None:
                continue
            op, args = step
            xs = [values[a] if type(a) is int else a.value for a in args]
            z = values[i] = OPS[op].value(*xs)
            local[i] = [(a, partial(op, k, xs, z)) for k, a in enumerate(args) if type(a) is int]
        return values, local

    def tangents(self, point: dict[str, float], seed: dict[str, float]) -> list[float]:
        """Forward mode: every node's tangent, the inputs' set from ``seed`` (held constants have none)."""
        g = self.graph
        _, local = self.values(point)
        dot = [0.0] * len(self.steps)
        for i, name in zip(g.inputs, g.names):
            dot[i] = float(seed.get(name, 0.0))
        for i, edges in enumerate(local):
            if self.steps[i] is not None:
                dot[i] = sum(p * dot[a] for a, p in edges)
        return dot

    def adjoints(self, point: dict[str, float], output: int | None = None) -> list[float]:
        """Reverse mode: every node's adjoint ∂f/∂ci, f the output (or node ``output``)."""
        g = self.graph
        _, local = self.values(point)
        out = g.output if output is None else output
        bar = [0.0] * len(self.steps)
        bar[out] = 1.0
        for i in range(out, -1, -1):
            if bar[i]:  # a step that does not reach the output adds nothing (not 0·nan)
                for a, p in local[i]:
                    bar[a] += bar[i] * p
        for i in g.data:
            bar[i] = 0.0  # a held constant has no adjoint
        return bar

    def gradient(self, point: dict[str, float]) -> list[float]:
        """∂f/∂x for each input, in the graph's order of inputs."""
        bar = self.adjoints(point)
        return [bar[i] for i in self.graph.inputs]
