"""Mermaid output (render/mermaid.py): a flowchart with every node and edge of the DOT output and the same
labels, escaped so that Mermaid reads each label as the text it is; drawn by the real Mermaid where its
command line (mmdc) is installed."""

from __future__ import annotations

import html
import re
import shutil
import subprocess

import pytest

import gradcli
from conftest import run
from gradcli.render.mermaid import label
from render.test_dot import GRAPHS, parse_dot

_NODE = re.compile(r'  n(\d+)(\(|\(\[|\[|\{\{)"([^"]*)"(\)|\]\)|\]|\}\})')
_EDGE = re.compile(r'  n(\d+) -->(?:\|"([^"]*)"\|)? n(\d+)')
_ENTITY = re.compile(r"#(\d+|quot);")


def unescape(text: str) -> str:
    """A quoted label's text as Mermaid shows it: entity codes read, <br> a line break."""
    text = text.replace("<br>", "\n")
    return _ENTITY.sub(lambda m: '"' if m[1] == "quot" else chr(int(m[1])), text)


def parse(text: str) -> tuple[list[tuple[str, str]], list[tuple[int, int, str | None]], str]:
    """The flowchart's nodes (shape, label) in order, its edges (from, to, label) and its direction."""
    lines = text.splitlines()
    assert lines[0] in ("flowchart LR", "flowchart TB")
    nodes, edges = [], []
    for line in lines[1:]:
        if m := _NODE.fullmatch(line):
            assert int(m[1]) == len(nodes)
            nodes.append((m[2], unescape(m[3])))
        elif m := _EDGE.fullmatch(line):
            edges.append((int(m[1]), int(m[3]), None if m[2] is None else unescape(m[2])))
        else:
            assert line.startswith(("  %% ", "  classDef ", "  class ")), line
    return nodes, edges, lines[0].split()[1]


@pytest.mark.parametrize("source,at", GRAPHS, ids=[s[:30] for s, _ in GRAPHS])
def test_the_flowchart_has_the_dots_nodes_edges_and_labels(source: str, at: str) -> None:
    dot = run("graph", source, "--at", at, "--tangents", "--dot")
    mermaid = run("graph", source, "--at", at, "--tangents", "--format", "mermaid")
    assert mermaid.exit_code == dot.exit_code == 0 and mermaid.stderr == dot.stderr
    dot_nodes, dot_edges = parse_dot(dot.stdout)
    nodes, edges, direction = parse(mermaid.stdout)
    assert direction == "LR"
    ids = list(dot_nodes)
    assert [lines for lines in dot_nodes.values()] == [text.split("\n") for _, text in nodes]
    assert [(ids[a], ids[b], text) for a, b, text in edges] == dot_edges


def test_arrays_are_a_node_per_array() -> None:
    source, at = "h = relu(W1 @ x + b1); y = sum(h)", "W1=[[1,2],[3,4]],x=[[1],[2]],b1=[[0],[-1]]"
    nodes, edges = parse_dot(run("graph", source, "--at", at, "--dot").stdout)
    got, arrows, _ = parse(run("graph", source, "--at", at, "--format", "mermaid").stdout)
    assert [text.split("\n") for _, text in got] == list(nodes.values())
    assert len(got) == 7 and got[0][1].startswith("W1 (2×2)")
    ids = list(nodes)
    assert [(ids[a], ids[b], text) for a, b, text in arrows] == edges


def test_shapes_and_classes_tell_the_kinds_apart() -> None:
    out = run("graph", "y = (w - lr)**2", "--at", "1.5", "--let", "lr=0.1", "--format", "mermaid").stdout
    nodes, _, _ = parse(out)
    assert [shape for shape, _ in nodes] == ["(", "[", "([", "{{"]  # input, constant, operation, output
    for kind, members in (("input", "n0"), ("constant", "n1"), ("operation", "n2"), ("output", "n3")):
        assert f"  classDef {kind} " in out and f"  class {members} {kind}\n" in out
    assert "inputs are rounded boxes, operations stadiums, the output y a hexagon" in out


def test_rankdir_and_no_edge_labels() -> None:
    out = run("graph", "x*x", "--at", "1", "--format", "mermaid", "--rankdir", "TB", "--no-edge-labels").stdout
    nodes, edges, direction = parse(out)
    assert direction == "TB" and edges == [(0, 1, "arg 1"), (0, 1, "arg 2")]


@pytest.mark.parametrize("text", ['a "b" <i>c</i> & d', "#35; #quot; 100% %%{init}", "x[1] (y) {z} | end; `t`",
                                  "ċ3 c̄3 ∂c8/∂c3\nline two", "\x1b[31m"])
def test_a_label_is_escaped_and_reads_back(text: str) -> None:
    quoted = label(text)
    assert quoted[0] == quoted[-1] == '"'
    inner = quoted[1:-1]
    assert not set(_ENTITY.sub("", inner.replace("<br>", ""))) & set('"#%&<>`|;')
    assert "\n" not in inner and "\x1b" not in inner
    assert unescape(inner) == text.replace("\x1b", "\ufffd")
    assert html.unescape(inner) == inner  # no HTML entity Mermaid's own renderer would read


def test_a_chain_10000_deep() -> None:
    n = 10_000
    out = gradcli.graph("sin(" * n + "x" + ")" * n).mermaid()
    nodes, edges, _ = parse(out)
    assert len(nodes) == n + 1 and edges == [(i, i + 1, f"∂c{i + 2}/∂c{i + 1} = cos(c{i + 1})") for i in range(n)]


def test_mermaid_draws_it() -> None:
    """The real Mermaid reads the flowchart and draws each label's text; where mmdc is not installed (npm
    install -g @mermaid-js/mermaid-cli, with a browser) it is skipped."""
    mmdc = shutil.which("mmdc")
    if mmdc is None:
        pytest.skip("mmdc (@mermaid-js/mermaid-cli) is not installed")
    text = gradcli.graph("exp(x1)*(x1**2+x2**2)**3", "0,2").mermaid()
    proc = subprocess.run([mmdc, "-i", "-", "-o", "-", "-e", "svg"], input=text, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    shown = html.unescape(re.sub(r"<[^>]+>", " ", proc.stdout))
    for line in ("c8 = c3*c7", "adjoint 192", "∂c8/∂c3 = c7 = 64"):
        assert line in shown, line
