"""DOT output through real Graphviz: `dot -Tsvg` must accept every graph we write."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from conftest import run

GRAPHS = [
    ("exp(x1)*(x1**2+x2**2)**3", "0,2"),
    ("exp(exp(x) + exp(x)**2) + sin(exp(x) + exp(x)**2)", "0"),
    ("f1 = exp(x); f2 = f1**2; f3 = f1 + f2; f4 = exp(f3); f5 = sin(f3); y = f4 + f5", "0.5"),
    ("z1 = x*w1; a1 = sigmoid(z1); z2 = a1*w2; a2 = sigmoid(z2); loss = 0.5*(a2 - ystar)**2", "1,2,3,4"),
    ("x*x + abs(x)", "0"),  # a node used twice by one consumer, and a kink warning
    ("θ1 = x + 1; y = θ1*θ1/e", "1"),  # Unicode names
]


def _dot() -> str | None:
    path = shutil.which("dot")
    if path is None and os.environ.get("GRADCLI_REQUIRE_DOT"):
        pytest.fail("Graphviz 'dot' is required here (GRADCLI_REQUIRE_DOT is set) but is not installed")
    return path


@pytest.mark.parametrize("expr,at", GRAPHS)
@pytest.mark.parametrize("with_point", [False, True])
def test_graphviz_accepts_our_dot(expr: str, at: str, with_point: bool) -> None:
    args = ["graph", expr, "--dot"] + (["--at", at] if with_point else [])
    result = run(*args)
    assert result.exit_code == 0, result.output
    dot = _dot()
    if dot is None:
        pytest.skip("Graphviz 'dot' is not installed (CI installs it and sets GRADCLI_REQUIRE_DOT)")
    proc = subprocess.run([dot, "-Tsvg"], input=result.stdout, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "<svg" in proc.stdout
    # every node of the graph is drawn, with its definition
    nodes = [line for line in result.stdout.splitlines() if "[label=" in line and "->" not in line]
    assert proc.stdout.count('class="node"') == len(nodes)


def test_dot_styles_inputs_operations_and_output_apart() -> None:
    out = run("graph", "exp(x1)*(x1**2+x2**2)**3", "--dot").stdout
    node_lines = [line for line in out.splitlines() if "[label=" in line]
    assert all("shape=box" in line for line in node_lines[:2])
    assert all("shape=ellipse" in line for line in node_lines[2:-1])
    assert "shape=doubleoctagon" in node_lines[-1]


def test_dot_quotes_names_and_labels() -> None:
    out = run("graph", "θ1 = x + 1; y = θ1*θ1", "--dot").stdout
    assert '"θ1" -> "y" [label="arg 1"];' in out and '"θ1" -> "y" [label="arg 2"];' in out
