"""Fuzzing every command with valid calls: programs built from the op table, points mostly inside the ops'
domains, and valid sets of each command's options (tests/cli_strategies.py), with a small share of one-character
mutations for the error paths.

For every call: the exit code is 0, 1, 2, 3 or 130; no traceback; the call ends within WALL_SECONDS; JSON output
parses and is valid against its schema; an exit 2 says what is wrong in a few lines. For the valid calls, few end
at exit 2 (a generator that mostly produced usage errors would never reach the paths that work), and check's
claims, the true derivative or a perturbed one, get the verdicts they must.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from cli_strategies import COMMANDS, GUARDS, FINITE_ONLY, WALL_SECONDS, Call, calls, programs, scalar_ops
from conftest import ROOT, TERMINAL_VARIABLES, clean_env
from gradcli import schemas
from gradcli.cli import cli
from gradcli.core.ops import OPS

SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck), print_blob=False, database=None)
EXITS = {0, 1, 2, 3, 130}
# examples per command in the default run: about 50 s in all, most of it check's and the other sympy calls
EXAMPLES = {"forward": 60, "reverse": 60, "graph": 50, "jacobian": 40, "hessian": 40, "check": 25,
            "gradcheck": 50, "descend": 50}
MAX_USAGE_ERRORS = 0.2  # the share of valid calls that may end at exit 2
FOLDER = Path(tempfile.mkdtemp(prefix="gradcli-fuzz-"))
REGISTRY = Registry().with_resources((i, Resource(s, DRAFT202012)) for i, s in schemas.load_all().items())
VALIDATORS = {c: Draft202012Validator(schemas.load(c), registry=REGISTRY) for c in COMMANDS}


def _short(x, limit: int = 400) -> str:
    text = repr(x)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text):,} characters)"


def invoke(call: Call):
    """Run the call in-process, as tests/conftest.py's run does, and time it."""
    env: dict[str, str | None] = {k: None for k in TERMINAL_VARIABLES}
    env.update({"COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb"})
    argv = call.argv(FOLDER)
    start = time.monotonic()
    result = CliRunner().invoke(cli, [call.command, *argv], input=call.input, catch_exceptions=True, env=env)
    return argv, result, time.monotonic() - start


def assert_sound(call: Call, argv: list[str], code: int, stdout: str, stderr: str, seconds: float) -> None:
    """What every call must do, valid or not."""
    where = f"gradcli {call.command} {_short(argv)}" + (f" < {_short(call.input)}" if call.input else "")
    assert code in EXITS, f"exit {code}: {where}: {_short(stderr[-600:])}"
    for name, text in (("stdout", stdout), ("stderr", stderr)):
        at = text.find("Traceback")
        assert at < 0, f"a traceback on {name}: {where}: {_short(text[at:at + 1500], 1500)}"
    assert seconds <= WALL_SECONDS, f"{seconds:.1f} s, over {WALL_SECONDS} s: {where}"
    if code == 2:
        shown = [line for line in stderr.splitlines() if line.strip()]
        messages = [line for line in shown if line.startswith(("error:", "Error:"))]
        # the message, and at most the input with a caret under it, or click's Usage and Try lines
        assert len(messages) == 1 and len(shown) <= 4, f"exit 2 in {len(shown)} lines: {where}: {_short(stderr)}"
    if call.fmt == "json" and code in (0, 1, 3) and stdout.strip():
        try:
            doc = json.loads(stdout)
        except ValueError as e:
            raise AssertionError(f"JSON that does not parse ({e}): {where}: {_short(stdout[:600])}") from None
        problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
                    for e in VALIDATORS[call.command].iter_errors(doc)]
        assert not problems, f"JSON not valid against {call.command}.schema.json: {where}: {problems[:3]}"
    elif call.fmt == "json" and code == 0:
        raise AssertionError(f"exit 0 and no JSON: {where}")
    if call.expect is not None:
        assert code in call.expect, f"exit {code}, expected one of {sorted(call.expect)}: {where}: " \
                                    f"{_short((stdout + stderr)[-800:], 800)}"


def run_checked(call: Call) -> int:
    argv, result, seconds = invoke(call)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        tb = "".join(traceback.format_exception(result.exception))[-1500:]
        raise AssertionError(f"gradcli {call.command} {_short(argv)} raised: {tb}")
    assert_sound(call, argv, result.exit_code, result.stdout, result.stderr, seconds)
    return result.exit_code


def fuzz(command: str, examples: int) -> None:
    valid: Counter = Counter()
    mutated: Counter = Counter()
    done = Counter()  # valid calls that did what they were asked: exit 0, or check's verdict expected of its claim

    @settings(max_examples=examples, **SETTINGS)
    @given(calls(command))
    def one(call: Call) -> None:
        code = run_checked(call)
        (mutated if call.mutated else valid)[code] += 1
        done[not call.mutated and (code == 0 or call.expect is not None and code in call.expect)] += 1

    one()
    print(f"{command}: exit codes of valid calls {dict(sorted(valid.items()))}, of mutated ones "
          f"{dict(sorted(mutated.items()))}")  # pytest -rP shows them
    total = sum(valid.values())
    assert total >= examples // 2
    assert valid[2] <= MAX_USAGE_ERRORS * total, f"{command}: {valid[2]} of {total} valid calls ended at exit 2"
    assert done[True] >= 0.6 * total, f"{command}: only {done[True]} of {total} valid calls succeeded: {dict(valid)}"


@pytest.mark.parametrize("command", COMMANDS)
def test_valid_calls_of_every_command_work(command: str) -> None:
    fuzz(command, EXAMPLES[command])


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
def test_valid_calls_of_every_command_thoroughly(command: str) -> None:
    fuzz(command, 20 * EXAMPLES[command])


def test_the_generator_knows_every_op_of_the_op_table() -> None:
    """A new op with a restricted domain needs a guard here, or most of its generated points would be errors."""
    ops = set(scalar_ops())
    assert {"add", "mul", "pow", "neg", "softmax", "logsumexp", "eq"} <= ops
    for name in ops:
        if OPS[name].domain and name not in FINITE_ONLY:
            assert name in GUARDS, f"op {name!r} has a domain ({OPS[name].domain!r}): give it a guard in GUARDS"


@settings(max_examples=40, **SETTINGS)
@given(programs())
def test_each_generated_program_uses_the_ops_it_was_built_from(prog) -> None:
    """The program and its one expression read the same inputs: gradcli's graph of each says so."""
    from gradcli.core.graph import graph_of

    assert list(graph_of(prog.text()).names) == prog.inputs
    assert list(graph_of(prog.inline()).names) == prog.inputs


SUBPROCESS_EXAMPLES = 10


def test_a_sample_in_a_subprocess_matches_the_in_process_run() -> None:
    """The same calls through python -m gradcli: the same exit codes, and the same invariants."""
    seen = []

    @settings(max_examples=SUBPROCESS_EXAMPLES, **SETTINGS)
    @given(st.sampled_from(COMMANDS).flatmap(lambda c: calls(c, mutations=False)))
    def one(call: Call) -> None:
        if call.heavy:
            return  # sympy's calls are slow to start in a process of their own; in-process they are covered
        code = run_checked(call)
        argv = call.argv(FOLDER)
        start = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "gradcli", call.command, *argv], input=call.input,
                              capture_output=True, text=True, encoding="utf-8", cwd=ROOT, timeout=WALL_SECONDS * 2,
                              env=clean_env(COLUMNS="80", NO_COLOR="1", PYTHONIOENCODING="utf-8"))
        assert_sound(call, argv, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)
        assert proc.returncode == code, f"exit {proc.returncode} in a process, {code} in-process: {_short(argv)}"
        seen.append(code)

    one()
    assert len(seen) >= 3


# --- what the fuzzing found ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("args,column", [
    (["x*y, x*y"], 5),  # one node listed twice: the JSON had "outputs": ["c3", "c3"] and one row of the Jacobian
    (["a = x*y; a, a"], 12),
    (["y = [x, x]"], 1),
    (["a = x*y; b = x + y; b", "--output", "a,a"], 3),
])
def test_an_output_listed_twice_is_a_usage_error_with_a_caret(args: list[str], column: int) -> None:
    from conftest import run

    at = ["--at", "1"] if "[x, x]" in args[0] else ["--at", "1,2"]
    r = run("jacobian", *args, *at, "--format", "json")
    assert r.exit_code == 2 and r.stdout == ""
    assert "list each output once" in r.stderr and f"(at column {column})" in r.stderr
    shown, carets = r.stderr.splitlines()[:2]
    source = args[-1] if "--output" in args else args[0]
    assert carets.index("^") == shown.index(source) + column - 1  # under the second listing


def test_the_same_value_under_two_names_is_two_outputs() -> None:
    from conftest import run_json

    doc = run_json("jacobian", "a = x*y; b = a; a, b", "--at", "1,2")
    assert doc["outputs"] == ["a", "b"] and doc["jacobian"]["a"] == doc["jacobian"]["b"] == {"x": 2.0, "y": 1.0}
