"""Cross-check against PyTorch's autograd in float64, where PyTorch is installed (it is never needed to run).

The public cases, random programs over the op table, and the conventions at kinks must agree.
"""

from __future__ import annotations

import math
import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import load_cases
from gradcli.errors import MathError
from gradcli.core.graph import graph_of
from gradcli.engine.trace import run_forward, run_reverse
from strategies import absolute_gradient, cases, exact_gradient, points, rounding_insensitive, sane

if os.environ.get("GRADCLI_REQUIRE_TORCH"):
    import torch
else:
    torch = pytest.importorskip("torch", reason="PyTorch is not installed; it is only a test reference")

from torch_ops import TORCH  # noqa: E402  (imports torch)

F64 = torch.float64


def test_every_op_has_a_torch_form() -> None:
    from gradcli.core.ops import OPS

    table = {n for n, op in OPS.items() if not op.defined}  # the op table's own, not a program's functions
    assert table <= set(TORCH), f"add the PyTorch form of {sorted(table - set(TORCH))} to TORCH"


def torch_gradient(graph, point: dict) -> tuple[float, dict[str, float]]:
    """The graph rebuilt node by node in PyTorch, then backward()."""
    leaves = {n: torch.tensor(float(v), dtype=F64, requires_grad=True) for n, v in point.items()}
    vals: list = [None] * len(graph.nodes)
    for i, n in zip(graph.inputs, graph.names):
        vals[i] = leaves[n]
    for i, node in enumerate(graph.nodes):
        if node.op != "input":
            args = [vals[a] if isinstance(a, int) else torch.tensor(a.value, dtype=F64) for a in node.args]
            vals[i] = TORCH[node.op](*args)
    out = vals[graph.output]
    out.backward()
    grads = {n: (t.grad.item() if t.grad is not None else 0.0) for n, t in leaves.items()}
    return out.item(), grads


def same(a: float, b: float, rel: float = 1e-12, abs_: float = 0.0) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


@pytest.mark.parametrize("case", load_cases(), ids=lambda c: c["id"])
def test_public_cases_agree_with_torch(case: dict) -> None:
    g = graph_of(case["expr"] or case["program"])
    point = {k: float(v) for k, v in case["point"].items()}
    value, grads = torch_gradient(g, point)
    t = run_reverse(g, point)
    assert same(t.value, value)
    for n in g.names:
        assert same(t.gradient[n], grads[n], abs_=1e-15), (n, t.gradient[n], grads[n])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(cases(), st.data())
def test_random_programs_agree_with_torch(case, data) -> None:
    g = graph_of(case.text)
    point = data.draw(points(g.names))
    try:
        t = run_reverse(g, point)
    except MathError:
        assume(False)
    assume(all("does not affect" in w for w in t.warnings))
    value, grads = torch_gradient(g, point)
    if not (sane(t) and rounding_insensitive(t, point)):
        return  # where the rounding of one value dominates, two correct programs may differ
    bound = absolute_gradient(t)
    exact = None
    for n in g.names:
        ours, theirs = t.gradient[n], grads[n]
        if abs(ours - theirs) <= 1e-12 * max(abs(theirs), bound[n]) + 1e-300:
            continue
        # PyTorch's own rules can cancel where gradcli's do not (sigmoid' = s*(1-s) as s -> 1): then
        # gradcli must be the one that agrees with sympy's exact derivative
        exact = exact or exact_gradient(g, point)
        assert exact is not None
        assert abs(ours - exact[n]) <= 1e-12 * max(abs(exact[n]), bound[n]) + 1e-300, (case.text, point, n)
        assert abs(ours - exact[n]) < abs(theirs - exact[n]), (case.text, point, n, ours, theirs, exact[n])


@pytest.mark.parametrize("expr,point", [
    ("abs(x)", {"x": 0.0}), ("relu(x)", {"x": 0.0}), ("sign(x)", {"x": 0.0}), ("sqrt(x)", {"x": 0.0}),
    ("asin(x)", {"x": 1.0}), ("acos(x)", {"x": -1.0}), ("log(x)", {"x": 0.0}), ("exp(x)", {"x": 1000.0}),
    ("x**y", {"x": -2.0, "y": 3.0}), ("x**y", {"x": 0.0, "y": 0.0}), ("x**y", {"x": 0.0, "y": 2.5}),
    ("x**y", {"x": 0.0, "y": 0.5}), ("x**0", {"x": 0.0}), ("x**2", {"x": 0.0}), ("x**0.5", {"x": 0.0}),
    ("abs(x) + relu(x - y) + sqrt(y)", {"x": 0.0, "y": 0.0}),
])
def test_conventions_at_kinks_match_torch(expr: str, point: dict) -> None:
    g = graph_of(expr)
    value, grads = torch_gradient(g, point)
    for t in (run_reverse(g, point), run_forward(g, point)):
        assert same(t.value, value)
        for n in g.names:
            assert same(t.gradient[n], grads[n]), (expr, n, t.gradient[n], grads[n])


def test_where_gradcli_and_torch_differ_on_purpose() -> None:
    """0·inf inside a sweep: gradcli takes the term as 0 (the node does not depend on that input, and the
    two modes agree); PyTorch computes nan. Both are stated: gradcli prints a warning."""
    g = graph_of("0*sqrt(x)")
    _, grads = torch_gradient(g, {"x": 0.0})
    assert math.isnan(grads["x"])
    t = run_reverse(g, {"x": 0.0})
    assert t.gradient == {"x": 0.0} and any("PyTorch gives nan" in w for w in t.warnings)
