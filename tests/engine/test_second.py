"""Several outputs, Jacobians and Hessians, against independent references: sympy's jacobian and hessian,
central differences of the gradient, reverse-over-forward computed here from scratch, and PyTorch's
torch.func.hessian where it is installed."""

from __future__ import annotations

import json
import math
import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import run, run_json
from gradcli.errors import MathError
from gradcli.core.graph import graph_of
from gradcli.core.rules import partial, second_partial
from gradcli.engine import second
from gradcli.engine.second import eigenvalues, eigenvalues_python, run_hessian, run_jacobian
from gradcli.engine.trace import evaluate, run_reverse
from strategies import cases, points

SOFTMAX = "m = exp(z1) + exp(z2) + exp(z3); s1 = exp(z1)/m; s2 = exp(z2)/m; s3 = exp(z3)/m; s1, s2, s3"
LEAST_SQUARES = "L = (phi0 + phi1*1 - 2)**2 + (phi0 + phi1*2 - 3)**2 + (phi0 + phi1*4 - 5)**2"
SEED = "exp(x1)*(x1**2+x2**2)**3"
ROSENBROCK = "(1 - x)**2 + 100*(y - x**2)**2"


def sympy_matrix(expr: str, point: dict, kind: str):
    import sympy as sp

    from gradcli.exact.symbolic import node_expressions, symbol

    g = graph_of(expr)
    exprs = node_expressions(g)
    xs = [symbol(n) for n in g.names]
    subs = {symbol(n): sp.Rational(v) for n, v in point.items()}
    if kind == "jacobian":
        m = sp.Matrix([exprs[o] for o in g.outputs]).jacobian(xs)
    else:
        m = sp.hessian(exprs[g.output], xs)
    return [[float(m[i, j].evalf(30, subs=subs)) for j in range(m.shape[1])] for i in range(m.shape[0])]


def close_matrices(a, b, rel=1e-12, abs_=1e-12) -> bool:
    return all(math.isclose(x, y, rel_tol=rel, abs_tol=abs_) for ra, rb in zip(a, b) for x, y in zip(ra, rb))


# --- Jacobian --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_softmax_jacobian_of_three_logits(mode: str) -> None:
    point = {"z1": 1.0, "z2": 2.0, "z3": 0.5}
    g = graph_of(SOFTMAX)
    t = run_jacobian(g, point, mode)
    assert close_matrices(t.jacobian, sympy_matrix(SOFTMAX, point, "jacobian"))
    # the sheet's closed form: diag(s) - s·sᵀ
    e = [math.exp(v) for v in point.values()]
    s = [v / sum(e) for v in e]
    assert close_matrices(t.jacobian, [[(s[i] if i == j else 0) - s[i] * s[j] for j in range(3)] for i in range(3)])


def test_forward_and_reverse_jacobians_agree_and_say_what_they_cost() -> None:
    point = "z1=1,z2=2,z3=0.5"
    f, r = (run_json("jacobian", SOFTMAX, "--at", point, "--mode", m) for m in ("forward", "reverse"))
    assert f["outputs"] == r["outputs"] == ["s1", "s2", "s3"]
    for o in f["jacobian"]:
        for x in f["jacobian"][o]:
            assert math.isclose(f["jacobian"][o][x], r["jacobian"][o][x], rel_tol=1e-13)
    assert f["cost"]["sweeps"] == 3 and r["cost"]["sweeps"] == 3
    # two outputs of four inputs: reverse needs 2 sweeps, forward 4
    out = run("jacobian", "x1*x2 + x3*x4, x1 + x2*x3*x4", "--at", "1,2,3,4", "--width", "200").output
    assert "takes 4 forward sweeps (one per input, a column each) or 2 reverse sweeps" in out
    assert "reverse mode is cheaper here" in out


def test_a_jacobian_shows_each_sweeps_table() -> None:
    out = run("jacobian", SOFTMAX, "--at", "1,2,0.5", "--width", "200").output
    assert out.count("Reverse mode, seeded at") == 3 and "row of the Jacobian: ∂s2/∂[z1, z2, z3]" in out
    out = run("jacobian", SOFTMAX, "--at", "1,2,0.5", "--mode", "forward", "--width", "200").output
    assert out.count("Forward mode, sweep") == 3 and "column 1 of the Jacobian: ∂[s1, s2, s3]/∂z1" in out


def test_several_outputs_are_one_at_a_time_for_the_other_commands() -> None:
    result = run("reverse", SOFTMAX, "--at", "1,2,0.5")
    assert result.exit_code == 2 and "3 outputs (s1, s2, s3)" in result.stderr and "--output" in result.stderr
    one = run_json("reverse", SOFTMAX, "--at", "1,2,0.5", "--output", "s2")
    both = run_json("jacobian", SOFTMAX, "--at", "1,2,0.5")
    assert one["gradient"] == both["jacobian"]["s2"]
    assert run_json("jacobian", SOFTMAX, "--at", "1,2,0.5", "--output", "s1,s3")["outputs"] == ["s1", "s3"]
    result = run("reverse", SOFTMAX, "--at", "1,2,0.5", "--output", "s9")
    assert result.exit_code == 2 and "'s9' is not a step" in result.stderr


def test_a_bare_list_is_several_outputs() -> None:
    out = run_json("jacobian", "x*y, x + y", "--at", "2,3")
    assert out["jacobian"] == {"c3": {"x": 3.0, "y": 2.0}, "c4": {"x": 1.0, "y": 1.0}}


def test_several_outputs_in_dot_and_the_graph_table() -> None:
    dot = run("graph", SOFTMAX, "--dot").output
    assert dot.count("doubleoctagon") == 3
    assert "outputs s1, s2, s3" in run("graph", SOFTMAX, "--at", "1,2,0.5").output


# --- Hessian ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("expr,point,kind,critical", [
    (SEED, {"x1": 0.0, "x2": 2.0}, "positive definite", False),
    (ROSENBROCK, {"x": 1.0, "y": 1.0}, "positive definite", True),
    (LEAST_SQUARES, {"phi0": 0.0, "phi1": 0.0}, "positive definite", False),
    ("x**2 - y**2", {"x": 0.0, "y": 0.0}, "indefinite", True),
    ("-(x**2) - 3*y**2 + x*y", {"x": 0.0, "y": 0.0}, "negative definite", True),
    ("(x + y)**2", {"x": 1.0, "y": -1.0}, "positive semidefinite", True),
])
def test_hessians_against_sympy_and_what_they_say(expr: str, point: dict, kind: str, critical: bool) -> None:
    t = run_hessian(graph_of(expr), point)
    assert close_matrices(t.hessian, sympy_matrix(expr, point, "hessian"))
    assert t.curvature.kind == kind and t.curvature.critical == critical and t.curvature.asymmetry == 0


def test_the_sheets_hessians_exactly() -> None:
    assert run_hessian(graph_of(SEED), {"x1": 0.0, "x2": 2.0}).hessian == [[160.0, 192.0], [192.0, 480.0]]
    assert run_hessian(graph_of(ROSENBROCK), {"x": 1.0, "y": 1.0}).hessian == [[802.0, -400.0], [-400.0, 200.0]]
    out = run("hessian", ROSENBROCK, "--at", "1,1", "--width", "200").output
    assert "positive definite" in out and "a strict local minimum" in out and "symmetric" in out


def test_least_squares_hessian_in_symbols_and_its_convexity() -> None:
    expr = "L = (phi0 + phi1*x1 - y1)**2 + (phi0 + phi1*x2 - y2)**2 + (phi0 + phi1*x3 - y3)**2"
    at = "phi0=0,phi1=0,x1=1,x2=2,x3=4,y1=2,y2=3,y3=5"
    out = run_json("hessian", expr, "--at", at, "--wrt", "phi0,phi1", "--symbolic", "--exact")
    assert out["hessian"] == {"phi0": {"phi0": 6.0, "phi1": 14.0}, "phi1": {"phi0": 14.0, "phi1": 42.0}}
    assert out["definiteness"] == "positive definite"
    # 2·[[n, Σx], [Σx, Σx²]]
    assert out["symbolic"]["hessian"] == [["6", "2*(x1 + x2 + x3)"], ["2*(x1 + x2 + x3)", "2*(x1**2 + x2**2 + x3**2)"]]
    assert out["exact"]["eigenvalues"] == ["24 - 2*sqrt(130)", "2*sqrt(130) + 24"]


def test_hessian_vector_product_along_a_direction() -> None:
    out = run_json("hessian", SEED, "--at", "0,2", "--direction", "1,-1")
    assert out["hessian_vector"] == {"x1": 160.0 - 192.0, "x2": 192.0 - 480.0}


def test_hessian_of_several_outputs_needs_one() -> None:
    result = run("hessian", SOFTMAX, "--at", "1,2,0.5")
    assert result.exit_code == 2 and "--output" in result.stderr
    assert run("hessian", SOFTMAX, "--at", "1,2,0.5", "--output", "s1").exit_code == 0


def test_the_tangents_of_the_adjoints_are_the_hessians_columns() -> None:
    out = run("hessian", ROSENBROCK, "--at", "1,1", "--width", "200").output
    assert "Forward over reverse along x: the tangents of the adjoints c̄̇i = ∂c̄i/∂x" in out
    assert "column 1 of the Hessian: ∂∇f/∂x = [802, -400]" in out


# reverse over forward, written here from scratch: differentiate the forward sweep ċ = Σ ∂ci/∂cj·ċj in reverse
def reverse_over_forward(graph, point: dict, k: int) -> list[float]:
    """Column k of the Hessian: the gradient of the forward tangent ċ_out (seed e_k) in every input."""
    ev = evaluate(graph, point)
    nodes, values = graph.nodes, ev.values
    tan = [0.0] * len(nodes)
    tan[graph.inputs[k]] = 1.0
    for i, node in enumerate(nodes):
        if node.op != "input":
            tan[i] = sum(ev.partials[i][m] * tan[a] for m, a in enumerate(node.args) if type(a) is int)
    # adjoints of both the values (vbar) and the tangents (tbar), seeded at the output's tangent
    vbar = [0.0] * len(nodes)
    tbar = [0.0] * len(nodes)
    tbar[graph.output] = 1.0
    for i in range(graph.output, -1, -1):
        node = nodes[i]
        if node.op == "input":
            continue
        xs = [values[a] if type(a) is int else a.value for a in node.args]
        for m, a in enumerate(node.args):
            if type(a) is not int:
                continue
            tbar[a] += tbar[i] * partial(node.op, m, xs, values[i])
            # ċi depends on value a through each partial of node i
            for j, b in enumerate(node.args):
                if type(b) is int:
                    vbar[a] += tbar[i] * second_partial(node.op, j, m, xs, values[i]) * tan[b]
            vbar[a] += vbar[i] * partial(node.op, m, xs, values[i])
    return [vbar[i] for i in graph.inputs]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(cases(max_steps=5), st.data())
def test_forward_over_reverse_agrees_with_reverse_over_forward_and_differences(case, data) -> None:
    g = graph_of(case.text)
    point = data.draw(points(g.names))
    try:
        t = run_hessian(g, point)
    except MathError:
        assume(False)
    assume(not t.warnings and all(math.isfinite(x) for row in t.hessian for x in row))
    assume(max(abs(v) for v in t.values) < 1e4)
    scale = max(1.0, max(abs(x) for row in t.hessian for x in row))
    for k in range(len(g.names)):
        column = reverse_over_forward(g, point, k)
        for r in range(len(g.names)):
            assert math.isclose(t.hessian[r][k], column[r], rel_tol=1e-9, abs_tol=1e-10 * scale), (case.text, r, k)
    # central differences of the gradient, away from the kinks of abs, relu, sign and step
    kinked = any(node.op in ("abs", "relu", "sign", "step") and type(node.args[0]) is int
                 and abs(t.values[node.args[0]]) < 1e-3 for node in g.nodes)
    for k, n in enumerate([] if kinked else g.names):
        h = 1e-5 * max(1.0, abs(point[n]))
        try:
            up = run_reverse(g, {**point, n: point[n] + h}).gradient
            down = run_reverse(g, {**point, n: point[n] - h}).gradient
        except MathError:
            continue
        for r, m in enumerate(g.names):
            approx = (up[m] - down[m]) / (2 * h)
            assert math.isclose(t.hessian[r][k], approx, rel_tol=1e-4, abs_tol=1e-5 * scale), (case.text, m, n)


def test_a_2x2_matrix_has_its_eigenvalues_to_the_last_digit() -> None:
    assert eigenvalues([[2.0, 2.0], [2.0, 2.0]]) == [0.0, 4.0]
    assert eigenvalues([[2.0, 1.0], [1.0, 2.0]]) == [1.0, 3.0]
    assert eigenvalues([[0.0, 1e200], [1e200, 0.0]]) == [-1e200, 1e200]  # no overflow in the square of b
    assert eigenvalues([[1e308, 1e308], [1e308, 1e308]]) == sorted(eigenvalues_python([[1e308, 1e308],
                                                                                       [1e308, 1e308]]))


def test_a_large_matrix_goes_to_lapack_and_without_numpy_to_the_python_method(monkeypatch) -> None:
    import random
    import sys

    np = pytest.importorskip("numpy")
    r = random.Random(7)
    n = second.LAPACK_FROM
    a = [[r.uniform(-1, 1) for _ in range(n)] for _ in range(n)]
    sym = (np.array(a) + np.array(a).T) / 2
    assert eigenvalues(a) == [float(v) for v in np.linalg.eigvalsh(sym)]
    monkeypatch.setitem(sys.modules, "numpy", None)
    assert eigenvalues(a) == eigenvalues_python(a)


def test_eigenvalues_of_known_matrices() -> None:
    assert [round(v, 12) for v in eigenvalues([[2.0, 0.0], [0.0, 3.0]])] == [2.0, 3.0]
    assert [round(v, 12) for v in eigenvalues([[0.0, 1.0], [1.0, 0.0]])] == [-1.0, 1.0]
    vals = eigenvalues([[4.0, 1.0, 2.0], [1.0, 3.0, 0.0], [2.0, 0.0, 5.0]])
    assert math.isclose(sum(vals), 12.0) and all(v > 0 for v in vals)
    det = 4 * 15 - 1 * 5 + 2 * (-6)
    assert math.isclose(vals[0] * vals[1] * vals[2], det, rel_tol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 40])
@pytest.mark.parametrize("kind", ["random", "diagonal with repeats", "zero", "rank one", "tridiagonal", "huge"])
def test_eigenvalues_agree_with_lapack(n: int, kind: str) -> None:
    import random

    np = pytest.importorskip("numpy")
    r = random.Random(f"{n}{kind}")
    if kind == "random":
        a = [[r.uniform(-3, 3) for _ in range(n)] for _ in range(n)]
    elif kind == "diagonal with repeats":
        a = [[float(i == j) * r.choice([1.0, 2.0, -1.0]) for j in range(n)] for i in range(n)]
    elif kind == "zero":
        a = [[0.0] * n for _ in range(n)]
    elif kind == "rank one":
        v = [r.uniform(-1, 1) for _ in range(n)]
        a = [[v[i] * v[j] for j in range(n)] for i in range(n)]
    elif kind == "tridiagonal":
        a = [[2.0 if i == j else -1.0 if abs(i - j) == 1 else 0.0 for j in range(n)] for i in range(n)]
    else:
        a = [[r.uniform(-1, 1) * 1e150 for _ in range(n)] for _ in range(n)]
    ours = eigenvalues_python(a)  # the pure-Python method at every size (eigenvalues() hands large ones to LAPACK)
    theirs = np.linalg.eigvalsh((np.array(a) + np.array(a).T) / 2)
    scale = max(1e-300, float(np.abs(theirs).max()))
    assert len(ours) == n and ours == sorted(ours)
    assert max(abs(x - y) for x, y in zip(ours, theirs)) <= 1e-13 * scale * max(1, n)


@pytest.mark.parametrize("name", ["logsumexp", "sum", "max", "min", "mean", "softmax"])
@pytest.mark.parametrize("n", [3, 6])
def test_second_partials_of_many_operands_are_those_derived_for_all_of_them(name: str, n: int) -> None:
    """logsumexp of 200 operands takes its second partials from the rules of two; they must be the n² rules
    derived in full."""
    import random

    from gradcli.core.ops import OPS
    from gradcli.core.rules import second_functions

    r = random.Random(name)
    xs = [r.uniform(-2, 2) for _ in range(n)]
    if name == "softmax":
        xs[0] = 2.0  # the class, a whole number
    z = OPS[name].value(*xs)
    full = second_functions(name, n)
    for k in range(n):
        for m in range(n):
            f = full[k][m]
            want = f if type(f) is float else f(tuple(xs), z)
            assert math.isclose(second_partial(name, k, m, xs, z), want, rel_tol=1e-13, abs_tol=1e-15), (k, m)


@pytest.mark.parametrize("command,args", [
    ("jacobian", ["--at", "1,2,0.5"]), ("hessian", ["--at", "1,2,0.5", "--output", "s1"]),
])
@pytest.mark.parametrize("fmt", ["table", "json", "markdown", "latex"])
def test_every_format(command: str, args: list[str], fmt: str) -> None:
    result = run(command, SOFTMAX, *args, "--format", fmt)
    assert result.exit_code == 0, result.output
    if fmt == "json":
        doc = json.loads(result.stdout)
        assert ("jacobian" in doc) if command == "jacobian" else ("hessian" in doc)


def test_latex_of_jacobian_and_hessian_compiles(tmp_path) -> None:
    from texcheck import compile_fragments

    fragments = [(c, run(c, SOFTMAX, "--at", "1,2,0.5", *extra, "--format", "latex").stdout)
                 for c, extra in (("jacobian", []), ("jacobian", ["--mode", "forward"]),
                                  ("hessian", ["--output", "s1", "--symbolic", "--exact"]))]
    fragments.append(("rosenbrock", run("hessian", ROSENBROCK, "--at", "1,1", "--format", "latex").stdout))
    compiled = compile_fragments(fragments, tmp_path)
    assert compiled.ok, compiled.report()


def test_torch_hessian_agrees_where_installed() -> None:
    torch = pytest.importorskip("torch") if not os.environ.get("GRADCLI_REQUIRE_TORCH") else __import__("torch")
    from torch.func import hessian

    def f(v):
        x, y = v[0], v[1]
        return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2 + torch.exp(x * y) * torch.sin(y)

    expr = ROSENBROCK + " + exp(x*y)*sin(y)"
    at = torch.tensor([0.3, -0.7], dtype=torch.float64)
    want = hessian(f)(at).tolist()
    got = run_hessian(graph_of(expr), {"x": 0.3, "y": -0.7}).hessian
    assert close_matrices(got, want, rel=1e-12)


@pytest.mark.parametrize("expression,reading", [
    ("x**2 + 2*x*y + y**2", "determinant 0; a zero determinant, so an eigenvalue is 0: positive semidefinite, and "
                            "the test is inconclusive"),  # [[2, 2], [2, 2]]: not "both positive"
    ("x**2 + y**2", "determinant 4; the determinant is positive and the diagonal positive, so positive definite"),
    ("-x**2 - y**2", "determinant 4; the determinant is positive and the diagonal negative, so negative definite"),
    ("x*y", "determinant -1; a negative determinant, so indefinite"),
])
def test_the_two_by_two_reading_follows_the_determinant_and_the_trace(expression: str, reading: str) -> None:
    from conftest import run

    out = " ".join(run("hessian", expression, "--at", "1,1").stdout.split())
    assert reading in out, out
    if "inconclusive" in reading:
        assert "Eigenvalues: [0, 4]" in out
