"""Writes the golden outputs test_golden.py compares against: gradcli's output on the benchmark's generated
programs, recorded once and kept, so a change to the engine that changes a byte of output is caught.

    python tests/golden/make.py     # only when an output change is intended, and said so in the commit
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from programs import POINT, program  # noqa: E402

# (file name, steps, seed, arguments after the command's source): each a command a user runs on a big program
CASES = [
    ("reverse-1000.json", 1000, 0, ["reverse", "--format", "json"]),
    ("forward-1000.json", 1000, 0, ["forward", "--format", "json"]),
    ("graph-1000.dot", 1000, 0, ["graph", "--dot"]),
    ("reverse-200.txt", 200, 1, ["reverse"]),
    ("forward-200.md", 200, 1, ["forward", "--format", "markdown", "--wrt", "x1,x2"]),
    ("reverse-60.tex", 60, 2, ["reverse", "--format", "latex"]),
    ("hessian-60.json", 60, 2, ["hessian", "--format", "json"]),
    ("jacobian-100.json", 100, 3, ["jacobian", "--format", "json", "--output", "v97,v98,v99"]),
    # the shapes of bench/adversarial.py, small: steps with numbers, and one long bare expression (ids c1..cn)
    ("steps-300.json", 300, "steps", ["reverse", "--format", "json"]),
    ("sum-300.json", 300, "sum", ["reverse", "--format", "json"]),
    ("sum-40.txt", 40, "sum", ["forward"]),
    ("reverse-60-brief.txt", 60, 2, ["reverse", "--brief"]),
    ("forward-200-brief.md", 200, 1, ["forward", "--brief", "--format", "markdown", "--wrt", "x1,x2"]),
]


def source(steps: int, seed) -> str:
    if seed == "steps":
        return "\n".join(["v0 = x"] + [f"v{i} = sin(v{i - 1})*0.5 + x*{i % 7}" for i in range(1, steps)])
    if seed == "sum":
        return "+".join(f"sin({k}*x)" for k in range(1, steps + 1))
    return program(steps, seed)


def run(steps: int, seed: int, args: list[str]) -> bytes:
    src = source(steps, seed)
    path = HERE / f".program-{steps}-{seed}.txt"
    path.write_text(src)
    try:
        from gradcli.core.graph import graph_of

        used = graph_of(src).names
        at = ",".join(f"{k}={POINT.get(k, 0.7)!r}" for k in used)
        command, *rest = args
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "FORCE_COLOR", "NO_COLOR")}
        env.update(COLUMNS="100", PYTHONIOENCODING="utf-8")
        rest = [*rest, "--at", at]
        proc = subprocess.run([sys.executable, "-m", "gradcli", command, "-f", str(path), *rest],
                              capture_output=True, env=env, cwd=ROOT)
        assert proc.returncode == 0, proc.stderr.decode()
        return proc.stdout
    finally:
        path.unlink()


def main() -> None:
    for name, steps, seed, args in CASES:
        (HERE / (name + ".gz")).write_bytes(gzip.compress(run(steps, seed, args), mtime=0))
        print(name)


if __name__ == "__main__":
    main()
