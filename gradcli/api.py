"""The Python API: every command as a function that takes the source text and the command line's options as
keyword arguments, and returns the command's result (gradcli/result.py).

    >>> import gradcli
    >>> r = gradcli.reverse("exp(x1)*(x1**2+x2**2)**3", at={"x1": 0, "x2": 2})
    >>> r.value, r.gradient
    (64.0, {'x1': 64.0, 'x2': 192.0})

A point (``at``, ``let``, ``direction``) is text as ``--at`` takes it ("0,2", "x1=0,x2=2", "pi/4"), a mapping
from names to numbers (or to such text), or a sequence of numbers in the inputs' order; a list of names
(``wrt``) is text ("x1,x2") or a sequence of names. Mistakes raise ``GradcliError`` subclasses with the message
and caret the command line prints (``UsageError`` for options that do not go together). The command line
calls only these functions.
"""

from __future__ import annotations

import functools
import math
import os
from typing import Callable, Iterable, Mapping, Union

from . import limits
from .errors import GradcliError, GradcliSyntaxError, UsageError
from .core.graph import graph_of
from .render import View
from .result import (Check, Descend, Forward, Grade, GradCheck, GraphResult, Hessian, Jacobian, Plot, Reverse,
                     Worksheet, result_of)

Point = Union[str, Mapping[str, object], Iterable[object], None]
Names = Union[str, Iterable[str], None]

__all__ = ["forward", "reverse", "graph", "jacobian", "hessian", "check", "gradcheck", "descend", "grade", "plot",
           "worksheet", "read_data"]


# --- arguments as the command line's text -------------------------------------------------------------------


def _number(x: object) -> str:
    """A value as --at would take it: text stays text, a Fraction stays exact (3/4), a float keeps every digit."""
    if isinstance(x, str):
        return x
    if isinstance(x, bool):
        raise UsageError(f"{x!r} is not a number")
    if isinstance(x, int):
        return str(x)
    if hasattr(x, "tolist") and getattr(x, "ndim", 0):  # a numpy array: its nested lists
        x = x.tolist()
    if isinstance(x, (list, tuple)):  # an array's value, [[1, 2], [3, 4]]
        return "[" + ",".join(_number(v) for v in x) + "]"
    if hasattr(x, "numerator") and hasattr(x, "denominator"):  # a Fraction (fractions is not imported for it)
        return f"{x.numerator}/{x.denominator}" if x.denominator != 1 else str(x.numerator)
    try:
        return repr(float(x))  # float, numpy's scalars, Decimal
    except (TypeError, ValueError):
        raise UsageError(f"{x!r} is not a number") from None


def _point_text(value: Point, option: str = "--at") -> str | None:
    if value is None or isinstance(value, str):
        return limits.option(value, option)
    if isinstance(value, Mapping):
        return limits.option(",".join(f"{k}={_number(v)}" for k, v in value.items()), option)
    try:
        items = list(value)
    except TypeError:
        return _number(value)  # one number, for a function of one input
    return limits.option(",".join(_number(v) for v in items), option)


def _names_text(value: Names, option: str = "--wrt") -> str | None:
    if value is None or isinstance(value, str):
        return limits.option(value, option)
    return limits.option(",".join(value), option)


def _choice(value: str, choices: tuple[str, ...], option: str) -> None:
    if value not in choices:
        raise UsageError(f"{value!r} is not one of {', '.join(map(repr, choices))}.", option)


def _in_range(value, option: str, low=None, high=None, low_open: bool = False, high_open: bool = False,
              whole: bool = True) -> None:
    """A value within its option's range, told in click's words where it is not: "-1 is not in the range x>=0."."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
        raise UsageError(f"{value!r} is not a {'whole number' if whole else 'number'}", option)
    if not whole:
        value = float(value)
        if not math.isfinite(value):
            raise UsageError("must be a number", option)
    below = low is not None and (value <= low if low_open else value < low)
    above = high is not None and (value >= high if high_open else value > high)
    if below or above:
        lo = "" if low is None else f"{low}{'<' if low_open else '<='}"
        hi = "" if high is None else f"{'<' if high_open else '<='}{high}"
        if low is not None and high is None:
            described = f"x{'>' if low_open else '>='}{low}"
        elif high is not None and low is None:
            described = f"x{hi}"
        else:
            described = f"{lo}x{hi}"
        raise UsageError(f"{value} is not in the range {described}.", option)


def read_data(path: str | os.PathLike, text: str | None = None):
    """A data file (CSV with a header) read for ``data=``: each row a sample; ``text`` gives its contents
    instead of reading ``path`` (then ``path`` only names it in messages)."""
    from .engine.data import read_table

    if text is None:
        try:
            with open(path, "rb") as f:
                text = decode_data(limits.read(f, f"--data {os.fspath(path)}", "data_bytes"), os.fspath(path))
        except (OSError, ValueError) as e:
            raise GradcliError(f"cannot read {os.fspath(path)}: {getattr(e, 'strerror', None) or e}") from None
    else:
        limits.text(text, f"--data {os.fspath(path)}", "data_bytes")
    return read_table(text, os.fspath(path))


def decode_data(data: bytes, source: str) -> str:
    """A data file's bytes as text: UTF-8 (a byte-order mark dropped), else one line saying where it is not."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise GradcliError(f"{source} is not UTF-8 text: byte {data[e.start]:#04x} on line {line:,} is not "
                           "a character") from None


# --- the problem: the graph, and where each of its names gets its value -------------------------------------


class Problem:
    """The graph of the source, and how its names get values: the point (--at) gives the variables, ``let``
    holds constants, a data file's columns give each sample's values, and under ``wrt`` the other inputs are
    held at their values from the point."""

    def __init__(self, source: str, prefix: str = "c", share: bool = True, output: Names = None,
                 let: Point = None, data=None, several: bool = False, wrt: Names = None, at: Point = None,
                 shape: Names = None, as_written: bool = False) -> None:
        if not isinstance(source, str):
            raise UsageError(f"the source is text, an expression or a program, not {type(source).__name__}")
        self.source = limits.text(source, "the source", "source_bytes")
        self.let = _point_text(let, "--let")
        self.table = read_data(data) if isinstance(data, (str, os.PathLike)) else data
        self.columns: tuple[str, ...] = tuple(self.table.columns) if self.table is not None else ()
        self.at_names: tuple[str, ...] | None = None  # with wrt: every input of the expression, which --at gives
        self.at_arrays: dict = {}  # and the arrays among them
        self.chosen: list[str] | None = None
        self.shapes = self.array_shapes(_point_text(at), _names_text(shape, "--shape"))
        held = self.held_names()
        outputs = _names_text(output, "--output")
        shapes = self.shapes
        graph = graph_of(source, prefix, share=share, outputs=outputs, held=held, columns=self.columns, shapes=shapes,
                         as_written=as_written)
        wrt = _names_text(wrt)
        if wrt is not None:
            self.chosen = inputs(wrt, graph.names, graph.arrays)
            self.at_names = graph.names
            self.at_arrays = graph.arrays
            others = tuple(n for n in graph.names if n not in self.chosen)
            graph = graph_of(source, prefix, share=share, outputs=outputs, held=held + others, columns=self.columns,
                             shapes=shapes, as_written=as_written)
        self.graph = graph
        if self.table is not None and self.table.text:
            from .engine.data import refuse_text_columns

            refuse_text_columns(self.table, graph.names)
        if not graph.names:
            columns = [n for n in graph.data_names if n in self.columns]
            why = [f"{', '.join(columns)} {'is a column' if len(columns) == 1 else 'are columns'} of the data"] \
                if columns else []
            lets = [n for n in graph.data_names if n not in columns]
            why += [f"--let holds {', '.join(lets)}"] if lets else []
            raise GradcliError(f"every name the expression reads is held constant ({'; '.join(why)}): nothing is "
                               "left to differentiate; rename a column, or give the variables with --at instead of "
                               "--let")
        if not several and len(graph.outputs) > 1:
            names = ", ".join(graph.nodes[o].id for o in graph.outputs)
            raise GradcliError(f"this program has {len(graph.outputs)} outputs ({names}): gradcli jacobian shows "
                               f"them all; pick one here with --output {graph.nodes[graph.outputs[0]].id}")

    def array_shapes(self, at: str | None, shape: str | None) -> dict:
        """The inputs that are arrays: those ``at`` or ``let`` gives an array value, and those ``shape`` lists."""
        from .core.point import array_shapes, parse_shapes

        shapes = {**array_shapes(self.let), **array_shapes(at)}
        for name, given in parse_shapes(shape).items():
            if shapes.setdefault(name, given) != given:
                from .core.arrays import shape_text

                raise GradcliError(f"--shape gives {name} as {shape_text(given)} but its value is "
                                   f"{shape_text(shapes[name])}")
        return shapes

    def arrays(self, names) -> dict:
        """The arrays among ``names`` (entry names, W[1,2]), by shape: what ``bind`` needs to read their values."""
        from .core.arrays import entry_names

        known = {**self.at_arrays, **self.graph.arrays}
        names = set(names)
        return {n: s for n, s in known.items() if entry_names(n, s)[0] in names}

    def held_names(self) -> tuple[str, ...]:
        """The names ``let`` holds constant (an array's: each of its entries)."""
        from .core.parse import normal_name
        from .core.point import split_top

        names: list[str] = []
        text = self.let
        if text is not None:
            for start, part in split_top(text):
                name, eq, _ = part.partition("=")
                if not eq or not name.strip():
                    raise GradcliSyntaxError("--let takes name=value pairs, e.g. --let x=2,y=3", text, start,
                                             max(1, len(part)), "--let ")
                names.append(normal_name(name.strip()))
        from .core.arrays import entry_names

        return tuple(e for n in names for e in (entry_names(n, self.shapes[n]) if n in self.shapes else (n,)))

    def point(self, at: Point, option: str = "--at") -> dict[str, float]:
        """The point: ``at`` for the inputs, ``let`` for the constants held."""
        from .core.point import bind

        at = _point_text(at)
        graph = self.graph
        names = self.at_names or graph.names  # under wrt, the point still gives every input of the expression
        self._not_held(at, option)
        try:
            point = bind(at, names, option, arrays=self.arrays(names))
        except GradcliSyntaxError as e:
            if self.columns and any(n not in self.columns for n in names):
                unread = [c for c in self.columns if c not in graph.data_names]
                e.message += (f"; the data's columns are {', '.join(self.columns)}"
                              + (f" ({', '.join(unread)} not read by the expression)" if unread else ""))
                e.args = (e.message,)
            raise
        return {**point, **self.let_values()}

    def _not_held(self, text: str | None, option: str) -> None:
        """A name given with --at (or --let) that a data file's column already gives, or --let holds."""
        from .core.parse import normal_name
        from .core.point import split_top

        if text is None:
            return
        lets = self.let_names() if option == "--at" else ()
        for start, part in split_top(text):
            name, eq, _ = part.partition("=")
            name = normal_name(name.strip())
            if not eq:
                continue
            if name in self.columns and name in self.graph.data_names:
                raise GradcliSyntaxError(f"'{name}' is a column of the data: each sample gives its value; rename "
                                         f"the column or the name in the expression", text, start, max(1, len(part)),
                                         option + " ")
            if name in lets:
                raise GradcliSyntaxError(f"'{name}' is held constant by --let: give it there or here, not both",
                                         text, start, max(1, len(part)), option + " ")

    def let_values(self) -> dict[str, float]:
        from .core.point import bind

        if self.let is None:
            return {}
        self._not_held(self.let, "--let")
        return bind(self.let, self.let_names(), "--let", arrays=self.arrays(self.let_names()))

    def let_names(self) -> tuple[str, ...]:
        """The names ``let`` holds: held names that are neither the data's columns nor inputs ``wrt`` left out."""
        at = self.at_names or ()
        return tuple(n for n in self.graph.data_names if n not in self.columns and n not in at)

    def typed(self, at: Point) -> dict:
        """The values of the point and of ``let``, by name, as the Exprs they were typed as (for exact work)."""
        from .core.point import bind

        at = _point_text(at)
        names = self.at_names or self.graph.names
        typed = bind(at, names, "--at", trees=True, arrays=self.arrays(names)) if at is not None else {}
        if self.let is not None:
            typed.update(bind(self.let, self.let_names(), "--let", trees=True, arrays=self.arrays(self.let_names())))
        return typed

    def sample(self, run: Callable, k: int):
        """The worked trace of sample k; a math error there says which sample it is."""
        from .engine.data import at_sample
        from .errors import MathError

        try:
            return run()
        except MathError as e:
            raise at_sample(e, self.table, k) from None

    def over_data(self, trace, reduce: str, row: int, mode: str, point: dict[str, float], wrt=None):
        """The trace of one sample, with every sample's loss and gradient and their total."""
        from .engine.data import column_notes, summed

        notes: list[str] = column_notes(self.table, trace.graph)
        total = summed(trace.graph, point, self.table, reduce, row, mode, wrt, notes)
        return trace._replace(summed=total, warnings=[*trace.warnings, *notes])

    def no_data(self, reduce: str, row: int | None) -> None:
        """``reduce`` and ``row`` say how to use the data: without data they are a mistake."""
        if row is not None:
            raise UsageError("--row picks a sample of --data: add --data FILE")
        if reduce != "sum":
            raise UsageError("--reduce says how to total the samples of --data: add --data FILE")


def inputs(text: str, names: tuple[str, ...], arrays: dict | None = None) -> list[str]:
    """The inputs ``wrt`` names, each an input, in the graph's order; an array stands for all its entries."""
    from .core.arrays import entry_names
    from .core.parse import normal_name
    from .core.point import split_top

    chosen = []
    for offset, part in split_top(text):
        name = normal_name(part.strip())
        if arrays and name in arrays:
            chosen += [e for e in entry_names(name, arrays[name]) if e not in chosen]
            continue
        if name not in names:
            raise GradcliSyntaxError(f"'{name}' is not an input; the inputs are {', '.join(names)}",
                                     text, offset + (len(part) - len(part.lstrip())), max(1, len(name)), "--wrt ")
        if name not in chosen:
            chosen.append(name)
    return sorted(chosen, key=names.index)


def _point_or_anywhere(problem: Problem, at: str | None, symbolic: bool, exact: bool):
    """The point from ``at``; or, for --symbolic without --at, None and a function that finds a point where the
    function is defined, for the sweeps to run at (the tables show only symbols, so which point does not
    matter)."""
    if at is not None or not symbolic:
        return problem.point(at), None
    if exact:
        raise UsageError("--exact gives the numbers at a point exactly: add --at, e.g. --at 0,2")
    if problem.table is not None:
        raise UsageError("--data sums numbers at a point: add --at for the parameters")
    if problem.graph.arrays:
        raise UsageError("--symbolic without --at works on scalar inputs; with arrays, add --at")
    names = problem.at_names or problem.graph.names

    def anywhere(run) -> dict[str, float]:
        import random

        from .errors import MathError
        from .core.point import sample_point

        rng = random.Random(0)
        for _ in range(64):
            p = {**sample_point(names, rng), **problem.let_values()}
            try:
                values = run(p).values
            except (MathError, ArithmeticError, ValueError):
                continue
            if all(math.isfinite(v) for v in values):
                return p
        raise UsageError("no point found where the function is defined, for the sweeps to run at: add --at")

    return None, anywhere


def _worked(problem: Problem, trace, symbolic: bool, exact: bool, at: Point, time_limit: float | None = None):
    """The trace with its rows in symbols and its exact numbers; sympy is imported only when asked for, and works
    in a worker process within ``time_limit`` seconds (the rows it did not finish stay numeric)."""
    if not symbolic and not exact:
        return trace
    from .exact import worker

    until = worker.deadline(time_limit)
    numeric: list[str] = []
    if symbolic:
        from .exact.symbolic import symbolic_of, symbolic_pieces

        _for_sympy(problem.graph, "--symbolic")
        with _sympy_stack():
            done = worker.run(symbolic_pieces, (trace,), until)
        forms, missing = symbolic_of(trace, done.pieces)
        trace, numeric = trace._replace(symbolic=forms), numeric + missing
    if exact:
        from .exact.exact import exact_of, exact_pieces

        _for_sympy(problem.graph, "--exact")
        typed = problem.typed(at)
        with _sympy_stack():
            done = worker.run(exact_pieces, (trace, typed), until)
        numbers, missing = exact_of(trace, done.pieces)
        trace, numeric = trace._replace(exact=numbers), numeric + missing
    return _left_numeric(trace, numeric, time_limit)


def _left_numeric(trace, numeric: list[str], time_limit: float | None):
    """A trace whose symbolic or exact work stopped at the time limit: a warning, and the paths left out."""
    if not numeric:
        return trace
    from .exact.worker import limit_text

    shown = ", ".join(numeric[:6]) + (f", … ({len(numeric):,} in all)" if len(numeric) > 6 else "")
    warning = (f"the time limit of {limit_text(time_limit or 0)} was reached (--time-limit): sympy left "
               f"{len(numeric):,} form{'s' if len(numeric) != 1 else ''} numeric: {shown}")
    return trace._replace(numeric_rows=tuple(numeric), warnings=[*trace.warnings, warning])


def _time_limit(value) -> float | None:
    """--time-limit in seconds: a positive number; 0 (or inf, or None) for no limit."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError(f"{value!r} is not a number", "--time-limit")
    value = float(value)
    if value != value:
        raise UsageError("must be a number of seconds", "--time-limit")
    if value < 0:
        raise UsageError(f"{value:g} is not in the range x>=0 (0: no limit).", "--time-limit")
    return None if value == 0 or value == math.inf else value


def _for_sympy(graph, what: str) -> None:
    """The graph within the bounds of what sympy is given: its nodes, and how deep it nests."""
    if len(graph.nodes) > limits.SYMPY_NODES:
        raise limits.LimitError(f"{what} works on graphs of up to {limits.SYMPY_NODES} nodes, the size of a homework "
                                f"problem; this one has {len(graph.nodes):,}", "sympy_nodes")
    deep = graph_depth(graph)
    if deep > limits.SYMPY_DEPTH:
        raise limits.LimitError(f"{what}: the expression nests {deep:,} deep, deeper than the limit of "
                                f"{limits.SYMPY_DEPTH} on a formula for sympy", "sympy_depth")


def graph_depth(graph) -> int:
    """How deep the graph nests as sympy holds it (limits.depth's count: a sum of sums is one level). A loop."""
    flat = {"add": "sum", "sub": "sum", "mul": "product", "div": "product", "neg": "product"}
    depth: list[int] = []
    for i in range(len(graph.nodes)):
        node = graph.nodes[i]
        kind = flat.get(node.op)
        d = 0
        for a in node.args:
            if isinstance(a, int):
                d = max(d, depth[a] + (kind is None or flat.get(graph.nodes[a].op) != kind))
        depth.append(d if node.op != "input" else 0)
    return max(depth, default=0)


class _sympy_stack:
    """sympy recursing deeper than Python's stack allows, told as the bound it passed rather than a traceback."""

    def __enter__(self):
        return self

    def __exit__(self, kind, e, tb) -> bool:
        if kind is RecursionError:
            raise limits.LimitError(f"sympy ran out of stack on a formula nesting this deep; the limit of "
                                    f"{limits.SYMPY_DEPTH} should have refused it", "sympy_depth") from None
        return False


_SHOWN = ("width", "ascii", "max_rows", "digits", "brief")


def _view(**shown) -> View:
    """The display options a result keeps for str() and the notebook: width, ascii, max_rows, digits, brief."""
    for key in shown:
        if key not in _SHOWN and key not in ("cost", "edge_labels", "scalar", "standalone", "rankdir"):
            raise TypeError(f"unexpected keyword argument {key!r}; the display options are {', '.join(_SHOWN)}")
    if "rankdir" in shown:
        _choice(shown["rankdir"], ("LR", "TB"), "--rankdir")
    max_rows = shown.pop("max_rows", 200)
    _in_range(max_rows, "--max-rows", 0)
    digits = shown.pop("digits", None)
    _in_range(digits, "--digits", 1, 17)
    width = shown.pop("width", 80)
    _in_range(width, "--width", 20, 10000)
    return View(width=width, unicode=not shown.pop("ascii", False), max_rows=max_rows, digits=digits or 0, **shown)


# --- the commands -------------------------------------------------------------------------------------------


def forward(source: str, at: Point, *, wrt: Names = None, direction: Point = None, let: Point = None, shape: Names = None,
            output: Names = None, prefix: str = "c", share: bool = True,
            as_written: bool = False, symbolic: bool = False, exact: bool = False,
            data=None, reduce: str = "sum", row: int | None = None, cost: bool = False, scalar: bool = False,
            time_limit: float | None = 10.0, **shown) -> Forward:
    """Forward mode: the evaluation trace, then one tangent table per input (or in ``wrt``), or one along
    ``direction``. With ``data`` (a CSV file's path, or ``read_data``'s table), the tables of sample ``row``
    (from 1), and every sample's loss and gradient, summed (``reduce="mean"``: averaged). A program with arrays
    has one row per array (``ċ1 (2×1) = Ẇ @ x + W @ ẋ``); ``scalar`` shows one row per entry instead."""
    from .core.point import bind
    from .engine.trace import run_forward

    view = _view(cost=cost, scalar=scalar, **shown)
    time_limit = _time_limit(time_limit)
    _choice(reduce, ("sum", "mean"), "--reduce")
    _in_range(row, "--row", 1)
    at = _point_text(at)  # once: an iterator of values is read here
    problem = Problem(source, prefix, share, output, let, data, at=at, shape=shape, as_written=as_written)
    graph = problem.graph
    point, somewhere = _point_or_anywhere(problem, at, symbolic, exact)
    wrt, direction = _names_text(wrt), _point_text(direction, "--direction")
    if wrt is not None and direction is not None:
        raise UsageError("--wrt and --direction do not go together: a direction seeds every input")
    chosen = inputs(wrt, graph.names, graph.arrays) if wrt is not None else None
    d = bind(direction, graph.names, "--direction", arrays=problem.arrays(graph.names)) if direction is not None else None
    if problem.table is None:
        problem.no_data(reduce, row)
        if somewhere:
            point = somewhere(lambda p: run_forward(graph, p, chosen, d))
        trace = _worked(problem, run_forward(graph, point, chosen, d), symbolic, exact, at, time_limit)
        return result_of(trace._replace(symbols_only=bool(somewhere)), view)
    if d is not None:
        raise UsageError("--direction and --data do not go together: --data sums the gradient")
    from .engine.data import pick_row, sample_point

    k = pick_row(row, problem.table)
    trace = problem.sample(lambda: run_forward(graph, sample_point(problem.table, k, graph, point), chosen), k)
    trace = _worked(problem, trace, symbolic, exact, at, time_limit)
    return result_of(problem.over_data(trace, reduce, k, "forward", point, chosen), view)


def reverse(source: str, at: Point, *, wrt: Names = None, let: Point = None, shape: Names = None, output: Names = None,
            prefix: str = "c", share: bool = True,
            as_written: bool = False, symbolic: bool = False, exact: bool = False, data=None,
            reduce: str = "sum", row: int | None = None, cost: bool = False, scalar: bool = False,
            time_limit: float | None = 10.0, **shown) -> Reverse:
    """Reverse mode: the evaluation trace, then the adjoint table from the output back to the inputs; with
    ``wrt``, only those inputs are variables, the others held at their values from ``at``. A program with
    arrays has one row per array (``W̄2 (2×3) = h @ ōᵀ``); ``scalar`` shows one row per entry instead."""
    from .engine.trace import run_reverse

    view = _view(cost=cost, scalar=scalar, **shown)
    time_limit = _time_limit(time_limit)
    _choice(reduce, ("sum", "mean"), "--reduce")
    _in_range(row, "--row", 1)
    at = _point_text(at)  # once: an iterator of values is read here
    problem = Problem(source, prefix, share, output, let, data, wrt=wrt, at=at, shape=shape, as_written=as_written)
    graph = problem.graph
    point, somewhere = _point_or_anywhere(problem, at, symbolic, exact)
    if problem.table is None:
        problem.no_data(reduce, row)
        if somewhere:
            point = somewhere(lambda p: run_reverse(graph, p))
        trace = _worked(problem, run_reverse(graph, point), symbolic, exact, at, time_limit)
        return result_of(trace._replace(symbols_only=bool(somewhere)), view)
    from .engine.data import pick_row, sample_point

    k = pick_row(row, problem.table)
    trace = problem.sample(lambda: run_reverse(graph, sample_point(problem.table, k, graph, point)), k)
    trace = _worked(problem, trace, symbolic, exact, at, time_limit)
    return result_of(problem.over_data(trace, reduce, k, "reverse", point), view)


def graph(source: str, at: Point = None, *, adjoints: bool | None = None, wrt: Names = None,
          tangents: bool = False, let: Point = None, shape: Names = None, output: Names = None, prefix: str = "c", share: bool = True,
          as_written: bool = False,
          edge_labels: bool = True, scalar: bool = False, **shown) -> GraphResult:
    """The computational graph: nodes and edges; at a point, each node's value and adjoint (``adjoints``: on
    by default where the program has one output), and tangents for ``wrt`` or, with ``tangents``, every input.
    With arrays, DOT has a node per array (``h (2×1) = relu(c1)``); ``scalar``, a node per entry."""
    from .engine.trace import run_graph

    view = _view(edge_labels=edge_labels, scalar=scalar, **shown)
    wrt = _names_text(wrt)
    for given, option in ((wrt is not None, "--wrt"), (tangents, "--tangents")):
        if given and at is None:
            raise GradcliError(f"{option} needs a point to take tangents at: add --at, e.g. --at 0,2")
    at = _point_text(at)  # once: an iterator of values is read here
    problem = Problem(source, prefix, share, output, let, several=True, at=at, shape=shape, as_written=as_written)
    g = problem.graph
    point = problem.point(at) if at is not None else None
    if len(g.outputs) > 1:
        if adjoints:
            raise GradcliError(f"adjoints are of one output; this program has {len(g.outputs)}: pick one with "
                               f"--output {g.nodes[g.outputs[0]].id}")
        adjoints = False
    chosen = inputs(wrt, g.names, g.arrays) if wrt is not None else list(g.names) if tangents else None
    return result_of(run_graph(g, point, True if adjoints is None else adjoints, chosen), view)


def jacobian(source: str, at: Point, *, mode: str = "reverse", let: Point = None, shape: Names = None, output: Names = None,
             prefix: str = "c", share: bool = True, as_written: bool = False, cost: bool = False, **shown) -> Jacobian:
    """The Jacobian of a program's outputs (a last step ``s1, s2, s3``, or ``output``): forward mode column by
    column, one sweep per input; reverse mode row by row, one sweep per output."""
    from .engine.second import run_jacobian

    view = _view(cost=cost, **shown)
    _choice(mode, ("forward", "reverse"), "--mode")
    at = _point_text(at)  # once: an iterator of values is read here
    problem = Problem(source, prefix, share, output, let, several=True, at=at, shape=shape, as_written=as_written)
    return result_of(run_jacobian(problem.graph, problem.point(at), mode), view)


def hessian(source: str, at: Point, *, direction: Point = None, wrt: Names = None, let: Point = None, shape: Names = None,
            output: Names = None, prefix: str = "c", share: bool = True,
            as_written: bool = False, symbolic: bool = False, exact: bool = False,
            data=None, reduce: str = "sum", row: int | None = None, time_limit: float | None = 10.0,
            **shown) -> Hessian:
    """The Hessian by forward over reverse, its symmetry and eigenvalues, and whether the point is a minimum,
    a maximum or a saddle; along ``direction``, the Hessian times d. With ``data``, the Hessian of the loss
    summed over the samples."""
    from .core.point import bind
    from .engine.second import run_hessian

    view = _view(**shown)
    time_limit = _time_limit(time_limit)
    _choice(reduce, ("sum", "mean"), "--reduce")
    _in_range(row, "--row", 1)
    direction = _point_text(direction, "--direction")
    if wrt is not None and direction is not None:
        raise UsageError("--wrt and --direction do not go together: a direction seeds every input")
    at = _point_text(at)  # once: an iterator of values is read here
    problem = Problem(source, prefix, share, output, let, data, wrt=wrt, at=at, shape=shape, as_written=as_written)
    graph = problem.graph
    d = bind(direction, graph.names, "--direction", arrays=problem.arrays(graph.names)) if direction is not None else None
    point = problem.point(at)
    if problem.table is None:
        problem.no_data(reduce, row)
        trace = run_hessian(graph, point, d)
    else:
        from .engine.data import column_notes, pick_row, sample_point, summed_hessian

        if d is not None:
            raise UsageError("--direction and --data do not go together: --data sums the whole Hessian")
        k = pick_row(row, problem.table)
        trace = problem.sample(lambda: run_hessian(graph, sample_point(problem.table, k, graph, point)), k)
        notes: list[str] = column_notes(problem.table, graph)
        trace = trace._replace(summed=summed_hessian(graph, point, problem.table, reduce, k, None, notes),
                               warnings=[*trace.warnings, *notes])
    if symbolic or exact:
        from .exact import worker
        from .exact.symbolic import hessian_of, hessian_pieces

        _for_sympy(problem.graph, "--symbolic" if symbolic else "--exact")
        typed = problem.typed(at)
        with _sympy_stack():
            typed_d = bind(direction, graph.names, "--direction", trees=True,
                           arrays=problem.arrays(graph.names)) if d is not None else None
            done = worker.run(hessian_pieces, (trace, symbolic, exact, typed, typed_d), worker.deadline(time_limit))
        forms, missing = hessian_of(trace, symbolic, exact, done.pieces, typed_d)
        trace = _left_numeric(trace._replace(forms=forms), missing, time_limit)
    return result_of(trace, view)


def check(source: str, claims: str | Iterable[str], *, wrt: Names = None, at: Point = None, let: Point = None, shape: Names = None,
          output: Names = None, prefix: str = "c", share: bool = True, as_written: bool = False,
          time_limit: float | None = 10.0, **shown) -> Check:
    """Check derived formulas for the derivatives (one per input in order, or per name in ``wrt``): each is
    proved equal by sympy, shown different at a point, or undecided. The result is true when all are proved;
    ``exit_code`` is the command line's (0, 1 or 3)."""
    from .exact import worker
    from .exact.check import Checked, check_pieces, numeric_verdict, one_per_claim, parse_claims, wrt_names
    from .core.point import bind

    view = _view(**shown)
    time_limit = _time_limit(time_limit)
    claims = [claims] if isinstance(claims, str) else list(claims)
    for c in claims:
        limits.option(c, "--claim")
    if not claims:
        raise UsageError("give the derived derivative to check, e.g. --claim '[2*x, 3]'", "--claim")
    at = _point_text(at)  # once: an iterator of values is read here
    problem = Problem(source, prefix, share, output, let, at=at, shape=shape, as_written=as_written)
    g = problem.graph
    point = bind(_point_text(at), g.names, arrays=problem.arrays(g.names)) if at is not None else None
    _for_sympy(g, "check")
    trees = parse_claims(claims, g)
    for tree in trees:
        deep = limits.depth(tree)
        if deep > limits.SYMPY_DEPTH:
            raise limits.LimitError(f"a --claim nested {deep:,} deep is deeper than the limit of {limits.SYMPY_DEPTH} "
                                    "on a formula for sympy", "sympy_depth")
    names = wrt_names(_names_text(wrt), g)
    one_per_claim(g, trees, names)
    held = problem.let_values()
    with _sympy_stack():
        done = worker.run(check_pieces, (g, trees, names, point, held, problem.typed(None)),
                          worker.deadline(time_limit))
    verdicts = list(done.pieces)
    for tree, name in list(zip(trees, names))[len(verdicts):]:  # sympy ran out of time: the numbers decide
        verdicts.append(numeric_verdict(g, tree, name, point, held, worker.limit_text(time_limit or 0)))
    return result_of(Checked(g, verdicts, point, len(done.pieces) < len(trees)), view)


def gradcheck(source: str, at: Point, *, claim: Point = None, wrt: Names = None, step: float | None = None,
              let: Point = None, shape: Names = None, output: Names = None, prefix: str = "c", share: bool = True,
              as_written: bool = False,
              **shown) -> GradCheck:
    """A finite-difference check: per input (or per name in ``wrt``), the central difference
    (f(x + h) − f(x − h))/2h with h = ε^(1/3)·max(1, |x|) (or ``step``·max(1, |x|)) beside reverse mode's
    partial, or beside ``claim`` (numbers in the inputs' order or by name: a gradient derived by hand), their
    relative error and CS231n's reading of it. The result is false where a partial is probably wrong."""
    from .core.point import bind
    from .engine.gradcheck import run_gradcheck

    view = _view(**shown)
    _in_range(step, "--step", 0, 0.1, low_open=True, whole=False)
    at = _point_text(at)  # once: an iterator of values is read here
    problem = Problem(source, prefix, share, output, let, at=at, shape=shape, as_written=as_written)
    g = problem.graph
    point = problem.point(at)
    chosen = inputs(_names_text(wrt), g.names, g.arrays) if wrt is not None else list(g.names)
    claimed = None
    if claim is not None:
        claimed = bind(_point_text(claim, "--claim"), tuple(chosen), "--claim")
    return result_of(run_gradcheck(g, point, chosen, claimed, step), view)


def descend(source: str, at: Point, *, lr: float = 0.1, steps: int = 10, optimizer: str | None = None,
            momentum: float | None = None, gamma: float = 0.999, epsilon: float = 1e-8,
            weight_decay: float = 0.0, until_grad: float | None = None, wrt: Names = None, batch: int | None = None,
            shuffle: int | None = None, data=None, reduce: str = "sum", progress=None, let: Point = None,
            shape: Names = None, output: Names = None, prefix: str = "c",
            share: bool = True, as_written: bool = False, **shown) -> Descend:
    """Gradient descent from ``at``: a row per step with the parameters, the loss, its gradient, the momentum
    and the update; the loss is the expression, or its sum (``reduce="mean"``: its mean) over ``data``.
    ``optimizer`` is "sgd", "momentum", "nesterov" or "adam" (by default "momentum" if ``momentum`` is given,
    else "sgd"); ``momentum`` is their β (default 0.9), ``gamma`` and ``epsilon`` Adam's γ and ε. With ``batch``,
    ``shuffle`` (a seed) draws each pass over the samples in a new order. ``progress(t, steps)``, if given, is
    called now and then once the descent has run for a second, and with t None at the end."""
    from .engine.descend import OPTIMIZERS, descend as run_descend

    view = _view(**shown)
    _choice(reduce, ("sum", "mean"), "--reduce")
    _in_range(steps, "--steps", 0)
    limits.count(steps, f"--steps {steps} is", "steps")
    _in_range(batch, "--batch", 1)
    if isinstance(lr, bool) or not isinstance(lr, (int, float)):
        raise UsageError(f"{lr!r} is not a number", "--lr")
    if not math.isfinite(lr) or lr <= 0:
        raise UsageError("the learning rate must be a positive number", "--lr")
    if optimizer is not None:
        _choice(optimizer, OPTIMIZERS, "--optimizer")
    if optimizer is None:
        optimizer = "momentum" if momentum else "sgd"
    if momentum is None:
        momentum = 0.0 if optimizer == "sgd" else 0.9
    _in_range(momentum, "--momentum", 0, 1, high_open=True, whole=False)
    if optimizer == "sgd" and momentum:
        raise UsageError("sgd takes the gradient itself: --momentum is for --optimizer momentum, nesterov or adam",
                         "--momentum")
    _in_range(gamma, "--gamma", 0, 1, high_open=True, whole=False)
    _in_range(epsilon, "--epsilon", 0, low_open=True, whole=False)
    _in_range(shuffle, "--shuffle", 0)
    _in_range(weight_decay, "--weight-decay", 0, 1, high_open=True, whole=False)
    _in_range(until_grad, "--until-grad", 0, low_open=True, whole=False)
    at = _point_text(at)  # once: an iterator of values is read here
    problem = Problem(source, prefix, share, output, let, data, wrt=wrt, at=at, shape=shape, as_written=as_written)
    if problem.table is None:
        problem.no_data(reduce, None)
    g = problem.graph
    descent = run_descend(g, problem.point(at), float(lr), steps, float(momentum), float(weight_decay),
                          None if until_grad is None else float(until_grad), problem.table, reduce, batch=batch,
                          optimizer=optimizer, gamma=float(gamma), epsilon=float(epsilon), shuffle=shuffle,
                          progress=progress)
    if problem.table is not None:
        from .engine.data import column_notes

        descent = descent._replace(warnings=[*column_notes(problem.table, g), *descent.warnings])
    return result_of(descent, view)


def grade(source: str, at: Point, submission: str, *, mode: str | None = None, wrt: Names = None,
          follow_through: str = "full", points: float | None = None, tolerance: float | None = None,
          map: str | Mapping[str, str] | None = None, student: str | None = None, named: str | None = None,
          let: Point = None,
          shape: Names = None, output: Names = None, prefix: str = "c", share: bool = True, as_written: bool = False,
          time_limit: float | None = 10.0, **shown) -> Grade:
    """Grade a student's filled table (``submission``: its text, one cell per line, or CSV ``cell,rule,value``)
    cell by cell: each value, adjoint (``mode="reverse"``) or tangent (``"forward"``; by default the mode the
    cells are in) and the gradient against the key and against the cell recomputed from the student's own
    earlier cells. A cell wrong given the student's own inputs is charged and diagnosed; one that follows from
    an earlier mistake gets ``follow_through`` credit ("full", "half", "none"). A program in arrays (``shape``)
    is graded in reverse mode a row of its tables at a time (``h = [2, 4]``, ``W̄ = [[1, 0.5], [-2, -1]]``). ``points`` scales the score to
    that total; ``tolerance`` is a relative one instead of the digits the student wrote; ``map`` gives the
    student's names for the problem's (``"a=c3,b=c4"``). The student is ``student``, else the name a
    ``# student: NAME`` comment gives, else ``named`` (the CLI passes the file's name)."""
    from .core.submission import parse_map, read
    from .engine.grade import FOLLOW_THROUGH, grade as run_grade

    view = _view(**shown)
    time_limit = _time_limit(time_limit)
    if mode is not None:
        _choice(mode, ("forward", "reverse"), "--mode")
    _choice(follow_through, FOLLOW_THROUGH, "--follow-through")
    _in_range(points, "--points", 0, low_open=True, whole=False)
    _in_range(tolerance, "--tolerance", 0, 1, low_open=True, whole=False)
    if not isinstance(submission, str):
        raise UsageError(f"the submission is text, not {type(submission).__name__}")
    limits.text(submission, "the submission", "source_bytes")
    at = _point_text(at)
    problem = Problem(source, prefix, share, output, let, at=at, shape=shape, as_written=as_written)
    g = problem.graph
    chosen = inputs(_names_text(wrt), g.names, g.arrays) if wrt is not None else None
    mapping = parse_map(map) if isinstance(map, str) or map is None else dict(map)
    sheet = read(submission)
    decide = None
    if any(ln.rule for ln in sheet.lines) and not g.steps:  # sympy decides written rules (not an array's); a
        # sheet of numbers never imports it
        from .exact import worker
        from .exact.written import decider

        decide = functools.partial(decider, until=worker.deadline(time_limit))
    who = student or sheet.student or named or "student"
    if g.steps:  # a program in arrays: its cells are the rows of its tables
        from .engine.grade_arrays import grade_arrays

        record = grade_arrays(g, problem.point(at), sheet, mode, follow_through, points, tolerance, mapping, who)
    else:
        record = run_grade(g, problem.point(at), sheet, mode, chosen, follow_through, points, tolerance, mapping,
                           who, decide)
    return result_of(record, view)


def plot(source: str, x: str, y: str | None = None, *, vary: str | None = None, grid=None, path=None,
         data=None, reduce: str = "sum", let: Point = None, shape: Names = None, output: Names = None,
         prefix: str = "c", share: bool = True, as_written: bool = False, **shown) -> Plot:
    """The function over a grid: ``x`` and ``y`` as ``"phi0=-3:3"`` (an input and its range), every other input
    held by ``let``; with ``x`` alone, a curve, or one curve per value of ``vary`` (``"phi1=0.5,1,2"``). With
    ``data``, the loss summed (``reduce="mean"``: averaged) over its rows at each point. ``grid`` is the points
    per axis, N or (N, M) (default 200); ``path`` a descent (a ``gradcli.descend`` result, or its JSON as a
    dict) drawn over the picture, and then a range may be left out (``x="phi0"``). The result's ``z`` holds the
    values (nan where undefined); ``save(path)`` writes a PNG, SVG or PDF (matplotlib, the ``plot`` extra)."""
    from .engine.grid import DEFAULT_POINTS, Axis, Surface, around, check_size, grid_size, parse_axis, parse_vary
    from .engine.grid import read_path, surface
    import json

    view = _view(**shown)
    _choice(reduce, ("sum", "mean"), "--reduce")
    if isinstance(path, Descend):
        if let is None:  # the constants the descent held, held here too
            let = {n: v for n, v in path.record.point.items() if n not in path.record.names} or None
        path = json.loads(path.render("json"))
    problem = Problem(source, prefix, share, output, let, data, as_written=as_written)
    if problem.table is None:
        problem.no_data(reduce, None)
    g = problem.graph
    if g.arrays or shape is not None:
        raise UsageError("plot draws scalar inputs; this program has arrays")
    if not isinstance(x, str) or (y is not None and not isinstance(y, str)):
        raise UsageError("an axis is text: NAME=LO:HI, e.g. x='phi0=-3:3'", "--x")
    axes = [(parse_axis(x, "--x", path is None), x, "--x")]
    if y is not None:
        axes.append((parse_axis(y, "--y", path is None), y, "--y"))
    if vary is not None and y is not None:
        raise UsageError("--vary draws a family of curves along --x: leave out --y (or --vary)", "--vary")
    varied = parse_vary(vary) if vary is not None else None
    named = [(a[0][0], a[1], a[2]) for a in axes] + ([(varied[0], vary, "--vary")] if varied else [])
    seen: list[str] = []
    for name, text, option in named:
        if name not in g.names:
            held = " (held by --let)" if name in g.data_names else ""
            raise GradcliSyntaxError(f"'{name}' is not an input{held}; the inputs are {', '.join(g.names)}", text,
                                     0, max(1, len(text.partition('=')[0])), option + " ")
        if name in seen:
            raise UsageError(f"{name} is on two axes: each of --x, --y and --vary takes its own input", option)
        seen.append(name)
    rest = [n for n in g.names if n not in seen]
    if rest:
        raise UsageError(f"{', '.join(rest)} {'needs a value' if len(rest) == 1 else 'need values'}: a picture "
                         f"varies --x and --y; hold the others with --let, e.g. --let "
                         f"{','.join(f'{n}=0' for n in rest)}")
    steps = losses = None
    if path is not None:
        names = tuple(n for (n, _, _), _, _ in axes)
        steps, losses = read_path(path, names, "the descent")
    if isinstance(grid, int) and not isinstance(grid, bool):
        grid = (grid, grid)
    size = grid_size(grid if isinstance(grid, str) or grid is None else f"{grid[0]}x{grid[1]}") or (
        DEFAULT_POINTS, DEFAULT_POINTS)
    built = []
    for k, ((name, lo, hi), _, _) in enumerate(axes):
        if lo is None:
            lo, hi = around([p[k] for p in steps])
        built.append(Axis(name, lo, hi, size[k]))
    xa, ya = built[0], built[1] if len(built) > 1 else None
    check_size(size[0], size[1] if ya is not None else len(varied[1]) if varied else 1)
    held_graph = graph_of(source, prefix, share=share, outputs=_names_text(output, "--output"),
                          held=problem.held_names() + g.names, columns=problem.columns, as_written=as_written)
    point = problem.let_values()
    z = surface(held_graph, point, xa, ya, problem.table, reduce, varied)
    if steps is not None and ya is None:
        steps = [(p[0], v) for p, v in zip(steps, losses)]
    warnings = list(g.notes)
    if problem.table is not None:
        from .engine.data import column_notes

        warnings += column_notes(problem.table, g)
    record = Surface(held_graph, point, xa, ya, z, varied, problem.table, reduce, steps, losses, warnings)
    return result_of(record, view)


def worksheet(source: str, at: Point = None, *, mode: str = "reverse", wrt: Names = None,
              given: Names = None, names: str | Mapping[str, str] | None = None, seed: int | None = None,
              key: bool = False, let: Point = None, shape: Names = None, output: Names = None, prefix: str = "c",
              share: bool = True, as_written: bool = False, **shown) -> Worksheet:
    """A worksheet for ``mode`` ("reverse" or "forward") at ``at``, or at a point drawn from ``seed``: the graph
    and every cell ``grade`` reads, blank; ``given`` ("values", "rules") prints the evaluation trace's numbers or
    every row's rule; ``names`` the sheet's names for the problem's nodes ("a=c3,b=c4", as grade's ``map``);
    ``key`` fills every cell, with its rule and numbers: a file ``grade`` gives full marks."""
    from .core.submission import parse_map
    from .engine.worksheet import GIVEN, drawn_point, names_for, worksheet as build

    view = _view(**shown)
    _choice(mode, ("forward", "reverse"), "--mode")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise UsageError(f"{seed!r} is not a whole number 0 or more", "--seed")
    at = _point_text(at)
    if (at is None) == (seed is None):
        raise UsageError("give the point with --at, or --seed N to draw one (not both)")
    chosen: tuple[str, ...] = ()
    text = _names_text(given, "--given")
    if text:
        chosen = tuple(dict.fromkeys(g.strip() for g in text.split(",") if g.strip()))
        for g in chosen:
            _choice(g, GIVEN, "--given")
    problem = Problem(source, prefix, share, output, let, at=at, shape=shape, as_written=as_written)
    g = problem.graph
    if g.steps and mode == "forward":
        raise UsageError("an array program's worksheet is reverse mode: a forward sweep would be one per entry of "
                         "every input", "--mode")
    sweeps = inputs(_names_text(wrt), g.names, g.arrays) if wrt is not None else None
    if sweeps is not None and mode != "forward":
        raise UsageError("--wrt picks the sweeps of forward mode: add --mode forward", "--wrt")
    if isinstance(names, str) or names is None:
        pairs = parse_map(limits.option(names, "--names"))
        if names and len(pairs) != names.count(",") + 1:
            raise UsageError("--names gives a sheet's name twice", "--names")
    else:
        pairs = dict(names)
    point = problem.point(at) if at is not None else drawn_point(g, seed, problem.let_values())
    record = build(g, point, mode, sweeps, chosen, names_for(g, pairs), key, seed)
    return result_of(record, view)
