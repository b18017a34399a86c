"""Pictures of a surface (gradcli/engine/grid.py's ``Surface``): in the terminal, as lines of (text, style)
segments, and as a PNG, SVG or PDF file drawn by matplotlib (the ``plot`` extra), imported only for a file.

The terminal picture is a heatmap: with colour, each character cell is two grid rows (the upper half block ▀
in the upper row's colour over the lower row's), and the cells where the value crosses a contour level are
darkened, which draws the contour lines; without colour, a character per grid point from the ramp
`` .:-=+*#%@`` (low to high), whose bands are the contour lines. The grid minimum is X, a descent's path o
from its start S to its end E. A curve (one input) is drawn with a mark per column.
"""

from __future__ import annotations

import math
from typing import TextIO

from ..core.ops import fmt

RAMP = " .:-=+*#%@"
LEVELS = 10  # contour levels
MARKS = "*o+x#@%&"  # one per curve
# viridis, at 9 stops (matplotlib's own colormap, so the terminal and the file read alike)
_VIRIDIS = [(68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141), (39, 173, 129),
            (92, 200, 99), (170, 220, 50), (253, 231, 37)]
LABEL = 11  # characters of the y axis's labels


def colour(t: float) -> tuple[int, int, int]:
    """The colour of a value ``t`` in [0, 1] on the scale."""
    t = min(1.0, max(0.0, t)) * (len(_VIRIDIS) - 1)
    k = min(int(t), len(_VIRIDIS) - 2)
    f = t - k
    a, b = _VIRIDIS[k], _VIRIDIS[k + 1]
    return tuple(round(x + (y - x) * f) for x, y in zip(a, b))


def _hex(rgb, dark: bool = False) -> str:
    if dark:
        rgb = tuple(v // 3 for v in rgb)
    return "#%02x%02x%02x" % rgb


def _short(x: float) -> str:
    return fmt(float(f"{x:.4g}")) if math.isfinite(x) else str(x)


def picture_size(width: int, curves: bool) -> tuple[int, int]:
    """The grid a terminal picture of ``width`` columns shows: points along x, and lines of text high."""
    cols = max(10, width - LABEL - 1)
    lines = max(6, min(24, cols // 3))
    return cols, lines


def resample(z: list[list[float]], cols: int, rows: int) -> list[list[float]]:
    """The grid at ``cols``×``rows`` points, each the nearest of ``z``'s."""
    if not z:
        return z
    h, w = len(z), len(z[0])
    pick_c = [min(w - 1, round(c * (w - 1) / max(1, cols - 1))) for c in range(cols)]
    pick_r = [min(h - 1, round(r * (h - 1) / max(1, rows - 1))) for r in range(rows)]
    return [[z[r][c] for c in pick_c] for r in pick_r]


def _range(z) -> tuple[float, float] | None:
    finite = [v for row in z for v in row if math.isfinite(v)]
    return (min(finite), max(finite)) if finite else None


def _cell(x: float, lo: float, hi: float, n: int) -> int | None:
    """Which of n cells from lo to hi holds x; None outside."""
    if not math.isfinite(x) or x < lo or x > hi:
        return None
    return min(n - 1, int((x - lo) / (hi - lo) * n)) if hi > lo else 0


def _title(s) -> list[list[tuple[str, str]]]:
    g = s.graph
    what = f"f = {g.source.strip()}" if "\n" not in g.source.strip() else "f = the program's output"
    if s.table is not None:
        what += f", the {s.reduce} over the {len(s.table.rows)} samples of {s.table.source}"
    held = ", ".join(f"{n} = {fmt(v)}" for n, v in s.point.items())
    out = [[(what, "bold")]]
    if held:
        out.append([(f"held: {held}", "")])
    return out


def _wrapped(lines: list[list[tuple[str, str]]], width: int) -> list[list[tuple[str, str]]]:
    """Lines of one segment (prose) wrapped to ``width``, continued under their first word."""
    import textwrap

    out = []
    for line in lines:
        text = line[0][0] if len(line) == 1 else None
        if text is None or len(text) <= width:
            out.append(line)
            continue
        indent = " " * (len(text) - len(text.lstrip()))
        for part in textwrap.wrap(text.strip(), width, initial_indent=indent, subsequent_indent=indent + "  ",
                                  break_long_words=False, break_on_hyphens=False):
            out.append([(part, line[0][1])])
    return out


def terminal(s, width: int, colour_: bool, unicode: bool = True) -> list[list[tuple[str, str]]]:
    """The picture as lines of (text, style) segments, ``width`` characters wide at most."""
    return _wrapped(_picture(s, width, colour_, unicode), width)


def _picture(s, width: int, colour_: bool, unicode: bool) -> list[list[tuple[str, str]]]:
    lines = _title(s)
    if s.y is None:
        lines += _curves(s, width, colour_, unicode)
    else:
        lines += _heatmap(s, width, colour_, unicode)
    if s.losses:
        lines.append([("", "")])
        lines.append([("Loss per step", "bold")])
        lines += _chart([list(range(len(s.losses)))], [s.losses], ["loss"], "step", "loss", width, colour_,
                        unicode, legend=False)
    for w in s.warnings:
        lines.append([(f"warning: {w}", "")])
    return lines


def _heatmap(s, width: int, colour_: bool, unicode: bool) -> list[list[tuple[str, str]]]:
    cols, text_rows = picture_size(width, False)
    grid_rows = text_rows * 2 if colour_ else text_rows
    z = resample(s.z, cols, grid_rows)[::-1]  # the top line is the highest y
    span = _range(s.z)
    out: list[list[tuple[str, str]]] = []
    if span is None:
        return out + [[("the function is undefined at every point of the grid", "")]]
    lo, hi = span
    x, y = s.x, s.y

    def level(v: float) -> int | None:
        return None if not math.isfinite(v) else _cell(v, lo, hi, LEVELS) if hi > lo else 0

    # the marks: the minimum, and the path, at their cells
    marks: dict[tuple[int, int], str] = {}
    if s.path:
        for k, (px, py) in enumerate(s.path):
            c, r = _cell(px, x.lo, x.hi, cols), _cell(py, y.lo, y.hi, grid_rows)
            if c is not None and r is not None:
                mark = "S" if k == 0 else "E" if k == len(s.path) - 1 else "o"
                if marks.get((grid_rows - 1 - r, c)) not in ("S", "E"):
                    marks[grid_rows - 1 - r, c] = mark
    best = s.minimum()
    if best is not None:
        r0, c0, _ = best
        ys, xs = y.values(), x.values()
        c, r = _cell(xs[c0], x.lo, x.hi, cols), _cell(ys[r0], y.lo, y.hi, grid_rows)
        if c is not None and r is not None:
            marks[grid_rows - 1 - r, c] = "X"

    def edge(r: int, c: int) -> bool:
        here = level(z[r][c])
        if here is None:
            return False
        for rr, cc in ((r, c + 1), (r + 1, c)):
            if rr < len(z) and cc < cols:
                there = level(z[rr][cc])
                if there is not None and there != here:
                    return True
        return False

    labels = {0: y.hi, text_rows - 1: y.lo, (text_rows - 1) // 2: (y.lo + y.hi) / 2}
    for line in range(text_rows):
        label = _short(labels[line]).rjust(LABEL - 2) + " │" if line in labels else " " * (LABEL - 1) + "│"
        segs: list[tuple[str, str]] = [(label if unicode else label.replace("│", "|"), "")]
        for c in range(cols):
            if colour_:
                top, bottom = z[2 * line][c], z[2 * line + 1][c]
                mark = marks.get((2 * line, c)) or marks.get((2 * line + 1, c))
                fg = "#000000" if not math.isfinite(top) else _hex(colour((top - lo) / (hi - lo) if hi > lo else 0.5),
                                                                     edge(2 * line, c))
                bg = "#000000" if not math.isfinite(bottom) else _hex(
                    colour((bottom - lo) / (hi - lo) if hi > lo else 0.5), edge(2 * line + 1, c))
                if mark:
                    segs.append((mark, f"bold {'#ff3030' if mark == 'X' else '#ffffff'} on {bg}"))
                elif not math.isfinite(top) and not math.isfinite(bottom):
                    segs.append((" ", ""))
                else:
                    segs.append(("▀" if unicode else "#", f"{fg} on {bg}"))
            else:
                v = z[line][c]
                mark = marks.get((line, c))
                if mark:
                    segs.append((mark, ""))
                else:
                    k = level(v)
                    segs.append((" " if k is None else RAMP[k], ""))
        out.append(_merge(segs))
    out += _x_axis(x, cols, unicode)
    out.append([(" " * (LABEL - 1) + f"y: {y.name}, x: {x.name}", "")])
    # the scale
    bar_width = max(5, min(40, cols - len(_short(lo)) - len(_short(hi)) - 2))
    if colour_:
        bar = [(("█" if unicode else "#"), _hex(colour(k / max(1, bar_width - 1)))) for k in range(bar_width)]
        out.append(_merge([(" " * (LABEL - 1) + f"{_short(lo)} ", ""), *bar, (f" {_short(hi)}", "")]))
    else:
        out.append([(" " * (LABEL - 1) + f"{_short(lo)} [{RAMP}] {_short(hi)}", "")])
    if best is not None:
        r0, c0, v = best
        out.append([(" " * (LABEL - 1) + f"X: the grid's minimum, {_short(v)} at {x.name} = "
                     f"{_short(x.values()[c0])}, {y.name} = {_short(y.values()[r0])}", "")])
    if s.path:
        (sx, sy), (ex, ey) = s.path[0], s.path[-1]
        out.append([(" " * (LABEL - 1) + f"S → E: the descent's {len(s.path) - 1} steps, from ({_short(sx)}, "
                     f"{_short(sy)}) to ({_short(ex)}, {_short(ey)})", "")])
    gaps = sum(1 for row in s.z for v in row if not math.isfinite(v))
    if gaps:
        out.append([(" " * (LABEL - 1) + f"blank: undefined or not finite ({gaps:,} of {len(s.z) * len(s.z[0]):,} "
                     "points)", "")])
    return out


def _x_axis(x, cols: int, unicode: bool) -> list[list[tuple[str, str]]]:
    rule = " " * (LABEL - 1) + ("└" + "─" * cols if unicode else "+" + "-" * cols)
    lo, mid, hi = _short(x.lo), _short((x.lo + x.hi) / 2), _short(x.hi)
    ticks = [" "] * (cols + 1)
    for pos, text in ((0, lo), ((cols - len(mid)) // 2, mid), (cols + 1 - len(hi), hi)):
        for k, ch in enumerate(text):
            if 0 <= pos + k < len(ticks):
                ticks[pos + k] = ch
    return [[(rule, "")], [(" " * (LABEL - 1) + "".join(ticks), "")]]


def _curves(s, width: int, colour_: bool, unicode: bool) -> list[list[tuple[str, str]]]:
    xs = s.x.values()
    names = ([f"{s.vary[0]} = {fmt(v)}" for v in s.vary[1]] if s.vary else [f"f({s.x.name})"])
    out = _chart([xs] * len(s.z), s.z, names, s.x.name, "f", width, colour_, unicode, path=s.path)
    best = s.minimum()
    if best is not None:
        r, c, v = best
        where = f" ({names[r]})" if s.vary else ""
        out.append([(" " * (LABEL - 1) + f"X: the least value, {_short(v)} at {s.x.name} = {_short(xs[c])}{where}",
                     "")])
    return out


_CURVE_COLOURS = ["#ffd700", "#00bfff", "#ff6347", "#7fff00", "#da70d6", "#ffa500", "#40e0d0", "#ff69b4"]


def _chart(xss, yss, names, xname: str, yname: str, width: int, colour_: bool, unicode: bool, legend: bool = True,
           path=None) -> list[list[tuple[str, str]]]:
    """Curves y(x), a mark per column, the least value of all marked X."""
    cols, rows = picture_size(width, True)
    rows = max(6, min(rows, 16))
    finite = [v for ys in yss for v in ys if math.isfinite(v)]
    if not finite:
        return [[("the function is undefined at every point", "")]]
    lo, hi = min(finite), max(finite)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    xlo = min(min(xs) for xs in xss)
    xhi = max(max(xs) for xs in xss)
    canvas: list[list[tuple[str, str]]] = [[(" ", "")] * cols for _ in range(rows)]
    best = None
    for k, (xs, ys) in enumerate(zip(xss, yss)):
        mark, style = MARKS[k % len(MARKS)], _CURVE_COLOURS[k % len(_CURVE_COLOURS)] if colour_ else ""
        for x, v in zip(xs, ys):
            c, r = _cell(x, xlo, xhi, cols), _cell(v, lo, hi, rows)
            if c is None or r is None:
                continue
            canvas[rows - 1 - r][c] = (mark, style)
            if best is None or v < best[0]:
                best = (v, rows - 1 - r, c)
    if path:
        for k, (px, py) in enumerate(path):
            c, r = _cell(px, xlo, xhi, cols), _cell(py, lo, hi, rows)
            if c is not None and r is not None:
                canvas[rows - 1 - r][c] = ("S" if k == 0 else "E" if k == len(path) - 1 else "o",
                                           "bold #ffffff" if colour_ else "")
    if best is not None:
        canvas[best[1]][best[2]] = ("X", "bold #ff3030" if colour_ else "")
    out = []
    bar = "│" if unicode else "|"
    for r in range(rows):
        v = hi if r == 0 else lo if r == rows - 1 else (lo + hi) / 2 if r == (rows - 1) // 2 else None
        label = (_short(v) if v is not None else "").rjust(LABEL - 2) + " " + bar
        out.append(_merge([(label, ""), *canvas[r]]))
    axis = _x_axis(type("A", (), {"lo": xlo, "hi": xhi})(), cols, unicode)
    out += axis
    out.append([(" " * (LABEL - 1) + f"x: {xname}, up: {yname}", "")])
    if legend and len(names) > 1:
        out.append(_merge([(" " * (LABEL - 1), "")] + [seg for k, n in enumerate(names) for seg in (
            (MARKS[k % len(MARKS)], _CURVE_COLOURS[k % len(_CURVE_COLOURS)] if colour_ else ""), (f" {n}   ", ""))]))
    return out


def _merge(segs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for text, style in segs:
        if out and out[-1][1] == style:
            out[-1] = (out[-1][0] + text, style)
        else:
            out.append((text, style))
    return out


def write_table(s, out: TextIO, width: int = 80, unicode: bool = True) -> None:
    """The picture in characters (no colour), for a pipe or a file."""
    for line in terminal(s, width, False, unicode):
        out.write("".join(t for t, _ in line).rstrip() + "\n")


# --- JSON ----------------------------------------------------------------------------------------------------


def to_dict(s) -> dict:
    from .json import number

    g = s.graph
    doc = {"command": "plot", "source": g.source, "inputs": [s.x.name] + ([s.y.name] if s.y is not None else []),
           "point": {n: number(v) for n, v in s.point.items()},
           "x": {"name": s.x.name, "lo": s.x.lo, "hi": s.x.hi, "values": s.x.values()}}
    if s.y is not None:
        doc["y"] = {"name": s.y.name, "lo": s.y.lo, "hi": s.y.hi, "values": s.y.values()}
    if s.vary is not None:
        doc["vary"] = {"name": s.vary[0], "values": list(s.vary[1])}
    doc["z"] = [[None if not math.isfinite(v) else v for v in row] for row in s.z]
    best = s.minimum()
    if best is None:
        doc["minimum"] = None
    else:
        r, c, v = best
        at = {s.x.name: s.x.values()[c]}
        if s.y is not None:
            at[s.y.name] = s.y.values()[r]
        elif s.vary is not None:
            at[s.vary[0]] = s.vary[1][r]
        doc["minimum"] = {"value": v, "at": at, "row": r, "column": c}
    if s.table is not None:
        doc["dataset"] = {"source": s.table.source, "samples": len(s.table.rows), "reduce": s.reduce}
    if s.path is not None:
        doc["path"] = [list(map(number, p)) for p in s.path]
        doc["losses"] = [number(v) for v in (s.losses or [])]
    doc["warnings"] = list(s.warnings)
    return doc


def write_json(s, out: TextIO) -> None:
    import json

    out.write(json.dumps(to_dict(s), ensure_ascii=False) + "\n")


# --- files (matplotlib) --------------------------------------------------------------------------------------

FILE_FORMATS = ("png", "svg", "pdf")


def _missing():
    from ..errors import GradcliError

    class Missing(GradcliError):
        exit_code = 1  # what was asked is right; this machine lacks what it takes

    return Missing


def save(s, path: str) -> None:
    """The picture as a PNG, SVG or PDF file (by the name's ending), drawn by matplotlib."""
    import os

    from ..errors import GradcliError, OutputError, UsageError

    kind = os.path.splitext(path)[1].lower().lstrip(".")
    if kind not in FILE_FORMATS:
        raise UsageError(f"{path}: a picture file ends in .png, .svg or .pdf", "--save")
    try:
        import matplotlib
    except ImportError:
        raise _missing()("writing a picture file needs matplotlib, which is not installed: "
                           "pip install 'gradcli[plot]' (the terminal picture needs nothing more)") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    import numpy as np

    with_loss = bool(s.losses)
    fig, axes = plt.subplots(1, 2 if with_loss else 1, figsize=(11 if with_loss else 6.4, 4.8),
                             gridspec_kw={"width_ratios": [1.3, 1]} if with_loss else None)
    ax = axes[0] if with_loss else axes
    xs = np.array(s.x.values())
    z = np.array(s.z, dtype=float)
    title = s.graph.source.strip() if len(s.graph.source.strip()) <= 70 else "f"
    if s.y is not None:
        ys = np.array(s.y.values())
        masked = np.ma.masked_invalid(z)
        # one image, not a polygon per point: an SVG or PDF of a 200×200 grid stays small
        mesh = ax.imshow(masked, origin="lower", extent=(s.x.lo, s.x.hi, s.y.lo, s.y.hi), aspect="auto",
                         cmap="viridis", interpolation="nearest")
        fig.colorbar(mesh, ax=ax, label="f" if s.table is None else f"{s.reduce} loss")
        if np.isfinite(z).sum() > 3 and np.nanmax(z) > np.nanmin(z):
            ax.contour(xs, ys, masked, levels=LEVELS, colors="white", linewidths=0.6, alpha=0.8)
        best = s.minimum()
        if best is not None:
            ax.plot([xs[best[1]]], [ys[best[0]]], marker="x", color="red", markersize=10, mew=2, linestyle="none",
                    label=f"grid minimum {_short(best[2])}")
        if s.path:
            px, py = zip(*s.path)
            ax.plot(px, py, "-o", color="white", markersize=2.5, linewidth=1, markeredgecolor="black",
                    markeredgewidth=0.3, label="descent")
            ax.plot([px[0]], [py[0]], "o", color="orange", markersize=6, label="start")
        ax.set_xlabel(s.x.name)
        ax.set_ylabel(s.y.name)
        ax.set_xlim(s.x.lo, s.x.hi)
        ax.set_ylim(s.y.lo, s.y.hi)
        ax.legend(loc="upper right", fontsize=8, framealpha=0.7)
    else:
        names = [f"{s.vary[0]} = {fmt(v)}" for v in s.vary[1]] if s.vary else [f"f({s.x.name})"]
        for row, name in zip(z, names):
            ax.plot(xs, row, label=name)
        if s.path:
            px, py = zip(*s.path)
            ax.plot(px, py, "o-", markersize=3, label="descent")
        best = s.minimum()
        if best is not None:
            ax.plot([xs[best[1]]], [best[2]], "x", color="red", markersize=10, mew=2)
        ax.set_xlabel(s.x.name)
        ax.set_ylabel("f")
        ax.legend(fontsize=8)
    ax.set_title(title, fontsize=9)
    if with_loss:
        axes[1].plot(range(len(s.losses)), s.losses, color="tab:blue")
        axes[1].set_xlabel("step")
        axes[1].set_ylabel("loss")
        axes[1].set_title("loss per step", fontsize=9)
    fig.tight_layout()
    try:
        fig.savefig(path, format=kind, dpi=120)
    except OSError as e:
        raise OutputError.of(e) from None
    finally:
        plt.close(fig)
