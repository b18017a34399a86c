"""``check`` with array claims: a formula for ∂L/∂W in matrix notation, proved for the given shapes entry by
entry, or refuted by its shape or by the first entry that differs."""

from __future__ import annotations

import json

import pytest

import gradcli
from conftest import run

MLP = "h = relu(W1ᵀ @ x); o = W2ᵀ @ h; L = -log(softmax(o)[3])"
AT = "W1=[[1,2],[3,4]],x=[1,1],W2=[[1,0,2],[0,1,1]]"


def _json(*args: str) -> tuple[int, dict]:
    # sympy takes about 4 s on an MLP's claim: on a loaded machine that can pass the default --time-limit of 10 s,
    # and these tests are of the verdicts, not of the limit (tests/exact/test_time_limit.py)
    result = run("check", *args, "--format", "json", "--time-limit", "120")
    return result.exit_code, json.loads(result.stdout)


def test_the_mlps_weight_gradient_is_proved_in_matrix_notation() -> None:
    result = run("check", MLP, "--wrt", "W2", "--claim", "h @ (softmax(o) - onehot(3, 3))ᵀ", "--at", AT)
    assert result.exit_code == 0, result.output
    assert "proved equal: the claim minus the derivative simplifies to 0, entry by entry" in result.stdout
    code, out = _json(MLP, "--wrt", "W2", "--claim", "h @ (softmax(o) - onehot(3, 3))ᵀ", "--at", AT)
    (claim,) = out["claims"]
    assert claim["shape"] == [2, 3] and len(claim["derivative"]) == 2 and len(claim["derivative"][0]) == 3
    reverse = gradcli.reverse(MLP, AT).gradient
    flat = [v for row in claim["derivative_at_point"] for v in row]
    assert flat == pytest.approx([reverse[f"W2[{i},{j}]"] for i in (1, 2) for j in (1, 2, 3)], rel=1e-12)


def test_a_transposed_claim_is_refuted_by_its_shape() -> None:
    result = run("check", MLP, "--wrt", "W2", "--claim", "(softmax(o) - onehot(3, 3)) @ hᵀ", "--at", AT)
    assert result.exit_code == 1
    assert "different: the claim is a 3×2 matrix and ∂L/∂W2 is a 2×3 matrix (the transpose?)" in result.stdout
    code, out = _json(MLP, "--wrt", "W2", "--claim", "(softmax(o) - onehot(3, 3)) @ hᵀ", "--at", AT)
    assert code == 1 and out["claims"][0]["claim_shape"] == [3, 2]


def test_a_claims_shape_is_written_as_every_shape_is() -> None:
    # a vector's shape is [n] in "shape", "arrays" and "array_steps": so in "claim_shape"
    code, out = _json("L = xᵀ @ A @ x", "--wrt", "A", "--claim", "x", "--shape", "x=2,A=2x2")
    claim = out["claims"][0]
    assert code == 1 and claim["shape"] == [2, 2] and claim["claim_shape"] == [2]
    code, out = _json("s = sum(x); L = s**2", "--wrt", "s", "--claim", "x", "--shape", "x=2")
    assert code == 1 and out["claims"][0]["claim_shape"] == [2] and "shape" not in out["claims"][0]


def test_a_wrong_entry_is_named_with_both_numbers() -> None:
    # the wrong class: right shape, right everywhere but two entries of each row
    code, out = _json(MLP, "--wrt", "h", "--claim", "W2 @ (softmax(o) - onehot(2, 3))", "--at", AT)
    (claim,) = out["claims"]
    assert code == 1 and claim["verdict"] == "different"
    assert claim["entry"] == "h[1]"
    assert claim["derivative_value"] == pytest.approx(gradcli.reverse(MLP, AT).adjoints["h[1]"], rel=1e-12)
    assert claim["claim_value"] != pytest.approx(claim["derivative_value"])
    text = run("check", MLP, "--wrt", "h", "--claim", "W2 @ (softmax(o) - onehot(2, 3))", "--at", AT,
               "--time-limit", "120").stdout
    assert "the claim's entry [1] is" in text and "∂L/∂h[1] is" in text


@pytest.mark.parametrize("expr,shape,claim", [
    ("L = sum(x**2)", "x=3", "2*x"),
    ("L = xᵀ @ A @ x", "x=2,A=2x2", "x @ xᵀ, (A + Aᵀ) @ x"),
    ("L = norm(x)", "x=3", "x/norm(x)"),
    ("L = sum(W @ x)", "W=2x3,x=3", "[1, 1] @ xᵀ, Wᵀ @ [1, 1]"),
    ("L = logsumexp(z)", "z=4", "softmax(z)"),
    ("L = sum(sigmoid(z))", "z=3", "sigmoid(z)*(1 - sigmoid(z))"),
    ("L = xᵀ @ x - x.T @ x", "x=2", "0"),
])
def test_matrix_identities_are_proved(expr: str, shape: str, claim: str) -> None:
    result = run("check", expr, "--claim", claim, "--shape", shape)
    assert result.exit_code == 0, result.output


def test_a_wrong_identity_is_refuted_at_a_point() -> None:
    result = run("check", "L = xᵀ @ A @ x", "--wrt", "x", "--claim", "2*A @ x", "--shape", "x=2,A=2x2")
    assert result.exit_code == 1  # right only for a symmetric A
    assert "the claim's entry [" in result.stdout


def test_a_claim_whose_shapes_do_not_chain_is_a_caret() -> None:
    result = run("check", "L = sum(x**2)", "--wrt", "x", "--claim", "2*x @ x", "--shape", "x=3")
    assert result.exit_code == 2
    assert "--claim 2*x @ x\n          ^^^^^^^" in result.output
    assert "did you mean (2*x)ᵀ @ x (a number) or (2*x) @ xᵀ (a matrix)?" in result.output


def test_arrays_are_named_once_in_the_default_order_and_in_errors() -> None:
    result = run("check", "L = xᵀ @ A @ x", "--claim", "x @ xᵀ", "--shape", "x=2,A=2x2")
    assert result.exit_code == 2 and "1 claim for 2 derivatives (A, x)" in result.output
    result = run("check", "L = sum(x**2)", "--claim", "2*y", "--shape", "x=2")
    assert result.exit_code == 2 and "the inputs are x (at column" in result.output


def test_constants_the_program_names_are_their_values() -> None:
    assert run("check", "a = 2; f = a*x", "--claim", "2").exit_code == 0
    assert run("check", "a = 0.1; f = a*x", "--claim", "a").exit_code == 0
    result = run("check", "t = [0, 0, 1]; L = -sum(t * log(softmax(o)))", "--wrt", "o", "--claim", "softmax(o) - t",
                 "--shape", "o=3")
    assert result.exit_code == 0, result.output
    held = run("check", "L = -sum(t * log(softmax(o)))", "--wrt", "o", "--claim", "softmax(o) - t", "--at", "o=[1,2,3]",
               "--let", "t=[0,1,0]")
    assert held.exit_code == 0, held.output


def test_the_python_api_checks_arrays() -> None:
    r = gradcli.check("L = sum(x**2)", "2*x", shape="x=3")
    assert r.exit_code == 0
