"""What `hessian` says, checked against sympy's exact numbers: the eigenvalues of small symmetric matrices to
the last digit, the 2×2 reading by determinant and diagonal, zero eigenvalues as semidefinite with the
tolerance said, a heading whose letters are none of the problem's names, and no tangent or adjoint for a
held constant (in the forward-over-reverse tables, in JSON, and in --exact's numbers)."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run, run_json
from gradcli.engine.second import ZERO_TOLERANCE, eigenvalues, eigenvalues_jacobi


def exact_eigenvalues(matrix: list[list[float]]) -> list:
    """sympy's exact eigenvalues of the symmetric part, the floats read as the fractions they are, sorted."""
    import sympy as sp

    n = len(matrix)
    m = sp.Matrix(n, n, lambda i, j: (sp.Rational(Fraction(matrix[i][j])) + sp.Rational(Fraction(matrix[j][i]))) / 2)
    x = sp.Symbol("x")
    roots = sp.Poly(m.charpoly(x).as_expr(), x).real_roots(radicals=False)  # exact: rationals and CRootOf
    assert len(roots) == n  # a symmetric matrix's are all real
    return roots


def correctly_rounded(got: float, root) -> bool:
    """``got`` is a float nearest the exact ``root``: no neighbouring float is closer (a tie is allowed)."""
    import sympy as sp

    want = root.evalf(80)
    here = abs(sp.Float(got, 80) - want)
    return all(here <= abs(sp.Float(other, 80) - want)
               for other in (math.nextafter(got, -math.inf), math.nextafter(got, math.inf)))


ENTRIES = st.one_of(st.integers(-12, 12).map(float),
                    st.fractions(min_value=-10, max_value=10, max_denominator=12).map(float))


UNIT = st.one_of(st.just(0.0), st.floats(1e-20, 1), st.floats(-1, -1e-20))  # sympy is slow on 1e-300s


@st.composite
def symmetric(draw, low: int = 2, high: int = 4):
    n = draw(st.integers(low, high))
    a = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i, n):
            a[i][j] = a[j][i] = draw(ENTRIES)
    return a


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(symmetric())
def test_small_symmetric_matrices_have_their_eigenvalues_correctly_rounded(a) -> None:
    got = eigenvalues(a)
    roots = exact_eigenvalues(a)
    assert got == sorted(got)
    for g, r in zip(got, roots):
        assert correctly_rounded(g, r), (a, got, roots)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 4).flatmap(lambda n: st.lists(UNIT, min_size=n, max_size=n)))
def test_rank_one_matrices_have_their_zero_eigenvalues_to_the_last_digit(v) -> None:
    """v·vᵀ rounded: its exact eigenvalues are tiny, not 0, and each comes out as the float nearest it."""
    a = [[x * y for y in v] for x in v]
    got = eigenvalues(a)
    for g, r in zip(got, exact_eigenvalues(a)):
        assert correctly_rounded(g, r), (a, got)


def test_the_examples_of_the_report() -> None:
    assert eigenvalues([[2.0, 2.0], [2.0, 2.0]]) == [0.0, 4.0]
    assert eigenvalues([[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 3.0]]) == [-1.0, 3.0, 3.0]
    assert eigenvalues([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [3.0, 6.0, 9.0]]) == [0.0, 0.0, 14.0]
    # Rosenbrock's Hessian at (1, 1): 501 ∓ √250601, the small one no longer lost to cancellation
    assert eigenvalues([[802.0, -400.0], [-400.0, 200.0]]) == [0.39936076748763305, 1001.6006392325123]


def test_jacobi_agrees_with_lapack_between_the_exact_sizes_and_lapack() -> None:
    import random

    np = pytest.importorskip("numpy")
    r = random.Random(11)
    for n in (9, 17, 31):
        a = [[r.uniform(-3, 3) for _ in range(n)] for _ in range(n)]
        want = np.linalg.eigvalsh((np.array(a) + np.array(a).T) / 2)
        got = eigenvalues(a)
        assert got == eigenvalues_jacobi(a)
        assert max(abs(x - y) for x, y in zip(got, want)) <= 1e-13 * float(np.abs(want).max()) * n


# --- the 2×2 reading ---------------------------------------------------------------------------------------


def reading_of(a: int, b: int, d: int) -> str:
    """The exact verdict for [[a, b], [b, d]], by sympy's determinant and diagonal."""
    import sympy as sp

    m = sp.Matrix([[a, b], [b, d]])
    det = m.det()
    if det > 0:
        return "positive definite" if a > 0 else "negative definite"
    if det < 0:
        return "indefinite"
    if a == b == d == 0:
        return "zero"
    return "positive semidefinite" if a + d > 0 else "negative semidefinite"


def hessian_text(a: int, b: int, d: int) -> str:
    # ½·a·x² + b·x·y + ½·d·y² has the Hessian [[a, b], [b, d]] everywhere
    expr = f"({a})*x**2/2 + ({b})*x*y + ({d})*y**2/2"
    out = run("hessian", expr, "--at", "1,1")
    assert out.exit_code == 0, out.output
    return " ".join(out.stdout.split())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(-4, 4), st.integers(-4, 4), st.integers(-4, 4))
def test_the_two_by_two_reading_is_right_in_every_case(a: int, b: int, d: int) -> None:
    kind = reading_of(a, b, d)
    out = hessian_text(a, b, d)
    line = out[out.index("For 2 inputs:"):out.index("Cost:")]
    assert f"determinant {a * d - b * b}" in line, line
    assert f"— {kind}." in out
    if kind.endswith(" definite"):
        sign = "positive" if kind.startswith("positive") else "negative"
        assert f"the determinant is positive and the diagonal {sign}, so {kind}" in line, line
        assert "inconclusive" not in out
    elif kind == "indefinite":
        assert "a negative determinant, so indefinite: a saddle" in line, line
        assert "inconclusive" not in out
    else:
        assert "inconclusive" in line, line
        assert "positive definite" not in out and "negative definite" not in out


@pytest.mark.parametrize("a,b,d", [(2, 2, 2), (-1, 1, -1), (1, 0, 0), (0, 0, -3), (0, 0, 0), (4, -2, 1)])
def test_a_zero_determinant_is_said_plainly(a: int, b: int, d: int) -> None:
    line = hessian_text(a, b, d)
    line = line[line.index("For 2 inputs:"):line.index("Cost:")]
    assert "determinant 0;" in line and "the test is inconclusive" in line, line
    assert "both positive" not in line and "definite:" not in line


def test_zero_eigenvalues_of_a_larger_hessian_are_semidefinite_and_say_their_tolerance() -> None:
    # rank one in three inputs: [[1, 2, 3], [2, 4, 6], [3, 6, 9]], exactly two eigenvalues 0
    out = " ".join(run("hessian", "(x + 2*y + 3*z)**2/2", "--at", "1,1,1").stdout.split())
    assert "Eigenvalues: [0, 0, 14] — positive semidefinite." in out
    assert "2 eigenvalues are 0 and none is negative: positive semidefinite, so the second-derivative test is " \
           "inconclusive here." in out
    # one sample of a logistic loss: rank one, its small eigenvalues rounding noise about 1e-17
    out = " ".join(run("hessian", "log(1 + exp(-(w1*x1 + w2*x2 + b)))", "--at", "b=0.5,w1=0.25,w2=-1",
                       "--let", "x1=0.3,x2=-1.7").stdout.split())
    tol = re.search(r"(\d) eigenvalues are 0 to within the tolerance (\S+) \(1e-12·n·max\|H_ij\|", out)
    assert tol is not None, out
    h = run_json("hessian", "log(1 + exp(-(w1*x1 + w2*x2 + b)))", "--at", "b=0.5,w1=0.25,w2=-1",
                 "--let", "x1=0.3,x2=-1.7")
    scale = max(abs(v) for row in h["hessian"].values() for v in row.values())
    assert float(tol.group(2)) == pytest.approx(ZERO_TOLERANCE * 3 * scale, rel=0.06)
    assert sum(abs(v) <= float(tol.group(2)) for v in h["eigenvalues"]) == int(tol.group(1)) == 2
    assert h["definiteness"] == "positive semidefinite"


def test_a_saddle_with_a_zero_eigenvalue_is_still_a_saddle() -> None:
    out = " ".join(run("hessian", "x**2 - y**2 + 0*z", "--at", "0,0,0").stdout.split())
    assert "Eigenvalues: [-2, 0, 2] — indefinite." in out and "inconclusive" not in out


# --- the heading's letters ---------------------------------------------------------------------------------


def heading(text: str, which: int = -1) -> str:
    return [line for line in text.splitlines() if line.startswith("The Hessian, ")][which]


def test_the_heading_reuses_no_name_of_the_problem() -> None:
    out = run("hessian", "-(y*log(sigmoid(w1*x1 + w2*x2 + b)) + (1-y)*log(1 - sigmoid(w1*x1 + w2*x2 + b)))",
              "--at", "0,0,0", "--data", "examples/logistic20.csv", "--reduce", "mean", "--width", "200").stdout
    total = heading(out)
    assert total == "The Hessian, Hⱼₖ = ∂²L/∂uⱼ∂uₖ = (1/20)·Σᵢ Hᵢ, for (u₁, u₂, u₃) = (b, w1, w2):", total
    assert "x_i" not in out and "∂x" not in out  # x1, x2 are the data's columns
    sample = heading(out, 0)
    assert sample.startswith("The Hessian, Hⱼₖ = ∂²f/∂uⱼ∂uₖ,"), sample  # i counts the samples here too


def test_the_sample_index_is_no_column_and_the_variable_no_input(tmp_path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("i,u\n1,2\n2,3\n")
    out = run("hessian", "(w*i - u)**2 + w**2*x", "--at", "w=1,x=0", "--data", str(data), "--width", "200").stdout
    total = heading(out)
    assert total == "The Hessian, Hⱼₖ = ∂²L/∂vⱼ∂vₖ = Σₙ Hₙ, for (v₁, v₂) = (w, x):", total
    assert "Σₙ fₙ" in out and "Σᵢ" not in out
    names = {"i", "u", "w", "x"}
    letters = re.match(r"The Hessian, H(\S+) = ∂²L/∂(\S)\S∂\S\S = Σ(\S) ", total).groups()
    assert not names & set(letters)
    table = [line for line in out.splitlines() if line.split()[:3] == ["n", "i", "u"]]
    assert table, out  # the samples' table counts them by n too, beside the column i


def test_the_heading_without_data_names_its_letters() -> None:
    out = run("hessian", "x**2*y + y**3", "--at", "1,2").stdout
    assert heading(out) == "The Hessian, Hᵢⱼ = ∂²f/∂uᵢ∂uⱼ, for (u₁, u₂) = (x, y):"
    out = run("hessian", "u**2*v + v**3 + z", "--at", "1,2,3").stdout
    assert heading(out) == "The Hessian, Hᵢⱼ = ∂²f/∂xᵢ∂xⱼ, for (x₁, x₂, x₃) = (u, v, z):"
    latex = run("hessian", "x*y", "--at", "1,1", "--format", "latex").stdout
    assert r"{H}_{ij} = \partial^2 f/\partial {u}_{i}\,\partial {u}_{j}" in latex


# --- held constants ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("hold", [["--let", "a=3"], ["--wrt", "x,y"]])
def test_forward_over_reverse_rows_carry_no_tangent_of_a_held_constant(hold: list[str]) -> None:
    at = "x=1,y=2" if hold[0] == "--let" else "x=1,y=2,a=3"
    out = run("hessian", "x**2*y + y**3*a", "--at", at, *hold).stdout
    assert "ȧ" not in out and "a·ȧ" not in out
    rows = [line for line in out.splitlines() if line.startswith("c̄̇5 =")]
    assert rows and all(line.split("=")[1].strip() == "c̄̇6·a" for line in rows), rows
    h = run_json("hessian", "x**2*y + y**3*a", "--at", at, *hold)
    for label, tangents in h["adjoint_tangents"].items():
        assert "a" not in tangents, (label, tangents)
        assert set(tangents) == set(h["adjoints"])  # the same nodes as the adjoints: the held one in neither
    assert h["hessian"] == {"x": {"x": 4.0, "y": 2.0}, "y": {"x": 2.0, "y": 36.0}}  # 2y, 2x; 2x, 18y


@pytest.mark.parametrize("command", ["reverse", "forward"])
def test_exact_lists_no_adjoint_or_tangent_of_a_held_constant(command: str) -> None:
    for hold in (["--wrt", "x,y"], ["--let", "a=3"]):
        if command == "forward" and hold[0] == "--wrt":
            continue
        at = "x=1,y=2,a=3" if hold[0] == "--wrt" else "x=1,y=2"
        plain = run_json(command, "x**2*y + a*y", "--at", at, *hold)
        exact = run_json(command, "x**2*y + a*y", "--at", at, *hold, "--exact")["exact"]
        assert set(exact["gradient"]) == {"x", "y"}
        if command == "reverse":
            assert set(exact["adjoints"]) == set(plain["adjoints"]) and "a" not in exact["adjoints"]
            assert {k: float(Fraction(v)) for k, v in exact["adjoints"].items()} == plain["adjoints"]
        else:
            for label, tangents in exact["tangents"].items():
                assert set(tangents) == set(plain["tangents"][label]) and "a" not in tangents
        assert exact["values"]["a"] == "3"  # its value is still listed: it is a number of the problem
