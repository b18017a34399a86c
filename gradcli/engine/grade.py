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

from ..core.expr import EQ, MARK, NAME, NUM, PARTIAL, Expr, from_items, mark, name as name_leaf, num, transform
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
    says: tuple | None  # the feedback, one line as parts (text, and Exprs each format prints in its style)
    follows: str | None  # the charged cell a "follows" verdict follows from
    noted: tuple | None  # said of any cell (a term 0 at the point; a rule that differs), as parts
    points: float
    max_points: float
    rule_check: str | None = None  # a written rule against the true one: "proved", "different", "undecided"

    @property
    def feedback(self) -> str | None:
        """What went wrong, with the true rule in symbols and numbers, as the table prints it."""
        return None if self.says is None else spoken(self.says)

    @property
    def note(self) -> str | None:
        return None if self.noted is None else spoken(self.noted)


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
    mapping: dict[str, str] = {}  # the student's names for ours used: matched by definition, or --map
    matched: tuple[str, ...] = ()  # the student's names matched by their definitions

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


def show(x) -> str:
    """A number as feedback shows it: up to 6 significant digits; an array's entries (a tuple, of rows for a
    matrix) in brackets, a blank entry as —."""
    if isinstance(x, tuple):
        return "[" + ", ".join("—" if v is None else show(v) for v in x) + "]"
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


def say(*parts) -> tuple:
    """A line of feedback as parts: text, and Exprs that each format prints in its own style (c̄7·3·c6**2 in the
    table, c7_bar*3*c6**2 in JSON); a part that is itself such a line is spliced in."""
    out: list = []
    for p in parts:
        if p is None or (isinstance(p, str) and not p):
            continue
        if isinstance(p, tuple) and not isinstance(p, Expr):
            out.extend(p)
        else:
            out.append(p)
    return tuple(out)


def spoken(parts: tuple, style=STYLE) -> str:
    """A line of parts as text in ``style``."""
    return "".join(p if isinstance(p, str) else style.text(p) for p in parts)


def _joined(lines: list[tuple], sep: str) -> tuple:
    out: list = []
    for k, ln in enumerate(lines):
        out.extend(((sep,) if k else ()) + tuple(ln))
    return tuple(out)


# --- the grading ----------------------------------------------------------------------------------------------


class _Given(NamedTuple):
    line: int
    name: str
    written: Written | None
    rule: str | None
    sweep: str | None  # the sweep the rule's tangents are in


def grade(graph, point: dict, sheet: Sheet, mode: str | None = None, wrt: list[str] | None = None,
          follow_through: str = "full", total: float | None = None, rel: float | None = None,
          mapping: dict | None = None, student: str = "student", decide=None) -> Graded:
    """The sheet graded against the key. ``decide(graph)``, where given, makes the function that proves a written
    rule equal to the true one (gradcli.exact.written, imported by the caller only for a sheet with rules)."""
    from .trace import run_forward, run_reverse

    matched = match_definitions(graph, sheet, mapping)
    mapping = {**(mapping or {}), **matched}
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

    rules = any(gv.rule for gv in given.values())
    g = _Grader(graph, trace, names, given, rel, follow_through, mode, sweeps,
                decide(graph) if decide is not None and rules else None)
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
                  sorted(extra), score, most, follow_through, list(trace.warnings),
                  {k: v for k, v in mapping.items() if k != v}, tuple(matched))


# --- matching the student's numbering to ours, by the definitions written ---------------------------------


def _shape(e: Expr, rename) -> tuple | None:
    """A tree's structure as a key, names through ``rename`` (None: not known yet), sums and products with
    their operands in any order (c3·c7 is c7·c3); a loop, not recursion."""
    stack: list[tuple[Expr, bool]] = [(e, False)]
    done: list = []
    while stack:
        x, visited = stack.pop()
        if not x.args:
            if x.op == NUM:
                done.append(("#", float(x.leaf[0])))
            elif x.op == NAME:
                n = rename(x.leaf)
                if n is None:
                    return None
                done.append(("n", n))
            else:
                done.append((x.op, x.leaf))
        elif visited:
            k = len(x.args)
            args = done[-k:]
            del done[-k:]
            op = "mul" if x.op == "cdot" else x.op
            if op in ("add", "mul"):
                args = sorted(args, key=repr)
            done.append((op, tuple(args)))
        else:
            stack.append((x, True))
            stack.extend((a, False) for a in reversed(x.args))
    return done[0]


def match_definitions(graph, sheet: Sheet, given: dict[str, str] | None = None) -> dict[str, str]:
    """The student's names for our nodes, read off the definitions they wrote (their ``c4 = c2**2`` is our c5
    where our c5 is c2**2): a value cell whose rule has the structure of one of our nodes' definitions, over
    cells already matched, is that node. Only names that differ from ours are returned; a node two of the
    student's cells would both be is matched to neither. ``given`` (--map) names what the definitions do not."""
    from ..core.parse import parse_expression
    from ..core.submission import _SUB, normal

    ids = {x: i for i, x in enumerate(graph.ids)}
    inputs = {n: graph.ids[i] for i, n in zip(graph.inputs, graph.names)}
    defs: dict[tuple, list[int]] = {}
    for i, node in enumerate(graph.nodes):
        if node.op != "input" and not graph.is_held(i):
            key = _shape(graph.definition(i), lambda n: n)
            defs.setdefault(key, []).append(i)
    lines = []
    written = set()
    for ln in sheet.lines:
        who = normal(ln.name).strip().translate(_SUB)
        if any(c in who for c in "\u0304\u0305\u0307/\\") or "bar" in who or "dot" in who or who in inputs:
            continue  # adjoints, tangents and inputs are matched through their stems
        written.add(who)
        if not ln.rule:
            continue
        try:
            tree = from_items(parse_expression(normal(ln.rule)), normal(ln.rule))
        except GradcliError:
            continue
        lines.append((who, tree))
    found: dict[str, str] = {}
    claimed: dict[str, str] = {}  # ours -> theirs
    blocked: set[str] = set()  # our nodes two of the student's cells would both be
    given = {normal(k).strip(): normal(v).strip() for k, v in (given or {}).items()}

    def rename(n: str) -> str | None:
        n = n.translate(_SUB)
        if n in found:
            return found[n]
        if n in inputs:
            return inputs[n]
        if n in given:
            return given[n]
        if n in ids and n not in blocked and claimed.get(n, n) == n:
            return n  # our own name, not taken by another cell: provisionally itself
        return None

    def matching() -> str | None:
        """Passes over the lines until nothing more matches; the node two cells claim, where one does."""
        found.clear()
        claimed.clear()
        for _ in range(len(lines) + 1):
            progress = False
            for who, tree in lines:
                if who in found:
                    continue
                key = _shape(tree, rename)
                hits = defs.get(key, []) if key is not None else []
                if len(hits) != 1 or graph.ids[hits[0]] in blocked:
                    continue
                ours = graph.ids[hits[0]]
                if ours in claimed and claimed[ours] != who:
                    return ours
                claimed[ours] = who
                found[who] = ours
                progress = True
            if not progress:
                return None
        return None

    # two cells that claim one node are matched to neither, and every match made through either is made again
    # without it: the matching starts over with that node left out, until no two cells claim one
    while (twice := matching()) is not None:
        blocked.add(twice)
    # a match stands where the student does not also write our node's name for another cell of theirs
    return {k: v for k, v in found.items()
            if k != v and claimed.get(v) == k and (v not in written or found.get(v, v) != v)}


class _Grader:
    """The own-work recomputation and the verdicts, in the order a student fills the table."""

    def __init__(self, graph, trace, names, given, rel, follow_through, mode, sweeps, decide=None,
                 asked: set | None = None) -> None:
        self.graph, self.trace, self.names, self.given = graph, trace, names, given
        self.asked = asked  # the slots that are cells (None: every one); the others are worked out, not graded
        self.decide = decide  # (the student's rule, the true one) -> True where sympy proves them equal
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

    def mark_of(self, slot: tuple) -> Expr:
        """The cell's name as an Expr, for feedback: c6, c̄6, ċ6, ∂f/∂x1."""
        g = self.graph
        kind = slot[0]
        if kind == "value":
            return name_leaf(g.ids[slot[1]])
        if kind == "adjoint":
            return mark("bar", g.ids[slot[1]])
        if kind == "tangent":
            return mark("dot", g.ids[slot[2]])
        return Expr(PARTIAL, (name_leaf(g.function), name_leaf(slot[1])))

    # --- one cell ---

    def cell(self, slot: tuple, key: float, expect: dict[str, float], deps: list[tuple], diagnose) -> dict:
        """Grade one slot; returns its own value in each version."""
        if self.asked is not None and slot not in self.asked:
            return self.worked_out(slot, key, expect, deps)
        gv = self.given.get(slot)
        w = gv.written if gv is not None else None
        self._written = w
        rel = self.rel
        self.slots.add(slot)
        lab = self.labels[slot] = self.label(slot)
        me = self.mark_of(slot)
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
        error = feedback = note = follows = rule_status = None
        if verdict == "missing":
            error = "missing cell"
            feedback = say(me, " is missing: " if gv is None else " is left blank: ", diagnose(None)[1])
        elif verdict == "wrong":
            error, feedback = diagnose(w.value)
        elif verdict == "follows":
            follows = blame
            if blame is None and not close(w, key, rel):
                follows = "an earlier cell"
        if verdict == "correct" and w is not None and not (close(w, e, rel) or close(w, wr, rel)):
            note = say("matches the key, though not the student's own earlier cells")
        if verdict in ("correct", "follows") and self.zero_note is not None:
            note = self.zero_note if note is None else say(note, "; ", self.zero_note)
        if gv is not None and gv.rule and verdict != "missing":
            rule_status, rule_note = self.check_rule(slot, gv, e, verdict, (error, feedback))
            if rule_note is not None:
                if verdict == "wrong" and rule_note[0]:
                    error, feedback = rule_note
                elif rule_note[1]:
                    note = rule_note[1] if note is None else say(note, "; ", rule_note[1])
        points = {"correct": 1.0, "follows": CREDIT[self.follow_through]}.get(verdict, 0.0)
        self.status[slot] = verdict
        self.blame[slot] = lab if verdict in ("wrong", "missing") else blame
        self.deviant[slot] = not (own["e"] == key or (own["e"] != own["e"] and key != key)) and not close(
            Written(own["e"], 12), key, None)
        kind = slot[0]
        ident = self.graph.ids[slot[-1]] if kind in ("value", "adjoint", "tangent") else slot[1]
        self.cells.append(Cell(ident, lab, kind, slot[1] if kind == "tangent" else None,
                               gv.line if gv is not None else None, w.value if w is not None else None,
                               expected_own, key, verdict, error, feedback, follows, note, points, 1.0,
                               rule_status))
        return own

    zero_note: tuple | None = None

    def worked_out(self, slot: tuple, key: float, expect: dict[str, float], deps: list[tuple]) -> dict:
        """A slot the sheet has no cell for (an entry of a matrix product's partial sums): recomputed from the
        student's cells before it, so that a mistake there carries through it to the cells after."""
        self.labels[slot] = self.label(slot)
        self.status[slot] = "worked out"
        self.blame[slot] = next((self.blame[d] for d in deps if self.deviant.get(d) and self.blame.get(d)), None)
        own = dict(expect)
        self.deviant[slot] = not (own["e"] == key or (own["e"] != own["e"] and key != key)) and not close(
            Written(own["e"], 12), key, None)
        return own

    # --- rules the student wrote ---

    def written_rule(self, gv: _Given, slot: tuple):
        """The student's rule as an Expr over the graph's ids and marks (c6, c̄7, ċ1), and its parsed items and
        tangents for evaluating it; GradcliError where it cannot be read."""
        items, tangents, source = rule_items(gv.rule, self.names, gv.sweep)
        g = self.graph
        sweep = slot[1] if slot[0] == "tangent" else gv.sweep

        def leaf(x: Expr) -> Expr:
            if x.op != NAME or not x.leaf.startswith("_"):
                return x
            n = x.leaf
            if n in tangents:
                node, s = tangents[n]
                return mark("dot", g.ids[node] if s == sweep else f"{g.ids[node]}@{s}")
            kind, i = n[1], int(n[2:])
            return name_leaf(g.ids[i]) if kind == "v" else mark("bar", g.ids[i])

        def node(x: Expr, args: tuple) -> Expr:
            return Expr("mul" if x.op == "cdot" else x.op, args, x.leaf)

        tree = transform(from_items(items, source), leaf, node)
        return tree, items, tangents

    def true_expr(self, slot: tuple) -> Expr | None:
        """The cell's true rule in symbols: the definition, or the chain rule's sum of local terms."""
        g = self.graph
        kind = slot[0]
        terms = []
        if kind == "value":
            return g.definition(slot[1])
        if kind == "adjoint":
            j = slot[1]
            if j == g.output:
                return num(1.0, "1")
            terms = [_times(mark("bar", g.ids[i]), g.rule(i, k)) for i, k in self.consumers[j] if self.relevant[i]]
        elif kind == "tangent":
            s, i = slot[1], slot[2]
            node = self.nodes[i]
            if node.op == "input":
                return num(1.0 if g.names[i] == s else 0.0)
            # a constant held by --let or --data has no tangent: its term is left out, as forward's table does
            terms = [_times(g.rule(i, k), mark("dot", g.ids[a])) for k, a in enumerate(node.args)
                     if type(a) is int and not g.is_held(a)]
        else:
            return None
        if not terms:
            return num(0.0, "0")
        out = terms[0]
        for t in terms[1:]:
            out = Expr("add", (out, t))
        return out

    def check_rule(self, slot: tuple, gv: _Given, expected: float, verdict: str, diagnosis: tuple):
        """What a written rule says: its status ("proved", "different", "undecided", or None where it cannot be
        read or checked) and (error or None, the line to say) or None where there is nothing to say. sympy
        decides whether the rule is the true one; where it cannot, the two are compared at random points."""
        try:
            tree, items, tangents = self.written_rule(gv, slot)
        except GradcliError as e:
            return None, (None, say(f"the rule could not be read ({e})"))
        env = self.env("e", gv.sweep)
        for key, (node, s) in tangents.items():
            env[key] = self.tan[s]["e"][node] if s in self.tan else math.nan
        try:
            value = evaluate(items, env)
        except (Unknown, IndexError):
            return None, (None, say("the rule names a cell with no value yet"))
        truth = self.true_expr(slot)
        if truth is None:
            return None, None
        status = None
        if self.decide is not None:
            try:
                if self.decide(tree, truth, slot[1] if slot[0] == "tangent" else gv.sweep):
                    status = "proved"
            except (GradcliError, ValueError, TypeError, KeyError, RecursionError):
                status = None
        if status is None:
            same = self.same_rule(slot, items, tangents)
            if same is False and self.same_rule(slot, items, tangents, consistent=True):
                same = True  # right once its adjoints and tangents are what they are: left undecided
            status = "different" if same is False else "undecided" if same else None
        w = gv.written
        true = self.true_rule(slot)
        theirs = say("the rule written, ", tree, ", ")
        if verdict == "wrong" and w is not None:
            if close(Written(value, w.places), expected, self.rel) and status != "different":
                return status, ("arithmetic", say("arithmetic: the rule is right, the number is not: ", true,
                                                  ", not ", show(w.value)))
            if close(w, value, self.rel) and status == "different":
                error, found = diagnosis
                if slot[0] in ("adjoint", "tangent") and error not in ("missing term", "extra term", "sign"):
                    error = "wrong local partial"
                    found = say("wrong local partial: ", theirs, "is not the chain rule's ", true)
                    return status, (error, found)
                return status, (error, say(theirs, "is not the true one: ", found))
        if status == "different" and verdict in ("correct", "follows"):
            return status, (None, say(theirs, "is not the chain rule's ", me_eq(self.mark_of(slot), truth),
                                      " (the number is right at this point)"))
        if status == "undecided":
            return status, (None, say(theirs, "agrees with ", me_eq(self.mark_of(slot), truth),
                                      " at every point tried, though sympy could not prove them equal (undecided)"))
        return status, None


    def same_rule(self, slot: tuple, items, tangents, consistent: bool = False) -> bool | None:
        """Whether a written rule equals the true one at random points (the values of the graph at random
        inputs, the adjoints and tangents random; with ``consistent``, the adjoints and tangents are the true
        ones there, so that a rule writing a later adjoint out, c̄8·c3 for c̄7, agrees): True, False, or None
        where it cannot be computed."""
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
            sweeps = set(s for _, s in tangents.values()) | ({slot[1]} if slot[0] == "tangent" else set())
            if consistent:
                adj, tan = self._true_marks(ev.partials, sweeps)
            else:
                adj = [rng.uniform(0.5, 1.5) for _ in range(self.n)]
                tan = {s: [rng.uniform(0.5, 1.5) for _ in range(self.n)] for s in sweeps}
            env = {f"_v{i}": v[i] for i in range(self.n)}
            env.update({f"_a{i}": adj[i] for i in range(self.n)})
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

    def _true_marks(self, partials, sweeps) -> tuple[list[float], dict[str, list[float]]]:
        """The true adjoints (the output's 1) and each sweep's true tangents, from the local partials."""
        g, n = self.graph, self.n
        adj = [0.0] * n
        adj[g.output] = 1.0
        for j in range(g.output - 1, -1, -1):
            adj[j] = sum(adj[i] * partials[i][k] for i, k in self.consumers[j] if i <= g.output)
        tan = {}
        for s in sweeps:
            t = [0.0] * n
            if s in g.names:
                t[g.inputs[g.names.index(s)]] = 1.0
            for i in range(n):
                node = self.nodes[i]
                if node.op != "input":
                    t[i] = sum(partials[i][k] * t[a] for k, a in enumerate(node.args) if type(a) is int)
            tan[s] = t
        return adj, tan

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

    def true_rule(self, slot: tuple) -> tuple:
        """The cell's true rule in symbols and in the student's own numbers, as parts of a line:
        c̄6 = c̄7·3·c6**2 = 1·3·4**2 = 48."""
        g = self.graph
        kind = slot[0]
        v, a = self.val["e"], self.adj["e"]
        me = self.mark_of(slot)

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
            return say(Expr(EQ, (me, d, numbers(d))), " = ", show(self.expect_value(i)))
        tangent = None
        if kind == "adjoint":
            j = slot[1]
            if j == g.output:
                return say(me, " = 1 (the seed)")
            total = sum(a[i] * self.part["e"][i][k] for i, k in self.consumers[j] if self.relevant[i])
        elif kind == "tangent":
            s, i = slot[1], slot[2]
            node = self.nodes[i]
            if node.op == "input":
                return say(me, f" = {1 if g.names[i] == s else 0} (the seed)")
            tangent = self.tan[s]["e"]
            total = sum(self.part["e"][i][k] * tangent[arg] for k, arg in enumerate(node.args) if type(arg) is int)
        else:
            x = slot[1]
            i = g.inputs[g.names.index(x)]
            if self.mode == "reverse":
                return say(Expr(EQ, (me, mark("bar", g.ids[i]))), " = ", show(a[i]))
            return say(Expr(EQ, (me, mark("dot", g.ids[g.output]))), " = ", show(self.tan[x]["e"][g.output]))
        rule = self.true_expr(slot)
        if rule.op == NUM:
            return say(me, " = 0")
        return say(Expr(EQ, (me, rule, numbers(rule, tangent))), " = ", show(total))

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
                        terms[ver] = [(a, k, p[k] * t[ver][a]) for k, a in enumerate(node.args)
                                      if type(a) is int and not g.is_held(a)]
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

    def term(self, slot: tuple, i: int, k: int) -> Expr:
        """The term of edge (i, k) in a sum: c̄7·3·c6**2 (adjoint), or 2·c1·ċ1 (tangent)."""
        g = self.graph
        if slot[0] == "adjoint":
            return _times(mark("bar", g.ids[i]), g.rule(i, k))
        node = slot[2]
        a = self.nodes[node].args[k]
        return _times(g.rule(node, k), mark("dot", g.ids[a]))

    def edge(self, i: int, k: int) -> str:
        g = self.graph
        return f"{g.ids[self.nodes[i].args[k]]} → {g.ids[i]}"

    def zero_terms(self, j: int, terms: list, kind: str, sweep: str | None = None) -> tuple | None:
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
                    zeros.append(self.term(("adjoint", j), i, k))
                else:
                    if self.tan[sweep]["e"][first] == 0:
                        continue
                    zeros.append(self.term(("tangent", sweep, j), j, k))
        if not zeros:
            return None
        return say("the term ", _joined([(z,) for z in zeros], ", "),
                   " is 0 at this point: whether it was included cannot be told from the number")

    def diagnose_value(self, i: int, s: float | None) -> tuple[str, tuple]:
        g = self.graph
        e = self.expect_value(i)
        true = self.true_rule(("value", i))
        if s is None:
            return "missing cell", true
        found = []
        if e != 0 and self.near(s, -e):
            found.append(("sign", say("sign error: ", true, ", not ", show(s))))
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
                    found.append(("wrong operand", say(f"wrong operand: {g.ids[m]} used for {g.ids[a]} ({show(y)}); ",
                                                       true)))
        return self._pick(found, ("arithmetic", say("arithmetic: ", true, ", not ", show(s))))

    def near(self, s: float, y: float) -> bool:
        w = self._written
        return close(Written(s, w.places if w is not None else None), y, self.rel)

    _written: Written | None = None

    def _pick(self, found: list, otherwise: tuple[str, tuple]) -> tuple[str, tuple]:
        """The one explanation found; where several give the student's number, all of them, saying the point
        cannot tell them apart."""
        if not found:
            return otherwise
        texts = list(dict.fromkeys(f[1] for f in found))
        if len(texts) == 1:
            return found[0]
        return found[0][0], say("this point cannot tell apart: ", _joined(texts, "; or "))

    def diagnose_sum(self, slot: tuple, terms: list, e: float, s: float | None) -> tuple[str, tuple]:
        g = self.graph
        true = self.true_rule(slot)
        if s is None:
            return "missing cell", true
        found = []
        lab = self.mark_of(slot)
        if slot[0] == "adjoint" and slot[1] == g.output:
            return "arithmetic", say(lab, f" is the seed, 1, not {show(s)}")
        if slot[0] == "tangent" and self.nodes[slot[2]].op == "input":
            return "arithmetic", say(true, f", not {show(s)}")
        # a term left out
        for first, k, t in terms:
            if t != 0 and len(terms) > 1 and self.near(s, e - t):
                if slot[0] == "adjoint":
                    j = slot[1]
                    feeds = [g.ids[i] for i, _ in self.consumers[j] if self.relevant[i]]
                    why = say(f"{g.ids[j]} feeds {' and '.join(feeds)}, so ", lab, " sums a term from each")
                else:
                    why = say(f"{g.ids[slot[2]]} reads {len(terms)} nodes, so ", lab, " sums a term for each")
                found.append(("missing term", say("missing term ", self.term(slot, first, k), ": ", why, ": ", true)))
        # a term counted twice, or with its sign flipped
        for first, k, t in terms:
            if t != 0 and self.near(s, e + t):
                found.append(("extra term", say("extra term: ", self.term(slot, first, k), " counted twice; ", true)))
            if t != 0 and len(terms) > 1 and self.near(s, e - 2 * t):
                found.append(("sign", say("sign error in the term ", self.term(slot, first, k), ": ", true)))
        # slips in a local partial
        for first, k, t in terms:
            i = first if slot[0] == "adjoint" else slot[2]
            node = self.nodes[i]
            xs = self.operands(i, self.val["e"])
            p = self.part["e"][i][k]
            incoming = self.adj["e"][i] if slot[0] == "adjoint" else self.tan[slot[1]]["e"][node.args[k]]
            edge = self.edge(i, k)
            for what, rule, kind in SLIPS.get((node.op, k), []):
                q = _slip_value(rule, xs, self.val["e"][i])
                if q == q and not self.near(q * incoming, p * incoming) and self.near(s, e - t + incoming * q):
                    found.append((kind, say(f"{kind} on {edge}: {what}; ", true)))
            if p != 1 and not self.near(s, e) and self.near(s, e - t + incoming) and node.op not in ("add",):
                d = Expr(PARTIAL, (name_leaf(g.ids[i]), name_leaf(g.ids[node.args[k]])))
                found.append(("wrong local partial", say(f"wrong local partial on {edge}: the local partial ", d,
                                                         " left out; ", true)))
            if incoming != 1 and p != 0 and self.near(s, e - t + p):
                what = mark("bar", g.ids[i]) if slot[0] == "adjoint" else mark("dot", g.ids[node.args[k]])
                found.append(("wrong local partial", say(f"missing inner derivative on {edge}: ", what,
                                                         " left out; ", true)))
        if not found and e != 0 and self.near(s, -e):
            found.append(("sign", say("sign error: ", true, f", not {show(s)}")))
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
                            found.append(("extra term", say("extra term ", self.term(slot, i, k),
                                                            f": {g.ids[j]} does not feed it; ", true)))
        return self._pick(found, ("arithmetic", say("arithmetic: ", true, f", not {show(s)}")))

    def diagnose_gradient(self, x: str, s: float | None) -> tuple[str, tuple]:
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
                found.append(("wrong operand", say("wrong operand: that is ",
                                                   Expr(PARTIAL, (name_leaf(g.function), name_leaf(y))), "; ", true)))
        return self._pick(found, ("arithmetic", say(true, f", not {show(s)}")))


def me_eq(a: Expr, b: Expr) -> Expr:
    return Expr(EQ, (a, b))


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
