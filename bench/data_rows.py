"""The logistic loss of 3 parameters over N rows of a data file, as a whole process: gradcli's `reverse --data`
(the default tables, or JSON with every sample) against numpy computing the same loss and gradient.

    python bench/data_rows.py make N FILE      # write the file (fixed seed, two classes)
    python bench/data_rows.py numpy FILE       # import numpy, read the file, the loss and its gradient
    gradcli reverse "$(python bench/data_rows.py loss)" --at b=0.1,w1=0.2,w2=0.3 --data FILE [--format json]

    farm-bench --vs 'python bench/data_rows.py numpy d.csv' -- gradcli reverse … --data d.csv

Both print the total loss, so the two can be compared.
"""

from __future__ import annotations

import sys

LOSS = "-(y*log(sigmoid(w1*x1+w2*x2+b)) + (1-y)*log(1-sigmoid(w1*x1+w2*x2+b)))"
AT = "b=0.1,w1=0.2,w2=0.3"


def make(n: int, path: str) -> None:
    import random

    rng = random.Random(n)
    with open(path, "w") as f:
        f.write("x1,x2,y\n")
        for k in range(n):
            y = k % 2
            f.write(f"{rng.gauss(2 * y - 1, 1):.3f},{rng.gauss(2 * y - 1, 1):.3f},{y}\n")


def with_numpy(path: str) -> None:
    import numpy as np

    x1, x2, y = np.loadtxt(path, delimiter=",", skiprows=1, unpack=True)
    b, w1, w2 = 0.1, 0.2, 0.3
    z = w1 * x1 + w2 * x2 + b
    loss = np.logaddexp(0, -z) * y + np.logaddexp(0, z) * (1 - y)  # the stable forms
    r = 1 / (1 + np.exp(-z)) - y  # ∂ℓ/∂z
    print(f"L = {float(loss.sum())!r}, ∇L = {[float(r.sum()), float((r * x1).sum()), float((r * x2).sum())]}")


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "loss":
        print(LOSS)
    elif what == "make":
        make(int(sys.argv[2]), sys.argv[3])
    else:
        with_numpy(sys.argv[2])
