"""Shared test helpers: run the CLI in-process, load the public cases, build sympy references, an expression
and a point for each op, Graphviz's dot."""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcli.cli import cli
from gradcli.core.ops import BINARY, Op
from gradcli.core.rules import partial

ROOT = Path(__file__).resolve().parent.parent
# the shared worked examples when the project's shared folder sits beside the repo; else the copy in tests/
SHARED_CASES = ROOT.parent / "shared" / "cases" / "public.json"
CASES_FILE = SHARED_CASES if SHARED_CASES.exists() else Path(__file__).resolve().parent / "cases" / "public.json"
WIDTH = 80


def load_cases() -> list[dict]:
    cases = json.loads(CASES_FILE.read_text())
    assert len(cases) >= 8, f"too few cases in {CASES_FILE}"
    return cases


# what the terminal tells a program; the tests set each of these themselves
TERMINAL_VARIABLES = ("COLUMNS", "LINES", "FORCE_COLOR", "NO_COLOR", "TERM", "PYTHONIOENCODING", "COLORTERM",
                      "TTY_COMPATIBLE", "TTY_INTERACTIVE")


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a gradcli subprocess: the caller's, without its terminal settings, with this
    checkout first on the import path."""
    env = {k: v for k, v in os.environ.items() if k not in TERMINAL_VARIABLES}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def run(*args: str, input: str | None = None, width: int = WIDTH):
    """Invoke gradcli in-process with a fixed width and no colour, whatever the caller's terminal."""
    runner = CliRunner()
    env: dict[str, str | None] = {k: None for k in TERMINAL_VARIABLES}
    env.update({"COLUMNS": str(width), "NO_COLOR": "1", "TERM": "dumb"})
    return runner.invoke(cli, list(args), input=input, catch_exceptions=False, env=env)


def run_json(*args: str) -> dict:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def lines(text: str) -> str:
    """Output with trailing spaces removed, for comparing whole tables."""
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def close(a: float, b: float, rel: float = 1e-9, abs_: float = 1e-12) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


# --- every op of the op table: an expression and a point (tests/core/test_every_op.py, tests/render/test_latex.py)

OPERATORS = {op: sym for sym, op in reversed(list(BINARY.items()))}  # add: +, pow: ** (not ^)
CANDIDATES = [(0.5, 1.5), (1.5, 2.5), (0.3, 0.7), (2.0, 3.0), (-0.5, 2.0)]


def op_case(op: Op) -> tuple[str, str]:
    """An expression using the op, and a point inside its domain where its value and partials are finite."""
    if op.name == "softmax":
        expr = "softmax(2, x, y, x*y)"
    elif op.names and op.arity < 0:
        expr = f"{op.names[0]}(x, y, x*y)"
    elif op.names:
        expr = f"{op.names[0]}({', '.join('xy'[:op.arity])})"
    elif op.name in OPERATORS:
        expr = f"x {OPERATORS[op.name]} y"
    elif op.name == "neg":
        expr = "-x"
    elif op.name == "copy":
        expr = "v = sin(x); w = v"
    else:
        pytest.fail(f"op {op.name!r} has no call name and no written form this test knows: add one here")
    for point in CANDIDATES:
        if op.arity < 0:  # x, y: the inputs of the three-operand expression above
            x, y = point
            args = (2.0, x, y, x * y) if op.name == "softmax" else (x, y, x * y)
            z = op.value(*args)
            if math.isfinite(z) and len({x, y, x * y}) == 3:
                return expr, f"{x},{y}"
            continue
        args = point[:op.arity]
        try:
            z = op.value(*args)
            partials = [partial(op.name, k, args, z) for k in range(op.arity)]
        except (ValueError, ZeroDivisionError):
            continue
        if all(math.isfinite(v) for v in [z, *partials]):
            return expr, ",".join(map(str, args if op.name != "copy" else args[:1]))
    pytest.fail(f"no candidate point lies in the domain of {op.name}")


# --- Graphviz's dot (tests/render/test_dot.py, tests/test_notebook.py)

def _dot() -> str | None:
    path = shutil.which("dot")
    if path is None and os.environ.get("GRADCLI_REQUIRE_DOT"):
        pytest.fail("Graphviz 'dot' is required here (GRADCLI_REQUIRE_DOT is set) but is not installed")
    return path
