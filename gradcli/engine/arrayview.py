"""The tables at the level of the sheet: one row per array a program writes (``h = relu(W1ᵀ @ x)``), with
its shape, its rule in matrix notation and its numbers, read off the scalar graph that the array was
written out as (gradcli/core/arrays.py).

Nothing is computed twice: every value and adjoint is gathered from the scalar trace, entry by entry. What
this module adds is the names and the rules as a sheet writes them: ``W̄2 = h @ ōᵀ``, ``h̄ = W2 @ ō``,
``z̄ = h̄ ⊙ step(z)``. Since the builder gives each array step nodes of its own (gradcli/core/graph.py), the
adjoint of an array is the adjoints of its entries, and one rule's contribution is the sum over the edges
from the array's entries into that step's nodes, so each term's numbers come from the graph too.

The rows: each array input, each array step that computes (``@``, an elementwise op, softmax, a sum), each
array a step names though it only rearranges entries (``t = W1ᵀ``; shown, no adjoint of its own), and each
scalar node that is not an entry of an array. Unnamed rearrangements are shown inline: ``W1ᵀ``, ``s[3]``.
"""

from __future__ import annotations

from typing import NamedTuple

from ..core.expr import MARK, MORE, NAME, Expr, call, mark, name, num, simplify, substitute, transform, walk
from ..core.graph import Const, Of, _fold
from ..core.ops import OPS

MAX_SIDE = 6  # rows or columns of a matrix shown in full; a longer side shows its first 3 and last 2

HADAMARD, SHAPED, ONES = "hadamard", "shaped", "ones"
_ONES = Expr(ONES)
_REARRANGE = frozenset({"transpose", "index", "array", "diag", "onehot"})


class ArrayRow(NamedTuple):
    """One row of the tables at the sheet's level."""

    name: str
    shape: tuple[int, int] | None  # None: a number
    kind: str  # "input", "constant" (held, or all constants), "step", "view" (a named rearrangement), "node"
    definition: Expr | None  # in the rows' names; None for an input
    node: int | None  # a number's node in the graph
    entries: tuple  # node indices (or Consts), row by row
    value: tuple | None  # the entries' values, row by row; None without a point
    adjoint: tuple | None = None  # the entries' adjoints; None: no adjoint row (held, constant, a view)
    terms: tuple = ()  # per consumer: (rule, numbers or None, the contribution's entries)
    seed: bool = False
    shortcut: Expr | None = None  # softmax then -log of one entry: ō = s − onehot(k, n)


class ArrayView(NamedTuple):
    rows: tuple[ArrayRow, ...]  # in evaluation order
    inputs: tuple[tuple[str, tuple[int, int] | None, tuple[str, ...]], ...]  # (name, shape, entry names) per input
    cut: bool  # a matrix had a side longer than MAX_SIDE


def index_expr(array: Expr, shape: tuple[int, int], q: int) -> Expr:
    """Entry q (row-major, from 0) of an array as the sheet writes it: ``v[2]``, ``W[1, 2]``."""
    m, n = shape
    if 1 in shape:
        return Expr("index", (array, num(float(q + 1))))
    return Expr("index", (array, num(float(q // n + 1)), num(float(q % n + 1))))


def array_expr(values, shape: tuple[int, int], cell=None) -> Expr:
    """Numbers as an array Expr, a side longer than MAX_SIDE cut to its first 3 and last 2."""
    cell = cell or (lambda v: num(v))
    m, n = shape

    def side(k: int) -> list:
        return list(range(k)) if k <= MAX_SIDE else [*range(3), None, *range(k - 2, k)]

    def more(k: int) -> Expr:
        return Expr(MORE, (), (k - 5, "list"))

    if n == 1:
        return Expr("array", tuple(cell(values[i]) if i is not None else more(m) for i in side(m)))
    rows = []
    for i in side(m):
        if i is None:
            rows.append(Expr("array", (more(m),)))
            continue
        rows.append(Expr("array", tuple(cell(values[i * n + j]) if j is not None else more(n) for j in side(n))))
    return Expr("array", tuple(rows))


def is_cut(shape: tuple[int, int] | None) -> bool:
    return shape is not None and max(shape) > MAX_SIDE


def shaped(e: Expr, shape: tuple[int, int] | None) -> Expr:
    """``W̄2 (2×3)``: a row's left side with its shape."""
    return e if shape is None else Expr(SHAPED, (e,), shape)


def array_view(trace) -> ArrayView | None:
    """The rows, or None where the graph has no arrays or its output is an array's entry (a Jacobian's
    business, shown entry by entry). Without a point (``graph`` of a program), the rows have no values."""
    return _Builder(trace).build()


class _Builder:
    def __init__(self, trace) -> None:
        self.trace = trace
        self.graph = g = trace.graph
        self.steps = g.steps

    def build(self) -> ArrayView | None:
        g, steps = self.graph, self.steps
        if all(st.op == "input" for st in steps):  # arrays read only entry by entry (x_1, x_2): the scalar tables
            return None
        self.classify()
        if g.output in self.entry_of:
            return None
        self.name_rows()
        self.exprs()
        rows = [self.evaluation(key) for key in self.order]
        if self.trace.adjoints is not None:
            rows = [self.with_adjoint(r, key) for r, key in zip(rows, self.order)]
        inputs = []
        for i, n in enumerate(g.names):
            hit = self.entry_of.get(i)
            if hit is None:
                inputs.append((n, None, (n,)))
            elif hit[1] == 0:
                st = steps[hit[0]]
                inputs.append((st.name, st.shape, tuple(g.leaf_name(e) for e in st.entries)))
        cut = any(is_cut(r.shape) for r in rows)
        return ArrayView(tuple(rows), tuple(inputs), cut)

    # --- which steps are rows -------------------------------------------------------------------------------

    def classify(self) -> None:
        g, steps = self.graph, self.steps
        self.kind: list[str] = []
        self.owner: dict[int, int] = {}  # node -> the step that made it
        self.entry_of: dict[int, tuple[int, int]] = {}  # node -> (step, q): an entry of an array input or step
        self.result_of: dict[int, int] = {}  # node -> the step whose number it is (sum(W), wᵀ @ x)
        for k, st in enumerate(steps):
            nodes = [e for e in st.entries if type(e) is int]
            if st.op == "input":
                kind = "constant" if all(g.is_held(e) for e in nodes) else "input"
            elif not nodes:
                kind = "constant"
            elif all(st.first <= e < st.last for e in nodes):
                kind = "step"
            else:
                kind = "view"
            self.kind.append(kind)
            if kind == "step":
                for i in range(st.first, st.last):
                    self.owner[i] = k
            if kind == "step" and st.shape is None:
                self.result_of[st.entries[0]] = k
            if (kind in ("step", "input") or st.op == "input") and st.shape is not None:
                for q, e in enumerate(st.entries):
                    if type(e) is int:
                        self.entry_of.setdefault(e, (k, q))

    def name_rows(self) -> None:
        """Keys in evaluation order, and their names: the user's, else c1, c2, … in row order."""
        g, steps = self.graph, self.steps
        keyed: list[tuple[float, int, tuple]] = []
        for k, st in enumerate(steps):
            kind = self.kind[k]
            nodes = [e for e in st.entries if type(e) is int]
            if kind in ("input", "step") or (kind == "constant" and st.op == "input"):
                keyed.append((max(nodes), 1, ("step", k)))
            elif st.name is not None:  # a named view or constant array: a row, after what it reads
                keyed.append((st.first - 0.5, 1, ("step", k)))
        for i in range(len(g.codes)):
            if i in self.owner or i in self.entry_of:
                continue
            keyed.append((i, 0, ("node", i)))
        keyed.sort()
        self.order = [key for _, _, key in keyed]
        taken = set(g.names) | set(g.data_names) | {c for c, _ in g.constants}
        taken |= {st.name for st in steps if st.name}
        taken |= {g.ids[i] for i in range(len(g.codes)) if i not in g.generated}
        prefix = _prefix(g)
        self.names: dict[tuple, str] = {}
        count = 1
        for key in self.order:
            kind, k = key
            if kind == "step":
                st = steps[k]
                e = st.entries[0] if st.shape is None else None  # a number (sum(W)): its node's name, if given
                given = st.name or (g.ids[e] if type(e) is int and e not in g.generated else None)
            else:
                given = g.leaf_name(k) if g.codes[k] == 0 else None if k in g.generated else g.ids[k]
            if given is None:
                while f"{prefix}{count}" in taken:
                    count += 1
                given = f"{prefix}{count}"
                count += 1
            self.names[key] = given
        self.array_names = {self.names[key] for key in self.order if key[0] == "step"
                            and steps[key[1]].shape is not None}

    # --- expressions in the rows' names ---------------------------------------------------------------------

    def exprs(self) -> None:
        """Each step as it is written where it is read: its row's name, or (unnamed, a rearrangement) inline."""
        steps = self.steps
        self.expr: list[Expr] = []
        for k, st in enumerate(steps):
            key = ("step", k)
            self.expr.append(name(self.names[key]) if key in self.names else self.written(st))

    def operand(self, a) -> Expr:
        if type(a) is Of:
            return self.expr[a.step]
        if type(a) is Const:
            return a.as_expr()
        hit = self.entry_of.get(a)
        if hit is not None:
            k, q = hit
            return index_expr(self.expr[k], self.steps[k].shape, q)
        if a in self.result_of:
            return self.expr[self.result_of[a]]
        return name(self.names[("node", a)])

    def written(self, st) -> Expr:
        """A step's definition: ``W1ᵀ @ x``, ``relu(c1)``, ``softmax(o)``, ``[x1, x2]``."""
        ops = [self.operand(a) for a in st.operands]
        op = st.op
        if op == "transpose":
            return self.T(ops[0])
        return Expr(op, tuple(ops))

    def is_array(self, e: Expr) -> bool:
        for x in walk(e):
            if x.op == NAME and x.leaf in self.array_names or x.op == MARK and x.leaf[1] in self.array_names or x.op in ("array", "transpose", ONES, "matmul",
                                                                       "softmax", "onehot", "diag", "outer"):
                return True
        return False

    def T(self, e: Expr) -> Expr:
        """The transpose, as a sheet simplifies it: (Aᵀ)ᵀ = A, (A @ B)ᵀ = Bᵀ @ Aᵀ, a number unchanged."""
        if e.op == "transpose":
            return e.args[0]
        if e.op == "matmul":
            return Expr("matmul", (self.T(e.args[1]), self.T(e.args[0])))
        if e.op == "mul" and not self.is_array(e.args[0]):
            return Expr("mul", (e.args[0], self.T(e.args[1])))
        if not self.is_array(e):
            return e
        return Expr("transpose", (e,))

    # --- the evaluation rows --------------------------------------------------------------------------------

    def evaluation(self, key: tuple) -> ArrayRow:
        g, values = self.graph, self.trace.values
        kind, k = key
        rowname = self.names[key]
        if kind == "node":
            value = None if values is None else (values[k],)
            if g.codes[k] == 0:
                return ArrayRow(rowname, None, "constant" if g.is_held(k) else "input", None, k, (k,), value)
            node = g.nodes[k]
            definition = Expr(node.op, tuple(self.operand(a) for a in node.args))
            return ArrayRow(rowname, None, "node", definition, k, (k,), value)
        st = self.steps[k]
        vals = None if values is None else tuple(values[e] if type(e) is int else e.value for e in st.entries)
        definition = None if st.op == "input" else self.written(st)
        return ArrayRow(rowname, st.shape, self.kind[k], definition, None if st.shape else st.entries[0],
                        st.entries, vals)

    # --- the adjoint rows -----------------------------------------------------------------------------------

    def with_adjoint(self, row: ArrayRow, key: tuple) -> ArrayRow:
        if row.kind not in ("input", "step", "node"):
            return row
        g, trace = self.graph, self.trace
        adj, partials, out = trace.adjoints, trace.partials, g.output
        entries = row.entries
        if any(type(e) is int and g.is_held(e) for e in entries):
            return row
        adjoint = tuple(adj[e] if type(e) is int else 0.0 for e in entries)
        self.mine = frozenset(e for e in entries if type(e) is int)  # the row's nodes (a 784×128 matrix: 100,352)
        if out in entries:
            return row._replace(adjoint=adjoint, seed=True)
        groups: dict[tuple, list] = {}
        edges: dict[tuple, list] = {}
        for q, e in enumerate(entries):
            if type(e) is not int:
                continue
            for i, kk in g.consumers[e]:
                if i > out:
                    continue
                c = self.owner.get(i)
                gk = ("step", c) if c is not None else ("node", i)
                if gk not in groups:
                    groups[gk] = [0.0] * len(entries)
                    edges[gk] = []
                groups[gk][q] += adj[i] * partials[i][kk]
                edges[gk].append((q, i, kk))
        terms = []
        for gk, contribution in groups.items():
            if gk[0] == "node":
                terms += self.scalar_terms(row, key, gk[1], edges[gk], contribution)
            else:
                rule = self.step_term(row, key, gk[1])
                numbers = num(contribution[0]) if row.shape is None else None
                terms.append((rule, numbers, tuple(contribution)))
        return row._replace(adjoint=adjoint, terms=tuple(terms), shortcut=self.shortcut(row, key, groups))

    def bar(self, key: tuple) -> Expr:
        return mark("bar", self.names[key])

    def scalar_rule(self, j: int, kk: int) -> Expr:
        """∂cj/∂(operand kk) from the op table, in the rows' names."""
        g = self.graph
        node = g.nodes[j]
        ids = {g.ids[a]: self.operand(a) for a in node.args if type(a) is int}
        ids[g.ids[j]] = name(self.names[("node", j)])
        rule = g.rule(j, kk)
        return transform(rule, lambda x: ids.get(x.leaf, x) if x.op == NAME else x)

    def scalar_terms(self, row: ArrayRow, key: tuple, j: int, edges: list, contribution: list) -> list:
        """The terms from a scalar consumer j: c̄j·∂cj/∂x for a number; for a vector's entry k,
        c̄j·∂cj/∂v[k]·onehot(k, n)."""
        adj, partials = self.trace.adjoints, self.trace.partials
        cbar = self.bar(("node", j))
        terms = []
        if row.shape is None:
            for _, i, kk in edges:
                rule = _times(cbar, self.scalar_rule(i, kk))
                terms.append((rule, _times(num(adj[i]), num(partials[i][kk])), (adj[i] * partials[i][kk],)))
            return terms
        m, n = row.shape
        rule = None
        for q, i, kk in edges:
            if 1 in row.shape:
                one = call("onehot", num(float(q + 1)), num(float(m * n)))
                piece = Expr("mul", (_times(cbar, self.scalar_rule(i, kk)), self.T(one) if m == 1 else one))
            else:
                piece = _fallback(cbar, name(self.names[("node", j)]), self.expr_of_row(key))
            rule = piece if rule is None else Expr("add", (rule, piece))
        return [(rule, None, tuple(contribution))]

    def expr_of_row(self, key: tuple) -> Expr:
        return name(self.names[key])

    def step_term(self, row: ArrayRow, key: tuple, c: int) -> Expr:
        """The term from array step c: its rule for each operand that holds this row, summed."""
        st = self.steps[c]
        rule = None
        for p, a in enumerate(st.operands):
            piece = self.through(row, key, c, p, a)
            if piece is None:
                continue
            rule = piece if rule is None else Expr("add", (rule, piece))
        if rule is None:  # the row's entries reach step c some other way: in general terms
            rule = _fallback(self.bar(("step", c)), name(self.names[("step", c)]), self.expr_of_row(key))
        return rule

    def through(self, row: ArrayRow, key: tuple, c: int, p: int, a) -> Expr | None:
        """Step c's contribution to this row through its operand p; None where operand p does not hold it."""
        fallback = _fallback(self.bar(("step", c)), name(self.names[("step", c)]), self.expr_of_row(key))
        if type(a) is Of:
            if key == ("step", a.step):
                return self.local(c, p) or fallback
            v = self.steps[a.step]
            if v.op == "transpose" and v.operands and v.operands[0] == Of(key[1]) and key[0] == "step":
                local = self.local(c, p)
                return self.T(local) if local is not None else fallback
            mine = self.mine
            held = [q for q, e in enumerate(v.entries) if type(e) is int and e in mine]
            if not held:
                return None
            local = self.local(c, p)
            if row.shape is None and local is not None and v.shape is not None:
                (q,) = held
                return index_expr(local, v.shape, q)
            return fallback
        if type(a) is int and a in self.mine:
            local = self.local(c, p)
            if local is None:
                return fallback
            if row.shape is None:
                return local
            m, n = row.shape
            if 1 in row.shape:
                q = row.entries.index(a)
                one = call("onehot", num(float(q + 1)), num(float(m * n)))
                return Expr("mul", (local, self.T(one) if m == 1 else one))
            return fallback
        return None

    def local(self, c: int, p: int) -> Expr | None:
        """Step c's rule for its operand p, in matrix notation: the contribution C̄ sends back to it."""
        st = self.steps[c]
        key = ("step", c)
        C, Cbar = name(self.names[key]), self.bar(key)
        ops = [self.operand(a) for a in st.operands]
        shapes = [self.shape_of(a) for a in st.operands]
        op = st.op
        if op == "cdot":
            op = "matmul" if all(s is not None for s in shapes) else "mul"
        if op == "matmul":
            if st.shape is None:  # a number: aᵀ @ b
                return _times(Cbar, self.T(ops[1 - p]))
            return Expr("matmul", (Cbar, self.T(ops[1]))) if p == 0 else Expr("matmul", (self.T(ops[0]), Cbar))
        if op == "sum":
            return _times(Cbar, _ONES)
        if op == "mean":
            m, n = shapes[0]
            return _times(Expr("div", (Cbar, num(float(m * n)))), _ONES)
        if op == "logsumexp":
            return _times(Cbar, call("softmax", ops[0]))
        if op in ("max", "min") and shapes[0] is not None:  # to the entries equal to the extreme (ties share it)
            return _times(Cbar, call("eq", ops[0], C))
        if op == "softmax":
            column = st.shape[1] == 1
            inner = Expr("matmul", (self.T(Cbar), C) if column else (Cbar, self.T(C)))
            return Expr(HADAMARD, (C, Expr("sub", (Cbar, inner))))
        if op == "dot":
            other = ops[1 - p]
            return _times(Cbar, other if shapes[0] == shapes[1] else self.T(other))
        if op == "norm":
            return _times(Expr("div", (Cbar, C)), ops[0])
        if op == "outer":
            u, v = ops
            col = [ops[k] if shapes[k][1] == 1 else self.T(ops[k]) for k in (0, 1)]
            got = Expr("matmul", (Cbar, col[1])) if p == 0 else Expr("matmul", (self.T(Cbar), col[0]))
            return got if shapes[p][1] == 1 else self.T(got)
        if op in OPS and OPS[op].arity >= 0:
            from ..core.rules import rules

            rho = simplify(substitute(rules(op, len(ops))[p], tuple(ops), C), _fold)
            v = rho.leaf[0] if rho.op == "num" else None
            if v == 1:
                term = Cbar
            elif v == -1:
                term = Expr("neg", (Cbar,))
            elif self.is_array(rho):
                term = Expr(HADAMARD, (Cbar, rho))
            else:
                term = _times(Cbar, rho)
            mine, whole = shapes[p], st.shape
            if mine is None:
                return call("sum", term)
            if mine != whole:  # a vector along each column (or row) of a matrix: summed back
                return Expr("matmul", (term, _ONES)) if mine[1] == 1 else Expr("matmul", (self.T(_ONES), term))
            return term
        return None

    def shape_of(self, a):
        return self.steps[a.step].shape if type(a) is Of else None

    def shortcut(self, row: ArrayRow, key: tuple, groups: dict) -> Expr | None:
        """Softmax then the log of one entry, as cross-entropy is: ō = -c̄·(s − onehot(k, n))."""
        if row.shape is None or len(groups) != 1:
            return None
        (gk,) = groups
        if gk[0] != "step":
            return None
        s = self.steps[gk[1]]
        if s.op != "softmax" or s.operands[0] != Of(key[1]) or key[0] != "step":
            return None
        g = self.graph
        users = {i for e in s.entries for i, _ in g.consumers[e] if i <= g.output}
        if len(users) != 1:
            return None
        (j,) = users
        if j in self.owner or g.op(j) != "log":
            return None
        q = s.entries.index(g.nodes[j].args[0])
        m, n = s.shape
        one = call("onehot", num(float(q + 1)), num(float(m * n)))
        diff = Expr("sub", (name(self.names[gk]), one if n == 1 else self.T(one)))
        if self.trace.adjoints[j] == -1:
            return diff
        return Expr("mul", (Expr("neg", (self.bar(("node", j)),)), diff))


class TangentRow(NamedTuple):
    """One row of a forward sweep at the sheet's level: a row of the view, its tangent's rule (None for an
    input, whose tangent is the seed) and its entries' tangents."""

    row: ArrayRow
    rule: Expr | None
    tangent: tuple


def tangent_rows(trace, view: ArrayView, sweep) -> list[TangentRow]:
    """A forward sweep's rows: each array's tangent by its JVP rule in matrix notation (``ċ1 = Ẇ @ x + W @ ẋ``,
    ``ḣ = ċ1 ⊙ step(c1)``), the numbers gathered from the sweep. Held and constant rows have no tangent."""
    return tangents_of(trace, view)(sweep)


def tangents_of(trace, view: ArrayView):
    """``tangent_rows`` for many sweeps of one trace: the view's names and definitions made once."""
    return _Tangents(trace, view).rows


class _Tangents:
    def __init__(self, trace, view: ArrayView) -> None:
        b = _Builder(trace)
        b.classify()
        b.name_rows()
        b.exprs()
        self.b, self.view, self.graph = b, view, trace.graph
        self.moving: set[str] = set()

    def rows(self, sweep) -> list[TangentRow]:
        """The rows that move in this sweep, found in evaluation order: the inputs it seeds (an input seeded
        with 0 is left out, as a sheet leaves it out of the rule), then each row a moving one feeds."""
        b, g, out, tangents = self.b, self.graph, [], sweep.tangents
        self.moving = set()
        for r, key in zip(self.view.rows, b.order):
            if r.kind == "constant" or any(type(e) is int and g.is_held(e) for e in r.entries):
                continue
            tangent = tuple(tangents[e] if type(e) is int else 0.0 for e in r.entries)
            if r.kind == "input":
                if any(tangent):
                    self.moving.add(r.name)
                    out.append(TangentRow(r, None, tangent))
                continue
            rule = self.rule(key, r)
            if rule is not None:
                self.moving.add(r.name)
                out.append(TangentRow(r, rule, tangent))
        return out

    def dot(self, e: Expr) -> Expr | None:
        """The tangent of an operand as written: each moving name dotted, the rest 0 (a transpose, an entry, a
        literal of names rearrange, and so do their tangents); None where nothing in it moves."""
        moves = [False]

        def leaf(x: Expr) -> Expr:
            if x.op == NAME and x.leaf in self.moving:
                moves[0] = True
                return mark("dot", x.leaf)
            return num(0.0) if x.op in (NAME, "num") else x

        def node(x: Expr, args: tuple) -> Expr:  # an entry's indices are the same: v[2] has the tangent v̇[2]
            return Expr(x.op, (args[0], *x.args[1:]) if x.op == "index" else args, x.leaf)

        got = transform(e, leaf, node)
        return got if moves[0] else None

    def rule(self, key: tuple, r: ArrayRow) -> Expr | None:
        b = self.b
        kind, k = key
        if kind == "node":
            node = self.graph.nodes[k]
            ids = {self.graph.ids[a]: b.operand(a) for a in node.args if type(a) is int}
            ids[self.graph.ids[k]] = name(r.name)
            terms = []
            for kk, a in enumerate(node.args):
                d = self.dot(b.operand(a)) if type(a) is int else None
                if d is None:
                    continue
                rho = transform(self.graph.rule(k, kk), lambda x: ids.get(x.leaf, x) if x.op == NAME else x)
                terms.append(_times(d, rho) if not _is_one(rho) else d)
            return _sum(terms)
        st = b.steps[k]
        if r.kind == "view":
            return self.dot(r.definition)
        ops = [b.operand(a) for a in st.operands]
        dots = [self.dot(o) if type(a) is not Const else None for a, o in zip(st.operands, ops)]
        C = name(r.name)
        shapes = [b.shape_of(a) for a in st.operands]
        op = st.op
        if op == "cdot":
            op = "matmul" if all(x is not None for x in shapes) else "mul"
        terms = []
        for p, d in enumerate(dots):
            if d is None:
                continue
            X = ops[p]
            if op == "matmul":
                t = Expr("matmul", (d, ops[1]) if p == 0 else (ops[0], d))
            elif op in ("sum", "mean"):
                t = call(op, d)
            elif op == "logsumexp":
                t = call("sum", Expr(HADAMARD, (call("exp", Expr("sub", (X, C))), d)))
            elif op in ("max", "min") and shapes[0] is not None:
                t = call("sum", Expr(HADAMARD, (call("eq", X, C), d)))
            elif op == "softmax":
                column = st.shape[1] == 1
                inner = Expr("matmul", (b.T(C), d) if column else (d, b.T(C)))
                t = Expr(HADAMARD, (C, Expr("sub", (d, inner))))
            elif op == "dot":
                t = call("dot", d, ops[1]) if p == 0 else call("dot", ops[0], d)
            elif op == "norm":
                t = Expr("div", (call("sum", Expr(HADAMARD, (X, d))), C))
            elif op == "outer":
                t = call("outer", d, ops[1]) if p == 0 else call("outer", ops[0], d)
            elif op in OPS and OPS[op].arity >= 0:
                from ..core.rules import rules

                rho = simplify(substitute(rules(op, len(ops))[p], tuple(ops), C), _fold)
                v = rho.leaf[0] if rho.op == "num" else None
                if v == 1:
                    t = d
                elif v == -1:
                    t = Expr("neg", (d,))
                elif b.is_array(rho) and (shapes[p] is not None or st.shape is None):
                    t = Expr(HADAMARD, (rho, d)) if shapes[p] is not None else _times(d, rho)
                else:
                    t = _times(d, rho) if shapes[p] is None else Expr("mul", (rho, d))
            else:
                return None
            terms.append(t)
        return _sum(terms)


def _is_one(e: Expr) -> bool:
    return e.op == "num" and e.leaf[0] == 1


def _sum(terms: list) -> Expr | None:
    out = None
    for t in terms:
        out = t if out is None else Expr("add", (out, t))
    return out


def _times(a: Expr, b: Expr) -> Expr:
    """a·b, with a factor 1 left out and -1 as a minus."""
    v = b.leaf[0] if b.op == "num" else None
    if v == 1:
        return a
    if v == -1:
        return Expr("neg", (a,))
    return Expr("mul", (a, b))


def _fallback(cbar: Expr, c: Expr, x: Expr) -> Expr:
    """C̄·∂C/∂X: the chain rule in general terms, where no matrix rule is written for the way X reaches C."""
    from ..core.expr import PARTIAL

    return Expr("mul", (cbar, Expr(PARTIAL, (c, x))))


def _prefix(graph) -> str:
    for i in sorted(graph.generated):
        ident = graph.ids[i]
        head = ident.rstrip("0123456789")
        if head and head != ident:
            return head
    return "c"
