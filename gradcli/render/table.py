"""Terminal output with rich: the evaluation trace, tangent and adjoint tables, and the graph view."""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text

from ..ops import fmt
from ..trace import Trace
from .rows import Notation, Row, adjoint_rows, evaluation_rows, point_text, source_text, tangent_rows, vector


MAX_TERMS = 12


def _clip(rows: list, max_rows: int, filler) -> list:
    """At most ``max_rows`` rows (0: all): the first and last halves, and a row saying what was left out."""
    if max_rows <= 0 or len(rows) <= max_rows:
        return rows
    head = (max_rows + 1) // 2
    tail = max_rows // 2
    left = len(rows) - head - tail
    return rows[:head] + [filler(left)] + (rows[-tail:] if tail else [])


def _steps(title: str, rows: list[Row], nt: Notation, max_rows: int) -> list:
    """A title, then rows as aligned equations: ``lhs = rule = numbers = value``."""
    table = Table(box=None, show_header=False,
                  padding=(0, 1, 0, 0), pad_edge=False, expand=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True, style="bold")

    def filler(n: int) -> Row:
        return Row(nt.ellipsis, "", "", f"{nt.ellipsis} {n} rows left out (--max-rows 0 shows all)", note=True)

    for row in _clip(rows, max_rows, filler):
        gap = row.lhs == nt.ellipsis
        table.add_row(
            Text(row.lhs),
            Text("" if row.note else "="),
            Text(row.rule, style="dim" if row.note else ""),
            Text("=" if row.numbers else ""),
            Text(row.numbers),
            Text("=" if row.value and not gap else ""),
            Text(row.value, style="dim" if gap else ""),
        )
    return [Text(title, style="bold"), table]


def _terms(max_rows: int) -> int:
    """How many terms of a long chain-rule sum to show: all when every row is asked for."""
    return 0 if max_rows == 0 else MAX_TERMS


def _header(trace: Trace, nt: Notation) -> list:
    graph = trace.graph
    out = graph.nodes[graph.output].id
    lines = [Text.assemble(("program: " if graph.is_program else "f = ", "bold"), source_text(graph))]
    inputs = ", ".join(f"{graph.nodes[i].id} = {n}" if graph.nodes[i].id != n else n
                       for i, n in zip(graph.inputs, graph.names))
    lines.append(Text(f"graph: {len(graph.inputs)} input{'s' if len(graph.inputs) != 1 else ''} ({inputs}), "
                      f"{graph.op_count} operation node{'s' if graph.op_count != 1 else ''}, output f = {out}"))
    if graph.constants:
        lines.append(Text("constants: " + ", ".join(f"{c} = {fmt(v)}" for c, v in graph.constants)))
    if trace.point is not None:
        lines.append(Text(f"at {point_text(trace)}"))
    return lines


def _warnings(trace: Trace) -> list:
    return [Text(f"warning: {w}", style="yellow") for w in trace.warnings]


def _gradient_lines(trace: Trace, nt: Notation) -> list:
    """``∇f(0, 2) = [64, 192]``, then each partial; one line each when they do not fit on one."""
    assert trace.gradient is not None and trace.point is not None
    names = list(trace.gradient)
    parts = [f"{nt.d}f/{nt.d}{n} = {fmt(v)}" for n, v in trace.gradient.items()]
    if names != list(trace.graph.names) or len(names) == 1:
        return [Text(p, style="bold") for p in parts]
    at = ", ".join(fmt(trace.point[n]) for n in names)
    head = f"{nt.nabla}f({at}) = {vector(trace.gradient.values())}"
    line = f"{head}   ({', '.join(parts)})"
    if len(line) <= 80:
        return [Text.assemble((head, "bold"), line[len(head):])]
    return [Text(head, style="bold")] + [Text("  " + p) for p in parts]


def _forward_cost(n: int, m: int) -> str:
    sweeps = f"{n} forward sweep{'s' if n != 1 else ''}"
    if m == 1:
        return (f"Cost: {sweeps}. Forward mode needs one sweep per input, each seeding that input's tangent "
                "with 1; reverse mode needs one sweep whatever the number of inputs.")
    return (f"Cost: {sweeps}, one per input asked for: each seeds one input's tangent with 1 and gives one "
            f"partial derivative, so the whole gradient of {m} inputs takes {m} sweeps; reverse mode needs one.")


def forward_view(trace: Trace, nt: Notation, max_rows: int) -> list:
    graph = trace.graph
    n = len(trace.sweeps)
    out = [*_header(trace, nt), Text()]
    out += _steps("Evaluation trace: the values, in one forward sweep", evaluation_rows(trace, nt), nt, max_rows)
    for s, sweep in enumerate(trace.sweeps, 1):
        seeds = ", ".join(f"{nt.dot(graph.nodes[i].id)} = {fmt(v)}" for i, v in zip(graph.inputs, sweep.seed))
        if sweep.label == "direction":
            what = f"tangents {nt.generic('dot')} = derivatives of ci along d = {vector(sweep.seed)}"
        else:
            what = f"tangents {nt.generic('dot')} = {nt.d}ci/{nt.d}{sweep.label}"
        out.append(Text())
        rows = tangent_rows(trace, sweep, nt, _terms(max_rows))
        out += _steps(f"Forward mode, sweep {s} of {n}: {what}   (seed {seeds})", rows, nt, max_rows)
    out.append(Text())
    if trace.directional is not None:
        d = vector(trace.sweeps[0].seed)
        out.append(Text(f"{nt.nabla}f{nt.times}d = {fmt(trace.directional)}   with d = {d}", style="bold"))
        out.append(Text("Cost: 1 forward sweep gives one directional derivative, whatever the number of inputs."))
    else:
        out += _gradient_lines(trace, nt)
        out.append(Text(_forward_cost(n, len(graph.inputs))))
    return out + _warnings(trace)


def reverse_view(trace: Trace, nt: Notation, max_rows: int) -> list:
    graph = trace.graph
    f = graph.nodes[graph.output].id
    out = [*_header(trace, nt), Text()]
    out += _steps("Evaluation trace: the values, in one forward sweep", evaluation_rows(trace, nt), nt, max_rows)
    out.append(Text())
    out += _steps(f"Reverse mode: adjoints {nt.generic('bar')} = {nt.d}f/{nt.d}ci, from the output {f} back to the inputs",
                  adjoint_rows(trace, nt, _terms(max_rows)), nt, max_rows)
    out.append(Text())
    out += _gradient_lines(trace, nt)
    m = len(graph.inputs)
    what = "the derivative" if m == 1 else f"all {m} partial derivatives"
    out.append(Text(f"Cost: 1 forward sweep (values) + 1 reverse sweep give {what}, whatever the number of "
                    "inputs. A node used by k nodes sums k terms, one per edge."))
    return out + _warnings(trace)


def graph_view(trace: Trace, nt: Notation, max_rows: int) -> list:
    """Nodes and edges as a table: definition, operands, consumers; with a point, value and adjoint."""
    graph = trace.graph
    at = trace.values is not None
    table = Table(box=box.ASCII if not nt.unicode else box.SIMPLE_HEAD, pad_edge=False)
    for name in ("node", "kind", "definition", "operands", "used by"):
        table.add_column(name, overflow="fold")
    if at:
        table.add_column("value", no_wrap=True, justify="right")
    if trace.adjoints is not None:
        table.add_column("adjoint", no_wrap=True, justify="right")
    rows = []
    out = graph.output
    for i, node in enumerate(graph.nodes):
        kind = node.op + (" (output)" if i == out else "")
        operands = ", ".join(dict.fromkeys(graph.nodes[a].id for a in node.args if type(a) is int))
        users = ", ".join(dict.fromkeys(graph.nodes[c].id for c, _ in graph.consumers[i]))
        row = [node.id, kind, nt.math(node.expr), operands, users]
        if at:
            row.append(fmt(trace.values[i]))
        if trace.adjoints is not None:
            row.append(fmt(trace.adjoints[i]))
        rows.append(row)

    def filler(n: int) -> list[str]:
        return [nt.ellipsis, f"{n} rows left out", "--max-rows 0 shows all"] + [""] * (len(table.columns) - 3)

    for row in _clip(rows, max_rows, filler):
        table.add_row(*map(Text, row))
    edges = sum(len(c) for c in graph.consumers)
    lines = [*_header(trace, nt), table,
             Text(f"{len(graph.nodes)} nodes, {edges} edge{'s' if edges != 1 else ''}; "
                  "to draw it, add --dot and pipe to: dot -Tsvg > graph.svg")]
    return lines + _warnings(trace)
