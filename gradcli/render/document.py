"""What each command shows, as a neutral document: lines of prose, tables of steps, grids.

The terminal, Markdown and LaTeX renderers lay the same document out each in its own way;
every symbol, name and number in it is written by the renderer's Notation.
"""

from __future__ import annotations

from typing import NamedTuple

from ..trace import Trace
from .rows import Notation, Row, adjoint_row, evaluation_row, source_text, tangent_row

MAX_TERMS = 12  # terms of a long chain-rule sum shown when rows are clipped


class Line(NamedTuple):
    """A line of prose; ``kind`` is "source", "text", "result", "cost" or "warning". ``alt`` is how to
    write it as several lines, for a renderer with a width it does not fit in."""

    text: str
    kind: str = "text"
    alt: tuple[str, ...] = ()


class Steps(NamedTuple):
    """A titled table of equations ``lhs = rule = numbers = value``."""

    title: str
    rows: list[Row]
    head: str  # what the lhs column holds: "node", "tangent", "adjoint"


class Grid(NamedTuple):
    """A plain table with headers (the graph's nodes and edges)."""

    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool]  # which columns hold numbers (right-aligned)


Block = Line | Steps | Grid


def _shown(n: int, max_rows: int) -> tuple[range, range, int]:
    """Which of n rows to show: all, or the first and last halves of ``max_rows`` (0: all); and how many
    are left out."""
    if max_rows <= 0 or n <= max_rows:
        return range(n), range(0), 0
    first, last = range((max_rows + 1) // 2), range(n - max_rows // 2, n)
    return first, last, n - len(first) - len(last)


def _left_out(nt: Notation, n: int) -> str:
    return f"{nt.ellipsis} {n} rows left out (--max-rows 0 shows all)"


def _steps(title: str, order: list[int] | range, make_row, head: str, nt: Notation, max_rows: int) -> Steps:
    """Rows only for the nodes shown: a graph of 10^5 nodes builds 200 rows, not 10^5."""
    first, last, left = _shown(len(order), max_rows)
    rows = [make_row(order[k]) for k in first]
    if left:
        rows.append(Row(nt.ellipsis, "", "", _left_out(nt, left), note=True, gap=True))
    rows += [make_row(order[k]) for k in last]
    return Steps(title, rows, head)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def header(trace: Trace, nt: Notation) -> list[Block]:
    graph = trace.graph
    out = nt.name(graph.nodes[graph.output].id)
    if graph.is_program:
        lines = [Line(f"program: {nt.code(source_text(graph))}", "source")]
    else:
        lines = [Line(nt.inline(f"f = {nt.expr(graph.source)}") if nt.short(graph.source)
                      else f"f = {nt.code(source_text(graph))}", "source")]
    named = graph.function != "f" or out == nt.name("f")
    inputs = ", ".join(nt.inline(f"{nt.name(graph.nodes[i].id)} = {nt.name(n)}") if graph.nodes[i].id != n
                       else nt.inline(nt.name(n)) for i, n in zip(graph.inputs, graph.names))
    lines.append(Line(f"graph: {_plural(len(graph.inputs), 'input')} ({inputs}), "
                      f"{_plural(graph.op_count, 'operation node')}, output "
                      f"{nt.inline(out if named else f'f = {out}')}"))
    if graph.constants:
        lines.append(Line("constants: " + ", ".join(nt.inline(f"{nt.name(c)} = {nt.number(v)}")
                                                    for c, v in graph.constants)))
    if trace.point is not None:
        point = ", ".join(f"{nt.name(n)} = {nt.number(v)}" for n, v in trace.point.items())
        lines.append(Line(f"at {nt.inline(point)}"))
    return lines


def _warnings(trace: Trace, nt: Notation) -> list[Block]:
    return [Line(nt.text(w), "warning") for w in trace.warnings]


def _vector(xs, nt: Notation) -> str:
    return "[" + ", ".join(nt.number(x) for x in xs) + "]"


def _gradient(trace: Trace, nt: Notation) -> list[Block]:
    """``∇f(0, 2) = [64, 192]``, then each partial; one line each when they do not fit on one."""
    assert trace.gradient is not None and trace.point is not None
    names = list(trace.gradient)
    d = nt.d
    f = nt.name(trace.graph.function)
    parts = [nt.inline(f"{d}{f}/{d}{nt.name(n)} = {nt.number(v)}") for n, v in trace.gradient.items()]
    if names != list(trace.graph.names) or len(names) == 1:
        return [Line(p, "result") for p in parts]
    at = ", ".join(nt.number(trace.point[n]) for n in names)
    head = nt.inline(f"{nt.nabla}{f}({at}) = {_vector(trace.gradient.values(), nt)}")
    return [Line(f"{head}   ({', '.join(parts)})", "result", (head, *("  " + p for p in parts)))]


def _terms(max_rows: int) -> int:
    """How many terms of a long chain-rule sum to show: all when every row is asked for."""
    return 0 if max_rows == 0 else MAX_TERMS


def cost_lines(trace: Trace) -> list[Block]:
    """--cost: the sweeps and the products this mode made, and what the other mode would have made."""
    c = trace.cost
    assert c is not None
    if c.mode == "forward":
        lines = [f"Cost (--cost): {_plural(c.sweeps, 'forward sweep')} × {_plural(c.edges, 'edge')} = "
                 f"{_plural(c.products, 'product')} of a local partial and a tangent, one per edge and sweep.",
                 f"Forward mode needs one sweep per input: {c.inputs} × {c.edges} = {c.inputs * c.edges} products "
                 f"for the whole gradient; reverse mode needs one sweep per output: 1 × {c.edges} = {c.edges}."]
    else:
        lines = [f"Cost (--cost): 1 reverse sweep × {_plural(c.edges, 'edge')} = {_plural(c.products, 'product')} "
                 "of an adjoint and a local partial, one per edge.",
                 f"Reverse mode needs one sweep per output, whatever the number of inputs; forward mode would need "
                 f"one per input: {c.inputs} × {c.edges} = {c.inputs * c.edges} products."]
    lines.append(f"Both first make one value sweep, which computes each edge's local partial once ({c.edges}).")
    return [Line(t, "cost") for t in lines]


def _forward_cost(n: int, m: int) -> str:
    sweeps = _plural(n, "forward sweep")
    if m == 1:
        return (f"Cost: {sweeps}. Forward mode needs one sweep per input, each seeding that input's tangent "
                "with 1; reverse mode needs one sweep whatever the number of inputs.")
    return (f"Cost: {sweeps}, one per input asked for: each seeds one input's tangent with 1 and gives one "
            f"partial derivative, so the whole gradient of {m} inputs takes {m} sweeps; reverse mode needs one.")


EVALUATION = "Evaluation trace: the values, in one forward sweep"


def forward(trace: Trace, nt: Notation, max_rows: int, cost: bool = False) -> list[Block]:
    graph = trace.graph
    n = len(trace.sweeps)
    out: list[Block] = header(trace, nt)
    nodes = range(len(graph.nodes))
    out.append(_steps(EVALUATION, nodes, lambda i: evaluation_row(trace, i, nt), "node", nt, max_rows))
    for s, sweep in enumerate(trace.sweeps, 1):
        seeds = nt.inline(", ".join(f"{nt.dot(graph.nodes[i].id)} = {nt.number(v)}"
                                    for i, v in zip(graph.inputs, sweep.seed)))
        if sweep.label == "direction":
            what = (f"tangents {nt.inline(nt.generic('dot'))} = derivatives of "
                    f"{nt.inline(nt.generic('c'))} along {nt.inline(f'd = {_vector(sweep.seed, nt)}')}")
        else:
            ratio = f"{nt.generic('dot')} = {nt.d}{nt.generic('c')}/{nt.d}{nt.name(sweep.label)}"
            what = f"tangents {nt.inline(ratio)}"
        out.append(_steps(f"Forward mode, sweep {s} of {n}: {what}   (seed {seeds})", nodes,
                          lambda i, sweep=sweep: tangent_row(trace, sweep, i, nt, _terms(max_rows)), "tangent", nt,
                          max_rows))
    if trace.directional is not None:
        d = _vector(trace.sweeps[0].seed, nt)
        f = nt.name(graph.function)
        out.append(Line(nt.inline(f"{nt.nabla}{f}{nt.times}d = {nt.number(trace.directional)}") + "   with "
                        + nt.inline(f"d = {d}"), "result"))
        out.append(Line("Cost: 1 forward sweep gives one directional derivative, whatever the number of inputs.",
                        "cost"))
    else:
        out += _gradient(trace, nt)
        out.append(Line(_forward_cost(n, len(graph.inputs)), "cost"))
    if cost:
        out += cost_lines(trace)
    return out + _warnings(trace, nt)


def reverse(trace: Trace, nt: Notation, max_rows: int, cost: bool = False) -> list[Block]:
    graph = trace.graph
    f = nt.name(graph.nodes[graph.output].id)
    out: list[Block] = header(trace, nt)
    n = len(graph.nodes)
    out.append(_steps(EVALUATION, range(n), lambda i: evaluation_row(trace, i, nt), "node", nt, max_rows))
    ratio = f"{nt.generic('bar')} = {nt.d}{nt.name(graph.function)}/{nt.d}{nt.generic('c')}"
    title = f"Reverse mode: adjoints {nt.inline(ratio)}, from the output {nt.inline(f)} back to the inputs"
    out.append(_steps(title, range(n - 1, -1, -1), lambda j: adjoint_row(trace, j, nt, _terms(max_rows)), "adjoint",
                      nt, max_rows))
    out += _gradient(trace, nt)
    m = len(graph.inputs)
    what = "the derivative" if m == 1 else f"all {m} partial derivatives"
    out.append(Line(f"Cost: 1 forward sweep (values) + 1 reverse sweep give {what}, whatever the number of "
                    "inputs. A node used by k nodes sums k terms, one per edge.", "cost"))
    if cost:
        out += cost_lines(trace)
    return out + _warnings(trace, nt)


def graph(trace: Trace, nt: Notation, max_rows: int, cost: bool = False) -> list[Block]:
    """Nodes and edges: definition, operands, consumers; with a point, value, tangents and adjoint."""
    g = trace.graph
    headers = ["node", "kind", "definition", "operands", "used by"]
    if trace.values is not None:
        headers.append("value")
    # one column per seeded input: its forward sweep's tangents, headed like the DOT labels (tangent ∂/∂x1)
    headers += [f"tangent {nt.inline(f'{nt.d}/{nt.d}{nt.name(s.label)}')}" for s in trace.sweeps]
    if trace.adjoints is not None:
        headers.append("adjoint")
    def row(i: int) -> list[str]:
        node = g.nodes[i]
        kind = node.op + (" (output)" if i == g.output else "")
        operands = ", ".join(dict.fromkeys(nt.inline(nt.name(g.nodes[a].id)) for a in node.args if type(a) is int))
        users = ", ".join(dict.fromkeys(nt.inline(nt.name(g.nodes[c].id)) for c, _ in g.consumers[i]))
        cells = [nt.inline(nt.name(node.id)), kind, nt.inline(nt.expr(node.expr)), operands, users]
        if trace.values is not None:
            cells.append(nt.inline(nt.number(trace.values[i])))
        cells += [nt.inline(nt.number(s.tangents[i])) for s in trace.sweeps]
        if trace.adjoints is not None:
            cells.append(nt.inline(nt.number(trace.adjoints[i])))
        return cells

    first, last, left = _shown(len(g.nodes), max_rows)
    rows = [row(i) for i in first]
    if left:
        rows.append([nt.ellipsis, f"{left} rows left out", "--max-rows 0 shows all"] + [""] * (len(headers) - 3))
    rows += [row(i) for i in last]

    edges = sum(len(c) for c in g.consumers)
    return [*header(trace, nt),
            Grid(headers, rows, [False] * 5 + [True] * (len(headers) - 5)),
            Line(f"{_plural(len(g.nodes), 'node')}, {_plural(edges, 'edge')}; "
                 f"to draw it, add --dot and pipe to: {nt.command('dot -Tsvg > graph.svg')}"),
            *_warnings(trace, nt)]
