"""Properties of the graph and the sweeps that hold for every program (hypothesis)."""

from __future__ import annotations

import math
import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import run_json
from gradcli.errors import MathError
from gradcli.core.graph import constant_value, graph_of
from gradcli.core.parse import parse_expression
from gradcli.core.printer import PLAIN
from gradcli.render.document import adjoint_row, evaluation_row, tangent_row
from gradcli.engine.trace import run_forward, run_reverse
from strategies import absolute_gradient, cases, points

SETTINGS = dict(max_examples=150, deadline=None, print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def traced(case, data, **build):
    g = graph_of(case.text, **build)
    point = data.draw(points(g.names))
    try:
        return g, point, run_reverse(g, point), run_forward(g, point)
    except MathError:
        assume(False)


@settings(**SETTINGS)
@given(cases(), st.data())
def test_node_order_is_topological_and_inputs_come_first(case, data) -> None:
    g = graph_of(case.text)
    assert list(g.inputs) == list(range(len(g.names)))
    for i, node in enumerate(g.nodes):
        assert all(a < i for a in node.args if isinstance(a, int))
        assert (node.op == "input") == (i < len(g.names))
    assert len({n.id for n in g.nodes}) == len(g.nodes)


@settings(**SETTINGS)
@given(cases(), st.data())
def test_sharing_never_changes_a_value_or_a_derivative(case, data) -> None:
    g, point, rev, fwd = traced(case, data)
    tree = graph_of(case.text, share=False)
    assert tree.op_count >= g.op_count
    t_rev, t_fwd = run_reverse(tree, point), run_forward(tree, point)
    assert t_rev.value == rev.value or (math.isnan(t_rev.value) and math.isnan(rev.value))
    bound = absolute_gradient(rev)
    for n in g.names:
        # the same products, summed in another order: equal up to rounding of the sum
        for a, b in ((rev.gradient[n], t_rev.gradient[n]), (fwd.gradient[n], t_fwd.gradient[n])):
            assert a == b or abs(a - b) <= 1e-13 * bound[n] + 1e-300 or (math.isnan(a) and math.isnan(b))


@settings(**SETTINGS)
@given(cases(), st.data())
def test_renaming_inputs_never_changes_a_number(case, data) -> None:
    g, point, rev, fwd = traced(case, data)
    fresh = {n: f"q{k}_{n}" for k, n in enumerate(g.names)}
    text = case.text
    for old, new in fresh.items():
        text = re.sub(rf"(?<![\w.]){re.escape(old)}(?!\w)", new, text)
    h = graph_of(text)
    moved = {fresh[n]: v for n, v in point.items()}
    r2, f2 = run_reverse(h, moved), run_forward(h, moved)
    same = lambda a, b: a == b or (math.isnan(a) and math.isnan(b))  # noqa: E731
    assert same(r2.value, rev.value)
    for n in g.names:
        assert same(r2.gradient[fresh[n]], rev.gradient[n]) and same(f2.gradient[fresh[n]], fwd.gradient[n])


def _recompute_tree(numbers) -> float:
    """A row's numbers, evaluated as the tree it prints, each number as printed (its shortest repr)."""
    from gradcli.core.expr import NAME, transform
    from gradcli.core.ops import CONSTANTS, ieee

    def leaf(x):
        return CONSTANTS[x.leaf] if x.op == NAME else float(repr(x.leaf[0]))

    return transform(numbers, leaf, lambda x, args: args[0] if x.op in ("group", "copy") else ieee(x.op)(*args))


def _recompute(numbers: str) -> float:
    """The numbers column of a row, evaluated by gradcli's own parser: a·b + c·d in printed order."""
    return constant_value(parse_expression(numbers), numbers)


@settings(**SETTINGS)
@given(cases(), st.data())
def test_every_printed_row_adds_up_to_its_printed_value(case, data) -> None:
    """c̄1 = c̄3·exp(c1) + c̄4·2·c1 = 64·1 + 48·0 = 64: the numbers, summed as printed, give the value."""
    g, point, rev, fwd = traced(case, data)
    assume(not rev.warnings and not fwd.warnings)  # non-finite numbers and 0·inf have their own tests
    rows = [adjoint_row(rev, j) for j in range(len(g.nodes))]
    rows += [tangent_row(fwd, s, i) for s in fwd.sweeps for i in range(len(g.nodes))]
    rows += [evaluation_row(rev, i) for i in range(len(g.nodes))]
    for row in rows:
        if row.note or row.numbers is None or row.stable is not None:
            continue  # a value computed from a stable form is not the numbers as printed: the row says so
        numbers, value = PLAIN.text(row.numbers), PLAIN.text(row.value)
        if "inf" in numbers or "nan" in numbers:
            continue
        # as the row groups them: each local partial (its operands' values put in) first, then the product
        assert _recompute_tree(row.numbers) == float(value), (case.text, numbers, value)


def test_no_share_is_the_tree_form() -> None:
    expr = "exp(exp(x) + exp(x)**2) + sin(exp(x) + exp(x)**2)"
    shared, tree = run_json("graph", expr, "--at", "0.5"), run_json("graph", expr, "--at", "0.5", "--no-share")
    assert shared["op_nodes"] == 6 and tree["op_nodes"] == 11
    assert [n["expr"] for n in tree["nodes"]].count("exp(c1)") == 4
    assert tree["value"] == shared["value"]
    a = run_json("reverse", expr, "--at", "0.5", "--no-share")["gradient"]["x"]
    b = run_json("reverse", expr, "--at", "0.5")["gradient"]["x"]
    assert math.isclose(a, b, rel_tol=1e-14)
    # a program's named steps are shared even so: the user named them
    prog = "f1 = exp(x); f2 = f1**2; f3 = f1 + f2; y = exp(f3) + sin(f3)"
    assert run_json("graph", prog, "--no-share")["op_nodes"] == 6


def test_the_printed_order_of_a_sum_is_the_order_it_was_computed_in() -> None:
    """Three terms whose sum depends on the order: (1 + 1e16) - 1e16 is 0, 1 + (1e16 - 1e16) is 1."""
    g = graph_of("x*1 + (x*1e16 + x*(-1e16))")
    t = run_reverse(g, {"x": 1.0})
    row = adjoint_row(t, 0)
    numbers = PLAIN.text(row.numbers)
    assert numbers == "1 + 1*1e+16 + 1*(-1e+16)"
    assert _recompute(numbers) == float(PLAIN.text(row.value)) == t.gradient["x"] == 0.0
    # forward mode groups the same terms per node, (1e16 - 1e16) first, and is exact here: the two modes
    # agree to within the sum of |path products| (2e16), as the differential tests check
    assert run_forward(g, {"x": 1.0}).gradient["x"] == 1.0
