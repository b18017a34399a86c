"""A 784-128-10 MLP with softmax cross-entropy on one sample, as a whole process: gradcli's reverse mode (the
tables at the sheet's level, or JSON) against PyTorch's on the same network, tensors and all.

    python bench/mlp.py gradcli table    # the default tables, matrices cut
    python bench/mlp.py gradcli json     # every node, as JSON
    python bench/mlp.py torch            # import torch, the same network on float64 tensors, backward()

    farm-bench --vs 'python bench/mlp.py torch' -- python bench/mlp.py gradcli table

The weights are drawn with a fixed seed, the same in both; each prints the loss, so the two can be compared.
"""

from __future__ import annotations

import random
import sys

N, H, K = 784, 128, 10
PROGRAM = "h = relu(W1ᵀ @ x + b1); o = W2ᵀ @ h + b2; L = -log(softmax(o)[3])"


def point() -> dict:
    r = random.Random(0)
    return {"x": [r.uniform(0, 1) for _ in range(N)],
            "W1": [[r.gauss(0, 0.05) for _ in range(H)] for _ in range(N)],
            "W2": [[r.gauss(0, 0.1) for _ in range(K)] for _ in range(H)],
            "b1": [0.0] * H, "b2": [0.0] * K}


def with_gradcli(fmt: str) -> None:
    import gradcli

    result = gradcli.reverse(PROGRAM, point())
    text = result.render(fmt)
    print(f"L = {result.value!r}; {len(text)} characters of {fmt}")


def with_torch() -> None:
    import torch

    p = point()
    f64 = torch.float64
    x = torch.tensor(p["x"], dtype=f64)
    W1, W2, b1, b2 = (torch.tensor(p[n], dtype=f64, requires_grad=True) for n in ("W1", "W2", "b1", "b2"))
    h = torch.relu(W1.T @ x + b1)
    loss = -torch.log_softmax(W2.T @ h + b2, 0)[2]
    loss.backward()
    print(f"L = {loss.item()!r}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["torch"]:
        with_torch()
    else:
        with_gradcli(sys.argv[2] if len(sys.argv) > 2 else "table")
