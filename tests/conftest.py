"""Shared test helpers: run the CLI in-process, load the public cases, build sympy references."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from click.testing import CliRunner

from gradcli.cli import cli

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
