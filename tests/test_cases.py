"""Every worked example of shared/cases/public.json, through the CLI, in forward and reverse mode."""

from __future__ import annotations

import pytest

from conftest import close, load_cases, run_json

CASES = load_cases()


def _source(case: dict) -> str:
    return case["expr"] if case["expr"] is not None else case["program"]


def _at(case: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in case["point"].items())


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict, mode: str) -> None:
    out = run_json(mode, _source(case), "--at", _at(case))
    assert close(out["value"], case["value"]), (out["value"], case["value"])
    assert set(out["gradient"]) == set(case["gradient"])
    for name, expected in case["gradient"].items():
        assert close(out["gradient"][name], expected), (name, out["gradient"][name], expected)
    if case.get("op_nodes") is not None:
        assert out["op_nodes"] == case["op_nodes"]
        assert sum(1 for n in out["nodes"] if n["op"] != "input") == case["op_nodes"]
    assert out["warnings"] == []


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_positional_point_matches_named(case: dict) -> None:
    named = run_json("reverse", _source(case), "--at", _at(case))
    positional = ",".join(str(case["point"][n]) for n in named["inputs"])
    assert run_json("reverse", _source(case), "--at", positional)["gradient"] == named["gradient"]


def test_textbook_program_keeps_its_names() -> None:
    case = next(c for c in CASES if c["id"] == "nested-exp-sin-program")
    out = run_json("reverse", case["program"], "--at", _at(case))
    assert [n["id"] for n in out["nodes"]] == ["x", "f1", "f2", "f3", "f4", "f5", "y"]
    assert out["output"] == "y"


def test_expression_and_program_forms_are_the_same_graph() -> None:
    expr = run_json("graph", "exp(exp(x) + exp(x)**2) + sin(exp(x) + exp(x)**2)")
    prog = run_json("graph", "f1 = exp(x); f2 = f1**2; f3 = f1 + f2; f4 = exp(f3); f5 = sin(f3); y = f4 + f5")
    ids = {a["id"]: b["id"] for a, b in zip(expr["nodes"], prog["nodes"])}
    shape = [(n["op"], [ids[a] for a in n["args"]]) for n in expr["nodes"]]
    assert shape == [(n["op"], n["args"]) for n in prog["nodes"]]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_exact_gradient_with_sympy(case: dict) -> None:
    from gradcli.exact.exact import gradient
    from gradcli.core.graph import graph_of

    exact = gradient(graph_of(_source(case)), {k: float(v) for k, v in case["point"].items()})
    for name, expected in case["gradient"].items():
        assert close(exact[name], expected), (name, exact[name], expected)
