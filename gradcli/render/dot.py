"""Graphviz DOT: inputs, operations and the output styled apart; with a point, values and adjoints."""

from __future__ import annotations

from typing import TextIO

from ..ops import fmt
from ..trace import Trace

INPUT = 'shape=box, style="rounded,filled", fillcolor="#dbeafe", color="#1d4ed8"'
OPERATION = 'shape=ellipse, style=filled, fillcolor="#f8fafc", color="#475569"'
OUTPUT = 'shape=doubleoctagon, style=filled, fillcolor="#fde68a", color="#b45309", penwidth=2'


def quote(s: str) -> str:
    """A DOT string literal."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def write(trace: Trace, out: TextIO) -> None:
    graph = trace.graph
    nodes = graph.nodes
    out.write("digraph gradcli {\n")
    out.write("  // gradcli: inputs are boxes, operations ellipses, the output a double octagon\n")
    out.write('  rankdir=LR;\n  node [fontname="Helvetica", fontsize=11];\n  edge [color="#64748b"];\n')
    for i, node in enumerate(nodes):
        if node.op == "input":
            label, style = (node.id if node.expr == node.id else f"{node.id} = {node.expr}"), INPUT
        else:
            label, style = f"{node.id} = {node.expr}", OPERATION
        if i == graph.output:
            style = OUTPUT
        if trace.values is not None:
            label += f"\nvalue {fmt(trace.values[i])}"
        if trace.adjoints is not None:
            label += f"\nadjoint {fmt(trace.adjoints[i])}"
        out.write(f"  {quote(node.id)} [label={quote(label)}, {style}];\n")
    for node in nodes:
        for k, a in enumerate(node.args):
            if type(a) is int:
                out.write(f"  {quote(nodes[a].id)} -> {quote(node.id)}")
                # say which operand an edge is when one node feeds another twice (c1*c1)
                twice = sum(1 for b in node.args if b == a) > 1
                out.write(f" [label={quote(f'arg {k + 1}')}];\n" if twice else ";\n")
    for w in trace.warnings:
        out.write(f"  // warning: {w.replace(chr(10), ' ')}\n")
    out.write("}\n")
