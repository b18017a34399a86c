"""A worksheet: the cells of a forward or reverse table for a student to fill, exactly the cells ``grade`` reads.

The cells are the answer key's, as the grader makes it (gradcli/engine/grade.py graded against an empty sheet),
so a worksheet filled with its key gets full marks by construction; this module adds what the sheet gives away
(``given``: the values, the rules) and the names a sheet may use for the problem's cells.
Plain records, no printing.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from ..errors import GradcliError

GIVEN = ("values", "rules")  # what --given may hand the student: the evaluation trace's numbers, every row's rule


class Blank(NamedTuple):
    """One cell of the sheet: the node (``id``; the input for a gradient entry), what it holds, its key."""

    id: str
    kind: str  # "value", "adjoint", "tangent", "gradient", as grade's cells
    sweep: str | None  # the seeded input of a tangent; the input of a gradient entry
    node: int | None  # its node's index (None for a gradient entry)
    key: float  # an array's entries as a tuple (of rows, for a matrix)
    given: bool  # its number is printed on the sheet (--given values)
    row: int | None = None  # an array program's cell: its row of the tables at the sheet's level


class Worksheet(NamedTuple):
    command: str  # "worksheet"
    graph: object
    point: dict
    mode: str
    sweeps: tuple[str, ...]
    cells: list[Blank]
    trace: object  # the answer key's trace: values, partials, and the tangents or adjoints
    given: tuple[str, ...]  # of GIVEN
    names: dict  # our id -> the sheet's name (--names)
    key: bool  # the key: every cell filled, with its rule and numbers
    seed: int | None
    warnings: list[str]
    view: object = None  # an array program's rows (gradcli/engine/arrayview.py); None for a scalar program


def worksheet(graph, point: dict, mode: str = "reverse", wrt: list[str] | None = None,
              given: tuple[str, ...] = (), names: dict | None = None, key: bool = False,
              seed: int | None = None) -> Worksheet:
    """The sheet of ``mode`` at ``point``: the grader's key cells, each marked given or blank."""
    from ..core.submission import Sheet
    from .grade import grade
    from .trace import run_forward, run_reverse

    if graph.steps:  # a program in arrays: its cells are the rows of its tables
        from .grade_arrays import grade_arrays

        graded = grade_arrays(graph, point, Sheet("", [], [], None), mode)
    else:
        graded = grade(graph, point, Sheet("", [], [], None), mode, wrt)
    trace = run_forward(graph, point, list(graded.sweeps)) if mode == "forward" else run_reverse(graph, point)
    if graph.steps:  # an array program: a cell per row of the tables at the sheet's level
        from .arrayview import array_view

        view = array_view(trace)
        where = {r.name: i for i, r in enumerate(view.rows)}
        cells = [Blank(c.id, c.kind, None, None, c.key, c.kind == "value" and "values" in given, where[c.id])
                 for c in graded.cells]
        return Worksheet("worksheet", graph, dict(point), mode, graded.sweeps, cells, trace, tuple(given),
                         dict(names or {}), key, seed, list(trace.warnings), view)
    index = {node_id: i for i, node_id in enumerate(graph.ids)}
    cells = [Blank(c.id, c.kind, c.sweep, None if c.kind == "gradient" else index[c.id], c.key,
                   c.kind == "value" and "values" in given) for c in graded.cells]
    return Worksheet("worksheet", graph, dict(point), mode, graded.sweeps, cells, trace, tuple(given),
                     dict(names or {}), key, seed, list(trace.warnings))


def names_for(graph, pairs: dict[str, str]) -> dict[str, str]:
    """--names SHEET=OURS pairs as our id -> the sheet's name; each must name a node of the graph once."""
    from ..core.parse import normal_name

    out: dict[str, str] = {}
    known = {n: n for n in graph.ids}
    known.update((n, graph.ids[i]) for i, n in zip(graph.inputs, graph.names))
    for theirs, ours in pairs.items():
        node = known.get(normal_name(ours))
        if node is None:
            raise GradcliError(f"--names {theirs}={ours}: '{ours}' is not a node of this problem; its nodes are "
                               f"{', '.join(graph.ids[:12])}{', …' if len(graph.ids) > 12 else ''}")
        if not theirs.isidentifier():
            raise GradcliError(f"--names {theirs}={ours}: a sheet's name is a name such as a or v3, not '{theirs}'")
        if node in out:
            raise GradcliError(f"--names gives {node} two names, {out[node]} and {theirs}")
        if theirs in out.values() or known.get(theirs, node) != node:
            raise GradcliError(f"--names {theirs}={ours}: '{theirs}' already names another node")
        out[node] = theirs
    return out


def drawn_point(graph, seed: int, held: dict | None = None, tries: int = 200) -> dict[str, float]:
    """A point drawn from ``seed`` (the same on every run and machine) where every value and partial is
    finite: each student's own numbers for the same problem."""
    import random

    from ..core.point import sample_point
    from .trace import run_reverse

    rng = random.Random(seed)
    for _ in range(tries):
        point = {**sample_point(graph.names, rng), **(held or {})}
        try:
            trace = run_reverse(graph, point)
        except GradcliError:
            continue
        numbers = [*trace.values, *trace.adjoints, *(p for row in trace.partials for p in row)]
        if all(math.isfinite(x) for x in numbers if isinstance(x, float)) and not trace.warnings:
            return point
    raise GradcliError(f"no point drawn from --seed {seed} keeps every value and derivative finite in "
                       f"{tries} tries; give the point with --at")
