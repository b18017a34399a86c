"""The tables at the sheet's level (gradcli/engine/arrayview.py): one row per array, its rule in matrix
notation. The rules are checked by evaluating them: a small numpy interpreter of the printed Exprs, with
each row's name bound to its value and each bar to its adjoint, must give every term's contribution, every
definition's value and the shortcut's adjoint. A wrong transpose, a missing ⊙ or a rule for the wrong
operand fails here, though the numbers (gathered from the scalar trace) would still be right."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from conftest import run, run_json
from gradcli.core.arrays import entry_names
from gradcli.core.expr import MARK, MORE, NAME, NUM, PARTIAL, Expr, walk
from gradcli.core.graph import graph_of
from gradcli.core.ops import OPS
from gradcli.core.printer import TextStyle
from gradcli.engine.arrayview import array_view, tangent_rows
from gradcli.engine.trace import run_forward, run_reverse
from test_arrays import CS231N, CS231N_AT, PROGRAMS

MLP = "h = relu(W1ᵀ @ x); o = W2ᵀ @ h; L = -log(softmax(o)[3])"
MLP_SHAPES = {"W1": (2, 2), "x": (2, 1), "W2": (2, 3)}
REGRESSION = ("z = W @ x + b; a = sigmoid(z); L = sum((a - y)**2)/2 + lam*sum(W**2) + dot(w2, a) + norm(x)")
REGRESSION_SHAPES = {"W": (3, 2), "x": (2, 1), "b": (3, 1), "y": (3, 1), "w2": (3, 1)}
NAMED = [
    (MLP, MLP_SHAPES),
    (REGRESSION, REGRESSION_SHAPES),
    ("h = tanh(W @ x + b); L = sum(h*h)/2 + mean(exp(W))", {"W": (3, 2), "x": (2, 1), "b": (3, 1)}),
    ("s = softmax(A @ x); L = -log(s[2]) + logsumexp(x)", {"A": (4, 3), "x": (3, 1)}),
    ("y = sigmoid(xᵀ @ w); L = (y - 1)**2 + norm(w)", {"x": (3, 1), "w": (3, 1)}),
    ("M = outer(u, v); L = sum(M * M) + u.T @ M @ v", {"u": (2, 1), "v": (3, 1)}),
]


class _Ones:
    """𝟙, as long as its context needs: c̄·𝟙 is a number until it meets a shape; A @ 𝟙 sums A's rows."""

    def __init__(self, row: bool = False) -> None:
        self.row = row


def _arrays(row):
    values = np.array(row.value, dtype=float)
    return values.reshape(row.shape) if row.shape else float(values[0])


def _elementwise(op: str, args: list):
    f = np.vectorize(lambda *xs: OPS[op].value(*xs), otypes=[float])
    out = f(*args)
    return float(out) if np.ndim(out) == 0 else out


def _matmul(a, b):
    if isinstance(b, _Ones):  # A @ 𝟙: each row summed
        return np.asarray(a).sum(axis=1, keepdims=True)
    if isinstance(a, _Ones):  # 𝟙ᵀ @ A: each column summed
        assert a.row, "𝟙 @ A: a column of ones on the left"
        return np.asarray(b).sum(axis=0, keepdims=True)
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        raise AssertionError("@ with a number")
    out = np.asarray(a) @ np.asarray(b)
    return float(out[0, 0]) if out.shape == (1, 1) else out


def _times(a, b):
    for x, y in ((a, b), (b, a)):
        if isinstance(y, _Ones):
            assert np.ndim(x) == 0, "an array times 𝟙"
            return x
    _entrywise(a, b)
    return a * b


def _entrywise(a, b) -> None:
    """Two arrays entry by entry: one shape, or a vector along a matrix's rows or columns, as the program's
    own broadcasting reads it."""
    if np.ndim(a) and np.ndim(b):
        shapes = {np.shape(a), np.shape(b)}
        assert np.broadcast_shapes(*shapes) in shapes, f"entrywise {np.shape(a)} and {np.shape(b)}"


def _softmax(v):
    e = np.exp(v - np.max(v))
    return e / e.sum()


def evaluate(e: Expr, env: dict, bars: dict):
    """The value of a printed rule: numbers, arrays as numpy, with a loop (no recursion)."""
    done: list = []
    stack = [(e, False)]
    while stack:
        x, ready = stack.pop()
        if not ready and x.args:
            stack.append((x, True))
            stack.extend((a, False) for a in reversed(x.args))
            continue
        n = len(x.args)
        args = done[len(done) - n:] if n else []
        if n:
            del done[-n:]
        done.append(_apply(x, args, env, bars))
    return done[0]


def _apply(x: Expr, a: list, env: dict, bars: dict):
    op = x.op
    if op == NUM:
        return float(x.leaf[0])
    if op == NAME:
        return env[x.leaf]
    if op == MARK:  # c̄3 or ċ3: marks holds ("bar", "c3") or ("dot", "c3")
        return bars[x.leaf]
    if op == "ones":
        return _Ones()
    assert op != MORE
    if op == "transpose":
        if isinstance(a[0], _Ones):
            return _Ones(row=True)
        return a[0] if np.ndim(a[0]) == 0 else np.asarray(a[0]).T
    if op == "matmul":
        return _matmul(*a)
    if op == "hadamard":
        assert np.ndim(a[0]) and np.ndim(a[1]), "⊙ of a number"
        _entrywise(*a)
        return a[0] * a[1]
    if op in ("mul", "cdot"):
        return _times(*a)
    if op == "add":
        return a[0] + a[1]
    if op == "sub":
        return a[0] - a[1]
    if op == "neg":
        return -a[0]
    if op == "div":
        return a[0] / a[1]
    if op == "pow":
        return np.power(a[0], a[1])
    if op == "index":
        arr, idx = np.asarray(a[0]), [int(i) - 1 for i in a[1:]]
        return float(arr.reshape(-1)[idx[0]] if len(idx) == 1 else arr[idx[0], idx[1]])
    if op == "array":
        return np.array([[v] if np.ndim(v) == 0 else np.asarray(v).reshape(-1) for v in a], dtype=float)
    if op == "onehot":
        k, m = int(a[0]), int(a[1])
        out = np.zeros((m, 1))
        out[k - 1] = 1
        return out
    if op == "softmax" and len(a) == 1:
        return _softmax(np.asarray(a[0]))
    if op == "sum" and len(a) == 1:
        return float(np.sum(a[0]))
    if op == "mean" and len(a) == 1:
        return float(np.mean(a[0]))
    if op in ("max", "min") and len(a) == 1:
        return float(np.max(a[0]) if op == "max" else np.min(a[0]))
    if op == "logsumexp" and len(a) == 1:
        return float(np.log(np.sum(np.exp(a[0]))))
    if op == "dot":
        return float(np.sum(np.asarray(a[0]).reshape(-1) * np.asarray(a[1]).reshape(-1)))
    if op == "norm":
        return float(np.sqrt(np.sum(np.asarray(a[0]) ** 2)))
    if op == "outer":
        return np.asarray(a[0]).reshape(-1, 1) @ np.asarray(a[1]).reshape(1, -1)
    if op == "diag":
        return np.diag(np.asarray(a[0]).reshape(-1))
    return _elementwise(op, a)


def _shaped(value, shape):
    if shape is None:
        assert np.ndim(value) == 0, f"a number's rule gives an array {np.shape(value)}"
        return np.array([[float(value)]])
    if np.ndim(value) == 0:  # c̄·𝟙: the number in every entry
        return np.full(shape, float(value))
    assert np.shape(value) == tuple(shape), f"a rule gives {np.shape(value)} for a {shape} row"
    return np.asarray(value)


def _view(text: str, shapes: dict, seed: int = 0):
    rng = random.Random(f"{text}{seed}")
    point = {e: rng.uniform(-1.5, 1.5) for n, s in shapes.items() for e in entry_names(n, s)}
    graph = graph_of(text, shapes=shapes)
    for n in graph.names:  # the scalar inputs
        point.setdefault(n, rng.uniform(0.5, 1.5))
    trace = run_reverse(graph, point)
    return trace, array_view(trace)


def _general(rule: Expr) -> bool:
    """C̄·∂C/∂X: a rule in general terms, where no matrix rule is written (the adjoint of diag(d))."""
    return any(x.op == PARTIAL for x in walk(rule))


def check_rules(view) -> int:
    """Every definition, term and shortcut evaluated from the printed rule; the number of terms checked.
    A rule in general terms is left out (test_the_sheets_programs_need_no_rule_in_general_terms)."""
    env = {r.name: _arrays(r) for r in view.rows}
    bars = {("bar", r.name): _arrays(r._replace(value=r.adjoint)) for r in view.rows if r.adjoint is not None}
    checked = 0
    for r in view.rows:
        if r.definition is not None and r.kind in ("step", "node", "view"):
            got = _shaped(evaluate(r.definition, env, bars), r.shape)
            assert got == pytest.approx(np.asarray(r.value).reshape(got.shape), rel=1e-12, abs=1e-14), r.name
        if r.adjoint is None:
            continue
        total = np.zeros(r.shape or (1, 1))
        for rule, _, contribution in r.terms:
            total = total + np.asarray(contribution, dtype=float).reshape(total.shape)
            if _general(rule):
                continue
            got = _shaped(evaluate(rule, env, bars), r.shape)
            want = np.asarray(contribution, dtype=float).reshape(got.shape)
            assert got == pytest.approx(want, rel=1e-11, abs=1e-13), (r.name, TextStyle().text(rule))
            checked += 1
        if not r.seed:
            assert total.reshape(-1) == pytest.approx(list(r.adjoint), rel=1e-12, abs=1e-14), r.name
        if r.shortcut is not None:
            got = _shaped(evaluate(r.shortcut, env, bars), r.shape)
            assert got.reshape(-1) == pytest.approx(list(r.adjoint), rel=1e-12, abs=1e-14), r.name
    return checked


@pytest.mark.parametrize("text,shapes", NAMED + PROGRAMS)
@pytest.mark.parametrize("seed", [0, 1])
def test_every_printed_rule_evaluates_to_its_numbers(text: str, shapes: dict, seed: int) -> None:
    trace, view = _view(text, shapes, seed)
    assert view is not None
    assert check_rules(view) > 0


@pytest.mark.parametrize("text,shapes", NAMED)
def test_the_sheets_programs_need_no_rule_in_general_terms(text: str, shapes: dict) -> None:
    _, view = _view(text, shapes)
    printed = [TextStyle().text(rule) for r in view.rows for rule, _, _ in r.terms]
    assert printed and not [p for p in printed if "∂" in p], printed
    assert not [rule for r in view.rows for rule, _, _ in r.terms if _general(rule)]


@pytest.mark.parametrize("text,shapes", NAMED + PROGRAMS)
def test_the_array_adjoints_are_the_scalar_sweeps_entries(text: str, shapes: dict) -> None:
    trace, view = _view(text, shapes)
    g = trace.graph
    for n, shape, ids in view.inputs:
        row = next(r for r in view.rows if r.name == n)
        assert list(row.adjoint) == [trace.gradient[i] for i in ids]
        if shape is not None:
            assert list(ids) == entry_names(n, shape)
    out = next(r for r in view.rows if r.seed)
    assert out.node == g.output and out.adjoint == (1.0,)


def _lines(out: str) -> list[str]:
    return [" ".join(line.split()) for line in out.splitlines()]


def test_the_rules_as_a_sheet_writes_them() -> None:
    lines = _lines(run("reverse", MLP, "--at", "W1=[[1,2],[3,4]],x=[1,-1],W2=[[1,0,2],[0,1,1]]").stdout)
    for rule in ["W̄2 (2×3) = h @ ōᵀ", "h̄ (2×1) = W2 @ ō", "c̄1 (2×1) = h̄ ⊙ step(c1)", "x̄ (2×1) = W1 @ c̄1",
                 "W̄1 (2×2) = x @ c̄1ᵀ", "ō (3×1) = c2 ⊙ (c̄2 - c̄2ᵀ @ c2)", "= c2 - onehot(3, 3)"]:
        assert any(line.startswith(rule) for line in lines), (rule, lines)


def test_the_cs231n_example_row_by_row() -> None:
    out = run("reverse", CS231N, "--at", CS231N_AT, "--digits", "12").stdout
    lines = _lines(out)
    at = next(k for k, line in enumerate(lines) if line.startswith("W̄2 (2×3) = h @ c̄3ᵀ"))
    # as published to 12 decimals, here to 12 digits: 0.978240210068 and -1.483238606277
    assert "[[0.978240210069, 0.504998396208, -1.48323860628], [0, 0, 0]]" in " ".join(lines[at:at + 2])
    at = next(k for k, line in enumerate(lines) if line.startswith("s̄ (3×1) ="))
    assert "0.429052723714" in " ".join(lines[at:at + 3])


def test_softmax_and_its_shortcut() -> None:
    out = run("reverse", "s = softmax(o); L = -log(s[2])", "--at", "o=[1,2,0.5]").stdout
    assert "s ⊙ (s̄ - s̄ᵀ @ s)" in out
    assert "s - onehot(2, 3)" in out


def test_ascii_tables_spell_the_notation_out() -> None:
    out = run("reverse", MLP, "--at", "W1=[[1,2],[3,4]],x=[1,-1],W2=[[1,0,2],[0,1,1]]", "--ascii").stdout
    assert "W2_bar (2x3)" in out and "h @ o_bar.T" in out and "h_bar * step(c1)" in out
    assert not any(ord(ch) > 127 for line in out.splitlines()[1:] for ch in line)  # the program as typed


def test_scalar_gives_a_row_per_entry() -> None:
    at = "W1=[[1,2],[3,4]],x=[1,-1],W2=[[1,0,2],[0,1,1]]"
    arrays = run_json("reverse", MLP, "--at", at)
    scalar = run_json("reverse", MLP, "--at", at, "--scalar")
    assert arrays["gradient"] == scalar["gradient"]
    text = run("reverse", MLP, "--at", at, "--scalar").stdout
    assert "W̄2[1,1]" in text and "W̄2 (2×3)" not in text


def test_a_long_side_is_cut_with_a_note() -> None:
    out = run("reverse", "L = sum(relu(W @ x))", "--at",
              "W=" + str([[i + j for j in range(8)] for i in range(2)]) + ",x=" + str(list(range(8)))).stdout
    assert "…" in out
    assert "--scalar" in out or "--format json" in out


def test_latex_of_the_array_tables_compiles(tmp_path) -> None:
    from texcheck import compile_fragments

    tex = run("reverse", REGRESSION, "--at", "W=[[1,2],[3,4],[5,6]],x=[0.5,-1],b=[0.1,0.2,0.3],y=[1,0,1],"
              "lam=0.1,w2=[1,2,3]", "--format", "latex").stdout
    assert r"\odot" in tex and r"\mathbf{1}" in tex
    graph = run("graph", REGRESSION, "--at", "W=[[1,2],[3,4],[5,6]],x=[0.5,-1],b=[0.1,0.2,0.3],y=[1,0,1],"
                "lam=0.1,w2=[1,2,3]", "--wrt", "x", "--format", "latex", "--digits", "4").stdout
    assert graph.count(r"\halign{") == 3  # the names, then the values and tangents, then a tangent and the adjoints
    compiled = compile_fragments([("reverse", tex), ("graph", graph)], tmp_path)
    assert compiled.ok, compiled.report()
    assert "Overfull \\hbox" not in compiled.log.split("gradcli-fragment: graph")[-1]  # set as three, it fits


def test_a_sum_of_a_matrix_is_its_adjoint_times_ones() -> None:
    _, view = _view("L = 3*sum(W)", {"W": (2, 2)})
    row = next(r for r in view.rows if r.name == "W")
    assert [TextStyle().text(rule) for rule, _, _ in row.terms] == ["c̄1·𝟙"]
    assert row.adjoint == (3.0,) * 4


def test_json_array_steps_carry_the_rows() -> None:
    at = "W1=[[1,2],[3,4]],x=[1,-1],W2=[[1,0,2],[0,1,1]]"
    out = run_json("reverse", MLP, "--at", at)
    steps = {s["name"]: s for s in out["array_steps"]}
    assert [s["name"] for s in out["array_steps"]][:3] == ["W1", "W2", "x"]
    w2 = steps["W2"]
    assert w2["shape"] == [2, 3] and w2["kind"] == "input" and w2["entries"][1] == "W2[1,2]"
    assert w2["terms"] == [{"rule": "h @ o_bar.T", "contribution": w2["adjoint"]}]
    assert w2["adjoint"] == [[out["gradient"][f"W2[{i},{j}]"] for j in (1, 2, 3)] for i in (1, 2)]
    assert steps["o"]["shortcut"] == "c2 - onehot(3, 3)" and steps["o"]["shape"] == [3]
    assert steps["h"]["definition"] == "relu(c1)"
    nodes = {n["id"]: n["value"] for n in out["nodes"]}
    assert steps["h"]["value"] == [nodes[e] for e in steps["h"]["entries"]]
    assert steps["L"]["seed"] and steps["L"]["shape"] is None
    assert "array_steps" not in run_json("reverse", "x*y", "--at", "1,2")


def test_an_array_read_in_part_is_used_and_an_unused_one_is_told() -> None:
    out = run("reverse", "s = softmax(o); L = -log(s[2])", "--at", "o=[1,2,0.5]").output
    assert "does not affect" not in out
    out = run("reverse", "s = softmax(o); t = 2*s; L = -log(s[2])", "--at", "o=[1,2,0.5]").output
    assert "warning: step t[1] = 2*s[1] does not affect the output L" in out


def _forward(text: str, shapes: dict, seed: int = 0, wrt=None):
    rng = random.Random(f"{text}{seed}")
    graph = graph_of(text, shapes=shapes)
    point = {n: rng.uniform(-1.5, 1.5) for n in graph.names}
    direction = None if wrt else {n: rng.uniform(-1, 1) for n in graph.names}
    trace = run_forward(graph, point, wrt, direction)
    return trace, array_view(trace)


@pytest.mark.parametrize("text,shapes", NAMED + PROGRAMS)
@pytest.mark.parametrize("seed", [0, 1])
def test_every_tangent_rule_evaluates_to_the_sweeps_numbers(text: str, shapes: dict, seed: int) -> None:
    trace, view = _forward(text, shapes, seed)
    env = {r.name: _arrays(r) for r in view.rows}
    rows = tangent_rows(trace, view, trace.sweeps[0])
    dots = {("dot", t.row.name): _arrays(t.row._replace(value=t.tangent)) for t in rows}
    assert rows[-1].row.node == trace.graph.output and rows[-1].tangent == (trace.directional,)
    for t in rows:
        if t.rule is None or _general(t.rule):
            continue
        got = _shaped(evaluate(t.rule, env, dots), t.row.shape)
        assert got.reshape(-1) == pytest.approx(list(t.tangent), rel=1e-11, abs=1e-13), (t.row.name,
                                                                                         TextStyle().text(t.rule))


def test_a_sweep_along_one_entry_leaves_the_other_inputs_out() -> None:
    trace, view = _forward(MLP, MLP_SHAPES, wrt=["x[1]"])
    rows = tangent_rows(trace, view, trace.sweeps[0])
    assert [TextStyle().text(t.rule) if t.rule else t.row.name for t in rows][:4] == [
        "x", "W1ᵀ @ ẋ", "step(c1) ⊙ ċ1", "W2ᵀ @ ḣ"]
    out = run("forward", MLP, "--at", "W1=[[1,2],[3,4]],x=[1,1],W2=[[1,0,2],[0,1,1]]", "--wrt", "x").stdout
    assert "ċ1 (2×1) = W1ᵀ @ ẋ" in " ".join(out.split()) and "ȯ (3×1) = W2ᵀ @ ḣ" in " ".join(out.split())
    scalar = run("forward", MLP, "--at", "W1=[[1,2],[3,4]],x=[1,1],W2=[[1,0,2],[0,1,1]]", "--wrt", "x",
                 "--scalar").stdout
    assert "ẋ[1]" in scalar and "(2×1)" not in scalar
    a = run_json("forward", MLP, "--at", "W1=[[1,2],[3,4]],x=[1,1],W2=[[1,0,2],[0,1,1]]", "--wrt", "x")
    b = run_json("forward", MLP, "--at", "W1=[[1,2],[3,4]],x=[1,1],W2=[[1,0,2],[0,1,1]]", "--wrt", "x", "--scalar")
    assert a["gradient"] == b["gradient"]


def test_json_array_steps_carry_each_sweeps_tangents() -> None:
    out = run_json("forward", "L = sum(relu(W @ x))", "--at", "W=[[1,2],[3,4]],x=[1,-1]", "--wrt", "x")
    steps = {s["name"]: s for s in out["array_steps"]}
    assert "tangents" not in steps["W"]  # seeded with 0 in every sweep
    assert steps["x"]["tangents"]["x[2]"] == {"rule": None, "tangent": [0.0, 1.0]}
    assert steps["c1"]["tangents"]["x[1]"] == {"rule": "W @ x_dot", "tangent": [1.0, 3.0]}
    assert steps["L"]["tangents"]["x[2]"]["tangent"] == out["gradient"]["x[2]"]


def test_graph_has_a_row_per_array_with_its_shape_operands_and_users() -> None:
    out = run("graph", MLP, "--shape", "W1=2x2,x=2,W2=2x3", "--width", "200").stdout
    rows = {line.split()[0]: line for line in _lines(out) if line[:1].isalpha() and "(" in line.split("  ")[0]}
    assert rows["c1"].split() == ["c1", "(2×1)", "step", "W1ᵀ", "@", "x", "W1,", "x", "h"]
    assert rows["W2"].split() == ["W2", "(2×3)", "input", "o"]
    assert rows["o"].split() == ["o", "(3×1)", "step", "W2ᵀ", "@", "h", "W2,", "h", "c2"]
    assert not any("W1[1," in line for line in _lines(out))
    assert "the scalar graph has" in out
    scalar = run("graph", MLP, "--shape", "W1=2x2,x=2,W2=2x3", "--width", "200", "--scalar").stdout
    assert any(line.startswith("W1[1,2]") for line in _lines(scalar))


def test_graph_at_a_point_shows_the_arrays_values_tangents_and_adjoints_of_the_sweeps() -> None:
    at = "W1=[[1,2],[3,4]],x=[0.5,0.25],W2=[[1,0,2],[0,1,1]]"
    doc = run_json("graph", MLP, "--at", at, "--wrt", "x", "--adjoints")
    steps = {s["name"]: s for s in doc["array_steps"]}
    out = run("graph", MLP, "--at", at, "--wrt", "x", "--width", "400").stdout
    cells = {line.split()[0]: line for line in _lines(out) if line[:1].isalpha()}
    fmt = lambda v: str(v).replace(".0,", ",").replace(".0]", "]")  # noqa: E731  (the tables print 1, not 1.0)
    for key in ("W2", "h", "c1", "o"):
        line = cells[key]
        assert fmt(steps[key]["value"]) in line, (key, line)
        assert fmt(steps[key]["adjoint"]) in line, (key, line)
        if key != "W2":  # W2 does not move with x: JSON leaves its tangents out, the table has zeros
            assert fmt(steps[key]["tangents"]["x[2]"]["tangent"]) in line, (key, line)
    assert cells["W2"].count("[[0, 0, 0], [0, 0, 0]]") == 2  # its tangents along x[1] and x[2]


@pytest.mark.parametrize("command", ["reverse", "forward"])
def test_data_rows_forming_a_vector_get_the_tables_at_the_sheets_level(command) -> None:
    program = "x = [x1, x2]; z = wᵀ @ x + b; L = -(y*log(sigmoid(z)) + (1-y)*log(1-sigmoid(z)))"
    args = (command, program, "--at", "w=[0.1,0.2],b=0", "--data", "examples/logistic20.csv", "--row", "2",
            "--max-rows", "0")
    arrays, scalar = run(*args).stdout, run(*args, "--scalar").stdout
    lines = _lines(arrays)
    assert any(line.startswith("x (2×1) = [x1, x2]") for line in lines)
    rule = "w̄ (2×1) = c̄1·x" if command == "reverse" else "ċ1 = ẇᵀ @ x"
    assert any(" ".join(line.split()).startswith(rule) for line in lines), lines
    assert "The tables are for sample 2 (line 3)" in arrays and "Sample 2 alone:" in arrays
    # the line per sample and the totals are the scalar tables' own
    assert arrays[arrays.index("Every sample"):] == scalar[scalar.index("Every sample"):]
    assert not any(line.startswith("w̄[1]") or line.startswith("ẇ[1]") for line in lines)
