"""The computational graph: a hash-consed DAG of nodes, named and numbered in topological order."""

from __future__ import annotations

import contextlib
import gc
import math
import re
from typing import NamedTuple

from .errors import GradcliError, GradcliSyntaxError, MathError
from .ops import CONSTANTS, OPS, DomainError, fmt
from .parse import Item, Program, lookalike_letters, parse, skeleton


class Const(NamedTuple):
    """A constant operand, shown inline: a number as typed (``2``, ``1e-3``), ``pi``, a named constant (``lr``),
    or a folded constant subexpression (``2*pi``), whose tree ``expr`` is kept to be typeset."""

    value: float
    label: str
    expr: object = None  # the Expr of a folded subexpression; None for a number or a name

    def as_expr(self):
        from .expr import name, num

        if self.expr is not None:
            return self.expr
        if self.label and (self.label[0].isdigit() or self.label[0] in ".-"):
            return num(self.value, self.label)
        return name(self.label) if self.label else num(self.value)


class Node(NamedTuple):
    """One vertex: an input (``op == "input"``) or an op applied to earlier nodes."""

    id: str
    op: str
    args: tuple[int | Const, ...]  # int: index of an earlier node


_new = tuple.__new__  # builds a NamedTuple without its Python-level __new__ (a graph has 10^5 of them)


@contextlib.contextmanager
def paused_gc():
    """Pause the cyclic garbage collector while a graph's records are made: they hold no cycles, and
    with 10^5 of them the collector's repeated passes cost as much as the work itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Graph(NamedTuple):
    """Nodes in topological order (inputs first), the output, and what the tables need to know."""

    source: str
    nodes: tuple[Node, ...]
    inputs: tuple[int, ...]  # the input nodes' indices, in input order
    names: tuple[str, ...]  # the inputs' names, in input order
    output: int
    constants: tuple[tuple[str, float], ...]  # constants the program names (lr = 0.1)
    consumers: tuple[tuple[tuple[int, int], ...], ...]  # per node: (consumer, operand position)
    notes: tuple[str, ...]  # what the user should know about the graph itself
    is_program: bool = False  # steps are named (name = expr), so the user's names are the ids
    function: str = "f"  # what the output is called in ∂f/∂x: the last step's name (y = f4 + f5), else f
    params: tuple[str, ...] = ()  # the inputs as the output step lists them: f(x1, x2) = …
    outputs: tuple[int, ...] = ()  # every output, in the order given (s1, s2, s3); output is the last
    functions: tuple[str, ...] = ()  # each output's name in ∂s1/∂z1: its step's name, else f1, f2, …
    data: tuple[int, ...] = ()  # leaves held constant (--let, --data): given a value, never differentiated
    data_names: tuple[str, ...] = ()

    def __repr__(self) -> str:  # short, whatever the size
        return f"Graph({len(self.nodes)} nodes, inputs {self.names}, output {self.nodes[self.output].id})"

    @property
    def op_count(self) -> int:
        return len(self.nodes) - len(self.inputs) - len(self.data)

    def is_held(self, i: int) -> bool:
        """Whether node i is a constant held by --let or --data (they follow the inputs)."""
        return len(self.names) <= i < len(self.names) + len(self.data)

    def leaf_name(self, i: int) -> str:
        """The name of leaf i: an input (the first nodes) or a held constant (after them)."""
        return self.names[i] if i < len(self.names) else self.data_names[i - len(self.names)]

    def operand(self, a: int | Const):
        """An operand as an Expr: a node by its id, a constant as typed."""
        from .expr import name

        return name(self.nodes[a].id) if type(a) is int else a.as_expr()

    def definition(self, i: int):
        """Node i's definition as an Expr in its operands' ids: ``exp(c1)``, ``c1**2``; an input's is its name."""
        from .expr import Expr, name

        node = self.nodes[i]
        if node.op == "input":
            return name(self.leaf_name(i))  # the inputs are the first nodes, then the held constants
        return Expr(node.op, tuple(self.operand(a) for a in node.args))

    def expr(self, i: int) -> str:
        """Node i's definition as plain text, as JSON and DOT show it: ``exp(c1)``, ``c1**2``."""
        node = self.nodes[i]
        if node.op == "input":
            return self.leaf_name(i)
        template = _TEMPLATES.get((node.op, len(node.args)))  # sum and max take any number of operands
        if template is None:
            from .expr import Expr, name
            from .printer import PLAIN

            arity = len(node.args)
            template = PLAIN.text(Expr(node.op, tuple(name("\x00%d" % k) for k in range(arity))))
            template = template.replace("{", "{{").replace("}", "}}")
            for k in range(arity):
                template = template.replace("\x00%d" % k, "{%d}" % k)
            _TEMPLATES[node.op, arity] = template
        labels = []
        for a in node.args:
            if type(a) is int:
                labels.append(self.nodes[a].id)
            elif a.expr is None and not a.label.startswith("-"):
                labels.append(a.label)
            else:  # a folded or negative constant: printed with its parentheses
                from .printer import PLAIN

                return PLAIN.text(self.definition(i))
        return template.format(*labels)

    def rule(self, i: int, k: int):
        """The local partial ∂(node i)/∂(its operand k) as an Expr in operand ids and node i's own id,
        from the op table, simplified as by hand (c1**2 gives 2*c1)."""
        from .expr import name, simplify, substitute
        from .ops import rules

        node = self.nodes[i]
        operands = tuple(self.operand(a) for a in node.args)
        rule = simplify(substitute(rules(node.op, len(node.args))[k], operands, name(node.id)), _fold)
        return self.by_name(rule, node.op)

    def by_name(self, e, op: str):
        """An Expr with each call of ``op`` that is a node of the graph written as that node's id: a softmax
        rule's softmax(2, c1, c2, c3) is s2 where s2 is that node (a pow rule keeps its x**2)."""
        from .expr import NAME, Expr, name, transform

        from .expr import NUM

        ids = {n.id: i for i, n in enumerate(self.nodes)}
        index = self._index()

        def key(a: Expr):
            if a.op == NAME and a.leaf in ids:
                return ids[a.leaf]
            return ("k", a.leaf[0]) if a.op == NUM else None

        if OPS[op].arity >= 0:
            return e  # only a rule that calls its own op on other operands (softmax) names nodes

        def node(x: Expr, args: tuple) -> Expr:
            if x.op == op:
                keys = tuple(key(a) for a in args)
                found = index.get((x.op, keys)) if None not in keys else None
                if found is not None:
                    return name(self.nodes[found].id)
            return Expr(x.op, args, x.leaf)

        return transform(e, lambda x: x, node)

    def _index(self) -> dict:
        """(op, operand nodes) -> node, for the nodes whose operands are all nodes."""
        got = _INDEX.get(id(self))
        if got is None or got[0] is not self:
            table = {(n.op, tuple(a if type(a) is int else ("k", a.value) for a in n.args)): i
                     for i, n in enumerate(self.nodes) if n.op != "input"}
            _INDEX.clear()
            _INDEX[id(self)] = got = (self, table)
        return got[1]


_TEMPLATES: dict[tuple[str, int], str] = {}  # (op, number of operands) -> its text with {0}, {1}, …
_INDEX: dict[int, tuple] = {}


def _fold(op: str, xs: tuple[float, ...]) -> float:
    return OPS[op].value(*xs)


def natural_key(name: str) -> tuple:
    """Sort key that puts x2 before x10."""
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name))


def fold(op_name: str, args: list[Const], label: str | None) -> Const:
    """Apply an op to constants: ``2*pi`` becomes one constant labelled by its text (or its value)."""
    from .expr import Expr

    op = OPS[op_name]
    expr = Expr(op_name, tuple(a.as_expr() for a in args))
    try:
        value = op.value(*(a.value for a in args))
    except (ValueError, ZeroDivisionError) as e:
        from .printer import PLAIN

        reason = str(e) if isinstance(e, DomainError) else op.domain or "undefined"
        raise MathError("the constant", label or PLAIN.text(expr), "any point", reason) from None
    if label is None:
        return Const(value, fmt(value))
    return Const(value, label, Expr("group", (_ungroup(expr),)))


def _ungroup(e):
    """A folded constant's tree without the groups of the constants it was folded from."""
    from .expr import GROUP, transform

    return transform(e, lambda x: x, lambda x, args: args[0] if x.op == GROUP else x._replace(args=args))


def constant_value(items: list[Item], source: str, prefix: str = "") -> float:
    """The value of a postfix expression that may use numbers, pi and e only."""
    stack: list[Const] = []
    for it in items:
        if it.kind == "num":
            stack.append(Const(it.arg, source[it.start:it.end]))
        elif it.kind == "name":
            if it.arg not in CONSTANTS:
                raise GradcliSyntaxError(f"a value must be a number or a constant expression, not the name "
                                         f"'{it.arg}'", source, it.start, it.end - it.start, prefix)
            stack.append(Const(CONSTANTS[it.arg], it.arg))
        else:
            args = stack[-it.arity:]
            del stack[-it.arity:]
            stack.append(fold(it.arg, args, source[it.start:it.end]))
    return stack[0].value


LABEL_LIMIT = 40  # longer constant subexpressions are shown by their value


class _Builder:
    def __init__(self, program: Program, prefix: str, share: bool = True) -> None:
        self.program = program
        self.source = program.source
        self.prefix = prefix
        self.share = share  # False: every occurrence of a subexpression is a node of its own (the tree form)
        self.ops: list[str] = []
        self.args: list[tuple[int | Const, ...]] = []
        self.labels: list[str | None] = []
        self.memo: dict[tuple, int] = {}
        self.constants: list[tuple[str, float]] = []
        self.notes: list[str] = []  # constants that are not finite
        self.chosen: str | None = None  # --output
        self.held: list[str] = []  # --let, --data

    def error(self, message: str, start: int, end: int) -> GradcliSyntaxError:
        return GradcliSyntaxError(message, self.source, start, end - start)

    def add(self, op: str, args: tuple[int | Const, ...], label: str | None = None) -> int:
        """A node that is not shared: an input, or a step copying another."""
        self.ops.append(op)
        self.args.append(args)
        self.labels.append(label)
        return len(self.ops) - 1

    def find_inputs(self) -> list[str]:
        """Names used before any step assigns them are inputs; check each name is assigned once, before use.

        The inputs are in the order an ``f(x1, x2) = …`` step lists them, the others after them in natural
        order of their names."""
        assigned: dict[str, int] = {}
        used: dict[str, int] = {}  # name -> first offset where it was read
        inputs: dict[str, int] = {}
        params: dict[str, int] = {}
        for st in self.program.statements:
            for it in (it for part in ([p[0] for p in st.outputs] if st.outputs else [st.items]) for it in part):
                if it.kind == "name" and it.arg not in assigned and it.arg not in used:
                    used[it.arg] = it.start
                    if it.arg not in CONSTANTS:
                        inputs[it.arg] = it.start
            if st.params:
                if params:
                    raise self.error("only one step may list the inputs, f(x1, x2) = …", st.target_start,
                                     st.target_start + len(st.target or ""))
                for name, start in st.params:
                    if name in assigned:
                        raise self.error(f"'{name}' is a step, not an input: list only the inputs", start,
                                         start + len(name))
                    params[name] = start
            t = st.target
            if t is None:
                continue
            end = st.target_start + len(t)
            if t in assigned:
                raise self.error(f"'{t}' is already assigned by an earlier step; give this step a new name",
                                 st.target_start, end)
            if t in used:
                what = "the constant" if t in CONSTANTS else "the input"
                raise self.error(f"'{t}' is assigned here but was already read as {what} '{t}' earlier; "
                                 "assign a name before using it, or pick a new name", st.target_start, end)
            if t in params:
                raise self.error(f"'{t}' is listed as an input; a step cannot assign it", st.target_start, end)
            assigned[t] = st.start
        self.check_lookalikes({**used, **params, **assigned})
        rest = sorted((n for n in inputs if n not in params), key=natural_key)
        return [n for n in params if n not in CONSTANTS] + rest

    def check_lookalikes(self, names: dict[str, int]) -> None:
        """Two names that look the same but are typed with different letters (x, Cyrillic х) are an error."""
        seen: dict[str, tuple[str, int]] = {}
        for name, start in sorted(names.items(), key=lambda kv: kv[1]):
            key = skeleton(name)
            other = seen.get(key)
            if other is not None and other[0] != name:
                odd = lookalike_letters(name) or lookalike_letters(other[0])
                raise self.error(f"'{name}' looks like '{other[0]}' (column {other[1] + 1}) but is typed with other "
                                 f"letters, {odd}: use the same letters in both places", start, start + len(name))
            seen.setdefault(key, (name, start))

    def build(self, chosen: str | None = None, held: tuple[str, ...] = (), columns: tuple[str, ...] = ()) -> Graph:
        statements = self.program.statements
        found = self.find_inputs()
        for h in held:
            if h in CONSTANTS:
                raise GradcliError(f"'{h}' is the constant {h}, not a name --let can hold")
            if h not in found:
                raise GradcliError(f"'{h}' is given a value (--let) but is not a name the expression reads; "
                                   f"its inputs are {', '.join(found) or 'none'}")
        held = tuple(held) + tuple(c for c in columns if c in found and c not in held)  # a column it does not read
        names = [n for n in found if n not in held]
        self.held = [n for n in found if n in held]
        env: dict[str, int | Const] = {}
        for name in names + self.held:
            env[name] = self.add("input", ())
        output: int | Const = -1
        for n, st in enumerate(statements):
            if st.outputs:  # a last step that lists the outputs: s1, s2, s3
                if n < len(statements) - 1:
                    raise self.error("only the last step may list outputs", st.start, st.end)
                break
            value = self.statement(st, env)
            if st.target is not None:
                value = self.assign(st.target, value)
                env[st.target] = value
            elif n < len(statements) - 1:
                raise self.error("only the last step may be a bare expression; name this one (name = expr)",
                                 st.start, st.end)
            output = value
        last = statements[-1]
        if last.outputs:
            outputs = [self.evaluate(items, env) for items, _, _ in last.outputs]
            spans = [(start, end) for _, start, end in last.outputs]
        else:
            outputs, spans = [output], [(last.start, last.end)]
        if chosen is not None:
            outputs, spans = self.choose(chosen, env), None
        for k, o in enumerate(outputs):
            if isinstance(o, Const):
                start, end = spans[k] if spans else (last.start, last.end)
                raise self.error("the output is a constant: it has no inputs to differentiate", start, end)
        return self.finish(names, outputs)

    def choose(self, text: str, env: dict[str, int | Const]) -> list[int | Const]:
        """--output s1,s3: the named steps (or inputs) that are the outputs."""
        from .parse import normal_name

        out = []
        offset = 0
        for part in text.split(","):
            name = normal_name(part.strip())
            where = offset + len(part) - len(part.lstrip())
            if name not in env:
                steps = [t for t in env if t not in CONSTANTS]
                raise GradcliSyntaxError(f"'{name}' is not a step or an input; the steps and inputs are "
                                         f"{', '.join(steps)}", text, where, max(1, len(name)), "--output ")
            if isinstance(env[name], Const):
                raise GradcliSyntaxError(f"'{name}' is a constant, which has no derivative", text, where,
                                         len(name), "--output ")
            out.append(env[name])
            offset += len(part) + 1
        return out

    def statement(self, st, env: dict[str, int | Const]) -> int | Const:
        return self.evaluate(st.items, env)

    def evaluate(self, items, env: dict[str, int | Const]) -> int | Const:
        """Evaluate one statement's postfix items into nodes, sharing identical ones."""
        stack: list[int | Const] = []
        source = self.source
        memo, ops, args_of, labels, share = self.memo, self.ops, self.args, self.labels, self.share
        for it in items:
            kind = it[0]
            if kind == "num":
                text = source[it[3]:it[4]]
                stack.append(_new(Const, (it[1], text if text.isascii() else fmt(it[1]), None)))  # x² has the power 2
                continue
            if kind == "name":
                v = env.get(it[1])
                stack.append(v if v is not None else _new(Const, (CONSTANTS[it[1]], it[1], None)))
                continue
            op, arity = it[1], it[2]
            if op == "softmax":
                self.check_softmax(stack[-arity:], it)
            if arity == 1:
                a = stack[-1]
                if type(a) is Const:
                    stack[-1] = self.fold(op, [a], it)
                    continue
                args = (a,)
                key: tuple = (op, a)
            elif arity == 2:
                b = stack.pop()
                a = stack[-1]
                ca, cb = type(a) is Const, type(b) is Const
                if ca and cb:
                    stack[-1] = self.fold(op, [a, b], it)
                    continue
                args = (a, b)
                key = (op, ("k", a.value) if ca else a, ("k", b.value) if cb else b)
            else:  # sum(a, b, c, …)
                args = tuple(stack[-arity:])
                del stack[-arity + 1:]

                if all(type(a) is Const for a in args):
                    stack[-1] = self.fold(op, list(args), it)
                    continue
                key = (op, *(("k", a.value) if type(a) is Const else a for a in args))
            i = memo.get(key) if share else None
            if i is None:
                i = memo[key] = len(ops)
                ops.append(op)
                args_of.append(args)
                labels.append(None)
            stack[-1] = i
        return stack[0]

    def check_softmax(self, args: tuple, it: Item) -> None:
        """softmax(k, o1, …, on): k is which output, a whole number from 1 to n, written as a number."""
        k, n = args[0], len(args) - 1
        if type(k) is not Const:
            raise self.error(f"softmax's first argument is the index k, a whole number: softmax(1, o1, …, on) is the "
                             f"first of the n outputs", it.start, it.end)
        if not (k.value == int(k.value) and 1 <= k.value <= n):
            raise self.error(f"softmax(k, o1, …, on) needs k a whole number from 1 to {n}, not {fmt(k.value)}",
                             it.start, it.end)

    def fold(self, op: str, args: list[Const], it: Item) -> Const:
        """A constant subexpression as one constant; one that overflows (1e308*10) or is nan is told."""
        c = fold(op, args, self.label(it))
        if not math.isfinite(c.value) and all(math.isfinite(a.value) for a in args):
            what = "overflowed to" if math.isinf(c.value) and all(a.value for a in args) else "is"
            text = " ".join(self.source[it.start:it.end].split())
            shown = text if len(text) <= LABEL_LIMIT else text[:LABEL_LIMIT - 1] + "…"
            self.notes.append(f"the constant {shown} {what} {fmt(c.value)}; the values and derivatives that depend "
                              "on it are not finite")
        return c

    def label(self, it: Item) -> str | None:
        """A folded constant's label: its source text; None (show the value) when the text is long."""
        if it.end - it.start > LABEL_LIMIT:
            return None
        return " ".join(self.source[it.start:it.end].split())

    def assign(self, target: str, value: int | Const) -> int | Const:
        if type(value) is Const:
            self.constants.append((target, value.value))
            return Const(value.value, target)  # shown by its name
        if self.labels[value] is None:
            self.labels[value] = target
            return value
        # the node already has a name: this step is a copy of it, a row of its own
        return self.add("copy", (value,), target)

    def finish(self, names: list[str], outputs: list[int]) -> Graph:
        n = len(self.ops)
        prefix = self.prefix
        numbered = re.compile(re.escape(prefix) + r"[0-9]+")
        statements = self.program.statements
        # one step f(x1, x2) = … is the sheet's way to write a bare expression: numbered c1..cn as one
        params = next((tuple(p for p, _ in st.params) for st in statements if st.params), ())
        program_mode = any(st.target for st in statements) and not (len(statements) == 1 and params)
        keep_names = program_mode or any(numbered.fullmatch(x) for x in names)
        for k, h in enumerate(self.held):  # held constants keep their names, shown by name
            self.labels[len(names) + k] = h
        taken = {lab for lab in self.labels if lab} | {c for c, _ in self.constants}
        if keep_names:
            taken.update(names)
        ids: list[str]
        if not taken:  # a bare expression: c1..cn
            ids = [f"{prefix}{k}" for k in range(1, n + 1)]
        else:
            ids = []
            k = 1
            for i in range(n):
                label = self.labels[i]
                if label is None and keep_names and i < len(names):
                    label = names[i]
                if label is None:
                    while f"{prefix}{k}" in taken:
                        k += 1
                    label = f"{prefix}{k}"
                    k += 1
                ids.append(label)
        leaves = len(names) + len(self.held)
        nodes = [_new(Node, (ids[i], "input", ())) for i in range(leaves)]
        consumers: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        ops, args_of = self.ops, self.args
        for i in range(leaves, n):
            args = args_of[i]
            for k, a in enumerate(args):
                if type(a) is int:
                    consumers[a].append((i, k))
            nodes.append(_new(Node, (ids[i], ops[i], args)))
        output = outputs[-1]
        if len(outputs) == 1:
            functions: tuple[str, ...] = (self.program.statements[-1].target or "f",) if self.chosen is None else \
                (ids[output],)
        else:
            functions = tuple(ids[o] if self.labels[o] is not None or (keep_names and o < len(names))
                              else f"f{k + 1}" for k, o in enumerate(outputs))
        graph = Graph(self.source, tuple(nodes), tuple(range(len(names))), tuple(names), output,
                      tuple(self.constants), tuple(map(tuple, consumers)), (), program_mode, functions[-1], params,
                      tuple(outputs), functions, tuple(range(len(names), leaves)), tuple(self.held))
        return graph._replace(notes=tuple(self.notes) + self.unused_notes(graph))

    def unused_notes(self, graph: Graph) -> tuple[str, ...]:
        nodes, output = graph.nodes, max(graph.outputs)
        live = [False] * len(nodes)
        for o in graph.outputs:
            live[o] = True
        for i in range(output, -1, -1):
            if live[i]:
                for a in nodes[i].args:
                    if type(a) is int:
                        live[a] = True
        out = ", ".join(nodes[o].id for o in graph.outputs)
        notes = []
        for i, node in enumerate(nodes):
            if live[i]:
                continue
            if i < len(graph.names):
                notes.append(f"input {graph.names[i]} does not affect the output {out}: its derivative is 0")
            elif self.labels[i] is not None:
                notes.append(f"step {node.id} = {graph.expr(i)} does not affect the output {out}")
        return tuple(notes)


def build(program: Program, prefix: str = "c", share: bool = True, outputs: str | None = None,
          held: tuple[str, ...] = (), columns: tuple[str, ...] = ()) -> Graph:
    """Turn a parsed program into its graph; ``prefix`` is the letter of generated ids.

    With ``share`` False identical subexpressions are not merged: the expression's tree, with
    only the inputs and the program's named steps shared. ``outputs`` (--output s1,s3) names the steps
    that are the outputs, in place of the last step.
    """
    if not prefix.isidentifier():
        raise GradcliSyntaxError("the id prefix must be a name such as c or v", prefix, 0, len(prefix), "--prefix ")
    with paused_gc():
        builder = _Builder(program, prefix, share)
        builder.chosen = outputs
        return builder.build(outputs, tuple(held), tuple(columns))


def graph_of(source: str, prefix: str = "c", share: bool = True, outputs: str | None = None,
             held: tuple[str, ...] = (), columns: tuple[str, ...] = ()) -> Graph:
    """Parse and build in one step; ``held`` names are constants given at evaluation (--let), and so are
    the ``columns`` of a data file (--data) that the expression reads."""
    with paused_gc():
        return build(parse(source), prefix, share, outputs, held, columns)


def describe_operands(graph: Graph, node: Node, values: list[float]) -> str:
    """``c1 = 0, c2 = 2``: the values of a node's node operands."""
    seen = []
    for a in node.args:
        if type(a) is int and a not in seen:
            seen.append(a)
    parts = [f"{graph.nodes[a].id} = {fmt(values[a])}" for a in seen]
    return ", ".join(parts) if parts else "no operands"
