"""Grading a table written in arrays: ``h = relu(W1 @ x + b1) = [0.5, 0]``, ``h̄ = [1, -2]``, ``∂L/∂W1 = [[…]]``.

The cells are the rows of the tables at the sheet's level (gradcli/engine/arrayview.py): each array a step
computes, its value and its adjoint, and each input's gradient. An array cell is its entries, and each entry is
a node of the scalar graph the program was written out as, so the grading is the scalar grader's
(gradcli/engine/grade.py) over those entries: each entry against the key and against the entry recomputed from
the student's own earlier cells. The nodes in between that the sheet has no cell for (a matrix product's
partial sums) are worked out from the student's cells, so a slip carries through them.

An array cell is right where every entry is; it is charged where an entry is wrong given the student's own
earlier cells, and follows where every entry that is off follows from an earlier charged cell.
"""

from __future__ import annotations

from typing import NamedTuple

from ..core.submission import Names, Sheet, Written, normal, number, split_top
from ..errors import GradcliError
from .arrayview import ArrayRow, ArrayView
from .grade import CREDIT, STYLE, Cell, Graded, _Given, _Grader, say, show


class _Rows(NamedTuple):
    """The rows of the tables as :class:`Names` reads a graph: their names, the inputs, the output."""

    ids: list
    names: list
    inputs: list
    function: str
    output: int
    held: frozenset

    def is_held(self, i: int) -> bool:
        return i in self.held


class ArrayCell(NamedTuple):
    """One cell of the key: a row's value or adjoint, or an input's gradient."""

    kind: str  # "value", "adjoint", "gradient"
    row: int  # the row in the view (for a gradient, the input's row)
    label: str
    slots: tuple  # the scalar slots of its entries, row by row


def rows_of(graph, view: ArrayView) -> _Rows:
    rows = view.rows
    ids = [r.name for r in rows]
    names = [n for n, _, _ in view.inputs]
    where = {r.name: i for i, r in enumerate(rows)}
    out = next(i for i, r in enumerate(rows) if graph.output in r.entries)
    return _Rows(ids, names, [where[n] for n in names], graph.function, out,
                 frozenset(i for i, r in enumerate(rows) if r.kind == "constant"))


def key_cells(graph, view: ArrayView) -> list[ArrayCell]:
    """The cells of the key, in the order a student fills a reverse table: the values forward, the adjoints
    back from the output, then the gradient."""
    rows = view.rows
    cells: list[ArrayCell] = []
    for i, r in enumerate(rows):
        if r.kind in ("step", "node"):
            cells.append(ArrayCell("value", i, r.name, tuple(("value", e) for e in r.entries if type(e) is int)))
    for i in range(len(rows) - 1, -1, -1):
        r = rows[i]
        if r.adjoint is not None and r.kind in ("step", "node", "input"):
            cells.append(ArrayCell("adjoint", i, STYLE.mark("bar", r.name),
                                   tuple(("adjoint", e) for e in r.entries if type(e) is int)))
    inputs = {n: names for n, _, names in view.inputs}
    for i, r in enumerate(rows):
        if r.kind == "input" and r.name in inputs:
            cells.append(ArrayCell("gradient", i, f"∂{graph.function}/∂{r.name}",
                                   tuple(("gradient", n) for n in inputs[r.name])))
    return cells


def entries(text: str, sheet: Sheet, at: int, shape: tuple[int, int] | None) -> list[Written | None]:
    """An array's numbers as written, row by row: ``[[1, 2], [3, 4]]``, ``[1, 2]`` (a vector, either way up),
    ``[[1], [2]]``; a number for a number. GradcliError where the count or the rows do not fit ``shape``."""
    t = normal(text).strip()
    if shape is None:
        return [number(t, sheet, at)]
    m, n = shape
    if "[" not in t and number(t, sheet, at) is None:  # left blank as a whole
        return [None] * (m * n)
    body = t[1:-1] if t.startswith("[") and t.endswith("]") else t
    parts = [p.strip() for p in split_top(body)]
    if any(p.startswith("[") for p in parts):  # rows: [[1, 2], [3, 4]], or a column [[1], [2]]
        groups = [split_top(p[1:-1]) if p.startswith("[") and p.endswith("]") else [p] for p in parts]
        flat = [x.strip() for g in groups for x in g]
        if len(groups) != m and not (1 in shape and len(flat) == m * n):
            raise GradcliError(f"has {len(groups)} rows; this array is {m}×{n}")
    else:
        flat = [p for p in parts if p]
    if len(flat) != m * n:
        raise GradcliError(f"has {len(flat)} entries; this array is {m}×{n}, {m * n} entries")
    return [number(x, sheet, at) for x in flat]


def grade_arrays(graph, point: dict, sheet: Sheet, mode: str | None = None, follow_through: str = "full",
                 total: float | None = None, rel: float | None = None, mapping: dict | None = None,
                 student: str = "student") -> Graded:
    """The sheet of an array program graded against the key, row by row (reverse mode)."""
    from .arrayview import array_view
    from .trace import run_reverse

    if mode == "forward":
        raise GradcliError("an array program's table is graded in reverse mode: a forward sweep would be one "
                           "per entry of every input; grade the adjoints (--mode reverse)")
    trace = run_reverse(graph, point)
    view = array_view(trace)
    if view is None:
        raise GradcliError("this program's output is an entry of an array: grade works on one number's tables")
    rows = rows_of(graph, view)
    names = Names(rows, mapping)
    cells = key_cells(graph, view)
    by_row = {(c.kind, c.row): c for c in cells}
    by_input = {view.rows[c.row].name: c for c in cells if c.kind == "gradient"}
    unknown: list[tuple[int, str, str]] = []
    extra: list[tuple[int, str, str]] = []
    given: dict[tuple, _Given] = {}
    written: dict[tuple, int] = {}  # an array cell -> the line it was written on
    ruled = False
    for ln in sheet.lines:
        n, why = names.resolve(ln.name)
        if n is None:
            unknown.append((ln.line, ln.name, why))
            continue
        if n.kind == "tangent":
            extra.append((ln.line, ln.name, "a tangent: this is graded as reverse mode"))
            continue
        if n.kind == "gradient" and n.sweep is None:
            unknown.append((ln.line, ln.name, "write each input's gradient on a line of its own: "
                            + ", ".join(f"∂{graph.function}/∂{x} = …" for x in rows.names)))
            continue
        cell = by_input.get(n.sweep) if n.kind == "gradient" else by_row.get((n.kind, n.node))
        if cell is None:
            r = view.rows[n.node]
            why = ("given by the point" if r.kind == "input" and n.kind == "value" else
                   "a rearrangement of another array: not a cell of its own" if r.kind == "view" else
                   "held constant: not a cell" if r.kind == "constant" else "not a cell of the key")
            extra.append((ln.line, ln.name, why))
            continue
        key = (cell.kind, cell.row)
        if key in written:
            extra.append((ln.line, ln.name, f"written twice; line {written[key]} is graded"))
            continue
        shape = view.rows[cell.row].shape
        try:
            ws = entries(ln.value, sheet, ln.value_offset, shape)
        except GradcliError as e:
            unknown.append((ln.line, ln.name, str(e)))
            continue
        written[key] = ln.line
        ruled = ruled or bool(ln.rule)
        for q, (slot, w) in enumerate(zip(cell.slots, ws)):
            given[slot] = _Given(ln.line, f"{ln.name}[{q + 1}]", w, None, None)
    asked = {s for c in cells for s in c.slots}
    g = _Grader(graph, trace, Names(graph), given, rel, follow_through, "reverse", [], None, asked)
    g.run()
    index = {x: i for i, x in enumerate(graph.ids)}
    scalar = {(c.kind, c.id if c.kind == "gradient" else index[c.id]): c for c in g.cells}
    owner = {s: c.label for c in cells for s in c.slots}
    # the entries whose scalar step is the sheet's own (an elementwise op: relu(c2)'s entry is relu of c2's), so
    # that the scalar grader's diagnosis (a sign, a wrong local partial) speaks of what the student did
    direct = set()
    for s in asked:
        if s[0] == "value":
            deps = [("value", a) for a in graph.nodes[s[1]].args if type(a) is int and graph.nodes[a].op != "input"]
        elif s[0] == "adjoint":
            deps = [("adjoint", i) for i, _ in graph.consumers[s[1]] if i <= graph.output]
        else:
            deps = []
        if all(d in asked for d in deps):
            direct.add(s)
    slot_of_label = {g.labels[s]: s for s in g.labels}
    out: list[Cell] = []
    for c in cells:
        out.append(_aggregate(c, [scalar[s] for s in c.slots], view.rows[c.row], written.get((c.kind, c.row)),
                              owner, slot_of_label, follow_through, direct))
    warnings = list(trace.warnings)
    if ruled:
        warnings.append("the rules written for arrays are not checked, only their numbers")
    weight = (total / len(out)) if (total is not None and out) else 1.0
    out = [c._replace(points=c.points * weight, max_points=weight) for c in out]
    return Graded("grade", graph, dict(point), "reverse", (), student, out, sorted(unknown), sorted(extra),
                  sum(c.points for c in out), weight * len(out), follow_through, warnings,
                  {k: v for k, v in (mapping or {}).items() if k != v}, ())


def _aggregate(cell: ArrayCell, parts: list[Cell], row: ArrayRow, line: int | None, owner: dict,
               slot_of_label: dict, follow_through: str, direct: set) -> Cell:
    shape = row.shape
    blank = line is None or all(p.student is None for p in parts)
    student = None if blank else _shaped([p.student for p in parts], shape)
    own = _shaped([p.expected_own for p in parts], shape)
    key = _shaped([p.key for p in parts], shape)
    verdicts = [p.verdict for p in parts]
    error = says = follows = None
    if blank:
        verdict, error = "missing", "missing cell"
        says = say(cell.label, " is missing: " if line is None else " is left blank: ", _rule(cell, row), " = ",
                   _text(key))
    elif any(v in ("wrong", "missing") for v in verdicts):
        verdict = "wrong"
        bad = [(q, p) for q, p in enumerate(parts) if p.verdict in ("wrong", "missing")]
        q, first = bad[0]
        error = first.error if first.verdict == "wrong" else "missing cell"
        if error not in ("missing cell", None) and not all(cell.slots[k] in direct for k, _ in bad):
            error = "arithmetic"  # a slip inside a matrix product's sums: the scalar steps are not the sheet's
        which = ", ".join(_entry(k, shape) for k, _ in bad[:4]) + (", …" if len(bad) > 4 else "")
        says = say(f"{error}: " if error else "", f"{'entry' if len(bad) == 1 else 'entries'} {which}: ",
                   _rule(cell, row), " gives ", _text(own), " from your own earlier cells, not ", _text(student))
    elif any(v == "follows" for v in verdicts):
        verdict = "follows"
        blamed = [p.follows for p in parts if p.verdict == "follows" and p.follows]
        follows = next((owner.get(slot_of_label.get(b), b) for b in blamed), "an earlier cell")
    else:
        verdict = "correct"
    points = {"correct": 1.0, "follows": CREDIT[follow_through]}.get(verdict, 0.0)
    ident = row.name
    return Cell(ident, cell.label, cell.kind, None, line, student, own, key, verdict, error, says, follows, None,
                points, 1.0, None)


def _shaped(values: list, shape: tuple[int, int] | None):
    """A row's entries as the sheet writes the array: a number, a vector's list, a matrix's rows."""
    if shape is None:
        return values[0]
    m, n = shape
    if 1 in shape:
        return tuple(values)
    return tuple(tuple(values[r * n:(r + 1) * n]) for r in range(m))


def _entry(q: int, shape: tuple[int, int] | None) -> str:
    if shape is None or 1 in shape:
        return f"[{q + 1}]"
    return f"[{q // shape[1] + 1}, {q % shape[1] + 1}]"


def _text(v) -> str:
    if isinstance(v, tuple):
        return "[" + ", ".join(_text(x) for x in v) + "]"
    return "—" if v is None else show(v)


def _rule(cell: ArrayCell, row: ArrayRow):
    """The cell's rule as the tables write it: the definition, the adjoint's sum of terms."""
    from ..core.expr import EQ, Expr, mark, name

    if cell.kind == "value" and row.definition is not None:
        return Expr(EQ, (name(row.name), row.definition))
    if cell.kind == "adjoint" and row.terms:
        total = row.terms[0][0]
        for rule, _, _ in row.terms[1:]:
            total = Expr("add", (total, rule))
        return Expr(EQ, (mark("bar", row.name), total))
    if cell.kind == "adjoint" and row.seed:
        return mark("bar", row.name)
    return cell.label if cell.kind == "gradient" else name(row.name)
