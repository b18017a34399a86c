"""A result per command: what it computed, and how to show it.

Every result shares a header (``command``, ``graph``, ``point``, ``warnings``) and keeps the engine's record
(``record``: a Trace, a Checked or a Descent) that the renderers read. On top of that each command's result
names what it computed: ``value``, ``gradient``, ``tangents``, ``adjoints``, ``jacobian``, ``hessian``,
``verdicts``, ``steps``. A result shows itself: ``str()`` is the terminal text, ``to_dict()`` the JSON object
of ``--format json``, and in a notebook it displays as Markdown (``_repr_markdown_``) or, exported to LaTeX,
as the LaTeX fragment of ``--format latex`` (``_repr_latex_``); a graph displays as an SVG picture, drawn by
Graphviz's ``dot`` where it is installed and by gradcli itself where it is not.
"""

from __future__ import annotations

import io
import json
from typing import ClassVar, Sequence

from .core.graph import Graph
from .render import View, render


def _short(values: dict | None, order=None, open_: str = "{", close: str = "}", most: int = 6) -> str:
    """``{x1: 64.0, x2: 192.0}``, with the entries past the first ``most`` left out."""
    if values is None:
        return ""
    keys = [k for k in (order if order is not None else values) if k in values]
    sep = "=" if open_ == "(" else ": "
    parts = [f"{k}{sep}{values[k]!r}" for k in keys[:most]]
    if len(keys) > most:
        parts.append(f"… {len(keys) - most} more")
    return open_ + ", ".join(parts) + close


class Result:
    """What a command computed: the shared header, the engine's record, and the display options asked for.
    Read-only, as every record of the engine is."""

    command: ClassVar[str] = ""
    __slots__ = ("graph", "point", "warnings", "record", "view")

    graph: Graph
    point: dict | None  # every input's value (and the constants --let held), by name; None for a bare graph
    warnings: Sequence[str]  # kinks, overflow, cancellation, columns of --data: one line each
    record: object  # what the renderers read
    view: View  # how str() and the notebook show it: --cost, --digits, --max-rows, ...

    def __init__(self, graph: Graph, point: dict | None, warnings: Sequence[str], record: object,
                 view: View = View()) -> None:
        for field, value in zip(Result.__slots__, (graph, point, warnings, record, view)):
            object.__setattr__(self, field, value)

    def __setattr__(self, field: str, value) -> None:
        raise AttributeError(f"a result is read-only: {field}")

    # --- showing it ---------------------------------------------------------------------------------------

    def render(self, fmt: str = "table", **view) -> str:
        """The result in a format of its command (table, json, markdown, latex; graph: dot, mermaid and svg too), as
        the CLI writes it; ``view`` overrides the display options: width, unicode, max_rows, digits, cost,
        edge_labels, rankdir."""
        out = io.StringIO()
        render(self, out, self.view._replace(fmt=fmt, **view))
        return out.getvalue()

    def to_dict(self) -> dict:
        """The JSON object of ``--format json``; non-finite numbers are the strings "inf", "-inf", "nan"."""
        return json.loads(self.render("json"))

    def __str__(self) -> str:
        return self.render("table")

    def _repr_markdown_(self) -> str:
        return self.render("markdown")

    def _repr_latex_(self) -> str:
        """The LaTeX fragment (it needs amsmath): what a notebook exported to LaTeX or PDF prints."""
        return self.render("latex")

    def _repr_pretty_(self, p, cycle: bool) -> None:  # IPython's plain text: the tables, not the repr
        p.text(str(self))

    def __repr__(self) -> str:
        """One short line: the function at the point, its value and gradient, long ones cut."""
        shown = [f"{self.graph.function}{_short(self.point, self.graph.names, '(', ')')}"]
        value = getattr(self, "value", None)
        if value is not None:
            shown.append(f"value={_short(value) if isinstance(value, dict) else repr(value)}")
        gradient = getattr(self, "gradient", None)
        if gradient is not None:
            shown.append(f"gradient={_short(gradient)}")
        return f"<gradcli {self.command}: {' '.join(shown)}>"

    # --- what every command has -----------------------------------------------------------------------------

    @property
    def source(self) -> str:
        return self.graph.source

    @property
    def inputs(self) -> tuple[str, ...]:
        """The variables, in the graph's order (--at binds values in this order)."""
        return tuple(self.graph.names)


class _Traced(Result):
    """A result whose record is a Trace: values at the point, and the sweeps made there."""

    __slots__ = ()

    @property
    def value(self) -> float | None:
        """f at the point (None for a graph without a point); with data, the loss over the samples, as JSON's."""
        s = self.record.summed
        if s is not None:
            return s.total
        values = self.record.values
        return None if values is None else values[self.graph.output]

    @property
    def gradient(self) -> dict[str, float] | None:
        """∂f/∂x for each input computed, by name; with data, the loss's, as JSON's (``sample`` has the one
        sample's that the tables show)."""
        s = self.record.summed
        if s is not None:
            return dict(s.gradient)
        g = self.record.gradient
        return None if g is None else dict(g)

    @property
    def sample(self) -> dict | None:
        """With data: the sample the tables show, its row of the file (from 1), its value and gradient."""
        s = self.record.summed
        if s is None:
            return None
        return {"row": s.row + 1, "value": self.record.values[self.graph.output],
                "gradient": dict(self.record.gradient)}

    @property
    def values(self) -> dict[str, float] | None:
        """Every node's value, by id."""
        values = self.record.values
        return None if values is None else dict(zip(self.graph.ids, values))

    @property
    def total(self) -> dict | None:
        """With data: the loss summed (or averaged) over the samples, and its gradient."""
        s = self.record.summed
        return None if s is None else {"value": s.total, "gradient": dict(s.gradient)}

    def _tangents(self) -> dict[str, dict[str, float]]:
        return {s.label: dict(zip(self.graph.ids, s.tangents)) for s in self.record.sweeps}

    def _adjoints(self) -> dict[str, float] | None:
        adj = self.record.adjoints
        return None if adj is None else dict(zip(self.graph.ids, adj))


class Forward(_Traced):
    """``gradcli forward``: one tangent sweep per input (or one along a direction)."""

    __slots__ = ()

    command: ClassVar[str] = "forward"

    @property
    def tangents(self) -> dict[str, dict[str, float]]:
        """Per seeded input (or "direction"), each node's tangent by id."""
        return self._tangents()

    @property
    def directional(self) -> float | None:
        """∇f·d, with a direction."""
        return self.record.directional


class Reverse(_Traced):
    """``gradcli reverse``: one adjoint sweep from the output back."""

    __slots__ = ()

    command: ClassVar[str] = "reverse"

    @property
    def adjoints(self) -> dict[str, float]:
        """Each node's adjoint ∂f/∂c, by id."""
        return self._adjoints()


class GraphResult(_Traced):
    """``gradcli graph``: the nodes and edges; at a point, values, and adjoints or tangents where asked."""

    __slots__ = ()

    command: ClassVar[str] = "graph"

    @property
    def tangents(self) -> dict[str, dict[str, float]]:
        return self._tangents()

    @property
    def adjoints(self) -> dict[str, float] | None:
        return self._adjoints()

    def dot(self, **view) -> str:
        """Graphviz DOT, as ``--dot`` writes it."""
        return self.render("dot", **view)

    def mermaid(self, **view) -> str:
        """A Mermaid flowchart, as ``--format mermaid`` writes it (put it in a ```mermaid block to show it)."""
        return self.render("mermaid", **view)

    def svg(self) -> str:
        """The graph as SVG: drawn by Graphviz's ``dot`` where it is installed, else by gradcli itself
        (``render("svg")``, always gradcli's)."""
        import shutil
        import subprocess

        dot = shutil.which("dot")
        if dot is not None:
            done = subprocess.run([dot, "-Tsvg"], input=self.dot().encode("utf-8"), capture_output=True, check=False)
            if done.returncode == 0:
                return done.stdout.decode("utf-8")
        return self.render("svg")

    # In a notebook, the picture, by Graphviz where it is installed, else by gradcli; a graph too big to take in
    # at a glance shows its nodes and edges as a Markdown table instead. A front end shows Markdown and LaTeX
    # before SVG, so where there is a picture they are left out of the display (render("markdown") still gives
    # them).

    def _pictured(self) -> bool:
        return len(self.graph.nodes) <= PICTURE_NODES

    def _repr_svg_(self) -> str | None:
        return self.svg() if self._pictured() else None

    def _repr_markdown_(self) -> str | None:
        return None if self._pictured() else self.render("markdown")

    def _repr_latex_(self) -> str | None:
        return None if self._pictured() else self.render("latex")


PICTURE_NODES = 2000  # a notebook draws a graph of up to this many nodes


class Jacobian(_Traced):
    """``gradcli jacobian``: the matrix of several outputs' partials, by columns (forward) or rows (reverse)."""

    __slots__ = ()

    command: ClassVar[str] = "jacobian"

    @property
    def outputs(self) -> tuple[str, ...]:
        return tuple(self.graph.nodes[o].id for o in self.graph.outputs)

    @property
    def value(self) -> dict[str, float]:
        """Each output's value, by name."""
        values = self.record.values
        return {self.graph.nodes[o].id: values[o] for o in self.graph.outputs}

    @property
    def jacobian(self) -> list[list[float]]:
        """A row per output, a column per input."""
        return [list(row) for row in self.record.jacobian]

    @property
    def mode(self) -> str:
        return "forward" if self.record.sweeps else "reverse"


class Hessian(_Traced):
    """``gradcli hessian``: forward over reverse, the matrix and what its eigenvalues say."""

    __slots__ = ()

    command: ClassVar[str] = "hessian"

    @property
    def hessian(self) -> list[list[float]] | None:
        """A row and a column per input (None along a single direction: see ``hessian_vector``)."""
        h = self.record.hessian
        return None if h is None else [list(row) for row in h]

    @property
    def hessian_vector(self) -> dict[str, float] | None:
        """With a direction d: H·d, by input."""
        if self.record.hessian is not None:
            return None
        s = self.record.second[0]
        return {n: s.adjoint_tangents[i] for i, n in zip(self.graph.inputs, self.graph.names)}

    @property
    def eigenvalues(self) -> list[float] | None:
        c = self.record.curvature
        return None if c is None else list(c.eigenvalues)

    @property
    def definiteness(self) -> str | None:
        c = self.record.curvature
        return None if c is None else c.kind


class Check(Result):
    """``gradcli check``: a verdict per claimed derivative."""

    __slots__ = ()

    command: ClassVar[str] = "check"

    @property
    def verdicts(self) -> list:
        """Per claim: wrt, claim, truth (as Exprs), status ("proved", "different", "undecided") and where."""
        return list(self.record.verdicts)

    @property
    def verdict(self) -> str:
        """"proved" (every claim), "agrees" (every claim proved or, a claim of numbers, equal at the point),
        "different" (one is wrong) or "undecided"."""
        return self.record.verdict

    @property
    def exit_code(self) -> int:
        return self.record.exit_code

    def __bool__(self) -> bool:
        return self.record.exit_code == 0


class Descend(Result):
    """``gradcli descend``: a row per step of gradient descent, and why it stopped."""

    __slots__ = ()

    command: ClassVar[str] = "descend"

    @property
    def steps(self) -> list:
        """Per step: t, params, loss, gradient, momentum, update (tuples in the order of ``inputs``)."""
        return list(self.record.rows)

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(self.record.names)

    @property
    def value(self) -> float:
        """The loss where the descent ended."""
        return self.record.rows[-1].loss

    @property
    def params(self) -> dict[str, float]:
        """The parameters where the descent ended."""
        return dict(zip(self.record.names, self.record.rows[-1].params))

    @property
    def gradient(self) -> dict[str, float]:
        """The gradient where the descent ended."""
        return dict(zip(self.record.names, self.record.rows[-1].gradient))

    @property
    def stopped(self) -> str:
        """"steps", "gradient", "diverged" or "undefined"."""
        return self.record.stopped

    def __repr__(self) -> str:
        start = _short(self.point, self.record.names, "(", ")")
        end = _short(self.params, self.record.names, "(", ")")
        return (f"<gradcli descend: {self.graph.function} from {start} to {end} after {len(self.steps) - 1} steps "
                f"({self.stopped}) loss={self.value!r} gradient={_short(self.gradient)}>")


class GradCheck(Result):
    """``gradcli gradcheck``: per input, the central difference beside the analytic partial (reverse mode's
    or a claim's), their relative error and its reading."""

    __slots__ = ()

    command: ClassVar[str] = "gradcheck"

    @property
    def value(self) -> float:
        return self.record.value

    @property
    def gradient(self) -> dict[str, float]:
        """Reverse mode's partials."""
        return self.record.gradient

    @property
    def numeric(self) -> dict[str, float | None]:
        """The central differences, by input (None where f is undefined at x ± h)."""
        return {r.name: r.numeric for r in self.record.rows}

    @property
    def errors(self) -> dict[str, float | None]:
        """The relative errors |a − n| / max(|a|, |n|), by input."""
        return {r.name: r.error for r in self.record.rows}

    @property
    def rows(self) -> list:
        """Per input: name, x, h, analytic, reverse, numeric, error, reading, kinks."""
        return list(self.record.rows)

    @property
    def exit_code(self) -> int:
        """1 where a partial is probably wrong (a relative error above 10^-2, with no kink inside its step)."""
        return 0 if self.record.ok else 1

    def __bool__(self) -> bool:
        return self.record.ok


class Grade(Result):
    """``gradcli grade``: a student's table graded cell by cell against the key and their own earlier work."""

    __slots__ = ()

    command: ClassVar[str] = "grade"

    @property
    def student(self) -> str:
        return self.record.student

    @property
    def score(self) -> float:
        return self.record.score

    @property
    def max(self) -> float:
        return self.record.max

    @property
    def cells(self) -> list:
        """Per cell of the key: id, label, kind, sweep, line, student, expected_own, key, verdict, error,
        feedback, follows, note, points, max_points."""
        return list(self.record.cells)

    @property
    def charged(self) -> list:
        """The cells charged: wrong given the student's own earlier cells, or missing."""
        return self.record.charged

    @property
    def exit_code(self) -> int:
        """0 for full marks, else 1."""
        return 0 if self.record.full_marks else 1

    def __bool__(self) -> bool:
        return self.record.full_marks

    def __repr__(self) -> str:
        return (f"<gradcli grade: {self.student} {self.score:g}/{self.max:g} on {self.graph.function}, "
                f"{len(self.charged)} charged>")


class Plot(Result):
    """``gradcli plot``: the function's values over a grid of two inputs (or curves along one), a descent's
    path over them; ``save(path)`` writes the picture as PNG, SVG or PDF (matplotlib: the ``plot`` extra)."""

    __slots__ = ()

    command: ClassVar[str] = "plot"

    @property
    def inputs(self) -> tuple[str, ...]:
        r = self.record
        return (r.x.name,) + ((r.y.name,) if r.y is not None else ())

    @property
    def z(self) -> list[list[float]]:
        """The values: row k at the k-th y (or the k-th value of ``vary``), column j at the j-th x; nan where
        undefined."""
        return [list(row) for row in self.record.z]

    @property
    def minimum(self) -> dict | None:
        """The grid's least value and where: {"value": ..., "at": {name: ...}}."""
        m = self.to_dict()["minimum"]
        return None if m is None else {"value": m["value"], "at": m["at"]}

    def save(self, path) -> None:
        from .render.plot import save

        save(self.record, str(path))

    def __repr__(self) -> str:
        r = self.record
        size = f"{len(r.z[0])}×{len(r.z)}" if r.z else "empty"
        return f"<gradcli plot: {self.graph.function} over {', '.join(self.inputs)}, {size} points>"


class Worksheet(Result):
    """``gradcli worksheet``: the graph and the blank cells of a forward or reverse table (or its key)."""

    __slots__ = ()

    command: ClassVar[str] = "worksheet"

    @property
    def cells(self) -> list:
        return self.record.cells

    @property
    def key(self) -> bool:
        return self.record.key


RESULTS = {cls.command: cls for cls in (Forward, Reverse, GraphResult, Jacobian, Hessian, Check, Descend,
                                        GradCheck, Grade, Plot, Worksheet)}


def result_of(record, view: View = View()) -> Result:
    """The result of a command from the engine's record."""
    cls = RESULTS[record.command]
    graph = record.graph
    point = record.point if hasattr(record, "point") else record.at
    # the warnings as the record has them: a long program's notes of unused steps are made only when read
    return cls(graph, None if point is None else dict(point), getattr(record, "warnings", ()), record, view)
