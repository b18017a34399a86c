"""Write logistic20.csv: 20 points in the plane, 10 of class 0 around (-1, -1) and 10 of class 1 around (1, 1),
each coordinate drawn from a normal distribution with standard deviation 1 and rounded to 3 decimals.

The data of a logistic-regression exercise ("generate 20 points of two classes and minimise the logistic
loss"); Python's random module with a fixed seed makes the same file on every machine:

    python examples/make_logistic20.py > examples/logistic20.csv
"""

from __future__ import annotations

import random

SEED = 8


def table() -> str:
    rng = random.Random(SEED)
    lines = ["x1,x2,y"]
    for k in range(20):
        y = k % 2
        centre = 1.0 if y else -1.0
        x1, x2 = (round(rng.gauss(centre, 1.0), 3) for _ in range(2))
        lines.append(f"{x1},{x2},{y}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(table(), end="")
