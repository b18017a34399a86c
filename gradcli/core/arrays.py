"""Vectors and matrices, written out as the scalar graph: one node per entry.

An array while building is an ``Arr``: a shape (rows, columns) and its entries in row-major order, each a
builder ref or a constant. Vectors are columns, as on the sheets: ``[1, 2]`` is 2×1, ``xᵀ`` is 1×2, so ``xᵀ @ x``
is a scalar and ``x @ xᵀ`` the outer product; a 1×1 result is a scalar. Every array operation is a loop that
asks the builder for scalar nodes (``W @ x`` is one ``sum`` of products per entry, ``softmax(o)`` one softmax
node per entry), so the engine, the sweeps, sympy and every table work on arrays unchanged. Indices count from
1, as the sheets' subscripts do.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from .ops import ARRAY_FUNCTIONS, OPS, fmt

Shape = tuple[int, int]


class Arr(NamedTuple):
    shape: Shape  # (rows, columns): a vector is a column (n, 1), its transpose a row (1, n)
    items: tuple  # the entries, row by row: builder refs (int) or Consts


class ShapeError(Exception):
    """An operation the shapes do not allow: the message, and the operand whose span the caret marks (-1: the
    whole operation)."""

    def __init__(self, message: str, operand: int = -1) -> None:
        super().__init__(message)
        self.message = message
        self.operand = operand


def shape_text(shape: Shape) -> str:
    """``2×3``; a column ``2×1``, a row ``1×2``, as the sheets write dimensions."""
    return f"{shape[0]}×{shape[1]}"


def describe(value) -> str:
    """What an operand is, for messages: "a 2×1 vector", "a 2×3 matrix", "a number"."""
    if type(value) is not Arr:
        return "a number"
    m, n = value.shape
    if n == 1:
        return f"a vector of {m} (a {m}×1 column)"
    if m == 1:
        return f"a row of {n} (1×{n})"
    return f"a {m}×{n} matrix"


def entry_name(name: str, shape: Shape, k: int) -> str:
    """The k-th entry's name (row-major, from 0): ``x[2]`` in a vector or a row, ``W[1,2]`` in a matrix."""
    m, n = shape
    if n == 1:
        return f"{name}[{k + 1}]"
    if m == 1:
        return f"{name}[1,{k + 1}]"
    return f"{name}[{k // n + 1},{k % n + 1}]"


def entry_names(name: str, shape: Shape) -> list[str]:
    return [entry_name(name, shape, k) for k in range(shape[0] * shape[1])]


def make(shape: Shape, items) -> "Arr | object":
    """An array, or its one entry where it is 1×1: wᵀx is a number."""
    items = tuple(items)
    return items[0] if shape == (1, 1) else Arr(shape, items)


class Arrays:
    """The array operations, over the builder's ``scalar(op, args)`` (a node, or a folded constant) and its
    ``const(value)`` (a constant written as a number)."""

    def __init__(self, scalar: Callable, const: Callable) -> None:
        self.scalar = scalar
        self.const = const

    def apply(self, op: str, args: list):
        if op == "array":
            return self.array(args)
        if op == "index":
            return self.index(args[0], args[1:])
        if op == "transpose":
            (a,) = args
            return self.transpose(a) if type(a) is Arr else a
        if op == "matmul":
            return self.matmul(*args)
        if op == "cdot":  # a·b: the matrix product of two arrays, else a product
            a, b = args
            return self.matmul(a, b) if type(a) is Arr and type(b) is Arr else self.elementwise("mul", args)
        if op in ARRAY_FUNCTIONS:
            return getattr(self, op)(*args)
        spec = OPS[op]
        if spec.arity < 0:
            return self.reduce(op, args)
        return self.elementwise(op, args)

    # --- building and reading arrays -------------------------------------------------------------------------

    def array(self, args: list):
        """``[a, b, c]``: a column of numbers; ``[[1, 2], [3, 4]]``: a matrix, row by row."""
        if all(type(a) is not Arr for a in args):
            return Arr((len(args), 1), tuple(args))
        first = next(a for a in args if type(a) is Arr)
        for k, a in enumerate(args):
            if type(a) is not Arr:
                raise ShapeError(f"row {k + 1} is a number where the others are rows of {max(first.shape)}: a "
                                 "matrix is written [[1, 2], [3, 4]]", k)
            if 1 not in a.shape:
                raise ShapeError(f"row {k + 1} is {describe(a)}: the rows of a matrix are vectors", k)
            if max(a.shape) != max(first.shape):
                raise ShapeError(f"row {k + 1} has {max(a.shape)} entries where row 1 has {max(first.shape)}: "
                                 "every row of a matrix is as long", k)
        return Arr((len(args), max(first.shape)), tuple(x for a in args for x in a.items))

    def index(self, a, indices: list):
        """``v[k]``, ``W[i, j]``: indices are whole numbers from 1, written as numbers."""
        if type(a) is not Arr:
            raise ShapeError("{0} is a number, not an array, so it has no entries; for a name with an index, write "
                             "{0}1 or {0}_1, or give {0} an array value, --at {0}=[1, 2]", 0)
        m, n = a.shape
        ks = []
        for k, i in enumerate(indices, 1):
            if not _constant(i):
                raise ShapeError("an index is a whole number written as a number, as in v[2] or W[1, 2]", k)
            if i.value != int(i.value) or i.value < 1:
                raise ShapeError(f"an index is a whole number from 1 (the first entry is [1]), not {fmt(i.value)}",
                                 k)
            ks.append(int(i.value))
        if len(ks) == 1 and 1 in a.shape:
            (i,) = ks
            if i > m * n:
                raise ShapeError(f"index {i} is past the end: this is {describe(a)}, its entries are [1] to "
                                 f"[{m * n}]", 1)
            return a.items[i - 1]
        if len(ks) != 2:
            raise ShapeError(f"this is {describe(a)}: give {'one index, v[k]' if 1 in a.shape else 'two, W[i, j]'}",
                             -1)
        i, j = ks
        if i > m or j > n:
            raise ShapeError(f"[{i}, {j}] is outside this {shape_text(a.shape)} array (rows 1 to {m}, columns 1 to "
                             f"{n})", 1 if i > m else 2)
        return a.items[(i - 1) * n + (j - 1)]

    @staticmethod
    def transpose(a: Arr):
        m, n = a.shape
        return make((n, m), (a.items[i * n + j] for j in range(n) for i in range(m)))

    # --- arithmetic ------------------------------------------------------------------------------------------

    def elementwise(self, op: str, args: list):
        """A scalar op entry by entry; a number goes with every entry, and a vector with each column (or row)
        of a matrix: ``W @ x + b``, ``relu(z)``, ``x**2``."""
        arrays = [a for a in args if type(a) is Arr]
        shape = arrays[0].shape
        for a in arrays[1:]:
            shape = _broadcast(shape, a.shape, args, a)
        m, n = shape
        columns = []
        for a in args:
            if type(a) is not Arr:
                columns.append((a,) * (m * n))
            elif a.shape == shape:
                columns.append(a.items)
            else:
                am, an = a.shape
                columns.append(tuple(a.items[(i if am > 1 else 0) * an + (j if an > 1 else 0)]
                                     for i in range(m) for j in range(n)))
        scalar = self.scalar
        return make(shape, (scalar(op, xs) for xs in zip(*columns)))

    def matmul(self, a, b):
        if type(a) is not Arr or type(b) is not Arr:
            k = 0 if type(a) is not Arr else 1
            raise ShapeError("@ is the matrix product, of two arrays; for a number times an array write *", k)
        (m, k), (k2, n) = a.shape, b.shape
        if k != k2:  # {0} and {1} are the operands as typed
            hint = ""
            if a.shape == b.shape and n == 1:
                hint = ": did you mean {0}ᵀ @ {1} (a number) or {0} @ {1}ᵀ (a matrix)?"
            elif m == k2:
                hint = ": did you mean {0}ᵀ @ {1}?"
            elif n == k:
                hint = ": did you mean {0} @ {1}ᵀ?"
            raise ShapeError(f"the shapes do not chain: {shape_text(a.shape)} @ {shape_text(b.shape)}, and the left "
                             f"one's {k} columns must match the right one's {k2} rows{hint}")
        scalar = self.scalar
        items = []
        for i in range(m):
            for j in range(n):
                terms = [scalar("mul", (a.items[i * k + l], b.items[l * n + j])) for l in range(k)]
                items.append(terms[0] if k == 1 else scalar("sum", terms))
        return make((m, n), items)

    def reduce(self, op: str, args: list):
        """``sum(W)``, ``mean(x)``, ``max(v)``, ``logsumexp(o)`` over every entry; ``softmax(o)``, a vector."""
        if len(args) != 1:
            raise ShapeError(f"{op} of an array takes that one array: {op}(v); {op}(a, b, …) takes numbers",
                             next(k for k, a in enumerate(args) if type(a) is Arr))
        (a,) = args
        if op == "softmax":
            if type(a) is not Arr or 1 not in a.shape:
                raise ShapeError(f"softmax(v) takes a vector, not {describe(a)}; its k-th entry is softmax(v)[k]",
                                 0)
            const = self.const
            return Arr(a.shape, tuple(self.scalar("softmax", (const(k + 1), *a.items)) for k in range(len(a.items))))
        if type(a) is not Arr:
            return self.scalar(op, (a,))
        return self.scalar(op, a.items)

    # --- the array functions -----------------------------------------------------------------------------------

    def dot(self, u, v):
        """dot(u, v) = Σᵢ uᵢvᵢ, for two vectors (rows or columns) as long."""
        for k, a in enumerate((u, v)):
            if type(a) is not Arr or 1 not in a.shape:
                raise ShapeError(f"dot(u, v) takes two vectors; this is {describe(a)}", k)
        if len(u.items) != len(v.items):
            raise ShapeError(f"dot(u, v) needs vectors as long: {len(u.items)} and {len(v.items)} entries")
        scalar = self.scalar
        return scalar("sum", [scalar("mul", xy) for xy in zip(u.items, v.items)])

    def norm(self, v):
        """The Euclidean norm, sqrt(Σ vᵢ²) (of a matrix: over every entry)."""
        if type(v) is not Arr:
            raise ShapeError(f"norm(v) takes an array; of a number write abs(x)", 0)
        scalar, const = self.scalar, self.const
        return scalar("sqrt", (scalar("sum", [scalar("pow", (x, const(2))) for x in v.items]),))

    def outer(self, u, v):
        """outer(u, v) = u @ vᵀ: entry (i, j) is uᵢvⱼ."""
        for k, a in enumerate((u, v)):
            if type(a) is not Arr or 1 not in a.shape:
                raise ShapeError(f"outer(u, v) takes two vectors; this is {describe(a)}", k)
        scalar = self.scalar
        return make((len(u.items), len(v.items)), (scalar("mul", (x, y)) for x in u.items for y in v.items))

    def diag(self, v):
        """diag(v): the square matrix with v on its diagonal and 0 elsewhere."""
        if type(v) is not Arr or 1 not in v.shape:
            raise ShapeError(f"diag(v) takes a vector, not {describe(v)}", 0)
        n = len(v.items)
        zero = self.const(0)
        return make((n, n), (v.items[i] if i == j else zero for i in range(n) for j in range(n)))

    def onehot(self, k, m):
        """onehot(k, m): the vector of m entries, 1 at entry k and 0 elsewhere (k from 1)."""
        for pos, a in enumerate((k, m)):
            if not _constant(a):
                raise ShapeError("onehot(k, m) takes two whole numbers, written as numbers: the class k, from 1, "
                                 "and the number of classes m", pos)
        if m.value != int(m.value) or m.value < 1:
            raise ShapeError(f"the number of classes is a whole number from 1, not {fmt(m.value)}", 1)
        if k.value != int(k.value) or not 1 <= k.value <= m.value:
            raise ShapeError(f"the class is a whole number from 1 to {fmt(m.value)}, not {fmt(k.value)}", 0)
        const = self.const
        return make((int(m.value), 1), (const(1 if i + 1 == k.value else 0) for i in range(int(m.value))))


def _constant(x) -> bool:
    return type(x) is not int and type(x) is not Arr


def _broadcast(a: Shape, b: Shape, args: list, operand) -> Shape:
    """The shape of an elementwise op on shapes a and b: equal, or a vector along a matrix's columns or rows."""
    if a == b:
        return a
    rows = a[0] if b[0] in (1, a[0]) else b[0] if a[0] == 1 else None
    cols = a[1] if b[1] in (1, a[1]) else b[1] if a[1] == 1 else None
    widened_both = (a[0] < b[0] and a[1] > b[1]) or (a[0] > b[0] and a[1] < b[1])
    if rows is None or cols is None or widened_both:
        hint = ""
        if (a[1], a[0]) == b:
            hint = ": did you mean {0} and {1}ᵀ?"
        raise ShapeError(f"{shape_text(a)} and {shape_text(b)} do not go together entry by entry (equal shapes, a "
                         f"number, or a vector along each column of a matrix){hint}", args.index(operand))
    return rows, cols
