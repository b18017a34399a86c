"""The renderers, one module per format, and the registry that picks one per (command, format).

A renderer reads a command's result (gradcli/result.py) and writes text; it computes and parses nothing.
Terminal tables, Markdown and LaTeX print the same document (gradcli/render/document.py), each in its own
style; JSON and the drawings (DOT, Mermaid, SVG: one drawing() in render/dot.py) read the engine's record
directly. A new command is a block builder in document.py and, where its JSON differs, a JSON writer; a new
format is a function here and its entries in ``RENDERERS``.
Each module is imported only when its format is asked for.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, TextIO

COMMANDS = ("forward", "reverse", "graph", "jacobian", "hessian", "check", "descend", "gradcheck")


class View(NamedTuple):
    """How to show a result: the display options every command shares."""

    fmt: str = "table"
    width: int = 80
    unicode: bool = True
    max_rows: int = 200
    digits: int = 0
    cost: bool = False  # forward, reverse, jacobian: the sweeps and products counted
    edge_labels: bool = True  # the drawings (DOT, Mermaid, SVG): the local partial on each edge
    scalar: bool = False  # forward, reverse, graph: one row (node) per scalar, arrays written out entry by entry
    brief: bool = False  # --brief: the answer and the tables a sheet asks for, no evaluation trace (not JSON)
    standalone: bool = False  # LaTeX: a whole document (a title, the problem, the graph as a figure, the tables)
    rankdir: str = "LR"  # the drawings: the graph left to right (LR) or top to bottom (TB)


def blocks(result, view: View) -> list:
    """The document of a result: its prose, tables of equations and grids."""
    from . import document

    if result.command in ("forward", "reverse", "graph"):
        return document.COMMANDS[result.command](result.record, view.max_rows, cost=view.cost, scalar=view.scalar,
                                                 brief=view.brief)
    return document.COMMANDS[result.command](result.record, view.max_rows, cost=view.cost, brief=view.brief)


def table_lines(result, view: View) -> list:
    """The terminal tables laid out to ``view.width``: lines of (text, style) segments."""
    if result.command == "grade":  # a table of its own, plain text
        import io

        buf = io.StringIO()
        RENDERERS["grade", "table"](result, buf, view)
        return [[(line, "")] for line in buf.getvalue().splitlines()]
    from . import table

    return table.render(blocks(result, view), view.unicode, view.digits, view.width)


def _table(result, out: TextIO, view: View) -> None:
    for line in table_lines(result, view):
        out.write("".join(text for text, _ in line) + "\n")


def _markdown(result, out: TextIO, view: View) -> None:
    from . import markdown

    out.write(markdown.render(blocks(result, view), view.unicode, view.digits))


def _latex(result, out: TextIO, view: View) -> None:
    from . import latex

    figure = None
    if view.standalone and result.command in ("forward", "reverse", "graph") and not result.graph.arrays:
        from .figure import picture

        figure = picture(result.graph, getattr(result.record, "values", None))
    out.write(latex.render(blocks(result, view), result.command, view.digits, view.standalone, figure))


def _json(writer: str) -> Callable[[object, TextIO, View], None]:
    def write(result, out: TextIO, view: View) -> None:
        from . import json

        getattr(json, writer)(result.record, out)

    return write


def _picture(module: str) -> Callable[[object, TextIO, View], None]:
    """graph's pictures: Graphviz DOT, a Mermaid flowchart, gradcli's own SVG."""

    def write(result, out: TextIO, view: View) -> None:
        from importlib import import_module

        from ..core.printer import TextStyle

        nt = TextStyle(unicode=view.unicode, digits=view.digits)
        if module == "svg":
            from .svg import graph_svg

            out.write(graph_svg(result.record, nt, view.rankdir, view.edge_labels, view.scalar))
            return
        import_module(f"{__name__}.{module}").write(result.record, out, nt, view.edge_labels, view.scalar,
                                                    view.rankdir)

    return write


PICTURES = ("dot", "mermaid", "svg")  # graph's formats that draw it: the options for a drawing apply to them


RENDERERS: dict[tuple[str, str], Callable[[object, TextIO, View], None]] = {}
for _command in COMMANDS:
    RENDERERS[_command, "table"] = _table
    RENDERERS[_command, "json"] = _json({"check": "write_check", "descend": "write_descent",
                                         "gradcheck": "write_gradcheck"}.get(_command, "write"))
    if _command == "graph":
        RENDERERS[_command, "dot"] = _picture("dot")
    RENDERERS[_command, "markdown"] = _markdown
    RENDERERS[_command, "latex"] = _latex
RENDERERS["graph", "mermaid"] = _picture("mermaid")
RENDERERS["graph", "svg"] = _picture("svg")


def formats(command: str) -> tuple[str, ...]:
    """The formats a command can be shown in, in the order its --format lists them."""
    return tuple(fmt for (c, fmt) in RENDERERS if c == command)


def render(result, out: TextIO, view: View) -> None:
    """Write the result in ``view.fmt`` to ``out``."""
    try:
        renderer = RENDERERS[result.command, view.fmt]
    except KeyError:
        raise ValueError(f"gradcli {result.command} has no {view.fmt} output; it has "
                         f"{', '.join(formats(result.command))}") from None
    renderer(result, out, view)


def _grade(fmt: str) -> Callable[[object, TextIO, View], None]:
    def write(result, out: TextIO, view: View) -> None:
        from . import grade

        if fmt == "json":
            grade.write_json(result.record, out)
        elif fmt == "csv":
            grade.write_csv(result.record, out)
        else:
            grade.write_table(result.record, out, view.unicode, view.width)

    return write


for _fmt in ("table", "json", "csv"):  # gradcli grade: its own table, JSON and a gradebook row
    RENDERERS["grade", _fmt] = _grade(_fmt)


def _plot(fmt: str) -> Callable[[object, TextIO, View], None]:
    def write(result, out: TextIO, view: View) -> None:
        from . import plot

        if fmt == "json":
            plot.write_json(result.record, out)
        else:
            plot.write_table(result.record, out, view.width, view.unicode)

    return write


def _worksheet(fmt: str) -> Callable[[object, TextIO, View], None]:
    def write(result, out: TextIO, view: View) -> None:
        from . import worksheet

        if fmt == "json":
            worksheet.write_json(result.record, out)
        elif fmt == "markdown":
            worksheet.write_markdown(result.record, out, view.unicode, view.digits)
        elif fmt == "latex":
            worksheet.write_latex(result.record, out, view.digits, view.standalone)
        else:
            worksheet.write_text(result.record, out, view.unicode, view.digits)

    return write


for _fmt in ("table", "json"):  # gradcli plot: a picture in characters (colour: gradcli/cli.py), the grid's values
    RENDERERS["plot", _fmt] = _plot(_fmt)
for _fmt in ("table", "text", "markdown", "latex", "json"):  # gradcli worksheet: table is text, a file grade reads
    RENDERERS["worksheet", _fmt] = _worksheet(_fmt)
