"""The Hessian of a program of 200 inputs, as a whole process: gradcli's (forward over reverse, then the
eigenvalues) against torch.func.hessian's on the same function.

    python bench/hessian200.py gradcli    # gradcli hessian … --format json, in process after start-up
    python bench/hessian200.py torch      # import torch, torch.func.hessian, torch.linalg.eigvalsh

    farm-bench --vs 'python bench/hessian200.py torch' -- python bench/hessian200.py gradcli

The point is drawn with a fixed seed, the same in both; each prints the smallest and largest eigenvalue.
"""

from __future__ import annotations

import random
import sys

N = 200
PROGRAM = "f = logsumexp(x) + sum(x**4)/4 + norm(x)**2 + sum(sin(x)*cos(x))"


def point() -> list[float]:
    r = random.Random(0)
    return [r.uniform(-1, 1) for _ in range(N)]


def with_gradcli() -> None:
    import json

    from gradcli.cli import main

    x = point()
    sys.argv = ["gradcli", "hessian", PROGRAM, "--at", "x=[" + ",".join(map(repr, x)) + "]", "--format", "json"]
    import io
    from contextlib import redirect_stdout

    out = io.StringIO()
    with redirect_stdout(out):
        try:
            main()
        except SystemExit as e:
            assert not e.code, out.getvalue()[-2000:]
    values = json.loads(out.getvalue())["eigenvalues"]
    print(f"eigenvalues from {values[0]!r} to {values[-1]!r}")


def with_torch() -> None:
    import torch
    from torch.func import hessian

    x = torch.tensor(point(), dtype=torch.float64)

    def f(x):
        return torch.logsumexp(x, 0) + (x ** 4).sum() / 4 + torch.linalg.norm(x) ** 2 + (torch.sin(x) * torch.cos(x)).sum()

    values = torch.linalg.eigvalsh(hessian(f)(x)).tolist()
    print(f"eigenvalues from {values[0]!r} to {values[-1]!r}")


if __name__ == "__main__":
    with_torch() if sys.argv[1:2] == ["torch"] else with_gradcli()
