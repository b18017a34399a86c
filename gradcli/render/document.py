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


def _listing(items: list[str], max_rows: int, nt: Notation) -> list[str]:
    """A list clipped as the tables are: its first and last entries and how many are left out."""
    first, last, left = _shown(len(items), max_rows)
    if not left:
        return items
    return [items[k] for k in first] + [f"{nt.ellipsis} {left} more"] + [items[k] for k in last]


def header(trace: Trace, nt: Notation, max_rows: int = 0) -> list[Block]:
    graph = trace.graph
    out = nt.name(graph.nodes[graph.output].id)
    if graph.is_program:
        lines = [Line(f"program: {nt.code(source_text(graph))}", "source")]
    elif graph.params:  # f(x1, x2) = …, as typed
        lines = [Line(nt.code(source_text(graph)), "source")]
    else:
        lines = [Line(nt.inline(f"f = {nt.expr(graph.source)}") if nt.short(graph.source)
                      else f"f = {nt.code(source_text(graph))}", "source")]
    named = graph.function != "f" or out == nt.name("f")
    inputs = ", ".join(_listing([nt.inline(f"{nt.name(graph.nodes[i].id)} = {nt.name(n)}")
                                 if graph.nodes[i].id != n else nt.inline(nt.name(n))
                                 for i, n in zip(graph.inputs, graph.names)], max_rows, nt))
    lines.append(Line(f"graph: {_plural(len(graph.inputs), 'input')} ({inputs}), "
                      f"{_plural(graph.op_count, 'operation node')}, output "
                      f"{nt.inline(out if named else f'f = {out}')}"))
    if graph.constants:
        lines.append(Line("constants: " + ", ".join(nt.inline(f"{nt.name(c)} = {nt.number(v)}")
                                                    for c, v in graph.constants)))
    if trace.point is not None:
        point = ", ".join(_listing([nt.inline(f"{nt.name(n)} = {nt.number(v)}") for n, v in trace.point.items()],
                                   max_rows, nt))
        lines.append(Line(f"at {point}"))
    return lines


def _warnings(trace: Trace, nt: Notation) -> list[Block]:
    return [Line(nt.text(w), "warning") for w in trace.warnings]


def _vector(xs, nt: Notation, max_rows: int = 0) -> str:
    return "[" + ", ".join(_listing([nt.number(x) for x in xs], max_rows, nt)) + "]"


def _gradient(trace: Trace, nt: Notation, max_rows: int = 0) -> list[Block]:
    """``∇f(0, 2) = [64, 192]``, then each partial; one line each when they do not fit on one. A gradient
    longer than ``max_rows`` shows its first and last entries (JSON has them all)."""
    assert trace.gradient is not None and trace.point is not None
    names = list(trace.gradient)
    d = nt.d
    f = nt.name(trace.graph.function)
    parts = _listing([nt.inline(f"{d}{f}/{d}{nt.name(n)} = {nt.number(v)}") for n, v in trace.gradient.items()],
                     max_rows, nt)
    if names != list(trace.graph.names) or len(names) == 1:
        return [Line(p, "result") for p in parts]
    at = ", ".join(_listing([nt.number(trace.point[n]) for n in names], max_rows, nt))
    head = nt.inline(f"{nt.nabla}{f}({at}) = {_vector(trace.gradient.values(), nt, max_rows)}")
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


def _sweep(trace: Trace, s: int, nt: Notation, max_rows: int) -> Steps:
    """The table of forward sweep number s (from 0)."""
    graph = trace.graph
    sweep = trace.sweeps[s]
    if sweep.label == "direction":
        what = (f"tangents {nt.inline(nt.generic('dot'))} = derivatives of "
                f"{nt.inline(nt.generic('c'))} along {nt.inline(f'd = {_vector(sweep.seed, nt, max_rows)}')}")
        seeds = ", ".join(_listing([nt.inline(f"{nt.dot(graph.nodes[i].id)} = {nt.number(v)}")
                                    for i, v in zip(graph.inputs, sweep.seed)], max_rows, nt))
    else:
        ratio = f"{nt.generic('dot')} = {nt.d}{nt.generic('c')}/{nt.d}{nt.name(sweep.label)}"
        what = f"tangents {nt.inline(ratio)}"
        if len(graph.inputs) <= 4:
            seeds = ", ".join(nt.inline(f"{nt.dot(graph.nodes[i].id)} = {nt.number(v)}")
                              for i, v in zip(graph.inputs, sweep.seed))
        else:  # e_k: one 1 and many 0s
            k = graph.names.index(sweep.label)
            seeds = (f"{nt.inline(nt.dot(graph.nodes[graph.inputs[k]].id) + ' = 1')}, the other inputs' tangents "
                     f"{nt.inline('0')}")
    title = f"Forward mode, sweep {s + 1} of {len(trace.sweeps)}: {what}   (seed {seeds})"
    return _steps(title, range(len(graph.nodes)),
                  lambda i: tangent_row(trace, sweep, i, nt, _terms(max_rows)), "tangent", nt, max_rows)


def forward(trace: Trace, nt: Notation, max_rows: int, cost: bool = False) -> list[Block]:
    graph = trace.graph
    n = len(trace.sweeps)
    out: list[Block] = header(trace, nt, max_rows)
    nodes = range(len(graph.nodes))
    out.append(_steps(EVALUATION, nodes, lambda i: evaluation_row(trace, i, nt), "node", nt, max_rows))
    first, last, left = _shown(n, max_rows)
    out += [_sweep(trace, s, nt, max_rows) for s in first]
    if left:
        out.append(Line(f"{nt.ellipsis} {_plural(left, 'sweep')} left out (--max-rows 0 shows all; --wrt picks "
                        "the inputs)", "text"))
    out += [_sweep(trace, s, nt, max_rows) for s in last]
    if trace.directional is not None:
        d = _vector(trace.sweeps[0].seed, nt, max_rows)
        f = nt.name(graph.function)
        out.append(Line(nt.inline(f"{nt.nabla}{f}{nt.times}d = {nt.number(trace.directional)}") + "   with "
                        + nt.inline(f"d = {d}"), "result"))
        out.append(Line("Cost: 1 forward sweep gives one directional derivative, whatever the number of inputs.",
                        "cost"))
    else:
        out += _gradient(trace, nt, max_rows)
        out.append(Line(_forward_cost(n, len(graph.inputs)), "cost"))
    if cost:
        out += cost_lines(trace)
    return out + _warnings(trace, nt)


def reverse(trace: Trace, nt: Notation, max_rows: int, cost: bool = False) -> list[Block]:
    graph = trace.graph
    f = nt.name(graph.nodes[graph.output].id)
    out: list[Block] = header(trace, nt, max_rows)
    n = len(graph.nodes)
    out.append(_steps(EVALUATION, range(n), lambda i: evaluation_row(trace, i, nt), "node", nt, max_rows))
    ratio = f"{nt.generic('bar')} = {nt.d}{nt.name(graph.function)}/{nt.d}{nt.generic('c')}"
    title = f"Reverse mode: adjoints {nt.inline(ratio)}, from the output {nt.inline(f)} back to the inputs"
    out.append(_steps(title, range(n - 1, -1, -1), lambda j: adjoint_row(trace, j, nt, _terms(max_rows)), "adjoint",
                      nt, max_rows))
    out += _gradient(trace, nt, max_rows)
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
    return [*header(trace, nt, max_rows),
            Grid(headers, rows, [False] * 5 + [True] * (len(headers) - 5)),
            Line(f"{_plural(len(g.nodes), 'node')}, {_plural(edges, 'edge')}; "
                 f"to draw it, add --dot and pipe to: {nt.command('dot -Tsvg > graph.svg')}"),
            *_warnings(trace, nt)]
