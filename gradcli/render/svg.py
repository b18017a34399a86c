"""The graph drawn by gradcli itself as a self-contained SVG, for where Graphviz is not installed: the boxes and
labels of the DOT output (render/dot.py's drawing), laid out in layers from the inputs.

The layout is the layered one Graphviz's dot uses, in its simplest form, and every step is a loop:
  1. each node's layer is its longest path from an input, and an input's is just before its first consumer;
     between two layers of nodes sits a layer for the edge labels, so a label is a box of its own that
     nothing overlaps, next to the node whose partial it is;
  2. an edge that spans several layers passes through a point in each (a dummy), so it bends round the boxes;
  3. a few barycentre sweeps reorder each layer to cut crossings, and the order with fewest crossings is kept;
  4. each layer's boxes are placed as near their neighbours' mean as their sizes allow (least squares under
     the order, by pooling adjacent violators), then edges are drawn as curves through their dummies.
A graph past ``BIG`` nodes (or whose long edges would need more than ``BIG_DUMMIES`` dummies) is drawn in
its layers without steps 2 and 3: straight edges, every box still clear of the others.

Every node is ``<g class="node" id="node-N" data-node="N">``, N its index in the trace (or, for a graph of
arrays, the row's index in the array view), and every edge ``<g class="edge" id="edge-A-B" data-from="A"
data-to="B">``; a node that uses an operand twice has one edge from it, labelled with both uses.
"""

from __future__ import annotations

import math
import unicodedata

from ..core.printer import TextStyle
from ..engine.trace import Trace
from .dot import Drawing, drawing, legend, warnings

BIG = 400  # nodes; past this, no crossing reduction
BIG_DUMMIES = 20000
SWEEPS = 4

FONT = "Helvetica, Arial, sans-serif"
NODE_SIZE, EDGE_SIZE = 11.0, 9.0
LINE = 1.3  # line height, in font sizes
GAP = 14.0  # between two boxes of a layer
DUMMY = 6.0  # the room an edge passing through a layer takes
LAYER_GAP = 32.0  # between two layers, where the edges curve

FILL = {"input": ("#dbeafe", "#1d4ed8"), "operation": ("#f8fafc", "#475569"),
        "constant": ("#f1f5f9", "#64748b"), "output": ("#fde68a", "#b45309")}
EDGE_COLOUR, LABEL_COLOUR = "#64748b", "#334155"


def text_width(line: str, size: float) -> float:
    """About how wide Helvetica sets ``line`` at ``size``: no font is read, so the widths are averages."""
    w = 0.0
    for c in line:
        if unicodedata.combining(c):
            continue
        if unicodedata.east_asian_width(c) in "WF":
            w += 1.0
        elif c in " .,:;'|!()[]ijlrtf/`":
            w += 0.32
        elif c in "mwMW@%" or c.isupper():
            w += 0.75
        else:
            w += 0.58
    return w * size


def _block(text: str, size: float) -> tuple[float, float]:
    lines = text.split("\n")
    return max(text_width(line, size) for line in lines), len(lines) * size * LINE


def _xml(text: str) -> str:
    """Text for an XML element or attribute: &, <, >, quotes escaped, characters XML cannot hold replaced."""
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return "".join("\ufffd" if _unfit(c) else c for c in out)


def _unfit(c: str) -> bool:
    """Control characters (but tab and newline), lone surrogates and the two non-characters XML 1.0 refuses."""
    return (c < " " and c not in "\t\n") or "\x7f" <= c <= "\x9f" or "\ud800" <= c <= "\udfff" or c in "\ufffe\uffff"


def graph_svg(trace: Trace, notation: TextStyle | None = None, rankdir: str = "LR", edge_labels: bool = True,
              scalar: bool = False) -> str:
    """The graph as an SVG document, drawn left to right (``LR``) or top to bottom (``TB``), inputs first."""
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir is LR or TB, not {rankdir!r}")
    nt = notation or TextStyle()
    d = drawing(trace, nt, edge_labels, scalar)
    source = trace.graph.source
    title = source if len(source) <= 200 else source[:199] + "…"
    return draw(d, rankdir == "LR", title, legend(trace, d, nt, edge_labels) + warnings(trace, nt))


class _Layout:
    """Items in layers: a box per node, and a point per edge and layer it crosses. Item i sits in layer
    ``layer[i]`` at ``u[i]`` along it, ``along[i]`` long that way and ``across[i]`` the other."""

    def __init__(self) -> None:
        self.layer: list[int] = []
        self.along: list[float] = []
        self.across: list[float] = []
        self.u: list[float] = []
        self.down: list[list[int]] = []  # the items joined to it in the next layer
        self.up: list[list[int]] = []

    def add(self, layer: int, along: float, across: float) -> int:
        self.layer.append(layer)
        self.along.append(along)
        self.across.append(across)
        self.u.append(0.0)
        self.down.append([])
        self.up.append([])
        return len(self.layer) - 1

    def join(self, a: int, b: int) -> None:
        self.down[a].append(b)
        self.up[b].append(a)


def draw(d: Drawing, lr: bool = True, title: str = "", notes: list[str] = ()) -> str:
    """An SVG of a drawing's boxes and arrows; ``notes`` (what the shapes and numbers mean, the warnings) go in
    its description."""
    boxes = d.boxes
    n = len(boxes)
    # one edge per (operand, consumer): the uses of an operand twice share it, their labels one under the other
    merged: dict[tuple[int, int], list[str]] = {}
    for a in d.arrows:
        if a.src != a.dst:
            got = merged.setdefault((a.src, a.dst), [])
            if a.label:
                got.append(a.label)
    pairs = list(merged)
    labels = ["\n".join(merged[p]) for p in pairs]

    preds: list[list[int]] = [[] for _ in range(n)]
    succs: list[list[int]] = [[] for _ in range(n)]
    for s, t in pairs:
        preds[t].append(s)
        succs[s].append(t)
    # longest path from the inputs, over a topological order (Kahn's: the boxes need not come sorted)
    indeg = [len(p) for p in preds]
    order = [i for i in range(n) if indeg[i] == 0]
    for i in order:
        for t in succs[i]:
            indeg[t] -= 1
            if indeg[t] == 0:
                order.append(t)
    level = [0] * n
    for i in order:
        for s in preds[i]:
            level[i] = max(level[i], level[s] + 1)
    for i in order:  # an input sits just before its first consumer, as Graphviz ranks it, not far back
        if not preds[i] and succs[i]:
            level[i] = min(level[t] for t in succs[i]) - 1
    depth = max(level, default=0)

    shape = [_shape_size(b.kind, *_block(b.label, NODE_SIZE)) for b in boxes]  # (width, height)
    text = [_block(t, EDGE_SIZE) if t else (0.0, 0.0) for t in labels]
    dummies = sum(2 * (level[t] - level[s]) - 1 for s, t in pairs)
    big = n > BIG or dummies > BIG_DUMMIES

    # layers 2k hold the boxes of level k, layers 2k+1 the edges on their way to level k+1
    lay = _Layout()
    layers: list[list[int]] = [[] for _ in range(2 * depth + 1)]
    box_item = [0] * n
    for i in order:
        w, h = shape[i]
        box_item[i] = lay.add(2 * level[i], *((h, w) if lr else (w, h)))
        layers[2 * level[i]].append(box_item[i])
    route: list[list[int]] = []  # per edge, the items it passes through, the last one its label's
    for e, (s, t) in enumerate(pairs):
        path: list[int] = []
        if not big:
            for k in range(2 * level[s] + 1, 2 * level[t]):
                if k == 2 * level[t] - 1 and labels[e]:
                    w, h = text[e]
                    item = lay.add(k, *((h + 6, w + 8) if lr else (w + 10, h + 6)))
                else:
                    item = lay.add(k, DUMMY, 0.0)
                path.append(item)
                layers[k].append(item)
            chain = [box_item[s], *path, box_item[t]]
            for a, b in zip(chain, chain[1:]):
                lay.join(a, b)
        route.append(path)

    if not big:
        _reorder(layers, lay)
    for layer in layers:
        _stack(layer, lay)
    if not big:
        for _ in range(3):
            for k in range(1, len(layers)):
                _pull(layers[k], lay, lay.up)
            for k in range(len(layers) - 2, -1, -1):
                _pull(layers[k], lay, lay.down)
    margin = 10.0
    low = min((lay.u[i] - lay.along[i] / 2 for i in range(len(lay.u))), default=0.0)
    high = max((lay.u[i] + lay.along[i] / 2 for i in range(len(lay.u))), default=0.0)
    for i in range(len(lay.u)):
        lay.u[i] += margin - low

    # across the layers: each as thick as its thickest item; without dummies, a label layer is as thick as
    # the labels that cross it
    thick = [max((lay.across[i] for i in layer), default=0.0) for layer in layers]
    if big:
        for e, (s, t) in enumerate(pairs):
            if labels[e]:
                w, h = text[e]
                k = 2 * level[t] - 1
                thick[k] = max(thick[k], (w if lr else h) + 8)
    for k in range(1, len(layers), 2):
        thick[k] = max(thick[k], 8.0)
    v_start = []
    v = margin
    for k in range(len(layers)):
        v_start.append(v)
        v += thick[k] + LAYER_GAP
    extent_u = high - low + 2 * margin
    extent_v = v - LAYER_GAP + margin

    def xy(u: float, v: float) -> tuple[float, float]:
        return (v, u) if lr else (u, v)

    centre = [(lay.u[box_item[i]], v_start[2 * level[i]] + thick[2 * level[i]] / 2) for i in range(n)]

    # ports: a box's edges leave (and enter) it spread along its side, in the order of where they go next
    leave: dict[int, float] = {}
    enter: dict[int, float] = {}
    by_src: list[list[int]] = [[] for _ in range(n)]
    by_dst: list[list[int]] = [[] for _ in range(n)]
    for e, (s, t) in enumerate(pairs):
        by_src[s].append(e)
        by_dst[t].append(e)
    for i in range(n):
        along = lay.along[box_item[i]]
        for ends, mine, nxt in ((leave, by_src[i], 0), (enter, by_dst[i], -1)):
            if not mine:
                continue

            def toward(e: int, nxt=nxt) -> float:
                s, t = pairs[e]
                if route[e]:
                    return lay.u[route[e][nxt]]
                return centre[t if nxt == 0 else s][0]

            mine = sorted(mine, key=toward)
            spread = min(along * 0.6, 9.0 * (len(mine) - 1))
            for j, e in enumerate(mine):
                ends[e] = centre[i][0] + (0.0 if len(mine) == 1 else spread * (j / (len(mine) - 1) - 0.5))

    # without dummies, the labels of the edges into a node stand side by side in the layer before it, centred
    # on it, in the order the edges arrive
    stacked: dict[int, float] = {}
    if big:
        for t in range(n):
            mine = sorted((e for e in by_dst[t] if labels[e]), key=enter.__getitem__)
            sizes = [(text[e][1] + 3) if lr else (text[e][0] + 12) for e in mine]
            a = centre[t][0] - sum(sizes) / 2
            for e, size in zip(mine, sizes):
                stacked[e] = a + size - 2 if lr else a - 3  # where _edge anchors the text: under it, or left
                a += size

    width, height = xy(extent_u, extent_v)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}">\n',
           f"<title>{_xml(title)}</title>\n" if title else "",
           f"<desc>{_xml(chr(10).join(notes))}</desc>\n" if notes else "",
           '<defs><marker id="gradcli-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
           'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto">'
           f'<path d="M0,1 L10,5 L0,9 z" fill="{EDGE_COLOUR}"/></marker></defs>\n',
           '<rect width="100%" height="100%" fill="white"/>\n']
    for e, (s, t) in enumerate(pairs):
        us, vs = centre[s]
        ut, vt = centre[t]
        pu, qu = leave[e], enter[e]
        points = [(pu, vs + _reach(boxes[s].kind, shape[s], pu - us, lr))]
        label_at = None
        for item in route[e]:
            k, u = lay.layer[item], lay.u[item]
            if labels[e] and item == route[e][-1]:
                line = u + lay.along[item] / 2 - 2 if lr else u - lay.along[item] / 2 + 2
                half = lay.across[item] / 2
                mid = v_start[k] + thick[k] / 2
                points += [(line, mid - half), (line, mid + half)]
                label_at = (line, mid)
            else:
                points += [(u, v_start[k]), (u, v_start[k] + thick[k])]
        points.append((qu, vt - _reach(boxes[t].kind, shape[t], qu - ut, lr)))
        if big and labels[e]:
            k = 2 * level[t] - 1
            label_at = (stacked[e], v_start[k] + thick[k] / 2)
        out.append(_edge(e, s, t, boxes, points, labels[e], text[e], label_at, lr, xy, curved=not big))
    for i in order:
        out.append(_box(boxes[i], i, centre[i], shape[i], lr, xy))
    out.append("</svg>\n")
    return "".join(out)


def _shape_size(kind: str, w: float, h: float) -> tuple[float, float]:
    """The shape round a label block w × h: an ellipse holds it at 1.3 times its size, an octagon twice framed."""
    if kind == "operation":
        return w * 1.25 + 18, h * 1.25 + 12
    if kind == "output":
        return w + 36, h + 22
    return w + 18, h + 10


def _reach(kind: str, size: tuple[float, float], off: float, lr: bool) -> float:
    """How far from its centre a box's side is across the layers, at ``off`` along them (an ellipse curves)."""
    w, h = size
    across, along = (w / 2, h / 2) if lr else (h / 2, w / 2)
    if kind == "operation":
        f = min(abs(off) / along, 0.95) if along else 0.0
        return across * math.sqrt(1 - f * f)
    return across


def _crossings(upper: list[int], lower: list[int], down: list[list[int]]) -> int:
    """The crossings of the edges between two adjacent layers, counted as inversions (a Fenwick tree)."""
    at = {item: j for j, item in enumerate(lower)}
    ends = [at[b] for a in upper for b in sorted(down[a], key=at.__getitem__) if b in at]
    tree = [0] * (len(lower) + 1)
    count = 0
    for seen, j in enumerate(ends):
        q, below = j + 1, 0  # how many seen so far end at or before j
        while q > 0:
            below += tree[q]
            q -= q & -q
        count += seen - below
        q = j + 1
        while q <= len(lower):
            tree[q] += 1
            q += q & -q
    return count


def _reorder(layers: list[list[int]], lay: _Layout) -> None:
    """Barycentre sweeps, down then up, ``SWEEPS`` times; the order with fewest crossings is kept."""

    def total() -> int:
        return sum(_crossings(layers[k], layers[k + 1], lay.down) for k in range(len(layers) - 1))

    best, best_order = total(), [list(layer) for layer in layers]
    for _ in range(SWEEPS):
        if best == 0:
            break
        for ks, near in ((range(1, len(layers)), lay.up), (range(len(layers) - 2, -1, -1), lay.down)):
            for k in ks:
                other = layers[k - 1] if near is lay.up else layers[k + 1]
                at = {item: j for j, item in enumerate(other)}
                here = {item: j for j, item in enumerate(layers[k])}

                def centre(item: int) -> float:
                    got = [at[x] for x in near[item] if x in at]
                    return sum(got) / len(got) if got else here[item]

                layers[k].sort(key=lambda item: (centre(item), here[item]))
            now = total()
            if now < best:
                best, best_order = now, [list(layer) for layer in layers]
    layers[:] = best_order


def _stack(layer: list[int], lay: _Layout) -> None:
    """A layer's items one after another, its middle at 0."""
    u = 0.0
    for j, item in enumerate(layer):
        if j:
            u += _sep(lay, layer[j - 1], item)
        lay.u[item] = u
    for item in layer:
        lay.u[item] -= u / 2


def _sep(lay: _Layout, a: int, b: int) -> float:
    gap = GAP if lay.across[a] and lay.across[b] else DUMMY
    return (lay.along[a] + lay.along[b]) / 2 + gap


def _pull(layer: list[int], lay: _Layout, near: list[list[int]]) -> None:
    """Move a layer's items, in their order and clear of each other, as near the mean of their neighbours
    in ``near`` as can be in least squares: pool adjacent violators over the positions less the gaps."""
    if not layer:
        return
    offset = [0.0]
    for a, b in zip(layer, layer[1:]):
        offset.append(offset[-1] + _sep(lay, a, b))
    want = []
    for item in layer:
        got = [lay.u[x] for x in near[item]]
        want.append(sum(got) / len(got) if got else lay.u[item])
    blocks: list[list[float]] = []  # [sum, count] of pooled runs, their mean non-decreasing
    for w, o in zip(want, offset):
        blocks.append([w - o, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += c
    j = 0
    for s, c in blocks:
        for _ in range(int(c)):
            lay.u[layer[j]] = s / c + offset[j]
            j += 1


def _box(b, i: int, centre: tuple[float, float], size: tuple[float, float], lr: bool, xy) -> str:
    x, y = xy(*centre)
    w, h = size
    fill, stroke = FILL[b.kind]
    out = [f'<g class="node" id="node-{i}" data-node="{i}" data-name="{_xml(b.name)}" data-kind="{b.kind}">'
           f"<title>{_xml(b.name)}</title>"]
    if b.kind == "operation":
        out.append(f'<ellipse cx="{x:.1f}" cy="{y:.1f}" rx="{w / 2:.1f}" ry="{h / 2:.1f}" fill="{fill}" '
                   f'stroke="{stroke}"/>')
    elif b.kind == "output":
        for inset, extra in ((0.0, f' fill="{fill}"'), (4.0, ' fill="none"')):
            out.append(f'<polygon points="{_octagon(x, y, w / 2 - inset, h / 2 - inset)}"{extra} '
                       f'stroke="{stroke}" stroke-width="{2 if not inset else 1.5}"/>')
    else:
        dash = ' stroke-dasharray="4 3"' if b.kind == "constant" else ""
        out.append(f'<rect x="{x - w / 2:.1f}" y="{y - h / 2:.1f}" width="{w:.1f}" height="{h:.1f}" rx="6" '
                   f'fill="{fill}" stroke="{stroke}"{dash}/>')
    lines = b.label.split("\n")
    step = NODE_SIZE * LINE
    top = y - step * len(lines) / 2 + step / 2
    for j, line in enumerate(lines):
        out.append(f'<text x="{x:.1f}" y="{top + j * step:.1f}" font-size="{NODE_SIZE:g}" text-anchor="middle" '
                   f'dominant-baseline="central" fill="#0f172a">{_xml(line)}</text>')
    out.append("</g>\n")
    return "".join(out)


def _octagon(x: float, y: float, a: float, b: float) -> str:
    c = min(a, b) * 0.4
    pts = [(x - a + c, y - b), (x + a - c, y - b), (x + a, y - b + c), (x + a, y + b - c),
           (x + a - c, y + b), (x - a + c, y + b), (x - a, y + b - c), (x - a, y - b + c)]
    return " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)


def _edge(e: int, s: int, t: int, boxes, points: list[tuple[float, float]], label: str,
          size: tuple[float, float], label_at, lr: bool, xy, curved: bool) -> str:
    names = f"{boxes[s].name} -> {boxes[t].name}"
    out = [f'<g class="edge" id="edge-{s}-{t}" data-from="{s}" data-to="{t}"><title>{_xml(names)}</title>']
    pts = [xy(u, v) for u, v in points]
    path = [f"M{pts[0][0]:.1f},{pts[0][1]:.1f}"]
    for (pu, pv), (qu, qv), (qx, qy) in zip(points, points[1:], pts[1:]):
        if curved and pu != qu:  # a curve across a gap between layers: it leaves and arrives level
            m = (pv + qv) / 2
            (ax, ay), (bx, by) = xy(pu, m), xy(qu, m)
            path.append(f"C{ax:.1f},{ay:.1f} {bx:.1f},{by:.1f} {qx:.1f},{qy:.1f}")
        else:
            path.append(f"L{qx:.1f},{qy:.1f}")
    out.append(f'<path d="{" ".join(path)}" fill="none" stroke="{EDGE_COLOUR}" stroke-width="1.2" '
               'marker-end="url(#gradcli-arrow)"/>')
    if label and label_at is not None:
        lines = label.split("\n")
        step = EDGE_SIZE * LINE
        u, v = label_at
        if lr:  # above the line, centred on it
            x, anchor = v, "middle"
            y0 = u - 3 - step * (len(lines) - 1)
        else:  # to the right of the line
            x, anchor = u + 5, "start"
            y0 = v - step * (len(lines) - 1) / 2
        # a white halo round the letters, so that a line passing under a label does not cross it out
        style = (f'font-size="{EDGE_SIZE:g}" text-anchor="{anchor}" fill="{LABEL_COLOUR}" stroke="white" '
                 'stroke-width="3" stroke-linejoin="round" paint-order="stroke"'
                 + ("" if lr else ' dominant-baseline="central"'))
        for j, line in enumerate(lines):
            out.append(f'<text x="{x:.1f}" y="{y0 + j * step:.1f}" {style}>{_xml(line)}</text>')
    out.append("</g>\n")
    return "".join(out)
