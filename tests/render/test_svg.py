"""gradcli's own SVG of the graph (render/svg.py): a well-formed document with a group per node and per edge
under the ids an HTML page scripts against, every label of the DOT output drawn, no box over another or over
an edge label, text escaped, and graphs 10^4 deep drawn by loops."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

import gradcli
from conftest import run
from gradcli.render import svg
from gradcli.render.dot import Arrow, Box, Drawing, drawing

_SVG = "{http://www.w3.org/2000/svg}"

GRAPHS = [
    ("exp(x1)*(x1**2+x2**2)**3", "0,2"),
    ("exp(exp(x) + exp(x)**2) + sin(exp(x) + exp(x)**2)", "0"),
    ("f1 = exp(x); f2 = f1**2; f3 = f1 + f2; f4 = exp(f3); f5 = sin(f3); y = f4 + f5", "0.5"),
    ("z1 = x*w1; a1 = sigmoid(z1); z2 = a1*w2; a2 = sigmoid(z2); loss = 0.5*(a2 - ystar)**2", "1,2,3,4"),
    ("x*x + abs(x)", "0"),  # a node that uses its operand twice
    ("θ1 = x + 1; y = θ1*θ1/e", "1"),
    ("lr = 0.1; w1 = w - lr*2*w; unused = w*3; y = w1**2", "1.5"),
    ("s1 = x + y; s2 = x*y; s1, s2", "1,2"),  # two outputs
    ("h = relu(W1 @ x + b1); y = sum(h)", "W1=[[1,2],[3,4]],x=[[1],[2]],b1=[[0],[-1]]"),  # arrays
    # 30 nodes: a two-layer network's loss, written out
    ("h1 = tanh(w11*x1 + w12*x2 + b1); h2 = tanh(w21*x1 + w22*x2 + b2); "
     "y = sigmoid(v1*h1 + v2*h2 + c); loss = -(t*log(y) + (1 - t)*log(1 - y))", None),
]


def _parse(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == f"{_SVG}svg"
    return root


def groups(root: ET.Element, kind: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{_SVG}g") if g.get("class") == kind]


def texts(g: ET.Element) -> list[str]:
    return [t.text or "" for t in g.iter(f"{_SVG}text")]


def bounds(g: ET.Element) -> tuple[float, float, float, float]:
    """The box of a node's shape (its outer outline): left, top, right, bottom."""
    for e in g:
        if e.tag == f"{_SVG}rect":
            x, y, w, h = (float(e.get(k)) for k in ("x", "y", "width", "height"))
            return x, y, x + w, y + h
        if e.tag == f"{_SVG}ellipse":
            cx, cy, rx, ry = (float(e.get(k)) for k in ("cx", "cy", "rx", "ry"))
            return cx - rx, cy - ry, cx + rx, cy + ry
        if e.tag == f"{_SVG}polygon":
            pts = [tuple(map(float, p.split(","))) for p in e.get("points").split()]
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            return min(xs), min(ys), max(xs), max(ys)
    raise AssertionError("a node without a shape")


def label_bounds(g: ET.Element) -> tuple[float, float, float, float] | None:
    """About where an edge's label is: the box round its lines' anchors, as wide as svg.text_width says."""
    lines = list(g.iter(f"{_SVG}text"))
    if not lines:
        return None
    boxes = []
    for t in lines:
        x, y, size = float(t.get("x")), float(t.get("y")), float(t.get("font-size"))
        w = svg.text_width(t.text or "", size)
        left = x - w / 2 if t.get("text-anchor") == "middle" else x
        central = t.get("dominant-baseline") == "central"
        boxes.append((left, y - size * (0.5 if central else 0.8), left + w, y + size * (0.5 if central else 0.2)))
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def check(text: str, d: Drawing) -> ET.Element:
    """The SVG of drawing ``d``: well formed, sized, a group per box and per (operand, consumer), each label drawn
    line by line, no box over another and no edge label over a box."""
    root = _parse(text)
    width, height = float(root.get("width")), float(root.get("height"))
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    nodes = groups(root, "node")
    assert [g.get("id") for g in nodes] != []
    assert sorted(int(g.get("data-node")) for g in nodes) == list(range(len(d.boxes)))
    for g in nodes:
        i = int(g.get("data-node"))
        assert g.get("id") == f"node-{i}" and g.get("data-name") == d.boxes[i].name
        assert texts(g) == d.boxes[i].label.split("\n")
        left, top, right, bottom = bounds(g)
        assert 0 <= left and right <= width and 0 <= top and bottom <= height
    pairs = list(dict.fromkeys((a.src, a.dst) for a in d.arrows))
    edges = groups(root, "edge")
    assert [(int(g.get("data-from")), int(g.get("data-to"))) for g in edges] == pairs
    for g in edges:
        a, b = g.get("data-from"), g.get("data-to")
        assert g.get("id") == f"edge-{a}-{b}"
        wanted = [line for x in d.arrows if (x.src, x.dst) == (int(a), int(b)) and x.label
                  for line in x.label.split("\n")]
        assert texts(g) == wanted
    shapes = [bounds(g) for g in nodes]
    for j, one in enumerate(shapes):
        for other in shapes[j + 1:]:
            assert not overlap(one, other), (one, other)
    if len(d.boxes) <= svg.BIG:
        placed = [(g, label_bounds(g)) for g in edges]
        placed = [(g, where) for g, where in placed if where is not None]
        for j, (g, where) in enumerate(placed):
            assert not any(overlap(where, s) for s in shapes), (g.get("id"), texts(g))
            assert not any(overlap(where, other) for _, other in placed[j + 1:]), (g.get("id"), texts(g))
            assert 0 <= where[0] and where[2] <= width and 0 <= where[1] and where[3] <= height
    return root


@pytest.mark.parametrize("source,at", GRAPHS, ids=[s[:30] for s, _ in GRAPHS])
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_every_node_and_edge_is_drawn_clear_of_the_others(source: str, at: str | None, rankdir: str) -> None:
    result = gradcli.graph(source, at)
    d = drawing(result.record)
    check(svg.graph_svg(result.record, rankdir=rankdir), d)


def test_the_cli_writes_the_same_svg_with_or_without_graphviz() -> None:
    out = run("graph", *GRAPHS[0][:1], "--at", GRAPHS[0][1], "--format", "svg", "--rankdir", "TB")
    assert out.exit_code == 0, out.output
    result = gradcli.graph(GRAPHS[0][0], GRAPHS[0][1])
    assert out.stdout == svg.graph_svg(result.record, rankdir="TB") == result.render("svg", rankdir="TB")
    check(out.stdout, drawing(result.record))


def test_node_ids_are_the_trace_order() -> None:
    result = gradcli.graph("exp(x1)*(x1**2+x2**2)**3", "0,2")
    root = _parse(result.render("svg"))
    names = {g.get("id"): g.get("data-name") for g in groups(root, "node")}
    assert names == {f"node-{i}": node.id for i, node in enumerate(result.graph.nodes)}
    ends = {(g.get("data-from"), g.get("data-to")) for g in groups(root, "edge")}
    assert ends == {(str(a), str(i)) for i, node in enumerate(result.graph.nodes) for a in node.args
                    if type(a) is int}


def test_a_node_using_its_operand_twice_has_one_edge_with_both_uses() -> None:
    root = _parse(gradcli.graph("x*x", "3").render("svg"))
    (edge,) = groups(root, "edge")
    assert edge.get("id") == "edge-0-1"
    assert texts(edge) == ["arg 1: ∂c2/∂c1 = c1 = 3", "arg 2: ∂c2/∂c1 = c1 = 3"]


def centre(root: ET.Element, i: int) -> tuple[float, float]:
    (g,) = [g for g in groups(root, "node") if g.get("data-node") == str(i)]
    left, top, right, bottom = bounds(g)
    return (left + right) / 2, (top + bottom) / 2


def test_rankdir_puts_the_inputs_first_across_or_down() -> None:
    result = gradcli.graph("exp(x1)*(x1**2+x2**2)**3", "0,2")
    out = len(result.graph.nodes) - 1
    lr, tb = (_parse(result.render("svg", rankdir=r)) for r in ("LR", "TB"))
    for root, axis in ((lr, 0), (tb, 1)):
        inputs = [centre(root, i)[axis] for i in (0, 1)]
        assert max(inputs) < centre(root, 2)[axis] < centre(root, out)[axis]
        assert inputs[0] == pytest.approx(inputs[1], abs=0.2)  # one layer
    assert float(lr.get("width")) > float(lr.get("height")) and float(tb.get("height")) > float(tb.get("width"))
    with pytest.raises(ValueError, match="LR or TB"):
        svg.graph_svg(result.record, rankdir="RL")


def test_inputs_operations_and_the_output_are_shaped_apart() -> None:
    root = _parse(gradcli.graph("y = (w - lr)**2", "1.5", let="lr=0.1").render("svg"))
    shape = {g.get("data-name"): [e.tag.removeprefix(_SVG) for e in g if e.tag != f"{_SVG}text"][1:]
             for g in groups(root, "node")}
    kinds = {g.get("data-name"): g.get("data-kind") for g in groups(root, "node")}
    assert kinds["w"] == "input" and shape["w"] == ["rect"]
    assert kinds["lr"] == "constant" and shape["lr"] == ["rect"]
    dashed = [g for g in groups(root, "node") if g.get("data-name") == "lr"][0].find(f"{_SVG}rect")
    assert dashed.get("stroke-dasharray")
    assert kinds["y"] == "output" and shape["y"] == ["polygon", "polygon"]  # a double octagon
    assert "ellipse" in {s for k, v in shape.items() if kinds[k] == "operation" for s in v}


def test_text_is_escaped() -> None:
    nasty = 'a < b && c > "d" \'e\' ]]> <!-- \x01 \x85 \udcff \uffff'
    d = Drawing([Box("x<1>", nasty, "input"), Box("y&", "2 & 3\n<tag/>", "output")], [Arrow(0, 1, nasty)], False)
    text = svg.draw(d, title="<&>", notes=["a -> b & c"])
    root = ET.fromstring(text)
    assert root.find(f"{_SVG}title").text == "<&>"
    shown = nasty.translate({0x01: "\ufffd", 0x85: "\ufffd", 0xDCFF: "\ufffd", 0xFFFF: "\ufffd"})
    assert texts(groups(root, "node")[0]) == [shown]
    assert texts(groups(root, "node")[1]) == ["2 & 3", "<tag/>"]
    assert groups(root, "node")[0].get("data-name") == "x<1>"
    assert texts(groups(root, "edge")[0]) == [shown]
    assert "<tag/>" not in text and "&lt;tag/&gt;" in text


def test_unicode_is_kept() -> None:
    root = _parse(gradcli.graph("θ*sin(θ)", "1", tangents=True).render("svg"))
    assert any("∂c3/∂c1" in t for g in groups(root, "edge") for t in texts(g))
    assert any(t.startswith("tangent ∂/∂θ") for g in groups(root, "node") for t in texts(g))


def test_a_chain_10000_deep_is_drawn_without_recursion() -> None:
    n = 10_000
    result = gradcli.graph("sin(" * n + "x" + ")" * n)
    text = result.render("svg")
    root = _parse(text)
    nodes, edges = groups(root, "node"), groups(root, "edge")
    assert len(nodes) == n + 1 and len(edges) == n
    xs = [centre(root, i)[0] for i in range(0, n + 1, 1000)]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)  # a layer each, left to right


def test_a_big_graph_is_drawn_in_layers_without_crossing_reduction(monkeypatch) -> None:
    source = " + ".join(f"sin(x{i % 7}*x{(3 * i + 1) % 7})" for i in range(40))
    result = gradcli.graph(source)
    d = drawing(result.record)
    small = svg.graph_svg(result.record)
    monkeypatch.setattr(svg, "BIG", 10)
    big = svg.graph_svg(result.record)
    assert big != small
    root = check(big, d)
    paths = [p.get("d") for p in root.iter(f"{_SVG}path") if p.get("d", "").startswith("M")]
    assert paths and all(re.fullmatch(r"M[\d.,]+ L[\d.,]+", p) for p in paths[1:])  # straight edges
    into: dict[str, list] = {}  # the labels of the edges into each node stand apart
    for g in groups(root, "edge"):
        into.setdefault(g.get("data-to"), []).append(label_bounds(g))
    assert max(len(v) for v in into.values()) >= 2
    for placed in into.values():
        for j, one in enumerate(placed):
            assert not any(overlap(one, other) for other in placed[j + 1:]), placed


def test_crossings_are_counted() -> None:
    down = [[3], [2], [], []]
    assert svg._crossings([0, 1], [2, 3], down) == 1
    assert svg._crossings([0, 1], [3, 2], down) == 0


def test_the_picture_options_are_refused_without_a_picture() -> None:
    for args in (["--rankdir", "TB"], ["--no-edge-labels"]):
        out = run("graph", "x*x", *args)
        assert out.exit_code == 2 and "add --dot, or --format mermaid or svg" in out.stderr
    out = run("graph", "x*x", "--at", "1", "--format", "svg", "--no-edge-labels")
    assert out.exit_code == 0 and texts(groups(_parse(out.stdout), "edge")[0]) == ["arg 1", "arg 2"]


def test_a_notebook_draws_a_graph_it_can_take_in() -> None:
    from gradcli import result

    small = gradcli.graph("x*sin(x)", "1")
    assert small._repr_markdown_() is None and small._repr_latex_() is None
    picture = small._repr_svg_()
    assert picture is not None and _parse(picture) is not None
    n = result.PICTURE_NODES
    big = gradcli.graph("sin(" * n + "x" + ")" * n)
    assert big._repr_svg_() is None and big._repr_markdown_() == big.render("markdown")
