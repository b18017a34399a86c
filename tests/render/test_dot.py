"""DOT output through real Graphviz: `dot -Tsvg` must accept every graph we write and draw every label,
and the numbers on the picture must be the trace's: edge partials, tangents and adjoints that obey the
chain rule, and a tangent at the output that equals reverse mode's gradient."""

from __future__ import annotations

import math
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT, _dot, close, run, run_json
from gradcli.errors import MathError
from gradcli.core.graph import constant_value, graph_of
from gradcli.core.ops import BINARY, CONSTANTS, OPS
from gradcli.core.parse import parse
from gradcli.core.point import bind
from gradcli.render.dot import quote
from gradcli.engine.trace import evaluate

GRAPHS = [
    ("exp(x1)*(x1**2+x2**2)**3", "0,2"),
    ("exp(exp(x) + exp(x)**2) + sin(exp(x) + exp(x)**2)", "0"),
    ("f1 = exp(x); f2 = f1**2; f3 = f1 + f2; f4 = exp(f3); f5 = sin(f3); y = f4 + f5", "0.5"),
    ("z1 = x*w1; a1 = sigmoid(z1); z2 = a1*w2; a2 = sigmoid(z2); loss = 0.5*(a2 - ystar)**2", "1,2,3,4"),
    ("x*x + abs(x)", "0"),  # a node used twice by one consumer, and a kink warning
    ("θ1 = x + 1; y = θ1*θ1/e", "1"),  # Unicode names
    ("θ*sin(θ) + x/θ", "1,2"),  # a Unicode input: its tangent is labelled ∂/∂θ
    ("lr = 0.1; w1 = w - lr*2*w; unused = w*3; y = w1**2", "1.5"),  # a named constant, a step off the path
    ("sqrt(x1) + x2", "0,1"),  # an inf partial, with a warning
    ("x**y", "-2,3"),  # a nan partial (log of the negative base), with a warning
]

_STRING = r'"((?:[^"\\]|\\.)*)"'
_NODE = re.compile(rf"  {_STRING} \[label={_STRING}, ")
_EDGE = re.compile(rf"  {_STRING} -> {_STRING}(?: \[label={_STRING}\])?;")
_EDGE_LABEL = re.compile(r"(?:arg (\d+): )?∂(\S+)/∂(\S+) = (.+)")
_SVG = "{http://www.w3.org/2000/svg}"


def unquote(s: str) -> str:
    """A DOT string literal's text, as Graphviz reads it (\\n a line break)."""
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), s)


def parse_dot(text: str) -> tuple[dict[str, list[str]], list[tuple[str, str, str | None]]]:
    """Our DOT's node labels (as lines, by node id) and edges (from, to, label), in the order written."""
    nodes: dict[str, list[str]] = {}
    edges: list[tuple[str, str, str | None]] = []
    for line in text.splitlines():
        if m := _EDGE.fullmatch(line):
            edges.append((unquote(m[1]), unquote(m[2]), None if m[3] is None else unquote(m[3])))
        elif m := _NODE.match(line):
            nodes[unquote(m[1])] = unquote(m[2]).split("\n")
    return nodes, edges


def draw(dot_text: str) -> tuple[str, list[str]]:
    """The SVG Graphviz draws, and the text of every label line in it; Graphviz must not complain."""
    dot = _dot()
    if dot is None:
        pytest.skip("Graphviz 'dot' is not installed (CI installs it and sets GRADCLI_REQUIRE_DOT)")
    proc = subprocess.run([dot, "-Tsvg"], input=dot_text, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    root = ET.fromstring(proc.stdout)
    return proc.stdout, [t.text or "" for t in root.iter(f"{_SVG}text")]


def graphviz_draws_every_label(dot_text: str) -> None:
    svg, texts = draw(dot_text)
    nodes, edges = parse_dot(dot_text)
    assert nodes and svg.count('class="node"') == len(nodes)
    assert svg.count('class="edge"') == len(edges)
    drawn = set(texts)
    for node_id, label in nodes.items():
        assert all(line in drawn for line in label), (node_id, label)
    for a, b, label in edges:
        assert label is None or label in drawn, (a, b, label)


def op_expression(name: str) -> str:
    """An expression whose graph has a node of this op: the op table drives which expressions are drawn."""
    op = OPS[name]
    if name == "softmax":
        return "softmax(2, x, y, x*y)"
    if op.names and op.arity < 0:  # any number of operands: three
        return f"{op.names[0]}(x, y, x*y)"
    if op.names:
        return f"{op.names[0]}({', '.join(['x', 'y'][:op.arity])})"
    symbols = {v: k for k, v in BINARY.items() if k != "^"}
    if name in symbols:
        return f"x {symbols[name]} y"
    return {"neg": "-x + y", "copy": "a = x*y; b = a; f = b*x"}[name]  # a new internal op needs a line here


def op_point(expr: str) -> str:
    """The first of a few points where the expression is defined (acosh needs x >= 1, asin |x| <= 1)."""
    g = graph_of(expr)
    for x, y in [(0.5, 3.0), (1.5, 3.0)]:
        point = {"x": x, "y": y}
        try:
            evaluate(g, {n: point[n] for n in g.names})
        except MathError:
            continue
        return ",".join(f"{n}={point[n]}" for n in g.names)
    raise AssertionError(f"no point where {expr} is defined")


OP_CASES = [(op_expression(name), name) for name in OPS]


def rule_value(rule: str, values: dict[str, float]) -> float:
    """The number a rule text stands for at the nodes' values, read with gradcli's own parser (no eval);
    relu's Iverson bracket [c1 > 0], the one rule written outside the language, is read here."""
    if m := re.fullmatch(r"\[(\S+) > 0\]", rule):
        return 1.0 if values[m[1]] > 0 else 0.0
    items = parse(rule).statements[-1].items
    if not any(it.kind == "name" and it.arg not in CONSTANTS for it in items):
        return constant_value(items, rule)  # "1", "-1", "1/e"
    g = graph_of(rule)
    return evaluate(g, {n: values[n] for n in g.names}).values[g.output]


def check_numbers(expr: str, at: str, dot_text: str) -> None:
    """Each edge's number is the trace's local partial and what its rule gives at the point; each node's value
    and tangents are JSON's; tangents and adjoints obey the chain rule along the drawn edges; and each
    tangent at the output equals reverse mode's gradient."""
    g = graph_of(expr)
    point = bind(at, g.names)
    partials = evaluate(g, point).partials
    index = {node.id: i for i, node in enumerate(g.nodes)}
    js = run_json("graph", expr, "--at", at, "--tangents", "--adjoints")
    nodes, edges = parse_dot(dot_text)
    number = float  # also reads JSON's and DOT's "inf", "-inf", "nan"
    values = {n["id"]: number(n["value"]) for n in js["nodes"]} | {c: v for c, v in g.constants}

    def line(node_id: str, head: str) -> float:
        [text] = [s[len(head):] for s in nodes[node_id] if s.startswith(head)]
        return number(text)

    for node_id in index:
        assert close(line(node_id, "value "), values[node_id])
        for x in g.names:
            assert close(line(node_id, f"tangent ∂/∂{x}: "), number(js["tangents"][x][node_id]))
        assert close(line(node_id, "adjoint "), number(js["adjoints"][node_id]))

    edge_values: list[tuple[int, int, float]] = []  # (from, to, partial) per drawn edge
    for a, b, label in edges:
        assert label is not None
        m = _EDGE_LABEL.fullmatch(label)
        assert m is not None, label
        assert (m[2], m[3]) == (b, a), label
        i, j = index[b], index[a]
        args = g.nodes[i].args
        k = int(m[1]) - 1 if m[1] else args.index(j)
        assert args[k] == j and (m[1] is not None) == (args.count(j) > 1), label
        rule, _, shown = m[4].rpartition(" = ")
        rule = rule or shown  # "∂c6/∂c4 = 1": the rule reads as its own value
        assert close(number(shown), partials[i][k], rel=0, abs_=0), (label, partials[i][k])
        if math.isfinite(number(shown)):
            expected = rule_value(rule, values)
            assert close(expected, number(shown), rel=1e-9), (label, expected)
        else:  # the rule is undefined at the point (1/(2*sqrt(0)), log(-2)); the op's convention gives the number
            with pytest.raises(MathError):
                rule_value(rule, values)
        edge_values.append((j, i, number(shown)))
    assert len(edges) == sum(1 for node in g.nodes for a in node.args if type(a) is int)

    # the chain rule along the picture's edges, where every number on the way is finite
    ids = [node.id for node in g.nodes]
    for x in g.names:
        for i, node in enumerate(g.nodes):
            if node.op == "input":
                continue
            terms = [(p, line(ids[j], f"tangent ∂/∂{x}: ")) for j, to, p in edge_values if to == i]
            if all(math.isfinite(t) for pair in terms for t in pair):
                assert close(sum(p * t for p, t in terms), line(ids[i], f"tangent ∂/∂{x}: "), rel=1e-12)
    for j in range(g.output):
        terms = [(p, line(ids[i], "adjoint ")) for fro, i, p in edge_values if fro == j and i <= g.output]
        if all(math.isfinite(t) for pair in terms for t in pair):
            assert close(sum(p * t for p, t in terms), line(ids[j], "adjoint "), rel=1e-12)

    # forward vs reverse: the tangent at the output for x is ∂f/∂x, which reverse mode gives independently
    out = ids[g.output]
    gradient = run_json("reverse", expr, "--at", at)["gradient"]
    for x in g.names:
        assert close(line(out, f"tangent ∂/∂{x}: "), number(gradient[x]), rel=1e-12), x


@pytest.mark.parametrize("expr,at", GRAPHS)
@pytest.mark.parametrize("mode", ["graph", "point", "tangents"])
def test_graphviz_draws_every_label(expr: str, at: str, mode: str) -> None:
    args = {"graph": [], "point": ["--at", at], "tangents": ["--at", at, "--tangents"]}[mode]
    result = run("graph", expr, "--dot", *args)
    assert result.exit_code == 0, result.output
    graphviz_draws_every_label(result.stdout)


@pytest.mark.parametrize("expr,at", GRAPHS)
def test_dot_numbers_are_the_traces(expr: str, at: str) -> None:
    result = run("graph", expr, "--at", at, "--tangents", "--dot")
    assert result.exit_code == 0, result.output
    check_numbers(expr, at, result.stdout)
    # without a point, the same edges carry the same rules and no numbers
    _, with_point = parse_dot(result.stdout)
    _, rules_only = parse_dot(run("graph", expr, "--dot").stdout)
    assert [(a, b) for a, b, _ in rules_only] == [(a, b) for a, b, _ in with_point]
    for (_, _, rule), (_, _, full) in zip(rules_only, with_point):
        assert full == rule or full.startswith(rule + " = ") and full.count(" = ") == rule.count(" = ") + 1


@pytest.mark.parametrize("expr,name", OP_CASES, ids=[name for _, name in OP_CASES])
def test_every_op_is_drawn_with_its_partials(expr: str, name: str) -> None:
    assert any(node.op == name for node in graph_of(expr).nodes)
    at = op_point(expr)
    result = run("graph", expr, "--at", at, "--tangents", "--dot")
    assert result.exit_code == 0, result.output
    graphviz_draws_every_label(result.stdout)
    check_numbers(expr, at, result.stdout)


def test_dot_says_what_the_numbers_mean() -> None:
    out = run("graph", "exp(x1)*(x1**2+x2**2)**3", "--at", "0,2", "--wrt", "x1", "--dot").stdout
    head = out.split("rankdir")[0]
    assert "// each node at x1 = 0, x2 = 2:" in head
    assert "//   tangent ∂/∂x1: its tangent ċi = ∂ci/∂x1" in head and "∂/∂x2" not in head
    assert "//   adjoint: its adjoint c̄i = ∂f/∂ci for f = c8" in head
    assert "// each edge cj -> ci: ∂ci/∂cj = rule = number" in head
    nodes, edges = parse_dot(out)
    assert nodes["c8"] == ["c8 = c3*c7", "value 64", "tangent ∂/∂x1: 64", "adjoint 1"]
    assert ("c3", "c8", "∂c8/∂c3 = c7 = 64") in edges and ("c4", "c6", "∂c6/∂c4 = 1") in edges


def test_guide_shows_dot_as_it_really_prints() -> None:
    guide = (ROOT / "docs" / "guide.md").read_text()
    command = 'gradcli graph "exp(x1)*(x1**2+x2**2)**3" --at 0,2 --wrt x1 --dot'
    assert command in guide and command in (ROOT / "README.md").read_text()
    [excerpt] = re.findall(r"```dot\n(.*?)```", guide, re.S)
    out = run("graph", "exp(x1)*(x1**2+x2**2)**3", "--at", "0,2", "--wrt", "x1", "--dot").stdout.splitlines()
    for line in excerpt.splitlines():
        if line.endswith(" ...];"):  # a node line whose style is cut short
            assert any(o.startswith(line.removesuffix(" ...];")) for o in out), line
        else:
            assert line in out


def test_kink_warning_is_in_the_dot_and_on_stderr() -> None:
    result = run("graph", "x*x + abs(x)", "--at", "0", "--tangents", "--dot")
    warning = "c3 = abs(c1) at c1 = 0: abs'(0) = 0 was used, as in PyTorch"
    assert f"  // warning: {warning}" in result.stdout.splitlines()
    assert f"warning: {warning}" in result.stderr


def test_dot_styles_inputs_operations_and_output_apart() -> None:
    out = run("graph", "exp(x1)*(x1**2+x2**2)**3", "--dot").stdout
    node_lines = [line for line in out.splitlines() if "[label=" in line and "->" not in line]
    assert all("shape=box" in line for line in node_lines[:2])
    assert all("shape=ellipse" in line for line in node_lines[2:-1])
    assert "shape=doubleoctagon" in node_lines[-1]


def test_dot_quotes_names_and_labels() -> None:
    out = run("graph", "θ1 = x + 1; y = θ1*θ1", "--dot").stdout
    assert '"θ1" -> "y" [label="arg 1: ∂y/∂θ1 = θ1"];' in out and '"θ1" -> "y" [label="arg 2: ∂y/∂θ1 = θ1"];' in out


def test_quoted_labels_come_back_from_graphviz_as_written() -> None:
    label = 'a "quoted" name\\N, a backslash \\ and\na second line \\l'
    _, texts = draw(f"digraph {{ n [label={quote(label)}]; }}\n")
    assert texts == label.split("\n")


def test_no_edge_labels_keeps_only_which_operand() -> None:
    result = run("graph", "x*x + abs(x)", "--at", "0", "--dot", "--no-edge-labels")
    assert result.exit_code == 0
    _, edges = parse_dot(result.stdout)
    assert [label for _, _, label in edges] == ["arg 1", "arg 2", None, None, None]
    assert "∂ci/∂cj" not in result.stdout
    graphviz_draws_every_label(result.stdout)
    refused = run("graph", "x*x", "--at", "0", "--no-edge-labels")
    assert refused.exit_code == 2
    assert refused.stderr.splitlines() == ["error: --no-edge-labels is for a drawing of the graph: add --dot, or "
                                           "--format mermaid, svg or html"]


def test_ascii_dot_is_ascii() -> None:
    out = run("graph", "exp(x1)*(x1**2+x2**2)**3", "--at", "0,2", "--tangents", "--dot", "--ascii").stdout
    assert out.isascii()
    nodes, edges = parse_dot(out)
    assert "tangent d/dx2: 192" in nodes["c8"] and ("c3", "c8", "dc8/dc3 = c7 = 64") in edges
    graphviz_draws_every_label(out)


ARRAY_MLP = "h = relu(W1ᵀ @ x); o = W2ᵀ @ h; L = -log(softmax(o)[3])"
ARRAY_AT = "W1=[[1,2],[3,4]],x=[1,1],W2=[[1,0,2],[0,1,1]]"


def test_dot_with_arrays_has_a_node_per_array_and_the_terms_on_its_edges() -> None:
    text = run("graph", ARRAY_MLP, "--at", ARRAY_AT, "--dot").stdout
    nodes, edges = parse_dot(text)
    assert list(nodes) == ["W1", "W2", "x", "c1", "h", "o", "c2", "c3", "L"]
    assert nodes["h"][0] == "h (2×1) = relu(c1)" and nodes["W2"][0] == "W2 (2×3)"
    grad = run_json("reverse", ARRAY_MLP, "--at", ARRAY_AT)["gradient"]
    assert nodes["x"][2] == f"adjoint [{grad['x[1]']!r}, {grad['x[2]']!r}]"
    labels = {(a, b): label for a, b, label in edges}
    assert labels[("W2", "o")] == "W̄2 += h @ ōᵀ" and labels[("h", "o")] == "h̄ += W2 @ ō"
    assert labels[("c1", "h")] == "c̄1 += h̄ ⊙ step(c1)"
    assert set(labels) == {("W1", "c1"), ("x", "c1"), ("c1", "h"), ("W2", "o"), ("h", "o"), ("o", "c2"),
                           ("c2", "c3"), ("c3", "L")}
    graphviz_draws_every_label(text)


def test_dot_with_arrays_without_a_point_and_with_scalar() -> None:
    text = run("graph", ARRAY_MLP, "--shape", "W1=2x2,x=2,W2=2x3", "--dot").stdout
    nodes, edges = parse_dot(text)
    assert nodes["o"] == ["o (3×1) = W2ᵀ @ h"] and all(label is None for _, _, label in edges)
    graphviz_draws_every_label(text)
    scalar = run("graph", ARRAY_MLP, "--at", ARRAY_AT, "--dot", "--scalar").stdout
    nodes, _ = parse_dot(scalar)
    assert "W1[1,2]" in nodes and "W1" not in nodes
    ascii_ = run("graph", ARRAY_MLP, "--at", ARRAY_AT, "--dot", "--ascii").stdout
    assert "W2_bar += h @ o_bar.T" in ascii_ and not any(ord(c) > 127 for line in ascii_.splitlines()[1:]
                                                          for c in line if "program" not in line)
