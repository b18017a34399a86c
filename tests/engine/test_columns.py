"""A data file's rows evaluated as columns (gradcli/engine/columns.py) give the numbers, the notes and the
errors of the row-by-row sweeps, to the last bit; and a large file of plain numbers is read as the row-by-row
reader reads it."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

np = pytest.importorskip("numpy")

from conftest import run, run_json  # noqa: E402
from gradcli.core.graph import graph_of  # noqa: E402
from gradcli.engine import columns, data  # noqa: E402
from gradcli.engine.data import Rows, Table, losses, read_table  # noqa: E402
from gradcli.errors import GradcliError, MathError  # noqa: E402
from strategies import cases  # noqa: E402

LOGISTIC = "-(y*log(sigmoid(w1*x1+w2*x2+b)) + (1-y)*log(1-sigmoid(w1*x1+w2*x2+b)))"


def both(graph, point, table, mode="reverse", wrt=None, shown=-1):
    """(values, gradients, notes) or the error's text, by rows and by columns (in one block of rows, and in
    blocks of 7 rows)."""
    out = []
    for rows, block in ((10**12, columns.BLOCK), (1, columns.BLOCK), (1, 7)):
        data.COLUMN_ROWS, saved = rows, data.COLUMN_ROWS
        columns.BLOCK, saved_block = block, columns.BLOCK
        notes: list[str] = []
        try:
            values, gradients = losses(graph, point, table, mode, wrt, notes, shown)
            out.append((values, [tuple(g) for g in gradients], notes))
        except MathError as e:
            out.append(str(e))
        finally:
            data.COLUMN_ROWS, columns.BLOCK = saved, saved_block
    assert same_bits(out[1], out[2])
    return out[:2]


def same_bits(a, b) -> bool:
    """Equal as the doubles they are: nan equal to nan, and 0.0 not equal to -0.0."""
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    (va, ga, na), (vb, gb, nb) = a, b
    bits = lambda xs: [math.copysign(1, x) if x == 0 else ("nan" if x != x else x) for x in xs]  # noqa: E731
    return (bits(va) == bits(vb) and [bits(g) for g in ga] == [bits(g) for g in gb] and na == nb)


def table_of(columns, rows) -> Table:
    return Table("data.csv", tuple(columns), [tuple(map(float, r)) for r in rows], list(range(2, 2 + len(rows))))


def test_the_logistic_loss_by_columns_is_the_row_sweeps_to_the_bit_with_the_same_notes() -> None:
    rng = random.Random(5)
    # one decimal place: some rows cancel (w1*x1 + w2*x2 = -b), which the notes tell, sample by sample
    rows = [(round(rng.gauss(0, 1), 1), round(rng.gauss(0, 1), 1), k % 2) for k in range(3000)]
    graph = graph_of(LOGISTIC, columns=("x1", "x2", "y"))
    point = {"b": 0.1, "w1": 0.2, "w2": 0.3}
    for mode in ("reverse", "forward"):
        by_rows, by_columns = both(graph, point, table_of(("x1", "x2", "y"), rows), mode, shown=0)
        assert same_bits(by_rows, by_columns)
        assert any("cancellation" in n for n in by_rows[2])  # the marked rows were swept again and told it


@pytest.mark.parametrize("expression,rows,what", [
    ("log(x*w)", [(1.0,)] * 5 + [(-1.0,)] + [(2.0,)] * 5, "a math error at sample 6, as by rows"),
    ("exp(x*w)", [(1.0,)] * 5 + [(1000.0,)] + [(3.0,)] * 5, "an overflow at one sample"),
    ("relu(x - w) + abs(x*w)", [(0.5,), (0.0,), (1.0,)] * 4, "kinks at some samples"),
    ("max(x, w) + min(x, w, 2)", [(0.5,), (0.25,), (2.0,)] * 4, "ties at some samples"),
    ("w/x", [(1.0,), (0.0,), (2.0,)] * 3, "a division by zero"),
    ("sqrt(x) * w", [(0.0,), (4.0,)] * 3, "sqrt's slope at 0"),
    ("0*exp(1000*x) + w*x", [(1.0,), (0.0,)] * 3, "a term 0·inf"),
    ("(x - w)**2 + log(1 - sigmoid(x*w)) + log(1 + x**2)", [(k / 7,) for k in range(-20, 20)], "stable forms"),
    ("sin(x)**w + x**3 - tanh(w)*cosh(x)", [(k / 3 + 0.1,) for k in range(12)], "the op table's functions"),
    ("log(w)", [(1.0,)] * 3, "a parameter-only part: every row, by rows"),
    ("1e200*(1e200*(1e-150*(1e-150*(x*w))))", [(1.0,), (0.0,)] * 3, "an adjoint that overflows, then 0·inf"),
])
def test_what_a_row_has_to_say_is_said_as_by_rows(expression, rows, what) -> None:
    graph = graph_of(expression, columns=("x",))
    for point in ({"w": 0.5}, {"w": 0.0}, {"w": -1.5}):
        for mode in ("reverse", "forward"):
            by_rows, by_columns = both(graph, point, table_of(("x",), rows), mode, shown=1)
            assert same_bits(by_rows, by_columns), (what, point, mode)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(max_steps=6, max_inputs=3), seed=st.integers(0, 2**32 - 1), mode=st.sampled_from(["reverse", "forward"]))
def test_any_program_by_columns_is_the_row_sweeps_to_the_bit(case, seed, mode) -> None:
    """Programs over the whole op table, some inputs read from the data: the values, the gradients, the notes
    and the errors of the column path are those of the rows, bit for bit."""
    rng = random.Random(seed)
    try:
        probe = graph_of(case.text)
    except GradcliError:
        return
    names = probe.names
    held = tuple(n for n in names if rng.random() < 0.5) or names[:1]
    graph = graph_of(case.text, columns=held)
    if not graph.names:
        return
    # decimals of a few digits and small integers: kinks, ties and cancellations happen
    pick = lambda: rng.choice([round(rng.uniform(-3, 3), 2), float(rng.randint(-2, 2)), rng.gauss(0, 10)])  # noqa: E731
    rows = [tuple(pick() for _ in held) for _ in range(rng.randint(1, 40))]
    point = {n: pick() for n in graph.names}
    by_rows, by_columns = both(graph, point, table_of(held, rows), mode, shown=rng.randint(-1, len(rows) - 1))
    assert same_bits(by_rows, by_columns)


def test_a_large_plain_file_is_read_as_the_row_reader_reads_it(tmp_path) -> None:
    rng = random.Random(2)
    lines = ["x1, x2 ,y"] + [f"{rng.uniform(-9, 9):.{rng.randint(0, 17)}g},{rng.gauss(0, 1e-300)!r},  {k % 3}  "
                             for k in range(5000)]
    text = "# a comment above the header\n\n" + "\n".join(lines) + "\n"
    fast = read_table(text, "d.csv")
    assert isinstance(fast.rows, Rows) and len(fast.rows) == 5000
    data.COLUMN_ROWS, saved = 10**12, data.COLUMN_ROWS
    try:
        slow = read_table(text, "d.csv")
    finally:
        data.COLUMN_ROWS = saved
    assert not isinstance(slow.rows, Rows)
    assert fast.columns == slow.columns == ("x1", "x2", "y")
    assert list(fast.rows) == slow.rows and list(fast.lines) == slow.lines and fast.lines[0] == 4
    assert fast.rows[17] == slow.rows[17] and data.column(fast.rows, 2) == [r[2] for r in slow.rows]


@pytest.mark.parametrize("change,kind", [
    (lambda t: t.replace("\n5,", "\n# a comment\n5,", 1), "rows"),
    (lambda t: t.replace("\n5,", "\n\n5,", 1), "rows"),
    (lambda t: t.replace("\n5,", '\n"5",', 1), "rows"),
    (lambda t: t.replace("\n5,", "\n1/3,", 1), "rows"),
    (lambda t: t.replace("\n5,", "\r\n5,"), "rows"),
    (lambda t: t.replace("\n5,", "\n5.0\x0c,", 1), "error"),
    (lambda t: t.replace("\n5,", "\ninf,", 1), "error"),
    (lambda t: t.replace("\n5,", "\n1_0,", 1), "error"),
    (lambda t: t.replace("\n5,", "\n5,6,", 1), "error"),
    (lambda t: t.replace("\n5,", "\n,", 1), "error"),
    (lambda t: t.replace("\n5,", "\n٥,", 1), "rows"),
])
def test_what_numpy_does_not_read_as_we_do_goes_to_the_row_reader(change, kind) -> None:
    text = change("x,y\n" + "".join(f"{k % 7},{k / 8}\n" for k in range(3000)))
    data.COLUMN_ROWS, saved = 10**12, data.COLUMN_ROWS
    try:
        slow = read_table(text, "d.csv")
    except GradcliError as e:
        slow = str(e)
    finally:
        data.COLUMN_ROWS = saved
    try:
        fast = read_table(text, "d.csv")
    except GradcliError as e:
        fast = str(e)
    if kind == "error":  # refused, or the column left out with the same message, given if the expression uses it
        slow = slow if isinstance(slow, str) else {k: str(e) for k, e in slow.text.items()}
        fast = fast if isinstance(fast, str) else {k: str(e) for k, e in fast.text.items()}
        assert slow and fast == slow
    else:
        assert list(fast.rows) == slow.rows and list(fast.lines) == slow.lines


def test_the_command_over_many_rows_writes_what_the_row_sweeps_write(tmp_path) -> None:
    rng = random.Random(9)
    csv = tmp_path / "d.csv"
    csv.write_text("x1,x2,y\n" + "".join(f"{rng.gauss(0, 1):.3f},{rng.gauss(0, 1):.3f},{k % 2}\n"
                                          for k in range(4000)))
    args = ("reverse", LOGISTIC, "--at", "b=0.1,w1=0.2,w2=0.3", "--data", str(csv))
    doc = run_json(*args)
    table = read_table(csv.read_text(), str(csv))
    graph = graph_of(LOGISTIC, columns=table.columns)
    data.COLUMN_ROWS, saved = 10**12, data.COLUMN_ROWS
    try:
        values, gradients = losses(graph, {"b": 0.1, "w1": 0.2, "w2": 0.3}, table, "reverse", None, [], 0)
    finally:
        data.COLUMN_ROWS = saved
    assert [s["value"] for s in doc["samples"]] == values
    assert [tuple(s["gradient"].values()) for s in doc["samples"]] == gradients
    assert doc["total"]["value"] == math.fsum(values)
    assert [s["line"] for s in doc["samples"]] == list(range(2, 4002))
    assert f"L = Σᵢ fᵢ = {math.fsum(values)!r}" in run(*args).stdout


def test_without_numpy_the_rows_are_swept_one_by_one_to_the_same_numbers(tmp_path, monkeypatch) -> None:
    rng = random.Random(3)
    text = "x1,x2,y\n" + "".join(f"{rng.gauss(0, 1):.3f},{rng.gauss(0, 1):.3f},{k % 2}\n" for k in range(5000))
    graph = graph_of(LOGISTIC, columns=("x1", "x2", "y"))
    point = {"b": 0.1, "w1": 0.2, "w2": 0.3}
    with_numpy = read_table(text, "d.csv")
    assert isinstance(with_numpy.rows, Rows)  # read by numpy's parser, swept as columns
    expected = losses(graph, point, with_numpy, "reverse", None, [], 0)
    monkeypatch.setitem(__import__("sys").modules, "numpy", None)  # import numpy raises ImportError
    without = read_table(text, "d.csv")
    assert isinstance(without.rows, list) and without.rows == list(with_numpy.rows)
    values, gradients = losses(graph, point, without, "reverse", None, [], 0)
    assert values == expected[0] and list(gradients) == list(expected[1])
