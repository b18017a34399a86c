"""--as-written: each named step of a program is one node, as the student wrote it, with local partials
derived from its body. The numbers are those of the default graph, which splits the steps into ops."""

from __future__ import annotations

import pytest

from conftest import close, run, run_json
from gradcli import api
from gradcli.core.graph import graph_of
from gradcli.core.printer import PLAIN

MFML = "c1 = x1; c2 = x2; c3 = exp(c1); c4 = c1**2 + c2**2; c5 = c4**3; c6 = c3*c5; f = c6"
LOGISTIC = "z = w1*x1 + w2*x2 + b; a = 1/(1 + exp(-z)); L = -(y*log(a) + (1 - y)*log(1 - a))"


def test_the_sheets_graph_has_exactly_the_students_nodes_and_names() -> None:
    g = graph_of(MFML, as_written=True)
    assert list(g.ids) == ["c1", "c2", "c3", "c4", "c5", "c6", "f"]
    c4 = g.ids.index("c4")
    assert [g.ids[a] for a in g.nodes[c4].args] == ["c1", "c2"]
    assert g.expr(c4) == "c1**2 + c2**2"
    assert [PLAIN.text(g.rule(c4, k)) for k in range(2)] == ["2*c1", "2*c2"]
    # the default graph splits the step: two more nodes, with ids gradcli makes up
    assert len(graph_of(MFML).ids) == 9


def test_the_tables_carry_the_students_cells() -> None:
    out = run("reverse", MFML, "--at", "0,2", "--as-written").output
    flat = [" ".join(line.split()) for line in out.splitlines()]
    assert "c4 = c1**2 + c2**2 = 0**2 + 2**2 = 4" in flat
    assert "c̄2 = c̄4·2·c2 = 48·2·2 = 192" in flat
    assert "c̄1 = c̄3·c3 + c̄4·2·c1 = 64·1 + 48·2·0 = 64" in flat
    assert "warning" not in out  # c1**2 at c1 = 0 has no kink: the exponent is a constant


@pytest.mark.parametrize("source, at", [
    (MFML, "0,2"),
    (MFML, "0.3,-1.7"),
    (LOGISTIC, "b=0.1,w1=0.5,w2=-1,x1=1,x2=2,y=1"),
    ("u = sin(x)*cos(y) + x*y; v = u**2 - exp(u/3); f = v*u + sqrt(x**2 + 1)", "x=0.4,y=1.3"),
])
def test_the_numbers_are_those_of_the_default_graph(source: str, at: str) -> None:
    for command in ("reverse", "forward"):
        mine = run_json(command, source, "--at", at, "--as-written")
        theirs = run_json(command, source, "--at", at)
        assert close(mine["value"], theirs["value"], rel=1e-15)
        assert all(close(mine["gradient"][n], theirs["gradient"][n], rel=1e-13, abs_=1e-15) for n in theirs["gradient"])
    h_mine = run_json("hessian", source, "--at", at, "--as-written")["hessian"]
    h_theirs = run_json("hessian", source, "--at", at)["hessian"]
    for r in h_theirs:
        for c in h_theirs[r]:
            assert close(h_mine[r][c], h_theirs[r][c], rel=1e-11, abs_=1e-12), (r, c)


def test_exact_and_check_reach_the_steps() -> None:
    doc = run_json("reverse", MFML, "--at", "0,2", "--as-written", "--exact")
    assert doc["exact"]["gradient"] == {"x1": "64", "x2": "192"}
    assert run_json("check", MFML, "--as-written", "--wrt", "c4", "--claim", "3*c4**2*c3")["verdict"] == "proved"


def test_json_calls_a_step_kept_as_written_a_step() -> None:
    doc = run_json("reverse", MFML, "--at", "0,2", "--as-written")
    node = next(n for n in doc["nodes"] if n["id"] == "c4")
    assert node == {"id": "c4", "op": "step", "args": ["c1", "c2"], "expr": "c1**2 + c2**2", "value": 4.0}


def test_the_python_api_takes_as_written() -> None:
    r = api.reverse(MFML, "0,2", as_written=True)
    assert r.gradient == {"x1": 64.0, "x2": 192.0}
    assert "c4 = c1**2 + c2**2" in str(r)


def test_a_step_of_one_op_and_a_step_of_arrays_are_built_as_usual() -> None:
    g = graph_of("h = W @ x; L = sum(h)", as_written=True, shapes={"W": (2, 2), "x": (2, 1)})
    assert all(n.op != "step" for n in g.nodes)
    g = graph_of("c3 = exp(x); f = c3**2", as_written=True)
    assert [n.op for n in g.nodes] == ["input", "exp", "pow"]
