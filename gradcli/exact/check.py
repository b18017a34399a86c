"""``gradcli check``: a derived formula for a derivative, checked against the true one.

sympy decides where it can: the claim and the derivative are equal when their difference simplifies
to 0 ("proved equal"). Where it does not, the two are compared at random points (a fixed seed, so a
check is reproducible): a point where they differ is a counterexample ("different"); when they agree
at every point tried, the check says it could not decide, and how many points agreed.

The claim is parsed by gradcli's own parser and turned into sympy from its tree; its text never
reaches sympy.
"""

from __future__ import annotations

import math
import random
from typing import Callable, NamedTuple

import sympy as sp

from ..errors import GradcliError, GradcliSyntaxError
from ..core.arrays import ShapeError
from ..core.expr import EXACT, GROUP, NAME, NUM, Expr, from_items, transform, walk
from ..core.graph import Graph
from ..core.ops import CONSTANTS, OPS, fmt
from ..core.printer import PLAIN
from ..core.parse import normal_name, parse_expression
from ..core.point import sample_point
from .symbolic import MAX_NODES, apply, derivative, from_sympy, node_expressions, number, simplest, symbol, to_sympy

POINTS = 24  # random points tried where sympy cannot decide
# Both sides are evaluated to 30 digits, so a formula that differs by more than 1e-15 of its own size differs
# (a claim off by 1e-10·w beside terms of size 1 too), while a constant typed to a double's 16 digits
# (0.6931471805599453 for log(2)) is not called wrong; numbers claimed at --at are read off tables of doubles.
TOLERANCE = 1e-15
NUMBER_TOLERANCE = 1e-9
NEARER = (1 / 16, 1 / 256, 1 / 4096, 1 / 65536)  # a point moved toward ±1 and toward 0, where x**100000 is finite


class Verdict(NamedTuple):
    """One claim: ∂f/∂wrt = claim, against the true derivative."""

    wrt: str
    claim: Expr
    truth: Expr  # the derivative, simplified, in the inputs
    status: str  # "proved", "different" or "undecided"
    point: dict | None = None  # where they differ (different) or the last point tried (undecided)
    claim_value: float | None = None
    truth_value: float | None = None
    agreed: int = 0  # points where they agreed
    entry: str | None = None  # an array's: the entry where they differ (``W2[1,2]``)
    shapes: tuple | None = None  # an array's: the claim's shape and the derivative's, where they do not match
    shape: tuple | None = None  # an array's shape (None: a number)
    truth_at: tuple | None = None  # an array's: the derivative's entries at the point given (--at), row by row
    warning: str | None = None  # points left out: a side too large to evaluate there (x**x**x**x**x**x at 2)
    in_steps: object = None  # a program's: the derivative in its step names (an Expr), where that differs
    likely: object = None  # different: the slip that explains the claim exactly (a why.Mistake), where one does
    timed_out: bool = False  # sympy ran out of time (--time-limit): decided in doubles at random points only


def split_claims(text: str) -> list[tuple[int, str]]:
    """``[a, b]`` or ``a, b``: the claims, with their offsets; commas inside brackets belong to a claim."""
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    if len(stripped) >= 2 and stripped[0] == "[" and stripped[-1] == "]" and _closes_at_end(stripped):
        text, lead = stripped[1:-1], lead + 1
    else:
        lead = 0
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append((lead + start, text[start:i]))
            start = i + 1
    parts.append((lead + start, text[start:]))
    return [(o, p) for o, p in parts if p.strip()]


def _closes_at_end(text: str) -> bool:
    depth = 0
    for i, c in enumerate(text):
        depth += 1 if c in "([" else -1 if c in ")]" else 0
        if depth == 0:
            return i == len(text) - 1
    return False


def parse_claims(texts: list[str], graph: Graph) -> list[Expr]:
    """Each claim as a tree; a name must be an input (an array by its name), a named step of the program, pi
    or e."""
    known = set(graph.names) | set(graph.data_names) | set(graph.ids) | set(CONSTANTS)  # c6 as the tables print it
    known |= set(graph.arrays) | {st.name for st in graph.steps if st.name} | {c for c, _ in graph.constants}
    known |= {graph.function} if graph.params else set()  # s(γ) = …: s is the output
    functions = {n: OPS[op].arity for n, op in graph.defined.items()}
    claims = []
    for text in texts:
        for offset, part in split_claims(text):
            try:
                tree = from_items(parse_expression(part, "--claim ", functions=functions), part)
            except GradcliSyntaxError as e:
                raise GradcliSyntaxError(e.message, text, offset + e.offset, e.length, "--claim ") from None
            if functions:  # a call of a function the program defines is its op
                tree = transform(tree, lambda x: x,
                                 lambda x, args: Expr(graph.defined.get(x.op, x.op), args, x.leaf))
            for node in walk(tree):
                if node.op == NAME and node.leaf not in known:
                    where = text.find(node.leaf, offset)
                    raise GradcliSyntaxError(f"'{node.leaf}' is not an input or a step of the function; the inputs "
                                             f"are {', '.join(_inputs(graph))}", text, max(0, where),
                                             len(node.leaf), "--claim ")
            if not graph.arrays and any(node.op == "cdot" for node in walk(tree)):  # a·b of numbers: a product
                tree = transform(tree, lambda x: x,
                                 lambda x, args: Expr("mul" if x.op == "cdot" else x.op, args, x.leaf))
            if graph.arrays or graph.steps:
                try:
                    claim_shape(tree, graph)
                except ShapeError as e:
                    start = offset + len(part) - len(part.lstrip())
                    raise GradcliSyntaxError(e.message, text, start, len(part.strip()), "--claim ") from None
            claims.append(tree)
    return claims


def _inputs(graph: Graph) -> list[str]:
    """The inputs as the claims name them: an array once, by its name, where its first entry is."""
    out, seen = [], set()
    for n in graph.names:
        base = n.split("[", 1)[0]
        if base in graph.arrays and n.endswith("]"):
            if base not in seen:
                seen.add(base)
                out.append(base)
        else:
            out.append(n)
    return out


def _array_steps(graph: Graph) -> dict:
    """The arrays a claim may name or be a derivative in, by name: (shape, entries), the entries node indices
    (or Consts)."""
    return {st.name: (st.shape, st.entries) for st in graph.steps if st.name and st.shape is not None}


def wrt_names(text: str | None, graph: Graph) -> list[str]:
    """The inputs, or the named steps, the claims are derivatives in: --wrt, else every input in order (an
    array as one, by its name)."""
    if text is None:
        return _inputs(graph)
    steps = [n.id for n in graph.nodes if n.op != "input"]  # a bare expression's too: c6, as the tables print it
    inputs = _input_ids(graph)
    arrays = _array_steps(graph)
    out = []
    offset = 0
    for part in _split_names(text):
        name = normal_name(part.strip())
        name = inputs.get(name, name)  # c1 = x1: the input x1
        if name not in graph.names and name not in steps and name not in arrays:
            raise GradcliSyntaxError(f"'{name}' is not an input or a named step; the inputs are "
                                     f"{', '.join(_inputs(graph))}", text, offset + len(part) - len(part.lstrip()),
                                     max(1, len(name)), "--wrt ")
        out.append(name)
        offset += len(part) + 1
    return out


def _input_ids(graph: Graph) -> dict[str, str]:
    """The ids the tables give the inputs of a bare expression (c1 = x1), to the inputs' names."""
    return {graph.ids[i]: n for i, n in zip(graph.inputs, graph.names) if graph.ids[i] != n}


def _split_names(text: str) -> list[str]:
    """``W2, x[1], W[1,2]``: commas inside brackets belong to a name."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        depth += 1 if c == "[" else -1 if c == "]" else 0
        if c == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _claim_arrays(tree: Expr, graph: Graph, value: Callable, scalar: Callable):
    """A claim evaluated with the program's own array operations (gradcli/core/arrays.py): names are looked up
    with ``value`` (a number's entry, or an Arr of entries), each scalar op is ``scalar(op, operands)``. The
    result is an Arr, or one entry."""
    from ..core.arrays import Arrays, Arr
    from ..core.graph import Const
    from ..core.ops import ARRAY_OPS

    arrays = Arrays(scalar, lambda v: Const(float(v), fmt(float(v))))
    done: list = []
    stack: list[tuple[Expr, bool]] = [(tree, False)]
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
        op = x.op
        if op == NUM:
            done.append(Const(float(x.leaf[0]), x.leaf[1] or fmt(float(x.leaf[0]))))
        elif op == NAME:
            done.append(value(x.leaf))
        elif op in (GROUP, "copy"):
            done.append(args[0])
        elif op in ARRAY_OPS or any(type(a) is Arr for a in args):
            try:
                done.append(arrays.apply(op, args))
            except ShapeError as e:
                texts = [PLAIN.text(a) for a in x.args]
                message = e.message
                for k, t in enumerate(texts):
                    message = message.replace("{%d}" % k, t if t.isidentifier() else f"({t})")
                raise ShapeError(message, e.operand) from None
        else:
            done.append(scalar(op, args))
    return done[0]


def claim_shape(tree: Expr, graph: Graph):
    """The shape of a claim (None: a number), its array operations checked; a ShapeError where they do not
    fit."""
    from ..core.arrays import Arr

    steps = _array_steps(graph)

    def value(n: str):
        if n in graph.arrays:
            shape = graph.arrays[n]
        elif n in steps:
            shape = steps[n][0]
        else:
            return 0
        return Arr(shape, (0,) * (shape[0] * shape[1]))

    out = _claim_arrays(tree, graph, value, lambda op, args: 0)
    return out.shape if type(out) is Arr else None


def _claim_entries(tree: Expr, graph: Graph, exprs: list, steps: dict, values: dict):
    """A claim in sympy: its shape (None: a number) and its entries, row by row."""
    from ..core.arrays import Arr, entry_names
    from ..core.graph import Const

    pool: list = []
    arrays = _array_steps(graph)

    def ref(v) -> int:
        pool.append(v)
        return len(pool) - 1

    def entry(e):
        return ref(exprs[e]) if type(e) is int else ref(number(e.value))

    def value(n: str):
        if n in graph.arrays:
            shape = graph.arrays[n]
            return Arr(shape, tuple(ref(symbol(e).xreplace(values)) for e in entry_names(n, shape)))
        if n in arrays:
            shape, entries = arrays[n]
            return Arr(shape, tuple(entry(e) for e in entries))
        if n in steps:
            return ref(steps[n])
        return ref(to_sympy(Expr(NAME, (), n), {m: symbol(m) for m in graph.names + graph.data_names}))

    def sym(a):
        return pool[a] if type(a) is int else number(a.value, a.label if a.label[:1].isdigit() else None)

    def scalar(op: str, args):
        return ref(apply(op, [sym(a) for a in args]))

    out = _claim_arrays(tree, graph, value, scalar)
    if type(out) is Arr:
        return out.shape, [sym(a).xreplace(values) for a in out.items]
    return None, [sym(out).xreplace(values)]


def _array_of(entries: list[Expr], shape: tuple[int, int]) -> Expr:
    """Entries, row by row, as an array Expr: a vector as a column, every entry kept."""
    m, n = shape
    if n == 1:
        return Expr("array", tuple(entries))
    return Expr("array", tuple(Expr("array", tuple(entries[i * n:(i + 1) * n])) for i in range(m)))


def _wrt_entries(graph: Graph, wrt: str):
    """What a derivative is in: (shape, the entries' names), or (None, [wrt]) for a number."""
    from ..core.arrays import entry_names

    if wrt in graph.arrays:
        return graph.arrays[wrt], entry_names(wrt, graph.arrays[wrt])
    arrays = _array_steps(graph)
    if wrt in arrays and wrt not in graph.names:
        shape, entries = arrays[wrt]
        return shape, [graph.nodes[e].id for e in entries]
    return None, [wrt]


def check(graph: Graph, claims: list[Expr], wrt: list[str], at: dict[str, float] | None = None,
          held: dict[str, float] | None = None, typed: dict | None = None) -> list[Verdict]:
    """Each claim against the true derivative: proved equal, different (with a counterexample), or undecided.
    Names held constant (--let) have their values, as typed (``typed``: name -> Expr), in the proof and at
    every point tried; a claim may use them by name or by value."""
    verdicts: list[Verdict] = []
    check_pieces(verdicts.append, graph, claims, wrt, at, held, typed)
    return verdicts


def one_per_claim(graph: Graph, claims: list, wrt: list[str]) -> None:
    """The claims within the bounds of check, one per derivative asked for."""
    if len(graph.nodes) > MAX_NODES:
        raise GradcliError(f"check works on graphs of up to {MAX_NODES} nodes, the size of a homework problem; this "
                           f"one has {len(graph.nodes)}")
    if len(claims) != len(wrt):
        raise GradcliError(f"{len(claims)} claim{'s' if len(claims) != 1 else ''} for {len(wrt)} "
                           f"derivative{'s' if len(wrt) != 1 else ''} ({', '.join(wrt)}): give one claim per input, "
                           "in order, or pick the derivatives with --wrt")


def check_pieces(emit, graph: Graph, claims: list[Expr], wrt: list[str], at: dict[str, float] | None = None,
                 held: dict[str, float] | None = None, typed: dict | None = None) -> None:
    """The work of ``check``, each verdict emitted as it is reached (gradcli/exact/worker.py)."""
    one_per_claim(graph, claims, wrt)
    exprs = node_expressions(graph)
    steps = {n.id: exprs[i] for i, n in enumerate(graph.nodes) if n.op != "input"}
    steps.update({c: symbol(n) for c, n in _input_ids(graph).items()})
    if graph.params:  # s(γ) = …: s is the output, as a step s = … would be
        steps.setdefault(graph.function, exprs[graph.output])
    verdicts = _Emitted(emit)
    # the constants the program names (a = 2, t = [0, 0, 1]) by their values, exactly as written; then --let's
    values = {symbol(n): number(v, fmt(v)) for n, v in graph.constants}
    values.update({symbol(n): to_sympy(t) for n, t in (typed or {}).items()})
    for claim, name in zip(claims, wrt):
        if graph.arrays or graph.steps:
            verdicts.append(_decide_array(graph, name, claim, _claim_entries(claim, graph, exprs, steps, values),
                                          values, at, held or {}))
            continue
        truth = derivative(graph, name).xreplace(values)
        mine = to_sympy(claim, {**{n: symbol(n) for n in graph.names + graph.data_names}, **steps}).xreplace(values)
        if at and all(x.op != NAME or x.leaf in CONSTANTS for x in walk(claim)):
            verdicts.append(_at_point(graph, name, claim, mine, truth, at, held or {}))  # a number, --at: compared
            continue
        verdict = _decide(graph, name, claim, mine, truth, at, held or {})
        if graph.is_program:
            from .why import in_steps

            named = in_steps(graph, name, truth)
            if named is not None and PLAIN.text(named) != PLAIN.text(verdict.truth):
                verdict = verdict._replace(in_steps=named)
        verdicts.append(verdict)


class _Emitted:
    """Verdicts handed to ``emit`` as they are appended."""

    def __init__(self, emit) -> None:
        self.append = emit


def numeric_verdict(graph: Graph, claim: Expr, wrt: str, at: dict[str, float] | None, held: dict[str, float],
                    limit: str) -> Verdict:
    """A claim sympy did not decide within the time limit, compared with reverse mode's derivative in doubles
    at the point given and at random points (no sympy: nothing here can run long). A clear difference (more
    than 1e-6 of the larger, or 1e-9) is a counterexample; agreement only leaves it undecided."""
    warning = (f"∂/∂{wrt}: the time limit of {limit} was reached before sympy decided (--time-limit); the claim "
               f"was compared with the derivative in double precision only")
    truth = Expr(EXACT, (), "(not found within the time limit)")
    undecided = Verdict(wrt, claim, truth, "undecided", warning=warning, timed_out=True)
    from ..engine.trace import run_reverse

    arrays = bool(graph.arrays or any(st.shape is not None for st in graph.steps))
    shape, entries = _wrt_entries(graph, wrt) if arrays else (None, [wrt])
    index = {n: i for i, n in zip(graph.inputs, graph.names)}
    index.update((n.id, i) for i, n in enumerate(graph.nodes) if n.id not in index)
    js = [index.get(e) for e in entries]
    if None in js:
        return undecided
    undecided = undecided._replace(shape=shape)
    names = graph.names + graph.data_names
    rng = random.Random(0)
    agreed, last = 0, None
    for given in ([dict(at)] if at else []) + [None] * POINTS:
        point = {**(given or sample_point(names, rng)), **held}
        if given is None and not _defined(graph, point):
            continue
        try:
            trace = run_reverse(graph, {n: point[n] for n in graph.names + graph.data_names if n in point})
        except (ArithmeticError, ValueError, GradcliError, KeyError):
            continue
        truths = [trace.adjoints[j] for j in js]
        if arrays:
            got = _claim_floats(claim, graph, trace.values, point)
            if got is None:
                continue
            claim_shape_, claimed = got
            if claim_shape_ is None and shape is not None:
                claimed = claimed * len(entries)
            elif claim_shape_ != shape:
                return undecided._replace(status="different", shapes=(claim_shape_, shape))
        else:
            claimed = [_claim_float(claim, graph, trace.values, point)]
        if any(a is None for a in claimed) or not all(math.isfinite(b) for b in truths):
            continue
        last = point
        for k, (a, b) in enumerate(zip(claimed, truths)):
            if not math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9):
                return undecided._replace(status="different", point=point, claim_value=a, truth_value=b,
                                          agreed=agreed, entry=entries[k] if shape is not None else None)
        agreed += 1
    return undecided._replace(point=last, agreed=agreed)


def _claim_floats(claim: Expr, graph: Graph, values: list, point: dict[str, float]):
    """An array claim in doubles with the program's own array operations: its shape (None: a number) and its
    entries, row by row; None where a step of it is undefined or not finite."""
    from ..core.arrays import Arr, entry_names

    pool: list[float] = []
    arrays = _array_steps(graph)
    named = {n.id: i for i, n in enumerate(graph.nodes)}
    known = {"pi": math.pi, "π": math.pi, "e": math.e, **{n: float(v) for n, v in graph.constants
                                                           if isinstance(v, (int, float))}, **point}

    def ref(v: float) -> int:
        if not math.isfinite(v):
            raise ArithmeticError
        pool.append(float(v))
        return len(pool) - 1

    def entry(e) -> int:
        return ref(values[e]) if type(e) is int else ref(e.value)

    def value(n: str):
        if n in graph.arrays:
            shape = graph.arrays[n]
            return Arr(shape, tuple(ref(point[e]) for e in entry_names(n, shape)))
        if n in arrays:
            shape, items = arrays[n]
            return Arr(shape, tuple(entry(e) for e in items))
        if n in named and isinstance(values[named[n]], float):
            return ref(values[named[n]])
        return ref(known[n])

    def num_of(a) -> float:
        return pool[a] if type(a) is int else float(a.value)

    def scalar(op: str, args):
        return ref(OPS[op].value(*[num_of(a) for a in args]) if op != "copy" else num_of(args[0]))

    try:
        out = _claim_arrays(claim, graph, value, scalar)
    except (ArithmeticError, ValueError, TypeError, KeyError, GradcliError, ShapeError):
        return None
    if type(out) is Arr:
        return out.shape, [num_of(a) for a in out.items]
    return None, [num_of(out)]


def _claim_float(claim: Expr, graph: Graph, values: list, point: dict[str, float]) -> float | None:
    """A claim's value in doubles, every step of it finite; None where one is not (or is undefined)."""
    known = dict(point)
    known.update({n.id: values[i] for i, n in enumerate(graph.nodes) if isinstance(values[i], float)})
    if graph.params:
        known.setdefault(graph.function, values[graph.output])
    known.update({n: float(v) for n, v in graph.constants if isinstance(v, (int, float))})
    known.setdefault("pi", math.pi)
    known.setdefault("π", math.pi)
    known.setdefault("e", math.e)
    done: list = []
    stack: list[tuple[Expr, bool]] = [(claim, False)]
    try:
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
            if x.op == NUM:
                v = float(x.leaf[0])
            elif x.op == NAME:
                v = float(known[x.leaf])
            elif x.op in (GROUP, "copy"):
                v = args[0]
            else:
                v = float(OPS[x.op].value(*args))
            if not math.isfinite(v):
                return None
            done.append(v)
    except (ArithmeticError, ValueError, TypeError, KeyError, GradcliError):
        return None
    return done[0]


def _at_point(graph: Graph, wrt: str, claim: Expr, mine, truth, at, held: dict[str, float]) -> Verdict:
    """A claim of a number (``--claim "[64, 192]" --at 0,2``): the derivative's value at the point, compared
    with it to 1e-9 of the larger; a number is not a formula, so it agrees or differs there, and nothing is proved."""
    shown = from_sympy(simplest(truth))
    point = {**dict(at), **held}
    symbols = [symbol(n) for n in graph.names + graph.data_names]
    a, b = _value(mine, symbols, point), _value(truth, symbols, point)
    if a is HUGE or b is HUGE:
        return Verdict(wrt, claim, shown, "undecided", point, None, None, 0,
                       warning=_too_large(wrt, 1, point))
    if a is None or b is None:
        return Verdict(wrt, claim, shown, "undecided", point, _float(a), _float(b), 0)
    status = "agrees" if _close(a, b, NUMBER_TOLERANCE) else "different"
    return Verdict(wrt, claim, shown, status, point, _float(a), _float(b), 1 if status == "agrees" else 0)


def _decide_array(graph: Graph, wrt: str, claim: Expr, mine, values: dict, at, held: dict[str, float]) -> Verdict:
    """An array's derivative, entry by entry: proved where every entry's difference simplifies to 0; a number
    claimed for an array stands for each entry (``0``)."""
    shape, entries = _wrt_entries(graph, wrt)
    truths = [derivative(graph, e).xreplace(values) for e in entries]
    shown = from_sympy(simplest(truths[0])) if shape is None else _array_of(
        [from_sympy(simplest(t)) for t in truths], shape)
    names = graph.names + graph.data_names
    symbols = [symbol(n) for n in names]
    base = Verdict(wrt, claim, shown, "proved", shape=shape,
                   truth_at=tuple(_at(t, symbols, {**at, **held}) for t in truths) if at else None)
    claim_shape_, claimed = mine
    if claim_shape_ is None and shape is not None:
        claimed = claimed * len(entries)
    elif claim_shape_ != shape:
        return base._replace(status="different", shapes=(claim_shape_, shape))
    if all(_proved(t - c) for t, c in zip(truths, claimed)):
        return base
    found = _compare(graph, wrt, list(zip(claimed, truths)), at, held)
    if found.status == "different":
        return base._replace(status="different", point=found.point, claim_value=found.claim_value,
                             truth_value=found.truth_value, agreed=found.agreed,
                             entry=entries[found.entry] if shape is not None else None)
    return base._replace(status="undecided", point=found.point, agreed=found.agreed, warning=found.warning)


def _decide(graph: Graph, wrt: str, claim: Expr, mine, truth, at, held: dict[str, float]) -> Verdict:
    shown = from_sympy(simplest(truth))
    if _proved(truth - mine):
        return Verdict(wrt, claim, shown, "proved")
    found = _compare(graph, wrt, [(mine, truth)], at, held)
    likely = None
    if found.status == "different":
        from .why import likely_mistake

        likely = likely_mistake(graph, wrt, mine, truth, _proved)
    return Verdict(wrt, claim, shown, found.status, found.point, found.claim_value, found.truth_value, found.agreed,
                   warning=found.warning, likely=likely)


class _Found(NamedTuple):
    status: str  # "different" or "undecided"
    point: dict | None
    agreed: int
    claim_value: float | None = None
    truth_value: float | None = None
    entry: int = 0  # which pair differs
    warning: str | None = None


def _compare(graph: Graph, wrt: str, pairs: list, at, held: dict[str, float]) -> _Found:
    """Claims against truths (sympy, pairs of entries) at the point given and at random points, to 30 digits
    and TOLERANCE of their own size. A random point where a side is 0 or beyond a double though it is not
    (x**100000 at 0.5 or 3) tells nothing a reader can see: it is moved toward ±1 and toward 0 until both sides
    are ordinary doubles; one where a side is too large to evaluate at all is left out, with a warning."""
    names = graph.names + graph.data_names
    symbols = [symbol(n) for n in names]
    rng = random.Random(0)
    agreed, last, huge, hidden = 0, None, [], None
    for given in ([dict(at)] if at else []) + [None] * POINTS:
        tries = [given] if given else _nearer(sample_point(names, rng))
        for tried in tries:
            point = {**tried, **held}
            if given is None and not _defined(graph, point, finite=False):
                continue  # outside the function's domain (acosh at -1.6): its derivative there is no claim's
            values = [(_value(c, symbols, point), _value(t, symbols, point)) for c, t in pairs]
            if any(a is HUGE or b is HUGE for a, b in values):
                huge.append(point)
                break
            if any(a is None or b is None for a, b in values):
                continue
            if given is None and not all(_shown(a) and _shown(b) for a, b in values):
                if hidden is None:
                    hidden = next(((point, k, a, b) for k, (a, b) in enumerate(values)
                                   if not _close(a, b, TOLERANCE)), None)
                continue
            last = point
            for k, (a, b) in enumerate(values):
                if not _close(a, b, TOLERANCE):
                    return _Found("different", point, agreed, _float(a), _float(b), k)
            agreed += 1
            break
    if hidden is not None:  # they differ only where a double shows 0 or inf: still a counterexample
        point, k, a, b = hidden
        return _Found("different", point, agreed, _float(a), _float(b), k)
    return _Found("undecided", last, agreed, warning=_too_large(wrt, len(huge), huge[0]) if huge else None)


def _too_large(wrt: str, count: int, point: dict) -> str:
    where = ", ".join(f"{n} = {fmt(v)}" for n, v in point.items())
    return (f"∂/∂{wrt}: the claim or the derivative is too large to evaluate at {count} "
            f"point{'s' if count != 1 else ''} ({where}{', …' if count > 1 else ''}); "
            "left out, so they decide nothing")


def _nearer(point: dict[str, float]) -> list[dict[str, float]]:
    """A random point, then the same moved toward ±1 and toward 0, ever nearer."""
    out = [point]
    for s in NEARER:
        out.append({n: math.copysign(1 + float(f"{(abs(v) - 1) * s:.3g}"), v) if v else v for n, v in point.items()})
        out.append({n: float(f"{v * s:.3g}") for n, v in point.items()})
    return out


def _proved(difference) -> bool:
    """Whether sympy shows the difference is 0: simplified as it is, then with gradcli's functions (sigmoid,
    softplus) written as exponentials, then piece by piece where it has kinks (abs, relu, step, sign, max)."""
    for form in (difference, difference.rewrite(sp.exp)):
        try:
            if form == 0 or simplest(form, effort=400) == 0:
                return True
        except (TypeError, ValueError, RecursionError, sp.PolynomialError):
            continue
    try:  # √a·√b is √(a·b) wherever a real function has both: its domain (acosh's 1/(√(x−1)·√(x+1)))
        if difference.has(sp.Pow) and simplest(sp.powsimp(difference, force=True), effort=400) == 0:
            return True
    except (TypeError, ValueError, RecursionError, sp.PolynomialError):
        pass
    ties = _ties_as_steps(difference)
    if ties is not difference:
        return _proved(ties)
    try:
        return _zero_by_pieces(difference)
    except (TypeError, ValueError, RecursionError, NotImplementedError, AttributeError, sp.PolynomialError):
        return False


def _ties_as_steps(expr):
    """eq(a, max(…, a, …)), max's local partial as gradcli writes it, as sympy's own Heaviside(a − max(the
    others)) (and min's alike): the two differ only at a tie, a kink where the derivative does not exist and
    each is a convention. The expression itself where it has no such eq."""
    from .sym import eq

    def step(e):
        a, b = e.args
        for m, sign in ((sp.Max, 1), (sp.Min, -1)):
            if isinstance(b, m) and a in b.args:
                others = [x for x in b.args if x != a]
                return sp.Heaviside(sign * (a - m(*others)))
        return e

    found = [e for e in sp.preorder_traversal(expr) if isinstance(e, eq)]
    if not found:
        return expr
    return expr.xreplace({e: step(e) for e in found}) if any(step(e) is not e for e in found) else expr


_PIECEWISE = ("Abs", "sign", "step", "relu", "Max", "Min", "Heaviside")


def _zero_by_pieces(difference) -> bool:
    """A difference of piecewise functions is 0 where each piece is: 0 as a formula, or 0 at each point of a
    piece that is only points (abs(x) - x·sign(x) is 0 for x ≠ 0 and is x = 0 at x = 0)."""
    if not any(type(f).__name__ in _PIECEWISE for f in difference.atoms(sp.Function)):
        return False
    # sympy's derivative of max and min is a Heaviside step, whose value at the kink is a convention (1/2) where
    # the derivative does not exist: a claim may take another there
    kinks = difference.has(sp.Heaviside)
    form = sp.simplify(sp.piecewise_fold(difference.rewrite(sp.Piecewise)))
    if form == 0:
        return True
    if not isinstance(form, sp.Piecewise) or len(form.free_symbols) != 1:
        return False
    (x,) = form.free_symbols
    for piece, where in form.as_expr_set_pairs(sp.S.Reals):
        if where is sp.S.EmptySet or sp.simplify(piece) == 0:
            continue
        if isinstance(where, sp.FiniteSet) and (kinks or all(sp.simplify(piece.subs(x, p)) == 0 for p in where)):
            continue
        return False
    return True


def _defined(graph: Graph, point: dict[str, float], finite: bool = True) -> bool:
    """Whether every node of a scalar function has a finite real value at the point (data and arrays are
    left to sympy's own evaluation); not ``finite``: a real value, an overflow to ±inf counting as one."""
    if graph.data_names or graph.arrays:
        return True
    from ..engine.trace import evaluate

    try:
        values = evaluate(graph, {n: point[n] for n in graph.names}).values
    except (ArithmeticError, ValueError, GradcliError, KeyError):
        return False
    if not finite:
        return not any(v != v for v in values if isinstance(v, float))
    return all(math.isfinite(v) for v in values if isinstance(v, float))


HUGE = "too large"  # a value too large to evaluate (a tower of powers, x**x**x**x**x**x at 2)


def _value(value, symbols, point: dict[str, float]):
    """A formula's value at a point, to 30 digits, as a sympy number of any size (3**100000 too); None where it
    is not a finite real number there; HUGE where it is too large for mpmath to write."""
    subs = {s: sp.Rational(point[s.name]) for s in symbols if s.name in point}
    try:
        if _tower(value, subs):
            return HUGE
        v = value.evalf(30, subs=subs)
    except (OverflowError, MemoryError):
        return HUGE
    except (TypeError, ValueError, ZeroDivisionError, RecursionError):
        return None
    if not v.is_number or not v.is_real or not v.is_finite:
        return None
    if isinstance(v, sp.Float) and v._prec < 53:
        return sp.Integer(0)  # cancelled to nothing: fewer bits than a double's, a residue (gradcli/exact/exact.py)
    return v


EXPONENT_LIMIT = 1e15  # an exponent larger than this makes evalf work with that many more bits: for hours


def _tower(value, subs: dict) -> bool:
    """Whether some power in the formula has an exponent above EXPONENT_LIMIT at the point (x**x**x**x**x at 3:
    3**(3**7625597484987)), which evalf would spend its time and memory on; exponents looked at innermost first,
    so each is evaluated only once those inside it are known to be small."""
    powers = [e for e in sp.postorder_traversal(value) if isinstance(e, (sp.Pow, sp.exp))]
    for e in powers:
        exponent = e.exp if isinstance(e, sp.Pow) else e.args[0]
        if exponent.is_Number:
            continue
        y = exponent.evalf(15, subs=subs)
        if y.is_Number and y.is_finite and abs(y) > EXPONENT_LIMIT:
            return True
    return False


def _close(a, b, tolerance: float) -> bool:
    """Whether two sympy numbers agree to ``tolerance`` of the larger."""
    return a == b or bool(abs(a - b) <= tolerance * max(abs(a), abs(b)))


def _float(v) -> float | None:
    """A value as a double (inf or 0 beyond a double's range), None for none."""
    if v is None or v is HUGE:
        return None
    try:
        return float(v)
    except (TypeError, ValueError, OverflowError):
        return None


def _shown(v) -> bool:
    """Whether a double shows the value as it is: 0 exactly, or of a size between 1e-300 and 1e300."""
    if v == 0:
        return True
    f = abs(_float(v) or 0.0)
    return 1e-300 < f < 1e300


def _at(value, symbols, point: dict[str, float]) -> float | None:
    """A formula's value at a point, to 30 digits; None where it is not a finite real number there."""
    f = _float(_value(value, symbols, point))
    return f if f is not None and math.isfinite(f) else None


class Checked(NamedTuple):
    """What ``gradcli check`` found: the function, and a verdict per claim (gradcli/check.py)."""

    graph: Graph
    verdicts: list
    at: dict | None = None
    time_limit_reached: bool = False  # some claims were compared in doubles only: sympy ran out of time

    @property
    def command(self) -> str:
        return "check"

    @property
    def warnings(self) -> list[str]:
        """Points a claim's check left out, one line per claim."""
        return [v.warning for v in self.verdicts if v.warning]

    @property
    def exit_code(self) -> int:
        """0: every claim proved (or, a claim of numbers, agreeing at the point); 1: one is different; 3: none
        different, one undecided."""
        statuses = {v.status for v in self.verdicts}
        return 1 if "different" in statuses else 3 if "undecided" in statuses else 0

    @property
    def verdict(self) -> str:
        """"proved" (every claim), "agrees" (every claim proved or, a claim of numbers, equal at the point, and
        one is that), "different" (one is wrong) or "undecided"."""
        code = self.exit_code
        if code == 0 and any(v.status == "agrees" for v in self.verdicts):
            return "agrees"
        return {0: "proved", 1: "different", 3: "undecided"}[code]
