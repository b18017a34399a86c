"""A student's filled table, read: one cell per line, ``NAME = [RULE =] [NUMBERS =] VALUE``, in the notations
students write (``c3``, ``ċ3``, ``c3dot``, ``dc3/dx1``, ``c̄3``, ``cbar3``, ``c3_bar``, ``df/dc3``,
``\\bar{c}_3``, a program's own names ``f̄1``, ``ȳ``, ``dLoss/dz2``, ``grad = [a, b]``, ``dy/dx = v``), with
``[sweep x1]`` lines heading a forward sweep and ``#`` comments; or a CSV file with a header
``cell,rule,value`` (a ``numbers`` column too, if wanted).

Reading is in two steps: ``read`` splits the text into lines of parts (it knows nothing of the problem), and
``Names.resolve`` says which cell of the problem a name is. Nothing here evaluates user text with Python: the
numbers and rules are parsed by gradcli's own parser and computed over the op table.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from typing import NamedTuple

from ..errors import GradcliError, GradcliSyntaxError
from .ops import CONSTANTS, OPS

BAR_MARKS = "\u0304\u0305"  # combining macron, overline: c̄3
DOT_MARKS = "\u0307"  # combining dot above: ċ3
_MARKS = BAR_MARKS + DOT_MARKS
_SUB = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_BLANK = re.compile(r"\s*(?:_{2,}|\?+|…|\.{3})\s*")  # ____, ?, …: a cell left blank
_LITERAL = re.compile(r"[+-]?(\d+)?(?:\.(\d*))?(?:[eE]([+-]?\d+))?")


class Line(NamedTuple):
    """One cell as written: its line (from 1), the name, the rule and numbers between, and the value's text."""

    line: int
    name: str
    rule: str | None
    numbers: str | None
    value: str  # "" where left blank
    sweep: str | None  # the [sweep x1] heading it sits under
    offset: int  # where the line starts in the text, for a caret
    value_offset: int  # where the value starts in the text


class Sheet(NamedTuple):
    """A submission read: its cells, its declared sweeps and the student's name if a comment gives it."""

    text: str
    lines: list[Line]
    sweeps: list[str]
    student: str | None


def normal(text: str) -> str:
    """Student text as the parser reads it: decomposed accents, ASCII minus, · kept."""
    text = unicodedata.normalize("NFD", text)
    return (text.replace("\u2212", "-").replace("\u2013", "-").replace("\u00d7", "*").replace("\u2217", "*")
            .replace("\u2248", "="))


def _split(text: str) -> list[tuple[int, str]]:
    """The parts of a line between its '=' signs outside brackets, each with its offset."""
    parts, depth, start = [], 0, 0
    for k, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "=" and depth <= 0:
            parts.append((start, text[start:k]))
            start = k + 1
    parts.append((start, text[start:]))
    return parts


def read(text: str) -> Sheet:
    """The lines of a submission; a line that is no cell is a GradcliSyntaxError with its line and column."""
    body = text.lstrip("\ufeff")
    first = next((ln.strip() for ln in body.splitlines() if ln.strip() and not ln.strip().startswith("#")), "")
    head = [h.strip().lower() for h in first.split(",")]
    if len(head) >= 2 and head[0] == "cell" and "value" in head:
        return _read_csv(body, head)
    lines: list[Line] = []
    sweeps: list[str] = []
    sweep = None
    student = None
    offset = 0
    for number, raw in enumerate(body.split("\n"), 1):
        start = offset
        offset += len(raw) + 1
        hash_ = raw.find("#")
        comment = raw[hash_ + 1:].strip() if hash_ >= 0 else ""
        m = re.match(r"(?i)(student|name)\s*:\s*(.+)", comment)
        if m and student is None:
            student = m.group(2).strip()
        content = raw[:hash_] if hash_ >= 0 else raw
        if not content.strip():
            continue
        m = re.fullmatch(r"\s*\[\s*(?:sweep|seed|forward)?\s*:?\s*([^\]]*?)\s*\]\s*", content, re.I)
        if m:
            sweep = normal(m.group(1)).strip()
            if not sweep:
                raise GradcliSyntaxError("a sweep heading names its input, e.g. [sweep x1]", body, start,
                                         len(content))
            if sweep not in sweeps:
                sweeps.append(sweep)
            continue
        parts = _split(content)
        if len(parts) < 2:
            lead = len(content) - len(content.lstrip())
            raise GradcliSyntaxError("a cell is NAME = VALUE (a rule and numbers may stand between: "
                                     "c6 = c4 + c5 = 0 + 4 = 4)", body, start + lead,
                                     max(1, len(content.strip())))
        name = parts[0][1].strip()
        if not name:
            raise GradcliSyntaxError("a cell needs a name before '='", body, start + parts[0][0], 1)
        value_at, value = parts[-1]
        if _BLANK.fullmatch(value):  # c̄6 = ____: a worksheet's blank, left unfilled
            value = ""
        middle = [p.strip() for _, p in parts[1:-1] if p.strip()]
        rule, numbers = _middle(middle)
        lines.append(Line(number, name, rule, numbers, value.strip(), sweep, start,
                          start + value_at + (len(value) - len(value.lstrip()))))
    return Sheet(body, lines, sweeps, student)


def _middle(parts: list[str]) -> tuple[str | None, str | None]:
    """Of the parts between the name and the value, the rule (it has names) and the numbers (it has none)."""
    rule = numbers = None
    for p in parts:
        if has_names(p):
            rule = p if rule is None else rule
        else:
            numbers = p if numbers is None else numbers
    return rule, numbers


def has_names(text: str) -> bool:
    """Whether text holds a name other than a function or a constant (pi, e)."""
    for m in re.finditer(r"[^\W\d][\w" + _MARKS + r"]*", normal(text)):
        word = m.group(0)
        after = text[m.end():m.end() + 1] if m.end() < len(text) else ""
        if word in CONSTANTS or (after == "(" and word in _FUNCTIONS) or word in _FUNCTIONS and after == "(":
            continue
        if word in ("sigma",) or word.startswith("\\"):
            continue
        return True
    return "\\bar" in text or "\\dot" in text


def _functions() -> frozenset[str]:
    names = set()
    for op in OPS.values():
        names.update(op.names)
    return frozenset(names | {"σ", "sig", "logistic", "ln"})


_FUNCTIONS = _functions()


def _read_csv(body: str, head: list[str]) -> Sheet:
    rows = list(csv.reader(io.StringIO(body)))
    lines = []
    offsets = [0]
    for ln in body.split("\n"):
        offsets.append(offsets[-1] + len(ln) + 1)
    seen_head = False
    col = {h: k for k, h in enumerate(head)}
    number = 0
    for row in rows:
        number += 1
        if not row or not "".join(row).strip() or row[0].strip().startswith("#"):
            continue
        if not seen_head:
            seen_head = True
            continue

        def get(key: str) -> str | None:
            k = col.get(key)
            return row[k].strip() if k is not None and k < len(row) and row[k].strip() else None

        start = offsets[min(number - 1, len(offsets) - 1)]
        name = get("cell")
        if name is None:
            raise GradcliSyntaxError("a row needs its cell's name in the first column", body, start, 1)
        lines.append(Line(number, name, get("rule"), get("numbers"), get("value") or "", get("sweep"), start, start))
    sweeps = list(dict.fromkeys(ln.sweep for ln in lines if ln.sweep))
    return Sheet(body, lines, sweeps, None)


# --- numbers ------------------------------------------------------------------------------------------------


class Written(NamedTuple):
    """A value as the student wrote it: the number, and the decimal places it was written to (None: a formula,
    taken as exact)."""

    value: float
    places: int | None


def number(text: str, sheet: Sheet, at: int) -> Written | None:
    """The value's number, or None where it is blank ("", "?", "_")."""
    t = normal(text).strip()
    if t in ("", "?", "_", "-", "…", "..."):
        return None
    m = _LITERAL.fullmatch(t.replace(" ", ""))
    if m and (m.group(1) or m.group(2)):
        frac = m.group(2) or ""
        exp = int(m.group(3) or 0)
        return Written(float(t.replace(" ", "")), len(frac) - exp)
    return Written(constant(t, sheet, at), None)


def split_top(text: str) -> list[str]:
    """``a, f(b, c), [d, e]``: the parts between the commas outside brackets."""
    parts, depth, start = [], 0, 0
    for k, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:k])
            start = k + 1
    parts.append(text[start:])
    return parts


def numbers(text: str, sheet: Sheet, at: int) -> list[Written | None]:
    """A vector's entries, ``[64, 48]`` (or ``64, 48``)."""
    t = normal(text).strip()
    if t.startswith("[") and t.endswith("]"):
        t = t[1:-1]
    return [number(p, sheet, at) for p in split_top(t)]


def constant(text: str, sheet: Sheet, at: int) -> float:
    """A constant expression (3/4, pi/4, exp(0)), computed over the op table."""
    items = parse_items(text, sheet, at)
    return evaluate(items, {}, text, sheet, at)


def parse_items(text: str, sheet: Sheet, at: int):
    from .parse import parse_expression

    try:
        return parse_expression(text)
    except GradcliSyntaxError as e:
        raise GradcliSyntaxError(e.message, sheet.text, at + min(e.offset, len(text)), e.length) from None


class Unknown(Exception):
    """A name a rule reads that has no value."""


def evaluate(items, env: dict[str, float], text: str = "", sheet: Sheet | None = None, at: int = 0) -> float:
    """The float value of parsed items, names read from ``env``: one loop over the postfix items."""
    stack: list[float] = []
    for it in items:
        if it.kind == "num":
            stack.append(float(it.arg))
        elif it.kind == "name":
            if it.arg in env:
                stack.append(env[it.arg])
            elif it.arg in CONSTANTS:
                stack.append(CONSTANTS[it.arg])
            elif sheet is not None:
                raise GradcliSyntaxError(f"'{it.arg}' is not a number", sheet.text, at + it.start,
                                         it.end - it.start)
            else:
                raise Unknown(it.arg)
        else:
            args = stack[len(stack) - it.arity:] if it.arity else []
            del stack[len(stack) - it.arity:]
            op = "mul" if it.arg == "cdot" else it.arg
            if op not in OPS:
                if sheet is not None:
                    raise GradcliSyntaxError("a value is a number", sheet.text, at + it.start, it.end - it.start)
                raise Unknown(op)
            try:
                stack.append(OPS[op].value(*args))
            except (ValueError, ZeroDivisionError, OverflowError):
                stack.append(math.nan)
    return stack[-1]


# --- names --------------------------------------------------------------------------------------------------


class Name(NamedTuple):
    """A cell of the problem: its kind ("value", "tangent", "adjoint", "gradient"), the node (None for the
    gradient), the sweep (the seeded input of a tangent; the input of a gradient entry, None for all)."""

    kind: str
    node: int | None
    sweep: str | None


class Names:
    """The names of a problem's cells, and how a student may write them."""

    def __init__(self, graph, mapping: dict[str, str] | None = None) -> None:
        self.graph = graph
        self.stems: dict[str, int] = {}
        for i, node_id in enumerate(graph.ids):
            if not graph.is_held(i):
                self.stems[node_id] = i
        for i, n in zip(graph.inputs, graph.names):
            self.stems.setdefault(n, i)
        self.inputs = {n: n for n in graph.names}
        for i, n in zip(graph.inputs, graph.names):
            self.inputs.setdefault(graph.ids[i], n)  # c1, where c1 = x1
        self.functions = {graph.function, graph.ids[graph.output], "f"}
        self.stems.setdefault(graph.function, graph.output)
        self.stems.setdefault("f", graph.output)
        self.mapping = {normal(k).strip(): normal(v).strip() for k, v in (mapping or {}).items()}

    def stem(self, text: str) -> int | None:
        t = text.translate(_SUB).strip()
        t = self.mapping.get(t, t)
        for form in (t, t.replace("{", "").replace("}", "").replace("_", ""), t.replace("{", "").replace("}", "")):
            if form in self.stems:
                return self.stems[form]
        return None

    def input_of(self, text: str) -> str | None:
        t = self.mapping.get(text, text).translate(_SUB).replace("{", "").replace("}", "")
        return self.inputs.get(t) or self.inputs.get(t.replace("_", ""))

    def resolve(self, raw: str) -> tuple[Name | None, str]:
        """The cell a name is, and "" ; or None and why not."""
        t = re.sub(r"\s+", "", normal(raw))
        low = t.lower()
        funcs = {normal(f) for f in self.functions}
        if low in ("grad", "gradient", "∇", "\\nabla", "nabla") or any(
                low in (f"∇{f}".lower(), f"grad{f}".lower(), f"\\nabla{f}".lower(), f"nabla{f}".lower(),
                        f"gradient{f}".lower()) for f in funcs):
            return Name("gradient", None, None), ""
        m = re.fullmatch(r"(?:d|∂|\\partial)(.+?)/(?:d|∂|\\partial)(.+)", t)
        if m:
            a, b = m.group(1), m.group(2)
            a = a[1:-1] if a.startswith("{") and a.endswith("}") else a
            b = b[1:-1] if b.startswith("{") and b.endswith("}") else b
            named = {normal(self.graph.function), "f"}
            if a in funcs or self.mapping.get(a) in funcs:
                x = self.input_of(b)
                if x is not None and (a in named or self.mapping.get(a) in named):
                    if b in self.graph.names or self.mapping.get(b) in self.graph.names:
                        return Name("gradient", None, x), ""
                j = self.stem(b)
                if j is not None and self.input_of(b) is None or a in named:
                    if j is not None:
                        return Name("adjoint", j, None), ""
            x = self.input_of(b)
            i = self.stem(a)
            if x is not None and i is not None:
                return Name("tangent", i, x), ""
            return None, f"'{raw}' names no cell: d{a}/d{b} is neither ∂{self.graph.function}/∂(a node) nor " \
                         f"∂(a node)/∂(an input)"
        kind, stem = "value", t
        m = re.fullmatch(r"\\(bar|overline|dot)\{([^{}]*)\}(?:_\{?(\w+)\}?)?", t) or \
            re.fullmatch(r"\\(bar|overline|dot)([A-Za-z])(?:_\{?(\w+)\}?)?", t)
        if m:
            kind = "tangent" if m.group(1) == "dot" else "adjoint"
            stem = m.group(2) + (m.group(3) or "")
        elif any(c in t for c in _MARKS):
            kind = "tangent" if any(c in t for c in DOT_MARKS) else "adjoint"
            stem = "".join(c for c in t if c not in _MARKS)
        if kind == "value" and self.stem(stem) is None:
            for pattern, k in ((r"(.+?)_?bar", "adjoint"), (r"(.+?)_?dot", "tangent"),
                               (r"([^\W\d_]+)bar_?(\d+)", "adjoint"), (r"([^\W\d_]+)dot_?(\d+)", "tangent"),
                               (r"bar_?(.+)", "adjoint"), (r"dot_?(.+)", "tangent")):
                mm = re.fullmatch(pattern, t)
                if mm and self.stem("".join(mm.groups())) is not None:
                    kind, stem = k, "".join(mm.groups())
                    break
        i = self.stem(stem)
        if i is None:
            known = ", ".join(list(self.stems)[:12])
            return None, f"'{raw}' is not a cell of this problem (its names: {known}{', …' if len(self.stems) > 12 else ''})"
        return Name(kind, i, None), ""


def parse_map(text: str | None) -> dict[str, str]:
    """--map a=c3,b=c4: the student's names for the problem's."""
    if not text:
        return {}
    out = {}
    for part in text.split(","):
        k, eq, v = part.partition("=")
        if not eq or not k.strip() or not v.strip():
            raise GradcliSyntaxError("--map takes pairs STUDENT=OURS, e.g. --map a=c3,b=c4", text,
                                     text.find(part), max(1, len(part)), "--map ")
        out[k.strip()] = v.strip()
    return out


_TOKEN = re.compile(r"\\(?:bar|overline|dot)\s*(?:\{[^{}]*\}|[A-Za-z])(?:_\{?\w+\}?)?"
                    r"|(?:d|∂)[^\W\d][\w" + _MARKS + r"]*/(?:d|∂)[^\W\d][\w" + _MARKS + r"]*"
                    r"|[^\W\d][\w" + _MARKS + r"]*(?:_\{\w+\})?")


def rule_items(rule: str, names: Names, sweep: str | None):
    """A rule in the student's notation as parsed items over internal names (``_v3`` the value of node 3,
    ``_a3`` its adjoint, ``_tK`` a tangent, named in the tangents returned), and the text parsed; raises
    GradcliError (not a syntax error of the sheet: a rule
    that cannot be read is noted, not fatal) where it cannot be read."""
    from .parse import parse_expression

    text = normal(rule)
    out, last = [], 0
    tangents: dict[str, tuple[int, str]] = {}
    for m in _TOKEN.finditer(text):
        word = m.group(0)
        after = text[m.end():m.end() + 1]
        if (word in _FUNCTIONS and after in ("(", "[")) or (word in CONSTANTS and names.stem(word) is None):
            continue
        name, why = names.resolve(word)
        if name is None:
            raise GradcliError(why)
        if name.kind == "gradient":
            raise GradcliError(f"a rule cannot use the gradient '{word}'")
        if name.kind == "tangent":
            s = name.sweep or sweep
            if s is None:
                raise GradcliError(f"which sweep is '{word}' in?")
            key = f"_t{name.node}_{len(tangents)}"
            tangents[key] = (name.node, s)
            ident = key
        else:
            ident = f"_{name.kind[0]}{name.node}"
        out.append(text[last:m.start()])
        out.append(ident)
        last = m.end()
    out.append(text[last:])
    source = "".join(out)
    try:
        items = parse_expression(source)
    except GradcliSyntaxError as e:
        raise GradcliError(f"the rule '{rule}' cannot be read: {e.message}") from None
    return items, tangents, source
