"""The 200×200 grid of the 20-point logistic loss (examples/logistic20.csv, b held at 0) that `gradcli plot`
evaluates for --format json and --save: in process (the sweep over the grid alone, median of 5) and as a whole
process (`gradcli plot ... --format json`, median of 5).

    python bench/plot_grid.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOSS = "-(y*log(sigmoid(w1*x1+w2*x2+b)) + (1-y)*log(1-sigmoid(w1*x1+w2*x2+b)))"
ARGS = [LOSS, "--x", "w1=-3:3", "--y", "w2=-3:3", "--let", "b=0", "--data", str(ROOT / "examples" / "logistic20.csv"),
        "--reduce", "mean", "--grid", "200"]


def main() -> None:
    sys.path.insert(0, str(ROOT))
    import gradcli

    inside = []
    for _ in range(5):
        t = time.perf_counter()
        gradcli.plot(ARGS[0], "w1=-3:3", "w2=-3:3", let="b=0", data=ARGS[8], reduce="mean", grid=200)
        inside.append(time.perf_counter() - t)
    whole = []
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "gradcli", "plot", *ARGS, "--format", "json"], check=True,
                       stdout=subprocess.DEVNULL, env=env)
        whole.append(time.perf_counter() - t)
    print(f"in process: {statistics.median(inside):.3f} s; whole process (--format json): "
          f"{statistics.median(whole):.3f} s")


if __name__ == "__main__":
    main()
