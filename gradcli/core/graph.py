"""The computational graph: a hash-consed DAG of nodes, named and numbered in topological order."""

from __future__ import annotations

import contextlib
import gc
import math
import re
from array import array
from collections.abc import Sequence
from itertools import accumulate, chain, repeat
from operator import sub
from typing import NamedTuple

from ..errors import GradcliError, GradcliSyntaxError, MathError
from .arrays import Arr, Arrays, ShapeError, entry_names, make
from .ops import ARRAY_OPS, CONSTANTS, FUNCTION_NAMES, OP_CODES, OP_NAMES, OPS, DomainError, fmt
from .parse import (MAX_OPERATIONS, NOT_NUMBERS, Item, Program, Statement, _Parser, definitions, lookalike_letters, parse,
                    skeleton)


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


class Of(NamedTuple):
    """An operand of an array step that is itself an array step: the k-th of ``graph.steps``."""

    step: int


class Step(NamedTuple):
    """One array operation as the program writes it, over the scalar nodes it was written out as: ``W1ᵀ @ x``,
    ``relu(z)``, ``softmax(o)``, or an array input (``op`` "input"). The tables at the level of the sheet
    (gradcli/engine/arrayview.py) read these; every number still comes from the scalar graph.

    ``operands`` are ``Of`` (another step), node indices or Consts; ``entries`` the result's entries, row by row
    (node indices or Consts), one where the result is a number (``shape`` None); the step made the nodes
    ``first`` to ``last - 1`` (its inner products and sums among them), none where it only rearranges entries
    (ᵀ, [a, b], v[k], diag)."""

    op: str
    operands: tuple
    shape: "tuple[int, int] | None"
    entries: tuple
    name: str | None
    first: int
    last: int
    span: tuple[int, int]


class Node(NamedTuple):
    """One vertex as the rest of gradcli reads it: an input (``op == "input"``) or an op applied to earlier
    nodes. Made on access from the graph's columns; the graph does not keep them."""

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


class Nodes:
    """The graph's nodes as a sequence of Node records, each made from the columns when it is read."""

    __slots__ = ("graph",)

    def __init__(self, graph: "Graph") -> None:
        self.graph = graph

    def __len__(self) -> int:
        return len(self.graph.codes)

    def __getitem__(self, i):
        g = self.graph
        n = len(g.codes)
        if type(i) is slice:
            return [self[k] for k in range(*i.indices(n))]
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(i)
        consts = g.consts
        args = tuple(a if a < n else consts[a - n] for a in g.flat[g.starts[i]:g.starts[i + 1]])
        return _new(Node, (g.ids[i], OP_NAMES[g.codes[i]], args))

    def __iter__(self):
        return map(self.__getitem__, range(len(self.graph.codes)))

    def __eq__(self, other) -> bool:
        return isinstance(other, Nodes) and list(self) == list(other)


class Consumers:
    """Per node, who reads it: (consumer, operand position) pairs, consumers in topological order. Kept as
    three arrays (compressed rows): ``start[j]:start[j + 1]`` indexes ``edges``, the operand slots that read j,
    and ``node[e]`` is the consumer of slot e."""

    __slots__ = ("start", "edges", "node", "graph")

    def __init__(self, graph: "Graph") -> None:
        starts, flat = graph.starts, graph.flat
        n = len(graph.codes)
        count = [0] * (n + 2)
        for a in flat:
            if a < n:
                count[a + 1] += 1
        start = array("l", accumulate(count))  # start[j]: the first slot of node j's consumers
        fill = array("l", start)
        edges = array("l", bytes(8 * start[n]))
        # the consumer of each slot: node i's number, once for each of its operands
        node = array("l", chain.from_iterable(map(repeat, range(n), map(sub, starts[1:], starts))))
        e = 0
        for a in flat:
            if a < n:
                edges[fill[a]] = e
                fill[a] += 1
            e += 1
        self.start, self.edges, self.node, self.graph = start, edges, node, graph

    def __len__(self) -> int:
        return len(self.start) - 2

    def __getitem__(self, j: int) -> tuple[tuple[int, int], ...]:
        node, starts = self.node, self.graph.starts
        return tuple((node[e], e - starts[node[e]]) for e in self.edges[self.start[j]:self.start[j + 1]])

    def __iter__(self):
        return map(self.__getitem__, range(len(self)))


class Graph:
    """Nodes in topological order (inputs first, then held constants, then operations), the outputs, and what
    the tables need to know.

    The nodes are columns: ``codes`` (the op of each node, an index into OP_NAMES; 0 for a leaf), ``starts``
    and ``flat`` (node i's operands are ``flat[starts[i]:starts[i + 1]]``: an index below n is a node, n + k is
    the constant ``consts[k]``) and ``ids``. ``nodes`` and ``consumers`` read them as records."""

    __slots__ = ("source", "codes", "starts", "flat", "consts", "ids", "inputs", "names", "output", "constants",
                 "notes", "is_program", "function", "params", "outputs", "functions", "data", "data_names",
                 "_consumers", "arrays", "steps", "generated", "defined")

    def __init__(self, source: str, codes: array, starts: array, flat: array, consts: list, ids: list[str],
                 inputs: tuple[int, ...], names: tuple[str, ...], output: int,
                 constants: tuple[tuple[str, float], ...] = (), notes: tuple[str, ...] = (),
                 is_program: bool = False, function: str = "f", params: tuple[str, ...] = (),
                 outputs: tuple[int, ...] = (), functions: tuple[str, ...] = (), data: tuple[int, ...] = (),
                 data_names: tuple[str, ...] = ()) -> None:
        self.source = source
        self.codes, self.starts, self.flat, self.consts, self.ids = codes, starts, flat, consts, ids
        self.inputs = inputs  # the input nodes' indices, in input order
        self.names = names  # the inputs' names, in input order
        self.output = output
        self.constants = constants  # constants the program names (lr = 0.1)
        self.notes = notes  # what the user should know about the graph itself
        self.is_program = is_program  # steps are named (name = expr), so the user's names are the ids
        self.function = function  # what the output is called in ∂f/∂x: the last step's name (y = f4 + f5), else f
        self.params = params  # the inputs as the output step lists them: f(x1, x2) = …
        self.outputs = outputs  # every output, in the order given (s1, s2, s3); output is the last
        self.functions = functions  # each output's name in ∂s1/∂z1: its step's name, else f1, f2, …
        self.data = data  # leaves held constant (--let, --data): given a value, never differentiated
        self.data_names = data_names
        self._consumers = None
        self.arrays: dict[str, tuple[int, int]] = {}  # the inputs (and held names) that are arrays: their shapes
        self.steps: tuple[Step, ...] = ()  # the array operations, as written (empty: no arrays)
        self.generated: frozenset[int] = frozenset()  # with steps: the nodes whose ids gradcli made up (c1, c2)
        self.defined: dict[str, str] = {}  # the functions the program defines, s(γ) = …: name -> its op

    def _replace(self, **fields) -> "Graph":
        new = object.__new__(Graph)
        for k in Graph.__slots__:
            setattr(new, k, fields.get(k, getattr(self, k)))
        new._consumers = None
        return new

    def __repr__(self) -> str:  # short, whatever the size
        return f"Graph({len(self.codes)} nodes, inputs {self.names}, output {self.ids[self.output]})"

    @property
    def nodes(self) -> Nodes:
        return Nodes(self)

    @property
    def consumers(self) -> Consumers:
        if self._consumers is None:
            self._consumers = Consumers(self)
        return self._consumers

    @property
    def leaves(self) -> int:
        """How many nodes are leaves: the inputs, then the held constants; the operations follow."""
        return len(self.names) + len(self.data)

    def op(self, i: int) -> str:
        """Node i's op by name (input for a leaf)."""
        return OP_NAMES[self.codes[i]]

    @property
    def op_count(self) -> int:
        return len(self.codes) - len(self.inputs) - len(self.data)

    def is_held(self, i: int) -> bool:
        """Whether node i is a constant held by --let or --data (they follow the inputs)."""
        return len(self.names) <= i < len(self.names) + len(self.data)

    def leaf_name(self, i: int) -> str:
        """The name of leaf i: an input (the first nodes) or a held constant (after them)."""
        return self.names[i] if i < len(self.names) else self.data_names[i - len(self.names)]

    def operand(self, a: int | Const):
        """An operand as an Expr: a node by its id, a constant as typed."""
        from .expr import name

        return name(self.ids[a]) if type(a) is int else a.as_expr()

    def definition(self, i: int):
        """Node i's definition as an Expr in its operands' ids: ``exp(c1)``, ``c1**2``; an input's is its name."""
        from .expr import Expr, name

        node = self.nodes[i]
        if node.op == "input":
            return name(self.leaf_name(i))  # the inputs are the first nodes, then the held constants
        return Expr(node.op, tuple(self.operand(a) for a in node.args))

    def replay(self, op, constant, values: list) -> list:
        """Every node's value in one interpretation, in graph order: ``values`` holds the leaves' values (and
        any node's already known, which is kept; None where it is to be computed), ``constant(c)`` a constant
        operand's, and ``op(name, operands)`` an operation's from its operands'. The one loop the sympy
        interpretations share (a node in the inputs' symbols, its exact value at the point, the nodes past a
        step made free); the float sweeps in gradcli/engine/trace.py are this loop over the graph's columns,
        written out for speed."""
        for i, node in enumerate(self.nodes):
            if values[i] is None and node.op != "input":
                values[i] = op(node.op, [values[a] if type(a) is int else constant(a) for a in node.args])
        return values

    def expr(self, i: int) -> str:
        """Node i's definition as plain text, as JSON and DOT show it: ``exp(c1)``, ``c1**2``."""
        code = self.codes[i]
        if code == 0:
            return self.leaf_name(i)
        s, e = self.starts[i], self.starts[i + 1]
        text = _TEMPLATES.get((code, e - s)) or template(code, e - s)
        n = len(self.codes)
        ids = self.ids
        if e - s == 2:
            a, b = self.flat[s], self.flat[s + 1]
            if a < n and b < n:
                return text.format(ids[a], ids[b])
        elif e - s == 1:
            a = self.flat[s]
            if a < n:
                return text.format(ids[a])
        labels = []
        for a in self.flat[s:e]:
            if a < n:
                labels.append(ids[a])
                continue
            c = self.consts[a - n]
            if c.expr is None and not c.label.startswith("-"):
                labels.append(c.label)
            else:  # a folded or negative constant: printed with its parentheses
                from .printer import PLAIN

                return PLAIN.text(self.definition(i))
        return text.format(*labels)

    def rule(self, i: int, k: int):
        """The local partial ∂(node i)/∂(its operand k) as an Expr in operand ids and node i's own id,
        from the op table, simplified as by hand (c1**2 gives 2*c1)."""
        from .expr import name, simplify, substitute
        from .rules import rules

        node = self.nodes[i]
        operands = tuple(self.operand(a) for a in node.args)
        rule = simplify(substitute(rules(node.op, len(node.args))[k], operands, name(node.id)), _fold)
        return self.by_name(rule, node.op)

    def by_name(self, e, op: str):
        """An Expr with each call of ``op`` that is a node of the graph written as that node's id: a softmax
        rule's softmax(2, c1, c2, c3) is s2 where s2 is that node (a pow rule keeps its x**2)."""
        from .expr import NAME, NUM, Expr, name, transform

        if OPS[op].arity >= 0:
            return e  # only a rule that calls its own op on other operands (softmax) names nodes
        index = self._index()
        ids = _INDEX[id(self)][2]

        def key(a: Expr):
            if a.op == NAME and a.leaf in ids:
                return ids[a.leaf]
            return ("k", a.leaf[0]) if a.op == NUM else None

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
            _INDEX[id(self)] = got = (self, table, {x: i for i, x in enumerate(self.ids)})
        return got[1]


_TEMPLATES: dict[tuple[int, int], str] = {}  # (op code, number of operands) -> its text with {0}, {1}, …
_INDEX: dict[int, tuple] = {}


_TEXT1: list[str | None] = []  # per op code: its text with one operand, {0}; filled as used
_TEXT2: list[str | None] = []  # and with two, {0} and {1}


def texts(arity: int) -> list[str | None]:
    """Per op code, the op's text with ``arity`` (1 or 2) operands, or None until ``template`` has made it."""
    table = _TEXT1 if arity == 1 else _TEXT2
    if len(table) < len(OP_NAMES):
        table.extend([None] * (len(OP_NAMES) - len(table)))
    return table


def template(code: int, arity: int) -> str:
    """An op's plain text with ``{0}, {1}, …`` for its operands, as the printer writes it: ``{0}*{1}``."""
    got = _TEMPLATES.get((code, arity))  # sum and max take any number of operands
    if got is None:
        from .expr import Expr, name
        from .printer import PLAIN

        got = PLAIN.text(Expr(OP_NAMES[code], tuple(name("\x00%d" % k) for k in range(arity))))
        got = got.replace("{", "{{").replace("}", "}}")
        for k in range(arity):
            got = got.replace("\x00%d" % k, "{%d}" % k)
        _TEMPLATES[code, arity] = got
        if arity in (1, 2):
            texts(arity)[code] = got
    return got


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


# --- shapes ----------------------------------------------------------------------------------------------
# A long program is mostly steps of a few shapes: "v12 = v3*x4" is the shape "\x00 = \x00*\x00" with the names
# v12, v3 and x4 in its slots. The parser reads each shape once; every step of that shape is then built from its
# names alone, without reading its characters again.

class _OutOfRange(Exception):
    """x_3 of a vector x of 2 entries; the statement being built gives it its caret."""


_SUBSCRIPT = re.compile(r"(?P<base>[^\W\d]\w*?)_(\d+)$")  # x_1, w_12: the base and the subscript
_ATOM = re.compile(r"\b([A-Za-z_]\w*)\b(?![ \t]*\()")  # a name that is not a function being called
# a source with any other character is read the general way
_PLAIN = (b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_ \t\n.+-*/^(),=")
_NAME, _NUMBER, _OP = 0, 1, 2
_SHAPES: dict[str, "_Shape | None"] = {}  # shape -> how to build it; None: read its lines the general way
_SIMPLE: dict[str, tuple] = {}  # shape -> (target slot, a slot, b slot, op code, slots) of a simple one
_SHAPES_KEPT = 4096
_CHUNK = 1 << 16  # characters of source looked at in one go
_LONG = 2000  # a line longer than this is not a step of a shape that repeats


class _Shape(NamedTuple):
    target: int  # the slot of the step's name; -1 for a bare expression
    items: tuple  # postfix: (_NAME, slot, 0), (_NUMBER, Const, 0) or (_OP, op code, arity)
    slots: int
    ops: int
    simple: tuple | None = None  # name = op(name) or name = op(name, name): (target slot, a slot, b slot, code)


class _Abort(Exception):
    """A line is not a whole step (a bracket closes on a later line): the parser reads the source from there."""


def _shape(shape: str) -> "_Shape | None":
    """How to build a step of this shape, from the parser's reading of it with the slots named _0, _1, …; None
    for a line the parser must read itself (it fails, lists outputs or inputs, or is several steps)."""
    if shape.count("(") != shape.count(")"):
        raise _Abort  # a bracket that closes on another line
    parts = shape.split("\x00")
    text = "".join(p + (f"_{k}" if k < len(parts) - 1 else "") for k, p in enumerate(parts))
    try:
        statements = _Parser(text).run(single=False)
    except GradcliSyntaxError:
        return None
    if len(statements) != 1 or statements[0].params or statements[0].outputs:
        return None
    st = statements[0]
    items = []
    for it in st.items:
        if it.kind == "name":
            if not it.arg[1:].isdigit():
                return None  # a slot the notation joined into a longer name (x^* is x_star)
            items.append((_NAME, int(it.arg[1:]), 0))
        elif it.kind == "num":
            items.append((_NUMBER, _new(Const, (it.arg, text[it.start:it.end], None)), 0))
        elif it.arg == "softmax" or it.arg in ARRAY_OPS:
            return None  # softmax's index is checked with the step's own text; arrays are the parser's
        else:
            items.append((_OP, OP_CODES[it.arg], it.arity))
    target = -1 if st.target is None else int(st.target[1:])
    simple = None
    if target >= 0 and [it[0] for it in items] == [_NAME, _OP] and items[1][2] == 1:
        simple = (target, items[0][1], -1, items[1][1])
    elif target >= 0 and [it[0] for it in items] == [_NAME, _NAME, _OP] and items[2][2] == 2:
        simple = (target, items[0][1], items[1][1], items[2][1])
    return _Shape(target, tuple(items), len(parts) - 1, sum(1 for it in items if it[0] == _OP), simple)


def _reserved(name: str) -> bool:
    """A name a step may not be called or read by: a function's, or inf and nan."""
    return name in FUNCTION_NAMES or (len(name) in (3, 8) and name.lower() in NOT_NUMBERS)


_OFF = 1 << 21  # operand refs while building lie in (-_OFF, _OFF): a memo key packs two of them in one int
_UNARY = 256  # op codes are below this: they are bytes


class _Builder:
    """Builds the columns statement by statement. While building, an operand is a ref: k >= 0 is the k-th
    operation, -1 - 2k the k-th leaf (a name read before any step assigns it), and in ``flat`` -2 - 2k the
    k-th constant. ``finish`` numbers the leaves first, in input order, then the operations."""

    def __init__(self, source: str, prefix: str, share: bool = True) -> None:
        self.source = source
        self.prefix = prefix
        self.share = share  # False: every occurrence of a subexpression is a node of its own (the tree form)
        self.codes = array("B")
        self.starts = array("l", [0])
        self.flat = array("l")
        self.labels: list[str | None] = []  # per operation: the step's name that assigns it
        self.memo: dict = {}
        self.consts: list[Const] = []
        self.leaf_names: list[str] = []  # in the order first read
        self.leaf_labels: list[str | None] = []
        self.env: dict[str, int | Const] = {}
        self.inputs_read: set[str] = set()  # the leaves' names: a name in env but not here is a step's
        self.named = False  # a step has a name (name = expr): a program, whose names are the ids
        self.read_constants: set[str] = set()  # pi and e, where read before a step assigns them
        self.params: dict[str, int] = {}
        self.unusual = False  # a name that is not ASCII was seen: look-alike names are checked at the end
        self.constants: list[tuple[str, float]] = []
        self.notes: list[str] = []  # constants that are not finite
        self.chosen: str | None = None  # --output
        self.held: list[str] = []  # --let, --data
        self.statements = 0
        self.operations = 0  # operations read so far, counted against MAX_OPERATIONS
        self.pending: GradcliSyntaxError | None = None  # the error if another statement follows this one
        self.last_target: str | None = None
        self.last_span = (0, 0)
        self.outputs: list = []
        self.spans: list | None = None
        # names that may not be all ASCII (\\theta is θ): where each is first written, for look-alike names
        self.spelled: dict[str, int] | None = None if source.isascii() and "\\" not in source else {}
        self.shaped: dict[str, tuple[int, int]] = {}  # inputs that are arrays, by the shape --at or --shape gives
        self.arrays = Arrays(self.scalar, lambda v: _new(Const, (float(v), fmt(float(v)), None)))
        self.steps: list[Step] = []  # the array operations as written, for the tables at the sheet's level
        self.step_of: dict[int, int] = {}  # id() of an Arr -> its step
        self.kept: list = []  # the Arrs step_of knows, kept alive so that their ids stay theirs
        self.calls: dict[str, str] = {}  # the functions the program has defined so far: name -> op
        self.as_written = False  # each named step one node, its partials from its body (--as-written)
        self.user_functions = definitions(source)  # every function it defines (gradcli/core/parse.py)

    def error(self, message: str, start: int, end: int) -> GradcliSyntaxError:
        return GradcliSyntaxError(message, self.source, start, end - start)

    # --- operands and nodes -------------------------------------------------------------------------------

    def assigned(self, name: str) -> bool:
        """Whether a step has this name."""
        return name in self.env and name not in self.inputs_read

    def leaf(self, name: str) -> int:
        """The ref of a name read before any step assigns it: an input (or a held constant)."""
        ref = -1 - 2 * len(self.leaf_names)
        self.leaf_names.append(name)
        self.leaf_labels.append(None)
        self.env[name] = ref
        self.inputs_read.add(name)
        if not name.isascii():
            self.unusual = True
        return ref

    def read(self, name: str) -> int | Const | Arr:
        v = self.env.get(name)
        if v is not None:
            return v
        shape = self.shaped.get(name)
        if shape is not None:  # an array input: one leaf per entry, W[1,1], W[1,2], …
            arr = make(shape, (self.leaf(n) for n in entry_names(name, shape)))
            self.env[name] = arr
            self.inputs_read.add(name)
            if type(arr) is Arr:
                self.record(Step("input", (), shape, arr.items, name, len(self.codes), len(self.codes), (0, 0)), arr)
            return arr
        c = CONSTANTS.get(name)
        if c is not None:
            self.read_constants.add(name)
            return _new(Const, (c, name, None))
        if "_" in name and self.shaped:
            entry = self.subscripted(name)
            if entry is not None:
                return entry
        return self.leaf(name)

    def node(self, code: int, args: tuple, label: str | None = None, share: bool = True) -> int:
        """The operation ``code`` on ``args`` (refs or Consts, not all Consts): an existing node where it is
        one (hash-consing), else a new one; ``share`` False makes a new one always (a copy step, --no-share).
        The one place that makes and shares nodes: the parser's statements and the steps built from their
        shapes both come here. A key of two refs or one is a single int, packed."""
        key = None
        if share and self.share:
            if len(args) == 2:
                a, b = args
                if type(a) is int and type(b) is int:
                    key = -(((a + _OFF) << 22 | (b + _OFF)) * _UNARY + code) - 1
                else:
                    key = (code, ("k", a.value) if type(a) is Const else a,
                           ("k", b.value) if type(b) is Const else b)
            elif len(args) == 1:
                key = (args[0] + _OFF) * _UNARY + code
            else:
                key = (code, *(("k", a.value) if type(a) is Const else a for a in args))
            i = self.memo.get(key)
            if i is not None:
                return i
        flat, consts = self.flat, self.consts
        for a in args:
            if type(a) is int:
                flat.append(a)
            else:
                flat.append(-2 - 2 * len(consts))
                consts.append(a)
        i = len(self.codes)
        self.codes.append(code)
        self.starts.append(len(flat))
        self.labels.append(label)
        if key is not None:
            self.memo[key] = i
        return i

    # --- statements ---------------------------------------------------------------------------------------

    def statement(self, st: Statement) -> int | Const:
        """One parsed step, built: its value (a ref or a Const), assigned to its name."""
        if st.params:
            self.take_params(st)
            self.subscripted_params(st)
        value = None
        if self.as_written and st.target is not None and sum(1 for it in st.items if it.kind == "op") > 1:
            value = self.as_step(st)
        if value is None:
            value = self.evaluate(st.items)
        if st.target is not None:
            self.check_target(st.target, st.target_start, st.start)
            value = self.assign(st.target, value)
        return value

    def define(self, st: Statement) -> None:
        """A function's definition, ``s(γ) = 1/(1 + exp(-γ))``: its op (gradcli/core/functions.py), which the
        calls after it are."""
        from .expr import from_items
        from .functions import DefinitionError, define

        name = st.target
        params = tuple(p for p, _ in st.params)
        calls = self.calls
        items = []
        for it in st.items:
            if it.kind == "op" and (it.arg == name or it.arg in self.defined_later(st)):
                what = "its own definition" if it.arg == name else "a definition before its own"
                raise self.error(f"{it.arg} is called in {what}: define a function before the steps that call "
                                 "it, and not in terms of itself", it.start, it.end)
            items.append(it._replace(arg=calls[it.arg]) if it.kind == "op" and it.arg in calls else it)
        try:
            op = define(name, params, from_items(items, self.source))
        except DefinitionError as e:
            spans = [(it.start, it.end) for it in st.items if it.kind == "name" and it.arg == e.name]
            start, end = spans[0] if spans else (st.target_start, st.target_start + len(name))
            raise self.error(str(e), start, end) from None
        calls[name] = op.name
        if not name.isascii():
            self.unusual = True

    def as_step(self, st: Statement):
        """A named step of several operations as one node, as the student wrote it (--as-written):
        ``c4 = c1**2 + c2**2`` is an op of its own whose operands are the names it reads and whose local
        partials are its body differentiated (∂c4/∂c1 = 2·c1); None where it reads arrays or only constants,
        which are built as usual."""
        from .expr import from_items
        from .functions import DefinitionError, define

        names = list(dict.fromkeys(it.arg for it in st.items if it.kind == "name"
                                   and (it.arg not in CONSTANTS or it.arg in self.env)))
        if any(it.kind == "op" and (it.arg in ARRAY_OPS or it.arg == "softmax") for it in st.items):
            return None
        values = []
        for n in names:
            try:
                v = self.read(n)
            except _OutOfRange as e:
                raise self.error(str(e), st.start, st.end) from None
            if type(v) is Arr:
                return None
            values.append(v)
        if all(type(v) is Const for v in values):
            return None
        calls = self.calls
        items = [it._replace(arg=calls[it.arg]) if it.kind == "op" and it.arg in calls else it for it in st.items]
        try:
            op = define(st.target, tuple(names), from_items(items, self.source), inline=True)
        except DefinitionError:
            return None
        return self.node(OP_CODES[op.name], tuple(values))

    def defined_later(self, st: Statement) -> set[str]:
        """The functions the program defines that this step cannot call yet."""
        return {n for n in self.user_functions if n not in self.calls}

    def take_params(self, st: Statement) -> None:
        if self.params:
            raise self.error("only one step may list the inputs, f(x1, x2) = …", st.target_start,
                             st.target_start + len(st.target or ""))
        for name, start in st.params:
            if self.assigned(name):
                raise self.error(f"'{name}' is a step, not an input: list only the inputs", start, start + len(name))
            self.params[name] = start
            if not name.isascii():
                self.unusual = True

    def subscripted_params(self, st: Statement) -> None:
        """``f(x) = exp(x_1)*(x_1^2 + x_2^2)^3``, as a sheet writes it: an input listed as ``x`` whose body reads
        only ``x_1``, ``x_2``, … is a vector of as many entries as the largest subscript, ``x_k`` its entry k
        (gradcli/core/arrays.py names them x[1], x[2]). A shape given for x (``--at x=[0,2]``) is taken as is."""
        for p, _ in st.params:
            if p in self.shaped or p in self.env:
                continue
            ks = [int(m.group(2)) for it in st.items if it[0] == "name"
                  for m in (_SUBSCRIPT.match(it[1]),) if m is not None and m.group(1) == p]
            if ks and not any(it[0] == "name" and it[1] == p for it in st.items) and min(ks) >= 1:
                self.shaped[p] = (max(ks), 1)

    def subscripted(self, name: str):
        """``x_2`` where x is a vector input: its entry 2; None for any other name."""
        m = _SUBSCRIPT.match(name)
        if m is None or "_" not in name:
            return None
        base, k = m.group(1), int(m.group(2))
        shape = self.shaped.get(base)
        if shape is None or shape[1] != 1 or name in self.env:
            return None
        if not 1 <= k <= shape[0]:
            raise _OutOfRange(f"'{name}' would be entry {k} of {base}, which has {shape[0]} entries ({base}_1 to "
                              f"{base}_{shape[0]}, counted from 1)")
        arr = self.read(base)
        return arr.items[k - 1] if type(arr) is Arr else arr

    def check_target(self, t: str, start: int, stmt_start: int) -> None:
        end = start + len(t)
        if self.assigned(t):
            raise self.error(f"'{t}' is already assigned by an earlier step; give this step a new name", start, end)
        if t in self.read_constants or t in self.env:
            what = "the constant" if t in CONSTANTS else "the input"
            raise self.error(f"'{t}' is assigned here but was already read as {what} '{t}' earlier; "
                             "assign a name before using it, or pick a new name", start, end)
        if t in self.params:
            raise self.error(f"'{t}' is listed as an input; a step cannot assign it", start, end)
        self.named = True
        if not t.isascii():
            self.unusual = True

    def assign(self, target: str, value: int | Const | Arr) -> int | Const | Arr:
        if type(value) is Arr:  # each entry that has no name yet is named by its place, h[1], W[1,2]
            items = []
            for name, x in zip(entry_names(target, value.shape), value.items):
                if type(x) is Const:
                    self.constants.append((name, x.value))
                    x = Const(x.value, name)
                elif x >= 0 and self.labels[x] is None:
                    self.labels[x] = name
                items.append(x)
            k = self.step_of.get(id(value))
            value = Arr(value.shape, tuple(items))
            if k is not None:  # the step's array under its name: W̄2, not c7
                self.record(self.steps[k]._replace(name=self.steps[k].name or target, entries=value.items), value, k)
            self.env[target] = value
            return value
        if type(value) is Const:
            self.constants.append((target, value.value))
            value = Const(value.value, target)  # shown by its name
        elif value >= 0:
            if self.labels[value] is None:
                self.labels[value] = target
            else:  # the node already has a name: this step is a copy of it, a row of its own
                value = self.node(_COPY, (value,), target, share=False)
        elif self.leaf_labels[~value >> 1] is None:
            self.leaf_labels[~value >> 1] = target
        else:
            value = self.node(_COPY, (value,), target, share=False)
        self.env[target] = value
        return value

    def evaluate(self, items) -> int | Const:
        """Evaluate one statement's postfix items into nodes, sharing identical ones."""
        stack: list[int | Const] = []
        source = self.source
        read, node = self.read, self.node
        for it in items:
            kind = it[0]
            if kind == "num":
                text = source[it[3]:it[4]]
                stack.append(_new(Const, (it[1], text if text.isascii() else fmt(it[1]), None)))  # x² has the power 2
                continue
            if kind == "name":
                try:
                    stack.append(read(it[1]))
                except _OutOfRange as e:
                    raise self.error(str(e), it[3], it[4]) from None
                continue
            op, arity = it[1], it[2]
            if op in self.calls:
                op = self.calls[op]
            elif op in self.user_functions or (op not in OP_CODES and op not in ARRAY_OPS):
                raise self.error(f"{op} is called before its definition: define a function before the steps that "
                                 "call it", it[3], it[4])
            args = tuple(stack[-arity:])
            if op == "cdot" and Arr not in map(type, args):
                op = "mul"  # a·b of numbers is their product, 0·0 as well as x·y
            if op in ARRAY_OPS or Arr in map(type, args):
                del stack[len(stack) - arity + 1:]
                stack[-1] = self.array_op(op, list(args), items, it)
                continue
            if op == "softmax":
                self.check_softmax(args, it)
            del stack[len(stack) - arity + 1:]
            for a in args:
                if type(a) is not Const:
                    stack[-1] = node(OP_CODES[op], args)
                    break
            else:
                stack[-1] = self.fold(op, list(args), it)
        return stack[0]

    def scalar(self, op: str, args) -> int | Const:
        """One scalar op of an array's entry: a node, or a constant where every operand is one. The node is
        new, never shared, so that each array step owns its nodes: the adjoints gathered over a step's entries
        are the array's adjoint."""
        args = tuple(args)
        if all(type(a) is Const for a in args):
            return fold(op, list(args), None)
        return self.node(OP_CODES[op], args, share=False)

    def record(self, step: Step, value, k: int | None = None) -> None:
        """An array step, and the Arr that is its value (also under its name, when assigned)."""
        if k is None:
            k = len(self.steps)
            self.steps.append(step)
        else:
            self.steps[k] = step
        if type(value) is Arr:
            self.step_of[id(value)] = k
            self.kept.append(value)

    def array_op(self, op: str, args: list, items, it: Item):
        """An operation on arrays, written as scalar nodes (gradcli/core/arrays.py); a shape that does not fit
        is a caret under the operation (or the operand at fault) with both shapes."""
        first = len(self.codes)
        try:
            value = self.arrays.apply(op, args)
        except ShapeError as e:
            spans = _operand_spans(items, it)
            texts = [" ".join(self.source[a:b].split()) for a, b in spans]
            message = e.message
            for k, t in enumerate(texts[:2]):
                message = message.replace("{%d}" % k, t if t.isidentifier() else f"({t})")
            start, end = spans[e.operand] if 0 <= e.operand < len(spans) else (it.start, it.end)
            raise self.error(message, start, end) from None
        if any(type(a) is Arr for a in args) or type(value) is Arr:
            operands = []
            for a in args:
                k = self.step_of.get(id(a)) if type(a) is Arr else None
                if type(a) is Arr and k is None:  # an array no step made: a view's own, recorded as a literal
                    k = len(self.steps)
                    self.record(Step("array", tuple(a.items), a.shape, a.items, None, first, first, (0, 0)), a)
                operands.append(Of(k) if type(a) is Arr else a)
            shape, entries = (value.shape, value.items) if type(value) is Arr else (None, (value,))
            self.record(Step(op, tuple(operands), shape, entries, None, first, len(self.codes), (it.start, it.end)),
                        value)
        return value

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

    # --- the whole program --------------------------------------------------------------------------------

    def take(self, st: Statement) -> None:
        """One parsed statement: a step, or a last step that lists the outputs. A statement that may only be the
        last (a bare expression, a list of outputs) is an error when another follows it, told then."""
        if self.pending is not None:
            raise self.pending
        if st.define:  # s(γ) = …: no node of its own; each call is one
            self.define(st)
            return
        if st.outputs:  # a last step that lists the outputs: s1, s2, s3
            self.outputs, self.spans = [], []
            for items, start, end in st.outputs:
                value = self.evaluate(items)
                entries = value.items if type(value) is Arr else (value,)
                self.outputs += entries
                self.spans += [(start, end)] * len(entries)
            self.pending = self.error("only the last step may list outputs", st.start, st.end)
        else:
            value = self.statement(st)
            self.outputs = list(value.items) if type(value) is Arr else [value]  # a vector: one output per entry
            self.spans = [(st.start, st.end)] * len(self.outputs)
            if st.target is None:
                self.pending = self.error("only the last step may be a bare expression; name this one "
                                          "(name = expr)", st.start, st.end)
        self.statements += 1
        self.last_target = st.target
        self.last_span = (st.start, st.end)
        if self.spelled is not None:  # names that are not all ASCII: where each is first written
            spelled = self.spelled
            for it in (it for part in ([p[0] for p in st.outputs] if st.outputs else [st.items]) for it in part):
                if it.kind == "name":
                    spelled.setdefault(it.arg, it.start)
            for name, start in st.params:
                spelled.setdefault(name, start)
            if st.target is not None:
                spelled.setdefault(st.target, st.target_start)

    def shapes(self) -> bool:
        """Build a program of plain ASCII lines step by step from their shapes; False, having built nothing,
        where the source has other characters. From a line that is not a whole step (a bracket that closes on a
        later line), or that would pass the operation limit, the parser reads the rest of the source."""
        source = self.source
        if not self.share or self.as_written or self.shaped or not source.isascii() or source.encode("ascii").translate(None, _PLAIN):
            return False
        n = len(source)
        last_end = len(source.rstrip())
        shapes, simple_shapes = _SHAPES, _SIMPLE
        if len(shapes) > _SHAPES_KEPT:
            shapes.clear()
            simple_shapes.clear()
        find, split, step = source.find, _ATOM.split, self.step
        env, labels, node = self.env, self.labels, self.node
        env_get = env.get
        clean = True  # no constant read yet and no inputs listed: a step of a simple shape may be built inline
        ops = 0
        inline = 0  # steps built inline
        pos = 0
        value = None  # the last step's value, where it was built from its shape
        while pos < n:
            stop = find("\n", pos + _CHUNK)
            if stop < 0:
                stop = n
            parts = split(source[pos:stop])  # text between names, and the names
            atoms = parts[1::2]
            k = 0
            start = pos
            for shape in "\x00".join(parts[::2]).split("\n"):
                end = find("\n", start, stop)
                if end < 0:
                    end = stop
                if not shape or shape.isspace():
                    start = end + 1
                    continue
                simple = simple_shapes.get(shape) if clean and ops + inline < MAX_OPERATIONS else None
                if simple is not None:  # name = op(name) or op(name, name), all inline: most steps of a program
                    ts, ia, ib, code, slots = simple
                    t = atoms[k + ts]
                    a = env_get(atoms[k + ia])
                    b = env_get(atoms[k + ib]) if ib >= 0 else 0
                    if type(a) is int and type(b) is int and t not in env and t not in FUNCTION_NAMES \
                            and not (len(t) in (3, 8) and _reserved(t)):
                        i = node(code, (a, b) if ib >= 0 else (a,))
                        if labels[i] is None:  # a new node (or an unnamed one): it takes the step's name
                            labels[i] = t
                            env[t] = value = i
                        else:
                            value = self.assign(t, i)
                        k += slots
                        inline += 1
                        if end >= last_end:
                            self.last_target = t
                            self.last_span = (start + len(shape) - len(shape.lstrip()), end)
                        start = end + 1
                        continue
                self.statements += inline
                ops += inline  # a simple step is one operation
                if inline:
                    self.named = True
                    inline = 0
                try:
                    how = shapes[shape]
                except KeyError:
                    if len(shape) > _LONG:  # one long expression: the parser reads it once, as it is
                        return self.rest(start, ops)
                    try:
                        how = shapes[shape] = _shape(shape)
                    except _Abort:
                        return self.rest(start, ops)
                    if how is not None and how.simple is not None:
                        simple_shapes[shape] = (*how.simple, how.slots)
                if how is not None and ops + how.ops > MAX_OPERATIONS:
                    return self.rest(start, ops)  # the parser says where the limit is passed
                last = end >= last_end
                value = None if how is None else step(how, atoms[k:k + how.slots], last)
                k += shape.count("\x00") if how is None else how.slots
                if value is None:
                    self.operations = ops
                    self.line(start, end)
                    ops = self.operations
                else:
                    ops += how.ops
                    self.statements += 1
                    if last:
                        self.last_span = (start + len(shape) - len(shape.lstrip()), end)
                clean = not self.read_constants and not self.params and self.pending is None
                start = end + 1
            pos = stop + 1
        self.statements += inline
        if inline:
            self.named = True
        if not self.statements:
            return self.rest(0, 0)  # no step at all: the parser says what is missing
        if value is not None:
            self.outputs, self.spans = [value], None
        return True

    def rest(self, start: int, operations: int) -> bool:
        """The parser reads the source from ``start`` on, after the steps built so far."""
        parser = _Parser(self.source)
        parser.operations = operations
        parser.run(single=False, pos=start, sink=self.take)
        return True

    def line(self, start: int, end: int) -> None:
        """One line read by the parser itself: a line with an error shows it with its caret."""
        parser = _Parser(self.source)
        parser.operations = self.operations
        parser.run(single=False, pos=start, endpos=min(end + 1, len(self.source)), sink=self.take)
        self.operations = parser.operations

    def step(self, shape: _Shape, names: list[str], last: bool):
        """A step built from its shape and names: its value; None where the parser must read it (a name that is
        not allowed there, a name assigned twice, a constant subexpression to fold with its text)."""
        env = self.env
        if self.pending is not None:
            return None  # the parser reads it, and the builder says what the step before may not be
        target = names[shape.target] if shape.target >= 0 else None
        if target is not None:
            if target in env or target in FUNCTION_NAMES or (self.read_constants and target in self.read_constants) \
                    or (self.params and target in self.params) or (len(target) in (3, 8) and _reserved(target)):
                return None
        elif not last:
            return None
        stack: list = []
        labels, node = self.labels, self.node
        for kind, x, arity in shape.items:
            if kind == _NAME:
                name = names[x]
                v = env.get(name)
                if v is None:
                    if _reserved(name):
                        return None
                    v = self.read(name)
                stack.append(v)
                continue
            if kind == _NUMBER:
                stack.append(x)
                continue
            args = tuple(stack[-arity:])
            for a in args:
                if type(a) is not Const:
                    break
            else:
                return None  # folded by the general way, which labels the constant with its text
            del stack[len(stack) - arity + 1:]
            stack[-1] = node(x, args)
        value = stack[0]
        if target is not None:
            if target in env or target in self.read_constants:  # it reads its own name: x = x + 1, e = e + x
                return None
            self.named = True
            if type(value) is int and value >= 0 and labels[value] is None:
                labels[value] = target
                env[target] = value
            else:
                value = self.assign(target, value)
        if last:
            self.last_target = target
        return value

    def parse(self) -> None:
        """The general way: the parser hands each statement over as it reads it, so errors are told in the order
        of the source."""
        _Parser(self.source).run(single=False, sink=self.take)

    def build(self, chosen: str | None = None, held: tuple[str, ...] = (), columns: tuple[str, ...] = ()) -> Graph:
        if self.unusual:
            self.check_lookalikes()
        start, end = self.last_span
        return self.finish(self.outputs, self.spans, start, end, chosen, held, columns)

    def check_lookalikes(self) -> None:
        """Two names that look the same but are typed with different letters (x, Cyrillic х) are an error."""
        names = self.spelled
        seen: dict[str, tuple[str, int]] = {}
        for name, start in sorted(names.items(), key=lambda kv: kv[1]):
            key = skeleton(name)
            other = seen.get(key)
            if other is not None and other[0] != name:
                odd = lookalike_letters(name) or lookalike_letters(other[0])
                raise self.error(f"'{name}' looks like '{other[0]}' (column {other[1] + 1}) but is typed with other "
                                 f"letters, {odd}: use the same letters in both places", start, start + len(name))
            seen.setdefault(key, (name, start))

    def inputs(self) -> list[str]:
        """The inputs in the order an ``f(x1, x2) = …`` step lists them, the others after them in natural order
        of their names."""
        params = self.params
        listed: list[str] = []
        for n in params:
            if n in self.shaped:  # an array listed as an input, f(x) = …: its entries, in order
                leaves = set(self.leaf_names)
                listed += [e for e in entry_names(n, self.shaped[n]) if e in leaves]
            elif n not in CONSTANTS:
                listed.append(n)
        first = set(listed)
        return listed + sorted((n for n in self.leaf_names if n not in first), key=natural_key)

    def choose(self, text: str, found: list[str]) -> list[int]:
        """--output s1,s3: the named steps (or inputs) that are the outputs."""
        from .parse import normal_name

        env = self.env
        out = []
        offset = 0
        for part in text.split(","):
            name = normal_name(part.strip())
            where = offset + len(part) - len(part.lstrip())
            if name not in env and name not in found:
                steps = [*found, *(t for t in env if t not in self.inputs_read and t not in CONSTANTS)]
                raise GradcliSyntaxError(f"'{name}' is not a step or an input; the steps and inputs are "
                                         f"{', '.join(steps)}", text, where, max(1, len(name)), "--output ")
            if isinstance(env.get(name), Const):
                raise GradcliSyntaxError(f"'{name}' is a constant, which has no derivative", text, where,
                                         len(name), "--output ")
            node = env[name] if name in env else self.leaf(name)
            if node in out:  # the JSON keys the Jacobian's rows by output: each output once
                raise GradcliSyntaxError(f"'{name}' is the same output as '{text.split(',')[out.index(node)].strip()}', "
                                         "listed before: list each output once", text, where, max(1, len(name)),
                                         "--output ")
            out.append(node)
            offset += len(part) + 1
        return out

    def finish(self, outputs: list, spans, start: int, end: int, chosen: str | None, held: tuple[str, ...],
               columns: tuple[str, ...]) -> Graph:
        found = self.inputs()
        for h in held:
            if h in CONSTANTS:
                raise GradcliError(f"'{h}' is the constant {h}, not a name --let can hold")
            if h not in found:
                raise GradcliError(f"'{h}' is given a value (--let) but is not a name the expression reads; "
                                   f"its inputs are {', '.join(found) or 'none'}")
        held = tuple(held) + tuple(c for c in columns if c in found and c not in held)  # a column it does not read
        names = [n for n in found if n not in held]
        self.held = [n for n in found if n in held]
        if chosen is not None:
            outputs, spans = self.choose(chosen, found), None
        for k, o in enumerate(outputs):
            if isinstance(o, Const):
                s, e = spans[k] if spans else (start, end)
                raise self.error("the output is a constant: it has no inputs to differentiate", s, e)
            if o in outputs[:k]:  # x*y, x*y: one node, and the JSON keys the Jacobian's rows by output
                s, e = spans[k] if spans else (start, end)
                raise self.error(f"this output is the same node as output {outputs.index(o) + 1}: list each output "
                                 "once", s, e)
        for name in found:  # an input f(x1, x2) = … lists but never reads
            if name not in self.env:
                self.leaf(name)
        # number the leaves first (inputs, then held constants), then the operations in the order made
        order = {name: k for k, name in enumerate(names + self.held)}
        leaves = len(order)
        leafpos = [order[name] for name in self.leaf_names]
        n = leaves + len(self.codes)
        self.memo = self.env = None  # the build's tables are garbage from here on: let them go before the ids
        flat = self.flat
        for k in range(0, len(flat), _CHUNK):  # in place, a chunk at a time
            flat[k:k + _CHUNK] = array("l", [a + leaves if a >= 0 else (n + (~a >> 1) if ~a & 1 else leafpos[~a >> 1])
                                             for a in flat[k:k + _CHUNK]])
        self.flat = None
        codes = array("B", bytes(leaves)) + self.codes
        starts = array("l", bytes(8 * leaves)) + self.starts
        outputs = [o + leaves if o >= 0 else leafpos[~o >> 1] for o in outputs]
        labels: list[str | None] = [None] * leaves
        for k, label in enumerate(self.leaf_labels):
            labels[leafpos[k]] = label
        labels += self.labels
        self.labels = None
        if self.steps:
            def node(a):
                return a if type(a) is not int else a + leaves if a >= 0 else leafpos[~a >> 1]

            self.steps = [st._replace(operands=tuple(node(a) for a in st.operands),
                                      entries=tuple(node(a) for a in st.entries),
                                      first=st.first + leaves, last=st.last + leaves) for st in self.steps]
            self.step_of = self.kept = None
        graph = self.name(labels, names, codes, starts, flat, outputs)
        if self.steps:
            graph.steps = tuple(self.steps)
            graph.generated = frozenset(i for i, label in enumerate(labels) if label is None)
        return graph

    def name(self, labels: list, names: list[str], codes: array, starts: array, flat: array,
             outputs: list[int]) -> Graph:
        """The ids: the user's step names, generated c1..cn that cannot clash with them, and the graph."""
        n = len(codes)
        prefix = self.prefix
        numbered = re.compile(re.escape(prefix) + r"[0-9]+")
        # one step f(x1, x2) = … is the sheet's way to write a bare expression: numbered c1..cn as one
        params = tuple(p for p in self.params)
        program_mode = self.named and not (self.statements == 1 and params)
        keep_names = program_mode or any(numbered.fullmatch(x) for x in names)
        for k, h in enumerate(self.held):  # held constants keep their names, shown by name
            labels[len(names) + k] = h
        taken = {lab for lab in labels if lab} | {c for c, _ in self.constants}
        if keep_names:
            taken.update(names)
        ids: list[str]
        if not taken:  # a bare expression: c1..cn
            ids = [f"{prefix}{k}" for k in range(1, n + 1)]
        else:
            ids = []
            k = 1
            for i in range(n):
                label = labels[i]
                if label is None and keep_names and i < len(names):
                    label = names[i]
                if label is None:
                    while f"{prefix}{k}" in taken:
                        k += 1
                    label = f"{prefix}{k}"
                    k += 1
                ids.append(label)
        output = outputs[-1]
        if len(outputs) == 1:
            functions: tuple[str, ...] = (self.last_target or "f",) if self.chosen is None else (ids[output],)
        else:
            functions = tuple(ids[o] if labels[o] is not None or (keep_names and o < len(names))
                              else f"f{k + 1}" for k, o in enumerate(outputs))
        leaves = len(names) + len(self.held)
        graph = Graph(self.source, codes, starts, flat, self.consts, ids, tuple(range(len(names))), tuple(names),
                      output, tuple(self.constants), (), program_mode, functions[-1], params, tuple(outputs),
                      functions, tuple(range(len(names), leaves)), tuple(self.held))
        graph.notes = tuple(self.notes)
        if self.steps:
            graph.steps = tuple(self.steps)
        graph.notes = unused_notes(graph, labels)
        graph.arrays = {n: shape for n, shape in self.shaped.items() if n in self.inputs_read}
        if self.calls:
            graph.defined = dict(self.calls)
        return graph


def unused_notes(graph: Graph, labels: list) -> "Notes":
    """Inputs and named steps that do not reach any output: the steps as node indices, told when read."""
    codes, starts, flat = graph.codes, graph.starts, graph.flat
    n = len(codes)
    live = bytearray(n)
    for o in graph.outputs:
        live[o] = 1
    for i in range(max(graph.outputs), graph.leaves - 1, -1):
        if live[i]:
            for a in flat[starts[i]:starts[i + 1]]:
                if a < n:
                    live[a] = 1
    out = ", ".join(graph.ids[o] for o in graph.outputs)
    inputs = tuple(f"input {graph.names[i]} does not affect the output {out}: its derivative is 0"
                   for i in range(len(graph.names)) if not live[i])
    # an array some of whose entries reach the output is used: softmax(o)[3] reads s, though not s[1]
    used = set()
    for st in graph.steps:
        if st.shape is not None and st.op != "input":
            nodes = [e for e in st.entries if type(e) is int and e >= graph.leaves]
            if any(live[e] for e in nodes):
                used.update(nodes)
    steps = array("l")
    i = live.find(0, graph.leaves)
    while i >= 0:
        if labels[i] is not None and i not in used:
            steps.append(i)
        i = live.find(0, i + 1)
    return Notes(graph.notes + inputs, graph, steps)


class Notes(Sequence):
    """What the user should know, in order: notes as text, then one for each named step that does not affect the
    outputs, kept as node indices and written when read (most steps of a long generated program have one), then
    more notes as text."""

    __slots__ = ("before", "graph", "steps", "after")

    def __init__(self, before=(), graph: Graph | None = None, steps=(), after=()) -> None:
        self.before, self.graph, self.steps, self.after = tuple(before), graph, steps, tuple(after)

    def __len__(self) -> int:
        return len(self.before) + len(self.steps) + len(self.after)

    def __getitem__(self, k):
        if type(k) is slice:
            return [self[j] for j in range(*k.indices(len(self)))]
        if k < 0:
            k += len(self)
        if not 0 <= k < len(self):
            raise IndexError(k)
        if k < len(self.before):
            return self.before[k]
        k -= len(self.before)
        if k < len(self.steps):
            return self._texts(self.steps[k:k + 1])[0]
        return self.after[k - len(self.steps)]

    def __iter__(self):
        yield from self.before
        yield from self._steps(self.steps)
        yield from self.after

    def __eq__(self, other) -> bool:
        return isinstance(other, (Sequence, Notes)) and not isinstance(other, str) and list(self) == list(other)

    def __add__(self, other) -> list[str]:
        return [*self, *other]

    def __repr__(self) -> str:
        return f"Notes({list(self)!r})"

    def _steps(self, steps):
        for k in range(0, len(steps), 4096):
            yield from self._texts(steps[k:k + 4096])

    def _texts(self, steps, known: list[str] | None = None) -> list[str]:
        """The notes of these steps; ``known``: every node's definition text, where it is made already."""
        graph = self.graph
        if graph is None or not len(steps):
            return []
        ids = graph.ids
        expr = graph.expr if known is None else known.__getitem__
        tail = " does not affect the output " + ", ".join(ids[o] for o in graph.outputs)
        return ["step " + ids[i] + " = " + expr(i) + tail for i in steps]

    def chunks(self, size: int, known: list[str] | None = None):
        """The notes in lists of about ``size``; ``known`` as for ``_texts``."""
        if self.before:
            yield list(self.before)
        for k in range(0, len(self.steps), size):
            yield self._texts(self.steps[k:k + size], known)
        if self.after:
            yield list(self.after)

    def then(self, notes: list[str]) -> "Notes":
        """These notes followed by ``notes``, without those already told (``notes`` starts with ``before``)."""
        out = list(dict.fromkeys(notes))
        k = len(dict.fromkeys(self.before))
        return Notes(out[:k], self.graph, self.steps, out[k:])


_COPY = OP_CODES["copy"]


def _builder(source: str, prefix: str, share: bool, outputs: str | None, shapes: dict | None = None,
             as_written: bool = False) -> _Builder:
    if not prefix.isidentifier():
        raise GradcliSyntaxError("the id prefix must be a name such as c or v", prefix, 0, len(prefix), "--prefix ")
    builder = _Builder(source, prefix, share)
    builder.as_written = as_written
    builder.chosen = outputs
    builder.shaped = dict(shapes or {})
    return builder


def _operand_spans(items, it) -> list[tuple[int, int]]:
    """The source spans of the operands of the op item ``it``, first to last: each operand is the subtree that
    ends just before the next one (postfix)."""
    k = next(k for k, x in enumerate(items) if x is it)
    spans = []
    j = k - 1
    for _ in range(it.arity):
        spans.append((items[j].start, items[j].end))
        need = 1
        while need:
            need += items[j].arity - 1
            j -= 1
    return spans[::-1]


def build(program: Program, prefix: str = "c", share: bool = True, outputs: str | None = None,
          held: tuple[str, ...] = (), columns: tuple[str, ...] = (), shapes: dict | None = None) -> Graph:
    """Turn a parsed program into its graph; ``prefix`` is the letter of generated ids.

    With ``share`` False identical subexpressions are not merged: the expression's tree, with
    only the inputs and the program's named steps shared. ``outputs`` (--output s1,s3) names the steps
    that are the outputs, in place of the last step.
    """
    with paused_gc():
        builder = _builder(program.source, prefix, share, outputs, shapes)
        for st in program.statements:
            builder.take(st)
        return builder.build(outputs, tuple(held), tuple(columns))


def graph_of(source: str, prefix: str = "c", share: bool = True, outputs: str | None = None,
             held: tuple[str, ...] = (), columns: tuple[str, ...] = (), shapes: dict | None = None,
             as_written: bool = False) -> Graph:
    """Parse and build in one pass; ``held`` names are constants given at evaluation (--let), and so are
    the ``columns`` of a data file (--data) that the expression reads. ``shapes`` gives the inputs that are
    arrays, by name: ``{"W": (2, 3), "x": (3, 1)}``; each entry is an input of its own, ``W[1,2]``. With
    ``as_written`` each named step of a program is one node, as the student wrote it (--as-written)."""
    with paused_gc():
        builder = _builder(source, prefix, share, outputs, shapes, as_written)
        if not builder.shapes():
            builder.parse()
        return builder.build(outputs, tuple(held), tuple(columns))


def describe_operands(graph: Graph, node: Node, values: list[float]) -> str:
    """``c1 = 0, c2 = 2``: the values of a node's node operands."""
    seen = []
    for a in node.args:
        if type(a) is int and a not in seen:
            seen.append(a)
    parts = [f"{graph.nodes[a].id} = {fmt(values[a])}" for a in seen]
    return ", ".join(parts) if parts else "no operands"
