"""Differential tests: forward == reverse == sympy's exact derivative, on random programs over the op table.

Forward and reverse mode must always agree to 1e-13 of the sum of |path products| (they multiply
the same partials; only the order of the sums differs). Against sympy's exact derivative:

- well-conditioned examples must agree to 1e-12 relative: values and local partials below 1e6,
  a gradient that does not move by more than 1e-13 when every intermediate value is nudged by a
  few ulps (strategies.rounding_insensitive), and at most one digit lost to cancellation (the
  gradient is at least a tenth of the sum of |path products|);
- with more cancellation than that, they must agree to 1e-12 of the sum of |path products|;
- where a value or the rounding of one makes the exact derivative unreachable in floating point
  (sin(1e106), log(exp(1e-109))), only forward against reverse is checked.

`pytest --hypothesis-show-statistics` shows how many examples fell in each class.

The default run draws a few hundred examples; `pytest -m slow` draws 5,000.
"""

from __future__ import annotations

import math
import random
import sys

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from gradcli.errors import MathError
from gradcli.core.graph import graph_of
from gradcli.engine.trace import run_forward, run_reverse
from strategies import (SympyTooSlow, absolute_gradient, cases, exact_gradient, path_bound, perturbed_gradient,
                        points, rounding_insensitive, sane, well_conditioned)

# print_blob off and every assertion message a short string of floats: a failing case's report stays a few lines
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
                print_blob=False)


def _case(case, point) -> str:
    """A generated case in one short line, for an assertion's message."""
    text = case.text if len(case.text) <= 300 else case.text[:300] + "…"
    return f"{text} at {', '.join(f'{n}={v!r}' for n, v in point.items())}"


def check(case, data) -> None:
    g = graph_of(case.text)
    point = data.draw(points(g.names))
    try:
        rev = run_reverse(g, point)
    except MathError:
        assume(False)  # the guards keep this rare: a division by 2 + sin(b) that is 0, say
    # kinks and overflow have their own tests; an underflow is told (below)
    assume(all("does not affect" in w or "underflowed" in w for w in rev.warnings))
    fwd = run_forward(g, point)
    bound = absolute_gradient(rev)
    tiny = sys.float_info.min
    if any(0 < abs(p) < tiny for ps in rev.partials for p in ps) or any(0 < abs(v) < tiny for v in rev.values):
        # a subnormal partial has lost digits, and its product with an adjoint may underflow to 0 where the
        # product with a tangent does not: the two modes no longer multiply the same numbers
        event("not compared: a value or partial is subnormal")
        return
    underflow = [w for w in (*fwd.warnings, *rev.warnings) if "underflowed" in w]
    for n in g.names:
        # both modes multiply the same partials; only the order of the sums differs, and where a product of them
        # underflows in one order and not in the other a warning says so
        f, r, b = float(fwd.gradient[n]), float(rev.gradient[n]), float(bound[n])
        assert abs(f - r) <= 1e-13 * b + 1e-300 or underflow, \
            f"forward {f!r} and reverse {r!r} differ in {n}, with no warning: {_case(case, point)}"
    if underflow:
        event("not compared with sympy: a tangent or adjoint underflowed (told)")
        return
    if not sane(rev):
        event("not compared with sympy: a value or partial beyond 1e6")
        return  # sin(1e106): the float value itself is noise, no derivative can match the exact one
    if not rounding_insensitive(rev, point):
        event("not compared with sympy: the rounding of an intermediate value moves the gradient")
        return
    try:
        exact = exact_gradient(g, point)
    except SympyTooSlow:
        event("not compared with sympy: its exact evaluation ran past the bound")
        return
    assert exact is not None, f"sympy could not differentiate {case.text}"
    bound = path_bound(rev, point)
    for n in g.names:
        f, r, e = float(fwd.gradient[n]), float(rev.gradient[n]), float(exact[n])
        if well_conditioned(rev, exact, n, bound):
            event("compared with sympy to 1e-12 relative")
            assert math.isclose(r, e, rel_tol=1e-12, abs_tol=1e-300), \
                f"reverse {r!r}, sympy {e!r}: {_case(case, point)}"
            assert math.isclose(f, e, rel_tol=1e-12, abs_tol=1e-300), \
                f"forward {f!r}, sympy {e!r}: {_case(case, point)}"
        else:
            event("compared with sympy to 1e-12 of the sum of |path products| (cancellation)")
            b = float(bound[n])
            assert abs(r - e) <= 1e-12 * b + 1e-300, f"reverse {r!r}, sympy {e!r}, bound {b!r}: {_case(case, point)}"
            assert abs(f - e) <= 1e-12 * b + 1e-300, f"forward {f!r}, sympy {e!r}, bound {b!r}: {_case(case, point)}"


@settings(max_examples=300, **SETTINGS)
@given(cases(), st.data())
def test_forward_reverse_and_sympy_agree(case, data) -> None:
    check(case, data)


@pytest.mark.slow
@settings(max_examples=5000, **SETTINGS)
@given(cases(max_steps=10), st.data())
def test_forward_reverse_and_sympy_agree_thoroughly(case, data) -> None:
    check(case, data)


def test_a_value_that_cancels_to_zero_is_not_taken_as_well_conditioned() -> None:
    # (y**2 + y) - y is exactly 0 in floating point at y = 2**-126, and so is every path through cos'(0);
    # the exact derivative, -sin(y**2)*2*y, is -3e-114: compared to the paths of the nudged replays
    point = {"y": 2.0**-126}
    rev = run_reverse(graph_of("cos((y**2 + y) - y)"), point)
    exact = exact_gradient(rev.graph, point)
    assert rev.gradient["y"] == 0 and exact["y"] != 0 and absolute_gradient(rev)["y"] == 0
    bound = path_bound(rev, point)
    assert not well_conditioned(rev, exact, "y", bound)
    assert abs(rev.gradient["y"] - exact["y"]) <= 1e-12 * bound["y"]


def test_a_value_that_rounds_to_one_is_taken_as_rounding_sensitive() -> None:
    # exp(1.3e-155) is 1.0 in floating point, so log(exp(x)) in the partial in w1 is 0 where the exact one
    # is 1.3e-155: every nudged replay must move exp(x) off 1.0 to show it, whatever its random draws
    point = {"x": 1.3e-155, "w1": 0.0}
    rev = run_reverse(graph_of("(exp(x))**w1"), point)
    assert rev.gradient["w1"] == 0 and exact_gradient(rev.graph, point)["w1"] != 0
    assert not rounding_insensitive(rev, point)
    for seed in range(300):
        nudged, _ = perturbed_gradient(rev.graph, point, random.Random(seed))
        assert nudged["w1"] != 0, seed


@pytest.mark.parametrize("text,point,expected", [
    ("(x - y)**2", {"x": 1.0, "y": 1.0}, {"x": 0.0, "y": 0.0}),  # an exact 0, not a residue like 2e-165
    ("x*y - y*x", {"x": 0.1, "y": 0.7}, {"x": 0.0, "y": 0.0}),
    ("(x - 0.1)**2", {"x": 0.1}, {"x": 0.0}),  # the constant and the point are the same double
    ("1 - tanh(x)**2", {"x": 20.0}, {"x": -2 * math.tanh(20.0) / math.cosh(20.0) ** 2}),
])
def test_the_exact_reference_is_exact_at_the_point(text: str, point: dict, expected: dict) -> None:
    got = exact_gradient(graph_of(text), point)
    for n, e in expected.items():
        assert got[n] == e or math.isclose(got[n], e, rel_tol=1e-15), (n, got[n], e)


def test_the_reference_reads_a_cancellation_residue_as_0_and_keeps_a_tiny_true_value() -> None:
    """sympy's evalf gives -sin(x - y) at x = y as -6.8e-167 (and -2.9e-216 with twice the digits): the
    reference calls that 0; exp(-400x)'s true -7.66e-172 stays."""
    from gradcli.exact.exact import gradient

    assert gradient(graph_of("abs(cos(x - y))"), {"x": 1.0, "y": 1.0}) == {"x": 0.0, "y": 0.0}
    tiny = gradient(graph_of("exp(-400*x)"), {"x": 1.0})["x"]
    assert math.isclose(tiny, -400 * math.exp(-400), rel_tol=1e-12)
