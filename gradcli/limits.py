"""Every bound on what gradcli reads and does, in one place, each named as the error that enforces it says.

A homework problem never comes near any of these; they are there so that no input (``-f /dev/zero``, a
data file of random bytes, a claim nested a thousand deep) can take unbounded memory or time, or reach a
recursion limit. Past a bound gradcli refuses with exit 2 and one line naming the bound, e.g.
``error: -f /dev/zero is larger than the limit of 16 MiB on a source (limit source_bytes)``.
docs/guide.md's "Limits" and the man page's LIMITS list them; a test holds each.

Input is read in chunks of ``CHUNK`` bytes, and reading stops as soon as a bound is passed, so an endless
stream costs at most one bound's worth of memory.
"""

from __future__ import annotations

from typing import BinaryIO


from .errors import GradcliError

MiB = 1 << 20

# a program's text, from EXPR, -f FILE or standard input: a megabyte program (thousands of steps) is already
# far past any sheet, and the parser reads 16 MiB in a few seconds; bytes of a file, characters of a string
SOURCE_BYTES = 16 * MiB
# one line of a program or a data file: 10^5-deep nesting on one line is 600 KB; a data row of 1000 columns
# is 20 KB
LINE_BYTES = 1 * MiB
# a --data file (or --data -): a million rows of a few numbers is about 30 MiB
DATA_BYTES = 64 * MiB
# rows of a data file: every row is a sweep (and a row of the JSON output); a homework set has tens
DATA_ROWS = 1_000_000
# columns of a data file: each is a constant the expression may read
DATA_COLUMNS = 1_000
# the value of one option, as characters: --claim, --at, --let, --direction, --wrt, --shape, --output
OPTION_CHARS = 1 * MiB
# operators and calls in a program (and in one claim): bounds the time and memory of the sweeps and tables
OPERATIONS = 250_000
# --steps of descend: a row each
STEPS = 1_000_000
# points of a plot's grid (x by y, or x by the curves): each is a value in the JSON and the picture; a
# 1000×1000 picture is finer than any screen or page
GRID_POINTS = 1_000_000
# nodes of a graph that --symbolic, --exact and check hand to sympy, which slows down fast with size
SYMPY_NODES = 200
# how deep a formula handed to sympy (a claim, or the graph for check, --symbolic and --exact) may nest:
# sympy builds, differentiates and simplifies by recursion and overflows Python's stack from about 200 deep
# (sin(sin(...)) 200 deep fails in d/dx); a long sum or product counts as one level, as sympy flattens it
SYMPY_DEPTH = 100

CHUNK = 1 << 16  # bytes read at a time
GROUP = "group"  # gradcli.core.expr.GROUP: this module sits below core and imports only the errors


class LimitError(GradcliError):
    """Input past one of the bounds above; ``limit`` is the bound's name (source_bytes, ...)."""

    exit_code = 2

    def __init__(self, message: str, limit: str) -> None:
        super().__init__(f"{message} (limit {limit})")
        self.limit = limit


def size(n: int) -> str:
    """A number of bytes as the limits are written: 16 MiB, or 1,000 bytes below a MiB."""
    return f"{n // MiB} MiB" if n >= MiB and n % MiB == 0 else f"{n:,} bytes"


def value(name: str) -> int:
    """The bound ``name`` (source_bytes) as it stands now: read at each use, so a test can lower it."""
    return globals()[name.upper()]


def read(stream: BinaryIO, what: str, limit: str, line_limit: str = "line_bytes") -> bytes:
    """The bytes of a file or a stream, read in chunks and refused once past the bound ``limit`` or with a line
    longer than ``line_limit``, or once a NUL byte shows that it is not text. ``what`` names it in the message
    (``-f /dev/zero``)."""
    most, longest = value(limit), value(line_limit)
    parts: list[bytes] = []
    total = 0
    run = 0  # bytes of the line being read, since the last newline
    lines = 0  # newlines before this chunk
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        nul = chunk.find(b"\0")
        if nul >= 0:
            line = lines + chunk.count(b"\n", 0, nul) + 1
            raise GradcliError(f"{what} is not text: it holds a NUL byte, on line {line:,}")
        total += len(chunk)
        if total > most:
            raise LimitError(f"{what} is larger than the limit of {size(most)} on {_WHAT[limit]}", limit)
        pieces = chunk.split(b"\n")
        if len(pieces) == 1:
            run += len(chunk)
        else:
            run = max(run + len(pieces[0]), *map(len, pieces[1:-1]), 0)
            if run <= longest:
                run = len(pieces[-1])
            lines += len(pieces) - 1
        if run > longest:
            raise LimitError(f"{what} has a line longer than the limit of {size(longest)}", line_limit)
        parts.append(chunk)
    return b"".join(parts)


def text(source: str, what: str, limit: str, line_limit: str | None = "line_bytes") -> str:
    """A string given as it is (EXPR, the Python API's source or data), held to the same bounds in characters."""
    most = value(limit)
    if len(source) > most:
        raise LimitError(f"{what} is longer than the limit of {most:,} characters on {_WHAT[limit]}", limit)
    if line_limit is not None:
        longest = value(line_limit)
        if len(source) > longest and max(map(len, source.split("\n"))) > longest:
            raise LimitError(f"{what} has a line longer than the limit of {longest:,} characters",
                             line_limit)
    return source


def option(given: str | None, name: str) -> str | None:
    """An option's value held to ``OPTION_CHARS``: ``name`` is the option (--at)."""
    if given is not None and len(given) > OPTION_CHARS:
        raise LimitError(f"{name} is longer than the limit of {OPTION_CHARS:,} characters on an option's value",
                         "option_chars")
    return given


def count(n: int, what: str, limit: str) -> None:
    """A count (rows, columns, steps) held to the bound ``limit``; ``what`` says what was counted."""
    most = value(limit)
    if n > most:
        raise LimitError(f"{what} more than the limit of {most:,} {_WHAT[limit]}", limit)


_WHAT = {"source_bytes": "a source", "data_bytes": "a data file", "data_rows": "rows",
         "data_columns": "columns", "steps": "steps", "grid_points": "points"}


def depth(tree) -> int:
    """How many operations deep an Expr nests as sympy will hold it (sin(sin(x)) is 2): a group adds nothing, and an operand of a sum that is a
    sum itself (or of a product that is a product) is the same level, as sympy flattens them. A loop."""
    flat = {"add": "sum", "sub": "sum", "mul": "product", "div": "product", "neg": "product"}
    deepest = 0
    stack = [(tree, 1, None)]  # (subtree, its level counting itself, its parent's kind)
    while stack:
        e, d, parent = stack.pop()
        kind = flat.get(e.op)
        if not e.args or e.op == GROUP or (kind is not None and kind == parent):
            d -= 1  # a number or a name is no level; a group, or a sum in a sum, is its parent's
        deepest = max(deepest, d)
        for a in e.args:
            stack.append((a, d + 1, kind if e.op != GROUP else parent))
    return deepest
