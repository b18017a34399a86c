"""PyTorch eager on a gradcli graph, as a whole process: import torch, read the graph, build it on 0-d float64
tensors and call backward(). What a student pays to check a gradient with PyTorch.

    python bench/torch_program.py GRAPH.json     # GRAPH.json as bench/run.py writes it: point, inputs, nodes

Each node is [op, operands], an operand a node's index or [value] for a constant; the output is the last node.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import torch  # noqa: E402

from torch_ops import TORCH  # noqa: E402  the op table in PyTorch, kept beside the tests that check it


def main() -> None:
    graph = json.loads(Path(sys.argv[1]).read_text())
    f64 = torch.float64
    vals: list = []
    leaves = []
    for op, args in graph["nodes"]:
        if op == "input":
            leaf = torch.tensor(graph["point"][len(leaves)], dtype=f64, requires_grad=True)
            leaves.append(leaf)
            vals.append(leaf)
        else:
            vals.append(TORCH[op](*(vals[a] if type(a) is int else torch.tensor(a[0], dtype=f64) for a in args)))
    vals[graph["output"]].backward()
    print(json.dumps([t.grad.item() if t.grad is not None else 0.0 for t in leaves]))


if __name__ == "__main__":
    main()
