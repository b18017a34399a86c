"""The engine against the plain tape (gradcli/engine/tape.py): the same values, tangents and adjoints.

The tape is the algorithm with nothing else in it; the engine computes the same sums over the graph's
columns, with stable forms and notes. Values and tangents are summed in the same order in both, so they
agree exactly (but where the engine used a stable form, which the tape does not know); adjoints are summed
in another order (the tape pushes each consumer's term as it is met, the engine sums a node's consumers
in graph order), so they agree to a few roundings of Σ|paths|.
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import load_cases
from gradcli.core.graph import graph_of
from gradcli.engine.tape import Tape
from gradcli.engine.trace import evaluate, run_forward, run_reverse
from gradcli.errors import MathError
from strategies import absolute_gradient, cases, points

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def _close(a: float, b: float, bound: float) -> bool:
    return _same(a, b) or abs(a - b) <= 1e-13 * max(bound, abs(a), abs(b))


def _draw(data):
    """A random program and point where every value and partial is finite and no stable form changed a value:
    the tape knows neither the stable forms nor the convention that 0·inf is 0 (tests/engine/test_trace.py)."""
    case = data.draw(cases())
    g = graph_of(case.text)
    point = data.draw(points(g.names))
    try:
        ev = evaluate(g, point)
        values, _ = Tape(g).values(point)
    except (MathError, ValueError, ZeroDivisionError, OverflowError):
        assume(False)
    assume(all(map(math.isfinite, ev.values)) and all(map(math.isfinite, ev.partials.flat)) and not ev.stable)
    return case, g, point, ev, values


@settings(max_examples=300, **SETTINGS)
@given(st.data())
def test_values_and_tangents_are_the_tapes_to_the_last_bit(data) -> None:
    case, g, point, ev, values = _draw(data)
    tape = Tape(g)
    for i, (a, b) in enumerate(zip(ev.values, values)):
        assert _same(a, b), (case.text, g.ids[i], a, b)
    trace = run_forward(g, point)
    for sweep in trace.sweeps:
        dot = tape.tangents(point, {sweep.label: 1.0})
        assert all(_same(a, b) for a, b in zip(sweep.tangents, dot)), (case.text, sweep.label)


@settings(max_examples=300, **SETTINGS)
@given(st.data())
def test_adjoints_are_the_tapes_to_a_few_roundings(data) -> None:
    case, g, point, _, _ = _draw(data)
    trace = run_reverse(g, point)
    bar = Tape(g).adjoints(point)
    bound = absolute_gradient(trace)
    for i, name in zip(g.inputs, g.names):
        assert _close(trace.adjoints[i], bar[i], bound[name]), (case.text, name, trace.adjoints[i], bar[i])


def test_the_tape_gives_every_worked_example_its_gradient() -> None:
    for case in load_cases():
        g = graph_of(case["program"] or case["expr"])
        point = {k: float(v) for k, v in case["point"].items()}
        values, _ = Tape(g).values(point)
        assert math.isclose(values[g.output], case["value"], rel_tol=1e-12, abs_tol=1e-12), case["id"]
        grad = dict(zip(g.names, Tape(g).gradient(point)))
        for name, want in case["gradient"].items():
            assert math.isclose(grad[name], want, rel_tol=1e-12, abs_tol=1e-12), (case["id"], name)


def test_a_chain_ten_thousand_steps_deep_needs_no_recursion() -> None:
    """Both loops walk the graph in order: a chain as deep as 10^4 steps is no deeper for them than 10."""
    lines = ["v0 = x*1.0001"] + [f"v{k} = v{k - 1}*0.9999 + 0.0001*sin(v{k - 1})" for k in range(1, 10_000)]
    g = graph_of("\n".join(lines))
    assert g.op_count >= 30_000
    point = {"x": 0.5}
    trace = run_reverse(g, point)
    tape = Tape(g)
    assert math.isclose(tape.gradient(point)[0], trace.gradient["x"], rel_tol=1e-12)
    assert tape.tangents(point, {"x": 1.0})[g.output] == run_forward(g, point).sweeps[0].tangents[g.output]


def test_held_constants_have_values_but_no_tangent_or_adjoint() -> None:
    g = graph_of("w*x + w**2", held=("x",))
    point = {"w": 3.0, "x": 2.0}
    tape = Tape(g)
    assert tape.gradient(point) == [2.0 + 6.0]
    (x,) = g.data
    assert tape.adjoints(point)[x] == 0.0 and tape.tangents(point, {"w": 1.0})[x] == 0.0
    assert tape.adjoints(point) == run_reverse(g, point).adjoints


def test_an_adjoint_sweep_from_another_node_is_that_nodes_gradient() -> None:
    """Seeded at a step short of the output (one row of a Jacobian), the sweep ignores what comes after."""
    g = graph_of("a = x*y\nb = sin(a)\nf = b + x")
    point = {"x": 0.5, "y": 2.0}
    a = g.ids.index("a")
    bar = Tape(g).adjoints(point, output=a)
    assert bar[g.inputs[0]] == 2.0 and bar[g.inputs[1]] == 0.5
    assert all(v == 0 for v in bar[a + 1:])
