"""What a command computed, as a document of structured steps: prose, tables of equations, grids.

Every formula in it is an Expr and every number a number; nothing here is formatted. The terminal,
Markdown and LaTeX renderers print the same document, each with its own printer style
(gradcli/printer.py); JSON and DOT read the trace directly.

A row reads ``lhs = rule = numbers = value``: ``c̄1 = c̄3·c3 + c̄4·2·c1 = 64·1 + 48·0 = 64``.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple, Union

from ..core.expr import (APPROX, EQ, EXACT, INDEXED, LIST, NAME, ONE, SUMOVER, Expr, GRAD, MORE, PARTIAL, PARTIAL2,
                   VECTOR, call, mark, name, num, same, transform, value_of)
from ..core.graph import Graph
from ..core.printer import TextStyle
from ..engine.trace import Sweep, Trace

MAX_TERMS = 12  # terms of a long chain-rule sum shown when rows are clipped
_SHORT = TextStyle(unicode=False)  # how long an exact form is in a table, a long number by its size


class Code(NamedTuple):
    """Text as the user typed it (a program's steps joined by "; ", a shell command); ``expr`` is its tree
    where it is one expression, for a renderer that typesets."""

    text: str
    expr: Expr | None = None
    steps: bool = False  # the text is steps joined by "; ": a line may break between them
    command: bool = False  # a shell command, not an expression


Piece = Union[str, Expr, Code]
Text = tuple  # of Pieces: prose, mathematics and code in one line


class Line(NamedTuple):
    """A line of prose; ``kind`` is "source", "text", "result", "cost", "verdict" or "warning". ``alt`` is the same as
    several lines, for a renderer with a width it does not fit in."""

    text: Text
    kind: str = "text"
    alt: tuple = ()


class Row(NamedTuple):
    """One equation of a table: ``lhs = rule = numbers = value``; a seed or an input has a ``note`` instead
    of a rule."""

    lhs: Expr
    rule: Expr | None
    numbers: Expr | None
    value: Expr
    note: str = ""
    stable: Expr | None = None  # the form the value was computed from, where it differs (1 - c9 as sigmoid(-c8))
    symbolic: tuple = ()  # --symbolic: the row in the nodes' names, then in the inputs, after the rule
    nodes: tuple = ()  # the boxes of the graph's picture the row is about (HTML's step-through): its node's index,
    # or for a program's arrays its row of the array view (gradcli/render/dot.py's drawing)


class Gap(NamedTuple):
    """The rows of a table left out (--max-rows)."""

    count: int


class Steps(NamedTuple):
    """A titled table of equations."""

    title: Text
    rows: list  # of Row and Gap
    head: str  # what the lhs column holds: "node", "tangent", "adjoint"


class Grid(NamedTuple):
    """A plain table with headers (the graph's nodes and edges); its rows are lists of cells, or a Gap."""

    headers: list
    rows: list
    numeric: list[bool]  # which columns hold numbers (right-aligned)
    lead: int = 1  # the columns that lead each row where a terminal too narrow for it folds it into lines
    fold: list = ()  # the other columns in groups, a line each when folded (a group may break into lines)
    nodes: list = ()  # per row, the boxes of the graph's picture it is about, as Row.nodes; empty: not known


Block = Union[Line, Steps, Grid]


# --- helpers -------------------------------------------------------------------------------------------


def shown(n: int, max_rows: int) -> tuple[range, range, int]:
    """Which of n rows to show: all, or the first and last halves of ``max_rows`` (0: all); and how many
    are left out."""
    if max_rows <= 0 or n <= max_rows:
        return range(n), range(0), 0
    first, last = range((max_rows + 1) // 2), range(n - max_rows // 2, n)
    return first, last, n - len(first) - len(last)


def clipped(order, make_row, max_rows: int) -> list:
    """The rows of ``order`` that are shown, made only for those (a graph of 10^5 nodes builds 200 rows, not
    10^5), with a Gap where the others are left out."""
    first, last, left = shown(len(order), max_rows)
    rows: list = [make_row(order[k]) for k in first]
    if left:
        rows.append(Gap(left))
    return rows + [make_row(order[k]) for k in last]


def _steps(title: Text, order, make_row, head: str, max_rows: int) -> Steps:
    def row(i: int) -> Row | None:
        r = make_row(i)
        return None if r is None else r._replace(nodes=(i,))

    rows = clipped(order, row, max_rows)
    return Steps(title, [r for r in rows if r is not None], head)  # None: a held constant has no row


def _listing(items: list, max_rows: int) -> list:
    """A list clipped as the tables are: its first and last entries, and how many are left out."""
    first, last, left = shown(len(items), max_rows)
    if not left:
        return items
    return [items[k] for k in first] + [Expr(MORE, (), (left, "list"))] + [items[k] for k in last]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _join(pieces: list, sep: str = ", ") -> list:
    out: list = []
    for k, p in enumerate(pieces):
        if k:
            out.append(sep)
        out.append(p)
    return out


def eq(*parts: Expr) -> Expr:
    return Expr(EQ, tuple(parts))


def generic(kind: str) -> Expr:
    """The i-th node, tangent or adjoint in general: ci, ċi, c̄i."""
    return name("ci") if kind == "c" else mark(kind, "ci")


# --- rows ----------------------------------------------------------------------------------------------


def _redundant(numbers: Expr, rule: Expr | None, value: float) -> bool:
    """Numbers that say nothing the value or the rule does not: "= 1" before "= 1"."""
    if rule is not None and same(numbers, rule):
        return True
    if numbers.op == "copy":  # f = c6 = 64: a copy's number is its value
        numbers = numbers.args[0]
    v = value_of(numbers)
    if v is None and numbers.op == "neg":
        inner = value_of(numbers.args[0])
        v = -inner if inner is not None else None
    return v is not None and (v == value or (v != v and value != value))


def _row(lhs: Expr, rule: Expr, numbers: Expr, value: float) -> Row:
    return Row(lhs, rule, None if _redundant(numbers, rule, value) else numbers, num(value))


def exactly(exact, value: float) -> Expr:
    """A number with its exact form beside it (--exact): ``e**2 ≈ 7.38905609893065``, ``3/4 = 0.75``; the
    number alone where the exact form is that number, or too long to read."""
    if exact is None:
        return num(value)
    from ..core.printer import PLAIN
    from ..exact.symbolic import from_sympy, number

    form = from_sympy(exact)
    if value in (0.0, float("inf"), float("-inf")) and _beyond(exact):  # 10**616: no double holds it
        if len(_SHORT.text(form)) <= 80:
            return Expr(LIST, (form, Expr(EXACT, (), "beyond a double" if value else "too small for a double")))
    text = PLAIN.text(form)
    if value_of(form) is not None or len(text) > 80:
        return num(value)
    equal = value == value and abs(value) != float("inf") and number(value) == exact
    return Expr(EQ if equal else APPROX, (form, num(value)))


def _beyond(exact) -> bool:
    """Whether an exact value is a finite number other than 0, which a double showing inf or 0 cannot hold."""
    try:
        return bool(exact.is_number and exact.is_finite and exact.is_zero is False)
    except (TypeError, ValueError, RecursionError):
        return False


def _exact_value(trace: Trace, where: str, i: int):
    """The exact number of node i: its value ("value"), its adjoint ("adjoint") or a sweep's tangent."""
    e = trace.exact
    if e is None:
        return None
    if where == "value":
        return e.values[i]
    if where == "adjoint":
        return e.adjoints[i] if e.adjoints is not None else None
    return e.tangents.get(where, [None] * (i + 1))[i]


def evaluation_row(trace: Trace, i: int) -> Row:
    """``c3 = exp(c1) = exp(0) = 1``: a node's definition, with the numbers put in, and its value."""
    graph, values = trace.graph, trace.values
    assert values is not None
    node = graph.nodes[i]
    if node.op == "input":
        if i >= len(graph.names):  # held constant (--let, --data)
            return Row(name(node.id), None, None, num(values[i]), note="constant")
        if node.id != graph.names[i]:  # "c1 = x1"; in a program the input keeps its name
            if trace.symbols_only:
                return Row(name(node.id), None, None, name(graph.names[i]), note="input")
            return Row(name(node.id), name(graph.names[i]), None, num(values[i]))
        if trace.symbols_only:
            return Row(name(node.id), None, None, name(node.id), note="input")
        return Row(name(node.id), None, None, num(values[i]), note="input")
    rule = graph.definition(i)
    numbers = Expr(node.op, tuple(num(values[a]) if type(a) is int else graph.operand(a) for a in node.args))
    row = _row(name(node.id), rule, numbers, values[i])
    if trace.exact is not None:
        row = row._replace(value=exactly(_exact_value(trace, "value", i), values[i]))
    stable = trace.stable.get(i) if trace.stable else None
    if stable is not None:
        row = row._replace(stable=stable)
    if trace.symbolic is not None and i in trace.symbolic.values:
        row = row._replace(symbolic=(trace.symbolic.values[i],))
    if trace.symbols_only:  # c3 = exp(c1) = exp(x1): the node in the inputs where its value would be
        return row._replace(numbers=None, value=row.symbolic[0] if row.symbolic else rule, symbolic=())
    return row


def _in_symbols(trace: Trace, row: Row, key: tuple) -> Row:
    """--symbolic without --at: a tangent's or adjoint's row ends in its form in the inputs, not a number."""
    forms = trace.symbolic.rows.get(key, ())
    if not forms:
        return row._replace(numbers=None)
    shown = tuple(f for f in forms[:-1] if row.rule is None or not same(f, row.rule))
    return row._replace(numbers=None, value=forms[-1], symbolic=shown)


def _symbolic(trace: Trace, key: tuple, rule: Expr | None) -> tuple:
    """The row's symbolic forms, where they say more than its rule and its number."""
    if trace.symbolic is None:
        return ()
    forms = trace.symbolic.rows.get(key, ())
    return tuple(f for f in forms if value_of(f) is None and not (rule is not None and same(f, rule)))


def _sum(terms: list[tuple[bool, Expr, Expr]], max_terms: int) -> tuple[Expr, Expr]:
    """Join (negated, symbols, numbers) terms into ``a + b - c``, for the rule and for the numbers.

    With ``max_terms`` > 0, a longer sum shows its first terms and how many more there are.
    """
    more = len(terms) - max_terms if 0 < max_terms < len(terms) else 0
    rule = numbers = None
    for n, (neg, sym, nums) in enumerate(terms[: len(terms) - more]):
        if n == 0:
            rule = Expr("neg", (sym,)) if neg else sym
            numbers = Expr("neg", (nums,)) if neg else nums
        else:
            op = "sub" if neg else "add"
            rule, numbers = Expr(op, (rule, sym)), Expr(op, (numbers, nums))
    if more:
        rule = Expr("add", (rule, Expr(MORE, (), (more, "terms"))))
        numbers = Expr("add", (numbers, Expr(MORE, (), (more, "numbers"))))
    return rule, numbers


PUT_IN_WIDTH = 40  # characters: a local partial with its operands' values put in, up to this long, is shown so


def _values_by_id(trace: Trace) -> dict[str, float]:
    """Each node's value by its id, and each named constant's by its name: what a rule's names stand for."""
    got = _BY_ID[1] if _BY_ID[0] is trace.values else None
    if got is None:
        graph = trace.graph
        got = dict(graph.constants)
        if trace.values is not None:
            got.update(zip(graph.ids, trace.values))
        _BY_ID[0], _BY_ID[1] = trace.values, got
    return got


_BY_ID: list = [None, None]  # the values of the trace last shown, and its map


def _put_in(rule: Expr, values: dict[str, float] | None, partial: float) -> Expr:
    """The local partial with its operands' values put in, as a hand solution writes it (3·c6**2 at c6 = 4 is
    3·4**2), where that is short enough to read; else its value, folded (48)."""
    if values is None or value_of(rule) is not None:
        return num(partial)
    from ..core.printer import PLAIN

    missing = []

    def leaf(x: Expr) -> Expr:
        if x.op == NAME:
            v = values.get(x.leaf)
            if v is None:
                missing.append(x.leaf)
                return x
            return num(v)
        return x

    shown = transform(rule, leaf)
    if missing or len(PLAIN.text(shown)) > PUT_IN_WIDTH or not _same_float(_evaluate(shown), partial):
        return num(partial)  # a float override of the op table (tanh' as 1/cosh²) is its number, not the rule's
    return shown


def _evaluate(e: Expr) -> float:
    """An Expr of numbers, evaluated as the op table's IEEE arithmetic does (a loop, not recursion)."""
    from ..core.ops import CONSTANTS, ieee

    def leaf(x: Expr) -> float:
        if x.op == NAME:
            return CONSTANTS[x.leaf]
        return x.leaf[0]

    return transform(e, leaf, lambda x, args: args[0] if x.op in ("group", "copy") else ieee(x.op)(*args))


def _same_float(a: float, b: float) -> bool:
    return a == b or (a != a and b != b)


def _term(rule: Expr, sym: Expr, sym_first: bool, factor_value: float, partial: float,
          values: dict[str, float] | None = None) -> tuple[bool, Expr, Expr]:
    """One chain-rule term: partial·tangent (forward, ``sym_first`` False) or adjoint·partial (reverse). The
    partial's number is its rule with the operands' values put in (``values``: by id), where that reads."""
    v = value_of(rule)
    if v in (1.0, -1.0):
        return v == -1.0, sym, num(factor_value)
    if rule.op == "neg":  # -c2/m**2·ṁ is subtracted: a - b·ṁ, with b's number positive
        _, symbols, numbers = _term(rule.args[0], sym, sym_first, factor_value, -partial, values)
        return True, symbols, numbers
    if sym_first:
        return False, call("mul", sym, rule), call("mul", num(factor_value), _put_in(rule, values, partial))
    return False, call("mul", rule, sym), call("mul", _put_in(rule, values, partial), num(factor_value))


def tangent_row(trace: Trace, sweep: Sweep, i: int, max_terms: int = 0) -> Row:
    """``ċ8 = c7·ċ3 + c3·ċ7 = 64·1 + 1·0 = 64``: a node's tangent in one forward sweep."""
    graph, partials = trace.graph, trace.partials
    assert partials is not None
    t = sweep.tangents
    node = graph.nodes[i]
    if node.op == "input":
        if i >= len(graph.names):
            return None  # a held constant has no tangent
        return Row(mark("dot", node.id), None, None, num(t[i]), note="seed")
    values = _values_by_id(trace)
    terms = [_term(graph.rule(i, k), mark("dot", graph.nodes[a].id), False, t[a], partials[i][k], values)
             for k, a in enumerate(node.args) if type(a) is int and not graph.is_held(a)]
    if not terms:  # 1 - y with y held: a constant
        return Row(mark("dot", node.id), None, None, num(t[i]), note="constant")
    rule, numbers = _sum(terms, max_terms)
    row = _row(mark("dot", node.id), rule, numbers, t[i])
    if trace.symbols_only:
        return _in_symbols(trace, row._replace(rule=rule), (sweep.label, i))
    return row._replace(symbolic=_symbolic(trace, (sweep.label, i), rule),
                        value=exactly(_exact_value(trace, sweep.label, i), t[i]))


def adjoint_row(trace: Trace, j: int, max_terms: int = 0) -> Row:
    """``c̄1 = c̄3·c3 + c̄4·2·c1 = 64·1 + 48·0 = 64``: one term per edge to a consumer."""
    assert trace.partials is not None and trace.adjoints is not None
    row = _adjoint_sum(trace, trace.adjoints, trace.graph.output, j, max_terms, "no path to the output")
    if row is None or row.note:
        return row
    if trace.symbols_only:
        return _in_symbols(trace, row, ("adjoint", j))
    adj = trace.adjoints
    return row._replace(symbolic=_symbolic(trace, ("adjoint", j), row.rule),
                        value=exactly(_exact_value(trace, "adjoint", j), adj[j]))


def _adjoint_sum(trace: Trace, adj: list[float], out: int, j: int, max_terms: int, alone: str) -> Row | None:
    """c̄j as the sum over its consumers of c̄i·∂ci/∂cj, in a sweep seeded at ``out``; None for a held constant."""
    graph, partials = trace.graph, trace.partials
    if graph.is_held(j):
        return None  # a held constant: no row of its own
    lhs = mark("bar", graph.nodes[j].id)
    if j == out:
        return Row(lhs, None, None, num(adj[j]), note="seed")
    values = _values_by_id(trace)
    terms = [_term(graph.rule(i, k), mark("bar", graph.nodes[i].id), True, adj[i], partials[i][k], values)
             for i, k in graph.consumers[j] if i <= out]
    if not terms:
        return Row(lhs, None, None, num(adj[j]), note=alone)
    rule, numbers = _sum(terms, max_terms)
    return _row(lhs, rule, numbers, adj[j])


def source_text(graph: Graph, limit: int = 240) -> str:
    """The program on one line, steps joined by '; ' (a comma or full stop that ended a step left out),
    shortened if long."""
    code = re.sub(r"#[^\n]*", "", graph.source)
    steps = [_unstop(" ".join(step.split())) for step in re.split(r"[;\n]", code)]
    text = "; ".join(step for step in steps if step)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unstop(step: str) -> str:
    """A step without the comma or full stop that ended it: "exp[x]," and "f4 + f5." but not the number "2."."""
    if step.endswith(",") or (step.endswith(".") and not _NUMBER_END.search(step[:-1])):
        return step[:-1].rstrip()
    return step


_NUMBER_END = re.compile(r"(?:^|[^\w.])[0-9]+$")


def source_expr(graph: Graph) -> Expr | None:
    """A bare expression's own tree, for a renderer that typesets it; None for a program or a long source."""
    if graph.is_program or graph.params or len(graph.source) > 300:
        return None
    from ..core.expr import from_items
    from ..core.parse import parse_expression

    try:
        return from_items(parse_expression(graph.source), graph.source)
    except Exception:  # noqa: BLE001 - notation the expression parser reads only inside a program
        return None


# --- blocks --------------------------------------------------------------------------------------------


def header(graph: Graph, point: dict | None, max_rows: int = 0, trace: Trace | None = None) -> list[Block]:
    """The source, the graph in a line, its constants, and the point; with a trace over --data, where the
    samples come from. Every command's document starts with it."""
    out = graph.nodes[graph.output].id
    text = source_text(graph)
    if graph.is_program:
        lines = [Line(("program: ", Code(text, steps=True)), "source")]
    elif graph.params:  # f(x1, x2) = …, as typed
        lines = [Line((Code(text, steps=True),), "source")]
    else:
        lines = [Line(("f = ", Code(text, source_expr(graph))), "source")]
    named = graph.function != "f" or out == "f"
    if len(graph.outputs) > 1:
        named, out = True, ", ".join(graph.nodes[o].id for o in graph.outputs)
    inputs = _listing([eq(name(graph.nodes[i].id), name(n)) if graph.nodes[i].id != n else name(n)
                       for i, n in zip(graph.inputs, graph.names)], max_rows)
    lines.append(Line((f"graph: {_plural(len(graph.inputs), 'input')} (", *_join(inputs), "), "
                       f"{_plural(graph.op_count, 'operation node')}, output{'s' if len(graph.outputs) > 1 else ''} ",
                       name(out) if named else eq(name("f"), name(out))), "text"))
    if graph.constants:
        lines.append(Line(("constants: ", *_join([eq(name(c), num(v)) for c, v in graph.constants])), "text"))
    if trace is not None and trace.symbols_only:
        lines.append(Line(("no point (--at): each row in symbols, in the nodes' names and then in the inputs",),
                          "text"))
        point = None
    if point is not None:
        shown = _listing([eq(name(n), num(point[n])) for n in graph.names], max_rows)
        lines.append(Line(("at ", *_join(shown)), "text"))
        summed = trace.summed if trace is not None else None
        columns = summed.used if summed is not None else ()
        let = [n for n in graph.data_names if n not in columns and n in point]  # a column: one per sample
        if let:
            held = _listing([eq(name(n), num(point[n])) for n in let], max_rows)
            lines.append(Line(("held constant (no derivatives): ", *_join(held)), "text"))
        if summed is not None:
            lines += _data_header(trace, max_rows)
    return lines


def _data_header(trace: Trace, max_rows: int) -> list[Block]:
    """Where the samples come from, which columns the expression reads, and which sample the tables are of."""
    s = trace.summed
    t = s.table
    n = len(t.rows)
    f = _sample_name(trace)
    read = _join([name(c) for c in s.used]) or ["none"]
    columns = ("; its column ", *read, " is a constant") if len(s.used) == 1 else ("; its columns ", *read,
                                                                                 " are constants")
    what = [f"data: {t.source}, {_plural(n, 'sample')} (rows); the expression is one sample's ", f, *columns,
            " (no derivatives)"]
    if s.unused:
        what += [f"; not read: {', '.join(s.unused)}"]
    values = _join([eq(name(c), num(trace.point[c])) for c in s.used])
    return [Line(tuple(what), "text"),
            Line((f"The tables are for sample {s.row + 1} (line {t.lines[s.row]}): ", *values,
                  *(("   (--row K shows sample K)",) if n > 1 else ())), "text")]


def _warnings(trace: Trace) -> list[Block]:
    if getattr(trace, "symbols_only", False):  # said of numbers at a point the reader never gave (a Trace)
        return []
    return [Line((w,), "warning") for w in trace.warnings]


def vector(xs, max_rows: int = 0) -> Expr:
    return Expr(VECTOR, tuple(_listing([num(x) for x in xs], max_rows)))


def _gradient(trace: Trace, max_rows: int = 0) -> list[Block]:
    """``∇f(0, 2) = [64, 192]``, then each partial; one line each when they do not fit on one. A gradient
    longer than ``max_rows`` shows its first and last entries (JSON has them all)."""
    assert trace.gradient is not None and trace.point is not None
    names = list(trace.gradient)
    f = name(trace.graph.function)
    if trace.symbols_only:  # the gradient in symbols, the one answer there is without a point
        forms = {n: trace.symbolic.gradient.get(n, ()) for n in names}
        parts = [Line((eq(Expr(PARTIAL, (f, name(n))), *forms[n]),), "result") for n in names]
        return [Line(("The gradient in symbols (no --at, so no numbers):",), "text"), *parts]
    exact = trace.exact.gradient if trace.exact is not None else {}
    parts = _listing([eq(Expr(PARTIAL, (f, name(n))), exactly(exact.get(n), v)) for n, v in trace.gradient.items()],
                     max_rows)
    if names != list(trace.graph.names) or len(names) == 1:
        return [Line((p,), "result") for p in parts] + _closed_form(trace)
    at = _listing([num(trace.point[n]) for n in names], max_rows)
    head = eq(Expr(GRAD, (f, *at)), vector(trace.gradient.values(), max_rows))
    lines = [Line((head, "   (", *_join(parts), ")"), "result", ((head,), *(("  ", p) for p in parts)))]
    return lines + _closed_form(trace)


def _closed_form(trace: Trace) -> list[Block]:
    """--symbolic: each partial derivative in the nodes' names and in the inputs, then its value."""
    if trace.symbolic is None or trace.gradient is None:
        return []
    f = name(trace.graph.function)
    out: list[Block] = [Line(("The gradient in symbols (--symbolic):",), "text")]
    for n, v in trace.gradient.items():
        forms = trace.symbolic.gradient.get(n, ())
        out.append(Line(("  ", eq(Expr(PARTIAL, (f, name(n))), *forms, num(v))), "result"))
    return out


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
    return [Line((t,), "cost") for t in lines]


def _forward_cost(n: int, m: int) -> str:
    sweeps = _plural(n, "forward sweep")
    if m == 1:
        return (f"Cost: {sweeps}. Forward mode needs one sweep per input, each seeding that input's tangent "
                "with 1; reverse mode needs one sweep whatever the number of inputs.")
    return (f"Cost: {sweeps}, one per input asked for: each seeds one input's tangent with 1 and gives one "
            f"partial derivative, so the whole gradient of {m} inputs takes {m} sweeps; reverse mode needs one.")


EVALUATION = ("Evaluation trace: the values, in one forward sweep",)


def _sweep(trace: Trace, s: int, max_rows: int) -> Steps:
    """The table of forward sweep number s (from 0)."""
    graph = trace.graph
    sweep = trace.sweeps[s]
    if sweep.label == "direction":
        what: tuple = ("tangents ", generic("dot"), " = derivatives of ", generic("c"), " along ",
                       eq(name("d"), vector(sweep.seed, max_rows)))
    else:
        what = ("tangents ", eq(generic("dot"), Expr(PARTIAL, (name("ci"), name(sweep.label)))))
    seeds: list = []
    if len(graph.inputs) > 4 and sweep.label != "direction":  # e_k: one 1 and many 0s, the rows far apart
        k = graph.names.index(sweep.label)
        seeds = ["   (seed ", eq(mark("dot", graph.nodes[graph.inputs[k]].id), ONE), ", the other inputs' tangents ",
                 num(0.0), ")"]
    # with a few inputs the seed rows open the table: the title does not say them again
    title = (f"Forward mode, sweep {s + 1} of {len(trace.sweeps)}: ", *what, *seeds)
    return _steps(title, range(len(graph.nodes)), lambda i: tangent_row(trace, sweep, i, _terms(max_rows)),
                  "tangent", max_rows)


# --- data: a loss summed over samples ---------------------------------------------------------------------


def _taken(graph: Graph, columns=()) -> set[str]:
    """Every name the output can show: the inputs, the held constants, the steps, the outputs, the program's
    constants and a data file's columns; a letter for an index or a variable must be none of them."""
    names = {*graph.names, *graph.data_names, *(n.id for n in graph.nodes), graph.function, *graph.functions,
             *(c for c, _ in graph.constants), *columns}
    return {n for n in names if isinstance(n, str)}


def _letter(taken: set[str], choices: str, avoid: str = "") -> str:
    """The first of ``choices`` that is no name in ``taken`` nor in ``avoid``."""
    return next((c for c in choices if c not in taken and c not in avoid), choices[0])


def _sample_index(graph: Graph, columns=()) -> str:
    """The letter the samples are counted by, fᵢ and Σᵢ: i, unless a name is i."""
    return _letter(_taken(graph, columns), "inkmstpq")


def _trace_index(trace: Trace) -> str:
    return _sample_index(trace.graph, trace.summed.table.columns if trace.summed is not None else ())


def _sample_name(trace: Trace) -> Expr:
    """One sample's loss: fᵢ (the function's name, indexed)."""
    return Expr(INDEXED, (name(trace.graph.function),), _trace_index(trace))


def _total_name(trace: Trace) -> Expr:
    """The total loss: L, or L_total where the per-sample loss is itself called L."""
    return name("L" if trace.graph.function != "L" else "L_total")


def _over(trace: Trace, body: Expr) -> Expr:
    """Σᵢ body, or (1/N)·Σᵢ body for the mean."""
    return _reduced(body, trace.summed.reduce, len(trace.summed.values), _trace_index(trace))


def _reduced(body: Expr, reduce: str, n: int, index: str = "i") -> Expr:
    total = Expr(SUMOVER, (body,), index)
    return call("mul", call("div", ONE, num(float(n))), total) if reduce == "mean" else total


def data_blocks(trace: Trace, max_rows: int) -> list[Block]:
    """A line per sample, its loss and its gradient; then the total loss and the total gradient."""
    s = trace.summed
    t = s.table
    f = _sample_name(trace)
    headers: list = [(_trace_index(trace),), *((name(c),) for c in s.used), (f,), *((Expr(PARTIAL, (f, name(n))),) for n in s.names)]
    index = [t.columns.index(c) for c in s.used]

    def row(r: int) -> list:
        return [(str(r + 1),), *((num(t.rows[r][c]),) for c in index), (num(s.values[r]),),
                *((num(g),) for g in s.gradients[r])]

    rows = clipped(range(len(s.values)), row, max_rows)
    n = len(s.values)
    return [Line((f"Every sample: its loss and its gradient, {_plural(n, 'row')} of {t.source}",), "text"),
            Grid(headers, rows, [False] + [True] * (len(headers) - 1)), *_totals(trace, max_rows)]


def _totals(trace: Trace, max_rows: int) -> list[Block]:
    """The total loss over the samples and its gradient, each partial as the sum it is."""
    s = trace.summed
    f = _sample_name(trace)
    n = len(s.values)
    L = _total_name(trace)
    how = "the sum" if s.reduce == "sum" else "the mean"
    out: list[Block] = [Line((eq(L, _over(trace, f), num(s.total)), f"   ({how} over {_plural(n, 'sample')})"),
                             "result")]
    at = _listing([num(trace.point[m]) for m in s.names], max_rows)
    vec = eq(Expr(GRAD, (L, *at)), vector(s.gradient.values(), max_rows))
    out.append(Line((vec,), "result"))
    partials = _listing([eq(Expr(PARTIAL, (L, name(m))), _over(trace, Expr(PARTIAL, (f, name(m)))), num(v))
                         for m, v in s.gradient.items()], max_rows)
    out += [Line(("  ", p), "result") for p in partials]
    return out


def _data_cost(trace: Trace, mode: str) -> Line:
    s = trace.summed
    n, m = len(s.values), len(trace.graph.nodes)
    sweeps = "1 reverse sweep" if mode == "reverse" else _plural(len(s.names), "forward sweep")
    return Line((f"Cost: {_plural(n, 'sample')}, each 1 value sweep and {sweeps} of this one graph of "
                 f"{_plural(m, 'node')}; the sum typed out would be one graph of about {n * m} nodes.",), "cost")


def _sample_gradient(trace: Trace, max_rows: int) -> list[Block]:
    """The gradient of the sample the tables are of; with --data, said to be that sample's alone."""
    if trace.summed is None:
        return _gradient(trace, max_rows)
    return [Line((f"Sample {trace.summed.row + 1} alone:",), "result"), *_gradient(trace, max_rows)]


def value_line(trace: Trace) -> list[Block]:
    """--brief: the value at the point, said once where the evaluation trace is left out; nothing without a
    point (--symbolic alone), where the gradient in symbols is the answer."""
    if trace.symbols_only or trace.values is None:
        return []
    graph = trace.graph
    i = graph.output
    value = exactly(_exact_value(trace, "value", i), trace.values[i])
    what = f"Sample {trace.summed.row + 1}'s value: " if trace.summed is not None else "value: "
    return [Line((what, eq(name(graph.function), value)), "result")]


def _evaluation(trace: Trace, max_rows: int, brief: bool) -> list[Block]:
    """The evaluation trace, or with --brief only the value it ends in."""
    if brief:
        return value_line(trace)
    n = len(trace.graph.nodes)
    return [_steps(EVALUATION, range(n), lambda i: evaluation_row(trace, i), "node", max_rows)]


def forward(trace: Trace, max_rows: int, cost: bool = False, scalar: bool = False, brief: bool = False) -> list[Block]:
    graph = trace.graph
    if graph.steps and not scalar and trace.symbolic is None and trace.exact is None:
        from ..engine.arrayview import array_view

        view = array_view(trace)
        if view is not None:
            return _forward_arrays(trace, view, max_rows, cost, brief)
    n = len(trace.sweeps)
    out: list[Block] = header(trace.graph, trace.point, max_rows, trace)
    out += _evaluation(trace, max_rows, brief)
    first, last, left = shown(n, max_rows)
    out += [_sweep(trace, s, max_rows) for s in first]
    if left:
        out.append(Line((f"… {_plural(left, 'sweep')} left out (--max-rows 0 shows all; --wrt picks the inputs)",),
                        "text"))
    out += [_sweep(trace, s, max_rows) for s in last]
    if trace.directional is not None:
        f = name(graph.function)
        out.append(Line((eq(call("mul", Expr(GRAD, (f,)), name("d")), num(trace.directional)), "   with ",
                         eq(name("d"), vector(trace.sweeps[0].seed, max_rows))), "result"))
        if not brief:
            out.append(Line(("Cost: 1 forward sweep gives one directional derivative, whatever the number of "
                             "inputs.",), "cost"))
    elif trace.summed is not None:
        out += _sample_gradient(trace, max_rows) + data_blocks(trace, max_rows)
        if not brief:
            out.append(_data_cost(trace, "forward"))
    else:
        out += _gradient(trace, max_rows)
        if not brief:
            out.append(Line((_forward_cost(n, len(graph.inputs)),), "cost"))
    if cost:
        out += cost_lines(trace)
    return out + _warnings(trace)


def reverse(trace: Trace, max_rows: int, cost: bool = False, scalar: bool = False, brief: bool = False) -> list[Block]:
    graph = trace.graph
    if graph.steps and not scalar and trace.symbolic is None and trace.exact is None:
        from ..engine.arrayview import array_view

        view = array_view(trace)
        if view is not None:
            return _reverse_arrays(trace, view, max_rows, cost, brief)
    out: list[Block] = header(trace.graph, trace.point, max_rows, trace)
    n = len(graph.nodes)
    out += _evaluation(trace, max_rows, brief)
    ratio = eq(generic("bar"), Expr(PARTIAL, (name(graph.function), name("ci"))))
    title = ("Reverse mode: adjoints ", ratio, ", from the output ", name(graph.nodes[graph.output].id),
             " back to the inputs")
    out.append(_steps(title, range(n - 1, -1, -1), lambda j: adjoint_row(trace, j, _terms(max_rows)), "adjoint",
                      max_rows))
    out += _sample_gradient(trace, max_rows)
    m = len(graph.inputs)
    what = "the derivative" if m == 1 else f"all {m} partial derivatives"
    if trace.summed is not None:
        out += data_blocks(trace, max_rows)
        if not brief:
            out.append(_data_cost(trace, "reverse"))
    elif not brief:
        out.append(Line((f"Cost: 1 forward sweep (values) + 1 reverse sweep give {what}, whatever the number of "
                         "inputs. A node used by k nodes sums k terms, one per edge.",), "cost"))
    if cost:
        out += cost_lines(trace)
    return out + _warnings(trace)


# --- the tables at the level of the arrays (gradcli/engine/arrayview.py) --------------------------------------


def _array_value(row, values) -> Expr:
    from ..engine.arrayview import array_expr

    return num(values[0]) if row.shape is None else array_expr(values, row.shape)


def _array_header(trace: Trace, view, max_rows: int) -> list[Block]:
    """The source, then the inputs as arrays: ``graph: input W2 (2×3); held constant W1 (2×2), x (2×1); …``;
    with --data, where the samples come from."""
    from ..engine.arrayview import shaped

    graph = trace.graph
    lines = header(graph, None, max_rows)[:1]
    inputs = [shaped(name(r.name), r.shape) for r in view.rows if r.kind == "input"]
    held = [shaped(name(r.name), r.shape) for r in view.rows if r.kind == "constant" and r.definition is None]
    text: list = [f"graph: {'input' if len(inputs) == 1 else 'inputs'} ", *_join(_listing(inputs, max_rows))]
    if held:
        text += ["; held constant ", *_join(_listing(held, max_rows))]
    text += [f"; {_plural(graph.op_count, 'operation node')}, output ", name(graph.function)]
    lines.append(Line(tuple(text), "text"))
    if graph.constants:
        lines.append(Line(("constants: ", *_join([eq(name(c), num(v)) for c, v in graph.constants])), "text"))
    if trace.summed is not None:
        lines += _data_header(trace, max_rows)
    return lines


def _array_evaluation(trace: Trace, view) -> Steps:
    from ..engine.arrayview import shaped

    values = trace.values
    rows: list = []
    for k, r in enumerate(view.rows):
        lhs = shaped(name(r.name), r.shape)
        value = _array_value(r, r.value)
        if r.definition is None:
            rows.append(Row(lhs, None, None, value, note="input" if r.kind == "input" else "constant",
                            nodes=(k,)))
        elif r.kind == "node":
            node = trace.graph.nodes[r.node]
            numbers = Expr(node.op, tuple(num(values[a]) if type(a) is int else trace.graph.operand(a)
                                          for a in node.args))
            rows.append(_row(lhs, r.definition, numbers, r.value[0])._replace(nodes=(k,)))
        else:
            rows.append(Row(lhs, r.definition, None, value, nodes=(k,)))
    return Steps(("Evaluation trace: the values, one row per array and per number",), rows, "node")


def _array_adjoints(trace: Trace, view) -> Steps:
    from ..engine.arrayview import shaped

    rows: list = []
    for k in range(len(view.rows) - 1, -1, -1):
        r = view.rows[k]
        if r.adjoint is None:
            continue
        lhs = shaped(mark("bar", r.name), r.shape)
        value = _array_value(r, r.adjoint)
        if r.seed:
            rows.append(Row(lhs, None, None, value, note="seed", nodes=(k,)))
            continue
        if not r.terms:
            rows.append(Row(lhs, None, None, value, note="no path to the output", nodes=(k,)))
            continue
        rule = numbers = None
        for term, nums, _ in r.terms:
            rule = term if rule is None else Expr("add", (rule, term))
            if r.shape is None:
                numbers = nums if numbers is None else Expr("add", (numbers, nums))
        if r.shape is None:
            row = _row(lhs, rule, numbers, r.adjoint[0])
        else:
            row = Row(lhs, rule, None, value)
        if r.shortcut is not None:
            row = row._replace(symbolic=(r.shortcut,))
        rows.append(row._replace(nodes=(k,)))
    f = name(trace.graph.function)
    title = ("Reverse mode: adjoints ", eq(mark("bar", "X"), Expr(PARTIAL, (f, name("X")))), ", one row per array and "
             "per number, from the output ", f, " back to the inputs")
    return Steps(title, rows, "adjoint")


def _array_gradient(trace: Trace, view) -> list[Block]:
    """``∂L/∂W2 = [[…], […]]``: the gradient, grouped by the inputs as they are written."""
    from ..engine.arrayview import array_expr

    assert trace.gradient is not None
    f = name(trace.graph.function)
    lines: list[Block] = []
    for n, shape, ids in view.inputs:
        got = [trace.gradient.get(i) for i in ids]
        if any(v is None for v in got):
            continue
        value = num(got[0]) if shape is None else array_expr(got, shape)
        lines.append(Line((eq(Expr(PARTIAL, (f, name(n))), value),), "result"))
    return lines


def _reverse_arrays(trace: Trace, view, max_rows: int, cost: bool, brief: bool = False) -> list[Block]:
    from ..engine.arrayview import MAX_SIDE

    out: list[Block] = _array_header(trace, view, max_rows)
    out += value_line(trace) if brief else [_array_evaluation(trace, view)]
    out.append(_array_adjoints(trace, view))
    if trace.summed is not None:
        out.append(Line((f"Sample {trace.summed.row + 1} alone:",), "result"))
    out += _array_gradient(trace, view)
    if view.cut:
        out.append(Line((f"An array with more than {MAX_SIDE} rows or columns shows its first 3 and last 2; "
                         "--format json has every entry, and --scalar shows one row per entry.",), "text"))
    if trace.summed is not None:
        out += data_blocks(trace, max_rows)
        if not brief:
            out.append(_data_cost(trace, "reverse"))
    elif not brief:
        out.append(Line(("Cost: 1 forward sweep (values) + 1 reverse sweep give the whole gradient, whatever the "
                         "number of inputs. An array read by k steps sums k terms, one per step.",), "cost"))
    if cost:
        out += cost_lines(trace)
    return out + _warnings(trace)


def _array_sweep(trace: Trace, view, s: int, max_rows: int) -> Steps:
    """Forward sweep s at the sheet's level: each array's tangent by its JVP rule, then its numbers."""
    from ..engine.arrayview import shaped, tangent_rows

    sweep = trace.sweeps[s]
    rows: list = []
    index = {id(r): k for k, r in enumerate(view.rows)}
    for t in tangent_rows(trace, view, sweep):  # a few sweeps: those shown (--max-rows)
        r = t.row
        k = index[id(r)]
        lhs = shaped(mark("dot", r.name), r.shape)
        value = _array_value(r, t.tangent)
        if t.rule is None:
            rows.append(Row(lhs, None, None, value, note="seed", nodes=(k,)))
        else:
            rows.append(Row(lhs, t.rule, None, value, nodes=(k,)))
    if sweep.label == "direction":
        what: tuple = ("tangents ", mark("dot", "X"), " = derivatives along the direction d")
    else:
        what = ("tangents ", eq(mark("dot", "X"), Expr(PARTIAL, (name("X"), name(sweep.label)))), "   (seed ",
                eq(mark("dot", sweep.label), ONE), ", every other entry's tangent ", num(0.0), ")")
    title = (f"Forward mode, sweep {s + 1} of {len(trace.sweeps)}: ", *what, ", one row per array and per number")
    return Steps(title, rows, "tangent")


def _forward_arrays(trace: Trace, view, max_rows: int, cost: bool, brief: bool = False) -> list[Block]:
    from ..engine.arrayview import MAX_SIDE

    graph = trace.graph
    n = len(trace.sweeps)
    out: list[Block] = _array_header(trace, view, max_rows)
    out += value_line(trace) if brief else [_array_evaluation(trace, view)]
    first, last, left = shown(n, max_rows)
    out += [_array_sweep(trace, view, s, max_rows) for s in first]
    if left:
        out.append(Line((f"… {_plural(left, 'sweep')} left out (--max-rows 0 shows all; --wrt picks the inputs)",),
                        "text"))
    out += [_array_sweep(trace, view, s, max_rows) for s in last]
    if trace.directional is not None:
        f = name(graph.function)
        out.append(Line((eq(call("mul", Expr(GRAD, (f,)), name("d")), num(trace.directional)),), "result"))
        if not brief:
            out.append(Line(("Cost: 1 forward sweep gives one directional derivative, whatever the number of "
                             "inputs.",), "cost"))
    elif trace.summed is not None:
        out += _sample_gradient(trace, max_rows) + data_blocks(trace, max_rows)
        if not brief:
            out.append(_data_cost(trace, "forward"))
    else:
        out += _gradient(trace, max_rows)
        if not brief:
            out.append(Line((_forward_cost(n, len(graph.inputs)),), "cost"))
    if view.cut:
        out.append(Line((f"An array with more than {MAX_SIDE} rows or columns shows its first 3 and last 2; "
                         "--format json has every entry, and --scalar shows one row per entry.",), "text"))
    if cost:
        out += cost_lines(trace)
    return out + _warnings(trace)


def _graph_headers(trace: Trace) -> list:
    headers: list = [("node",), ("kind",), ("definition",), ("operands",), ("used by",)]
    if trace.values is not None:
        headers.append(("value",))
    # one column per seeded input: its forward sweep's tangents, headed like the DOT labels (tangent ∂/∂x1)
    headers += [("tangent ", Expr(PARTIAL, (name(""), name(s.label)))) for s in trace.sweeps]
    if trace.adjoints is not None:
        headers.append(("adjoint",))
    return headers


def graph(trace: Trace, max_rows: int, cost: bool = False, scalar: bool = False, brief: bool = False) -> list[Block]:
    """Nodes and edges: definition, operands, consumers; with a point, value, tangents and adjoint."""
    g = trace.graph
    if g.steps and not scalar and trace.summed is None and trace.symbolic is None and trace.exact is None:
        from ..engine.arrayview import array_view

        view = array_view(trace)
        if view is not None:
            return _graph_arrays(trace, view, max_rows)
    headers = _graph_headers(trace)

    def row(i: int) -> list:
        node = g.nodes[i]
        held = g.is_held(i)
        kind = ("constant" if held else node.op) + (" (output)" if i in g.outputs else "")
        operands = _join(list(dict.fromkeys(name(g.nodes[a].id) for a in node.args if type(a) is int)))
        users = _join(list(dict.fromkeys(name(g.nodes[c].id) for c, _ in g.consumers[i])))
        cells = [(name(node.id),), (kind,), (g.definition(i),), tuple(operands), tuple(users)]
        if trace.values is not None:
            cells.append((num(trace.values[i]),))
        cells += [("",) if held else (num(s.tangents[i]),) for s in trace.sweeps]
        if trace.adjoints is not None:
            cells.append(("",) if held else (num(trace.adjoints[i]),))
        return cells

    rows = clipped(range(len(g.nodes)), row, max_rows)
    nodes = [() if isinstance(r, Gap) else r for r in clipped(range(len(g.nodes)), lambda i: (i,), max_rows)]
    edges = sum(len(c) for c in g.consumers)
    return [*header(trace.graph, trace.point, max_rows, trace),
            Grid(headers, rows, [False] * 5 + [True] * (len(headers) - 5), nodes=nodes),
            Line((f"{_plural(len(g.nodes), 'node')}, {_plural(edges, 'edge')}; to draw it, add --dot and pipe to: ",
                  Code("dot -Tsvg > graph.svg", command=True)), "text"),
            *_warnings(trace)]


def _graph_arrays(trace: Trace, view, max_rows: int) -> list[Block]:
    """The graph at the sheet's level: a row per array (with its shape) and per number, its definition in
    matrix notation, the rows it reads and the rows that read it; with a point, its value, tangents and adjoint,
    each gathered from the scalar graph's entries."""
    from ..core.expr import NAME, walk
    from ..engine.arrayview import MAX_SIDE, shaped

    g = trace.graph
    names = {r.name for r in view.rows}
    reads = {r.name: list(dict.fromkeys(x.leaf for x in walk(r.definition) if x.op == NAME and x.leaf in names
                                        and x.leaf != r.name)) if r.definition is not None else []
             for r in view.rows}
    users: dict[str, list[str]] = {r.name: [] for r in view.rows}
    for r in view.rows:
        for src in reads[r.name]:
            users[src].append(r.name)
    headers = _graph_headers(trace)

    def entries(r, numbers) -> Expr:
        got = [numbers[e] if type(e) is int else e.value for e in r.entries]
        return _array_value(r, got)

    def row(r) -> list:
        output = r.node is not None and r.node in g.outputs or r.name == g.function
        kind = {"node": "number", "view": "rearranges"}.get(r.kind, r.kind) + (" (output)" if output else "")
        cells = [(shaped(name(r.name), r.shape),), (kind,),
                 ("",) if r.definition is None else (r.definition,),
                 tuple(_join([name(x) for x in reads[r.name]])), tuple(_join([name(x) for x in users[r.name]]))]
        if trace.values is not None:
            cells.append((_array_value(r, r.value),))
        moving = r.kind not in ("constant", "view")
        cells += [(entries(r, s.tangents),) if moving else ("",) for s in trace.sweeps]
        if trace.adjoints is not None:
            cells.append((_array_value(r, r.adjoint),) if r.adjoint is not None else ("",))
        return cells

    rows = clipped(view.rows, row, max_rows)
    nodes = [() if isinstance(r, Gap) else r for r in clipped(range(len(view.rows)), lambda k: (k,), max_rows)]
    edges = sum(len(v) for v in reads.values())
    out: list[Block] = [*_array_header(trace, view, max_rows)]
    out.append(Grid(headers, rows, [False] * 5 + [True] * (len(headers) - 5), nodes=nodes))
    out.append(Line((f"{_plural(len(view.rows), 'row')} (an array or a number each), {_plural(edges, 'edge')}; "
                     f"the scalar graph has {_plural(len(g.nodes), 'node')} (--scalar shows them); to draw it, add "
                     "--dot and pipe to: ", Code("dot -Tsvg > graph.svg", command=True)), "text"))
    if view.cut:
        out.append(Line((f"An array with more than {MAX_SIDE} rows or columns shows its first 3 and last 2; "
                         "--format json has every entry.",), "text"))
    return out + _warnings(trace)


COMMANDS = {"forward": forward, "reverse": reverse, "graph": graph}


# --- check ---------------------------------------------------------------------------------------------


def check(checked, max_rows: int = 0, cost: bool = False, brief: bool = False) -> list[Block]:
    """Each claim, the true derivative, and the verdict."""
    graph = checked.graph
    out: list[Block] = header(graph, None, max_rows)
    f = name(graph.function)
    for v in checked.verdicts:
        d = Expr(PARTIAL, (f, name(v.wrt)))
        out.append(Line(("claim:  ", eq(d, v.claim)), "source"))
        out.append(Line(("true:   ", *_truth(d, v)), "text"))
        if v.status == "proved":
            out.append(Line(("proved equal: the claim minus the derivative simplifies to 0"
                             + (", entry by entry" if v.shape else ""),), "result"))
        elif v.status == "agrees":
            where = _join([eq(name(n), num(x)) for n, x in v.point.items()])
            out.append(Line(("agrees at ", *where, ": the claim is ", num(v.claim_value), " and ", d, " is ",
                             num(v.truth_value), " (a number is compared at the point, not proved)"), "result"))
        elif v.status == "different" and v.shapes is not None:
            mine, truth = v.shapes
            hint = " (the transpose?)" if mine is not None and mine[::-1] == truth else ""
            out.append(Line((f"different: the claim is {_shape_words(mine)} and ", d, f" is "
                             f"{_shape_words(truth)}{hint}",), "verdict"))
        elif v.status == "different" and v.entry is not None:
            where = _join([eq(name(n), num(x)) for n, x in v.point.items()])
            entry = Expr(PARTIAL, (name(graph.function), name(v.entry)))
            out.append(Line(("different: at ", *where, " the claim's entry ", v.entry[len(v.wrt):], " is ",
                             num(v.claim_value), " and ", entry, " is ", num(v.truth_value)), "verdict"))
        elif v.status == "different":
            where = _join([eq(name(n), num(x)) for n, x in v.point.items()])
            out.append(Line(("different: at ", *where, " the claim is ", num(v.claim_value), " and ", d, " is ",
                             num(v.truth_value)), "verdict"))
            if v.likely is not None:
                from ..exact.why import says

                out.append(Line(("likely: ", *says(v.likely, graph, v.wrt)), "verdict"))
        elif v.timed_out:
            found = (f"the claim and the derivative agree in doubles at all {v.agreed} points tried (to 1e-6 of "
                     "their size)") if v.agreed else "no point tried could be evaluated in doubles"
            out.append(Line((f"could not decide: sympy ran out of time (--time-limit), and {found}",), "verdict"))
        elif v.agreed == 0:
            out.append(Line(("could not decide: sympy does not simplify the difference to 0, and no point tried "
                             "could be evaluated",), "verdict"))
        else:
            out.append(Line((f"could not decide: sympy does not simplify the difference to 0, but the two agree "
                             f"at all {v.agreed} points tried (to 1e-15 of their size)",), "verdict"))
    return out + [Line((w,), "warning") for w in checked.warnings]


COMMANDS["check"] = check

_LONG_TRUTH = 240  # characters: an array's derivative longer than this is shown by its numbers at the point


def _truth(d: Expr, v) -> tuple:
    """The true derivative: its formula; an array's, when the formulas are long, its numbers at the point."""
    from ..core.printer import PLAIN
    from ..engine.arrayview import array_expr

    if v.shape is None and v.in_steps is not None:
        return (eq(d, v.in_steps, v.truth),)
    if v.shape is None or len(PLAIN.text(v.truth)) <= _LONG_TRUTH:
        return (eq(d, v.truth),)
    words = f" ({_shape_words(v.shape)}; each entry's formula in the inputs is in --format json)"
    if v.truth_at is None or None in v.truth_at:
        return (d, words)
    return (d, " at the point", words, " = ", array_expr(v.truth_at, v.shape))


def _shape_words(shape) -> str:
    if shape is None:
        return "a number"
    m, n = shape
    return f"a vector of {m}" if n == 1 else f"a row of {n}" if m == 1 else f"a {m}×{n} matrix"


# --- several outputs: the Jacobian ---------------------------------------------------------------------


def _matrix(trace: Trace, rows: list[str], columns: list[str], values: list[list[float]], corner: Expr | None) -> Grid:
    """A matrix as a grid: a row per output, a column per input, headed ∂/∂x."""
    headers: list = [((corner,) if corner is not None else ("",))]
    headers += [(Expr(PARTIAL, (name(""), name(c))),) for c in columns]
    body = [[(name(r),), *((num(v),) for v in row)] for r, row in zip(rows, values)]
    return Grid(headers, body, [False] + [True] * len(columns))


def _output_adjoint_row(trace: Trace, sweep, j: int, max_terms: int) -> Row:
    """A row of the reverse sweep seeded at one output: c̄j = ∂si/∂cj."""
    return _adjoint_sum(trace, sweep.adjoints, sweep.output, j, max_terms, "no path to this output")


def jacobian(trace: Trace, max_rows: int, cost: bool = False, brief: bool = False) -> list[Block]:
    """The Jacobian: forward mode a column per sweep (one per input), reverse mode a row per sweep (one per
    output), each with its table; the matrix; and what each mode costs."""
    graph = trace.graph
    outs = [graph.nodes[o].id for o in graph.outputs]
    out: list[Block] = header(trace.graph, trace.point, max_rows, trace)
    if brief:  # the outputs' values and the matrix
        values = _join([eq(name(graph.nodes[o].id), num(trace.values[o])) for o in graph.outputs])
        out.append(Line(("values: ", *values), "result"))
        out.append(Line(("The Jacobian, ", eq(name("J_ij"), Expr(PARTIAL, (name("f_i"), name("x_j")))), ":"), "text"))
        out.append(_matrix(trace, outs, list(graph.names), trace.jacobian, None))
        return out + _warnings(trace)
    n = len(graph.nodes)
    out.append(_steps(EVALUATION, range(n), lambda i: evaluation_row(trace, i), "node", max_rows))
    if trace.sweeps:  # forward: one column per sweep
        for s in range(len(trace.sweeps)):
            out.append(_sweep(trace, s, max_rows))
            sweep = trace.sweeps[s]
            column = eq(Expr(PARTIAL, (Expr(VECTOR, tuple(name(o) for o in outs)), name(sweep.label))),
                        vector([sweep.tangents[o] for o in graph.outputs]))
            out.append(Line(("column ", f"{s + 1} of the Jacobian: ", column), "text"))
    for sweep in trace.adjoint_sweeps:  # reverse: one row per sweep
        o = graph.nodes[sweep.output].id
        ratio = eq(generic("bar"), Expr(PARTIAL, (name(o), name("ci"))))
        title = ("Reverse mode, seeded at ", name(o), ": adjoints ", ratio)
        order = range(sweep.output, -1, -1)
        out.append(_steps(title, order, lambda j, sw=sweep: _output_adjoint_row(trace, sw, j, _terms(max_rows)),
                          "adjoint", max_rows))
        row = eq(Expr(PARTIAL, (name(o), Expr(VECTOR, tuple(name(x) for x in graph.names)))),
                 vector([sweep.adjoints[i] for i in graph.inputs]))
        out.append(Line(("row of the Jacobian: ", row), "text"))
    out.append(Line(("The Jacobian, ", eq(name("J_ij"), Expr(PARTIAL, (name("f_i"), name("x_j")))), ":"), "text"))
    out.append(_matrix(trace, outs, list(graph.names), trace.jacobian, None))
    m, k = len(outs), len(graph.names)
    mode = "forward" if trace.sweeps else "reverse"
    lines = [f"Cost: {_plural(len(trace.sweeps) or len(trace.adjoint_sweeps), mode + ' sweep')}. A Jacobian of "
             f"{m} output{'s' if m != 1 else ''} in {k} input{'s' if k != 1 else ''} takes {_plural(k, 'forward sweep')} (one "
             f"per input, a column each) or {m} reverse sweep{'s' if m != 1 else ''} (one per output, a row each): "
             + ("forward mode is cheaper here." if k < m else "reverse mode is cheaper here." if m < k else
                "the same number here.")]
    if cost:
        c = trace.cost
        lines.append(f"Cost (--cost): {c.sweeps} {mode} sweep{'s' if c.sweeps != 1 else ''}, {c.products} products "
                     f"of a local partial and a tangent or an adjoint; {c.edges} edges in all.")
    out += [Line((t,), "cost") for t in lines]
    return out + _warnings(trace)


# --- second order: the Hessian ---------------------------------------------------------------------------


def _second_row(trace: Trace, s, j: int, max_terms: int) -> Row:
    """``c̄̇j = Σ c̄̇i·∂ci/∂cj + c̄i·(∂ci/∂cj)˙``: the tangent of an adjoint along one direction."""
    from ..core.expr import simplify, substitute
    from ..core.rules import second_rules

    graph, partials, adj = trace.graph, trace.partials, trace.adjoints
    out = graph.output
    if graph.is_held(j):
        return None  # a held constant: no row of its own
    lhs = mark("bardot", graph.nodes[j].id)
    if j == out:
        return Row(lhs, None, None, num(s.adjoint_tangents[j]), note="the seed is constant")
    terms = []
    for i, k in graph.consumers[j]:
        if i > out:
            continue
        node = graph.nodes[i]
        p = graph.rule(i, k)
        first = _term(p, mark("bardot", node.id), True, s.adjoint_tangents[i], partials[i][k])
        terms.append(first)
        operands = tuple(graph.operand(a) for a in node.args)
        slope = None
        for m, a in enumerate(node.args):
            if type(a) is not int or graph.is_held(a):
                continue  # a number, or a constant held by --let, --wrt or --data: no tangent, no term
            q = graph.by_name(simplify(substitute(second_rules(node.op, len(node.args))[k][m], operands,
                                                  name(node.id)), _fold_value), node.op)
            if value_of(q) == 0:
                continue
            t = call("mul", q, mark("dot", graph.nodes[a].id))
            slope = t if slope is None else call("add", slope, t)
        if slope is not None:
            sym = call("mul", mark("bar", node.id), slope if slope.op != "add" else Expr("group", (slope,)))
            terms.append((False, sym, call("mul", num(adj[i]), num(s.slopes[i][k]))))
    if not terms:
        return Row(lhs, None, None, num(s.adjoint_tangents[j]), note="no path to the output")
    rule, numbers = _sum(terms, max_terms)
    return _row(lhs, rule, numbers, s.adjoint_tangents[j])


def _heading(f: Expr, names: list[str], taken: set[str], sample: str | None) -> tuple:
    """Hⱼₖ = ∂²f/∂uⱼ∂uₖ for (u₁, u₂) = (x, y): index letters and a variable that are none of the problem's
    names (x is often an input, x1 a data column) nor the samples' index ``sample``."""
    first = _letter(taken, "ijklmnpqrst", sample or "")
    second = _letter(taken, "jklmnpqrst", (sample or "") + first)
    var = next((v for v in "uvzxpqstw" if v not in taken and not any(re.fullmatch(re.escape(v) + r"_?\d+", n)
                                                                           for n in taken)), "u")
    pair = first + second
    head = eq(Expr(INDEXED, (name("H"),), pair), Expr(PARTIAL2, (f, Expr(INDEXED, (name(var),), first),
                                                             Expr(INDEXED, (name(var),), second))))
    listed = _listing([name(n) for n in names], 8)
    n = len(names)
    which = [Expr(INDEXED, (name(var),), str(k)) for k in ([1, 2, 3][:n] if n <= 3 else [1, n])]
    if n > 3:
        which.insert(1, "…")
    what = ("(", *_join(which), ") = (", *_join(listed), ")") if n > 1 else (which[0], " = ", listed[0])
    return head, what, pair


def _curvature(f: Expr, names: list[str], matrix: list, c, total: Expr | None = None, taken: set[str] = frozenset(),
               sample: str | None = None) -> list[Block]:
    """The Hessian of ``f`` as a matrix, its symmetry, its eigenvalues, and what they say about the point;
    ``total`` is how it was summed from the samples' Hessians (Σᵢ Hᵢ, the samples counted by ``sample``)."""
    from ..engine.second import MEANING

    head, what, pair = _heading(f, names, taken, sample)
    out: list[Block] = [Line(("The Hessian, ", head, *((" = ", total) if total is not None else ()), ", for ",
                              *what, ":"), "text"),
                        _matrix(None, names, names, matrix, None)]
    if c is None or not c.eigenvalues:
        return out
    sym = ("symmetric" if c.asymmetry == 0 else
           f"symmetric to rounding (H_{pair} and H_{pair[::-1]} differ by {c.asymmetry:.0e} of the largest entry, "
           "from the order the sums were taken in)" if c.asymmetry <= 1e-12 else
           f"not symmetric to rounding ({c.asymmetry:.1e} apart)")
    out.append(Line((f"It is {sym}, as a Hessian must be. Eigenvalues: ", vector(c.eigenvalues), f" — {c.kind}.",),
                    "result"))
    semidefinite = c.kind in ("positive semidefinite", "negative semidefinite", "zero")
    if semidefinite and c.kind != "zero":
        exact = sum(v == 0 for v in c.eigenvalues)
        k = c.zeros
        said = (f"{_plural(k, 'eigenvalue')} {'is' if k == 1 else 'are'} 0" if exact == k else
                f"{_plural(k, 'eigenvalue')} {'is' if k == 1 else 'are'} 0 to within the tolerance "
                f"{c.tolerance:.1e} (1e-12·n·max|H_{pair}|, for the rounding in the sums)")
        other = "negative" if c.kind.startswith("positive") else "positive"
        out.append(Line((f"{said[0].upper()}{said[1:]} and none is {other}: {c.kind}, so the second-derivative "
                         "test is inconclusive here.",), "text"))
    curve, point = MEANING[c.kind]
    out.append(Line((f"So {curve}.",), "text"))
    if c.critical:
        out.append(Line((f"The gradient is 0 here, so this point is {point}.",), "result"))
    else:
        out.append(Line(("The gradient is not 0 here, so this is not a critical point; the Hessian says how the "
                         "function curves around it.",), "text"))
    if len(names) == 2:
        out.append(Line(_two_by_two(matrix, c), "text"))
    return out


def _two_by_two(matrix: list, c) -> tuple:
    """The 2×2 reading by the determinant and the diagonal, with the determinant taken exactly (the floats as
    the fractions they are), and the same verdict as the eigenvalues: an eigenvalue 0, or within their
    tolerance of 0, leaves the test inconclusive whatever sign the determinant's rounding has."""
    from fractions import Fraction

    (a, b), (b2, d) = matrix
    det = Fraction(a) * Fraction(d) - Fraction(b) * Fraction(b2)
    trace = a + d
    kind = c.kind
    if kind == "positive definite":
        reading = "the determinant is positive and the diagonal positive, so positive definite"
    elif kind == "negative definite":
        reading = "the determinant is positive and the diagonal negative, so negative definite"
    elif kind == "indefinite":
        reading = "a negative determinant, so indefinite: a saddle"
    elif kind == "zero":
        reading = "the Hessian is 0, so the test is inconclusive"
    else:
        zero = "a zero determinant" if det == 0 else \
            f"a determinant 0 to within the eigenvalues' tolerance {c.tolerance:.1e}"
        reading = f"{zero}, so an eigenvalue is 0: {kind}, and the test is inconclusive"
    return ("For 2 inputs: trace ", num(trace), ", determinant ", num(float(det)), f"; {reading}.")


def _fold_value(op: str, xs: tuple) -> float:
    from ..core.ops import OPS

    return OPS[op].value(*xs)


def _tangent_grid(trace: Trace, max_rows: int) -> Grid:
    """The tangents of several forward sweeps in one table: each node's tangent rule once (it is the same in
    every sweep), then its value along each input, a column per sweep."""
    graph = trace.graph
    headers: list = [("tangent",), ("rule",), *(("along ", name(s.label)) for s in trace.sweeps)]

    def row(i: int):
        node = graph.nodes[i]
        if graph.is_held(i):
            return None
        first = tangent_row(trace, trace.sweeps[0], i, _terms(max_rows))
        if first is None:
            return None
        rule = (first.rule,) if first.rule is not None else (f"({first.note})",)
        return [(mark("dot", node.id),), rule, *((num(s.tangents[i]),) for s in trace.sweeps)]

    rows = [r for r in clipped(range(len(graph.nodes)), row, max_rows) if r is not None]
    return Grid(headers, rows, [False, False] + [True] * len(trace.sweeps))


def hessian(trace: Trace, max_rows: int, cost: bool = False, brief: bool = False) -> list[Block]:
    """Forward over reverse: the adjoints, then the tangents along each input (one table, a column per input)
    and the tangent of every adjoint; the Hessian, its symmetry, its eigenvalues and what they say. ``brief``:
    the value, the gradient, the matrix and its reading."""
    graph = trace.graph
    out: list[Block] = header(trace.graph, trace.point, max_rows, trace)
    n = len(graph.nodes)
    out += _evaluation(trace, max_rows, brief)
    ratio = eq(generic("bar"), Expr(PARTIAL, (name(graph.function), name("ci"))))
    if not brief:
        out.append(_steps(("Reverse mode: adjoints ", ratio), range(n - 1, -1, -1),
                          lambda j: adjoint_row(trace, j, _terms(max_rows)), "adjoint", max_rows))
    if trace.summed is None or not brief:
        out += _gradient(trace, max_rows)
    first, last, left = shown(len(trace.second), max_rows)
    grid = not brief and len(trace.second) > 1 and not left
    if grid:
        out.append(Line(("Forward mode: tangents ", eq(generic("dot"), Expr(PARTIAL, (name("ci"), name("u")))),
                         " along each input u, one sweep each (the seed: 1 for u, 0 for the others)"), "text"))
        out.append(_tangent_grid(trace, max_rows))
    for k in [*first, *last] if not brief else []:
        s = trace.second[k]
        if left and k == (last[0] if last else -1):
            out.append(Line((f"… {_plural(left, 'direction')} left out (--max-rows 0 shows all)",), "text"))
        if not grid:
            out.append(_sweep(trace, k, max_rows))
        along = ("along ", name(s.label)) if s.label != "direction" else ("along ", eq(name("d"), vector(s.seed)))
        dotbar = eq(mark("bardot", "ci"), Expr(PARTIAL, (generic("bar"), name(s.label if s.label != "direction"
                                                                               else "d"))))
        title = ("Forward over reverse ", *along, ": the tangents of the adjoints ", dotbar,
                 ", from the output back")
        out.append(_steps(title, range(n - 1, -1, -1), lambda j, s=s: _second_row(trace, s, j, _terms(max_rows)),
                          "adjoint tangent", max_rows))
        if s.label != "direction":
            result = vector([s.adjoint_tangents[i] for i in graph.inputs])
            out.append(Line((f"column {k + 1} of the Hessian: ",
                             eq(Expr(PARTIAL, (Expr(GRAD, (name(graph.function),)), name(s.label))), result)), "text"))
    if trace.hessian is None:
        s = trace.second[0]
        result = vector([s.adjoint_tangents[i] for i in graph.inputs])
        out.append(Line((eq(call("mul", name("H"), name("d")), result), "   (the Hessian times ",
                         eq(name("d"), vector(s.seed)), ": how ∇", name(graph.function), " changes along d)"),
                        "result"))
    forms = trace.forms
    if trace.hessian is not None:
        names = [s.label for s in trace.second]
        columns = trace.summed.table.columns if trace.summed is not None else ()
        if trace.summed is None or not brief:
            if trace.summed is not None:
                out.append(Line((f"Sample {trace.summed.row + 1} alone:",), "result"))
            # a sample's matrix alone: the reading that matters is the loss's, below
            out += _curvature(name(graph.function), names, trace.hessian,
                              trace.curvature if trace.summed is None else None, None,
                              _taken(graph, columns), _trace_index(trace) if trace.summed is not None else None)
    else:
        names = list(graph.names)
    if forms is not None and forms.matrix is not None:
        out.append(Line(("In symbols (--symbolic), in the inputs:",), "text"))
        out.append(Grid([("",)] + [(Expr(PARTIAL, (name(""), name(c))),) for c in names],
                        [[(name(r),), *((e,) for e in row)] for r, row in zip(names, forms.matrix)],
                        [False] * (len(names) + 1)))
        out.append(Line(("trace ", forms.trace, ", determinant ", forms.determinant), "result"))
        if forms.vector is not None:
            out.append(Line((eq(call("mul", name("H"), name("d")), Expr(VECTOR, tuple(forms.vector))),), "result"))
    if forms is not None and forms.exact is not None:
        out.append(Line(("Exactly (--exact), at the point:",), "text"))
        out.append(Grid([("",)] + [(Expr(PARTIAL, (name(""), name(c))),) for c in names],
                        [[(name(r),), *((e,) for e in row)] for r, row in zip(names, forms.exact)],
                        [False] * (len(names) + 1)))
        if forms.eigenvalues:
            out.append(Line(("exact eigenvalues: ", Expr(VECTOR, tuple(forms.eigenvalues))), "result"))
        if forms.exact_vector is not None:
            out.append(Line((eq(call("mul", name("H"), name("d")), Expr(VECTOR, tuple(forms.exact_vector))),),
                            "result"))
    if trace.summed is not None:
        s = trace.summed
        out += data_blocks(trace, max_rows) if not brief else _totals(trace, max_rows)
        index = _trace_index(trace)
        out += _curvature(_total_name(trace), list(s.names), s.hessian, s.curvature,
                          _reduced(Expr(INDEXED, (name("H"),), index), s.reduce, len(s.values), index),
                          _taken(graph, s.table.columns), index)
    if brief:
        return out + _warnings(trace)
    cst = trace.cost
    out.append(Line((f"Cost: 1 value sweep, 1 reverse sweep, then per direction 1 forward sweep and 1 sweep "
                     f"back for the adjoints' tangents: {len(trace.second)} direction"
                     f"{'s' if len(trace.second) != 1 else ''}, {cst.products} products in all. The whole Hessian "
                     f"of n inputs takes n directions (n² entries; for a model of 10^6 parameters, 10^12).",),
                    "cost"))
    if trace.summed is not None:
        n = len(trace.summed.values)
        out.append(Line((f"Over the data: that for each of the {_plural(n, 'sample')}, {n * cst.products} products "
                         "in all.",), "cost"))
    return out + _warnings(trace)


COMMANDS["jacobian"] = jacobian
COMMANDS["hessian"] = hessian


# --- gradient descent ------------------------------------------------------------------------------------


def _descent_rule(d) -> list[Block]:
    """The update rule, as the sheets write it (UDL 6.11, 6.12, 6.15–6.17), with the numbers chosen."""
    loss = "L" if d.table is not None else d.graph.function
    g = f"∇{loss}(φ)"
    lines = []
    kind = d.optimizer
    beta = _setting(d.momentum)
    if kind == "momentum":
        lines.append(f"m ← β·m + (1 − β)·{g}, starting from m = 0; β = {beta}")
        step = "m"
    elif kind == "nesterov":
        lines.append(f"m ← β·m + (1 − β)·∇{loss}(φ − α·β·m), starting from m = 0; β = {beta}")
        step = "m"
    elif kind == "adam":
        lines += [f"m ← β·m + (1 − β)·g,  v ← γ·v + (1 − γ)·g², g = {g} (m = v = 0 at first)",
                  f"m̂ = m/(1 − β^(t+1)),  v̂ = v/(1 − γ^(t+1)); β = {beta}, γ = {_setting(d.gamma)}, "
                  f"ε = {_setting(d.epsilon)}"]
        step = "m̂/(√v̂ + ε)"
    else:
        step = g
    if d.decay:
        lines.append(f"φ ← (1 − λ)·φ − α·{step}; α = {_setting(d.lr)}, λ = {_setting(d.decay)}")
        penalty = f"{d.decay / (2 * d.lr):.12g}"
        if kind != "sgd":
            them = ("the moments", "them") if kind == "adam" else ("the momentum", "momentum")
            lines.append(f"(weight decay applied to the parameters, beside {them[0]}: with {them[1]} it is not the "
                         "same as a penalty in the loss)")
        else:
            lines.append(f"(weight decay λ takes the steps that adding λ/(2·α)·Σφ² = {penalty}·Σφ² to the loss "
                         "would)")
    else:
        lines.append(f"φ ← φ − α·{step}; α = {_setting(d.lr)}")
    what = {"sgd": "Gradient descent", "momentum": "Gradient descent with momentum",
            "nesterov": "Gradient descent with Nesterov momentum", "adam": "Adam"}[kind]
    what += " and weight decay" if d.decay else ""
    moments = {"sgd": "", "momentum": "the momentum m, ", "nesterov": "the momentum m, ",
               "adam": "the moments m and v, "}[kind]
    there = ("the loss there, its gradient at the look-ahead point φ − α·β·m (m from the row before)"
             if kind == "nesterov" else "the loss and its gradient there")
    out = [Line((f"{what}, φ = ({', '.join(d.names)}):",), "text"), *(Line(("  " + t,), "text") for t in lines),
           Line((f"Each row: the parameters at step t, {there}, {moments}and the update Δφ added to reach "
                 "step t + 1.",), "text")]
    if kind == "adam":
        out.append(Line(("g², √v̂ and the division are entry by entry; the first step is −α·g/(|g| + ε), "
                         "−α·sign(g) to within ε/|g|, whatever the gradient's size.",), "text"))
    return out


def _samples(which: tuple[int, ...]) -> str:
    """A batch's samples: 3–4 where they run on, else each (20, 1)."""
    if len(which) > 1 and all(b == a + 1 for a, b in zip(which, which[1:])):
        return f"{which[0]}–{which[-1]}"
    return ", ".join(map(str, which))


def _setting(x: float) -> str:
    from ..core.ops import fmt

    return fmt(x)


def descend(d, max_rows: int, cost: bool = False, brief: bool = False) -> list[Block]:
    """A row per step: t, the parameters, the loss, its gradient, the momentum, the update; then where it ended."""
    graph = d.graph
    out: list[Block] = header(graph, d.point, max_rows)
    if d.table is not None:
        t = d.table
        used = [c for c in graph.data_names if c in t.columns]
        how = "sum" if d.reduce == "sum" else "mean"
        n = len(t.rows) if d.batch is None else d.batch
        over = f", the {how} of each sample's loss" + ("" if d.batch is None else
                                                         f" over a batch of {_plural(d.batch, 'sample')}, the next "
                                                         "in the file's order at each step")
        loss: Expr = name("L" if graph.function != "L" else "L_total")
        columns = ("; the column ", *_join([name(c) for c in used]), " is a constant") if len(used) == 1 else \
            ("; the columns ", *(_join([name(c) for c in used]) or ["none"]), " are constants")
        out.append(Line((f"data: {t.source}, {_plural(len(t.rows), 'sample')}; the loss is ",
                         eq(loss, _over_samples(graph, d.reduce, n, t.columns)), over, *columns), "text"))
    else:
        loss = name(graph.function)
    rule = _descent_rule(d)
    out += rule[:-2 if d.optimizer == "adam" else -1] if brief else rule  # --brief: not what each row holds
    k = len(d.names)
    lead = 2 if d.batch is not None else 1  # t, and the samples of a batch
    headers: list = [("t",), *((("samples",),) if d.batch is not None else ()), *((name(n),) for n in d.names), (loss,),
                     *((Expr(PARTIAL, (loss, name(n))),) for n in d.names)]
    moments = d.optimizer != "sgd" and not brief
    adam = d.optimizer == "adam" and not brief
    if brief:
        headers = headers[:lead + k + 1]
    if moments:
        headers += [(name(f"m_{n}"),) for n in d.names]
    if adam:
        headers += [(name(f"v_{n}"),) for n in d.names]
    if not brief:
        headers += [("Δ", name(n)) for n in d.names]
    blank = [("",) for _ in d.names]

    def row(s) -> list:
        cells = [(str(s.t),), *(((_samples(s.batch),),) if d.batch is not None else ()),
                 *((num(p),) for p in s.params), (num(s.loss),), *((num(x),) for x in s.gradient)]
        if brief:
            return cells[:lead + k + 1]
        if moments:
            cells += [(num(x),) for x in s.momentum] if s.momentum is not None else blank
        if adam:
            cells += [(num(x),) for x in s.second] if s.second is not None else blank
        cells += [(num(x),) for x in s.update] if s.update is not None else blank
        return cells

    rows = clipped(d.rows, row, max_rows)
    # too wide for the terminal, a row folds into lines: the parameters with the loss, then the gradient, the
    # moments and the update, each entry under its parameter
    groups = [list(range(lead, lead + k + 1))]
    c = lead + k + 1
    while c < len(headers):
        groups.append(list(range(c, c + k)))
        c += k
    out.append(Grid(headers, rows, [False] * lead + [True] * (len(headers) - lead), lead, groups))
    end = d.rows[-1]
    params = _join([eq(name(n), num(p)) for n, p in zip(d.names, end.params)])
    if d.stopped == "gradient":
        out.append(Line((f"Stopped at step {end.t}: the gradient's length ", num(end.norm), " is at most ",
                         num(d.until), " (--until-grad)."), "result"))
    elif d.stopped == "diverged":
        out.append(Line((f"Stopped at step {end.t}: the loss or its gradient is no longer finite; a smaller --lr "
                         "may converge.",), "verdict"))
    elif d.stopped == "undefined":
        out.append(Line((f"Stopped before step {end.t + 1}: the loss is undefined there (see the warning); a smaller "
                         "--lr may stay where it is defined.",), "verdict"))
    out.append(Line((f"After {_plural(end.t, 'step')}: ", *params, "; ", eq(loss, num(end.loss)),
                     "; the gradient's length ", num(end.norm)), "result"))
    return out + [Line((w,), "warning") for w in d.warnings]


def _over_samples(graph: Graph, reduce: str, n: int, columns=()) -> Expr:
    index = _sample_index(graph, columns)
    return _reduced(Expr(INDEXED, (name(graph.function),), index), reduce, n, index)


COMMANDS["descend"] = descend


# --- gradcheck -----------------------------------------------------------------------------------------


def gradcheck(checked, max_rows: int, cost: bool = False, brief: bool = False) -> list[Block]:
    """The point, the method, then a row per input: x, h, the analytic partial, the central difference, their
    relative error and its reading; then what the readings mean and the verdict."""
    from ..engine.gradcheck import READINGS, STEP

    graph = checked.graph
    f = name(graph.function)
    out: list[Block] = header(graph, checked.point, max_rows)
    out.append(Line(("value: ", eq(f, num(checked.value))), "result" if brief else "text"))
    if not brief:
        out.append(Line((f"Central differences: ∂{graph.function}/∂x ≈ ({graph.function}(x + h) − "
                         f"{graph.function}(x − h)) / 2h, with h = ε^(1/3)·max(1, |x|) ≈ {STEP:.3g}·max(1, |x|) "
                         "(ε = 2^-52): the truncation error h²·f‴/6 and the rounding error ε·f/h balance there, "
                         "leaving about 10 correct digits (a one-sided difference keeps about 8, and reads 1e-4 at "
                         "h = 1e-4).",), "text"))
    what = "claimed" if checked.claimed else "reverse mode"
    headers: list = [("input",), ("reading",), ("relative error",), (what,), ("central difference",), ("h",)]

    def row(r) -> list:
        return [(name(r.name),), (r.reading,), ("",) if r.error is None else (f"{r.error:.1e}",),
                (num(r.analytic),), ("undefined",) if r.numeric is None else (num(r.numeric),), (f"{r.h:.3g}",)]

    rows = clipped(checked.rows, row, max_rows)
    out.append(Grid(headers, rows, [False, False] + [True] * (len(headers) - 2)))
    (b1, t1), (b2, t2), (b3, t3), (_, t4) = READINGS
    e1, e2, e3 = (f"1e{round(math.log10(b))}" for b in (b1, b2, b3))
    bounds = f"above {e1}: {t1}; {e2} to {e1}: {t2}; {e3} to {e2}: {t3}; at most {e3}: {t4}"
    if not brief:
        out.append(Line((f"The relative error |a − n| / max(|a|, |n|), as CS231n reads it: {bounds}.",), "text"))
    for r in checked.rows:
        if r.kinks:
            out.append(Line((f"{r.name} ± h crosses a kink at {', '.join(r.kinks)} (a relu, abs, step or sign "
                             "changes sides, or a max or min its winner): the difference mixes the slopes of both "
                             "sides, so its error says nothing about the partial; try a point away from it.",),
                            "warning"))
        elif r.numeric is None:
            out.append(Line((f"{graph.function} is undefined at {r.name} ± h; no difference was taken.",),
                            "warning"))
    wrong = [r for r in checked.rows if r.reading == "probably wrong"]
    if wrong:
        for r in wrong:
            out.append(Line((eq(Expr(PARTIAL, (f, name(r.name))), num(r.analytic)),
                             f" is probably wrong: the central difference is {r.numeric!r} (relative error "
                             f"{r.error:.1e})" + ("; reverse mode gives " + repr(r.reverse) if checked.claimed else "")
                             + ".",), "verdict"))
    else:
        errors = [r.error for r in checked.rows if r.error is not None and r.reading != "crosses a kink"]
        if not errors:
            out.append(Line(("No partial could be checked here: every difference crosses a kink or leaves the "
                             "domain.",), "verdict"))
        else:
            some = " away from kinks" if len(errors) < len(checked.rows) else ""
            out.append(Line((f"The {what} partials{some} agree with the central differences (the largest relative "
                             f"error {max(errors):.1e}).",), "result"))
    return out + _warnings(checked)


COMMANDS["gradcheck"] = gradcheck
