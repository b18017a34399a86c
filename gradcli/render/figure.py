"""The graph as a LaTeX figure, top to bottom: inputs in the first row, each node a row below its deepest
operand, an arrow per edge, each node framed with its definition and (rounded) value.

Drawn with LaTeX's own picture environment (\\qbezier lines), so it compiles with no package beyond graphicx,
which scales a graph wider than the page down to the line's width.
"""

from __future__ import annotations

import math

from ..core.expr import EQ, MARK, NAME, Expr, mark, name, transform
from .latex import LatexStyle

PT_PER_CHAR = 5.2  # the width of a character of a label, roughly, in points (10pt Computer Modern)
ROW = 46.0  # points from one row of nodes to the next
GAP = 16.0  # points between two nodes side by side
WIDTH = 440.0  # points: wider than this is scaled down to \linewidth
ROUND = 4  # significant digits of the values in the figure


def renamed(e: Expr | None, names: dict) -> Expr | None:
    """A formula in the sheet's names (--names)."""
    if e is None or not names:
        return e

    def leaf(x: Expr) -> Expr:
        if x.op == NAME and x.leaf in names:
            return name(names[x.leaf])
        if x.op == MARK and x.leaf[1] in names:
            return mark(x.leaf[0], names[x.leaf[1]])
        return x

    return transform(e, leaf)


def _visible(tex: str) -> int:
    """About how many characters a label's LaTeX shows."""
    import re

    t = re.sub(r"\\(left|right|mathrm|operatorname|text|bar|dot|overline)\b", "", tex)
    t = re.sub(r"\\(cdot|partial|alpha|beta|gamma|delta|theta|sigma|phi|pi|mu|lambda|omega|tau)\b", "x", t)
    t = re.sub(r"\\[A-Za-z]+", "xx", t)
    t = re.sub(r"_\{([^{}]*)\}", lambda m: "x" * max(1, (len(m.group(1)) + 1) // 2), t)
    return len(re.sub(r"[{}\s\\]", "", t)) + t.count(" ") // 3


def levels(graph) -> list[int]:
    """Each node's row: 0 for an input, one below its deepest operand otherwise (a loop in graph order)."""
    out: list[int] = []
    for node in graph.nodes:
        out.append(1 + max((out[a] for a in node.args if type(a) is int), default=-1) if node.op != "input" else 0)
    return out


def picture(graph, values=None, names: dict | None = None, digits: int = ROUND) -> str:
    """The figure's LaTeX: a picture in a center environment."""
    names = names or {}
    style = LatexStyle(digits)
    level = levels(graph)
    labels = []
    for i, node in enumerate(graph.nodes):
        shown = names.get(node.id, node.id)
        if node.op == "input":
            given = graph.names[i] if i < len(graph.names) else shown  # c1 = x1; a held constant by its name
            head = style.text(name(shown) if given == shown else Expr(EQ, (name(shown), name(given))))
        else:
            head = style.text(Expr(EQ, (name(shown), renamed(graph.definition(i), names))))
        lines = [f"${head}$"]
        if values is not None:
            lines.append(f"${_rounded(values[i], digits, style)}$")
        labels.append(lines)
    widths = [max(_visible(line) for line in lines) * PT_PER_CHAR + 10 for lines in labels]
    rows: dict[int, list[int]] = {}
    for i, lv in enumerate(level):
        rows.setdefault(lv, []).append(i)
    row_width = {lv: sum(widths[i] for i in nodes) + GAP * (len(nodes) - 1) for lv, nodes in rows.items()}
    total = max(row_width.values())
    height = ROW * max(level) + 30 + 12 * (len(labels[0]) - 1)
    x, y = [0.0] * len(level), [0.0] * len(level)
    for lv, nodes in rows.items():
        left = (total - row_width[lv]) / 2
        for i in nodes:
            x[i] = left + widths[i] / 2
            y[i] = height - 15 - ROW * lv
            left += widths[i] + GAP
    half = 8 + 6 * (len(labels[0]) - 1)  # half a node's height, in points
    out = [r"\begin{center}", r"\setlength{\unitlength}{1pt}"]
    scaled = total > WIDTH
    if scaled:
        out.append(r"\resizebox{\linewidth}{!}{%")
    out.append(rf"\begin{{picture}}({total:.1f},{height:.1f})")
    for i, node in enumerate(graph.nodes):
        for a in dict.fromkeys(a for a in node.args if type(a) is int):
            x1, y1, x2, y2 = x[a], y[a] - half, x[i], y[i] + half
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            between = [j for lv in range(level[a] + 1, level[i]) for j in rows[lv]]
            if between:  # an edge past a row of nodes bends around those it would cross
                t = [(y[j] - y1) / (y2 - y1) for j in between]
                crossed = [j for j, tj in zip(between, t) if abs(x1 + tj * (x2 - x1) - x[j]) < widths[j] / 2 + 6]
                if crossed:
                    side = 1.0 if x2 >= x1 or x1 > total / 2 else -1.0
                    reach = max(abs(x[j] - (x1 + tj * (x2 - x1))) * -side + widths[j] / 2 + 10
                                for j, tj in zip(between, t) if j in crossed)
                    cx += 2 * side * reach  # a quadratic curve reaches half way to its control point
            out.append(_arrow(x1, y1, x2, y2, cx, cy))
    for i, lines in enumerate(labels):
        body = r"\shortstack{" + r"\\ ".join(lines) + "}"
        box = rf"\fbox{{{body}}}"
        if i in graph.outputs:
            box = rf"\fbox{{{box}}}"  # the output: framed twice
        elif graph.is_held(i):
            box = rf"\framebox{{\itshape {body}}}"
        out.append(rf"\put({x[i]:.1f},{y[i]:.1f}){{\makebox(0,0){{{box}}}}}")
    out.append(r"\end{picture}")
    if scaled:
        out.append("}")
    out.append(r"\end{center}")
    return "\n".join(out)


def _rounded(v: float, digits: int, style) -> str:
    if isinstance(v, float) and math.isfinite(v) and v != 0:
        v = float(f"{v:.{digits}g}")
    return style.number(v, None).text


def _arrow(x1: float, y1: float, x2: float, y2: float, cx: float, cy: float) -> str:
    """A curve from (x1, y1) to (x2, y2) drawn toward (cx, cy) (straight where that is the middle), with a head
    at its end along the curve's last direction."""
    dx, dy = x2 - cx, y2 - cy
    n = math.hypot(dx, dy) or 1.0
    ux, uy = dx / n, dy / n
    size = 5.0
    bx, by = x2 - size * ux, y2 - size * uy
    px, py = -uy * size * 0.45, ux * size * 0.45
    line = rf"\qbezier({x1:.1f},{y1:.1f})({cx:.1f},{cy:.1f})({x2:.1f},{y2:.1f})"
    heads = "".join(rf"\qbezier({x2:.1f},{y2:.1f})({(x2 + hx) / 2:.1f},{(y2 + hy) / 2:.1f})({hx:.1f},{hy:.1f})"
                    for hx, hy in ((bx + px, by + py), (bx - px, by - py)))
    return line + heads
