"""The graph: sharing, order, names and ids, as DESIGN.md §3 says."""

from __future__ import annotations

import pytest

from gradcli.errors import GradcliSyntaxError, MathError
from gradcli.core.graph import graph_of, natural_key


def table(g) -> list[tuple[str, str]]:
    return [(n.id, g.expr(i)) for i, n in enumerate(g.nodes)]


def test_seed_example_graph() -> None:
    g = graph_of("exp(x1)*(x1**2+x2**2)**3")
    assert table(g) == [("c1", "x1"), ("c2", "x2"), ("c3", "exp(c1)"), ("c4", "c1**2"), ("c5", "c2**2"),
                        ("c6", "c4 + c5"), ("c7", "c6**3"), ("c8", "c3*c7")]
    assert g.op_count == 6 and g.nodes[g.output].id == "c8"


def test_identical_subexpressions_are_one_node() -> None:
    g = graph_of("exp(exp(x) + exp(x)**2) + sin(exp(x) + exp(x)**2)")
    assert table(g) == [("c1", "x"), ("c2", "exp(c1)"), ("c3", "c2**2"), ("c4", "c2 + c3"), ("c5", "exp(c4)"),
                        ("c6", "sin(c4)"), ("c7", "c5 + c6")]


def test_sharing_is_by_structure_not_by_commutativity() -> None:
    assert graph_of("x*y + y*x").op_count == 3
    assert graph_of("x*y + x*y").op_count == 2


def test_inputs_come_first_in_natural_order() -> None:
    g = graph_of("x10 + x2*x1 + b")
    assert g.names == ("b", "x1", "x2", "x10")
    assert [g.expr(i) for i in range(4)] == ["b", "x1", "x2", "x10"]
    assert sorted(["x10", "x2", "x1"], key=natural_key) == ["x1", "x2", "x10"]


def test_order_is_topological_and_evaluation_order_as_written() -> None:
    g = graph_of("sin(x)*cos(y) + exp(x)")
    for i, node in enumerate(g.nodes):
        assert all(a < i for a in node.args if isinstance(a, int))
    assert [g.expr(i) for i in range(2, len(g.nodes))] == ["sin(c1)", "cos(c2)", "c3*c4", "exp(c1)", "c5 + c6"]


def test_constants_are_inline_and_folded() -> None:
    g = graph_of("2*pi*x + x**(1/2) + (1+2)*x")
    exprs = [g.expr(i) for i in range(len(g.nodes))]
    assert "(2*pi)*c1" in exprs and "c1**(1/2)" in exprs and "(1 + 2)*c1" in exprs
    assert g.op_count == 5


def test_program_keeps_names_and_numbers_unnamed_nodes_without_clashes() -> None:
    g = graph_of("c1 = x*2; c3 = c1 + 1; y = sin(c3) * exp(c1)")
    ids = [n.id for n in g.nodes]
    assert ids[:3] == ["x", "c1", "c3"]
    assert len(set(ids)) == len(ids)
    assert g.nodes[g.output].id == "y"
    fresh = [i for i in ids if i not in ("x", "c1", "c3", "y")]
    assert fresh and all(i not in ("c1", "c3") for i in fresh)


def test_rename_steps() -> None:
    g = graph_of("v_1 = x1; v0 = x2; v1 = log(v_1); v2 = v_1*v0; v3 = sin(v0); v4 = v1 + v2; v5 = v4 - v3; y = v5")
    assert table(g) == [("v_1", "x1"), ("v0", "x2"), ("v1", "log(v_1)"), ("v2", "v_1*v0"), ("v3", "sin(v0)"),
                        ("v4", "v1 + v2"), ("v5", "v4 - v3"), ("y", "v5")]
    assert g.nodes[-1].op == "copy"


def test_names_may_be_e_pi_and_ids() -> None:
    g = graph_of("e = x + 1; pi = e*2; y = pi + e")
    assert [n.id for n in g.nodes] == ["x", "e", "pi", "y"]


def test_named_constants() -> None:
    g = graph_of("lr = 0.1; y = lr*x")
    assert g.constants == (("lr", 0.1),)
    assert g.expr(g.output) == "lr*x"


def test_prefix() -> None:
    assert [n.id for n in graph_of("exp(x)*y", prefix="v").nodes] == ["v1", "v2", "v3", "v4"]


def test_input_names_that_look_like_ids_are_kept() -> None:
    g = graph_of("c2*c10 + exp(c2)")
    ids = [n.id for n in g.nodes]
    assert ids[:2] == ["c2", "c10"] and len(set(ids)) == len(ids)


def test_unused_steps_are_reported() -> None:
    g = graph_of("a = sin(x); y = x*2")
    assert any("step a" in n for n in g.notes)


@pytest.mark.parametrize("text,says", [
    ("a = x; a = a + 1", "already assigned"),
    ("y = a*2; a = x", "already read"),
    ("x = x + 1", "already read"),
    ("exp = x", "is a function"),
    ("a = x + 1; a*2; y = a", "only the last step"),
    ("y = 2*pi", "constant"),
    ("3", "constant"),
])
def test_program_errors(text: str, says: str) -> None:
    with pytest.raises(GradcliSyntaxError) as info:
        graph_of(text)
    assert says in info.value.message


def test_undefined_constant_is_a_math_error() -> None:
    with pytest.raises(MathError):
        graph_of("x*log(-1)")


def test_bad_prefix() -> None:
    with pytest.raises(GradcliSyntaxError):
        graph_of("x", prefix="1c")
