"""Arrays in the language: literals, @, ᵀ, entries, elementwise ops, array functions, and their shape errors."""

from __future__ import annotations

import pytest

from gradcli.core.arrays import entry_names
from gradcli.core.graph import graph_of
from gradcli.core.parse import parse
from gradcli.core.point import array_shapes, bind, parse_shapes
from gradcli.engine.trace import run_reverse
from gradcli.errors import GradcliSyntaxError


def ops(text: str) -> list:
    return [(it.kind, it.arg, it.arity) for it in parse(text).statements[0].items]


def values(text: str, point: dict, **shapes):
    """The outputs' values of a program whose inputs ``shapes`` makes arrays."""
    g = graph_of(text, shapes=shapes)
    trace = run_reverse(g, point) if len(g.outputs) == 1 else None
    if trace is not None:
        return trace.value
    from gradcli.engine.trace import evaluate

    vals = evaluate(g, point).values
    return [vals[o] for o in g.outputs]


@pytest.mark.parametrize("text,expected", [
    ("[1, 2, 3]", [("num", 1.0, 0), ("num", 2.0, 0), ("num", 3.0, 0), ("op", "array", 3)]),
    ("[a + b]*2", [("name", "a", 0), ("name", "b", 0), ("op", "add", 2), ("num", 2.0, 0), ("op", "mul", 2)]),
    ("exp[x]", [("name", "x", 0), ("op", "exp", 1)]),
    ("xᵀ @ x", [("name", "x", 0), ("op", "transpose", 1), ("name", "x", 0), ("op", "matmul", 2)]),
    ("x.T @ x", [("name", "x", 0), ("op", "transpose", 1), ("name", "x", 0), ("op", "matmul", 2)]),
    ("W[1, 2]", [("name", "W", 0), ("num", 1.0, 0), ("num", 2.0, 0), ("op", "index", 3)]),
    ("softmax(o)[3]", [("name", "o", 0), ("op", "softmax", 1), ("num", 3.0, 0), ("op", "index", 2)]),
    ("-xᵀ@y", [("name", "x", 0), ("op", "transpose", 1), ("op", "neg", 1), ("name", "y", 0), ("op", "matmul", 2)]),
    ("a·b", [("name", "a", 0), ("name", "b", 0), ("op", "cdot", 2)]),
])
def test_the_parser_reads_arrays_as_the_sheets_write_them(text: str, expected: list) -> None:
    assert ops(text) == expected


def test_vectors_are_columns_and_a_one_by_one_result_is_a_number() -> None:
    x = {"x[1]": 3.0, "x[2]": 4.0}
    assert values("xᵀ @ x", x, x=(2, 1)) == 25.0
    assert values("x @ xᵀ", x, x=(2, 1)) == [9.0, 12.0, 12.0, 16.0]
    assert values("norm(x)", x, x=(2, 1)) == 5.0
    assert values("dot(x, x)", x, x=(2, 1)) == 25.0
    assert values("outer(x, [1, 10])", x, x=(2, 1)) == [3.0, 30.0, 4.0, 40.0]


def test_matrix_products_entries_and_broadcasting() -> None:
    point = {"W[1,1]": 1.0, "W[1,2]": 2.0, "W[2,1]": 3.0, "W[2,2]": 4.0, "x[1]": 5.0, "x[2]": 6.0}
    shapes = {"W": (2, 2), "x": (2, 1)}
    assert values("W @ x", point, **shapes) == [17.0, 39.0]
    assert values("Wᵀ @ x", point, **shapes) == [23.0, 34.0]
    assert values("W @ x + [1, 2]", point, **shapes) == [18.0, 41.0]
    assert values("W + x", point, **shapes) == [6.0, 7.0, 9.0, 10.0]  # x added to each column
    assert values("W + xᵀ", point, **shapes) == [6.0, 8.0, 8.0, 10.0]  # xᵀ added to each row
    assert values("W[2, 1]*x[2] + 2*W[1,2]", point, **shapes) == 22.0
    assert values("sum(W**2)", point, **shapes) == 30.0
    assert values("mean(W)", point, **shapes) == 2.5
    assert values("max(W) - min(x)", point, **shapes) == -1.0
    assert values("diag(x) @ [1, 2]", point, **shapes) == [5.0, 12.0]
    assert values("[[1, 2], [3, 4]] @ x", point, **shapes) == [17.0, 39.0]


def test_softmax_onehot_and_cross_entropy() -> None:
    import math

    point = {"o[1]": 1.0, "o[2]": 2.0, "o[3]": 3.0}
    s = values("softmax(o)", point, o=(3, 1))
    z = sum(math.exp(k) for k in (1, 2, 3))
    assert s == pytest.approx([math.exp(k) / z for k in (1, 2, 3)], rel=1e-15)
    loss = values("-sum(onehot(2, 3) * log(softmax(o)))", point, o=(3, 1))
    assert loss == pytest.approx(math.log(z) - 2, rel=1e-14)
    assert values("logsumexp(o)", point, o=(3, 1)) == pytest.approx(math.log(z), rel=1e-15)


def test_array_inputs_and_steps_are_named_by_their_entries() -> None:
    g = graph_of("h = relu(W @ x); y = sum(h)", shapes={"W": (2, 2), "x": (2, 1)})
    assert g.names == ("W[1,1]", "W[1,2]", "W[2,1]", "W[2,2]", "x[1]", "x[2]")
    assert "h[1]" in g.ids and "h[2]" in g.ids and g.ids[g.output] == "y"
    assert g.arrays == {"W": (2, 2), "x": (2, 1)}
    assert entry_names("r", (1, 3)) == ["r[1,1]", "r[1,2]", "r[1,3]"]


def test_a_vector_output_is_one_output_per_entry() -> None:
    g = graph_of("s = softmax(z)", shapes={"z": (3, 1)})
    assert [g.ids[o] for o in g.outputs] == ["s[1]", "s[2]", "s[3]"]
    assert g.functions == ("s[1]", "s[2]", "s[3]")


@pytest.mark.parametrize("text,shapes,column,says", [
    ("x @ x", {"x": (2, 1)}, 1, "did you mean xᵀ @ x (a number) or x @ xᵀ (a matrix)?"),
    ("W @ x", {"W": (2, 3), "x": (2, 1)}, 1, "2×3 @ 2×1"),
    ("W @ x", {"W": (3, 2), "x": (3, 1)}, 1, "did you mean Wᵀ @ x?"),
    ("x + y", {"x": (2, 1), "y": (3, 1)}, 5, "2×1 and 3×1 do not go together"),
    ("x + y", {"x": (2, 1), "y": (1, 2)}, 5, "2×1 and 1×2"),
    ("2 @ x", {"x": (2, 1)}, 1, "for a number times an array write *"),
    ("x[3]", {"x": (2, 1)}, 3, "index 3 is past the end"),
    ("x[0]", {"x": (2, 1)}, 3, "a whole number from 1"),
    ("x[k]", {"x": (2, 1)}, 3, "an index is a whole number written as a number"),
    ("W[3, 1]", {"W": (2, 2)}, 3, "outside this 2×2 array"),
    ("W[1]", {"W": (2, 2)}, 1, "give two, W[i, j]"),
    ("y[1]", {}, 1, "y is a number, not an array"),
    ("[[1, 2], [3]]", {}, 11, "row 2 is a number"),  # [3] is 3 in brackets, as [a + b] is a + b
    ("[[1, 2], 3]", {}, 10, "row 2 is a number"),
    ("softmax(W)", {"W": (2, 2)}, 9, "softmax(v) takes a vector"),
    ("dot(x, W)", {"x": (2, 1), "W": (2, 2)}, 8, "dot(u, v) takes two vectors"),
    ("dot(x, y)", {"x": (2, 1), "y": (3, 1)}, 1, "vectors as long"),
    ("onehot(4, 3)", {}, 8, "the class is a whole number from 1 to 3"),
    ("sum(x, 1)", {"x": (2, 1)}, 5, "sum of an array takes that one array"),
])
def test_shape_errors_point_at_the_culprit_and_say_both_shapes(text: str, shapes: dict, column: int,
                                                                says: str) -> None:
    with pytest.raises(GradcliSyntaxError) as info:
        graph_of(text, shapes=shapes)
    e = info.value
    assert says in e.message and e.column == column, (e.column, e.message)


def test_scalar_programs_build_as_before() -> None:
    # the fast path for plain programs still runs where no input is an array
    g = graph_of("a = x*y; b = exp(a); c = a + b")
    assert g.arrays == {} and g.ids == ["x", "y", "a", "b", "c"]
    # a plain line that transposes a number takes the parser's path, and a number's transpose is itself
    assert run_reverse(graph_of("y = x.T*2"), {"x": 3.0}).gradient == {"x": 2.0}


def test_points_give_arrays_by_name_in_brackets() -> None:
    text = "x=[16, -6],W=[[0.18, 0.04], [0.1, 0.22]],b=2"
    shapes = array_shapes(text)
    assert shapes == {"x": (2, 1), "W": (2, 2)}
    names = ("W[1,1]", "W[1,2]", "W[2,1]", "W[2,2]", "b", "x[1]", "x[2]")
    assert bind(text, names, arrays=shapes) == {"W[1,1]": 0.18, "W[1,2]": 0.04, "W[2,1]": 0.1, "W[2,2]": 0.22,
                                                "b": 2.0, "x[1]": 16.0, "x[2]": -6.0}
    # in the inputs' order, without names: each array one value
    assert bind("[[1, 2], [3, 4]], 5, [pi, 1e-3]", names, arrays=shapes)["x[1]"] == pytest.approx(3.141592653589793)
    assert parse_shapes("W=2x3,x=3,r=1×4") == {"W": (2, 3), "x": (3, 1), "r": (1, 4)}


@pytest.mark.parametrize("text,column,says", [
    ("x=[1, 2, 3],W=[[1,2],[3,4]],b=1", 3, "'x' is 2×1 but this value is 3×1"),
    ("x=[1, 2],W=[[1,2],[3]],b=1", 19, "this row has 1 entries where the first has 2"),
    ("x=[1, 2],W=[[1,2],3],b=1", 19, "a matrix is written row by row"),
    ("x=[1, 2],W=[[1,2],[3,4]],b=[1]", 28, "'b' is a number in the expression"),
    ("x=[1, 2],W=[[1,2],[3,4]]", 25, "no value for b"),
    ("x=[1, zz],W=[[1,2],[3,4]],b=1", 7, "zz"),
])
def test_bad_array_values_get_a_caret(text: str, column: int, says: str) -> None:
    names = ("W[1,1]", "W[1,2]", "W[2,1]", "W[2,2]", "b", "x[1]", "x[2]")
    with pytest.raises(GradcliSyntaxError) as info:
        bind(text, names, arrays={"x": (2, 1), "W": (2, 2)})
    e = info.value
    assert says in e.message and e.column == column, (e.column, e.message)


SHEET = "f(x) = exp(x_1)*(x_1^2 + x_2^2)^3"


@pytest.mark.parametrize("at", ["0,2", "x=[0,2]", "(0, 2)"])
def test_the_sheets_f_of_x_reads_x_1_and_x_2_as_the_entries_of_a_vector(at) -> None:
    from conftest import run, run_json

    doc = run_json("reverse", SHEET, "--at", at)
    assert doc["gradient"] == {"x[1]": 64.0, "x[2]": 192.0}
    text = run("reverse", SHEET, "--at", at).stdout
    # the sheet's graph: it starts with c1 = x1, c2 = x2 and ends with f = c7
    assert "c1 = x[1]" in " ".join(text.split()) and "c2 = x[2]" in " ".join(text.split())
    assert "f  = c3·c7" in text


def test_a_subscript_past_the_vector_is_a_caret_under_it() -> None:
    with pytest.raises(GradcliSyntaxError) as e:
        graph_of("f(x) = x_1*x_3", shapes={"x": (2, 1)})
    assert e.value.offset == len("f(x) = x_1*") and e.value.length == 3 and "entry 3 of x, which has 2 entries" in e.value.message


def test_subscripts_are_entries_only_of_an_input_listed_as_a_vector() -> None:
    assert graph_of("x_1*x_2").names == ("x_1", "x_2")  # no f(x): two numbers, as before
    assert graph_of("f(x) = x_1*x_2").names == ("x[1]", "x[2]")
    assert graph_of("f(x) = x*x_1").names == ("x", "x_1")  # x read as itself: a number


def test_an_array_listed_as_an_input_keeps_its_entries_first() -> None:
    graph = graph_of("f(x, a) = sum(x**2)*a", shapes={"x": (2, 1)})
    assert graph.names == ("x[1]", "x[2]", "a")
    assert run_reverse(graph, {"x[1]": 1.0, "x[2]": 2.0, "a": 3.0}).gradient == {"x[1]": 6.0, "x[2]": 12.0,
                                                                                "a": 5.0}
