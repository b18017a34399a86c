"""Every op of the op table in every command and every format: a malformed entry fails here, not a user.

LaTeX is also compiled for every op (tests/render/test_latex.py); here each format is checked for what it
must hold: the op's node, its rule, its numbers, with no traceback and nothing left unprinted.
"""

from __future__ import annotations

import json
import math
import re

import pytest

from conftest import op_case, run
from gradcli.core.graph import graph_of
from gradcli.core.ops import OPS
from gradcli.core.rules import rules
from gradcli.core.printer import PLAIN

FORMATS = {"forward": ("table", "json", "markdown", "latex"), "reverse": ("table", "json", "markdown", "latex"),
           "graph": ("table", "json", "markdown", "latex", "dot")}


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_in_every_command_and_format(name: str) -> None:
    op = OPS[name]
    expr, at = op_case(op)
    node = next(i for i, n in enumerate(graph_of(expr).nodes) if n.op == name)
    for command, formats in FORMATS.items():
        for fmt in formats:
            args = [command, expr, "--at", at, "--format", fmt] + (["--wrt", graph_of(expr).names[0]]
                                                                    if command == "graph" else [])
            result = run(*args)
            assert result.exit_code == 0, (name, command, fmt, result.output)
            out = result.stdout
            assert "Traceback" not in out and "{0}" not in out and "{out}" not in out, (name, command, fmt)
            if fmt == "json":
                doc = json.loads(out)
                assert doc["nodes"][node]["op"] == name
                assert all(math.isfinite(v) for v in doc["gradient"].values())
            elif fmt == "dot":
                assert f"{graph_of(expr).nodes[node].id} = " in out
    # every rule of the op prints, and reads back as the same tree
    from gradcli.core.rules import parse_rule

    for rule in rules(name):
        assert parse_rule(PLAIN.text(rule)) == rule


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_symbolic_and_exact(name: str) -> None:
    op = OPS[name]
    expr, at = op_case(op)
    for command in ("forward", "reverse"):
        result = run(command, expr, "--at", at, "--symbolic", "--exact", "--format", "json")
        assert result.exit_code == 0, (name, command, result.output)
        doc = json.loads(result.stdout)
        assert set(doc["exact"]["gradient"]) == set(doc["gradient"]) and doc["symbolic"]["gradient"]


def test_a_variadic_op_prints_every_operand_whatever_was_printed_before() -> None:
    """The text of sum(...) depends on its number of operands: a long sum printed first must not cut a short one."""
    from gradcli.core.graph import graph_of

    long = graph_of("sum(a, b, c, d, u)")
    short = graph_of("sum(a, b)")
    assert long.expr(long.output) == "sum(c1, c2, c3, c4, c5)"
    assert short.expr(short.output) == "sum(c1, c2)"


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_symbolic_printout_reads_back_as_a_claim(name: str) -> None:
    """What --symbolic prints, ∂f/∂x = c3·c5 = exp(x1)·sin(x2)**2, typed back into check as a claim, in node ids
    and in the inputs, is proved: the printer writes only what the parser reads."""
    expr, at = op_case(OPS[name])
    result = run("reverse", expr, "--at", at, "--symbolic", width=400)
    assert result.exit_code == 0, result.output
    rows = [line.strip() for line in result.stdout.splitlines() if re.match(r"\s*∂\w+/∂\S+ = ", line)]
    forms = [row.split(" = ") for row in rows if len(row.split(" = ")) >= 3]
    assert forms, result.stdout
    bare = "=" not in expr  # a program keeps its names; node ids are claimed on a bare expression
    for parts in forms:
        wrt = parts[0].split("/∂", 1)[1]
        for claim in (parts[1:-1] if bare else parts[-2:-1]):
            checked = run("check", expr, "--wrt", wrt, "--claim", claim)
            assert checked.exit_code == 0, (name, wrt, claim, checked.output)
