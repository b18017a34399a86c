"""Whole-process time of gradcli on 1 MB inputs of every shape: parsed and answered, or refused cleanly.

    python bench/adversarial.py            # prints a table and updates its section of BENCHMARKS.md

Each input is written to a file and run as `gradcli reverse -f FILE --at x=1 --format json`
(the median of three runs); the goal is an answer, a result or a clean error, within 1 s.
"""

from __future__ import annotations

import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MB = 1_000_000


def inputs() -> dict[str, str]:
    rng = random.Random(0)
    steps, size, i = ["v0 = x"], 6, 0
    while size < MB:
        i += 1
        steps.append(f"v{i} = sin(v{i - 1})*0.5 + x*{i % 7}")
        size += len(steps[-1]) + 1
    calls = []
    size, k = 0, 0
    while size < MB:
        k += 1
        calls.append(f"sin({k}*x)")
        size += len(calls[-1]) + 1
    return {
        "program, 40,000 steps": "\n".join(steps),
        "sum of 80,000 terms": "+".join(calls),
        "sin(sin(...)) 200,000 deep": "sin(" * 200_000 + "x" + ")" * 200_000,
        "500,000 parentheses": "(" * 500_000 + "x" + ")" * 500_000,
        "x+x+... (too many operations)": "x+" * 500_000,
        "---...-x (too many operations)": "-" * MB + "x",
        "a 1,000,000-digit number": "1" * MB,
        "one 1,000,000-letter name": "x" * MB,
        "random bytes": bytes(rng.getrandbits(8) for _ in range(MB)).decode("latin-1"),
        "Python code, repeated": "__import__('os').system('echo hi'); " * (MB // 36),
        "unclosed parentheses": "(x+" * (MB // 3),
    }


def run(path: str) -> tuple[float, int]:
    sys.path.insert(0, str(ROOT / "bench"))
    from run import installed  # the installed console script when there is one, as a user runs it

    gradcli, env = installed()
    times, code = [], 0
    for _ in range(3):
        t = time.perf_counter()
        proc = subprocess.run(gradcli + ["reverse", "-f", path, "--at", "x=1", "--format", "json"],
                              capture_output=True, cwd=ROOT, env=env)
        times.append(time.perf_counter() - t)
        code = proc.returncode
        assert b"Traceback" not in proc.stderr, proc.stderr[-2000:]
    return statistics.median(times), code


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in inputs().items():
            path = os.path.join(tmp, "input.txt")
            Path(path).write_text(text, encoding="utf-8")
            seconds, code = run(path)
            answer = {0: "result", 1: "math error", 2: "clean error (exit 2)"}[code]
            rows.append(f"| {name} | {len(text.encode()) / MB:.2f} | {seconds:.2f} | {answer} |")
            print(rows[-1], flush=True)
    table = "\n".join(["| 1 MB input | MB | seconds | answer |", "| --- | ---: | ---: | --- |", *rows])
    section = (f"## 1 MB inputs (bench/adversarial.py)\n\nWhole-process wall time, median of 3, on "
               f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
               f"{platform.python_version()}. The goal: every input answered within 1 s.\n\n{table}\n")
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(r"## 1 MB inputs \(bench/adversarial.py\)\n.*?(?=\n## |\Z)", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda m: section.rstrip("\n"), text)
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text.rstrip() + "\n")


if __name__ == "__main__":
    main()
