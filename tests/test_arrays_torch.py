"""Array programs against PyTorch autograd: the sheets' MLP (relu, softmax cross-entropy, L1 and L2 terms) and a
sigmoid-tanh network, entry by entry."""

from __future__ import annotations

import os
import random

import pytest

import gradcli
from gradcli.core.arrays import entry_names

if os.environ.get("GRADCLI_REQUIRE_TORCH"):
    import torch
else:
    torch = pytest.importorskip("torch", reason="PyTorch is not installed; it is only a test reference")

MLP = ("h = relu(W1 @ x + b1); o = W2 @ h + b2; "
       "L = -sum(t * log(softmax(o))) + 0.01*sum(abs(W1)) + 0.001*sum(W2**2)")


def _mlp_torch(p, k: int):
    h = torch.relu(p["W1"] @ p["x"] + p["b1"])
    o = p["W2"] @ h + p["b2"]
    return -torch.log_softmax(o, 0)[k - 1] + 0.01 * p["W1"].abs().sum() + 0.001 * (p["W2"] ** 2).sum()


def _sigmoid_torch(p, k: int):
    return (torch.tanh(p["A"] @ torch.sigmoid(p["B"].T @ p["x"])) ** 2).sum() + torch.logsumexp(p["C"] @ p["x"][:2], 0) * k


SIGMOID = "sum(tanh(A @ sigmoid(Bᵀ @ x))**2) + logsumexp(C @ [x[1], x[2]])*k"


def _values(shapes: dict, rng: random.Random) -> dict:
    return {n: [[rng.uniform(-1, 1) for _ in range(s[1])] for _ in range(s[0])] if s[1] > 1 else
            [rng.uniform(-1, 1) for _ in range(s[0])] for n, s in shapes.items()}


@pytest.mark.parametrize("sizes,seed", [((3, 4, 3), 0), ((5, 6, 4), 1), ((2, 8, 5), 2), ((4, 3, 2), 3)])
def test_the_mlp_agrees_with_torch(sizes: tuple, seed: int) -> None:
    n_in, n_hidden, n_out = sizes
    rng = random.Random(seed)
    shapes = {"W1": (n_hidden, n_in), "b1": (n_hidden, 1), "W2": (n_out, n_hidden), "b2": (n_out, 1), "x": (n_in, 1)}
    values = _values(shapes, rng)
    k = rng.randint(1, n_out)
    t = [1.0 if i + 1 == k else 0.0 for i in range(n_out)]
    r = gradcli.reverse(MLP, values, let={"t": t}, wrt="W1,b1,W2,b2")
    p = {n: torch.tensor(v, dtype=torch.float64, requires_grad=True) for n, v in values.items()}
    loss = _mlp_torch(p, k)
    loss.backward()
    assert r.value == pytest.approx(loss.item(), rel=1e-14)
    for n in ("W1", "b1", "W2", "b2"):
        expected = p[n].grad.flatten().tolist()
        got = [r.gradient[e] for e in entry_names(n, shapes[n])]
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-15), n


@pytest.mark.parametrize("seed", range(4))
def test_a_sigmoid_tanh_network_agrees_with_torch(seed: int) -> None:
    rng = random.Random(seed)
    shapes = {"A": (2, 3), "B": (3, 3), "C": (3, 2), "x": (3, 1)}
    values = _values(shapes, rng)
    r = gradcli.reverse(SIGMOID, values, let={"k": 2})
    p = {n: torch.tensor(v, dtype=torch.float64, requires_grad=True) for n, v in values.items()}
    loss = _sigmoid_torch(p, 2)
    loss.backward()
    assert r.value == pytest.approx(loss.item(), rel=1e-14)
    for n, s in shapes.items():
        got = [r.gradient[e] for e in entry_names(n, s)]
        assert got == pytest.approx(p[n].grad.flatten().tolist(), rel=1e-12, abs=1e-15), n
