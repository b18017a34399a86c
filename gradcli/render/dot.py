"""Graphviz DOT: inputs, operations and the output styled apart; with a point, each node's value, tangents
and adjoint, and on each edge its local partial as the op table's rule and its value. The boxes, labels and
arrows are a Drawing (``drawing()``) that the Mermaid and SVG writers draw too."""

from __future__ import annotations

from typing import NamedTuple, TextIO

from ..core.printer import PLAIN, TextStyle
from ..engine.trace import Trace

Notation = TextStyle

INPUT = 'shape=box, style="rounded,filled", fillcolor="#dbeafe", color="#1d4ed8"'
OPERATION = 'shape=ellipse, style=filled, fillcolor="#f8fafc", color="#475569"'
CONSTANT = 'shape=box, style="filled,dashed", fillcolor="#f1f5f9", color="#64748b"'  # --let, --data
OUTPUT = 'shape=doubleoctagon, style=filled, fillcolor="#fde68a", color="#b45309", penwidth=2'


def quote(s: str) -> str:
    """A DOT string literal."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def tangent_label(label: str, nt: Notation) -> str:
    """What a node's tangent in the sweep seeded on input ``label`` is called: ``tangent ∂/∂x1``."""
    return f"tangent {nt.partial_sign}/{nt.partial_sign}{label}"


# what each kind of node is drawn as, in the legend's words
SHAPES = {"input": "boxes", "operation": "ellipses", "output": "a double octagon"}


def _legend(trace: Trace, nt: Notation, edge_labels: bool, repeated: bool, shapes: dict = SHAPES) -> list[str]:
    """The comment at the top: what the shapes are and what every number in the labels means."""
    graph = trace.graph
    out = graph.nodes[graph.output].id
    d, ci, bar = nt.partial_sign, "ci", nt.mark("bar", "ci")
    outs = ", ".join(graph.nodes[o].id for o in graph.outputs)
    lines = [f"gradcli: inputs are {shapes['input']}, operations {shapes['operation']}, the "
             f"output{'s' if len(graph.outputs) > 1 else ''} {outs} {shapes['output']}"]
    if trace.point is not None:
        lines.append("each node at " + ", ".join(f"{n} = {nt.fmt(v)}" for n, v in trace.point.items()) + ":")
        lines.append(f"  value: its value {ci}")
        for s in trace.sweeps:
            lines.append(f"  {tangent_label(s.label, nt)}: its tangent {nt.mark('dot', 'ci')} = {d}{ci}/{d}{s.label}, "
                         f"from the forward sweep that seeds {s.label} with 1 and the other inputs with 0")
        if trace.adjoints is not None:
            f = graph.function
            lines.append(f"  adjoint: its adjoint {bar} = {d}{f}/{d}{ci}" + (f" for f = {out}" if f != out else "")
                         + f", from the reverse sweep that seeds {out} with 1")
    if edge_labels and any(graph.consumers):
        shown, then = ("rule = number", ", then its value at the point") if trace.partials is not None else ("rule", "")
        lines.append(f"each edge cj -> {ci}: {d}{ci}/{d}cj = {shown}, the local partial of {ci} in its operand cj: "
                     f"its rule in node names{then}")
    if repeated:
        lines.append("arg k: a node that uses an operand twice has an edge per use; "
                     "its partial in that operand is their sum")
    return [line.replace("\n", " ") for line in lines]


def _node_label(trace: Trace, i: int, nt: Notation) -> str:
    graph = trace.graph
    node = graph.nodes[i]
    definition = graph.expr(i)
    lines = [node.id if node.op == "input" and definition == node.id else f"{node.id} = {definition}"]
    if graph.is_held(i):  # --let, --data: a value, no derivatives
        return "\n".join(lines + ([f"constant {nt.fmt(trace.values[i])}"] if trace.values is not None else
                                   ["constant"]))
    if trace.values is not None:
        lines.append(f"value {nt.fmt(trace.values[i])}")
    for s in trace.sweeps:
        lines.append(f"{tangent_label(s.label, nt)}: {nt.fmt(s.tangents[i])}")
    if trace.adjoints is not None:
        lines.append(f"adjoint {nt.fmt(trace.adjoints[i])}")
    return "\n".join(lines)


def _edge_label(trace: Trace, i: int, k: int, nt: Notation) -> str:
    """``∂c8/∂c3 = c7 = 64``: the rule for operand k of node i, then its value (once when they read the same)."""
    graph = trace.graph
    node = graph.nodes[i]
    a = node.args[k]
    assert type(a) is int
    rule = PLAIN.text(graph.rule(i, k))  # in gradcli's own language, so it reads back
    d = nt.partial_sign
    text = f"{d}{node.id}/{d}{graph.nodes[a].id} = {rule}"
    if trace.partials is not None:
        value = nt.fmt(trace.partials[i][k])
        if value != rule:
            text += f" = {value}"
    return text


def _prose(text: str, nt: TextStyle) -> str:
    return text if nt.unicode else text.translate(_TO_ASCII)


_TO_ASCII = str.maketrans({"·": "*", "∂": "d", "∇": "grad ", "…": "...", "±": "+/-", "−": "-", "×": "x"})


class Box(NamedTuple):
    """A node as every drawing shows it: DOT, Mermaid and gradcli's own SVG."""

    name: str  # the node's id (c3) or, for an array graph, the row's name (h)
    label: str  # its lines, joined by "\n"
    kind: str  # "input", "operation", "constant" (--let, --data) or "output"


class Arrow(NamedTuple):
    """An edge: the index of its operand's box, of its consumer's box, and its label ("" for none)."""

    src: int
    dst: int
    label: str


class Drawing(NamedTuple):
    """What a picture of the graph shows, whatever draws it: a box per node and an arrow per use."""

    boxes: list[Box]
    arrows: list[Arrow]
    repeated: bool  # a node uses an operand twice (c1*c1): its arrows say "arg k"
    view: object = None  # the array view, for a graph drawn at the sheet's level; None: a node per scalar


def drawing(trace: Trace, nt: Notation | None = None, edge_labels: bool = True, scalar: bool = False) -> Drawing:
    """The boxes and arrows of the graph: for a program with arrays (unless ``scalar``) a box per array and
    per number, as the sheets draw it; else a box per node, in the trace's order (box i is node i)."""
    nt = nt or TextStyle()
    graph = trace.graph
    if graph.steps and not scalar:
        from ..engine.arrayview import array_view

        view = array_view(trace)
        if view is not None:
            return _array_drawing(trace, view, nt, edge_labels)
    nodes = graph.nodes
    # the nodes whose edges need "arg k": they use an operand twice (c1*c1)
    repeated = [len(set(node.args)) < len(node.args) for node in nodes]
    boxes = [Box(node.id, _node_label(trace, i, nt),
                 "output" if i in graph.outputs else "constant" if graph.is_held(i) else
                 "input" if node.op == "input" else "operation") for i, node in enumerate(nodes)]
    arrows = []
    for i, node in enumerate(nodes):
        for k, a in enumerate(node.args):
            if type(a) is not int:
                continue
            twice = repeated[i] and node.args.count(a) > 1
            # a constant (--let, --data) is no variable: its edge carries no partial
            labelled = edge_labels and not graph.is_held(a)
            parts = ([f"arg {k + 1}"] if twice else []) + ([_edge_label(trace, i, k, nt)] if labelled else [])
            arrows.append(Arrow(a, i, ": ".join(parts)))
    return Drawing(boxes, arrows, any(repeated))


STYLES = {"input": INPUT, "operation": OPERATION, "constant": CONSTANT, "output": OUTPUT}


def write(trace: Trace, out: TextIO, nt: Notation | None = None, edge_labels: bool = True,
          scalar: bool = False, rankdir: str = "LR") -> None:
    nt = nt or TextStyle()
    d = drawing(trace, nt, edge_labels, scalar)
    out.write("digraph gradcli {\n")
    out.writelines(f"  // {line}\n" for line in legend(trace, d, nt, edge_labels))
    out.write(f'  rankdir={rankdir};\n' '  node [fontname="Helvetica", fontsize=11];\n'
              '  edge [color="#64748b", fontname="Helvetica", fontsize=9, fontcolor="#334155"];\n')
    for b in d.boxes:
        out.write(f"  {quote(b.name)} [label={quote(b.label)}, {STYLES[b.kind]}];\n")
    for a in d.arrows:
        out.write(f"  {quote(d.boxes[a.src].name)} -> {quote(d.boxes[a.dst].name)}")
        out.write(f" [label={quote(a.label)}];\n" if a.label else ";\n")
    out.writelines(f"  // {line}\n" for line in warnings(trace, nt))
    out.write("}\n")


def legend(trace: Trace, d: Drawing, nt: Notation, edge_labels: bool, shapes: dict = SHAPES) -> list[str]:
    """What the shapes are and what every number in the labels means: a line each, for a comment."""
    if d.view is not None:
        return _array_legend(trace, nt, edge_labels, shapes)
    return _legend(trace, nt, edge_labels, d.repeated, shapes)


def warnings(trace: Trace, nt: Notation) -> list[str]:
    """The warnings, a line each, for a comment."""
    return [f"warning: {_prose(w, nt).replace(chr(10), ' ')}" for w in trace.warnings]


def _array_legend(trace: Trace, nt: Notation, edge_labels: bool, shapes: dict = SHAPES) -> list[str]:
    from ..core.expr import mark

    graph = trace.graph

    def text(e) -> str:
        return nt.text(e)

    outs = ", ".join(graph.nodes[o].id for o in graph.outputs)
    legend = [f"gradcli: a node per array (with its shape) and per number, as the program writes them; inputs are "
              f"{shapes['input']}, steps {shapes['operation']}, the output {outs} {shapes['output']}; --scalar shows a "
              f"node per entry"]
    if trace.point is not None:
        legend.append("each node at the point: value, and adjoint (" + text(mark("bar", "X")) + " = "
                      + nt.partial_sign + graph.function + "/" + nt.partial_sign + "X)" if trace.adjoints is not None
                      else "each node at the point: its value")
        if trace.adjoints is not None and edge_labels:
            legend.append(f"each edge X -> C: the term C sends back to X's adjoint, its rule in matrix notation "
                          f"({text(mark('bar', 'X'))} += …); an array read by k steps sums k terms")
    return [_prose(line, nt) for line in legend]


def _array_drawing(trace: Trace, view, nt: Notation, edge_labels: bool) -> Drawing:
    """The graph at the sheet's level: a box per array (with its shape) and per number, an arrow from each row
    a step reads; with adjoints, each arrow carries the term it sends back (``x̄ += W1 @ c̄1``)."""
    from ..core.expr import EQ, MARK, NAME, Expr, mark, name, walk
    from ..engine.arrayview import array_expr, shaped

    graph = trace.graph
    rows = {r.name: r for r in view.rows}
    index = {r.name: j for j, r in enumerate(view.rows)}

    def text(e) -> str:
        return nt.text(e)

    def numbers(values, shape) -> str:
        return nt.fmt(values[0]) if shape is None else text(array_expr(values, shape))

    boxes = []
    for r in view.rows:
        head = shaped(name(r.name), r.shape)
        lines = [text(head) if r.definition is None else text(Expr(EQ, (head, r.definition)))]
        if r.value is not None:
            lines.append(("constant " if r.kind == "constant" else "value ") + numbers(r.value, r.shape))
        if r.adjoint is not None:
            lines.append("adjoint " + numbers(r.adjoint, r.shape))
        output = r.node is not None and r.node in graph.outputs
        kind = ("output" if output else "constant" if r.kind == "constant" else "input" if r.kind == "input"
                else "operation")
        boxes.append(Box(r.name, _prose(chr(10).join(lines), nt), kind))
    arrows = []
    for r in view.rows:
        if r.definition is None:
            continue
        read = list(dict.fromkeys(x.leaf for x in walk(r.definition) if x.op == NAME and x.leaf in rows))
        for src in read:
            label = ""
            if edge_labels:
                bar = ("bar", r.name)
                for rule, _, _ in rows[src].terms:
                    if any(x.op == MARK and x.leaf == bar for x in walk(rule)):
                        label = _prose(f"{text(mark('bar', src))} += {text(rule)}", nt)
                        break
            arrows.append(Arrow(index[src], index[r.name], label))
    return Drawing(boxes, arrows, False, view)
