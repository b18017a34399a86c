"""Grading a student's filled table, cell by cell.

Every cell of the answer key (each operation's value; each adjoint, or each tangent of the sweeps graded; each
entry of the gradient) is compared with the key AND with the cell recomputed from the student's own earlier
cells. Only a cell that is wrong given the student's own inputs is charged; one that merely follows from an
earlier mistake is marked as following from it (follow-through). The own-work recomputation is kept twice:
from the numbers the student wrote, and from exact numbers where the student was right (so rounding that the
student carried is accepted either way).

A charged cell is diagnosed by trying what a student is likely to have done: a term of the chain-rule sum left
out (a forgotten fan-out) or one added, a common slip in a local partial (n·x for n·x^(n−1), σ for σ(1−σ),
the sign of cos′, the local partial or the incoming adjoint left out), a sign error, a wrong operand; failing
those, an arithmetic slip. Where several explanations give the student's number, the feedback says the point
cannot tell them apart; where a term is 0 at the point, it says whether it was included cannot be told.

Plain records in, plain records out; no printing. Loops over the graph's order, no recursion.
"""

from __future__ import annotations

import math
import random
from typing import NamedTuple

from ..core.expr import MARK, NAME, NUM, Expr, mark, name as name_leaf, num, transform
from ..core.ops import OPS
from ..core.printer import TextStyle
from ..core.rules import compile_rule, parse_rule, partial
from ..core.submission import Names, Sheet, Unknown, Written, evaluate, number, numbers, rule_items
from ..errors import GradcliError

FOLLOW_THROUGH = ("full", "half", "none")
CREDIT = {"full": 1.0, "half": 0.5, "none": 0.0}
VERDICTS = ("correct", "follows", "wrong", "missing")
ERRORS = ("missing term", "extra term", "wrong local partial", "wrong operand", "sign", "arithmetic",
          "missing cell")


class Cell(NamedTuple):
    """One cell of the key, graded."""

    id: str  # the node's id (c6), or the input's name for a gradient entry
    label: str  # as shown: c6, c̄6, ċ6, ∂f/∂x1
    kind: str  # "value", "adjoint", "tangent", "gradient"
    sweep: str | None  # the seeded input of a tangent
    line: int | None  # the submission's line, None where the cell is missing
    student: float | None
    expected_own: float  # the cell recomputed from the student's own earlier cells
    key: float
    verdict: str  # one of VERDICTS
    error: str | None  # one of ERRORS, for a charged cell
    feedback: str | None  # one line: what went wrong, with the true rule in symbols and numbers
    follows: str | None  # the charged cell a "follows" verdict follows from
    note: str | None  # said of an uncharged cell (a term 0 at the point; a rule that differs)
    points: float
    max_points: float


class Graded(NamedTuple):
    command: str  # "grade"
    graph: object
    point: dict
    mode: str
    sweeps: tuple[str, ...]
    student: str
    cells: list[Cell]
    unknown: list[tuple[int, str, str]]  # (line, name, why)
    extra: list[tuple[int, str, str]]
    score: float
    max: float
    follow_through: str
    warnings: list[str]

    @property
    def charged(self) -> list[Cell]:
        return [c for c in self.cells if c.verdict in ("wrong", "missing")]

    @property
    def full_marks(self) -> bool:
        return not self.charged and not self.unknown and abs(self.score - self.max) <= 1e-9 * max(1.0, self.max)


# --- slips in local partials: (what the student did, rule in {0}, {1}, {out}, error) -------------------------

SLIPS: dict[tuple[str, int], list[tuple[str, str, str]]] = {
    ("pow", 0): [("n·x for n·x^(n−1)", "{1}*{0}", "wrong local partial"),
                 ("x^(n−1) for n·x^(n−1) (the factor n left out)", "{0}**({1} - 1)", "wrong local partial"),
                 ("n·x^n for n·x^(n−1) (the power not lowered)", "{1}*{0}**{1}", "wrong local partial"),
                 ("(n−1)·x^(n−1) for n·x^(n−1)", "({1} - 1)*{0}**({1} - 1)", "wrong local partial")],
    ("sigmoid", 0): [("σ for σ(1−σ)", "{out}", "wrong local partial"),
                     ("1−σ for σ(1−σ)", "1 - {out}", "wrong local partial"),
                     ("z(1−z) for σ(1−σ) (the input for the output)", "{0}*(1 - {0})", "wrong local partial")],
    ("sin", 0): [("−cos for cos (the sign of sin′)", "-cos({0})", "wrong local partial"),
                 ("sin for cos", "sin({0})", "wrong local partial")],
    ("cos", 0): [("sin for −sin (the sign of cos′)", "sin({0})", "wrong local partial"),
                 ("cos for −sin", "cos({0})", "wrong local partial"),
                 ("−cos for −sin", "-cos({0})", "wrong local partial")],
    ("tan", 0): [("tan for 1 + tan²", "{out}", "wrong local partial")],
    ("exp", 0): [("x for exp(x)", "{0}", "wrong local partial")],
    ("log", 0): [("log(x) for 1/x", "log({0})", "wrong local partial"), ("x for 1/x", "{0}", "wrong local partial"),
                 ("−1/x² for 1/x", "-1/{0}**2", "wrong local partial")],
    ("tanh", 0): [("tanh for 1−tanh²", "{out}", "wrong local partial"),
                  ("1−tanh for 1−tanh²", "1 - {out}", "wrong local partial"),
                  ("tanh² for 1−tanh²", "{out}**2", "wrong local partial")],
    ("sqrt", 0): [("1/√x for 1/(2√x)", "1/{out}", "wrong local partial"),
                  ("√x/2 for 1/(2√x)", "{out}/2", "wrong local partial")],
    ("softplus", 0): [("softplus for σ", "{out}", "wrong local partial")],
    ("div", 0): [("b for 1/b", "{1}", "wrong local partial")],
    ("div", 1): [("a/b² for −a/b² (the sign)", "{0}/{1}**2", "wrong local partial"),
                 ("−1/b² for −a/b² (the numerator left out)", "-1/{1}**2", "wrong local partial"),
                 ("1/b for −a/b²", "1/{1}", "wrong local partial"),
                 ("−a/b for −a/b²", "-{0}/{1}", "wrong local partial")],
    ("mul", 0): [("the operand itself for the other one", "{0}", "wrong operand")],
    ("mul", 1): [("the operand itself for the other one", "{1}", "wrong operand")],
    ("sub", 1): [("+1 for −1 (the sign)", "1", "sign")],
    ("neg", 0): [("+1 for −1 (the sign)", "1", "sign")],
}
_COMPILED: dict[str, object] = {}


def _slip_value(rule: str, xs: list[float], z: float) -> float:
    fn = _COMPILED.get(rule)
    if fn is None:
        fn = _COMPILED[rule] = compile_rule(parse_rule(rule))
    try:
        return fn if isinstance(fn, float) else fn(tuple(xs), z)
    except (ValueError, ZeroDivisionError, OverflowError):
        return math.nan


# --- numbers --------------------------------------------------------------------------------------------------


def tolerance(w: Written, ref: float, rel: float | None) -> float:
    """How far a written number may be from the value it stands for: half a unit of the last digit written
    (a formula or --tolerance: relative)."""
    if rel is not None:
        return rel * max(1.0, abs(ref))
    if w.places is None:
        return 1e-9 * max(1.0, abs(ref))
    return 0.5 * 10.0 ** (-w.places) * (1 + 1e-9) + 1e-12 * abs(ref)


def close(w: Written | None, ref: float, rel: float | None) -> bool:
    if w is None:
        return False
    if ref != ref or w.value != w.value:
        return ref != ref and w.value != w.value
    if math.isinf(ref) or math.isinf(w.value):
        return ref == w.value
    return abs(w.value - ref) <= tolerance(w, ref, rel)


def show(x: float) -> str:
    """A number as feedback shows it: up to 6 significant digits."""
    if x != x:
        return "nan"
    if x in (math.inf, -math.inf):
        return "inf" if x > 0 else "-inf"
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


STYLE = TextStyle(unicode=True)


def _text(e: Expr) -> str:
    return STYLE.text(e)


# --- the grading ----------------------------------------------------------------------------------------------


class _Given(NamedTuple):
    line: int
    name: str
    written: Written | None
    rule: str | None
    sweep: str | None  # the sweep the rule's tangents are in


def grade(graph, point: dict, sheet: Sheet, mode: str | None = None, wrt: list[str] | None = None,
          follow_through: str = "full", total: float | None = None, rel: float | None = None,
          mapping: dict | None = None, student: str = "student") -> Graded:
    from .trace import run_forward, run_reverse

    names = Names(graph, mapping)
    unknown: list[tuple[int, str, str]] = []
    extra: list[tuple[int, str, str]] = []
    resolved = []
    for ln in sheet.lines:
        n, why = names.resolve(ln.name)
        if n is None:
            unknown.append((ln.line, ln.name, why))
        else:
            resolved.append((ln, n))
    kinds = {n.kind for _, n in resolved}
    if mode is None:
        mode = "forward" if "tangent" in kinds and "adjoint" not in kinds else "reverse"
    sweeps: list[str] = []
    if mode == "forward":
        if wrt:
            sweeps = list(wrt)
        else:
            for s in sheet.sweeps:
                x = names.input_of(s)
                if x is not None and x not in sweeps:
                    sweeps.append(x)
            for _, n in resolved:
                if n.kind == "tangent" and n.sweep and n.sweep not in sweeps:
                    sweeps.append(n.sweep)
            if not sweeps:
                sweeps = list(graph.names)
        sweeps = [x for x in graph.names if x in sweeps]
        for s in sheet.sweeps:
            if names.input_of(s) is None:
                unknown.append((0, f"[sweep {s}]", f"'{s}' is not an input; the inputs are {', '.join(graph.names)}"))
    trace = run_forward(graph, point, sweeps) if mode == "forward" else run_reverse(graph, point)

    # what the student wrote, by cell
    given: dict[tuple, _Given] = {}

    def put(key: tuple, g: _Given) -> None:
        if key in given:
            extra.append((g.line, g.name, f"written twice; line {given[key].line} is graded"))
        else:
            given[key] = g

    for ln, n in resolved:
        sweep = None
        if n.kind == "tangent":
            sweep = n.sweep or (names.input_of(ln.sweep) if ln.sweep else None)
            if sweep is None and len(sweeps) == 1:
                sweep = sweeps[0]
            if sweep is None:
                unknown.append((ln.line, ln.name, "which sweep is it in? head its sweep with a line [sweep x1]"))
                continue
        if n.kind == "gradient":
            if n.sweep is not None:
                put(("gradient", n.sweep), _Given(ln.line, ln.name, number(ln.value, sheet, ln.value_offset),
                                                  ln.rule, None))
                continue
            entries = numbers(ln.value, sheet, ln.value_offset)
            order = list(graph.names)
            if mode == "forward" and len(entries) == len(sweeps) and len(sweeps) < len(order):
                order = sweeps
            if len(entries) != len(order):
                unknown.append((ln.line, ln.name, f"has {len(entries)} entries; the inputs are {', '.join(order)}"))
                continue
            for x, w in zip(order, entries):
                put(("gradient", x), _Given(ln.line, ln.name, w, None, None))
            continue
        w = number(ln.value, sheet, ln.value_offset)
        if n.kind == "value":
            if n.node < len(graph.names):
                x = graph.names[n.node]
                if w is not None and not close(w, point[x], rel):
                    extra.append((ln.line, ln.name, f"{x} is given by the point: {show(point[x])}, not {ln.value}"))
                continue
            put(("value", n.node), _Given(ln.line, ln.name, w, ln.rule, None))
        elif n.kind == "adjoint":
            if mode != "reverse":
                extra.append((ln.line, ln.name, "an adjoint: this is graded as forward mode"))
                continue
            put(("adjoint", n.node), _Given(ln.line, ln.name, w, ln.rule, None))
        else:
            if mode != "forward":
                extra.append((ln.line, ln.name, "a tangent: this is graded as reverse mode"))
                continue
            if sweep not in sweeps:
                extra.append((ln.line, ln.name, f"in the sweep for {sweep}, which is not graded"))
                continue
            put(("tangent", sweep, n.node), _Given(ln.line, ln.name, w, ln.rule, sweep))

    g = _Grader(graph, trace, names, given, rel, follow_through, mode, sweeps)
    g.run()
    for key, gv in given.items():
        if key not in g.slots:
            extra.append((gv.line, gv.name, "not a cell of the key (no path to the output)"))
    n_cells = len(g.cells)
    weight = (total / n_cells) if (total is not None and n_cells) else 1.0
    cells = [c._replace(points=c.points * weight, max_points=weight) for c in g.cells]
    score = sum(c.points for c in cells)
    most = weight * n_cells
    return Graded("grade", graph, dict(point), mode, tuple(sweeps), student, cells, sorted(unknown),
                  sorted(extra), score, most, follow_through, list(trace.warnings))


class _Grader:
    """The own-work recomputation and the verdicts, in the order a student fills the table."""

    def __init__(self, graph, trace, names, given, rel, follow_through, mode, sweeps) -> None:
        self.graph, self.trace, self.names, self.given = graph, trace, names, given
        self.rel, self.follow_through, self.mode, self.sweeps = rel, follow_through, mode, sweeps
        n = len(graph.nodes)
        self.n = n
        # two versions of the student's own work: exact where right ("e"), as written ("w")
        self.val = {"e": [0.0] * n, "w": [0.0] * n}
        self.adj = {"e": [0.0] * n, "w": [0.0] * n}
        self.tan: dict[str, dict[str, list[float]]] = {s: {"e": [0.0] * n, "w": [0.0] * n} for s in sweeps}
        self.part: dict[str, list[tuple[float, ...]]] = {}
        self.cells: list[Cell] = []
        self.slots: set[tuple] = set()
        self.status: dict[tuple, str] = {}  # verdict by slot
        self.blame: dict[tuple, str | None] = {}  # the charged cell a slot's deviation comes from
        self.deviant: dict[tuple, bool] = {}
        self.labels: dict[tuple, str] = {}
        self.nodes = list(graph.nodes)
        self.consumers = [graph.consumers[j] for j in range(n)]
        self.relevant = self._reaching()

    def _reaching(self) -> list[bool]:
        """Which nodes lead to the output."""
        reach = [False] * self.n
        reach[self.graph.output] = True
        for i in range(self.graph.output, -1, -1):
            if reach[i]:
                for a in self.nodes[i].args:
                    if type(a) is int:
                        reach[a] = True
        return reach

    # --- helpers ---

    def operands(self, i: int, v: list[float]) -> list[float]:
        return [v[a] if type(a) is int else a.value for a in self.nodes[i].args]

    def partials(self, i: int, version: str) -> tuple[float, ...]:
        v = self.val[version]
        node = self.nodes[i]
        xs = self.operands(i, v)
        out = []
        for k in range(len(node.args)):
            try:
                out.append(partial(node.op, k, xs, v[i]))
            except (ValueError, ZeroDivisionError, OverflowError):
                out.append(math.nan)
        return tuple(out)

    def label(self, slot: tuple) -> str:
        kind = slot[0]
        g = self.graph
        if kind == "value":
            return g.ids[slot[1]]
        if kind == "adjoint":
            return STYLE.mark("bar", g.ids[slot[1]])
        if kind == "tangent":
            return STYLE.mark("dot", g.ids[slot[2]])
        return f"∂{g.function}/∂{slot[1]}"

    def env(self, version: str, sweep: str | None) -> dict[str, float]:
        v, a = self.val[version], self.adj[version]
        env = {}
        for i in range(self.n):
            env[f"_v{i}"] = v[i]
            env[f"_a{i}"] = a[i]
        return env

    # --- one cell ---

    def cell(self, slot: tuple, key: float, expect: dict[str, float], deps: list[tuple], diagnose) -> dict:
        """Grade one slot; returns its own value in each version."""
        gv = self.given.get(slot)
        w = gv.written if gv is not None else None
        self._written = w
        rel = self.rel
        self.slots.add(slot)
        lab = self.labels[slot] = self.label(slot)
        e, wr = expect["e"], expect["w"]
        if w is None:
            verdict = "missing"
        elif close(w, key, rel):
            verdict = "correct"
        elif close(w, e, rel) or close(w, wr, rel):
            verdict = "follows"
        else:
            verdict = "wrong"
        own = {"e": key if verdict == "correct" else (w.value if verdict == "wrong" else e),
               "w": w.value if w is not None else wr}
        if verdict == "follows" and not close(w, e, rel):
            own["e"] = wr
        expected_own = e if (w is None or close(w, e, rel) or not close(w, wr, rel)) else wr
        blame = None
        for d in deps:
            if self.deviant.get(d):
                blame = self.labels[d] if self.status.get(d) in ("wrong", "missing") else self.blame.get(d)
                if blame:
                    break
        error = feedback = note = follows = None
        if verdict == "missing":
            error = "missing cell"
            feedback = f"{lab} is missing: {diagnose(None)[1]}" if diagnose else f"{lab} is missing"
            feedback = feedback if gv is None else f"{lab} is left blank: {diagnose(None)[1]}"
        elif verdict == "wrong":
            error, feedback = diagnose(w.value)
        elif verdict == "follows":
            follows = blame
            if blame is None and not close(w, key, rel):
                follows = "an earlier cell"
        if verdict == "correct" and w is not None and not (close(w, e, rel) or close(w, wr, rel)):
            note = "matches the key, though not the student's own earlier cells"
        if verdict in ("correct", "follows") and self.zero_note is not None:
            note = self.zero_note if note is None else f"{note}; {self.zero_note}"
        if gv is not None and gv.rule and verdict != "missing":
            rule_note = self.check_rule(slot, gv, e, verdict)
            if rule_note:
                if verdict == "wrong" and rule_note[0]:
                    error, feedback = rule_note[0], rule_note[1]
                else:
                    note = rule_note[1] if note is None else f"{note}; {rule_note[1]}"
        points = {"correct": 1.0, "follows": CREDIT[self.follow_through]}.get(verdict, 0.0)
        self.status[slot] = verdict
        self.blame[slot] = lab if verdict in ("wrong", "missing") else blame
        self.deviant[slot] = not (own["e"] == key or (own["e"] != own["e"] and key != key)) and not close(
            Written(own["e"], 12), key, None)
        kind = slot[0]
        ident = self.graph.ids[slot[-1]] if kind in ("value", "adjoint", "tangent") else slot[1]
        self.cells.append(Cell(ident, lab, kind, slot[1] if kind == "tangent" else None,
                               gv.line if gv is not None else None, w.value if w is not None else None,
                               expected_own, key, verdict, error, feedback, follows, note, points, 1.0))
        return own

    zero_note: str | None = None

    # --- rules the student wrote ---

    def check_rule(self, slot: tuple, gv: _Given, expected: float, verdict: str):
        """What a written rule says: (error or None, text), or None where it agrees. The rule is evaluated
        over the student's own values, and at random points against the true rule."""
        try:
            items, tangents = rule_items(gv.rule, self.names, gv.sweep)
        except GradcliError as e:
            return None, f"the rule could not be read ({e})"
        env = self.env("e", gv.sweep)
        for key, (node, s) in tangents.items():
            env[key] = self.tan[s]["e"][node] if s in self.tan else math.nan
        try:
            value = evaluate(items, env)
        except (Unknown, IndexError):
            return None, "the rule names a cell with no value yet"
        w = gv.written
        true = self.true_rule(slot)
        same = self.same_rule(slot, items, tangents)
        if verdict == "wrong" and w is not None:
            if close(Written(value, w.places), expected, self.rel) and same is not False:
                return "arithmetic", (f"arithmetic: the rule is right, the number is not: {true}, "
                                      f"not {show(w.value)}")
            if close(w, value, self.rel) and same is False:
                return None, None  # the number follows the wrong rule: the diagnosis from the number stands
        if verdict in ("correct", "follows") and same is False:
            return None, f"the rule written, {gv.rule}, is not the chain rule's {' = '.join(true.split(' = ')[:2])} " \
                         f"(the number is right at this point)"
        return None

    def same_rule(self, slot: tuple, items, tangents) -> bool | None:
        """Whether a written rule equals the true one at random points (the values of the graph at random
        inputs, the adjoints and tangents random): True, False, or None where it cannot be computed."""
        from .trace import evaluate as evaluate_graph

        rng = random.Random(1)
        graph = self.graph
        agreed = 0
        for _ in range(6):
            point = {n: rng.uniform(0.3, 1.7) for n in graph.names}
            point.update({n: rng.uniform(0.3, 1.7) for n in graph.data_names})
            try:
                ev = evaluate_graph(graph, point)
            except GradcliError:
                continue
            v = ev.values
            adj = [rng.uniform(0.5, 1.5) for _ in range(self.n)]
            env = {f"_v{i}": v[i] for i in range(self.n)}
            env.update({f"_a{i}": adj[i] for i in range(self.n)})
            tan = {s: [rng.uniform(0.5, 1.5) for _ in range(self.n)] for s in set(s for _, s in tangents.values())
                   | ({slot[1]} if slot[0] == "tangent" else set())}
            for key, (node, s) in tangents.items():
                env[key] = tan[s][node]
            try:
                student = evaluate(items, env)
            except (Unknown, IndexError):
                return None
            truth = self.true_value(slot, v, ev.partials, adj, tan)
            if truth is None or not (math.isfinite(student) and math.isfinite(truth)):
                continue
            if abs(student - truth) > 1e-7 * max(1.0, abs(truth)):
                return False
            agreed += 1
        return True if agreed else None

    def true_value(self, slot, v, partials, adj, tan) -> float | None:
        kind = slot[0]
        if kind == "value":
            i = slot[1]
            try:
                return OPS[self.nodes[i].op].value(*self.operands(i, v))
            except (ValueError, ZeroDivisionError):
                return None
        if kind == "adjoint":
            j = slot[1]
            if j == self.graph.output:
                return 1.0
            return sum(adj[i] * partials[i][k] for i, k in self.consumers[j] if self.relevant[i])
        if kind == "tangent":
            s, i = slot[1], slot[2]
            node = self.nodes[i]
            return sum(partials[i][k] * tan[s][a] for k, a in enumerate(node.args) if type(a) is int)
        return None

    def true_rule(self, slot: tuple) -> str:
        """The cell's true rule in symbols and in the student's own numbers: c̄6 = c̄7·3·c6**2 = 1·3·4**2 = 48."""
        g = self.graph
        kind = slot[0]
        v, a = self.val["e"], self.adj["e"]

        def numbers(e: Expr, tangent: list[float] | None = None) -> Expr:
            def leaf(x: Expr) -> Expr:
                if x.op == NAME and x.leaf in self.index:
                    return _shown(v[self.index[x.leaf]])
                if x.op == MARK:
                    i = self.index[x.leaf[1]]
                    return _shown(a[i] if x.leaf[0] == "bar" else tangent[i])
                return x
            return transform(e, leaf)

        if kind == "value":
            i = slot[1]
            d = g.definition(i)
            return f"{g.ids[i]} = {_text(d)} = {_text(numbers(d))} = {show(self.expect_value(i))}"
        terms = []
        if kind == "adjoint":
            j = slot[1]
            if j == g.output:
                return f"{STYLE.mark('bar', g.ids[j])} = 1 (the seed)"
            for i, k in self.consumers[j]:
                if self.relevant[i]:
                    terms.append(_times(mark("bar", g.ids[i]), g.rule(i, k)))
            total = sum(a[i] * self.part["e"][i][k] for i, k in self.consumers[j] if self.relevant[i])
            lhs = STYLE.mark("bar", g.ids[j])
            tangent = None
        elif kind == "tangent":
            s, i = slot[1], slot[2]
            node = self.nodes[i]
            if node.op == "input":
                return f"{STYLE.mark('dot', g.ids[i])} = {1 if g.names[i] == s else 0} (the seed)"
            for k, arg in enumerate(node.args):
                if type(arg) is int:
                    terms.append(_times(g.rule(i, k), mark("dot", g.ids[arg])))
            tangent = self.tan[s]["e"]
            total = sum(self.part["e"][i][k] * tangent[arg] for k, arg in enumerate(node.args) if type(arg) is int)
            lhs = STYLE.mark("dot", g.ids[i])
        else:
            x = slot[1]
            i = g.inputs[g.names.index(x)]
            if self.mode == "reverse":
                return f"∂{g.function}/∂{x} = {STYLE.mark('bar', g.ids[i])} = {show(a[i])}"
            return f"∂{g.function}/∂{x} = {STYLE.mark('dot', g.ids[g.output])} = {show(self.tan[x]['e'][g.output])}"
        if not terms:
            return f"{lhs} = 0"
        rule = terms[0]
        for t in terms[1:]:
            rule = Expr("add", (rule, t))
        return f"{lhs} = {_text(rule)} = {_text(numbers(rule, tangent))} = {show(total)}"

    @property
    def index(self) -> dict[str, int]:
        got = getattr(self, "_index", None)
        if got is None:
            got = self._index = {x: i for i, x in enumerate(self.graph.ids)}
        return got

    def expect_value(self, i: int) -> float:
        try:
            return OPS[self.nodes[i].op].value(*self.operands(i, self.val["e"]))
        except (ValueError, ZeroDivisionError):
            return math.nan

    # --- the sweeps over the student's work ---

    def run(self) -> None:
        g, trace = self.graph, self.trace
        for i in range(self.n):
            node = self.nodes[i]
            if node.op == "input":
                x = g.leaf_name(i)
                for ver in ("e", "w"):
                    self.val[ver][i] = trace.values[i]
                continue
            if not self.relevant[i]:
                for ver in ("e", "w"):
                    self.val[ver][i] = trace.values[i]
                continue
            expect = {}
            for ver in ("e", "w"):
                try:
                    expect[ver] = OPS[node.op].value(*self.operands(i, self.val[ver]))
                except (ValueError, ZeroDivisionError):
                    expect[ver] = math.nan
            deps = [("value", a) for a in node.args if type(a) is int]
            self.zero_note = None
            own = self.cell(("value", i), trace.values[i], expect, deps, lambda s, i=i: self.diagnose_value(i, s))
            for ver in ("e", "w"):
                self.val[ver][i] = own[ver]
        for ver in ("e", "w"):
            self.part[ver] = [self.partials(i, ver) if self.nodes[i].op != "input" else () for i in range(self.n)]
        if self.mode == "reverse":
            self.run_reverse()
        else:
            self.run_forward()

    def value_deps(self, i: int) -> list[tuple]:
        return [("value", a) for a in self.nodes[i].args if type(a) is int] + (
            [("value", i)] if self.nodes[i].op != "input" else [])

    def run_reverse(self) -> None:
        g, trace = self.graph, self.trace
        out = g.output
        for j in range(out, -1, -1):
            if g.is_held(j) or not self.relevant[j]:
                continue
            expect = {}
            terms = {}
            for ver in ("e", "w"):
                a, p = self.adj[ver], self.part[ver]
                if j == out:
                    expect[ver] = 1.0
                    terms[ver] = []
                else:
                    terms[ver] = [(i, k, a[i] * p[i][k]) for i, k in self.consumers[j] if self.relevant[i]]
                    expect[ver] = sum(t for _, _, t in terms[ver])
            deps = []
            for i, _ in self.consumers[j]:
                if self.relevant[i]:
                    deps.append(("adjoint", i))
                    deps.extend(self.value_deps(i))
            self.zero_note = self.zero_terms(j, terms["e"], "adjoint") if j != out else None
            own = self.cell(("adjoint", j), trace.adjoints[j], expect, deps,
                            lambda s, j=j, t=terms["e"], e=expect["e"]: self.diagnose_sum(("adjoint", j), t, e, s))
            for ver in ("e", "w"):
                self.adj[ver][j] = own[ver]
        for x, i in zip(g.names, g.inputs):
            if not self.relevant[i]:
                continue
            self.gradient(x, trace.gradient[x], {ver: self.adj[ver][i] for ver in ("e", "w")}, ("adjoint", i))

    def gradient(self, x: str, key: float, expect: dict, source: tuple) -> None:
        slot = ("gradient", x)
        if slot not in self.given and source in self.given and self.given[source].written is not None:
            # a gradient not written out is read from the cell that holds it (x̄, or ċ of the output)
            src = self.given[source]
            self.given[slot] = _Given(src.line, src.name, src.written, None, None)
        self.zero_note = None
        self.cell(slot, key, expect, [source], lambda s: self.diagnose_gradient(x, s))

    def run_forward(self) -> None:
        g, trace = self.graph, self.trace
        for sw, s in zip(trace.sweeps, self.sweeps):
            t = self.tan[s]
            for i in range(self.n):
                node = self.nodes[i]
                if g.is_held(i):
                    continue
                if node.op == "input":
                    seed = 1.0 if g.names[i] == s else 0.0
                    expect = {"e": seed, "w": seed}
                    terms = {"e": []}
                else:
                    if not self.relevant[i]:
                        for ver in ("e", "w"):
                            t[ver][i] = sw.tangents[i]
                        continue
                    expect, terms = {}, {}
                    for ver in ("e", "w"):
                        p = self.part[ver][i]
                        terms[ver] = [(a, k, p[k] * t[ver][a]) for k, a in enumerate(node.args) if type(a) is int]
                        expect[ver] = sum(x for _, _, x in terms[ver])
                deps = [("tangent", s, a) for a in node.args if type(a) is int] + self.value_deps(i)
                slot = ("tangent", s, i)
                self.zero_note = self.zero_terms(i, terms["e"], "tangent", s) if node.op != "input" else None
                own = self.cell(slot, sw.tangents[i], expect, deps,
                                lambda v, slot=slot, tt=terms["e"], e=expect["e"]: self.diagnose_sum(slot, tt, e, v))
                for ver in ("e", "w"):
                    t[ver][i] = own[ver]
            out = g.output
            self.gradient(s, trace.gradient[s], {ver: t[ver][out] for ver in ("e", "w")}, ("tangent", s, out))

    # --- diagnoses ---

    def term_text(self, slot: tuple, i: int, k: int) -> str:
        """The term of edge (i, k) in a sum: c̄7·3·c6**2 (adjoint), or 2·c1·ċ1 (tangent)."""
        g = self.graph
        if slot[0] == "adjoint":
            return _text(_times(mark("bar", g.ids[i]), g.rule(i, k)))
        node = slot[2]
        a = self.nodes[node].args[k]
        return _text(_times(g.rule(node, k), mark("dot", g.ids[a])))

    def zero_terms(self, j: int, terms: list, kind: str, sweep: str | None = None) -> str | None:
        """A note where a term of a sum of several is 0 at this point: whether it was included cannot be told."""
        if len(terms) < 2:
            return None
        zeros = []
        for first, k, t in terms:
            if t == 0:
                if kind == "adjoint":
                    i = first
                    if self.adj["e"][i] == 0:
                        continue  # the consumer's adjoint is 0: nothing to include
                    zeros.append(self.term_text(("adjoint", j), i, k))
                else:
                    if self.tan[sweep]["e"][first] == 0:
                        continue
                    zeros.append(self.term_text(("tangent", sweep, j), j, k))
        if not zeros:
            return None
        return (f"the term {', '.join(zeros)} is 0 at this point: whether it was included cannot be told from "
                f"the number")

    def diagnose_value(self, i: int, s: float | None) -> tuple[str, str]:
        g = self.graph
        e = self.expect_value(i)
        true = self.true_rule(("value", i))
        if s is None:
            return "missing cell", true
        found = []
        if e != 0 and self.near(s, -e):
            found.append(("sign", f"sign error: {true}, not {show(s)}"))
        node = self.nodes[i]
        xs = self.operands(i, self.val["e"])
        for k, a in enumerate(node.args):
            if type(a) is not int:
                continue
            for m in range(i):
                if m == a or g.is_held(m):
                    continue
                ys = list(xs)
                ys[k] = self.val["e"][m]
                try:
                    y = OPS[node.op].value(*ys)
                except (ValueError, ZeroDivisionError):
                    continue
                if self.near(s, y) and not self.near(y, e):
                    found.append(("wrong operand", f"wrong operand: {g.ids[m]} used for {g.ids[a]} "
                                                   f"({show(y)}); {true}"))
        return self._pick(found, ("arithmetic", f"arithmetic: {true}, not {show(s)}"))

    def near(self, s: float, y: float) -> bool:
        w = self._written
        return close(Written(s, w.places if w is not None else None), y, self.rel)

    _written: Written | None = None

    def _pick(self, found: list, otherwise: tuple[str, str]) -> tuple[str, str]:
        if not found:
            return otherwise
        kinds = list(dict.fromkeys(f[0] for f in found))
        if len(found) == 1 or len(kinds) == 1 and len(found) == 1:
            return found[0]
        texts = list(dict.fromkeys(f[1] for f in found))
        if len(texts) == 1:
            return found[0]
        return found[0][0], "this point cannot tell apart: " + "; or ".join(texts)

    def diagnose_sum(self, slot: tuple, terms: list, e: float, s: float | None) -> tuple[str, str]:
        g = self.graph
        true = self.true_rule(slot)
        if s is None:
            return "missing cell", true
        found = []
        lab = self.label(slot)
        if slot[0] == "adjoint" and slot[1] == g.output:
            return "arithmetic", f"{lab} is the seed, 1, not {show(s)}"
        if slot[0] == "tangent" and self.nodes[slot[2]].op == "input":
            return "arithmetic", f"{true}, not {show(s)}"
        # a term left out
        for first, k, t in terms:
            if t != 0 and len(terms) > 1 and self.near(s, e - t):
                if slot[0] == "adjoint":
                    j = slot[1]
                    feeds = [g.ids[i] for i, _ in self.consumers[j] if self.relevant[i]]
                    why = f"{g.ids[j]} feeds {' and '.join(feeds)}, so {lab} sums a term from each"
                else:
                    why = f"{g.ids[slot[2]]} reads {len(terms)} nodes, so {lab} sums a term for each"
                found.append(("missing term", f"missing term {self.term_text(slot, first, k)}: {why}: {true}"))
        # a term counted twice, or with its sign flipped
        for first, k, t in terms:
            if t != 0 and self.near(s, e + t) and len(terms) >= 1:
                found.append(("extra term", f"extra term: {self.term_text(slot, first, k)} counted twice; {true}"))
            if t != 0 and len(terms) > 1 and self.near(s, e - 2 * t):
                found.append(("sign", f"sign error in the term {self.term_text(slot, first, k)}: {true}"))
        # slips in a local partial
        for first, k, t in terms:
            i = first if slot[0] == "adjoint" else slot[2]
            node = self.nodes[i]
            xs = self.operands(i, self.val["e"])
            p = self.part["e"][i][k]
            incoming = self.adj["e"][i] if slot[0] == "adjoint" else self.tan[slot[1]]["e"][node.args[k]]
            edge = f"{g.ids[node.args[k]]} → {g.ids[i]}"
            slips = list(SLIPS.get((node.op, k), []))
            for what, rule, kind in slips:
                q = _slip_value(rule, xs, self.val["e"][i])
                if q == q and not self.near(q * incoming, p * incoming) and self.near(s, e - t + incoming * q):
                    found.append((kind, f"{kind} on {edge}: {what}; {true}"))
            if p != 1 and not self.near(s, e) and self.near(s, e - t + incoming) and node.op not in ("add",):
                found.append(("wrong local partial", f"wrong local partial on {edge}: the local partial "
                                                     f"∂{g.ids[i]}/∂{g.ids[node.args[k]]} left out; {true}"))
            if incoming != 1 and p != 0 and self.near(s, e - t + p):
                what = STYLE.mark("bar", g.ids[i]) if slot[0] == "adjoint" else STYLE.mark("dot", g.ids[node.args[k]])
                found.append(("wrong local partial", f"missing inner derivative on {edge}: {what} left out; {true}"))
        if not found and e != 0 and self.near(s, -e):
            found.append(("sign", f"sign error: {true}, not {show(s)}"))
        # an extra term: an edge of another node
        if slot[0] == "adjoint" and not found:
            j = slot[1]
            mine = {(i, k) for i, k, _ in terms}
            for i in range(self.n):
                if self.nodes[i].op == "input" or not self.relevant[i]:
                    continue
                for k, a in enumerate(self.nodes[i].args):
                    if type(a) is int and (i, k) not in mine and a != j:
                        t = self.adj["e"][i] * self.part["e"][i][k]
                        if t != 0 and self.near(s, e + t):
                            found.append(("extra term", f"extra term {self.term_text(slot, i, k)}: {g.ids[j]} "
                                                        f"does not feed it; {true}"))
        return self._pick(found, ("arithmetic", f"arithmetic: {true}, not {show(s)}"))

    def diagnose_gradient(self, x: str, s: float | None) -> tuple[str, str]:
        g = self.graph
        true = self.true_rule(("gradient", x))
        if s is None:
            return "missing cell", true
        found = []
        for y in g.names:
            if y == x:
                continue
            i = g.inputs[g.names.index(y)]
            other = self.adj["e"][i] if self.mode == "reverse" else (
                self.tan[y]["e"][g.output] if y in self.tan else math.nan)
            if other == other and self.near(s, other):
                found.append(("wrong operand", f"wrong operand: that is ∂{g.function}/∂{y}; {true}"))
        return self._pick(found, ("arithmetic", f"{true}, not {show(s)}"))


def _times(a: Expr, b: Expr) -> Expr:
    """a·b, with a factor 1 left out and b's own product written out: c̄7·3·c6**2, not c̄7·(3·c6**2)."""
    factors, stack = [], [b]
    while stack:  # b's factors, left to right, without recursion
        x = stack.pop()
        if x.op in ("mul", "cdot"):
            stack.extend(reversed(x.args))
        else:
            factors.append(x)
    out = a
    for f in factors:
        if f.op == NUM and f.leaf[0] == 1:
            continue
        out = f if (out.op == NUM and out.leaf[0] == 1) else Expr("cdot", (out, f))
    return out


def _shown(x: float) -> Expr:
    """A number in a rule's numbers, to the digits feedback shows."""
    return num(x, show(x) if x == x and abs(x) != math.inf else None)
