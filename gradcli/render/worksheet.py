"""A worksheet and its key as text (a file ``grade`` reads back), Markdown, LaTeX (a figure of the graph and
the tables) and JSON; every cell named as ``grade`` reads it."""

from __future__ import annotations

import json
from typing import NamedTuple, TextIO

from ..core.expr import Expr, mark, name, num
from ..core.printer import TextStyle
from .figure import renamed

BLANK = "____"  # a cell to fill: grade reads it as left blank


class SheetRow(NamedTuple):
    """One cell as the sheet prints it: ``lhs = rule = numbers = value``; None where not printed."""

    cell: object  # engine.worksheet.Blank
    lhs: Expr
    rule: Expr | None
    numbers: Expr | None
    value: Expr | None  # None: left blank
    note: str = ""  # "seed"


class Section(NamedTuple):
    title: str  # plain text; a renderer may typeset its formula
    kind: str  # "value", "adjoint", "tangent", "gradient"
    sweep: str | None
    rows: list


def label(ws, cell) -> Expr:
    """The cell's name on the sheet: c6, c̄6, ċ6, ∂f/∂x1 (in the sheet's names)."""
    from ..core.expr import PARTIAL

    if cell.kind == "gradient":
        return Expr(PARTIAL, (name(ws.graph.function), name(cell.id)))
    shown = ws.names.get(cell.id, cell.id)
    return name(shown) if cell.kind == "value" else mark("bar" if cell.kind == "adjoint" else "dot", shown)


def sections(ws) -> list[Section]:
    """The sheet's tables: the values, then the adjoints (or each sweep's tangents), then the gradient."""
    from . import document

    trace, graph = ws.trace, ws.graph
    if ws.view is not None:
        return _array_sections(ws)
    sweeps = {s.label: s for s in trace.sweeps}
    rules = ws.key or "rules" in ws.given
    out: dict[tuple, Section] = {}
    f = graph.function
    for c in ws.cells:
        if c.kind == "value":
            row = document.evaluation_row(trace, c.node)
            where = ("value", None, "Values: each node in one forward sweep")
        elif c.kind == "adjoint":
            row = document.adjoint_row(trace, c.node)
            where = ("adjoint", None, f"Adjoints c̄i = ∂{f}/∂ci, from the output back to the inputs")
        elif c.kind == "tangent":
            row = document.tangent_row(trace, sweeps[c.sweep], c.node)
            where = ("tangent", c.sweep, f"Tangents ċi = ∂ci/∂{c.sweep}: the sweep that seeds {c.sweep}")
        else:
            row = None
            where = ("gradient", None, f"The gradient ∇{f}")
        section = out.setdefault(where[:2], Section(where[2], where[0], where[1], []))
        filled = ws.key or c.given
        if row is None:
            section.rows.append(SheetRow(c, label(ws, c), None, None, num(c.key) if filled else None))
            continue
        section.rows.append(SheetRow(
            c, label(ws, c), renamed(row.rule, ws.names) if rules and not row.note else None,
            renamed(row.numbers, ws.names) if ws.key and not row.note else None,
            num(c.key) if filled else None, row.note if row.note == "seed" else ""))
    return list(out.values())


def _array_sections(ws) -> list[Section]:
    """An array program's tables: a row per array a step computes, its value and its adjoint, then each input's
    gradient; the rules as the tables at the sheet's level write them (z̄ = h̄ ⊙ step(z))."""
    from ..core.expr import EQ
    from ..engine.arrayview import array_expr

    f = ws.graph.function
    rules = ws.key or "rules" in ws.given
    titles = {"value": "Values: each array and number in one forward sweep",
              "adjoint": f"Adjoints X̄ = ∂{f}/∂X, from the output back to the inputs",
              "gradient": f"The gradient ∇{f}: ∂{f}/∂X for each input X"}
    out: dict[str, Section] = {}
    for c in ws.cells:
        row = ws.view.rows[c.row]
        section = out.setdefault(c.kind, Section(titles[c.kind], c.kind, None, []))
        value = None
        if ws.key or c.given:
            value = num(c.key) if row.shape is None else array_expr(_flat(c.key), row.shape)
        rule, note = None, ""
        if c.kind == "value":
            rule = row.definition
        elif c.kind == "adjoint" and row.seed:
            note = "seed"
        elif c.kind == "adjoint" and row.terms:
            rule = row.terms[0][0]
            for term, _, _ in row.terms[1:]:
                rule = Expr("add", (rule, term))
        section.rows.append(SheetRow(c, label(ws, c), renamed(rule, ws.names) if rules else None, None, value, note))
    return list(out.values())


def _flat(key) -> list:
    """An array cell's entries, row by row."""
    return [x for r in key for x in (r if isinstance(r, tuple) else (r,))]


def _point(ws, style) -> str:
    from .grade import _point as grouped

    return ", ".join(f"{x} = {_shown(v, style)}" for x, v in grouped(ws.graph, ws.point).items())


def _shown(v, style) -> str:
    if isinstance(v, tuple):
        return "[" + ", ".join(_shown(x, style) for x in v) + "]"
    return style.fmt(v)


def _graph_lines(ws, style) -> list[str]:
    """The graph as its definitions, in the sheet's names."""
    graph = ws.graph
    if ws.view is not None:
        out = []
        for r in ws.view.rows:
            size = f" ({r.shape[0]}×{r.shape[1]})" if r.shape else ""
            if r.definition is None:
                out.append(f"{r.name}{size}: {'a constant' if r.kind == 'constant' else 'an input'}")
            else:
                out.append(f"{r.name}{size} = {style.text(renamed(r.definition, ws.names))}")
        return out
    out = []
    for i, node in enumerate(graph.nodes):
        head = ws.names.get(node.id, node.id)
        if node.op == "input":
            if graph.is_held(i):
                out.append(f"{head} = {style.fmt(ws.trace.values[i])} (a constant)")
            elif head != graph.names[i]:
                out.append(f"{head} = {graph.names[i]}")
            continue
        out.append(f"{head} = {style.text(renamed(graph.definition(i), ws.names))}")
    return out


def _title(ws) -> str:
    return ("Answer key" if ws.key else "Worksheet") + f": {ws.mode} mode"


# --- text: the file grade reads ----------------------------------------------------------------------------


def write_text(ws, out: TextIO, unicode: bool = True, digits: int = 0) -> None:
    style = TextStyle(unicode, digits)
    graph = ws.graph
    lines = [f"# {_title(ws)}", f"# problem: {' '.join(graph.source.split())}", f"# at {_point(ws, style)}"]
    if ws.seed is not None:
        lines.append(f"# (the point drawn from seed {ws.seed})")
    lines.append("# student:")
    lines.append("#")
    lines.append("# the graph, inputs first, the output last:")
    lines += [f"#   {x}" for x in _graph_lines(ws, style)]
    if not ws.key:
        lines.append(f"# fill in each {BLANK}; a rule and the numbers may stand before the value: "
                     "c6 = c4 + c5 = 0 + 4 = 4")
    for s in sections(ws):
        lines.append("")
        lines.append(f"# {s.title if unicode else _ascii(s.title)}")
        if s.kind == "tangent":
            lines.append(f"[sweep {s.sweep}]")
        for r in s.rows:
            parts = [style.text(r.lhs)]
            parts += [style.text(x) for x in (r.rule, r.numbers) if x is not None]
            parts.append(BLANK if r.value is None else style.text(r.value))
            lines.append(" = ".join(parts) + ("   # the seed" if r.note == "seed" else ""))
    out.write("\n".join(lines) + "\n")


def _ascii(text: str) -> str:
    return (text.replace("c̄i", "ci_bar").replace("ċi", "ci_dot").replace("∂", "d").replace("∇", "grad ")
            .replace("·", "*"))


# --- Markdown ------------------------------------------------------------------------------------------------


def write_markdown(ws, out: TextIO, unicode: bool = True, digits: int = 0) -> None:
    from .markdown import code

    style = TextStyle(unicode, digits)
    blank = "\\_\\_\\_\\_\\_\\_"
    lines = [f"## {_title(ws)}", "", f"problem: {code(' '.join(ws.graph.source.split()))}  ",
             f"at {code(_point(ws, style))}" + (f" (drawn from seed {ws.seed})" if ws.seed is not None else "") + "  ",
             "", "The graph, inputs first, the output last:", ""]
    lines += [f"- {code(x)}" for x in _graph_lines(ws, style)]
    for s in sections(ws):
        title = s.title if unicode else _ascii(s.title)
        lines += ["", f"**{title}**", "", "| cell | rule | with the numbers | value |", "| --- | --- | --- | ---: |"]
        for r in s.rows:
            cells = [code(style.text(r.lhs)), code(style.text(r.rule)) if r.rule is not None else
                     ("*seed*" if r.note == "seed" else ""),
                     code(style.text(r.numbers)) if r.numbers is not None else "",
                     blank if r.value is None else code(style.text(r.value))]
            lines.append("| " + " | ".join(cells) + " |")
    out.write("\n".join(lines) + "\n")


# --- JSON ----------------------------------------------------------------------------------------------------


def to_dict(ws) -> dict:
    from .grade import _value
    from .json import number

    style = TextStyle(True)
    plain = TextStyle(False)
    cells = []
    for s in sections(ws):
        for r in s.rows:
            c = r.cell
            cells.append({"id": c.id, "kind": c.kind, "sweep": c.sweep, "label": style.text(r.lhs),
                          "name": plain.text(r.lhs), "given": c.given,
                          "rule": None if r.rule is None else plain.text(r.rule),
                          "value": _value(c.key) if (ws.key or c.given) else None})
    graph = ws.graph
    return {"command": "worksheet", "key": ws.key,
            "problem": {"source": graph.source, "mode": ws.mode, "inputs": list(graph.names),
                        "output": graph.ids[graph.output], "sweeps": list(ws.sweeps)},
            "point": {k: number(v) for k, v in ws.point.items()}, "seed": ws.seed, "mode": ws.mode,
            "given": list(ws.given), "names": dict(ws.names), "cells": cells, "warnings": list(ws.warnings)}


def write_json(ws, out: TextIO) -> None:
    out.write(json.dumps(to_dict(ws), indent=2, ensure_ascii=False) + "\n")


def write_latex(ws, out: TextIO, digits: int = 0, standalone: bool = False) -> None:
    """The sheet for paper: the problem as given, the point, the graph as a figure, a table per section with a
    line to write each cell on (its rule beside it with --given rules); the key fills the lines."""
    from . import document, latex
    from .figure import picture
    from .flat import FlatRow, FlatSteps

    writer = latex.LatexWriter(digits)
    math = writer.math
    if ws.view is None:
        head = document.header(ws.graph, ws.point)
    else:  # an array program: its inputs as arrays, the point as arrays, and its steps
        head = document._array_header(ws.trace, ws.view, 0)
    body = [r"\par\noindent " + latex.breakable(writer.text(line.text)) + r"\par" for line in head]
    if ws.view is not None:
        body += [r"\par\noindent " + latex.breakable(writer.text(parts)) + r"\par" for parts in _array_lines(ws)]
    if ws.seed is not None:
        body.append(rf"\par\noindent {latex.escape(f'(the point drawn from seed {ws.seed})')}\par")
    if not ws.key:
        body.append(r"\par\medskip\noindent Name: \underline{\hspace{18em}}\par")
    values = ws.trace.values if ws.key or "values" in ws.given else None
    if ws.view is None:  # an array program's graph is its rows, listed with the problem
        body += [r"\par\medskip", picture(ws.graph, values, ws.names)]
    for s in sections(ws):
        rows = []
        for r in s.rows:
            value = _blank_tex(ws, r.cell) if r.value is None else math(r.value)
            rule = math(r.rule) if r.rule is not None else ""
            if r.note == "seed":
                rows.append(FlatRow(math(r.lhs), writer.note("seed"), "", value, note=True))
            else:
                rows.append(FlatRow(math(r.lhs), rule, math(r.numbers) if r.numbers is not None else "", value))
        body += _table(writer.prose(s.title) if _MATHS.isdisjoint(s.title) else _title_tex(s, writer), rows)
    text = latex.document(body, _title(ws)) if standalone else \
        "% gradcli worksheet: a LaTeX fragment; it needs \\usepackage{amsmath} and \\usepackage{graphicx}\n" + \
        "\n".join(body) + "\n"
    out.write(text)


def _blank_tex(ws, cell) -> str:
    """A line to write a number on; for an array, a line per entry in brackets of its shape (up to 6×6)."""
    shape = ws.view.rows[cell.row].shape if ws.view is not None else None
    if shape is None or max(shape) > 6:
        return BLANK_TEX
    m, n = shape
    entry = r"\underline{\hspace{2.5em}}"
    return r"\begin{bmatrix} " + r" \\ ".join(" & ".join([entry] * n) for _ in range(m)) + r" \end{bmatrix}"


def _array_lines(ws) -> list[tuple]:
    """An array program's point and steps, as parts of lines: ``at W = [[1, 2], [3, 4]], …``; ``c1 = W @ x``."""
    from ..core.expr import EQ
    from ..engine.arrayview import array_expr, shaped
    from .grade import _point as grouped

    def value(v) -> Expr:
        return array_expr(_flat(v), (len(v), len(v[0])) if isinstance(v[0], tuple) else (len(v), 1)) \
            if isinstance(v, tuple) else num(v)

    at: list = ["at "]
    for k, (n, v) in enumerate(grouped(ws.graph, ws.point).items()):
        at += ([", "] if k else []) + [Expr(EQ, (name(n), value(v)))]
    steps: list = ["the steps: "]
    for k, r in enumerate(r for r in ws.view.rows if r.definition is not None):
        steps += ([", "] if k else []) + [Expr(EQ, (shaped(name(ws.names.get(r.name, r.name)), r.shape),
                                                     renamed(r.definition, ws.names)))]
    return [tuple(at), tuple(steps)]


BLANK_TEX = r"\underline{\hspace{7em}}"  # a line to write a cell's number on
_MATHS = frozenset("∂∇\u0304\u0307")  # characters that make a heading maths


def _title_tex(s, writer) -> str:
    """A section's title with its formula typeset."""
    from ..core.expr import EQ, GRAD, PARTIAL

    node = "X" if "X̄" in s.title else "ci"  # an array program's rows are arrays
    if s.kind == "adjoint":
        return writer.text(("Adjoints ", Expr(EQ, (mark("bar", node), Expr(PARTIAL, (name(s.title.split("∂")[1]
                                                                                             .split("/")[0]),
                                                                                        name(node))))),
                            ", from the output back to the inputs"))
    if s.kind == "tangent":
        return writer.text(("Tangents ", Expr(EQ, (mark("dot", "ci"), Expr(PARTIAL, (name("ci"), name(s.sweep))))),
                            ": the sweep that seeds ", name(s.sweep)))
    f = s.title.split("∇")[1].split(":")[0]
    if node == "X" or ":" in s.title:
        return writer.text(("The gradient ", Expr(GRAD, (name(f),)), ": ", Expr(PARTIAL, (name(f), name("X"))),
                            " for each input X"))
    return writer.text(("The gradient ", Expr(GRAD, (name(f),))))


def _table(title: str, rows: list) -> list[str]:
    """A section as align*: each cell on its line, ``lhs = rule = numbers = value``; a wide one a part a line
    (an array's blank, brackets of lines, is measured as one line)."""
    from . import latex

    if latex._wide([r._replace(value=BLANK_TEX) if r.value.startswith(r"\begin{bmatrix} \underline") else r
                    for r in rows]):
        lines = [latex._stacked(r) for r in rows]
    else:
        lines = []
        for r in rows:
            if r.note:
                lines.append(rf"{r.lhs} &= {r.value} \quad {r.rule}")
                continue
            parts = [p for p in (r.rule, r.numbers) if p] + [r.value]
            lines.append(f"{r.lhs} &= " + " && = ".join(parts))
    return [latex.KEEP, rf"\paragraph{{{title}}}", r"\begingroup\allowdisplaybreaks\jot=6pt",
            r"\begin{align*}", " \\\\\n".join(lines), r"\end{align*}", r"\endgroup"]
