"""Fuzzing the parser and the CLI: whatever a user types is a parse or a clean error, and is never executed.

The default run tries about a thousand inputs; `pytest -m slow` tries more than ten thousand.
"""

from __future__ import annotations

import builtins
import contextlib
from unittest import mock

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradcli.cli import cli
from gradcli.errors import GradcliError, GradcliSyntaxError
from gradcli.core.graph import graph_of

# print_blob off and short assertion messages: a failing generated case is reported in a few lines, not its output
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=False)


def _short(x, limit: int = 300) -> str:
    text = repr(x)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text):,} characters)"

# pieces of the language and pieces that are not, for near-valid inputs that reach deep into the parser
PIECES = ["x", "y1", "θ", "e", "pi", "exp", "log", "sigmoid", "pow", "relu", "2", ".5", "1e-3", "1e999", "0",
          "+", "-", "*", "/", "**", "^", "(", ")", ",", "=", ";", "\n", " ", "#", "x = ", "f(", "__import__",
          "'", '"', ".", "[", "]", "{", "}", "lambda", ":", "×", "²", "\\", "\\\n", "\t", "\x00", "𝑥", "é", "--"]


@contextlib.contextmanager
def nothing_is_executed():
    """eval, exec, compile and sympy's parsers all fail while user text is handled."""

    def refuse(*args, **kwargs):
        raise AssertionError("user text reached a Python or sympy evaluator")

    import sympy
    import sympy.parsing.sympy_parser as parser

    with mock.patch.object(builtins, "eval", refuse), mock.patch.object(builtins, "exec", refuse), \
            mock.patch.object(builtins, "compile", refuse), mock.patch.object(sympy, "sympify", refuse), \
            mock.patch.object(parser, "parse_expr", refuse):
        yield


def _warm_up() -> None:
    """Run every command and format once, so the modules they import lazily (gradcli's renderers,
    rich's unicode tables) are loaded before eval, exec and compile are taken away: importing a
    module executes it."""
    for command in ("reverse", "forward", "graph"):
        for fmt in ("table", "json", "markdown", "latex", "dot", "mermaid", "svg"):
            if fmt in ("dot", "mermaid", "svg") and command != "graph":
                continue
            CliRunner().invoke(cli, [command, "exp(x)*θ + ×", "--at", "1,2", "--format", fmt])
            CliRunner().invoke(cli, [command, "exp(x)*θ + abs(x)", "--at", "0,2", "--format", fmt])
        for args in (["--", "--at", "1"], ["exq(x)", "--at", "1"], ["--bogus"], [], ["x", "--at", "q"]):
            CliRunner().invoke(cli, [command, *args])


_warm_up()


def parse_or_clean_error(text: str) -> None:
    with nothing_is_executed():
        try:
            graph_of(text)
        except GradcliSyntaxError as e:
            shown = e.render()
            assert "^" in shown and shown.splitlines()[-1].startswith("error: ")
            assert 1 <= e.column and 1 <= e.line
        except GradcliError as e:  # a constant that is undefined: log(-1)
            assert e.render()


near_valid = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)
anything = st.one_of(st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("utf-8", "replace")))


@settings(max_examples=400, **SETTINGS)
@given(anything)
def test_random_text_parses_or_fails_cleanly(text: str) -> None:
    parse_or_clean_error(text)


@settings(max_examples=400, **SETTINGS)
@given(near_valid)
def test_near_valid_text_parses_or_fails_cleanly(text: str) -> None:
    parse_or_clean_error(text)


def run_cli(args: list[str]):
    result = CliRunner().invoke(cli, args, catch_exceptions=True, env={"NO_COLOR": "1"})
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"{_short(args)}: {_short(result.exception)}"
    code, output = result.exit_code, result.output
    assert code in (0, 1, 2), f"exit {code}: {_short(args)}: {_short(output[-1000:])}"
    traceback = "Traceback" in output
    assert not traceback, f"a traceback: {_short(args)}: {_short(output[output.find('Traceback'):][:1000])}"


@settings(max_examples=200, **SETTINGS)
@given(near_valid, st.sampled_from(["reverse", "forward", "graph"]),
       st.sampled_from(["1", "0,2", "x=1", "-1", "", "pi/4,e", "1,,", "x=", "log(-1)"]),
       st.sampled_from(["table", "json", "markdown", "latex"]))
def test_the_cli_never_shows_a_traceback(text: str, command: str, at: str, fmt: str) -> None:
    with nothing_is_executed():
        run_cli([command, text, "--at", at, "--format", fmt])


ADVERSARIAL = [
    "1" * 10_000, "1" * 10_000 + "*x", "0." + "0" * 10_000 + "1*x", "1e999*x", "1e-999*x", "x**1e999",
    "__import__('os').system('echo hacked')", "exec('import os')", "eval('1')", "compile('1','','eval')",
    "().__class__.__bases__[0].__subclasses__()", "x.__class__", "lambda: 0", "[x for x in y]", "{1: 2}",
    "f(x=1)", "log(x, base=2)", "'" * 1000, "(" * 100_000, ")" * 100_000, "x" + "+" * 100_000,
    "sin(" * 50_000, "x = " * 10_000, ";" * 100_000, "\n" * 100_000, "#" * 100_000, "\x00" * 1000,
    "x" * 1_000_000, "𝑥" * 10_000, "é = x; y = é*2", "\ufeffx", "x\u2028y", "x\r\ny", "a = b; b = a",
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_adversarial_inputs(text: str) -> None:
    parse_or_clean_error(text)


@pytest.mark.slow
@settings(max_examples=5000, **SETTINGS)
@given(anything)
def test_random_text_thoroughly(text: str) -> None:
    parse_or_clean_error(text)


@pytest.mark.slow
@settings(max_examples=5000, **SETTINGS)
@given(near_valid)
def test_near_valid_text_thoroughly(text: str) -> None:
    parse_or_clean_error(text)


@pytest.mark.slow
@settings(max_examples=1000, **SETTINGS)
@given(near_valid, st.sampled_from(["reverse", "forward", "graph"]), st.sampled_from(["1", "0,2", "x=1", "-1"]),
       st.sampled_from(["table", "json", "markdown", "latex", "dot", "mermaid", "svg"]))
def test_the_cli_thoroughly(text: str, command: str, at: str, fmt: str) -> None:
    if fmt in ("dot", "mermaid", "svg") and command != "graph":
        fmt = "json"
    with nothing_is_executed():
        run_cli([command, text, "--at", at, "--format", fmt])
