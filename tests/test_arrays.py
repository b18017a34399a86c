"""Array programs end to end: a published worked example, sympy's exact derivative, central differences,
forward against reverse, the Jacobian, Hessian and descent, and the command line's errors."""

from __future__ import annotations

import math
import random

import pytest

import gradcli
from conftest import run, run_json
from gradcli.core.arrays import entry_names
from gradcli.core.graph import graph_of
from gradcli.engine.trace import run_forward, run_reverse
from strategies import exact_gradient

# CS231n's two-layer example as published in g-eoj's "two-layer-backprop-math" notebook (row-vector layout there,
# so h = relu(W1ᵀx) here): class 3 of 3, zero biases
CS231N = "h = relu(W1ᵀ @ x + b1); s = W2ᵀ @ h + b2; L = -log(softmax(s)[3])"
CS231N_AT = ("x=[16,-6],W1=[[0.18,0.04],[0.1,0.22]],W2=[[0.19,-0.1,0.1],[-0.02,-0.01,0.04]],b1=[0,0],"
             "b2=[0,0,0]")


def test_the_cs231n_two_layer_example() -> None:
    out = run_json("reverse", CS231N, "--at", CS231N_AT)
    assert out["value"] == pytest.approx(1.051375468504, abs=1e-12)
    adj = out["adjoints"]
    assert [adj[f"s[{k}]"] for k in (1, 2, 3)] == pytest.approx([0.429052723714, 0.221490524653, -0.650543248367],
                                                                 abs=1e-12)
    g = out["gradient"]
    # as published, to 12 decimals; the middle one was worked from the rounded 0.221490524653·2.28, 1.2e-12 off
    assert [g[f"W2[1,{k}]"] for k in (1, 2, 3)] == pytest.approx([0.978240210068, 0.504998396209, -1.483238606277],
                                                                  abs=1.5e-12)
    assert [g[f"W2[2,{k}]"] for k in (1, 2, 3)] == [0, 0, 0]  # the second hidden unit is inactive
    values = {n["id"]: n["value"] for n in out["nodes"]}
    assert [values["h[1]"], values["h[2]"]] == pytest.approx([2.28, 0])


def test_the_cross_entropy_shortcut_softmax_minus_onehot() -> None:
    # ∂L/∂o = softmax(o) − t for L = −Σ t ⊙ log softmax(o): the adjoints of o's entries are that vector
    o = [0.3, -1.2, 2.0, 0.5]
    r = gradcli.reverse("L = -sum(onehot(3, 4) * log(softmax(o)))", {"o": o})
    z = sum(math.exp(v) for v in o)
    expected = [math.exp(v) / z - (k == 2) for k, v in enumerate(o)]
    assert [r.gradient[f"o[{k}]"] for k in range(1, 5)] == pytest.approx(expected, rel=1e-13, abs=1e-15)


PROGRAMS = [
    ("relu(W @ x + b)ᵀ @ v", {"W": (2, 3), "x": (3, 1), "b": (2, 1), "v": (2, 1)}),
    ("sum(tanh(W @ x)**2) + 0.1*sum(abs(W)) + 0.01*sum(W**2)", {"W": (2, 2), "x": (2, 1)}),
    ("logsumexp(A @ x) - dot(x, x)/2", {"A": (3, 2), "x": (2, 1)}),
    ("norm(outer(u, v) @ w) + mean(sigmoid(u))", {"u": (2, 1), "v": (3, 1), "w": (3, 1)}),
    ("-log(softmax(W @ x)[2]) + max(x) - min(W)", {"W": (3, 2), "x": (2, 1)}),
    ("xᵀ @ diag(d) @ x + (x.T @ A)[1, 2]", {"x": (2, 1), "d": (2, 1), "A": (2, 2)}),
    ("sum((A + xᵀ)*A) + sum(A/(2 + x))", {"A": (2, 2), "x": (2, 1)}),
]


def _point(shapes: dict, rng: random.Random) -> dict:
    return {e: rng.uniform(-1.5, 1.5) for n, s in shapes.items() for e in entry_names(n, s)}


@pytest.mark.parametrize("text,shapes", PROGRAMS)
def test_array_programs_against_sympy_differences_and_forward_mode(text: str, shapes: dict) -> None:
    rng = random.Random(text)
    g = graph_of(text, shapes=shapes)
    for _ in range(3):
        point = _point(shapes, rng)
        rev = run_reverse(g, point)
        fwd = run_forward(g, point)
        exact = exact_gradient(g, point)
        for n in g.names:
            assert rev.gradient[n] == pytest.approx(exact[n], rel=1e-11, abs=1e-13), (text, n)
            assert fwd.gradient[n] == pytest.approx(rev.gradient[n], rel=1e-13, abs=1e-15), (text, n)
            h = 1e-6
            up = run_reverse(g, {**point, n: point[n] + h}).value
            down = run_reverse(g, {**point, n: point[n] - h}).value
            assert (up - down) / (2 * h) == pytest.approx(rev.gradient[n], rel=1e-5, abs=1e-7), (text, n)


def test_the_jacobian_of_softmax_is_diag_s_minus_s_st() -> None:
    z = [1.0, 2.0, 0.5]
    out = run_json("jacobian", "s = softmax(z)", "--at", "z=[1, 2, 0.5]")
    e = [math.exp(v) for v in z]
    s = [v / sum(e) for v in e]
    flat = [out["jacobian"][f"s[{i}]"][f"z[{j}]"] for i in (1, 2, 3) for j in (1, 2, 3)]
    expected = [(s[i] if i == j else 0) - s[i] * s[j] for i in range(3) for j in range(3)]
    assert flat == pytest.approx(expected, rel=1e-13, abs=1e-16)


def test_the_hessian_of_a_quadratic_form_is_a_plus_a_transposed() -> None:
    out = run_json("hessian", "f = wᵀ @ A @ w", "--at", "w=[1, 2],A=[[2, 1], [0, 3]]", "--wrt", "w")
    flat = [out["hessian"][f"w[{i}]"][f"w[{j}]"] for i in (1, 2) for j in (1, 2)]
    assert flat == [4.0, 1.0, 1.0, 6.0]


def test_descent_updates_every_entry() -> None:
    r = gradcli.descend("L = sum((w - t)**2)", "w=[0, 0]", let="t=[1, 2]", lr=0.25, steps=1)
    # one step: w − 0.25·2(w − t) = t/2
    assert r.to_dict()["final"]["params"] == {"w[1]": 0.5, "w[2]": 1.0}


def test_wrt_an_array_means_all_its_entries() -> None:
    out = run_json("reverse", CS231N, "--at", CS231N_AT, "--wrt", "W2")
    assert list(out["gradient"]) == entry_names("W2", (2, 3))


def test_let_holds_an_array() -> None:
    a = gradcli.reverse("sum(W @ x)", "W=[[1, 2], [3, 4]]", let="x=[5, 6]").gradient
    assert a == {"W[1,1]": 5.0, "W[1,2]": 6.0, "W[2,1]": 5.0, "W[2,2]": 6.0}


def test_symbolic_rows_with_shapes_only() -> None:
    result = run("reverse", "L = xᵀ @ x", "--at", "x=[1, 2]", "--symbolic")
    assert result.exit_code == 0, result.output
    assert "2·x[1]" in result.output or "2*x[1]" in result.output


@pytest.mark.parametrize("args,line", [
    (("reverse", "x @ x", "--at", "x=[1, 2]"), "did you mean xᵀ @ x (a number) or x @ xᵀ (a matrix)?"),
    (("reverse", "sum(W @ x)", "--at", "W=[[1, 2, 3]],x=[1, 2]"), "1×3 @ 2×1"),
    (("reverse", "sum(x)", "--at", "x=[1, 2, 3"), "error:"),
    (("reverse", "xᵀ @ x", "--at", "x=[1, 2],x=[3, 4]"), "'x' is given twice"),
    (("reverse", "sum(x)", "--shape", "x=two", "--at", "x=[1, 2]"), "name=rows x columns"),
    (("reverse", "sum(x)", "--shape", "x=3", "--at", "x=[1, 2]"), "--shape gives x as 3×1 but its value is 2×1"),
])
def test_array_mistakes_are_one_line_with_exit_2(args: tuple, line: str) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert line in result.output and "Traceback" not in result.output


def test_json_gives_each_array_input_nested_with_its_shape() -> None:
    out = run_json("reverse", "L = sum(W @ x) + r @ x", "--at", "W=[[1, 2], [3, 4]],r=[[5, 6]]", "--let", "x=[3, 4]")
    arrays = out["arrays"]
    assert arrays["W"] == {"shape": [2, 2], "entries": ["W[1,1]", "W[1,2]", "W[2,1]", "W[2,2]"],
                           "value": [[1, 2], [3, 4]], "gradient": [[3, 4], [3, 4]]}
    assert arrays["r"]["shape"] == [1, 2] and arrays["r"]["gradient"] == [[3, 4]]
    assert arrays["x"] == {"shape": [2], "entries": ["x[1]", "x[2]"], "value": [3, 4]}  # held: no gradient
    assert out["gradient"] == {"W[1,1]": 3, "W[1,2]": 4, "W[2,1]": 3, "W[2,2]": 4, "r[1,1]": 3, "r[1,2]": 4}


def test_the_python_api_takes_nested_lists_and_shapes() -> None:
    assert gradcli.reverse("L = xᵀ @ W @ x", {"x": [1, 2], "W": [[1, 0], [0, 3]]}).gradient["W[1,2]"] == 2.0
    nodes = gradcli.graph("relu(W @ x)", shape="W=2x3,x=3").to_dict()["nodes"]
    assert [n["op"] for n in nodes].count("mul") == 6 and [n["op"] for n in nodes].count("relu") == 2
